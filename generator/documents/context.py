"""The render context: every value a document shows, computed once, in French.

Templates (DOCX and HTML) only lay these values out: dates are already
« 12 mars 2026 », amounts « 2 640,00 € », codes already turned into labels
(from forms/libelles.yaml). Optional values are either a French placeholder
(« non renseigné ») or None/empty, which templates guard with `{% if %}`.
Nothing here depends on today's date, so a document is reproducible.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from babel.numbers import format_decimal

from ..model.cashflow import CashFlow, Inflow, Payment, cash_flow
from ..model.deadlines import planned_end, review_key
from ..model.energy import YEAR, Bills, energy_budget
from ..model.measure import (
    AID_DATES,
    HOUSEHOLD,
    LOAN_DATES,
    MANDATARY,
    PENDING_LOANS,
    UNDATED,
    WORK_DATES,
    Plan,
    Total,
    aid_amount,
    aid_paid,
    aid_payments,
    chosen_company,
    financing_plan,
    recipient_name,
    reference_date,
    visits,
    visits_by_month,
    visits_gap,
    work_amount,
    works_done,
    works_planned,
    works_total,
)
from ..model.rules import (
    household_category,
    notified_category,
    persons_text,
    variation_rate,
    works_finished,
)
from ..model.site import household_share, open_reserves, reserves, share_text, with_reserves
from ..model.timeline import add_months, age, month_of_measure, parse
from ..model.wording import (
    LOCALE,
    MISSING,
    MISSING_DATE,
    MISSING_F,
    counted,
    day,
    label,
    labels,
    money,
    percent,
    percentage,
)
from ..reading.cases import Case
from ..reading.config import Config, Programme
from ..reading.forms import owed_form
from ..reading.resources import Resources


def state(sources: Resources, family: str, item: dict[str, Any]) -> str:
    """Return the label of an item's statut, « (date non renseignée) » when the files do not date it."""
    shown = label(sources, family, item.get("statut"))
    return f"{shown} (date non renseignée)" if item.get(UNDATED) else shown


# A line starting a list item (« - », « • », « 1. », « a) »): the référent's line break before it is kept.
_ITEM = re.compile(r"^\s*(?:[-–—•*+]\s|\d{1,2}[.)]\s|[a-z][)]\s)")


def reflow(value: str) -> str:
    """Return a free text as paragraphs: lines joined, blank lines kept as paragraph breaks.

    A text written with « | » keeps the référent's line breaks, which fall anywhere in the
    document's wider lines; each paragraph is one line, separated by a blank line.
    """
    paragraphs: list[list[str]] = []
    lines: list[str] = []
    for line in value.strip().splitlines():
        if not line.strip():
            if lines:
                paragraphs.append(lines)
            lines = []
        elif lines and _ITEM.match(line):
            lines.append("\n" + line.strip())
        else:
            lines.append(line.strip())
    if lines:
        paragraphs.append(lines)
    return "\n\n".join(" ".join(p).replace(" \n", "\n") for p in paragraphs)


def text(value: Any) -> str:
    """Return a free text as paragraphs (see `reflow`), or the placeholder."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return MISSING
    return reflow(value) if isinstance(value, str) else str(value).strip()


def optional(value: Any) -> str:
    """Return a free text as paragraphs, or "" (templates test it with `{% if %}`)."""
    if value is None:
        return ""
    return reflow(value) if isinstance(value, str) else str(value).strip()


def yes_no(value: Any) -> str:
    """Return « oui », « non » or the placeholder."""
    return MISSING if value is None else ("oui" if value else "non")


def case_context(case: Case, config: Config) -> dict[str, Any]:
    """Return the values shared by every document of a case."""
    sources = config.resources
    mesure = case.get("mesure")
    reference = reference_date(mesure.get("dates", {}))
    plan = financing_plan(case)
    return {
        "structure": _structure(config),
        "programme": _programme(config),
        "mesure": _mesure(sources, mesure, config.programme),
        "menage": _menage(sources, case, reference),
        "logement": _logement(sources, case.get("logement")),
        "travaux": _travaux(sources, case.get("travaux"), plan),
        "chantier": _chantier(sources, case.get("travaux")),
        "financement": {**_financement(sources, case, plan), **_share(plan, config.programme)},
        "contrat": _contrat(case.get("contrat")),
        "sortie": _sortie(sources, case.get("sortie")),
        "bilans": _reviews_shared(case, config),
        "diagnostics": [{"type": label(sources, "diagnostic", d.get("type")),
                         "date_demande": day(d.get("date_demande"))}
                        for d in case.get("diagnostics").get("demandes", [])],
        "tresorerie": _tresorerie(sources, case),
        "energie": _energie(sources, case),
    }


# Without programme.destinataires for the reviews, the seed's wording: « Un bilan écrit intermédiaire …
# devra être partagé avec la structure à l'initiative de la demande, le SLISL et le SPSLH ».
SEED_REVIEW_RECIPIENTS = ("structure_origine", "slisl", "spslh")


def _recipients_phrase(codes: tuple[str, ...], case: Case, config: Config) -> str:
    """Return « la structure à l'origine de la demande (CCAS de Bapaume), le SLISL de la MDS Arrageois et le SPSLH »."""
    shown = [recipient_name(config.resources, code, config.programme, case, in_sentence=True) for code in codes]
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " et " + shown[-1]


