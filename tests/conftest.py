"""Shared fixtures: an isolated copy of the project (config + example cases)."""

from __future__ import annotations

import shutil
from datetime import date
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


@pytest.fixture
def lefebvre(project: Path) -> Path:
    """A project holding only the example case lefebvre-2026 (fast to build)."""
    for folder in (project / "cases").iterdir():
        if folder.name != "lefebvre-2026":
            shutil.rmtree(folder)
    return project


def every_document(project: Path, today: date):
    """Yield (case id, document name, render values, document date) of every document the project's cases make."""
    from generator.checking.check import check_case
    from generator.documents.forms import check_form
    from generator.documents.values import document_values
    from generator.reading.config import load_config
    from generator.reading.forms import load_forms

    config = load_config(project / "astre.yaml")
    for folder in sorted(p for p in (project / "cases").iterdir() if p.is_dir() and not p.name.startswith("_")):
        case = check_case(folder, config, today)
        for form in load_forms(config.resources):
            view = case.restricted(form.files)
            if not check_form(view, form):
                for name, values, when, _ in document_values(view, form, config):
                    yield folder.name, name, values, when
