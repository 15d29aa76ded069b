"""The programme's rules, checked on a schema-valid case.

Errors are incoherent data (a date in the future, a plan that does not
balance); warnings are things still to do (a late review, a missed visit
quota). Every number comes from `astre.yaml`'s `programme` section.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from ..errors import Problem
from ..reading.cases import Case
from ..reading.config import Programme
from ..reading.forms import owed_form
from ..reading.resources import Resources
from ..reading.validate import field_path
from . import bareme
from .cashflow import cash_problems
from .deadlines import (
    RUNNING,
    end_of_measure,
    last_day,
    review_key,
)
from .energy import energy_problems
from .measure import (
    AID_DATES,
    LOAN_DATES,
    WORK_DATES,
    aid_payments,
    financing_plan,
    reference_date,
    retained_quotes,
    sendings,
    validated,
    validation_date,
    visits_by_month,
    visits_gap,
    works_done,
    works_planned,
    works_total,
)
from .obligations import REVIEWS, obligations
from .site import check_site
from .timeline import parse
from .wording import counted, label, money, short_day


def check_rules(sources: Resources, case: Case, programme: Programme, today: date) -> list[Problem]:
    """Return every rule problem of a schema-valid case."""
    problems: list[Problem] = []

    def add(name: str, where: tuple, message: str, hint: str, severity: str = "avertissement",
            code: str = "regle", key: str | None = None) -> None:
        path, line, column = case.locate(name, where, key)
        problems.append(Problem(path, line, column, message, hint, severity=severity, code=code))

    _future_dates(case, today, add)
    _date_order(sources, case, programme, add)
    _status(case, add)
    _exit_reason(case, add)
    _review_contents(case, programme, add)
    start = parse(case.get("mesure").get("dates", {}).get("debut"))
    if start is not None and case.get("mesure").get("statut") in RUNNING:
        _visits(case, programme, start, today, add)
        _reviews(case, programme, add)
    _financing(sources, case, add)
    cash_problems(case, today, add)
    energy_problems(case, add)
    check_site(sources, case, programme, add)
    _validation(sources, case, add)
    _income(sources, case, add)
    _owed(sources, case, programme, today, add)
    return problems


# Dates that record something already done: they cannot be in the future.
_DONE_DATES: list[tuple[str, tuple, str]] = [
    ("mesure", ("dates",), "reperage"), ("mesure", ("dates",), "saisine"), ("mesure", ("dates",), "validation"),
    ("mesure", ("validation",), "date"),
    ("contrat", (), "date_signature"), ("contrat", (), "date_envoi_spslh"),
    ("sortie", (), "date"), ("sortie", (), "date_signalement_spslh"), ("travaux", ("reception",), "date"),
    ("travaux", ("reception",), "date_compte_rendu"),
    ("logement", ("dpe_avant",), "date"), ("logement", ("dpe_apres",), "date"),
]
_DONE_LISTS: list[tuple[str, str, tuple[str, ...]]] = [
    ("suivi", "visites", ("date",)), ("suivi", "concertations", ("date",)),
    ("suivi", "signalements", ("date_changement", "date_signalement")),
    ("bilans", "bilans", ("date", "date_envoi_spslh")),
    ("diagnostics", "demandes", ("date_demande", "date_decision")),
    ("financement", "aides", tuple(AID_DATES.values())),
    ("travaux", "postes", (*WORK_DATES.values(), "date_ajout")),
    ("financement", "prets", (*LOAN_DATES.values(), "date_deblocage")),
    ("mesure", "partenaires", ("depuis",)),
    ("envois", "envois", ("date",)),
    ("travaux", "reunions_chantier", ("date",)), ("travaux", "reserves", ("date_levee",)),
    ("travaux", "remises", ("date",)),
]
# Dated items inside an item of a list: an aid's payments, a poste's quotes (file, list, inner list, date key).
_DONE_INNER: list[tuple[str, str, str, str]] = [
    ("financement", "aides", "versements", "date"), ("travaux", "postes", "devis", "date"),
]


def _future_dates(case: Case, today: date, add: Any) -> None:
    def test(name: str, where: tuple, value: Any) -> None:
        day = parse(value)
        if day is not None and day > today:
            add(name, where, f"{field_path(where)} : date dans le futur ({short_day(day)})",
                "cette date enregistre un fait déjà réalisé : corrigez-la ou retirez-la en attendant",
                severity="erreur", code="date")

    for name, where, key in _DONE_DATES:
        holder = case.get(name)
        for step in where:
            holder = holder.get(step, {}) if isinstance(holder, dict) else {}
        test(name, (*where, key), holder.get(key))
    for name, listing, keys in _DONE_LISTS:
        for index, item in enumerate(case.get(name).get(listing, [])):
            for key in keys:
                test(name, (listing, index, key), item.get(key))
    for name, listing, inner, key in _DONE_INNER:
        for index, item in enumerate(case.get(name).get(listing, [])):
            for number, element in enumerate(item.get(inner) or []):
                if isinstance(element, dict):
                    test(name, (listing, index, inner, number, key), element.get(key))


def _date_order(sources: Resources, case: Case, programme: Programme, add: Any) -> None:
    dates = dict(case.get("mesure").get("dates", {}))
    decided = validation_date(case.get("mesure"))
    if decided is not None:
        dates["validation"] = decided.isoformat()
    chain = ["reperage", "saisine", "validation", "debut"]
    known = [(k, day) for k in chain if (day := parse(dates.get(k))) is not None]
    for (k1, d1), (k2, d2) in zip(known, known[1:], strict=False):
        if d2 < d1:
            add("mesure", ("dates", k2), f"dates.{k2} ({short_day(d2)}) avant dates.{k1} ({short_day(d1)})",
                "l'ordre attendu est repérage, saisine, validation, début : corrigez l'une des deux dates",
                severity="erreur", code="date")
    start, end = parse(dates.get("debut")), parse(dates.get("fin_prevue"))
    if start and end:
        if end <= start:
            add("mesure", ("dates", "fin_prevue"), f"dates.fin_prevue ({short_day(end)}) n'est pas après le début "
                f"({short_day(start)})", "corrigez la date de fin prévue", severity="erreur", code="date")
        else:
            expected = last_day(start, programme)
            if end != expected:
                add("mesure", ("dates", "fin_prevue"), f"dates.fin_prevue ({short_day(end)}) ne correspond pas "
                    f"à la durée du programme ({programme.months} mois)",
                    f"la fin prévue est le {short_day(expected)}")
    exit_day = end_of_measure(case)
    if start and exit_day and exit_day < start:
        add("sortie", ("date",), f"date de sortie ({short_day(exit_day)}) avant le début de la mesure "
            f"({short_day(start)})", "corrigez la date de sortie", severity="erreur", code="date")
    contract = case.get("contrat")
    signed, sent = parse(contract.get("date_signature")), parse(contract.get("date_envoi_spslh"))
    if contract and not signed and owed_form(sources, "contrat").document_name() in sendings(sources, case, programme):
        add("contrat", (), "contrat envoyé sans date de signature",
            "ajoutez « date_signature: AAAA-MM-JJ » : le contrat envoyé doit dire quand il a été signé",
            severity="erreur", code="date")
    if signed and sent and sent < signed:
        add("contrat", ("date_envoi_spslh",), f"contrat envoyé au {programme.service_short} avant d'être signé",
            "vérifiez la date de signature et la date d'envoi", severity="erreur", code="date")
    for index, visit in enumerate(case.get("suivi").get("visites", [])):
        day = parse(visit.get("date"))
        if day and start and day < start - timedelta(days=90):
            add("suivi", ("visites", index, "date"), f"visite du {short_day(day)} bien avant le début de la mesure",
                "vérifiez l'année de cette date")
        if day and exit_day and day > exit_day:
            add("suivi", ("visites", index, "date"),
                f"visite du {short_day(day)} après la sortie ({short_day(exit_day)})",
                "vérifiez la date de la visite ou de la sortie", severity="erreur", code="date")


def _status(case: Case, add: Any) -> None:
    mesure = case.get("mesure")
    status, exit_data = mesure.get("statut"), case.get("sortie")
    if status in ("terminee", "rompue") and not exit_data:
        add("mesure", ("statut",), f"statut « {status} » mais aucune sortie renseignée",
            "complétez sortie.yaml (date, type, motif, explication)", severity="erreur", code="statut")
    if exit_data and status not in ("terminee", "rompue"):
        add("mesure", ("statut",), f"sortie renseignée mais statut « {status} »",
            "écrivez « statut: terminee » (fin) ou « statut: rompue » (rupture, non-adhésion)", severity="erreur",
            code="statut")
    if exit_data and status == "terminee" and exit_data.get("type") != "fin":
        add("sortie", ("type",), f"sortie de type « {exit_data.get('type')} » mais statut « terminee »",
            "une rupture ou une non-adhésion se note « statut: rompue »", severity="erreur", code="statut")
    start = mesure.get("dates", {}).get("debut")
    if status in RUNNING and not start:
        add("mesure", ("dates",), f"statut « {status} » sans date de début",
            "ajoutez « debut: AAAA-MM-JJ » sous « dates »", severity="erreur", code="statut")
    if status == "refusee" and start:
        add("mesure", ("dates", "debut"), "mesure refusée avec une date de début",
            "une mesure refusée n'a pas commencé : retirez « debut » ou corrigez le statut", severity="erreur",
            code="statut")
    elif status in ("reperage", "saisine_envoyee", "validee") and start:
        # Until the status says « en_cours », no visit, contract or review is owed (status and check agree).
        add("mesure", ("statut",), f"date de début renseignée mais statut « {status} »",
            "si la mesure a commencé, écrivez « statut: en_cours »", code="statut")


# The exit reasons each exit type can have (schemas/sortie.schema.json enums). The seed tells
# « sortie » (a measure that ran its course), « rupture » and « non-adhésion du ménage » apart:
# a normal end is at term or with its objectives reached; a break or a non-adhesion is neither,
# and the household's non-adhesion is its own type. The toolkit's vocabulary, not a programme's
# figure: a structure that changes the enums in its schema changes this table with them.
EXIT_REASONS: dict[str, frozenset[str]] = {
    "fin": frozenset({"fin_de_mesure", "objectifs_atteints", "autre"}),
    "rupture": frozenset({"abandon_projet_travaux", "refus_financement", "perte_de_contact", "deces",
                          "hospitalisation_ehpad", "vente_logement", "demenagement", "autre"}),
    "non_adhesion": frozenset({"non_adhesion", "abandon_projet_travaux", "perte_de_contact", "autre"}),
}
# Exit types that end a measure before its term: its final review says why it failed.
EARLY_EXITS = ("rupture", "non_adhesion")


def _exit_reason(case: Case, add: Any) -> None:
    exit_data = case.get("sortie")
    kind, reason = exit_data.get("type"), exit_data.get("motif")
    allowed = EXIT_REASONS.get(kind) if isinstance(kind, str) else None
    if allowed is None or reason is None or reason in allowed:
        return
    fitting = [k for k, reasons in EXIT_REASONS.items() if reason in reasons]
    other = (f"écrivez « type: {fitting[0]} » (et « statut: {'terminee' if fitting[0] == 'fin' else 'rompue'} » "
             "dans mesure.yaml)") if fitting else ""
    add("sortie", ("motif",), f"sortie de type « {kind} » avec le motif « {reason} » : le type et le motif "
        "se contredisent",
        (f"{other}, ou " if other else "") + "choisissez un motif parmi : "
        + ", ".join(sorted(allowed)), severity="erreur", code="sortie")


def _review_contents(case: Case, programme: Programme, add: Any) -> None:
    """What the seed asks of a review's content: why it failed when the measure ends early, whether to go on."""
    exit_data = case.get("sortie")
    early = exit_data.get("type") in EARLY_EXITS
    running = case.get("mesure").get("statut") == "en_cours" and not exit_data
    for index, review in enumerate(case.get("bilans").get("bilans", [])):
        if review.get("non_necessaire"):
            continue
        if early and review.get("echeance") == "final":
            missing = [key for key in ("point_financement", "motifs_echec") if not _written(review.get(key))]
            if missing:
                # « Le bilan … détaillera … un point sur le plan de financement du projet de travaux, les
                # raisons éventuelles de l'échec » : a broken measure's final review is where they are due.
                add("bilans", ("bilans", index), f"bilan final d'une mesure arrêtée avant son terme (sortie « "
                    f"{exit_data.get('type')} ») sans " + " ni ".join(f"« {key} »" for key in missing),
                    "ajoutez " + " et ".join(_REVIEW_FIELDS[key] for key in missing) + " à ce bilan",
                    severity="erreur", code="bilan")
        if review.get("echeance") != "final" and review.get("poursuite") is False and running:
            add("bilans", ("bilans", index), f"bilan « {review.get('echeance')} » concluant à l'arrêt de "
                "l'accompagnement (« poursuite: false ») alors que la mesure est en cours",
                "si l'accompagnement s'arrête, renseignez sortie.yaml (date, type, motif, explication), écrivez "
                f"« statut: rompue » et signalez la sortie au {programme.service_short} ; sinon écrivez "
                "« poursuite: true »", key="poursuite", code="bilan")


