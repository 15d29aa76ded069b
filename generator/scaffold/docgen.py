"""Reference of the case files for README.md, generated from the JSON Schemas.

`python -m generator.scaffold.docgen` (`make reference`) rewrites the part of README.md
between `<!-- reference:start -->` and `<!-- reference:end -->`; `--check` only
says whether it is up to date (exit 1 if not). A test runs the check, so a
schema changed without regenerating the reference fails the suite.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from ..reading.cases import CASE_FILES
from ..reading.resources import DEFAULTS, Resources
from ..reading.validate import resolved, schema

START, END = "<!-- reference:start -->", "<!-- reference:end -->"
# A tool of the toolkit's own repository: its README sits beside the package.
README = Path(__file__).resolve().parents[2] / "README.md"
_TYPES = {"string": "texte", "number": "nombre", "integer": "nombre entier", "boolean": "`true` / `false`",
          "array": "liste", "object": "rubrique", "null": "vide"}


def _kind(sources: Resources, prop: dict[str, Any]) -> str:
    if prop.get("format") == "date":
        return "date (AAAA-MM-JJ)"
    kind = prop.get("type", "")
    if kind == "array":
        item = resolved(sources, prop.get("items", {}))
        return "liste de rubriques" if item.get("type") == "object" else f"liste de {_kind(sources, item)}s"
    if isinstance(kind, list):
        return " ou ".join(str(_TYPES.get(k, k)) for k in kind)
    return _TYPES.get(kind, kind)


def _values(sources: Resources, prop: dict[str, Any]) -> str:
    target = resolved(sources, prop.get("items", {})) if prop.get("type") == "array" else prop
    if "enum" in target or "examples" in target:  # examples: an open list (e.g. review months)
        return ", ".join(f"`{v}`" for v in target.get("enum", target.get("examples", [])))
    bounds = []
    if "minimum" in target:
        bounds.append(f"≥ {target['minimum']}")
    if "maximum" in target:
        bounds.append(f"≤ {target['maximum']}")
    return " ; ".join(bounds)


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _rows(sources: Resources, node: dict[str, Any], prefix: str) -> list[str]:
    rows = []
    required = set(node.get("required", []))
    for key, raw in node.get("properties", {}).items():
        prop = resolved(sources, raw)
        name = f"{prefix}{key}"
        description = prop.get("description", "")
        title = prop.get("title", "")
        rows.append(f"| `{name}` | {_kind(sources, prop)} | {'oui' if key in required else 'non'} | "
                    f"**{_cell(title)}** — {_cell(description)} | {_values(sources, prop)} |")
        if prop.get("type") == "object":
            rows.extend(_rows(sources, prop, f"{name}."))
        elif prop.get("type") == "array" and resolved(sources, prop.get("items", {})).get("type") == "object":
            rows.extend(_rows(sources, resolved(sources, prop["items"]), f"{name}[]."))
    return rows


def render(sources: Resources) -> str:
    """Return the Markdown reference of every case file, in the order of CASE_FILES."""
    parts = ["Généré à partir de `schemas/` par `make reference` : ne pas modifier à la main.",
             "Un champ d'une rubrique s'écrit indenté sous elle (`dates.debut` : `debut:` sous `dates:`) ; "
             "`[]` désigne chaque élément d'une liste.", ""]
    for name, required in CASE_FILES.items():
        raw = schema(sources, name)
        parts += [f"### `{name}.yaml` — {raw['title']}{'' if required else ' (facultatif)'}", "",
                  _cell(raw["description"]), "",
                  "| champ | type | obligatoire | description | valeurs possibles |",
                  "| --- | --- | --- | --- | --- |", *_rows(sources, raw, ""), ""]
    return "\n".join(parts)


def update(readme: Path = README, check_only: bool = False) -> bool:
    """Rewrite the reference section of `readme` (astre's own schemas); return True if it was already up to date."""
    text = readme.read_text(encoding="utf-8")
    head, start, rest = text.partition(START)
    _, end, tail = rest.partition(END)
    if not start or not end:
        raise SystemExit(f"{readme} : marqueurs {START} / {END} introuvables")
    fresh = f"{head}{START}\n{render(DEFAULTS)}\n{END}{tail}"
    if fresh == text:
        return True
    if not check_only:
        readme.write_text(fresh, encoding="utf-8")
    return False


def main() -> int:
    """Command line: regenerate (default) or `--check`."""
    check_only = "--check" in sys.argv[1:]
    fresh = update(check_only=check_only)
    if check_only and not fresh:
        print("README.md : la référence des fichiers n'est pas à jour, lancez « make reference »", file=sys.stderr)
        return 1
    print("README.md : référence à jour" if fresh else "README.md : référence regénérée")
    return 0


if __name__ == "__main__":
    sys.exit(main())
