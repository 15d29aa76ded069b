"""`astre build`: every applicable document of every case, in DOCX and PDF, incrementally.

The stages, like MkDocs' build: load the definitions (configuration, forms,
templates), find which documents of which case are out of date (generator.engine.manifest),
render them (per case: load and check, compute the context once, render each ready
form to DOCX and PDF, write atomically), record what was built. Nothing heavy
(WeasyPrint, docxtpl) is imported when nothing needs rebuilding.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..commands import command
from ..documents.forms import template_path, template_roots
from ..documents.ledger import CaseSendings, case_sendings
from ..documents.writer import SCRATCH_NAME, disk_error, output_lock, remove_leftovers, safe_target, write_atomic
from ..errors import AstreError, RenderError
from ..model.wording import counted, plural
from ..reading.cases import CASE_FILES, find_case_folders
from ..reading.config import Config, check_letterhead, check_logo
from ..reading.forms import Form, load_forms
from .definitions import Definitions
from .manifest import MANIFEST_NAME as MANIFEST_NAME  # named from here by callers of the build
from .manifest import Manifest, OutOfDate, recorded_cases

if TYPE_CHECKING:
    from multiprocessing.context import BaseContext

# Told after each case built: (cases done, cases to build, id of the case just built); (0, n, "") first.
Progress = Callable[[int, int, str], None]
LISTED_PROBLEMS = 3  # an invalid case's problems named in the summary; `astre check` lists them all


@dataclass(frozen=True)
class Failure:
    """A case (`form_id` None: none of its documents) or one of its documents that could not be built."""

    case_id: str
    form_id: str | None
    message: str  # French: what went wrong
    problems: tuple[str, ...] = ()  # for an invalid case: its first located problems, formatted
    unlisted: int = 0  # for an invalid case: how many more problems `astre check` would list

    @property
    def who(self) -> str:
        """Return « <case> » or « <case> (<form>) », as the summary names it."""
        return self.case_id if self.form_id is None else f"{self.case_id} ({self.form_id})"

    @property
    def reason(self) -> str:
        """Return the French reason on one line, as the summary prints it."""
        if self.form_id is not None:
            return self.message
        return f"{self.message} : {' ; '.join(self.problems)}{self._more()}"

    def lines(self) -> list[str]:
        """Return the reason one problem per line, each named by its form for a document."""
        if self.form_id is not None:
            return [f"{self.form_id} : {line}" for line in self.message.splitlines() or [self.message]]
        if not self.problems:
            return [self.reason]
        return [self.message, *self.problems[:-1], self.problems[-1] + self._more()]

    def _more(self) -> str:
        return f" (et {self.unlisted} autre(s) : lancez « {command('check')} »)" if self.unlisted else ""


KEPT_SHOWN = 10  # kept copies listed one by one after a build; more are counted


@dataclass
class BuildSummary:
    """What a build did: files written, documents already up to date, failures."""

    built: list[Path] = field(default_factory=list)
    up_to_date: int = 0
    failures: list[Failure] = field(default_factory=list)
    # (case, message): a sent document kept as sent although the data changed since (generator.documents.archive).
    warnings: list[tuple[str, str]] = field(default_factory=list)
    # Copies of sent documents this build kept (cases/<id>/envoyes/…--date.json): to commit.
    kept: list[Path] = field(default_factory=list)
    # Where the documents are, as the référent names it: the output folder relative to the repository.
    output: str | None = None

    @property
    def ok(self) -> bool:
        """True when nothing failed."""
        return not self.failures

    @property
    def failed(self) -> list[tuple[str, str]]:
        """Return (« <case> » or « <case> (<form>) », French reason) per failure."""
        return [(f.who, f.reason) for f in self.failures]

    def format(self) -> str:
        """Return the French summary, one line per failure."""
        lines = [f"{who} : {why}" for who, why in self.failed]
        lines += [f"{who} : avertissement : {why}" for who, why in self.warnings]
        # One unit: a document is its DOCX and its PDF (`built` holds both files).
        n, u, f = len({path.with_suffix("") for path in self.built}), self.up_to_date, len(self.failures)
        where = f" — documents (PDF et DOCX) dans {self.output}" if self.output and (n or u) else ""
        lines.append(f"{counted(n, 'document')} construit{plural(n)}, {counted(u, 'document')} à jour, "
                     f"{f} en échec{where}")
        if self.kept:
            folders = sorted({str(path.parent) for path in self.kept})
            s = plural(len(self.kept))
            lines.append(f"{counted(len(self.kept), 'copie')} envoyée{s} gardée{s} telle{s} qu'envoyée{s}, "
                         "à enregistrer dans l'historique (git add puis git commit) :")
            shown = sorted(self.kept)[:KEPT_SHOWN]
            lines += [f"  {path.with_suffix('')}.{{docx,pdf,json}}" for path in shown]
            if len(self.kept) > len(shown):
                lines.append(f"  … et {len(self.kept) - len(shown)} autre(s) (git status les liste toutes)")
            lines.append("  par exemple : git add " + (" ".join(folders) if len(folders) <= KEPT_SHOWN else "cases")
                         + " && git commit -m \"Copies envoyées\"")
        return "\n".join(lines)


@dataclass
class CaseOutcome:
    """A worker's answer for one case: outputs per form, files written, failures."""

    case_id: str
    outputs: dict[str, list[str]] = field(default_factory=dict)
    built: list[str] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- the orchestrator

