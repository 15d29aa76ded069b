"""A case as it stood on a given day: the facts known then, in the state they had.

An official document is a dated record: the SPSLH files it as the case stood on the
document's date (DOMAIN.md, « Documents are records »). The case files hold the case
as it is now; `as_of(case, day)` derives from them the case as of `day`:

- a dated fact after `day` is not known yet: a visit, a concertation, a review, a
  diagnostic request, a DPE, a notified ANAH category, a reported change, the exit,
  the contract (before its signature), a sending date;
- a state is derived from its dates, not from the current `statut`: an aid paid on
  10 August is « accordée » on 6 February if granted before, « demandée » if only
  requested, « à solliciter » if not requested yet; a works item finished in June is
  « en cours », « devis reçu » or « à chiffrer » before;
- a state the files assert without its date (an aid « versée » with no payment date)
  cannot be placed in time: it is kept and marked undated (`_non_date`), so the
  document says « date non renseignée » instead of presenting it as current.

Rules, due dates and indicators read the same module for the states they need.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple

from ..reading.cases import Case
from ..reading.config import Programme
from ..reading.forms import Form, form_of, owed_form
from ..reading.loader import Document
from ..reading.resources import Resources
from .timeline import month_windows, parse
from .wording import label

UNDATED = "_non_date"  # marks a state the files give without the date that would place it in time
AS_OF = "_au"  # the day a dated cash plan stands at (financement.tresorerie): what is due before it and unpaid is late


def reference_date(dates: dict[str, Any]) -> date | None:
    """Return the date a household's situation is described at: the referral, else the spotting, else the start."""
    return parse(dates.get("saisine")) or parse(dates.get("reperage")) or parse(dates.get("debut"))


