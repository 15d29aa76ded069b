"""`astre report`: the 13 indicators against figures computed by hand from the example cases."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.checking.check import check_case
from generator.cli import cli
from generator.followup.indicators import Period, facts, indicators, qualitative
from generator.reading.config import load_config

YEAR_2026 = Period(date(2026, 1, 1), date(2026, 12, 31))
TODAY = date(2026, 11, 22)


def run(project: Path, *args: str, code: int = 0) -> str:
    result = CliRunner().invoke(cli, ["-f", str(project / "astre.yaml"), *args], catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result.output


def pdf_text(path: Path) -> str:
    from pypdf import PdfReader

    text = "".join(page.extract_text() for page in PdfReader(path).pages)
    return text.replace("\u202f", " ").replace("\xa0", " ")


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def project_facts(project: Path, period: Period = YEAR_2026) -> list:
    """Every case's facts as `astre report` reads them: as of the period's end, or today if earlier."""
    config = load_config(project / "astre.yaml")
    return [facts(config.resources, check_case(folder, config, TODAY), config.programme, min(period.end, TODAY))
            for folder in sorted(config.cases_dir.iterdir())]


@pytest.fixture
def all_facts(project: Path) -> list:
    return project_facts(project)


def by_number(all_facts: list, period: Period = YEAR_2026) -> dict:
    return {ind.number: ind for ind in indicators(all_facts, period)}


def indicators_of(project: Path, period: Period = YEAR_2026) -> dict:
    return by_number(project_facts(project, period), period)


def test_indicators_1_to_4(all_facts: list) -> None:
    ind = by_number(all_facts)
    # Repérage in 2026: lefebvre only (2026-05-12); dumont 2025-09-08, caron 2025-11-18.
    assert ind[1].figures == {"situations": 1, "refusees": 0} and ind[1].tables[0].counts == {"mds_slisl": 1}
    # Saisine in 2026: lefebvre only (2026-06-02).
    assert ind[2].figures == {"demandes": 1}
    # All three measures ran in 2026: 2 (Dumont) + 3 (Caron) + 1 (Lefebvre) persons.
    assert ind[3].figures == {"menages": 3, "personnes": 6}
    # Ended: dumont 2025-11-03 -> 2026-10-30 (12th month), caron 2026-01-12 -> 2026-05-20 (5th month).
    assert ind[4].covered == 2
    assert ind[4].figures == {"moyenne": 8.5, "mediane": 8.5, "minimum": 5.0, "maximum": 12.0}


def test_indicators_on_the_programme_period(project: Path) -> None:
    ind = indicators_of(project, Period(date(2025, 11, 1), date(2026, 10, 31)))
    assert ind[1].figures == {"situations": 2, "refusees": 0}  # caron 2025-11-18, lefebvre 2026-06-12
    assert ind[2].tables[0].counts == {"ccas": 1, "mds_slisl": 1}
    ind_2025 = indicators_of(project, Period(date(2025, 1, 1), date(2025, 12, 31)))
    assert ind_2025[3].figures == {"menages": 1, "personnes": 2}  # only dumont started in 2025


def test_indicators_5_to_8(all_facts: list) -> None:
    ind = by_number(all_facts)
    difficulties = ind[5].tables[0].counts
    assert difficulties["endettement"] == difficulties["sante"] == difficulties["budget_insuffisant"] == 2
    assert sum(difficulties.values()) == 13 and ind[5].missing == 0
    size, ages, anah, income, mds = (t.counts for t in ind[6].tables)
    assert size == {"1": 1, "2": 1, "3": 1}
    # Demandeur at the start: Gérard Dumont 68, Bernard Caron 64, Josiane Lefebvre 78.
    assert ages == {"60_74": 2, "75_plus": 1}
    # Dumont 21 480 € for 2 (ceiling 2025: 25 115), Caron 18 950 € for 3 (30 206): très modestes;
    # Lefebvre's request is in 2026, no 2026 barème: the category her MAR stated (menage.categorie_anah) counts.
    assert anah == {"tres_modeste": 3} and ind[6].missing == 0
    assert income == {"10000_14999": 1, "15000_19999": 1, "20000_24999": 1}
    assert mds == {"Arrageois": 1, "Calaisis": 1, "Montreuillois-Ternois": 1}
    assert ind[7].tables[2].counts == {"diffus": 1, "opah": 1, "pig": 1}
    assert ind[7].tables[1].counts == {"Bapaume (62080)": 1, "Frévent (62361)": 1, "Guînes (62397)": 1}
    # Postes: dumont 4 energetique + 1 adaptation, lefebvre 3 + 1, caron 2 + 1 habitat indigne + 1 adaptation.
    assert ind[8].tables[0].counts == {"energetique": 9, "adaptation_vieillissement": 3, "habitat_indigne": 1}


def test_indicator_9_variation_rate_of_dumont(all_facts: list) -> None:
    ind = by_number(all_facts)[9]
    # Only dumont has works done. Planned at request: 21000 + 3800 + 8400 + 1200 = 34400;
    # done: 23450 + 3560 + 13900 + 1090 = 42000; rate = 7600 / 34400 = +22.09 %.
    assert ind.covered == 1
    assert ind.figures["montant_prevu"] == 34400 and ind.figures["montant_realise"] == 42000
    assert round(ind.figures["taux_global"] * 100, 2) == 22.09
    assert ind.figures["postes_ajoutes"] == 1 and ind.figures["postes_abandonnes"] == 1


def test_indicators_10_to_13(all_facts: list) -> None:
    ind = by_number(all_facts)
    f = ind[10].figures
    # Audit advances made in 2026: lefebvre's 800 (2026-07-10) only; dumont's 600 (2025-09-25)
    # and caron's 750 (2025-11-28) were made before the year.
    assert (f["avances"], f["avances_total"], f["avances_non_datees"]) == (1, 800, 0)
    # Aids requested or obtained by 22 November 2026: dumont's 4 paid (28 632 + 3 500 + 2 500 + 2 800 = 37 432;
    # its foundation's 1 500 refused) + lefebvre's ANAH 26 000 and CARSAT 3 500 requested, Frévent's 500 granted
    # = 7 aids, 67 432 €, of which 37 932 € obtained. Left out: lefebvre's FSL (still to request), dumont's
    # refused one, and caron's 3 (to request, and its project abandoned on 20 May 2026).
    assert (f["aides"], f["aides_total"], f["aides_obtenues"], f["aides_hors"]) == (7, 67432, 37932, 5)
    assert f["par_type"]["anah"] == {"nombre": 2, "total": 54632, "obtenues": 28632, "en_cours": 26000,
                                     "refusees": 0}
    assert f["par_type"]["fondation"] == {"nombre": 0, "total": 0, "obtenues": 0, "en_cours": 0, "refusees": 1500}
    assert ind[10].tables[0].counts == {"versee": 4, "accordee": 1, "demandee": 2, "a_solliciter": 1, "refusee": 1,
                                        "projet_abandonne": 3}
    assert ind[11].tables[0].counts == {"tres_satisfait": 1, "satisfait": 1}
    # Caron's carers' platform (santé) joined on 6 May 2026.
    assert ind[12].tables[0].counts == {"habitat_technique": 3, "social": 3, "financeur": 2, "juridique": 2,
                                        "sante": 1}
    assert ind[13].tables[0].counts == {"fin": 1, "non_adhesion": 1}
    assert ind[13].tables[1].counts == {"abandon_projet_travaux": 1, "objectifs_atteints": 1}


def test_qualitative_counts(all_facts: list) -> None:
    q = qualitative(all_facts, YEAR_2026)
    # Concertations in 2026: dumont 2, lefebvre 1, caron 1; 3 + 2 + 3 + 3 participants.
    assert (q["concertations"], q["participants"]) == (4, 11)
    assert q["participants_types"] == {"habitat_technique": 4, "departement": 3, "social": 3, "autre": 1}
    assert q["ruptures"] == {"abandon_projet_travaux": 1}


def test_missing_optional_data_is_counted_not_dropped(project: Path) -> None:
    (project / "cases" / "caron-2026" / "bilans.yaml").unlink()
    ind = indicators_of(project)[11]
    assert ind.covered == 2 and ind.missing == 1
    assert ind.tables[0].counts == {"tres_satisfait": 1, "non_renseigne": 1}


def test_report_command_writes_pdf_docx_with_key_figures(project: Path) -> None:
    from docx import Document
    from pypdf import PdfReader

    output = run(project, "report", "--year", "2026", "--date", "2026-11-22")
    out = project / "out"
    for name in ("rapport-activite-2026.pdf", "rapport-activite-2026.docx", "etat-financement-2026.pdf",
                 "etat-financement-2026.docx", "export-mesures-2026.csv", "export-mesures-2026.xlsx"):
        assert f"Écrit : {out / name}" in output
    pdf = "".join(page.extract_text() for page in PdfReader(out / "rapport-activite-2026.pdf").pages)
    pdf = pdf.replace("\u202f", " ").replace("\xa0", " ")
    for figure in ("Rapport d'activité 2026", "Personnes accompagnées 6", "+22,1", "34 400,00", "42 000,00",
                   "Durée moyenne (mois) 8,5", "Indicateur 13", "Aucun dossier exclu"):
        assert figure in pdf, figure
    docx = Document(str(out / "rapport-activite-2026.docx"))
    cells = [c.text for t in docx.tables for row in t.rows for c in row.cells]
    assert "Personnes accompagnées" in cells and "6" in cells
    for secret in ("Dumont", "Lefebvre", "Caron", "Calvaire", "Tilleuls", "Prés"):
        assert secret not in pdf
        assert all(secret not in c for c in cells)


def test_report_is_reproducible(project: Path) -> None:
    run(project, "report", "--year", "2026", "--date", "2026-11-22")
    out = project / "out"
    first = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    run(project, "report", "--year", "2026", "--date", "2026-11-22")
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == first


def test_invalid_case_is_excluded_and_listed(project: Path) -> None:
    from pypdf import PdfReader

    from generator.followup.export import pseudonym, salt

    (project / "cases" / "caron-2026" / "sortie.yaml").unlink()  # rompue without exit: an error
    result = CliRunner().invoke(cli, ["-f", str(project / "astre.yaml"), "report", "--year", "2026", "--date",
                                      "2026-11-22"], catch_exceptions=False)
    assert result.exit_code == 1  # documents written, but incomplete: a script or a colleague must notice
    assert "Dossier exclu : caron-2026 (statut « rompue » mais aucune sortie renseignée)" in result.stderr
    assert "1 dossier exclu" in result.stderr
    assert "Écrit :" in result.stdout
    pdf = "".join(page.extract_text() for page in PdfReader(project / "out" / "rapport-activite-2026.pdf").pages)
    assert "1 dossier exclu car incomplet ou incohérent" in pdf
    assert pseudonym("caron-2026", salt(project)) in pdf
    assert "Personnes accompagnées 3" in pdf  # 2 + 1 without the excluded case


def test_programme_period_report_has_a_french_title(project: Path) -> None:
    run(project, "report", "--date", "2026-11-22")
    pdf = pdf_text(project / "out" / "rapport-activite-2025-11-01_2026-10-31.pdf")
    assert "Rapport d'activité du 1er novembre 2025 au 31 octobre 2026" in pdf
    assert "2025-11-01" not in pdf


def test_audit_advances_are_those_of_the_period(project: Path) -> None:
    programme = indicators_of(project, Period(date(2025, 11, 1), date(2026, 10, 31)))[10].figures
    # caron 750 (2025-11-28) + lefebvre 800 (2026-07-10); dumont's 600 was advanced on 2025-09-25, before.
    assert (programme["avances"], programme["avances_total"]) == (2, 1550)
    edit(project / "cases" / "lefebvre-2026" / "financement.yaml", '  date: "2026-07-10"\n', "")
    year = by_number(project_facts(project))[10].figures
    assert (year["avances"], year["avances_total"], year["avances_non_datees"]) == (0, 0, 1)
    run(project, "report", "--year", "2026", "--date", "2026-11-22")
    assert "Avances de l'audit sans date (non renseigné) 1" in pdf_text(project / "out" / "rapport-activite-2026.pdf")


def test_variation_rate_single_rule() -> None:
    from generator.model.rules import variation_rate

    def poste(prevu: float | None, realise: float | None, at_referral: bool = True, statut: str = "realise") -> dict:
        p = {"prevu_a_la_saisine": at_referral, "statut": statut}
        p.update({k: v for k, v in (("montant_prevu", prevu), ("montant_realise", realise)) if v is not None})
        return p

    # dumont: (23450 + 3560 + 13900 + 1090 − (21000 + 3800 + 8400 + 1200)) / 34400 = +22.09 %
    # (the windows, planned at 8 400, were abandoned; the heat pump, 13 900, was added).
    dumont = [poste(21000, 23450), poste(3800, 3560), poste(8400, None, statut="abandonne"),
              poste(None, 13900, at_referral=False), poste(1200, 1090)]
    assert round(variation_rate(dumont) * 100, 2) == 22.09
    assert variation_rate([poste(5000, None, statut="prevu")]) is None  # nothing done yet (caron): not -100 %
    assert variation_rate([poste(5000, None)]) is None  # done, amount unknown: not 0 €
    assert variation_rate([poste(None, 3000, at_referral=False)]) is None  # nothing planned at referral


def test_variation_rate_unknown_is_said_not_zero(project: Path) -> None:
    import csv
    import io

    edit(project / "cases" / "dumont-2025" / "travaux.yaml", "montant_realise: 23450", "")
    ind = by_number(project_facts(project))[9]
    assert ind.covered == 1 and ind.missing == 1 and ind.figures["taux_global"] is None
    run(project, "report", "--year", "2026", "--date", "2026-11-22")
    assert "Taux de variation global (montants cumulés) non renseigné" in pdf_text(
        project / "out" / "rapport-activite-2026.pdf")
    rows = list(csv.DictReader(io.StringIO((project / "out" / "export-mesures-2026.csv").read_text("utf-8-sig")),
                               delimiter=";"))
    assert all(r["taux_variation"] == "" for r in rows)  # caron: nothing done; dumont: an amount missing


def test_refused_aids_are_left_out_everywhere(project: Path) -> None:
    import csv
    import io

    run(project, "report", "--year", "2026", "--date", "2026-11-22")
    rows = list(csv.DictReader(io.StringIO((project / "out" / "export-mesures-2026.csv").read_text("utf-8-sig")),
                               delimiter=";"))
    dumont = next(r for r in rows if r["montant_realise"])
    # dumont: 28 632 + 3 500 + 2 500 + 2 800 = 37 432 €, as in its financing plan; the foundation's 1 500 refused.
    assert (dumont["aides_total"], dumont["aides_nombre"], dumont["aides_refusees"]) == ("37432,00", "4", "1500,00")
    pdf = pdf_text(project / "out" / "rapport-activite-2026.pdf")
    assert "Montant des aides demandées ou obtenues 67 432,00 €" in pdf


def test_funders_table_keeps_its_labels_readable(project: Path) -> None:
    run(project, "report", "--year", "2026", "--date", "2026-11-22")
    pdf = pdf_text(project / "out" / "rapport-activite-2026.pdf")
    # A squeezed first column broke the type into one letter a line.
    for line in ("caisse de retraite 1 3 500,00 € 0,00 € 3 500,00 € 0,00 €",
                 "fondation 0 0,00 € 0,00 € 0,00 € 1 500,00 €"):
        assert line in pdf, line


def test_indicator_9_counts_finished_works_only(project: Path) -> None:
    import csv
    import io

    from docx import Document

    # Lefebvre: one poste of four done (the attic, 4 200 € planned, 4 030 € invoiced), the others still to do.
    edit(project / "cases" / "lefebvre-2026" / "travaux.yaml", "    montant_prevu: 4200\n    statut: devis_recu\n",
         "    montant_prevu: 4200\n    statut: realise\n    montant_realise: 4030\n")
    ind = by_number(project_facts(project))[9]
    # The rate stays dumont's, the only finished works: (42 000 − 34 400) / 34 400 = +22,09 %, not
    # (42 000 + 4 030 − 34 400 − 28 500) / 62 900 = −30,0 % with lefebvre's works under way.
    assert ind.covered == 1 and round(ind.figures["taux_global"] * 100, 2) == 22.09
    assert (ind.figures["montant_prevu"], ind.figures["montant_realise"]) == (34400, 42000)
    # Lefebvre apart: planned at the request 4 200 + 14 500 + 9 800 = 28 500 (the shower was added later);
    # done so far 4 030: (4 030 − 28 500) / 28 500 = −85,86 %.
    under_way = ind.figures["en_cours"]
    assert (under_way["dossiers"], under_way["montant_prevu"], under_way["montant_realise"]) == (1, 28500, 4030)
    assert round(under_way["taux_global"] * 100, 2) == -85.86
    run(project, "report", "--year", "2026", "--date", "2026-11-22")
    pdf = " ".join(pdf_text(project / "out" / "rapport-activite-2026.pdf").split())
    assert "Calculé sur : mesures actives dont les travaux sont terminés (1)." in pdf
    assert "Taux de variation global (montants cumulés) +22,1 %" in pdf
    assert "Travaux en cours, à part. Ce dossier n'est pas compté dans le taux de variation ci-dessus" in pdf
    assert "Dossiers dont les travaux sont commencés mais pas terminés 1" in pdf
    assert "Taux provisoire (réalisé à ce jour / prévu à la saisine, montants cumulés) -85,9 %" in pdf
    assert "Montant des postes réalisés à ce jour 4 030,00 €" in pdf
    assert "-30,0" not in pdf
    docx = Document(str(project / "out" / "rapport-activite-2026.docx"))
    rows = [[c.text for c in row.cells] for t in docx.tables for row in t.rows]
    assert ["Taux de variation global (montants cumulés)", "+22,1\u202f%"] in rows
    assert ["Taux provisoire (réalisé à ce jour / prévu à la saisine, montants cumulés)", "-85,9\u202f%"] in rows
    export = list(csv.DictReader(io.StringIO((project / "out" / "export-mesures-2026.csv").read_text("utf-8-sig")),
                                 delimiter=";"))
    assert sorted(r["travaux_termines"] for r in export) == ["", "non", "oui"]


def test_shares_of_cases_when_a_case_counts_in_several_rows(project: Path) -> None:
    from docx import Document

    run(project, "report", "--year", "2026", "--date", "2026-11-22")
    pdf = " ".join(pdf_text(project / "out" / "rapport-activite-2026.pdf").split())
    note = "% des dossiers ; un dossier peut figurer dans plusieurs lignes."
    # Indicator 8: all 3 active cases have an adaptation poste (dumont's grab bars, lefebvre's shower, caron's
    # bathroom): 3 of 3 cases = 100 %, not 3 of the 7 (case, type) pairs = 42,9 %. Caron alone has habitat indigne.
    assert f"Dossiers ayant au moins un poste de ce type : {note}" in pdf
    assert "adaptation au vieillissement 3 100 %" in pdf and "habitat indigne 1 33,3 %" in pdf
    # Indicator 12: habitat et technique and social in all 3 cases, financeur and juridique in 2 of 3.
    assert f"Dossiers mobilisant ce type de partenaire : {note}" in pdf
    assert "habitat et technique 3 100 %" in pdf and "juridique 2 66,7 %" in pdf
    # Indicator 5 has the same shape: budget insuffisant in 2 of 3 cases.
    assert "budget insuffisant 2 66,7 %" in pdf
    assert pdf.count("Dossiers (base des pourcentages) 3") == 3
    for wrong in ("42,9 %", "30 %", "15,4 %"):
        assert wrong not in pdf, wrong
    # The postes table stays a share of postes: 9 energy postes of 13.
    assert "rénovation énergétique 9 69,2 %" in pdf
    docx = Document(str(project / "out" / "rapport-activite-2026.docx"))
    assert f"Dossiers mobilisant ce type de partenaire : {note}" in [p.text for p in docx.paragraphs]
    rows = [[c.text for c in row.cells] for t in docx.tables for row in t.rows]
    assert ["Dossiers mobilisant ce type de partenaire", "dossiers", "% des dossiers"] in rows
    assert ["adaptation au vieillissement", "3", "100 %"] in rows
    assert ["Dossiers (base des pourcentages)", "3", ""] in rows


def test_qualitative_counts_read_as_sentences(project: Path) -> None:
    run(project, "report", "--year", "2026", "--date", "2026-11-22")
    pdf = " ".join(pdf_text(project / "out" / "rapport-activite-2026.pdf").split())
    assert "Diagnostics de faisabilité : 1 diagnostic complet accordé." in pdf  # caron's, granted 2026-03-27
    assert "complet, accordé (1)" not in pdf


def test_report_docx_is_a4_in_french_with_the_pdf_paragraphs(project: Path) -> None:
    import zipfile

    from generator.documents.layout import docx_text

    run(project, "report", "--year", "2026", "--date", "2026-11-22")
    path = project / "out" / "rapport-activite-2026.docx"
    xml = zipfile.ZipFile(path).read("word/document.xml").decode("utf-8")
    assert '<w:pgSz w:w="11906" w:h="16838"' in xml.replace('w:w="11905"', 'w:w="11906"')  # A4 in twentieths of pt
    assert 'w:val="fr-FR"' in zipfile.ZipFile(path).read("word/styles.xml").decode("utf-8")
    paragraphs = docx_text(path.read_bytes())  # with the cells: the letterhead is a table, as in case documents
    pdf = " ".join(pdf_text(project / "out" / "rapport-activite-2026.pdf").split())
    for sentence in ("Tél. 03 21 00 00 00 — astre@habitat-solidaire.example",
                     "aucun dossier n'est écarté sans le dire.",
                     "est écarté, et compté."):
        assert sentence in pdf and sentence in " ".join(paragraphs.split()), sentence


def section(text: str, title: str, following: str) -> str:
    """The words of a report's section, from its title to the next one."""
    start = text.index(title)
    return text[start:text.index(following, start)]


