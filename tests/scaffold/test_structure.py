"""A structure adopts astre: the wheel in a fresh venv, `astre init`, pre-commit and the editor, for real.

These tests install packages (pip, from the lock file), run the real pre-commit in a
throw-away git repository, and drive the real yaml-language-server: a few minutes in all.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator import __version__
from generator.cli import cli
from generator.reading.cases import CASE_FILES

ROOT = Path(__file__).resolve().parents[2]
EDITOR = Path(__file__).resolve().parents[1] / "editor"
REQUIRED = os.environ.get("CI") == "true"  # CI has every tool: a missing one fails there, never skips
# Where a colleague installs astre from, and its repository for pre-commit: what `astre init` records.
SHARED = ["--source", "x.whl", "--depot", "https://example.invalid/astre.git"]


def _need(tool: str) -> None:
    if shutil.which(tool) is None:
        if REQUIRED:
            pytest.fail(f"{tool} introuvable (installé par « make test »)")
        pytest.skip(f"{tool} introuvable")


def _fill_letterhead(structure: Path) -> None:
    """Fill in what `astre init` leaves to the structure: its address and signing town (checked before any build)."""
    config = structure / "astre.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("Nom de la structure", "Association Habitat Solidaire")
                      .replace('"Adresse de la structure (à compléter)"', "1 place de la Mairie, 62000 Arras")
                      .replace("# ville_signature: Arras", "ville_signature: Arras"), encoding="utf-8")


def _run(args: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: float = 900,
         check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)
    if check and done.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, args))} → {done.returncode}\n{done.stdout[-4000:]}\n"
                             f"{done.stderr[-4000:]}")
    return done


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The toolkit's wheel, built from this checkout."""
    dist = tmp_path_factory.mktemp("dist")
    # From a copy: setuptools leaves build/ in the source folder, and would reuse a stale one.
    source = dist / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "out", "build", "dist", "*.egg-info", "node_modules", "__pycache__", "_work"))
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(dist),
          str(source)], cwd=dist)
    (found,) = dist.glob("astre-*.whl")
    return found


