"""ANAH income categories, computed from the dated barème in data/."""

from __future__ import annotations

from functools import cache
from typing import Any

from . import DATA_DIR
from .loader import load

BAREME_FILE = DATA_DIR / "plafonds_anah.yaml"
LABELS = {"tres_modeste": "très modeste", "modeste": "modeste", "superieur": "au-dessus des plafonds ANAH"}


@cache
def baremes() -> dict[int, dict[str, Any]]:
    """Return the barèmes by year."""
    return {b["annee"]: b for b in load(BAREME_FILE).data["baremes"]}


def ceiling(table: dict[str, Any], category: str, persons: int) -> int:
    """Return the income ceiling of `category` for a household of `persons`."""
    base = table[category]
    if persons <= len(base):
        return int(base[persons - 1])
    extra = table[f"{category}_par_personne_supplementaire"]
    return int(base[-1] + extra * (persons - len(base)))


def category(persons: int, income: float, year: int) -> str | None:
    """Return "tres_modeste", "modeste" or "superieur"; None when no barème covers `year`."""
    table = baremes().get(year)
    if table is None or persons < 1:
        return None
    if income <= ceiling(table, "tres_modestes", persons):
        return "tres_modeste"
    if income <= ceiling(table, "modestes", persons):
        return "modeste"
    return "superieur"