def test_normal_end_is_told_apart_from_ruptures(project: Path) -> None:
    from docx import Document

    # dumont ended normally (type fin, objectifs atteints) on 30 October 2026; caron broke off (non-adhésion) in May.
    run(project, "report", "--year", "2026", "--date", "2026-11-22")
    pdf = " ".join(pdf_text(project / "out" / "rapport-activite-2026.pdf").split())
    normal_end = "Travaux achevés et réceptionnés, budget stabilisé"
    ruptures = section(pdf, "Ruptures de parcours", "Fins de mesure")
    assert "Sorties avant terme (rupture ou non-adhésion) : 1." in ruptures and normal_end not in ruptures
    ends = section(pdf, "Fins de mesure", "Coordinations mises en place")
    assert "Mesures arrivées à leur terme (fin de mesure), comptées à part des ruptures : 1 ; motifs : objectifs " \
           "atteints (1)." in ends
    assert normal_end in ends
    paragraphs = [p.text for p in Document(str(project / "out" / "rapport-activite-2026.docx")).paragraphs]
    titles = [p for p in paragraphs if p in ("Ruptures de parcours", "Fins de mesure", "Coordinations mises en place")]
    assert titles == ["Ruptures de parcours", "Fins de mesure", "Coordinations mises en place"]
    quoted = [i for i, p in enumerate(paragraphs) if normal_end in p]
    assert quoted and all(paragraphs.index("Fins de mesure") < i < paragraphs.index("Coordinations mises en place")
                          for i in quoted)