@pytest.fixture(scope="module")
def toolkit_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git repository of the toolkit as committed, tagged v<version> (what pre-commit clones)."""
    repo = tmp_path_factory.mktemp("toolkit") / "astre"
    _run(["git", "clone", "-q", str(ROOT), str(repo)], cwd=repo.parent)
    # The files as they are in this checkout (what the tests test), committed in the clone.
    for name in _run(["git", "ls-files", "-z"], cwd=ROOT).stdout.split("\0"):
        if name and (ROOT / name).is_file():
            shutil.copy2(ROOT / name, repo / name)
    who = ["-c", "user.name=astre", "-c", "user.email=astre@example.invalid"]
    _run(["git", "add", "-A"], cwd=repo)
    if _run(["git", "status", "--porcelain"], cwd=repo).stdout.strip():
        _run(["git", *who, "commit", "-q", "-m", "Copie de travail"], cwd=repo)
    _run(["git", *who, "tag", "-f", f"v{__version__}"], cwd=repo)
    return repo


def test_wheel_ships_the_defaults_and_a_structure_builds_with_it(wheel: Path, tmp_path: Path) -> None:
    """Fresh venv + wheel + `astre init` in an empty folder + `make docs` there: documents appear."""
    import zipfile

    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("generator/defaults/schemas/menage.schema.json", "generator/defaults/forms/contrat.yaml",
                   "generator/defaults/forms/mises-en-page/contrat.yaml",
                   "generator/defaults/templates/report/rapport.css",
                   "generator/defaults/forms/mises-en-page/mise-en-page.schema.json",
                   "generator/defaults/templates/assets/fonts/LiberationSans-Regular.ttf",
                   "generator/data/plafonds_anah.yaml", "generator/data/requirements.lock",
                   "generator/data/structure/Makefile", "generator/defaults/exemples/lefebvre-2026/menage.yaml",
                   "generator/serve/templates/dossier.html", "generator/serve/static/serve.js"):
        assert needed in names, needed
    env = venv.EnvBuilder(with_pip=True)
    env.create(tmp_path / "v")
    python = tmp_path / "v" / "bin" / "python"
    pip = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    _run([*pip, "--no-deps", str(wheel)], cwd=tmp_path)
    lock = _run([str(python), "-m", "generator.data"], cwd=tmp_path).stdout.strip()
    # pip first, as the structure's Makefile does: an older pip refuses the hashed lock (generator/data/pip.lock).
    _run([*pip, "--require-hashes", "-r", str(Path(lock).with_name("pip.lock"))], cwd=tmp_path)
    _run([*pip, "--require-hashes", "-r", lock], cwd=tmp_path)
    astre = str(tmp_path / "v" / "bin" / "astre")
    assert _run([astre, "--version"], cwd=tmp_path).stdout.strip() == f"astre {__version__}"

    structure = tmp_path / "asso"
    # Installed from a wheel on this computer: a colleague could not install from that path, so init refuses.
    refused = _run([astre, "init", str(structure), "--exemple"], cwd=tmp_path, check=False)
    assert refused.returncode == 2 and "Traceback" not in refused.stderr, refused.stderr
    assert f"astre a été installé depuis {wheel}, un chemin de cet ordinateur" in refused.stderr
    assert "indiquez avec « --source » une source que chacun peut joindre" in refused.stderr
    assert not structure.exists()
    # The wheel kept in the structure's repository: every clone has it, at the same relative path.
    (structure / "outils").mkdir(parents=True)
    shutil.copy(wheel, structure / "outils" / wheel.name)
    started = _run([astre, "init", str(structure), "--exemple", "--nom", "Association Essai Arras",
                    "--dossier-existant", "--source", f"outils/{wheel.name}",
                    "--depot", "https://example.invalid/astre.git"], cwd=tmp_path)
    assert "Créé : astre.yaml" in started.stdout and "Créé : Makefile" in started.stdout
    assert "Créé : .astre-salt" in started.stdout and "Attention" not in started.stderr
    _fill_letterhead(structure)
    assert not (structure / "templates").exists() and not (structure / "schemas").exists()
    makefile = (structure / "Makefile").read_text(encoding="utf-8")
    assert f"ASTRE_VERSION := {__version__}" in makefile and f"ASTRE_SOURCE := outils/{wheel.name}" in makefile
    hooks = (structure / ".pre-commit-config.yaml").read_text(encoding="utf-8")
    assert "repo: https://example.invalid/astre.git" in hooks and "À_COMPLÉTER" not in hooks

    # `make docs` in the structure: its own .venv, the pinned wheel, the lock, then the documents.
    _run(["make", "docs"], cwd=structure)
    out = structure / "out" / "lefebvre-2026"
    for name in ("fiche-saisine", "contrat"):
        assert (out / f"{name}.pdf").stat().st_size > 1000 and (out / f"{name}.docx").stat().st_size > 1000
    text = _run(["pdftotext", str(out / "contrat.pdf"), "-"], cwd=tmp_path).stdout
    assert "Association Essai Arras" in text  # the structure's astre.yaml, not the toolkit's
    own = str(structure / ".venv" / "bin" / "astre")
    # Every command runs in a folder that holds only the structure's files (no traceback, French output).
    # (`astre secret` refuses: `astre init` made the secret, and replacing it would change every pseudonym.)
    for args, code in ((["check"], 0), (["status", "--date", "2026-11-22"], 0), (["new", "martin-2026"], 0),
                       (["secret"], 2), (["report", "--year", "2026", "--date", "2026-12-01"], None),
                       (["financement", "--date", "2026-12-01"], None)):
        done = _run([own, *args], cwd=structure, check=False)
        assert "Traceback" not in done.stderr, (args, done.stderr)
        if code is not None:
            assert done.returncode == code, (args, done.stdout, done.stderr)
    assert list((structure / "out").glob("rapport-activite-*.pdf"))
    _serve_answers(own, structure)

    # A second référent clones the repository elsewhere: `make docs` installs and builds the same bytes,
    # and the export's pseudonyms are the same (the secret made by `astre init` is committed).
    git = {**os.environ, "GIT_AUTHOR_NAME": "R", "GIT_AUTHOR_EMAIL": "r@example.invalid", "GIT_COMMITTER_NAME": "R",
           "GIT_COMMITTER_EMAIL": "r@example.invalid"}
    shutil.rmtree(structure / "cases" / "martin-2026")  # the case just made by `astre new` is not filled in
    _run(["git", "init", "-q", "-b", "main"], cwd=structure, env=git)
    _run(["git", "add", "-A"], cwd=structure, env=git)
    _run(["git", "commit", "-q", "-m", "Dépôt ASTRE"], cwd=structure, env=git)
    assert ".astre-salt" in _run(["git", "ls-files"], cwd=structure).stdout.split()
    clone = tmp_path / "autre-poste" / "dossiers"
    _run(["git", "clone", "-q", str(structure), str(clone)], cwd=tmp_path, env=git)
    _run(["make", "docs"], cwd=clone)
    for name in ("fiche-saisine.pdf", "contrat.pdf", "contrat.docx"):
        assert (clone / "out" / "lefebvre-2026" / name).read_bytes() == (out / name).read_bytes(), name
    for root in (structure, clone):
        _run([str(root / ".venv" / "bin" / "astre"), "report", "--year", "2026", "--date", "2026-12-01"], cwd=root,
             check=False)
    [export] = (structure / "out").glob("*.csv")
    assert (clone / "out" / export.name).read_bytes() == export.read_bytes()


def _serve_answers(astre: str, structure: Path) -> None:
    """`astre serve` of the installed wheel: its pages and script are in the wheel, the token lets in."""
    import http.client
    import re

    server = subprocess.Popen([astre, "serve", "--no-browser", "--port", "0"], cwd=structure,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        line = server.stdout.readline()
        found = re.search(r"http://(127\.0\.0\.1):(\d+)(/\?token=\S+)", line)
        assert found, line
        answers = []
        cookie = ""
        for path in (found.group(3), "/", "/static/serve.js"):
            connection = http.client.HTTPConnection(found.group(1), int(found.group(2)), timeout=30)
            connection.request("GET", path, headers={"Cookie": cookie})
            answer = connection.getresponse()
            cookie = (answer.getheader("set-cookie") or cookie).split(";")[0]
            answers.append((answer.status, answer.read().decode()))
            connection.close()
        assert [status for status, _ in answers] == [303, 200, 200]
        assert "lefebvre-2026" in answers[1][1] and "addEventListener" in answers[2][1]
    finally:
        server.terminate()
        server.wait(timeout=10)
        server.stdout.close()



def test_init_refuses_what_it_cannot_do_and_never_overwrites(tmp_path: Path) -> None:
    runner = CliRunner()
    (tmp_path / "plein").mkdir()
    (tmp_path / "plein" / "astre.yaml").write_text("# le mien\n", encoding="utf-8")
    done = runner.invoke(cli, ["init", str(tmp_path / "plein"), *SHARED])
    assert done.exit_code == 2 and "n'est pas vide" in done.output and "--dossier-existant" in done.output
    done = runner.invoke(cli, ["init", str(tmp_path / "plein"), *SHARED, "--dossier-existant"])
    assert done.exit_code == 0, done.output
    assert "Gardé tel quel (existe déjà) : astre.yaml" in done.output
    assert (tmp_path / "plein" / "astre.yaml").read_text(encoding="utf-8") == "# le mien\n"
    (tmp_path / "fichier").write_text("x", encoding="utf-8")
    done = runner.invoke(cli, ["init", str(tmp_path / "fichier"), *SHARED])
    assert done.exit_code == 2 and "est un fichier" in done.output
    done = runner.invoke(cli, ["init", str(tmp_path / "neuf"), "--version-astre", "9.9.9", *SHARED])
    assert done.exit_code == 2 and "version « 9.9.9 » inconnue" in done.output
    assert not (tmp_path / "neuf").exists()


def test_structure_overrides_win_and_broken_ones_are_located(tmp_path: Path, monkeypatch) -> None:
    """Barème, labels and templates of the structure replace astre's; a broken override is said, located."""
    runner = CliRunner()
    assert runner.invoke(cli, ["init", str(tmp_path), "--exemple", *SHARED,
                               "--dossier-existant", "--nom", "Association Essai"]).exit_code == 0
    _fill_letterhead(tmp_path)
    monkeypatch.chdir(tmp_path)
    menage = tmp_path / "cases" / "lefebvre-2026" / "menage.yaml"  # without its notified category: the barème counts
    text = menage.read_text(encoding="utf-8")
    menage.write_text(text[:text.index("# Catégorie indiquée")] + text[text.index("charges:"):], encoding="utf-8")
    done = runner.invoke(cli, ["check", "--date", "2026-11-22"])
    assert "aucun barème ANAH connu pour 2026" in done.output and "baremes/plafonds_anah.yaml" in done.output
    (tmp_path / "baremes").mkdir()
    bareme = tmp_path / "baremes" / "plafonds_anah.yaml"
    bareme.write_text("baremes:\n  - annee: 2026\n    source: \"Essai : chiffres de test, pas officiels\"\n"
                      "    tres_modestes: [17363, 25393, 30540, 35676, 40835]\n"
                      "    tres_modestes_par_personne_supplementaire: 5151\n"
                      "    modestes: [22259, 32553, 39148, 45735, 52348]\n"
                      "    modestes_par_personne_supplementaire: 6598\n", encoding="utf-8")
    done = runner.invoke(cli, ["check", "--date", "2026-11-22"])
    assert done.exit_code == 0 and "barème" not in done.output, done.output
    bareme.write_text(bareme.read_text(encoding="utf-8").replace("[17363, 25393, 30540, 35676, 40835]",
                                                                 "[17363, 25393, 30540]"), encoding="utf-8")
    done = runner.invoke(cli, ["check"])
    assert done.exit_code == 2 and "baremes/plafonds_anah.yaml:4:20" in done.output.replace(str(tmp_path) + "/", "")
    bareme.write_text("baremes:\n  - annee: 2026\n", encoding="utf-8")
    done = runner.invoke(cli, ["check"])
    assert done.exit_code == 2 and "champ obligatoire manquant" in done.output and "source" in done.output
    bareme.unlink()
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "menage.schema.json").write_text("{ pas du json", encoding="utf-8")
    done = runner.invoke(cli, ["check"])
    assert done.exit_code == 2 and "menage.schema.json:1:3: schéma invalide" in done.output, done.output
    assert "Traceback" not in done.output
    shutil.rmtree(tmp_path / "schemas")
    # A case-document template of the structure: used instead of astre's; broken, it is said, located.
    (tmp_path / "templates" / "html").mkdir(parents=True)
    mine = tmp_path / "templates" / "html" / "contrat.html"
    mine.write_text('{% extends "base.html" %}{% block contenu %}<p>Contrat de la structure</p>{% endblock %}\n',
                    encoding="utf-8")
    done = runner.invoke(cli, ["build", "--document", "contrat", "-j", "1", "--date", "2026-11-22"])
    assert done.exit_code == 0, done.output
    pdf = tmp_path / "out" / "lefebvre-2026" / "contrat.pdf"
    import pypdf

    assert "Contrat de la structure" in pypdf.PdfReader(pdf).pages[0].extract_text()
    mine.write_text('{% extends "base.html" %}{% block contenu %}\n<p>{{ menage.designation </p>\n{% endblock %}\n',
                    encoding="utf-8")
    done = runner.invoke(cli, ["build", "--document", "contrat", "-j", "1", "--date", "2026-11-22"])
    assert done.exit_code == 1 and "contrat.html, ligne 2 : modèle invalide" in done.output, done.output
    assert "Contrat de la structure" in pypdf.PdfReader(pdf).pages[0].extract_text()  # the last good one stays


