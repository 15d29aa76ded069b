"""Shared fixtures: an isolated copy of the project (config + example cases)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _isolate(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never read the developer's HOME nor depend on the current folder."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(home)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of astre.yaml and the example cases in a temporary folder; returns its root."""
    shutil.copy(ROOT / "astre.yaml", tmp_path / "astre.yaml")
    # Without the copies of sent documents (cases/<id>/envoyes/): each test changes the data on purpose.
    shutil.copytree(ROOT / "cases", tmp_path / "cases", ignore=shutil.ignore_patterns("envoyes"))
    (tmp_path / ".astre-salt").write_text("0123456789abcdef" * 4 + "\n")  # what `astre secret` would write
    return tmp_path
