"""État récapitulatif de financement: what the Département owes for ONE period.

Rules (amounts from `astre.yaml`'s `programme`, facts from its `financement_recu`):
- only a measure that really ran is paid (status en_cours, terminee or rompue:
  not one spotted, filed, validated but not started, or refused);
- a measure the validation committee did not validate is never paid
  (`validation.decision` « validee », or for older files a validation date and a
  statut other than « refusee »): it is listed apart, with the reason;
- a measure is paid per **month of measure started**: month k of a measure
  starts on `début + (k-1) mois`; it counts when that day falls in the period,
  on or before the exit day (or the planned end) and on or before the statement
  date, and k ≤ duree_mois. No prorata.
- a diagnostic counts when the Département granted it (decision « accordee »),
  dated by its decision (or request) day in the period: simple or complet amount.
- each month paid that ended, whole, by the statement date with fewer visits
  than the programme's minimum (`visites` in astre.yaml) is listed: the
  Département pays the month, and sees that its quota was not met.
- annual amount = nombre_mesures × duree_mois × tarif_mensuel, for the
  programme period; the advance is at most avance_pourcentage % of it (a
  ceiling, never assumed paid): the advance counted is the one recorded as
  received. Balance = service done (capped at the annual amount, diagnostics
  being paid from the same envelope) − advance received; a negative balance is
  an amount the structure pays back.
- the balance is computed only on the programme period, and only when the
  advance received is recorded: over another period (a calendar year) the
  statement gives the service done, never a balance against the programme's
  envelope.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from ..model.measure import visits_gap
from ..model.timeline import add_months
from ..reading.config import FundingReceived, Programme
from .indicators import Facts, Period


@dataclass
class MeasureLine:
    """One measure's months in the period."""

    id: str
    months: list[date]  # first day of each month of measure counted
    amount: float


@dataclass(frozen=True)
class VisitShortfall:
    """A month paid whose visits fell short of the programme's minimum."""

    id: str
    number: int  # month of measure
    first: date
    last: date
    visits: int
    home: int


# Why a measure that ran is not paid, by the committee's decision (None: no decision recorded).
UNBILLABLE = {None: "validation non enregistrée", "refusee": "validation refusée par le comité",
              "ajournee": "validation ajournée par le comité"}


@dataclass
class FundingStatement:
    """The computed statement, amounts in euros."""

    period: Period
    on: date
    tarif_mensuel: float
    measures: list[MeasureLine] = field(default_factory=list)
    diagnostics: list[tuple[str, str, date, float]] = field(default_factory=list)  # (case, type, day, amount)
    annual_amount: float = 0.0
    advance_rate: float = 0.0  # ceiling of the advance, % of the annual amount
    programme_period: bool = True  # the statement's period is the programme's
    planned: int = 0  # measures of the convention (nombre_mesures)
    months_per_measure: int = 0  # duree_mois
    activated: list[str] = field(default_factory=list)  # measures that ran and started in the period
    advance_received: float | None = None  # None: not recorded in astre.yaml
    advance_date: date | None = None
    advance_piece: str = ""
    unbillable: list[tuple[str, str]] = field(default_factory=list)  # (case, reason): ran, never validated
    visits_quota: tuple[int, int] = (0, 0)  # visits and home visits a month needs (programme)
    below_visits: list[VisitShortfall] = field(default_factory=list)

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
    def advance_ceiling(self) -> float:
        """The most the advance may be (« dans la limite de 60 % du montant annuel »)."""
        return round(self.annual_amount * self.advance_rate / 100, 2)

    @property
    def balance(self) -> float | None:
        """What the Département still owes (negative: what the structure pays back).

        None when it cannot be acted on: the period is not the programme's, or
        the advance received is not recorded.
        """
        if not self.programme_period or self.advance_received is None:
            return None
        return round(self.payable - self.advance_received, 2)

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


def statement(all_facts: list[Facts], programme: Programme, period: Period, on: date,
              received: FundingReceived | None = None) -> FundingStatement:
    """Compute the funding statement of the period, as known on day `on`.

    `received` is astre.yaml's `financement_recu` (what the funder actually paid).
    """
    tarif = float(programme.monthly_rate)
    received = received or FundingReceived()
    result = FundingStatement(period, on, tarif,
                              annual_amount=float(programme.measures * programme.months * tarif),
                              advance_rate=float(programme.advance_percentage),
                              programme_period=period == Period(programme.start, programme.end),
                              planned=programme.measures,
                              months_per_measure=int(programme.months),
                              advance_received=received.advance, advance_date=received.advance_date,
                              advance_piece=received.advance_evidence,
                              visits_quota=(programme.visits_per_month, programme.home_visits_per_month))
    amounts = programme.diagnostic_amounts
    for f in sorted(all_facts, key=lambda f: f.id):
        if f.ran and f.debut is not None and f.fin is not None:
            months = [add_months(f.debut, k) for k in range(programme.months)]
            counted = [m for m in months if m in period and m <= f.fin and m <= on]
            if counted and not f.validated:
                result.unbillable.append((f.id, UNBILLABLE.get(f.decision, f"décision « {f.decision} »")))
            elif counted:
                result.measures.append(MeasureLine(f.id, counted, len(counted) * tarif))
                result.below_visits += _below_quota(f, counted, on, programme)
        if f.ran and f.validated and f.debut in period and f.debut is not None and f.debut <= on:
            result.activated.append(f.id)
        for kind, decision, day in f.diagnostics:
            if decision == "accordee" and day in period and day is not None and day <= on:
                result.diagnostics.append((f.id, kind, day, float(amounts[kind])))
    return result


def _below_quota(f: Facts, counted: list[date], on: date, programme: Programme) -> list[VisitShortfall]:
    """The months paid, ended whole by `on` (not cut by the exit), with fewer visits than the quota."""
    found = []
    for number, first, last, visits, home, whole in f.visites_mois:
        if first in counted and whole and last < on and not visits_gap(visits, home, programme).met:
            found.append(VisitShortfall(f.id, number, first, last, visits, home))
    return found
