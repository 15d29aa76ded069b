"""Hostile overrides of a structure: schemas that would fetch, schemas that are not schemas, special files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import TODAY, TREE, astre, fifo


def _schema(repo: Path, name: str = "menage") -> Path:
    folder = repo / "schemas"
    folder.mkdir(exist_ok=True)
    return folder / f"{name}.schema.json"


def test_a_schema_override_without_schema_keyword_is_a_french_error(one: Path) -> None:
    schema = json.loads((TREE / "schemas" / "menage.schema.json").read_text())
    del schema["$schema"]
    _schema(one).write_text(json.dumps(schema))
    done = astre(one, "check", "--date", TODAY)
    assert done.code in (1, 2) and done.said_in_french(), done.text
    assert "menage.schema.json:1:1: schéma invalide : « $schema » manquant" in done.text


def test_a_schema_override_with_an_external_ref_is_refused_before_any_fetch(one: Path) -> None:
    schema = json.loads((TREE / "schemas" / "menage.schema.json").read_text())
    schema["properties"]["demandeur"] = {"$ref": "https://exemple.invalid/piege.json"}
    _schema(one).write_text(json.dumps(schema))
    done = astre(one, "check", "--date", TODAY)
    assert done.code in (1, 2) and done.said_in_french(), done.text
    assert "https://exemple.invalid/piege.json" in done.text and "hors des schémas d'astre" in done.text


@pytest.mark.timeout(200)
def test_a_schema_override_that_is_a_pipe_never_hangs(one: Path) -> None:
    fifo(_schema(one))
    done = astre(one, "check", "--date", TODAY)
    assert done.code in (1, 2) and done.said_in_french(), done.text
    assert "menage.schema.json" in done.text and "pas un fichier ordinaire" in done.text

