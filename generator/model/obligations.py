"""What a measure owes to the programme's service: one list, for running and closed measures.

The contract, the reviews (interim and final), the exit report and each change of
situation: each is owed on a day (the start plus `delai_envoi_contrat_mois`, a review's
month, the exit, the change), may be sent up to a last day (that day plus the tolerance of
`astre.yaml`: `delai_bilan_jours`, `delai_signalement_jours`), and is done on its first
sending (generator.model.measure.sendings). `astre check`, `astre status` and its calendar, the
annual report's timeliness table and the funding statement all read this list: none of
them derives an obligation on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from ..reading.cases import Case
from ..reading.config import Programme
from ..reading.forms import owed_form
from ..reading.resources import Resources
from .deadlines import (
    CLOSED,
    RUNNING,
    DueItem,
    contract_due,
    end_of_measure,
    final_review_due,
    last_day,
    planned_end,
    review_due,
    review_key,
)
from .measure import recipients_label, sendings, validated, visits_by_month, visits_gap
from .timeline import month_of_measure, parse
from .wording import label, short_day

# The documents owed per review (the interim ones, the final one).
REVIEWS = ("bilan_intermediaire", "bilan_final")


@dataclass(frozen=True)
class Obligation:
    """One document owed to the service: when, until when, and when it was sent."""

    key: str  # stable: contrat, bilan-3, bilan-final, sortie, signalement-2 (the calendar's UID)
    role: str  # what it is (reading.forms.OBLIGATION_ROLES): contrat, bilan_intermediaire, bilan_final…
    form: str  # the id of the form that makes it (the one declaring that `obligation`)
    document: str  # its name in out/ and envois.yaml: bilan-intermediaire-3-mois…
    owed: date  # the day it is owed
    due: date  # the last day to send it on time (owed + the programme's tolerance)
    done: date | None  # its first sending
    written: bool  # the case files hold it (a review written, a contract with its file)
    where: tuple[str, tuple]  # (case file, path) where a problem about it is located

    def state(self, today: date) -> str:
        """Return « a_temps », « en_retard » (sent late), « non_envoye » (last day passed) or « a_envoyer »."""
        if self.done is not None:
            return "en_retard" if self.done > self.due else "a_temps"
        return "non_envoye" if today > self.due else "a_envoyer"


def obligations(sources: Resources, case: Case, programme: Programme) -> list[Obligation]:
    """Return every document the measure owes to the service, by the day it is owed.

    Owed by a measure that has run (started, statut en cours, terminée or rompue) and was
    not refused by the committee; an interim review is no longer owed once the measure ended
    before its month, nor when it is noted « non nécessaire ».
    """
    mesure = case.get("mesure")
    start = parse(mesure.get("dates", {}).get("debut"))
    found: list[Obligation] = []
    sent = sendings(sources, case, programme)

    def add(key: str, role: str, item: dict[str, Any] | None, number: int | None, owed: date, tolerance: int,
            written: bool, where: tuple[str, tuple]) -> None:
        form = owed_form(sources, role)
        document = form.document_name(item, number)
        first = sent.get(document, [])
        found.append(Obligation(key, role, form.id, document, owed, owed + timedelta(days=tolerance),
                                first[0].day if first else None, written, where))

    if start is not None and mesure.get("statut") in RUNNING and validated(mesure) is not False:
        _contract(case, programme, start, add)
        _reviews(case, programme, start, add)
    _reports(case, programme, add)
    return sorted(found, key=lambda o: (o.owed, o.key))


def _contract(case: Case, programme: Programme, start: date, add: Any) -> None:
    contract = case.get("contrat")
    add("contrat", "contrat", None, None, contract_due(start, programme), 0, bool(contract),
        ("contrat", ()) if contract else ("mesure", ("dates", "debut")))


def _reviews(case: Case, programme: Programme, start: date, add: Any) -> None:
    written = {b.get("echeance"): b for b in case.get("bilans").get("bilans", [])}
    where = ("bilans", ("bilans",)) if case.get("bilans") else ("mesure", ("dates", "debut"))
    exit_day = end_of_measure(case)
    grace = programme.review_grace_days
    for month in programme.review_months:
        owed = review_due(start, month)
        review = written.get(review_key(month))
        if (exit_day and exit_day <= owed) or (review or {}).get("non_necessaire"):
            continue  # no longer owed once the measure ended; « si nécessaire »
        add(f"bilan-{month}", "bilan_intermediaire", {"echeance": review_key(month)}, None, owed, grace,
            review is not None, where)
    add("bilan-final", "bilan_final", {"echeance": "final"}, None, final_review_due(case, start, programme), grace,
        "final" in written, where)


def _reports(case: Case, programme: Programme, add: Any) -> None:
    delay = programme.report_delay_days
    exit_day = parse(case.get("sortie").get("date"))
    if exit_day:
        add("sortie", "signalement_sortie", None, None, exit_day, delay, True, ("sortie", ("date",)))
    for index, change in enumerate(case.get("suivi").get("signalements", [])):
        day = parse(change.get("date_changement"))
        if day:
            add(f"signalement-{index + 1}", "signalement_changement", change, index + 1, day, delay, True,
                ("suivi", ("signalements", index)))


# ---------------------------------------------------------------- the to-do list of `astre status`

def due_items(sources: Resources, case: Case, programme: Programme, today: date) -> list[DueItem]:
    """Return what is still to do on a valid case, past or future, by due date.

    The documents owed and not sent (running or closed measure alike), then, while the
    measure runs, the current month's visits, the diagnostic requests to chase and the end.
    """
    mesure = case.get("mesure")
    status = mesure.get("statut")
    start = parse(mesure.get("dates", {}).get("debut"))
    items: list[DueItem] = []

    def add(due: date, key: str, action: str, detail: str = "") -> None:
        items.append(DueItem(case.id, str(mesure.get("referent", "")), due, key, action, detail))

    for owed in obligations(sources, case, programme):
        if owed.done is None:
            _to_send(sources, case, programme, owed, add)
    if status not in CLOSED:
        _diagnostics(case, programme, add)
        if start is not None and status == "en_cours":
            _visits(case, programme, start, today, add)
            _end(case, programme, start, add)
    return sorted(items, key=lambda i: (i.due, i.key))


def _to_send(sources: Resources, case: Case, programme: Programme, owed: Obligation, add: Any) -> None:
    service = programme.service_short
    if owed.role == "contrat":
        add(owed.due, "contrat", f"Envoyer le contrat signé au {service}" if case.get("contrat").get("date_signature")
            else f"Faire signer le contrat et l'envoyer au {service}")
    elif owed.role in REVIEWS:
        month = owed.key.removeprefix("bilan-")
        name = "le bilan final" if month == "final" else f"le bilan à {month} mois"
        if not owed.written:
            add(owed.owed, owed.key, f"Rédiger {name}")
        else:
            add(owed.owed, f"{owed.key}-envoi",
                f"Envoyer {name} ({recipients_label(sources, owed.document, programme)})")
    elif owed.role == "signalement_sortie":
        add(owed.due, "sortie", f"Signaler au {service} la sortie du {short_day(owed.owed)}")
    else:
        index = int(owed.key.removeprefix("signalement-")) - 1
        nature = label(sources, "signalement", case.get("suivi").get("signalements",
                                                                     [])[index].get("nature") or "autre")
        add(owed.due, owed.key, f"Signaler au {service} le changement du {short_day(owed.owed)} ({nature})")


def _visits(case: Case, programme: Programme, start: date, today: date, add: Any) -> None:
    month = month_of_measure(start, today)
    exit_day = end_of_measure(case)
    if not 1 <= month <= programme.months or (exit_day and exit_day < today):
        return
    number, first, last, total, home, _ = visits_by_month(case, start, month)[-1]
    if visits_gap(total, home, programme).met:
        return
    add(last, f"visites-mois-{number}", f"Visites du mois {number} de la mesure",
        f"{total}/{programme.visits_per_month} dont {home} à domicile")


def _diagnostics(case: Case, programme: Programme, add: Any) -> None:
    for index, request in enumerate(case.get("diagnostics").get("demandes", [])):
        day = parse(request.get("date_demande"))
        if day and request.get("decision", "en_attente") == "en_attente":
            add(day + timedelta(days=programme.diagnostic_reminder_days), f"diagnostic-{index + 1}",
                f"Diagnostic {request.get('type', '')} demandé le {short_day(day)} sans réponse : relancer")


def _end(case: Case, programme: Programme, start: date, add: Any) -> None:
    end = planned_end(case.get("mesure").get("dates", {}), programme) or last_day(start, programme)
    add(end, "fin-mesure", f"Fin des {programme.months} mois de mesure : préparer la sortie")
