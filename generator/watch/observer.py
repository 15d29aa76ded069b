"""Noticing changes for `astre watch`: watchdog observers on the layout's folders.

The handler only turns each event into a Change (generator.engine.changes) and records it;
the watch loop (generator.watch.watch) decides what to rebuild. System notifications
(inotify) are used when possible, polling when their limits are reached or asked for.
"""

from __future__ import annotations

import errno
import os
import traceback
from collections.abc import Callable
from pathlib import Path

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

from ..engine.changes import Change, Layout, seconds
from ..errors import os_reason

# Only these events can mean "content changed": opening or reading a file (as the
# build does with templates) must never wake the watcher.
EVENT_TYPES: list[type[FileSystemEvent]] = [
    FileCreatedEvent, FileModifiedEvent, FileClosedEvent, FileMovedEvent, FileDeletedEvent,
    DirCreatedEvent, DirDeletedEvent, DirMovedEvent,
]


class Recorder(FileSystemEventHandler):
    """The watchdog handler: records changes and wakes the loop, nothing else."""

    def __init__(self, layout: Layout, record: Callable[[Change], None]) -> None:
        """Classify paths with `layout`, pass each change to `record`."""
        self.layout = layout
        self.record = record

    def on_any_event(self, event: FileSystemEvent) -> None:
        """Record what the event's paths mean (a file saved, renamed, deleted…)."""
        # An exception here would kill watchdog's dispatch thread: never let one out.
        try:
            for raw in (event.src_path, getattr(event, "dest_path", "")):
                if raw:
                    change = self.layout.classify(Path(os.fsdecode(raw)), event.is_directory)
                    if change is not None:
                        self.record(change)
        except Exception:  # pragma: no cover - defensive
            traceback.print_exc()


class Observation:
    """The observer of a layout's folders: system notifications, or polling every `poll_interval`."""

    def __init__(self, record: Callable[[Change], None], *, polling: bool, poll_interval: float,
                 factory: Callable[[], BaseObserver] | None, echo: Callable[[str], None]) -> None:
        """Prepare to pass every change to `record`; `echo` says a fall-back to polling."""
        self.record = record
        self.polling = polling
        self.poll_interval = poll_interval
        self.factory = factory or Observer
        self.echo = echo
        self.scheduled: list[tuple[Path, bool]] = []
        self._observer: BaseObserver | None = None

    @property
    def running(self) -> bool:
        """True once started, until stopped."""
        return self._observer is not None

    def start(self, layout: Layout) -> None:
        """Watch `layout`'s folders; fall back to polling when the system's inotify limits are reached."""
        if not self.polling:
            observer = self.factory()
            try:
                self._schedule(observer, layout)
                observer.start()
                self._observer = observer
            except OSError as e:
                if e.errno not in (errno.ENOSPC, errno.EMFILE):
                    raise
                _discard(observer)
                self.polling = True
                self.echo("Limite de surveillance du système atteinte (inotify : "
                          f"{os_reason(e)}) : passage en mode scrutation, les fichiers sont relus "
                          f"toutes les {seconds(self.poll_interval)}. Pour l'éviter, augmentez la limite "
                          "(« sudo sysctl fs.inotify.max_user_watches=524288 ») ou lancez « astre watch --polling ».")
        if self.polling:
            observer = PollingObserver(timeout=self.poll_interval)
            self._schedule(observer, layout)
            observer.start()
            self._observer = observer

    def _schedule(self, observer: BaseObserver, layout: Layout) -> None:
        handler = Recorder(layout, self.record)
        self.scheduled = layout.watches()
        for folder, recursive in self.scheduled:
            observer.schedule(handler, str(folder), recursive=recursive, event_filter=EVENT_TYPES)

    def restart(self, layout: Layout) -> str | None:
        """Watch the folders of a new layout; return the French reason when it had to poll instead."""
        self.stop()
        try:
            self.start(layout)  # falls back to polling itself when inotify runs out
        except OSError as e:
            self.polling = True
            self.start(layout)
            return f"impossible de surveiller les dossiers ({e}) : passage en mode scrutation"
        return None

    def stop(self) -> None:
        """Stop observing; safe to call twice or from another thread."""
        observer, self._observer = self._observer, None
        if observer is not None:
            _discard(observer)


def _discard(observer: BaseObserver) -> None:
    observer.stop()
    if observer.is_alive():
        observer.join(timeout=5)
    else:
        observer.unschedule_all()
