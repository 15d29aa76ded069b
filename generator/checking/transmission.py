"""The transmission record: which document was sent, when, to whom, and whether on time.

The sendings come from envois.yaml (and the older per-document fields, see
generator.model.measure.sendings); the delays from astre.yaml;
the recipients from `programme.destinataires`; what is owed and by when from
generator.model.obligations. `astre check` reports what is wrong or late here.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..documents.forms import document_date
from ..errors import Problem, RenderError
from ..model.measure import Sending, recipients_of, sendings
from ..model.obligations import Obligation, obligations
from ..model.wording import plural, short_day
from ..reading.cases import Case
from ..reading.config import Config
from ..reading.forms import load_form, load_forms

if TYPE_CHECKING:
    from ..documents.archive import Verdicts


@dataclass(frozen=True)
class Transmission:
    """One document of a case, its date, the last day to send it, and its sendings."""

    name: str  # as in out/<case>/: contrat, bilan-intermediaire-3-mois…
    form: str
    title: str
    day: date
    due: date | None
    sent: list[Sending] = field(default_factory=list)

    def state(self, today: date) -> str:
        """Return « a_temps », « en_retard », « non_envoye » (due passed) or « a_envoyer »."""
        if self.sent:
            return "en_retard" if self.due is not None and self.sent[0].day > self.due else "a_temps"
        return "non_envoye" if self.due is not None and today > self.due else "a_envoyer"


def transmissions(case: Case, config: Config, sent: dict[str, list[Sending]] | None = None,
                  owed: list[Obligation] | None = None) -> list[Transmission]:
    """Return every document the case's data defines (dated), with its sendings (`sent`, `owed`: already known)."""
    sent = sendings(config.resources, case, config.programme) if sent is None else sent
    owed = obligations(config.resources, case, config.programme) if owed is None else owed
    due = {o.document: o.due for o in owed}
    found = []
    for form in load_forms(config.resources):
        view = case.restricted(form.files)
        for name, item in form.documents(view):
            try:
                day = document_date(form, view, item)
            except RenderError:
                continue  # not dated yet: not a document yet
            found.append(Transmission(name, form.id, form.title, day, due.get(name), sent.get(name, [])))
    return found


def problems(case: Case, config: Config, today: date, verdicts: Verdicts | None = None) -> list[Problem]:
    """Return the located problems of the case's sendings (unknown document, impossible date, late…).

    `verdicts`: what earlier checks found, reused and completed (see archive.Verdicts).
    """
    out: list[Problem] = []

    def add(sending: Sending, message: str, hint: str, severity: str = "avertissement") -> None:
        path, line, column = case.locate(sending.file, sending.where)
        out.append(Problem(path, line, column, message, hint, severity=severity, code="envoi"))

    from ..documents.archive import problems as archive_problems
    from ..documents.archive import seen_by_build
    from ..documents.ledger import case_sendings

    sent = case_sendings(config.resources, case, config.programme)
    owed = obligations(config.resources, case, config.programme)
    documents = {t.name: t for t in transmissions(case, config, sent.by_document, owed)}
    _register(case, documents, out)
    read: dict[Path, Any] = {}  # the kept records, parsed once for both
    out += archive_problems(case.folder, sent.by_document, case.locate, read, verdicts,
                            seen_by_build(config.output_dir, case.id), sent.committed)
    out += _changed_since_sent(case, config, documents, read, verdicts)
    for document in documents.values():
        for sending in document.sent:
            if sending.day < document.day:
                add(sending, f"{document.name} envoyé le {short_day(sending.day)}, avant sa date "
                    f"({short_day(document.day)})", "corrigez la date d'envoi ou la date du document",
                    severity="erreur")
            owed_to = recipients_of(config.resources, document.name, config.programme)
            missing = [r for r in owed_to if r not in sending.recipients]
            if missing and sending.file == "envois":
                add(sending, f"{document.name} envoyé le {short_day(sending.day)} sans : {', '.join(missing)}",
                    "le programme prévoit ces destinataires (programme.destinataires dans astre.yaml) : envoyez-le "
                    "aussi, puis ajoutez-les à « destinataires »")
    for due in owed:
        if due.state(today) == "en_retard":
            first = sent.by_document[due.document][0]
            late = (first.day - due.due).days
            add(first, f"{due.document} envoyé le {short_day(first.day)}, {late} jour{plural(late)} après la "
                f"limite du {short_day(due.due)}", "un envoi en retard est signalé dans l'état de financement ; "
                f"expliquez-le au {config.programme.service_short} si besoin")
    return out


