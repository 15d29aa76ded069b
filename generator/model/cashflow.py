"""The site's cash flow: what the household pays the companies and receives, month by month, at a date.

financement.yaml « tresorerie » lists the payments due to each company (acompte,
situation, solde; paid on, by the household or by the structure as « mandataire »);
the aids' payments (received, measure.aid_payments, and expected, « versements_prevus »)
and the loans' releases say what comes in, and to whom. From them, on a case as of
a date (measure.as_of), `cash_flow` places each amount in its month: paid or received
on its day; still expected on its due day, or on the plan's day when that is past
(late: it cannot come before). An aid « versée » on a day the files do not say is
received, but placed in no month: the plan counts it apart. For each month, what the household pays less what it
receives directly is its balance; their running sum is what it has advanced by the
month's end, set against its advance capacity (« capacite_avance »).

Everything the plan shows comes from here, and adds up: the household's payments
less its receipts, month by month, sum to the last month's advance; the mandate's
funds received less those paid out are its balance.
`cash_problems` checks the recorded plan (payments beyond the quote, before it,
a mandate's funds no aid lists) with located French messages.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from ..reading.cases import Case
from .measure import (
    AS_OF,
    ENDED_AIDS,
    HOUSEHOLD,
    MANDATARY,
    aid_amount,
    aid_payments,
    as_of,
    chosen_company,
    chosen_quote,
    quote_dates,
    work_amount,
)
from .timeline import add_months, parse
from .wording import money, short_day


@dataclass(frozen=True)
class Payment:
    """One payment due to a company, as of the plan's day."""

    poste: str
    company: str
    stage: str  # acompte, situation, solde
    due: date
    amount: float
    paid_on: date | None
    by: str  # menage or mandataire
    index: int  # its place in tresorerie.paiements (to locate messages)

    def placed(self, day: date) -> date:
        """The day the payment weighs on the household: paid, else due, else (overdue) the plan's day."""
        return self.paid_on or max(self.due, day)


@dataclass(frozen=True)
class Inflow:
    """An amount an aid or a loan brings: received, or expected (on a day, or not placed yet)."""

    source: str  # the aid's financeur or the loan's organisme
    kind: str  # aide or pret
    to: str  # menage or mandataire
    amount: float
    day: date | None  # received on, or expected on (None: received on a day the files do not say, or not foreseen)
    received: bool

    def placed(self, plan_day: date) -> date | None:
        """The day the amount counts: received, else expected (never before the plan's day), None when unforeseen."""
        if self.received or self.day is None:
            return self.day
        return max(self.day, plan_day)


@dataclass(frozen=True)
class Month:
    """One month of the household's cash flow."""

    first: date  # first day of the month
    paid: float  # paid to companies by the household
    received: float  # received directly by the household
    advanced: float  # running sum of paid less received, at the month's end

    @property
    def balance(self) -> float:
        """What the household pays less what it receives, this month."""
        return round(self.paid - self.received, 2)


@dataclass(frozen=True)
class CashFlow:
    """The site's cash flow as of `day`."""

    day: date
    capacity: float | None
    payments: tuple[Payment, ...]
    inflows: tuple[Inflow, ...]
    months: tuple[Month, ...]
    mandate: bool  # a mandate is signed
    mandate_received: tuple[tuple[date, str, float], ...]  # (day, aid, amount)

    @property
    def over(self) -> tuple[tuple[Month, float], ...]:
        """(month, gap) of each month whose advance exceeds the household's capacity."""
        if self.capacity is None:
            return ()
        return tuple((m, round(m.advanced - self.capacity, 2)) for m in self.months if m.advanced > self.capacity)

    @property
    def mandate_paid(self) -> tuple[Payment, ...]:
        """The payments the mandate made, by day."""
        return tuple(sorted((p for p in self.payments if p.by == MANDATARY and p.paid_on is not None),
                            key=lambda p: p.paid_on or p.due))

    @property
    def mandate_balance(self) -> float:
        """What the mandate holds: funds received less payments made."""
        return round(sum(a for _, _, a in self.mandate_received) - sum(p.amount for p in self.mandate_paid), 2)


