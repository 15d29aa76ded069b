"""What the pages show, gathered from astre's own stages (never re-derived here).

The list of cases: `astre status`'s obligations (model.obligations.due_items). A case's
messages: `astre check` (checking.check.check_case). A document's readiness:
`astre check --for` (documents.forms.check_form). A document: `astre build` of one case
and one form, in this process. A sending: a new element of envois.yaml, then the build
that keeps the copy sent (documents.archive), as with the command line.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from ..checking.check import check_case
from ..errors import Problem
from ..model.deadlines import DueItem, is_shown
from ..model.obligations import due_items
from ..reading.cases import Case, find_case_folders
from ..reading.config import Config, config_digest


@dataclass
class CaseRow:
    """One line of the list of cases."""

    id: str
    designation: str
    referent: str
    status: str
    valid: bool
    errors: int
    due: list[DueItem] = field(default_factory=list)


# Each case's row, kept while its files, the output folder's manifest, the definitions and the day
# are the same: the list is drawn at each visit, a case is checked again only once it changed.
_ROWS: dict[Path, tuple[tuple[Any, ...], CaseRow]] = {}
ROWS_KEPT = 5000


def case_rows(config: Config, today: date, query: str = "") -> list[CaseRow]:
    """Return every case with its state and what is due or late, filtered by `query` (id, household, référent)."""
    from ..documents.writer import MANIFEST_NAME

    rows = []
    wanted = query.strip().lower()
    # What every row depends on besides its own files: the day, the configuration, the forms, the last build.
    shared = (today, config_digest(config), config.resources.stamp("forms", "*.yaml"),
              _file_stamp(config.output_dir / MANIFEST_NAME))
    for folder in find_case_folders([], config.cases_dir):
        stamp = (shared, _stamp(folder))
        kept = _ROWS.get(folder)
        if kept is None or kept[0] != stamp:
            if len(_ROWS) >= ROWS_KEPT:
                _ROWS.clear()
            kept = _ROWS[folder] = (stamp, _row(folder, config, today))
        row = kept[1]
        if wanted and wanted not in " ".join((row.id, row.designation, row.referent)).lower():
            continue
        rows.append(row)
    return rows


def _row(folder: Path, config: Config, today: date) -> CaseRow:
    from ..model.wording import labels

    status_labels = labels(config.resources).get("statut_mesure", {})
    case = check_case(folder, config, today)
    mesure, menage = case.get("mesure"), case.get("menage")
    row = CaseRow(case.id, str(menage.get("designation") or ""), str(mesure.get("referent") or ""),
                  status_labels.get(str(mesure.get("statut")), str(mesure.get("statut") or "—")), case.valid,
                  sum(p.severity == "erreur" for p in case.problems))
    if case.valid:
        row.due = [i for i in due_items(config.resources, case, config.programme, today)
                   if is_shown(i, today, config.programme.horizon_days)]
    return row


def _file_stamp(path: Path) -> tuple[int, int] | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return info.st_mtime_ns, info.st_size


def _stamp(folder: Path) -> tuple[tuple[str, str, int, int], ...]:
    """A case's files and kept copies, as their stat says (a row is drawn again once one changed)."""
    seen: list[tuple[str, str, int, int]] = []
    for where in (folder, folder / "envoyes"):
        try:
            with os.scandir(where) as entries:
                for entry in entries:
                    info = entry.stat(follow_symlinks=False)
                    seen.append((where.name, entry.name, info.st_mtime_ns, info.st_size))
        except OSError:
            continue
    return tuple(sorted(seen))


@dataclass
class DocumentState:
    """One form of a case: ready or not, what is missing, the files built."""

    form_id: str
    title: str
    ready: bool
    missing: list[str]
    outputs: list[str]  # names in out/<case>/ (without extension) that exist
    expected: list[str]  # names the form makes for this case


def documents(case: Case, config: Config) -> list[DocumentState]:
    """Return each document's readiness (the verdicts of `astre check --for`) and its built files."""
    from ..documents.forms import check_form
    from ..reading.forms import load_forms

    found = []
    out = config.output_dir / case.id
    for form in load_forms(config.resources):
        view = case.restricted(form.files)
        missing = [p.message.removeprefix(f"{form.title} : ") for p in check_form(view, form)] if case.valid else [
            "le dossier contient des erreurs : corrigez-les d'abord (voir les messages des fichiers)"]
        names = [name for name, _ in form.documents(view)]
        found.append(DocumentState(form.id, form.title, case.valid and not missing, missing,
                                   [n for n in names if (out / f"{n}.pdf").is_file()], names))
    return found


def build_document(config: Config, folder: Path, form_id: str, today: date) -> Any:
    """Build one form of one case (in this process); return astre build's summary."""
    from ..engine.build import build

    return build(config, [folder], forms=[form_id], jobs=1, today=today)


def problems_by_file(case: Case) -> dict[str, list[Problem]]:
    """Return the problems of a case by case file name (« » for those of no file)."""
    found: dict[str, list[Problem]] = {}
    for problem in case.problems:
        path = Path(problem.path)
        name = path.stem if path.suffix == ".yaml" and path.parent == case.folder else ""
        found.setdefault(name, []).append(problem)
    return found


def record_sending(config: Config, folder: Path, document: str, day: str, recipients: list[str],
                   today: date) -> list[str]:
    """Add a sending to envois.yaml, then build its document so that the copy sent is kept; return the copies kept.

    Raises SendingError when the document, the date or the recipients are not acceptable.
    """
    from ..errors import SendingError
    from ..reading.cases import load_case
    from ..reading.forms import load_forms
    from ..reading.loader import load_text, read_text
    from ..scaffold.editor import schemas_dir
    from ..scaffold.scaffold import skeleton
    from .yamlsave import check_text, is_blocking, render, write_checked

    case = load_case(config.resources, folder)
    form_id = next((f.id for f in load_forms(config.resources) if document in (name for name,
                                                                               _ in f.documents(case))), None)
    if form_id is None:
        raise SendingError(f"document « {document} » inconnu pour ce dossier : choisissez-en un de la liste")
    if not recipients:
        raise SendingError("cochez au moins un destinataire")
    path = folder / "envois.yaml"
    current = read_text(path) if path.exists() else skeleton(config.resources, "envois", folder, schemas_dir(config))
    data = load_text(path, current).data
    new = dict(data) if isinstance(data, dict) else {}
    new["envois"] = [*(new.get("envois") or []), {"document": document, "date": day, "destinataires": recipients}]
    text = render(path, current, new)
    problems = [p for p in check_text(config.resources, path, text, "envois") if is_blocking(p)]
    if problems:
        raise SendingError("envoi non enregistré : " + " ; ".join(p.message for p in problems))
    write_checked(config.resources, path, text, "envois")
    summary = build_document(config, folder, form_id, today)
    if not summary.ok:
        raise SendingError("envoi enregistré dans envois.yaml, mais le document n'a pas pu être construit : "
                           + " ; ".join(why for _, why in summary.failed))
    return [f"{p.with_suffix('')}.pdf" for p in summary.kept]

