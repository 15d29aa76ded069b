"""`astre status`: what is due or overdue on every case, most urgent first.

Light on purpose (no WeasyPrint, no docxtpl): the référent runs it every morning.
The `.ics` export turns the same due items into all-day calendar events
(RFC 5545) that Outlook and Thunderbird import; it names the case id and the
action only: no address, phone or situation (the README advises ids without a
family name when the calendar is shared).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from ..checking.check import check_case
from ..commands import command
from ..model.deadlines import DueItem, is_shown
from ..model.obligations import due_items
from ..model.wording import short_day
from ..reading.cases import find_case_folders
from ..reading.config import DEFAULT_HORIZON_DAYS, Config

CALENDAR_EXAMPLE = "echeances.ics"


# Sendings shown in the « envoyés » list: those of the last days.
SENT_SHOWN_DAYS = 30


@dataclass(frozen=True)
class SentItem:
    """One document sent recently, with whether it was on time."""

    day: date
    case_id: str
    referent: str
    document: str
    recipients: str
    late: bool


@dataclass
class StatusResult:
    """Every pending item of the valid cases, what was sent lately, and the ids of the invalid ones."""

    today: date
    items: list[DueItem] = field(default_factory=list)
    invalid: list[tuple[str, str]] = field(default_factory=list)  # (case id, référent)
    sent: list[SentItem] = field(default_factory=list)
    horizon_days: int = DEFAULT_HORIZON_DAYS  # « due soon »: astre.yaml, programme.horizon_echeances_jours

    @property
    def shown(self) -> list[DueItem]:
        """Items for today's list: overdue or due soon, most urgent first."""
        return [i for i in self.items if is_shown(i, self.today, self.horizon_days)]


def collect(config: Config, paths: list[Path], today: date) -> StatusResult:
    """Check every case named by `paths` and gather its due items."""
    result = StatusResult(today, horizon_days=config.programme.horizon_days)
    for folder in find_case_folders(paths, config.cases_dir):
        case = check_case(folder, config, today)
        if not case.valid:
            result.invalid.append((case.id, str(case.get("mesure").get("referent", ""))))
            continue
        result.items.extend(due_items(config.resources, case, config.programme, today))
        result.sent.extend(_sent(case, config, today))
    result.items.sort(key=lambda i: (i.due, i.case_id, i.key))
    result.sent.sort(key=lambda s: (s.day, s.case_id, s.document), reverse=True)
    return result


def _sent(case: Any, config: Config, today: date) -> list[SentItem]:
    from ..checking.transmission import transmissions
    from ..model.measure import recipients_label

    referent = str(case.get("mesure").get("referent", ""))
    found = []
    for document in transmissions(case, config):
        for number, sending in enumerate(document.sent):
            if 0 <= (today - sending.day).days <= SENT_SHOWN_DAYS:
                late = number == 0 and document.due is not None and sending.day > document.due
                found.append(SentItem(sending.day, case.id, referent, document.name,
                                      recipients_label(config.resources, document.name, config.programme,
                                                       sending.recipients), late))
    return found


def state(item: DueItem, today: date) -> str:
    """Return « en retard de N j », « aujourd'hui » or « dans N j »."""
    days = (item.due - today).days
    if days < 0:
        return f"en retard de {-days} j"
    return "aujourd'hui" if days == 0 else f"dans {days} j"


def _rows(result: StatusResult) -> list[tuple[str, str, str, str, str]]:
    invalid = f"dossier invalide : lancez « {command('check')} »"
    rows = [("—", case_id, referent, invalid, "à corriger") for case_id, referent in result.invalid]
    for item in result.shown:
        action = f"{item.action} : {item.detail}" if item.detail else item.action
        rows.append((short_day(item.due), item.case_id, item.referent, action, state(item, result.today)))
    return rows


def format_text(result: StatusResult) -> str:
    """Return the one-screen French table, then a one-line summary."""
    header = ("Échéance", "Dossier", "Référent", "Action", "État")
    rows = _rows(result)
    late = sum(1 for i in result.shown if i.due < result.today)
    summary = (f"Au {short_day(result.today)} : {len(result.shown)} échéance(s) à {result.horizon_days} jours, "
               f"dont {late} en retard")
    if result.invalid:
        summary += f" ; {len(result.invalid)} dossier(s) invalide(s)"
    sent = [f"  {short_day(s.day)}  {s.case_id}  {s.document} → {s.recipients}"
            + ("  (en retard)" if s.late else "") for s in result.sent]
    sent_block = ["", f"Envoyés ces {SENT_SHOWN_DAYS} derniers jours :", *sent] if sent else []
    if not rows:
        return "\n".join([summary + " — rien à faire.", *sent_block])
    widths = [max(len(r[k]) for r in (header, *rows)) for k in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in (header, *rows)]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join([*lines, "", summary, *sent_block])