_REVIEW_FIELDS = {"point_financement": "« point_financement » (où en est le plan de financement)",
                  "motifs_echec": "« motifs_echec » (les raisons de l'échec)"}


def _written(value: Any) -> bool:
    return value is not None and (not isinstance(value, str) or bool(value.strip()))


def _visits(case: Case, programme: Programme, start: date, today: date, add: Any) -> None:
    exit_day = end_of_measure(case)
    for number, first, last, total, home, _ in visits_by_month(case, start, programme.months):
        if last >= today or (exit_day and last > exit_day):
            break  # only months fully elapsed while the measure ran
        gap, missing = visits_gap(total, home, programme), []
        if gap.visits:
            missing.append(f"{counted(total, 'rencontre')} sur {programme.visits_per_month} minimum")
        if gap.home:
            missing.append(f"{home} à domicile sur {programme.home_visits_per_month} minimum")
        if missing:
            add("suivi" if case.get("suivi") else "mesure", ("visites",) if case.get("suivi") else ("dates", "debut"),
                f"mois {number} de la mesure (du {short_day(first)} au {short_day(last)}) : " + ", ".join(missing),
                "ajoutez les visites oubliées dans suivi.yaml, ou expliquez l'écart dans le prochain bilan")


def _reviews(case: Case, programme: Programme, add: Any) -> None:
    expected = {review_key(m) for m in programme.review_months} | {"final"}
    for index, review in enumerate(case.get("bilans").get("bilans", [])):
        if review.get("non_necessaire") and review.get("echeance") == "final":
            add("bilans", ("bilans", index, "non_necessaire"), "le bilan final est toujours dû",
                "retirez « non_necessaire » : seuls les bilans intermédiaires sont « si nécessaire »",
                severity="erreur", code="bilan")
        elif review.get("non_necessaire") and not review.get("motif_non_necessaire"):
            add("bilans", ("bilans", index, "non_necessaire"), f"bilan « {review.get('echeance')} » noté non "
                "nécessaire sans motif",
                f"ajoutez « motif_non_necessaire » : le {programme.service_short} doit savoir pourquoi",
                code="bilan")
        if review.get("echeance") not in expected:
            months = ", ".join(map(str, programme.review_months))
            add("bilans", ("bilans", index, "echeance"), f"bilan « {review.get('echeance')} » non prévu par le "
                f"programme (bilans à {months} mois et final)",
                "corrigez « echeance », ou les mois des bilans (bilans_mois) dans astre.yaml", code="bilan")


