"""One layout per document (forms/mises-en-page/<nom>.yaml), drawn twice: the PDF's HTML and the Word template.

A layout is a list of blocks in French (en-tete, titre, sous-titre, texte, gras, champs,
tableau, liste, liste-numerotee, si/alors/sinon-si/sinon, pour/blocs, inclure, ensemble,
signatures, graphique), checked against mise-en-page.schema.json. Its texts hold the
values as Jinja expressions (`{{ menage.designation }}`, inline `{% if %}`), written once
and used by both drawings: `html_template` returns the Jinja HTML that WeasyPrint
renders, `docx_template` the docxtpl Word template (python-docx: Liberation Sans,
fr-FR, A4, page N / M in the footer, reproducible bytes).

Both are made in memory, once per process for a given layout text (a forkserver worker
inherits the defaults made by its server: `warm`). A structure's own
templates/docx/<x>.docx or templates/html/<x>.html still wins (see `sources`), and
`astre modeles` writes these defaults into its templates/ folder to restyle them.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from html import escape
from io import BytesIO
from pathlib import Path
from typing import Any

from ..errors import FormError, YamlError
from ..reading import resources
from ..reading.forms import load_forms
from ..reading.loader import load
from ..reading.resources import Resources
from ..reading.validate import type_words

FORMS = "forms"
FOLDER = "mises-en-page"
SCHEMA_NAME = "mise-en-page.schema.json"
FONT = "Liberation Sans"
LANG = "fr-FR"
# Block keys, as a structure writes them (the schema lists the same).
BLOCKS = ("en-tete", "titre", "sous-titre", "texte", "gras", "champs", "tableau", "liste", "liste-numerotee",
          "si", "pour", "inclure", "ensemble", "signatures", "graphique")
_JINJA = re.compile(r"(\{\{.*?\}\}|\{%.*?%\})", re.S)
_BOLD = re.compile(r"\*\*(.+?)\*\*", re.S)


@dataclass(frozen=True)
class Layout:
    """A layout with its pieces included: the blocks, the files read, and a digest of their texts."""

    name: str
    path: Path
    blocks: tuple[Any, ...]
    files: tuple[Path, ...]
    digest: str


# ---------------------------------------------------------------- reading

def layout_path(sources: Resources, name: str) -> Path | None:
    """Return the layout file `name` (the structure's forms/mises-en-page/ first), or None."""
    return sources.find("forms", f"{FOLDER}/{name}.yaml")


def load_layout(sources: Resources, name: str) -> Layout:
    """Return the layout `name` with its included pieces; raise FormError (French, located) when broken."""
    path = layout_path(sources, name)
    if path is None:
        raise FormError(f"mise en page introuvable : {FOLDER}/{name}.yaml (cherchée dans "
                        f"{', '.join(str(d / FOLDER) for d in sources.dirs('forms'))})")
    stamp = sources.stamp("forms", f"{FOLDER}/*.yaml")
    return _load_layout(sources, name, path, stamp)


@cache
def _load_layout(sources: Resources, name: str, path: Path, stamp: tuple[tuple[Path, int, int], ...]) -> Layout:
    files: list[Path] = []
    blocks = _expand(sources, _read_blocks(sources, path), path, files, (path,))
    digest = hashlib.sha256(b"".join(p.read_bytes() + b"\0" for p in files)).hexdigest()
    return Layout(name, path, tuple(blocks), tuple(files), digest)


def _read_blocks(sources: Resources, path: Path) -> list[Any]:
    try:
        document = load(path)
    except YamlError as e:
        raise FormError(f"mise en page illisible : {e}") from None
    errors = list(_validator(sources).iter_errors(document.data))
    if errors:
        error = max(errors, key=lambda e: len(e.absolute_path))  # the deepest: the block at fault
        line, column = document.locate(tuple(error.absolute_path))
        raise FormError(f"{path}:{line}:{column}: mise en page invalide : {_french(error)} — corrigez ce bloc "
                        f"(blocs possibles : {', '.join(BLOCKS)}), ou retirez le fichier pour revenir à la "
                        "mise en page d'astre")
    for where in _mixed(document.data, ()):
        line, column = document.locate(where)
        kinds = [k for k in BLOCKS if k in _at(document.data, where)]
        raise FormError(f"{path}:{line}:{column}: mise en page invalide : un bloc a une seule sorte, celui-ci en a "
                        f"{len(kinds)} ({', '.join(kinds)}) — séparez-les en deux éléments de la liste (« - »)")
    return list(document.data)


def _mixed(blocks: list[Any], where: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    """Return where the blocks of more than one kind are (`titre:` and `texte:` in one list item)."""
    found = []
    for index, block in enumerate(blocks):
        here = (*where, index)
        if sum(k in block for k in BLOCKS) > 1:
            found.append(here)
        for key in ("alors", "sinon", "blocs", "ensemble"):
            if isinstance(block.get(key), list):
                found += _mixed(block[key], (*here, key))
        for number, other in enumerate(block.get("sinon-si", [])):
            found += _mixed(other["alors"], (*here, "sinon-si", number, "alors"))
    return found


def _at(data: Any, where: tuple[Any, ...]) -> Any:
    for step in where:
        data = data[step]
    return data


@cache
def _validator(sources: Resources) -> Any:
    from jsonschema import Draft202012Validator

    path = sources.find("forms", f"{FOLDER}/{SCHEMA_NAME}") or (
        resources.default_dir("forms") / FOLDER / SCHEMA_NAME)
    return Draft202012Validator(json.loads(path.read_text(encoding="utf-8")))


def _french(error: Any) -> str:
    """Return a French reading of a jsonschema error."""
    where = ".".join(str(p) for p in error.absolute_path if not isinstance(p, int))  # line:column say which item
    at = f"« {where} » " if where else ""
    if error.validator == "additionalProperties":
        extra = re.findall(r"'([^']+)'", error.message)
        return f"{at}clé inconnue « {', '.join(extra)} »"
    if error.validator == "required":
        return f"{at}il manque la clé « {str(error.message).split(chr(39))[1]} »"
    if error.validator == "type":
        return f"{at}doit être {type_words(error.validator_value)}"
    if error.validator in ("minProperties", "maxProperties"):
        return f"{at}un bloc a exactement une sorte (par exemple « texte: … »)"
    if error.validator == "dependentRequired":
        block = error.instance if isinstance(error.instance, dict) else {}
        pairs = [(key, need) for key, needs in error.validator_value.items() if key in block
                 for need in needs if need not in block]
        return f"{at}" + " ; ".join(f"il manque « {need} » à côté de « {key} »" for key, need in pairs)
    if error.validator == "minItems":
        return f"{at}la liste est vide"
    if error.validator == "minLength":
        return f"{at}texte vide : écrivez le texte, ou retirez le bloc"
    if error.validator == "pattern":
        return f"{at}valeur mal formée ({error.instance!r})"
    if error.validator in ("enum", "const"):
        return f"{at}valeur non prévue ({error.instance!r})"
    return f"{at}ne convient pas à la mise en page (règle « {error.validator} » de {SCHEMA_NAME})"


def _expand(sources: Resources, blocks: list[Any], path: Path, files: list[Path], seen: tuple[Path, ...]) -> list[Any]:
    """Return `blocks` with each `inclure` replaced by the blocks of its piece (recursively)."""
    if path not in files:
        files.append(path)
    out: list[Any] = []
    for block in blocks:
        if "inclure" in block:
            piece = layout_path(sources, block["inclure"])
            if piece is None:
                raise FormError(f"{path} : morceau inclus introuvable : {FOLDER}/{block['inclure']}.yaml")
            if piece in seen:
                raise FormError(f"{path} : « inclure: {block['inclure']} » s'inclut lui-même")
            out.extend(_expand(sources, _read_blocks(sources, piece), piece, files, (*seen, piece)))
        elif "si" in block:
            new = dict(block)
            new["alors"] = _expand(sources, block["alors"], path, files, seen)
            new["sinon-si"] = [dict(b, alors=_expand(sources, b["alors"], path, files, seen))
                               for b in block.get("sinon-si", [])]
            if "sinon" in block:
                new["sinon"] = _expand(sources, block["sinon"], path, files, seen)
            out.append(new)
        elif "pour" in block or "ensemble" in block:
            key = "blocs" if "pour" in block else "ensemble"
            out.append(dict(block, **{key: _expand(sources, block[key], path, files, seen)}))
        else:
            out.append(block)
    return out


def _kind(block: dict[str, Any]) -> str:
    return next(k for k in BLOCKS if k in block)


# ---------------------------------------------------------------- HTML (the PDF)

def _inline_html(text: str) -> str:
    """Escape the literal parts of `text` (never its Jinja), then turn **…** into <strong>."""
    parts = _JINJA.split(str(text))
    escaped = "".join(p if i % 2 else escape(p, quote=False) for i, p in enumerate(parts))
    return _BOLD.sub(r"<strong>\1</strong>", escaped)


def html_template(layout: Layout) -> str:
    """Return the Jinja HTML template of `layout` (self-contained: no include, no extends)."""
    key = ("html", layout.digest)
    if key not in _DRAWN:
        _bound(_DRAWN)
        _DRAWN[key] = _html(layout.blocks)
    return str(_DRAWN[key])


# Drawings kept per process, keyed by the layout's texts (an edited layout is a new key).
_DRAWN: dict[tuple[str, str], str | bytes] = {}
_PIECES: dict[str, tuple[tuple[str, str], ...]] = {}
MAX_DRAWN = 256  # a long-lived process (the watcher) drawing edited layouts again and again: start over


def _bound(kept: dict[Any, Any]) -> None:
    if len(kept) >= MAX_DRAWN:
        kept.clear()


def _html(blocks: tuple[Any, ...]) -> str:
    head: dict[str, Any] = next((b["en-tete"] for b in blocks if "en-tete" in b), {})
    title = head.get("titre", "{{ document.titre }}")
    out = ['<!DOCTYPE html>\n<html lang="fr">\n<head>\n<meta charset="utf-8">\n',
           f"<title>{_inline_html(title)}</title>\n", "</head>\n<body>\n"]
    _html_blocks(blocks, out)
    out.append("</body>\n</html>\n")
    return "".join(out)


def _html_blocks(blocks: Any, out: list[str]) -> None:
    for block in blocks:
        kind = _kind(block)
        value = block[kind]
        if kind == "en-tete":
            out.append(_HTML_LETTERHEAD)
            out.append(f'<p class="reference">{_inline_html(value["reference"])}</p>\n')
            out.append(f'<h1>{_inline_html(value.get("titre", "{{ document.titre }}"))}</h1>\n')
            out.extend(f"<p>{_inline_html(line)}</p>\n" for line in value.get("lignes", []))
        elif kind == "titre":
            out.append(f"<h2>{_inline_html(value)}</h2>\n")
        elif kind == "sous-titre":
            out.append(f"<h3>{_inline_html(value)}</h3>\n")
        elif kind == "texte":
            note = ' note' if block.get("note") else ""
            out.append(f'<p class="texte{note}">{_inline_html(value)}</p>\n')
        elif kind == "gras":
            out.append(f'<p class="texte"><strong>{_inline_html(value)}</strong></p>\n')
        elif kind == "champs":
            out.append("<dl>\n")
            for row in value:
                pair = f"<div><dt>{_inline_html(row['libelle'])}</dt><dd>{_inline_html(row['valeur'])}</dd></div>"
                out.append(f"{{% for {row['pour']} %}}{pair}{{% endfor %}}\n" if "pour" in row else f"{pair}\n")
            out.append("</dl>\n")
        elif kind == "tableau":
            _html_table(value, out)
        elif kind in ("liste", "liste-numerotee"):
            tag = "ol" if kind == "liste-numerotee" else "ul"
            css = f' class="{value["classe"]}"' if value.get("classe") else ""
            out.append(f"<{tag}{css}>{{% for {value['pour']} %}}<li>{_inline_html(value['element'])}</li>"
                       f"{{% endfor %}}</{tag}>\n")
        elif kind == "si":
            out.append(f"{{% if {value} %}}\n")
            _html_blocks(block["alors"], out)
            for other in block.get("sinon-si", []):
                out.append(f"{{% elif {other['si']} %}}\n")
                _html_blocks(other["alors"], out)
            if "sinon" in block:
                out.append("{% else %}\n")
                _html_blocks(block["sinon"], out)
            out.append("{% endif %}\n")
        elif kind == "pour":
            css = f' class="{block["classe"]}"' if block.get("classe") else ""
            out.append(f"{{% for {value} %}}\n" + (f"<section{css}>\n" if css else ""))
            _html_blocks(block["blocs"], out)
            out.append(("</section>\n" if css else "") + "{% endfor %}\n")
        elif kind == "ensemble":
            out.append('<div class="signe">\n')
            _html_blocks(value, out)
            out.append("</div>\n")
        elif kind == "signatures":
            out.append('<div class="signatures">\n')
            for who in value:
                who_html = f"{_inline_html(who['qui'])}<br>{_inline_html(who['nom'])}"
                out.append(f"  <div>{who_html}<br><br>Signature :</div>\n")
            out.append("</div>\n")
        elif kind == "graphique":
            out.append(_HTML_CHART.replace("CHART", value["valeurs"]).replace("LABEL", value["libelle"]))


_HTML_LETTERHEAD = """<header class="entete{% if structure.logo %} avec-logo{% endif %}">
  <div class="logo">{% if structure.logo %}<img src="logo.png" alt="Logo de {{ structure.nom }}">{% endif %}</div>
  <div class="structure">
    <strong>{{ structure.nom }}</strong><br>
    {% for ligne in structure.adresse %}{{ ligne }}<br>{% endfor %}
    {% if structure.telephone %}Tél. {{ structure.telephone }}{% endif %}{% if structure.courriel %} — {{ structure.courriel }}{% endif %}
  </div>
  <div class="destinataire">
    {{ programme.financeur }}<br>{{ programme.service }}<br>
    {{ programme.nom }}
  </div>
</header>
"""  # noqa: E501
# A bar chart drawn by the PDF only (the Word document keeps the table above it).
_HTML_CHART = """{% set g = CHART %}<svg class="graphique" width="170mm" height="{{ g.height }}mm" viewBox="0 0 170 {{ g.height }}" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{{ LABEL }}">
{% for b in g.bars %}<text x="0" y="{{ b.text_y }}" font-size="3.2" font-family="Liberation Sans">{{ b.label }}</text><rect x="64" y="{{ b.y }}" width="{{ b.width }}" height="5" fill="#1f4e79"/><text x="{{ b.value_x }}" y="{{ b.text_y }}" font-size="3.2" font-family="Liberation Sans">{{ b.value }}</text>
{% endfor %}
</svg>
"""  # noqa: E501


def _html_table(table: dict[str, Any], out: list[str]) -> None:
    columns = table["colonnes"]
    amount = "nombre" if table.get("nombres") else "montant"

    def cell(tag: str, text: str, column: dict[str, Any], span: int = 1) -> str:
        css = f' class="{amount}"' if column.get("montant") else ""
        colspan = f' colspan="{span}"' if span > 1 else ""
        return f"<{tag}{colspan}{css}>{_inline_html(text)}</{tag}>"

    css = f' class="{table["classe"]}"' if table.get("classe") else ""
    out.append(f"<table{css}>\n")
    if table.get("largeurs"):
        out.append("<colgroup>" + "".join(f'<col style="width: {w}%">' for w in table["largeurs"]) + "</colgroup>\n")
    if table.get("entete", True):
        out.append("  <thead><tr>" + "".join(cell("th", c["titre"], c) for c in columns) + "</tr></thead>\n")
    out.append("  <tbody>\n")
    row_css = ' class="total"' if table.get("gras") else (
        f'{{% if {table["total_si"]} %}} class="total"{{% endif %}}' if table.get("total_si") else "")
    cells = "".join(cell("td", c["valeur"], c) for c in columns)
    out.append(f"  {{% for {table['pour']} %}}<tr{row_css}>{cells}</tr>{{% endfor %}}\n")
    for total in table.get("totaux", []):
        values = total.get("valeurs", [])
        span = len(columns) - len(values)
        label = cell("td", total["libelle"], columns[0], span)
        rest = "".join(cell("td", v, c) for v, c in zip(values, columns[span:], strict=True))
        out.append(f'  <tr class="total">{label}{rest}</tr>\n')
    out.append("  </tbody>\n</table>\n")


# ---------------------------------------------------------------- DOCX (docxtpl)

def docx_template(layout: Layout) -> bytes:
    """Return the docxtpl Word template of `layout` (the same bytes for the same layout)."""
    key = ("docx", layout.digest)
    if key not in _DRAWN:
        _bound(_DRAWN)
        _DRAWN[key] = _Word().draw(layout.blocks)
    return _DRAWN[key]  # type: ignore[return-value]


class _Word:
    """Writes blocks into a python-docx document whose texts are docxtpl tags."""

    BLUE = (0x1F, 0x4E, 0x79)

    def __init__(self) -> None:
        self.doc = _new_document()

    def draw(self, blocks: Any) -> bytes:
        from .writer import docx_bytes

        self.blocks(blocks)
        core = self.doc.core_properties
        # Fixed dates: the same layout gives the same bytes (each document then gets its own dates).
        core.created = core.modified = core.last_printed = datetime(2026, 1, 1, tzinfo=UTC)
        core.revision = 1
        return docx_bytes(self.doc)

    def blocks(self, blocks: Any) -> None:
        for block in blocks:
            kind = _kind(block)
            getattr(self, "_" + kind.replace("-", "_"))(block[kind], block)

    # -- paragraphs
    def para(self, text: str, style: str | None = None, bold: bool = False) -> Any:
        paragraph = self.doc.add_paragraph()
        if style is not None:
            # By id, in the XML: python-docx's look-up by name scans every style, and costs most of the drawing.
            paragraph._p.get_or_add_pPr().style = _STYLE_IDS[style]
        _runs(paragraph, text, bold)
        return paragraph

    def tag(self, text: str) -> None:
        self.doc.add_paragraph(f"{{%p {text} %}}")

    def _titre(self, text: str, block: dict[str, Any]) -> None:
        self.para(text, "Heading 1")

    def _sous_titre(self, text: str, block: dict[str, Any]) -> None:
        self.para(text, "Heading 2")

    def _texte(self, text: str, block: dict[str, Any]) -> None:
        self.para(text)

    def _gras(self, text: str, block: dict[str, Any]) -> None:
        self.para(text, bold=True)

    def _liste(self, value: dict[str, Any], block: dict[str, Any], style: str = "List Bullet") -> None:
        self.tag(f"for {value['pour']}")
        self.para(value["element"], style)
        self.tag("endfor")

    def _liste_numerotee(self, value: dict[str, Any], block: dict[str, Any]) -> None:
        self._liste(value, block, "List Number")

    def _si(self, condition: str, block: dict[str, Any]) -> None:
        self.tag(f"if {condition}")
        self.blocks(block["alors"])
        for other in block.get("sinon-si", []):
            self.tag(f"elif {other['si']}")
            self.blocks(other["alors"])
        if "sinon" in block:
            self.tag("else")
            self.blocks(block["sinon"])
        self.tag("endif")

    def _pour(self, loop: str, block: dict[str, Any]) -> None:
        self.tag(f"for {loop}")
        self.blocks(block["blocs"])
        self.tag("endfor")

    def _inclure(self, name: str, block: dict[str, Any]) -> None:  # pragma: no cover - expanded on reading
        raise AssertionError(name)

    def _graphique(self, value: dict[str, Any], block: dict[str, Any]) -> None:
        """The chart is the PDF's: the Word document shows its table only."""

    def _ensemble(self, blocks: list[Any], block: dict[str, Any]) -> None:
        """Blocks kept on one page together, with what follows (the signatures under their terms)."""
        start = len(self.doc.paragraphs)
        self.blocks(blocks)
        for paragraph in self.doc.paragraphs[start:]:
            if not paragraph.text.startswith("{%p"):
                paragraph.paragraph_format.keep_with_next = True

    # -- tables
    def _grid(self, rows: int, cols: int) -> Any:
        table = self.doc.add_table(rows=rows, cols=cols)
        table._tbl.tblPr.style = _STYLE_IDS["Table Grid"]
        return table

    def _champs(self, rows: list[dict[str, Any]], block: dict[str, Any]) -> None:
        from docx.shared import Mm

        table = self._grid(0, 2)
        for row in rows:
            if "pour" in row:
                table.add_row().cells[0].text = f"{{%tr for {row['pour']} %}}"
            cells = table.add_row().cells
            _runs(cells[0].paragraphs[0], row["libelle"], True)
            _runs(cells[1].paragraphs[0], row["valeur"])
            cells[0].width, cells[1].width = Mm(55), Mm(119)
            _cant_split(table.rows[-1])
            if "pour" in row:
                table.add_row().cells[0].text = "{%tr endfor %}"
        self.doc.add_paragraph()

    def _tableau(self, value: dict[str, Any], block: dict[str, Any]) -> None:
        from docx.enum.table import WD_TABLE_ALIGNMENT
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.shared import Mm

        columns = value["colonnes"]
        totals = value.get("totaux", [])
        header = value.get("entete", True)
        table = self._grid(1 if header else 0, len(columns))
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        if header:
            for cell, column in zip(table.rows[0].cells, columns, strict=True):
                _runs(cell.paragraphs[0], column["titre"], True)
            _cant_split(table.rows[0], keep_with_next=True, header=True)
        table.add_row().cells[0].text = f"{{%tr for {value['pour']} %}}"
        row = table.add_row()
        for cell, column in zip(row.cells, columns, strict=True):
            _runs(cell.paragraphs[0], column["valeur"], bool(value.get("gras")))
        # Each row stays whole, but the rows do not keep together: a long table starts where it is, it
        # never leaves the rest of a page blank (docxtpl repeats this row: keeping it with the next one
        # would glue the whole table into one block).
        _cant_split(row)
        table.add_row().cells[0].text = "{%tr endfor %}"
        for index, total in enumerate(totals):
            row = table.add_row()
            values = total.get("valeurs", [])
            texts = [total["libelle"]] + [""] * (len(columns) - len(values) - 1) + list(values)
            for cell, text in zip(row.cells, texts, strict=True):
                _runs(cell.paragraphs[0], text, True)
            _cant_split(row, keep_with_next=index < len(totals) - 1)
        widths = [Mm(174 * w / 100) for w in value.get("largeurs", [])]
        if widths:  # the grid's widths (Word and LibreOffice lay out from them) and each cell's
            table.autofit = False
            for column_of_grid, width in zip(table.columns, widths, strict=True):
                column_of_grid.width = width
        for row in table.rows:
            for index, (cell, column) in enumerate(zip(row.cells, columns, strict=True)):
                if column.get("montant"):
                    cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
                if widths:
                    cell.width = widths[index]
        self.doc.add_paragraph()

    def _signatures(self, people: list[dict[str, Any]], block: dict[str, Any]) -> None:
        table = self._grid(1, len(people))
        _cant_split(table.rows[0])
        for cell, who in zip(table.rows[0].cells, people, strict=True):
            _runs(cell.paragraphs[0], who["qui"], True)
            cell.add_paragraph(who["nom"])
            for text in ("", "Signature :", "", ""):
                cell.add_paragraph(text)

    def _en_tete(self, value: dict[str, Any], block: dict[str, Any]) -> None:
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.shared import Mm, Pt

        table = self.doc.add_table(rows=1, cols=3)
        logo, structure, recipient = table.rows[0].cells
        logo.text = "{% if structure.logo %}{{ logo_image }}{% endif %}"
        logo.width, structure.width, recipient.width = Mm(25), Mm(85), Mm(64)
        _cant_split(table.rows[0])
        structure.paragraphs[0].add_run("{{ structure.nom }}").bold = True
        structure.add_paragraph("{% for ligne in structure.adresse %}{{ ligne }} {% endfor %}")
        structure.add_paragraph("{% if structure.telephone %}Tél. {{ structure.telephone }}{% endif %}"
                                "{% if structure.courriel %} — {{ structure.courriel }}{% endif %}")
        recipient.text = "{{ programme.financeur }}"
        recipient.add_paragraph("{{ programme.service }}")
        recipient.add_paragraph("{{ programme.nom }}")
        self.para(value.get("titre", "{{ document.titre }}"), "Title")
        for line in value.get("lignes", []):
            self.para(line)
        # « Référence — page N / M », like the PDF's page footer.
        footer = self.doc.sections[0].footer.paragraphs[0]
        footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
        footer.add_run(value["reference"] + " — page ")
        _field(footer, "PAGE")
        footer.add_run(" / ")
        _field(footer, "NUMPAGES")
        for run in footer.runs:
            run.font.size = Pt(8)


_STYLE_IDS = {"Title": "Title", "Heading 1": "Heading1", "Heading 2": "Heading2", "List Bullet": "ListBullet",
              "List Number": "ListNumber", "Table Grid": "TableGrid"}


def _runs(paragraph: Any, text: str, bold: bool = False) -> None:
    """Add `text` to `paragraph`, **…** as bold runs."""
    for index, part in enumerate(_BOLD.split(str(text))):
        if part:
            paragraph.add_run(part).bold = True if bold or index % 2 else None


def _new_document() -> Any:
    from docx import Document
    from docx.shared import Mm

    doc = Document()
    section = doc.sections[0]
    section.page_height, section.page_width = Mm(297), Mm(210)
    section.left_margin = section.right_margin = Mm(18)
    section.top_margin, section.bottom_margin = Mm(18), Mm(20)
    style_fonts(doc)
    core = doc.core_properties
    core.author = core.last_modified_by = "astre"
    core.title, core.comments, core.keywords, core.subject = "", "", "", ""
    return doc


def style_fonts(doc: Any) -> None:
    """Liberation Sans in every style, blue headings that stay with what follows, French everywhere."""
    from docx.shared import RGBColor

    blue = RGBColor(*_Word.BLUE)
    _font(doc.styles["Normal"], 10)
    for name, size in (("Title", 16), ("Heading 1", 12), ("Heading 2", 10.5)):
        _font(doc.styles[name], size, True, blue)
        doc.styles[name].paragraph_format.keep_with_next = True  # a heading never ends a page
    for name in ("Table Grid", "List Bullet", "List Number"):
        _font(doc.styles[name])
    _french_and_liberation(doc)


def _font(style: Any, size: float | None = None, bold: bool | None = None, color: Any = None) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt

    style.font.name = FONT
    fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), FONT)
    if size:
        style.font.size = Pt(size)
    if bold is not None:
        style.font.bold = bold
    if color is not None:
        style.font.color.rgb = color


