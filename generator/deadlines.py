"""What a case still owes, with the date it is due: the échéancier.

One place for the due-date arithmetic of a measure (contract, reviews,
visits of the current month, reports to the service (the SPSLH in Pas-de-Calais), diagnostics, end of
measure). `astre status` lists these items; `.ics` export turns them into
calendar events. Every delay comes from `astre.yaml`'s `programme` section.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from .cases import Case
from .config import Programme
from .timeline import add_months, month_of_measure, month_windows, parse

CLOSED = ("terminee", "rompue", "refusee")
# Statuses of a measure that has actually run: only these owe a contract, visits and reviews.
RUNNING = ("en_cours", "terminee", "rompue")

_SIGNALEMENT = {"situation_menage": "situation du ménage", "projet_travaux": "projet de travaux",
                "financement": "financement", "autre": "autre"}


@dataclass(frozen=True)
class DueItem:
    """One thing to do on a case, due on `due`.

    `key` is stable for a given case and obligation (it makes the calendar UID);
    `action` is French and never holds the household's name or address.
    """

    case_id: str
    referent: str
    due: date
    key: str
    action: str
    # Shown in the table only when the item is due soon: it changes with the date.
    detail: str = ""


def review_key(month: int) -> str:
    """Return the `echeance` value of the review due at `month`."""
    return f"{month}_mois"


def french_date(day: date) -> str:
    """Short French date for messages (12/03/2026)."""
    return day.strftime("%d/%m/%Y")


def end_of_measure(case: Case) -> date | None:
    """Return the exit date if the measure ended."""
    return parse(case.get("sortie").get("date"))


def visits_by_month(case: Case, start: date, months: int) -> list[tuple[int, date, date, int, int]]:
    """Return (month, first day, last day, visits, home visits) for each month of the measure."""
    from .measure import visits

    seen = visits(case)
    rows = []
    for number, first, last in month_windows(start, months):
        in_month = [lieu for day, lieu in seen if first <= day <= last]
        rows.append((number, first, last, len(in_month), sum(1 for lieu in in_month if lieu == "domicile")))
    return rows


def last_day(start: date, programme: Programme) -> date:
    """Return the last day of a measure of the programme's length started on `start`."""
    return add_months(start, programme.months) - timedelta(days=1)


def planned_end(dates: dict[str, Any], programme: Programme) -> date | None:
    """Return the planned end of a measure: `fin_prevue`, else the last day of its duration."""
    start = parse(dates.get("debut"))
    if dates.get("fin_prevue") or start is None:
        return parse(dates.get("fin_prevue"))
    return last_day(start, programme)


def contract_due(start: date, programme: Programme) -> date:
    """Return the last day to send the signed contract to the programme's service."""
    return add_months(start, programme.contract_delay_months)


def review_due(start: date, month: int) -> date:
    """Return the due date of the intermediate review at `month` months."""
    return add_months(start, month)


def final_review_due(case: Case, start: date, programme: Programme) -> date:
    """Return the due date of the final review: the exit, or the planned end of the measure."""
    return end_of_measure(case) or add_months(start, programme.months)


def send_due(document: str, case: Case, item: dict[str, Any] | None, programme: Programme) -> date | None:
    """Return the last day to send `document` without being late, or None when the programme sets none.

    Contract: the start plus `delai_envoi_contrat_mois`; a review: its due date plus
    `delai_bilan_jours`; the exit and a change of situation: their date plus
    `delai_signalement_jours` (« sans délai »). The fiche saisine and the diagnostic
    requests have no delay in the programme.
    """
    from .measure import form_of

    start = parse(case.get("mesure").get("dates", {}).get("debut"))
    grace = timedelta(days=programme.review_grace_days)
    signal = timedelta(days=programme.report_delay_days)
    form = form_of(document)
    if form == "contrat":
        return contract_due(start, programme) if start else None
    if form == "bilan-intermediaire" and start and item is not None:
        month = str(item.get("echeance", "")).removesuffix("_mois")
        return review_due(start, int(month)) + grace if month.isdigit() else None
    if form == "bilan-final" and start:
        return final_review_due(case, start, programme) + grace
    if form == "signalement-sortie":
        day = end_of_measure(case)
        return day + signal if day else None
    if form == "signalement-changement" and item is not None:
        day = parse(item.get("date_changement"))
        return day + signal if day else None
    return None


def recipients_label(document: str, programme: Programme, recipients: tuple[str, ...] | None = None) -> str:
    """Return the short French names of who receives `document` (forms/libelles.yaml, « destinataire »)."""
    from .context import label
    from .measure import recipients_of

    return ", ".join(programme.service_short if r == "spslh" else label("destinataire", r)
                     for r in (recipients or recipients_of(document, programme)))


