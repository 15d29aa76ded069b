"""`astre check`: load every case, validate it, apply the programme's rules."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import date
from itertools import repeat
from pathlib import Path

from . import glyphs
from .cases import CASE_ID, Case, find_case_folders, load_case
from .config import Config
from .errors import Problem
from .french import plural
from .rules import check_rules


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
    def warnings(self) -> int:
        """Number of warnings."""
        return sum(p.severity == "avertissement" for p in self.problems)


def check_case(folder: Path, config: Config, today: date) -> Case:
    """Load one case and add its rule problems when its files are valid."""
    case = load_case(folder)
    if not CASE_ID.fullmatch(folder.name):
        case.problems.insert(0, Problem(folder, None, None, f"nom de dossier invalide « {folder.name} »",
                                        "renommez le dossier : minuscules, chiffres et tirets, "
                                        "par exemple « dupont-2026 »", code="identifiant"))
    case.problems.extend(glyphs.problems(case))
    if case.valid:
        from . import transmission

        case.problems.extend(check_rules(case, config.programme, today))
        case.problems.extend(transmission.problems(case, config, today))
    return case


# Below this many cases, starting worker processes costs more than it saves.
PARALLEL_FROM = 200


def check(config: Config, paths: list[Path], today: date, *, keep_documents: bool = False,
          jobs: int | None = None) -> CheckResult:
    """Check the cases named by `paths` (default: the whole cases folder).

    Many cases are checked in `jobs` worker processes (default: one per CPU);
    those come back with their problems only, unless `keep_documents` is set.
    The order of the cases, hence of the report, is the same either way.
    """
    folders = find_case_folders(paths, config.cases_dir)
    workers = jobs if jobs is not None else _cpus()
    if keep_documents or workers < 2 or len(folders) < PARALLEL_FROM:
        return CheckResult([check_case(folder, config, today) for folder in folders])
    from concurrent.futures import ProcessPoolExecutor

    from .validate import _fast_checks

    _fast_checks()  # compiled once here, inherited by forked workers
    chunk = max(1, len(folders) // (workers * 4))
    with ProcessPoolExecutor(workers) as pool:
        found = list(pool.map(_problems_of, folders, repeat(config), repeat(today), chunksize=chunk))
    return CheckResult([Case(folder.name, folder, problems=problems)
                        for folder, problems in zip(folders, found, strict=True)])


def _problems_of(folder: Path, config: Config, today: date) -> list[Problem]:
    return check_case(folder, config, today).problems


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return os.cpu_count() or 1


def relative(path: Path, root: Path) -> str:
    """Show paths relative to the project when possible (shorter, clickable in VS Code)."""
    try:
        return str(path.resolve().relative_to(root))
    except ValueError:
        return str(path)


def format_text(result: CheckResult, root: Path) -> str:
    """Return the French report: one line per problem, then a summary."""
    lines = []
    for p in result.problems:
        lines.append(Problem(Path(relative(p.path, root)), p.line, p.column, p.message, p.hint, p.severity).format())
    n = len(result.cases)
    summary = (f"{n} dossier{plural(n)} vérifié{plural(n)} : {result.errors} erreur{plural(result.errors)}, "
               f"{result.warnings} avertissement{plural(result.warnings)}")
    lines.append(summary if lines else summary + " — tout est en ordre")
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
