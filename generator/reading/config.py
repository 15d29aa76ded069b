"""Project configuration: `astre.yaml` at the root of a structure's repository."""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from ..errors import ConfigError, Problem, YamlError, os_reason
from .loader import load
from .resources import Resources

CONFIG_NAME = "astre.yaml"


# What astre.yaml's older files may lack: the structure's practice choices added later.
DEFAULT_DIAGNOSTIC_REMINDER_DAYS = 30
DEFAULT_HORIZON_DAYS = 30


@dataclass(frozen=True)
class Programme:
    """The programme's rules (astre.yaml, `programme`), typed: durations, quotas, amounts, recipients.

    Built once from the validated section by `Programme.from_data`; every module reads
    these fields instead of the raw dictionary. Plain values only, so it pickles (the
    configuration goes to the worker processes).
    """

    name: str
    funder: str
    service: str  # full name of the service that receives the documents (« SPSLH (Service …) »)
    service_short: str  # its short name in messages (« SPSLH »)
    source: str
    year: int
    start: date
    end: date
    measures: int
    months: int
    review_months: tuple[int, ...]
    review_grace_days: int
    visits_per_month: int
    home_visits_per_month: int
    contract_delay_months: int
    report_delay_days: int
    recipients: dict[str, tuple[str, ...]]
    sources: dict[str, str]
    monthly_rate: float
    diagnostic_amounts: dict[str, float]
    advance_percentage: float
    diagnostic_reminder_days: int
    horizon_days: int
    # Types of works postes the aids grant only to an RGE company (« types_travaux_rge »; none: not checked).
    rge_work_types: tuple[str, ...] = ()
    # The household's share aimed at, in % of the works (« reste_a_charge_cible_pourcentage »; None: no target).
    share_target_percentage: float | None = None

    @classmethod
    def from_data(cls, p: dict[str, Any]) -> Programme:
        """Return the programme of a validated `programme` section, with defaults for older files."""
        period = p["periode"]
        return cls(
            name=p["nom"], funder=p["financeur"], service=p["service_destinataire"],
            service_short=p.get("service_court") or short_name(p["service_destinataire"]),
            source=p["source"], year=p["annee"],
            start=date.fromisoformat(period["debut"]), end=date.fromisoformat(period["fin"]),
            measures=int(p.get("nombre_mesures", 0)), months=p["duree_mois"],
            review_months=tuple(p["bilans_mois"]), review_grace_days=p["delai_bilan_jours"],
            visits_per_month=p["visites"]["minimum_par_mois"],
            home_visits_per_month=p["visites"]["minimum_domicile_par_mois"],
            contract_delay_months=p["delai_envoi_contrat_mois"], report_delay_days=p["delai_signalement_jours"],
            recipients={form: tuple(who) for form, who in (p.get("destinataires") or {}).items()},
            sources=dict(p.get("sources") or {}),
            monthly_rate=p["tarif_mensuel"],
            diagnostic_amounts=dict(p["diagnostics"]),
            advance_percentage=p["avance_pourcentage"],
            diagnostic_reminder_days=p.get("delai_relance_diagnostic_jours", DEFAULT_DIAGNOSTIC_REMINDER_DAYS),
            horizon_days=p.get("horizon_echeances_jours", DEFAULT_HORIZON_DAYS),
            rge_work_types=tuple(p.get("types_travaux_rge") or ()),
            share_target_percentage=p.get("reste_a_charge_cible_pourcentage"),
        )


@dataclass(frozen=True)
class Structure:
    """The association carrying the measures (astre.yaml, `structure`): its letterhead."""

    name: str
    address: tuple[str, ...]
    phone: str | None
    email: str | None
    signing_town: str | None  # « Fait à … »
    logo: str | None  # path of the logo image, from the structure's folder

    @classmethod
    def from_data(cls, s: dict[str, Any]) -> Structure:
        """Return the structure of a validated `structure` section."""
        def text(key: str) -> str | None:
            value = s.get(key)
            return None if value is None else str(value)

        return cls(name=str(s.get("nom", "")), address=tuple(str(line) for line in s.get("adresse") or ()),
                   phone=text("telephone"), email=text("courriel"), signing_town=text("ville_signature"),
                   logo=text("logo") or None)


