"""Programme rules and the ANAH barème, on the example cases with one thing changed."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from generator.checking.check import check_case
from generator.model import bareme
from generator.reading.config import load_config
from generator.reading.resources import DEFAULTS

TODAY = date(2026, 11, 22)
ROOT = Path(__file__).resolve().parents[2]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} absent de {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def problems(project: Path, case_id: str, today: date = TODAY) -> list[str]:
    config = load_config(project / "astre.yaml")
    return [p.format() for p in check_case(project / "cases" / case_id, config, today).problems]


def only(lines: list[str], text: str) -> str:
    found = [line for line in lines if text in line]
    assert len(found) == 1, "\n".join(lines)
    return found[0]


@pytest.mark.parametrize("case_id", ["lefebvre-2026", "dumont-2025", "caron-2026"])
def test_examples_have_no_error(project: Path, case_id: str) -> None:
    assert not [line for line in problems(project, case_id) if ": erreur :" in line]


def test_month_without_enough_visits(project: Path) -> None:
    suivi = project / "cases/lefebvre-2026/suivi.yaml"
    lines = suivi.read_text(encoding="utf-8").splitlines(keepends=True)
    dropped = ('{date: "2026-09-26"', '{date: "2026-10-03"')
    suivi.write_text("".join(x for x in lines if not x.strip(" -").startswith(dropped)), "utf-8")
    line = only(problems(project, "lefebvre-2026"), "mois 2 de la mesure")
    assert "suivi.yaml:3:3: avertissement : mois 2 de la mesure (du 15/09/2026 au 14/10/2026) : " \
           "1 rencontre sur 2 minimum, 0 à domicile sur 1 minimum" in line


def test_current_month_is_not_judged(project: Path) -> None:
    """Month 4 (from 15/11/2026) is not over on 22/11: no warning yet."""
    assert not [x for x in problems(project, "lefebvre-2026") if "mois 4" in x]


def test_review_overdue_after_grace_period(project: Path) -> None:
    (project / "cases/lefebvre-2026/bilans.yaml").write_text("bilans: []\n", encoding="utf-8")
    # Due 15/11/2026, 15 days of grace (astre.yaml delai_bilan_jours).
    assert not [x for x in problems(project, "lefebvre-2026", date(2026, 11, 30)) if "bilan à 3 mois" in x]
    line = only(problems(project, "lefebvre-2026", date(2026, 12, 1)), "bilan à 3 mois")
    assert "bilans.yaml:1:9: avertissement : bilan à 3 mois manquant (dû le 15/11/2026)" in line


def test_final_review_missing(project: Path) -> None:
    bilans = project / "cases/dumont-2025/bilans.yaml"
    text = bilans.read_text(encoding="utf-8")
    bilans.write_text(text[: text.index("  - echeance: final")], encoding="utf-8")
    assert "avertissement : bilan final manquant (dû le 30/10/2026)" in only(problems(project, "dumont-2025"),
                                                                             "bilan final")


def test_typed_cost_and_share_are_old_fields(project: Path) -> None:
    """The plan is computed at each document's date: a typed cost or share is located and said unused."""
    edit(project / "cases/lefebvre-2026/financement.yaml", "aides:", "cout_total: 38950\naides:")
    line = only(problems(project, "lefebvre-2026"), "cout_total")
    assert "financement.yaml:2:13: avertissement : « cout_total » n'est plus utilisé" in line
    assert "retirez la ligne « cout_total »" in line


def test_two_chosen_quotes_for_one_poste(project: Path) -> None:
    edit(project / "cases/dumont-2025/travaux.yaml", "montant_ht: 19900, montant_ttc: 21000}",
         "montant_ht: 19900, montant_ttc: 21000, retenu: true}")
    line = only(problems(project, "dumont-2025"), "plusieurs devis retenus")
    assert "travaux.yaml:" in line and ": erreur : poste « Isolation des murs par l'extérieur »" in line


NOTIFIED = ('categorie_anah:\n  categorie: {0}\n  date: "{1}"\n  source: notification ANAH du {1}\n'
            'charges:')