def build(config: Config, paths: list[Path] | None = None, *, definitions: Definitions | None = None,
          forms: list[str] | None = None, force: bool = False, jobs: int | None = None, today: date | None = None,
          progress: Progress | None = None) -> BuildSummary:
    """Build the documents of the cases in `paths` (all cases by default) that are out of date.

    `definitions`: the forms and templates to build with (the watcher keeps them between
    builds); `config`'s own by default. One build at a time per
    output folder (BuildLockedError for the second one); the leftovers of an interrupted
    build are removed first. `progress` is told of each case built (the command line's bar).
    """
    if definitions is None or definitions.config is not config:
        definitions = Definitions(config)
    check_logo(config)
    check_letterhead(config)
    if force and paths is None:  # every case will be rebuilt: the pool's fork server starts while we hash
        _start_pool_early(jobs)
    with output_lock(config.output_dir):
        remove_leftovers(config.output_dir)
        return _build(definitions, paths, forms=forms, force=force, jobs=jobs, today=today or date.today(),
                      progress=progress)


def case_output_folders(config: Config) -> set[str]:
    """Return the names of the cases' output folders: every case folder, and every case the manifest knows."""
    cases = config.cases_dir
    names = {p.name for p in cases.iterdir() if p.is_dir()} if cases.is_dir() else set()
    return names | recorded_cases(config.output_dir)


def _build(definitions: Definitions, paths: list[Path] | None, *, forms: list[str] | None, force: bool,
           jobs: int | None, today: date, progress: Progress | None) -> BuildSummary:
    """Load the forms, find what is out of date, render it, record it."""
    config = definitions.config
    selected = definitions.forms(forms)
    manifest = Manifest(config, selected, force=force)
    todo, up_to_date = manifest.out_of_date(find_case_folders(list(paths or []), config.cases_dir))
    summary = BuildSummary(up_to_date=up_to_date, output=_shown(config.output_dir, config.root) + "/")
    for outcome, keys in _run(config, todo, today, jobs, progress):
        summary.built += [config.output_dir / rel for rel in outcome.built]
        summary.failures += outcome.failures
        summary.warnings += outcome.warnings
        summary.kept += [Path(path) for path in outcome.kept]
        manifest.record(outcome.case_id, config.cases_dir / outcome.case_id, outcome.outputs, keys)
    manifest.save()
    # The largest cases are built first (`_expected_work`): problems are said in the cases' order.
    summary.failures.sort(key=lambda f: (f.case_id, f.form_id or ""))
    summary.warnings.sort(key=lambda w: w[0])
    summary.kept.sort()
    return summary


