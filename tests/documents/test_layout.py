"""One layout per document (forms/mises-en-page/): the PDF and the Word file are two drawings of it."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from collections import Counter
from datetime import date
from io import BytesIO
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import cli
from generator.documents.layout import docx_template, docx_text, html_template, layout_names, load_layout
from generator.engine.build import build
from generator.reading.config import load_config
from generator.reading.forms import load_forms
from generator.reading.resources import DEFAULTS

TODAY = date(2026, 11, 22)
ROOT = Path(__file__).resolve().parents[2]
LAYOUTS = ROOT / "forms" / "mises-en-page"



def _unsent(project: Path) -> None:
    """Forget lefebvre-2026's sendings: a sent document stays as sent, and these tests change the drawings."""
    case = project / "cases" / "lefebvre-2026"
    (case / "envois.yaml").unlink()
    for name in ("contrat.yaml", "bilans.yaml"):
        path = case / name
        path.write_text("".join(line for line in path.read_text(encoding="utf-8").splitlines(keepends=True)
                                if "date_envoi_spslh" not in line), encoding="utf-8")


def _run(project: Path, *args: str) -> str:
    done = CliRunner().invoke(cli, ["-f", str(project / "astre.yaml"), *args], catch_exceptions=False)
    return done.output


def _pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def _docx_text(path: Path) -> str:
    return docx_text(path.read_bytes())


def _words(text: str) -> Counter[str]:
    return Counter(re.findall(r"\w+", text))


def test_every_layout_draws_both_templates() -> None:
    """Each document of astre has a layout, and each layout gives a Word template and an HTML template."""
    forms = load_forms(DEFAULTS)
    assert {f.layout for f in forms} | {"rapport-activite", "etat-financement"} == set(layout_names(DEFAULTS))
    for name in layout_names(DEFAULTS):
        layout = load_layout(DEFAULTS, name)
        html = html_template(layout)
        with zipfile.ZipFile(BytesIO(docx_template(layout))) as archive:
            body = archive.read("word/document.xml").decode()
        assert html.startswith("<!DOCTYPE html>") and "{{ document.titre }}" in html
        assert "{{ document.titre }}" in body, name


def test_both_drawings_of_each_document_say_the_same(lefebvre: Path) -> None:
    """The PDF and the DOCX of every document hold the same words (the footer's page numbers aside)."""
    config = lefebvre / "astre.yaml"
    # Another Département's short service name: both drawings must follow astre.yaml (the Word file printed « SPSLH »).
    config.write_text(config.read_text(encoding="utf-8").replace("service_court: SPSLH", "service_court: SHL62"),
                      encoding="utf-8")
    assert "SHL62" in config.read_text(encoding="utf-8")
    summary = build(load_config(config), today=TODAY, jobs=1)
    assert summary.failed == []
    out = lefebvre / "out" / "lefebvre-2026"
    pdfs = sorted(out.glob("*.pdf"))
    assert len(pdfs) == 4
    for pdf in pdfs:
        # The PDF repeats its reference line at the bottom of each page, with « page N / M »: drop those lines.
        # An ordered list is numbered by the PDF's HTML and by Word's list style: the numbers are no text in Word.
        lines = [re.sub(r"^\s*\d+\.\s", "", line) for line in _pdf_text(pdf).splitlines()
                 if not re.search(r" — page \d+ / \d+\s*$", line)]
        pdf_words = _words("\n".join(lines))
        docx = pdf.with_suffix(".docx")
        # The Word file's footer holds the reference line once (the PDF shows it under the letterhead).
        import docx as python_docx

        footer = python_docx.Document(str(docx)).sections[0].footer.paragraphs[0].text
        docx_words = _words(_docx_text(docx) + "\n" + footer.split(" — page ")[0])
        assert pdf_words == docx_words, (pdf.name, pdf_words - docx_words, docx_words - pdf_words)
    assert "Changements signalés au SHL62" in _docx_text(out / "bilan-intermediaire-3-mois.docx")


