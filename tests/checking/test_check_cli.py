"""`astre check` through the command line: exit codes, JSON, usage errors, start-up cost."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.checking.check import check, format_text
from generator.cli import cli
from generator.reading.config import load_config

ROOT = Path(__file__).resolve().parents[2]
TODAY = "2026-11-22"


def run(project: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, str]:
    monkeypatch.chdir(project)
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def test_examples_are_clean(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, output = run(project, monkeypatch, "check", "--date", TODAY)
    assert code == 0, output
    assert output.splitlines()[-1].startswith("3 dossiers vérifiés : 0 erreur, ")


def test_repository_examples_are_clean() -> None:
    """The real cases/ folder (not a copy) passes with no error on the project's reference date."""
    done = subprocess.run([sys.executable, "-m", "generator", "check", "--date", TODAY], cwd=ROOT,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert ": erreur :" not in done.stdout


def test_errors_exit_1_and_strict_warnings(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, _ = run(project, monkeypatch, "check", "--date", TODAY, "--strict")
    assert code == 1  # caron-2026 has a warning (contract sent late)
    (project / "cases/caron-2026/sortie.yaml").write_text("date: hier\n", encoding="utf-8")
    code, output = run(project, monkeypatch, "check", "--date", TODAY, "cases/caron-2026")
    assert code == 1
    assert "cases/caron-2026/sortie.yaml:1:7: erreur : date : date invalide « hier »" in output


def test_json_report(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    edit = project / "cases/lefebvre-2026/mesure.yaml"
    text = edit.read_text(encoding="utf-8").replace("  decision: validee\n  reference_spslh: ASTRE-2026-0062\n",
                                                     "  decision: refusee\n  motif: dossier incomplet\n")
    edit.write_text(text, encoding="utf-8")
    line = text.splitlines().index("  decision: refusee") + 1
    code, output = run(project, monkeypatch, "check", "--date", TODAY, "--format", "json")
    assert code == 1
    report = json.loads(output)
    assert set(report) == {"dossiers", "erreurs", "avertissements", "problemes"}
    # The warning: the contract sent late (caron).
    assert (report["dossiers"], report["erreurs"], report["avertissements"]) == (3, 1, 1)
    error = next(p for p in report["problemes"] if p["gravite"] == "erreur")
    assert error == {"fichier": "cases/lefebvre-2026/mesure.yaml", "ligne": line, "colonne": 13,
                     "gravite": "erreur", "code": "validation", "message": error["message"],
                     "conseil": error["conseil"]}
    assert error["message"] == "mesure non validée par le comité mais commencée (date de début renseignée)"
    assert "ni contrat ni facturation" in error["conseil"]


@pytest.mark.parametrize("args", [["check", "introuvable"], ["check", "--date", "2026-02-30"],
                                  ["check", "--format", "xml"], ["check", "--inconnu"]])
def test_usage_errors_exit_2(project: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]) -> None:
    code, output = run(project, monkeypatch, *args)
    assert code == 2, output


def test_missing_config_exits_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, output = run(tmp_path, monkeypatch, "check")
    assert code == 2
    assert "astre.yaml introuvable" in output


def test_invalid_config_is_located(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = project / "astre.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("duree_mois: 12", "duree_mois: douze"), "utf-8")
    code, output = run(project, monkeypatch, "check")
    assert code == 2
    assert "astre.yaml:28:15: erreur : programme.duree_mois : un nombre entier attendu, trouvé « douze »" in output


def test_programme_is_typed_and_goes_to_worker_processes(project: Path) -> None:
    import pickle

    config = load_config(project / "astre.yaml")
    programme = config.programme
    assert (programme.months, programme.review_months, programme.visits_per_month) == (12, (3, 6, 9), 2)
    assert (programme.service_short, programme.diagnostic_reminder_days, programme.horizon_days) == ("SPSLH", 30, 30)
    assert pickle.loads(pickle.dumps(config)).programme == programme  # the build sends the config to its workers


def test_a_bad_new_programme_value_is_located(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = project / "astre.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("horizon_echeances_jours: 30",
                                                                 "horizon_echeances_jours: 0"), "utf-8")
    code, output = run(project, monkeypatch, "check")
    assert code == 2 and "programme.horizon_echeances_jours" in output


def test_unreadable_file_through_the_cli(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """chmod 000 does not stop root (CI): the refusal is simulated on one file."""
    target = project / "cases/dumont-2025/suivi.yaml"
    real = os.open

    def refuse(name: str | Path, flags: int, *args: int) -> int:
        if Path(name).name == target.name and Path(name).parent.name == target.parent.name:
            raise PermissionError(13, "Permission denied", str(name))
        return real(name, flags, *args)

    monkeypatch.setattr(os, "open", refuse)
    code, output = run(project, monkeypatch, "check", "--date", TODAY)
    assert code == 1
    assert "cases/dumont-2025/suivi.yaml:1:1: erreur : lecture interdite (droits insuffisants)" in output


def test_file_argument_checks_its_case(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """pre-commit passes file names: each case is checked once."""
    code, output = run(project, monkeypatch, "check", "--date", TODAY, "cases/caron-2026/sortie.yaml",
                       "cases/caron-2026/mesure.yaml")
    assert code == 0
    assert output.splitlines()[-1].startswith("1 dossier vérifié : 0 erreur")


def test_parallel_and_sequential_reports_are_identical(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    from synth import make_cases

    root = make_cases(tmp_path / "projet", 240, seed=3)
    # Break a few cases so the report is not empty.
    for index in (5, 77, 200):
        path = root / f"cases/synth-{index:04d}/financement.yaml"
        path.write_text(path.read_text(encoding="utf-8").replace("reste_a_charge:", "reste_a_charge: 1\nx:"), "utf-8")
    config = load_config(root / "astre.yaml")
    parallel = check(config, [], date(2026, 11, 22), jobs=2)
    sequential = check(config, [], date(2026, 11, 22), jobs=1)
    assert format_text(parallel, root) == format_text(sequential, root)
    assert parallel.errors == sequential.errors >= 3


@pytest.mark.parametrize("args", [["--help"], ["check", "--date", TODAY], ["check", "--help"], ["new", "--help"]])
def test_no_heavy_import(project: Path, args: list[str]) -> None:
    """WeasyPrint and docxtpl take a second to import: `check` and `--help` must not pay it."""
    code = ("import sys, runpy\n"
            f"sys.argv = ['astre', *{args!r}]\n"
            "code = 0\n"
            "try:\n    runpy.run_module('generator', run_name='__main__')\n"
            "except SystemExit as e:\n    code = e.code\n"
            "print('CODE', code, file=sys.stderr)\n"
            "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('weasyprint', 'docxtpl', 'docx', "
            "'matplotlib', 'openpyxl'))\n"
            "print('HEAVY', heavy, file=sys.stderr)\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=project, capture_output=True, text=True)
    assert "HEAVY []" in done.stderr, done.stderr[-2000:]
    assert "CODE 0" in done.stderr, done.stderr[-2000:]  # the command really ran (examples: no error)


def test_pre_commit_hooks() -> None:
    """The hook a structure's repository uses, and the local one of this repository."""

    import yaml

    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    hook = next(h for h in hooks if h["id"] == "astre-check")
    assert (hook["language"], hook["entry"], hook["pass_filenames"]) == ("python", "astre check --pre-commit", True)
    assert hook["require_serial"] is True  # one run: each message printed once
    pattern = re.compile(hook["files"])
    # Every YAML file: `astre check --pre-commit` keeps those of the structure's cases_dir.
    assert pattern.search("cases/dupont-2026/menage.yaml") and pattern.search("dossiers/dupont-2026/suivi.yml")
    assert not pattern.search("generator/cli.py")
    local = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    entries = {h["id"]: h["entry"] for repo in local["repos"] for h in repo["hooks"]}
    assert entries["astre-check"] == ".venv/bin/python -m generator check"
    assert "ruff" in entries["ruff"]


@pytest.mark.parametrize(("args", "expected"), [
    (["--bogus"], "astre : option inconnue « --bogus »"),
    (["chek"], "commande inconnue « chek » ; vouliez-vous dire « check » ?"),
    (["new"], "astre new : argument manquant : IDENTIFIANT"),
    (["check", "--format", "xml"], "valeur invalide pour '--format' : valeurs possibles : texte, json"),
    (["check", "--date", "2026-02-30"], "« 2026-02-30 » n'est pas une date AAAA-MM-JJ valide"),
])
def test_usage_errors_are_french_with_exit_2(args: list[str], expected: str) -> None:
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 2
    assert expected in result.output and "Aide : astre" in result.output
    assert "Error" not in result.output and "Usage" not in result.output


def test_help_is_french() -> None:
    result = CliRunner().invoke(cli, ["--help"], catch_exceptions=False)
    assert result.exit_code == 0
    assert result.output.startswith("Utilisation : astre [OPTIONS] COMMANDE [ARGUMENTS]...")
    assert "Afficher cette aide et quitter." in result.output and "Commandes:" in result.output
    assert "Show this message" not in result.output
    # Each command's description whole, not cut at 45 characters (« des dossiers,... »).
    flat = " ".join(result.output.split())
    assert "build Construire les documents (DOCX et PDF) des dossiers, seulement ceux qui ont changé." in flat
    assert "watch Regénérer les documents à chaque enregistrement d'un fichier (tous les dossiers par défaut)." in flat
    assert ",..." not in result.output and "...\n" not in result.output.split("Commandes:")[1]


@pytest.mark.parametrize("value", ["26", "abc", "2026-01", "1999"])
def test_report_year_is_a_french_usage_error(project: Path, monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    code, output = run(project, monkeypatch, "report", "--year", value)
    assert code == 2
    assert output.startswith("astre report : valeur invalide pour ") and "Aide : astre report --help" in output
    assert "année" in output and "is not" not in output and "range" not in output


@pytest.mark.parametrize("args", [["build", "--document", "contrats"], ["check", "--for", "contrats"]])
def test_unknown_document_is_a_usage_error(project: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]) -> None:
    code, output = run(project, monkeypatch, *args)
    assert code == 2
    assert "document inconnu « contrats » ; documents disponibles : bilan-final, bilan-intermediaire, " \
           "budget-energie, compte-rendu-reception, contrat, demande-diagnostic, fiche-saisine, " \
           "signalement-changement, signalement-sortie, tresorerie-chantier" in output


def test_text_with_a_colon_in_a_list_is_said_in_french(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`- Coordination avec Citémétrie: M. Roux` reads as a field: say so, with the quoted text to write."""
    contrat = project / "cases/lefebvre-2026/contrat.yaml"
    text = contrat.read_text(encoding="utf-8")
    contrat.write_text(text.replace("  - Transmettre les pièces demandées pour les dossiers d'aide.",
                                    "  - Coordination avec Citémétrie: M. Roux"), encoding="utf-8")
    code, output = run(project, monkeypatch, "check", "--date", TODAY, "cases/lefebvre-2026")
    assert code == 1
    assert "cases/lefebvre-2026/contrat.yaml:13:5: erreur : engagements_menage[2] : un texte attendu, mais le « : » " \
           "de « Coordination avec Citémétrie: M. Roux » le fait lire comme un champ — mettez le texte entre " \
           "guillemets : \"Coordination avec Citémétrie: M. Roux\"" in output
    assert "{'" not in output and "'}" not in output


@pytest.mark.parametrize("output_dir", [".", "cases", "cases/lefebvre-2026"])
def test_output_folder_mixed_with_cases_is_refused(project: Path, output_dir: str) -> None:
    config = project / "astre.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("output_dir: out", f"output_dir: {output_dir}"),
                      encoding="utf-8")
    result = CliRunner().invoke(cli, ["-f", str(config), "status", "--ics", "agenda.ics"], catch_exceptions=False)
    assert result.exit_code == 2
    assert f"output_dir « {output_dir} » mélangerait les documents et les dossiers des ménages" in result.output
    assert "astre.yaml:" in result.output
    assert not list(project.rglob("agenda.ics"))


def test_file_outside_a_case_is_a_usage_error(project: Path) -> None:
    result = CliRunner().invoke(cli, ["-f", str(project / "astre.yaml"), "check", str(project / "astre.yaml")],
                                catch_exceptions=False)
    assert result.exit_code == 2 and "ce n'est pas un fichier de dossier" in result.output


def test_empty_case_folder_named_explicitly_is_checked(project: Path) -> None:
    (project / "cases" / "vide").mkdir()
    result = CliRunner().invoke(cli, ["-f", str(project / "astre.yaml"), "check", str(project / "cases" / "vide")],
                                catch_exceptions=False)
    assert result.exit_code == 1
    assert "cases/vide/mesure.yaml:1:1: erreur : fichier obligatoire manquant" in result.output


def test_text_going_on_as_a_field_asks_for_the_pipe(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`etat: Murs humides côté nord,` then `combles: non isolés`: the second line is the text going on."""
    logement = project / "cases/dumont-2025/logement.yaml"
    text = logement.read_text(encoding="utf-8")
    logement.write_text(text.replace("etat: Murs humides côté nord, combles non isolés",
                                     "etat: Murs humides côté nord,\ncombles: non isolés"), encoding="utf-8")
    code, output = run(project, monkeypatch, "check", "--date", TODAY, "cases/dumont-2025")
    assert code == 1
    assert "cases/dumont-2025/logement.yaml:17:1: erreur : combles : champ inconnu « combles » : suite du texte de " \
           "« etat » (ligne 16) ? — ajoutez « | » après le nom du champ pour un texte sur plusieurs lignes " \
           "(« etat: | » puis le texte en dessous, indenté de deux espaces)" in output


def test_letterhead_and_signing_town_are_checked_before_any_document(project: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """No « Fait à non renseigné », no « (à compléter) » in a letterhead: check and build say where to fill in."""
    config = project / "astre.yaml"
    good = config.read_text(encoding="utf-8")
    config.write_text(good.replace("  ville_signature: Boulogne-sur-Mer\n", ""), encoding="utf-8")
    for command in (["check", "--date", TODAY], ["build", "--date", TODAY, "-j", "1"],
                    ["financement", "--date", TODAY]):
        code, output = run(project, monkeypatch, *command)
        assert code == 2, (command, output)
        assert "astre.yaml:5:1: erreur : structure.ville_signature manque" in output, (command, output)
        assert "ville_signature: Arras" in output  # how to fix it
    assert not (project / "out").exists()
    code, output = run(project, monkeypatch, "check", "--format", "json", "--date", TODAY)
    assert code == 2 and "structure.ville_signature manque" in json.loads(output)["problemes"][0]
    config.write_text(good.replace("ville_signature: Boulogne-sur-Mer", "ville_signature: À_COMPLÉTER"), "utf-8")
    code, output = run(project, monkeypatch, "check", "--date", TODAY)
    assert code == 2 and "astre.yaml:12:20: erreur : structure.ville_signature « À_COMPLÉTER » est à compléter" \
        in output


def test_the_scaffold_letterhead_must_be_filled_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    structure = tmp_path / "asso"
    assert CliRunner().invoke(cli, ["init", str(structure), "--source", "x.whl",
                                    "--depot", "https://example.invalid/astre.git"]).exit_code == 0
    code, output = run(structure, monkeypatch, "check")
    assert code == 2, output
    lines = [line for line in output.splitlines() if "astre.yaml:" in line]
    assert len(lines) == 3, output
    assert "astre.yaml:8:8: erreur : structure.nom « Nom de la structure » est le modèle d'astre init" in lines[0]
    assert "astre.yaml:10:7: erreur : structure.adresse « Adresse de la structure (à compléter) » est à " \
           "compléter" in lines[1]
    assert "astre.yaml:6:1: erreur : structure.ville_signature manque" in lines[2]
    config = structure / "astre.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace('"Nom de la structure"', "CCAS de Frévent")
                      .replace('"Adresse de la structure (à compléter)"', "1 place de la Mairie")
                      .replace("# ville_signature: Arras", "ville_signature: Frévent"), encoding="utf-8")
    code, output = run(structure, monkeypatch, "check")
    assert code == 0 and "astre.yaml" not in output, output
