"""`astre init` records only what a colleague can reach, and makes the structure's one pseudonymisation secret."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import cli
from generator.followup.export import salt
from generator.scaffold import project

GIT = "https://forge.example/spslh/astre.git"


def _init(root: Path, *args: str) -> object:
    return CliRunner().invoke(cli, ["init", str(root), *args], catch_exceptions=False)


@pytest.mark.parametrize("found", [
    ("/home/claire/Téléchargements/astre-$(ASTRE_VERSION)-py3-none-any.whl", None),
    ("git+file:///home/claire/astre@v$(ASTRE_VERSION)", "/home/claire/astre"),
])
def test_a_source_on_this_computer_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              found: tuple[str, str | None]) -> None:
    monkeypatch.setattr(project, "installed_source", lambda: found)
    done = _init(tmp_path / "asso")
    assert done.exit_code == 2
    assert "un chemin de cet ordinateur : le Makefile de la structure ne pourrait pas l'installer chez un " \
           "collègue ; indiquez avec « --source » une source que chacun peut joindre" in done.output
    assert not (tmp_path / "asso").exists()


def test_a_pre_commit_repository_is_asked_for(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Installed from a wheel: the Makefile can use a wheel kept in the repository, pre-commit needs a git address."""
    monkeypatch.setattr(project, "installed_source", lambda: ("/tmp/astre-$(ASTRE_VERSION)-py3-none-any.whl", None))
    done = _init(tmp_path / "asso", "--source", "outils/astre-0.4.0-py3-none-any.whl")
    assert done.exit_code == 2 and "indiquez avec « --depot » l'adresse du dépôt git d'astre" in done.output
    done = _init(tmp_path / "asso", "--source", "outils/astre-0.4.0-py3-none-any.whl", "--depot", GIT)
    assert done.exit_code == 0, done.output
    hooks = (tmp_path / "asso" / ".pre-commit-config.yaml").read_text(encoding="utf-8")
    assert f"repo: {GIT}" in hooks and "À_COMPLÉTER" not in hooks


def test_an_install_from_git_needs_nothing_more(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(project, "installed_source", lambda: (f"git+{GIT}@v$(ASTRE_VERSION)", GIT))
    done = _init(tmp_path / "asso")
    assert done.exit_code == 0 and "Attention" not in done.output, done.output
    makefile = (tmp_path / "asso" / "Makefile").read_text(encoding="utf-8")
    assert f"ASTRE_SOURCE := git+{GIT}@v$(ASTRE_VERSION)" in makefile


def test_a_local_path_given_on_purpose_is_kept_with_a_warning(tmp_path: Path) -> None:
    done = _init(tmp_path / "asso", "--source", "/srv/partage/astre.whl", "--depot", "/srv/partage/astre")
    assert done.exit_code == 0
    assert "Attention : la source « /srv/partage/astre.whl » est un chemin de cet ordinateur" in done.output
    assert "Attention : le dépôt « /srv/partage/astre » n'est pas une adresse https ou ssh" in done.output


def test_init_makes_the_secret_once_for_every_referent(tmp_path: Path) -> None:
    root = tmp_path / "asso"
    done = _init(root, "--source", "x.whl", "--depot", GIT)
    assert done.exit_code == 0 and "Créé : .astre-salt" in done.output
    key = salt(root)  # what `astre report` reads: nobody has to run « astre secret »
    assert len(key) >= 32 and ".astre-salt" not in (root / ".gitignore").read_text(encoding="utf-8")
    assert _init(root, "--source", "x.whl", "--depot", GIT, "--dossier-existant").exit_code == 0
    assert salt(root) == key  # never replaced: the pseudonyms of past exports stay valid
