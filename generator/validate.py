"""JSON Schema validation of loaded YAML documents, reported in French.

Every error of every file is collected (not just the first), located at
`file:line:column` through the document's node tree, and given a hint.
"""

from __future__ import annotations

import difflib
import json
from functools import cache
from typing import Any

from . import SCHEMAS_DIR
from .errors import Problem
from .loader import Document

_TYPES = {"string": "un texte", "number": "un nombre", "integer": "un nombre entier",
          "boolean": "true ou false", "array": "une liste (lignes « - »)", "object": "une rubrique (champs indentés)",
          "null": "vide"}


@cache
def _validators() -> dict[str, Any]:
    # Imported here: jsonschema costs ~50 ms, useless for `astre --help`.
    from jsonschema import Draft202012Validator, FormatChecker
    from referencing import Registry, Resource

    schemas = {p.name: json.loads(p.read_text(encoding="utf-8")) for p in SCHEMAS_DIR.glob("*.schema.json")}
    registry = Registry().with_resources(
        (name, Resource.from_contents(schema)) for name, schema in schemas.items())
    checker = FormatChecker(["date"])
    return {name.removesuffix(".schema.json"): Draft202012Validator(schema, registry=registry, format_checker=checker)
            for name, schema in schemas.items()}


def schema(name: str) -> dict:
    """Return the raw JSON Schema of one case file (or `astre`)."""
    return _validators()[name].schema


def validate(doc: Document, schema_name: str) -> list[Problem]:
    """Return every schema problem of `doc`, located, best first."""
    validator = _validators()[schema_name]
    problems: list[Problem] = []
    for error in validator.iter_errors(doc.data):
        problems.extend(_translate(doc, error))
    seen: set[tuple] = set()
    unique = []
    for p in sorted(problems, key=lambda p: (p.line or 0, p.column or 0)):
        key = (p.line, p.column, p.message)
        if key not in seen:
            seen.add(key)
            unique.append(p)
    return unique


def _field(path: tuple) -> str:
    parts: list[str] = []
    for step in path:
        if isinstance(step, int):
            parts.append(f"[{step + 1}]")
        else:
            parts.append(("." if parts else "") + str(step))
    return "".join(parts) or "(racine)"


def _show(value: Any) -> str:
    if value is None:
        return "(vide)"
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "…"


def _translate(doc: Document, error: Any) -> list[Problem]:
    where = tuple(error.absolute_path)
    field = _field(where)
    kind = error.validator
    value = error.instance
    line, column = doc.locate(where)
    if value is None and kind != "type" and kind != "required":
        return []  # the type error already says the field is empty

    def problem(message: str, hint: str | None = None, at: tuple[int | None, int | None] | None = None) -> Problem:
        ln, col = at or (line, column)
        return Problem(doc.path, ln, col, message, hint, extra={"champ": field, "regle": kind})

    if kind == "additionalProperties":
        allowed = list(error.schema.get("properties", {}))
        out = []
        for extra in sorted(set(value) - set(allowed)):
            close = difflib.get_close_matches(extra, allowed, n=1, cutoff=0.6)
            if " " in extra:  # `{objet: a, b}`: the comma split an unquoted text
                hint = "un texte qui contient une virgule doit être entre guillemets : \"…, …\""
            elif close:
                hint = f"vouliez-vous dire « {close[0]} » ?"
            else:
                hint = "champs possibles ici : " + ", ".join(allowed)
            out.append(problem(f"{_field(where + (extra,))} : champ inconnu « {extra} »", hint,
                               at=doc.locate(where, key=extra)))
        return out
    if kind == "required":
        missing = error.message.split("'")[1] if "'" in error.message else "?"
        title = error.schema.get("properties", {}).get(missing, {}).get("title", missing)
        return [problem(f"{_field(where + (missing,))} : champ obligatoire manquant ({title})",
                        f"ajoutez la ligne « {missing}: … » dans « {field} »" if where
                        else f"ajoutez la ligne « {missing}: … »")]
    if kind == "type":
        return [problem(*_type_message(field, error.validator_value, value))]
    if kind == "enum":
        allowed = [str(v) for v in error.validator_value]
        close = difflib.get_close_matches(str(value), allowed, n=1, cutoff=0.5)
        hint = (f"vouliez-vous dire « {close[0]} » ? " if close else "") + "valeurs possibles : " + ", ".join(allowed)
        return [problem(f"{field} : valeur « {_show(value)} » non prévue", hint)]
    if kind in ("format", "pattern") and error.schema.get("format") == "date":
        return [problem(f"{field} : date invalide « {_show(value)} »",
                        "écrivez une date qui existe au format AAAA-MM-JJ, par exemple 2026-03-12")]
    if kind == "pattern":
        return [problem(f"{field} : valeur « {_show(value)} » mal formée",
                        error.schema.get("description", "vérifiez le format attendu"))]
    if kind in ("minimum", "exclusiveMinimum"):
        return [problem(f"{field} : {_show(value)} est trop petit (minimum {error.validator_value})",
                        "corrigez la valeur")]
    if kind in ("maximum", "exclusiveMaximum"):
        return [problem(f"{field} : {_show(value)} est trop grand (maximum {error.validator_value})",
                        "corrigez la valeur")]
    if kind == "minLength":
        return [problem(f"{field} : texte vide", "complétez ce champ ou supprimez la ligne")]
    if kind == "maxLength":
        return [problem(f"{field} : texte trop long ({len(value)} caractères, maximum {error.validator_value})",
                        "raccourcissez le texte")]
    if kind == "minItems":
        return [problem(f"{field} : liste vide", f"ajoutez au moins {error.validator_value} élément(s) « - … »")]
    if kind == "uniqueItems":
        return [problem(f"{field} : la liste contient des doublons", "supprimez les éléments répétés")]
    return [problem(f"{field} : valeur refusée ({error.message})", "corrigez la valeur")]


def _type_message(field: str, expected: Any, value: Any) -> tuple[str, str]:
    expected_name = _TYPES.get(expected, str(expected)) if isinstance(expected, str) else " ou ".join(
        _TYPES.get(t, t) for t in expected)
    if value is None:
        return (f"{field} : champ vide, {expected_name} attendu",
                "complétez la valeur après « : » ou supprimez la ligne")
    message = f"{field} : {expected_name} attendu, trouvé « {_show(value)} »"
    if expected in ("number", "integer") and isinstance(value, str):
        cleaned = value.replace("\u202f", "").replace("\xa0", "").replace(" ", "").replace("€", "").replace(",", ".")
        try:
            float(cleaned)
        except ValueError:
            return message, "écrivez seulement des chiffres, par exemple 2640 ou 2640.50"
        return message, f"écrivez {cleaned} : chiffres seuls, point décimal, sans espace ni « € »"
    if expected == "string" and isinstance(value, (int, float, bool)):
        return message, f"ajoutez des guillemets : \"{_show(value)}\""
    if expected == "boolean":
        return message, "écrivez true (oui) ou false (non)"
    if expected == "array":
        return message, "écrivez chaque élément sur sa ligne, précédé de « - »"
    if expected == "object":
        return message, "écrivez les champs de cette rubrique en dessous, indentés de deux espaces"
    return message, "corrigez la valeur"
