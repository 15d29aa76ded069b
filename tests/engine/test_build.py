"""`astre build`: incremental, safe, one failing case never stops the others."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import cli
from generator.documents.writer import LOCK_NAME
from generator.engine.build import MANIFEST_NAME, build
from generator.errors import FormError
from generator.reading.config import load_config
from generator.reading.forms import load_form
from generator.reading.resources import DEFAULTS

TODAY = date(2026, 11, 22)
ROOT = Path(__file__).resolve().parents[2]



def test_second_build_does_nothing_and_imports_no_renderer(lefebvre: Path) -> None:
    first = build(load_config(lefebvre / "astre.yaml"), today=TODAY, jobs=1)
    assert first.failed == [] and len(first.built) == 8  # fiche, contrat, bilan 3 mois, signalement de changement
    code = ("import sys; from datetime import date; from generator.engine.build import build; "
            "from generator.reading.config import load_config; "
            f"s = build(load_config(__import__('pathlib').Path({str(lefebvre / 'astre.yaml')!r})), "
            "today=date(2026, 11, 22)); "
            "print(len(s.built), s.up_to_date, 'weasyprint' in sys.modules or 'docxtpl' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT).stdout
    assert out.split() == ["0", "4", "False"]


def test_only_changed_documents_are_rebuilt(lefebvre: Path) -> None:
    config = load_config(lefebvre / "astre.yaml")
    build(config, today=TODAY, jobs=1)
    bilans = lefebvre / "cases" / "lefebvre-2026" / "bilans.yaml"
    bilans.write_text(bilans.read_text(encoding="utf-8").replace("a repris confiance", "a repris espoir"),
                      encoding="utf-8")
    summary = build(config, today=TODAY, jobs=1)
    # Only the documents whose form declares bilans.yaml (`fichiers`) are rebuilt.
    assert summary.failed == []
    assert sorted(p.name for p in summary.built) == [
        "bilan-intermediaire-3-mois.docx", "bilan-intermediaire-3-mois.pdf"]
    assert build(config, today=TODAY, jobs=1).built == []
    contrat = lefebvre / "cases" / "lefebvre-2026" / "contrat.yaml"
    contrat.write_text(contrat.read_text(encoding="utf-8").replace("2026-09-05", "2026-09-06"), encoding="utf-8")
    assert sorted(p.name for p in build(config, today=TODAY, jobs=1).built) == [
        "contrat.docx", "contrat.pdf", "fiche-saisine.docx", "fiche-saisine.pdf"]


def test_declared_files_cover_everything_documents_show(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each form sees only its `fichiers`: the documents must be the same as with the whole case."""
    from generator.reading.cases import Case

    config = load_config(project / "astre.yaml")
    restricted = build(config, today=TODAY, jobs=1)
    # 23 documents, dumont's cash plan, energy budget and compte rendu de réception among them, in DOCX and PDF.
    assert restricted.failed == [] and len(restricted.built) == 46
    first = {p.relative_to(project / "out"): p.read_bytes() for p in restricted.built}
    monkeypatch.setattr(Case, "restricted", lambda self, names: self)
    whole = build(config, today=TODAY, jobs=1, force=True)
    assert {p.relative_to(project / "out"): p.read_bytes() for p in whole.built} == first


def test_invalid_case_fails_alone_with_located_reason(project: Path) -> None:
    menage = project / "cases" / "lefebvre-2026" / "menage.yaml"
    menage.write_text(menage.read_text(encoding="utf-8").replace("designation: Mme Lefebvre", "designation: 12"),
                      encoding="utf-8")
    result = CliRunner().invoke(cli, ["-f", str(project / "astre.yaml"), "build", "--date", "2026-11-22", "-j", "1"],
                                catch_exceptions=False)
    assert result.exit_code == 1
    assert "lefebvre-2026 : dossier invalide" in result.output
    assert "menage.yaml:2:" in result.output
    assert not (project / "out" / "lefebvre-2026").exists()
    assert (project / "out" / "dumont-2025" / "contrat.pdf").exists()