def _reviews_shared(case: Case, config: Config) -> dict[str, Any]:
    """Who the reviews are shared with (programme.destinataires, else the seed), as the contract tells the household."""
    sources = config.resources
    recipients = config.programme.recipients
    interim, final = (_recipients_phrase(recipients.get(owed_form(sources, role).id, SEED_REVIEW_RECIPIENTS),
                                         case, config)
                      for role in ("bilan_intermediaire", "bilan_final"))
    # One sentence when both go to the same recipients, two otherwise.
    return {"destinataires": interim if interim == final else "",
            "destinataires_intermediaires": interim, "destinataires_final": final}


def _structure(config: Config) -> dict[str, Any]:
    s = config.structure
    logo = config.root / s.logo if s.logo else None
    return {
        "nom": s.name,
        # Absolute path of the logo, or "" when absent: documents are then made without it.
        "logo": str(logo.resolve()) if logo is not None and logo.is_file() else "",
        "adresse": list(s.address),
        "telephone": optional(s.phone),
        "courriel": optional(s.email),
        "ville_signature": optional(s.signing_town) or MISSING,
    }


def _programme(config: Config) -> dict[str, Any]:
    p = config.programme
    return {
        "nom": p.name,
        "financeur": p.funder,
        "service": p.service,
        "service_court": p.service_short,
        "duree_mois": p.months,
        "bilans_mois": ", ".join(str(m) for m in p.review_months),
        "visites_minimum": p.visits_per_month,
        "visites_domicile": p.home_visits_per_month,
        "delai_contrat_mois": p.contract_delay_months,
        "tarif_mensuel": money(p.monthly_rate),
        "tarif_mesure": money(p.monthly_rate * p.months),
        "diagnostic_simple": money(p.diagnostic_amounts["simple"]),
        "diagnostic_complet": money(p.diagnostic_amounts["complet"]),
    }


def _mesure(sources: Resources, m: dict[str, Any], programme: Programme) -> dict[str, Any]:
    dates, origine, territoire = m.get("dates", {}), m.get("origine", {}), m.get("territoire", {})
    return {
        "identifiant": m.get("identifiant", ""),
        "referent": text(m.get("referent")),
        "dates": {"reperage": day(dates.get("reperage")), "debut": day(dates.get("debut")),
                  "fin_prevue": day(planned_end(dates, programme))},
        "origine": {"structure": text(origine.get("structure")), "type": label(sources, "origine", origine.get("type")),
                    "contact": optional(origine.get("contact"))},
        "territoire": {"mds": text(territoire.get("mds")), "commune": text(territoire.get("commune")),
                       "perimetre": label(sources, "perimetre", territoire.get("perimetre")),
                       "nom_perimetre": optional(territoire.get("nom_perimetre"))},
        "mar": optional(m.get("mon_accompagnateur_renov")),
        "partenaires": [{"nom": text(p.get("nom")), "type": label(sources, "partenaire", p.get("type")),
                         "role": optional(p.get("role")), "periode": _period(p)} for p in m.get("partenaires", [])],
        "projet": {"objectifs": [str(o) for o in (m.get("projet_intervention") or {}).get("objectifs", [])],
                   "etapes": [str(e) for e in (m.get("projet_intervention") or {}).get("etapes", [])]},
    }


def _period(partner: dict[str, Any]) -> str:
    """Return « depuis le 3 mars 2026 », « du … au … », or « depuis : date non renseignée »."""
    since, until = partner.get("depuis"), partner.get("jusqu_au")
    if since and until:
        return f"du {day(since)} au {day(until)}"
    if until:
        return f"jusqu'au {day(until)}"
    return f"depuis le {day(since)}" if since else f"depuis : {MISSING_DATE}"


def _menage(sources: Resources, case: Case, reference: date | None) -> dict[str, Any]:
    m = case.get("menage")
    adresse = m.get("adresse", {})
    membres = []
    for p in m.get("membres", []):
        born = parse(p.get("date_naissance"))
        membres.append({"prenom": p["prenom"], "nom": p["nom"], "lien": label(sources, "lien", p.get("lien")),
                        "date_naissance": day(born),
                        "age": f"{age(born, reference)} ans" if born and reference else MISSING,
                        "situation": optional(p.get("situation"))})
    ressources = m.get("ressources", [])
    situation = m.get("situation", {})
    rfr = m.get("revenu_fiscal_reference", {})
    return {
        "designation": m.get("designation", ""),
        "adresse": f"{adresse.get('rue', '')}, {adresse.get('code_postal', '')} {adresse.get('commune', '')}",
        "telephone": optional(m.get("telephone")) or MISSING,
        "membres": membres,
        "nombre_personnes": len(membres),
        "composition": persons_text(len(membres)),  # « 1 personne », « 3 personnes »
        "ressources": [{"nature": label(sources, "ressource", r.get("nature")),
                        "beneficiaire": optional(r.get("beneficiaire")),
                        "montant": money(r.get("montant_mensuel"))} for r in ressources],
        "total_ressources": _total(m.get("ressources"), "montant_mensuel"),
        "total_charges": _total(m.get("charges"), "montant_mensuel"),
        "total_dettes": _total(m.get("dettes"), "montant"),
        "rfr": {"annee": str(rfr.get("annee_revenus", MISSING)), "montant": money(rfr.get("montant"))},
        "categorie": _category(sources, case),
        "sante": optional(situation.get("sante")),
        "mobilite": _feminine(sources, "mobilite", situation.get("mobilite")),
        "protection_juridique": _feminine(sources, "protection_juridique", situation.get("protection_juridique")),
        "isolement": yes_no(situation.get("isolement")),
        "public_pdalhpd": yes_no(m.get("public_pdalhpd")),
        "difficultes": [label(sources, "difficulte", d) for d in m.get("difficultes_saisine", [])],
        "difficultes_precisions": optional(m.get("difficultes_precisions")),
    }