def _run(config: Config, todo: list[OutOfDate], today: date,
         jobs: int | None,
         progress: Progress | None) -> Any:
    """Yield (outcome, keys) per case, in parallel when there are several cases and cores.

    Workers get the loaded `config` (pickled), never re-read astre.yaml: they build
    with the configuration the caller checked, even if the file changed meanwhile.
    """
    if not todo:
        return
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(todo)))
    done = 0
    if progress is not None:
        progress(0, len(todo), "")

    def tick(case_id: str) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, len(todo), case_id)

    if jobs == 1:  # one case (the watcher's usual save): no pool, no process start-up
        _init_worker(config)
        for folder, stale, keys, known in todo:
            outcome = build_case(folder, stale, today, known)
            tick(outcome.case_id)
            yield outcome, keys
        return
    from concurrent.futures import ProcessPoolExecutor

    # The workers' temporary files (WeasyPrint extracts fonts, ~13 MB each) go into the output
    # folder, not /tmp: removed below, or by the next build if this one is killed.
    scratch = config.output_dir / SCRATCH_NAME
    try:
        try:
            scratch.mkdir(exist_ok=True)
        except OSError as e:
            raise disk_error(e) or e from None
        with ProcessPoolExecutor(max_workers=jobs, mp_context=_pool_context(), initializer=_init_pool_worker,
                                 initargs=(config, str(scratch))) as pool:
            # The longest cases first, so that both workers end together (not one alone on a big last case).
            futures = [(pool.submit(build_case, folder, stale, today, known), keys)
                       for folder, stale, keys, known in sorted(todo, key=_expected_work, reverse=True)]
            for future, keys in futures:
                outcome = future.result()
                tick(outcome.case_id)
                yield outcome, keys
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _expected_work(item: OutOfDate) -> int:
    """Return a rough measure of a case's rendering work: its forms to build times the size of its files.

    A case with more visits, works and reviews makes more documents and longer ones (on
    synthetic cases, the size of the case files follows the size of the PDFs, r = 0.97).
    """
    size = 0
    for name in CASE_FILES:
        try:
            size += (item.folder / f"{name}.yaml").stat().st_size
        except OSError:
            continue
    return len(item.forms) * size


def _start_pool_early(jobs: int | None) -> None:
    """Start the workers' fork server now, so that its imports (~0.7 s) overlap the hashing of the cases.

    Only for a build that will use a pool (several cores); the server ends with this process.
    """
    if (jobs or os.cpu_count() or 1) < 2:
        return
    from multiprocessing import forkserver

    if _pool_context().get_start_method() == "forkserver":
        forkserver.ensure_running()


# ---------------------------------------------------------------- one case (in a worker)

_WORKER: dict[str, Any] = {}
_DOCUMENTS = f"{__name__.split('.')[0]}.documents"  # the renderers' stage, named without importing it
# The PDF renderer is preloaded by forkserver_init: without Pango its import fails, and the
# fork server must still start (each worker then says what is missing).
RENDERERS = [__name__, f"{_DOCUMENTS}.render_docx"]


def _pool_context() -> BaseContext:
    """Return how workers start: from a fork server, never by forking the caller.

    Forking copies the caller's locks in whatever state its other threads left them
    (the watcher runs watchdog's threads), which can deadlock a worker. The fork
    server is a clean single-threaded process started once, that has imported the
    renderers already, so each worker still starts in milliseconds.
    """
    import multiprocessing  # here: a build with nothing to do starts no process

    if "forkserver" not in multiprocessing.get_all_start_methods():  # pragma: no cover - Windows
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    # forkserver_init first: the server ends with the process that started it (`die_with_parent`).
    context.set_forkserver_preload([f"{__package__}.forkserver_init", *RENDERERS])
    return context


def die_with_parent(*, watchdog: bool = True) -> None:
    """End this process when its parent ends, on every system.

    A killed `astre build` (SIGKILL, closed terminal) must not leave its fork server
    and workers running (~280 MB) nor writing into the output folder. On Linux the
    system kills us at once (prctl PR_SET_PDEATHSIG). Everywhere (Windows and macOS
    start workers with `spawn`), a watchdog thread waits for the parent to end, then
    ends this process. The fork server takes no thread (`watchdog=False`: it forks its
    workers, and forking a process that runs threads can deadlock the child); on every
    POSIX system it ends by itself when astre ends (end of file on its `alive` pipe).
    """
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
    if watchdog:
        _start_watchdog()


def _start_watchdog() -> None:
    """Start a daemon thread that ends this process as soon as its parent has ended."""
    import multiprocessing
    import threading
    import time

    parent = multiprocessing.parent_process()  # a worker's: its sentinel is ready once the parent ended
    first = os.getppid()

    def wait_for_parent() -> None:
        if parent is not None:
            parent.join()
        else:  # not started by multiprocessing: the parent pid changes when the parent ends (POSIX)
            while os.getppid() == first:
                time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=wait_for_parent, name="astre-fin-avec-parent", daemon=True).start()


