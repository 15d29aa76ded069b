"""Hostile case files and case folders: links across households, pipes, devices, unreadable names."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import TODAY, astre, fifo, link


def test_a_case_file_linked_to_another_households_file_is_refused(repo: Path) -> None:
    menage = repo / "cases" / "lefebvre-2026" / "menage.yaml"
    link(menage, "../caron-2026/menage.yaml")
    done = astre(repo, "check", "--date", TODAY)
    assert done.code == 1 and done.said_in_french(), done.text
    assert "menage.yaml:1:1: erreur : lien vers un fichier hors de son dossier (lefebvre-2026)" in done.out


def test_a_case_file_linked_out_of_the_repository_is_refused_by_build(repo: Path, tmp_path: Path) -> None:
    outside = tmp_path / "ailleurs.yaml"
    outside.write_bytes((repo / "cases" / "caron-2026" / "logement.yaml").read_bytes())
    link(repo / "cases" / "lefebvre-2026" / "logement.yaml", outside)
    done = astre(repo, "build", "--date", TODAY)
    assert done.code == 1 and done.said_in_french(), done.text
    assert "lien vers un fichier hors de son dossier" in done.text
    assert not (repo / "out" / "lefebvre-2026").exists() or not list((repo / "out" / "lefebvre-2026").iterdir())
    assert (repo / "out" / "caron-2026" / "contrat.pdf").exists()  # the other household is built


def test_a_case_folder_linked_to_another_case_folder_is_refused(repo: Path) -> None:
    link(repo / "cases" / "copie-2026", "caron-2026")
    done = astre(repo, "check", "--date", TODAY)
    assert done.code == 1 and done.said_in_french(), done.text
    assert "cases/copie-2026: erreur : dossier lien vers un autre dossier" in done.out


def test_a_case_folder_whose_name_is_not_utf8_is_skipped_not_an_abort(repo: Path) -> None:
    os.rename(repo / "cases" / "caron-2026", os.fsencode(repo / "cases") + b"/caron-\xff")
    done = astre(repo, "build", "--date", TODAY)
    assert done.said_in_french(), done.text
    assert "nom de dossier illisible (pas en UTF-8), dossier ignoré" in done.err
    assert (repo / "out" / "lefebvre-2026" / "contrat.pdf").exists()


@pytest.mark.timeout(200)
def test_build_never_waits_on_a_pipe_named_like_a_case_file(repo: Path) -> None:
    fifo(repo / "cases" / "lefebvre-2026" / "travaux.yaml")
    done = astre(repo, "build", "--date", TODAY)
    assert done.code == 1 and done.said_in_french(), done.text
    assert "travaux.yaml:1:1: erreur : ce n'est pas un fichier ordinaire" in done.text
    assert (repo / "out" / "caron-2026" / "contrat.pdf").exists()


@pytest.mark.timeout(200)
def test_build_never_reads_a_device_named_like_a_case_file_whole(repo: Path) -> None:
    link(repo / "cases" / "lefebvre-2026" / "suivi.yaml", "/dev/zero")
    done = astre(repo, "build", "--date", TODAY)
    assert done.code == 1 and done.said_in_french(), done.text
    assert "suivi.yaml:1:1: erreur : ce n'est pas un fichier ordinaire" in done.text


def test_a_case_file_that_is_a_link_loop_is_said_in_french(repo: Path) -> None:
    folder = repo / "cases" / "lefebvre-2026"
    link(folder / "travaux.yaml", "boucle.yaml")
    link(folder / "boucle.yaml", "travaux.yaml")
    done = astre(repo, "check", "--date", TODAY)
    assert done.code == 1 and done.said_in_french(), done.text
    assert "travaux.yaml:1:1: erreur : lecture impossible (trop de liens symboliques)" in done.out
    built = astre(repo, "build", "--date", TODAY)
    assert built.code == 1 and built.said_in_french(), built.text
    assert (repo / "out" / "caron-2026" / "contrat.pdf").exists()


def test_a_line_break_in_a_case_folder_name_never_splits_a_reported_line(one: Path) -> None:
    odd = one / "cases" / "dupont\n2026"
    odd.mkdir()
    (odd / "mesure.yaml").write_text("identifiant: x\n")
    done = astre(one, "check", "--date", TODAY)
    assert done.said_in_french(), done.text
    lines = done.out.splitlines()
    assert all(line.startswith(("cases/", "/")) or "dossier" in line for line in lines), lines
    assert any("cases/dupont\\n2026/menage.yaml:1:1: erreur : fichier obligatoire manquant" in line for line in lines)