def due_items(case: Case, programme: Programme, today: date) -> list[DueItem]:
    """Return every pending obligation of a valid case, past or future, by due date."""
    mesure = case.get("mesure")
    status = mesure.get("statut")
    start = parse(mesure.get("dates", {}).get("debut"))
    items: list[DueItem] = []

    def add(due: date, key: str, action: str, detail: str = "") -> None:
        items.append(DueItem(case.id, str(mesure.get("referent", "")), due, key, action, detail))

    _exit_report(case, programme, add)
    if start is not None and status in RUNNING:
        _reviews(case, programme, start, status in CLOSED, add)
    if status not in CLOSED:
        _changes(case, programme, add)
        _diagnostics(case, programme, add)
        if start is not None and status == "en_cours":
            _contract(case, programme, start, add)
            _visits(case, programme, start, today, add)
            _end(case, programme, start, add)
    return sorted(items, key=lambda i: (i.due, i.key))


def _contract(case: Case, programme: Programme, start: date, add: Any) -> None:
    from .measure import sendings

    contract = case.get("contrat")
    if "contrat" in sendings(case, programme):
        return
    service = programme.service_short
    action = (f"Envoyer le contrat signé au {service}" if contract.get("date_signature")
              else f"Faire signer le contrat et l'envoyer au {service}")
    add(contract_due(start, programme), "contrat", action)


def _reviews(case: Case, programme: Programme, start: date, closed: bool, add: Any) -> None:
    from .measure import sendings

    written = {b.get("echeance"): b for b in case.get("bilans").get("bilans", [])}
    sent = sendings(case, programme)
    exit_day = end_of_measure(case)
    for month in programme.review_months:
        due = review_due(start, month)
        if closed or (exit_day and exit_day <= due):
            continue  # an intermediate review is no longer owed once the measure has ended
        review = written.get(review_key(month))
        if review is None:
            add(due, f"bilan-{month}", f"Rédiger le bilan à {month} mois")
        elif review.get("non_necessaire"):
            continue
        elif f"bilan-intermediaire-{month}-mois" not in sent:
            add(due, f"bilan-{month}-envoi",
                f"Envoyer le bilan à {month} mois ({recipients_label(f'bilan-intermediaire-{month}-mois', programme)})")
    due = final_review_due(case, start, programme)
    final = written.get("final")
    if final is None:
        add(due, "bilan-final", "Rédiger le bilan final")
    elif "bilan-final" not in sent:
        add(due, "bilan-final-envoi", f"Envoyer le bilan final ({recipients_label('bilan-final', programme)})")


def _visits(case: Case, programme: Programme, start: date, today: date, add: Any) -> None:
    month = month_of_measure(start, today)
    exit_day = end_of_measure(case)
    if not 1 <= month <= programme.months or (exit_day and exit_day < today):
        return
    number, first, last, total, home = visits_by_month(case, start, month)[-1]
    if total >= programme.visits_per_month and home >= programme.home_visits_per_month:
        return
    add(last, f"visites-mois-{number}", f"Visites du mois {number} de la mesure",
        f"{total}/{programme.visits_per_month} dont {home} à domicile")


def _changes(case: Case, programme: Programme, add: Any) -> None:
    delay = timedelta(days=programme.report_delay_days)
    from .measure import sendings

    sent = sendings(case, programme)
    for index, change in enumerate(case.get("suivi").get("signalements", [])):
        day = parse(change.get("date_changement"))
        if day and f"signalement-changement-{index + 1}" not in sent:
            nature = _SIGNALEMENT.get(change.get("nature"), "autre")
            add(day + delay, f"signalement-{index + 1}",
                f"Signaler au {programme.service_short} le changement du {french_date(day)} ({nature})")


def _exit_report(case: Case, programme: Programme, add: Any) -> None:
    from .measure import sendings

    day = parse(case.get("sortie").get("date"))
    if day and "signalement-sortie" not in sendings(case, programme):
        add(day + timedelta(days=programme.report_delay_days), "sortie",
            f"Signaler au {programme.service_short} la sortie du {french_date(day)}")


def _diagnostics(case: Case, programme: Programme, add: Any) -> None:
    for index, request in enumerate(case.get("diagnostics").get("demandes", [])):
        day = parse(request.get("date_demande"))
        if day and request.get("decision", "en_attente") == "en_attente":
            add(day + timedelta(days=programme.diagnostic_reminder_days), f"diagnostic-{index + 1}",
                f"Diagnostic {request.get('type', '')} demandé le {french_date(day)} sans réponse : relancer")


def _end(case: Case, programme: Programme, start: date, add: Any) -> None:
    end = planned_end(case.get("mesure").get("dates", {}), programme) or last_day(start, programme)
    add(end, "fin-mesure", f"Fin des {programme.months} mois de mesure : préparer la sortie")


def is_shown(item: DueItem, today: date, horizon_days: int) -> bool:
    """True when the item belongs in today's list: overdue, or due within `horizon_days`."""
    return item.due <= today + timedelta(days=horizon_days)
