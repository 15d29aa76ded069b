"""Windows and macOS, simulated on Linux: console encodings, no fcntl, spawn, no Pango, a file held open.

What cannot be tried here (a real Windows console, msvcrt's lock, Acrobat holding a PDF,
MSYS2's Pango, macOS) is simulated as close to the system call as possible.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest

from generator import __version__
from generator.documents import writer
from generator.documents.pango import missing_pango
from generator.engine.build import build
from generator.reading.config import load_config

TODAY = "2026-11-22"
ROOT = Path(__file__).resolve().parent.parent


def _keep(project: Path, *cases: str) -> Path:
    for folder in (project / "cases").iterdir():
        if folder.name not in cases:
            shutil.rmtree(folder)
    return project


def _astre(project: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    """Run `python -m generator` as a user would, in `project`; bytes out, as the pipe carries them."""
    return subprocess.run([sys.executable, "-m", "generator", *args], cwd=project, capture_output=True,
                          env={**os.environ, **(env or {})}, timeout=300)


# ---------------------------------------------------------------- a console that is not UTF-8

def test_status_piped_in_cp1252_does_not_crash(project: Path) -> None:
    """Windows' pipes (pre-commit, a redirection) carry cp1252: « → » has no place there."""
    done = _astre(project, "status", "--date", TODAY, env={"PYTHONIOENCODING": "cp1252"})
    assert done.returncode == 0, done.stderr.decode("cp1252", "replace")
    text = done.stdout.decode("cp1252")
    assert "signalement-sortie -> SPSLH" in text  # « → » becomes « -> », the rest is readable
    assert "d'origine" in text and b"Traceback" not in done.stderr


def test_check_pre_commit_in_cp1252_says_the_amounts(project: Path) -> None:
    """Amounts hold U+202F (narrow no-break space), which cp1252 lacks: the warning is still said."""
    path = project / "cases" / "lefebvre-2026" / "financement.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("montant: 26000", "montant: 126000"), encoding="utf-8")
    done = _astre(project, "check", "--pre-commit", "--date", TODAY, str(path),
                  env={"PYTHONIOENCODING": "cp1252"})
    text = done.stdout.decode("cp1252")
    assert done.returncode == 0 and b"Traceback" not in done.stderr, done.stderr.decode("cp1252", "replace")
    assert "financement.yaml" in text and "dépassent le coût des travaux" in text
    assert "134 000,00\xa0€" in text  # the narrow no-break space (not in cp1252) shown as a space


# ---------------------------------------------------------------- no fcntl (Windows)

NO_FCNTL = """
import sys, warnings
sys.modules["fcntl"] = None  # `import fcntl` now fails, as on Windows: filelock chooses its lock without it
from pathlib import Path
from generator.documents.writer import output_lock
from generator.errors import BuildLockedError
out = Path(sys.argv[1])
with warnings.catch_warnings(record=True) as seen:
    warnings.simplefilter("always")
    with output_lock(out):
        try:
            with output_lock(out):
                print("second writer let in")
        except BuildLockedError as e:
            print("refused:", e)
print("warned:", any("soft file lock" in str(w.message) for w in seen))
with output_lock(out):  # released: the next build takes it
    print("taken again")
"""


def test_output_lock_holds_without_fcntl(tmp_path: Path) -> None:
    """Without fcntl (Windows) a second writer is still refused: the lock never silently vanishes.

    In a process of its own: filelock chooses its kind of lock when imported.
    """
    done = subprocess.run([sys.executable, "-c", NO_FCNTL, str(tmp_path / "out")], capture_output=True, text=True,
                          timeout=60, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert "refused: une autre construction est en cours" in done.stdout, done.stdout
    assert "warned: True" in done.stdout and "taken again" in done.stdout and "let in" not in done.stdout


# ---------------------------------------------------------------- workers started with spawn

SPAWN_PARENT = """
import multiprocessing, os, sys, time
from concurrent.futures import ProcessPoolExecutor

from generator.engine import build


def start():
    sys.platform = "darwin"  # as on macOS and Windows: no prctl, the worker must end by itself
    build.die_with_parent()


if __name__ == "__main__":
    pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"), initializer=start)
    print(pool.submit(os.getpid).result(), flush=True)
    pool.submit(time.sleep, 600)  # a long rendering: the worker is busy, not waiting for work
    time.sleep(600)
"""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")  # a zombie has ended; only its exit status is left


def test_spawned_worker_ends_with_its_parent(tmp_path: Path) -> None:
    """A killed build (closed terminal, Task Manager) leaves no worker behind, without Linux's prctl."""
    script = tmp_path / "parent.py"
    script.write_text(SPAWN_PARENT, encoding="utf-8")
    parent = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
    worker = 0
    try:
        assert parent.stdout is not None
        worker = int(parent.stdout.readline())
        assert _alive(worker)
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=30)
        deadline = time.monotonic() + 30
        while _alive(worker) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(worker), "le processus de travail survit à astre"
    finally:
        parent.kill()
        parent.wait()
        if parent.stdout is not None:
            parent.stdout.close()
        if worker and _alive(worker):
            os.kill(worker, signal.SIGKILL)


