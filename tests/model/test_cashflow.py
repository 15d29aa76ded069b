"""The site's cash flow (financement.yaml « tresorerie »): months recomputed by hand, the plan's PDF, bad input."""

from __future__ import annotations

import subprocess
from datetime import date
from pathlib import Path

from click.testing import CliRunner

from generator.checking.check import check_case
from generator.cli import cli
from generator.model.cashflow import cash_flow
from generator.model.measure import as_of
from generator.reading.cases import load_case
from generator.reading.config import load_config
from generator.reading.resources import DEFAULTS

TODAY = date(2026, 11, 22)
FINANCEMENT = Path("cases") / "dumont-2025" / "financement.yaml"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} absent de {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def problems(project: Path, today: date = TODAY) -> list[str]:
    config = load_config(project / "astre.yaml")
    return [p.format().replace("\u202f", " ").replace("\xa0", " ")
            for p in check_case(project / "cases" / "dumont-2025", config, today).problems]


def line_of(path: Path, text: str) -> int:
    """The 1-based line of `path` holding `text` (once)."""
    found = [n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1) if text in line]
    assert len(found) == 1, found
    return found[0]


def months(project: Path, day: date) -> list[tuple[str, float, float, float]]:
    flow = cash_flow(as_of(load_case(DEFAULTS, project / "cases" / "dumont-2025"), day))
    assert flow is not None
    return [(m.first.strftime("%Y-%m"), m.paid, m.received, m.advanced) for m in flow.months]


def test_months_once_everything_is_paid(project: Path) -> None:
    # dumont-2025, financement.yaml: the household pays 1 000 (combles, 16/02), 1 000 (PAC, 02/03), 2 560 (combles,
    # paid 15/04), 1 090 (barres, paid 30/06), 7 718 (PAC, 31/07); the mandate pays the rest (ANAH, paid to it).
    # It receives the CAF loan 1 068 (10/04), the éco-PTZ 3 500 (05/06), OPAH 2 500 (15/07), FSL 3 500 (28/07),
    # CEE 2 800 (30/07). May: nothing; its advance stays.
    assert months(project, TODAY) == [
        ("2026-02", 1000, 0, 1000),
        ("2026-03", 1000, 0, 2000),
        ("2026-04", 2560, 1068, 3492),  # 2 000 + 2 560 − 1 068
        ("2026-05", 0, 0, 3492),
        ("2026-06", 1090, 3500, 1082),  # 3 492 + 1 090 − 3 500
        ("2026-07", 7718, 8800, 0),  # 1 082 + 7 718 − (2 500 + 3 500 + 2 800): the loans cover the share
    ]


def test_months_as_of_the_plan_date(project: Path) -> None:
    # On 20 May 2026 the barres (due 22/06) and the PAC's balance (31/07) are still to pay; OPAH and FSL are
    # expected on 15/07, CEE on 31/07 (« versements_prevus »); the éco-PTZ is only requested: not counted.
    assert months(project, date(2026, 5, 20)) == [
        ("2026-02", 1000, 0, 1000),
        ("2026-03", 1000, 0, 2000),
        ("2026-04", 2560, 1068, 3492),
        ("2026-05", 0, 0, 3492),
        ("2026-06", 1090, 0, 4582),
        ("2026-07", 7718, 8800, 3500),  # 4 582 + 7 718 − 8 800
    ]


def test_an_overdue_payment_counts_in_the_plans_month(project: Path) -> None:
    # On 20 April the combles' balance (due 31/03, paid 15/04) is paid; the mandate's acompte (due 13/04) is not,
    # but the mandate pays it: nothing moves for the household. Unpay the combles' balance: it weighs on April.
    edit(project / FINANCEMENT, 'montant: 2560,\n       date_paiement: "2026-04-15"}', "montant: 2560}")
    assert months(project, date(2026, 4, 20))[:3] == [("2026-02", 1000, 0, 1000), ("2026-03", 1000, 0, 2000),
                                                      ("2026-04", 2560, 1068, 3492)]


def _pdf_text(project: Path, document: str) -> str:
    result = CliRunner().invoke(cli, ["-f", str(project / "astre.yaml"), "build", "--date", TODAY.isoformat(), "-j",
                                      "1", "--document", document, str(project / "cases" / "dumont-2025")],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    pdf = project / "out" / "dumont-2025" / f"{document}.pdf"
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True,
                          text=True).stdout
    return " ".join(text.replace("\u202f", " ").replace("\xa0", " ").split())


def test_the_plan_document_shows_the_months_above_capacity(project: Path) -> None:
    text = _pdf_text(project, "tresorerie-chantier")
    assert "Plan de trésorerie du chantier" in text
    assert "Capacité d'avance du ménage 3 000,00 €" in text
    assert "Réglé par le ménage 13 368,00 €" in text  # 1 000 + 1 000 + 2 560 + 1 090 + 7 718
    assert "Réglé par le mandataire 28 632,00 €" in text  # 3 000 + 5 590 + 14 860 + 5 182: the ANAH aid
    assert "Total des paiements 42 000,00 €" in text  # the four postes' amounts
    assert "juin 2026 (au-delà de la capacité) 1 090,00 € 0,00 € 1 090,00 € 4 582,00 €" in text
    # The gap of each month above 3 000 €: 3 492 − 3 000, 4 582 − 3 000, 3 500 − 3 000.
    assert "avril 2026 3 492,00 € 492,00 €" in text
    assert "juin 2026 4 582,00 € 1 582,00 €" in text
    assert "juillet 2026 3 500,00 € 500,00 €" in text
    assert "Total 13 368,00 € 9 868,00 € 3 500,00 €" in text  # paid, received (1 068 + 8 800), last advance
    assert "Banque (éco-PTZ) (3 500,00 €, demandé)" in text  # requested on 11 May: not counted yet
    assert "Total reçu 8 590,00 €" in text and "Total payé 8 590,00 €" in text  # the mandate on 20 May
    assert "Solde du mandat (reçu moins payé) : 0,00 €" in text