def month_start(day: date) -> date:
    """The first day of `day`'s month."""
    return day.replace(day=1)


def _company(poste: dict[str, Any]) -> str:
    return str((chosen_company(poste) or {}).get("nom") or "entreprise non renseignée")


def _postes(case: Case) -> dict[str, dict[str, Any]]:
    return {p["intitule"]: p for p in case.get("travaux").get("postes", [])
            if isinstance(p, dict) and isinstance(p.get("intitule"), str)}


def _payments(case: Case, plan: dict[str, Any]) -> list[Payment]:
    """The payments of the postes in the project at the plan's day (a poste added later is not paid yet)."""
    postes = _postes(case)
    found = []
    for index, item in enumerate(plan.get("paiements") or []):
        due = parse(item.get("date"))
        poste = postes.get(item.get("poste"))
        if poste is None or due is None or poste.get("statut") == "abandonne" and not item.get("date_paiement"):
            continue
        found.append(Payment(item["poste"], _company(poste), item.get("etape", "acompte"), due,
                             float(item.get("montant") or 0), parse(item.get("date_paiement")),
                             item.get("regle_par") or HOUSEHOLD, index))
    return found


def _aid_inflows(aid: dict[str, Any]) -> list[Inflow]:
    """An aid's payments received (one paid on no known day is not placed), then what is still expected."""
    source, to = str(aid.get("financeur", "")), aid.get("beneficiaire") or HOUSEHOLD
    received = aid_payments(aid)
    flows = [Inflow(source, "aide", p.to, p.amount, p.day, True) for p in received]
    if aid.get("statut") in ENDED_AIDS:
        return flows
    covered = sum(p.amount for p in received)  # received amounts settle the earliest forecasts first
    still = round(float(aid_amount(aid) or 0) - covered, 2)
    forecast = sorted((f for f in aid.get("versements_prevus") or [] if isinstance(f, dict) and parse(f.get("date"))),
                      key=lambda f: f["date"])
    for item in forecast:
        amount = float(item.get("montant") or 0)
        settled = min(amount, covered)
        covered -= settled
        left = min(amount - settled, still)
        if left > 0:
            flows.append(Inflow(source, "aide", item.get("beneficiaire") or to, round(left, 2), parse(item["date"]),
                                False))
            still = round(still - left, 2)
    if still > 0:
        flows.append(Inflow(source, "aide", to, still, None, False))
    return flows


def _loan_inflows(loan: dict[str, Any]) -> list[Inflow]:
    """A granted loan's release: received on « date_deblocage », else expected (« date_deblocage_prevue »)."""
    if loan.get("statut") != "accorde" or not loan.get("montant"):
        return []
    released = parse(loan.get("date_deblocage"))
    day = released or parse(loan.get("date_deblocage_prevue"))
    return [Inflow(str(loan.get("organisme", "")), "pret", HOUSEHOLD, float(loan["montant"]), day,
                   released is not None)]


def _every_month(first: date, last: date) -> list[date]:
    """The first day of each month from `first` to `last` (both first days of a month)."""
    found = [first]
    while found[-1] < last:
        found.append(add_months(found[-1], 1))
    return found


def _months(payments: list[Payment], inflows: list[Inflow], day: date) -> list[Month]:
    paid: dict[date, float] = {}
    got: dict[date, float] = {}
    for p in payments:
        if p.by == HOUSEHOLD:
            key = month_start(p.placed(day))
            paid[key] = paid.get(key, 0) + p.amount
    for flow in inflows:
        placed = flow.placed(day)
        if flow.to == HOUSEHOLD and placed is not None:
            got[month_start(placed)] = got.get(month_start(placed), 0) + flow.amount
    months, advanced = [], 0.0
    flowing = sorted(set(paid) | set(got))
    for first in _every_month(flowing[0], flowing[-1]) if flowing else []:
        advanced = round(advanced + paid.get(first, 0) - got.get(first, 0), 2)
        months.append(Month(first, round(paid.get(first, 0), 2), round(got.get(first, 0), 2), advanced))
    return months


