"""The 13 evaluation indicators of the annual activity report, computed from the cases.

Two steps: `facts()` derives, once per case, every value the report and the
export need (coded values and numbers, no names, no free text); `indicators()`
aggregates them over a period. Each indicator says which cases it covers and
how many have the value « non renseigné »: no case is dropped silently.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ..model.deadlines import RUNNING, end_of_measure, planned_end
from ..model.energy import LOW_LABELS, energy_budget
from ..model.measure import (
    ENDED_AIDS,
    aid_amount,
    as_of,
    committee_decision,
    financing_plan,
    visits_by_month,
    works_done,
    works_planned,
    works_total,
)
from ..model.rules import (
    household_category,
    notified_category,
    variation_rate,
    works_finished,
)
from ..model.timeline import age, month_of_measure, parse
from ..reading.cases import Case
from ..reading.config import Programme
from ..reading.resources import Resources

MISSING = "non_renseigne"
AGE_BRACKETS = [(0, 39, "moins_40"), (40, 59, "40_59"), (60, 74, "60_74"), (75, 200, "75_plus")]
INCOME_BRACKETS = [(0, 9999, "moins_10000"), (10000, 14999, "10000_14999"), (15000, 19999, "15000_19999"),
                   (20000, 24999, "20000_24999"), (25000, 10**9, "25000_plus")]
OBTAINED = ("accordee", "versee")
# Aids actually requested or obtained: indicator 10 counts these, never an aid still « à solliciter ».
MOBILISED = ("demandee", *OBTAINED)
ABANDONED_PROJECT = "projet_abandonne"  # indicator 10's status of any aid of a project whose postes were all abandoned
RUPTURES = ("rupture", "non_adhesion")


@dataclass(frozen=True)
class Period:
    """The reporting period, both days included."""

    start: date
    end: date

    def __contains__(self, day: object) -> bool:
        """True when `day` is a date inside the period."""
        return isinstance(day, date) and self.start <= day <= self.end


@dataclass
class Facts:
    """What one case contributes to the report: codes and numbers only."""

    id: str
    statut: str
    reperage: date | None
    saisine: date | None
    debut: date | None
    fin: date | None  # exit day, or planned end
    sortie: date | None
    origine_type: str
    mds: str
    commune: str
    code_insee: str
    perimetre: str
    personnes: int
    tranche_age: str
    categorie_anah: str
    tranche_revenus: str
    difficultes: list[str]
    postes_types: list[str]
    travaux_realises: bool  # at least one poste done
    travaux_termines: bool  # every poste done or abandoned (rules.works_finished)
    montant_prevu: float | None  # postes planned at the request (None: an amount is missing)
    montant_realise: float | None  # postes done
    taux_variation: float | None
    postes_ajoutes: int
    postes_abandonnes: int
    avance_audit: float | None
    avance_audit_date: date | None
    financement: bool
    aides: list[tuple[str, str, float]]  # (type_financeur, statut, montant)
    aides_total: float  # aids neither refused nor cancelled (measure.financing_plan)
    projet_abandonne: bool  # every poste of the project abandoned: its aids are not mobilised
    aides_obtenues: float
    reste_a_charge: float | None
    satisfaction: str | None  # final review's, None when no final review
    partenaires: list[str]
    sortie_type: str | None
    sortie_motif: str | None
    duree_mois: int | None  # months of measure started, for ended measures
    diagnostics: list[tuple[str, str, date | None]]  # (type, decision, decision day or request day)
    decision: str | None = None  # the committee's: validee, refusee, ajournee; None when not recorded
    # Visits of each month of the measure, as recorded (number, first day, last day, visits, home visits,
    # True when the month ran whole: not cut by the exit).
    visites_mois: list[tuple[int, date, date, int, int, bool]] = field(default_factory=list)
    events: dict[str, list[Any]] = field(default_factory=dict)  # dated events, filtered by period later
    # Energy budget (logement.yaml): DPE labels before and after; yearly costs measured before, forecast, measured
    # after (model/energy.py: a measured yearly cost needs bills over a year); None when not recorded.
    etiquette_avant: str | None = None
    etiquette_apres: str | None = None
    cout_avant: float | None = None
    cout_prevu: float | None = None
    cout_apres: float | None = None

    @property
    def ran(self) -> bool:
        """True when the measure really ran (en cours, terminée or rompue): accompanied and billed.

        A measure spotted, filed, validated but not started, or refused still counts
        for indicators 1 and 2 (spotted, filed), never as accompanied nor billed.
        """
        return self.statut in RUNNING

    @property
    def refused(self) -> bool:
        """True when the referral was refused (statut « refusee », or the committee's decision « refusee »)."""
        return self.statut == "refusee" or self.decision == "refusee"

    @property
    def validated(self) -> bool:
        """True when the committee validated the measure (measure.validated): only then is it billed."""
        return self.decision == "validee"

    @property
    def rupture(self) -> bool:
        """True when the measure ended early (exit « rupture » or « non-adhésion », or statut « rompue »)."""
        return self.sortie is not None and (self.sortie_type in RUPTURES or self.statut == "rompue")

    def active(self, period: Period) -> bool:
        """True when the measure ran at least one day of the period."""
        return (self.ran and self.debut is not None and self.debut <= period.end
                and (self.fin or period.end) >= period.start)

    def in_scope(self, period: Period) -> bool:
        """True when the case belongs in the report: spotted, filed or active in the period."""
        return self.active(period) or self.reperage in period or self.saisine in period


def _bracket(value: float | None, brackets: list[tuple[int, int, str]]) -> str:
    if value is None:
        return MISSING
    return next((code for low, high, code in brackets if low <= value <= high), MISSING)


def facts(sources: Resources, case: Case, programme: Programme, on: date | None = None) -> Facts:
    """Derive the report values of one valid case, as it stood on day `on` (today's files when None).

    A report for a past period reads the case as of the period's end: a state reached
    later (an aid granted, an exit, a refusal) is not counted in it.
    """
    recorded = case
    if on is not None:
        case = as_of(case, on)
    mesure, menage = case.get("mesure"), case.get("menage")
    dates, territoire = mesure.get("dates", {}), mesure.get("territoire", {})
    debut, sortie = parse(dates.get("debut")), end_of_measure(case)
    fin = sortie or planned_end(dates, programme)
    reference = debut or parse(dates.get("saisine")) or parse(dates.get("reperage"))
    demandeur = next((m for m in menage.get("membres", []) if m.get("lien") == "demandeur"), None)
    birth = parse(demandeur.get("date_naissance")) if demandeur else None
    notified = notified_category(case)
    # The category the ANAH notified is the household's; the barème's is only an estimate.
    category = notified["categorie"] if notified is not None else household_category(sources, case)[0]
    income = menage.get("revenu_fiscal_reference", {}).get("montant")
    exit_data = case.get("sortie")
    finals = [b for b in case.get("bilans").get("bilans", []) if b.get("echeance") == "final"]
    financement = case.get("financement")
    plan = financing_plan(case)
    aides = [(a["type_financeur"], a["statut"], float(aid_amount(a) or 0)) for a in financement.get("aides", [])]
    suivi = case.get("suivi")
    postes = case.get("travaux").get("postes", [])
    logement, budget = case.get("logement"), energy_budget(case)
    forecast = (budget.forecast or {}).get("montant") if budget is not None else None
    return Facts(
        id=case.id, statut=_statut(recorded.get("mesure").get("statut"), mesure.get("statut")),
        reperage=parse(dates.get("reperage")), saisine=parse(dates.get("saisine")),
        debut=debut, fin=fin, sortie=sortie,
        origine_type=mesure.get("origine", {}).get("type", MISSING),
        mds=territoire.get("mds", MISSING), commune=territoire.get("commune", MISSING),
        code_insee=territoire.get("code_insee", ""), perimetre=territoire.get("perimetre", MISSING),
        personnes=len(menage.get("membres", [])),
        tranche_age=_bracket(age(birth, reference) if birth and reference else None, AGE_BRACKETS),
        categorie_anah=category or MISSING,
        tranche_revenus=_bracket(income, INCOME_BRACKETS),
        difficultes=list(menage.get("difficultes_saisine", [])),
        **_works(postes),
        avance_audit=financement.get("avance_audit", {}).get("montant"),
        avance_audit_date=parse(financement.get("avance_audit", {}).get("date")),
        financement=bool(financement), aides=aides,
        projet_abandonne=plan.abandoned,
        aides_total=plan.aids if financement else 0.0,
        aides_obtenues=sum(m for _, s, m in aides if s in OBTAINED),
        reste_a_charge=plan.share if financement else None,
        satisfaction=(finals[-1].get("satisfaction") or MISSING) if finals else None,
        partenaires=[p["type"] for p in mesure.get("partenaires", [])],
        sortie_type=exit_data.get("type"), sortie_motif=exit_data.get("motif"),
        duree_mois=month_of_measure(debut, sortie) if debut and sortie else None,
        diagnostics=[(d["type"], d.get("decision", "en_attente"),
                      parse(d.get("date_decision")) or parse(d.get("date_demande")))
                     for d in case.get("diagnostics").get("demandes", [])],
        decision=committee_decision(mesure),
        visites_mois=_visits_by_month(recorded, programme),
        events={
            "visites": [(parse(v.get("date")), v.get("lieu"), bool(v.get("avec_mar")))
                        for v in suivi.get("visites", [])],
            "concertations": [(parse(c.get("date")), _participant_kinds(c.get("participants", []), mesure))
                              for c in suivi.get("concertations", [])],
            "signalements": [(parse(s.get("date_changement")), s.get("nature"), bool(s.get("date_signalement")))
                             for s in suivi.get("signalements", [])],
        },
        etiquette_avant=(logement.get("dpe_avant") or {}).get("classe"),
        etiquette_apres=(logement.get("dpe_apres") or {}).get("classe"),
        cout_avant=budget.before.yearly if budget is not None else None,
        cout_prevu=float(forecast) if forecast is not None else None,
        cout_apres=budget.after.yearly if budget is not None else None,
    )


_PROGRESS = ("reperage", "saisine_envoyee", "validee", "en_cours")


def _statut(recorded: str | None, dated: str | None) -> str:
    """The statut at the date, never further than the files say (« validee » with a start date did not run)."""
    if recorded in _PROGRESS and dated in _PROGRESS and _PROGRESS.index(dated) > _PROGRESS.index(recorded):
        return recorded
    return dated or MISSING


def _visits_by_month(case: Case, programme: Programme) -> list[tuple[int, date, date, int, int, bool]]:
    """Visits of each month of the measure as recorded: the funding statement lists months billed below the quota.

    Read on the files as they are (not as of the period's end): a month billed at the end of a
    period is judged on all its visits, and a month cut by the exit is said so.
    """
    start = parse(case.get("mesure").get("dates", {}).get("debut"))
    if start is None:
        return []
    exit_day = end_of_measure(case)
    return [(number, first, last, total, home, exit_day is None or last <= exit_day)
            for number, first, last, total, home, _ in visits_by_month(case, start, programme.months)]


def _works(postes: list[dict[str, Any]]) -> dict[str, Any]:
    planned, done = works_planned(postes), works_done(postes)
    planned_total, done_total = works_total(planned, "montant_prevu").value, works_total(done, "montant_realise").value
    rate = variation_rate(postes)
    return {
        "postes_types": [p["type"] for p in postes], "travaux_realises": bool(done),
        "travaux_termines": works_finished(postes),
        "montant_prevu": planned_total, "montant_realise": done_total if done else None, "taux_variation": rate,
        "postes_ajoutes": sum(1 for p in postes if not p.get("prevu_a_la_saisine")),
        "postes_abandonnes": sum(1 for p in postes if p.get("statut") == "abandonne"),
    }


def _participant_kinds(participants: list[str], mesure: dict[str, Any]) -> list[str]:
    """Classify concertation participants by the case's partner types (names never leave here)."""
    by_name = {p["nom"].casefold(): p["type"] for p in mesure.get("partenaires", [])}
    kinds = []
    for name in participants:
        key = name.casefold()
        if key.startswith(("slisl", "mds", "maison du département")):
            kinds.append("departement")
        else:
            kinds.append(by_name.get(key, "autre"))
    return kinds


# ---------------------------------------------------------------- aggregation

@dataclass
class Distribution:
    """One table of the report: counts by coded value (`family` names the labels)."""

    title: str
    family: str | None
    counts: dict[str, int]
    unit: str = "dossiers"
    # Cases the shares are of, when one case may count in several rows (None: shares of the counts' sum).
    cases: int | None = None


@dataclass
class Indicator:
    """One of the 13 indicators: its population, key figures and tables."""

    number: int
    title: str
    population: str
    covered: int
    missing: int = 0
    missing_what: str = ""
    figures: dict[str, Any] = field(default_factory=dict)
    tables: list[Distribution] = field(default_factory=list)


def _count(values: list[str], order: list[str] | None = None) -> dict[str, int]:
    counts = Counter(values)
    keys = sorted(counts, key=lambda k: (k == MISSING, -counts[k], k))
    if order is not None:
        keys = [k for k in order if k in counts] + [k for k in keys if k not in order]
    return {k: counts[k] for k in keys}


def _stats(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"moyenne": None, "mediane": None, "minimum": None, "maximum": None}
    return {"moyenne": statistics.fmean(values), "mediane": statistics.median(values),
            "minimum": min(values), "maximum": max(values)}


def _variation(group: list[Facts]) -> dict[str, Any]:
    """Variation rate of a group of cases: of the summed amounts, and the mean of the cases' rates."""
    known = [f for f in group if f.taux_variation is not None]
    planned = sum(f.montant_prevu or 0 for f in known)
    done = sum(f.montant_realise or 0 for f in known)
    return {"taux_global": (done - planned) / planned if planned else None,
            "taux_moyen": statistics.fmean(f.taux_variation for f in known if f.taux_variation is not None)
            if known else None,
            "montant_prevu": planned, "montant_realise": done}


def indicators(all_facts: list[Facts], period: Period) -> list[Indicator]:
    """Return the 13 indicators over the period."""
    active = [f for f in all_facts if f.active(period)]
    ended = [f for f in active if f.sortie in period]
    # A referral the Département refused was not an eligible situation: counted apart.
    spotted = [f for f in all_facts if f.reperage in period and not f.refused]
    refused = [f for f in all_facts if f.reperage in period and f.refused]
    filed = [f for f in all_facts if f.saisine in period]
    scope = [f for f in all_facts if f.in_scope(period)]
    with_works = [f for f in active if f.travaux_realises]
    n_act = f"mesures actives sur la période ({len(active)})"
    n_end = f"mesures terminées ou arrêtées sur la période ({len(ended)})"
    ages = [k for _, _, k in AGE_BRACKETS] + [MISSING]
    incomes = [k for _, _, k in INCOME_BRACKETS] + [MISSING]
    finished = [f for f in with_works if f.travaux_termines]
    unfinished = [f for f in with_works if not f.travaux_termines]
    # Each aid in its state at the period's end; those of a project abandoned altogether are apart (a refused or
    # cancelled one stays what it is).
    all_aids = [(kind, ABANDONED_PROJECT if f.projet_abandonne and status not in ENDED_AIDS else status, amount)
                for f in active for kind, status, amount in f.aides]
    # Only aids actually requested or obtained are mobilised: not one still to request, refused or cancelled.
    aides = [a for a in all_aids if a[1] in MOBILISED]
    by_type: dict[str, dict[str, float]] = {}
    for kind, status, amount in all_aids:
        row = by_type.setdefault(kind, {"nombre": 0, "total": 0.0, "obtenues": 0.0, "en_cours": 0.0, "refusees": 0.0})
        if status == "refusee":
            row["refusees"] += amount
        elif status in MOBILISED:
            row["nombre"] += 1
            row["total"] += amount
            row["obtenues" if status in OBTAINED else "en_cours"] += amount
    # Only advances made in the period; an undated one cannot be placed: « non renseigné ».
    advances = [f.avance_audit for f in active if f.avance_audit is not None and f.avance_audit_date in period]
    undated = sum(1 for f in active if f.avance_audit is not None and f.avance_audit_date is None)
    return [
        Indicator(1, "Situations éligibles repérées avec les partenaires",
                  f"dossiers repérés sur la période, hors saisines refusées ({len(spotted)})", len(spotted),
                  sum(1 for f in scope if f.reperage is None), "date de repérage",
                  {"situations": len(spotted), "refusees": len(refused)},
                  [Distribution("Structure ayant repéré la situation", "origine",
                                _count([f.origine_type for f in spotted]))]),
        Indicator(2, "Demandes déposées et structures à l'origine de la demande",
                  f"fiches saisine envoyées sur la période ({len(filed)})", len(filed),
                  sum(1 for f in scope if f.saisine is None), "date de saisine",
                  {"demandes": len(filed)},
                  [Distribution("Type de structure à l'origine de la demande", "origine",
                                _count([f.origine_type for f in filed]))]),
        Indicator(3, "Personnes accompagnées", n_act, len(active), 0, "",
                  {"menages": len(active), "personnes": sum(f.personnes for f in active)}),
        Indicator(4, "Durée de l'accompagnement (mois de mesure entamés)", n_end, len(ended),
                  sum(1 for f in ended if f.duree_mois is None), "date de début ou de sortie",
                  _stats([float(f.duree_mois) for f in ended if f.duree_mois is not None])),
        Indicator(5, "Difficultés repérées au moment de la demande", n_act, len(active),
                  sum(1 for f in active if not f.difficultes), "difficultés à la saisine",
                  {"difficultes": sum(len(f.difficultes) for f in active)},
                  [Distribution("Dossiers ayant cette difficulté", "difficulte",
                                _count([d for f in active for d in sorted(set(f.difficultes))]), cases=len(active))]),
        Indicator(6, "Profil des ménages accompagnés", n_act, len(active),
                  sum(1 for f in active if MISSING in (f.tranche_age, f.categorie_anah, f.tranche_revenus)),
                  "âge, catégorie ANAH ou revenus", {},
                  [Distribution("Composition (personnes dans le logement)", None,
                                _count([str(min(f.personnes, 5)) for f in active], ["1", "2", "3", "4", "5"]),
                                "ménages"),
                   Distribution("Âge du demandeur au début de la mesure", "tranche_age",
                                _count([f.tranche_age for f in active], ages), "ménages"),
                   Distribution("Ressources : catégorie ANAH", "categorie_anah",
                                _count([f.categorie_anah for f in active]), "ménages"),
                   Distribution("Ressources : revenu fiscal de référence annuel", "tranche_revenus",
                                _count([f.tranche_revenus for f in active], incomes), "ménages"),
                   Distribution("Territoire MDS", None, _count([f.mds for f in active]), "ménages")]),
        Indicator(7, "Localisation des projets de travaux", n_act, len(active), 0, "", {},
                  [Distribution("Territoire MDS", None, _count([f.mds for f in active])),
                   Distribution("Commune", None, _count([f"{f.commune} ({f.code_insee})" if f.code_insee else f.commune
                                                         for f in active])),
                   Distribution("Périmètre", "perimetre", _count([f.perimetre for f in active]))]),
        Indicator(8, "Types de travaux", n_act, len(active),
                  sum(1 for f in active if not f.postes_types), "postes de travaux",
                  {"postes": sum(len(f.postes_types) for f in active)},
                  [Distribution("Postes de travaux par type", "type_travaux",
                                _count([t for f in active for t in f.postes_types]), "postes"),
                   Distribution("Dossiers ayant au moins un poste de ce type", "type_travaux",
                                _count([t for f in active for t in sorted(set(f.postes_types))]),
                                cases=len(active))]),
        Indicator(9, "Taux de variation des projets (travaux réalisés / prévus à la saisine)",
                  f"mesures actives dont les travaux sont terminés ({len(finished)})", len(finished),
                  sum(1 for f in finished if f.taux_variation is None), "montant prévu ou réalisé",
                  {**_variation(finished),
                   "postes_ajoutes": sum(f.postes_ajoutes for f in finished),
                   "postes_abandonnes": sum(f.postes_abandonnes for f in finished),
                   "en_cours": {"dossiers": len(unfinished), **_variation(unfinished),
                                "non_renseigne": sum(1 for f in unfinished if f.taux_variation is None)}}),
        Indicator(10, "Aides mobilisées (avance de l'audit et plan de financement)", n_act, len(active),
                  sum(1 for f in active if not f.financement), "plan de financement",
                  {"avances": len(advances), "avances_total": sum(advances), "avances_non_datees": undated,
                   "aides": len(aides), "aides_total": sum(a[2] for a in aides),
                   "aides_obtenues": sum(a[2] for a in aides if a[1] in OBTAINED),
                   "aides_hors": len(all_aids) - len(aides),
                   "par_type": dict(sorted(by_type.items(), key=lambda kv: -kv[1]["total"]))},
                  [Distribution("Aides par statut à la fin de la période", "statut_aide",
                                _count([a[1] for a in all_aids], ["versee", "accordee", "demandee", "a_solliciter",
                                                              "refusee", "annulee", ABANDONED_PROJECT]),
                                "aides")]),
        Indicator(11, "Satisfaction des ménages (bilan final)", n_end, len(ended),
                  sum(1 for f in ended if f.satisfaction in (None, MISSING)), "bilan final ou satisfaction", {},
                  [Distribution("Satisfaction exprimée au bilan final", "satisfaction",
                                _count([f.satisfaction or MISSING for f in ended],
                                       ["tres_satisfait", "satisfait", "peu_satisfait", "pas_satisfait",
                                        "non_exprime", MISSING]))]),
        Indicator(12, "Types de partenariats", n_act, len(active),
                  sum(1 for f in active if not f.partenaires), "partenaires",
                  {"partenariats": sum(len(f.partenaires) for f in active)},
                  [Distribution("Dossiers mobilisant ce type de partenaire", "partenaire",
                                _count([t for f in active for t in sorted(set(f.partenaires))]),
                                cases=len(active))]),
        Indicator(13, "Motifs de l'arrêt des mesures", n_end, len(ended), 0, "", {},
                  [Distribution("Type de sortie", "type_sortie", _count([f.sortie_type or MISSING for f in ended])),
                   Distribution("Motif", "motif_sortie", _count([f.sortie_motif or MISSING for f in ended]))]),
    ]


def qualitative(all_facts: list[Facts], period: Period) -> dict[str, Any]:
    """Return the counts behind the qualitative part: difficulties, breaks (apart from normal ends), coordination."""
    active = [f for f in all_facts if f.active(period)]
    ended = [f for f in active if f.sortie in period]
    visits = [v for f in active for v in f.events["visites"] if v[0] in period]
    meetings = [c for f in active for c in f.events["concertations"] if c[0] in period]
    changes = [s for f in active for s in f.events["signalements"] if s[0] in period]
    diagnostics = [d for f in active for d in f.diagnostics if d[2] in period]
    return {
        "signalements": _count([s[1] for s in changes]),
        "signalements_transmis": sum(1 for s in changes if s[2]),
        "diagnostics": _count([f"{kind}_{decision}" for kind, decision, _ in diagnostics]),
        "postes_abandonnes": sum(f.postes_abandonnes for f in active),
        "aides_refusees": sum(1 for f in active for a in f.aides if a[1] == "refusee"),
        "ruptures": _count([f.sortie_motif or MISSING for f in ended if f.rupture]),
        "ruptures_types": _count([f.sortie_type or MISSING for f in ended if f.rupture]),
        "fins": _count([f.sortie_motif or MISSING for f in ended if not f.rupture]),
        "concertations": len(meetings),
        "concertations_dossiers": sum(1 for f in active if any(c[0] in period for c in f.events["concertations"])),
        "participants": sum(len(c[1]) for c in meetings),
        "participants_types": _count([k for c in meetings for k in c[1]]),
        "visites": len(visits),
        "visites_domicile": sum(1 for v in visits if v[1] == "domicile"),
        "visites_mar": sum(1 for v in visits if v[2]),
    }


def energy(all_facts: list[Facts], period: Period) -> dict[str, Any]:
    """Return the energy aggregate of the measures active in the period, counted only where the facts are recorded.

    Homes labelled F or G before works: how many have a label after works, and how many of those left F and G.
    Yearly cost change (after less before): median over the households whose bills before cover a year, against
    the forecast, and against bills after works covering a year.
    """
    active = [f for f in all_facts if f.active(period)]
    low = [f for f in active if f.etiquette_avant in LOW_LABELS]
    relabelled = [f for f in low if f.etiquette_apres is not None]
    forecast = [f.cout_prevu - f.cout_avant for f in active if f.cout_avant is not None and f.cout_prevu is not None]
    measured = [f.cout_apres - f.cout_avant for f in active if f.cout_avant is not None and f.cout_apres is not None]
    return {
        "actives": len(active),
        "fg_avant": len(low),
        "fg_avec_dpe_apres": len(relabelled),
        "fg_sorties": sum(1 for f in relabelled if f.etiquette_apres not in LOW_LABELS),
        "fg_sans_dpe_apres": len(low) - len(relabelled),
        "sans_dpe_avant": sum(1 for f in active if f.etiquette_avant is None),
        "prevu": {"menages": len(forecast), "mediane": statistics.median(forecast) if forecast else None},
        "mesure": {"menages": len(measured), "mediane": statistics.median(measured) if measured else None},
        "sans_factures_avant": sum(1 for f in active if f.cout_avant is None),
    }
