"""What a case still owes, with the date it is due: the échéancier.

The due-date arithmetic of a measure (contract, reviews, months of visits, end of
measure) and the item of a to-do list. What a measure owes is listed by
generator.model.obligations, which `astre status` and the `.ics` export read. Every delay
comes from `astre.yaml`'s `programme` section.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from ..reading.cases import Case
from ..reading.config import Programme
from .timeline import add_months, parse

CLOSED = ("terminee", "rompue", "refusee")
# Statuses of a measure that has actually run: only these owe a contract, visits and reviews.
RUNNING = ("en_cours", "terminee", "rompue")

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


def end_of_measure(case: Case) -> date | None:
    """Return the exit date if the measure ended."""
    return parse(case.get("sortie").get("date"))


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


def is_shown(item: DueItem, today: date, horizon_days: int) -> bool:
    """True when the item belongs in today's list: overdue, or due within `horizon_days`."""
    return item.due <= today + timedelta(days=horizon_days)