def test_pre_commit_hook_from_the_toolkit_repository(toolkit_repo: Path, tmp_path: Path) -> None:
    """The real pre-commit, hook installed from the toolkit's repository at its tag: valid passes, invalid refused."""
    _need("git")
    structure = tmp_path / "asso"
    done = CliRunner().invoke(cli, ["init", str(structure), "--exemple", "--depot", str(toolkit_repo),
                                    "--source", "x.whl"])
    assert done.exit_code == 0, done.output  # the letterhead is left to fill: documents need it, commits do not
    config = (structure / ".pre-commit-config.yaml").read_text(encoding="utf-8")
    assert f"repo: {toolkit_repo}" in config and f"rev: v{__version__}" in config
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"), "GIT_AUTHOR_NAME": "Référente",
           "GIT_AUTHOR_EMAIL": "r@example.invalid", "GIT_COMMITTER_NAME": "Référente",
           "GIT_COMMITTER_EMAIL": "r@example.invalid"}
    pre_commit = str(Path(sys.executable).with_name("pre-commit"))
    _run(["git", "init", "-q", "-b", "main"], cwd=structure, env=env)
    _run([pre_commit, "install"], cwd=structure, env=env)
    _run(["git", "add", "-A"], cwd=structure, env=env)
    _run(["git", "commit", "-q", "-m", "Dépôt de la structure"], cwd=structure, env=env)  # installs the hook

    # A draft: a case just made, then partly filled in, is committed.
    done = CliRunner().invoke(cli, ["-f", str(structure / "astre.yaml"), "new", "martin-2026"])
    assert done.exit_code == 0, done.output
    _run(["git", "add", "-A"], cwd=structure, env=env)
    _run(["git", "commit", "-q", "-m", "Nouveau dossier"], cwd=structure, env=env)
    draft = structure / "cases" / "martin-2026" / "menage.yaml"
    draft.write_text(draft.read_text(encoding="utf-8").replace("# designation:", "designation: Mme Martin"),
                     encoding="utf-8")
    _run(["git", "add", "-A"], cwd=structure, env=env)
    _run(["git", "commit", "-q", "-m", "Ménage commencé"], cwd=structure, env=env)
    assert "Ménage commencé" in _run(["git", "log", "--oneline"], cwd=structure, env=env).stdout

    menage = structure / "cases" / "lefebvre-2026" / "menage.yaml"
    menage.write_text(menage.read_text(encoding="utf-8").replace('"1948-03-09"', '"1948-13-09"'), encoding="utf-8")
    _run(["git", "add", "-A"], cwd=structure, env=env)
    refused = _run(["git", "commit", "-m", "Date corrigée"], cwd=structure, env=env, check=False)
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0, output
    message = "cases/lefebvre-2026/menage.yaml:"
    assert output.count("date invalide « … (donnée personnelle, non recopiée ici) »") == 1, output  # printed once
    assert "1948-13-09" not in output  # a birth date is not written back in messages
    assert message in output and "Traceback" not in output
    log = _run(["git", "log", "--oneline"], cwd=structure, env=env).stdout
    assert "Date corrigée" not in log
    # A draft written wrong is refused too: a value outside the list.
    _run(["git", "checkout", "-q", "--", "."], cwd=structure, env=env)
    draft.write_text(draft.read_text(encoding="utf-8").replace("designation: Mme Martin",
                                                               "designation: Mme Martin\nmembres:\n  - lien: fille"),
                     encoding="utf-8")
    _run(["git", "add", "-A"], cwd=structure, env=env)
    refused = _run(["git", "commit", "-m", "Membre"], cwd=structure, env=env, check=False)
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0, output
    assert "cases/martin-2026/menage.yaml:8:11: erreur : membres[1].lien : valeur « fille » non prévue" in output
    assert "champ obligatoire manquant" not in output, output


