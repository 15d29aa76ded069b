"""`astre watch`: real file-system events in a temporary project, waited on with timeouts.

Most tests inject a fake build (recording its calls) so they are fast and
deterministic; the last ones use the real build. Every wait is a queue or
event with a timeout, never a bare sleep used for synchronisation.
"""

from __future__ import annotations

import errno
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from watchdog.observers import Observer

from generator.engine.changes import Change, Layout, is_editor_temp
from generator.errors import BuildLockedError
from generator.reading import resources
from generator.reading.config import load_config
from generator.watch.watch import Rebuild, Watcher

REAL_DEFAULTS = resources.default_dir

pytestmark = pytest.mark.timeout(60)

ROOT = Path(__file__).resolve().parents[2]
CASE = "lefebvre-2026"
WAIT = 5.0  # seconds: generous upper bound for an event to arrive (slow CI)
SETTLE = 0.6  # seconds during which no further rebuild may happen

FORM_BILAN = """\
titre: Bilan
modeles: {docx: bilan.docx, html: bilan.html}
date_document: [element.date]
repetition: {liste: bilans.bilans, nom: bilan, suffixe: echeance, absent: "aucun bilan"}
exigences: {}
"""
FORM_FICHE = """\
titre: Fiche
modeles: {docx: fiche.docx, html: fiche.html}
date_document: [mesure.dates.saisine]
exigences: {}
"""


@dataclass
class Summary:
    built: list[Path] = field(default_factory=list)
    up_to_date: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)


class FakeBuild:
    """Records (case ids, forms, config) per call; optionally writes an output per case."""

    def __init__(self, write_outputs: bool = False) -> None:
        self.calls: list[tuple[list[str], list[str] | None, Any]] = []
        self.write_outputs = write_outputs
        self.seen: dict[str, str] = {}

    def __call__(self, config: Any, paths: list[Path] | None = None, *, forms: list[str] | None = None,
                 **_: Any) -> Summary:
        ids = [p.name for p in paths or []]
        self.calls.append((ids, forms, config))
        summary = Summary()
        for folder in paths or []:
            menage = folder / "menage.yaml"
            if menage.exists():
                self.seen[folder.name] = menage.read_text(encoding="utf-8")
            if self.write_outputs:
                out = config.output_dir / folder.name / "fiche.pdf"
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_bytes(b"%PDF-fake")
                summary.built.append(out)
        return summary


class Harness:
    """A started watcher looping in a thread; rebuilds arrive on a queue."""

    def __init__(self, watcher: Watcher, lines: list[str]) -> None:
        self.watcher = watcher
        self.lines = lines
        self.rebuilds: queue.Queue[Rebuild] = queue.Queue()
        watcher.on_rebuild = self.rebuilds.put
        self.errors: list[BaseException] = []
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        try:
            self.watcher.run_forever()
        except BaseException as e:  # surfaced by the test, not lost in the thread
            self.errors.append(e)

    def next(self, timeout: float = WAIT) -> Rebuild:
        try:
            return self.rebuilds.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"aucune regénération en {timeout} s ; sortie : {self.lines}") from None

    def assert_quiet(self, wait: float = SETTLE) -> None:
        try:
            extra = self.rebuilds.get(timeout=wait)
        except queue.Empty:
            return
        raise AssertionError(f"regénération en trop : {extra.changes}")


@pytest.fixture
def toolkit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """Throw-away forms/, templates/ and schemas/ as the toolkit's defaults (the real ones belong to the package)."""
    base = tmp_path / "toolkit"
    forms, templates, schemas = base / "forms", base / "templates", base / "schemas"
    for folder in (forms, templates / "html", templates / "docx", schemas):
        folder.mkdir(parents=True)
    (forms / "bilan.yaml").write_text(FORM_BILAN, encoding="utf-8")
    (forms / "fiche.yaml").write_text(FORM_FICHE, encoding="utf-8")
    (forms / "libelles.yaml").write_text("statut: {}\n", encoding="utf-8")
    for name in ("bilan.html", "fiche.html", "base.html", "astre.css"):
        (templates / "html" / name).write_text("<p>{{ x }}</p>\n", encoding="utf-8")
    (schemas / "menage.schema.json").write_text("{}\n", encoding="utf-8")
    defaults = {"forms": forms, "templates": templates}  # the schemas stay astre's (the validators need them)
    monkeypatch.setattr(resources, "default_dir", lambda kind: defaults.get(kind) or REAL_DEFAULTS(kind))
    return {"forms_dir": forms, "templates_dir": templates, "schemas_dir": schemas}