def works_finished(postes: list[dict[str, Any]]) -> bool:
    """True when the works are done: at least one poste done and every other one abandoned.

    Indicator 9 compares planned and done amounts on finished works only: a
    project still under way would read as a fall of the amounts.
    """
    return any(p.get("statut") == "realise" for p in postes) \
        and all(p.get("statut") in ("realise", "abandonne") for p in postes)


def variation_rate(postes: list[dict[str, Any]]) -> float | None:
    """Return (done − planned at referral) / planned at referral, or None when unknown.

    The single rule for every document, the report and the export. None (« non
    renseigné ») when no poste is done yet, when the planned total is 0, or when
    an amount is missing: a missing amount is unknown, never 0 €.
    """
    done = works_done(postes)
    planned_total = works_total(works_planned(postes), "montant_prevu").value
    done_total = works_total(done, "montant_realise").value
    if not done or not planned_total or done_total is None:
        return None
    return (done_total - planned_total) / planned_total


def _financing(sources: Resources, case: Case, add: Any) -> None:
    financing = case.get("financement")
    plan = financing_plan(case)
    if plan.share is not None and plan.share < 0:
        add("financement", ("aides",), f"les aides ({money(plan.aids)}) dépassent le coût des travaux "
            f"({money(plan.cost)}) de {money(-plan.share)}",
            "vérifiez les montants des aides et des postes (travaux.yaml) : il manque peut-être un poste ou un devis",
            code="financement")
    for key in ("cout_total", "reste_a_charge"):
        if key in financing:
            add("financement", (key,), f"« {key} » n'est plus utilisé : astre calcule le coût total et le reste à "
                "charge à la date de chaque document, à partir des postes (travaux.yaml) et des aides",
                f"retirez la ligne « {key} » ; donnez un montant (estimé, devis ou facture) à chaque poste",
                code="financement", key=key)
    for index, poste in enumerate(case.get("travaux").get("postes", [])):
        if len(retained_quotes(poste)) > 1:
            add("travaux", ("postes", index, "devis"), f"poste « {poste.get('intitule')} » : plusieurs devis retenus",
                "gardez « retenu: true » sur le seul devis choisi (un avenant remplace le devis : retirez-le de "
                "l'ancien)",
                severity="erreur", code="financement")
        if poste.get("statut") == "abandonne" and not poste.get(WORK_DATES["abandonne"]):
            add("travaux", ("postes", index, "statut"), f"poste « {poste.get('intitule')} » abandonné sans date",
                "ajoutez « date_abandon: AAAA-MM-JJ » (et « motif_abandon ») : sinon les documents antérieurs ne "
                "peuvent pas le montrer tel qu'il était", code="date")
    for index, aid in enumerate(financing.get("aides", [])):
        status = aid.get("statut")
        step = AID_DATES.get(status)  # every step but « à solliciter » has its date
        # A payment is dated by « date_versement » or by each of « versements » (measure.aid_payments).
        undated = any(p.day is None for p in aid_payments(aid)) if status == "versee" else not aid.get(step)
        if step and undated:
            add("financement", ("aides", index, "statut"), f"aide « {aid.get('financeur')} » "
                f"{label(sources, 'statut_aide', status)} sans « {step} »",
                f"ajoutez « {step}: AAAA-MM-JJ » : sinon les documents "
                "antérieurs ne peuvent pas la montrer telle qu'elle était", code="date")
    for index, loan in enumerate(financing.get("prets", [])):
        step = LOAN_DATES.get(loan.get("statut"))
        if step and not loan.get(step):
            add("financement", ("prets", index, "statut"), f"prêt « {loan.get('organisme')} » "
                f"{label(sources, 'statut_pret', loan['statut'])} sans « {step} »",
                f"ajoutez « {step}: AAAA-MM-JJ » : sinon un document "
                "antérieur le montrerait tel qu'il est aujourd'hui", code="date")