def _total(items: list[dict[str, Any]] | None, amount: str) -> str:
    """Return the sum of a list's amounts: « non renseigné » for a list never filled in, 0,00 € for `[]`.

    A list the référent left out is unknown, not empty: its total is not zero. A list written
    empty on purpose (« dettes: [] ») says there is none.
    """
    if items is None:
        return MISSING
    return money(sum(item.get(amount, 0) for item in items))


def _feminine(sources: Resources, family: str, value: Any) -> str:
    """Return the label of a value shown under a feminine label (« Mobilité »), « non renseignée » if absent."""
    return MISSING_F if value is None else label(sources, family, value)


def _category(sources: Resources, case: Case) -> str:
    """Return the ANAH category shown: the notified one with its date and source, else the computed one."""
    notified = notified_category(case)
    if notified is not None:
        return (f"ménage {label(sources, 'categorie_anah', notified['categorie'])} (source : "
                f"{str(notified.get('source', MISSING)).strip()} ; date : {day(notified.get('date'))})")
    category, year = household_category(sources, case)
    if category is not None:
        return f"ménage {label(sources, 'categorie_anah', category)} (calculée avec le barème ANAH {year})"
    if year is None:
        return "non renseignée (ni notification ANAH ni date de saisine)"
    return f"non renseignée (ni notification ANAH ni barème pour {year})"


def _logement(sources: Resources, lg: dict[str, Any]) -> dict[str, Any]:
    avant, apres = lg.get("dpe_avant", {}), lg.get("dpe_apres") or {}
    chauffage, insalubrite = lg.get("chauffage", {}), lg.get("insalubrite") or {}
    return {
        "type": label(sources, "type_logement", lg.get("type")),
        "statut_occupation": label(sources, "statut_occupation", lg["statut_occupation"]) if lg.get("statut_occupation")
        else MISSING,
        "annee_construction": str(lg.get("annee_construction", MISSING)),  # for structures' own templates
        # Words of a sentence (« maison, construit en 1958, 92 m² »): a missing value is named, not « non renseigné ».
        "construction": (f"construit en {lg['annee_construction']}" if lg.get("annee_construction") is not None
                         else "année de construction non renseignée"),
        "surface": (f"{format_decimal(lg['surface_habitable'], locale=LOCALE)} m²" if lg.get("surface_habitable")
                    else "surface non renseignée"),
        "dpe_avant": avant.get("classe", MISSING_F),  # « Étiquette énergie », « étiquette … »
        "dpe_avant_date": day(avant.get("date")) if avant.get("date") else "",
        "dpe_apres": apres.get("classe", ""),
        "dpe_apres_date": day(apres.get("date")) if apres.get("date") else "",
        "chauffage": label(sources, "energie", chauffage.get("energie")),
        "chauffage_description": optional(chauffage.get("description")),
        # « Indignité »
        "insalubrite": label(sources, "insalubrite", insalubrite.get("nature")) if insalubrite else MISSING_F,
        "insalubrite_description": optional(insalubrite.get("description")),
        # « non-décence — description » when the files record an indignity, "" when none (« aucune ») or unknown.
        "indignite": _indignity(sources, insalubrite),
        "etat": text(lg.get("etat")),
    }


def _indignity(sources: Resources, insalubrite: dict[str, Any]) -> str:
    if insalubrite.get("nature") in (None, "aucune"):
        return ""
    described = optional(insalubrite.get("description"))
    return label(sources, "insalubrite", insalubrite["nature"]) + (f" — {described}" if described else "")


def _poste(sources: Resources, p: dict[str, Any]) -> dict[str, Any]:
    return {"intitule": p["intitule"], "type": label(sources, "type_travaux", p.get("type")),
            "prevu_a_la_saisine": yes_no(p.get("prevu_a_la_saisine")),
            "montant_prevu": money(p.get("montant_prevu")), "statut": _dated_state(sources, "statut_travaux", p),
            # The amount the plan counts for this poste at the document's date (measure.work_amount).
            "montant_retenu": "—" if p.get("statut") == "abandonne" and p.get("montant_realise") is None
            else money(work_amount(p)),
            # A poste not done has no realised amount to fill in: a dash, not « non renseigné ».
            "montant_realise": ("—" if p.get("montant_realise") is None and p.get("statut") != "realise"
                                else money(p.get("montant_realise")))}


def _works_total(total: Total) -> str:
    """Return a works total; one amount missing makes it « incomplet (au moins …) », never a 0 € in the sum."""
    return money(total.known) if total.complete else f"incomplet (au moins {money(total.known)})"