@pytest.fixture
def start(project: Path, toolkit: dict[str, Path]):
    """Start a watcher on the project with a fake build; stopped at the end of the test."""
    harnesses: list[Harness] = []

    def _start(build: Any = "fake", **options: Any) -> Harness:
        """`build`: a fake by default, None for the real one."""
        lines: list[str] = []
        build = FakeBuild() if build == "fake" else build
        watcher = Watcher(load_config(project / "astre.yaml"), build=build, echo=lines.append,
                          **{"poll_interval": 0.1, **options})
        harness = Harness(watcher, lines)
        watcher.start()
        harness.thread.start()
        harnesses.append(harness)
        return harness

    yield _start
    for harness in harnesses:
        harness.watcher.stop()
        harness.thread.join(timeout=WAIT)
        assert not harness.thread.is_alive(), "la boucle de surveillance ne s'arrête pas"
        assert not harness.errors, harness.errors


def case_file(project: Path, name: str = "menage.yaml", case: str = CASE) -> Path:
    return project / "cases" / case / name


def edited(path: Path) -> str:
    return path.read_text(encoding="utf-8") + "# modifié\n"


# ---------------------------------------------------------------- what a path means


@pytest.mark.parametrize(("name", "temp"), [
    ("menage.yaml", False), ("bilan.html", False), (".menage.yaml.swp", True), (".menage.yaml.swx", True),
    ("4913", True), ("menage.yaml~", True), (".menage.yaml.tmp", True), ("menage.yaml___jb_tmp___", True),
    ("menage.yaml___jb_old___", True), (".#menage.yaml", True), ("~$bilan.docx", True),
    (".~lock.bilan.docx#", True), (".goutputstream-ABC123", True),
])
def test_editor_temporary_files_are_recognised(name: str, temp: bool) -> None:
    assert is_editor_temp(name) is temp


def test_classify_maps_paths_to_what_they_rebuild(project: Path, toolkit: dict[str, Path]) -> None:
    layout = Layout.of(load_config(project / "astre.yaml"))
    cases, out = project / "cases", project / "out"
    assert layout.classify(cases / CASE / "menage.yaml") == Change("case", CASE, "menage")
    assert layout.classify(cases / "nouveau-2026", is_directory=True) == Change("case", "nouveau-2026")
    assert layout.classify(project / "astre.yaml") == Change("config", "astre.yaml")
    assert layout.classify(toolkit["forms_dir"] / "bilan.yaml") == Change("form", "bilan")
    assert layout.classify(toolkit["templates_dir"] / "html" / "bilan.html") == Change("template", "html/bilan.html")
    # A schema or a barème of the structure (its override folders are watched before they exist).
    assert layout.classify(project / "schemas" / "menage.schema.json") == Change("schema", "menage.schema.json")
    assert layout.classify(project / "baremes" / "plafonds_anah.yaml") == Change("schema", "plafonds_anah.yaml")
    # The build reads only .yaml files: a .yml one is said, never rebuilt for.
    assert layout.classify(cases / CASE / "menage.yml") == Change("unread", CASE, f"cases/{CASE}/menage.yml")
    assert layout.classify(toolkit["forms_dir"] / "bilan.yml") == Change("unread", "", "toolkit/forms/bilan.yml")
    assert layout.classify(project / "templates" / "assets" / "logo.png") == Change("logo", "logo.png")  # astre.yaml's
    for ignored in (cases / CASE / ".menage.yaml.swp", cases / CASE / "4913", cases / CASE / "menage.yaml~",
                    cases / CASE / "notes.txt", cases / ".git" / "index", out / CASE / "fiche.pdf",
                    project / "out", project / "README.md", cases / "_modele" / "menage.yaml"):
        assert layout.classify(ignored) is None, ignored


# ---------------------------------------------------------------- every way editors save


