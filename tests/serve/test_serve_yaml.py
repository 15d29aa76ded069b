"""`astre serve` saves: only changed values change, a refused value is never written, a change on disk is seen."""

from __future__ import annotations

import copy
import difflib
from pathlib import Path

import pytest

from generator.errors import SaveConflictError
from generator.reading.cases import CASE_FILES
from generator.reading.loader import load
from generator.reading.resources import DEFAULTS
from generator.serve import formschema, yamlsave

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(p for p in (ROOT / "cases").glob("*/*.yaml") if p.stem in CASE_FILES)


def _changed_lines(before: str, after: str) -> list[str]:
    return [line for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_saving_a_file_unchanged_rewrites_nothing(path: Path) -> None:
    """Every example file, its flow lists spread over several lines included, comes back byte for byte."""
    text = path.read_text(encoding="utf-8")
    assert yamlsave.render(path, text, copy.deepcopy(load(path).data)) == text


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_submitting_the_form_of_every_example_file_untouched_rewrites_nothing(path: Path) -> None:
    """Form built from the schema, submitted untouched: the same file (nothing lost, no type changed)."""
    text = path.read_text(encoding="utf-8")
    data = load(path).data
    fields = formschema.build(DEFAULTS, path.stem, data)
    submitted = _Submitted()
    for one in fields:
        submitted.add(one)
    assert yamlsave.render(path, text, formschema.prune(formschema.parse(DEFAULTS, path.stem, submitted))) == text


class _Submitted(dict):
    """What a browser posts for a form: name → values."""

    def add(self, one: formschema.Field) -> None:
        if one.kind == "choices":
            self[one.name] = list(one.value)
        elif one.kind == "list":
            self[f"{one.name}.__n"] = [str(len(one.children))]
            for child in one.children:
                self.add(child)
        elif one.kind == "object":
            for child in one.children:
                self.add(child)
        elif one.value is not None:
            self[one.name] = [one.value]

    def get(self, key, default=None):
        return self[key][0] if key in self else default

    def getlist(self, key):
        return self.get_all(key)

    def get_all(self, key):
        return dict.get(self, key, [])


def test_an_edit_inside_a_spread_flow_list_rewrites_that_list_only(tmp_path: Path) -> None:
    """ruamel joins a `{…}` spread over lines when it changes: the other lists keep the référent's layout."""
    source = ROOT / "cases/dumont-2025/financement.yaml"
    path = tmp_path / "financement.yaml"
    path.write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    data = load(path).data
    data["prets"][1]["mensualite"] = 52
    before = path.read_text(encoding="utf-8")
    after = yamlsave.render(path, before, data)
    changed = _changed_lines(before, after)
    # only the lines of the loans' list (each loan a `{…}` spread over lines), re-emitted as ruamel writes them
    assert changed and all("organisme" in line or line[1:].lstrip().startswith("date_") for line in changed), changed
    assert after.split("prets:")[0] == before.split("prets:")[0]  # the aides, spread over lines, untouched
    assert load_text_data(path, after) == data


def load_text_data(path: Path, text: str):
    from generator.reading.loader import load_text

    return load_text(path, text).data


def test_a_new_text_is_quoted_when_yaml_would_read_something_else(tmp_path: Path) -> None:
    path = tmp_path / "menage.yaml"
    path.write_text("# yaml-language-server: $schema=x\ndesignation: M. A\n", encoding="utf-8")
    text = yamlsave.render(path, path.read_text(), {"designation": "M. A", "telephone": "0612345678",
                                                    "adresse": {"rue": "1 rue: de la Paix", "code_postal": "62000",
                                                                "commune": "Arras"}})
    assert text == ('# yaml-language-server: $schema=x\ndesignation: M. A\ntelephone: "0612345678"\n'
                    'adresse:\n  rue: "1 rue: de la Paix"\n  code_postal: "62000"\n  commune: Arras\n')


def test_a_refused_value_is_never_written(tmp_path: Path) -> None:
    path = tmp_path / "menage.yaml"
    path.write_text((ROOT / "cases/lefebvre-2026/menage.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    before = path.read_text(encoding="utf-8")
    data = load(path).data
    data["adresse"]["code_postal"] = "6227"
    saved = yamlsave.save(DEFAULTS, path, yamlsave.digest(before), data, "menage")
    assert saved.text is None
    assert [p.message for p in saved.problems] == ["adresse.code_postal : valeur « 6227 » mal formée"]
    assert path.read_text(encoding="utf-8") == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["menage.yaml"]  # no temporary file left


def test_a_wrong_value_whose_text_reads_like_a_missing_one_is_never_written(tmp_path: Path) -> None:
    """« liste vide » typed as a postcode is a wrong value, not a value still missing (its message quotes it)."""
    path = tmp_path / "menage.yaml"
    path.write_text((ROOT / "cases/lefebvre-2026/menage.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    before = path.read_text(encoding="utf-8")
    data = load(path).data
    data["adresse"]["code_postal"] = "liste vide"
    saved = yamlsave.save(DEFAULTS, path, yamlsave.digest(before), data, "menage")
    assert saved.text is None and path.read_text(encoding="utf-8") == before
    assert [p.message for p in saved.problems] == ["adresse.code_postal : valeur « liste vide » mal formée"]


def test_a_draft_with_missing_values_is_saved(tmp_path: Path) -> None:
    path = tmp_path / "menage.yaml"
    path.write_text("# Ménage\ndesignation:\n", encoding="utf-8")
    saved = yamlsave.save(DEFAULTS, path, yamlsave.digest(path.read_text()), {"designation": "M. B"}, "menage")
    assert saved.changed
    assert path.read_text(encoding="utf-8") == "# Ménage\ndesignation: M. B\n"
    assert any("champ obligatoire manquant" in p.message for p in saved.problems)


def test_a_file_changed_on_disk_since_the_form_was_opened_is_not_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "menage.yaml"
    path.write_text("designation: M. A\n", encoding="utf-8")
    shown = yamlsave.digest(path.read_text())
    path.write_text("designation: M. A (corrigé dans l'éditeur)\n", encoding="utf-8")
    with pytest.raises(SaveConflictError) as raised:
        yamlsave.save(DEFAULTS, path, shown, {"designation": "M. C"}, "menage")
    assert raised.value.current == "designation: M. A (corrigé dans l'éditeur)\n"
    assert path.read_text(encoding="utf-8") == "designation: M. A (corrigé dans l'éditeur)\n"


def test_a_value_given_to_a_new_case_takes_the_place_of_its_commented_line(tmp_path: Path) -> None:
    """`astre new` writes `# saisine:` under its explanation: the form's value goes there, as a référent would."""
    from generator.scaffold.scaffold import skeleton

    folder = tmp_path / "cases" / "durand-2026"
    folder.mkdir(parents=True)
    for name in ("mesure", "travaux"):
        (folder / f"{name}.yaml").write_text(skeleton(DEFAULTS, name, folder, ROOT / "schemas"), encoding="utf-8")
    mesure = folder / "mesure.yaml"
    before = mesure.read_text(encoding="utf-8")
    after = yamlsave.render(mesure, before, {"referent": "Claire Martin", "dates": {"saisine": "2026-09-15"}})
    assert _changed_lines(before, after) == ["-# referent:", "+referent: Claire Martin", "-# dates:", "+dates:",
                                             "-  # saisine:", '+  saisine: "2026-09-15"']
    travaux = folder / "travaux.yaml"
    before = travaux.read_text(encoding="utf-8")
    after = yamlsave.render(travaux, before, {"projet_de_vie": "Rester à domicile."})
    assert _changed_lines(before, after) == ["-# projet_de_vie:", "+projet_de_vie: Rester à domicile."]


def test_a_list_given_to_a_new_optional_file_keeps_its_elements_whole(tmp_path: Path) -> None:
    """The commented model of a list element (`#   - intitule:`) never receives an element's fields."""
    from generator.reading.loader import load_text
    from generator.scaffold.scaffold import skeleton

    folder = tmp_path / "cases" / "durand-2026"
    folder.mkdir(parents=True)
    path = folder / "travaux.yaml"
    path.write_text(skeleton(DEFAULTS, "travaux", folder, ROOT / "schemas"), encoding="utf-8")
    wanted = {"postes": [{"intitule": "Isolation des combles", "type": "energetique", "prevu_a_la_saisine": True,
                          "statut": "a_chiffrer"}], "projet_de_vie": "Rester à domicile."}
    after = yamlsave.render(path, path.read_text(encoding="utf-8"), wanted)
    assert load_text(path, after).data == wanted
    assert "\npostes:\n  - intitule: Isolation des combles\n    type: energetique\n" in after


def test_a_file_missing_from_a_case_is_created_from_astre_new_s_model(tmp_path: Path) -> None:
    from generator.scaffold.scaffold import skeleton

    folder = tmp_path / "cases" / "durand-2026"
    folder.mkdir(parents=True)
    path = folder / "sortie.yaml"
    saved = yamlsave.save(DEFAULTS, path, yamlsave.digest(""), {"motif": "fin_de_mesure"}, "sortie",
                          skeleton(DEFAULTS, "sortie", folder, ROOT / "schemas"))
    text = path.read_text(encoding="utf-8")
    assert saved.changed and text.startswith("# yaml-language-server: $schema=")
    assert "\nmotif: fin_de_mesure\n" in text and "# motif:" not in text


def test_a_value_never_goes_into_the_commented_model_of_another_part(tmp_path: Path) -> None:
    path = tmp_path / "menage.yaml"
    text = "adresse:\n  rue: 1 rue Haute\n# Catégorie ANAH\n# categorie_anah:\n  # commune:\n"
    after = yamlsave.render(path, text, {"adresse": {"rue": "1 rue Haute", "commune": "Arras"}})
    assert after == ("adresse:\n  rue: 1 rue Haute\n  commune: Arras\n"
                     "# Catégorie ANAH\n# categorie_anah:\n  # commune:\n")
