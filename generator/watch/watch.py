"""`astre watch`: rebuild the documents touched by each save, and keep watching.

Built like MkDocs' livereload: the watchdog handler (generator.watch.observer) only records
*what* changed (a thread-safe set) and wakes the main loop; the loop waits until the
changes stop for a short quiet delay (a burst of saves gives one rebuild), then asks
generator.engine.changes what they rebuild, and calls the incremental build for just that.
The definitions (configuration, forms, templates) are loaded again after a change of
any of them and handed to the build. A failed rebuild is printed, the previous
documents stay in place, and watching continues.
"""

from __future__ import annotations

import os
import signal
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from watchdog.observers.api import BaseObserver

from ..engine.changes import (
    CONFIG_KINDS,
    DEFINITION_KINDS,
    Change,
    Layout,
    build_report,
    describe,
    inside,
    plan,
    seconds,
)
from ..engine.definitions import Definitions
from ..errors import AstreError, BuildLockedError
from ..reading.cases import find_case_folders
from ..reading.config import Config, load_config
from .observer import Observation

QUIET_DELAY = 0.1  # seconds without a new change before rebuilding (MkDocs waits 0.1 s)
MAX_DELAY = 1.0  # rebuild anyway after this long, so a continuous stream of saves still rebuilds
POLL_INTERVAL = 0.5  # seconds between two scans in polling mode (MkDocs polls every 0.5 s)
LOCK_RETRY = 2.0  # seconds before building again changes another build's lock refused
BuildFunction = Callable[..., Any]


@dataclass
class Rebuild:
    """What one rebuild did: the changes that caused it, the lines printed, the summaries."""

    changes: set[Change]
    lines: list[str] = field(default_factory=list)
    summaries: list[Any] = field(default_factory=list)
    errors: int = 0
    duration: float = 0.0
    reported: set[tuple[str, str]] = field(default_factory=set, repr=False)
    echo: Callable[[str], None] = field(default=print, repr=False)

    @property
    def ok(self) -> bool:
        """True when every document could be built."""
        return self.errors == 0

    def say(self, text: str, details: Iterable[str] = ()) -> None:
        """Print a line, timed, then its details indented (one line each)."""
        for line in [f"{datetime.now():%H:%M:%S}  {text}",
                     *("          " + line for detail in details for line in str(detail).splitlines())]:
            self.lines.append(line)
            self.echo(line)

    def fail(self, text: str, details: Iterable[str] = ()) -> None:
        """Say a failure: the rebuild is not ok."""
        self.errors += 1
        self.say(text, details)


def _real_build(config: Config, paths: list[Path] | None = None, **options: Any) -> Any:
    from ..engine.build import build  # WeasyPrint and docxtpl: imported only when building

    return build(config, paths, **options)


