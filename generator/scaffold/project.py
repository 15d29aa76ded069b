"""`astre init` and `astre upgrade`: a structure's own repository, as MkDocs has `mkdocs new`.

A structure's repository holds its configuration (astre.yaml) and its content (cases/),
plus what makes it work day to day: a Makefile that installs the pinned version of
astre, pre-commit and VS Code settings, the editor's copy of the schemas, a short
README. Nothing of the toolkit's own examples or configuration is in it, so an upgrade
can never conflict with the structure's files. The scaffold ships as package data
(generator/data/structure/).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from importlib import metadata
from importlib import resources as importlib_resources
from pathlib import Path, PureWindowsPath
from urllib.parse import unquote, urlparse

from .. import __version__
from ..documents.writer import write_atomic
from ..errors import OutputError, UsageError, YamlError, os_reason
from ..reading.config import SCAFFOLD_NAME
from ..reading.loader import is_inside, read_bounded

# What `astre init` writes, from generator/data/structure/ (name there -> name in the repository).
SCAFFOLD = {
    "astre.yaml": "astre.yaml",
    "Makefile": "Makefile",
    "gitignore": ".gitignore",
    "pre-commit-config.yaml": ".pre-commit-config.yaml",
    "README.md": "README.md",
    ".vscode/settings.json": ".vscode/settings.json",
    ".vscode/extensions.json": ".vscode/extensions.json",
}
EXAMPLE = "lefebvre-2026"  # the example case copied by `astre init --exemple`
_MODELINE = re.compile(r"^# yaml-language-server: \$schema=\S*?([\w.-]+\.schema\.json)$", re.MULTILINE)
_REV = re.compile(r"^([ \t]*rev:[ \t]*)v?[\w.+-]+([ \t]*\r?)$", re.MULTILINE)  # \r: CRLF files stay so
HOOKS_MAX_BYTES = 1024 * 1024


@dataclass
class Created:
    """What `astre init` did: files written, and files it left as they were."""

    root: Path
    written: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def installed_source() -> tuple[str | None, str | None]:
    """Return (pip source, git repository) of the running astre, from pip's record of its install.

    pip writes direct_url.json (PEP 610) for an install from a git URL, a folder or a wheel
    file: the structure's Makefile installs the same way, at its pinned version.
    """
    try:
        text = metadata.distribution("astre").read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        return None, None
    if not text:
        return None, None
    record = json.loads(text)
    url = record.get("url", "")
    if "vcs_info" in record:
        return f"git+{url}@v$(ASTRE_VERSION)", url
    if url.startswith("file://"):
        path = Path(unquote(urlparse(url).path))
        if path.suffix == ".whl":
            return str(path).replace(__version__, "$(ASTRE_VERSION)"), None
        if (path / ".git").exists():
            return f"git+file://{path}@v$(ASTRE_VERSION)", str(path)
    return None, None


def init(target: Path, *, name: str | None = None, depot: str | None = None, source: str | None = None,
         example: bool = False, existing: bool = False, version: str | None = None) -> Created:
    """Create a structure's repository in `target`; never overwrite a file."""
    if version is not None and version.removeprefix("v") != __version__:
        known = "" if re.fullmatch(r"v?\d+\.\d+\.\d+", version) else " (une version s'écrit 0.2.0)"
        raise UsageError(f"version « {version} » inconnue de cet astre{known} : astre {__version__} crée un dépôt "
                         f"en version {__version__} ; pour une autre version, installez-la puis relancez "
                         "« astre init »")
    if target.is_symlink() and not target.exists():
        raise UsageError(f"{target} est un lien vers un dossier qui n'existe pas : indiquez un vrai dossier "
                         "(nouveau ou vide)")
    if target.exists() and not target.is_dir():
        raise UsageError(f"{target} est un fichier : indiquez un dossier (nouveau ou vide)")
    if target.is_dir() and any(target.iterdir()) and not existing:
        raise UsageError(f"{target} n'est pas vide : choisissez un dossier vide, ou ajoutez "
                         "« --dossier-existant » pour compléter ce dossier (aucun fichier existant n'est remplacé)")
    source, depot, warnings = _shared_source(source, depot)
    structure = name or SCAFFOLD_NAME
    values = {"@@VERSION@@": __version__, "@@SOURCE@@": source,
              # A JSON string is a YAML double-quoted scalar: « " » and « \\ » stay text, astre reads it back.
              '"@@NOM@@"': json.dumps(structure, ensure_ascii=False),
              "@@NOM@@": " ".join(structure.split()),  # the README's title: one line
              "@@DEPOT@@": depot, "@@DEPOT_LIEN@@": depot}
    created = Created(target, warnings=warnings)
    try:
        _fill(created, target, values, example)
    except OSError as e:
        raise OutputError(f"impossible de créer le dépôt dans {target} : {os_reason(e)}"
                          + (f" ({e.filename})" if e.filename else "")) from None
    return created


