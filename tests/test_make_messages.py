"""Messages as the people who read them need them: make targets in a structure's repository, one unit in
summaries and where the documents went, the folders a référent knows, the right diagnosis of a YAML mistake."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import cli
from generator.engine.build import BuildSummary
from generator.engine.changes import Layout, describe
from generator.reading.config import load_config

# Where a colleague installs astre from (init refuses a source only this computer reaches).
SHARED_SOURCE = ["--source", "x.whl", "--depot", "https://example.invalid/astre.git"]

ROOT = Path(__file__).resolve().parent.parent


def run(project: Path, monkeypatch: pytest.MonkeyPatch, *args: str, env: dict[str, str] | None = None
        ) -> tuple[int, str]:
    monkeypatch.chdir(project)
    result = CliRunner(env=env).invoke(cli, list(args), catch_exceptions=False)
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def test_messages_name_the_make_target_under_make(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, output = run(project, monkeypatch, "new", "martin-2026")
    assert code == 0 and "lancez « astre check cases/martin-2026 »" in output, output
    code, output = run(project, monkeypatch, "new", "durand-2026", env={"ASTRE_VIA_MAKE": "1"})
    assert code == 0 and "lancez « make check »" in output and "astre" not in output, output
    code, output = run(project, monkeypatch, "check", "--pre-commit", str(project / "cases/durand-2026/menage.yaml"),
                       env={"ASTRE_VIA_MAKE": "1"})
    assert "(« make check » les liste)" in output, output
    (project / ".astre-salt").unlink()
    code, output = run(project, monkeypatch, "report", "--year", "2026", env={"ASTRE_VIA_MAKE": "1"})
    assert code == 2 and "lancez « make secret »" in output, output


def test_the_structure_makefile_tells_astre_it_runs_under_make(tmp_path: Path) -> None:
    """The real make, on the Makefile `astre init` writes (astre taken from here instead of installed)."""
    if shutil.which("make") is None:
        pytest.skip("make introuvable")
    structure = tmp_path / "asso"
    assert CliRunner().invoke(cli, ["init", str(structure), *SHARED_SOURCE]).exit_code == 0
    astre = Path(sys.executable).with_name("astre")
    done = subprocess.run(["make", "new", "ID=martin-2026", f"ASTRE={astre}", "STAMP=astre.yaml"], cwd=structure,
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    assert "Dossier créé : cases/martin-2026" in done.stdout and "lancez « make check »" in done.stdout, done.stdout


def test_build_summary_counts_documents_and_says_where_they_are() -> None:
    out = Path("/depot/out/lefebvre-2026")
    summary = BuildSummary(built=[out / "contrat.docx", out / "contrat.pdf", out / "fiche-saisine.docx",
                                  out / "fiche-saisine.pdf"], up_to_date=3, output="out/")
    assert summary.format() == "2 documents construits, 3 documents à jour, 0 en échec — documents (PDF et DOCX) " \
                               "dans out/"


def test_watch_names_the_repository_folders_only(project: Path) -> None:
    """astre's own forms, templates and schemas (a site-packages path, once installed) are not named."""
    config = load_config(project / "astre.yaml")
    text = describe(Layout.of(config), [], None)
    assert text.startswith("Surveillance de cases/ et astre.yaml (notifications du système)"), text
    assert str(ROOT) not in text


@pytest.mark.parametrize(("written", "what"), [("[isolation, chauffage] [fenetres]", "une liste « […] »"),
                                               ("{a: 1} {b: 2}", "une rubrique « {…} »")])
def test_two_flow_values_on_one_line_are_not_an_indentation_problem(
        project: Path, monkeypatch: pytest.MonkeyPatch, written: str, what: str) -> None:
    menage = project / "cases/lefebvre-2026/menage.yaml"
    lines = menage.read_text(encoding="utf-8").splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("telephone:"))
    lines[at] = f"telephone: {written}"
    menage.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, output = run(project, monkeypatch, "check", "cases/lefebvre-2026")
    column = len("telephone: ") + written.index(" ", written.index("]" if "]" in written else "}")) + 2
    assert f"cases/lefebvre-2026/menage.yaml:{at + 1}:{column}: erreur : deux valeurs à la suite sur la même ligne : " \
           f"{what} est déjà refermée avant celle-ci" in output, output
    assert "indentation" not in output


def test_readiness_of_a_file_that_does_not_load_says_so_and_where(project: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    menage = project / "cases/lefebvre-2026/menage.yaml"
    menage.write_text(menage.read_text(encoding="utf-8").replace("designation:", "designation: : :", 1),
                      encoding="utf-8")
    code, output = run(project, monkeypatch, "check", "--for", "fiche-saisine", "--date", "2026-11-22",
                       "cases/lefebvre-2026")
    assert code == 1
    assert "créez menage.yaml" not in output, output
    line = next(row for row in output.splitlines() if "Fiche saisine" in row)
    assert line.startswith("cases/lefebvre-2026/menage.yaml:2:14: erreur : ") and \
        "Fiche saisine : menage.yaml ne se lit pas (" in line, output
