"""The JSON Schemas: documented in French, closed, and the fast pre-check agrees with jsonschema."""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from generator.reading import resources
from generator.reading.cases import CASE_FILES
from generator.reading.loader import load
from generator.reading.resources import DEFAULTS
from generator.reading.validate import _validators, fast_checks
from generator.scaffold import docgen

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = sorted(resources.default_dir("schemas").glob("*.schema.json"))


def walk(node: Any, where: str) -> list[tuple[str, dict]]:
    """Every subschema with its location, `properties` and `items` followed."""
    found = []
    if isinstance(node, dict):
        found.append((where, node))
        for key, sub in node.get("properties", {}).items():
            found += walk(sub, f"{where}.{key}")
        for key, sub in node.get("$defs", {}).items():
            found += walk(sub, f"{where}#{key}")
        if isinstance(node.get("items"), dict):
            found += walk(node["items"], f"{where}[]")
    return found


@pytest.mark.parametrize("path", SCHEMAS, ids=lambda p: p.name)
def test_schema_is_valid_draft_2020_12(path: Path) -> None:
    schema = json.loads(path.read_text(encoding="utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize("path", SCHEMAS, ids=lambda p: p.name)
def test_every_property_has_french_title_and_description(path: Path) -> None:
    schema = json.loads(path.read_text(encoding="utf-8"))
    missing = []
    for where, node in walk(schema, path.name):
        for key, prop in node.get("properties", {}).items():
            if not prop.get("title") or not prop.get("description"):
                missing.append(f"{where}.{key}")
    assert not missing, missing


@pytest.mark.parametrize("path", SCHEMAS, ids=lambda p: p.name)
def test_every_object_is_closed(path: Path) -> None:
    schema = json.loads(path.read_text(encoding="utf-8"))
    open_objects = [where for where, node in walk(schema, path.name)
                    if (node.get("type") == "object" or "properties" in node)
                    and node.get("additionalProperties") is not False
                    # A map (document -> recipients): its keys are constrained by propertyNames instead.
                    and not ("propertyNames" in node and isinstance(node.get("additionalProperties"), dict))]
    assert not open_objects, open_objects


def test_one_schema_per_case_file() -> None:
    names = {p.name.removesuffix(".schema.json") for p in SCHEMAS}
    assert set(CASE_FILES) <= names
    assert names - set(CASE_FILES) == {"astre", "commun", "plafonds_anah"}


def test_dates_use_format_checker() -> None:
    validator = _validators(DEFAULTS)["bilans"]
    errors = list(validator.iter_errors({"bilans": [{"echeance": "final", "date": "2026-02-30"}]}))
    assert [e.validator for e in errors] == ["format"]


def instances() -> list[tuple[str, Any]]:
    """Valid and broken instances: examples, synthetic cases, and mutations of both."""
    sys.path.insert(0, str(ROOT / "bench"))
    from synth import make_case

    found: list[tuple[str, Any]] = []
    for path in sorted((ROOT / "cases").glob("*/*.yaml")):
        found.append((path.stem, load(path).data))
    rng = random.Random(1)
    for index in range(20):
        found += [(name, data) for name, data in make_case(f"synth-{index}", rng).items() if data is not None]
    return found


def mutations(value: Any) -> list[Any]:
    """Copies of `value` with one thing broken (or sometimes still valid)."""
    out: list[Any] = []
    if isinstance(value, dict):
        for key in list(value)[:6]:
            for changed in mutations(value[key])[:4]:
                out.append({**value, key: changed})
            out.append({k: v for k, v in value.items() if k != key})
        out.append({**value, "inconnu": 1})
    elif isinstance(value, list):
        if value:
            out += [value[:1] + [m] + value[2:] for m in mutations(value[0])[:4]]
        out += [[], value + value, "texte"]
    elif isinstance(value, bool):
        out += [not value, "oui", 1]
    elif isinstance(value, (int, float)):
        out += [-1, 10**12, 1.5, "12", True, None]
    elif isinstance(value, str):
        out += ["", "x" * 60000, 12, None, value + "z", "2026-02-30", "2026-03-12"]
    else:
        out += ["", 0]
    return out


def test_fast_check_never_accepts_what_jsonschema_refuses() -> None:
    fast, validators = fast_checks(DEFAULTS), _validators(DEFAULTS)
    checked = accepted = 0
    for name, data in instances():
        for candidate in [data, *mutations(data)]:
            valid = validators[name].is_valid(candidate)
            if fast[name](candidate):
                assert valid, (name, candidate)
                accepted += 1
            checked += 1
    assert accepted > 40 and checked > 1000  # the fast path is really taken


def test_readme_reference_is_up_to_date() -> None:
    """Fails when a schema changed without `make reference`."""
    assert docgen.update(ROOT / "README.md", check_only=True), "lancez « make reference »"


def test_readme_reference_lists_every_field() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split(docgen.START)[1].split(docgen.END)[0]
    for name in CASE_FILES:
        assert f"### `{name}.yaml`" in section
    assert "| `dates.debut` | date (AAAA-MM-JJ) | non |" in section
    assert "`3_mois`, `6_mois`, `9_mois`, `final`" in section