_THEME_FONTS = re.compile(rb' w:(?:ascii|hAnsi|eastAsia|cs)[Tt]heme="[^"]*"')


def _french_and_liberation(doc: Any) -> None:
    """French everywhere, and Liberation Sans written out in every style (no theme font to fall back to)."""
    from docx.oxml.ns import qn

    styles = doc.styles.element
    defaults = styles.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    defaults.find(qn("w:lang")).set(qn("w:val"), LANG)
    defaults.find(qn("w:lang")).set(qn("w:eastAsia"), LANG)
    for fonts in styles.iter(qn("w:rFonts")):
        for attr in list(fonts.attrib):
            if attr.endswith(("Theme", "theme")):
                del fonts.attrib[attr]
        for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
            fonts.set(qn(attr), FONT)
    doc.settings.element.find(qn("w:themeFontLang")).set(qn("w:val"), LANG)
    doc.settings.element.find(qn("w:themeFontLang")).set(qn("w:eastAsia"), LANG)
    for part in doc.part.package.parts:
        name = str(part.partname)
        if name == "/word/stylesWithEffects.xml":  # Word 2010's copy of the styles
            blob = _THEME_FONTS.sub(b"", part.blob).replace(b'w:val="en-US" w:eastAsia="en-US"',
                                                            b'w:val="fr-FR" w:eastAsia="fr-FR"')
            part._blob = blob.replace(b"<w:rFonts/>", b"")
        elif name == "/docProps/app.xml":
            part._blob = re.sub(rb"<Application>[^<]*</Application>", b"<Application>astre</Application>", part.blob)


