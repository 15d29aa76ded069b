"""`astre check`: load every case, validate it, apply the programme's rules."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from itertools import repeat
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..commands import command
from ..documents import glyphs
from ..errors import Problem
from ..model.rules import check_rules
from ..model.wording import counted, plural
from ..reading.cases import CASE_ID, Case, find_case_folders, load_case
from ..reading.config import Config, config_digest
from ..reading.loader import read_at_most
from ..reading.validate import INCOMPLETE

if TYPE_CHECKING:
    from ..documents.archive import Verdicts


@dataclass
class CheckResult:
    """Every case checked and every problem found."""

    cases: list[Case] = field(default_factory=list)

    @property
    def problems(self) -> list[Problem]:
        """All problems, case by case, in file order."""
        return [p for case in self.cases for p in case.problems]

    @property
    def errors(self) -> int:
        """Number of errors (exit code 1 when not zero)."""
        return sum(p.severity == "erreur" for p in self.problems)

    @property
    def pending(self) -> int:
        """Draft mode: number of « not filled in yet » problems set aside (they block no commit)."""
        return sum(case.pending for case in self.cases)

    @property
    def warnings(self) -> int:
        """Number of warnings."""
        return sum(p.severity == "avertissement" for p in self.problems)


def check_case(folder: Path, config: Config, today: date, verdicts: Verdicts | None = None, *,
               draft: bool = False) -> Case:
    """Load one case and add its rule problems when its files are valid (`verdicts`: see archive.Verdicts).

    In `draft` mode (the commit hook), what is not filled in yet is set aside (counted in `case.pending`):
    only what is written wrong remains, and a case still being filled is not judged by the
    programme's rules, which need it whole.
    """
    case = load_case(config.resources, folder)
    case.problems.extend(schema_line_problems(case, config))
    if draft:
        case.pending = sum(p.code == INCOMPLETE for p in case.problems)
        case.problems = [p for p in case.problems if p.code != INCOMPLETE]
    if not CASE_ID.fullmatch(folder.name):
        case.problems.insert(0, Problem(folder, None, None, f"nom de dossier invalide « {folder.name} »",
                                        "renommez le dossier : minuscules, chiffres et tirets, "
                                        "par exemple « dupont-2026 »", code="identifiant"))
    case.problems.extend(glyphs.problems(config.resources, case))
    if case.valid and not case.pending:
        from . import transmission

        case.problems.extend(check_rules(config.resources, case, config.programme, today))
        case.problems.extend(transmission.problems(case, config, today, verdicts))
    return case


def schema_line_problems(case: Case, config: Config) -> list[Problem]:
    """Warn about a `$schema` line that leads the editor nowhere, or to another file's schema.

    The editor then shows « Impossible de charger le schéma » on the whole file (the mapping of
    .vscode/settings.json does not apply to a file that names its schema), or checks it against
    the wrong file's rules, while astre checks it right: said here, with the line to write.
    """
    if not case.schema_lines:
        return []
    found = _editor_schemas(config)
    if found is None:
        return []  # no schema in the repository for the editor: `astre upgrade` writes them, not the case files
    schemas, present = found
    folder = os.path.abspath(case.folder)
    problems = []
    for name, (line, target) in case.schema_lines.items():
        wanted = f"{name}.schema.json"
        local = "://" not in target and not os.path.isabs(target)
        resolved = os.path.normpath(os.path.join(folder, target)) if local else ""
        if os.path.basename(resolved) == wanted and (
                (os.path.dirname(resolved) == schemas and wanted in present) or os.path.isfile(resolved)):
            continue  # paths only compared: no file system access for the usual line
        if local and os.path.basename(resolved) != wanted and resolved.endswith(".schema.json"):
            message = f"la ligne « $schema » désigne le schéma d'un autre fichier ({os.path.basename(resolved)})"
        elif not local:
            message = f"la ligne « $schema » désigne « {target} », hors du dépôt : l'éditeur ne le trouve pas ailleurs"
        else:
            message = f"la ligne « $schema » ne mène à aucun schéma (« {target} » introuvable)"
        fix = Path(os.path.relpath(os.path.join(schemas, wanted), folder)).as_posix()
        problems.append(Problem(case.folder / f"{name}.yaml", line, 1,
                                message + " : l'éditeur ne vérifie pas ce fichier comme astre",
                                f"remplacez-la par « # yaml-language-server: $schema={fix} »",
                                severity="avertissement", code="editeur"))
    return problems


def _editor_schemas(config: Config) -> tuple[str, frozenset[str]] | None:
    """Return (folder, its file names) of the schemas `$schema` lines should lead to, or None.

    The editor's copy (.astre/schemas/), else the toolkit's own schemas/ in its own repository.
    """
    from ..reading import resources

    folder = config.root / resources.EDITOR_DIR
    if not folder.is_dir():
        folder = config.resources.dirs("schemas")[0]
        if not folder.is_relative_to(config.root):
            return None
    path = os.path.normpath(folder.absolute())
    try:
        return path, _listing(path, os.stat(path).st_mtime_ns)
    except OSError:
        return None


@lru_cache(maxsize=4)
def _listing(folder: str, mtime_ns: int) -> frozenset[str]:
    """Return the names in `folder` (read again when it changes: `mtime_ns` is part of the key)."""
    return frozenset(os.listdir(folder))


# Below this many cases, starting worker processes costs more than it saves.
PARALLEL_FROM = 200


def check(config: Config, paths: list[Path], today: date, *, keep_documents: bool = False,
          jobs: int | None = None, draft: bool = False) -> CheckResult:
    """Check the cases named by `paths` (default: the whole cases folder).

    Many cases are checked in `jobs` worker processes (default: one per CPU);
    those come back with their problems only, unless `keep_documents` is set.
    The order of the cases, hence of the report, is the same either way.
    `draft`: see check_case (the commit hook's few staged cases are checked in this process).
    """
    folders = find_case_folders(paths, config.cases_dir)
    workers = jobs if jobs is not None else _cpus()
    verdicts = _read_verdicts(config)
    if keep_documents or draft or workers < 2 or len(folders) < PARALLEL_FROM:
        result = CheckResult([check_case(folder, config, today, verdicts, draft=draft) for folder in folders])
    else:
        from concurrent.futures import ProcessPoolExecutor

        from ..reading.validate import fast_checks

        fast_checks(config.resources)  # compiled once here, inherited by forked workers
        chunk = max(1, len(folders) // (workers * 4))
        with ProcessPoolExecutor(workers) as pool:
            found = list(pool.map(_problems_of, folders, repeat(config), repeat(today), repeat(verdicts),
                                  chunksize=chunk))
        for _, made, hashed in found:
            verdicts.found.update(made)
            verdicts.hashes_found.update(hashed)
        result = CheckResult([Case(folder.name, folder, problems=problems)
                              for folder, (problems, _, _) in zip(folders, found, strict=True)])
    _save_verdicts(config, verdicts, whole=not paths)
    return result


def _problems_of(folder: Path, config: Config, today: date, verdicts: Verdicts
                 ) -> tuple[list[Problem], dict[str, list[str]], dict[str, str]]:
    verdicts.found, verdicts.hashes_found = {}, {}  # this worker's copy: only what it used or made goes back
    return check_case(folder, config, today, verdicts).problems, verdicts.found, verdicts.hashes_found


# ---------------------------------------------------------------- verdicts kept between runs

# In the output folder, the only place astre writes to (never a case folder, never a watched one).
VERDICTS_NAME = ".astre-verdicts.json"
VERDICTS_FORMAT = 1
VERDICTS_MAX_BYTES = 64 * 1024 * 1024


def _drawing(config: Config) -> str:
    """Return a digest of what draws a document's values: astre's code and data, astre.yaml, forms and labels."""
    from .. import __version__

    package = Path(__file__).resolve().parents[1]  # the whole package generator/
    code = [(str(p.relative_to(package)), p.stat().st_mtime_ns, p.stat().st_size)
            for p in sorted(package.rglob("*")) if p.suffix in (".py", ".yaml", ".json") and p.is_file()]
    forms = [(str(p), mtime, size) for p, mtime, size in config.resources.stamp("forms", "*.yaml")]
    text = json.dumps([__version__, config_digest(config), code, forms], ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _read_verdicts(config: Config) -> Verdicts:
    """Return the verdicts of earlier runs (none when the file is absent, unreadable or odd: it lies in the project)."""
    from ..documents.archive import Verdicts

    verdicts = Verdicts(_drawing(config))
    try:
        data = json.loads(_read_cache(config.output_dir / VERDICTS_NAME))
    except (OSError, ValueError):
        return verdicts
    if not isinstance(data, dict) or data.get("format") != VERDICTS_FORMAT:
        return verdicts
    entries, hashes = data.get("verdicts"), data.get("empreintes")
    if isinstance(entries, dict):
        verdicts.known = {k: v for k, v in entries.items()
                          if isinstance(k, str) and isinstance(v, list) and all(isinstance(p, str) for p in v)}
    if isinstance(hashes, dict):
        verdicts.hashes_known = {k: v for k, v in hashes.items() if isinstance(k, str) and isinstance(v, str)}
    return verdicts


def _read_cache(path: Path) -> bytes:
    """Return the bytes of the verdicts file; a link, a pipe, a device or an oversized file is not read (OSError)."""
    info = os.lstat(path)
    if not stat.S_ISREG(info.st_mode) or info.st_size > VERDICTS_MAX_BYTES:
        raise OSError(f"{path} : pas un fichier ordinaire de taille raisonnable")
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)
                 | getattr(os, "O_BINARY", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(f"{path} : pas un fichier ordinaire")
        raw = read_at_most(fd, VERDICTS_MAX_BYTES)
    finally:
        os.close(fd)
    if len(raw) > VERDICTS_MAX_BYTES:
        raise OSError(f"{path} : trop gros")
    return raw


def _save_verdicts(config: Config, verdicts: Verdicts, *, whole: bool) -> None:
    """Keep this run's verdicts with the earlier ones; a failure is no problem.

    The earlier ones stay (a verdict reused whole hides the ones it was made of), until they
    outnumber this run's: after a check of every case, only this run's are kept then.
    """
    from ..documents.writer import write_atomic

    def merged(known: dict[str, Any], found: dict[str, Any]) -> dict[str, Any]:
        every = {**known, **found}
        return found if whole and len(every) > 2 * len(found) + 1000 else every

    kept, hashes = merged(verdicts.known, verdicts.found), merged(verdicts.hashes_known, verdicts.hashes_found)
    if kept == verdicts.known and hashes == verdicts.hashes_known:
        return
    try:
        config.output_dir.mkdir(parents=True, exist_ok=True)
        write_atomic(config.output_dir / VERDICTS_NAME, json.dumps({"format": VERDICTS_FORMAT, "verdicts": kept,
                                                         "empreintes": hashes}, ensure_ascii=False,
                                                        sort_keys=True).encode())
    except OSError:
        pass  # a read-only project is checked all the same, only slower the next time


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return os.cpu_count() or 1


def relative(path: Path, root: Path) -> str:
    """Show paths relative to the project when possible (shorter, clickable in VS Code)."""
    # The path as written first: a link is named as such, not as the file it leads to.
    try:
        return str(Path(os.path.abspath(path)).relative_to(root))
    except ValueError:
        pass
    try:
        return str(path.resolve().relative_to(root))
    except (ValueError, OSError, RuntimeError):  # RuntimeError: a link loop (Python < 3.13)
        return str(path)


def format_text(result: CheckResult, root: Path) -> str:
    """Return the French report: one line per problem, then a summary."""
    lines = []
    for p in result.problems:
        lines.append(Problem(Path(relative(p.path, root)), p.line, p.column, p.message, p.hint, p.severity).format())
    n = len(result.cases)
    summary = (f"{n} dossier{plural(n)} vérifié{plural(n)} : {result.errors} erreur{plural(result.errors)}, "
               f"{result.warnings} avertissement{plural(result.warnings)}")
    if result.pending:
        n = result.pending
        summary += (f" ; {counted(n, 'élément')} encore à remplir, non bloquant{plural(n)} pour un commit "
                    f"(« {command('check')} » {'les' if n > 1 else 'le'} liste)")
    lines.append(summary if lines or result.pending else summary + " — tout est en ordre")
    return "\n".join(lines)


def format_json(result: CheckResult, root: Path) -> str:
    """Return a machine-readable report."""
    return json.dumps({
        "dossiers": len(result.cases),
        "erreurs": result.errors,
        "avertissements": result.warnings,
        "problemes": [{"fichier": relative(p.path, root), "ligne": p.line, "colonne": p.column,
                       "gravite": p.severity, "code": p.code, "message": p.message, "conseil": p.hint}
                      for p in result.problems],
    }, ensure_ascii=False, indent=2)