def test_a_structures_layout_changes_both_drawings(lefebvre: Path) -> None:
    """A structure's forms/mises-en-page/contrat.yaml changes the PDF and the Word file alike, and rebuilds them."""
    _unsent(lefebvre)
    config = load_config(lefebvre / "astre.yaml")
    assert build(config, today=TODAY, jobs=1).failed == []
    mine = lefebvre / "forms" / "mises-en-page" / "contrat.yaml"
    mine.parent.mkdir(parents=True)
    text = (LAYOUTS / "contrat.yaml").read_text(encoding="utf-8")
    mine.write_text(text.replace("- titre: Étapes\n", "- titre: Étapes convenues avec {{ menage.designation }}\n"),
                    encoding="utf-8")
    summary = build(load_config(lefebvre / "astre.yaml"), today=TODAY, jobs=1)
    assert sorted(p.name for p in summary.built) == ["contrat.docx", "contrat.pdf"]
    out = lefebvre / "out" / "lefebvre-2026"
    assert "Étapes convenues avec Mme Lefebvre" in _docx_text(out / "contrat.docx")
    assert "Étapes convenues avec Mme Lefebvre" in " ".join(_pdf_text(out / "contrat.pdf").split())


def test_a_structures_own_word_file_still_wins(lefebvre: Path) -> None:
    """templates/docx/contrat.docx of the structure is used for the Word file; the PDF keeps the layout."""
    import docx as python_docx

    mine = lefebvre / "templates" / "docx" / "contrat.docx"
    mine.parent.mkdir(parents=True)
    document = python_docx.Document()
    document.add_paragraph("Contrat maison de {{ menage.designation }}")
    document.save(str(mine))
    assert build(load_config(lefebvre / "astre.yaml"), today=TODAY, jobs=1, forms=["contrat"]).failed == []
    out = lefebvre / "out" / "lefebvre-2026"
    assert _docx_text(out / "contrat.docx").strip() == "Contrat maison de Mme Lefebvre"
    assert "Engagements du ménage" in _pdf_text(out / "contrat.pdf")


@pytest.mark.parametrize(("broken", "where", "said"), [
    ("- inclure: _entete\n- paragraphe: Bonjour\n", ":2:3:", "clé inconnue « paragraphe »"),
    ("- inclure: _entete\n- tableau:\n    pour: e in contrat.etapes\n", ":3:5:", "il manque la clé « colonnes »"),
    ("- inclure: _entete\n- titre: [Étapes]\n", ":2:10:", "doit être un texte"),
    ("- inclure: _entete\n- si: contrat.objectifs\n  alors:\n    - titre: Buts\n      texte: x\n", ":4:7:",
     "un bloc a une seule sorte, celui-ci en a 2 (titre, texte)"),
    ("- inclure: _entete\n- texte: \"\"\n", ":2:10:", "texte vide : écrivez le texte, ou retirez le bloc"),
    ("- inclure: _entete\n- si: contrat.objectifs\n  sinon:\n    - texte: x\n", ":2:3:", "il manque « alors »"),
])
def test_a_broken_layout_is_a_located_french_error(lefebvre: Path, broken: str, where: str, said: str) -> None:
    mine = lefebvre / "forms" / "mises-en-page" / "contrat.yaml"
    mine.parent.mkdir(parents=True)
    mine.write_text(broken, encoding="utf-8")
    output = _run(lefebvre, "build", "--document", "contrat", "-j", "1", "--date", "2026-11-22")
    assert f"{mine}{where} mise en page invalide" in output, output
    assert said in output and "Traceback" not in output


def test_word_files_are_byte_reproducible(lefebvre: Path, tmp_path: Path) -> None:
    """The same layout gives the same Word template in two processes, and the same documents twice."""
    code = ("import hashlib; from generator.documents.layout import docx_template, load_layout; "
            "from generator.reading.resources import DEFAULTS; "
            "print(hashlib.sha256(docx_template(load_layout(DEFAULTS, 'fiche-saisine'))).hexdigest())")
    runs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           cwd=ROOT).stdout for _ in range(2)}
    assert len(runs) == 1
    config = load_config(lefebvre / "astre.yaml")
    build(config, today=TODAY, jobs=1, forms=["fiche-saisine"])
    first = (lefebvre / "out" / "lefebvre-2026" / "fiche-saisine.docx").read_bytes()
    build(config, today=TODAY, jobs=1, forms=["fiche-saisine"], force=True)
    assert (lefebvre / "out" / "lefebvre-2026" / "fiche-saisine.docx").read_bytes() == first