def test_editor_validates_and_completes_in_french_after_a_clone_elsewhere(tmp_path: Path) -> None:
    """yaml-language-server (VS Code's YAML extension) on a structure cloned to another path."""
    _need("node")
    if not (EDITOR / "node_modules").is_dir():
        if REQUIRED:
            pytest.fail("tests/editor/node_modules absent (npm ci, lancé par « make test »)")
        pytest.skip("yaml-language-server non installé (npm ci --prefix tests/editor)")
    sys.path.insert(0, str(EDITOR))
    from lsp import YamlLanguageServer

    made = tmp_path / "ici" / "asso"
    done = CliRunner().invoke(cli, ["init", str(made), "--exemple", *SHARED, "--nom", "Asso"])
    assert done.exit_code == 0
    _fill_letterhead(made)
    clone = tmp_path / "ailleurs" / "autre-poste" / "asso"
    shutil.copytree(made, clone)  # a colleague's clone, somewhere else on another machine
    shutil.rmtree(made)
    server = YamlLanguageServer(clone)
    try:
        case = clone / "cases" / "lefebvre-2026"
        for path in sorted(case.glob("*.yaml")):
            assert server.open(path) == [], path.name
        assert server.open(clone / "astre.yaml") == []
        # A mistake astre check reports at menage.yaml:7:12 is underlined on the same line by the editor.
        menage = case / "menage.yaml"
        wrong = menage.read_text(encoding="utf-8").replace('telephone: "0612345678"', "telephone: 0612345678")
        diagnostics = server.open(menage, wrong)
        assert [(d["range"]["start"]["line"] + 1, d["range"]["start"]["character"] + 1) for d in diagnostics] == \
            [(7, 12)]
        menage.write_text(wrong, encoding="utf-8")
        runner = CliRunner()
        done = runner.invoke(cli, ["-f", str(clone / "astre.yaml"), "check", str(case)])
        assert "menage.yaml:7:12: erreur : telephone" in done.output
        # A badly written date: the French message, not the regular expression.
        mesure = case / "mesure.yaml"
        text = mesure.read_text(encoding="utf-8")
        line = next(i for i, row in enumerate(text.splitlines()) if row.startswith("statut:"))
        diagnostics = server.open(mesure, text.replace('"2026-06-12"', '"12/06/2026"', 1))
        assert any("AAAA-MM-JJ" in d["message"] for d in diagnostics), diagnostics
        # Completion of a coded value shows its French label.
        server.open(mesure, text)
        items = server.complete(mesure, line, len("statut: "))
        labels = {item["label"]: (item.get("documentation") or {}).get("value") for item in items}
        assert labels.get("saisine_envoyee") == "saisine envoyée", labels
    finally:
        server.close()