# ---------------------------------------------------------------- no Pango

FAKE_WEASYPRINT = (
    "raise OSError(\"cannot load library 'libgobject-2.0-0': libgobject-2.0-0: cannot open shared object file: "
    "No such file or directory\")\n"
)


@pytest.fixture
def no_pango(tmp_path: Path) -> dict[str, str]:
    """An environment where importing WeasyPrint fails as it does without Pango (OSError from cffi)."""
    fake = tmp_path / "sans-pango" / "weasyprint"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text(FAKE_WEASYPRINT, encoding="utf-8")
    return {"PYTHONPATH": f"{fake.parent}{os.pathsep}{ROOT}"}


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_build_without_pango_says_what_to_install(project: Path, no_pango: dict[str, str], jobs: str) -> None:
    """One worker or a pool of them: a French message with the install command, no traceback."""
    _keep(project, "lefebvre-2026", "dumont-2025")
    done = _astre(project, "build", "-j", jobs, "--date", TODAY, env=no_pango)
    error = done.stderr.decode()
    assert done.returncode == 1 and "Traceback" not in error, error
    assert "la bibliothèque système Pango (utilisée par WeasyPrint) est introuvable" in error
    assert "sudo apt-get install libpango-1.0-0" in error
    assert not list((project / "out").rglob("*.pdf"))


def test_check_and_status_work_without_pango(project: Path, no_pango: dict[str, str]) -> None:
    for args in (("check", "--date", TODAY), ("status", "--date", TODAY)):
        done = _astre(project, *args, env=no_pango)
        assert done.returncode == 0 and b"Pango" not in done.stdout + done.stderr, done.stderr.decode()


def test_pango_message_per_system() -> None:
    assert "brew install pango" in str(missing_pango("darwin"))
    windows = str(missing_pango("win32"))
    assert "MSYS2" in windows and "mingw-w64-ucrt-x86_64-pango" in windows and "WSL" in windows
    assert "apt-get install libpango-1.0-0" in str(missing_pango("linux"))


# ---------------------------------------------------------------- a document open in another program

