"""`astre report` and `astre financement`: the annual documents for the Département.

Stages: load and check every case (invalid ones are excluded and listed),
derive each case's facts, aggregate the 13 indicators and the funding
statement, build one French context per document, render it to PDF (HTML
template, WeasyPrint) and DOCX (docxtpl), both drawn from one layout (documents.layout), export the
pseudonymised CSV/XLSX, write everything atomically in the output folder.
The report holds no personal data: counts and coded values only. Every value is
that of the cases as of the period's end, and a quoted text is the one sent.
The funding statement names each measure by its SPSLH reference.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ..checking.check import check_case
from ..model.measure import as_of, committee_decision, review_document, sendings
from ..model.obligations import Obligation, obligations
from ..model.timeline import parse
from ..model.wording import counted, plural
from ..reading.cases import Case, find_case_folders
from ..reading.config import Config, Programme, check_letterhead
from ..reading.forms import owed_form
from ..reading.loader import Document
from ..reading.resources import Resources
from .funding import UNBILLABLE, FundingStatement, statement
from .indicators import (
    MISSING,
    RUPTURES,
    Distribution,
    Facts,
    Indicator,
    Period,
    energy,
    facts,
    indicators,
    qualitative,
)
from .quotes import THEMES, Quote, case_quotes, case_secrets, screen

# The report's themes of quotes: the quotes module's, and the normal ends apart from the ruptures.
QUOTE_THEMES = (*THEMES, "fins")

@dataclass
class Inputs:
    """The valid cases' facts and the invalid cases (id, first error)."""

    facts: list[Facts] = field(default_factory=list)
    invalid: list[tuple[str, str]] = field(default_factory=list)
    quotes: list[Quote] = field(default_factory=list)  # the valid cases' free texts, unscreened
    obligations: dict[str, list[Obligation]] = field(default_factory=dict)  # valid cases' documents owed
    secrets: set[str] = field(default_factory=set)  # every case's names, addresses, phones, communes
    references: dict[str, str] = field(default_factory=dict)  # every case's SPSLH reference, when recorded
    # Invalid cases of measures that ran in the period without a validation: (case, reason), never billed.
    unvalidated: list[tuple[str, str]] = field(default_factory=list)


def load_inputs(config: Config, today: date, period: Period | None = None) -> Inputs:
    """Check every case; keep the valid ones' facts, list the others with their first error.

    Facts and quotes are those of each case as it stood at the period's end (or `today`, if
    earlier): a report for a past period gives what it gave on its last day.
    """
    on = min(period.end, today) if period is not None else today
    sources = config.resources
    inputs = Inputs()
    for folder in find_case_folders([], config.cases_dir):
        case = check_case(folder, config, today)
        inputs.secrets |= case_secrets(case)
        reference = _reference(case)
        if reference:
            inputs.references[case.id] = reference
        if case.valid:
            inputs.facts.append(facts(sources, case, config.programme, on))
            inputs.quotes += report_quotes(sources, case, config.programme, on)
            inputs.obligations[case.id] = obligations(sources, case, config.programme)
        else:
            first = next(p for p in case.problems if p.severity == "erreur")
            inputs.invalid.append((case.id, first.message))
            reason = _not_validated(case, Period(period.start if period else on, on))
            if reason:
                inputs.unvalidated.append((case.id, reason))
    return inputs


def _not_validated(case: Case, period: Period) -> str | None:
    """Why an (invalid) case's measure, which ran in the period, cannot be billed: its validation; None otherwise."""
    mesure = case.get("mesure")
    dates = mesure.get("dates")
    if not isinstance(dates, dict):
        return None
    start, end = parse(dates.get("debut")), parse(case.get("sortie").get("date"))
    if start is None or start > period.end or (end is not None and end < period.start):
        return None
    decision = committee_decision(mesure)
    return None if decision == "validee" else UNBILLABLE.get(decision, f"décision « {decision} »")


def _reference(case: Case) -> str | None:
    """The measure's SPSLH reference (mesure.validation.reference_spslh), also read on an invalid case."""
    validation = case.get("mesure").get("validation")
    reference = validation.get("reference_spslh") if isinstance(validation, dict) else None
    return (reference.strip() or None) if isinstance(reference, str) else None


# ---------------------------------------------------------------- quotes, as sent

# The free texts the report quotes, in the values a sent document keeps (envoyes/<document>--<date>.json):
# case file -> (section of the kept values, texts).
SENT_TEXTS = {"bilans": ("bilan", ("difficultes", "motifs_echec")), "sortie": ("sortie", ("explication",)),
              "suivi": ("changement", ("description",))}