def test_in_place_save_rebuilds_that_case_only(project: Path, start) -> None:
    build = FakeBuild()
    h = start(build)
    path = case_file(project)
    path.write_text(edited(path), encoding="utf-8")
    rebuild = h.next()
    assert build.calls and all(ids == [CASE] for ids, _, _ in build.calls)
    assert build.calls[-1][1] is None  # every document of the case (the build skips the unchanged)
    assert any(CASE in line and "à jour" in line for line in rebuild.lines)
    h.assert_quiet()


def test_atomic_write_then_rename(project: Path, start) -> None:
    """VS Code / JetBrains: write a temporary file beside the target, then rename it onto it."""
    build = FakeBuild()
    h = start(build)
    path = case_file(project)
    text = edited(path)
    for temp in (path.with_name(".menage.yaml.tmp"), path.with_name("menage.yaml___jb_tmp___")):
        temp.write_text(text, encoding="utf-8")
        os.replace(temp, path)
    h.next()
    h.assert_quiet()
    assert {tuple(ids) for ids, _, _ in build.calls} == {(CASE,)}
    assert build.seen[CASE] == text


def test_vim_backup_rename_and_swap_files(project: Path, start) -> None:
    build = FakeBuild()
    h = start(build)
    path = case_file(project)
    swap, probe, backup = path.with_name(".menage.yaml.swp"), path.with_name("4913"), path.with_name("menage.yaml~")
    # While typing, vim only touches its swap file: nothing to rebuild.
    swap.write_bytes(b"b0VIM 9.0")
    swap.write_bytes(b"b0VIM 9.0 more")
    h.assert_quiet()
    # On :w — probe the folder, rename the original to the backup, write anew, drop the backup.
    text = edited(path)
    probe.write_bytes(b"")
    probe.unlink()
    os.rename(path, backup)
    path.write_text(text, encoding="utf-8")
    backup.unlink()
    swap.unlink()
    h.next()
    h.assert_quiet()
    assert build.seen[CASE] == text


def test_notepad_plus_plus_truncate_then_write(project: Path, start) -> None:
    build = FakeBuild()
    h = start(build)
    path = case_file(project)
    text = edited(path)
    with open(path, "r+b") as f:  # Notepad++ rewrites the same file: truncate, then write in pieces
        f.truncate(0)
        f.flush()
        half = len(text.encode()) // 2
        f.write(text.encode()[:half])
        f.flush()
        f.write(text.encode()[half:])
    h.next()
    h.assert_quiet()
    assert build.seen[CASE] == text  # the half-written file was never built


def test_git_checkout_of_many_files_gives_one_rebuild(project: Path, start) -> None:
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", "-c", "init.defaultBranch=main"]

    def run(*args: str) -> None:
        subprocess.run([*git, *args], cwd=project, check=True, capture_output=True)

    run("init", "-q")
    run("add", "-A")
    run("commit", "-qm", "base")
    run("checkout", "-qb", "autre")
    changed = sorted(p.name for p in (project / "cases").iterdir())[:2]
    for case in changed:
        for name in ("menage.yaml", "logement.yaml", "mesure.yaml"):
            case_file(project, name, case).write_text(edited(case_file(project, name, case)), encoding="utf-8")
    run("commit", "-qam", "autre")
    run("checkout", "-q", "main")
    build = FakeBuild()
    h = start(build)
    run("checkout", "-q", "autre")
    h.next()
    h.assert_quiet()
    assert sorted({i for ids, _, _ in build.calls for i in ids}) == changed


# ---------------------------------------------------------------- debounce, loops, scope


def test_burst_of_50_saves_gives_one_rebuild(project: Path, start) -> None:
    build = FakeBuild()
    h = start(build)
    path = case_file(project)
    base = path.read_text(encoding="utf-8")
    pace = threading.Event()
    for i in range(50):  # 50 saves in about 200 ms
        path.write_text(base + f"# {i}\n", encoding="utf-8")
        pace.wait(0.004)
    h.next()
    h.assert_quiet()
    assert h.watcher.rebuilds == 1
    assert build.seen[CASE].endswith("# 49\n")


