"""Data-driven `astre check` tests: one test per folder of tests/cases/{valid,invalid}/.

Each folder holds files laid over a copy of the example case `lefebvre-2026`
(plus `supprimer.txt`: files to delete) and an `expected.txt`: lines that must
appear in the report (substring match), `#` lines are comments. An invalid case
exits 1; a valid one exits 0 with no error. Nothing may be written to the case.
"""

from __future__ import annotations

import hashlib
import shutil
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import cli

HERE = Path(__file__).resolve().parents[1] / "cases"
ROOT = Path(__file__).resolve().parents[2]
BASE = "lefebvre-2026"
TODAY = "2026-11-22"
# Content too big to keep in git: written by the test.
GENERATED = {"fichier-trop-gros": {"bilans.yaml": b"bilans: []\n" + b"# remplissage\n" * (5 * 1024 * 1024 // 14)}}


def folders(kind: str) -> list[Path]:
    return sorted(p for p in (HERE / kind).iterdir() if p.is_dir())


def expected_lines(folder: Path) -> list[str]:
    path = folder / "expected.txt"
    if not path.exists():
        return []
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]


def build_project(tmp_path: Path, folder: Path) -> Path:
    """Copy astre.yaml and the base case, then lay the folder's files over it."""
    shutil.copy(ROOT / "astre.yaml", tmp_path / "astre.yaml")
    case = tmp_path / "cases" / BASE
    shutil.copytree(ROOT / "cases" / BASE, case, ignore=shutil.ignore_patterns("envoyes"))
    for item in sorted(folder.iterdir()):
        if item.name == "expected.txt":
            continue
        if item.name == "supprimer.txt":
            for name in item.read_text(encoding="utf-8").split():
                (case / name).unlink()
        else:
            shutil.copy(item, case / item.name)
    for name, content in GENERATED.get(folder.name, {}).items():
        (case / name).write_bytes(content)
    return tmp_path


def tree_hash(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        digest.update(str(path.relative_to(folder)).encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def run_check(project: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, str]:
    monkeypatch.chdir(project)
    before = tree_hash(project)
    result = CliRunner().invoke(cli, ["check", "--date", TODAY, *args], catch_exceptions=False)
    assert tree_hash(project) == before, "astre check a modifié un fichier"
    assert "Traceback" not in result.output
    return result.exit_code, result.output


@pytest.mark.parametrize("folder", folders("invalid"), ids=lambda p: p.name)
def test_invalid_case(folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = build_project(tmp_path, folder)
    started = time.perf_counter()
    code, output = run_check(project, monkeypatch)
    elapsed = time.perf_counter() - started
    expected = expected_lines(folder)
    assert expected, f"{folder}/expected.txt manquant"
    assert code == 1, output
    for line in expected:
        assert line in output, f"attendu : {line}\nobtenu :\n{output}"
    assert elapsed < 1.0, f"{elapsed:.2f} s"  # the billion-laughs bomb is refused, not expanded


@pytest.mark.parametrize("folder", folders("valid"), ids=lambda p: p.name)
def test_valid_case(folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = build_project(tmp_path, folder)
    code, output = run_check(project, monkeypatch)
    assert code == 0, output
    assert ": erreur :" not in output
    for line in expected_lines(folder):
        assert line in output, f"attendu : {line}\nobtenu :\n{output}"


def test_every_invalid_folder_gives_located_french_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each error line names file:line:column, so VS Code can jump to it."""
    for folder in folders("invalid"):
        (tmp_path / folder.name).mkdir()
        project = build_project(tmp_path / folder.name, folder)
        _, output = run_check(project, monkeypatch)
        errors = [line for line in output.splitlines() if ": erreur : " in line]
        assert errors, folder.name
        for line in errors:
            location = line.split(": erreur : ")[0]
            assert location.startswith("cases/lefebvre-2026/") and location.count(":") == 2, line
