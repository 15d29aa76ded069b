"""Documents as a reader gets them: LibreOffice opens every DOCX, the PDFs hold every key value.

Everything is built once per session (with a hostile case added); real clients
(soffice, pdftotext, pdffonts) check the files. In CI (CI=true) a missing tool
is a failure, not a skip.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
import yaml
from docx import Document

from generator.checking.check import check_case
from generator.documents.forms import check_form
from generator.documents.values import document_values
from generator.engine.build import build
from generator.reading.config import load_config
from generator.reading.forms import load_forms
from generator.reading.resources import DEFAULTS

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 11, 22)
HOSTILE = ["{{ 7*7 }}", "{% raw %}", "<b>&amp;</b>", "A & B < C", "</w:t></w:r>INJECTED",
           '<img src="file:///etc/passwd">', "Maison 🏠 chauffée 🔥"]
LONG = "x" * 19_990 + "FIN-LONGUE"


def need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{tool} manquant en CI : lancez « make sysdeps-test »")
        pytest.skip(f"{tool} non installé")
    return path


class _Dumper(yaml.SafeDumper):
    """PyYAML writes 0612345678 unquoted (a string in YAML 1.1); astre reads YAML 1.2, where it is a number."""


_Dumper.add_representer(str, lambda dumper, value: dumper.represent_scalar(
    "tag:yaml.org,2002:str", value, style='"' if re.fullmatch(r"[-+]?[0-9.]+", value) else None))


def _edit(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=10**6),
                    encoding="utf-8")


def _hostile(root: Path) -> None:
    folder = root / "cases" / "hostile-2026"
    shutil.copytree(root / "cases" / "lefebvre-2026", folder)
    joined = " | ".join(HOSTILE)
    _edit(folder / "mesure.yaml", lambda d: d.update(identifiant="hostile-2026"))
    # A contract printed for signature: not yet sent to SPSLH, no planned end written.
    _edit(folder / "mesure.yaml", lambda d: d["dates"].pop("fin_prevue"))
    _edit(folder / "contrat.yaml", lambda d: d.pop("date_envoi_spslh"))
    _edit(folder / "menage.yaml", lambda d: d.update(designation="M. Test <b>&amp;</b>",
                                                      difficultes_precisions=joined + " " + LONG))
    _edit(folder / "logement.yaml", lambda d: d.update(etat=joined))
    _edit(folder / "contrat.yaml", lambda d: d["objectifs"].extend(HOSTILE))
    _edit(folder / "bilans.yaml", lambda d: d["bilans"][0].update(effets=joined, conclusion=joined))


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("docs")
    shutil.copy(ROOT / "astre.yaml", root / "astre.yaml")
    shutil.copytree(ROOT / "cases", root / "cases", ignore=shutil.ignore_patterns("envoyes"))
    shutil.copytree(ROOT / "templates" / "assets", root / "templates" / "assets")
    _hostile(root)
    summary = build(load_config(root / "astre.yaml"), today=TODAY, jobs=2)
    assert summary.failed == [], summary.format()
    return root


def _expected(root: Path) -> dict[Path, dict]:
    """Every document the cases should produce, with the values it must show (as of its own date)."""
    config = load_config(root / "astre.yaml")
    expected = {}
    for folder in sorted((root / "cases").iterdir()):
        case = check_case(folder, config, TODAY)
        for form in load_forms(config.resources):
            view = case.restricted(form.files)
            if check_form(view, form):
                continue
            for name, context, _, _ in document_values(view, form, config):
                keys = [context["menage"]["designation"], context["structure"]["nom"], form.title]
                if form.id in ("bilan-intermediaire", "bilan-final"):
                    keys += [context["financement"]["reste_a_charge"], context["financement"]["total_aides"]]
                if form.id == "contrat":
                    keys += [context["contrat"]["date_signature"], context["mesure"]["dates"]["debut"]]
                if form.id == "fiche-saisine":
                    keys += [context["travaux"]["total_prevu_saisine"], context["menage"]["categorie"]]
                if form.id == "bilan-final":
                    keys += [context["travaux"]["taux_non_calcule"] or context["travaux"]["taux_variation"]]
                expected[root / "out" / case.id / name] = {"keys": keys}
    return expected


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u202f", " ").replace("\u00a0", " "))


def docx_text(path: Path) -> str:
    doc = Document(str(path))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts += [cell.text for cell in row.cells]
    return _norm("\n".join(parts))


def pdf_text(path: Path) -> str:
    return _norm(subprocess.run([need("pdftotext"), "-layout", str(path), "-"], check=True,
                                capture_output=True, text=True).stdout)


def test_every_applicable_document_is_built(built: Path) -> None:
    expected = _expected(built)
    assert {p.parent.name for p in expected} >= {"lefebvre-2026", "hostile-2026"}
    assert (built / "out" / "lefebvre-2026" / "bilan-intermediaire-3-mois.pdf").exists()
    for stem in expected:
        assert stem.with_suffix(".docx").is_file(), stem
        assert stem.with_suffix(".pdf").is_file(), stem
    produced = {p.with_suffix("") for p in (built / "out").rglob("*.pdf")}
    assert produced == set(expected)


def test_docx_and_pdf_show_the_same_key_values(built: Path) -> None:
    for stem, info in _expected(built).items():
        in_docx, in_pdf = docx_text(stem.with_suffix(".docx")), pdf_text(stem.with_suffix(".pdf"))
        for key in info["keys"]:
            key = _norm(key)
            assert key in in_docx, (stem.name, key)
            # pdftotext may wrap a long value: compare without spaces as a fallback.
            assert key in in_pdf or key.replace(" ", "") in in_pdf.replace(" ", ""), (stem.name, key)
        for text in (in_docx, in_pdf):
            assert "None" not in text


def test_libreoffice_opens_every_docx(built: Path, tmp_path: Path) -> None:
    soffice = need("soffice")
    docs = sorted((built / "out").rglob("*.docx"))
    flat = tmp_path / "in"
    flat.mkdir()
    for doc in docs:
        shutil.copy(doc, flat / f"{doc.parent.name}--{doc.name}")
    subprocess.run([soffice, f"-env:UserInstallation=file://{tmp_path}/lo", "--headless", "--convert-to", "pdf",
                    "--outdir", str(tmp_path / "pdf"), *sorted(map(str, flat.iterdir()))],
                   check=True, capture_output=True, timeout=300)
    converted = {p.stem for p in (tmp_path / "pdf").glob("*.pdf")}
    assert converted == {p.stem for p in flat.iterdir()}
    hostile = pdf_text(tmp_path / "pdf" / "hostile-2026--contrat.pdf")
    assert "INJECTED" in hostile and "{{ 7*7 }}" in hostile


def test_every_font_is_embedded(built: Path) -> None:
    pdffonts = need("pdffonts")
    for pdf in sorted((built / "out").rglob("*.pdf")):
        lines = subprocess.run([pdffonts, str(pdf)], check=True, capture_output=True, text=True).stdout.splitlines()[2:]
        assert lines, pdf
        for line in lines:
            assert ("Liberation" in line or "Emoji" in line) and line.split()[-5] == "yes", (pdf.name, line)


def test_hostile_text_appears_literally_and_nothing_is_evaluated(built: Path) -> None:
    out = built / "out" / "hostile-2026"
    for name in ("contrat", "bilan-intermediaire-3-mois", "fiche-saisine"):
        in_docx, in_pdf = docx_text(out / f"{name}.docx"), pdf_text(out / f"{name}.pdf")
        for text in (in_docx, in_pdf):
            for value in HOSTILE[:6]:
                # pdftotext -layout may squeeze spaces (« A&B<C »): compare without them.
                assert _norm(value).replace(" ", "") in text.replace(" ", ""), (name, value)
            assert "root:x:0" not in text
        assert "🏠" in in_docx and "🏠" in in_pdf
    # The emoji are drawn with the shipped emoji font, not as empty boxes.
    fonts = subprocess.run(["pdffonts", str(out / "contrat.pdf")], check=True, capture_output=True, text=True).stdout
    assert "Emoji" in fonts
    assert "FIN-LONGUE" in docx_text(out / "fiche-saisine.docx")
    assert "FIN-LONGUE" in pdf_text(out / "fiche-saisine.pdf").replace(" ", "")


def test_pdf_is_pdf_a_with_dates_from_the_data(built: Path) -> None:
    from pypdf import PdfReader

    reader = PdfReader(built / "out" / "lefebvre-2026" / "contrat.pdf")
    assert reader.metadata["/CreationDate"].startswith("D:20260829")  # contrat.date_signature
    xmp = reader.xmp_metadata.rdf_root.toxml()
    assert 'pdfaid:part="3"' in xmp and 'pdfaid:conformance="B"' in xmp
    assert reader.trailer["/Root"]["/Lang"] == "fr"


def test_rebuild_gives_identical_bytes(built: Path, tmp_path: Path) -> None:
    before = {p: p.read_bytes() for p in (built / "out").rglob("*") if p.suffix in (".docx", ".pdf")}
    summary = build(load_config(built / "astre.yaml"), force=True, today=TODAY, jobs=1)
    assert summary.failed == []
    after = {p: p.read_bytes() for p in (built / "out").rglob("*") if p.suffix in (".docx", ".pdf")}
    assert after == before
    import zipfile

    with zipfile.ZipFile(built / "out" / "lefebvre-2026" / "contrat.docx") as z:
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert "2026-08-29" in z.read("docProps/core.xml").decode()


# Key figures read by hand from the case files in cases/ (not recomputed by context.py).


def _row(month: int, first: str, last: str, visits: int, home: int, verdict: str) -> str:
    return f"{month} du {first} au {last} {visits} {home} {verdict}"


def _both(stem: Path) -> tuple[str, str]:
    return docx_text(stem.with_suffix(".docx")), pdf_text(stem.with_suffix(".pdf"))


def _squeezed(text: str) -> str:
    return text.replace(" ", "")


def test_interim_review_counts_only_visits_up_to_its_date(built: Path) -> None:
    # lefebvre: start 2026-08-15, 3-month review dated 2026-11-14; the visit of 20 Nov comes after it.
    stem = built / "out" / "lefebvre-2026" / "bilan-intermediaire-3-mois"
    in_docx, in_pdf = _both(stem)
    headline = "8 rencontres, dont 6 à domicile"
    assert headline in in_docx and headline in in_pdf
    assert "du 15 août 2026 au 14 novembre 2026" in in_docx  # période couverte
    for row in (_row(1, "15 août 2026", "14 septembre 2026", 3, 3, "oui"),
                _row(2, "15 septembre 2026", "14 octobre 2026", 3, 2, "oui"),
                _row(3, "15 octobre 2026", "14 novembre 2026", 2, 1, "oui")):
        assert row in in_docx, row
    for text in (in_docx, in_pdf):
        assert "15 novembre 2026" not in text and "14 décembre 2026" not in text  # no month 4
        assert "mois en cours" not in text
    # dumont: start 2025-11-03, 3-month review dated 2026-02-06; the 7 and 21 Feb visits come after it.
    stem = built / "out" / "dumont-2025" / "bilan-intermediaire-3-mois"
    in_docx, in_pdf = _both(stem)
    headline = "6 rencontres, dont 5 à domicile"
    assert headline in in_docx and headline in in_pdf
    assert _row(3, "3 janvier 2026", "2 février 2026", 2, 2, "oui") in in_docx
    partial = _row(4, "3 février 2026", "6 février 2026", 0, 0, "non évalué (mois en cours au 6 février 2026)")
    assert partial in in_docx
    assert _squeezed(partial) in _squeezed(in_pdf)
    for text in (in_docx, in_pdf):
        assert "2 mars 2026" not in text


def test_final_review_stops_at_the_exit_and_does_not_call_it_current(built: Path) -> None:
    # caron: start 2026-01-12, exit 2026-05-20; nine visits, six at home, the last on 6 May (month 4).
    in_docx, in_pdf = _both(built / "out" / "caron-2026" / "bilan-final")
    headline = "9 rencontres, dont 6 à domicile"
    assert headline in in_docx and headline in in_pdf
    assert _row(4, "12 avril 2026", "11 mai 2026", 2, 1, "oui") in in_docx
    exit_month = _row(5, "12 mai 2026", "20 mai 2026", 0, 0, "non évalué (mois de sortie)")
    assert exit_month in in_docx
    assert _squeezed(exit_month) in _squeezed(in_pdf)
    for text in (in_docx, in_pdf):
        assert "mois en cours" not in text
        assert "11 juin 2026" not in text


def test_final_review_key_figures(built: Path) -> None:
    in_docx, in_pdf = _both(built / "out" / "dumont-2025" / "bilan-final")
    for text in (in_docx, in_pdf):
        # 28 632 + 3 500 + 2 500 + 2 800; the refused 1 500 € of the Fondation Abbé Pierre left out.
        assert "Total des aides (hors aides refusées ou annulées)" in text and "37 432,00 €" in text
        # Cost 42 000 (the postes done) − aids 37 432 = 4 568, covered by the two loans granted.
        assert "Reste à charge du ménage (coût moins aides)" in text and "4 568,00 €" in text
        # Planned at referral 21 000 + 3 800 + 8 400 + 1 200 = 34 400; done 23 450 + 3 560 + 13 900 + 1 090 = 42 000.
        assert "34 400,00 €" in text and "42 000,00 €" in text
        assert "travaux réalisés : +22,1 %" in text
        assert "Étiquette énergie (DPE) : F avant travaux (diagnostic du 30 septembre 2025) → C après travaux" in text
    # caron: nothing done, so no rate (not « -100,0 % »); no realised amount to fill in.
    in_docx, in_pdf = _both(built / "out" / "caron-2026" / "bilan-final")
    for text in (in_docx, in_pdf):
        assert "-100" not in text and "−100" not in text
        assert "travaux réalisés : non calculé, aucun poste de travaux réalisé." in text
        assert "Réfection de la toiture avec isolation oui abandonné le 20 mai 2026 (refus de la co-indivisaire) " \
            "26 000,00 € —" in in_docx


def test_contract_dates_and_no_placeholder_when_the_case_has_the_value(built: Path) -> None:
    for text in _both(built / "out" / "lefebvre-2026" / "contrat"):
        assert "du 15 août 2026 au 14 août 2027" in text
        # A record of the day it was signed: its sending to the SPSLH, a week later, is not in it.
        assert "le 29 août 2026." in text and "5 septembre 2026" not in text
        assert "non renseign" not in text
    # hostile (a copy of lefebvre): no fin_prevue, not yet sent — the end comes from 12 months, no placeholder.
    for text in _both(built / "out" / "hostile-2026" / "contrat"):
        assert "du 15 août 2026 au 14 août 2027" in text
        assert "le 29 août 2026." in text
        assert "envoyé au SPSLH" not in text
        assert "non renseign" not in text


def test_case_values_reach_the_referral_and_reviews(built: Path) -> None:
    for text in _both(built / "out" / "caron-2026" / "fiche-saisine"):
        assert _squeezed("non-décence — Installation électrique dangereuse, infiltrations par la toiture.") \
            in _squeezed(text)
        assert "Avance de l'audit énergétique : 750,00 € par CCAS de Bapaume le 28 novembre 2025." in text
    relogement = ("Relogement pendant les travaux : Pas de relogement : les travaux se feront pièce par pièce, "
                  "chauffage d'appoint électrique prêté par le CCAS.")
    for name in ("fiche-saisine", "bilan-intermediaire-3-mois"):
        for text in _both(built / "out" / "lefebvre-2026" / name):
            assert _squeezed(relogement) in _squeezed(text), name



# Issue 11: what a reader reads (wording, ANAH category, Word files, page layout).


def pdf_pages(path: Path) -> list[str]:
    """The text of each page of a PDF, as pdftotext lays it out (pages split on form feeds)."""
    raw = subprocess.run([need("pdftotext"), "-layout", str(path), "-"], check=True, capture_output=True,
                         text=True).stdout
    return [page for page in raw.split("\f") if page.strip()]


def docx_xml(path: Path, part: str = "word/document.xml") -> str:
    import zipfile

    with zipfile.ZipFile(path) as z:
        return z.read(part).decode("utf-8")


def test_anah_category_is_the_notified_one_with_its_date_and_source(built: Path) -> None:
    # lefebvre-2026/menage.yaml: categorie_anah tres_modeste, 2026-06-26, stated by the MAR (no 2026 barème).
    notified = ("Catégorie ANAH ménage très modeste (source : Soliha Pas-de-Calais, Mon Accompagnateur Rénov' "
                "(courriel à la référente) ; date : 26 juin 2026)")
    for text in _both(built / "out" / "lefebvre-2026" / "fiche-saisine"):
        assert _squeezed(notified) in _squeezed(text)
        assert "barème ANAH absent" not in text and "non calculée" not in text
    # dumont-2025: RFR 21 480 € for 2 persons, 2025 ceiling « très modestes » 25 115 € (Mes Aides Réno).
    for text in _both(built / "out" / "dumont-2025" / "fiche-saisine"):
        assert _squeezed("Catégorie ANAH ménage très modeste (calculée avec le barème ANAH 2025)") in _squeezed(text)


def test_household_size_is_written_in_words(built: Path) -> None:
    for case, size in (("lefebvre-2026", "1 personne"), ("caron-2026", "3 personnes"), ("dumont-2025", "2 personnes")):
        for text in _both(built / "out" / case / "fiche-saisine"):
            assert f"Composition {size}" in text, case
    for pdf in (built / "out").rglob("*.pdf"):
        assert "(s)" not in pdf_text(pdf), pdf.name
        assert "(s)" not in docx_text(pdf.with_suffix(".docx")), pdf.name


@pytest.fixture(scope="module")
def variants(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two example cases with one thing changed each, built (fiche saisine and diagnostic request only)."""
    root = tmp_path_factory.mktemp("variants")
    shutil.copy(ROOT / "astre.yaml", root / "astre.yaml")
    for case in ("lefebvre-2026", "caron-2026"):
        shutil.copytree(ROOT / "cases" / case, root / "cases" / case, ignore=shutil.ignore_patterns("envoyes"))
    # Notified after the referral (2 July 2026): the fiche saisine did not know it.
    _edit(root / "cases/lefebvre-2026/menage.yaml", lambda d: d["categorie_anah"].update(date="2026-09-10"))
    # A text typed over several lines with « | », with a blank line between two paragraphs.
    _edit(root / "cases/lefebvre-2026/logement.yaml", lambda d: d.update(
        etat="Maison de briques non isolée,\nmenuiseries simple vitrage.\n\nToiture à reprendre\npartiellement.\n"))
    # Decided the day of the request: the request shows the decision.
    _edit(root / "cases/caron-2026/diagnostics.yaml", lambda d: d["demandes"][0].update(date_decision="2026-03-13"))
    summary = build(load_config(root / "astre.yaml"), forms=["fiche-saisine", "demande-diagnostic"], today=TODAY,
                    jobs=1)
    assert summary.failed == [], summary.format()
    return root