@pytest.mark.parametrize("output_dir", ["out", "forms/sortie"])
def test_files_written_by_the_build_never_trigger_a_rebuild(project: Path, start, output_dir: str) -> None:
    """Even with the output folder inside a watched folder (the structure's forms/, not the default layout)."""
    (project / "forms").mkdir()
    config = project / "astre.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("output_dir: out", f"output_dir: {output_dir}"),
                      encoding="utf-8")
    build = FakeBuild(write_outputs=True)
    h = start(build)
    path = case_file(project)
    path.write_text(edited(path), encoding="utf-8")
    h.next()
    h.assert_quiet(1.0)
    assert (project / output_dir / CASE / "fiche.pdf").exists()
    assert h.watcher.rebuilds == 1


def test_template_change_rebuilds_that_document_for_every_case(project: Path, toolkit, start) -> None:
    build = FakeBuild()
    h = start(build)
    all_cases = sorted(p.name for p in (project / "cases").iterdir())
    (toolkit["templates_dir"] / "html" / "bilan.html").write_text("<p>nouveau</p>\n", encoding="utf-8")
    h.next()
    assert build.calls[-1][:2] == (all_cases, ["bilan"])
    # A shared piece no form names (base layout, style sheet): every document of every case.
    (toolkit["templates_dir"] / "html" / "astre.css").write_text("p { color: red }\n", encoding="utf-8")
    h.next()
    assert build.calls[-1][:2] == (all_cases, None)
    (toolkit["forms_dir"] / "fiche.yaml").write_text(FORM_FICHE + "description: x\n", encoding="utf-8")
    h.next()
    assert build.calls[-1][:2] == (all_cases, ["fiche"])
    h.assert_quiet()


def test_saved_file_documents_are_built_first(project: Path, start) -> None:
    build = FakeBuild()
    h = start(build)
    path = case_file(project, "bilans.yaml")
    path.write_text(edited(path), encoding="utf-8")
    h.next()
    assert [c[:2] for c in build.calls] == [([CASE], ["bilan"]), ([CASE], None)]


def test_config_change_reloads_it_and_rebuilds_everything(project: Path, start) -> None:
    build = FakeBuild()
    h = start(build)
    config = project / "astre.yaml"
    good = config.read_text(encoding="utf-8")
    config.write_text(good.replace("structure:\n", "structure:\n  inconnu: 1\n"), encoding="utf-8")
    bad = h.next()
    assert not bad.ok and not build.calls
    assert any("astre.yaml" in line and "inconnu" in line for line in h.lines), h.lines
    config.write_text(good.replace("Association Habitat Solidaire", "Association Renommée"), encoding="utf-8")
    h.next()
    ids, forms, used = build.calls[-1]
    assert forms is None and len(ids) == len(list((project / "cases").iterdir()))
    assert used.structure.name.startswith("Association Renommée")
    assert h.watcher.config.structure.name.startswith("Association Renommée")


def test_yml_file_is_said_ignored_and_rebuilds_nothing(project: Path, start) -> None:
    build = FakeBuild()
    h = start(build)
    yml = case_file(project, "menage.yml")
    yml.write_text(case_file(project).read_text(encoding="utf-8"), encoding="utf-8")
    rebuild = h.next()
    assert build.calls == [] and rebuild.ok
    assert any(f"cases/{CASE}/menage.yml : fichier non reconnu, ignoré" in line and "« menage.yaml »" in line
               for line in rebuild.lines), rebuild.lines
    yml.unlink()  # nothing to say about a .yml that is gone, nothing to build
    assert h.next().lines == [] and build.calls == []
    os.replace(case_file(project), yml)  # renamed to .yml: the case lost its menage.yaml
    h.next()
    assert [c[0] for c in build.calls] == [[CASE]]


@pytest.mark.parametrize("logo", ["logo.png", "images/logo.png"])
def test_logo_outside_templates_is_watched(project: Path, start, logo: str) -> None:
    """The logo (in every document) beside astre.yaml, or in a folder created after the watcher started."""
    config = project / "astre.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("logo: templates/assets/logo.png", f"logo: {logo}"),
                      encoding="utf-8")
    build = FakeBuild()
    h = start(build)
    path = project / logo
    if not path.parent.is_dir():
        path.parent.mkdir()
        h.next()  # the folder appeared: watched from now on
        build.calls.clear()
    path.write_bytes(b"\x89PNG v1")
    h.next()
    all_cases = sorted(p.name for p in (project / "cases").iterdir())
    assert [c[:2] for c in build.calls] == [(all_cases, None)]
    h.assert_quiet()