def _travaux(sources: Resources, t: dict[str, Any], plan: Plan) -> dict[str, Any]:
    postes = t.get("postes", [])
    at_referral, done = works_planned(postes), works_done(postes)
    finished = works_finished(postes)
    reception = t.get("reception") or {}
    return {
        "postes": [_poste(sources, p) for p in postes],
        "postes_saisine": [_poste(sources, p) for p in at_referral],
        "total_prevu_saisine": _works_total(works_total(at_referral, "montant_prevu")),
        # The postes' amounts counted by the plan at the document's date: the same total as the plan's cost.
        "total_retenu": money(plan.cost) if plan.cost is not None else f"incomplet (au moins {money(plan.priced)})",
        "total_realise": _works_total(works_total(done, "montant_realise")),
        # rules.variation_rate is the single truth (documents, report, export); None → « non renseigné ».
        # Only for finished works: a rate on works still under way would read as final. « non renseigné »
        # otherwise, as before (a copy sent earlier keeps its value); `taux_non_calcule` says why.
        "taux_variation": percent(variation_rate(postes) if finished else None),
        "taux_non_calcule": "" if finished else _unfinished(postes),
        "relogement": optional(t.get("relogement")),
        "projet_de_vie": optional(t.get("projet_de_vie")),
        "reception": day(reception.get("date")) if reception else "",
        "reserves": optional(reception.get("reserves")),
    }


def _company(p: dict[str, Any]) -> str:
    """Return the chosen company of a poste, « Thermi Nord (RGE) », or "" when none is chosen yet."""
    company = chosen_company(p)
    if company is None or not company.get("nom"):
        return ""
    rge = {True: " (RGE)", False: " (non RGE)", None: ""}[company.get("rge")]
    return f"{company['nom']}{rge}"


def _reserve(r: dict[str, Any]) -> dict[str, str]:
    """A reserve as a document lists it; `levee` is "" while it is open (the layout says « non levée au … »)."""
    return {"description": text(r.get("description")), "poste": optional(r.get("poste")),
            "entreprise": optional(r.get("entreprise")),
            "levee": f"levée le {day(r['date_levee'])}" if parse(r.get("date_levee")) else ""}


def _chantier(sources: Resources, t: dict[str, Any]) -> dict[str, Any]:
    """The site follow-up at the document's date: meetings, reception, reserves and their lifting, handovers."""
    reception = t.get("reception") if isinstance(t.get("reception"), dict) else None
    stated = with_reserves(t)
    listed, still_open = reserves(t), open_reserves(t)
    return {
        "reunions": [{"date": day(m.get("date")), "participants": ", ".join(str(x) for x in m.get("participants", [])),
                      "decisions": optional(m.get("decisions"))}
                     for m in sorted((m for m in t.get("reunions_chantier") or [] if isinstance(m, dict)),
                                     key=lambda m: str(m.get("date")))],
        "reception": {
            "date": day(reception.get("date")),
            "avec_reserves": MISSING if stated is None else ("avec réserves" if stated else "sans réserves"),
            "participants": ", ".join(str(x) for x in reception.get("participants", [])),
            "postes": [{"intitule": p["intitule"], "entreprise": _company(p) or MISSING_F,
                        "statut": _dated_state(sources, "statut_travaux", p)}
                       for p in t.get("postes", []) if isinstance(p, dict) and p.get("statut") != "abandonne"],
        } if reception else None,
        "reserves": [_reserve(r) for r in listed],
        "reserves_ouvertes": [_reserve(r) for r in still_open],
        # « 2 réserves : 1 levée, 1 non levée » — the layout adds « au <date du document> ».
        "bilan_reserves": (f"{counted(len(listed), 'réserve')} : {len(listed) - len(still_open)} levée"
                           f"{'s' if len(listed) - len(still_open) > 1 else ''}, {len(still_open)} non levée"
                           f"{'s' if len(still_open) > 1 else ''}") if listed else "",
        "remises": [{"date": day(r.get("date")), "nature": label(sources, "remise", r.get("nature")),
                     "precisions": optional(r.get("precisions"))}
                    for r in sorted((r for r in t.get("remises") or [] if isinstance(r, dict)),
                                    key=lambda r: str(r.get("date")))],
    }


def _share(plan: Plan, programme: Programme) -> dict[str, str]:
    """The household's share in euros and in % of the works, against the programme's target (measure.financing_plan)."""
    share = household_share(plan, programme)
    return {"part_menage": share_text(share) if share is not None else ""}


def _unfinished(postes: list[dict[str, Any]]) -> str:
    """Why there is no variation rate yet: works under way, not started, or none done."""
    left = [p for p in postes if p.get("statut") not in ("realise", "abandonne")]
    if not left:
        return "aucun poste de travaux réalisé"
    if any(p.get("statut") in ("realise", "en_cours", "commande") for p in postes):
        return "travaux en cours"
    return "travaux non commencés"


# The date and the reason that go with a statut (aids, loans, works items): « refusée le 17 avril 2026 (motif) ».
# A works item shows only its abandonment's date (its other steps: the site's dates); an aid's payments, their own.
_STEP_DATES = {"statut_aide": AID_DATES, "statut_pret": LOAN_DATES,
               "statut_travaux": {"abandonne": WORK_DATES["abandonne"]}}
_STEP_REASONS = {"refusee": "motif_refus", "refuse": "motif_refus", "annulee": "motif_annulation",
                 "abandonne": "motif_abandon"}