def _language_server() -> type:
    _need("node")
    if not (EDITOR / "node_modules").is_dir():
        if REQUIRED:
            pytest.fail("tests/editor/node_modules absent (npm ci, lancé par « make test »)")
        pytest.skip("yaml-language-server non installé (npm ci --prefix tests/editor)")
    sys.path.insert(0, str(EDITOR))
    from lsp import YamlLanguageServer

    return YamlLanguageServer


def test_editor_says_what_astre_check_says_in_french(tmp_path: Path) -> None:
    """A new case opens without error; a started one is told, in French, what is wrong or missing."""
    server_class = _language_server()
    structure = tmp_path / "asso"
    assert CliRunner().invoke(cli, ["init", str(structure), "--exemple", *SHARED]).exit_code == 0
    done = CliRunner().invoke(cli, ["-f", str(structure / "astre.yaml"), "new", "martin-2026"])
    assert done.exit_code == 0, done.output
    server = server_class(structure)
    try:
        new = structure / "cases" / "martin-2026"
        for path in sorted(new.glob("*.yaml")):
            assert server.open(path) == [], path.name  # untouched: nothing to say
        menage = new / "menage.yaml"
        started = menage.read_text(encoding="utf-8").replace("# designation:", "designation: Mme Martin")
        said = [d["message"] for d in server.open(menage, started)]
        assert said == ["adresse : champ obligatoire manquant (Adresse) — ajoutez la ligne « adresse: … »",
                        "membres : champ obligatoire manquant (Membres) — ajoutez la ligne « membres: … »",
                        "revenu_fiscal_reference : champ obligatoire manquant (Revenu fiscal de référence) — ajoutez "
                        "la ligne « revenu_fiscal_reference: … »"], said
        example = structure / "cases" / "lefebvre-2026" / "menage.yaml"
        wrong = (example.read_text(encoding="utf-8").replace('telephone: "0612345678"', "telephone: 0612345678")
                 .replace("lien: demandeur", "lien: fille").replace("  rue:", "  rue_:"))
        said = {d["range"]["start"]["line"] + 1: d["message"] for d in server.open(example, wrong)}
        assert said[7].startswith("telephone : un texte attendu — mettez-le entre guillemets"), said
        assert said[11] == ("lien : valeur non prévue — valeurs possibles : demandeur, conjoint, enfant, parent, "
                            "autre"), said
        assert said[3] == "rue : champ obligatoire manquant (Rue) — ajoutez la ligne « rue: … » dans « adresse »"
        assert said[4].startswith("adresse : champ inconnu ou rubrique mal écrite — champs possibles ici : rue, "
                                  "code_postal, commune"), said
        for message in said.values():  # nothing of the server's own English
            assert not any(word in message for word in ("Incorrect type", "Value is not accepted", "Missing property",
                                                        "is not allowed")), message
    finally:
        server.close()


