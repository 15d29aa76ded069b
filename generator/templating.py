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


@cache
def make_environment(*search: Path) -> SandboxedEnvironment:
    """Return the sandboxed environment (HTML templates are looked up in `search`, in order)."""
    return SandboxedEnvironment(loader=FileSystemLoader([str(p) for p in search]) if search else None,
                                autoescape=True, undefined=StrictUndefined, finalize=_finalize,
                                keep_trailing_newline=True)


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