def cash_flow(case: Case) -> CashFlow | None:
    """Return the site's cash flow of `case` (a case as of a date), None when financement.yaml has no « tresorerie ».

    The plan stands at the case's date (measure.as_of marks it), else at the plan's own date: never at the day
    astre runs, a document shows the case as it was at its own date.
    """
    financement = case.get("financement")
    plan = financement.get("tresorerie")
    if not isinstance(plan, dict):
        return None
    day = parse(plan.get(AS_OF)) or parse(plan.get("date"))
    if day is None:
        return None
    payments = _payments(case, plan)
    inflows = [flow for aid in financement.get("aides", []) if isinstance(aid, dict) for flow in _aid_inflows(aid)]
    inflows += [flow for loan in financement.get("prets", []) if isinstance(loan, dict) for flow in _loan_inflows(loan)]
    mandate = plan.get("mandat") if isinstance(plan.get("mandat"), dict) else None
    received = tuple(sorted(((d, str(f.get("aide", "")), float(f.get("montant") or 0))
                             for f in (mandate or {}).get("fonds_recus") or []
                             if isinstance(f, dict) and (d := parse(f.get("date"))) is not None),
                            key=lambda r: r[0]))
    capacity = plan.get("capacite_avance")
    return CashFlow(day, float(capacity) if capacity is not None else None, tuple(payments), tuple(inflows),
                    tuple(_months(payments, inflows, day)), mandate is not None, received)


# ---------------------------------------------------------------- checks of the recorded plan

Add = Callable[..., None]  # rules.check_rules' `add(name, where, message, hint, severity=, code=)`


def cash_problems(case: Case, today: date, add: Add) -> None:
    """Report what does not add up in financement.yaml « tresorerie » (located French messages)."""
    plan = case.get("financement").get("tresorerie")
    if not isinstance(plan, dict):
        return
    postes = _postes(case)
    where = ("tresorerie", "paiements")
    totals: dict[str, float] = {}
    for index, item in enumerate(plan.get("paiements") or []):
        name = item.get("poste")
        poste = postes.get(name)
        if poste is None:
            known = ", ".join(f"« {n} »" for n in postes) or "aucun poste dans travaux.yaml"
            add("financement", (*where, index, "poste"), f"paiement pour le poste « {name} », absent de travaux.yaml",
                f"écrivez l'intitulé exact d'un poste ({known})", severity="erreur", code="tresorerie")
            continue
        totals[name] = totals.get(name, 0) + float(item.get("montant") or 0)
        _against_quote(poste, item, index, round(totals[name], 2), add)
        _not_before_quote(poste, item, index, add)
        if item.get("regle_par") == MANDATARY and not isinstance(plan.get("mandat"), dict):
            add("financement", (*where, index, "regle_par"), "paiement réglé par le mandataire, mais aucun mandat "
                "n'est enregistré", "ajoutez « mandat » sous « tresorerie » (date de signature, fonds reçus)",
                severity="erreur", code="tresorerie")
    _mandate_problems(case, plan, add)
    _done_in_future(plan, today, add)
    flow = cash_flow(as_of(case, today))  # the plan as it stands today: payments and funds known by then
    if flow is not None:
        for month, gap in flow.over:
            if month_start(today) <= month.first:  # a month past is history, shown in the plan, not a task
                add("financement", ("tresorerie", "capacite_avance"),
                    f"trésorerie : fin {month.first.strftime('%m/%Y')}, le ménage aurait avancé "
                    f"{money(month.advanced)}, soit {money(gap)} de plus que sa capacité d'avance "
                    f"({money(flow.capacity)})",
                    "obtenez une avance sur une aide (versée au mandataire), décalez une échéance ou fractionnez "
                    "un acompte", code="tresorerie")


def _done_in_future(plan: dict[str, Any], today: date, add: Add) -> None:
    """A payment made or funds received record what happened: never after today."""
    dated: list[tuple[tuple[Any, ...], Any]] = [(("tresorerie", "paiements", i, "date_paiement"),
                                                 p.get("date_paiement"))
                                                for i, p in enumerate(plan.get("paiements") or [])]
    mandate: dict[str, Any] = plan["mandat"] if isinstance(plan.get("mandat"), dict) else {}
    dated += [(("tresorerie", "mandat", "fonds_recus", i, "date"), f.get("date"))
              for i, f in enumerate(mandate.get("fonds_recus") or [])]
    for where, value in dated:
        when = parse(value)
        if when is not None and when > today:
            add("financement", where, f"{where[-1]} : date dans le futur ({short_day(when)})",
                "cette date enregistre un paiement déjà fait : retirez-la tant qu'il n'est pas fait",
                severity="erreur", code="date")