def test_deleted_or_renamed_case_folder_is_reported(project: Path, start) -> None:
    build = FakeBuild()
    h = start(build)
    (project / "out" / CASE).mkdir(parents=True)
    os.rename(project / "cases" / CASE, project / "cases" / "lefebvre-2027")
    rebuild = h.next()
    text = "\n".join(rebuild.lines)
    assert f"{CASE} : dossier" in text and "supprimé ou renommé" in text and "restent dans" in text
    assert {tuple(c[0]) for c in build.calls} == {("lefebvre-2027",)}
    shutil.rmtree(project / "cases" / "lefebvre-2027")
    rebuild = h.next()
    assert "lefebvre-2027 : dossier" in "\n".join(rebuild.lines)


def _failing_once(error: Exception, calls: list[int]) -> Any:
    """A build that raises `error` the first time, then succeeds; `calls` counts them."""
    def build(*args: Any, **kwargs: Any) -> Summary:
        calls.append(1)
        if len(calls) == 1:
            raise error
        return Summary()

    return build


def test_build_crash_is_reported_and_watching_continues(project: Path, start) -> None:
    h = start(_failing_once(ZeroDivisionError("bogue"), []))
    path = case_file(project)
    path.write_text(edited(path), encoding="utf-8")
    assert not h.next().ok
    assert any("ZeroDivisionError" in line for line in h.lines)
    path.write_text(edited(path), encoding="utf-8")
    assert h.next().ok


def test_a_build_refused_by_another_ones_lock_is_tried_again(project: Path, start) -> None:
    calls: list[int] = []
    h = start(_failing_once(BuildLockedError("une autre construction est en cours dans out/ : attendez qu'elle se "
                                             "termine"), calls))
    path = case_file(project)
    path.write_text(edited(path), encoding="utf-8")
    assert not h.next().ok
    assert any("nouvel essai dans" in line for line in h.lines)
    assert h.next().ok  # without any new save
    assert len(calls) == 2


# ---------------------------------------------------------------- polling, fall-back, stopping


def test_polling_mode(project: Path, start) -> None:
    build = FakeBuild()
    h = start(build, polling=True)
    assert "scrutation" in h.watcher.describe()
    path = case_file(project)
    text = edited(path)
    temp = path.with_name(".menage.yaml.tmp")
    temp.write_text(text, encoding="utf-8")
    os.replace(temp, path)
    h.next()
    assert build.seen[CASE] == text


def test_falls_back_to_polling_when_inotify_watches_run_out(project: Path, start) -> None:
    class Exhausted(Observer):  # type: ignore[misc, valid-type]
        def start(self) -> None:
            raise OSError(errno.ENOSPC, "inotify watch limit reached")

    build = FakeBuild()
    h = start(build, observer_factory=Exhausted)
    assert h.watcher.polling
    assert any("scrutation" in line and "max_user_watches" in line for line in h.lines)
    path = case_file(project)
    path.write_text(edited(path), encoding="utf-8")
    h.next()
    assert build.calls


def test_stop_ends_the_loop(project: Path, start) -> None:
    h = start()
    h.watcher.stop()
    h.thread.join(timeout=WAIT)
    assert not h.thread.is_alive()


