"""The energy budget before and after works (logement.yaml): the document, the final review, the report, bad input."""

from __future__ import annotations

import subprocess
from datetime import date
from pathlib import Path

from click.testing import CliRunner

from generator.checking.check import check_case
from generator.cli import cli
from generator.followup.indicators import Period, energy, facts
from generator.reading.cases import load_case
from generator.reading.config import load_config

TODAY = date(2026, 11, 22)
LOGEMENT = Path("cases") / "dumont-2025" / "logement.yaml"
# Bills after works covering a whole year (1 Nov 2025 is before the works: only the test's make-believe).
YEAR_AFTER = """  factures_apres:
    - {du: "2025-11-01", au: "2026-04-30", kwh: 4000, montant: 980, source: facture EDF}
    - {du: "2026-05-01", au: "2026-10-31", kwh: 1500, montant: 420, source: facture EDF}
"""


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} absent de {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def after_bills(project: Path, bills: str) -> None:
    text = (project / LOGEMENT).read_text(encoding="utf-8")
    start = text.index("  factures_apres:\n")  # the last part of logement.yaml
    (project / LOGEMENT).write_text(text[:start] + bills, encoding="utf-8")


def flat(text: str) -> str:
    return " ".join(text.replace("\u202f", " ").replace("\xa0", " ").split())


def pdf_text(project: Path, document: str) -> str:
    result = CliRunner().invoke(cli, ["-f", str(project / "astre.yaml"), "build", "--date", TODAY.isoformat(), "-j",
                                      "1", "--document", document, str(project / "cases" / "dumont-2025")],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    pdf = project / "out" / "dumont-2025" / f"{document}.pdf"
    return flat(subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True,
                               text=True).stdout)


def test_budget_document_before_forecast_after(project: Path) -> None:
    text = pdf_text(project, "budget-energie")
    assert "Budget énergie prévisionnel" in text
    assert "Chauffage après travaux pompe à chaleur — Pompe à chaleur air-eau" in text
    # Before: 2 570 + 850 = 3 420 € over 1/10/2024–30/09/2025 (365 days), 11 900 + 3 900 = 15 800 kWh.
    assert "Total sur 365 jours 15 800 kWh 3 420,00 €" in text
    assert "coût annuel 3 420,00 € (15 800 kWh par an)" in text
    # Forecast 1 390 €: 3 420 − 1 390 = 2 030 € less, 2 030 / 3 420 = 59,36 %.
    assert "Écart prévu avec le coût annuel avant travaux : 2 030,00 € de moins par an (59,4 % de moins)" in text
    # The budget is dated 20 October 2026: the September–October bill (ending 31/10) is not known yet.
    assert "Total sur 62 jours 420 kWh 118,00 €" in text
    assert "Les factures couvrent 62 jours, moins d'une année : pas de coût annuel mesuré" in text
    assert "176,00" not in text


def test_final_review_shows_the_measured_year(project: Path) -> None:
    after_bills(project, YEAR_AFTER)
    edit(project / LOGEMENT, '  date: "2026-10-20"\n', '  date: "2026-10-31"\n')
    edit(project / "cases" / "dumont-2025" / "bilans.yaml", 'date: "2026-10-30"', 'date: "2026-10-31"')
    text = pdf_text(project, "bilan-final")
    assert "Budget énergie avant et après travaux" in text
    # 980 + 420 = 1 400 € over 365 days; 3 420 − 1 400 = 2 020 € less, 2 020 / 3 420 = 59,06 %.
    assert "Total sur 365 jours 5 500 kWh 1 400,00 €" in text
    assert "coût annuel mesuré 1 400,00 € (5 500 kWh par an)" in text
    assert "Écart mesuré avec le coût annuel avant travaux : 2 020,00 € de moins par an (59,1 % de moins)" in text


def test_report_aggregate_recomputed_by_hand(project: Path) -> None:
    config = load_config(project / "astre.yaml")
    period = Period(date(2025, 11, 1), date(2026, 10, 31))
    all_facts = [facts(config.resources, load_case(config.resources, project / "cases" / c), config.programme,
                       period.end)
                 for c in ("caron-2026", "dumont-2025", "lefebvre-2026")]
    counts = energy(all_facts, period)
    # dumont F → C; caron G and lefebvre G, no label after works yet.
    assert (counts["fg_avant"], counts["fg_avec_dpe_apres"], counts["fg_sorties"], counts["fg_sans_dpe_apres"]) \
        == (3, 1, 1, 2)
    # Only dumont has a year of bills before works and a forecast: 1 390 − 3 420; no year measured after.
    assert counts["prevu"] == {"menages": 1, "mediane": -2030.0}
    assert counts["mesure"] == {"menages": 0, "mediane": None}
    assert counts["sans_factures_avant"] == 2


def test_report_median_of_measured_changes(project: Path) -> None:
    after_bills(project, YEAR_AFTER)
    # caron: a year before at 2 000 €, a year after at 1 700 € (−300); dumont: −2 020; median of two: −1 160.
    edit(project / "cases" / "caron-2026" / "logement.yaml", "dpe_avant:", """budget_energie:
  factures_avant:
    - {du: "2025-01-01", au: "2025-12-31", montant: 2000, source: facture}
  factures_apres:
    - {du: "2025-01-01", au: "2025-12-31", montant: 1700, source: relevé}
dpe_avant:""")
    config = load_config(project / "astre.yaml")
    period = Period(date(2025, 11, 1), date(2026, 10, 31))
    all_facts = [facts(config.resources, load_case(config.resources, project / "cases" / c), config.programme,
                       period.end)
                 for c in ("caron-2026", "dumont-2025")]
    assert energy(all_facts, period)["mesure"] == {"menages": 2, "mediane": -1160.0}
    result = CliRunner().invoke(cli, ["-f", str(project / "astre.yaml"), "report", "--date", TODAY.isoformat()],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    pdf = next((project / "out").glob("rapport-activite-*.pdf"))
    text = flat(subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True,
                               text=True).stdout)
    assert "Budget énergie des ménages" in text
    assert "Variation médiane du coût annuel, mesurée sur une année (2 ménages) 1 160,00 € de moins par an" in text
    assert "dont sortis de F et G 1" in text


def problems(project: Path) -> list[str]:
    config = load_config(project / "astre.yaml")
    return [p.format() for p in check_case(project / "cases" / "dumont-2025", config, TODAY).problems]


def test_bills_over_the_same_days(project: Path) -> None:
    edit(project / LOGEMENT, '{du: "2025-04-01", au: "2025-09-30"', '{du: "2025-03-01", au: "2025-09-30"')
    line = next(n for n, text in enumerate((project / LOGEMENT).read_text().splitlines(), 1) if "2025-03-01" in text)
    message = next(p for p in problems(project) if "déjà facturés" in p)
    assert f"logement.yaml:{line}:" in message
    assert "erreur : facture du 01/03/2025 au 30/09/2025 : elle couvre des jours déjà facturés (facture 1 de " \
           "« factures_avant »)" in message


def test_bill_ending_before_it_starts(project: Path) -> None:
    edit(project / LOGEMENT, '{du: "2026-07-01", au: "2026-08-31"', '{du: "2026-07-01", au: "2026-06-30"')
    message = next(p for p in problems(project) if "avant son début" in p)
    assert "logement.yaml:" in message and "erreur : facture du 01/07/2026 au 30/06/2026" in message