def _against_quote(poste: dict[str, Any], item: dict[str, Any], index: int, total: float, add: Add) -> None:
    limit = work_amount(poste)
    if limit is None or total <= limit + 0.005:
        return
    if poste.get("statut") == "realise" and poste.get("montant_realise") is not None:
        what = "du montant facturé"
    elif chosen_quote(poste) is not None:
        what = "du devis retenu"
    else:
        what = "du montant prévu"
    add("financement", ("tresorerie", "paiements", index, "montant"),
        f"paiements à {_company(poste)} pour « {poste['intitule']} » : {money(total)} au total, au-delà {what} "
        f"({money(limit)})", "corrigez le montant de ce paiement, ou enregistrez le devis modifié (avenant) "
        "dans travaux.yaml", severity="erreur", code="tresorerie")


def _not_before_quote(poste: dict[str, Any], item: dict[str, Any], index: int, add: Add) -> None:
    quoted = [d for d in map(parse, quote_dates(poste)) if d is not None]
    if not quoted:
        return
    first = min(quoted)
    for key in ("date", "date_paiement"):
        when = parse(item.get(key))
        if when is not None and when < first:
            add("financement", ("tresorerie", "paiements", index, key),
                f"paiement pour « {poste['intitule']} » daté du {short_day(when)}, avant le premier devis "
                f"({short_day(first)})", "une entreprise est payée après son devis : corrigez la date",
                severity="erreur", code="tresorerie")
            return


def _mandate_problems(case: Case, plan: dict[str, Any], add: Add) -> None:
    mandate = plan.get("mandat")
    if not isinstance(mandate, dict):
        return
    aids = {a.get("financeur"): a for a in case.get("financement").get("aides", []) if isinstance(a, dict)}
    funds: list[tuple[date, float]] = []
    for index, item in enumerate(mandate.get("fonds_recus") or []):
        when, amount, name = parse(item.get("date")), float(item.get("montant") or 0), item.get("aide")
        where = ("tresorerie", "mandat", "fonds_recus", index)
        aid = aids.get(name)
        if aid is None:
            add("financement", (*where, "aide"), f"le mandat reçoit {money(amount)} de « {name} », qu'aucune aide "
                "ne liste", "écrivez le financeur exact d'une aide de « aides », ou ajoutez cette aide",
                severity="erreur", code="tresorerie")
        elif not any(p.day == when and abs(p.amount - amount) < 0.005 for p in aid_payments(aid)):
            add("financement", (*where, "montant"), f"le mandat reçoit {money(amount)} de « {name} » le "
                f"{short_day(when) if when else '?'}, mais cette aide ne liste aucun versement de ce montant à "
                "cette date", "ajoutez ce versement à l'aide (« versements », « beneficiaire: mandataire »), ou "
                "corrigez la date ou le montant", severity="erreur", code="tresorerie")
        if when is not None:
            funds.append((when, amount))
    paid = sorted((d, float(p.get("montant") or 0), i) for i, p in enumerate(plan.get("paiements") or [])
                  if p.get("regle_par") == MANDATARY and (d := parse(p.get("date_paiement"))) is not None)
    for when, _, index in paid:
        held = sum(a for d, a in funds if d <= when) - sum(a for d, a, _ in paid if d <= when)
        if held < -0.005:
            add("financement", ("tresorerie", "paiements", index, "montant"),
                f"le {short_day(when)}, le mandataire aurait payé {money(-held)} de plus qu'il n'a reçu pour le ménage",
                "enregistrez les fonds reçus avant ce paiement (« mandat.fonds_recus »), ou faites-le régler par "
                "le ménage", severity="erreur", code="tresorerie")
            break