def test_anah_category_not_known_on_the_document_date(variants: Path) -> None:
    for text in _both(variants / "out" / "lefebvre-2026" / "fiche-saisine"):
        assert "Catégorie ANAH non renseignée (ni notification ANAH ni barème pour 2026)" in text
        assert "très modeste" not in text


def test_multi_line_text_is_reflowed_into_paragraphs(variants: Path) -> None:
    stem = variants / "out" / "lefebvre-2026" / "fiche-saisine"
    first, second = "Maison de briques non isolée, menuiseries simple vitrage.", "Toiture à reprendre partiellement."
    paragraphs = [p.text for p in Document(str(stem.with_suffix(".docx"))).paragraphs]
    # Two Word paragraphs, one after the other, with no line break inside either.
    assert paragraphs[paragraphs.index(first) + 1] == second
    lines = [line.strip() for line in subprocess.run([need("pdftotext"), "-layout", str(stem.with_suffix(".pdf")),
                                                      "-"], check=True, capture_output=True, text=True).stdout
             .splitlines()]
    at = lines.index(first)
    assert lines[at + 1: at + 3] == ["", second]


def test_diagnostic_request_layout(built: Path, variants: Path) -> None:
    # caron-2026: logement.yaml records a non-décence; the diagnostic « complet » is asked because of it.
    logement = ("Logement maison individuelle, étiquette G ; non-décence — Installation électrique dangereuse, "
                "infiltrations par la toiture.")
    for text in _both(built / "out" / "caron-2026" / "demande-diagnostic-1"):
        assert _squeezed(logement) in _squeezed(text)
        # Decided on 27 March, after the request of 13 March: the request does not know it.
        assert "accordée" not in text and "Décision" not in text
    for text in _both(variants / "out" / "caron-2026" / "demande-diagnostic-1"):
        # The decision under its own heading, not inside « Techniques ».
        assert "Techniques La charpente supporte-t-elle une isolation de la toiture ? Décision du Département " \
               "Demande accordée le 13 mars 2026." in text
    body = docx_xml(variants / "out" / "caron-2026" / "demande-diagnostic-1.docx")
    assert re.search(r'<w:pStyle w:val="Heading1"/>.{0,400}Décision du Département', body)