def _field(paragraph: Any, instruction: str) -> None:
    """Append a Word field (PAGE, NUMPAGES) to `paragraph`: Word and LibreOffice compute it."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    for kind, text in (("begin", None), (None, f" {instruction} "), ("separate", None), (None, "1"), ("end", None)):
        run = paragraph.add_run()
        if kind:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), kind)
            run._r.append(char)
        elif text == "1":
            run.text = text
        else:
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = text
            run._r.append(instr)


def _cant_split(row: Any, keep_with_next: bool = False, header: bool = False) -> None:
    """A table row stays whole on one page; `keep_with_next` also keeps it with the following row."""
    from docx.oxml import OxmlElement

    props = row._tr.get_or_add_trPr()
    props.append(OxmlElement("w:cantSplit"))
    if header:
        props.append(OxmlElement("w:tblHeader"))  # repeated at the top of each page
    if keep_with_next:
        for cell in row.cells:
            for paragraph in cell.paragraphs:
                paragraph.paragraph_format.keep_with_next = True


# ---------------------------------------------------------------- what a document is drawn with

@dataclass(frozen=True)
class Sources:
    """A document's two templates: a structure's own file (path, no text) or a layout's drawing (text)."""

    docx: Path
    html: Path
    docx_bytes: bytes | None = None
    html_text: str | None = None
    inputs: tuple[Path, ...] = ()


