"""French wording shared by messages, status, reports and documents.

Plurals, the French names of coded values (forms/libelles.yaml), amounts, dates and rates
as documents write them (« 2 640,00 € », « 1er mars 2026 »), and the placeholders of a
missing value. Low in the package: the model (deadlines, rules) words its messages with it.
"""

from __future__ import annotations

from datetime import date
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from ..errors import FormError
from ..reading.resources import LABELS_NAME, Resources
from .timeline import parse

# Babel, the YAML loader and the resources are imported by the functions that need them:
# every command imports this module (plurals), `astre --help` need not load them.

LOCALE = "fr_FR"
MISSING = "non renseigné"
# The placeholder agrees with its label: « Mobilité non renseignée », « Étiquette énergie non renseignée ».
MISSING_F = "non renseignée"
MISSING_DATE = "date non renseignée"


def labels(sources: Resources) -> dict[str, dict[str, str]]:
    """Return the French labels of coded values, by family (the structure's own file if it has one)."""
    # Keyed by the labels files' stamp: labels edited while watching are read again.
    return _labels(labels_path(sources), sources.stamp("forms", LABELS_NAME))


def labels_path(sources: Resources) -> Path:
    """Return the labels file in force (French names of coded values)."""
    found = sources.find("forms", LABELS_NAME)
    if found is None:  # pragma: no cover - the toolkit always ships it
        raise FormError(f"{LABELS_NAME} introuvable")
    return found


@cache
def _labels(path: Path, stamp: tuple[tuple[Path, int, int], ...]) -> dict[str, dict[str, str]]:
    from ..reading.loader import load

    return load(path).data


def label(sources: Resources, family: str, value: Any) -> str:
    """Return the French label of a coded value (the code itself if unknown)."""
    if value is None:
        return MISSING
    return labels(sources).get(family, {}).get(str(value), str(value))


def money(value: Any) -> str:
    """Return « 2 640,00 € » (Babel, narrow no-break spaces), or the placeholder."""
    if value is None:
        return MISSING
    try:
        # A case shows the same amounts in many documents; Babel takes ~0.1 ms to format one.
        # Keyed by type too: 1 == 1.0 == True, and each is formatted as Babel formats its type.
        return _money((type(value), value))
    except TypeError:  # not hashable: Babel says what is wrong with it
        from babel.numbers import format_currency

        return format_currency(value, "EUR", locale=LOCALE)


@lru_cache(maxsize=16384)
def _money(typed: tuple[type, Any]) -> str:
    from babel.numbers import format_currency

    return format_currency(typed[1], "EUR", locale=LOCALE)


def day(value: Any) -> str:
    """Return « 12 mars 2026 » (« 1er mars 2026 ») from an ISO date, or the placeholder."""
    parsed = value if isinstance(value, date) else parse(value)
    if not parsed:
        return MISSING_DATE
    return _day(parsed)


@lru_cache(maxsize=4096)
def _day(parsed: date) -> str:
    from babel.dates import format_date

    # French typography writes the first day of a month as an ordinal: « 1er novembre ».
    return format_date(parsed, "d'er' MMMM y" if parsed.day == 1 else "d MMMM y", locale=LOCALE)


def short_day(value: date) -> str:
    """Return the short French date of messages and file names' words: « 12/03/2026 »."""
    return value.strftime("%d/%m/%Y")


def percent(rate: float | None) -> str:
    """Return a signed rate « +12,5 % », or the placeholder."""
    if rate is None:
        return MISSING
    return ("+" if rate > 0 else "") + percentage(rate)


def percentage(fraction: float, pattern: str = "#,##0.0") -> str:
    """Return « 12,5 % » for a fraction (0.125), unsigned; `pattern` « #,##0.## » drops needless decimals."""
    from babel.numbers import format_decimal

    value = round(fraction * 100, 2 if pattern.endswith("##") else 1)
    return f"{format_decimal(value, format=pattern, locale=LOCALE)}\u202f%"



def plural(count: int) -> str:
    """French plural mark: « s » above one (0 and 1 take the singular: « 0 erreur, 1 avertissement »)."""
    return "s" if count > 1 else ""


def counted(count: int, word: str) -> str:
    """Return « 1 personne », « 3 personnes »."""
    return f"{count} {word}{plural(count)}"
