"""Calendar arithmetic of a measure: months of the measure, due dates."""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from typing import Any


def parse(value: Any) -> date | None:
    """Return a date from an ISO string already checked by the schema, else None."""
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def add_months(day: date, months: int) -> date:
    """Return `day` plus `months` calendar months, clamped to the month's end."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def month_windows(start: date, months: int) -> list[tuple[int, date, date]]:
    """Return (number, first day, last day) of each month of a measure."""
    return [(k + 1, add_months(start, k), add_months(start, k + 1) - timedelta(days=1)) for k in range(months)]


def month_of_measure(start: date, today: date) -> int:
    """Return the month of the measure `today` falls in (1 = first month), 0 before the start."""
    if today < start:
        return 0
    k = 0
    while add_months(start, k + 1) <= today:
        k += 1
    return k + 1


def age(birth: date, on: date) -> int:
    """Return the age in whole years on a given day."""
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
