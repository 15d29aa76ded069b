"""`astre serve`'s git: a pull that fails for another reason than a conflict is not said to be a conflict."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from generator.errors import GitError
from generator.serve import gitops


def test_an_unreachable_shared_repository_is_not_called_a_conflict(tmp_path: Path, monkeypatch) -> None:
    env = {"GIT_AUTHOR_NAME": "R", "GIT_AUTHOR_EMAIL": "r@example.invalid", "GIT_COMMITTER_NAME": "R",
           "GIT_COMMITTER_EMAIL": "r@example.invalid", "HOME": str(tmp_path)}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    repo = tmp_path / "depot"
    repo.mkdir()
    (repo / "astre.yaml").write_text("x: 1\n", encoding="utf-8")
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "x"],
                 ["remote", "add", "origin", str(tmp_path / "absent.git")]):
        subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, env={**os.environ, **env})
    with pytest.raises(GitError) as raised:
        gitops.synchronise(repo)
    said = str(raised.value)
    assert said.startswith("synchronisation impossible : le dépôt partagé n'a pas répondu ou a refusé")
    assert "mêmes lignes" not in said and "détail technique de git, en anglais : " in said and "['" not in said
