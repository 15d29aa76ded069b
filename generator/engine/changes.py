"""What a changed path means for the watcher: which kind of input, which case, which forms.

Kept apart from the watch loop (generator/watch/watch.py): pure logic (a path to a Change,
changes to a Plan of builds), testable without any file-system event.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from ..model.wording import counted, plural
from ..reading.config import Config

if TYPE_CHECKING:
    from .definitions import FormSources

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
LAYOUTS = "mises-en-page"  # forms/mises-en-page/: the layouts (generator.documents.layout)
LABELS = "libelles"  # forms/libelles.yaml: labels shared by every form, not a form
CONFIG_KINDS = frozenset({"config", "schema", "layout"})  # astre.yaml is loaded again, everything rebuilt
DEFINITION_KINDS = CONFIG_KINDS | {"form", "mise_en_page", "template", "logo"}  # the definitions are loaded again


class Change(NamedTuple):
    """One thing that changed: `kind` is config, schema, form, mise_en_page, template, logo, case, layout or unread.

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


def inside(path: Path, folder: Path) -> bool:
    """True when `path` is `folder` or lies inside it."""
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
        # The config's own lookup (Config.resources): the structure's folders (watched even before
        # they exist, to notice them appear), then the toolkit's.
        found = config.resources

        def folders(kind: str) -> tuple[Path, ...]:
            override = found.override_dir(kind)
            return tuple(dict.fromkeys([*([override.resolve()] if override else []), *found.dirs(kind)]))

        # The structure's logo is in every document, wherever it lies (often outside templates/).
        logo = config.structure.logo
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
                if not any(r2 and f != f2 and inside(f, f2) for f2, r2 in wanted.items())]

    def folders(self) -> list[Path]:
        """The folders whose appearance or disappearance changes what is watched."""
        return [self.cases_dir, *self.forms_dirs, *self.templates_dirs, *self.schemas_dirs]

    def classify(self, path: Path, is_directory: bool = False) -> Change | None:
        """Return what a changed path means for the documents, or None to ignore it."""
        if inside(path, self.output_dir) or IGNORED_DIRS.intersection(path.parts):
            return None
        if path == self.config_path:
            return Change("config", path.name)
        if path == self.logo and not is_directory:
            return Change("logo", path.name)
        if is_directory and (path in self.folders() or self.logo is not None and path == self.logo.parent):
            return Change("layout", path.name)
        if not is_directory and is_editor_temp(path.name):
            return None
        if inside(path, self.cases_dir) and path != self.cases_dir:
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
            if inside(path, folder):
                if path.parent != folder or is_directory:
                    # forms/mises-en-page/<nom>.yaml: the layout of the documents drawn from it.
                    if not is_directory and path.parent == folder / LAYOUTS and path.suffix == CASE_SUFFIX:
                        return Change("mise_en_page", path.stem)
                    return None
                if path.suffix in UNREAD_SUFFIXES:
                    return Change("unread", "", self._shown(path))
                return Change("form", path.stem) if path.suffix == CASE_SUFFIX else None
        for folder in self.templates_dirs:
            if inside(path, folder) and path != folder:
                return None if is_directory else Change("template", path.relative_to(folder).as_posix())
        # Schemas and barèmes: every document may depend on them.
        if any(inside(path, d) for d in self.schemas_dirs) and path.name.endswith((".json", ".yaml")):
            return Change("schema", path.name)
        return None

    def _shown(self, path: Path) -> str:
        """Return `path` as the user sees it: relative to the project when inside it."""
        root = self.config_path.parent
        return path.relative_to(root).as_posix() if inside(path, root) else str(path)


class Job(NamedTuple):
    """One build of a rebuild: some forms (None: every form) of the saved cases or of every watched case."""

    every_case: bool
    forms: list[str] | None


@dataclass(frozen=True)
class Plan:
    """What a set of changes rebuilds: the saved cases (None: every watched case), then the builds in order."""

    saved: frozenset[str] | None
    jobs: tuple[Job, ...]


def plan(changes: Iterable[Change], sources: FormSources, everything: bool = False) -> Plan:
    """Return what `changes` rebuild, given the form files in force (after the changes).

    A template or form change rebuilds its forms for every case; a saved case rebuilds
    its documents, those drawn from the saved file first (the review being written when
    bilans.yaml is saved), so the PDF on screen updates sooner.
    """
    if everything:
        return Plan(None, (Job(False, None),))
    changes = list(changes)
    saved = frozenset(c.name for c in changes if c.kind == "case")
    forms = touched_forms(changes, sources)
    jobs = [Job(True, forms)] if forms != [] else []
    if saved and forms is not None:
        first = closest_forms(sources, {c.file for c in changes if c.kind == "case"})
        jobs += [Job(False, first)] if first else []
        jobs.append(Job(False, None))
    return Plan(saved, tuple(jobs))