def _dated_state(sources: Resources, family: str, item: dict[str, Any]) -> str:
    """Return « accordée le 2 mars 2026 », « refusée le … (motif) », « versée en partie : … », or the bare label."""
    status = item.get("statut")
    shown = state(sources, family, item)
    when = parse(item.get(_STEP_DATES[family].get(str(status), ""), None))
    if status == "versee":
        dated = [p.day for p in aid_payments(item) if p.day is not None]
        paid, due = aid_paid(item), aid_amount(item)
        if due is not None and paid < due:
            return f"versée en partie : {money(paid)} (dernier versement le {day(max(dated))})" if dated else shown
        if len(dated) > 1:
            return f"{shown} ({counted(len(dated), 'versement')}, dernier le {day(max(dated))})"
        when = dated[0] if dated else None
    if when is not None:
        shown += f" le {day(when)}"
    reason = item.get(_STEP_REASONS.get(str(status), ""))
    return f"{shown} ({str(reason).strip()})" if reason else shown


def _plan_rows(plan: Plan) -> list[dict[str, str]]:
    """Return the balance of the plan, row by row: each row's amount follows from the ones above."""
    if plan.cost is None:
        names = ", ".join(f"« {n} »" for n in plan.unpriced)
        return [{"libelle": f"Coût total des travaux : incomplet, montant non renseigné pour {names}",
                 "montant": f"au moins {money(plan.priced)}"},
                {"libelle": "Total des aides (hors aides refusées ou annulées)", "montant": money(plan.aids)},
                {"libelle": "Reste à charge du ménage", "montant": "non calculable (coût incomplet)"}]
    rows = [{"libelle": "Coût total des travaux (hors postes abandonnés non facturés)", "montant": money(plan.cost)},
            {"libelle": "Total des aides (hors aides refusées ou annulées)", "montant": money(plan.aids)},
            {"libelle": "Reste à charge du ménage (coût moins aides)", "montant": money(plan.share)}]
    if plan.share is not None and plan.share < 0:
        rows.append({"libelle": "Aides au-delà du coût des travaux", "montant": money(-plan.share)})
    if plan.loans_granted:
        rows.append({"libelle": "Prêts accordés", "montant": money(plan.loans_granted)})
    if plan.to_finance and plan.to_finance > 0:
        pending = f" (prêts envisagés ou demandés : {money(plan.loans_pending)})" if plan.loans_pending else ""
        rows.append({"libelle": f"Reste à financer{pending}", "montant": money(plan.to_finance)})
    elif plan.to_finance and plan.to_finance < 0 and plan.loans_granted:
        rows.append({"libelle": "Prêts au-delà du reste à charge",
                     "montant": money(min(plan.loans_granted, -plan.to_finance))})
    return rows


def _financement(sources: Resources, case: Case, plan: Plan) -> dict[str, Any]:
    f = case.get("financement")
    aides, prets = f.get("aides", []), f.get("prets", [])
    avance = f.get("avance_audit") or {}
    return {
        "present": bool(f),
        "aides": [{"financeur": a["financeur"], "type": label(sources, "type_financeur", a.get("type_financeur")),
                   "montant": money(aid_amount(a)),
                   "statut": "non sollicitée (projet abandonné, non comptée)"
                   if plan.abandoned and a.get("statut") == "a_solliciter" else _dated_state(sources, "statut_aide", a)}
                  for a in aides],
        # The plan is computed at the document's date (measure.financing_plan): it always adds up.
        "total_aides": money(plan.aids),
        "cout_total": money(plan.cost) if plan.cost is not None else "incomplet",
        "reste_a_charge": money(plan.share) if plan.share is not None else "non calculable",
        "equilibre": _plan_rows(plan),
        "prets": [{"organisme": p["organisme"], "nature": label(sources, "pret", p.get("nature")),
                   "montant": money(p.get("montant")),
                   "mensualite": money(p.get("mensualite")) if p.get("mensualite") is not None else "",
                   "statut": _dated_state(sources, "statut_pret", p)} for p in prets],
        "avance_audit": ({"montant": money(avance.get("montant")), "financeur": avance.get("financeur", MISSING),
                          "date": day(avance.get("date")) if avance.get("date") else ""} if avance else None),
    }


def _contrat(c: dict[str, Any]) -> dict[str, Any]:
    return {
        "objectifs": [str(o) for o in c.get("objectifs", [])],
        "etapes": [{"intitule": e["intitule"], "echeance": day(e.get("echeance")) if e.get("echeance") else "à définir"}
                   for e in c.get("etapes", [])],
        "engagements_menage": [str(e) for e in c.get("engagements_menage", [])],
        "engagements_structure": [str(e) for e in c.get("engagements_structure", [])],
        # Unsigned yet: a line to date by hand at the signature, never « date non renseignée ».
        "date_signature": day(c["date_signature"]) if c.get("date_signature") else "____________",
        # Empty until sent: the contract is usually printed for signature, before it goes to SPSLH.
        "date_envoi_spslh": day(c.get("date_envoi_spslh")) if c.get("date_envoi_spslh") else "",
    }


def _sortie(sources: Resources, s: dict[str, Any]) -> dict[str, Any] | None:
    if not s:
        return None
    return {"date": day(s.get("date")), "type": label(sources, "type_sortie", s.get("type")),
            "motif": label(sources, "motif_sortie", s.get("motif")), "explication": text(s.get("explication")),
            "date_signalement": day(s.get("date_signalement_spslh"))}