def _validation(sources: Resources, case: Case, add: Any) -> None:
    """The committee's decision and the household's eligibility, recorded as facts."""
    mesure = case.get("mesure")
    decision, status = validated(mesure), mesure.get("statut")
    recorded = mesure.get("validation") if isinstance(mesure.get("validation"), dict) else None
    if decision is False and parse(mesure.get("dates", {}).get("debut")):
        add("mesure", ("validation", "decision") if recorded else ("statut",),
            "mesure non validée par le comité mais commencée (date de début renseignée)",
            "vérifiez la décision du comité : une mesure non validée n'a ni contrat ni facturation",
            severity="erreur", code="validation")
    elif decision is None and status in ("validee", *RUNNING, "terminee", "rompue"):
        add("mesure", ("statut",), "décision du comité de validation non enregistrée",
            "ajoutez sous « validation » : « date », « decision: validee » et « reference_spslh » ; sans elle la "
            "mesure n'est pas facturée", severity="erreur", code="validation")
    if recorded is not None:
        if recorded.get("decision") in ("refusee", "ajournee") and not recorded.get("motif"):
            add("mesure", ("validation", "decision"),
                f"mesure {label(sources, 'decision_validation', recorded['decision'])} sans motif",
                "ajoutez « motif » sous « validation » (ce que le comité a dit)", code="validation")
        if recorded.get("decision") == "validee" and not recorded.get("reference_spslh"):
            add("mesure", ("validation",), "référence de la mesure au Département manquante",
                "ajoutez « reference_spslh » sous « validation » : elle nomme la mesure dans l'état de financement",
                code="validation")
        legacy, decided = parse(mesure.get("dates", {}).get("validation")), parse(recorded.get("date"))
        if legacy and decided and legacy != decided:
            add("mesure", ("dates", "validation"), f"deux dates de validation différentes ({short_day(legacy)} et "
                f"{short_day(decided)})", "gardez seulement « validation.date »",
                severity="erreur", code="validation")
    occupation = case.get("logement").get("statut_occupation")
    if case.get("logement") and occupation is None:
        add("logement", (), "statut d'occupation non renseigné (éligibilité au programme)",
            "ajoutez « statut_occupation: proprietaire_occupant » (ou indivision, usufruit, autre)", code="eligibilite")
    elif occupation == "autre":
        add("logement", ("statut_occupation",), "le ménage n'est ni propriétaire occupant, ni en indivision, "
            "ni usufruitier", "le programme s'adresse aux propriétaires occupants : précisez la situation au "
            "service du Département", code="eligibilite")
    if case.get("menage") and case.get("menage").get("public_pdalhpd") is None:
        add("menage", (), "appartenance au public du PDALHPD non renseignée",
            "ajoutez « public_pdalhpd: true » (ou false) dans menage.yaml", code="eligibilite")