def test_payments_beyond_the_invoiced_amount(project: Path) -> None:
    edit(project / FINANCEMENT, "montant: 5182,", "montant: 6182,")
    line = line_of(project / FINANCEMENT, "montant: 6182,")
    message = next(p for p in problems(project) if "au-delà" in p)
    assert f"financement.yaml:{line}:" in message
    # PAC: 1 000 + 7 718 + 6 182 = 14 900 € paid, invoiced 13 900 €.
    assert "erreur : paiements à Thermi Nord pour « Pompe à chaleur air-eau et radiateurs » : 14 900,00 € au total, " \
           "au-delà du montant facturé (13 900,00 €)" in message


def test_payment_dated_before_the_quote(project: Path) -> None:
    edit(project / FINANCEMENT, 'etape: acompte, date: "2026-02-16"', 'etape: acompte, date: "2025-12-01"')
    line = line_of(project / FINANCEMENT, '"2025-12-01"')
    message = next(p for p in problems(project) if "avant le premier devis" in p)
    assert f"financement.yaml:{line}:" in message
    assert "erreur : paiement pour « Isolation des combles perdus » daté du 01/12/2025, avant le premier devis " \
           "(18/12/2025)" in message


def test_mandate_receiving_funds_no_aid_lists(project: Path) -> None:
    edit(project / FINANCEMENT, '- {date: "2026-08-10", aide: "ANAH – MaPrimeRénov\' Rénovation d\'ampleur"',
         '- {date: "2026-08-10", aide: "Fondation du Patrimoine"')
    line = line_of(project / FINANCEMENT, "Fondation du Patrimoine")
    message = next(p for p in problems(project) if "Fondation du Patrimoine" in p)
    assert f"financement.yaml:{line}:" in message
    assert "erreur : le mandat reçoit 20 042,00 € de « Fondation du Patrimoine », qu'aucune aide ne liste" in message


def test_mandate_receiving_a_payment_the_aid_does_not_list(project: Path) -> None:
    edit(project / FINANCEMENT, 'aide: "ANAH – MaPrimeRénov\' Rénovation d\'ampleur", montant: 20042}',
         'aide: "ANAH – MaPrimeRénov\' Rénovation d\'ampleur", montant: 21042}')
    message = next(p for p in problems(project) if "21 042,00" in p)
    assert "cette aide ne liste aucun versement de ce montant à cette date" in message


def test_a_month_above_capacity_still_to_come_is_a_warning(project: Path) -> None:
    # On 20 May 2026 the plan (see test_months_as_of_the_plan_date) goes above 3 000 € in May, June and July.
    found = [p for p in problems(project, date(2026, 5, 20)) if "capacité d'avance" in p]
    line = line_of(project / FINANCEMENT, "capacite_avance:")
    assert len(found) == 3
    assert f"financement.yaml:{line}:" in found[1]
    assert "avertissement : trésorerie : fin 06/2026, le ménage aurait avancé 4 582,00 €, soit 1 582,00 € de plus " \
           "que sa capacité d'avance (3 000,00 €)" in found[1]
    # Today every month is past: history shown in the plan, no longer a warning.
    assert not [p for p in problems(project) if "capacité d'avance" in p]


FSL = "Département du Pas-de-Calais – Fonds de travaux FSL"
FSL_PAID_ON = 'date_accord: "2026-03-19", date_versement: "2026-07-28",'


def test_an_aid_paid_on_no_known_day_is_received_in_no_month(project: Path) -> None:
    # The FSL aid « versée » without its payment date: received, but neither on the plan's day, nor on its grant's
    # (19/03), nor on its forecast (15/07). July's receipts lose its 3 500 €: 2 500 (OPAH) + 2 800 (CEE).
    edit(project / FINANCEMENT, FSL_PAID_ON, 'date_accord: "2026-03-19",')
    flow = cash_flow(as_of(load_case(DEFAULTS, project / "cases" / "dumont-2025"), TODAY))
    assert flow is not None
    assert [(f.amount, f.day, f.received) for f in flow.inflows if f.source == FSL] == [(3500, None, True)]
    assert months(project, TODAY)[-1] == ("2026-07", 7718, 5300, 3500)  # 1 082 + 7 718 − 5 300


def test_the_plan_document_counts_an_aid_paid_on_no_known_day_apart(project: Path) -> None:
    edit(project / FINANCEMENT, FSL_PAID_ON, 'date_accord: "2026-03-19",')
    text = _pdf_text(project, "tresorerie-chantier")
    assert "reçu, date non renseignée 3 500,00 €" in text
    assert "Reçu à une date non renseignée, hors du calendrier ci-dessous : 3 500,00 €." in text
    assert "Attendu sans date prévue" not in text
    # On the plan's day (20 May), July expects only OPAH and CEE: 4 582 + 7 718 − 5 300.
    assert "7 718,00 € 5 300,00 € 2 418,00 € 7 000,00 €" in text
    assert "Total 13 368,00 € 6 368,00 € 7 000,00 €" in text
    # `astre check` asks for the date.
    line = line_of(project / FINANCEMENT, 'statut: versee, date_demande: "2026-02-02"')
    warning = next(p for p in problems(project) if FSL in p)
    assert f"financement.yaml:{line}:" in warning
    assert f"avertissement : aide « {FSL} » versée sans « date_versement »" in warning
