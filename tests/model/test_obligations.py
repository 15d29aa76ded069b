"""One list of what a measure owes (generator.model.obligations), read by check, status and the report (issue 16)."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from generator.checking.check import check_case
from generator.model.obligations import due_items, obligations
from generator.reading.config import load_config

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 11, 22)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "astre.yaml", tmp_path / "astre.yaml")
    shutil.copytree(ROOT / "cases", tmp_path / "cases", ignore=shutil.ignore_patterns("envoyes"))
    return tmp_path


def _unsend_contract(project: Path) -> None:
    path = project / "cases" / "caron-2026" / "contrat.yaml"
    text = path.read_text(encoding="utf-8")
    assert 'date_envoi_spslh: "2026-03-27"\n' in text
    path.write_text(text.replace('date_envoi_spslh: "2026-03-27"\n', ""), encoding="utf-8")


def test_a_contract_never_sent_on_a_closed_measure_is_said_everywhere(project: Path) -> None:
    """caron-2026 broke off on 20 May 2026: its contract, owed by 12 February, is still owed to the service."""
    _unsend_contract(project)
    config = load_config(project / "astre.yaml")
    case = check_case(project / "cases" / "caron-2026", config, TODAY)
    owed = {o.key: o for o in obligations(config.resources, case, config.programme)}
    assert owed["contrat"].due == date(2026, 2, 12) and owed["contrat"].state(TODAY) == "non_envoye"
    # check says it, located in contrat.yaml
    said = [p for p in case.problems if p.message.startswith("contrat non envoyé")]
    assert [(p.path.name, p.message) for p in said] == [
        ("contrat.yaml", "contrat non envoyé au SPSLH (à envoyer au plus tard le 12/02/2026)")]
    # status lists it, late, although the measure is closed
    items = {i.key: i for i in due_items(config.resources, case, config.programme, TODAY)}
    assert items["contrat"].due == date(2026, 2, 12)
    assert items["contrat"].action == "Envoyer le contrat signé au SPSLH"


def test_the_three_readers_agree_on_every_example(project: Path) -> None:
    """What check reports late, status lists and the obligations call « non envoyé » are the same documents."""
    config = load_config(project / "astre.yaml")
    for folder in sorted((project / "cases").iterdir()):
        case = check_case(folder, config, TODAY)
        owed = obligations(config.resources, case, config.programme)
        missing = {o.key for o in owed if o.state(TODAY) == "non_envoye"}
        listed = {i.key.removesuffix("-envoi") for i in due_items(config.resources, case, config.programme, TODAY)
                  if i.due <= TODAY and not i.key.startswith(("visites", "diagnostic", "fin-mesure"))}
        assert missing <= listed, folder.name
        late = [p for p in case.problems if "non envoyé" in p.message or "manquant" in p.message
                or "non signalé" in p.message]
        assert len(late) == len(missing), (folder.name, [p.message for p in late], missing)


def test_a_refused_measure_owes_nothing(project: Path) -> None:
    config = load_config(project / "astre.yaml")
    path = project / "cases" / "lefebvre-2026" / "mesure.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("  decision: validee\n", "  decision: refusee\n"),
                    encoding="utf-8")
    case = check_case(project / "cases" / "lefebvre-2026", config, TODAY)
    owed = obligations(config.resources, case, config.programme)
    assert [o.key for o in owed if o.role in ("contrat", "bilan_final")] == []
