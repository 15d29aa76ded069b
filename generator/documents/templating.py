"""The one Jinja environment both renderers use: sandboxed, autoescaping, strict.

A value missing from the context is an error naming the field, never a blank
or « None » in an official document.
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, DictLoader, FileSystemLoader, StrictUndefined, TemplateError, UndefinedError
from jinja2.sandbox import SandboxedEnvironment

from ..errors import RenderError


def _finalize(value: Any) -> Any:
    # `None` printed in an official document is always a bug of the context or the template.
    if value is None:
        raise RenderError("valeur vide (None) affichée par le modèle : protégez-la avec {% if %}")
    return value


# WeasyPrint ends a line only where the text allows it: in a run of thousands of characters
# with no break opportunity (a pasted 50 000-character « word »), it lays out the whole rest
# of the run again for each line, and one document takes 30 s. In the PDF, such a run gets
# an invisible break opportunity (zero-width space) every RUN characters; shorter words,
# e-mail addresses and most links are left as they are. The DOCX keeps the text untouched.
RUN = 40
_LONG_RUN = re.compile(rf"\S{{{RUN + 1},}}")


def breakable(text: str) -> str:
    """Return `text` with a zero-width space every RUN characters of a longer run without spaces."""
    if len(text) <= RUN:
        return text
    return _LONG_RUN.sub(lambda m: "\u200b".join(m[0][i:i + RUN] for i in range(0, len(m[0]), RUN)), text)


def _finalize_html(value: Any) -> Any:
    value = _finalize(value)
    return breakable(value) if type(value) is str else value  # Markup (already HTML) is left alone


class _Environment(SandboxedEnvironment):
    """The sandboxed environment, compiling each distinct template text once (docxtpl's `from_string`).

    docxtpl compiles every part of a Word template at every render; the compiled template
    depends only on the text (and this environment's fixed settings), so it is kept,
    keyed by the text: a changed template is a new text, never a stale entry. Bounded for
    a long-lived process (the watcher).
    """

    MAX_COMPILED = 256

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._compiled: dict[tuple[str, bool], Any] = {}

    def from_string(self, source: Any, globals: Any = None, template_class: Any = None) -> Any:  # noqa: A002
        if globals is not None or template_class is not None or not isinstance(source, str):
            return super().from_string(source, globals, template_class)
        key = (source, bool(self.autoescape))  # docxtpl sets autoescape on the environment
        template = self._compiled.get(key)
        if template is None:
            if len(self._compiled) >= self.MAX_COMPILED:
                self._compiled.clear()
            template = self._compiled[key] = super().from_string(source)
        return template


@cache
def make_environment(*search: Path, html: bool = False,
                     pieces: tuple[tuple[str, str], ...] = ()) -> SandboxedEnvironment:
    """Return the sandboxed environment (HTML templates are looked up in `search`, in order, then in `pieces`).

    `html`: for the PDF, whose long runs without spaces get break opportunities (`breakable`).
    `pieces`: (name, text) of templates drawn in memory, used when no file of that name is found.
    """
    loader: Any = FileSystemLoader([str(p) for p in search]) if search else None
    if pieces:
        loader = ChoiceLoader([*([loader] if loader else []), DictLoader(dict(pieces))])
    return _Environment(loader=loader,
                        autoescape=True, undefined=StrictUndefined,
                        finalize=_finalize_html if html else _finalize, keep_trailing_newline=True)


def explain(error: TemplateError, template: Path) -> str:
    """Return a French message for a Jinja error, naming the missing field when there is one."""
    if isinstance(error, UndefinedError):
        match = re.search(r"has no attribute '([^']+)'|'([^']+)' is undefined", str(error))
        name = next((g for g in match.groups() if g), "?") if match else "?"
        return (f"{template.name} : le modèle affiche « {name} », absent des données du document "
                "(vérifiez l'orthographe du champ dans le modèle, ou complétez le dossier)")
    line = getattr(error, "lineno", None)
    where = f", ligne {line}" if line else ""
    return f"{template.name}{where} : modèle invalide ({error.__class__.__name__} : {error})"


@contextmanager
def rendering(template: Path) -> Iterator[None]:
    """Turn whatever fails while `template` renders into a RenderError naming the template (and line).

    Besides Jinja's own errors, an expression of a structure's template can raise anything
    (`{{ 1 / 0 }}`, a filter given the wrong type): that is a broken template, so only the
    documents made from it fail, with a located message; the build goes on.
    """
    try:
        yield
    except RenderError as e:
        raise RenderError(f"{template.name} : {e}") from None
    except TemplateError as e:
        raise RenderError(explain(e, template)) from None
    except Exception as e:  # noqa: BLE001 - any error of a template's expression is the template's
        raise RenderError(f"{_where(e, template)}: modèle invalide ({e.__class__.__name__} : {e}) — corrigez "
                          "cette ligne du modèle, ou retirez-le pour revenir au modèle d'astre") from e


def _where(error: Exception, template: Path) -> str:
    """Return `file:line` of the template line that raised `error` (Jinja puts it in the traceback)."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if not f.filename.endswith(".py")]
    if not frames:
        return str(template)
    frame = frames[-1]
    # A DOCX template is rendered from its XML text (« <template> »): its line numbers mean nothing to a user.
    return str(template) if frame.filename.startswith("<") else f"{frame.filename}:{frame.lineno}"
