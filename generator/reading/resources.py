"""Where every resource comes from: the structure's own folder first, the toolkit's default else.

The toolkit's defaults ship in the package, as MkDocs ships its themes: the folders
`schemas/`, `forms/` and `templates/` at the top of the toolkit's repository are the
packages `generator.defaults.schemas`, `.forms` and `.templates` of the wheel
(pyproject.toml maps them), and the barèmes are `generator/data/`. They are read
through `importlib.resources`, so an installed astre needs no clone of the toolkit.

A structure overrides any of them by putting a file of the same name in the same
place of its own repository (beside astre.yaml):

    schemas/menage.schema.json        a case file's schema
    forms/contrat.yaml                a document's form; forms/libelles.yaml: the labels
    forms/mises-en-page/contrat.yaml  a document's layout, drawn as both templates (documents.layout)
    templates/docx/contrat.docx       a case document's own Word template (html/ for the PDF), over its layout
    templates/report/rapport.html     the annual report's templates
    templates/assets/…                fonts and images
    baremes/plafonds_anah.yaml        the ANAH ceilings (years added or replaced)

`load_config` makes the structure's `Resources` (`Config.resources`); every reader is given
it, never a process-wide « active » one: two structures can be served side by side.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from importlib import resources as importlib_resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

LABELS_NAME = "libelles.yaml"  # in forms/: the French names of coded values, not a form
# The editor's copy of the schemas in a structure's repository (written by scaffold.editor): the
# `$schema` line of each case file points there, relatively, so that it resolves in any clone.
EDITOR_DIR = Path(".astre") / "schemas"

# kind -> (package holding the default, folder of the override in a structure's repository)
KINDS = {
    "schemas": ("generator.defaults.schemas", "schemas"),
    "forms": ("generator.defaults.forms", "forms"),
    "templates": ("generator.defaults.templates", "templates"),
    "baremes": ("generator.data", "baremes"),
}


@cache
def default_dir(kind: str) -> Path:
    """Return the toolkit's default folder of `kind`, from the installed package."""
    package, _ = KINDS[kind]
    folder = importlib_resources.files(package)
    # pip installs packages unpacked: every default is a real folder, which the
    # renderers (WeasyPrint's base URL, docxtpl) and the watcher need.
    return Path(str(folder)).resolve()


def example_cases() -> Traversable:
    """Return the toolkit's example cases (cases/ of its repository, for `astre init --exemple`).

    In the wheel they are the namespace package generator.defaults.exemples (no __init__.py
    among the cases); an editable install does not map a namespace, so a clone reads its cases/.
    """
    try:
        return importlib_resources.files("generator.defaults.exemples")
    except ModuleNotFoundError:
        return Path(__file__).resolve().parents[2] / "cases"


@dataclass(frozen=True)
class Resources:
    """The folders searched for each kind of resource, the structure's first."""

    root: Path | None = None
    templates_dir: Path | None = None
    # Looked up on every label of every document: each answer is kept for the life of
    # this object (a configuration loaded again makes a new one).
    _found: dict[tuple[str, str], Any] = field(default_factory=dict, compare=False, hash=False, repr=False)

    @classmethod
    def of(cls, root: Path | None, templates_dir: Path | None = None) -> Resources:
        """Return the resources of the structure at `root` (None: the toolkit's defaults only)."""
        return cls(root.resolve() if root is not None else None,
                   templates_dir.resolve() if templates_dir is not None else None)

    def override_dir(self, kind: str) -> Path | None:
        """Return the structure's folder for `kind` (it may not exist)."""
        if self.root is None:
            return None
        if kind == "templates" and self.templates_dir is not None:
            return self.templates_dir
        return self.root / KINDS[kind][1]

    def dirs(self, kind: str) -> tuple[Path, ...]:
        """Return the existing folders of `kind`, in lookup order (override, then default)."""
        key = ("dirs", kind)
        if key not in self._found:
            self._found[key] = self._dirs(kind)
        return self._found[key]  # type: ignore[no-any-return]

    def _dirs(self, kind: str) -> tuple[Path, ...]:
        found = [default_dir(kind)]
        override = self.override_dir(kind)
        if override is not None and override.is_dir():
            found.insert(0, override.resolve())
        # In the toolkit's own clone the override is the default: searched once.
        return tuple(dict.fromkeys(found))

    def find(self, kind: str, relative: str) -> Path | None:
        """Return the first file `relative` of `kind` (override first), or None."""
        key = (kind, relative)
        if key not in self._found:
            self._found[key] = next((folder / relative for folder in self.dirs(kind)
                                     if (folder / relative).is_file()), None)
        return self._found[key]  # type: ignore[no-any-return]

    def stamp(self, kind: str, pattern: str) -> tuple[tuple[Path, int, int], ...]:
        """Return (file, time, size) of the files `pattern` of `kind`, as they were when first asked.

        Caches of what is read from these files are keyed by it: the structure's `Resources`
        made again (the watcher's Definitions.load, after a change on disk) reads the edited ones again.
        """
        key = ("stamp", f"{kind}/{pattern}")
        if key not in self._found:
            stats = ((p, p.stat()) for folder in self.dirs(kind) for p in sorted(folder.glob(pattern)))
            self._found[key] = tuple((p, st.st_mtime_ns, st.st_size) for p, st in stats)
        return self._found[key]  # type: ignore[no-any-return]

    def files(self, kind: str, pattern: str) -> dict[str, Path]:
        """Return {name: file} for `pattern` in every folder of `kind`; the override wins per name."""
        found: dict[str, Path] = {}
        for folder in reversed(self.dirs(kind)):
            for path in sorted(folder.glob(pattern)):
                if path.is_file():
                    found[path.name] = path
        return dict(sorted(found.items()))


DEFAULTS = Resources()  # the toolkit's own definitions only (no structure: tests, a wheel's self-check)