def test_indicator_10_counts_only_aids_requested_or_obtained(project: Path) -> None:
    # Caron: its ANAH aid requested on 10 February 2026, its FSL aid granted then cancelled; every poste abandoned on
    # 20 May 2026. Before May its requested ANAH aid counts; from the abandonment on, none of its aids does.
    edit(project / "cases" / "caron-2026" / "financement.yaml",
         "montant: 40600, statut: a_solliciter}", 'montant: 40600, statut: demandee, date_demande: "2026-02-10"}')
    edit(project / "cases" / "caron-2026" / "financement.yaml", "montant: 5000, statut: a_solliciter}",
         'montant: 5000, statut: annulee, date_demande: "2026-02-10", date_accord: "2026-03-01", '
         'date_annulation: "2026-05-25", motif_annulation: travaux abandonnés}')
    spring = Period(date(2026, 1, 1), date(2026, 4, 30))
    f = indicators_of(project, spring)[10].figures
    # By 30 April: caron's ANAH requested (40 600) and FSL granted (5 000); dumont's 4 granted (ANAH 28 632,
    # FSL 3 500, EPCI 2 500, CEE 2 800 = 37 432), its foundation's refused on 17 April. Caron's retirement fund aid
    # is still to request: not counted. Lefebvre had not started.
    assert (f["aides"], f["aides_total"], f["aides_obtenues"]) == (6, 40600 + 5000 + 37432, 5000 + 37432)
    year = indicators_of(project)[10]
    # 2026: caron's project abandoned, its FSL aid cancelled: only dumont's 4 and lefebvre's 3 (67 432 €).
    assert (year.figures["aides"], year.figures["aides_total"]) == (7, 67432)
    # Caron's requested ANAH aid and its retirement fund's are the abandoned project's; its FSL aid cancelled.
    counts = year.tables[0].counts
    assert (counts["projet_abandonne"], counts["annulee"], counts["a_solliciter"]) == (2, 1, 1)  # + lefebvre's FSL
    run(project, "report", "--year", "2026", "--date", "2026-11-22")
    pdf = " ".join(pdf_text(project / "out" / "rapport-activite-2026.pdf").split())
    assert "Aides demandées ou obtenues à la fin de la période 7" in pdf
    assert "Montant des aides demandées ou obtenues 67 432,00 €" in pdf
    assert "projet de travaux abandonné (non comptée) 2" in pdf


