"""Rendering under hostile inputs: scripts without glyphs, endless words, bad logos, broken templates, odd manifests."""

from __future__ import annotations

import json
import re
import subprocess
import time
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import cli
from generator.engine.build import build
from generator.reading.config import load_config
from generator.reading.resources import DEFAULTS

TODAY = date(2026, 11, 22)
CASE = "lefebvre-2026"
ROOT = Path(__file__).resolve().parents[2]



def _run(project: Path, *args: str) -> object:
    return CliRunner().invoke(cli, ["-f", str(project / "astre.yaml"), *args], catch_exceptions=False)


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _pdf_text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True).stdout


def _pdf_fonts(pdf: Path) -> set[str]:
    lines = subprocess.run(["pdffonts", str(pdf)], check=True, capture_output=True, text=True).stdout.splitlines()
    return {line.split()[0].split("+", 1)[-1] for line in lines[2:]}


# ---------------------------------------------------------------- 1. every script drawn, or flagged

NAME = "محمد العلي 王小明 김민준"


def test_arabic_chinese_korean_names_are_drawn_with_the_fonts_astre_ships(lefebvre: Path) -> None:
    _replace(lefebvre / "cases" / CASE / "menage.yaml", "designation: Mme Lefebvre", f'designation: "{NAME}"')
    summary = build(load_config(lefebvre / "astre.yaml"), forms=["contrat"], today=TODAY, jobs=1)
    assert summary.ok, summary.format()
    pdf = lefebvre / "out" / CASE / "contrat.pdf"
    fonts = _pdf_fonts(pdf)
    # Only the shipped fonts (Liberation Sans, « astre Arabe », « astre CJK »), never the computer's own.
    assert {"astre-Arabe", "astre-CJK"} <= fonts
    assert all(f.startswith(("Liberation-Sans", "astre-Arabe", "astre-CJK")) for f in fonts), fonts
    text = _pdf_text(pdf)
    # HarfBuzz shaped the Arabic right to left: the text comes back in reading order, not reversed.
    assert "محمد العلي" in text and "دمحم" not in text
    assert "王小明" in text and "김민준" in text


def test_a_character_no_shipped_font_draws_is_a_located_warning(lefebvre: Path) -> None:
    _replace(lefebvre / "cases" / CASE / "menage.yaml", "designation: Mme Lefebvre",
             f'designation: "{NAME} ᚠ"')
    result = _run(lefebvre, "check", "--date", "2026-11-22", "--format", "json")
    problems = [p for p in json.loads(result.output)["problemes"] if p["code"] == "caractere"]  # type: ignore[attr-defined]
    assert [(p["fichier"], p["ligne"], p["colonne"], p["gravite"], p["message"]) for p in problems] == [
        (f"cases/{CASE}/menage.yaml", 2, 14, "avertissement",
         "caractère non imprimable dans les documents : « ᚠ » (U+16A0)")]
    assert "transcription en lettres latines" in problems[0]["conseil"]


def test_a_value_in_a_script_no_shipped_font_draws_is_one_warning_naming_its_characters(lefebvre: Path) -> None:
    """Armenian and Georgian: one warning for the value, naming its first characters (not one per character)."""
    _replace(lefebvre / "cases" / CASE / "menage.yaml", "designation: Mme Lefebvre",
             'designation: "Mme Lefebvre Հայաստան ქართული"')
    result = _run(lefebvre, "check", "--date", "2026-11-22", "--format", "json")
    problems = [p for p in json.loads(result.output)["problemes"] if p["code"] == "caractere"]  # type: ignore[attr-defined]
    assert len(problems) == 1, problems
    assert problems[0]["message"].startswith("caractères non imprimables dans les documents : « Հ » (U+0540)")
    assert problems[0]["message"].endswith("et 7 autre(s)")


# ---------------------------------------------------------------- 2. an endless word

def test_a_50000_character_word_builds_in_bounded_time_and_is_kept(lefebvre: Path) -> None:
    word = "x" * 50_000
    _replace(lefebvre / "cases" / CASE / "bilans.yaml",
             "conclusion: Poursuite de l'accompagnement ; dépôt des demandes d'aides avant fin novembre.",
             f"conclusion: {word}")
    start = time.monotonic()
    summary = build(load_config(lefebvre / "astre.yaml"), forms=["bilan-intermediaire"], today=TODAY, jobs=1)
    elapsed = time.monotonic() - start
    assert summary.ok, summary.format()
    assert elapsed < 8, f"{elapsed:.1f} s"
    pdf = next((lefebvre / "out" / CASE).glob("bilan-intermediaire-*.pdf"))
    text = "".join(_pdf_text(pdf).replace("\u200b", "").split())
    assert sum(len(run) for run in re.findall("x{30,}", text)) == len(word)  # cut by page footers only


# ---------------------------------------------------------------- 3. a bad logo

def _huge_png(path: Path) -> None:
    from PIL import Image

    Image.new("1", (12_000, 12_000)).save(path)  # 17 kB on disk, 144 megapixels to decode


