"""Document names and words come from the definitions (forms/*.yaml, forms/libelles.yaml), not from Python (issue 20).

A structure that renames a document's output, or rewords a label, in its own forms folder sees
the change everywhere astre names that document or says that word: check, status, the
funding statement.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.checking.check import check_case
from generator.cli import cli
from generator.errors import FormError
from generator.model.obligations import due_items, obligations
from generator.reading.config import load_config

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 11, 22)


def _override_form(project: Path, form: str, old: str, new: str) -> None:
    (project / "forms").mkdir(exist_ok=True)
    text = (ROOT / "forms" / f"{form}.yaml").read_text(encoding="utf-8")
    assert old in text
    (project / "forms" / f"{form}.yaml").write_text(text.replace(old, new), encoding="utf-8")


def test_a_renamed_review_output_is_the_name_of_the_obligation_and_of_its_sendings(project: Path) -> None:
    """The structure names its interim reviews « point-etape-… »: what is owed and sent follows the form."""
    _override_form(project, "bilan-intermediaire", "sortie: bilan-intermediaire\n", "sortie: point-etape\n")
    config = load_config(project / "astre.yaml")
    case = check_case(project / "cases" / "dumont-2025", config, TODAY)
    names = {o.key: o.document for o in obligations(config.resources, case, config.programme)}
    assert names["bilan-3"] == "point-etape-3-mois"
    assert names["bilan-final"] == "bilan-final"
    # its recipients are still the interim reviews' (programme.destinataires, keyed by the form's id)
    from generator.model.measure import recipients_of

    assert recipients_of(config.resources, "point-etape-3-mois",
                         config.programme) == config.programme.recipients["bilan-intermediaire"]
    assert config.programme.recipients["bilan-intermediaire"] != ("spslh",)


def test_a_renamed_exit_report_is_named_so_by_check(project: Path) -> None:
    _override_form(project, "signalement-sortie", "sortie: signalement-sortie\n", "sortie: fin-de-mesure\n")
    sortie = project / "cases" / "caron-2026" / "sortie.yaml"
    sortie.write_text("\n".join(line for line in sortie.read_text(encoding="utf-8").splitlines()
                                if not line.startswith("date_signalement_spslh")) + "\n", encoding="utf-8")
    assert not (project / "cases" / "caron-2026" / "envois.yaml").exists()  # its exit report: sortie.yaml only
    config = load_config(project / "astre.yaml")
    case = check_case(project / "cases" / "caron-2026", config, TODAY)
    said = [p for p in case.problems if "non signalée" in p.message]
    assert said and "« fin-de-mesure »" in (said[0].hint or ""), [(p.message, p.hint) for p in said]


def test_a_form_that_loses_its_obligation_is_a_french_error_naming_the_fix(project: Path) -> None:
    _override_form(project, "contrat", "obligation: contrat\n", "")
    config = load_config(project / "astre.yaml")
    with pytest.raises(FormError, match="« obligation: contrat » doit être déclarée par un seul formulaire"):
        obligations(config.resources, check_case(project / "cases" / "caron-2026", config, TODAY), config.programme)
    result = CliRunner().invoke(cli, ["-f", str(project / "astre.yaml"), "check", "--date", "2026-11-22"])
    assert result.exit_code != 0 and "obligation: contrat" in result.output + result.stderr
    assert "Traceback" not in result.output + result.stderr


def test_the_words_of_status_and_of_the_funding_statement_come_from_the_labels_file(project: Path) -> None:
    labels = (ROOT / "forms" / "libelles.yaml").read_text(encoding="utf-8")
    for old, new in (("  contrat: Contrats\n", "  contrat: Contrats d'accompagnement signés\n"),
                     ("  situation_menage: situation du ménage\n", "  situation_menage: situation familiale\n")):
        assert old in labels
        labels = labels.replace(old, new)
    (project / "forms").mkdir()
    (project / "forms" / "libelles.yaml").write_text(labels, encoding="utf-8")
    # caron-2026's change of situation of 22 April 2026 (situation_menage), not reported yet
    suivi = project / "cases" / "caron-2026" / "suivi.yaml"
    text = suivi.read_text(encoding="utf-8")
    assert '    date_signalement: "2026-04-24"\n' in text
    suivi.write_text(text.replace('    date_signalement: "2026-04-24"\n', ""), encoding="utf-8")
    config = load_config(project / "astre.yaml")
    case = check_case(project / "cases" / "caron-2026", config, TODAY)
    actions = [i.action for i in due_items(config.resources, case, config.programme, TODAY)]
    assert "Signaler au SPSLH le changement du 22/04/2026 (situation familiale)" in actions, actions
    # the funding statement's table of the documents owed
    result = CliRunner().invoke(cli, ["-f", str(project / "astre.yaml"), "financement", "--date", "2026-11-22"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    from pypdf import PdfReader

    pdf = next((project / "out").glob("etat-financement-*.pdf"))
    text = " ".join("".join(p.extract_text() for p in PdfReader(pdf).pages).split())
    assert "Contrats d'accompagnement signés" in text


def test_a_notified_anah_category_is_worded_by_the_labels_file(project: Path) -> None:
    labels = (ROOT / "forms" / "libelles.yaml").read_text(encoding="utf-8")
    old = "categorie_anah:\n  tres_modeste: très modeste\n  modeste: modeste\n"
    assert old in labels
    (project / "forms").mkdir()
    (project / "forms" / "libelles.yaml").write_text(
        labels.replace(old, old.replace("  modeste: modeste\n", "  modeste: modeste (profil bleu)\n")),
        encoding="utf-8")
    # dumont-2025's RFR makes it « très modeste » by the barème; a notification says otherwise
    menage = project / "cases" / "dumont-2025" / "menage.yaml"
    menage.write_text(menage.read_text(encoding="utf-8") + 'categorie_anah:\n  categorie: modeste\n'
                      '  date: "2025-10-01"\n  source: notification ANAH\n', encoding="utf-8")
    config = load_config(project / "astre.yaml")
    case = check_case(project / "cases" / "dumont-2025", config, TODAY)
    messages = [p.message for p in case.problems if p.code == "bareme"]
    assert any("catégorie ANAH notifiée « modeste (profil bleu) »" in m for m in messages), messages