def test_word_files_are_french_in_liberation_sans_with_a_footer(built: Path) -> None:
    docx = built / "out" / "lefebvre-2026" / "fiche-saisine.docx"
    styles = docx_xml(docx, "word/styles.xml")
    defaults = re.search(r"<w:docDefaults>.*</w:docDefaults>", styles).group(0)
    assert 'w:lang w:val="fr-FR" w:eastAsia="fr-FR"' in defaults and "en-US" not in styles
    assert "Theme=" not in styles and "theme=" not in styles  # no theme font (majorHAnsi) anywhere
    for style in ("Normal", "Title", "Heading1", "Heading2"):
        found = re.search(rf'w:styleId="{style}".*?</w:style>', styles).group(0)
        assert re.search(r'<w:rFonts w:ascii="Liberation Sans" w:hAnsi="Liberation Sans" '
                         r'w:eastAsia="Liberation Sans" w:cs="Liberation Sans"/>', found), style
    assert '<w:themeFontLang w:val="fr-FR" w:eastAsia="fr-FR"/>' in docx_xml(docx, "word/settings.xml")
    assert "<Application>astre</Application>" in docx_xml(docx, "docProps/app.xml")
    footer = docx_xml(docx, "word/footer1.xml")
    assert "Fiche saisine — Mme Lefebvre — dossier lefebvre-2026 — page " in footer
    assert footer.index(" PAGE ") < footer.index(" / ") < footer.index(" NUMPAGES ")


