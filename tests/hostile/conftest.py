"""The hostile-input suite: every scenario drives `python -m generator` in a subprocess, on a copy of the examples.

It can run against another checkout of astre, to show that a scenario fails there:

    ASTRE_TREE=/tmp/v030 .venv/bin/python -m pytest tests/hostile -p no:cacheprovider

(the tree's own .venv/bin/python runs it when it has one; its astre.yaml and example cases are copied).
Each subprocess is bounded in time and in memory: a hang or an unbounded read fails its scenario,
it never takes the machine with it.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TREE = Path(os.environ.get("ASTRE_TREE", ROOT)).resolve()
PYTHON = TREE / ".venv" / "bin" / "python" if (TREE / ".venv" / "bin" / "python").exists() else Path(sys.executable)
MEMORY_LIMIT = 1536 * 1024 * 1024  # address space of one astre process: far above a build of the examples
TIMEOUT = 90  # seconds: a scenario's command that takes longer hangs
TODAY = "2026-11-22"  # the date the examples are checked at
# System messages that leak in English when astre does not word an error itself.
ENGLISH = ("No such file", "File exists", "Too many levels", "Permission denied", "No space left", "Is a directory",
           "Not a directory")


@dataclass(frozen=True)
class Run:
    """What one command printed, and its exit code."""

    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        """Return stdout then stderr."""
        return self.out + self.err

    def said_in_french(self) -> bool:
        """True when the command ended on its own, without a traceback or an English system message."""
        return (self.code in (0, 1, 2) and "Traceback" not in self.text and "Errno" not in self.text
                and not any(english in self.text for english in ENGLISH))


def _bounded() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def astre(repo: Path, *args: str, timeout: float = TIMEOUT, stdout: int | None = None,
          env: dict[str, str] | None = None) -> Run:
    """Run `python -m generator ARGS` in `repo`, with the tree under test first on the path."""
    env = {**os.environ, "PYTHONPATH": str(TREE), "HOME": str(repo.parent / "home"), "LC_ALL": "C.UTF-8",
           "PYTHONDONTWRITEBYTECODE": "1", **(env or {})}
    (repo.parent / "home").mkdir(exist_ok=True)
    done = subprocess.run([str(PYTHON), "-m", "generator", *args], cwd=repo, env=env, timeout=timeout,
                          stdout=stdout if stdout is not None else subprocess.PIPE, stderr=subprocess.PIPE,
                          preexec_fn=_bounded, check=False)
    out = done.stdout.decode("utf-8", "replace") if done.stdout else ""
    return Run(done.returncode, out, done.stderr.decode("utf-8", "replace"))


def copy_examples(target: Path, *cases: str) -> Path:
    """Copy the tree's astre.yaml and the given example cases (with their kept copies) into `target`/repo."""
    repo = target / "repo"
    repo.mkdir()
    shutil.copy(TREE / "astre.yaml", repo / "astre.yaml")
    for case in cases:
        shutil.copytree(TREE / "cases" / case, repo / "cases" / case, symlinks=True)
    (repo / ".astre-salt").write_text("0123456789abcdef" * 4 + "\n")
    return repo


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A structure's repository holding lefebvre-2026 and caron-2026, their sent copies kept."""
    return copy_examples(tmp_path, "lefebvre-2026", "caron-2026")


@pytest.fixture
def one(tmp_path: Path) -> Path:
    """A structure's repository holding lefebvre-2026 only, its sent copies kept."""
    return copy_examples(tmp_path, "lefebvre-2026")


def fifo(path: Path) -> Path:
    """Replace `path` by a named pipe nobody writes to (opening it for reading would wait for ever)."""
    if path.exists() or path.is_symlink():
        path.unlink()
    os.mkfifo(path)
    return path


def link(path: Path, target: Path | str) -> Path:
    """Replace `path` by a symbolic link to `target`."""
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)
    path.symlink_to(target)
    return path