@dataclass(frozen=True)
class FundingReceived:
    """What the funder actually paid (astre.yaml, `financement_recu`): facts, with their evidence."""

    advance: float | None = None  # the advance received, in euros
    advance_date: date | None = None
    advance_evidence: str = ""  # « avis de virement du … »

    @classmethod
    def from_data(cls, received: dict[str, Any] | None) -> FundingReceived:
        """Return the funding received of a validated `financement_recu` section (absent: nothing recorded)."""
        advance = (received or {}).get("avance") or {}
        return cls(advance=float(advance["montant"]) if "montant" in advance else None,
                   advance_date=date.fromisoformat(advance["date"]) if advance.get("date") else None,
                   advance_evidence=str(advance.get("piece", "")))


def short_name(service: str) -> str:
    """Return the short name of a service written « SPSLH (Service des Politiques …) »: its first part."""
    return service.split(" (", 1)[0].strip() or service


@dataclass
class Config:
    """The validated content of astre.yaml, with paths resolved from its folder."""

    path: Path
    data: dict[str, Any]  # the raw validated file (the build's configuration digest hashes it)
    programme: Programme = field(init=False)
    structure: Structure = field(init=False)
    funding_received: FundingReceived = field(init=False)
    # Where its definitions are read (its own schemas/, forms/, templates/, baremes/, then astre's):
    # handed to every reader, a new one for each loading (what they read is kept for its life).
    resources: Resources = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Type the sections once, from the validated file."""
        self.resources = Resources.of(self.root, self.templates_override)
        self.programme = Programme.from_data(self.data["programme"])
        self.structure = Structure.from_data(self.data["structure"])
        self.funding_received = FundingReceived.from_data(self.data.get("financement_recu"))

    @property
    def root(self) -> Path:
        """Folder holding astre.yaml: every relative path starts here."""
        return self.path.parent

    @property
    def cases_dir(self) -> Path:
        """Folder of the case folders."""
        return self.root / self.data.get("cases_dir", "cases")

    @property
    def output_dir(self) -> Path:
        """Folder where documents are written (and nothing else)."""
        return self.root / self.data.get("output_dir", "out")

    @property
    def templates_override(self) -> Path | None:
        """The structure's own templates folder, if configured."""
        value = self.data.get("templates_dir")
        return self.root / value if value else None

    def period(self) -> tuple[date, date]:
        """Return the programme's operation period."""
        return self.programme.start, self.programme.end