AMOUNT = re.compile(r"^-?[0-9][0-9\u202f\u00a0 ]*,[0-9]{2}\u00a0€$")


def test_amounts_right_aligned_and_rows_whole_in_word(built: Path) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    for name in ("fiche-saisine", "bilan-intermediaire-3-mois", "contrat"):
        doc = Document(str(built / "out" / "lefebvre-2026" / f"{name}.docx"))
        amounts = 0
        for table in doc.tables:
            for row in table.rows:
                assert row._tr.trPr is not None and row._tr.trPr.find(
                    "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}cantSplit") is not None, name
                for cell in row.cells:
                    if AMOUNT.match(cell.text.strip()) and len(table.columns) > 2:
                        amounts += 1
                        assert cell.paragraphs[0].alignment == WD_ALIGN_PARAGRAPH.RIGHT, (name, cell.text)
        assert amounts or name == "contrat", name
    for style in ("Title", "Heading 1", "Heading 2"):
        assert doc.styles[style].paragraph_format.keep_with_next, style


def test_contract_signatures_stay_with_the_text_they_sign(built: Path) -> None:
    for case in ("lefebvre-2026", "caron-2026", "dumont-2025", "hostile-2026"):
        pages = [_norm(page) for page in pdf_pages(built / "out" / case / "contrat.pdf")]
        signing = [page for page in pages if "Signature :" in page]
        assert len(signing) == 1, case
        assert "Modalités L'accompagnement dure 12 mois" in signing[0] and "Fait à " in signing[0], case
    doc = Document(str(built / "out" / "lefebvre-2026" / "contrat.docx"))
    kept = [p for p in doc.paragraphs if p.text.startswith(("L'accompagnement dure", "Référent·e", "Fait à "))]
    assert len(kept) == 3 and all(p.paragraph_format.keep_with_next for p in kept)


