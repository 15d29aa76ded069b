"""État récapitulatif de financement: arithmetic on the example cases, by hand."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from click.testing import CliRunner

from generator.check import check_case
from generator.cli import cli
from generator.config import load_config
from generator.funding import statement
from generator.indicators import Period, facts

PROGRAMME_PERIOD = Period(date(2025, 11, 1), date(2026, 10, 31))


def funding(project: Path, period: Period = PROGRAMME_PERIOD, on: date = date(2026, 11, 22)):
    config = load_config(project / "astre.yaml")
    all_facts = [facts(check_case(f, config, on), config.programme) for f in sorted(config.cases_dir.iterdir())]
    return statement(all_facts, config.programme, period, on)


def test_programme_period_statement(project: Path) -> None:
    fund = funding(project)
    # Months of measure started in the period, up to the exit:
    # dumont from 2025-11-03, 12 months (exit 2026-10-30); caron 01-12 .. 05-12 = 5 (exit 05-20);
    # lefebvre 07-15, 08-15, 09-15, 10-15 = 4 (the period ends 10-31).
    assert {m.id: len(m.months) for m in fund.measures} == {"dumont-2025": 12, "caron-2026": 5, "lefebvre-2026": 4}
    assert fund.months == 21 and fund.measures_total == 21 * 220 == 4620
    # One complete diagnostic granted (caron, 2026-03-27): 440 €.
    assert fund.diagnostics_total == 440
    assert fund.service_done == 5060
    # 20 measures x 12 months x 220 € = 52 800 €, advance 60 % = 31 680 €.
    assert fund.annual_amount == 52800 and fund.advance == 31680
    assert fund.balance == 5060 - 31680 == -26620
    assert dict((d.month, n) for d, n in fund.by_month())[6] == 1  # June 2026: caron gone, lefebvre not started


def test_months_not_yet_started_are_not_counted(project: Path) -> None:
    fund = funding(project, Period(date(2026, 1, 1), date(2026, 12, 31)), on=date(2026, 11, 22))
    lefebvre = next(m for m in fund.measures if m.id == "lefebvre-2026")
    assert [d.isoformat() for d in lefebvre.months] == ["2026-07-15", "2026-08-15", "2026-09-15", "2026-10-15",
                                                         "2026-11-15"]


def test_balance_is_capped_at_the_annual_amount(project: Path) -> None:
    config = project / "astre.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("nombre_mesures: 20", "nombre_mesures: 1"),
                      encoding="utf-8")
    fund = funding(project)
    assert fund.annual_amount == 2640 and fund.payable == 2640
    assert fund.balance == 2640 - 1584


def test_financement_command_writes_the_statement(project: Path) -> None:
    from pypdf import PdfReader

    result = CliRunner().invoke(cli, ["-f", str(project / "astre.yaml"), "financement", "--date", "2026-11-22"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    pdf = project / "out" / "etat-financement-2025-11-01_2026-10-31.pdf"
    text = "".join(p.extract_text() for p in PdfReader(pdf).pages).replace("\u202f", " ").replace("\xa0", " ")
    for figure in ("52 800,00 €", "31 680,00 €", "Service fait 5 060,00 €", "Trop-perçu à reverser par la structure "
                   "26 620,00 €", "440,00 €", "Association Habitat Solidaire Côte d'Opale"):
        assert figure in text, figure