def _register(case: Case, documents: dict[str, Transmission], out: list[Problem]) -> None:
    """envois.yaml itself: each entry names a document of this case, once per day."""
    seen: dict[tuple[str, Any], int] = {}
    for index, entry in enumerate(case.get("envois").get("envois", [])):
        name, day = entry.get("document"), entry.get("date")
        if name not in documents:
            path, line, column = case.locate("envois", ("envois", index, "document"))
            known = ", ".join(sorted(documents)) or "aucun (le dossier n'a pas encore de document daté)"
            out.append(Problem(path, line, column, f"document inconnu « {name} » pour ce dossier",
                               f"documents du dossier : {known}", code="envoi"))
        if (name, day) in seen:
            path, line, column = case.locate("envois", ("envois", index))
            out.append(Problem(path, line, column, f"deux envois de « {name} » le même jour ({day})",
                               f"gardez un seul envoi (voir l'envoi n° {seen[(name, day)] + 1}) et réunissez "
                               "ses destinataires", code="envoi"))
        seen[(name, day)] = index


def _changed_since_sent(case: Case, config: Config, documents: dict[str, Transmission],
                        read: dict[Path, Any] | None = None, verdicts: Verdicts | None = None) -> list[Problem]:
    """Warn, located at the sending, when the data a sent document shows changed since it was sent."""
    from ..documents.archive import changed_message, fingerprint, record_of, stem
    from ..model.measure import as_of

    out: list[Problem] = []
    if not (case.folder / "envoyes").is_dir():
        return out  # nothing kept yet, so nothing to compare
    contexts: dict[tuple[tuple[str, ...], date], dict[str, Any]] = {}  # shared by the documents of a date
    texts: dict[str, str] = {}  # digest of each case file's text
    for document in documents.values():
        if not document.sent:
            continue
        sending = document.sent[-1]
        form = load_form(config.resources, document.form)
        view = case.restricted(form.files)
        # Same kept files (by their stat) and same case files (by their text) as an earlier check: its verdict.
        seal = None if verdicts is None else verdicts.seal(stem(case.folder, document.name, sending))
        quick = None if verdicts is None or seal is None else verdicts.key(
            "compare", seal, document.name, *(f"{n}:{_text_digest(view, n, texts)}" for n in sorted(view.documents)))
        changed = None if verdicts is None or quick is None else verdicts.recall(quick)
        if changed is None:
            record = record_of(case.folder, document.name, sending, read)
            if record is None:
                continue
            data = fingerprint(as_of(view, document.day))
            if record.get("donnees_sha256") == data:
                changed = []  # nothing the document shows has changed: no need to draw it again
            else:
                changed = _compare(view, form, config, document.name, record, data, contexts, verdicts,
                                   stem(case.folder, document.name, sending).with_suffix(".json"))
                if changed is None:
                    continue
        if verdicts is not None and quick is not None:
            verdicts.remember(quick, changed)
        if changed:
            path, line, column = case.locate(sending.file, sending.where)
            out.append(Problem(path, line, column, changed_message(document.name, sending, changed),
                               "le document envoyé reste tel quel dans envoyes/ et dans out/", severity="avertissement",
                               code="envoi"))
    return out


def _text_digest(view: Case, name: str, texts: dict[str, str]) -> str:
    if name not in texts:
        texts[name] = hashlib.sha256(view.documents[name].text.encode()).hexdigest()
    return texts[name]


def _compare(view: Case, form: Any, config: Config, name: str, record: dict[str, Any], data: str,
             contexts: dict[tuple[tuple[str, ...], date], dict[str, Any]], verdicts: Verdicts | None,
             path: Path) -> list[str] | None:
    """Return the values of the sent document that changed (None: not a document of the case any more)."""
    from ..documents.archive import changed_values, shown
    from ..documents.values import document_values  # the context and Babel: only when a sent copy is compared

    key = None if verdicts is None else verdicts.record_key(path, data)
    changed = None if verdicts is None or key is None else verdicts.recall(key)
    if changed is None:
        values = next((v for _, v, _, _ in document_values(view, form, config, contexts, only=name)), None)
        if values is None:
            return None
        changed = changed_values(record.get("valeurs"), shown(values))
    if verdicts is not None and key is not None:
        verdicts.remember(key, changed)
    return changed