def _fill(created: Created, target: Path, values: dict[str, str], example: bool) -> None:
    """Create every missing file of the scaffold in `target`, keeping every existing one as it is."""
    target.mkdir(parents=True, exist_ok=True)
    scaffold = Path(str(importlib_resources.files("generator.data"))) / "structure"
    for source_name, name_in_repo in SCAFFOLD.items():
        text = (scaffold / source_name).read_text(encoding="utf-8")
        for token, value in values.items():
            text = text.replace(token, value)
        _create(created, target / name_in_repo, text.encode("utf-8"))
    # One secret for the whole structure, committed: every référent's export gives the same pseudonyms.
    from ..followup.export import SALT_FILE, new_salt

    _create(created, target / SALT_FILE, new_salt())
    cases = target / "cases"
    if example:
        _copy_example(created, cases)
    else:
        _create(created, cases / ".gitkeep", b"")
    from ..reading.resources import Resources
    from .editor import EDITOR_DIR, editor_schemas

    # Its astre.yaml may not be valid yet: its override folders are enough. Only the missing files are
    # written: `astre upgrade` refreshes them.
    for file_name, text in editor_schemas(Resources.of(target)).items():
        _create(created, target / EDITOR_DIR / file_name, text.encode("utf-8"))


def _is_local(location: str) -> bool:
    """Return True when `location` names a place on this computer: an absolute path or a file: URL."""
    plain = location.removeprefix("git+")
    return (plain.startswith(("file:", "~")) or Path(plain).is_absolute()
            or PureWindowsPath(plain).is_absolute() or bool(PureWindowsPath(plain).drive))


def _is_url(location: str) -> bool:
    """Return True for a git repository a colleague can clone: https, ssh or git URL."""
    return bool(re.match(r"(git\+)?(https?|ssh|git)://|[\w.-]+@[\w.-]+:", location))


_SOURCE_ADVICE = ("indiquez avec « --source » une source que chacun peut joindre : le dépôt git d'astre "
                  "(« git+https://…/astre.git@v$(ASTRE_VERSION) ») ou un fichier .whl rangé dans le dépôt de la "
                  f"structure (chemin relatif, par exemple « outils/astre-{__version__}-py3-none-any.whl »)")
_DEPOT_ADVICE = ("indiquez avec « --depot » l'adresse du dépôt git d'astre que chacun peut joindre "
                 f"(https://… ou ssh) : le contrôle pre-commit de la structure s'installe depuis là, à l'étiquette "
                 f"v{__version__}")


def _shared_source(source: str | None, depot: str | None) -> tuple[str, str, list[str]]:
    """Return the (source, depot) to record, each one a colleague who clones the repository can reach.

    What astre finds of its own installation is refused when it lies on this computer (a wheel
    in Downloads, a local clone): the Makefile and pre-commit would fail on a colleague's
    computer. What the person gives explicitly is kept, with a warning when it is local.
    """
    found_source, found_depot = installed_source()
    warnings, refused = [], []
    if source is None:
        if found_source is not None and _is_local(found_source):
            where = found_source.replace("$(ASTRE_VERSION)", __version__).removeprefix("git+")
            refused.append(f"astre a été installé depuis {where}, un chemin de cet ordinateur : le Makefile de la "
                           f"structure ne pourrait pas l'installer chez un collègue ; {_SOURCE_ADVICE}")
        elif found_source is None:
            refused.append(f"impossible de savoir d'où astre a été installé ; {_SOURCE_ADVICE}")
        source = found_source
    elif _is_local(source):
        warnings.append(f"la source « {source} » est un chemin de cet ordinateur : un collègue ne pourra pas "
                        f"installer astre depuis là ; {_SOURCE_ADVICE}")
    if depot is None:
        if found_depot is None or not _is_url(found_depot):
            refused.append(f"l'adresse du dépôt git d'astre est inconnue ou locale ; {_DEPOT_ADVICE}")
        depot = found_depot
    elif not _is_url(depot):
        warnings.append(f"le dépôt « {depot} » n'est pas une adresse https ou ssh : le contrôle pre-commit "
                        f"échouera chez un collègue qui n'y a pas accès ; {_DEPOT_ADVICE}")
    if refused or source is None or depot is None:
        raise UsageError("\n".join(refused))
    return source, depot, warnings