def report_quotes(sources: Resources, case: Case, programme: Programme, on: date) -> list[Quote]:
    """The case's quotable texts as of `on`, each as the sent document shows it; a normal end's apart (« fins »).

    The exit's explanation of a measure that ended normally is not a rupture of the path.
    """
    dated = as_of(_as_sent(sources, case, programme, on), on)
    quotes = case_quotes(dated)
    exit_data = dated.get("sortie")
    explanation = exit_data.get("explication")
    if not isinstance(explanation, str) or exit_data.get("type") in RUPTURES \
            or dated.get("mesure").get("statut") == "rompue":
        return quotes
    words, day = " ".join(explanation.split()), parse(exit_data.get("date"))
    return [Quote(q.case, "fins", q.day, q.text) if (q.theme, q.day, q.text) == ("ruptures", day, words) else q
            for q in quotes]


def _as_sent(sources: Resources, case: Case, programme: Programme, on: date) -> Case:
    """Return `case` with each free text the report quotes as its document was sent (kept copy), else as it is.

    The copy is that of the last sending on or before `on`, else the first one after.
    """
    from ..documents.archive import record_of

    sent = sendings(sources, case, programme)

    def kept(document: str, section: str) -> dict[str, Any] | None:
        found = sent.get(document, [])
        if not found:
            return None
        before = [s for s in found if s.day <= on]
        record = record_of(case.folder, document, before[-1] if before else found[0])
        values = (record or {}).get("valeurs")
        shown = values.get(section) if isinstance(values, dict) else None
        return shown if isinstance(shown, dict) else None

    def texts(item: dict[str, Any], shown: dict[str, Any] | None, keys: tuple[str, ...]) -> dict[str, Any]:
        if shown is None:
            return item
        from ..model.wording import MISSING as MISSING_TEXT

        # A text the sent document did not have (empty, « non renseigné ») is not quoted.
        return {**item, **{k: (None if shown[k] in ("", MISSING_TEXT) else shown[k]) for k in keys if k in shown}}

    documents = dict(case.documents)

    def replace(name: str, data: dict[str, Any]) -> None:
        documents[name] = Document(case.documents[name].path, data, case.documents[name].text)

    section, keys = SENT_TEXTS["bilans"]
    if case.get("bilans").get("bilans"):
        reviews = [texts(r, kept(review_document(sources, str(r.get("echeance", ""))), section), keys)
                   if isinstance(r, dict) else r for r in case.get("bilans")["bilans"]]
        replace("bilans", {**case.get("bilans"), "bilans": reviews})
    section, keys = SENT_TEXTS["sortie"]
    if case.get("sortie"):
        exit_report = owed_form(sources, "signalement_sortie").document_name()
        replace("sortie", texts(case.get("sortie"), kept(exit_report, section), keys))
    section, keys = SENT_TEXTS["suivi"]
    if case.get("suivi").get("signalements"):
        change = owed_form(sources, "signalement_changement")
        changes = [texts(c, kept(change.document_name(c, index + 1), section), keys) if isinstance(c, dict) else c
                   for index, c in enumerate(case.get("suivi")["signalements"])]
        replace("suivi", {**case.get("suivi"), "signalements": changes})
    return Case(case.id, case.folder, documents, case.problems)


def _calendar_year(period: Period) -> bool:
    return (period.start.month, period.start.day, period.end.month, period.end.day) == (1, 1, 12, 31) \
        and period.start.year == period.end.year


def period_label(period: Period) -> str:
    """Return « 2026 » for a calendar year, else « 2025-11-01_2026-10-31 » (used in file names)."""
    if _calendar_year(period):
        return str(period.start.year)
    return f"{period.start.isoformat()}_{period.end.isoformat()}"


def period_title(period: Period) -> str:
    """Return « 2026 » for a calendar year, else « du 1 novembre 2025 au 31 octobre 2026 » (in titles)."""
    from ..model.wording import day

    if _calendar_year(period):
        return str(period.start.year)
    return f"du {day(period.start)} au {day(period.end)}"


def pseudonyms(config: Config, inputs: Inputs) -> dict[str, str]:
    """Return every case's pseudonym, the only name a document for the Département may print.

    Raise UsageError (before anything is written) when the structure has no secret.
    """
    from .export import pseudonym, salt

    key = salt(config.root)
    ids = [f.id for f in inputs.facts] + [case_id for case_id, _ in inputs.invalid]
    return {case_id: pseudonym(case_id, key) for case_id in ids}