def templates_of(sources: Resources, layout_name: str, docx_name: str, html_name: str, kind: str = "") -> Sources:
    """Return the templates of a document: a hand-made file of the templates folders wins over the layout.

    `kind`: the templates sub-folder of the hand-made files (docx/ and html/ for case documents,
    report/ for the report and the funding statement).
    """
    docx_file = sources.find("templates", f"{kind or 'docx'}/{docx_name}")
    html_file = sources.find("templates", f"{kind or 'html'}/{html_name}")
    layout = _needed(sources, layout_name, docx_name, html_name,
                     kind) if docx_file is None or html_file is None else None
    return Sources(docx=docx_file or (layout.path if layout else Path(docx_name)),
                   html=html_file or (layout.path if layout else Path(html_name)),
                   docx_bytes=docx_template(layout) if layout and docx_file is None else None,
                   html_text=html_template(layout) if layout and html_file is None else None,
                   inputs=tuple(p for p in (docx_file, html_file) if p) + (layout.files if layout else ()))


def layout_inputs(sources: Resources, layout_name: str, docx_name: str, html_name: str, kind: str = "") -> list[Path]:
    """Return the files a document's templates are made from (for the build's fingerprint)."""
    files = [sources.find("templates", f"{kind or 'docx'}/{docx_name}"),
             sources.find("templates", f"{kind or 'html'}/{html_name}")]
    if None in files:
        files += list(_needed(sources, layout_name, docx_name, html_name, kind).files)
    return [p for p in files if p is not None]


