"""The case model: a folder `cases/<id>/` of YAML files, one per concern."""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..commands import command
from ..errors import Problem, UsageError, YamlError, os_reason
from .loader import Document, is_inside, load, refuse_outside
from .resources import Resources
from .validate import INCOMPLETE

# File name (without .yaml) -> required? Optional files may be absent or empty.
CASE_FILES: dict[str, bool] = {
    "mesure": True, "menage": True, "logement": True, "travaux": False, "financement": False,
    "suivi": False, "contrat": False, "diagnostics": False, "bilans": False, "sortie": False, "envois": False,
}
CASE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
# The line that tells the editor (yaml-language-server) which schema checks a file.
SCHEMA_LINE = re.compile(r"^#\s*yaml-language-server:\s*\$schema=(\S+)", re.MULTILINE)


@dataclass
class Case:
    """One accompaniment measure, loaded; `problems` holds what is wrong in its files."""

    id: str
    folder: Path
    documents: dict[str, Document] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    # Draft mode of `astre check` (the commit hook): « not filled in yet » problems set aside.
    pending: int = 0
    # {file name: (line, target)} of each file's `# yaml-language-server: $schema=target` line.
    schema_lines: dict[str, tuple[int, str]] = field(default_factory=dict)

    def get(self, name: str) -> dict[str, Any]:
        """Return the data of one case file, or {} when absent or empty."""
        doc = self.documents.get(name)
        return doc.data if doc is not None and isinstance(doc.data, dict) else {}

    @property
    def valid(self) -> bool:
        """True when every file loaded and matched its schema."""
        return not any(p.severity == "erreur" for p in self.problems)

    def restricted(self, names: tuple[str, ...]) -> Case:
        """Return the same case seeing only the files `names` (what one document may show)."""
        return Case(self.id, self.folder, {n: d for n, d in self.documents.items() if n in names}, self.problems)

    def locate(self, name: str, where: tuple = (), key: str | None = None) -> tuple[Path, int | None, int | None]:
        """Return (file, line, column) of a value, for rule problems."""
        doc = self.documents.get(name)
        path = self.folder / f"{name}.yaml"
        if doc is None:
            return path, None, None
        return (path, *doc.locate(where, key))


def check_id(case_id: str) -> str:
    """Return `case_id` if it is a safe folder name, else raise UsageError."""
    if not CASE_ID.fullmatch(case_id):  # fullmatch: `$` would accept a trailing newline
        raise UsageError(
            f"identifiant de dossier invalide « {case_id!r} »"[:200]
            + " : utilisez 1 à 64 caractères parmi a-z, 0-9 et « - », en commençant par une lettre ou un chiffre "
              "(par exemple « dupont-2026 »)")
    return case_id


def load_case(sources: Resources, folder: Path) -> Case:
    """Load and validate every file of one case folder; never raises on bad content."""
    from .validate import validate

    case = Case(folder.name, folder)
    if not is_inside(folder, folder.parent) or folder.resolve().name != folder.name and folder.is_symlink():
        case.problems.append(Problem(folder, None, None, "dossier lien vers un autre dossier (d'un autre ménage ou "
                                     "hors du dépôt) : refusé, ses documents montreraient les données d'un autre "
                                     "dossier", "remplacez le lien par un vrai dossier, propre à ce ménage",
                                     code="fichier"))
        return case
    try:
        present = {child.name for child in folder.iterdir()}  # one listing instead of ten stat calls
    except OSError as e:
        case.problems.append(Problem(folder, None, None, f"dossier illisible ({os_reason(e)})",
                                     "vérifiez les droits de lecture sur ce dossier", code="fichier"))
        return case
    for name, required in CASE_FILES.items():
        path = folder / f"{name}.yaml"
        if path.name not in present:
            if required:
                case.problems.append(Problem(path, 1, 1, "fichier obligatoire manquant",
                                             "recréez-le à partir d'un dossier neuf "
                                             f"(« {command('new', '<identifiant>')} ») ou copiez {name}.yaml "
                                             "d'un autre dossier et adaptez-le", code="fichier"))
            continue
        try:
            doc = load(path)  # first: a link to a pipe or a device is said as such
            refuse_outside(path, folder)
        except YamlError as e:
            case.problems.append(e.problem)
            continue
        found = SCHEMA_LINE.search(doc.text)
        if found is not None:
            case.schema_lines[name] = (doc.text.count("\n", 0, found.start()) + 1, found.group(1))
        if doc.data is None:
            if required:
                case.problems.append(Problem(path, 1, 1, "fichier vide",
                                             "retirez le « # » devant les champs marqués « obligatoire » et "
                                             "remplissez-les",
                                             code=INCOMPLETE))
            continue
        if not isinstance(doc.data, dict):
            line, column = doc.locate(())
            hint = ("retirez le « - » en début de ligne : ce fichier n'est pas une liste"
                    if isinstance(doc.data, list) else "écrivez une ligne « champ: valeur » par champ")
            case.problems.append(Problem(path, line, column,
                                         "le fichier doit être une suite de champs « nom: valeur »", hint,
                                         code="fichier"))
            continue
        case.documents[name] = doc
        case.problems.extend(validate(sources, doc, name))
    case.problems.extend(_stray_files(folder, sorted(present)))
    mesure = case.get("mesure")
    if mesure.get("identifiant") not in (None, case.id) and isinstance(mesure.get("identifiant"), str):
        path, line, column = case.locate("mesure", ("identifiant",))
        case.problems.append(Problem(path, line, column,
                                     f"identifiant « {mesure['identifiant']} » différent du nom du dossier "
                                     f"« {case.id} »", f"écrivez « identifiant: {case.id} » ou renommez le dossier",
                                     code="identifiant"))
    return case


