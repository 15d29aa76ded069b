"""The definitions: what every document is made from besides its case, as one object.

astre.yaml (loaded and checked), the resource folders in force (the structure's
overrides, then the toolkit's: forms, labels, templates, schemas, barèmes) and the
forms read from them. `astre build` loads them once and hands them down: nothing is read
from a process-wide « active » structure. The watcher loads them again after a change of any
of them and hands the new object to the next build: what is read from the files is keyed by
their stamp (generator.reading.resources), so nothing needs clearing.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from ..errors import AstreError
from ..reading.config import Config
from ..reading.forms import Form, load_forms
from ..reading.resources import LABELS_NAME, Resources


@dataclass(frozen=True)
class FormSources:
    """The form files in force, read as plain data: what the watcher needs to tell what a change rebuilds."""

    data: dict[str, Any]  # form id -> the file's content (the structure's file wins over the toolkit's)
    unreadable: frozenset[str] = frozenset()  # form ids whose file cannot be read

    @property
    def ids(self) -> frozenset[str]:
        """Every form id with a file, readable or not."""
        return frozenset(self.data) | self.unreadable


@dataclass(frozen=True)
class Definitions:
    """The configuration of a structure and the resources in force for it, loaded at one moment."""

    config: Config  # its `resources`: where the forms, labels, templates, schemas and barèmes are read

    @classmethod
    def load(cls, config: Config) -> Definitions:
        """Return the definitions of `config`'s structure as the disk holds them now (read afresh)."""
        return cls(Config(config.path, config.data))

    @property
    def resources(self) -> Resources:
        """The resource folders in force for this structure, the structure's own first."""
        return self.config.resources

    def forms(self, only: list[str] | None = None) -> list[Form]:
        """Return the forms (every one, or only the ids in `only`); FormError when one is invalid."""
        return load_forms(self.resources, only)

    @cached_property
    def form_sources(self) -> FormSources:
        """Return the form files in force, read once for these definitions."""
        from ..reading.loader import load

        data: dict[str, Any] = {}
        unreadable: set[str] = set()
        for name, path in self.resources.files("forms", "*.yaml").items():
            if name == LABELS_NAME:
                continue
            try:
                data[path.stem] = load(path).data
            except AstreError:
                unreadable.add(path.stem)
        return FormSources(data, frozenset(unreadable))
