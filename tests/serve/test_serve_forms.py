"""`astre serve`'s forms come from the schemas in force: the structure's overrides included."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from generator.reading.resources import DEFAULTS, Resources
from generator.serve import formschema

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def overridden(tmp_path: Path) -> Resources:
    schemas = tmp_path / "schemas"
    schemas.mkdir()
    menage = json.loads((ROOT / "schemas" / "menage.schema.json").read_text(encoding="utf-8"))
    menage["properties"]["numero_allocataire"] = {"type": "string", "title": "Numéro d'allocataire CAF",
                                                  "description": "Sept chiffres, entre guillemets."}
    (schemas / "menage.schema.json").write_text(json.dumps(menage, ensure_ascii=False), encoding="utf-8")
    return Resources.of(tmp_path)


def test_a_structure_s_own_field_appears_in_its_form(overridden: Resources) -> None:
    fields = {f.name: f for f in formschema.build(overridden, "menage", {"numero_allocataire": "1234567"})}
    added = fields["numero_allocataire"]
    assert (added.title, added.kind, added.value) == ("Numéro d'allocataire CAF", "text", "1234567")
    assert added.help == "Sept chiffres."  # the advice on YAML quotes is for files, not forms


def test_coded_values_show_their_french_labels_and_dates_are_date_fields() -> None:
    fields = {f.name: f for f in formschema.build(DEFAULTS, "mesure", {})}
    assert ("mds_slisl", "Maison du Département Solidarité (SLISL)") in {
        c.name: c for c in fields["origine"].children}["origine.type"].options
    assert {c.name: c for c in fields["dates"].children}["dates.saisine"].kind == "date"


def test_list_buttons_add_remove_and_move_elements() -> None:
    data = {"membres": [{"prenom": "A"}, {"prenom": "B"}]}
    assert formschema.apply_action(data, "descendre:membres.0") == {"membres": [{"prenom": "B"}, {"prenom": "A"}]}
    assert formschema.apply_action(data, "retirer:membres.1") == {"membres": [{"prenom": "B"}]}
    assert formschema.apply_action(data, "ajouter:membres") == {"membres": [{"prenom": "B"}, {}]}
    assert formschema.apply_action({}, "ajouter:charges") == {"charges": [{}]}
    assert formschema.prune({"charges": [{}], "designation": "X"}) == {"designation": "X"}
