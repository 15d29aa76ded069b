"""Project configuration: `astre.yaml` at the root of a structure's repository."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from .errors import ConfigError, Problem, YamlError
from .loader import load

CONFIG_NAME = "astre.yaml"


@dataclass
class Config:
    """The validated content of astre.yaml, with paths resolved from its folder."""

    path: Path
    data: dict[str, Any]

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

    @property
    def programme(self) -> dict[str, Any]:
        """The programme's rules (durations, quotas, amounts), as data."""
        return self.data["programme"]

    @property
    def structure(self) -> dict[str, Any]:
        """Identity of the association carrying the measures."""
        return self.data["structure"]

    def period(self) -> tuple[date, date]:
        """Return the programme's operation period."""
        p = self.programme["periode"]
        return date.fromisoformat(p["debut"]), date.fromisoformat(p["fin"])


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
    from . import resources
    from .validate import validate

    path = path or find_config()
    resources.activate(path.parent)  # a structure may override the schema of astre.yaml too
    try:
        document = load(path)
    except YamlError as e:
        raise ConfigError(f"{path} est illisible", [e.problem]) from None
    if not isinstance(document.data, dict):
        raise ConfigError(f"{path} : la configuration doit être une suite de champs « nom: valeur »")
    problems = validate(document, "astre")
    if problems:
        raise ConfigError(f"{path} contient des erreurs", problems)
    config = Config(path.resolve(), document.data)
    refused = _output_dir_problem(config)
    if refused:
        line, column = document.locate(("output_dir",))
        raise ConfigError(f"{path} contient des erreurs", [Problem(
            path, line, column, f"output_dir « {config.data.get('output_dir', 'out')} » {refused}",
            "choisissez un dossier à part, par exemple « output_dir: out »", code="config")])
    resources.activate(config.root, config.templates_override)
    return config


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
    system = {Path(p).resolve() for p in SYSTEM_FOLDERS}
    system |= {Path.home().resolve(), Path(tempfile.gettempdir()).resolve()}
    if output in system or any(output.is_relative_to(Path(p).resolve()) for p in SYSTEM_TREES):
        return "est un dossier du système : astre y écrirait et y supprimerait des fichiers"
    # The toolkit's own folders (installed package, or schemas/, forms/, templates/ of its clone).
    own = [resources.default_dir(kind) for kind in resources.KINDS]
    own.append(Path(__file__).resolve().parent)
    if any(output.is_relative_to(folder.resolve()) for folder in own):
        return ("est un dossier de l'outil astre (schémas, documents, modèles, barèmes ou programme) : "
                "les documents s'y mêleraient à ses définitions")
    return None