LOGOS = {
    "pas-une-image.png": lambda p: p.write_text("bonjour", encoding="utf-8"),
    "tronque.png": lambda p: p.write_bytes((ROOT / "templates" / "assets" / "logo.png").read_bytes()[:600]),
    "dossier.png": lambda p: p.mkdir(),
    "logo.svg": lambda p: p.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"/>'),
    "immense.png": _huge_png,
    "boucle.png": lambda p: p.symlink_to(p.name),  # a link to itself: the system's reason, said in French
}


@pytest.mark.parametrize("name", sorted(LOGOS))
def test_a_bad_logo_is_a_located_french_error_of_check_and_build(lefebvre: Path, name: str) -> None:
    LOGOS[name](lefebvre / name)
    _replace(lefebvre / "astre.yaml", "logo: templates/assets/logo.png", f"logo: {name}")
    checked = _run(lefebvre, "check", "--date", "2026-11-22")
    assert checked.exit_code == 2  # type: ignore[attr-defined]
    assert f"astre.yaml:13:9: erreur : structure.logo « {name} »" in checked.output  # type: ignore[attr-defined]
    start = time.monotonic()
    built = _run(lefebvre, "build", "--date", "2026-11-22", "-j", "1")
    assert time.monotonic() - start < 5
    assert built.exit_code == 2 and "structure.logo" in built.output  # type: ignore[attr-defined]
    assert "Traceback" not in built.output and not (lefebvre / "out").exists()  # type: ignore[attr-defined]
    assert "Too many" not in checked.output  # type: ignore[attr-defined]


# ---------------------------------------------------------------- 4. a template that fails

def _override(project: Path, relative: str, content: bytes) -> Path:
    path = project / "templates" / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def test_a_template_failing_while_rendering_fails_only_its_documents(lefebvre: Path) -> None:
    from generator.documents.layout import html_template, load_layout

    # astre's drawing of the contract, written as the structure's
    default = html_template(load_layout(DEFAULTS, "contrat"))
    opening = "<body>\n"
    broken = _override(lefebvre, "html/contrat.html", default.replace(opening, opening + "{{ 1 / 0 }}\n").encode())
    line = default[:default.index(opening)].count("\n") + 2
    summary = build(load_config(lefebvre / "astre.yaml"), forms=["contrat", "fiche-saisine"], today=TODAY, jobs=1)
    assert [who for who, _ in summary.failed] == [f"{CASE} (contrat)"]
    assert summary.failed[0][1].startswith(f"{broken}:{line}: modèle invalide (ZeroDivisionError")
    assert (lefebvre / "out" / CASE / "fiche-saisine.pdf").is_file()
    assert not (lefebvre / "out" / CASE / "contrat.pdf").exists()
    assert json.loads((lefebvre / "out" / ".astre-manifest.json").read_text(encoding="utf-8"))["cases"][CASE]


def _zip_bomb() -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"\0" * (60 * 1024 * 1024))  # ~60 kB packed
    return buffer.getvalue()


@pytest.mark.parametrize(("content", "said"), [
    (b"pas un document Word", "modèle Word invalide (ce n'est pas un fichier .docx)"),
    (_zip_bomb(), "modèle Word refusé : il se décompresse en 1 fichiers et 60 Mo"),
], ids=["pas-un-zip", "bombe"])
def test_a_bad_word_template_is_a_french_error_of_its_documents(lefebvre: Path, content: bytes, said: str) -> None:
    template = _override(lefebvre, "docx/contrat.docx", content)
    summary = build(load_config(lefebvre / "astre.yaml"), forms=["contrat", "fiche-saisine"], today=TODAY, jobs=1)
    assert summary.failed == [(f"{CASE} (contrat)", summary.failed[0][1])]
    assert summary.failed[0][1].startswith(f"{template} : {said}")
    assert (lefebvre / "out" / CASE / "fiche-saisine.docx").is_file()


# ---------------------------------------------------------------- 5. a manifest of the wrong shape

@pytest.mark.parametrize("manifest", [
    {"format": 2, "shared": "x"}, {"format": 2, "cases": []}, {"format": 2, "forms": {"fiche-saisine": "x"}},
    {"format": 2, "cases": {CASE: {"docs": {"fiche-saisine": 3}}}},
    {"format": 2, "cases": {CASE: {"files": {"menage": "x"}}}},
], ids=["shared-texte", "cases-liste", "form-texte", "doc-nombre", "fichier-texte"])
def test_a_manifest_of_the_wrong_shape_means_a_full_rebuild(lefebvre: Path, manifest: object) -> None:
    config = load_config(lefebvre / "astre.yaml")
    (lefebvre / "out").mkdir()
    (lefebvre / "out" / ".astre-manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    summary = build(config, forms=["fiche-saisine"], today=TODAY, jobs=1)
    assert summary.ok and summary.up_to_date == 0
    assert [p.name for p in summary.built] == ["fiche-saisine.docx", "fiche-saisine.pdf"]