def _visits_between(case: Case, first: date, last: date) -> list[tuple[date, bool]]:
    """Return (date, at home) of each visit from `first` to `last` included."""
    return [(when, place == "domicile") for when, place in visits(case, first, last)]


def _months_between(case: Case, config: Config, start: date, first: date, last: date,
                    partial: str) -> list[dict[str, str]]:
    """Visits per month of the measure from `first` to `last`, against the programme's quota.

    The month holding `last` is cut there; unless its quota is already met it is
    labelled `partial`, not judged: the month had not ended when the review was written.
    """
    quota = config.programme
    needed = max(quota.months, month_of_measure(start, last))
    return [{"numero": str(month.number), "du": day(month.first), "au": day(month.last),
             "rencontres": str(month.total), "domicile": str(month.home),
             "conforme": "oui" if visits_gap(month.total, month.home, quota).met
             else ("non" if month.whole else partial)}
            for month in visits_by_month(case, start, needed, until=last) if month.last >= first]


def _changes_between(case: Case, config: Config, first: date, last: date) -> list[dict[str, Any]]:
    sources = config.resources
    rows = []
    for s in case.get("suivi").get("signalements", []):
        when = parse(s.get("date_changement"))
        if when and first <= when <= last:
            rows.append({"date": day(when), "nature": label(sources, "signalement", s.get("nature")),
                         "description": text(s.get("description")), "date_signalement": day(s.get("date_signalement")),
                         # As of the review's date the change may not have been reported yet.
                         "signale": (f"signalé le {day(s.get('date_signalement'))}" if s.get("date_signalement")
                                     else f"pas encore signalé au {config.programme.service_short} à cette date")})
    return rows


def _concertations_between(case: Case, first: date, last: date) -> list[dict[str, Any]]:
    """The concertations with partners held from `first` to `last` included, in date order."""
    held = [(when, c) for c in case.get("suivi").get("concertations", [])
            if (when := parse(c.get("date"))) is not None and first <= when <= last]
    return [{"date": day(when), "participants": ", ".join(str(p) for p in c.get("participants", [])),
             "objet": text(c.get("objet"))} for when, c in sorted(held, key=lambda pair: pair[0])]


def _diagnostics_between(sources: Resources, case: Case, first: date, last: date) -> list[dict[str, Any]]:
    """The diagnostic requests sent from `first` to `last` included, with the answer known on the case's date."""
    sent = [(when, d) for d in case.get("diagnostics").get("demandes", [])
            if (when := parse(d.get("date_demande"))) is not None and first <= when <= last]
    rows = []
    for when, request in sorted(sent, key=lambda pair: pair[0]):
        decision, decided = request.get("decision"), request.get("date_decision")
        if decision not in ("accordee", "refusee"):
            answer = "réponse en attente"
        else:
            answer = (label(sources, "decision", decision)
                      + (f" le {day(decided)}" if decided else " (date non renseignée)"))
        rows.append({"type": label(sources, "diagnostic", request.get("type")), "date_demande": day(when),
                     "reponse": answer})
    return rows


def review_period(case: Case, config: Config, review: dict[str, Any]) -> tuple[date, date]:
    """Return the first and last day a review covers.

    An interim review covers from the previous due month to its own date, never
    after it; the final review covers the whole measure, up to the exit date
    (else the review date).
    """
    start = parse(case.get("mesure").get("dates", {}).get("debut"))
    when = parse(review.get("date"))
    if start is None or when is None:
        return (when or date.min), (when or date.min)
    if review.get("echeance") == "final":
        return start, parse(case.get("sortie").get("date")) or when
    months = config.programme.review_months
    month = next((m for m in months if review_key(m) == review.get("echeance")), months[0])
    previous = max([m for m in months if m < month], default=0)
    return add_months(start, previous), when


def review_context(case: Case, config: Config, review: dict[str, Any]) -> dict[str, Any]:
    """Return the values of one review (bilan): its texts, its period's visits, changes, concertations, diagnostics."""
    sources = config.resources
    start = parse(case.get("mesure").get("dates", {}).get("debut"))
    when = parse(review.get("date"))
    echeance = review.get("echeance")
    final = echeance == "final"
    first, last = review_period(case, config, review)
    visits = _visits_between(case, first, last)
    ended = final and bool(case.get("sortie").get("date"))
    partial = "non évalué (mois de sortie)" if ended else f"non évalué (mois en cours au {day(last)})"
    poursuite = review.get("poursuite")
    return {
        # « 4_mois » when a Département reviews at other months than the labels list.
        "echeance": label(sources, "echeance", echeance) if echeance in labels(sources).get("echeance", {})
        else str(echeance).replace("_", " "),
        "date": day(when),
        "date_envoi_spslh": day(review.get("date_envoi_spslh")) if review.get("date_envoi_spslh") else "",
        "mois_mesure": str(month_of_measure(start, when)) if start and when else MISSING,
        "periode_debut": day(first), "periode_fin": day(last),
        "effets": text(review.get("effets")),
        "difficultes": text(review.get("difficultes")),
        "avancement_travaux": text(review.get("avancement_travaux")),
        "point_financement": text(review.get("point_financement")),
        "motifs_echec": optional(review.get("motifs_echec")),
        "poursuite": MISSING if poursuite is None else (
            "poursuite de l'accompagnement" if poursuite else "arrêt de l'accompagnement"),
        # The final review « indiquera la nécessité, ou non, de poursuivre » (after the measure).
        "poursuite_necessaire": MISSING if poursuite is None else (
            "oui, un accompagnement doit se poursuivre" if poursuite else "non, pas de poursuite nécessaire"),
        "satisfaction": label(sources, "satisfaction", review.get("satisfaction")),
        "satisfaction_commentaire": optional(review.get("satisfaction_commentaire")),
        "conclusion": text(review.get("conclusion")),
        "final": final,
        "mois": _months_between(case, config, start, first, last, partial) if start and when else [],
        "nombre_visites": len(visits),
        "rencontres": counted(len(visits), "rencontre"),  # « 1 rencontre », « 7 rencontres »
        "nombre_domicile": sum(home for _, home in visits),
        "signalements": _changes_between(case, config, first, last),
        "concertations": _concertations_between(case, first, last),
        "diagnostics": _diagnostics_between(sources, case, first, last),
    }


