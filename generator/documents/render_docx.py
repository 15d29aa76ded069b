"""DOCX rendering with docxtpl, in a sandboxed, autoescaping, strict Jinja environment."""

from __future__ import annotations

import zipfile
from datetime import date, datetime
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any

from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage

from ..errors import RenderError
from .templating import make_environment, rendering
from .writer import docx_bytes

# A Word template is a zip: what it unpacks to is capped before docxtpl opens it, so that a
# « zip bomb » (a few kB that unpack to gigabytes) fails its own documents instead of the machine.
# astre's templates unpack to less than 100 kB; a structure's, with images, to a few MB.
MAX_UNPACKED = 50 * 1024 * 1024
MAX_MEMBERS = 1000


@cache
def _template_bytes(path: Path, mtime_ns: int) -> bytes:
    """Return the bytes of a Word template, once checked to be a reasonable zip."""
    source = path.read_bytes()
    try:
        with zipfile.ZipFile(BytesIO(source)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as e:
        raise RenderError(f"{path} : modèle Word invalide (ce n'est pas un fichier .docx) — enregistrez-le "
                          "depuis Word au format « Document Word (.docx) », ou retirez-le pour revenir au "
                          "modèle d'astre") from e
    # zipfile stops each member at its declared size (and checks its CRC), so the declared sizes bound it.
    unpacked = sum(m.file_size for m in members)
    if len(members) > MAX_MEMBERS or unpacked > MAX_UNPACKED:
        raise RenderError(f"{path} : modèle Word refusé : il se décompresse en {len(members)} fichiers et "
                          f"{unpacked / (1024 * 1024):.0f} Mo (au plus {MAX_MEMBERS} fichiers et "
                          f"{MAX_UNPACKED // (1024 * 1024)} Mo) — allégez-le (images plus petites) ou retirez-le "
                          "pour revenir au modèle d'astre")
    return source


# Each part of a Word template (body, headers, footers, properties) is cleaned (patch_xml)
# and compiled by Jinja at every render: both depend only on the part's XML text, so each
# is kept per process, keyed by that text (a changed template is new text: nothing stale).
# Bounded for a long-lived process (the watcher): beyond MAX_CACHED texts, start over.
MAX_CACHED = 256
_PATCHED: dict[str, str] = {}


class _Template(DocxTemplate):  # type: ignore[misc]
    """docxtpl's template, cleaning each distinct part text once per process."""

    def patch_xml(self, src_xml: str) -> str:
        patched = _PATCHED.get(src_xml)
        if patched is None:
            if len(_PATCHED) >= MAX_CACHED:
                _PATCHED.clear()
            patched = _PATCHED[src_xml] = super().patch_xml(src_xml)
        return patched


def _paragraphs(value: Any) -> Any:
    r"""Turn the blank line between two paragraphs of a text into a Word paragraph break (docxtpl's « \a »)."""
    if isinstance(value, str):
        return value.replace("\n\n", "\a")
    if isinstance(value, dict):
        return {k: _paragraphs(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_paragraphs(v) for v in value]
    return value


def render_docx(template: Path, context: dict[str, Any], when: date, title: str, author: str,
                source: bytes | None = None) -> bytes:
    """Return the bytes of the DOCX made from `template` and `context` (reproducible).

    `source`: the template's bytes when drawn from a layout (`template` is then the layout file, named in errors).
    """
    if source is None:
        source = _template_bytes(template, template.stat().st_mtime_ns)
    doc = _Template(BytesIO(source))
    values = _paragraphs(context)
    logo = context["structure"].get("logo")
    try:
        doc.init_docx()
    except Exception as e:  # noqa: BLE001 - a zip that is no Word document: python-docx raises anything
        raise RenderError(f"{template} : modèle Word invalide ({e.__class__.__name__} : {e}) — enregistrez-le "
                          "depuis Word au format « Document Word (.docx) », ou retirez-le pour revenir au "
                          "modèle d'astre") from e
    values["logo_image"] = InlineImage(doc, logo, height=Mm(16)) if logo else ""
    with rendering(template):
        doc.render(values, jinja_env=make_environment(), autoescape=True)
    core = doc.docx.core_properties
    stamp = datetime(when.year, when.month, when.day)
    core.created = core.modified = core.last_printed = stamp
    core.revision = 1
    core.title, core.author, core.last_modified_by = title[:255], author[:255], author[:255]
    core.language = "fr-FR"
    return docx_bytes(doc.docx)