def config_digest(config: Config) -> str:
    """Return a digest of the loaded configuration (what the documents are made from)."""
    text = json.dumps(config.data, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def find_config(start: Path | None = None) -> Path:
    """Return astre.yaml from `start` or its parents, like git finds .git."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / CONFIG_NAME
        if candidate.is_file():
            return candidate
    raise ConfigError(f"{CONFIG_NAME} introuvable dans {here} ni dans ses dossiers parents : "
                      "lancez la commande depuis le dossier de votre structure (celui qui contient astre.yaml)")


def load_config(path: Path | None = None) -> Config:
    """Load and validate astre.yaml; raise ConfigError listing every problem."""
    from .validate import validate

    path = path or find_config()
    try:
        document = load(path)
    except YamlError as e:
        raise ConfigError(f"{path} est illisible", [e.problem]) from None
    if not isinstance(document.data, dict):
        raise ConfigError(f"{path} : la configuration doit être une suite de champs « nom: valeur »")
    # A structure may override the schema of astre.yaml too.
    problems = validate(Resources.of(path.parent), document, "astre")
    if problems:
        raise ConfigError(f"{path} contient des erreurs", problems)
    config = Config(path.resolve(), document.data)
    refused = _output_dir_problem(config)
    if refused:
        line, column = document.locate(("output_dir",))
        raise ConfigError(f"{path} contient des erreurs", [Problem(
            path, line, column, f"output_dir « {config.data.get('output_dir', 'out')} » {refused}",
            "choisissez un dossier à part, par exemple « output_dir: out »", code="config")])
    check_logo(config)
    return config


# The name `astre init` writes when none is given (generator/data/structure/astre.yaml, « @@NOM@@ »).
SCAFFOLD_NAME = "Nom de la structure"
# What the scaffold writes for the structure to fill in: « (à compléter) », « À_COMPLÉTER », an unreplaced
# « @@TOKEN@@ »; matched on text without accents, in lower case.
_TO_FILL = re.compile(r"a[\s_]+completer|@@[a-z_]*@@")


def letterhead_problems(config: Config) -> list[Problem]:
    """Return what keeps the structure's letterhead and signing town from being printed, located in astre.yaml.

    Every document shows the name and the address of the structure in its letterhead and
    « Fait à <ville_signature> »: a missing town or a value the scaffold left to fill in
    would be printed as such in an official document. Judged on the loaded configuration
    (the file is read again only to locate a problem: it may have changed since).
    """
    structure = config.structure
    found: list[tuple[tuple, str | None, str, str]] = []  # (where, key, message, hint)
    nom = structure.name
    if nom.strip() == SCAFFOLD_NAME or _to_fill(nom):
        found.append((("structure", "nom"), None, f"structure.nom « {nom} » est le modèle d'astre init, pas le nom "
                      "de votre structure", "écrivez le nom de l'association tel qu'il doit figurer en tête des "
                      "documents, par exemple « nom: Association Habitat Solidaire »"))
    address = "écrivez l'adresse postale de la structure, une ligne « - » par ligne d'adresse"
    if not structure.address:
        found.append((("structure", "adresse"), None, "structure.adresse est vide : l'en-tête des documents "
                      "n'aurait pas d'adresse", address))
    for index, part in enumerate(structure.address):
        if _to_fill(part):
            found.append((("structure", "adresse", index), None, f"structure.adresse « {part} » est à compléter",
                          f"{address}, par exemple « - 12 rue des Tisserands » puis « - 62200 Boulogne-sur-Mer »"))
    town = structure.signing_town
    example = "par exemple « ville_signature: Arras »"
    if town is None or not str(town).strip():
        # A blank « ville_signature: » is shown where it is written, a missing one at « structure: ».
        at: tuple[tuple, str] = ((("structure",), "ville_signature") if "ville_signature" in config.data["structure"]
                                 else ((), "structure"))
        found.append((*at, "structure.ville_signature manque : les documents diraient « Fait à non "
                      "renseigné »", f"ajoutez sous « structure: » la ville où les documents sont signés, {example}"))
    elif _to_fill(str(town)):
        found.append((("structure", "ville_signature"), None, f"structure.ville_signature « {town} » est à "
                      "compléter", f"écrivez la ville où les documents sont signés, {example}"))
    if not found:
        return []
    try:
        document = load(config.path)
    except YamlError:
        document = None
    problems = []
    for where, key, message, hint in found:
        line, column = document.locate(where, key) if document is not None else (None, None)
        problems.append(Problem(config.path, line, column, message, hint, code="structure"))
    return problems


def check_letterhead(config: Config) -> None:
    """Raise ConfigError listing `letterhead_problems`: `astre check` and every build call it first."""
    problems = letterhead_problems(config)
    if problems:
        raise ConfigError(f"{config.path} : en-tête de la structure incomplet", problems)


def _to_fill(value: str) -> bool:
    """Tell whether a value still holds a placeholder of the scaffold (« (à compléter) », « À_COMPLÉTER »)."""
    bare = "".join(c for c in unicodedata.normalize("NFD", value.casefold()) if not unicodedata.combining(c))
    return _TO_FILL.search(bare) is not None


# The logo is drawn 18 mm wide: more bytes or pixels than this is never needed, and a huge image
# takes minutes and gigabytes to decode in every document (WeasyPrint and Word read it whole).
LOGO_MAX_BYTES = 2 * 1024 * 1024
LOGO_MAX_PIXELS = 4000
LOGO_FORMATS = ("PNG", "JPEG")


def check_logo(config: Config) -> None:
    """Raise ConfigError, located at `structure.logo`, when the logo is no small PNG or JPEG image.

    `load_config` (so `astre check`) and `build` both call it: a bad logo stops the build
    with this message before any document is rendered (it may have changed since the
    configuration was loaded, under the watcher). A missing file is allowed: documents
    are then made without a logo.
    """
    logo = config.structure.logo
    if not logo:
        return
    reason = _logo_refusal(config.root / logo)
    if reason is None:
        return
    line, column = load(config.path).locate(("structure", "logo"))
    raise ConfigError(f"{config.path} contient des erreurs", [Problem(
        config.path, line, column, f"structure.logo « {logo} » {reason}",
        f"utilisez une image PNG ou JPEG de {LOGO_MAX_BYTES // (1024 * 1024)} Mo et "
        f"{LOGO_MAX_PIXELS} × {LOGO_MAX_PIXELS} pixels au plus (par exemple templates/assets/logo.png), "
        "ou retirez la ligne « logo: » pour des documents sans logo", code="logo")])


def _logo_refusal(path: Path) -> str | None:
    """Return why the file at `path` cannot be the logo (French, after its name), or None."""
    import stat
    import warnings

    try:
        info = path.stat()
    except FileNotFoundError:
        return None
    except OSError as e:
        return f"est illisible ({os_reason(e)})"
    if not stat.S_ISREG(info.st_mode):
        return "n'est pas un fichier image (c'est un dossier ou un fichier spécial)"
    if info.st_size > LOGO_MAX_BYTES:
        return f"est trop lourd ({info.st_size / (1024 * 1024):.1f} Mo)"
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # the size is checked below
            with Image.open(path) as image:
                kind, (width, height) = image.format, image.size
                if kind not in LOGO_FORMATS:
                    return f"est une image {kind}, que les documents ne savent pas afficher"
                if width > LOGO_MAX_PIXELS or height > LOGO_MAX_PIXELS:
                    return f"est trop grand ({width} × {height} pixels)"
                image.verify()
    except UnidentifiedImageError:
        return "n'est pas une image PNG ou JPEG (SVG, PDF, texte ou fichier abîmé ?)"
    except Image.DecompressionBombError:
        return "est une image bien trop grande"
    except (OSError, SyntaxError, ValueError, EOFError):  # Pillow's words for a damaged file
        return "est une image abîmée ou incomplète"
    return None


# Folders of the system that a build must never write into (nor, for the first ones, anywhere inside).
SYSTEM_TREES = ("/etc", "/usr", "/bin", "/sbin", "/lib", "/lib64", "/boot", "/dev", "/proc", "/sys")
SYSTEM_FOLDERS = ("/", "/home", "/root", "/var", "/opt", "/srv", "/run", "/mnt", "/media", "/tmp", "/var/tmp")


def _output_dir_problem(config: Config) -> str | None:
    """Return why output_dir is no place for documents (French, after its name), or None."""
    import tempfile

    from . import resources

    output, cases = config.output_dir.resolve(), config.cases_dir.resolve()
    if output == config.root or output.is_relative_to(cases) or cases.is_relative_to(output):
        return "mélangerait les documents et les dossiers des ménages"
    root = config.root.resolve()
    if output.is_relative_to(root) and ".git" in output.relative_to(root).parts:
        return "est dans le dossier .git du dépôt : astre y écrirait et y supprimerait des fichiers de l'historique"
    system = {Path(p).resolve() for p in SYSTEM_FOLDERS}
    system |= {Path.home().resolve(), Path(tempfile.gettempdir()).resolve()}
    if output in system or any(output.is_relative_to(Path(p).resolve()) for p in SYSTEM_TREES):
        return "est un dossier du système : astre y écrirait et y supprimerait des fichiers"
    # The toolkit's own folders (installed package, or schemas/, forms/, templates/ of its clone).
    own = [resources.default_dir(kind) for kind in resources.KINDS]
    own.append(Path(__file__).resolve().parents[1])  # the package generator/
    if any(output.is_relative_to(folder.resolve()) for folder in own):
        return ("est un dossier de l'outil astre (schémas, documents, modèles, barèmes ou programme) : "
                "les documents s'y mêleraient à ses définitions")
    return None