def format_json(result: StatusResult) -> str:
    """Return every shown item (and invalid case) for programs."""
    return json.dumps({
        "date": result.today.isoformat(),
        "echeances": [{"dossier": i.case_id, "referent": i.referent, "echeance": i.due.isoformat(), "code": i.key,
                       "action": i.action, "detail": i.detail or None, "jours": (i.due - result.today).days,
                       "etat": state(i, result.today)} for i in result.shown],
        "dossiers_invalides": [case_id for case_id, _ in result.invalid],
        "envoyes": [{"dossier": s.case_id, "referent": s.referent, "document": s.document, "date": s.day.isoformat(),
                     "destinataires": s.recipients, "en_retard": s.late} for s in result.sent],
    }, ensure_ascii=False, indent=2)


# ---------------------------------------------------------------- iCalendar (RFC 5545)

PRODID = "-//astre//Echeancier ASTRE//FR"
# Each event reminds its date this many days before (a VALARM): time to prepare a review or a visit.
REMINDER_DAYS = 7


def to_ics(result: StatusResult) -> str:
    """Return every pending due date (not only the next 30 days) as an iCalendar file, each with a reminder.

    Written by icalendar (escaping, folding at 75 octets, CRLF); deterministic: two runs
    on the same date give the same bytes (stable UIDs, DTSTAMP at that date).
    """
    from icalendar import Alarm, Calendar, Event

    stamp = datetime(result.today.year, result.today.month, result.today.day, tzinfo=UTC)
    calendar = Calendar()
    calendar.add("version", "2.0")
    calendar.add("prodid", PRODID)
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", "Échéances ASTRE")
    for item in result.items:
        event = Event()
        event.add("uid", f"{item.case_id}-{item.key}@astre")
        event.add("dtstamp", stamp)
        event.add("dtstart", item.due)
        event.add("dtend", item.due + timedelta(days=1))
        event.add("summary", f"{item.case_id} : {item.action}")
        event.add("description", f"Dossier ASTRE {item.case_id}. Échéance : {short_day(item.due)}.")
        event.add("transp", "TRANSPARENT")
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", f"Dans {REMINDER_DAYS} jours : {item.case_id} : {item.action}")
        alarm.add("trigger", timedelta(days=-REMINDER_DAYS))
        event.add_component(alarm)
        calendar.add_component(event)
    return calendar.to_ical().decode("utf-8")


def calendar_target(config: Config, name: str) -> Path:
    """Return where `astre status --ics name` writes: in the output folder, never over what astre makes.

    Refused (UsageError): a name outside the output folder, without the .ics extension
    (every document astre makes has another one), inside a case's output folder, or
    among astre's own files (manifest, lock, temporary folder), or an existing folder.
    """
    from ..documents.writer import output_name, safe_target
    from ..engine.build import case_output_folders
    from ..errors import RenderError, UsageError

    out = config.output_dir
    advice = f"donnez un nom de fichier, par exemple « {CALENDAR_EXAMPLE} » ; il sera écrit dans {out}"
    try:
        relative = output_name(out, name)
    except RenderError as e:
        raise UsageError(f"--ics : {e} : {advice}") from None
    if relative.suffix.lower() != ".ics":
        raise UsageError(f"--ics « {name} » : un agenda se nomme en .ics (et ne doit remplacer aucun document "
                         f"produit par astre) : {advice}")
    if relative.parts[0].startswith(".astre"):
        raise UsageError(f"--ics « {name} » : ce nom est réservé aux fichiers internes d'astre : {advice}")
    if len(relative.parts) > 1 and relative.parts[0] in case_output_folders(config):
        raise UsageError(f"--ics « {name} » : {out / relative.parts[0]} est le dossier des documents du ménage "
                         f"{relative.parts[0]}, l'agenda n'a rien à y faire : {advice}")
    try:
        return safe_target(out, str(relative))
    except RenderError as e:
        raise UsageError(f"--ics : {e} : {advice}") from None