def test_editor_finds_the_schema_of_a_copied_case(tmp_path: Path) -> None:
    """A case copied from elsewhere: without `$schema` line, .vscode/settings.json maps it; a line that leads
    nowhere is said by `astre check`, with the line to write, and the editor then checks the file."""
    server_class = _language_server()
    structure = tmp_path / "asso"
    assert CliRunner().invoke(cli, ["init", str(structure), "--exemple", *SHARED, "--nom", "Asso"]
                              ).exit_code == 0
    _fill_letterhead(structure)
    example = structure / "cases" / "lefebvre-2026"
    copied = structure / "cases" / "copie-2026"
    shutil.copytree(example, copied)
    for path in copied.glob("*.yaml"):  # written in another repository, whose schemas were elsewhere
        text = path.read_text(encoding="utf-8").replace("$schema=../../.astre/", "$schema=../../../autre-depot/")
        path.write_text(text.replace("identifiant: lefebvre-2026", "identifiant: copie-2026"), encoding="utf-8")
    menage = copied / "menage.yaml"
    wrong = menage.read_text(encoding="utf-8").replace('telephone: "0612345678"', "telephone: 0612345678")
    done = CliRunner().invoke(cli, ["-f", str(structure / "astre.yaml"), "check", "--date", "2026-11-22",
                                    str(copied)])
    line = ("cases/copie-2026/menage.yaml:1:1: avertissement : la ligne « $schema » ne mène à aucun schéma "
            "(« ../../../autre-depot/schemas/menage.schema.json » introuvable) : l'éditeur ne vérifie pas ce "
            "fichier comme astre — remplacez-la par « # yaml-language-server: "
            "$schema=../../.astre/schemas/menage.schema.json »")
    assert line in done.output.replace(str(structure) + "/", ""), done.output
    server = server_class(structure)
    try:
        said = [d["message"] for d in server.open(menage, wrong)]
        assert len(said) == 1 and "autre-depot" in said[0], said  # « Impossible de charger le schéma … »
        fixed = wrong.replace("$schema=../../../autre-depot/", "$schema=../../.astre/")
        said = [d["message"] for d in server.open(menage, fixed)]
        assert len(said) == 1 and said[0].startswith("telephone : un texte attendu"), said
        without = "\n".join(row for row in wrong.splitlines() if "$schema=" not in row) + "\n"
        said = [d["message"] for d in server.open(menage, without)]  # found by .vscode/settings.json
        assert len(said) == 1 and said[0].startswith("telephone : un texte attendu"), said
    finally:
        server.close()
    settings = json.loads((structure / ".vscode" / "settings.json").read_text(encoding="utf-8"))["yaml.schemas"]
    assert {f"cases/*/{name}.yaml" for name in CASE_FILES} | {"astre.yaml"} == \
        {glob for globs in settings.values() for glob in globs}
    assert all((structure / schema).is_file() for schema in settings)


