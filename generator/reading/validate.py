"""JSON Schema validation of loaded YAML documents, reported in French.

Every error of every file is collected (not just the first), located at
`file:line:column` through the document's node tree, and given a hint.
"""

from __future__ import annotations

import difflib
import operator
import re
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..errors import ConfigError, Problem, YamlError
from .loader import Document, read_json
from .resources import Resources

_TYPES = {"string": "un texte", "number": "un nombre", "integer": "un nombre entier",
          "boolean": "true ou false", "array": "une liste (lignes « - »)", "object": "une rubrique (champs indentés)",
          "null": "vide"}


def type_words(expected: Any) -> str:
    """Return the French name of a JSON type, or of several (« un texte ou un nombre »): every message's words."""
    kinds = expected if isinstance(expected, list) else [expected]
    return " ou ".join(_TYPES.get(str(kind), str(kind)) for kind in kinds)


Stamp = tuple[tuple[Path, int, int], ...]

# The code of a problem that says something is not filled in yet (a missing required field, a blank
# value, an empty list or file), as opposed to something written wrong: a draft may be committed
# with the first, never with the second (checking.check, draft mode of the commit hook).
INCOMPLETE = "incomplet"


def _schemas_in_force(sources: Resources) -> tuple[tuple[Path, ...], Stamp]:
    """Return the schema folders in force and their files' stamp (edited schemas are read again)."""
    return sources.dirs("schemas"), sources.stamp("schemas", "*.schema.json")


def _validators(sources: Resources) -> dict[str, Any]:
    return _validators_of(*_schemas_in_force(sources))


@lru_cache(maxsize=2)
def _validators_of(dirs: tuple[Path, ...], stamp: Stamp) -> dict[str, Any]:
    # Imported here: jsonschema costs ~50 ms, useless for `astre --help`.
    from jsonschema import Draft202012Validator, FormatChecker
    from referencing import Registry, Resource

    schemas = {f"{name}.schema.json": schema for name, schema in _raw_schemas_of(dirs, stamp).items()}
    registry = Registry().with_resources(
        (name, Resource.from_contents(schema)) for name, schema in schemas.items())
    checker = FormatChecker(["date"])
    # $refs are inlined: resolving them through the registry was half of the validation time.
    return {name.removesuffix(".schema.json"): Draft202012Validator(_inline(schema, schemas), registry=registry,
                                                                     format_checker=checker)
            for name, schema in schemas.items()}


def _inline(node: Any, schemas: dict[str, Any]) -> Any:
    """Return `node` with every `other.schema.json#/$defs/x` reference replaced by its target."""
    if isinstance(node, list):
        return [_inline(item, schemas) for item in node]
    if not isinstance(node, dict):
        return node
    found = _ref_target(node, lambda name: schemas.get(name))
    if found is not None:
        return _merged(_inline(found, schemas), {k: _inline(v, schemas) for k, v in node.items()})
    return {k: _inline(v, schemas) for k, v in node.items()}


def _ref_target(node: dict[str, Any], schema_of: Callable[[str], dict[str, Any] | None]) -> dict[str, Any] | None:
    """Return the target of the node's `other.schema.json#/$defs/x` reference, or None when it has none."""
    ref = node.get("$ref")
    if not isinstance(ref, str) or "#/$defs/" not in ref or ref.startswith("#"):
        return None
    name, _, pointer = ref.partition("#/$defs/")
    document = schema_of(name)
    if document is None or "/" in pointer:
        return None
    return document["$defs"][pointer]