def test_notified_category_that_disagrees_with_the_bareme(project: Path) -> None:
    """Dumont's 2025 income is « très modeste » by the barème: a notification saying « modeste » is questioned."""
    menage = project / "cases/dumont-2025/menage.yaml"
    edit(menage, "charges:", NOTIFIED.format("modeste", "2025-10-20"))
    line = only(problems(project, "dumont-2025"), "catégorie ANAH notifiée")
    assert "menage.yaml:26:14: avertissement : catégorie ANAH notifiée « modeste » différente de la catégorie " \
           "calculée avec le barème 2025 (« très modeste », RFR et 2 personnes)" in line
    edit(menage, "categorie: modeste", "categorie: tres_modeste")
    assert not [x for x in problems(project, "dumont-2025") if "catégorie" in x]


def test_notified_category_replaces_the_missing_bareme(project: Path) -> None:
    """Lefebvre (2026, no barème) has a notified category: no « aucun barème » warning; without it, one."""
    assert not [x for x in problems(project, "lefebvre-2026") if "barème" in x]
    menage = project / "cases/lefebvre-2026/menage.yaml"
    text = menage.read_text(encoding="utf-8")
    menage.write_text(text[:text.index("# Catégorie indiquée")] + text[text.index("charges:"):], encoding="utf-8")
    line = only(problems(project, "lefebvre-2026"), "barème")
    assert "avertissement : aucun barème ANAH connu pour 2026 : catégorie de revenus non calculée" in line


def test_income_above_very_modest_ceiling(project: Path) -> None:
    menage = project / "cases/dumont-2025/menage.yaml"
    edit(menage, "montant: 21480", "montant: 25115")  # exactly the 2025 ceiling for 2 persons
    assert not [x for x in problems(project, "dumont-2025") if "plafond" in x]
    edit(menage, "montant: 25115", "montant: 25116")
    line = only(problems(project, "dumont-2025"), "plafond")
    assert "menage.yaml:24:12: avertissement : revenus au-dessus du plafond « très modestes » 2025 " \
           "(25\u202f115,00\u00a0€ pour 2 personnes) : ménage modeste" in line


def test_end_before_start(project: Path) -> None:
    edit(project / "cases/lefebvre-2026/mesure.yaml", 'fin_prevue: "2027-08-14"', 'fin_prevue: "2026-07-01"')
    line = only(problems(project, "lefebvre-2026"), "fin_prevue")
    assert "mesure.yaml:11:15: erreur : dates.fin_prevue (01/07/2026) n'est pas après le début (15/08/2026)" in line


def test_exit_before_start(project: Path) -> None:
    edit(project / "cases/caron-2026/sortie.yaml", 'date: "2026-05-20"', 'date: "2025-12-20"')
    assert "erreur : date de sortie (20/12/2025) avant le début" in only(problems(project, "caron-2026"),
                                                                          "date de sortie")


def test_date_in_the_future(project: Path) -> None:
    edit(project / "cases/lefebvre-2026/contrat.yaml", 'date_envoi_spslh: "2026-09-05"',
         'date_envoi_spslh: "2026-12-01"')
    line = only(problems(project, "lefebvre-2026"), "date dans le futur")
    assert "contrat.yaml:18:19: erreur : date_envoi_spslh : date dans le futur (01/12/2026)" in line


def test_payment_and_quote_dated_in_the_future(project: Path) -> None:
    """An aid's payment (« versements ») and a quote (« devis ») record what happened: never after today."""
    edit(project / "cases/dumont-2025/financement.yaml", '{date: "2026-08-10", montant: 20042}',
         '{date: "2026-12-10", montant: 20042}')
    edit(project / "cases/dumont-2025/travaux.yaml", '{date: "2026-05-07", entreprise:',
         '{date: "2026-12-07", entreprise:')
    found = problems(project, "dumont-2025")
    assert "financement.yaml:10:63: erreur : aides[1].versements[2].date : date dans le futur (10/12/2026)" \
        in only(found, "versements[2].date")
    assert "travaux.yaml:14:16: erreur : postes[1].devis[3].date : date dans le futur (07/12/2026)" \
        in only(found, "devis[3].date")


def test_exit_not_reported(project: Path) -> None:
    edit(project / "cases/caron-2026/sortie.yaml", 'date_signalement_spslh: "2026-05-21"\n', "")
    line = only(problems(project, "caron-2026"), "non signalée")
    assert "sortie.yaml:2:7: avertissement : sortie du 20/05/2026 non signalée au SPSLH" in line