def test_upgrade_refreshes_the_editor_schemas_and_the_hook_version(tmp_path: Path, monkeypatch) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["init", str(tmp_path), "--dossier-existant", "--source", "x.whl",
                               "--depot", "https://example.invalid/astre.git"]).exit_code == 0
    hooks = tmp_path / ".pre-commit-config.yaml"
    hooks.write_text(hooks.read_text(encoding="utf-8").replace(f"rev: v{__version__}", "rev: v0.1.0"),
                     encoding="utf-8")
    (tmp_path / ".astre" / "schemas" / "menage.schema.json").unlink()
    monkeypatch.chdir(tmp_path)
    done = runner.invoke(cli, ["upgrade", "--version-attendue", __version__])
    assert done.exit_code == 0, done.output
    assert "Mis à jour : .astre/schemas/menage.schema.json" in done.output
    assert "Mis à jour : .pre-commit-config.yaml" in done.output
    assert f"rev: v{__version__}" in hooks.read_text(encoding="utf-8")
    assert runner.invoke(cli, ["upgrade"]).output.strip() == f"Dépôt à jour (astre {__version__})."
    done = runner.invoke(cli, ["upgrade", "--version-attendue", "9.9.9"])
    assert done.exit_code == 2 and "le Makefile demande astre 9.9.9" in done.output
