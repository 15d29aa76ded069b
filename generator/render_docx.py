"""DOCX rendering with docxtpl, in a sandboxed, autoescaping, strict Jinja environment."""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any

from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage
from jinja2 import TemplateError

from .errors import RenderError
from .templating import explain, make_environment
from .writer import docx_bytes


@cache
def _template_bytes(path: Path, mtime_ns: int) -> bytes:
    return path.read_bytes()


def _paragraphs(value: Any) -> Any:
    r"""Turn the blank line between two paragraphs of a text into a Word paragraph break (docxtpl's « \a »)."""
    if isinstance(value, str):
        return value.replace("\n\n", "\a")
    if isinstance(value, dict):
        return {k: _paragraphs(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_paragraphs(v) for v in value]
    return value


def render_docx(template: Path, context: dict[str, Any], when: date, title: str, author: str) -> bytes:
    """Return the bytes of the DOCX made from `template` and `context` (reproducible)."""
    source = _template_bytes(template, template.stat().st_mtime_ns)
    doc = DocxTemplate(BytesIO(source))
    values = _paragraphs(context)
    logo = context["structure"].get("logo")
    try:
        doc.init_docx()
        values["logo_image"] = InlineImage(doc, logo, height=Mm(16)) if logo else ""
        doc.render(values, jinja_env=make_environment(), autoescape=True)
    except RenderError as e:
        raise RenderError(f"{template.name} : {e}") from None
    except TemplateError as e:
        raise RenderError(explain(e, template)) from None
    core = doc.docx.core_properties
    stamp = datetime(when.year, when.month, when.day)
    core.created = core.modified = core.last_printed = stamp
    core.revision = 1
    core.title, core.author, core.last_modified_by = title[:255], author[:255], author[:255]
    core.language = "fr-FR"
    return docx_bytes(doc.docx)
