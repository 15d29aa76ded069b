"""`astre watch`: rebuild the documents touched by each save, and keep watching.

Built like MkDocs' livereload: the watchdog handler only records *what* changed
(a thread-safe set) and wakes the main loop; the loop waits until the changes
stop for a short quiet delay (a burst of saves gives one rebuild), then calls
the incremental build for just what the changes touch. A failed rebuild is
printed, the previous documents stay in place, and watching continues.
"""

from __future__ import annotations

import errno
import os
import re
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from watchdog.events import (
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserver

from . import resources
from .cases import find_case_folders
from .changes import LABELS, Change, Layout, _inside, closest_forms, forms_using
from .config import Config, load_config
from .errors import AstreError
from .french import counted, plural

QUIET_DELAY = 0.1  # seconds without a new change before rebuilding (MkDocs waits 0.1 s)
MAX_DELAY = 1.0  # rebuild anyway after this long, so a continuous stream of saves still rebuilds
POLL_INTERVAL = 0.5  # seconds between two scans in polling mode (MkDocs polls every 0.5 s)

# Only these events can mean "content changed": opening or reading a file (as the
# build does with templates) must never wake the watcher.
EVENT_TYPES: list[type[FileSystemEvent]] = [
    FileCreatedEvent, FileModifiedEvent, FileClosedEvent, FileMovedEvent, FileDeletedEvent,
    DirCreatedEvent, DirDeletedEvent, DirMovedEvent,
]
BuildFunction = Callable[..., Any]


class _Recorder(FileSystemEventHandler):
    """The watchdog handler: records changes and wakes the loop, nothing else."""

    def __init__(self, watcher: Watcher) -> None:
        """Record into `watcher`."""
        self.watcher = watcher

    def on_any_event(self, event: FileSystemEvent) -> None:
        # An exception here would kill watchdog's dispatch thread: never let one out.
        try:
            layout = self.watcher.layout
            for raw in (event.src_path, getattr(event, "dest_path", "")):
                if raw:
                    change = layout.classify(Path(os.fsdecode(raw)), event.is_directory)
                    if change is not None:
                        self.watcher.record(change)
        except Exception:  # pragma: no cover - defensive
            traceback.print_exc()


@dataclass
class Rebuild:
    """What one rebuild did: the changes that caused it, the lines printed, the summaries."""

    changes: set[Change]
    lines: list[str] = field(default_factory=list)
    summaries: list[Any] = field(default_factory=list)
    errors: int = 0
    duration: float = 0.0
    reported: set[tuple[str, str]] = field(default_factory=set, repr=False)

    @property
    def ok(self) -> bool:
        """True when every document could be built."""
        return self.errors == 0


def _seconds(value: float) -> str:
    return f"{value:.2f}".replace(".", ",") + " s"


def _real_build(config: Config, paths: list[Path] | None = None, **options: Any) -> Any:
    from .build import build  # WeasyPrint and docxtpl: imported only when building

    return build(config, paths, **options)


class Watcher:
    """Watch a project's files and rebuild the documents each change touches.

    Usable without a terminal: `start()`, then `run_once(timeout)` in a loop (or
    `run_forever()`), then `stop()`. `build` is injectable (tests use a fake);
    `echo` receives every printed line; `on_rebuild` is called after each rebuild.
    """

    def __init__(self, config: Config, paths: Iterable[Path] = (), *, polling: bool = False,
                 build: BuildFunction | None = None, echo: Callable[[str], None] = print,
                 on_rebuild: Callable[[Rebuild], None] | None = None,
                 quiet: float = QUIET_DELAY,
                 max_delay: float = MAX_DELAY, poll_interval: float = POLL_INTERVAL,
                 observer_factory: Callable[[], BaseObserver] | None = None) -> None:
        """Prepare a watcher of `config`'s project; `paths` restricts it to some cases."""
        self.config = config
        self.paths = [Path(p) for p in paths]
        self.polling = polling
        self.build = build or _real_build
        self.echo = echo
        self.on_rebuild = on_rebuild
        self.layout = Layout.of(config)
        self.quiet = quiet
        self.max_delay = max_delay
        self.poll_interval = poll_interval
        self._observer_factory = observer_factory or Observer
        self._observer: BaseObserver | None = None
        self._scheduled: list[tuple[Path, bool]] = []
        self._lock = threading.Lock()
        self._pending: set[Change] = set()
        self._wake = threading.Event()
        self._stopping = False
        self._scope = {p.resolve() for p in self.paths}
        self.rebuilds = 0
        self.config_valid = True  # False while astre.yaml (or a schema) makes it invalid: nothing is built

    # ------------------------------------------------------------ event side

    def record(self, change: Change) -> None:
        """Remember a change and wake the loop (called from watchdog's thread)."""
        if change.kind in ("case", "unread") and change.name and not self._in_scope(change.name):
            return
        with self._lock:
            self._pending.add(change)
            self._wake.set()

    def _in_scope(self, case_id: str) -> bool:
        """True when the case is among those watched (all of them when no path was given)."""
        folder = (self.config.cases_dir / case_id).resolve()
        return not self._scope or any(_inside(folder, p) or _inside(p, folder) for p in self._scope)

    def _take(self) -> set[Change]:
        with self._lock:
            changes, self._pending = self._pending, set()
            self._wake.clear()
            return changes

    # ------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Start watching; fall back to polling when the system's inotify limits are reached."""
        if not self.polling:
            observer = self._observer_factory()
            try:
                self._schedule(observer)
                observer.start()
                self._observer = observer
            except OSError as e:
                if e.errno not in (errno.ENOSPC, errno.EMFILE):
                    raise
                self._discard(observer)
                self.polling = True
                self.echo("Limite de surveillance du système atteinte (inotify : "
                          f"{os.strerror(e.errno)}) : passage en mode scrutation, les fichiers sont relus "
                          f"toutes les {_seconds(self.poll_interval)}. Pour l'éviter, augmentez la limite "
                          "(« sudo sysctl fs.inotify.max_user_watches=524288 ») ou lancez « astre watch --polling ».")
        if self.polling:
            observer = PollingObserver(timeout=self.poll_interval)
            self._schedule(observer)
            observer.start()
            self._observer = observer

    def _schedule(self, observer: BaseObserver) -> None:
        handler = _Recorder(self)
        self._scheduled = self.layout.watches()
        for folder, recursive in self._scheduled:
            observer.schedule(handler, str(folder), recursive=recursive, event_filter=EVENT_TYPES)

    @staticmethod
    def _discard(observer: BaseObserver) -> None:
        observer.stop()
        if observer.is_alive():
            observer.join(timeout=5)
        else:
            observer.unschedule_all()

    def stop(self) -> None:
        """Stop watching and wake `run_once`; safe to call twice or from another thread."""
        self._stopping = True
        self._wake.set()
        observer, self._observer = self._observer, None
        if observer is not None:
            self._discard(observer)

    def __enter__(self) -> Watcher:
        """Start watching."""
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        """Stop watching."""
        self.stop()

    def describe(self) -> str:
        """Return the French lines printed at start: what is watched, and how to stop."""
        root = self.layout.config_path.parent

        def show(p: Path) -> str:
            return f"{p.relative_to(root)}/" if _inside(p, root) and p != root else f"{p}/"

        cases = show(self.layout.cases_dir)
        if self.paths:
            cases += f" (seulement {', '.join(sorted({(p if p.is_dir() else p.parent).name for p in self.paths}))})"
        folders = [cases] + [show(f) for f in self.layout.folders()[1:] if f.is_dir()]
        mode = (f"scrutation toutes les {_seconds(self.poll_interval)}" if self.polling
                else "notifications du système")
        output = show(self.layout.output_dir)
        return (f"Surveillance de {', '.join(folders)} et {self.layout.config_path.name} ({mode}), "
                f"dans {root}.\nÀ chaque enregistrement, les documents concernés sont regénérés dans {output}"
                "\nArrêt : Ctrl+C.")

    # ------------------------------------------------------------ loop

    def run_forever(self) -> None:
        """Rebuild after each burst of changes until `stop()` (or Ctrl-C)."""
        while not self._stopping:
            self.run_once(timeout=1.0)

    def run_once(self, timeout: float | None = None) -> Rebuild | None:
        """Wait up to `timeout` for changes, let them settle, rebuild; None if nothing changed."""
        if not self._wake.wait(timeout) or self._stopping:
            return None
        first = time.monotonic()
        # Wait until no change came for `quiet` seconds, but no longer than `max_delay`.
        while not self._stopping:
            with self._lock:
                self._wake.clear()
            remaining = self.max_delay - (time.monotonic() - first)
            if remaining <= 0 or not self._wake.wait(min(self.quiet, remaining)):
                break
        changes = self._take()
        if not changes or self._stopping:
            return None
        return self.rebuild(changes)

    def initial_build(self) -> Rebuild:
        """Bring every document of the watched cases up to date (incremental: fast when nothing changed)."""
        return self.rebuild(set(), everything=True)

    # ------------------------------------------------------------ rebuild

    def rebuild(self, changes: set[Change], everything: bool = False) -> Rebuild:
        """Rebuild what `changes` touch, print one line per case, never raise on bad input."""
        started = time.monotonic()
        result = Rebuild(changes)
        self._say_unread(result, changes)
        changes = {c for c in changes if c.kind != "unread"}
        if not changes and not everything:
            return self._finish(result, started)
        kinds = {c.kind for c in changes}
        _forget_definitions(kinds)
        if kinds & {"config", "schema", "layout"} or not self.config_valid:
            # While astre.yaml is invalid nothing is built: neither with the old configuration
            # (not what the file says) nor with the new one (impossible). Every save retries.
            if not self._reload(result, again=not kinds & {"config", "schema", "layout"}):
                return self._finish(result, started)
            everything = True
        jobs: list[tuple[list[Path], list[str] | None]] = []
        cases = self._case_folders(result, None if everything else {c.name for c in changes if c.kind == "case"})
        if everything:
            jobs.append((cases, None))
        else:
            forms = self._touched_forms(changes)
            if forms != []:
                jobs.append((self._case_folders(result, None, quiet=True), forms))
            if cases and forms is not None:
                # The documents drawn from the saved file first (the review being written
                # when bilans.yaml is saved), so the PDF on screen updates sooner; then the rest.
                first = closest_forms(self.layout.forms_dirs, {c.file for c in changes if c.kind == "case"})
                if first:
                    jobs.append((cases, first))
                jobs.append((cases, None))
        for folders, forms in jobs:
            if folders:
                self._run_build(result, folders, forms)
        return self._finish(result, started)

    def _finish(self, result: Rebuild, started: float) -> Rebuild:
        result.duration = time.monotonic() - started
        self.rebuilds += 1
        if self.on_rebuild is not None:
            self.on_rebuild(result)
        return result

    def _say(self, result: Rebuild, text: str) -> None:
        line = f"{datetime.now():%H:%M:%S}  {text}"
        result.lines.append(line)
        self.echo(line)

    def _reload(self, result: Rebuild, again: bool = False) -> bool:
        """Reload astre.yaml and the schemas; False (and the problems printed) when invalid.

        `again`: the configuration was already known invalid and did not change: one line suffices.
        """
        try:
            config = load_config(self.config.path)
        except AstreError as error:
            self.config_valid = False
            result.errors += 1
            name = self.config.path.name
            if again:
                self._say(result, f"{name} invalide : aucun document regénéré tant qu'il n'est pas corrigé")
                return False
            self._say(result, f"{name} : erreur, documents non regénérés — {self._relative(str(error))}")
            for problem in getattr(error, "problems", []):
                self._say_detail(result, self._relative(problem.format()))
            return False
        if not self.config_valid:
            self._say(result, f"{config.path.name} corrigé : tous les documents sont regénérés si besoin")
        self.config_valid = True
        self.config = config
        layout = Layout.of(config)
        changed = layout != self.layout or layout.watches() != self._scheduled
        self.layout = layout
        if changed and self._observer is not None:
            self._restart(result)
        return True

    def _restart(self, result: Rebuild) -> None:
        """Watch the folders of the new layout (a folder appeared, the config moved one)."""
        observer, self._observer = self._observer, None
        if observer is not None:
            self._discard(observer)
        try:
            self.start()  # falls back to polling itself when inotify runs out
        except OSError as e:
            result.errors += 1
            self._say(result, f"impossible de surveiller les dossiers ({e}) : passage en mode scrutation")
            self.polling = True
            self.start()

    def _say_unread(self, result: Rebuild, changes: set[Change]) -> None:
        """Say which saved files the build does not read (a `.yml` is ignored), without building."""
        root = self.layout.config_path.parent
        for change in sorted(c for c in changes if c.kind == "unread"):
            path = Path(change.file)
            if (path if path.is_absolute() else root / path).is_file():
                self._say(result, f"{change.file} : fichier non reconnu, ignoré (seuls les fichiers .yaml sont lus) : "
                                  f"renommez-le « {path.stem}.yaml »")

    def _say_detail(self, result: Rebuild, text: str) -> None:
        for line in str(text).splitlines():
            result.lines.append("          " + line)
            self.echo("          " + line)

    def _case_folders(self, result: Rebuild, ids: set[str] | None, quiet: bool = False) -> list[Path]:
        """Return the case folders to build: the given ids, or every watched case (None)."""
        cases_dir = self.config.cases_dir
        if ids is None:
            try:
                return find_case_folders([p for p in self.paths if p.exists()] or [cases_dir], cases_dir)
            except AstreError as error:
                if not quiet:
                    result.errors += 1
                    self._say(result, f"erreur : {error}")
                return []
        folders = []
        for case_id in sorted(ids):
            folder = cases_dir / case_id
            if not self._in_scope(case_id):
                continue
            if folder.is_dir():
                folders.append(folder)
            else:
                output = self.config.output_dir / case_id
                kept = f" ; ses documents déjà produits restent dans {output}" if output.exists() else ""
                self._say(result, f"{case_id} : dossier {folder} supprimé ou renommé, plus regénéré{kept}")
        return folders

    def _touched_forms(self, changes: set[Change]) -> list[str] | None:
        """Return the form ids to rebuild for every case: [] if none, None for all of them."""
        forms: set[str] = set()
        forms_dirs = self.layout.forms_dirs
        for change in changes:
            if change.kind == "logo":  # in every document
                return None
            if change.kind == "form":
                if change.name == LABELS:  # labels shared by every form
                    return None
                if any((d / f"{change.name}.yaml").exists() for d in forms_dirs):
                    forms.add(change.name)
            elif change.kind == "template":
                users = forms_using(forms_dirs, change.name)
                if users is None:
                    return None
                forms.update(users)
        return sorted(forms)

    def _run_build(self, result: Rebuild, folders: list[Path], forms: list[str] | None) -> None:
        started = time.monotonic()
        try:
            summary = self.build(self.config, folders, forms=forms)
        except AstreError as error:
            result.errors += 1
            self._say(result, f"erreur, documents précédents conservés — {error}")
            for problem in getattr(error, "problems", []):
                self._say_detail(result, problem.format())
            return
        except Exception:
            # A bug, not the user's input: show the traceback but keep watching.
            result.errors += 1
            self._say(result, "erreur inattendue pendant la génération (signalez-la aux développeurs) :")
            self._say_detail(result, traceback.format_exc())
            return
        result.summaries.append(summary)
        self._report(result, summary, folders, forms, time.monotonic() - started)

    def _report(self, result: Rebuild, summary: Any, folders: list[Path], forms: list[str] | None,
                elapsed: float) -> None:
        """Print one line per case: documents rebuilt, or up to date, or its errors."""
        output_dir = self.config.output_dir
        ids = [f.name for f in folders]
        built: dict[str, list[str]] = {}
        for path in map(Path, summary.built):
            try:
                case_id = path.relative_to(output_dir).parts[0]
            except (ValueError, IndexError):
                case_id = path.parent.name
            built.setdefault(case_id, []).append(path.name)
        failed: dict[str, list[str]] = {}
        for key, reason in summary.failed:
            # The build names a failure "<case>" or "<case> (<form>)".
            case_id, _, form = str(key).partition(" (")
            prefix = f"{form.rstrip(')')} : " if form else ""
            failed.setdefault(case_id, []).extend(prefix + line for line in self._lines(str(reason)))
        which = f" ({', '.join(forms)})" if forms else ""
        took = _seconds(elapsed)
        for case_id in ids + sorted(k for k in failed.keys() | built.keys() if k not in ids):
            if case_id in built:
                names = built[case_id]
                self._say(result, f"{case_id} : {counted(len(names), 'document')} "
                                  f"regénéré{plural(len(names))} en {took} ({', '.join(names)})")
            if case_id in failed and not {(case_id, line) for line in failed[case_id]} <= result.reported:
                result.reported.update((case_id, line) for line in failed[case_id])
                result.errors += 1
                self._say(result, f"{case_id} : erreur, les documents déjà produits sont conservés")
                for line in failed[case_id]:
                    self._say_detail(result, line)
            if case_id not in built and case_id not in failed and len(ids) == 1:
                self._say(result, f"{case_id} : documents{which} déjà à jour ({took})")
        if len(ids) > 1 and not built and not failed:
            self._say(result, f"{counted(len(ids), 'dossier')} : documents{which} déjà à jour ({took})")

    def _relative(self, text: str) -> str:
        """Return `text` with the project's paths relative to it, as the user knows them."""
        return text.replace(str(self.layout.config_path.parent) + os.sep, "")

    def _lines(self, reason: str) -> list[str]:
        """Split a failure reason into one located problem per line, paths relative to the project."""
        reason = self._relative(reason)
        head, sep, rest = reason.partition(" : ")
        # "dossier invalide, aucun document produit : p1 ; p2 ; p3" -> one problem per line.
        if sep and rest and re.match(r"\S+\.ya?ml(:\d+)*: ", rest):
            return [head, *re.split(r" ; (?=\S+\.ya?ml(?::\d+)*: )", rest)]
        return reason.splitlines() or [reason]


def _forget_definitions(kinds: set[str]) -> None:
    """Drop what the package caches per process once a definition changed on disk.

    Schemas, form definitions, labels, assets (the logo too) and the build's config are read
    once per process (right for `astre build`, stale for a long-running watcher).
    Dropping every cache of the package is simpler and safer than knowing each one.
    """
    if not kinds & {"schema", "config", "layout", "form", "template", "logo"}:
        return
    resources.refresh()  # a structure's override folder may have appeared or gone
    prefix = __package__ + "."
    for name, module in list(sys.modules.items()):
        if name.startswith(prefix):
            for value in list(vars(module).values()):
                if getattr(value, "__module__", None) == name and callable(getattr(value, "cache_clear", None)):
                    value.cache_clear()
    worker = getattr(sys.modules.get(prefix + "build"), "_WORKER", None)
    if isinstance(worker, dict):
        worker.clear()  # build keeps the last config it was given


def _warm_up(config: Config) -> None:
    """Import the renderers and load the fonts before the first save (about 1 s once, not on that save)."""
    from . import render_docx  # noqa: F401  (docxtpl import)
    from .forms import template_path, template_roots
    from .render_pdf import warm_up

    try:
        assets = tuple(r / "assets" for r in template_roots(config) if (r / "assets").is_dir())
        warm_up(template_path("html", "astre.css", config), assets)
    except (AstreError, OSError):
        pass  # the first real rebuild will report any template problem, located


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def watch(config_path: Path | None, paths: Iterable[Path] = (), *, polling: bool = False,
          echo: Callable[[str], None] = print) -> int:
    """Run `astre watch` until Ctrl-C; return the exit code (0)."""
    config = load_config(config_path)
    paths = list(paths)
    if paths:
        find_case_folders(paths, config.cases_dir)  # refuse a path that does not exist, in French
    watcher = Watcher(config, paths, polling=polling, echo=echo)
    if threading.current_thread() is threading.main_thread():
        # `kill` or a closing terminal session stops as cleanly as Ctrl-C.
        signal.signal(signal.SIGTERM, _interrupt)
    try:
        watcher.start()
        echo(watcher.describe())
        watcher.initial_build()
        _warm_up(watcher.config)
        watcher.run_forever()
    except KeyboardInterrupt:
        pass
    finally:
        watcher.stop()
    echo("Surveillance arrêtée.")
    return 0