def test_past_period_is_computed_as_of_its_end(project: Path) -> None:
    # 2025 read today: dumont's aids were all requested in 2026, so none was mobilised in 2025.
    f = indicators_of(project, Period(date(2025, 1, 1), date(2025, 12, 31)))[10].figures
    assert (f["aides"], f["aides_total"], f["par_type"].get("anah", {}).get("nombre", 0)) == (0, 0, 0)
    # Up to 31 May 2026 dumont's works were not finished (heat pump done 19 June, grab bars 22 June): no variation
    # rate yet, whatever happened after; and dumont had not ended (exit 30 October 2026).
    spring = Period(date(2025, 11, 1), date(2026, 5, 31))
    ind = indicators_of(project, spring)
    assert ind[9].covered == 0 and ind[9].figures["en_cours"]["dossiers"] == 1
    assert ind[4].covered == 1  # caron's exit on 20 May 2026 only
    run(project, "report", "--debut", "2025-11-01", "--fin", "2026-05-31", "--date", "2026-11-22")
    pdf = " ".join(pdf_text(project / "out" / "rapport-activite-2025-11-01_2026-05-31.pdf").split())
    assert "Calculé sur : mesures actives dont les travaux sont terminés (0)." in pdf
    assert "+22,1" not in pdf and "objectifs atteints" not in pdf