class Watcher:
    """Watch a project's files and rebuild the documents each change touches.

    Usable without a terminal: `start()`, then `run_once(timeout)` in a loop (or
    `run_forever()`), then `stop()`. `build` is injectable (tests use a fake);
    `echo` receives every printed line; `on_rebuild` is called after each rebuild.
    """

    def __init__(self, config: Config, paths: Iterable[Path] = (), *, polling: bool = False,
                 build: BuildFunction | None = None, echo: Callable[[str], None] = print,
                 on_rebuild: Callable[[Rebuild], None] | None = None, quiet: float = QUIET_DELAY,
                 max_delay: float = MAX_DELAY, poll_interval: float = POLL_INTERVAL,
                 observer_factory: Callable[[], BaseObserver] | None = None) -> None:
        """Prepare a watcher of `config`'s project; `paths` restricts it to some cases."""
        self.definitions = Definitions(config)
        self.paths = [Path(p) for p in paths]
        self.build = build or _real_build
        self.echo = echo
        self.on_rebuild = on_rebuild
        self.layout = Layout.of(config)
        self.quiet = quiet
        self.max_delay = max_delay
        self.observation = Observation(self.record, polling=polling, poll_interval=poll_interval,
                                       factory=observer_factory, echo=echo)
        self._lock = threading.Lock()
        self._pending: set[Change] = set()
        self._locked = False  # the last build was refused by another one's lock
        self._wake = threading.Event()
        self._stopping = False
        self._scope = {p.resolve() for p in self.paths}
        self.rebuilds = 0
        self.config_valid = True  # False while astre.yaml (or a schema) makes it invalid: nothing is built

    @property
    def config(self) -> Config:
        """The configuration the documents are built with (the last valid astre.yaml)."""
        return self.definitions.config

    @property
    def polling(self) -> bool:
        """True when files are scanned instead of notified (asked for, or inotify ran out)."""
        return self.observation.polling

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
        return not self._scope or any(inside(folder, p) or inside(p, folder) for p in self._scope)

    # ------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Start watching; fall back to polling when the system's inotify limits are reached."""
        self.observation.start(self.layout)

    def stop(self) -> None:
        """Stop watching and wake `run_once`; safe to call twice or from another thread."""
        self._stopping = True
        self._wake.set()
        self.observation.stop()

    def __enter__(self) -> Watcher:
        """Start watching."""
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        """Stop watching."""
        self.stop()

    def describe(self) -> str:
        """Return the French lines printed at start: what is watched, and how to stop."""
        return describe(self.layout, self.paths, self.observation.poll_interval if self.polling else None)

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
        with self._lock:
            changes, self._pending = self._pending, set()
            self._wake.clear()
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
        result = Rebuild(changes, echo=self.echo)
        self._say_unread(result, changes)
        changes = {c for c in changes if c.kind != "unread"}
        self._locked = False
        if changes or everything:
            self._run(result, changes, everything)
        if self._locked and changes:  # refused by the lock: the same changes are built again a little later
            with self._lock:
                self._pending |= changes
            retry = threading.Timer(LOCK_RETRY, self._wake.set)
            retry.daemon = True
            retry.start()
        result.duration = time.monotonic() - started
        self.rebuilds += 1
        if self.on_rebuild is not None:
            self.on_rebuild(result)
        return result

    def _run(self, result: Rebuild, changes: set[Change], everything: bool) -> None:
        """Load the definitions again if they changed, then run the builds the changes call for."""
        kinds = {c.kind for c in changes}
        if kinds & CONFIG_KINDS or not self.config_valid:
            # While astre.yaml is invalid nothing is built: neither with the old configuration
            # (not what the file says) nor with the new one (impossible). Every save retries.
            if not self._reload(result, again=not kinds & CONFIG_KINDS):
                return
            everything = True
        elif kinds & DEFINITION_KINDS:  # a form, a template, the logo: read again by the next build
            self.definitions = Definitions.load(self.config)
        todo = plan(changes, self.definitions.form_sources, everything)
        saved = self._case_folders(result, None if todo.saved is None else set(todo.saved))
        for job in todo.jobs:
            folders = self._case_folders(result, None, quiet=True) if job.every_case else saved
            if folders:
                self._run_build(result, folders, job.forms)

    def _reload(self, result: Rebuild, again: bool = False) -> bool:
        """Reload astre.yaml and the definitions; False (and the problems printed) when invalid.

        `again`: the configuration was already known invalid and did not change: one line suffices.
        """
        try:
            config = load_config(self.config.path)
        except AstreError as error:
            self.config_valid = False
            name = self.config.path.name
            if again:
                result.fail(f"{name} invalide : aucun document regénéré tant qu'il n'est pas corrigé")
            else:
                result.fail(f"{name} : erreur, documents non regénérés — {self._relative(str(error))}",
                            [self._relative(p.format()) for p in getattr(error, "problems", [])])
            return False
        if not self.config_valid:
            result.say(f"{config.path.name} corrigé : tous les documents sont regénérés si besoin")
        self.config_valid = True
        self.definitions = Definitions(config)
        layout, self.layout = self.layout, Layout.of(config)
        if (layout != self.layout or self.layout.watches() != self.observation.scheduled) \
                and self.observation.running:  # a folder appeared, or the config moved one
            refused = self.observation.restart(self.layout)
            if refused:
                result.fail(refused)
        return True

    def _case_folders(self, result: Rebuild, ids: set[str] | None, quiet: bool = False) -> list[Path]:
        """Return the case folders to build: the given ids, or every watched case (None)."""
        cases_dir = self.config.cases_dir
        if ids is None:
            try:
                return find_case_folders([p for p in self.paths if p.exists()] or [cases_dir], cases_dir)
            except AstreError as error:
                if not quiet:
                    result.fail(f"erreur : {error}")
                return []
        folders = []
        for case_id in sorted(i for i in ids if self._in_scope(i)):
            folder = cases_dir / case_id
            if folder.is_dir():
                folders.append(folder)
            else:
                output = self.config.output_dir / case_id
                kept = f" ; ses documents déjà produits restent dans {output}" if output.exists() else ""
                result.say(f"{case_id} : dossier {folder} supprimé ou renommé, plus regénéré{kept}")
        return folders

    def _run_build(self, result: Rebuild, folders: list[Path], forms: list[str] | None) -> None:
        started = time.monotonic()
        try:
            summary = self.build(self.config, folders, forms=forms, definitions=self.definitions)
        except BuildLockedError as error:  # another build (make docs, a second watcher) holds out/: try again
            result.fail(f"{error} — nouvel essai dans {LOCK_RETRY:g} s")
            self._locked = True
            return
        except AstreError as error:
            result.fail(f"erreur, documents précédents conservés — {error}",
                        [p.format() for p in getattr(error, "problems", [])])
            return
        except Exception:  # a bug, not the user's input: show the traceback but keep watching
            result.fail("erreur inattendue pendant la génération (signalez-la aux développeurs) :",
                        [traceback.format_exc()])
            return
        result.summaries.append(summary)
        # A fake build's summary may have no failures.
        report = build_report(summary.built, getattr(summary, "failures", ()), [f.name for f in folders], forms,
                              seconds(time.monotonic() - started), self.config.output_dir)
        for said in report:
            details = [self._relative(line) for line in said.details]
            if not said.failure:
                result.say(said.text, details)
            # A case failing in the first build of a rebuild (its saved file's forms) is said once.
            elif not {(said.case_id, line) for line in details} <= result.reported:
                result.reported.update((said.case_id, line) for line in details)
                result.fail(said.text, details)

    # ------------------------------------------------------------ printing

    def _say_unread(self, result: Rebuild, changes: set[Change]) -> None:
        """Say which saved files the build does not read (a `.yml` is ignored), without building."""
        root = self.layout.config_path.parent
        for change in sorted(c for c in changes if c.kind == "unread"):
            path = Path(change.file)
            if (path if path.is_absolute() else root / path).is_file():
                result.say(f"{change.file} : fichier non reconnu, ignoré (seuls les fichiers .yaml sont lus) : "
                           f"renommez-le « {path.stem}.yaml »")

    def _relative(self, text: str) -> str:
        """Return `text` with the project's paths relative to it, as the user knows them."""
        return text.replace(str(self.layout.config_path.parent) + os.sep, "")


def _warm_up(config: Config) -> None:
    """Import the renderers and load the fonts before the first save (about 1 s once, not on that save)."""
    from ..documents import render_docx  # noqa: F401  (docxtpl import)
    from ..documents.forms import template_path, template_roots
    from ..documents.render_pdf import warm_up

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
