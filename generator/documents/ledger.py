"""Which sendings the structure's history already holds: a sending committed without its copy was never kept here.

A kept copy (cases/<id>/envoyes/) is made by the first build after a sending is recorded,
from the case as it is then. That is right for a sending just recorded, never for one
recorded long ago: its copy should already be in the repository, committed with it. In a
structure's Git repository, a sending that the last commit already records is an old one:
when its copy is missing (deleted, or never committed and absent from this clone), astre
neither keeps today's data in its place nor says « tout est en ordre »; it says so, and
the référent restores the copy from the history (`git checkout`) or from the person who
sent it. Outside a Git repository (or before the first commit) every recorded sending
without a copy is taken as just recorded, as before.

Git is asked for the committed text of the case files that record sendings; nothing runs
that a repository's configuration could extend (no hook, no filter, no index refresh).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, partial
from pathlib import Path

from ..errors import AstreError
from ..model.measure import Sending, sendings
from ..reading.cases import Case
from ..reading.config import Programme
from ..reading.loader import load_text
from ..reading.resources import Resources
from .archive import sent_stems

# The case files where sendings are recorded (envois.yaml, and the older dates of each document's file).
SENDING_FILES = ("envois", "contrat", "bilans", "sortie", "suivi")
GIT_SECONDS = 20


def _git(folder: Path, *args: str) -> subprocess.CompletedProcess[bytes] | None:
    """Run a read-only git command in `folder`; None when git is missing or does not answer in time."""
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_TERMINAL_PROMPT": "0", "GIT_OPTIONAL_LOCKS": "0"}
    try:
        return subprocess.run(["git", "-c", "core.fsmonitor=false", "-C", str(folder), *args], capture_output=True,
                              timeout=GIT_SECONDS, env=env, check=False)
    except (OSError, subprocess.SubprocessError):
        return None


def committed_sendings(sources: Resources, case: Case, programme: Programme) -> frozenset[str] | None:
    """Return the stems (« contrat--2026-03-27 ») of the sendings the last commit records for `case`.

    None when the case folder is in no Git repository, or the repository has no commit yet:
    nothing tells an old sending from a new one.
    """
    head = _git(case.folder, "rev-parse", "--verify", "-q", "HEAD")
    if head is None or head.returncode != 0:
        return None
    documents = {}
    for name in SENDING_FILES:
        shown = _git(case.folder, "show", f"HEAD:./{name}.yaml")
        if shown is None or shown.returncode != 0:
            continue  # not in the last commit: nothing of it committed
        try:
            documents[name] = load_text(case.folder / f"{name}.yaml", shown.stdout.decode("utf-8", "replace"))
        except AstreError:
            continue  # the committed text does not load: it records no sending astre can read
    return sent_stems(case.folder, sendings(sources, Case(case.id, case.folder, documents), programme))


@dataclass(frozen=True)
class CaseSendings:
    """Every sending of a case, whichever file records it, once per case: what keeping its copies needs."""

    by_document: dict[str, list[Sending]]
    stems: frozenset[str]  # the names of their kept copies (archive.sent_stems)
    committed: Callable[[], frozenset[str] | None]  # the last commit's, asked only when a copy is missing


def case_sendings(sources: Resources, case: Case, programme: Programme) -> CaseSendings:
    """Return the sendings of `case` (the whole case: a form's view may not see the file recording one)."""
    found = sendings(sources, case, programme)
    return CaseSendings(found, sent_stems(case.folder, found),
                        cache(partial(committed_sendings, sources, case, programme)))
