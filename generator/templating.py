"""The one Jinja environment both renderers use: sandboxed, autoescaping, strict.

A value missing from the context is an error naming the field, never a blank
or « None » in an official document.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined, TemplateError, UndefinedError
from jinja2.sandbox import SandboxedEnvironment

from .errors import RenderError


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


@cache
def make_environment(*search: Path, html: bool = False) -> SandboxedEnvironment:
    """Return the sandboxed environment (HTML templates are looked up in `search`, in order).

    `html`: for the PDF, whose long runs without spaces get break opportunities (`breakable`).
    """
    return SandboxedEnvironment(loader=FileSystemLoader([str(p) for p in search]) if search else None,
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
