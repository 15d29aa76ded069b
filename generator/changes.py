"""What a changed path means for the watcher: which kind of input, which case, which forms.

Kept apart from the watch loop (generator/watch.py): pure path logic, testable
without any file-system event.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from . import resources
from .config import Config
from .errors import AstreError

IGNORED_DIRS = frozenset({".git", ".hg", ".svn", "__pycache__", ".astre-cache", ".mypy_cache",
                          ".pytest_cache", ".ruff_cache", ".idea", ".vscode", ".venv", "node_modules"})
# What editors write beside the real file before renaming or deleting it: vim's swap
# files and backups, JetBrains' safe-write files, atomic-write temporaries, Emacs and
# LibreOffice locks, Word's owner files, gedit's output streams.
TEMP_SUFFIXES = (".swp", ".swx", ".swo", ".swn", ".tmp", ".temp", ".bak", ".orig", ".part", "~",
                 "___jb_tmp___", "___jb_old___", ".crswap", ".kate-swp", ".new", ".old")
TEMP_PREFIXES = (".#", ".~lock.", "~$", ".goutputstream-", ".")
CASE_SUFFIX = ".yaml"  # the only files the build reads (cases and forms); ".yml" ones are ignored
UNREAD_SUFFIXES = (".yml",)  # said once on save (« fichier non reconnu »), never rebuilt for
LABELS = "libelles"  # forms/libelles.yaml: labels shared by every form, not a form

class Change(NamedTuple):
    """One thing that changed: `kind` is config, schema, form, template, logo, case, layout or unread.

    For a case, `name` is the case id and `file` the case file's stem ("" for the folder).
    For an unread file (a `.yml` the build ignores), `name` is its case id ("" outside
    a case) and `file` the path shown to the user.
    """

    kind: str
    name: str
    file: str = ""


def is_editor_temp(name: str) -> bool:
    """True for files editors write around a save (never our own files)."""
    # vim probes a folder by writing "4913" (then 5036, 5159… if taken).
    return name.isdigit() or name.startswith(TEMP_PREFIXES) or name.endswith(TEMP_SUFFIXES)


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


@dataclass(frozen=True)
class Layout:
    """Where each watched thing lives, resolved, and how a changed path maps to a Change."""

    config_path: Path
    cases_dir: Path
    output_dir: Path
    forms_dirs: tuple[Path, ...]
    templates_dirs: tuple[Path, ...]
    schemas_dirs: tuple[Path, ...]
    logo: Path | None = None

    @classmethod
    def of(cls, config: Config) -> Layout:
        """Return the layout of a project: its config's folders plus the toolkit's own."""
        # Same lookup as generator.resources: the structure's own folders (watched even before
        # they exist, to notice them appear), then the toolkit's.
        found = resources.Resources(config.root.resolve(), config.templates_override)

        def folders(kind: str) -> tuple[Path, ...]:
            override = found.override_dir(kind)
            return tuple(dict.fromkeys([*([override.resolve()] if override else []), *found.dirs(kind)]))

        # The structure's logo is in every document, wherever it lies (often outside templates/).
        logo = config.structure.get("logo") if isinstance(config.data.get("structure"), dict) else None
        return cls(config.path.resolve(), config.cases_dir.resolve(), config.output_dir.resolve(),
                   folders("forms"), folders("templates"), (*folders("schemas"), *folders("baremes")),
                   (config.root / logo).resolve() if isinstance(logo, str) and logo else None)

    def watches(self) -> list[tuple[Path, bool]]:
        """Return (folder, recursive) pairs to schedule.

        The config's folder is watched alone (not recursively: it holds the output
        folder), and so is the logo's. A missing folder is watched through its parent,
        to notice it appear.
        """
        wanted: dict[Path, bool] = {self.config_path.parent: False}
        for folder in self.folders():
            if folder.is_dir():
                wanted[folder] = True
            elif folder.parent.is_dir():
                wanted.setdefault(folder.parent, False)
        if self.logo is not None:
            folder = self.logo.parent
            if folder.is_dir() or folder.parent.is_dir():
                wanted.setdefault(folder if folder.is_dir() else folder.parent, False)
        # A folder inside another recursively watched one needs no watch of its own.
        return [(f, r) for f, r in wanted.items()
                if not any(r2 and f != f2 and _inside(f, f2) for f2, r2 in wanted.items())]

    def folders(self) -> list[Path]:
        """The folders whose appearance or disappearance changes what is watched."""
        return [self.cases_dir, *self.forms_dirs, *self.templates_dirs, *self.schemas_dirs]

    def classify(self, path: Path, is_directory: bool = False) -> Change | None:
        """Return what a changed path means for the documents, or None to ignore it."""
        if _inside(path, self.output_dir) or IGNORED_DIRS.intersection(path.parts):
            return None
        if path == self.config_path:
            return Change("config", path.name)
        if path == self.logo and not is_directory:
            return Change("logo", path.name)
        if is_directory and (path in self.folders() or self.logo is not None and path == self.logo.parent):
            return Change("layout", path.name)
        if not is_directory and is_editor_temp(path.name):
            return None
        if _inside(path, self.cases_dir) and path != self.cases_dir:
            parts = path.relative_to(self.cases_dir).parts
            if parts[0].startswith((".", "_")):
                return None
            if len(parts) == 1 and is_directory:
                return Change("case", parts[0])
            if len(parts) == 2 and path.suffix == CASE_SUFFIX:
                return Change("case", parts[0], path.stem)
            if len(parts) == 2 and path.suffix in UNREAD_SUFFIXES and not is_directory:
                return Change("unread", parts[0], self._shown(path))
            return None
        for folder in self.forms_dirs:
            if _inside(path, folder):
                if path.parent != folder or is_directory:
                    return None
                if path.suffix in UNREAD_SUFFIXES:
                    return Change("unread", "", self._shown(path))
                return Change("form", path.stem) if path.suffix == CASE_SUFFIX else None
        for folder in self.templates_dirs:
            if _inside(path, folder) and path != folder:
                return None if is_directory else Change("template", path.relative_to(folder).as_posix())
        # Schemas and barèmes: every document may depend on them.
        if any(_inside(path, d) for d in self.schemas_dirs) and path.name.endswith((".json", ".yaml")):
            return Change("schema", path.name)
        return None

    def _shown(self, path: Path) -> str:
        """Return `path` as the user sees it: relative to the project when inside it."""
        root = self.config_path.parent
        return path.relative_to(root).as_posix() if _inside(path, root) else str(path)


def forms_using(forms_dirs: Iterable[Path], template: str) -> list[str] | None:
    """Return the ids of the forms whose definition names `template`; None when unsure (all forms)."""
    from .loader import load

    name = template.rsplit("/", 1)[-1]
    users = []
    for path in sorted(p for d in forms_dirs for p in d.glob("*.yaml") if p.stem != LABELS):
        try:
            data = load(path).data
        except AstreError:
            return None
        if any(s == template or s == name or s.endswith("/" + template) for s in _strings(data)):
            users.append(path.stem)
    # A template no form names (a base layout, a style sheet, an image) may be used by all.
    return users or None


def closest_forms(forms_dirs: Iterable[Path], files: set[str]) -> list[str]:
    """Return the forms drawn mainly from these case files (by stem).

    A form is drawn from a file when it repeats over one of its lists
    (`repetition.liste: bilans.bilans`) or takes its date from it first
    (`date_document: [contrat.date_signature, …]`).
    """
    from .loader import load

    files.discard("")
    found = []
    for path in sorted(p for d in forms_dirs for p in d.glob("*.yaml") if p.stem != LABELS):
        try:
            data = load(path).data
        except AstreError:
            continue
        if not isinstance(data, dict):
            continue
        repeat = data.get("repetition")
        dates = data.get("date_document")
        sources = [repeat.get("liste") if isinstance(repeat, dict) else None,
                   dates[0] if isinstance(dates, list) and dates else None]
        if any(isinstance(s, str) and s.split(".")[0] in files for s in sources):
            found.append(path.stem)
    return found


def _strings(data: Any) -> Iterable[str]:
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for value in data.values():
            yield from _strings(value)
    elif isinstance(data, list):
        for value in data:
            yield from _strings(value)