def _read_until(stream: Any, needle: str, timeout: float) -> str:
    found: queue.Queue[str] = queue.Queue()
    seen: list[str] = []

    def reader() -> None:
        for line in stream:
            seen.append(line)
            if needle in line:
                found.put(line)
                return

    threading.Thread(target=reader, daemon=True).start()
    try:
        found.get(timeout=timeout)
    except queue.Empty:
        raise AssertionError(f"« {needle} » jamais affiché : {''.join(seen)}") from None
    return "".join(seen)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_exits_cleanly_with_code_0(project: Path, signum: int) -> None:
    for other in (project / "cases").iterdir():
        if other.name != CASE:
            shutil.rmtree(other)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen([sys.executable, "-m", "generator", "watch"], cwd=project, env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        banner = _read_until(process.stdout, "Ctrl+C", WAIT * 2)
        assert "Surveillance de cases/" in banner and "astre.yaml" in banner
        process.send_signal(signum)
        rest, _ = process.communicate(timeout=WAIT * 2)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, rest
    assert "Surveillance arrêtée." in rest
    assert "Traceback" not in rest


# ---------------------------------------------------------------- with the real build


@pytest.fixture
def real(project: Path, start, monkeypatch):
    """A watcher with the real build (forms and templates of the repository), documents built."""
    for other in (project / "cases").iterdir():
        if other.name != CASE:
            shutil.rmtree(other)
    monkeypatch.setattr(resources, "default_dir", REAL_DEFAULTS)  # the package's own forms and templates
    h = start(None)
    first = h.watcher.initial_build()
    h.rebuilds.get_nowait()  # the initial build reports like any other
    assert first.ok, first.lines
    return h


def test_real_save_updates_the_pdf(project: Path, real: Harness) -> None:
    pdf = project / "out" / CASE / "bilan-intermediaire-3-mois.pdf"
    before = pdf.stat().st_mtime_ns
    path = case_file(project, "bilans.yaml")
    path.write_text(edited(path), encoding="utf-8")
    rebuild = real.next(timeout=30)
    assert rebuild.ok, rebuild.lines
    assert pdf.stat().st_mtime_ns > before
    assert any("bilan-intermediaire-3-mois.pdf" in line for line in rebuild.lines)


def test_real_bad_save_keeps_documents_then_fix_rebuilds(project: Path, real: Harness) -> None:
    out = project / "out" / CASE
    documents = {p: p.stat().st_mtime_ns for p in out.iterdir()}
    path = case_file(project)
    good = path.read_text(encoding="utf-8")
    path.write_text(good + "revenus: [1, 2\n", encoding="utf-8")  # half-typed: unclosed list
    rebuild = real.next(timeout=30)
    assert not rebuild.ok
    assert any(f"cases/{CASE}/menage.yaml:" in line for line in rebuild.lines), rebuild.lines
    assert {p: p.stat().st_mtime_ns for p in out.iterdir()} == documents  # kept, untouched
    path.unlink()  # deleted: said, documents still kept
    rebuild = real.next(timeout=30)
    assert not rebuild.ok and any("menage.yaml" in line for line in rebuild.lines)
    assert all(p.exists() for p in documents)
    path.write_text(good + "# corrigé\n", encoding="utf-8")
    rebuild = real.next(timeout=30)
    assert rebuild.ok, rebuild.lines
    assert (out / "fiche-saisine.pdf").stat().st_mtime_ns > documents[out / "fiche-saisine.pdf"]


def test_real_invalid_config_pauses_builds_until_fixed(project: Path, start, monkeypatch) -> None:
    """astre.yaml broken while watching: said, located; no build (two cases saved: no crash); fixed: rebuilt."""
    from generator.watch.watch import _real_build

    cases = ("dumont-2025", CASE)
    for other in (project / "cases").iterdir():
        if other.name not in cases:
            shutil.rmtree(other)
    calls: list[Any] = []

    def counted(config: Any, paths: Any = None, **options: Any) -> Any:
        calls.append(config)
        return _real_build(config, paths, **options)

    monkeypatch.setattr(resources, "default_dir", REAL_DEFAULTS)
    h = start(counted)
    assert h.watcher.initial_build().ok, h.lines
    h.rebuilds.get_nowait()
    contract = project / "out" / CASE / "contrat.pdf"
    built = contract.stat().st_mtime_ns
    config = project / "astre.yaml"
    good = config.read_text(encoding="utf-8")
    calls.clear()
    config.write_text(good.replace("structure:\n", "structure: [\n", 1), encoding="utf-8")
    rebuild = h.next(timeout=30)
    assert not rebuild.ok and calls == []
    assert any("astre.yaml : erreur, documents non regénérés" in line for line in rebuild.lines), rebuild.lines
    assert any(re.match(r"\s+astre.yaml:\d+:\d+: erreur : ", line) for line in rebuild.lines), rebuild.lines
    for case in cases:  # saved together: the old configuration is not used, nothing crashes
        path = case_file(project, "menage.yaml", case)
        path.write_text(edited(path), encoding="utf-8")
    rebuild = h.next(timeout=30)
    assert not rebuild.ok and calls == [], rebuild.lines
    assert any("astre.yaml invalide : aucun document regénéré" in line for line in rebuild.lines), rebuild.lines
    config.write_text(good.replace("Association Habitat Solidaire", "Association Renommée"), encoding="utf-8")
    rebuild = h.next(timeout=60)
    assert rebuild.ok, rebuild.lines
    assert calls and calls[-1].structure.name.startswith("Association Renommée")
    assert contract.stat().st_mtime_ns > built
    text = "\n".join(h.lines)
    assert "Traceback" not in text and "signalez" not in text


def test_real_template_saved_while_watching_is_read(project: Path, real: Harness) -> None:
    """The structure's own template, saved while watching, is what the next rebuild uses (no stale cache)."""
    html = project / "templates" / "html"
    html.mkdir(parents=True, exist_ok=True)
    (html / "fiche-saisine.html").write_text(
        '{% extends "base.html" %}{% block contenu %}<p>{{ menage.designation </p>{% endblock %}\n', encoding="utf-8")
    rebuild = real.next(timeout=30)
    assert not rebuild.ok
    assert any(line.strip().startswith("fiche-saisine : fiche-saisine.html, ligne 1 : modèle invalide")
               for line in rebuild.lines), rebuild.lines
    (html / "fiche-saisine.html").unlink()  # back to astre's template: the documents kept were made with it
    rebuild = real.next(timeout=30)
    assert rebuild.ok and any("(fiche-saisine) déjà à jour" in line for line in rebuild.lines), rebuild.lines


def test_a_forms_folder_created_later_is_watched(project: Path, start) -> None:
    """The structure's own forms/ appears beside astre.yaml: everything is rebuilt, then it is watched."""
    build = FakeBuild()
    h = start(build)
    (project / "forms").mkdir()
    h.next()
    assert build.calls[-1][1] is None
    (project / "forms" / "courrier.yaml").write_text(FORM_FICHE, encoding="utf-8")
    h.next()
    assert build.calls[-1][1] == ["courrier"]


def test_a_path_restricts_watching_to_that_case(project: Path, start, toolkit) -> None:
    build = FakeBuild()
    h = start(build, paths=[project / "cases" / CASE])
    other = next(p for p in (project / "cases").iterdir() if p.name != CASE) / "menage.yaml"
    other.write_text(edited(other), encoding="utf-8")
    h.assert_quiet()
    (toolkit["templates_dir"] / "html" / "fiche.html").write_text("<p>x</p>\n", encoding="utf-8")
    h.next()
    assert build.calls[-1][:2] == ([CASE], ["fiche"])  # a template: only the watched case


# ---------------------------------------------------------------- what changes rebuild (pure)


def test_plan_is_a_function_of_the_changes_and_the_forms() -> None:
    import yaml

    from generator.engine.changes import Job, Plan, plan
    from generator.engine.definitions import FormSources

    sources = FormSources({"bilan": yaml.safe_load(FORM_BILAN), "fiche": yaml.safe_load(FORM_FICHE)})
    saved = Change("case", CASE, "bilans")
    assert plan([saved], sources) == Plan(frozenset({CASE}), (Job(False, ["bilan"]), Job(False, None)))
    assert plan([Change("template", "html/bilan.html")], sources) == Plan(frozenset(), (Job(True, ["bilan"]),))
    for shared in (Change("template", "html/astre.css"), Change("form", "libelles"), Change("logo", "logo.png")):
        assert plan([shared, saved], sources).jobs == (Job(True, None),)  # every document of every case
    assert plan([Change("form", "supprime")], sources).jobs == ()  # a deleted form makes nothing
    assert plan([Change("template", "html/bilan.html")], FormSources({}, frozenset({"casse"}))).jobs == (
        Job(True, None),)  # a form file that cannot be read: unsure, everything
    assert plan([], sources, everything=True) == Plan(None, (Job(False, None),))