def test_missing_template_field_is_a_french_error_naming_it(lefebvre: Path) -> None:
    from generator.documents.layout import html_template, load_layout

    override = lefebvre / "modeles"
    (override / "html").mkdir(parents=True)
    (override / "html" / "contrat.html").write_text(  # astre's drawing of the contract, one field misspelt
        html_template(load_layout(DEFAULTS, "contrat")).replace(
            "{{ menage.designation }}", "{{ menage.surnom }}", 1), encoding="utf-8")
    config_file = lefebvre / "astre.yaml"
    config_file.write_text(config_file.read_text(encoding="utf-8") + "templates_dir: modeles\n", encoding="utf-8")
    summary = build(load_config(config_file), today=TODAY, jobs=1)
    assert [who for who, _ in summary.failed] == ["lefebvre-2026 (contrat)"]
    assert "surnom" in summary.failed[0][1] and "absent des données" in summary.failed[0][1]
    assert not (lefebvre / "out" / "lefebvre-2026" / "contrat.pdf").exists()
    assert (lefebvre / "out" / "lefebvre-2026" / "fiche-saisine.pdf").exists()


def test_missing_logo_is_omitted(lefebvre: Path) -> None:
    summary = build(load_config(lefebvre / "astre.yaml"), today=TODAY, jobs=1)  # no templates/assets/logo.png here
    assert summary.failed == [] and len(summary.built) == 8


def test_outputs_stay_in_output_folder_and_no_temporary_file_remains(lefebvre: Path) -> None:
    build(load_config(lefebvre / "astre.yaml"), today=TODAY, jobs=1)
    files = {p.relative_to(lefebvre) for p in lefebvre.rglob("*") if p.is_file() and "cases" not in p.parts}
    # Besides the documents: the manifest and the (empty) lock file that keeps one build at a time.
    assert files - {Path("astre.yaml"), Path(".astre-salt")} == {Path("out") / MANIFEST_NAME,
                                                                 Path("out") / LOCK_NAME} | {
        Path("out/lefebvre-2026") / f"{n}.{e}" for n in ("fiche-saisine", "contrat", "bilan-intermediaire-3-mois",
                                                           "signalement-changement-1")
        for e in ("docx", "pdf")}


def test_review_removed_removes_its_documents(lefebvre: Path) -> None:
    config = load_config(lefebvre / "astre.yaml")
    build(config, today=TODAY, jobs=1)
    (lefebvre / "cases" / "lefebvre-2026" / "bilans.yaml").write_text("bilans: []\n", encoding="utf-8")
    (lefebvre / "cases" / "lefebvre-2026" / "envois.yaml").write_text("envois: []\n", encoding="utf-8")
    build(config, today=TODAY, jobs=1)
    assert not (lefebvre / "out" / "lefebvre-2026" / "bilan-intermediaire-3-mois.pdf").exists()
    assert (lefebvre / "out" / "lefebvre-2026" / "contrat.pdf").exists()


def test_check_for_lists_what_is_missing_in_french(lefebvre: Path) -> None:
    result = CliRunner().invoke(cli, ["-f", str(lefebvre / "astre.yaml"), "check", "--for", "signalement-sortie",
                                      "--date", "2026-11-22"], catch_exceptions=False)
    assert "sortie.yaml manquant" in result.output and result.exit_code == 1
    result = CliRunner().invoke(cli, ["-f", str(lefebvre / "astre.yaml"), "check", "--for", "demande-diagnostic",
                                      "--date", "2026-11-22"], catch_exceptions=False)
    assert "diagnostics.yaml:2:1" in result.output and "aucune demande de diagnostic" in result.output


def test_bad_form_file_is_a_french_form_error(project: Path) -> None:
    (project / "forms").mkdir()
    (project / "forms" / "courrier.yaml").write_text("titre: Courrier\nmodeles: {docx: courrier.docx}\n",
                                                     encoding="utf-8")
    structure = load_config(project / "astre.yaml").resources  # the structure's forms folder first
    with pytest.raises(FormError, match="définition de document invalide"):
        load_form(structure, "courrier")
    with pytest.raises(FormError, match="document inconnu « ../x »"):
        load_form(structure, "../x")