def test_quotes_are_the_texts_as_sent(project: Path) -> None:
    import shutil

    from tests.conftest import ROOT

    # dumont's 3-month review was sent on 9 February 2026; its difficulties were completed in the files on
    # 20 November. The report quotes what the Département received, kept in envoyes/.
    shutil.copytree(ROOT / "cases" / "dumont-2025" / "envoyes", project / "cases" / "dumont-2025" / "envoyes")
    run(project, "report", "--year", "2026", "--date", "2026-11-22")
    pdf = " ".join(pdf_text(project / "out" / "rapport-activite-2026.pdf").split())
    assert "« Méfiance du ménage envers les entreprises après le démarchage de 2024. »" in pdf
    assert "démarchage abusif" not in pdf
    # Edited again after its sending, the 6-month review is still quoted as sent.
    edit(project / "cases" / "dumont-2025" / "bilans.yaml",
         "difficultes: Surcoût de l'isolation des murs découvert pendant le chantier.",
         "difficultes: Texte réécrit après l'envoi.")
    run(project, "report", "--year", "2026", "--date", "2026-11-22")
    pdf = " ".join(pdf_text(project / "out" / "rapport-activite-2026.pdf").split())
    assert "« Surcoût de l'isolation des murs découvert pendant le chantier. »" in pdf
    assert "réécrit" not in pdf