def diagnostic_context(config: Config, request: dict[str, Any]) -> dict[str, Any]:
    """Return the values of one diagnostic request."""
    sources = config.resources
    kind = request.get("type")
    return {
        "type": label(sources, "diagnostic", kind),
        "montant_maximum": money(config.programme.diagnostic_amounts.get(str(kind))),
        "date_demande": day(request.get("date_demande")),
        "justification": text(request.get("justification")),
        "questions_sociales": optional(request.get("questions_sociales")),
        "questions_juridiques": optional(request.get("questions_juridiques")),
        "questions_techniques": optional(request.get("questions_techniques")),
        "decision": label(sources, "decision", request.get("decision")) if request.get("decision") else "",
        "date_decision": day(request.get("date_decision")) if request.get("date_decision") else "",
    }


def change_context(case: Case, config: Config, change: dict[str, Any]) -> dict[str, Any]:
    """Return the values of one change of situation (suivi.signalements)."""
    sources = config.resources
    return {"date_changement": day(change.get("date_changement")),
            "nature": label(sources, "signalement", change.get("nature")),
            "description": text(change.get("description"))}


ITEM_BUILDERS = {"bilan": review_context, "diagnostic": lambda case, config, item: diagnostic_context(config, item),
                 "changement": change_context}


# ---------------------------------------------------------------- the site's cash flow (model/cashflow.py)


def _month(first: date) -> str:
    """Return « avril 2026 »."""
    from babel.dates import format_date

    return format_date(first, "LLLL y", locale=LOCALE)


def _payment_state(payment: Payment, when: date) -> str:
    if payment.paid_on is not None:
        return f"payé le {day(payment.paid_on)}"
    if payment.due < when:
        return f"non payé, échéance dépassée (compté en {_month(when)})"
    return "à payer"


def _inflow_state(flow: Inflow, when: date) -> dict[str, str]:
    """« reçu le … », else the day it is expected (a plan, after the document's date) and whether it is late."""
    if flow.received:
        return {"recu": f"reçu le {day(flow.day)}" if flow.day is not None else f"reçu, {MISSING_DATE}",
                "attendu": "", "retard": ""}
    if flow.day is None:
        return {"recu": "", "attendu": "", "retard": ""}
    late = f"en retard, compté en {_month(when)}" if flow.day < when else ""
    return {"recu": "", "attendu": day(flow.day), "retard": late}


def _mandate(sources: Resources, flow: CashFlow, mandate: dict[str, Any]) -> dict[str, Any]:
    received = sum(amount for _, _, amount in flow.mandate_received)
    paid = sum(p.amount for p in flow.mandate_paid)
    return {
        "date_signature": day(mandate["date_signature"]) if mandate.get("date_signature") else MISSING_DATE,
        "fonds": [{"date": day(d), "aide": name, "montant": money(amount)}
                  for d, name, amount in flow.mandate_received],
        "reverses": [{"date": day(p.paid_on), "entreprise": p.company, "poste": p.poste,
                      "etape": label(sources, "etape_paiement", p.stage), "montant": money(p.amount)}
                     for p in flow.mandate_paid],
        "total_recu": money(received), "total_reverse": money(paid), "solde": money(flow.mandate_balance),
        "attendu": money(sum(f.amount for f in flow.inflows if f.to == MANDATARY and not f.received)),
        "a_reverser": money(sum(p.amount for p in flow.payments if p.by == MANDATARY and p.paid_on is None)),
    }