def _init_pool_worker(config: Config, scratch: str) -> None:
    """Initialise a pool worker: dies with its parent, temporary files in `scratch`, then `_init_worker`."""
    import tempfile

    die_with_parent()
    server = sys.modules.get(f"{__package__}.forkserver_init")  # preloaded by the fork server, if any
    if server is not None and os.getppid() != server.SERVER_PID:  # it ended before prctl: nobody would stop us
        os._exit(1)
    tempfile.tempdir = scratch  # this process only builds, then ends with the pool
    try:
        _init_worker(config)
    except AstreError as e:  # Pango missing: said by the first case's result, not as a broken pool
        _WORKER["error"] = e


def _init_worker(config: Config) -> None:
    """Keep the configuration to build with, and import the renderers (once per process).

    The configuration carries its resources (the structure's definitions): nothing to activate.
    """
    from ..documents import render_docx, render_pdf  # noqa: F401  (heavy imports: a no-op after the first)

    _WORKER["config"] = config


def build_case(folder: Path, form_ids: list[str], today: date, known: frozenset[str] = frozenset()) -> CaseOutcome:
    """Load, check and render the given forms of one case; never raises on a case problem.

    `known`: the sent copies the previous build saw (one of them missing now was deleted, not new).
    """
    from ..checking.check import check_case

    if "error" in _WORKER:
        raise _WORKER["error"]
    config: Config = _WORKER["config"]
    outcome = CaseOutcome(folder.name)
    case = check_case(folder, config, today)
    if not case.valid:
        errors = [p for p in case.problems if p.severity == "erreur"]
        outcome.failures.append(Failure(case.id, None, "dossier invalide, aucun document produit",
                                        tuple(p.format() for p in errors[:LISTED_PROBLEMS]),
                                        max(0, len(errors) - LISTED_PROBLEMS)))
        return outcome
    contexts: dict[tuple[tuple[str, ...], date], dict[str, Any]] = {}
    # Every sending of the case, whichever file records it (a form's view may not see them all: the
    # kept copies of another document's sendings must not look like copies no sending names).
    sent = case_sendings(config.resources, case, config.programme)
    for form in load_forms(config.resources, form_ids):
        # The form sees only the files it declares, so its document cannot silently depend on others.
        view = case.restricted(form.files)
        try:
            if _ready(view, form):
                outcome.outputs[form.id] = _render_form(view, form, config, contexts, outcome, known, sent)
            else:
                outcome.outputs[form.id] = []
        except AstreError as e:
            outcome.failures.append(Failure(case.id, form.id, str(e)))
        except OSError as e:  # WeasyPrint writing its fonts into the scratch folder: full disk, no rights
            error = disk_error(e)
            if error is None:
                raise
            outcome.failures.append(Failure(case.id, form.id, str(error)))
    return outcome


def _ready(case: Any, form: Form) -> bool:
    from ..documents.forms import check_form

    return not check_form(case, form)


def _render_form(case: Any, form: Form, config: Config, contexts: dict[tuple[tuple[str, ...], date], dict[str, Any]],
                 outcome: CaseOutcome, known: frozenset[str], sent: CaseSendings) -> list[str]:
    from ..documents.archive import fingerprint, keep
    from ..documents.render_docx import render_docx
    from ..documents.render_pdf import render_pdf
    from ..documents.values import document_values
    from ..model.measure import as_of

    templates = form_templates(form, config)
    for template in (templates.docx, templates.html, templates.stylesheet):
        _refuse_special_template(template)
    author = config.structure.name
    outputs = []
    for name, values, when, title in document_values(case, form, config, contexts):
        with render_bound(templates.docx):
            docx = render_docx(templates.docx, values, when, title, author, templates.docx_bytes)
        with render_bound(templates.html):
            pdf = render_pdf(config.resources, templates.html, templates.search, templates.stylesheet,
                             templates.assets, values, when,
                             title, author, templates.html_text)
        for template, data in ((templates.docx, docx), (templates.html, pdf)):
            if len(data) > RENDER_MAX_BYTES:
                raise RenderError(f"{name} : document trop gros ({len(data) // (1024 * 1024)} Mo, maximum "
                                  f"{RENDER_MAX_BYTES // (1024 * 1024)} Mo) dessiné par le modèle {template} — "
                                  "vérifiez les boucles de ce modèle (un document ASTRE fait quelques pages)")
        # A document already sent stays as sent (cases/<id>/envoyes/): out/ shows what the SPSLH has.
        kept = keep(case.folder, name, sent.by_document.get(name, []), docx, pdf, values,
                    fingerprint(as_of(case, when)), known, sent.stems, sent.committed)
        if kept.warning:
            outcome.warnings.append((case.id, kept.warning))
        if kept.kept is not None:
            outcome.kept.append(_shown(kept.kept, config.root))
        for ext, data in (("docx", kept.docx), ("pdf", kept.pdf)):
            rel = f"{case.id}/{name}.{ext}"
            write_atomic(safe_target(config.output_dir, rel), data)
            outcome.built.append(rel)
            outputs.append(rel)
    return outputs


