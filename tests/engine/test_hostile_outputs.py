"""The output folder under hostile conditions: links, concurrent builds, crashes, full disks, bad options."""

from __future__ import annotations

import errno
import fcntl
import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import cli
from generator.documents.writer import LOCK_NAME, SCRATCH_NAME
from generator.engine.build import MANIFEST_NAME, build
from generator.errors import BuildLockedError
from generator.reading.config import load_config

TODAY = date(2026, 11, 22)
ROOT = Path(__file__).resolve().parents[2]


def _keep(project: Path, *cases: str) -> Path:
    for folder in (project / "cases").iterdir():
        if folder.name not in cases:
            subprocess.run(["rm", "-rf", str(folder)], check=True)
    return project


@pytest.fixture
def two_cases(project: Path) -> Path:
    """A project holding lefebvre-2026 and dumont-2025 (enough for a pool of workers)."""
    return _keep(project, "lefebvre-2026", "dumont-2025")


def _run(project: Path, *args: str) -> object:
    return CliRunner().invoke(cli, ["-f", str(project / "astre.yaml"), *args], catch_exceptions=False)


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# ---------------------------------------------------------------- links inside out/

def test_link_to_another_case_document_is_replaced_not_written_through(two_cases: Path) -> None:
    build(load_config(two_cases / "astre.yaml"), today=TODAY, jobs=1)
    out = two_cases / "out"
    dumont = _files(out / "dumont-2025")
    contrat = out / "lefebvre-2026" / "contrat.pdf"
    contrat.unlink()
    contrat.symlink_to(out / "dumont-2025" / "contrat.pdf")
    result = _run(two_cases, "build", "--force", "--date", "2026-11-22", str(two_cases / "cases" / "lefebvre-2026"))
    assert result.exit_code == 0, result.output
    assert _files(out / "dumont-2025") == dumont
    assert not contrat.is_symlink() and contrat.read_bytes() != dumont["contrat.pdf"]
    assert contrat.read_bytes().startswith(b"%PDF")


def test_case_output_folder_linked_to_another_case_is_replaced(two_cases: Path) -> None:
    build(load_config(two_cases / "astre.yaml"), today=TODAY, jobs=1)
    out = two_cases / "out"
    dumont = _files(out / "dumont-2025")
    subprocess.run(["rm", "-rf", str(out / "lefebvre-2026")], check=True)
    (out / "lefebvre-2026").symlink_to(out / "dumont-2025", target_is_directory=True)
    result = _run(two_cases, "build", "--force", "--date", "2026-11-22", str(two_cases / "cases" / "lefebvre-2026"))
    assert result.exit_code == 0, result.output
    assert _files(out / "dumont-2025") == dumont
    assert not (out / "lefebvre-2026").is_symlink()
    assert sorted(_files(out / "lefebvre-2026")) == sorted(
        f"{n}.{e}" for n in ("fiche-saisine", "contrat", "bilan-intermediaire-3-mois", "signalement-changement-1")
        for e in ("docx", "pdf"))


# ---------------------------------------------------------------- one build at a time, leftovers

def test_second_build_on_the_same_output_folder_is_refused(lefebvre: Path) -> None:
    from generator.watch.watch import Watcher

    out = lefebvre / "out"
    out.mkdir()
    with open(out / LOCK_NAME, "w") as held:  # another build holds the lock
        fcntl.flock(held, fcntl.LOCK_EX)
        result = _run(lefebvre, "build", "--date", "2026-11-22")
        assert result.exit_code == 1
        assert "une autre construction est en cours dans" in result.output
        assert "attendez qu'elle se termine" in result.output
        lines: list[str] = []
        rebuild = Watcher(load_config(lefebvre / "astre.yaml"), echo=lines.append).initial_build()
        assert rebuild.errors == 1 and "une autre construction est en cours" in "\n".join(lines)
        assert not (out / "lefebvre-2026").exists()
    summary = build(load_config(lefebvre / "astre.yaml"), today=TODAY, jobs=1)
    assert summary.ok and len(summary.built) == 8
    # The lock file is no output: the next build finds everything up to date.
    assert build(load_config(lefebvre / "astre.yaml"), today=TODAY, jobs=1).up_to_date == 4
    assert LOCK_NAME not in (out / MANIFEST_NAME).read_text(encoding="utf-8")