def _needed(sources: Resources, layout_name: str, docx_name: str, html_name: str, kind: str) -> Layout:
    """Return the layout a document is drawn from, or say in French that it has neither templates nor layout."""
    if layout_path(sources, layout_name) is None:
        raise FormError(f"document sans modèles ni mise en page : ni templates/{kind or 'docx'}/{docx_name} et "
                        f"templates/{kind or 'html'}/{html_name}, ni {FORMS}/{FOLDER}/{layout_name}.yaml — "
                        "écrivez sa mise en page (modèle : une de celles d'astre, « astre modeles » pour les "
                        "modèles Word et HTML)")
    return load_layout(sources, layout_name)


def html_pieces(sources: Resources) -> tuple[tuple[str, str], ...]:
    """Return the HTML pieces a structure's own HTML template may extend or include, drawn from the layouts.

    Before layouts, astre shipped them as files: `base.html` (letterhead and `{% block contenu %}`),
    `_entete.html`, `_financement.html`, `_bilan.html`, and the report's `_page.html`, `_titre.html`,
    `_transmission.html`. A template written for them keeps working.
    """
    names = sorted({p.stem for d in sources.dirs("forms") if (d / FOLDER).is_dir()
                    for p in (d / FOLDER).glob("_*.yaml")})
    key = "\0".join(load_layout(sources, n).digest for n in names)
    if key not in _PIECES:
        _bound(_PIECES)
        pieces = {f"{n}.html": _fragment(load_layout(sources, n).blocks) for n in names}
        block = "{% block contenu %}{% endblock %}\n"
        pieces["base.html"] = _html(tuple(load_layout(sources, "_entete").blocks) + ({"texte": block},)).replace(
            f'<p class="texte">{block}</p>\n', block)
        pieces["_titre.html"] = pieces.pop("_titre-rapport.html", "")
        pieces["_page.html"] = pieces["base.html"].replace(pieces["_entete.html"], pieces["_titre.html"])
        pieces["_entete.html"] = pieces["html/_entete.html"] = _HTML_LETTERHEAD
        _PIECES[key] = tuple(sorted(pieces.items()))
    return _PIECES[key]


