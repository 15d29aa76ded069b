"""Which characters the PDF documents can draw, and the check that warns about the others.

The PDF is drawn only with the fonts astre ships (templates/assets/fonts, declared by
@font-face in astre.css): a character none of them covers would come out as a box, or
in whatever font the computer has. `astre check` says so, at the value holding it.

It is a warning, not an error: the name is spelled right, the DOCX shows it (Word uses
the reader's fonts), and refusing every document of a household for one character
would be worse than a PDF to look at before sending it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from ..errors import Problem
from ..reading.cases import Case
from ..reading.resources import Resources

STYLESHEET = "html/astre.css"
_FONT_FACE = re.compile(r"@font-face\s*\{([^}]*)\}")
_SRC = re.compile(r"""url\(\s*["']?([^"')]+)["']?\s*\)""")
_RANGES = re.compile(r"unicode-range\s*:\s*([^;}]+)")
_RANGE = re.compile(r"U\+([0-9A-Fa-f?]{1,6})(?:-([0-9A-Fa-f]{1,6}))?")
# Never drawn, so never missing: line breaks and tabs, format characters (the zero-width
# joiner of emoji sequences; the loader refuses the bidi ones) and variation selectors.
_SILENT = frozenset("\t\n\r")


def _silent(char: str) -> bool:
    return (char in _SILENT or unicodedata.category(char) == "Cf"
            or "\ufe00" <= char <= "\ufe0f" or "\U000e0100" <= char <= "\U000e01ef")


def undrawn(sources: Resources, chars: set[str]) -> set[str]:
    """Return those of `chars` that no shipped font draws in the PDF (the structure's fonts, then astre's).

    The faces are looked at in the style sheet's order and only until every character is
    found: French text needs only Liberation Sans, whose character map is read in milliseconds.
    """
    faces = _faces(sources)
    known = _DRAWN.setdefault(faces, {})  # a character's answer, once per process and style sheet
    left = {c for c in chars if c not in known and not _silent(c)}
    asked = set(left)
    for font, ranges in faces:
        if not left:
            break
        cmap = _cmap(font, font.stat().st_mtime_ns)
        left = {c for c in left if ord(c) not in cmap
                or (ranges is not None and not any(a <= ord(c) <= b for a, b in ranges))}
    known.update({c: c not in left for c in asked})
    return {c for c in chars if known.get(c) is False}


# faces -> {character: drawn?}: the same few hundred characters come back in every case file.
_DRAWN: dict[Any, dict[str, bool]] = {}


def _faces(sources: Resources) -> tuple[tuple[Path, tuple[tuple[int, int], ...] | None], ...]:
    """Return (font file, unicode-range or None) of each @font-face of astre.css, in order."""
    folders = sources.dirs("templates")
    sheet = next((folder / STYLESHEET for folder in folders if (folder / STYLESHEET).is_file()), None)
    if sheet is None:  # pragma: no cover - the toolkit always ships it
        return ()
    return _faces_of(sheet, sheet.stat().st_mtime_ns, tuple(folder / "assets" for folder in folders))


@cache
def _faces_of(sheet: Path, mtime_ns: int, assets: tuple[Path, ...]
              ) -> tuple[tuple[Path, tuple[tuple[int, int], ...] | None], ...]:
    faces = []
    for body in _FONT_FACE.findall(sheet.read_text(encoding="utf-8")):
        source = _SRC.search(body)
        font = next((folder / source.group(1) for folder in assets
                     if source and (folder / source.group(1)).is_file()), None)
        if font is not None:
            ranges = _RANGES.search(body)
            faces.append((font, _code_points(ranges.group(1)) if ranges else None))
    return tuple(faces)


@cache
def _cmap(font: Path, mtime_ns: int) -> frozenset[int]:
    from fontTools.ttLib import TTFont, TTLibError  # here: `astre check` reads a font only when a case needs it

    try:
        with TTFont(font, lazy=True, fontNumber=0) as face:
            return frozenset(face.getBestCmap() or {})
    except (OSError, TTLibError, AssertionError, KeyError):
        return frozenset()  # WeasyPrint skips an unreadable font too


def _code_points(ranges: str) -> tuple[tuple[int, int], ...]:
    """Return the (first, last) code points of a CSS unicode-range value (« U+0600-06FF, U+3??, U+20AC »)."""
    points = []
    for start, end in _RANGE.findall(ranges):
        if "?" in start:
            points.append((int(start.replace("?", "0"), 16), int(start.replace("?", "F"), 16)))
        else:
            points.append((int(start, 16), int(end or start, 16)))
    return tuple(points)


# A value in a script no shipped font draws lists its first characters only.
LISTED_CHARACTERS = 6


def problems(sources: Resources, case: Case) -> list[Problem]:
    """Return a located warning for each value of the case files holding characters no shipped font draws."""
    found: list[Problem] = []
    for name, doc in case.documents.items():
        if doc.text.isascii():  # the usual file: nothing to look up
            continue
        missing = undrawn(sources, set(doc.text))  # comments included: the values are searched below only when needed
        if not missing:
            continue
        seen: set[str] = set()
        for where, value in _strings(doc.data, ()):
            chars = [char for char in dict.fromkeys(value) if char in missing and char not in seen]
            if not chars:
                continue
            seen.update(chars)
            shown = ", ".join(f"« {char} » (U+{ord(char):04X})" for char in chars[:LISTED_CHARACTERS])
            more = len(chars) - LISTED_CHARACTERS
            path, line, column = case.locate(name, where)
            found.append(Problem(
                path, line, column, f"{'caractères non imprimables' if len(chars) > 1 else 'caractère non imprimable'}"
                f" dans les documents : {shown}{f' et {more} autre(s)' if more > 0 else ''}",
                "aucune police d'astre ne les dessine : le PDF montrerait des carrés ou la police de cet "
                "ordinateur (une autre ailleurs) ; remplacez-les (par exemple par une transcription en lettres "
                "latines) ou vérifiez le PDF avant de l'envoyer", severity="avertissement", code="caractere"))
    return found


def _strings(value: Any, where: tuple) -> Iterator[tuple[tuple, str]]:
    """Yield (path, text) of every string value (keys are never printed as such)."""
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, (*where, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, (*where, index))