def touched_forms(changes: Iterable[Change], sources: FormSources) -> list[str] | None:
    """Return the form ids to rebuild for every case: [] if none, None for all of them."""
    forms: set[str] = set()
    for change in changes:
        if change.kind == "logo":  # in every document
            return None
        if change.kind == "form":
            if change.name == LABELS:  # labels shared by every form
                return None
            if change.name in sources.ids:  # a deleted form makes nothing
                forms.add(change.name)
        elif change.kind == "mise_en_page":
            if change.name.startswith("_") or sources.unreadable:  # a shared piece: any layout may include it
                return None
            forms.update(form_id for form_id, data in sources.data.items()
                         if ((data.get("mise_en_page") if isinstance(data, dict) else None) or form_id) == change.name)
        elif change.kind == "template":
            users = forms_using(sources, change.name)
            if users is None:
                return None
            forms.update(users)
    return sorted(forms)


def forms_using(sources: FormSources, template: str) -> list[str] | None:
    """Return the ids of the forms whose definition names `template`; None when unsure (all forms)."""
    if sources.unreadable:
        return None
    name = template.rsplit("/", 1)[-1]
    users = [form_id for form_id, data in sorted(sources.data.items())
             if any(s == template or s == name or s.endswith("/" + template) for s in _strings(data))]
    # A template no form names (a base layout, a style sheet, an image) may be used by all.
    return users or None


def closest_forms(sources: FormSources, files: set[str]) -> list[str]:
    """Return the forms drawn mainly from these case files (by stem).

    A form is drawn from a file when it repeats over one of its lists
    (`repetition.liste: bilans.bilans`) or takes its date from it first
    (`date_document: [contrat.date_signature, …]`).
    """
    files = files - {""}
    found = []
    for form_id, data in sorted(sources.data.items()):
        if not isinstance(data, dict):
            continue
        repeat = data.get("repetition")
        dates = data.get("date_document")
        first = [repeat.get("liste") if isinstance(repeat, dict) else None,
                 dates[0] if isinstance(dates, list) and dates else None]
        if any(isinstance(s, str) and s.split(".")[0] in files for s in first):
            found.append(form_id)
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


# ---------------------------------------------------------------- what the watcher says

def seconds(value: float) -> str:
    """Return a duration as French text: « 0,25 s »."""
    return f"{value:.2f}".replace(".", ",") + " s"


def describe(layout: Layout, paths: list[Path], poll_interval: float | None) -> str:
    """Return the French lines printed at start: what is watched (`poll_interval`: None when notified), how to stop."""
    root = layout.config_path.parent

    def show(p: Path) -> str:
        return f"{p.relative_to(root)}/" if inside(p, root) and p != root else f"{p}/"

    cases = show(layout.cases_dir)
    if paths:
        cases += f" (seulement {', '.join(sorted({(p if p.is_dir() else p.parent).name for p in paths}))})"
    # Only the repository's own folders: astre's defaults (forms, templates, schemas) are watched too, but
    # they lie in the installation (a site-packages path nobody there knows nor edits).
    folders = [cases] + [show(f) for f in layout.folders()[1:] if f.is_dir() and inside(f, root)]
    mode = "notifications du système" if poll_interval is None else f"scrutation toutes les {seconds(poll_interval)}"
    return (f"Surveillance de {', '.join(folders)} et {layout.config_path.name} ({mode}), "
            f"dans {root}.\nÀ chaque enregistrement, les documents concernés sont regénérés dans "
            f"{show(layout.output_dir)}\nArrêt : Ctrl+C.")


class Said(NamedTuple):
    """A line the watcher prints about a case, its detail lines (indented), and whether it is a failure."""

    case_id: str
    text: str
    details: tuple[str, ...] = ()
    failure: bool = False


def build_report(built: Iterable[Path], failures: Iterable[Any], ids: list[str], forms: list[str] | None,
                 took: str, output_dir: Path) -> list[Said]:
    """Return one line per case of a build: documents rebuilt, or up to date, or its failures (engine.build)."""
    made: dict[str, list[str]] = {}
    for path in map(Path, built):
        try:
            case_id = path.relative_to(output_dir).parts[0]
        except (ValueError, IndexError):
            case_id = path.parent.name
        made.setdefault(case_id, []).append(path.name)
    failed: dict[str, list[str]] = {}
    for failure in failures:
        failed.setdefault(failure.case_id, []).extend(failure.lines())
    which = f" ({', '.join(forms)})" if forms else ""
    said = []
    for case_id in ids + sorted(k for k in failed.keys() | made.keys() if k not in ids):
        if case_id in made:
            names = made[case_id]
            said.append(Said(case_id, f"{case_id} : {counted(len(names), 'document')} "
                                      f"regénéré{plural(len(names))} en {took} ({', '.join(names)})"))
        if case_id in failed:
            said.append(Said(case_id, f"{case_id} : erreur, les documents déjà produits sont conservés",
                             tuple(failed[case_id]), failure=True))
        if case_id not in made and case_id not in failed and len(ids) == 1:
            said.append(Said(case_id, f"{case_id} : documents{which} déjà à jour ({took})"))
    if len(ids) > 1 and not made and not failed:
        said.append(Said("", f"{counted(len(ids), 'dossier')} : documents{which} déjà à jour ({took})"))
    return said