# Rendering one document (Jinja then Word or WeasyPrint) takes well under 5 s; a structure's
# overridden template that loops for ever, or draws thousands of pages, is stopped here and
# fails that document alone. ASTRE_LIMITE_RENDU (seconds) changes the limit on a very slow machine.
RENDER_SECONDS = 120
RENDER_MAX_BYTES = 50 * 1024 * 1024  # a PDF or DOCX of a few pages weighs well under 1 MB


class _RenderTimeout(BaseException):
    """Raised by the alarm inside a rendering that ran out of time (BaseException: no template code catches it)."""


@contextmanager
def render_bound(template: Path) -> Iterator[None]:
    """Bound the rendering of one document in time and memory; fail it alone, naming `template`, in French.

    The time limit uses the process's alarm, so only in the main thread (pool workers, the CLI);
    a build run from another thread (the watcher's) is bounded in size only.
    """
    import signal
    import threading

    seconds = _render_seconds()
    timed = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()

    def expire(signum: int, frame: Any) -> None:
        raise _RenderTimeout

    previous = signal.signal(signal.SIGALRM, expire) if timed else None
    if timed:
        signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    except _RenderTimeout:
        raise RenderError(f"rendu arrêté après {seconds:g} s avec le modèle {template} — ce modèle boucle ou "
                          "dessine un document démesuré : corrigez-le (ou supprimez-le pour revenir à celui "
                          "d'astre)") from None
    except (MemoryError, RecursionError) as e:
        raise RenderError(f"rendu impossible avec le modèle {template} : "
                          f"{'mémoire épuisée' if isinstance(e, MemoryError) else 'récursion sans fin'} — "
                          "corrigez ce modèle (ou supprimez-le pour revenir à celui d'astre)") from None
    finally:
        if timed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)


def _refuse_special_template(path: Path) -> None:
    """Refuse a template that is a pipe, a device or far too big: reading it would hang or never end."""
    import stat

    try:
        info = path.stat()
    except OSError:
        return  # missing: the renderer says so
    if not stat.S_ISREG(info.st_mode) or info.st_size > RENDER_MAX_BYTES:
        raise RenderError(f"modèle {path} : ce n'est pas un fichier ordinaire de taille raisonnable (tube, "
                          "périphérique, fichier démesuré) — remplacez-le par le vrai modèle, ou supprimez-le pour "
                          "revenir à celui d'astre")


def _render_seconds() -> float:
    try:
        seconds = float(os.environ.get("ASTRE_LIMITE_RENDU", RENDER_SECONDS))
    except ValueError:
        return RENDER_SECONDS
    return seconds if 0 < seconds < 86_400 else RENDER_SECONDS


@dataclass
class FormTemplates:
    """Where one form's templates, stylesheet and assets are (override folder first)."""

    docx: Path
    html: Path
    search: tuple[Path, ...]
    stylesheet: Path
    assets: tuple[Path, ...]
    docx_bytes: bytes | None = None  # drawn from the form's layout (docx is then the layout file)
    html_text: str | None = None


def form_templates(form: Form, config: Config) -> FormTemplates:
    """Resolve the templates of `form`: the structure's own files, else the drawings of its layout."""
    from ..documents.layout import templates_of

    roots = template_roots(config)
    found = templates_of(config.resources, form.layout, form.docx, form.html)
    return FormTemplates(found.docx, found.html, tuple(r / "html" for r in roots if (r / "html").is_dir()),
                         template_path("html", "astre.css", config),
                         tuple(r / "assets" for r in roots if (r / "assets").is_dir()),
                         found.docx_bytes, found.html_text)


def _shown(path: Path, root: Path) -> str:
    """Return `path` relative to the project's folder when inside it (as the référent types it), else as is."""
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)
