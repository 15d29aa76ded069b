"""Hostile outputs: the manifest, the scratch folder, the secret, a full output."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import TODAY, astre, fifo, link

MANIFEST = "out/.astre-manifest.json"


@pytest.mark.timeout(200)
@pytest.mark.parametrize("kind", ["tube", "/dev/zero", "imbriqué"])
def test_a_hostile_manifest_is_ignored_with_a_french_warning(one: Path, kind: str) -> None:
    (one / "out").mkdir()
    manifest = one / MANIFEST
    if kind == "tube":
        fifo(manifest)
    elif kind == "/dev/zero":
        link(manifest, "/dev/zero")
    else:
        manifest.write_text('{"cases": ' + "[" * 100_000 + "]" * 100_000 + "}")
    done = astre(one, "build", "--date", TODAY)
    assert done.code == 0 and done.said_in_french(), done.text
    assert ".astre-manifest.json" in done.err and "ignoré" in done.err
    assert (one / "out" / "lefebvre-2026" / "contrat.pdf").exists()


def test_a_plain_file_where_the_scratch_folder_goes_is_no_failure(repo: Path) -> None:
    (repo / "out").mkdir()
    (repo / "out" / ".astre-tmp").write_text("")
    done = astre(repo, "build", "--date", TODAY, "--jobs", "2")
    assert done.code == 0 and done.said_in_french(), done.text
    assert (repo / "out" / "caron-2026" / "contrat.pdf").exists()


def test_check_into_a_full_disk_is_said_in_french(one: Path) -> None:
    with open("/dev/full", "wb") as full:
        done = astre(one, "check", "--date", TODAY, stdout=full.fileno())
    assert done.code == 1 and done.said_in_french(), done.text
    assert "impossible d'écrire le résultat (disque plein)" in done.err


@pytest.mark.timeout(200)
@pytest.mark.parametrize("kind", ["tube", "/dev/zero"])
def test_a_hostile_secret_never_hangs_the_statement(one: Path, kind: str) -> None:
    salt = one / ".astre-salt"
    fifo(salt) if kind == "tube" else link(salt, "/dev/zero")
    done = astre(one, "report", "--annee", "2026", "--date", TODAY)
    assert done.code in (1, 2) and done.said_in_french(), done.text
    assert ".astre-salt" in done.err


def test_an_output_folder_inside_git_is_refused(one: Path) -> None:
    config = one / "astre.yaml"
    config.write_text(config.read_text().replace("\noutput_dir: out\n", "\noutput_dir: .git/documents\n"))
    (one / ".git").mkdir()
    done = astre(one, "build", "--date", TODAY)
    assert done.code in (1, 2) and done.said_in_french(), done.text
    assert "output_dir" in done.text and ".git" in done.text
    assert not (one / ".git" / "documents").exists()
