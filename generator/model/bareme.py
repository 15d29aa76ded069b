"""ANAH income categories, computed from dated barèmes.

The toolkit ships the barèmes it has a source for (generator/data/plafonds_anah.yaml);
a structure adds a year, or replaces one, in baremes/plafonds_anah.yaml of its own
repository. Each file is checked against schemas/plafonds_anah.schema.json, and the
ceilings must grow with the household and stay below the « modestes » ones.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from ..errors import ConfigError, Problem, YamlError
from ..reading.loader import Document, load
from ..reading.resources import Resources

BAREME_NAME = "plafonds_anah.yaml"
def baremes(sources: Resources) -> dict[int, dict[str, Any]]:
    """Return the barèmes by year: the toolkit's, then the structure's (which win per year)."""
    files = [folder / BAREME_NAME for folder in reversed(sources.dirs("baremes"))]
    # Keyed by each file's size and time: an edited barème is read again, even by a long-running process.
    return _baremes(sources, tuple((p, p.stat().st_mtime_ns, p.stat().st_size) for p in files if p.is_file()))


@cache
def _baremes(sources: Resources, files: tuple[tuple[Path, int, int], ...]) -> dict[int, dict[str, Any]]:
    found: dict[int, dict[str, Any]] = {}
    for path, _, _ in files:
        for table in _load(sources, path):
            found[table["annee"]] = table
    return found


def _load(sources: Resources, path: Path) -> list[dict[str, Any]]:
    from ..reading.validate import validate

    try:
        document = load(path)
    except YamlError as e:
        raise ConfigError(f"{path} : barème illisible", [e.problem]) from e
    problems = validate(sources, document, "plafonds_anah") if isinstance(document.data, dict) else [
        Problem(path, 1, 1, "le barème doit être une suite de champs (« baremes: » puis une ligne « - » par année)",
                "recopiez la forme du barème d'astre (voir le README, « Plafonds ANAH »)", code="bareme")]
    if not problems:
        problems = _consistency(document)
    if problems:
        raise ConfigError(f"{path} : barème ANAH invalide", problems)
    return document.data["baremes"]  # type: ignore[no-any-return]


def _consistency(document: Document) -> list[Problem]:
    """Ceilings that shrink with the household, or « très modestes » above « modestes », are typos."""
    problems = []
    seen: set[int] = set()
    for index, table in enumerate(document.data["baremes"]):
        where = ("baremes", index)
        if table["annee"] in seen:
            line, column = document.locate((*where, "annee"))
            problems.append(Problem(document.path, line, column, f"année {table['annee']} en double",
                                    "gardez un seul barème par année", code="bareme"))
        seen.add(table["annee"])
        for key in ("tres_modestes", "modestes"):
            values = table[key]
            if any(b <= a for a, b in zip(values, values[1:], strict=False)):
                line, column = document.locate((*where, key))
                problems.append(Problem(document.path, line, column,
                                        f"plafonds {key} non croissants ({', '.join(map(str, values))})",
                                        "les plafonds augmentent avec le nombre de personnes : "
                                        "vérifiez l'ordre (1, 2, 3, 4, 5 personnes)", code="bareme"))
        if any(t >= m for t, m in zip(table["tres_modestes"], table["modestes"], strict=True)):
            line, column = document.locate((*where, "tres_modestes"))
            problems.append(Problem(document.path, line, column,
                                    "un plafond « très modestes » dépasse le plafond « modestes » correspondant",
                                    "vérifiez que les deux listes n'ont pas été inversées", code="bareme"))
    return problems


def ceiling(table: dict[str, Any], category: str, persons: int) -> int:
    """Return the income ceiling of `category` for a household of `persons`."""
    base = table[category]
    if persons <= len(base):
        return int(base[persons - 1])
    extra = table[f"{category}_par_personne_supplementaire"]
    return int(base[-1] + extra * (persons - len(base)))


def category(sources: Resources, persons: int, income: float, year: int) -> str | None:
    """Return "tres_modeste", "modeste" or "superieur"; None when no barème covers `year`."""
    table = baremes(sources).get(year)
    if table is None or persons < 1:
        return None
    if income <= ceiling(table, "tres_modestes", persons):
        return "tres_modeste"
    if income <= ceiling(table, "modestes", persons):
        return "modeste"
    return "superieur"
