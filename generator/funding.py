"""État récapitulatif de financement: what the Département owes for a period.

Rules (all amounts from `astre.yaml`'s `programme`):
- only a measure that really ran is paid (status en_cours, terminee or rompue:
  not one spotted, filed, validated but not started, or refused);
- a measure is paid per **month of measure started**: month k of a measure
  starts on `début + (k-1) mois`; it counts when that day falls in the period,
  on or before the exit day (or the planned end) and on or before the statement
  date, and k ≤ duree_mois. No prorata.
- a diagnostic counts when the Département granted it (decision « accordee »),
  dated by its decision (or request) day in the period: simple or complet amount.
- annual amount = nombre_mesures × duree_mois × tarif_mensuel; advance =
  avance_pourcentage % of it; balance = service done (capped at the annual
  amount, diagnostics being paid from the same envelope) − advance. A negative
  balance is an amount the structure pays back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from .indicators import Facts, Period
from .timeline import add_months


@dataclass
class MeasureLine:
    """One measure's months in the period."""

    id: str
    months: list[date]  # first day of each month of measure counted
    amount: float


@dataclass
class FundingStatement:
    """The computed statement, amounts in euros."""

    period: Period
    on: date
    tarif_mensuel: float
    measures: list[MeasureLine] = field(default_factory=list)
    diagnostics: list[tuple[str, str, date, float]] = field(default_factory=list)  # (case, type, day, amount)
    annual_amount: float = 0.0
    advance_rate: float = 0.0

    @property
    def months(self) -> int:
        """Months of measure counted."""
        return sum(len(m.months) for m in self.measures)

    @property
    def measures_total(self) -> float:
        """Measures: months × monthly rate."""
        return sum(m.amount for m in self.measures)

    @property
    def diagnostics_total(self) -> float:
        """Granted diagnostics."""
        return sum(d[3] for d in self.diagnostics)

    @property
    def service_done(self) -> float:
        """Measures and diagnostics."""
        return self.measures_total + self.diagnostics_total

    @property
    def payable(self) -> float:
        """Service done, capped at the annual amount (diagnostics are inside the envelope)."""
        return min(self.service_done, self.annual_amount) if self.annual_amount else self.service_done

    @property
    def advance(self) -> float:
        """The advance already paid (a share of the annual amount)."""
        return round(self.annual_amount * self.advance_rate / 100, 2)

    @property
    def balance(self) -> float:
        """What the Département still owes (negative: what the structure pays back)."""
        return round(self.payable - self.advance, 2)

    def by_month(self) -> list[tuple[date, int]]:
        """Return (first day of calendar month, measures counted that month) over the period."""
        counts: dict[tuple[int, int], int] = {}
        for line in self.measures:
            for day in line.months:
                counts[(day.year, day.month)] = counts.get((day.year, day.month), 0) + 1
        rows, day = [], date(self.period.start.year, self.period.start.month, 1)
        while day <= self.period.end:
            rows.append((day, counts.get((day.year, day.month), 0)))
            day = add_months(day, 1)
        return rows


def statement(all_facts: list[Facts], programme: dict[str, Any], period: Period, on: date) -> FundingStatement:
    """Compute the funding statement of the period, as known on day `on`."""
    tarif = float(programme["tarif_mensuel"])
    result = FundingStatement(period, on, tarif,
                              annual_amount=float(programme.get("nombre_mesures", 0) * programme["duree_mois"] * tarif),
                              advance_rate=float(programme["avance_pourcentage"]))
    amounts = programme["diagnostics"]
    for f in sorted(all_facts, key=lambda f: f.id):
        if f.ran and f.debut is not None and f.fin is not None:
            months = [add_months(f.debut, k) for k in range(programme["duree_mois"])]
            counted = [m for m in months if m in period and m <= f.fin and m <= on]
            if counted:
                result.measures.append(MeasureLine(f.id, counted, len(counted) * tarif))
        for kind, decision, day in f.diagnostics:
            if decision == "accordee" and day in period and day is not None and day <= on:
                result.diagnostics.append((f.id, kind, day, float(amounts[kind])))
    return result