def test_contract_not_sent_in_time(project: Path) -> None:
    contrat = project / "cases/lefebvre-2026/contrat.yaml"
    edit(contrat, 'date_envoi_spslh: "2026-09-05"', 'date_envoi_spslh: "2026-09-20"')
    # Sent late: said, with the days counted (the funding balance depends on sendings in time).
    assert ("contrat.yaml:18:19: avertissement : contrat envoyé le 20/09/2026, 5 jours après la limite du "
            "15/09/2026") in only(problems(project, "lefebvre-2026"), "contrat")
    edit(contrat, 'date_envoi_spslh: "2026-09-20"\n', "")
    assert "avertissement : contrat non envoyé au SPSLH (à envoyer au plus tard le 15/09/2026)" in only(
        problems(project, "lefebvre-2026"), "contrat non envoyé")


def test_refused_or_not_started_measure_owes_nothing(project: Path) -> None:
    mesure = project / "cases/lefebvre-2026/mesure.yaml"
    edit(mesure, "statut: en_cours", "statut: refusee")
    lines = problems(project, "lefebvre-2026")
    assert "erreur : mesure refusée avec une date de début" in only(lines, "mesure refusée")
    assert not [line for line in lines if "bilan" in line or "mois 1 de la mesure" in line]
    edit(mesure, "statut: refusee", "statut: validee")
    lines = problems(project, "lefebvre-2026")
    assert "avertissement : date de début renseignée mais statut « validee »" in only(lines, "date de début")
    assert not [line for line in lines if "bilan" in line or "contrat" in line]


def test_status_and_exit_must_agree(project: Path) -> None:
    edit(project / "cases/caron-2026/mesure.yaml", "statut: rompue", "statut: en_cours")
    assert "erreur : sortie renseignée mais statut « en_cours »" in only(problems(project, "caron-2026"),
                                                                          "sortie renseignée")


def test_rules_skipped_on_invalid_case(project: Path) -> None:
    """A schema error hides the rules: they would only repeat it in other words."""
    path = project / "cases/lefebvre-2026/financement.yaml"
    edit(path, "aides:", "cout_total: 38950\naides:")
    edit(path, "montant: 500", "montant: beaucoup")
    lines = problems(project, "lefebvre-2026")
    assert [x for x in lines if "montant : un nombre attendu" in x]
    assert not [x for x in lines if "n'est plus utilisé" in x]


# ---------------------------------------------------------------- barème

@pytest.mark.parametrize(("persons", "very_modest", "modest"), [
    (1, 17173, 22015), (2, 25115, 32197), (3, 30206, 38719), (4, 35285, 45234), (5, 40388, 51775),
    (6, 40388 + 5094, 51775 + 6525), (7, 40388 + 2 * 5094, 51775 + 2 * 6525),
])
def test_barème_2025_boundaries(persons: int, very_modest: int, modest: int) -> None:
    assert bareme.category(DEFAULTS, persons, very_modest, 2025) == "tres_modeste"  # exactly at the ceiling
    assert bareme.category(DEFAULTS, persons, very_modest + 1, 2025) == "modeste"
    assert bareme.category(DEFAULTS, persons, modest, 2025) == "modeste"
    assert bareme.category(DEFAULTS, persons, modest + 1, 2025) == "superieur"


def test_barème_unknown_year_and_empty_household() -> None:
    assert bareme.category(DEFAULTS, 2, 10000, 2019) is None
    assert bareme.category(DEFAULTS, 0, 10000, 2025) is None


def test_barème_is_dated_and_sourced() -> None:
    assert 2025 in bareme.baremes(DEFAULTS)
    for year, table in bareme.baremes(DEFAULTS).items():
        assert table["annee"] == year and len(table["source"]) > 20


def test_review_months_come_from_the_programme(project: Path) -> None:
    """Another Département reviews at 4 and 8 months: data, not code (schema, rules and documents follow)."""
    from generator.engine.build import build

    config_file = project / "astre.yaml"
    edit(config_file, "bilans_mois: [3, 6, 9]", "bilans_mois: [4, 8]")
    lines = problems(project, "lefebvre-2026")
    assert "bilan « 3_mois » non prévu par le programme (bilans à 4, 8 mois et final)" in only(lines, "non prévu")
    edit(project / "cases/lefebvre-2026/bilans.yaml", "echeance: 3_mois", "echeance: 4_mois")
    edit(project / "cases/lefebvre-2026/envois.yaml", "bilan-intermediaire-3-mois", "bilan-intermediaire-4-mois")
    assert not [line for line in problems(project, "lefebvre-2026") if "bilan" in line]
    for other in ("dumont-2025", "caron-2026"):
        shutil.rmtree(project / "cases" / other)
    summary = build(load_config(config_file), today=TODAY, jobs=1, forms=["bilan-intermediaire"])
    assert summary.failed == []
    assert sorted(p.name for p in summary.built) == [
        "bilan-intermediaire-4-mois.docx", "bilan-intermediaire-4-mois.pdf"]