def test_lock_is_taken_by_build_itself(lefebvre: Path) -> None:
    """A library caller (the watcher's build) gets the same refusal as the command line."""
    (lefebvre / "out").mkdir()
    with open(lefebvre / "out" / LOCK_NAME, "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(BuildLockedError):
            build(load_config(lefebvre / "astre.yaml"), today=TODAY, jobs=1)


def test_leftovers_of_an_interrupted_build_are_removed_and_only_them(lefebvre: Path) -> None:
    config = load_config(lefebvre / "astre.yaml")
    build(config, today=TODAY, jobs=1)
    out = lefebvre / "out"
    case = out / "lefebvre-2026"
    leftovers = [case / ".contrat.pdf.astre-k3j_9x0a.tmp", out / f".{MANIFEST_NAME}.astre-abcdefgh.tmp",
                 out / SCRATCH_NAME / "weasyprint-x1y2z3" / "0123abcd"]
    # Files of the user that only look alike: never removed.
    kept = [out / "notes.tmp", case / ".contrat.pdf.k3j_9x0a.tmp", case / "mon.astre-.tmp",
            out / "perso" / ".x.astre-abcdefghi.tmp"]
    for path in leftovers + kept:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
    assert build(config, today=TODAY, jobs=1).built == []
    assert [p for p in leftovers if p.exists()] == [] and not (out / SCRATCH_NAME).exists()
    assert all(p.read_bytes() == b"x" for p in kept)


# ---------------------------------------------------------------- full disk, no rights

def test_full_disk_is_a_french_error_and_keeps_previous_documents(lefebvre: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    build(load_config(lefebvre / "astre.yaml"), today=TODAY, jobs=1)
    before = _files(lefebvre / "out")

    def full(fd: int, data: object) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", full)
    result = _run(lefebvre, "build", "--force", "-j", "1", "--date", "2026-11-22")
    monkeypatch.undo()
    assert result.exit_code == 1
    assert "impossible d'écrire" in result.output and "disque plein" in result.output
    assert str(lefebvre / "out") in result.output and "Traceback" not in result.output
    assert _files(lefebvre / "out") == before


def test_read_only_output_folder_is_a_french_error(lefebvre: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    build(load_config(lefebvre / "astre.yaml"), today=TODAY, jobs=1)
    before = _files(lefebvre / "out")

    def refused(*args: object, **kwargs: object) -> object:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refused)
    result = _run(lefebvre, "build", "--force", "-j", "1", "--date", "2026-11-22")
    monkeypatch.undo()
    assert result.exit_code == 1
    assert "impossible d'écrire dans" in result.output and "droits insuffisants" in result.output
    assert _files(lefebvre / "out") == before


def test_full_disk_while_rendering_is_a_french_failure(lefebvre: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """WeasyPrint writes its fonts into the scratch folder of out/: a full disk there is no traceback."""
    import generator.documents.render_pdf

    build(load_config(lefebvre / "astre.yaml"), today=TODAY, jobs=1)
    before = _files(lefebvre / "out")
    scratch = lefebvre / "out" / SCRATCH_NAME / "weasyprint-abc"

    def full(*args: object, **kwargs: object) -> bytes:
        raise OSError(errno.ENOSPC, "No space left on device", str(scratch / "0123"))

    monkeypatch.setattr(generator.documents.render_pdf, "render_pdf", full)
    result = _run(lefebvre, "build", "--force", "-j", "1", "--date", "2026-11-22")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"lefebvre-2026 (contrat) : impossible d'écrire dans {scratch} : disque plein" in result.output
    assert {k: v for k, v in _files(lefebvre / "out").items() if k != MANIFEST_NAME} == {
        k: v for k, v in before.items() if k != MANIFEST_NAME}


# ---------------------------------------------------------------- processes and /tmp

def _session(sid: int) -> list[int]:
    """Return the live processes of session `sid` (zombies excluded)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[3]) == sid and fields[0] != "Z":
            found.append(int(entry.name))
    return found


def _wait(condition: object, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.1)
    return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl(PR_SET_PDEATHSIG) is Linux only")
@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM, signal.SIGHUP])
def test_killed_build_leaves_no_process(project: Path, signum: int) -> None:
    main = subprocess.Popen([sys.executable, "-m", "generator", "build", "--force", "-j", "2"], cwd=project,
                            start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        # Workers exist: main, resource tracker, fork server and its 2 forks at least.
        assert _wait(lambda: len(_session(main.pid)) >= 5, 60), "les processus ouvriers n'ont pas démarré"
        os.kill(main.pid, signum)
        main.wait(10)
        assert _wait(lambda: not _session(main.pid), 10), f"processus restants : {_session(main.pid)}"
    finally:
        for pid in _session(main.pid):
            os.kill(pid, signal.SIGKILL)


def test_build_with_workers_leaves_nothing_in_tmp(two_cases: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    tmp = tmp_path_factory.mktemp("tmpdir")
    subprocess.run([sys.executable, "-m", "generator", "build", "-j", "2", "--date", "2026-11-22"], cwd=two_cases,
                   env={**os.environ, "TMPDIR": str(tmp), "PYTHONPATH": str(ROOT)}, check=True, capture_output=True)
    assert list(tmp.iterdir()) == []
    assert not (two_cases / "out" / SCRATCH_NAME).exists()
    assert (two_cases / "out" / "dumont-2025" / "contrat.pdf").exists()


# ---------------------------------------------------------------- status --ics

@pytest.mark.parametrize("name", ["lefebvre-2026/contrat.pdf", "lefebvre-2026/agenda.ics", MANIFEST_NAME,
                                  ".astre-build.lock", f"{SCRATCH_NAME}/agenda.ics", "rapport-activite-2026.pdf",
                                  "./lefebvre-2026/../lefebvre-2026/contrat.docx"])
def test_ics_never_replaces_what_astre_makes(lefebvre: Path, name: str) -> None:
    build(load_config(lefebvre / "astre.yaml"), today=TODAY, jobs=1)
    before = _files(lefebvre / "out")
    result = _run(lefebvre, "status", "--date", "2026-11-22", "--ics", name)
    assert result.exit_code == 2, result.output
    assert "echeances.ics" in result.output and "Traceback" not in result.output
    assert _files(lefebvre / "out") == before
    # The build still knows its documents (nothing was overwritten behind its back).
    assert build(load_config(lefebvre / "astre.yaml"), today=TODAY, jobs=1).up_to_date == 4


def test_ics_naming_a_folder_is_a_usage_error(lefebvre: Path) -> None:
    (lefebvre / "out" / "agenda.ics").mkdir(parents=True)
    result = _run(lefebvre, "status", "--date", "2026-11-22", "--ics", "agenda.ics")
    assert result.exit_code == 2 and "c'est un dossier" in result.output
    result = _run(lefebvre, "status", "--date", "2026-11-22", "--ics", "echeances.ics")
    assert result.exit_code == 0 and (lefebvre / "out" / "echeances.ics").read_bytes().startswith(b"BEGIN:VCALENDAR")


# ---------------------------------------------------------------- output_dir in astre.yaml

def _toolkit_folders() -> list[str]:
    from generator.reading import resources

    return [str(resources.default_dir(kind)) for kind in resources.KINDS] + [
        str(resources.default_dir("templates") / "html"), str(Path(resources.__file__).resolve().parent)]


@pytest.mark.parametrize("value", ["/", "/etc", "/usr", "/usr/share/astre", "/tmp", "~", *_toolkit_folders()])
def test_output_dir_in_a_system_or_astre_folder_is_refused(project: Path, value: str) -> None:
    from generator.errors import ConfigError

    if value == "~":
        value = os.environ["HOME"]
    config_file = project / "astre.yaml"
    lines = config_file.read_text(encoding="utf-8").splitlines()
    line = lines.index("output_dir: out") + 1
    lines[line - 1] = f"output_dir: {value}"
    config_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(config_file)
    [problem] = caught.value.problems
    assert problem.line == line and problem.code == "config"
    assert "output_dir" in problem.message and "dossier" in problem.message
    assert "output_dir: out" in (problem.hint or "")
    result = _run(project, "build")
    assert result.exit_code == 2 and f"astre.yaml:{line}:" in result.output


# ---------------------------------------------------------------- extreme dates, astre new

@pytest.mark.parametrize("args", [["status", "--date", "9999-12-31"], ["status", "--date", "0001-01-01"],
                                  ["report", "--debut", "0001-01-01"], ["report", "--fin", "9999-12-31"],
                                  ["financement", "--fin", "2100-01-01"], ["check", "--date", "1899-12-31"],
                                  ["build", "--date", "9999-12-31"]])
def test_extreme_dates_are_usage_errors(lefebvre: Path, args: list[str]) -> None:
    result = _run(lefebvre, *args)
    assert result.exit_code == 2, result.output
    assert "l'année doit être entre 1900 et 2099" in result.output and "Traceback" not in result.output
    assert not (lefebvre / "out").exists()


def _snapshot(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): p.read_text() if p.is_file() else "" for p in sorted(root.rglob("*"))}


def test_new_over_a_dangling_link_writes_nothing(project: Path) -> None:
    (project / "cases" / "martin-2026").symlink_to(project / "ailleurs")
    before = _snapshot(project)
    result = _run(project, "new", "martin-2026")
    assert result.exit_code == 2
    assert "martin-2026 est un lien" in result.output and "supprimez ce lien" in result.output
    assert _snapshot(project) == before and not (project / "ailleurs").exists()


def test_new_in_a_read_only_cases_folder_writes_nothing(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = _snapshot(project)

    def refused(*args: object, **kwargs: object) -> str:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(tempfile, "mkdtemp", refused)
    result = _run(project, "new", "martin-2026")
    monkeypatch.undo()
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "impossible de créer le dossier" in result.output and "droits insuffisants" in result.output
    assert _snapshot(project) == before


@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "garbage"])
def test_a_hostile_verdicts_file_is_ignored_never_read_blindly(tmp_path: Path, kind: str) -> None:
    """out/.astre-verdicts.json (what earlier checks found) as a pipe, a link to /dev/zero or junk: check runs."""
    import shutil

    from generator.checking.check import VERDICTS_NAME

    shutil.copy(ROOT / "astre.yaml", tmp_path / "astre.yaml")
    shutil.copytree(ROOT / "cases", tmp_path / "cases")
    check = [sys.executable, "-m", "generator", "check", "--date", "2026-11-22"]
    expected = subprocess.run(check, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    target = tmp_path / "out" / VERDICTS_NAME
    target.unlink()
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "dev-zero":
        target.symlink_to("/dev/zero")
    else:
        target.write_bytes(b"\x00{[" * 1000)
    again = subprocess.run(check, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert (again.returncode, again.stdout) == (expected.returncode, expected.stdout)
    assert again.stderr == ""