def _merged(target: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """Return the reference's target with the node's own keys (title, description…) on top."""
    return {**target, **{k: v for k, v in node.items() if k != "$ref"}}


def resolved(sources: Resources, prop: dict[str, Any]) -> dict[str, Any]:
    """Return a schema property with its `$ref` to another schema's `$defs` replaced by the target (one level)."""
    found = _ref_target(prop, lambda name: schema(sources, name.removesuffix(".schema.json")))
    return prop if found is None else _merged(found, prop)


def schema(sources: Resources, name: str) -> dict:
    """Return the raw JSON Schema of one case file (or `astre`), `$ref`s included."""
    return _raw_schemas_of(*_schemas_in_force(sources))[name]


def schema_files(sources: Resources) -> dict[str, Path]:
    """Return {name: file} of the schemas in force (the structure's overrides first)."""
    return {p.name.removesuffix(".schema.json"): p for p in sources.files("schemas", "*.schema.json").values()}


@lru_cache(maxsize=2)
def _raw_schemas_of(dirs: tuple[Path, ...], stamp: Stamp) -> dict[str, Any]:
    found = {}
    files = {p.name.removesuffix(".schema.json"): p for d in reversed(dirs) for p in sorted(d.glob("*.schema.json"))}
    names = {f"{name}.schema.json" for name in files}
    for name, path in sorted(files.items()):
        try:
            found[name] = read_json(path, SCHEMA_MAX_BYTES)
        except YamlError as e:
            raise ConfigError(f"{e.problem.location}: schéma invalide : {e.problem.message} — corrigez ou "
                              "supprimez ce fichier de remplacement, le schéma d'astre s'applique alors") from e
        if not isinstance(found[name], dict):
            raise ConfigError(f"{path}:1:1: schéma invalide : un objet JSON « {{ … }} » est attendu")
        if not isinstance(found[name].get("$schema"), str):
            raise ConfigError(f"{path}:1:1: schéma invalide : « $schema » manquant — recopiez la première ligne "
                              f"du schéma d'astre (\"$schema\": \"{_DRAFT}\"), ou supprimez ce fichier")
        outside = _foreign_ref(found[name], names)
        if outside is not None:
            raise ConfigError(f"{path}:1:1: schéma invalide : référence « $ref » vers « {outside[:80]} », hors des "
                              "schémas d'astre — astre ne va rien chercher ailleurs : recopiez la définition "
                              "dans « $defs » et visez « #/$defs/… »")
    return found


SCHEMA_MAX_BYTES = 4 * 1024 * 1024  # the largest schema astre ships is ~20 KB
_DRAFT = "https://json-schema.org/draft/2020-12/schema"


def _foreign_ref(node: Any, names: set[str]) -> str | None:
    """Return the first `$ref` that names neither this schema (`#…`) nor another schema in force, or None."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            ref = item.get("$ref")
            if isinstance(ref, str) and not ref.startswith("#") and ref.partition("#")[0] not in names:
                return ref
            if "$ref" in item and not isinstance(ref, str):
                return repr(ref)
            stack.extend(item.values())
    return None


def validate(sources: Resources, doc: Document, schema_name: str) -> list[Problem]:
    """Return every schema problem of `doc` against the schema in force in `sources`, located, best first."""
    if fast_checks(sources)[schema_name](doc.data):
        return []  # valid for sure: skip jsonschema, ten times slower
    validator = _validators(sources)[schema_name]
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


# Keywords the fast check understands; a schema using any other one is always
# checked by jsonschema.
_FAST_KEYWORDS = {"$schema", "$defs", "title", "description", "type", "enum", "properties", "required",
                  "additionalProperties", "items", "pattern", "format", "minimum", "maximum", "minLength",
                  "maxLength", "minItems", "uniqueItems"}
_PYTHON_TYPES: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "null": lambda v: v is None,
}


def fast_checks(sources: Resources) -> dict[str, Callable[[Any], bool]]:
    """Return the fast predicates of the schemas in force."""
    return _fast_checks_of(*_schemas_in_force(sources))


@lru_cache(maxsize=2)
def _fast_checks_of(dirs: tuple[Path, ...], stamp: Stamp) -> dict[str, Callable[[Any], bool]]:
    """Return, per schema, a predicate that is True only for instances jsonschema accepts.

    It may say False for a valid instance (jsonschema then decides and finds no
    error), never True for an invalid one: tests/reading/test_check_schemas.py compares both.
    """
    validators = _validators_of(dirs, stamp)
    checker = validators["astre"].format_checker
    return {name: _compile(validator.schema, checker) for name, validator in validators.items()}


def _compile(node: Any, checker: Any) -> Callable[[Any], bool]:
    if (not isinstance(node, dict) or set(node) - _FAST_KEYWORDS
            or node.get("additionalProperties") not in (None, False)):
        return lambda value: False
    tests: list[Callable[[Any], bool]] = []
    kind = node.get("type")
    if kind is not None:
        kinds = [_PYTHON_TYPES[k] for k in ([kind] if isinstance(kind, str) else kind)]
        tests.append(kinds[0] if len(kinds) == 1 else lambda v: any(t(v) for t in kinds))
    if "enum" in node:
        allowed = frozenset(v for v in node["enum"] if isinstance(v, str))
        tests.append(lambda v: type(v) is str and v in allowed)
    if "pattern" in node:
        pattern = re.compile(node["pattern"])
        tests.append(lambda v: not isinstance(v, str) or pattern.search(v) is not None)
    if "format" in node:
        fmt = node["format"]
        tests.append(lambda v: checker.conforms(v, fmt))
    for key, compare in (("minimum", operator.ge), ("maximum", operator.le)):
        if key in node:
            tests.append(_bound(compare, node[key]))
    if "minLength" in node or "maxLength" in node:
        low, high = node.get("minLength", 0), node.get("maxLength", float("inf"))
        tests.append(lambda v: not isinstance(v, str) or low <= len(v) <= high)
    if "minItems" in node:
        least = node["minItems"]
        tests.append(lambda v: not isinstance(v, list) or len(v) >= least)
    if node.get("uniqueItems"):
        tests.append(lambda v: not isinstance(v, list) or (all(type(i) is str for i in v) and len(set(v)) == len(v)))
    if "items" in node:
        item = _compile(node["items"], checker)
        tests.append(lambda v: not isinstance(v, list) or all(item(i) for i in v))
    if "properties" in node or "required" in node or "additionalProperties" in node:
        props = {k: _compile(v, checker) for k, v in node.get("properties", {}).items()}
        required = tuple(node.get("required", ()))
        closed = "additionalProperties" in node

        def obj(v: Any) -> bool:
            if not isinstance(v, dict):
                return True
            for key in required:
                if key not in v:
                    return False
            for key, value in v.items():
                test = props.get(key)
                if test is None:
                    if closed:
                        return False
                elif not test(value):
                    return False
            return True

        tests.append(obj)
    return lambda value: all(test(value) for test in tests)


def _bound(compare: Callable[[Any, Any], bool], bound: Any) -> Callable[[Any], bool]:
    return lambda v: not isinstance(v, (int, float)) or isinstance(v, bool) or compare(v, bound)


def field_path(path: tuple) -> str:
    """Return a field's path as users read it: `bilans[1].date` (1-based list positions)."""
    parts: list[str] = []
    for step in path:
        if isinstance(step, int):
            parts.append(f"[{step + 1}]")
        else:
            parts.append(("." if parts else "") + str(step))
    return "".join(parts) or "(racine)"


# Fields whose value a message never quotes (what is wrong is said, the value itself stays in the file).
PERSONAL_FIELDS = frozenset({"telephone", "courriel", "date_naissance"})
PERSONAL_MASK = "… (donnée personnelle, non recopiée ici)"


def _show(value: Any) -> str:
    """Return a value as the référent wrote it in YAML (never Python's notation: {'a': 'b'}, ['a'])."""
    if value is None:
        return "(vide)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        text = ", ".join(f"{k}: {_show(v)}" for k, v in value.items())
    elif isinstance(value, list):
        text = ", ".join(_show(v) for v in value)
    else:
        text = str(value)
    return text if len(text) <= 60 else text[:57] + "…"


def _translate(doc: Document, error: Any) -> list[Problem]:
    where = tuple(error.absolute_path)
    field = field_path(where)
    kind = error.validator
    value = error.instance
    line, column = doc.locate(where)
    # A wrong phone number or birth date is not written back in full: messages travel (logs, commit hooks).
    personal = any(step in PERSONAL_FIELDS for step in where if isinstance(step, str))

    def show(shown: Any) -> str:
        return PERSONAL_MASK if personal else _show(shown)
    if value is None and kind != "type" and kind != "required":
        return []  # the type error already says the field is empty

    def problem(message: str, hint: str | None = None, at: tuple[int | None, int | None] | None = None,
                code: str = "schema") -> Problem:
        ln, col = at or (line, column)
        return Problem(doc.path, ln, col, message, hint, code=code)

    if kind == "additionalProperties":
        allowed = list(error.schema.get("properties", {}))
        out = []
        for extra in sorted(set(value) - set(allowed)):
            close = difflib.get_close_matches(extra, allowed, n=1, cutoff=0.6)
            at = doc.locate(where, key=extra)
            continued = _text_above(doc.text, at[0]) if not close else None
            if continued is not None:  # `etat: Murs humides,` then `combles: non isolés` on the next line
                out.append(problem(f"{field_path(where + (extra,))} : champ inconnu « {extra} » : suite du texte de "
                                   f"« {continued[0]} » (ligne {continued[1]}) ?",
                                   "ajoutez « | » après le nom du champ pour un texte sur plusieurs lignes "
                                   f"(« {continued[0]}: | » puis le texte en dessous, indenté de deux espaces)", at=at))
                continue
            if " " in extra:  # `{objet: a, b}`: the comma split an unquoted text
                hint = "un texte qui contient une virgule doit être entre guillemets : \"…, …\""
            elif close:
                hint = f"vouliez-vous dire « {close[0]} » ?"
            else:
                hint = "champs possibles ici : " + ", ".join(allowed)
            out.append(problem(f"{field_path(where + (extra,))} : champ inconnu « {extra} »", hint, at=at))
        return out
    if kind == "required":
        missing = error.message.split("'")[1] if "'" in error.message else "?"
        title = error.schema.get("properties", {}).get(missing, {}).get("title", missing)
        return [problem(f"{field_path(where + (missing,))} : champ obligatoire manquant ({title})",
                        f"ajoutez la ligne « {missing}: … » dans « {field} »" if where
                        else f"ajoutez la ligne « {missing}: … »", code=INCOMPLETE)]
    if kind == "type":
        return [problem(*_type_message(field, error.validator_value, value, error.schema, doc.source(where),
                                       personal), code=INCOMPLETE if value is None else "schema")]
    if kind == "enum":
        allowed = [str(v) for v in error.validator_value]
        close = difflib.get_close_matches(str(value), allowed, n=1, cutoff=0.5)
        hint = (f"vouliez-vous dire « {close[0]} » ? " if close else "") + "valeurs possibles : " + ", ".join(allowed)
        return [problem(f"{field} : valeur « {show(value)} » non prévue", hint)]
    if kind in ("format", "pattern") and error.schema.get("format") == "date":
        return [problem(f"{field} : date invalide « {show(value)} »",
                        "écrivez une date qui existe au format AAAA-MM-JJ, par exemple 2026-03-12")]
    if kind == "pattern":
        examples = [str(v) for v in error.schema.get("examples", [])]
        close = difflib.get_close_matches(str(value), examples, n=1, cutoff=0.5)
        if close:
            return [problem(f"{field} : valeur « {show(value)} » non prévue", f"vouliez-vous dire « {close[0]} » ?")]
        return [problem(f"{field} : valeur « {show(value)} » mal formée",
                        error.schema.get("description", "vérifiez le format attendu"))]
    if kind in ("minimum", "exclusiveMinimum"):
        return [problem(f"{field} : {show(value)} est trop petit (minimum {error.validator_value})",
                        "corrigez la valeur")]
    if kind in ("maximum", "exclusiveMaximum"):
        return [problem(f"{field} : {show(value)} est trop grand (maximum {error.validator_value})",
                        "corrigez la valeur")]
    if kind == "minLength":
        return [problem(f"{field} : texte vide", "complétez ce champ ou supprimez la ligne", code=INCOMPLETE)]
    if kind == "maxLength":
        return [problem(f"{field} : texte trop long ({len(value)} caractères, maximum {error.validator_value})",
                        "raccourcissez le texte")]
    if kind == "minItems":
        return [problem(f"{field} : liste vide", f"ajoutez au moins {error.validator_value} élément(s) « - … »",
                        code=INCOMPLETE)]
    if kind == "uniqueItems":
        return [problem(f"{field} : la liste contient des doublons", "supprimez les éléments répétés")]
    return [problem(f"{field} : valeur refusée ({error.message})", "corrigez la valeur")]


_KEY_TEXT = re.compile(r"^(\s*)(?:- )?([A-Za-z_]\w*):[ \t]+([^|>\"'\[{&*!#\s][^#]*[ ,;][^#]*)$")


def _text_above(text: str, line: int | None) -> tuple[str, int] | None:
    """Return (key, line) when the line just above `line` is `key: some text` at the same indentation."""
    lines = text.splitlines()
    if line is None or not 2 <= line <= len(lines):
        return None
    here = lines[line - 1]
    match = _KEY_TEXT.match(lines[line - 2])
    if match is None or len(match.group(1)) != len(here) - len(here.lstrip(" ")):
        return None
    return match.group(2), line - 1


def _type_message(field: str, expected: Any, value: Any, schema: dict[str, Any],
                  written: str | None = None, personal: bool = False) -> tuple[str, str]:
    expected_name = type_words(expected)
    # Agreement: « un nombre attendu », « une liste attendue ».
    expected_name += " attendue" if expected_name.startswith("une ") else " attendu"
    if value is None:
        if "enum" in schema:
            example = "valeurs possibles : " + ", ".join(map(str, schema["enum"]))
        elif schema.get("format") == "date":
            example = "une date AAAA-MM-JJ, par exemple 2026-03-12"
        else:
            example = schema.get("description", "")
        return (f"{field} : champ vide, {expected_name}",
                f"complétez la valeur après « : » ({example.rstrip('.')}) ; un champ facultatif peut aussi "
                "être supprimé ou commenté avec « # »")
    if expected == "string" and isinstance(value, dict) and len(value) == 1:
        # `- Coordination avec Citémétrie: M. Roux`: the « : » made a field of the text.
        typed = (written or "").strip().removeprefix("- ").strip() or _show(value)
        quoted = f'"{typed}"' if '"' not in typed else "'" + typed.replace("'", "''") + "'"
        return (f"{field} : un texte attendu, mais le « : » de « {_show(value)} » le fait lire comme un champ",
                f"mettez le texte entre guillemets : {quoted}")
    message = f"{field} : {expected_name}, trouvé « {PERSONAL_MASK if personal else _show(value)} »"
    if expected in ("number", "integer") and isinstance(value, str):
        cleaned = value.replace("\u202f", "").replace("\xa0", "").replace(" ", "").replace("€", "").replace(",", ".")
        try:
            float(cleaned)
        except ValueError:
            return message, "écrivez seulement des chiffres, par exemple 2640 ou 2640.50"
        return message, f"écrivez {cleaned} : chiffres seuls, point décimal, sans espace ni « € »"
    if expected == "string" and isinstance(value, (int, float, bool)):
        # The text as typed: 0612345678 and +33… keep their leading 0 and +.
        if personal:  # the value is not written back: say how, not what
            return message, "ajoutez des guillemets autour de la valeur, par exemple \"0612345678\""
        return message, f"ajoutez des guillemets : \"{written or _show(value)}\""
    if expected == "boolean":
        return message, "écrivez true (oui) ou false (non)"
    if expected == "array":
        return message, "écrivez chaque élément sur sa ligne, précédé de « - »"
    if expected == "object":
        return message, "écrivez les champs de cette rubrique en dessous, indentés de deux espaces"
    return message, "corrigez la valeur"
