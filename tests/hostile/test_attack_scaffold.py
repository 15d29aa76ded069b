"""`astre init` and `astre upgrade` over what a structure already has: nothing destroyed, nothing written elsewhere."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import astre, link

SOURCE = ("--source", "astre-0.0.0-py3-none-any.whl", "--depot", "https://example.invalid/astre.git")


@pytest.fixture
def made(tmp_path: Path) -> Path:
    """A structure's repository made by `astre init`."""
    done = astre(tmp_path, "init", "depot", *SOURCE)
    assert done.code == 0, done.text
    return tmp_path / "depot"


def test_init_over_an_existing_folder_keeps_every_schema_and_the_hook(made: Path) -> None:
    schemas = made / ".astre" / "schemas"
    (schemas / "a-moi.schema.json").write_text("{}\n")
    edited = schemas / "menage.schema.json"
    edited.write_text("{\"$schema\": \"retouché\"}\n")
    hooks = made / ".pre-commit-config.yaml"
    hooks.write_text(hooks.read_text().replace("rev: v", "rev: v0.0.1-"), encoding="utf-8")
    before = hooks.read_bytes()
    done = astre(made.parent, "init", "depot", "--dossier-existant", *SOURCE)
    assert done.code == 0 and done.said_in_french(), done.text
    assert (schemas / "a-moi.schema.json").read_text() == "{}\n"
    assert edited.read_text() == "{\"$schema\": \"retouché\"}\n"
    assert hooks.read_bytes() == before
    created = {line.split(" : ", 1)[1] for line in done.out.splitlines() if line.startswith("Créé : ")}
    kept = {line.split(" : ", 1)[1] for line in done.out.splitlines() if line.startswith("Gardé tel quel")}
    assert ".astre/schemas/menage.schema.json" in kept and not created & kept


@pytest.mark.parametrize("name", ['Les "Amis" du Logis', "C:\\Compagnons\\Bâtisseurs"])
def test_a_structure_name_with_quotes_or_backslashes_is_written_as_typed(tmp_path: Path, name: str) -> None:
    done = astre(tmp_path, "init", "depot", "--nom", name, *SOURCE)
    assert done.code == 0, done.text
    checked = astre(tmp_path / "depot", "check")
    assert checked.said_in_french(), checked.text
    assert "en-tête de la structure incomplet" in checked.text  # read: only the address is left to fill in
    assert "structure.nom" not in checked.text and "guillemets" not in checked.text
    import yaml

    assert yaml.safe_load((tmp_path / "depot" / "astre.yaml").read_text())["structure"]["nom"] == name


def test_init_never_writes_through_a_link_out_of_the_target(tmp_path: Path) -> None:
    outside = tmp_path / "ailleurs"
    outside.mkdir()
    (tmp_path / "depot").mkdir()
    link(tmp_path / "depot" / ".vscode", outside)
    done = astre(tmp_path, "init", "depot", "--dossier-existant", *SOURCE)
    assert done.code in (1, 2) and done.said_in_french(), done.text
    assert ".vscode" in done.text and "hors du dépôt" in done.text
    assert list(outside.iterdir()) == []


@pytest.mark.parametrize("where", ["lien cassé", "/proc", ".vscode", "cases", ".astre"])
def test_init_where_it_cannot_write_is_said_in_french(tmp_path: Path, where: str) -> None:
    target = "depot"
    if where == "lien cassé":
        link(tmp_path / "depot", tmp_path / "nulle-part")
    elif where == "/proc":
        target = "/proc/astre-depot"
    else:
        (tmp_path / "depot").mkdir()
        (tmp_path / "depot" / where).write_text("un fichier\n")
    done = astre(tmp_path, "init", target, "--dossier-existant", *SOURCE)
    assert done.code in (1, 2) and done.said_in_french(), done.text
    said = {"lien cassé": "est un lien vers un dossier qui n'existe pas",
            "/proc": "impossible de créer le dépôt dans /proc/astre-depot"}.get(
        where, f"depot/{where} est un fichier, là où astre crée un dossier")
    assert said in done.err, done.err


def test_upgrade_keeps_crlf_and_a_linked_hook_file(made: Path) -> None:
    hooks = made / ".pre-commit-config.yaml"
    real = made / "outils" / "pre-commit.yaml"
    real.parent.mkdir()
    real.write_bytes(hooks.read_bytes().replace(b"rev: v", b"rev: v0.0.1-").replace(b"\n", b"\r\n"))
    link(hooks, "outils/pre-commit.yaml")
    done = astre(made, "upgrade")
    assert done.code == 0 and done.said_in_french(), done.text
    assert "Mis à jour : .pre-commit-config.yaml" in done.out
    assert hooks.is_symlink() and b"rev: v0.0.1-" not in real.read_bytes()
    assert real.read_bytes().count(b"\r\n") == real.read_bytes().count(b"\n")


def test_upgrade_does_not_say_up_to_date_when_it_could_not_update(made: Path) -> None:
    (made / ".pre-commit-config.yaml").unlink()
    done = astre(made, "upgrade")
    assert done.said_in_french(), done.text
    assert "Dépôt à jour" not in done.out and ".pre-commit-config.yaml" in done.out
