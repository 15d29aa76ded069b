"""Hostile kept copies (cases/<id>/envoyes/): links, special files, records of the wrong shape, a broken ledger."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import TODAY, astre, fifo, link

KEPT = "cases/caron-2026/envoyes"
RECORD = f"{KEPT}/contrat--2026-03-27.json"


def test_envoyes_linked_to_another_households_folder_is_refused_and_never_written(repo: Path) -> None:
    other = repo / "cases" / "caron-2026" / "envoyes"
    before = sorted(os.listdir(other))
    link(repo / "cases" / "lefebvre-2026" / "envoyes", "../caron-2026/envoyes")
    checked = astre(repo, "check", "--date", TODAY)
    said = "envoyes: erreur : lien vers un dossier hors de ce dossier"
    assert checked.code == 1 and said in checked.out, checked.text
    built = astre(repo, "build", "--date", TODAY)
    assert built.said_in_french(), built.text
    assert sorted(os.listdir(other)) == before  # nothing of lefebvre's written among caron's copies


@pytest.mark.parametrize("kind", ["fichier", "lien cassé"])
def test_envoyes_as_a_plain_file_or_a_dangling_link_is_said_in_french(repo: Path, kind: str) -> None:
    folder = repo / "cases" / "lefebvre-2026" / "envoyes"
    if kind == "fichier":
        link(folder, repo / "nulle-part")
        folder.unlink()
        folder.write_text("pas un dossier\n")
    else:
        link(folder, repo / "nulle-part")
    checked = astre(repo, "check", "--date", TODAY)
    assert checked.code == 1 and checked.said_in_french(), checked.text
    assert "lefebvre-2026/envoyes: erreur :" in checked.out
    built = astre(repo, "build", "--date", TODAY)
    assert built.code == 1 and built.said_in_french(), built.text
    assert (repo / "out" / "caron-2026" / "contrat.pdf").exists()


@pytest.mark.parametrize("content", ["null", "[]", "42", '{"document": "contrat"}', "[" * 100_000 + "]" * 100_000])
def test_a_record_of_the_wrong_shape_is_a_french_error_about_that_file_only(repo: Path, content: str) -> None:
    (repo / RECORD).write_text(content)
    checked = astre(repo, "check", "--date", TODAY)
    assert checked.code == 1 and checked.said_in_french(), checked.text
    assert "contrat--2026-03-27.json" in checked.out
    built = astre(repo, "build", "--date", TODAY)
    assert built.said_in_french(), built.text
    assert (repo / "out" / "lefebvre-2026" / "contrat.pdf").exists()  # the other household is built
    assert (repo / "out" / ".astre-manifest.json").exists()  # and the manifest is kept


@pytest.mark.timeout(200)
@pytest.mark.parametrize("name", ["contrat--2026-03-27.json", "contrat--2026-03-27.pdf"])
def test_a_kept_file_that_is_a_pipe_never_hangs(repo: Path, name: str) -> None:
    fifo(repo / KEPT / name)
    for command in ("check", "build", "status"):
        done = astre(repo, command, "--date", TODAY)
        assert done.said_in_french(), (command, done.text)
    assert "erreur" in astre(repo, "check", "--date", TODAY).out


@pytest.mark.timeout(200)
def test_a_kept_pdf_linked_to_a_device_is_never_read_whole(repo: Path) -> None:
    link(repo / KEPT / "contrat--2026-03-27.pdf", "/dev/zero")
    checked = astre(repo, "check", "--date", TODAY)
    assert checked.code == 1 and checked.said_in_french(), checked.text
    assert "contrat--2026-03-27.pdf" in checked.out


def test_a_copy_interrupted_before_its_record_is_written_again_by_the_next_build(repo: Path) -> None:
    kept = repo / KEPT
    (kept / "contrat--2026-03-27.json").unlink()
    (kept / ".contrat--2026-03-27.json.astre-abcdefgh.tmp").write_text('{"document": "con')  # killed mid-write
    done = astre(repo, "build", "--date", TODAY)
    assert done.said_in_french(), done.text
    assert "contrat--2026-03-27.json manquant" not in done.text
    record = json.loads((kept / "contrat--2026-03-27.json").read_text())
    assert record["document"] == "contrat" and isinstance(record["valeurs"], dict)
    assert not [name for name in os.listdir(kept) if name.endswith(".tmp")]
    assert astre(repo, "check", "--date", TODAY).code == 0


def test_changing_the_date_of_a_sending_already_kept_is_said_and_never_kept_anew(repo: Path) -> None:
    contrat = repo / "cases" / "caron-2026" / "contrat.yaml"  # the contract's sending is recorded there
    text = contrat.read_text()
    assert 'date_envoi_spslh: "2026-03-27"' in text
    contrat.write_text(text.replace('date_envoi_spslh: "2026-03-27"', 'date_envoi_spslh: "2026-03-30"'))
    done = astre(repo, "check", "--date", TODAY)
    assert done.said_in_french(), done.text
    assert ("contrat--2026-03-27.json: avertissement : copie gardée d'un envoi que le dossier ne mentionne plus"
            in done.out) and "astre ne garde aucune nouvelle copie de ce document ni de ce jour" in done.out
    built = astre(repo, "build", "--date", TODAY)
    assert built.said_in_french(), built.text
    assert "contrat : envoyé le 30/03/2026, copie non gardée" in built.text
    assert not (repo / KEPT / "contrat--2026-03-30.json").exists()  # today's data never kept under the new date


def test_a_deleted_kept_copy_is_not_said_to_be_in_order(repo: Path) -> None:
    for ext in ("json", "pdf", "docx"):
        (repo / KEPT / f"contrat--2026-03-27.{ext}").unlink()
    done = astre(repo, "check", "--date", TODAY)
    assert done.said_in_french(), done.text
    assert "tout est en ordre" not in done.out
    assert "contrat envoyé le 27/03/2026 : pas de copie gardée" in done.out


def test_inserting_a_change_that_renumbers_sent_documents_is_said_and_invents_no_copy(one: Path) -> None:
    suivi = one / "cases" / "lefebvre-2026" / "suivi.yaml"
    text = suivi.read_text()
    first = '  - date_changement: "2026-10-03"\n'
    assert first in text
    suivi.write_text(text.replace(first, '  - date_changement: "2026-09-20"\n    nature: situation_menage\n'
                                  "    description: Le petit-fils de Mme Lefebvre vient vivre avec elle.\n" + first))
    done = astre(one, "check", "--date", TODAY)
    assert done.said_in_french(), done.text
    assert "signalement-changement-1--2026-10-07.json: avertissement : copie gardée d'un envoi que le dossier ne " \
           "mentionne plus" in done.out
    built = astre(one, "build", "--date", TODAY)
    assert built.said_in_french(), built.text
    kept = one / "cases" / "lefebvre-2026" / "envoyes"
    assert not list(kept.glob("signalement-changement-2--*"))  # no copy invented under a number never sent


def test_a_correction_recorded_between_two_kept_sendings_is_said(one: Path) -> None:
    envois = one / "cases" / "lefebvre-2026" / "envois.yaml"
    text = envois.read_text()
    later = ("  - document: fiche-saisine\n    date: \"2026-07-20\"\n    destinataires: [spslh]\n"
             "    correction: true\n")
    envois.write_text(text + later)
    assert astre(one, "build", "--date", TODAY).said_in_french()
    assert (one / "cases" / "lefebvre-2026" / "envoyes" / "fiche-saisine--2026-07-20.json").exists()
    envois.write_text(text + later.replace("2026-07-20", "2026-07-10") + later)  # recorded afterwards, in between
    done = astre(one, "check", "--date", TODAY)
    assert done.code == 1 and done.said_in_french(), done.text
    assert "fiche-saisine envoyé le 10/07/2026 : envoi noté avant un envoi plus récent" in done.out


def test_a_kept_copy_linked_to_another_households_copy_is_refused(repo: Path) -> None:
    mine = repo / "cases" / "lefebvre-2026" / "envoyes" / "contrat--2026-09-05.pdf"
    assert mine.exists()
    link(mine, "../../caron-2026/envoyes/contrat--2026-03-27.pdf")
    done = astre(repo, "check", "--date", TODAY)
    assert done.code == 1 and done.said_in_french(), done.text
    assert "contrat--2026-09-05.pdf illisible : lien vers un fichier hors de son dossier" in done.out


def test_a_copy_cut_by_a_full_disk_on_its_record_is_written_again_not_blocked(one: Path) -> None:
    kept = one / "cases" / "lefebvre-2026" / "envoyes"
    assert astre(one, "build", "--date", TODAY).said_in_french()
    # As a build that wrote the PDF and DOCX, then met a full disk on the record, leaves it.
    (kept / "contrat--2026-09-05.json").unlink()
    manifest = one / "out" / ".astre-manifest.json"
    data = json.loads(manifest.read_text())
    data["cases"]["lefebvre-2026"]["envoyes"].remove("contrat--2026-09-05.json")
    del data["cases"]["lefebvre-2026"]["docs"]["contrat"]  # a failed document is not recorded as built
    manifest.write_text(json.dumps(data))
    done = astre(one, "build", "--date", TODAY)
    assert done.said_in_french(), done.text
    assert (kept / "contrat--2026-09-05.json").exists()
    assert astre(one, "check", "--date", TODAY).code == 0


def test_a_kept_copy_deleted_after_a_build_is_an_error_of_check_and_never_remade(one: Path) -> None:
    assert astre(one, "build", "--date", TODAY).said_in_french()
    kept = one / "cases" / "lefebvre-2026" / "envoyes"
    for ext in ("json", "pdf", "docx"):
        (kept / f"contrat--2026-09-05.{ext}").unlink()
    done = astre(one, "check", "--date", TODAY)
    assert done.code == 1 and done.said_in_french(), done.text
    assert "contrat envoyé le 05/09/2026 : copie gardée supprimée" in done.out
    built = astre(one, "build", "--date", TODAY)
    assert built.said_in_french(), built.text
    assert not (kept / "contrat--2026-09-05.json").exists()


def _git(repo: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "R", "GIT_AUTHOR_EMAIL": "r@example.invalid", "GIT_COMMITTER_NAME": "R",
           "GIT_COMMITTER_EMAIL": "r@example.invalid", "HOME": str(repo.parent)}
    subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)


def _committed_without_copies(repo: Path) -> None:
    """The structure's repository as a colleague clones it when the sent copies were never committed."""
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A", "--", ".", ":(exclude)cases/*/envoyes")
    _git(repo, "commit", "-q", "-m", "Dossiers")
    shutil.rmtree(repo / KEPT)


def test_a_clone_without_the_committed_sendings_copies_is_said_and_never_kept_from_today(repo: Path) -> None:
    """The issue's first case: a clone where the copies were never committed. check and build both say it."""
    _committed_without_copies(repo)
    done = astre(repo, "check", "--date", TODAY)
    assert done.said_in_french() and done.code == 1, done.text
    assert "tout est en ordre" not in done.out
    assert ("contrat envoyé le 27/03/2026 : envoi déjà enregistré dans l'historique du dépôt, mais sa copie gardée "
            "(envoyes/contrat--2026-03-27.*) manque") in done.out, done.out
    built = astre(repo, "build", "--date", TODAY, "--jobs", "1")
    assert built.said_in_french() and built.code == 1, built.text
    assert "astre ne la refait pas avec les données d'aujourd'hui" in built.text
    assert not (repo / KEPT).exists()  # today's data never kept as sent: the household waits for its copies
    assert (repo / "out" / "lefebvre-2026" / "contrat.pdf").exists()  # the other household is built


def test_a_sending_recorded_since_the_last_commit_is_kept_by_the_next_build(repo: Path) -> None:
    """Recording a sending and building keeps its copy, as always: only a committed sending is an old one."""
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "Dossiers et copies envoyées")
    for ext in ("json", "pdf", "docx"):
        (repo / KEPT / f"contrat--2026-03-27.{ext}").unlink()
    contrat = repo / "cases" / "caron-2026" / "contrat.yaml"
    text = contrat.read_text(encoding="utf-8")
    assert 'date_envoi_spslh: "2026-03-27"' in text
    # Not committed: the sending is recorded now (here: its date corrected before anything was kept).
    contrat.write_text(text.replace('date_envoi_spslh: "2026-03-27"', 'date_envoi_spslh: "2026-03-28"'),
                       encoding="utf-8")
    built = astre(repo, "build", "--date", TODAY, "--jobs", "1")
    assert built.said_in_french(), built.text
    assert (repo / KEPT / "contrat--2026-03-28.json").exists()