def test_report_word_files_are_french_in_liberation_sans(project: Path) -> None:
    """The report and the funding statement: fr-FR and Liberation Sans, as the case documents (no theme font)."""
    _run(project, "report", "--year", "2026", "--date", "2026-12-01")
    for name in ("rapport-activite-2026.docx", "etat-financement-2026.docx"):
        with zipfile.ZipFile(project / "out" / name) as archive:
            styles = archive.read("word/styles.xml").decode()
        assert '<w:lang w:val="fr-FR"' in styles and "en-US" not in styles, name
        assert "asciiTheme" not in styles and 'w:ascii="Liberation Sans"' in styles, name
    pdf = " ".join(_pdf_text(project / "out" / "etat-financement-2026.pdf").split())
    word = " ".join(_docx_text(project / "out" / "etat-financement-2026.docx").split())
    for said in ("Service fait", "Détail par mesure", "Mois facturés sans le minimum de visites", "Récapitulatif"):
        assert said in pdf and said in word


def test_modeles_writes_the_defaults_to_restyle_and_never_overwrites(lefebvre: Path) -> None:
    mine = lefebvre / "templates" / "html" / "contrat.html"
    mine.parent.mkdir(parents=True)
    mine.write_text("<p>le mien</p>", encoding="utf-8")
    output = _run(lefebvre, "modeles")
    assert mine.read_text(encoding="utf-8") == "<p>le mien</p>"
    assert (lefebvre / "templates" / "docx" / "contrat.docx").is_file()
    assert (lefebvre / "templates" / "report" / "rapport.docx").is_file()
    assert "Écrit : " in output and "contrat.html" not in output
    # Drawn from these files, the documents are those of the layouts.
    mine.unlink()
    _run(lefebvre, "modeles", "--document", "contrat")
    build(load_config(lefebvre / "astre.yaml"), today=TODAY, jobs=1, forms=["contrat"])
    assert "Engagements du ménage" in _docx_text(lefebvre / "out" / "lefebvre-2026" / "contrat.docx")


def test_a_structures_html_extending_base_html_still_works(lefebvre: Path) -> None:
    """HTML written for the former base.html and _financement.html keeps working: the pieces come from the layouts."""
    mine = lefebvre / "templates" / "html" / "fiche-saisine.html"
    mine.parent.mkdir(parents=True)
    mine.write_text('{% extends "base.html" %}{% block contenu %}<p>Fiche maison</p>'
                    '{% include "_financement.html" %}{% endblock %}\n', encoding="utf-8")
    assert build(load_config(lefebvre / "astre.yaml"), today=TODAY, jobs=1, forms=["fiche-saisine"]).failed == []
    text = _pdf_text(lefebvre / "out" / "lefebvre-2026" / "fiche-saisine.pdf")
    assert "Fiche maison" in text and "Plan de financement" in text and "Destinataires" in text


def test_a_saved_layout_rebuilds_its_documents_while_watching(project: Path) -> None:
    """`astre watch`: a layout saved in forms/mises-en-page/ rebuilds the documents drawn from it (a piece: all)."""
    from generator.engine.changes import Change, Job, Layout, plan
    from generator.engine.definitions import Definitions

    config = load_config(project / "astre.yaml")
    (project / "forms" / "mises-en-page").mkdir(parents=True)
    watched = Layout.of(config)
    saved = watched.classify(project / "forms" / "mises-en-page" / "contrat.yaml")
    assert saved == Change("mise_en_page", "contrat")
    sources = Definitions.load(config).form_sources
    assert plan([saved], sources).jobs == (Job(True, ["contrat"]),)
    piece = watched.classify(project / "forms" / "mises-en-page" / "_financement.yaml")
    assert plan([piece], sources).jobs == (Job(True, None),)  # a shared piece: every document


def test_a_new_document_without_templates_nor_layout_is_said(lefebvre: Path) -> None:
    """A structure's new form with neither its own templates nor a layout: a French message naming both."""
    (lefebvre / "forms").mkdir()
    (lefebvre / "forms" / "courrier.yaml").write_text((ROOT / "forms" / "contrat.yaml").read_text(encoding="utf-8"),
                                                      encoding="utf-8")
    output = _run(lefebvre, "build", "--document", "courrier", "-j", "1", "--date", "2026-11-22")
    assert "document sans modèles ni mise en page" in output, output
    assert "forms/mises-en-page/courrier.yaml" in output and "templates/docx/contrat.docx" in output