def works_planned(postes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return the works items planned at the referral (« prévu à la saisine »)."""
    return [p for p in postes if p.get("prevu_a_la_saisine")]


def works_done(postes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return the works items done (statut « réalisé »; on a case as of a date, done by then)."""
    return [p for p in postes if p.get("statut") == "realise"]


@dataclass(frozen=True)
class Total:
    """A sum of works amounts: a missing amount is unknown, never 0 €."""

    known: float  # the sum of the amounts given
    complete: bool  # False when an amount is missing: the total is then at least `known`

    @property
    def value(self) -> float | None:
        """The total, or None when an amount is missing."""
        return self.known if self.complete else None


def works_total(postes: list[dict[str, Any]], key: str) -> Total:
    """Return the sum of the postes' `key` (« montant_prevu », « montant_realise »)."""
    amounts = [p.get(key) for p in postes]
    return Total(sum(a for a in amounts if a is not None), None not in amounts)


def visits(case: Case, first: date | None = None, last: date | None = None) -> list[tuple[date, str | None]]:
    """Return (date, place) of each dated visit, in order, from `first` to `last` included when given."""
    found = [(parse(v.get("date")), v.get("lieu")) for v in case.get("suivi").get("visites", [])]
    return sorted(((day, place) for day, place in found if day is not None
                   and (first is None or first <= day) and (last is None or day <= last)),
                  key=lambda visit: visit[0])


class MonthVisits(NamedTuple):
    """The visits of one month of the measure."""

    number: int  # 1 for the measure's first month
    first: date
    last: date  # the month's last day, or the day it is cut at (visits_by_month's `until`)
    total: int  # visits of any kind
    home: int  # of which at home
    whole: bool  # False when the month is cut before its last day


def visits_by_month(case: Case, start: date, months: int, until: date | None = None) -> list[MonthVisits]:
    """Return the visits of each of the measure's first `months` months (started on `start`).

    With `until`, the months after it are left out and the month holding it is cut there.
    """
    seen = visits(case)
    rows = []
    for number, first, last in month_windows(start, months):
        if until is not None and first > until:
            break
        cut = last if until is None else min(last, until)
        places = [place for day, place in seen if first <= day <= cut]
        rows.append(MonthVisits(number, first, cut, len(places), places.count("domicile"), cut == last))
    return rows


@dataclass(frozen=True)
class VisitsGap:
    """What a month's visits lack against the programme's quota (« au moins 2 par mois, dont 1 à domicile »)."""

    visits: int  # visits still owed, of any kind
    home: int  # home visits still owed

    @property
    def met(self) -> bool:
        """True when the month has the visits and the home visits the programme asks for."""
        return not self.visits and not self.home


def visits_gap(total: int, home: int, programme: Programme) -> VisitsGap:
    """Return what a month with `total` visits, `home` of them at home, lacks against the programme's quota."""
    return VisitsGap(max(0, programme.visits_per_month - total), max(0, programme.home_visits_per_month - home))


def _known(value: Any, day: date) -> bool:
    """True when the date `value` is on or before `day`."""
    when = parse(value)
    return when is not None and when <= day


def _later(value: Any, day: date) -> bool:
    when = parse(value)
    return when is not None and when > day


def _drop_later(item: dict[str, Any], day: date, keys: tuple[str, ...]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if not (k in keys and _later(v, day))}


def item_as_of(item: dict[str, Any], day: date) -> dict[str, Any]:
    """Return a document's own element (a review, a diagnostic request) without its dates after `day`.

    A decision taken after `day` (a diagnostic granted two weeks after the request) goes with its date.
    """
    if _later(item.get("date_decision"), day):
        item = {k: v for k, v in item.items() if k != "decision"}
    return {k: v for k, v in item.items() if not (isinstance(v, str) and k.startswith("date") and _later(v, day))}


# ---------------------------------------------------------------- states


# The field dating each step of an aid, a loan and a works item: the one table that the dated states
# (below), the coherence checks (rules) and the documents' « accordée le … » (context) read. An aid's
# payments may also be listed, each with its date (« versements »: aid_payments).
AID_DATES = {"demandee": "date_demande", "accordee": "date_accord", "versee": "date_versement",
             "refusee": "date_refus", "annulee": "date_annulation"}
LOAN_DATES = {"demande": "date_demande", "accorde": "date_accord", "refuse": "date_refus"}
ENDED_AIDS = ("refusee", "annulee")  # an aid refused or cancelled finances nothing (and expects no payment)
PENDING_LOANS = ("envisage", "demande")  # a loan not granted yet: shown, never counted
# A works item goes through these steps in order, and may be abandoned at any of them (« abandonne »).
WORK_STEPS = ("a_chiffrer", "devis_recu", "commande", "en_cours", "realise")
WORK_DATES = {"devis_recu": "date_devis", "commande": "date_commande", "en_cours": "date_debut", "realise": "date_fin",
              "abandonne": "date_abandon"}

HOUSEHOLD, MANDATARY = "menage", "mandataire"  # who receives an aid's payments (« beneficiaire »)


@dataclass(frozen=True)
class AidPayment:
    """One payment an aid made: its day (None: paid, on a day the files do not say), amount and recipient."""

    day: date | None
    amount: float
    to: str  # HOUSEHOLD or MANDATARY


def aid_payments(aid: dict[str, Any]) -> list[AidPayment]:
    """Return the payments of an aid: the one place that says which aids are paid, and on which day.

    Each of « versements »; else, for an aid « versée » (or « annulée » once paid), one payment of
    its whole amount on « date_versement »; an aid « versée » without it was paid on no known day
    (`day` None): received, but neither on the document's date nor on any other. On a case as of
    a date (as_of), the payments after it are already gone.
    """
    to = aid.get("beneficiaire") or HOUSEHOLD
    listed = [AidPayment(parse(v.get("date")), float(v.get("montant") or 0), v.get("beneficiaire") or to)
              for v in aid.get("versements") or [] if isinstance(v, dict)]
    if listed:
        return listed
    status = aid.get("statut")
    if status == "versee" or (status == "annulee" and aid.get("date_versement")):
        return [AidPayment(parse(aid.get("date_versement")), float(aid_amount(aid) or 0), to)]
    return []


def _any_later(item: dict[str, Any], keys: Iterable[str], day: date) -> bool:
    return any(_later(item.get(k), day) for k in keys)


def aid_state(aid: dict[str, Any], day: date) -> tuple[str, bool]:
    """Return (statut, undated) of a financing aid as of `day`.

    Each step has its date (request, grant, payments, refusal, cancellation); the
    statut the files give is reached on its own date, and before it the aid was at
    the last step dated on or before `day`. A statut given without its date is kept,
    marked undated, unless a later-dated step shows it came after `day`.
    """
    status = aid.get("statut", "a_solliciter")
    if status == "a_solliciter":
        return status, False
    if _later(aid.get("date_demande"), day):
        return "a_solliciter", False  # requested later: at `day`, at most an aid to request
    paid = [p.day for p in aid_payments(aid)]
    later = _any_later(aid, AID_DATES.values(), day) or any(d is not None and d > day for d in paid)
    if status in ENDED_AIDS:
        ended = AID_DATES[status]
        if _known(aid.get(ended), day):
            return status, False
        if aid.get(ended) is None and not later:
            return status, True  # refused or cancelled on a day the files do not say
    if status in ("versee", "annulee") and any(d is not None and d <= day for d in paid):
        return "versee", False
    if status == "versee" and None in paid and not later:
        return status, True  # paid on a day the files do not say: never placed on another one (the grant's)
    if status in ("versee", "accordee", "annulee") and _known(aid.get("date_accord"), day):
        return "accordee", False
    if status in ("versee", "accordee") and not later:
        return status, True  # granted or paid, on a day the files do not say
    return "demandee", aid.get("date_demande") is None


def aid_amount(aid: dict[str, Any]) -> float | None:
    """Return what an aid brings at its (already dated) statut: granted amount, else amount asked, else estimate."""
    if aid.get("statut") in ("accordee", "versee") and aid.get("montant_accorde") is not None:
        return aid["montant_accorde"]
    if aid.get("statut") == "a_solliciter" and aid.get("montant_estime") is not None:
        return aid["montant_estime"]
    return aid.get("montant")


def aid_paid(aid: dict[str, Any]) -> float:
    """Return the amount paid of an aid already restated at a date (payments after it are dropped)."""
    return sum(p.amount for p in aid_payments(aid))


def loan_state(loan: dict[str, Any], day: date) -> tuple[str, bool]:
    """Return (statut, undated) of a loan as of `day`, from its dates as for an aid."""
    status = loan.get("statut", "envisage")
    if status == "envisage":
        return status, False
    if _later(loan.get("date_demande"), day):
        return "envisage", False
    own = LOAN_DATES[status]
    if _known(loan.get(own), day):
        return status, False
    if loan.get(own) is None and not _any_later(loan, LOAN_DATES.values(), day):
        return status, True  # the files give no date for this step
    if _known(loan.get("date_demande"), day):
        return "demande", False
    return "envisage", False


_WORK_RANK = {state: rank for rank, state in enumerate(WORK_STEPS)}


def quotes_of(poste: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the quotes listed for a poste (« devis »)."""
    return [q for q in poste.get("devis") or [] if isinstance(q, dict)]


def retained_quotes(poste: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the quotes of a poste marked « retenu » (one at most in a coherent file)."""
    return [q for q in quotes_of(poste) if q.get("retenu")]


def chosen_quote(poste: dict[str, Any]) -> dict[str, Any] | None:
    """Return the quote the household chose (« retenu »), else the only quote, else None."""
    quotes, chosen = quotes_of(poste), retained_quotes(poste)
    return chosen[-1] if chosen else (quotes[0] if len(quotes) == 1 else None)


def chosen_company(poste: dict[str, Any]) -> dict[str, Any] | None:
    """Return the company chosen for a poste: the chosen quote's, else the poste's « entreprise », else None."""
    quote = chosen_quote(poste) or {}
    return next((c for c in (quote.get("entreprise"), poste.get("entreprise")) if isinstance(c, dict)), None)


def quote_dates(poste: dict[str, Any]) -> list[Any]:
    """Return the dates of a poste's quotes: each of « devis », and the older « date_devis »."""
    return [q.get("date") for q in quotes_of(poste)] + ([poste["date_devis"]] if poste.get("date_devis") else [])


def _step_dates(poste: dict[str, Any]) -> dict[str, list[Any]]:
    """The dates of each step of a works item after « a_chiffrer » (a quote's: each quote)."""
    dates = {state: [poste[WORK_DATES[state]]] if poste.get(WORK_DATES[state]) else [] for state in WORK_STEPS[1:]}
    dates["devis_recu"] = quote_dates(poste)
    return dates


def work_state(poste: dict[str, Any], day: date) -> tuple[str, bool]:
    """Return (statut, undated) of a works item as of `day`.

    The furthest step dated on or before `day` (quote, order, start, end) gives the
    state, never beyond the statut the files give; an abandonment is dated by
    « date_abandon ». A statut given without its date is kept, marked undated,
    unless a later-dated step shows it came after `day`.
    """
    status = poste.get("statut", "a_chiffrer")
    if status == "a_chiffrer":
        return status, False
    steps = _step_dates(poste)
    reached = max((_WORK_RANK[state] for state, dates in steps.items() if any(_known(d, day) for d in dates)),
                  default=0)
    later = any(_later(d, day) for dates in steps.values() for d in dates) or _later(poste.get("date_abandon"), day)
    if status == "abandonne":
        if _known(poste.get("date_abandon"), day):
            return status, False
        if poste.get("date_abandon") is None and not later:
            return status, True  # abandoned on a day the files do not say
        return WORK_STEPS[reached], False
    ceiling = _WORK_RANK[status]
    if any(_known(d, day) for d in steps.get(status, [])):
        return status, False
    if not steps.get(status) and not later and reached <= ceiling:
        return status, reached < ceiling  # this step has no date: as the files say, marked undated when it matters
    return WORK_STEPS[min(reached, ceiling)], False


def in_project(poste: dict[str, Any], day: date) -> bool:
    """True when the poste was part of the project on `day` (added later: not yet)."""
    if _later(poste.get("date_ajout"), day):
        return False
    if poste.get("prevu_a_la_saisine") or _known(poste.get("date_ajout"), day):
        return True
    dated = [d for dates in _step_dates(poste).values() for d in dates] + [poste.get("date_abandon")]
    return not any(parse(d) for d in dated) or any(_known(d, day) for d in dated)


def work_amount(poste: dict[str, Any]) -> float | None:
    """Return a poste's cost as known at its (already dated) statut: invoiced, else chosen quote, else estimate."""
    if poste.get("statut") in ("realise", "abandonne") and poste.get("montant_realise") is not None:
        return poste["montant_realise"]
    quote = chosen_quote(poste)
    if quote is not None and quote.get("montant_ttc") is not None:
        return quote["montant_ttc"]
    return poste.get("montant_prevu")


def validation_date(mesure: dict[str, Any]) -> date | None:
    """Return the day the committee decided: « validation.date », else the older « dates.validation »."""
    decision = mesure.get("validation")
    if isinstance(decision, dict) and parse(decision.get("date")):
        return parse(decision.get("date"))
    return parse((mesure.get("dates") or {}).get("validation"))


def measure_state(mesure: dict[str, Any], sortie: dict[str, Any], day: date) -> str:
    """Return the measure's statut as of `day`, from its dates."""
    status = mesure.get("statut", "reperage")
    dates = mesure.get("dates", {})
    if status in ("terminee", "rompue") and _known(sortie.get("date"), day):
        return status
    decided = validation_date(mesure)
    if status == "refusee" and not (decided and decided > day):
        return status
    if _known(dates.get("debut"), day):
        return "en_cours"
    if decided and decided <= day and validated(mesure) is not False:
        return "validee"
    if _known(dates.get("saisine"), day):
        return "saisine_envoyee"
    return "reperage"


# ---------------------------------------------------------------- the financing plan


@dataclass(frozen=True)
class Plan:
    """A case's financing plan, computed from its postes and aids (never typed), on a case as of a date.

    The cost is the total of the postes in the project and not abandoned (invoiced amount
    once done, else the chosen quote, else the estimate); the household's share is that cost
    less the aids neither refused nor cancelled; what loans granted do not cover is still
    to finance. The plan always adds up: cost = aids + share.
    """

    cost: float | None  # None when a poste of the project has no amount yet
    priced: float  # total of the postes whose amount is known
    unpriced: tuple[str, ...]  # intitulés of the postes without any amount
    aids: float
    loans_granted: float
    loans_pending: float  # envisaged or requested
    abandoned: bool = False  # every poste abandoned: the aids never requested finance nothing

    @property
    def share(self) -> float | None:
        """The household's share (« reste à charge »): cost less aids, None while the cost is unknown."""
        return None if self.cost is None else round(self.cost - self.aids, 2)

    @property
    def to_finance(self) -> float | None:
        """What the household's share still lacks once the loans granted are counted (negative: more than needed)."""
        return None if self.share is None else round(self.share - self.loans_granted, 2)


def financing_plan(case: Case) -> Plan:
    """Return the financing plan of `case` (a case as of a date: its postes and aids in their state then)."""
    every = case.get("travaux").get("postes", [])
    postes = [p for p in every if p.get("statut") != "abandonne"]
    # Works abandoned mid-way still cost what was done and invoiced before (their « montant_realise »).
    invoiced = [p for p in every if p.get("statut") == "abandonne" and p.get("montant_realise") is not None]
    amounts = [(p.get("intitule", ""), work_amount(p)) for p in postes] + \
        [(p.get("intitule", ""), p["montant_realise"]) for p in invoiced]
    unpriced = tuple(name for name, amount in amounts if amount is None)
    priced = sum(amount for _, amount in amounts if amount is not None)
    financing = case.get("financement")
    # An aid never requested belongs to a project: once every poste is abandoned it finances nothing.
    dropped = ("a_solliciter", *ENDED_AIDS) if every and not postes else ENDED_AIDS
    aids = sum(aid_amount(a) or 0 for a in financing.get("aides", []) if a.get("statut") not in dropped)
    loans = financing.get("prets", [])
    return Plan(cost=None if unpriced else round(priced, 2), priced=round(priced, 2), unpriced=unpriced,
                aids=round(aids, 2), abandoned=bool(every) and not postes,
                loans_granted=sum(p.get("montant") or 0 for p in loans if p.get("statut") == "accorde"),
                loans_pending=sum(p.get("montant") or 0 for p in loans if p.get("statut") in PENDING_LOANS))


def committee_decision(mesure: dict[str, Any]) -> str | None:
    """Return the committee's decision (validee, refusee, ajournee), None when not recorded.

    A file written before « validation » existed gives « validee » with a validation date and
    a measure not refused, « refusee » for a refused measure.
    """
    recorded = mesure.get("validation")
    if isinstance(recorded, dict) and isinstance(recorded.get("decision"), str):
        return str(recorded["decision"])
    if mesure.get("statut") == "refusee":
        return "refusee"
    return "validee" if parse((mesure.get("dates") or {}).get("validation")) else None


def validated(mesure: dict[str, Any]) -> bool | None:
    """Return whether the committee validated the measure: True, False (refused or postponed), None if not recorded."""
    decision = committee_decision(mesure)
    return None if decision is None else decision == "validee"


# ---------------------------------------------------------------- the case as of a day


def as_of(case: Case, day: date) -> Case:
    """Return `case` as it stood on `day` (see the module's docstring)."""
    documents = {}
    for name, document in case.documents.items():
        data = document.data
        if isinstance(data, dict):
            data = _FILES.get(name, lambda d, c, x: d)(data, case, day)
        documents[name] = Document(document.path, data, document.text)
    return Case(case.id, case.folder, documents, case.problems)


def _mesure(data: dict[str, Any], case: Case, day: date) -> dict[str, Any]:
    if not data:
        return data
    dates = dict(data.get("dates") or {})
    started = _known(dates.get("debut"), day)
    dates = {k: v for k, v in dates.items() if k == "fin_prevue" and started or not _later(v, day)}
    if not started:
        dates.pop("fin_prevue", None)  # planned from the start, which had not come yet
    result = {**data, "dates": dates, "statut": measure_state(data, case.get("sortie"), day)}
    if isinstance(data.get("partenaires"), list):
        # A partner mobilised after `day` was not a partner yet; one whose part ended after `day` still was.
        result["partenaires"] = [_drop_later(p, day, ("jusqu_au",)) for p in data["partenaires"]
                                 if not (isinstance(p, dict) and _later(p.get("depuis"), day))]
    if isinstance(data.get("validation"), dict) and _later(data["validation"].get("date"), day):
        result.pop("validation")  # the committee had not decided yet
    return result


def _menage(data: dict[str, Any], case: Case, day: date) -> dict[str, Any]:
    # An ANAH category notified after `day` was not known yet.
    if isinstance(data.get("categorie_anah"), dict) and _later(data["categorie_anah"].get("date"), day):
        return {k: v for k, v in data.items() if k != "categorie_anah"}
    return data


def _logement(data: dict[str, Any], case: Case, day: date) -> dict[str, Any]:
    result = {k: v for k, v in data.items()
              if not (k in ("dpe_avant", "dpe_apres", "chauffage_apres") and isinstance(v, dict)
                      and _later(v.get("date"), day))}
    if isinstance(data.get("budget_energie"), dict):
        result["budget_energie"] = _energy_budget(data["budget_energie"], day)
    return result


def _energy_budget(budget: dict[str, Any], day: date) -> dict[str, Any]:
    """The energy budget known on `day`: bills whose period ended by then, the forecast made by then."""
    result = {k: v for k, v in budget.items() if not (k == "prevision" and isinstance(v, dict)
                                                       and _later(v.get("date"), day))}
    for key in ("factures_avant", "factures_apres"):
        if isinstance(budget.get(key), list):
            result[key] = [b for b in budget[key] if not (isinstance(b, dict) and _later(b.get("au"), day))]
    return result


def _poste(poste: dict[str, Any], day: date) -> dict[str, Any]:
    state, undated = work_state(poste, day)
    kept = _drop_later(poste, day, tuple(WORK_DATES.values()))
    if isinstance(poste.get("devis"), list):
        kept["devis"] = [q for q in poste["devis"] if not (isinstance(q, dict) and _later(q.get("date"), day))]
    if state not in ("realise", "abandonne"):
        kept.pop("montant_realise", None)  # invoiced at the end, or for what was done before an abandonment
    if state != "abandonne":
        kept.pop("motif_abandon", None)
    if state == "a_chiffrer":
        kept.pop("entreprise", None)  # chosen with a quote, which came later
        kept.pop("motif_choix", None)
    if state in ("a_chiffrer", "devis_recu") and kept.get("devis"):
        # Not ordered yet: a quote may be preferred, but none is chosen for good.
        kept["devis"] = [{k: v for k, v in q.items() if k != "retenu"} if isinstance(q, dict) else q
                         for q in kept["devis"]]
    return {**kept, "statut": state, **({UNDATED: True} if undated else {})}


def _travaux(data: dict[str, Any], case: Case, day: date) -> dict[str, Any]:
    postes = [_poste(p, day) for p in data.get("postes", []) if not isinstance(p, dict) or in_project(p, day)]
    result = {**data, "postes": postes} if "postes" in data else dict(data)
    if isinstance(data.get("reception"), dict) and _later(data["reception"].get("date"), day):
        result.pop("reception")
    return _site_as_of(result, day)


def _site_as_of(data: dict[str, Any], day: date) -> dict[str, Any]:
    """Return the site follow-up of travaux.yaml as of `day`: meetings, reserves and handovers known then.

    The reserves are made at the reception: before it, there are none; a reserve lifted
    after `day` is still open on `day`.
    """
    result = dict(data)
    for key in ("reunions_chantier", "remises"):
        if isinstance(data.get(key), list):
            result[key] = [item for item in data[key] if not (isinstance(item, dict) and _later(item.get("date"), day))]
    if "reserves" in data:
        if not isinstance(result.get("reception"), dict):
            result.pop("reserves")
        elif isinstance(data["reserves"], list):
            result["reserves"] = [_drop_later(r, day, ("date_levee",)) if isinstance(r, dict) else r
                                  for r in data["reserves"]]
    return result


def _aid(aid: dict[str, Any], day: date) -> dict[str, Any]:
    state, undated = aid_state(aid, day)
    kept = _drop_later(aid, day, tuple(AID_DATES.values()))
    if isinstance(aid.get("versements"), list):
        kept["versements"] = [v for v in aid["versements"] if not (isinstance(v, dict) and _later(v.get("date"), day))]
    if state not in ("accordee", "versee", "annulee"):
        kept.pop("montant_accorde", None)
    for key, kept_in in (("motif_refus", "refusee"), ("motif_annulation", "annulee")):
        if state != kept_in:
            kept.pop(key, None)
    return {**kept, "statut": state, **({UNDATED: True} if undated else {})}


def _loan(loan: dict[str, Any], day: date) -> dict[str, Any]:
    state, undated = loan_state(loan, day)
    kept = _drop_later(loan, day, (*LOAN_DATES.values(), "date_deblocage"))
    if state != "refuse":
        kept.pop("motif_refus", None)
    return {**kept, "statut": state, **({UNDATED: True} if undated else {})}


def _financement(data: dict[str, Any], case: Case, day: date) -> dict[str, Any]:
    result = {**data}
    if "aides" in data:
        result["aides"] = [_aid(a, day) for a in data["aides"]]
    if "prets" in data:
        # A loan asked for after `day` was not part of the plan yet (loans close the plan late, once aids are known).
        result["prets"] = [_loan(p, day) for p in data["prets"]
                           if not (isinstance(p, dict) and _later(p.get("date_demande"), day))]
    if isinstance(data.get("avance_audit"), dict) and _later(data["avance_audit"].get("date"), day):
        result.pop("avance_audit")
    if isinstance(data.get("tresorerie"), dict):
        result["tresorerie"] = _cash_plan(data["tresorerie"], day)
    return result


def _cash_plan(plan: dict[str, Any], day: date) -> dict[str, Any]:
    """The cash plan on `day`: payments not made yet lose their payment date, the mandate's later funds go."""
    result = {**plan, AS_OF: day.isoformat()}
    if isinstance(plan.get("paiements"), list):
        result["paiements"] = [_drop_later(p, day, ("date_paiement",)) if isinstance(p, dict) else p
                               for p in plan["paiements"]]
    mandate = plan.get("mandat")
    if isinstance(mandate, dict):
        if _later(mandate.get("date_signature"), day):
            result.pop("mandat")  # not signed yet: no mandate
        elif isinstance(mandate.get("fonds_recus"), list):
            result["mandat"] = {**mandate, "fonds_recus": [f for f in mandate["fonds_recus"]
                                                           if not (isinstance(f, dict) and _later(f.get("date"), day))]}
    return result


def _contrat(data: dict[str, Any], case: Case, day: date) -> dict[str, Any]:
    if _later(data.get("date_signature"), day):
        return {}  # not signed yet: its objectives and steps were not agreed
    return _drop_later(data, day, ("date_envoi_spslh",))


def _suivi(data: dict[str, Any], case: Case, day: date) -> dict[str, Any]:
    result = dict(data)
    for key, field in (("visites", "date"), ("concertations", "date")):
        if key in data:
            result[key] = [item for item in data[key] if not _later(item.get(field), day)]
    if "signalements" in data:
        result["signalements"] = [_drop_later(s, day, ("date_signalement",)) for s in data["signalements"]
                                  if not _later(s.get("date_changement"), day)]
    return result


def _diagnostics(data: dict[str, Any], case: Case, day: date) -> dict[str, Any]:
    if "demandes" not in data:
        return data
    demandes = []
    for request in data["demandes"]:
        if _later(request.get("date_demande"), day):
            continue
        if _later(request.get("date_decision"), day):
            request = {k: v for k, v in request.items() if k not in ("decision", "date_decision")}
        demandes.append(request)
    return {**data, "demandes": demandes}


def _bilans(data: dict[str, Any], case: Case, day: date) -> dict[str, Any]:
    if "bilans" not in data:
        return data
    return {**data, "bilans": [_drop_later(b, day, ("date_envoi_spslh",)) for b in data["bilans"]
                               if not _later(b.get("date"), day)]}


def _sortie(data: dict[str, Any], case: Case, day: date) -> dict[str, Any]:
    if _later(data.get("date"), day):
        return {}
    return _drop_later(data, day, ("date_signalement_spslh",))


# ---------------------------------------------------------------- sendings


@dataclass(frozen=True)
class Sending:
    """One document sent: when, to whom, and where the case files record it (to locate messages)."""

    document: str  # output name, as in out/<case>/: contrat, bilan-intermediaire-3-mois…
    day: date
    recipients: tuple[str, ...]
    file: str  # case file recording it
    where: tuple  # path inside that file
    correction: bool = False


# Before envois.yaml, each document's own file held its sending date (to the SPSLH): still read.
def review_document(sources: Resources, echeance: str) -> str:
    """Return the name of the review document of `echeance` (« 3_mois » → « bilan-intermediaire-3-mois »)."""
    return review_form(sources, echeance).document_name({"echeance": echeance})


def review_form(sources: Resources, echeance: str) -> Form:
    """Return the form of the review of `echeance`: the final review's, or the interim reviews'."""
    return owed_form(sources, "bilan_final" if echeance == "final" else "bilan_intermediaire")


def recipients_of(sources: Resources, document: str, programme: Programme) -> tuple[str, ...]:
    """Return who receives `document` under the programme (astre.yaml, programme.destinataires, by form)."""
    form = form_of(sources, document)
    return programme.recipients.get(form.id if form is not None else document, ("spslh",))


def recipient_name(sources: Resources, code: str, programme: Programme, case: Case | None = None, *,
                   in_sentence: bool = False) -> str:
    """Return the name of a recipient code of programme.destinataires: the one place recipients are named.

    Without a case, the short name of lists and messages (« SPSLH », « SLISL », forms/libelles.yaml
    « destinataire »); with a case, the name its documents print (« SLISL de la MDS Arrageois »), or,
    `in_sentence`, as a sentence of the contract says it (« le SLISL de la MDS Arrageois »).
    """
    if case is None:
        return programme.service_short if code == "spslh" else label(sources, "destinataire", code)
    mesure = case.get("mesure")
    mds = (mesure.get("territoire") or {}).get("mds")
    origin = (mesure.get("origine") or {}).get("structure")
    if code == "spslh":
        return f"le {programme.service_short}" if in_sentence else programme.service
    if code == "slisl":
        name = f"SLISL de la MDS {mds}" if mds else "SLISL de la MDS du ménage"
        return f"le {name}" if in_sentence else name
    if code == "structure_origine":
        if in_sentence:
            return "la structure à l'origine de la demande" + (f" ({origin})" if origin else "")
        return origin or "structure à l'origine de la demande"
    if code == "menage":
        return "le ménage" if in_sentence else case.get("menage").get("designation") or "le ménage"
    return label(sources, "destinataire", code)


def recipients_label(sources: Resources, document: str, programme: Programme,
                     recipients: tuple[str, ...] | None = None) -> str:
    """Return the short names of who receives `document` (its recorded `recipients`, else the programme's)."""
    return ", ".join(recipient_name(sources, r, programme)
                     for r in (recipients or recipients_of(sources, document, programme)))


def sendings(sources: Resources, case: Case, programme: Programme) -> dict[str, list[Sending]]:
    """Return every recorded sending, by document, oldest first.

    envois.yaml is the register; the older fields (contrat.date_envoi_spslh,
    bilans[].date_envoi_spslh, sortie.date_signalement_spslh, suivi.signalements[].date_signalement)
    still count, as a sending to the programme's recipients of that document.
    """
    found: dict[str, dict[date, Sending]] = defaultdict(dict)

    def add(sending: Sending) -> None:
        same = found[sending.document].get(sending.day)
        if same is not None:  # one sending recorded in both places: one sending
            sending = Sending(sending.document, sending.day, tuple(dict.fromkeys(same.recipients + sending.recipients)),
                              same.file, same.where, same.correction or sending.correction)
        found[sending.document][sending.day] = sending

    def legacy(document: str, value: Any, file: str, where: tuple) -> None:
        day = parse(value)
        if day is not None:
            add(Sending(document, day, recipients_of(sources, document, programme), file, where))

    legacy(owed_form(sources, "contrat").document_name(), case.get("contrat").get("date_envoi_spslh"), "contrat",
           ("date_envoi_spslh",))
    for index, review in enumerate(case.get("bilans").get("bilans", [])):
        if isinstance(review.get("echeance"), str):
            legacy(review_document(sources, review["echeance"]), review.get("date_envoi_spslh"), "bilans",
                   ("bilans", index, "date_envoi_spslh"))
    legacy(owed_form(sources, "signalement_sortie").document_name(),
           case.get("sortie").get("date_signalement_spslh"), "sortie",
           ("date_signalement_spslh",))
    for index, change in enumerate(case.get("suivi").get("signalements", [])):
        legacy(owed_form(sources, "signalement_changement").document_name(number=index + 1),
               change.get("date_signalement"),
               "suivi",
               ("signalements", index, "date_signalement"))
    for index, entry in enumerate(case.get("envois").get("envois", [])):
        day = parse(entry.get("date"))
        if day is not None and isinstance(entry.get("document"), str):
            add(Sending(entry["document"], day, tuple(entry.get("destinataires") or ()), "envois", ("envois", index),
                        bool(entry.get("correction"))))
    return {name: sorted(days.values(), key=lambda s: s.day) for name, days in found.items()}


_FILES = {"mesure": _mesure, "menage": _menage, "logement": _logement, "travaux": _travaux, "financement": _financement,
          "contrat": _contrat, "suivi": _suivi, "diagnostics": _diagnostics, "bilans": _bilans, "sortie": _sortie}