def exclusions(inputs: Inputs, keys: dict[str, str]) -> dict[str, Any]:
    """Return the excluded cases (pseudonyms) and the French sentence that lists them."""
    names = sorted(keys[case_id] for case_id, _ in inputs.invalid)
    if not names:
        return {"nombre": 0, "pseudonymes": [], "texte": "Aucun dossier exclu : tous les dossiers sont valides."}
    s = plural(len(names))
    text = (f"{len(names)} dossier{s} exclu{s} car incomplet{s} ou incohérent{s} (à corriger avec « astre check ») : "
            f"{', '.join(names)}.")
    return {"nombre": len(names), "pseudonymes": names, "texte": text}


# ---------------------------------------------------------------- French contexts

def _label(sources: Resources, family: str | None, value: str) -> str:
    from ..model.wording import MISSING as MISSING_TEXT
    from ..model.wording import label

    if value == MISSING:
        return MISSING_TEXT
    return label(sources, family, value) if family else value


def _number(value: float | None, digits: int = 1) -> str:
    from babel.numbers import format_decimal

    from ..model.wording import MISSING as MISSING_TEXT

    if value is None:
        return MISSING_TEXT
    pattern = "#,##0" if float(value).is_integer() else "#,##0." + "0" * digits
    return format_decimal(round(value, digits), format=pattern, locale="fr_FR")