def household_category(sources: Resources, case: Case) -> tuple[str | None, int | None]:
    """Return (ANAH category or None, barème year) for the household."""
    menage, mesure = case.get("menage"), case.get("mesure")
    dates = mesure.get("dates", {})
    reference = reference_date(dates)
    income = menage.get("revenu_fiscal_reference", {}).get("montant")
    if reference is None or income is None:
        return None, None
    return bareme.category(sources, len(menage.get("membres", [])), income, reference.year), reference.year


def notified_category(case: Case) -> dict[str, Any] | None:
    """Return the category the ANAH (or the technical operator) stated, as recorded in menage.yaml, or None."""
    recorded = case.get("menage").get("categorie_anah")
    return recorded if isinstance(recorded, dict) and recorded.get("categorie") else None


# A computed « superieur » only says « above the modest ceilings »: intermédiaire or supérieure.
_AGREES = {"tres_modeste": {"tres_modeste"}, "modeste": {"modeste"}, "superieur": {"intermediaire", "superieure"}}


def _income(sources: Resources, case: Case, add: Any) -> None:
    category, year = household_category(sources, case)
    notified = notified_category(case)
    persons = len(case.get("menage").get("membres", []))
    if notified is not None:
        stated = notified["categorie"]
        if category is not None and stated not in _AGREES[category]:
            add("menage", ("categorie_anah", "categorie"),
                f"catégorie ANAH notifiée « {label(sources, 'categorie_anah', stated)} » différente de la catégorie "
                f"calculée avec le barème {year} (« {label(sources, 'categorie_anah', category)} », "
                f"RFR et {persons_text(persons)})",
                "vérifiez la notification, le RFR (revenu_fiscal_reference) et la composition du ménage",
                code="bareme")
        elif category is None and stated != "tres_modeste":
            add("menage", ("categorie_anah", "categorie"),
                f"ménage {label(sources, 'categorie_anah', stated)} selon {notified.get('source', 'la notification')}",
                "vérifiez la catégorie notifiée ; le public ASTRE est très modeste", code="bareme")
        return
    if year is None:
        return
    if category is None:
        add("menage", ("revenu_fiscal_reference",),
            f"aucun barème ANAH connu pour {year} : catégorie de revenus non calculée",
            "notez la catégorie notifiée par l'ANAH (« categorie_anah » dans menage.yaml), ou ajoutez les "
            f"plafonds {year}, avec leur source, dans baremes/plafonds_anah.yaml de la structure "
            "(README, « Plafonds ANAH »)", code="bareme")
    elif category != "tres_modeste":
        limit = bareme.ceiling(bareme.baremes(sources)[year], "tres_modestes", persons)
        add("menage", ("revenu_fiscal_reference", "montant"),
            f"revenus au-dessus du plafond « très modestes » {year} ({money(limit)} pour {persons_text(persons)}) : "
            f"ménage {label(sources, 'categorie_anah', category)}",
            "vérifiez le RFR et la composition ; le public ASTRE est très modeste",
            code="bareme")