def test_pdf_open_in_another_program_is_named(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Windows refuses to replace a PDF Acrobat holds open (PermissionError): the file is named, in French."""
    _keep(project, "lefebvre-2026")
    config = load_config(project / "astre.yaml")
    today = date.fromisoformat(TODAY)
    assert build(config, today=today, jobs=1).ok
    replace = os.replace

    def held_open(source: str, target: str | Path) -> None:
        if str(target).endswith("contrat.pdf"):
            raise PermissionError(13, "Le processus ne peut pas accéder au fichier car ce fichier est utilisé "
                                      "par un autre processus", str(target))
        replace(source, target)

    monkeypatch.setattr(writer.os, "replace", held_open)
    monkeypatch.chdir(project)
    before = (project / "out" / "lefebvre-2026" / "contrat.pdf").read_bytes()
    summary = build(load_config(project / "astre.yaml"), today=today, jobs=1, force=True)
    messages = " ".join(f.message for f in summary.failures)
    assert "impossible de remplacer out/lefebvre-2026/contrat.pdf : le fichier est peut-être ouvert " \
           "dans un autre programme" in messages
    assert "fermez-le puis relancez" in messages
    assert (project / "out" / "lefebvre-2026" / "contrat.pdf").read_bytes() == before
    assert not [p for p in (project / "out").rglob("*.tmp")]


# ---------------------------------------------------------------- progress of a long build

def test_build_shows_click_progress_bar_on_a_terminal_only(project: Path) -> None:
    import pty

    _keep(project, "lefebvre-2026", "dumont-2025")
    main, terminal = pty.openpty()
    try:
        done = subprocess.run([sys.executable, "-m", "generator", "build", "--date", TODAY], cwd=project,
                              stdout=subprocess.PIPE, stderr=terminal, timeout=300)
        os.close(terminal)
        shown = b""
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # the terminal's other end is closed: everything was read
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(main)
    assert done.returncode == 0
    text = shown.decode()
    assert "Construction des documents" in text and "2/2" in text and "[####" in text
    # Through a pipe (a log, pre-commit, CI): no bar, only the summary.
    piped = _astre(project, "build", "--force", "--date", TODAY)
    assert piped.returncode == 0 and b"Construction des documents" not in piped.stdout + piped.stderr
    assert b"2/2" not in piped.stderr and b"\r" not in piped.stderr


# ---------------------------------------------------------------- a Python that does not fit; make on each system

PY310 = """#!/bin/sh
# A Python 3.10 as far as a version check goes (`-c CODE` only): what Debian 11 or Ubuntu 22.04 have first.
shift
exec {python} -c "import sys; sys.version_info = (3, 10, 12, 'final', 0); sys.version = '3.10.12'; \\
exec(sys.argv[1])" "$@"
"""


@pytest.fixture
def py310(tmp_path: Path) -> Path:
    shim = tmp_path / "bin" / "python3.10"
    shim.parent.mkdir()
    shim.write_text(PY310.format(python=sys.executable), encoding="utf-8")
    shim.chmod(0o755)
    return shim


@pytest.fixture
def structure(tmp_path: Path) -> Path:
    from click.testing import CliRunner

    from generator.cli import cli

    root = tmp_path / "asso"
    done = CliRunner().invoke(cli, ["init", str(root), "--source", "x.whl", "--depot",
                                    "https://example.invalid/astre.git"], catch_exceptions=False)
    assert done.exit_code == 0, done.output
    return root


def _make(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["make", *args], cwd=folder, capture_output=True, text=True, timeout=120)


def test_structure_says_a_wrong_python_before_installing(structure: Path, py310: Path) -> None:
    done = _make(structure, "check", f"PYTHON={py310}")
    assert done.returncode != 0
    assert f"astre demande Python 3.11 ou plus ; « {py310} » est Python 3.10.12." in done.stderr
    assert "make docs PYTHON=python3.11" in done.stderr and "pip" not in done.stderr + done.stdout
    assert not (structure / ".venv").exists()


def test_structure_rebuilds_a_venv_made_with_a_wrong_python(structure: Path, py310: Path) -> None:
    (structure / ".venv" / "bin").mkdir(parents=True)
    shutil.copy(py310, structure / ".venv" / "bin" / "python")
    (structure / ".venv" / f".astre-{__version__}").touch()  # « installed »: without the check, it would be kept
    done = _make(structure, "python", f"PYTHON={sys.executable}")
    assert done.returncode == 0, done.stderr
    assert "Le dossier .venv a été créé avec un Python trop ancien ou qui n'existe plus : il est refait." in done.stderr
    assert not (structure / ".venv").exists()


def test_toolkit_says_a_wrong_python_before_installing(tmp_path: Path, py310: Path) -> None:
    venv = tmp_path / "v"
    done = _make(ROOT, "venv", f"PYTHON={py310}", f"VENV={venv}")
    assert done.returncode != 0 and "astre demande Python 3.11 ou plus" in done.stderr, done.stderr
    assert "make venv PYTHON=python3.11" in done.stderr and not venv.exists()


def test_structure_makefile_calls_astre_and_probes_pango_for_pdfs_only(structure: Path) -> None:
    """Every target is one astre command (the same command works without make); no Pango probe for check."""
    for target, command in (("check", ".venv/bin/astre check"), ("status", ".venv/bin/astre status"),
                            ("calendrier", ".venv/bin/astre status --ics echeances.ics"),
                            ("rapport-periode", ".venv/bin/astre report"), ("docs", ".venv/bin/astre build")):
        planned = _make(structure, "-n", target, f"PYTHON={sys.executable}")
        assert planned.returncode == 0, planned.stderr
        assert planned.stdout.rstrip().endswith(command), (target, planned.stdout)
        assert ("ldconfig" in planned.stdout) == (target in ("docs", "rapport-periode")), target
    windows = _make(structure, "-n", "check", "OS=Windows_NT", f"PYTHON={sys.executable}")
    assert windows.stdout.rstrip().endswith(".venv/Scripts/astre check")
    shown = _make(structure, "help").stdout
    assert "calendrier" in shown and "rapport-periode" in shown
