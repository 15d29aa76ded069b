"""Git for people who do not use it: what changed in a case, record it, synchronise.

`git` is run as a program with its arguments in a list (never a shell string). Synchronising
pulls with `--rebase`: the référent's own commits are replayed after the colleagues' ones, so
the history stays a line and nobody is asked to write a merge message. On a conflict the
rebase is abandoned (`git rebase --abort`): the référent's commits and files are exactly as
before, and the message says in French whom to ask.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ..errors import GitError

TIMEOUT = 120  # seconds: a push over a slow network


@dataclass
class Changes:
    """What changed in a case since the last commit."""

    repository: bool  # the folder is in a git repository
    files: list[tuple[str, str]]  # (French state, path relative to the repository)
    diff: str


def _git(root: Path, *args: str, check: bool = True, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    try:
        done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=TIMEOUT,
                              env={**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C", **(env or {})})
    except FileNotFoundError as e:
        raise GitError("git n'est pas installé : installez-le (https://git-scm.com) pour garder l'historique") from e
    except subprocess.TimeoutExpired as e:
        raise GitError("git ne répond pas (réseau ?) : rien n'a été perdu, réessayez plus tard") from e
    if check and done.returncode != 0:
        raise GitError(f"git a refusé l'opération ; rien n'a été perdu. Réessayez, ou montrez ce message à la personne "
                       f"qui gère le dépôt ({_detail(done)})")
    return done


def _detail(done: subprocess.CompletedProcess) -> str:
    """Return git's own last line (in English: git speaks it under LC_ALL=C, which keeps its output parseable)."""
    said = (done.stderr or done.stdout).strip().splitlines()
    return f"détail technique de git, en anglais : {said[-1] if said else 'aucun'}"


def is_repository(root: Path) -> bool:
    """True when `root` is inside a git repository."""
    try:
        return _git(root, "rev-parse", "--is-inside-work-tree", check=False).returncode == 0
    except GitError:
        return False


_STATES = {"M": "modifié", "A": "ajouté", "D": "supprimé", "R": "renommé", "?": "nouveau"}


def changes(root: Path, folder: Path) -> Changes:
    """Return what changed in `folder` (a case) since the last commit."""
    if not is_repository(root):
        return Changes(False, [], "")
    rel = os.path.relpath(folder, root)
    status = _git(root, "status", "--porcelain", "--untracked-files=all", "--", rel).stdout
    files = []
    for line in status.splitlines():
        code = (line[:2].strip() or "M")[0]
        files.append((_STATES.get(code, "modifié"), line[3:]))
    diff = _git(root, "diff", "HEAD", "--", rel, check=False).stdout if files else ""
    return Changes(True, files, diff)


def user_name(root: Path) -> str | None:
    """Return the name git records as author, if the référent gave one to git."""
    done = _git(root, "config", "user.name", check=False)
    return done.stdout.strip() or None


def commit(root: Path, folder: Path, message: str, author: str | None) -> str:
    """Commit every change of the case `folder` (and only it); return the short id of the commit."""
    rel = os.path.relpath(folder, root)
    if not changes(root, folder).files:
        raise GitError("rien à enregistrer : ce dossier n'a pas changé depuis le dernier enregistrement")
    env = {}
    if author:
        email = _git(root, "config", "user.email", check=False).stdout.strip() or "referent@astre.invalid"
        env = {"GIT_AUTHOR_NAME": author, "GIT_COMMITTER_NAME": author,
               "GIT_AUTHOR_EMAIL": email, "GIT_COMMITTER_EMAIL": email}
    elif user_name(root) is None:
        raise GitError("indiquez votre nom : il est enregistré avec chaque modification")
    _git(root, "add", "--all", "--", rel)
    _git(root, "commit", "--quiet", "-m", message, "--", rel, env=env)
    return str(_git(root, "rev-parse", "--short", "HEAD").stdout.strip())


def has_remote(root: Path) -> bool:
    """True when the repository has a remote to synchronise with."""
    return bool(_git(root, "remote", check=False).stdout.strip())


def synchronise(root: Path) -> str:
    """Pull the colleagues' changes (rebase), then push; on a conflict, undo the pull and explain.

    Returns the French report of what was done.
    """
    if not has_remote(root):
        raise GitError("ce dépôt n'a pas de dépôt partagé (« remote ») : l'historique reste sur cet ordinateur")
    pulled = _git(root, "pull", "--rebase", "--autostash", check=False)
    if pulled.returncode != 0:
        conflict = _rebasing(root) or "CONFLICT" in pulled.stdout + pulled.stderr
        if _rebasing(root):
            _git(root, "rebase", "--abort", check=False)
        if conflict:
            raise GitError("synchronisation arrêtée : un collègue a modifié les mêmes lignes que vous. Rien n'est "
                           "perdu : vos enregistrements sont intacts sur cet ordinateur. Demandez à la personne qui "
                           f"gère le dépôt de réunir les deux versions ({_detail(pulled)})")
        raise GitError("synchronisation impossible : le dépôt partagé n'a pas répondu ou a refusé (réseau, droits, "
                       "branche non suivie) ; rien n'a changé sur cet ordinateur. Réessayez plus tard, ou montrez ce "
                       f"message à la personne qui gère le dépôt ({_detail(pulled)})")
    pushed = _git(root, "push", check=False)
    if pushed.returncode != 0:
        raise GitError("les modifications des collègues sont récupérées, mais l'envoi des vôtres a échoué "
                       f"(réseau, droits ?) : réessayez plus tard ({_detail(pushed)})")
    return "Synchronisé : modifications des collègues récupérées, les vôtres envoyées."


def _rebasing(root: Path) -> bool:
    for name in ("rebase-merge", "rebase-apply"):
        where = Path(_git(root, "rev-parse", "--git-path", name).stdout.strip())
        if (where if where.is_absolute() else root / where).exists():
            return True
    return False