def persons_text(count: int) -> str:
    """Return « 1 personne », « 3 personnes »."""
    return counted(count, "personne")


def _owed(sources: Resources, case: Case, programme: Programme, today: date, add: Any) -> None:
    """What the measure owes the service and has not sent by its last day (generator.model.obligations)."""
    service = programme.service_short
    for owed in obligations(sources, case, programme):
        unwritten = owed.role in REVIEWS and not owed.written and today > owed.due
        if owed.state(today) != "non_envoye" and not unwritten:
            continue
        if owed.role == "contrat":
            add(*owed.where, f"contrat non envoyé au {service} (à envoyer au plus tard le {short_day(owed.due)})",
                "envoyez le contrat signé et notez l'envoi dans envois.yaml")
        elif owed.role in REVIEWS and not owed.written:
            month = owed.key.removeprefix("bilan-")
            name, key = ("bilan final", "final") if month == "final" else (f"bilan à {month} mois", f"{month}_mois")
            add(*owed.where, f"{name} manquant (dû le {short_day(owed.owed)})",
                f"rédigez-le dans bilans.yaml avec « echeance: {key} »")
        elif owed.role in REVIEWS:
            add(*owed.where, f"{owed.document} rédigé mais non envoyé (limite : {short_day(owed.due)})",
                "envoyez-le puis notez l'envoi dans envois.yaml", code="envoi")
        elif owed.role == "signalement_sortie":
            add(*owed.where, f"sortie du {short_day(owed.owed)} non signalée au {service}",
                f"envoyez le signalement et notez l'envoi dans envois.yaml (document « {owed.document} »)")
        else:
            add(*owed.where, f"changement du {short_day(owed.owed)} non signalé au {service}",
                f"signalez-le sans délai et notez l'envoi dans envois.yaml (document « {owed.document} »)")
