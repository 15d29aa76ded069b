"""The household's energy budget before and after works, at a date.

logement.yaml « budget_energie » records the bills before works (period, kWh, amount,
source), the yearly forecast after works (audit, projected DPE) and the bills after
works. A yearly cost is only given when bills cover a whole year at least (heating
makes a winter bill worth three summer ones): the bills' total over the days they
cover, brought to 365 days. Fewer days: the bills are shown, the yearly cost is not.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from ..reading.cases import Case
from .timeline import parse
from .wording import short_day

YEAR = 365
LOW_LABELS = ("F", "G")  # « passoires thermiques »: the labels a renovation aims to leave


@dataclass(frozen=True)
class Bills:
    """Bills over a span: their total, the days they cover, and the yearly cost when they cover a year."""

    count: int
    first: date | None
    last: date | None
    days: int
    amount: float
    kwh: float | None  # None when a bill gives no kWh

    @property
    def yearly(self) -> float | None:
        """The yearly cost: total brought to 365 days, only when the bills cover a year at least."""
        return round(self.amount * YEAR / self.days, 2) if self.days >= YEAR else None

    @property
    def yearly_kwh(self) -> float | None:
        """The yearly consumption, on the same terms."""
        return round(self.kwh * YEAR / self.days) if self.kwh is not None and self.days >= YEAR else None


@dataclass(frozen=True)
class EnergyBudget:
    """Before, forecast, after: the energy budget known at the case's date."""

    before: Bills
    forecast: dict[str, Any] | None
    after: Bills
    label_before: str | None
    label_after: str | None

    @property
    def measured_change(self) -> float | None:
        """Yearly cost after less before, both measured over a year; None otherwise."""
        if self.before.yearly is None or self.after.yearly is None:
            return None
        return round(self.after.yearly - self.before.yearly, 2)

    @property
    def forecast_change(self) -> float | None:
        """Yearly cost forecast less measured before; None when either is missing."""
        if self.before.yearly is None or not self.forecast or self.forecast.get("montant") is None:
            return None
        return round(float(self.forecast["montant"]) - self.before.yearly, 2)


def _span(bill: dict[str, Any]) -> tuple[date, date] | None:
    first, last = parse(bill.get("du")), parse(bill.get("au"))
    return (first, last) if first is not None and last is not None and first <= last else None


def bills(listing: list[Any] | None) -> Bills:
    """Sum a list of bills (days covered counted once each, both ends included)."""
    spans = [(span, b) for b in listing or [] if isinstance(b, dict) and (span := _span(b)) is not None]
    covered: set[date] = set()
    for (first, last), _ in spans:
        covered.update(first + timedelta(days=k) for k in range((last - first).days + 1))
    kwh = [float(b["kwh"]) if b.get("kwh") is not None else None for _, b in spans]
    return Bills(len(spans), min((s[0] for s, _ in spans), default=None), max((s[1] for s, _ in spans), default=None),
                 len(covered), round(sum(float(b.get("montant") or 0) for _, b in spans), 2),
                 sum(k for k in kwh if k is not None) if spans and None not in kwh else None)


def energy_budget(case: Case) -> EnergyBudget | None:
    """Return the energy budget of `case` (a case as of a date), None when logement.yaml records none."""
    logement = case.get("logement")
    budget = logement.get("budget_energie")
    before, after = (logement.get(k) or {} for k in ("dpe_avant", "dpe_apres"))
    if not isinstance(budget, dict):
        return None
    forecast = budget.get("prevision") if isinstance(budget.get("prevision"), dict) else None
    return EnergyBudget(bills(budget.get("factures_avant")), forecast, bills(budget.get("factures_apres")),
                        before.get("classe"), after.get("classe"))


Add = Callable[..., None]


def energy_problems(case: Case, add: Add) -> None:
    """Report bills that do not add up: a period ending before it starts, two bills over the same days."""
    budget = case.get("logement").get("budget_energie")
    if not isinstance(budget, dict):
        return
    for key in ("factures_avant", "factures_apres"):
        seen: list[tuple[date, date, int]] = []
        for index, bill in enumerate(budget.get(key) or []):
            first, last = parse(bill.get("du")), parse(bill.get("au"))
            if first is None or last is None:
                continue
            if last < first:
                add("logement", ("budget_energie", key, index, "au"), f"facture du {short_day(first)} au "
                    f"{short_day(last)} : la fin de la période est avant son début",
                    "corrigez « du » ou « au »", severity="erreur", code="energie")
                continue
            other = next((i for a, b, i in seen if first <= b and a <= last), None)
            if other is not None:
                add("logement", ("budget_energie", key, index, "du"), f"facture du {short_day(first)} au "
                    f"{short_day(last)} : elle couvre des jours déjà facturés (facture {other + 1} de « {key} »)",
                    "une journée n'est facturée qu'une fois : corrigez les périodes ou retirez le doublon",
                    severity="erreur", code="energie")
            seen.append((first, last, index))