def test_fetcher_serves_only_our_assets() -> None:
    from generator.documents.render_pdf import AssetFetcher

    fetcher = AssetFetcher((ROOT / "templates" / "assets",), {})
    assert fetcher.fetch("file:///astre-assets/fonts/LiberationSans-Regular.ttf").read()[:4] == b"\x00\x01\x00\x00"
    for url in ("file:///etc/passwd", "file:///astre-assets/../../../etc/passwd", "http://example.org/x.png",
                "data:text/plain,hello"):
        with pytest.raises(ValueError):
            fetcher.fetch(url)


@pytest.fixture
def two_cases(project: Path) -> Path:
    """A project holding two example cases: enough for the build to start a pool of workers."""
    for folder in (project / "cases").iterdir():
        if folder.name not in ("lefebvre-2026", "dumont-2025"):
            subprocess.run(["rm", "-rf", str(folder)], check=True)
    return project


def test_workers_build_with_the_given_config_in_fresh_processes(two_cases: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers get the loaded configuration (astre.yaml broken since is not re-read) and are not forks.

    A fork would copy the caller's memory, locks held by its other threads included
    (the watcher's): the patched `_ready` below, seen by a fork, would fail every case.
    """
    import generator.engine.build

    config = load_config(two_cases / "astre.yaml")
    (two_cases / "astre.yaml").write_text("structure: [\n", encoding="utf-8")

    def copied(*args: object) -> bool:
        raise RuntimeError("le processus ouvrier est une copie du processus appelant")

    monkeypatch.setattr(generator.engine.build, "_ready", copied)
    summary = build(config, today=TODAY, jobs=2)
    assert summary.failed == []
    assert {p.parent.name for p in summary.built} == {"lefebvre-2026", "dumont-2025"}
    assert (two_cases / "out" / "dumont-2025" / "contrat.pdf").exists()


def test_changed_asset_rebuilds_every_document(lefebvre: Path) -> None:
    """Fonts and images under assets/ (here the structure's override folder) are inputs of every document."""
    font = lefebvre / "modeles" / "assets" / "fonts" / "Police.ttf"
    font.parent.mkdir(parents=True)
    font.write_bytes(b"\x00\x01\x00\x00 v1")
    config_file = lefebvre / "astre.yaml"
    config_file.write_text(config_file.read_text(encoding="utf-8") + "templates_dir: modeles\n", encoding="utf-8")
    config = load_config(config_file)
    assert len(build(config, today=TODAY, jobs=1).built) == 8
    font.write_bytes(b"\x00\x01\x00\x00 v2")
    assert len(build(config, today=TODAY, jobs=1).built) == 8
    (font.parent / "Autre.ttf").write_bytes(b"\x00\x01\x00\x00")  # a new asset, too
    assert len(build(config, today=TODAY, jobs=1).built) == 8
    (font.parent / ".Police.ttf.swp").write_bytes(b"vim")  # an editor's hidden file: nothing
    assert build(config, today=TODAY, jobs=1).built == []


def test_config_is_an_input_through_its_values(lefebvre: Path) -> None:
    """A comment added to astre.yaml rebuilds nothing; a changed value rebuilds every document."""
    config_file = lefebvre / "astre.yaml"
    build(load_config(config_file), today=TODAY, jobs=1)
    text = config_file.read_text(encoding="utf-8")
    config_file.write_text(text + "# une remarque\n", encoding="utf-8")
    assert build(load_config(config_file), today=TODAY, jobs=1).built == []
    config_file.write_text(text.replace("Association Habitat Solidaire", "Association Renommée"), encoding="utf-8")
    assert len(build(load_config(config_file), today=TODAY, jobs=1).built) == 8


def test_failures_are_structured_and_summarised_as_before() -> None:
    """The watcher reads which case, which document, which problems; the CLI prints the same sentence."""
    from generator.engine.build import BuildSummary, Failure

    invalid = Failure("dumont-2025", None, "dossier invalide, aucun document produit",
                      ("cases/dumont-2025/menage.yaml:3:1: erreur : a", "cases/dumont-2025/mesure.yaml:1: erreur : b"),
                      unlisted=2)
    document = Failure("lefebvre-2026", "contrat", "modèle invalide\nligne 2")
    summary = BuildSummary(failures=[invalid, document])
    assert summary.format().splitlines() == [
        "dumont-2025 : dossier invalide, aucun document produit : cases/dumont-2025/menage.yaml:3:1: erreur : a ; "
        "cases/dumont-2025/mesure.yaml:1: erreur : b (et 2 autre(s) : lancez « astre check »)",
        "lefebvre-2026 (contrat) : modèle invalide", "ligne 2",
        "0 document construit, 0 document à jour, 2 en échec"]
    assert invalid.lines() == [
        "dossier invalide, aucun document produit", "cases/dumont-2025/menage.yaml:3:1: erreur : a",
        "cases/dumont-2025/mesure.yaml:1: erreur : b (et 2 autre(s) : lancez « astre check »)"]
    assert document.lines() == ["contrat : modèle invalide", "contrat : ligne 2"]
    assert not summary.ok


def test_every_worker_builds_with_the_structures_own_templates(project: Path) -> None:
    """Several processes: each one reads the structure's overrides, not only astre's defaults."""
    (project / "templates" / "html").mkdir(parents=True, exist_ok=True)
    (project / "templates" / "html" / "fiche-saisine.html").write_text(
        '{% extends "base.html" %}{% block contenu %}<p>{{ menage.designation </p>{% endblock %}\n', encoding="utf-8")
    summary = build(load_config(project / "astre.yaml"), forms=["fiche-saisine"], jobs=2, today=TODAY)
    cases = sorted(p.name for p in (project / "cases").iterdir())
    assert [(f.case_id, f.form_id) for f in summary.failures] == [(case, "fiche-saisine") for case in cases]
    assert all("fiche-saisine.html, ligne 1 : modèle invalide" in f.message for f in summary.failures), summary.format()


def test_two_structures_in_one_process_each_keep_their_own_definitions(tmp_path: Path) -> None:
    """Definitions are passed with the config, never held globally: building structure A, then B,
    then A again in one process prints each structure's own label, in the PDF and in the DOCX."""
    import shutil
    import zipfile

    from generator.reading.resources import LABELS_NAME

    default_labels = (ROOT / "forms" / LABELS_NAME).read_text(encoding="utf-8")
    assert "mds_slisl: Maison du Département Solidarité (SLISL)" in default_labels
    roots = {}
    for name in ("A", "B"):
        root = tmp_path / name
        (root / "cases").mkdir(parents=True)
        shutil.copy(ROOT / "astre.yaml", root / "astre.yaml")
        shutil.copytree(ROOT / "cases" / "lefebvre-2026", root / "cases" / "lefebvre-2026",
                        ignore=shutil.ignore_patterns("envoyes"))
        (root / "forms").mkdir()
        (root / "forms" / LABELS_NAME).write_text(default_labels.replace(
            "mds_slisl: Maison du Département Solidarité (SLISL)", f"mds_slisl: Structure-{name}-du-Département"),
            encoding="utf-8")
        roots[name] = root
    for name in ("A", "B", "A"):
        config = load_config(roots[name] / "astre.yaml")
        build(config, today=TODAY, jobs=1, force=True, forms=["fiche-saisine"])
    for name, other in (("A", "B"), ("B", "A")):
        out = roots[name] / "out" / "lefebvre-2026"
        text = subprocess.run(["pdftotext", str(out / "fiche-saisine.pdf"), "-"], capture_output=True,
                              text=True, check=True).stdout
        with zipfile.ZipFile(out / "fiche-saisine.docx") as docx:
            word = docx.read("word/document.xml").decode("utf-8")
        for shown in (text, word):
            assert f"Structure-{name}-du-Département" in shown
            assert f"Structure-{other}-du-Département" not in shown
            assert "Solidarité (SLISL)" not in " ".join(shown.split())