def refused_referral(project: Path, name: str = "refus-2026") -> None:
    """A referral spotted on 12 June 2026 with lefebvre's household, refused by the committee on 30 July."""
    folder = project / "cases" / name
    folder.mkdir()
    for file in ("mesure", "menage", "logement"):
        (folder / f"{file}.yaml").write_bytes((project / "cases" / "lefebvre-2026" / f"{file}.yaml").read_bytes())
    mesure = folder / "mesure.yaml"
    edit(mesure, "identifiant: lefebvre-2026", f"identifiant: {name}")
    edit(mesure, "statut: en_cours", "statut: refusee")
    edit(mesure, '  debut: "2026-08-15"\n  fin_prevue: "2027-08-14"\n', "")
    edit(mesure, "  decision: validee\n  reference_spslh: ASTRE-2026-0062\n",
         "  decision: refusee\n  motif: ressources au-dessus des plafonds\n")


def test_refused_referral_is_counted_apart_from_eligible_situations(project: Path) -> None:
    refused_referral(project)
    ind = indicators_of(project)
    # Spotted in 2026: lefebvre (eligible) and the refused referral, counted apart.
    assert ind[1].figures == {"situations": 1, "refusees": 1} and ind[1].tables[0].counts == {"mds_slisl": 1}
    assert ind[2].figures == {"demandes": 2}  # both were filed
    # Before the committee's decision (30 July) the referral was still an eligible situation.
    june = indicators_of(project, Period(date(2026, 6, 1), date(2026, 6, 30)))
    assert june[1].figures == {"situations": 2, "refusees": 0}
    run(project, "report", "--year", "2026", "--date", "2026-11-22")
    pdf = " ".join(pdf_text(project / "out" / "rapport-activite-2026.pdf").split())
    assert "Situations éligibles repérées 1" in pdf
    assert "Saisines refusées par le Département (comptées à part, hors situations éligibles) 1" in pdf