def test_notified_category_above_very_modest_is_said(project: Path) -> None:
    """No 2026 barème to compare with: a notified « modeste » is outside the ASTRE public, said with its source."""
    edit(project / "cases/lefebvre-2026/menage.yaml", "categorie: tres_modeste", "categorie: modeste")
    line = only(problems(project, "lefebvre-2026"), "catégorie notifiée")
    assert "menage.yaml:28:14: avertissement : ménage modeste selon Soliha Pas-de-Calais, Mon Accompagnateur " \
           "Rénov' (courriel à la référente) — vérifiez la catégorie notifiée ; le public ASTRE est très " \
           "modeste" in line


# ---------------------------------------------------------------- what the seed asks of reviews and exits


def test_broken_measure_final_review_needs_financing_point_and_reasons_for_failure(project: Path) -> None:
    """« Le bilan … détaillera … un point sur le plan de financement …, les raisons éventuelles de l'échec »."""
    bilans = project / "cases/caron-2026/bilans.yaml"
    edit(bilans, "    point_financement: Plan de financement non déposé.\n", "")
    edit(bilans, "    motifs_echec: Refus de la co-indivisaire d'engager des travaux ; M. Caron ne souhaite plus "
                 "poursuivre.\n", "")
    line = only(problems(project, "caron-2026"), "arrêtée avant son terme")
    assert "bilans.yaml:12:5: erreur : bilan final d'une mesure arrêtée avant son terme (sortie « non_adhesion ») " \
           "sans « point_financement » ni « motifs_echec »" in line
    assert "ajoutez « point_financement » (où en est le plan de financement) et « motifs_echec »" in line
    # The same review, for a measure that ran its course (dumont's final review has no motifs_echec): nothing.
    assert not [x for x in problems(project, "dumont-2025") if "arrêtée avant son terme" in x]


def test_exit_type_and_reason_must_agree(project: Path) -> None:
    sortie = project / "cases/caron-2026/sortie.yaml"
    edit(sortie, "type: non_adhesion", "type: rupture")
    edit(sortie, "motif: abandon_projet_travaux", "motif: objectifs_atteints")
    line = only(problems(project, "caron-2026"), "se contredisent")
    assert "sortie.yaml:4:8: erreur : sortie de type « rupture » avec le motif « objectifs_atteints » : le type et " \
           "le motif se contredisent" in line
    assert "écrivez « type: fin » (et « statut: terminee » dans mesure.yaml)" in line
    # A household that stops adhering is a non-adhesion, not a « rupture » for the reason « non_adhesion ».
    edit(sortie, "motif: objectifs_atteints", "motif: non_adhesion")
    assert "écrivez « type: non_adhesion »" in only(problems(project, "caron-2026"), "se contredisent")
    edit(sortie, "motif: non_adhesion", "motif: deces")
    assert not [x for x in problems(project, "caron-2026") if "se contredisent" in x]


def test_every_exit_type_and_reason_of_the_schema_is_judged() -> None:
    import json

    from generator.model.rules import EXIT_REASONS

    schema = json.loads((ROOT / "schemas/sortie.schema.json").read_text(encoding="utf-8"))
    assert set(EXIT_REASONS) == set(schema["properties"]["type"]["enum"])
    assert set().union(*EXIT_REASONS.values()) == set(schema["properties"]["motif"]["enum"])


def test_interim_review_stopping_a_running_measure_is_a_warning(project: Path) -> None:
    bilans = project / "cases/lefebvre-2026/bilans.yaml"
    edit(bilans, "    poursuite: true\n", "    poursuite: false\n")
    line = only(problems(project, "lefebvre-2026"), "poursuite: false")
    assert "bilans.yaml:12:5: avertissement : bilan « 3_mois » concluant à l'arrêt de l'accompagnement " \
           "(« poursuite: false ») alors que la mesure est en cours" in line
    assert "renseignez sortie.yaml" in line and "signalez la sortie au SPSLH" in line
    # caron's measure has ended: its final review's « poursuite: false » is no warning.
    assert not [x for x in problems(project, "caron-2026") if "poursuite" in x]