def _stray_files(folder: Path, names: list[str]) -> list[Problem]:
    problems = []
    for path in (folder / name for name in names):
        stem, suffix = path.stem, path.suffix
        if suffix in (".yaml", ".yml") and not path.name.startswith(".") and stem not in CASE_FILES or suffix == ".yml":
            close = difflib.get_close_matches(stem, list(CASE_FILES), n=1, cutoff=0.6)
            hint = (f"renommez-le « {close[0]}.yaml »" if close else
                    "fichiers reconnus : " + ", ".join(f"{n}.yaml" for n in CASE_FILES))
            problems.append(Problem(path, 1, 1, "fichier non reconnu, ignoré", hint,
                                    severity="avertissement", code="fichier"))
    return problems


def is_case_folder(path: Path) -> bool:
    """True when `path` looks like a case folder (holds at least one case file)."""
    return path.is_dir() and any((path / f"{name}.yaml").exists() for name in CASE_FILES)


def find_case_folders(paths: list[Path], cases_dir: Path) -> list[Path]:
    """Expand command-line paths (cases dir, case folders, case files) into case folders."""
    found: dict[Path, None] = {}
    cases_root = cases_dir.resolve()
    for path in paths or [cases_dir]:
        if not path.exists():
            raise UsageError(f"{path} : chemin introuvable (vérifiez l'orthographe)")
        in_cases = path.resolve().parent == cases_root
        if not path.is_dir():  # a file, or a pipe or device named like one: load() refuses those, located
            if not (is_case_folder(path.parent) or path.parent.resolve().parent == cases_root):
                raise UsageError(f"{path} : ce n'est pas un fichier de dossier — indiquez un dossier de "
                                 f"{cases_dir} ou l'un de ses fichiers")
            found[path.parent] = None
        elif is_case_folder(path) or in_cases:
            found[path] = None  # a case, even an empty one: its missing files are reported
        else:
            try:
                children = sorted(path.iterdir())
            except OSError as e:
                raise UsageError(f"{path} : dossier illisible ({os_reason(e)})") from None
            for child in children:
                if child.is_dir() and not child.name.startswith((".", "_")) and _utf8_name(child):
                    found[child] = None
    return list(found)


def _utf8_name(folder: Path) -> bool:
    """True when the folder's name is valid UTF-8; else say it is skipped (its documents could not be named)."""
    try:
        folder.name.encode("utf-8")
    except UnicodeEncodeError:
        import sys

        shown = os.fsencode(folder).decode("utf-8", "backslashreplace")
        print(f"{shown} : avertissement : nom de dossier illisible (pas en UTF-8), dossier ignoré — renommez-le "
              "avec des lettres a-z, des chiffres et « - » (par exemple « dupont-2026 »)", file=sys.stderr)
        return False
    return True
