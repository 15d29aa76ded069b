"""État récapitulatif de financement: arithmetic on the example cases, by hand."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from generator.checking.check import check_case
from generator.cli import cli
from generator.followup.funding import statement
from generator.followup.indicators import Period, facts
from generator.reading.config import load_config

PROGRAMME_PERIOD = Period(date(2025, 11, 1), date(2026, 10, 31))


def funding(project: Path, period: Period = PROGRAMME_PERIOD, on: date = date(2026, 11, 22)):
    config = load_config(project / "astre.yaml")
    all_facts = [facts(config.resources, check_case(f, config, on), config.programme, min(period.end, on))
                 for f in sorted(config.cases_dir.iterdir())]
    return statement(all_facts, config.programme, period, on, config.funding_received)


ADVANCE = """
financement_recu:
  avance:
    montant: 31680
    date: "2025-12-15"
    piece: avis de virement n° 2025-1234
"""


def record_advance(project: Path, text: str = ADVANCE) -> None:
    with (project / "astre.yaml").open("a", encoding="utf-8") as config:
        config.write(text)


def test_programme_period_statement(project: Path) -> None:
    fund = funding(project)
    # Months of measure started in the period, up to the exit:
    # dumont from 2025-11-03, 12 months (exit 2026-10-30); caron 01-12 .. 05-12 = 5 (exit 05-20);
    # lefebvre 08-15, 09-15, 10-15 = 3 (the period ends 10-31).
    assert {m.id: len(m.months) for m in fund.measures} == {"dumont-2025": 12, "caron-2026": 5, "lefebvre-2026": 3}
    assert fund.months == 20 and fund.measures_total == 20 * 220 == 4400
    # One complete diagnostic granted (caron, 2026-03-27): 440 €.
    assert fund.diagnostics_total == 440
    assert fund.service_done == 4840
    # 20 measures x 12 months x 220 € = 52 800 €; the advance is at most 60 % of it = 31 680 €.
    assert fund.annual_amount == 52800 and fund.advance_ceiling == 31680
    # Three measures activated (started in the period) of the 20 planned.
    assert (fund.planned, fund.activated) == (20, ["caron-2026", "dumont-2025", "lefebvre-2026"])
    # The advance received is not recorded: no balance, rather than one computed on an assumed 60 %.
    assert fund.advance_received is None and fund.balance is None
    record_advance(project)
    assert funding(project).balance == 4840 - 31680 == -26840
    assert dict((d.month, n) for d, n in fund.by_month())[6] == 1  # June 2026: caron gone, lefebvre not started


def test_months_not_yet_started_are_not_counted(project: Path) -> None:
    fund = funding(project, Period(date(2026, 1, 1), date(2026, 12, 31)), on=date(2026, 11, 22))
    lefebvre = next(m for m in fund.measures if m.id == "lefebvre-2026")
    assert [d.isoformat() for d in lefebvre.months] == ["2026-08-15", "2026-09-15", "2026-10-15", "2026-11-15"]


def test_balance_is_capped_at_the_annual_amount(project: Path) -> None:
    config = project / "astre.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("nombre_mesures: 20", "nombre_mesures: 1"),
                      encoding="utf-8")
    record_advance(project, ADVANCE.replace("31680", "1584"))
    fund = funding(project)
    assert fund.annual_amount == 2640 and fund.payable == 2640
    assert fund.balance == 2640 - 1584


def financement(project: Path, *args: str) -> Any:
    return CliRunner().invoke(cli, ["-f", str(project / "astre.yaml"), "financement", "--date", "2026-11-22", *args],
                              catch_exceptions=False)


def pdf_text(path: Path) -> str:
    from pypdf import PdfReader

    return "".join(p.extract_text() for p in PdfReader(path).pages).replace("\u202f", " ").replace("\xa0", " ")


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


STATEMENT = "etat-financement-2025-11-01_2026-10-31.pdf"


def test_financement_command_writes_the_statement(project: Path) -> None:
    record_advance(project)
    result = financement(project)
    assert result.exit_code == 0, result.output
    text = " ".join(pdf_text(project / "out" / STATEMENT).split())
    for figure in ("Mesures prévues par la convention 20", "Mesures activées (commencées sur la période) 3",
                   "Montant annuel : 20 mesures × 12 mois × 220,00 € 52 800,00 €",
                   "Plafond de l'avance (dans la limite de 60 % du montant annuel) 31 680,00 €",
                   "Avance reçue le 15 décembre 2025, avis de virement n° 2025-1234 31 680,00 €",
                   "Service fait 4 840,00 €", "Trop-perçu à reverser par la structure 26 840,00 €", "440,00 €",
                   "Association Habitat Solidaire Côte d'Opale", "Aucun dossier exclu"):
        assert figure in text, figure
    # Measures by the SPSLH reference of their validation, which the Département files them under.
    assert "ASTRE-2025-0203 12 janvier 2026 12 mai 2026 5 1 100,00 €" in text and "caron" not in text.lower()


def test_financement_needs_no_secret_but_the_report_does(project: Path) -> None:
    # The statement names measures by their SPSLH reference: no pseudonym, so no secret needed.
    (project / ".astre-salt").unlink()
    result = financement(project)
    assert result.exit_code == 0, result.output
    assert "ASTRE-2025-0147" in pdf_text(project / "out" / STATEMENT)
    # The report's export is pseudonymised: without the secret it refuses, before writing anything.
    for written in project.glob("out/*"):
        written.unlink()
    result = CliRunner().invoke(cli, ["-f", str(project / "astre.yaml"), "report", "--date", "2026-11-22"],
                                catch_exceptions=False)
    assert result.exit_code == 2 and "astre secret" in result.stderr
    assert not list(project.glob("out/*"))


def test_financement_lists_excluded_cases_and_fails(project: Path) -> None:
    edit(project / "cases" / "caron-2026" / "sortie.yaml", 'date: "2026-05-20"\n', "")
    result = financement(project)
    assert result.exit_code == 1
    assert "Dossier exclu : caron-2026" in result.stderr and "1 dossier exclu" in result.stderr
    text = pdf_text(project / "out" / STATEMENT)  # still written, saying what is missing
    assert "1 dossier exclu car incomplet ou incohérent" in text
    assert "ASTRE-2025-0203" in text  # the excluded measure, by its SPSLH reference
    assert "Service fait 3 300,00 €" in text  # 4 840 − caron's 5 months (1 100) and its diagnostic (440)


def test_measures_that_did_not_run_are_not_billed(project: Path) -> None:
    mesure = project / "cases" / "lefebvre-2026" / "mesure.yaml"
    edit(mesure, "statut: en_cours", "statut: refusee")  # start date kept by mistake
    fund = funding(project)
    assert "lefebvre-2026" not in {m.id for m in fund.measures}
    assert fund.months == 20 - 3 and fund.service_done == 4840 - 3 * 220
    # « validée » with a start date is only a warning: the case stays in, unbilled and not accompanied.
    edit(mesure, "statut: refusee", "statut: validee")
    result = financement(project)
    assert result.exit_code == 0, result.output
    assert "Service fait 4 180,00 €" in pdf_text(project / "out" / STATEMENT)
    report = CliRunner().invoke(cli, ["-f", str(project / "astre.yaml"), "report", "--year", "2026", "--date",
                                      "2026-11-22"], catch_exceptions=False)
    assert report.exit_code == 0, report.output
    text = pdf_text(project / "out" / "rapport-activite-2026.pdf")
    assert "Ménages accompagnés 2" in text and "Personnes accompagnées 5" in text  # dumont 2 + caron 3
    assert "Situations éligibles repérées 1" in text  # lefebvre was still spotted in 2026


def test_advance_not_recorded_is_said_never_assumed(project: Path) -> None:
    from docx import Document

    assert financement(project).exit_code == 0
    text = " ".join(pdf_text(project / "out" / STATEMENT).split())
    assert "Avance reçue non renseignée" in text and "Avance reçue : non renseignée." in text
    assert "Solde non calculé (avance reçue non renseignée)" in text
    # The 60 % is shown as a ceiling, never as an advance paid nor set against the service done.
    assert "Plafond de l'avance (dans la limite de 60 % du montant annuel) 31 680,00 €" in text
    assert text.count("31 680,00 €") == 1 and "Trop-perçu" not in text and "26 840" not in text
    docx = Document(str(project / "out" / STATEMENT.replace(".pdf", ".docx")))
    rows = [[c.text for c in row.cells] for t in docx.tables for row in t.rows]
    assert ["Avance reçue", "non renseignée"] in rows and ["Solde", "non calculé (avance reçue non renseignée)"] in rows


def test_calendar_year_statement_gives_service_done_and_no_balance(project: Path) -> None:
    record_advance(project)
    result = CliRunner().invoke(cli, ["-f", str(project / "astre.yaml"), "report", "--year", "2026", "--date",
                                      "2026-11-22"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    text = " ".join(pdf_text(project / "out" / "etat-financement-2026.pdf").split())
    assert ("Cet état porte sur la période du 1er janvier 2026 au 31 décembre 2026, qui n'est pas celle du "
            "programme (du 1er novembre 2025 au 31 octobre 2026) : il présente le service fait sur cette période et "
            "ne calcule pas de solde") in text
    # Service done in 2026: dumont 01-03 .. 10-03 = 10 months, caron 5, lefebvre 08-15 .. 11-15 = 4 (the
    # statement date is 11-22): 19 × 220 = 4 180 €, with caron's complete diagnostic 440 € = 4 620 €.
    assert "Total : 19 mois de mesure × 220,00 € 19 4 180,00 €" in text and "Service fait 4 620,00 €" in text
    for programme_figure in ("Trop-perçu", "Solde", "52 800", "31 680", "Avance", "25 300",
                             "rapproche ces deux périodes"):
        assert programme_figure not in text, programme_figure


def test_report_and_financement_give_the_same_statement(project: Path) -> None:
    from docx import Document

    record_advance(project)
    out = project / "out"
    for report_args, financement_args, name in (
            ([], [], STATEMENT),
            (["--year", "2026"], ["--debut", "2026-01-01", "--fin", "2026-12-31"], "etat-financement-2026.pdf")):
        run = ["-f", str(project / "astre.yaml"), "report", *report_args, "--date", "2026-11-22"]
        assert CliRunner().invoke(cli, run, catch_exceptions=False).exit_code == 0
        from_report = pdf_text(out / name)
        docx_report = [p.text for p in Document(str(out / name.replace(".pdf", ".docx"))).paragraphs]
        (out / name).unlink()
        assert financement(project, *financement_args).exit_code == 0
        assert pdf_text(out / name) == from_report
        assert [p.text for p in Document(str(out / name.replace(".pdf", ".docx"))).paragraphs] == docx_report
    programme = " ".join(pdf_text(out / STATEMENT).split())
    assert "Service fait 4 840,00 €" in programme and "Trop-perçu à reverser par la structure 26 840,00 €" in programme


def test_received_advance_in_astre_yaml_is_checked(project: Path) -> None:
    record_advance(project, ADVANCE.replace('    date: "2025-12-15"\n', "").replace("31680", "trente mille"))
    result = financement(project)
    assert result.exit_code != 0
    assert "financement_recu.avance.montant : un nombre attendu" in result.output + result.stderr
    assert "financement_recu.avance.date : champ obligatoire manquant" in result.output + result.stderr


def test_statement_names_measures_by_spslh_reference(project: Path) -> None:
    from docx import Document

    # Lefebvre's reference was not recorded: its case id, said so.
    edit(project / "cases" / "lefebvre-2026" / "mesure.yaml", "  reference_spslh: ASTRE-2026-0062\n", "")
    assert financement(project).exit_code == 0
    text = " ".join(pdf_text(project / "out" / STATEMENT).split())
    assert "ASTRE-2025-0147 3 novembre 2025 3 octobre 2026 12 2 640,00 €" in text  # dumont
    assert "ASTRE-2025-0203 complet 27 mars 2026 440,00 €" in text  # caron's diagnostic
    assert "lefebvre-2026 (référence SPSLH non renseignée) 15 août 2026 15 octobre 2026 3 660,00 €" in text
    assert "M-" not in text  # no pseudonym: the SPSLH could not match it to the measures it validated
    docx = Document(str(project / "out" / STATEMENT.replace(".pdf", ".docx")))
    rows = [[c.text for c in row.cells] for t in docx.tables for row in t.rows]
    assert ["ASTRE-2025-0203", "12 janvier 2026", "12 mai 2026", "5", "1 100,00 €"] in [
        [c.replace("\u202f", " ").replace("\xa0", " ") for c in r] for r in rows]


VALIDATION = '''validation:
  date: "2025-12-19"
  decision: validee
  reference_spslh: ASTRE-2025-0203
'''


def test_measure_without_validation_is_not_billed(project: Path) -> None:
    mesure = project / "cases" / "caron-2026" / "mesure.yaml"
    edit(mesure, VALIDATION, "")
    edit(mesure, '  validation: "2025-12-19"\n', "")
    fund = funding(project)
    # Caron ran 5 months in the period but no committee decision is recorded: nothing billed, listed apart.
    assert fund.unbillable == [("caron-2026", "validation non enregistrée")]
    assert "caron-2026" not in {m.id for m in fund.measures} and fund.months == 20 - 5
    assert fund.activated == ["dumont-2025", "lefebvre-2026"]
    financement(project)  # caron is an error of `astre check`: excluded, and said not billable
    text = " ".join(pdf_text(project / "out" / STATEMENT).split())
    assert "Mesures non facturées" in text
    assert "caron-2026 (référence SPSLH non renseignée) non facturable : validation non enregistrée" in text
    assert "Service fait 3 300,00 €" in text  # 4 840 − caron's 5 months (1 100) and its diagnostic (440)
    # A file written before « validation »: a validation date and a statut other than « refusee » is validated.
    edit(mesure, '  saisine: "2025-12-04"\n', '  saisine: "2025-12-04"\n  validation: "2025-12-19"\n')
    legacy = funding(project)
    assert legacy.unbillable == [] and legacy.months == 20
    # Refused or postponed by the committee: never billed either.
    edit(mesure, '  validation: "2025-12-19"\n', "")
    mesure.write_text(mesure.read_text(encoding="utf-8") + VALIDATION.replace("validee", "ajournee"), encoding="utf-8")
    assert funding(project).unbillable == [("caron-2026", "validation ajournée par le comité")]


def test_months_billed_below_the_visit_minimum_are_listed(project: Path) -> None:
    from docx import Document

    # Dumont's 3rd month (3 January - 2 February 2026) keeps one visit of its two: below the minimum of 2.
    edit(project / "cases" / "dumont-2025" / "suivi.yaml",
         '  - {date: "2026-01-21", lieu: domicile, objet: "Préparation des devis"}\n', "")
    fund = funding(project)
    assert [(m.id, m.number, m.first, m.visits, m.home) for m in fund.below_visits] == [
        ("dumont-2025", 3, date(2026, 1, 3), 1, 1)]
    # Caron's 5th month, cut by its exit on 20 May, is not judged; nor lefebvre's 4th, under way on 22 November.
    assert financement(project).exit_code == 0
    text = " ".join(pdf_text(project / "out" / STATEMENT).split())
    assert "Minimum du programme : 2 rencontres par mois de mesure, dont 1 à domicile" in text
    assert "1 mois facturé sans le minimum de visites du programme." in text
    assert "ASTRE-2025-0147 mois 3, du 3 janvier 2026 au 2 février 2026 1 1" in text
    paragraphs = [p.text for p in Document(str(project / "out" / STATEMENT.replace(".pdf", ".docx"))).paragraphs]
    assert "1 mois facturé sans le minimum de visites du programme." in paragraphs


def test_documents_owed_in_the_period_count_even_when_their_delay_ends_after(project: Path) -> None:
    # Dumont ended on 30 October 2026, the period's last day but one: its final review and exit report are
    # owed in the period, to send by 14 and 6 November (tolerances of astre.yaml); both were sent on 4 November.
    assert financement(project).exit_code == 0
    text = " ".join(pdf_text(project / "out" / STATEMENT).split())
    assert "Bilans finaux 2 0 0 0" in text and "Signalements de sortie ou de rupture 2 0 0 0" in text
    # They count in the period they are owed in, not again in the next one.
    assert financement(project, "--debut", "2026-11-01", "--fin", "2027-10-31").exit_code == 0
    following = " ".join(pdf_text(project / "out" / "etat-financement-2026-11-01_2027-10-31.pdf").split())
    assert "Bilans finaux" not in following
    # Not sent yet, within a 30-day tolerance (to send by 29 November): « en attente » on 22 November.
    edit(project / "astre.yaml", "delai_bilan_jours: 15", "delai_bilan_jours: 30")
    edit(project / "cases" / "dumont-2025" / "bilans.yaml", '    date_envoi_spslh: "2026-11-04"\n', "")
    assert financement(project).exit_code == 0
    text = " ".join(pdf_text(project / "out" / STATEMENT).split())
    assert "Bilans finaux 1 0 0 1" in text
    assert "1 document en attente (délai de transmission en cours le 22 novembre 2026)" in text
    assert "ASTRE-2025-0147 bilan-final 29 novembre 2026 non envoyé en attente" in text
    # Past its delay, it is missing.
    assert financement(project, "--date", "2026-12-01").exit_code == 0
    text = " ".join(pdf_text(project / "out" / STATEMENT).split())
    assert "Bilans finaux 1 0 1 0" in text and "non envoyé 2 j à ce jour" in text
