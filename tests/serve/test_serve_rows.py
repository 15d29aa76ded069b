"""The list of cases of `astre serve`: each row is checked again as soon as its case changed, not before."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from generator.reading.config import load_config
from generator.serve import workspace

TODAY = date(2026, 11, 22)


def test_a_changed_case_file_changes_its_row_and_only_its_row(project: Path, monkeypatch) -> None:
    config = load_config(project / "astre.yaml")
    checked: list[str] = []
    real = workspace.check_case
    monkeypatch.setattr(workspace, "check_case", lambda folder, *a: checked.append(folder.name) or real(folder, *a))
    workspace._ROWS.clear()
    first = {row.id: row for row in workspace.case_rows(config, TODAY)}
    assert sorted(checked) == ["caron-2026", "dumont-2025", "lefebvre-2026"]
    checked.clear()
    assert {row.id: row for row in workspace.case_rows(config, TODAY)} == first and checked == []
    menage = project / "cases" / "lefebvre-2026" / "menage.yaml"
    text = menage.read_text(encoding="utf-8")
    assert "designation: Mme Lefebvre" in text
    menage.write_text(text.replace("designation: Mme Lefebvre", "designation: Mme Lefebvre-Martin"), encoding="utf-8")
    rows = {row.id: row for row in workspace.case_rows(config, TODAY)}
    assert checked == ["lefebvre-2026"] and rows["lefebvre-2026"].designation == "Mme Lefebvre-Martin"
    # another day: what is due changes, every row is drawn again
    checked.clear()
    workspace.case_rows(config, date(2026, 11, 23))
    assert sorted(checked) == ["caron-2026", "dumont-2025", "lefebvre-2026"]