def _fragment(blocks: tuple[Any, ...]) -> str:
    out: list[str] = []
    _html_blocks(blocks, out)
    return "".join(out)


def layout_names(sources: Resources) -> list[str]:
    """Return the layouts of whole documents (not the shared pieces, whose name starts with « _ »)."""
    names = {p.stem for d in sources.dirs("forms") if (d / FOLDER).is_dir()
             for p in (d / FOLDER).glob("*.yaml") if not p.name.startswith("_")}
    return sorted(names)


def warm(sources: Resources) -> None:
    """Draw the layouts of the forms now (the build's fork server: its workers inherit the drawings)."""
    for name in sorted({form.layout for form in load_forms(sources)}):
        layout = load_layout(sources, name)
        html_template(layout)
        docx_template(layout)


def write_defaults(sources: Resources, target: Path, names: list[tuple[str, str, str, str]]) -> list[Path]:
    """Write the drawings of the layouts into `target` (templates/), never over an existing file.

    `names`: (layout, docx file, html file, sub-folder or "") of each document. Returns the files written.
    """
    written = []
    for layout_name, docx_name, html_name, kind in names:
        layout = load_layout(sources, layout_name)
        for folder, name, data in ((kind or "docx", docx_name, docx_template(layout)),
                                   (kind or "html", html_name, html_template(layout).encode())):
            path = target / folder / name
            if path.exists():
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            written.append(path)
    return written


def docx_text(data: bytes) -> str:
    """Return the text of a Word file (paragraphs and table cells, in order): for tests and comparisons."""
    import docx

    document = docx.Document(BytesIO(data))
    lines: list[str] = []
    for item in document.iter_inner_content():
        if hasattr(item, "rows"):
            lines.extend(" | ".join(cell.text for cell in row.cells) for row in item.rows)
        else:
            lines.append(item.text)
    return "\n".join(lines)