def _tresorerie(sources: Resources, case: Case) -> dict[str, Any] | None:
    """The site's cash flow at the document's date: payments, aids and loans, months, months above capacity."""
    flow = cash_flow(case)
    if flow is None:
        return None
    when = flow.day
    household = [p for p in flow.payments if p.by == HOUSEHOLD]
    placed = [f for f in flow.inflows if f.to == HOUSEHOLD and f.day is not None]
    unplaced = [f for f in flow.inflows if f.day is None and not f.received]
    undated = [f for f in flow.inflows if f.day is None and f.received]  # paid on a day the files do not say
    plan: dict[str, Any] = case.get("financement")["tresorerie"]
    pending = [p for p in case.get("financement").get("prets", []) if p.get("statut") in PENDING_LOANS]
    return {
        "date": day(when),
        "capacite": money(flow.capacity) if flow.capacity is not None else "non renseignée",
        "paiements": [{"entreprise": p.company, "poste": p.poste, "etape": label(sources, "etape_paiement", p.stage),
                       "echeance": day(p.due), "montant": money(p.amount), "etat": _payment_state(p, when),
                       "regle_par": label(sources, "regle_par", p.by)}
                      for p in sorted(flow.payments, key=lambda p: (p.due, p.index))],
        "total_paiements": money(sum(p.amount for p in flow.payments)),
        "total_menage": money(sum(p.amount for p in household)),
        "total_mandataire": money(sum(p.amount for p in flow.payments if p.by == MANDATARY)),
        "entrees": [{"source": f.source, "nature": label(sources, "nature_entree", f.kind),
                     "beneficiaire": label(sources, "beneficiaire", f.to), "montant": money(f.amount),
                     **_inflow_state(f, when)}
                    for f in sorted(flow.inflows, key=lambda f: (f.day is None, f.day or when, f.source))],
        "total_entrees_menage": money(sum(f.amount for f in placed)),
        "non_placees": money(sum(f.amount for f in unplaced)) if unplaced else "",
        "recues_non_datees": money(sum(f.amount for f in undated)) if undated else "",
        "prets_en_attente": [f"{p.get('organisme', MISSING)} ({money(p.get('montant'))}, "
                             f"{label(sources, 'statut_pret', p['statut'])})" for p in pending],
        "mois": [{"mois": _month(m.first), "paye": money(m.paid), "recu": money(m.received),
                  "solde": money(m.balance), "avance": money(m.advanced),
                  "depasse": any(m is o for o, _ in flow.over)} for m in flow.months],
        "avance_finale": money(flow.months[-1].advanced if flow.months else 0),
        "depassements": [{"mois": _month(m.first), "avance": money(m.advanced), "ecart": money(gap)}
                         for m, gap in flow.over],
        "mandat": _mandate(sources, flow, plan["mandat"]) if flow.mandate else None,
    }


# ---------------------------------------------------------------- the energy budget (model/energy.py)


def _kwh(value: float | None) -> str:
    return f"{format_decimal(value, format='#,##0', locale=LOCALE)} kWh" if value is not None else ""


def _period_words(first: Any, last: Any) -> str:
    return f"du {day(first)} au {day(last)}"


def _bills(listing: list[Any] | None, summed: Bills) -> dict[str, Any]:
    rows = [{"periode": _period_words(b.get("du"), b.get("au")), "kwh": _kwh(b.get("kwh")) or "—",
             "montant": money(b.get("montant")), "source": str(b.get("source", MISSING))}
            for b in sorted((b for b in listing or [] if isinstance(b, dict)), key=lambda b: str(b.get("du")))]
    yearly = summed.yearly
    if not summed.count:
        note = "Aucune facture enregistrée à cette date"
    elif yearly is None:
        note = (f"Les factures couvrent {counted(summed.days, 'jour')}, moins d'une année : "
                "pas de coût annuel mesuré (le chauffage pèse surtout l'hiver)")
    elif summed.days == YEAR:
        note = "Les factures couvrent une année entière"
    else:
        note = f"Total ramené à une année : {money(summed.amount)} × 365 / {summed.days} jours"
    return {"factures": rows, "total": money(summed.amount), "kwh": _kwh(summed.kwh), "jours": str(summed.days),
            "annuel": money(yearly) if yearly is not None else "", "annuel_kwh": _kwh(summed.yearly_kwh),
            "note": note}


def _change(delta: float | None, base: float | None) -> str:
    """« 2 030,00 € de moins par an (59,4 % de moins) »: the change in words, never a bare signed rate."""
    if delta is None or not base:
        return ""
    if not delta:
        return "aucun (même coût annuel)"
    more = "de plus" if delta > 0 else "de moins"
    return f"{money(abs(delta))} {more} par an ({percentage(abs(delta) / base)} {more})"


def _heating(sources: Resources, heating: dict[str, Any]) -> str:
    if not heating:
        return ""
    described = optional(heating.get("description")).rstrip(".")  # the sentence goes on: « (mis en service le …) »
    return label(sources, "energie", heating.get("energie")) + (f" — {described}" if described else "")


def _energie(sources: Resources, case: Case) -> dict[str, Any] | None:
    """The energy budget at the document's date: heating, bills before, forecast, bills after, the changes."""
    budget = energy_budget(case)
    logement = case.get("logement")
    after_heating = logement.get("chauffage_apres") or {}
    heating = {"chauffage_avant": _heating(sources, logement.get("chauffage") or {}),
               "chauffage_apres": _heating(sources, after_heating),
               "chauffage_apres_date": day(after_heating["date"]) if after_heating.get("date") else ""}
    if budget is None:
        return {**heating, "present": False} if after_heating else None
    raw = logement["budget_energie"]
    forecast = budget.forecast
    return {
        **heating, "present": True,
        "avant": _bills(raw.get("factures_avant"), budget.before),
        "apres": _bills(raw.get("factures_apres"), budget.after),
        "prevision": {"date": day(forecast.get("date")), "montant": money(forecast.get("montant")),
                      "kwh": _kwh(forecast.get("kwh")), "source": str(forecast.get("source", MISSING))}
        if forecast else None,
        "ecart_prevu": _change(budget.forecast_change, budget.before.yearly),
        "ecart_mesure": _change(budget.measured_change, budget.before.yearly),
    }