def _create(created: Created, path: Path, data: bytes) -> None:
    """Write `path` when nothing is there; else keep it. Never through a link out of the repository."""
    root = created.root
    if path.exists() or path.is_symlink():
        created.kept.append(path)
        return
    for folder in reversed(path.relative_to(root).parents):
        where = root / folder
        if where.is_symlink() and not is_inside(where, root):
            raise UsageError(f"{where} est un lien vers un dossier hors du dépôt : astre n'écrit pas au travers ; "
                             "remplacez-le par un vrai dossier, ou supprimez-le")
        if os.path.lexists(where) and not where.is_dir():
            raise UsageError(f"{where} est un fichier, là où astre crée un dossier : renommez-le ou supprimez-le, "
                             "puis relancez")
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, data)
    created.written.append(path)


# The lines recording a sending in the older fields of a case's files (envois.yaml is not copied).
_SENT = re.compile(r"^[ \t]*(?:date_envoi_spslh|date_signalement_spslh|date_signalement):.*\n", re.MULTILINE)


def _copy_example(created: Created, cases: Path) -> None:
    from ..reading.resources import example_cases

    examples = example_cases() / EXAMPLE
    for source in sorted((p for p in examples.iterdir() if p.name.endswith(".yaml")), key=lambda p: p.name):
        if source.name == "envois.yaml":
            continue
        text = source.read_text(encoding="utf-8")
        text = _MODELINE.sub(lambda m: f"# yaml-language-server: $schema=../../.astre/schemas/{m.group(1)}", text)
        # Without its sendings: the toolkit's demo association sent them, the new structure has sent
        # nothing (its first build would keep, as sent, documents with its own letterhead).
        text = _SENT.sub("", text)
        _create(created, cases / EXAMPLE / source.name, text.encode("utf-8"))


def upgrade(root: Path, *, expected: str | None = None, notes: list[str] | None = None) -> list[Path]:
    """Bring a structure's repository to the running version: editor schemas, pre-commit `rev`.

    Returns the files changed; `notes` receives, in French, what could not be updated (then
    the repository is not said to be up to date). `expected` is the version the Makefile
    pins: a mismatch means the installation failed silently, and is said.
    """
    from ..reading.resources import Resources
    from .editor import write_schemas

    if expected is not None and expected != __version__:
        raise UsageError(f"le Makefile demande astre {expected} mais astre {__version__} est installé : "
                         "supprimez le dossier .venv puis relancez « make docs »")
    notes = [] if notes is None else notes
    try:
        changed = write_schemas(Resources.of(root), root, notes)  # the schemas in force at `root`
        changed += _upgrade_hooks(root, notes)
    except OSError as e:
        raise OutputError(f"mise à jour impossible dans {root} : {os_reason(e)}"
                          + (f" ({e.filename})" if e.filename else "")) from None
    return changed


def _upgrade_hooks(root: Path, notes: list[str]) -> list[Path]:
    """Set the astre hook's `rev` in .pre-commit-config.yaml, keeping its line ends and its link, if any."""
    hooks = root / ".pre-commit-config.yaml"
    if not os.path.lexists(hooks):
        notes.append(f"{hooks.name} absent : version du crochet pre-commit non mise à jour")
        return []
    if not is_inside(hooks, root):
        notes.append(f"{hooks.name} est un lien hors du dépôt : astre n'écrit pas au travers, mettez « rev: "
                     f"v{__version__} » à la main")
        return []
    try:
        text = read_bounded(hooks, HOOKS_MAX_BYTES).decode("utf-8")
    except (YamlError, UnicodeDecodeError) as e:
        notes.append(f"{hooks.name} illisible ({e.problem.message if isinstance(e, YamlError) else 'pas en UTF-8'}) :"
                     " version du crochet pre-commit non mise à jour")
        return []
    # Only the astre hook's block: the line « rev: » that follows « - id: astre-check »'s repo.
    blocks = re.split(r"(?m)^(?=\s*- repo:)", text)
    found = False
    for index, block in enumerate(blocks):
        if "id: astre-check" in block and _REV.search(block):
            found = True
            blocks[index] = _REV.sub(lambda m: f"{m.group(1)}v{__version__}{m.group(2)}", block, count=1)
    if not found:
        notes.append(f"{hooks.name} : pas de crochet « astre-check » avec sa ligne « rev: » ; version non mise à jour")
        return []
    new = "".join(blocks)
    if new == text:
        return []
    write_atomic(hooks.resolve(), new.encode("utf-8"))  # through a link inside the repository: the link stays
    return [hooks]


def relative(paths: list[Path], root: Path) -> list[str]:
    """Return `paths` as shown to the user, relative to `root`."""
    return sorted(os.path.relpath(p, root) for p in paths)
