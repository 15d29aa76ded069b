"""`astre new`: commented blank files, safe identifiers, never overwrites."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import cli
from generator.reading.cases import CASE_FILES
from generator.reading.loader import load


def run(project: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, str]:
    monkeypatch.chdir(project)
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def snapshot(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
            for p in sorted(root.rglob("*"))}


def test_new_case_files(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, output = run(project, monkeypatch, "new", "martin-2026")
    assert code == 0, output
    folder = project / "cases/martin-2026"
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{name}.yaml" for name in CASE_FILES)
    for name in CASE_FILES:
        path = folder / f"{name}.yaml"
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("# yaml-language-server: $schema=")
        assert first.endswith(f"schemas/{name}.schema.json")
        assert load(path).data is None  # only comments: a new case holds nothing that is not known yet
    assert "\n# identifiant: martin-2026\n" in (folder / "mesure.yaml").read_text(encoding="utf-8")
    assert not list((project / "cases").glob(".new-*"))  # no staging folder left behind


def test_schema_line_points_inside_the_repository(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A relative `$schema` line to the repository's editor copy: it resolves in any clone, anywhere."""
    run(project, monkeypatch, "new", "martin-2026")
    line = (project / "cases/martin-2026/menage.yaml").read_text(encoding="utf-8").splitlines()[0]
    relative = line.split("$schema=", 1)[1]
    assert relative == "../../.astre/schemas/menage.schema.json"
    target = (project / "cases/martin-2026" / relative).resolve()
    assert target.is_file() and target.is_relative_to(project.resolve())


def test_new_case_is_reported_as_to_fill(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run(project, monkeypatch, "new", "martin-2026")
    code, output = run(project, monkeypatch, "check", "cases/martin-2026")
    assert code == 1
    assert "cases/martin-2026/mesure.yaml:1:1: erreur : fichier vide — retirez le « # » devant les champs marqués " \
        "« obligatoire »" in output
    assert output.count(": erreur : ") == 3, output  # mesure, menage, logement: one line each, not 21


def test_new_case_commits_as_a_draft(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The commit hook lets a case being filled in pass; what is written wrong is refused, in French, located."""
    run(project, monkeypatch, "new", "martin-2026")
    folder = project / "cases/martin-2026"
    files = [str(p) for p in sorted(folder.glob("*.yaml"))]
    code, output = run(project, monkeypatch, "check", "--pre-commit", *files)
    assert code == 0, output
    assert "3 éléments encore à remplir, non bloquants pour un commit" in output
    # Started: a few fields of the household, others not yet (the address, the members, the income).
    menage = folder / "menage.yaml"
    menage.write_text(menage.read_text(encoding="utf-8").replace("# designation:", "designation: Mme Martin")
                      .replace("# telephone:", 'telephone: "0612345678"'), encoding="utf-8")
    code, output = run(project, monkeypatch, "check", "--pre-commit", *files)
    assert code == 0, output
    code, output = run(project, monkeypatch, "check", "cases/martin-2026")
    assert code == 1 and "menage.yaml:6:1: erreur : adresse : champ obligatoire manquant (Adresse)" in output
    # Written wrong: a number for a text, a date that does not exist, a value outside the list.
    text = menage.read_text(encoding="utf-8").replace('"0612345678"', "0612345678")
    menage.write_text(text, encoding="utf-8")
    logement = folder / "logement.yaml"
    logement.write_text(logement.read_text(encoding="utf-8").replace("# type:", "type: chateau", 1), encoding="utf-8")
    mesure = folder / "mesure.yaml"
    mesure.write_text(mesure.read_text(encoding="utf-8").replace("# dates:", "dates:")
                      .replace("  # reperage:", '  reperage: "2026-02-30"'), encoding="utf-8")
    code, output = run(project, monkeypatch, "check", "--pre-commit", *files)
    assert code == 1, output
    found = [line.split(" — ")[0] for line in output.splitlines() if ": erreur : " in line]
    assert found == ["cases/martin-2026/mesure.yaml:14:13: erreur : dates.reperage : date invalide « 2026-02-30 »",
                     "cases/martin-2026/menage.yaml:16:12: erreur : telephone : un texte attendu, trouvé "
                     "« … (donnée personnelle, non recopiée ici) »",
                     "cases/martin-2026/logement.yaml:6:7: erreur : type : valeur « chateau » non prévue"], output
    assert "champ obligatoire manquant" not in output and "fichier vide" not in output


def test_filling_the_blanks_of_a_new_case_makes_it_valid(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What a référent does: fill every blank the scaffold shows, then `astre check` passes."""
    run(project, monkeypatch, "new", "martin-2026")
    folder = project / "cases/martin-2026"
    blanks = {
        "mesure": {"referent:": "Claire Martin", "statut:": "reperage", "dates:": '{reperage: "2026-11-02"}',
                   "structure:": "CCAS de Frévent", "type:": "ccas", "mds:": "Montreuillois-Ternois",
                   "commune:": "Frévent", "perimetre:": "diffus"},
        "menage": {"designation:": "Mme Martin", "rue:": "1 rue Haute", "code_postal:": '"62270"',
                   "commune:": "Frévent", "- prenom:": "Anne", "nom:": "Martin", "lien:": "demandeur",
                   "date_naissance:": '"1950-01-01"', "annee_revenus:": "2025", "montant:": "12000"},
        "logement": {"type:": "maison_individuelle", "classe:": "G", "energie:": "fioul"},
    }
    blanks["mesure"].update({"identifiant: martin-2026": "", "origine:": "", "territoire:": ""})
    blanks["menage"].update({"adresse:": "", "membres:": "", "revenu_fiscal_reference:": ""})
    blanks["logement"].update({"dpe_avant:": "", "chauffage:": ""})
    for name, values in blanks.items():
        path = folder / f"{name}.yaml"
        lines = path.read_text(encoding="utf-8").splitlines()
        # What a référent does: remove the « # » of a field marked « obligatoire » and write its value.
        filled = [(line.replace("# ", "", 1) + " " + values[line.strip()[2:]]).rstrip()
                  if line.strip()[2:] in values and "(obligatoire)" in previous else line
                  for previous, line in zip(["", *lines], lines, strict=False)]
        assert len([a for a, b in zip(lines, filled, strict=True) if a != b]) >= len(values)
        path.write_text("\n".join(filled) + "\n", encoding="utf-8")
    code, output = run(project, monkeypatch, "check", "--date", "2026-11-22", "cases/martin-2026")
    assert code == 0, output


def test_existing_id_refused_and_untouched(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = snapshot(project)
    code, output = run(project, monkeypatch, "new", "lefebvre-2026")
    assert code == 2
    assert "existe déjà" in output
    assert snapshot(project) == before


@pytest.mark.parametrize("case_id", ["../evasion", "a/b", "/tmp/x", "a\x00b", "Dupont-2026", "abc\n", "", "-abc",
                                     ".cache", "a" * 65, "dupont 2026", "dupont_2026", "é"])
def test_unsafe_ids_refused(project: Path, monkeypatch: pytest.MonkeyPatch, case_id: str) -> None:
    before = snapshot(project.parent)
    code, output = run(project, monkeypatch, "new", "--", case_id)
    assert code == 2
    assert "identifiant de dossier invalide" in output
    assert snapshot(project.parent) == before


def test_longest_id_accepted(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, _ = run(project, monkeypatch, "new", "a" * 64)
    assert code == 0 and (project / "cases" / ("a" * 64)).is_dir()