def _chart(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Return the geometry of a horizontal SVG bar chart (units: mm; 170 wide)."""
    top = max((r["nombre"] for r in rows), default=0) or 1
    bars = [{"y": 1 + 6 * i, "text_y": 5 + 6 * i, "width": round(90 * r["nombre"] / top, 2),
             "value_x": round(66 + 90 * r["nombre"] / top, 2), "label": r["libelle"][:45], "value": str(r["nombre"])}
            for i, r in enumerate(rows)]
    return {"height": 2 + 6 * len(rows), "bars": bars}


MULTIPLE_ROWS = "% des dossiers ; un dossier peut figurer dans plusieurs lignes"


def _table(sources: Resources, dist: Distribution) -> dict[str, Any]:
    """One table: rows, shares and total; shares of cases when a case may be in several rows."""
    total = sum(dist.counts.values()) if dist.cases is None else dist.cases
    rows = [{"libelle": _label(sources, dist.family, code), "nombre": n,
             "part": _number(100 * n / total if total else None) + " %"} for code, n in dist.counts.items()]
    return {"titre": dist.title, "unite": dist.unit, "lignes": rows, "total": total, "graphique": _chart(rows),
            "part_titre": "part" if dist.cases is None else "% des dossiers",
            "total_libelle": "Total" if dist.cases is None else "Dossiers (base des pourcentages)",
            "note": "" if dist.cases is None else MULTIPLE_ROWS + "."}


def _figures(ind: Indicator) -> list[tuple[str, str]]:
    from ..model.wording import money, percent

    f = ind.figures
    table: dict[int, list[tuple[str, str, str | None]]] = {
        1: [("situations", "Situations éligibles repérées", None),
            ("refusees", "Saisines refusées par le Département (comptées à part, hors situations éligibles)", None)],
        2: [("demandes", "Fiches saisine envoyées", None)],
        3: [("menages", "Ménages accompagnés", None), ("personnes", "Personnes accompagnées", None)],
        4: [("moyenne", "Durée moyenne (mois)", "n"), ("mediane", "Durée médiane (mois)", "n"),
            ("minimum", "Durée minimale (mois)", "n"), ("maximum", "Durée maximale (mois)", "n")],
        5: [("difficultes", "Difficultés relevées (au total)", None)],
        8: [("postes", "Postes de travaux", None)],
        9: [("taux_global", "Taux de variation global (montants cumulés)", "%"),
            ("taux_moyen", "Taux de variation moyen par dossier", "%"),
            ("montant_prevu", "Montant des postes prévus à la saisine", "€"),
            ("montant_realise", "Montant des postes réalisés", "€"),
            ("postes_ajoutes", "Postes ajoutés en cours de mesure", None),
            ("postes_abandonnes", "Postes abandonnés", None)],
        10: [("avances", "Avances de l'audit énergétique faites sur la période (dossiers)", None),
             ("avances_total", "Montant des avances de l'audit faites sur la période", "€"),
             ("avances_non_datees", "Avances de l'audit sans date (non renseigné)", None),
             ("aides", "Aides demandées ou obtenues à la fin de la période", None),
             ("aides_total", "Montant des aides demandées ou obtenues", "€"),
             ("aides_obtenues", "dont aides accordées ou versées", "€"),
             ("aides_hors", "Aides non comptées (à solliciter, refusées, annulées ou d'un projet abandonné)", None)],
        12: [("partenariats", "Partenariats mobilisés (au total)", None)],
    }
    names = table.get(ind.number, [])
    out = []
    for key, text, kind in names:
        value = f.get(key)
        shown = (money(value) if kind == "€" else percent(value) if kind == "%" else _number(value))
        out.append((text, shown))
    return out


def _works_under_way(ind: Indicator) -> dict[str, Any] | None:
    """Indicator 9's works started but not finished: apart, with their own provisional figure."""
    from ..model.wording import money, percent

    under_way = ind.figures.get("en_cours")
    if ind.number != 9 or not under_way or not under_way["dossiers"]:
        return None
    n = under_way["dossiers"]
    rows = [("Dossiers dont les travaux sont commencés mais pas terminés", str(n)),
            ("Taux provisoire (réalisé à ce jour / prévu à la saisine, montants cumulés)",
             percent(under_way["taux_global"])),
            ("Montant des postes prévus à la saisine", money(under_way["montant_prevu"])),
            ("Montant des postes réalisés à ce jour", money(under_way["montant_realise"]))]
    if under_way["non_renseigne"]:
        rows.append(("Dont montant prévu ou réalisé non renseigné (dossiers)", str(under_way["non_renseigne"])))
    subject = "Ce dossier n'est pas compté" if n == 1 else "Ces dossiers ne sont pas comptés"
    return {"titre": "Travaux en cours, à part",
            "note": f"{subject} dans le taux de variation ci-dessus : une partie des postes reste à faire, "
                    "le taux provisoire ne mesure que ce qui est déjà réalisé.",
            "chiffres": rows}


def _funders(sources: Resources, ind: Indicator) -> list[dict[str, str]]:
    from ..model.wording import money

    return [{"type": _label(sources, "type_financeur", kind), "nombre": str(int(row["nombre"])),
             "total": money(row["total"]),
             "obtenues": money(row["obtenues"]), "en_cours": money(row["en_cours"]),
             "refusees": money(row["refusees"])}
            for kind, row in ind.figures.get("par_type", {}).items()]


DIAGNOSTICS = {"simple": ("diagnostic simple", "diagnostics simples"),
               "complet": ("diagnostic complet", "diagnostics complets")}
DECISIONS = {"accordee": ("accordé", "accordés"), "refusee": ("refusé", "refusés"),
             "en_attente": ("en attente", "en attente")}


def _and(parts: list[str]) -> str:
    """Join « a », « b », « c » as « a, b et c »."""
    return " et ".join([", ".join(parts[:-1]), parts[-1]]) if len(parts) > 1 else "".join(parts)


def _diagnostics(counts: dict[str, int]) -> str:
    """« 2 diagnostics complets accordés et 1 diagnostic simple en attente »."""
    parts = []
    for code, n in counts.items():
        kind, decision = code.split("_", 1)
        many = int(n > 1)
        parts.append(f"{n} {DIAGNOSTICS[kind][many]} {DECISIONS[decision][many]}")
    return _and(parts)


def _sentences(sources: Resources, q: dict[str, Any], service: str) -> dict[str, list[str]]:
    def listing(counts: dict[str, int], family: str) -> str:
        return _and([f"{_label(sources, family, k)} ({n})" for k, n in counts.items()]) or "aucun"

    return {
        "difficultes": [
            f"Changements de situation ou de projet signalés au {service} : {sum(q['signalements'].values())} "
            f"({listing(q['signalements'], 'signalement')}), dont {q['signalements_transmis']} transmis.",
            (f"Diagnostics de faisabilité : {_diagnostics(q['diagnostics'])}." if q["diagnostics"]
             else "Aucun diagnostic de faisabilité sur la période."),
            f"Postes de travaux abandonnés : {q['postes_abandonnes']} ; aides refusées : {q['aides_refusees']}.",
        ],
        "ruptures": [
            f"Sorties avant terme (rupture ou non-adhésion) : {sum(q['ruptures'].values())}.",
            f"Types : {listing(q['ruptures_types'], 'type_sortie')}.",
            f"Motifs : {listing(q['ruptures'], 'motif_sortie')}.",
        ],
        "fins": [
            f"Mesures arrivées à leur terme (fin de mesure), comptées à part des ruptures : "
            f"{sum(q['fins'].values())}" + (f" ; motifs : {listing(q['fins'], 'motif_sortie')}." if q["fins"] else "."),
        ],
        "coordination": [
            f"Concertations avec les partenaires : {q['concertations']} dans {q['concertations_dossiers']} dossier(s), "
            f"{q['participants']} participation(s) de structures.",
            f"Structures présentes : {listing(q['participants_types'], 'participant')}.",
            f"Rencontres avec les ménages : {q['visites']}, dont {q['visites_domicile']} à domicile et "
            f"{q['visites_mar']} avec Mon Accompagnateur Rénov'.",
        ],
    }


def _header(config: Config, period: Period, today: date, title: str) -> dict[str, Any]:
    from ..documents.context import _programme, _structure
    from ..model.wording import day

    return {"structure": _structure(config), "programme": _programme(config),
            "document": {"titre": title, "date": day(today), "debut": day(period.start), "fin": day(period.end)}}


def report_context(config: Config, inputs: Inputs, period: Period, today: date, keys: dict[str, str]) -> dict[str, Any]:
    """Return every value the activity report shows, already in French."""
    sources = config.resources
    inds = indicators(inputs.facts, period)
    context = _header(config, period, today, f"Rapport d'activité {period_title(period)}")
    scope = [f for f in inputs.facts if f.in_scope(period)]
    context.update({
        "perimetre": {"dossiers": len(scope), "actifs": sum(1 for f in scope if f.active(period)),
                      "valides": len(inputs.facts), "exclusions": exclusions(inputs, keys)},
        "indicateurs": [{
            "numero": ind.number, "titre": ind.title, "population": ind.population, "couverts": ind.covered,
            "non_renseigne": ind.missing, "non_renseigne_quoi": ind.missing_what, "chiffres": _figures(ind),
            "financeurs": _funders(sources, ind) if ind.number == 10 else [],
            "a_part": _works_under_way(ind),
            "tableaux": [_table(sources, t) for t in ind.tables]} for ind in inds],
        "qualitatif": _sentences(sources, qualitative(inputs.facts, period), config.programme.service_short),
        "energie": _energy(energy(inputs.facts, period)),
        # Cases by SPSLH reference when recorded, else by pseudonym: the report holds no name.
        "transmission": _timeliness(sources, inputs, period, today, {**keys, **inputs.references}, config.programme),
        "extraits": _quotes(inputs, period),
    })
    return context


def _energy(counts: dict[str, Any]) -> dict[str, Any]:
    """The energy aggregate (indicators.energy) as rows of the report: counts, then median yearly cost changes."""
    from ..model.wording import money

    def median(group: dict[str, Any]) -> str:
        if group["mediane"] is None:
            return "non calculable (aucun ménage)"
        change = group["mediane"]
        return f"{money(abs(change))} {'de plus' if change > 0 else 'de moins'} par an" if change else "aucune"

    return {"chiffres": [
        ("Logements étiquetés F ou G avant travaux", str(counts["fg_avant"])),
        ("dont avec une étiquette après travaux", str(counts["fg_avec_dpe_apres"])),
        ("dont sortis de F et G", str(counts["fg_sorties"])),
        ("Étiquette après travaux non renseignée (F ou G avant)", str(counts["fg_sans_dpe_apres"])),
        (f"Variation médiane du coût annuel, prévue ({counts['prevu']['menages']} ménage"
         f"{plural(counts['prevu']['menages'])})", median(counts["prevu"])),
        (f"Variation médiane du coût annuel, mesurée sur une année ({counts['mesure']['menages']} ménage"
         f"{plural(counts['mesure']['menages'])})", median(counts["mesure"])),
    ], "population": f"mesures actives sur la période ({counts['actives']})",
        "sans_factures": counts["sans_factures_avant"], "sans_dpe": counts["sans_dpe_avant"]}


def _quotes(inputs: Inputs, period: Period) -> dict[str, dict[str, Any]]:
    """The référents' words of the period by theme, without any that names a household; and what was left out."""
    active = {f.id for f in inputs.facts if f.active(period)}
    dated = [q for q in inputs.quotes if q.case in active and q.day in period]
    kept, left_out = screen(sorted(dated, key=lambda q: (q.day or period.start, q.case)), inputs.secrets)
    out = {}
    for theme in QUOTE_THEMES:
        n = sum(1 for q in left_out if q.theme == theme)
        out[theme] = {"textes": list(dict.fromkeys(q.text for q in kept if q.theme == theme)),
                      "ecartes": n,
                      "ecartes_texte": "" if not n else (
                          f"{n} extrait{plural(n)} écarté{plural(n)} : "
                          f"{'ils citent' if n > 1 else 'il cite'} un nom, une adresse, une commune, un téléphone ou "
                          "un courriel d'un ménage.")}
    return out


NO_REFERENCE = "référence SPSLH non renseignée"


def measure_names(inputs: Inputs) -> dict[str, str]:
    """Name every case as the SPSLH knows it: its SPSLH reference, else its id marked « référence … non renseignée »."""
    ids = [f.id for f in inputs.facts] + [case_id for case_id, _ in inputs.invalid]
    return {case_id: inputs.references.get(case_id) or f"{case_id} ({NO_REFERENCE})" for case_id in ids}


def funding_context(config: Config, fund: FundingStatement, today: date, inputs: Inputs) -> dict[str, Any]:
    """Return every value the funding statement shows, already in French; measures by their SPSLH reference."""
    from babel.dates import format_date

    from ..model.wording import day, money

    sources = config.resources
    names = measure_names(inputs)
    context = _header(config, fund.period, today, "État récapitulatif de financement")
    context.update({
        "exclusions": exclusions(inputs, names),
        "periode_note": "" if fund.programme_period else _other_period_note(config, fund),
        "convention": _convention(fund) if fund.programme_period else [],
        "mois": [{"mois": format_date(m, "MMMM y", locale="fr_FR"), "mesures": str(n),
                  "montant": money(n * fund.tarif_mensuel)} for m, n in fund.by_month()],
        "mesures": [{"identifiant": names[m.id], "mois": str(len(m.months)), "du": day(m.months[0]),
                     "au": day(m.months[-1]), "montant": money(m.amount)}
                    for m in sorted(fund.measures, key=lambda m: names[m.id])],
        "non_facturables": [{"identifiant": names[case_id], "motif": f"non facturable : {reason}"}
                            for case_id, reason in sorted(fund.unbillable + inputs.unvalidated)],
        "visites": _visits_below(fund, names),
        "diagnostics": [{"identifiant": names[case_id], "type": _label(sources, "reponse_diagnostic", kind),
                         "date": day(when),
                         "montant": money(amount)} for case_id, kind, when, amount in fund.diagnostics],
        "totaux": {"mois": str(fund.months), "tarif": money(fund.tarif_mensuel), "mesures": money(fund.measures_total)},
        "recapitulatif": _summary(fund),
        "avance_notes": _advance_notes(fund) if fund.programme_period else [],
        "transmission": _timeliness(sources, inputs, fund.period, today, names, config.programme),
    })
    return context


def _visits_below(fund: FundingStatement, names: dict[str, str]) -> dict[str, Any]:
    """The months paid below the programme's minimum of visits: the rule, then one row per month."""
    from ..model.wording import day

    visits, home = fund.visits_quota
    rule = (f"Minimum du programme : {counted(visits, 'rencontre')} par mois de mesure, dont "
            f"{home} à domicile (astre.yaml, programme.visites). Seuls les mois entiers, terminés à la date de l'état, "
            "sont évalués (pas le mois de la sortie).")
    rows = [{"identifiant": names[m.id], "mois": f"mois {m.number}, du {day(m.first)} au {day(m.last)}",
             "rencontres": str(m.visits), "domicile": str(m.home)} for m in fund.below_visits]
    n = len(rows)
    text = (f"{n} mois facturé{plural(n)} sans le minimum de visites du programme." if n
            else "Tous les mois facturés et évalués ont le minimum de visites du programme.")
    return {"regle": rule, "texte": text, "lignes": rows}


STATES = ("a_temps", "en_retard", "non_envoye", "en_attente")


def _timeliness(sources: Resources, inputs: Inputs, period: Period, today: date, names: dict[str, str],
                programme: Programme) -> dict[str, Any]:
    """Documents owed to the programme's service in the period: on time, late, missing, or still within their delay.

    The balance depends on it. Judged on `today`, the statement's date: a document whose last
    day to send is after it and not sent yet is « en attente ».
    """
    from ..model.wording import day, labels

    # In the order of forms/libelles.yaml « documents_dus »; a structure's own form comes after them.
    counts = {form: dict.fromkeys(STATES, 0) for form in labels(sources).get("documents_dus", {})}
    listed = []
    for case_id, owed in sorted(inputs.obligations.items()):
        # A document counts in the period it is owed in, even when its tolerance ends after it; one not owed
        # yet on the statement's date is not counted.
        for document in (o for o in owed if o.owed in period and o.owed <= today):
            state = document.state(today)
            state = "en_attente" if state == "a_envoyer" else state
            counts.setdefault(document.form, dict.fromkeys(STATES, 0))[state] += 1
            if state == "a_temps":
                continue
            sent = document.done
            days = ((sent or today) - document.due).days
            listed.append({"identifiant": names.get(case_id, case_id), "document": document.document,
                           "echeance": day(document.due), "envoi": day(sent) if sent else "non envoyé",
                           "retard": "en attente" if state == "en_attente" else
                           f"{days} j" if sent else f"{days} j à ce jour"})
    rows = [{"type": _label(sources, "documents_dus", form), "a_temps": str(c["a_temps"]),
             "en_retard": str(c["en_retard"]),
             "manquants": str(c["non_envoye"]), "en_attente": str(c["en_attente"])}
            for form, c in counts.items() if any(c.values())]
    late, missing, waiting = (sum(c[state] for c in counts.values()) for state in STATES[1:])
    service = programme.service_short
    if not rows:
        text = f"Aucun document n'était à transmettre au {service} sur la période."
    elif not late and not missing and not waiting:
        text = "Tous les documents dus sur la période ont été transmis dans les délais."
    else:
        parts = ([f"{counted(late, 'document')} transmis en retard"] if late else []) + (
            [f"{counted(missing, 'document')} dû{plural(missing)} et non transmis"] if missing else []) + (
            [f"{counted(waiting, 'document')} en attente (délai de transmission en cours le {day(today)})"]
            if waiting else [])
        text = " ; ".join(parts) + " (délais d'astre.yaml : contrat, bilans, signalements ; détail ci-dessous)."
    return {"lignes": rows, "retards": listed, "texte": text}


def _other_period_note(config: Config, fund: FundingStatement) -> str:
    """The one sentence of a statement whose period is not the programme's: service done, no balance."""
    from ..model.wording import day

    programme = Period(*config.period())
    return (f"Cet état porte sur la période du {day(fund.period.start)} au {day(fund.period.end)}, qui n'est pas "
            f"celle du programme (du {day(programme.start)} au {day(programme.end)}) : il présente le service fait "
            "sur cette période et ne calcule pas de solde, le montant annuel et l'avance portant sur la période du "
            "programme (état de la période du programme : « astre financement »).")


def _advance_received(fund: FundingStatement) -> tuple[str, str]:
    """The advance actually received, as (label, amount), or « non renseignée »."""
    from ..model.wording import day, money

    if fund.advance_received is None:
        return "Avance reçue", "non renseignée"
    source = f", {fund.advance_piece}" if fund.advance_piece else ""
    when = f" le {day(fund.advance_date)}" if fund.advance_date else ""
    return f"Avance reçue{when}{source}", money(fund.advance_received)


def _convention(fund: FundingStatement) -> list[tuple[str, str]]:
    """Planned against activated measures, the annual amount, the advance's ceiling and what was received."""
    from ..model.wording import money

    return [("Mesures prévues par la convention", str(fund.planned)),
            ("Mesures activées (commencées sur la période)", str(len(fund.activated))),
            (f"Montant annuel : {fund.planned} mesures × {fund.months_per_measure} mois × {money(fund.tarif_mensuel)}",
             money(fund.annual_amount)),
            (f"Plafond de l'avance (dans la limite de {_number(fund.advance_rate)} % du montant annuel)",
             money(fund.advance_ceiling)),
            _advance_received(fund)]


def _advance_notes(fund: FundingStatement) -> list[str]:
    from ..model.wording import money

    if fund.advance_received is None:
        return ["Avance reçue : non renseignée. Inscrivez le montant réellement reçu, sa date et sa pièce dans "
                "astre.yaml (rubrique financement_recu, avance) : le solde se calcule sur l'avance réellement "
                f"reçue, jamais sur le plafond de {_number(fund.advance_rate)} %."]
    if fund.advance_received > fund.advance_ceiling:
        return [f"L'avance reçue ({money(fund.advance_received)}) dépasse le plafond de "
                f"{_number(fund.advance_rate)} % du montant annuel ({money(fund.advance_ceiling)}) : vérifiez le "
                "montant inscrit dans astre.yaml."]
    return []


def _summary(fund: FundingStatement) -> list[dict[str, Any]]:
    """The recap rows: service done; on the programme period, the advance received and the balance."""
    from ..model.wording import money

    rows = [{"libelle": "Mesures", "montant": money(fund.measures_total), "total": False},
            {"libelle": "Diagnostics", "montant": money(fund.diagnostics_total), "total": False},
            {"libelle": "Service fait", "montant": money(fund.service_done), "total": True}]
    if not fund.programme_period:
        return rows
    if fund.payable < fund.service_done:
        rows.append({"libelle": "Montant dû, plafonné au montant annuel", "montant": money(fund.payable),
                     "total": False})
    label, amount = _advance_received(fund)
    rows.append({"libelle": label, "montant": amount, "total": False})
    balance = fund.balance
    if balance is None:
        rows.append({"libelle": "Solde", "montant": "non calculé (avance reçue non renseignée)", "total": True})
    else:
        rows.append({"libelle": "Solde à verser par le Département" if balance >= 0
                     else "Trop-perçu à reverser par la structure", "montant": money(abs(balance)), "total": True})
    return rows


def funding_statement(config: Config, inputs: Inputs, period: Period, today: date) -> FundingStatement:
    """The one computation behind `astre financement` and the statement of `astre report`."""
    return statement(inputs.facts, config.programme, period, today, config.funding_received)


# ---------------------------------------------------------------- rendering

# Each document: (its layout, the names of a structure's own templates in templates/report/).
REPORT = ("rapport-activite", "rapport.docx", "rapport.html")
FUNDING = ("etat-financement", "financement.docx", "financement.html")


def _pdf(document: tuple[str, str, str], context: dict[str, Any], today: date, config: Config) -> bytes:
    # The documents' stylesheet first (letterhead, tables), then what the report adds.
    # Each file from the structure's templates/ if it has its own, else from astre's.
    from ..documents.forms import template_path, template_roots
    from ..documents.layout import templates_of
    from ..documents.render_pdf import render_pdf

    roots = template_roots(config)
    reports = tuple(root / "report" for root in roots if (root / "report").is_dir())
    stylesheets = (template_path("html", "astre.css", config), template_path("report", "rapport.css", config))
    found = templates_of(config.resources, *document, kind="report")
    return render_pdf(config.resources, found.html, (*reports, *roots), stylesheets,
                      tuple(root / "assets" for root in roots if (root / "assets").is_dir()), context, today,
                      context["document"]["titre"], config.structure.name, found.html_text)


def _docx(document: tuple[str, str, str], context: dict[str, Any], today: date, config: Config) -> bytes:
    """Return the Word file of the report or the funding statement (same layout as its PDF)."""
    from ..documents.layout import templates_of
    from ..documents.render_docx import render_docx

    found = templates_of(config.resources, *document, kind="report")
    return render_docx(found.docx, context, today, context["document"]["titre"], config.structure.name,
                       found.docx_bytes)


def _write(config: Config, files: dict[str, bytes]) -> None:
    """Write `files` into the output folder, holding its lock (one writer at a time, see build)."""
    from ..documents.writer import output_lock, safe_target, write_atomic

    with output_lock(config.output_dir):
        for name, data in files.items():
            write_atomic(safe_target(config.output_dir, name), data)


def build_report(config: Config, period: Period, today: date) -> tuple[list[str], Inputs]:
    """Write the activity report, the funding statement and the export; return the files written."""
    from .export import rows, salt, to_csv, to_xlsx

    check_letterhead(config)
    inputs = load_inputs(config, today, period)
    keys = pseudonyms(config, inputs)
    label = period_label(period)
    report = report_context(config, inputs, period, today, keys)
    funding = funding_context(config, funding_statement(config, inputs, period, today), today, inputs)
    table = rows(inputs.facts, period, config.structure.name, salt(config.root))
    files = {
        f"rapport-activite-{label}.pdf": _pdf(REPORT, report, today, config),
        f"rapport-activite-{label}.docx": _docx(REPORT, report, today, config),
        f"etat-financement-{label}.pdf": _pdf(FUNDING, funding, today, config),
        f"etat-financement-{label}.docx": _docx(FUNDING, funding, today, config),
        f"export-mesures-{label}.csv": to_csv(table),
        f"export-mesures-{label}.xlsx": to_xlsx(table, period.end.year, report["document"]["titre"],
                                                config.structure.name),
    }
    _write(config, files)
    return list(files), inputs


def build_funding(config: Config, period: Period, today: date) -> tuple[list[str], Inputs]:
    """Write only the funding statement (PDF and DOCX); return the files written and the inputs."""
    check_letterhead(config)
    inputs = load_inputs(config, today, period)
    funding = funding_context(config, funding_statement(config, inputs, period, today), today, inputs)
    label = period_label(period)
    files = {f"etat-financement-{label}.pdf": _pdf(FUNDING, funding, today, config),
             f"etat-financement-{label}.docx": _docx(FUNDING, funding, today, config)}
    _write(config, files)
    return list(files), inputs