def test_totals_stay_with_their_table_in_the_pdf(built: Path) -> None:
    for pdf in sorted((built / "out").rglob("*.pdf")):
        for page in pdf_pages(pdf):
            # A page never starts with a table's totals: they stay with the rows they add up.
            top = next(line for line in page.splitlines() if line.strip()).strip()
            assert not top.startswith(("Total", "Coût total", "Reste à charge du ménage")), (pdf.name, top)


# Issue 16: what the seed asks of reviews and exits.


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} absent de {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.fixture(scope="module")
def review_variants(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Another service, whose final review goes to fewer recipients; works still under way; a late decision."""
    root = tmp_path_factory.mktemp("review-variants")
    shutil.copy(ROOT / "astre.yaml", root / "astre.yaml")
    for case in ("dumont-2025", "caron-2026"):
        shutil.copytree(ROOT / "cases" / case, root / "cases" / case, ignore=shutil.ignore_patterns("envoyes"))
    shutil.copytree(ROOT / "templates" / "assets", root / "templates" / "assets")
    config = root / "astre.yaml"
    _replace(config, "service_destinataire: SPSLH (Service des Politiques Sociales du Logement et de l'Habitat)",
             "service_destinataire: SDLH (Service Départemental du Logement et de l'Habitat)")
    _replace(config, "  service_court: SPSLH\n", "  service_court: SDLH\n")
    _replace(config, "    bilan-final: [spslh, slisl, structure_origine]\n", "    bilan-final: [spslh, slisl]\n")
    # The last poste is still under way at the final review: the amounts done are not final.
    _edit(root / "cases/dumont-2025/travaux.yaml", lambda d: d["postes"][4].update(statut="en_cours") or [
        d["postes"][4].pop(k) for k in ("montant_realise", "date_fin")])
    # The diagnostic is decided ten days after the 3-month review: the review says it is awaited.
    _edit(root / "cases/caron-2026/diagnostics.yaml", lambda d: d["demandes"][0].update(date_decision="2026-04-20"))
    summary = build(load_config(config), forms=["contrat", "bilan-intermediaire", "bilan-final"], today=TODAY,
                    jobs=1)
    assert summary.failed == [], summary.format()
    return root


# Issue 16: a value stays beside its own label whatever wraps; no placeholder where a fact is missing.


PARTNERS = [  # (name, type label, role): names long enough to wrap in the label column, one on three lines
    ("Centre communal d'action sociale de Saint-Martin-Boulogne, pôle logement", "social",
     "aide facultative pour l'assurance habitation"),
    ("Union départementale des associations familiales du Pas-de-Calais, service des mandataires judiciaires "
     "à la protection des majeurs", "juridique", "curatelle renforcée de Mme Dumont"),
    ("CCAS", "social", "aide alimentaire"),
    ("Fonds de solidarité logement du Pas-de-Calais (volet énergie)", "financeur", "aide aux impayés d'énergie"),
]


@pytest.fixture(scope="module")
def placeholders(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """dumont-2025 with long partner names, and two copies: facts never filled in, lists written empty."""
    root = tmp_path_factory.mktemp("placeholders")
    shutil.copy(ROOT / "astre.yaml", root / "astre.yaml")
    for case in ("dumont-2025", "vide-2025", "zero-2025"):
        shutil.copytree(ROOT / "cases" / "dumont-2025", root / "cases" / case,
                        ignore=shutil.ignore_patterns("envoyes"))
        _edit(root / "cases" / case / "mesure.yaml", lambda d, case=case: d.update(identifiant=case))
    _edit(root / "cases/dumont-2025/mesure.yaml", lambda d: d["partenaires"].extend(
        {"nom": name, "type": {"financeur": "financeur"}.get(kind, kind), "role": role}
        for name, kind, role in PARTNERS))

    def unknown(menage: dict) -> None:
        for key in ("ressources", "charges", "dettes"):
            menage.pop(key)
        menage["situation"] = {"isolement": False}

    _edit(root / "cases/vide-2025/menage.yaml", unknown)
    _edit(root / "cases/vide-2025/logement.yaml", lambda d: [d.pop(k) for k in ("annee_construction",
                                                                              "surface_habitable", "insalubrite")])
    _edit(root / "cases/zero-2025/menage.yaml", lambda d: d.update(ressources=[], charges=[], dettes=[]))
    summary = build(load_config(root / "astre.yaml"), forms=["fiche-saisine"], today=TODAY, jobs=1)
    assert summary.failed == [], summary.format()
    return root


def test_contract_names_who_the_reviews_are_shared_with(built: Path, review_variants: Path) -> None:
    """« Un bilan écrit intermédiaire … partagé avec la structure à l'initiative de la demande, le SLISL, le SPSLH »."""
    for text in _both(built / "out" / "caron-2026" / "contrat"):
        assert "Des bilans intermédiaires sont établis à 3, 6, 9 mois si nécessaire, et un bilan final en fin de " \
               "mesure. Les bilans sont partagés avec le SPSLH, le SLISL de la MDS Arrageois et la structure à " \
               "l'origine de la demande (CCAS de Bapaume)." in text
        assert "adressés au" not in text
    # Another service, and a final review that does not go to the origin structure: two sentences, no « SPSLH ».
    for text in _both(review_variants / "out" / "caron-2026" / "contrat"):
        assert "Les bilans intermédiaires sont partagés avec le SDLH, le SLISL de la MDS Arrageois et la structure " \
               "à l'origine de la demande (CCAS de Bapaume) ; le bilan final avec le SDLH et le SLISL de la MDS " \
               "Arrageois." in text
        assert "SPSLH" not in text


def test_contract_without_programme_recipients_says_the_seeds(project: Path) -> None:
    from generator.documents.context import case_context
    from generator.reading.cases import load_case

    _replace(project / "astre.yaml", "    bilan-intermediaire: [spslh, slisl, structure_origine]\n", "")
    _replace(project / "astre.yaml", "    bilan-final: [spslh, slisl, structure_origine]\n", "")
    config = load_config(project / "astre.yaml")
    shared = case_context(load_case(config.resources, project / "cases" / "dumont-2025"), config)["bilans"]
    assert shared["destinataires"] == ("la structure à l'origine de la demande (Citémétrie – animateur de l'OPAH "
                                       "du Calaisis), le SLISL de la MDS Calaisis et le SPSLH")


def test_each_review_shows_its_periods_concertations_and_diagnostics(built: Path, review_variants: Path) -> None:
    concertation = ("12 mars 2026, avec CCAS de Bapaume, Urbanis, SLISL de l'Arrageois : Faisabilité du projet "
                    "malgré l'indivision ; demande d'un diagnostic complet.")
    for text in _both(built / "out" / "caron-2026" / "bilan-intermediaire-3-mois"):
        assert _squeezed(concertation) in _squeezed(text)
        assert "Demande de diagnostic complet du 13 mars 2026 : accordée le 27 mars 2026." in text
    # dumont: the concertation of 15 January in the 3-month review only, the one of 7 May in the 6-month one.
    january, may = "15 janvier 2026, avec Citémétrie", "7 mai 2026, avec Citémétrie, Façades du Calaisis"
    for name, shown, hidden in (("bilan-intermediaire-3-mois", january, may), ("bilan-intermediaire-6-mois", may,
                                                                                january)):
        for text in _both(built / "out" / "dumont-2025" / name):
            assert shown in text and hidden not in text, name
            assert "Aucune demande de diagnostic sur la période." in text
    for text in _both(built / "out" / "lefebvre-2026" / "bilan-intermediaire-3-mois"):
        assert "10 octobre 2026, avec Soliha Pas-de-Calais" in text
        assert "Aucune demande de diagnostic sur la période." in text
    # Decided on 20 April, after the review of 10 April: the review does not know the answer.
    for text in _both(review_variants / "out" / "caron-2026" / "bilan-intermediaire-3-mois"):
        assert "Demande de diagnostic complet du 13 mars 2026 : réponse en attente." in text
        assert "accordée" not in text


def test_final_review_gives_no_rate_for_works_still_under_way(review_variants: Path) -> None:
    for text in _both(review_variants / "out" / "dumont-2025" / "bilan-final"):
        assert "Taux de variation entre travaux prévus à la saisine et travaux réalisés : non calculé, travaux en " \
               "cours." in text
        # 34 400 € planned, 40 910 € done so far: no « +18,9 % » that reads as final.
        assert not re.search(r"[+−-]\d+,\d\s?%", text)
        assert "Travaux prévus à la saisine / réalisés à ce jour" in text


def _line_of(lines: list[str], label: str) -> str:
    """Return the line of a `pdftotext -layout` text where `label` starts (its first three words)."""
    start = " ".join(label.split()[:3])
    found = [line for line in lines if line.strip().startswith(start)]
    assert len(found) == 1, (label, found)
    return found[0]


def test_each_partner_role_stays_beside_its_partner_whatever_wraps(placeholders: Path) -> None:
    pdf = placeholders / "out" / "dumont-2025" / "fiche-saisine.pdf"
    text = subprocess.run([need("pdftotext"), "-layout", str(pdf), "-"], check=True, capture_output=True,
                          text=True).stdout
    lines = text[text.index("\nPartenaires\n"):text.index("\nDiagnostics demandés\n")].splitlines()
    # The example's own partners: the CAF's name wraps, the budget advice service and the ADIL follow it.
    # (The CAF and the budget advice service joined in 2025-11 and 2026-03: not partners on 22 September 2025.)
    partners = [("Citémétrie", "habitat et technique", "Mon Accompagnateur Rénov'"),
                ("ADIL du Pas-de-Calais", "juridique", "conseil sur le litige"), *PARTNERS]
    for name, kind, role in partners:
        # The role starts on the line where the partner's name starts, whatever wrapped before.
        assert f"{kind} — {' '.join(role.split()[:2])}" in _line_of(lines, name), name
    # A pair is never split by a page break: a name's first and last words and its role are on one page.
    pages = text[text.index("\nPartenaires\n"):text.index("\nDiagnostics demandés\n")].split("\f")
    for name, kind, _ in partners:
        words = name.split()
        where = {i for i, page in enumerate(pages) for part in (" ".join(words[:2]), words[-1], f"{kind} — ")
                 if part in page and " ".join(words[:2]) in page}
        assert len(where) == 1, (name, where)
    roles = [line for line in lines if re.search(r"(social|juridique|financeur|habitat et technique) — ", line)]
    assert len(roles) == len(partners)  # one role a partner, none lost
    # The Word file shows the same pairs: one row per partner, its name beside its role.
    rows = [[cell.text for cell in row.cells] for table in Document(str(pdf.with_suffix(".docx"))).tables
            for row in table.rows]
    for name, kind, role in partners[2:]:
        assert any(cells[0] == name and cells[-1].startswith(f"{kind} — {role}") for cells in rows), name


def test_every_label_and_value_pair_of_the_html_templates_is_one_row() -> None:
    # <dl> pairs are each wrapped in a <div> (one row, see astre.css): a bare <dt> lets its value drift.
    from generator.documents.layout import html_template, layout_names, load_layout

    drawn = 0
    for name in layout_names(DEFAULTS):  # the HTML templates are the layouts' drawings
        html = re.sub(r"\{[{%].*?[%}]\}", "", html_template(load_layout(DEFAULTS, name)))
        drawn += html.count("<dt>")
        assert html.count("<dt>") == len(re.findall(r"<div><dt>[^<]*</dt><dd>.*?</dd></div>", html)), name
    assert drawn > 20
    css = (ROOT / "templates" / "html" / "astre.css").read_text(encoding="utf-8")
    assert re.search(r"dl > div \{[^}]*display: table;[^}]*break-inside: avoid", css)


def test_a_list_never_filled_in_has_no_total_and_an_empty_one_sums_to_zero(placeholders: Path) -> None:
    # vide-2025: menage.yaml has no ressources, charges nor dettes; zero-2025 writes them « [] » on purpose.
    for text in _both(placeholders / "out" / "vide-2025" / "fiche-saisine"):
        assert "Total non renseigné" in text and "Charges mensuelles non renseigné" in text
        assert "Dettes non renseigné" in text and "Total 0,00 €" not in text
    for text in _both(placeholders / "out" / "zero-2025" / "fiche-saisine"):
        assert "Total 0,00 €" in text and "Charges mensuelles 0,00 €" in text and "Dettes 0,00 €" in text


def test_missing_facts_are_named_in_sentences_and_agree_with_their_label(placeholders: Path) -> None:
    for text in _both(placeholders / "out" / "vide-2025" / "fiche-saisine"):
        assert "Type maison mitoyenne, année de construction non renseignée, surface non renseignée" in text
        assert "construit en" not in text
        assert "Mobilité non renseignée" in text and "Protection juridique non renseignée" in text
        assert "Indignité non renseignée" in text
    # The DPE of 30 September 2025 postdates the fiche of 22 September: the label is feminine.
    for text in _both(placeholders / "out" / "dumont-2025" / "fiche-saisine"):
        assert "Étiquette énergie non renseignée" in text


FEMININE = re.compile(r"\b(Mobilité|Protection juridique|Indignité|[ÉE]tiquette(?: énergie)?(?: \(DPE\) :)?|"
                      r"Catégorie(?: ANAH)?|[Dd]ate|[Ss]urface|[Cc]ommune|[Aa]dresse|[Aa]nnée[a-z ]*) "
                      r"non renseigné(?!e)")


def test_no_feminine_label_gets_a_masculine_placeholder(built: Path, placeholders: Path) -> None:
    for pdf in sorted([*(built / "out").rglob("*.pdf"), *(placeholders / "out").rglob("*.pdf")]):
        for text in (pdf_text(pdf), docx_text(pdf.with_suffix(".docx"))):
            assert not FEMININE.search(text), (pdf, FEMININE.search(text))
            assert "construit en non" not in text and "à compléter" not in text, pdf
