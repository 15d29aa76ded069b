"""Safe YAML loading: YAML 1.2 scalars, refused constructs, located French errors."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from generator.errors import YamlError
from generator.reading import loader
from generator.reading.loader import MAX_BYTES, load
from generator.reading.resources import DEFAULTS


def write(tmp_path: Path, content: str | bytes, name: str = "f.yaml") -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return path


def error(tmp_path: Path, content: str | bytes) -> str:
    with pytest.raises(YamlError) as info:
        load(write(tmp_path, content))
    return info.value.problem.format()


@pytest.mark.parametrize("text", ["no", "yes", "on", "off", "y", "N", "NO", "Yes", "0o17", "0x1F",
                                  "1_000", "12:30", "2026-03-12", "2026-03-12T10:00:00", ".inf", ".nan", "=", "<<"])
def test_yaml_1_1_surprises_stay_strings(tmp_path: Path, text: str) -> None:
    assert load(write(tmp_path, f"valeur: {text}\n")).data == {"valeur": text}


@pytest.mark.parametrize(("text", "value"), [("12", 12), ("-3", -3), ("2640.50", 2640.5), ("0", 0), ("true", True),
                                             ("false", False), ("~", None), ("null", None), ("", None),
                                             ("1e3", 1000.0), ("0612345670", 612345670), ("+33321661248", 33321661248),
                                             ("007", 7), ("1.", 1.0), (".5", 0.5)])
def test_numbers_booleans_null(tmp_path: Path, text: str, value: object) -> None:
    data = load(write(tmp_path, f"valeur: {text}\n")).data
    assert data == {"valeur": value} and type(data["valeur"]) is type(value)


def test_keys_stay_strings(tmp_path: Path) -> None:
    assert load(write(tmp_path, "no: 1\n2026: a\n")).data == {"no": 1, "2026": "a"}


def test_duplicate_key_is_located(tmp_path: Path) -> None:
    message = error(tmp_path, "nom: a\nautre: b\nnom: c\n")
    assert message.startswith(f"{tmp_path / 'f.yaml'}:3:1: erreur : champ « nom » en double (déjà présent ligne 1)")


def test_billion_laughs_refused_fast(tmp_path: Path) -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"{chr(97 + i)}: &{chr(97 + i)} [" + ",".join([f"*{chr(96 + i)}"] * 9) + "]" for i in range(1, 9)]
    started = time.perf_counter()
    message = error(tmp_path, "\n".join(lines) + "\n")
    assert time.perf_counter() - started < 1.0
    assert ":1:4: erreur : ancre ou alias YAML interdit (« &a »)" in message


def test_alias_alone_refused(tmp_path: Path) -> None:
    assert ":2:4: erreur : ancre ou alias YAML interdit (« *x »)" in error(tmp_path, "a: 1\nb: *x\n")


def test_ampersand_in_text_is_fine(tmp_path: Path) -> None:
    assert load(write(tmp_path, "nom: Dupont & fils\nnote: 3 * 4\n")).data == {"nom": "Dupont & fils", "note": "3 * 4"}


def test_deep_nesting_refused_without_crash(tmp_path: Path) -> None:
    # 200 000 brackets crash libyaml's recursive composer: refused before composing.
    message = error(tmp_path, "a: " + "[" * 200_000 + "]" * 200_000 + "\n")
    assert "structure trop imbriquée" in message


def test_deep_block_mappings_refused_without_crash(tmp_path: Path) -> None:
    # Indentation alone (no bracket, no dash) nests too: 1 200 levels used to hit Python's recursion limit.
    text = "".join(" " * i + "a:\n" for i in range(1199)) + " " * 1199 + "a: 1\n"
    assert ":65:65: erreur : structure trop imbriquée" in error(tmp_path, text)


def test_invalid_utf8_located(tmp_path: Path) -> None:
    message = error(tmp_path, b"nom: ok\nville: B\xe9thune\n")
    assert ":2:9: erreur : caractère illisible : le fichier n'est pas en UTF-8" in message
    assert "Notepad++" in message


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\x7f", "\x85"])
def test_control_characters_refused(tmp_path: Path, char: str) -> None:
    message = error(tmp_path, f"nom: a{char}b\n")
    assert f":1:7: erreur : caractère de contrôle invisible (code {ord(char):#04x})" in message


@pytest.mark.parametrize(("char", "name"), [
    ("\u202e", "inversion du sens d'écriture"), ("\u202a", "enchâssement gauche-à-droite"),
    ("\u2066", "isolat gauche-à-droite"), ("\u2069", "fin d'isolat du sens d'écriture"),
    ("\u200e", "marque gauche-à-droite"), ("\u200f", "marque droite-à-gauche"), ("\u061c", "marque de lettre arabe"),
    ("\u200b", "espace sans largeur"), ("\u2060", "gluon de mots"), ("\u00ad", "trait d'union conditionnel"),
    ("\ufeff", "indicateur d'ordre des octets au milieu du texte"), ("\u2028", "séparateur de ligne"),
])
def test_invisible_characters_refused(tmp_path: Path, char: str, name: str) -> None:
    message = error(tmp_path, f"nom: Dupont\nobjet: payé {char}0021 €\n")
    assert f":2:13: erreur : caractère invisible (U+{ord(char):04X}, {name}) — " in message
    assert "retapez" in message


def test_invisible_character_in_a_comment_is_refused_too(tmp_path: Path) -> None:
    assert ":1:9: erreur : caractère invisible (U+200B" in error(tmp_path, "# note :\u200b\nnom: a\n")


def test_zero_width_joiner_and_leading_bom_stay_allowed(tmp_path: Path) -> None:
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # one emoji drawn from three, joined by U+200D
    assert load(write(tmp_path, f"\ufeffnote: {family}\n")).data == {"note": family}


def test_bom_and_crlf_accepted(tmp_path: Path) -> None:
    assert load(write(tmp_path, b"\xef\xbb\xbfnom: a\r\nville: b\r\n")).data == {"nom": "a", "ville": "b"}


def test_size_limit(tmp_path: Path) -> None:
    body = b"nom: a\n"
    exactly = body + b"#" * (MAX_BYTES - len(body) - 1) + b"\n"
    assert load(write(tmp_path, exactly)).data == {"nom": "a"}
    message = error(tmp_path, exactly + b"\n")
    assert ":1:1: erreur : fichier trop gros" in message


def test_read_is_bounded_even_if_the_size_lies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file growing while it is read: at most MAX_BYTES + 1 bytes are read, then refused."""
    monkeypatch.setattr(loader, "_refuse_special", lambda path, info: None)  # let /dev/zero through
    os.symlink("/dev/zero", tmp_path / "f.yaml")
    started = time.perf_counter()
    with pytest.raises(YamlError) as info:
        load(tmp_path / "f.yaml")
    assert time.perf_counter() - started < 2.0
    assert ":1:1: erreur : fichier trop gros (plus de 1024 Kio, maximum 1 024 Kio)" in info.value.problem.format()


def special_file(tmp_path: Path, kind: str) -> Path:
    """A pipe or a link to an endless device, named like a case file."""
    path = tmp_path / "menage.yaml"
    if kind == "tube":
        os.mkfifo(path)
    else:
        os.symlink("/dev/zero", path)
    return path


@pytest.mark.skipif(not hasattr(os, "mkfifo") or not Path("/dev/zero").exists(), reason="tubes et /dev/zero : POSIX")
@pytest.mark.parametrize("kind", ["tube", "/dev/zero"])
def test_pipe_or_device_refused_without_blocking(tmp_path: Path, kind: str) -> None:
    path = special_file(tmp_path, kind)
    started = time.perf_counter()
    with pytest.raises(YamlError) as info:
        load(path)
    assert time.perf_counter() - started < 2.0
    assert info.value.problem.format().startswith(
        f"{path}:1:1: erreur : ce n'est pas un fichier ordinaire (tube, périphérique…) — supprimez-le")


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="liens symboliques : POSIX")
def test_link_to_a_regular_file_is_read(tmp_path: Path) -> None:
    os.symlink(write(tmp_path, "nom: a\n", "vrai.yaml"), tmp_path / "lien.yaml")
    assert load(tmp_path / "lien.yaml").data == {"nom": "a"}


@pytest.mark.skipif(not hasattr(os, "mkfifo") or not Path("/dev/zero").exists(), reason="tubes et /dev/zero : POSIX")
@pytest.mark.parametrize("named", [False, True], ids=["tous-les-dossiers", "fichiers-en-argument"])
def test_check_reports_pipe_and_device_then_ends(project: Path, named: bool) -> None:
    """`astre check` ends with located messages, whether it finds the files or is given them."""
    for case, kind in (("dumont-2025", "tube"), ("caron-2026", "/dev/zero")):
        (project / "cases" / case / "menage.yaml").unlink()
        special_file(project / "cases" / case, kind)
    args = ["cases/dumont-2025/menage.yaml", "cases/caron-2026/menage.yaml"] if named else []
    done = subprocess.run([sys.executable, "-m", "generator", "check", "--date", "2026-11-22", *args], cwd=project,
                          capture_output=True, text=True, timeout=60)  # a hang fails here instead of blocking
    assert done.returncode == 1, done.stdout + done.stderr
    for case in ("dumont-2025", "caron-2026"):
        assert (f"cases/{case}/menage.yaml:1:1: erreur : ce n'est pas un fichier ordinaire (tube, périphérique…)"
                in done.stdout), done.stdout
    assert not done.stderr


@pytest.mark.parametrize(("text", "where", "quoted"), [
    ("objet: Dossier MDPH n° 62 #4521 en attente. Audit réalisé le 3 mars, devis reçus et transmis\n", "1:27",
     '"Dossier MDPH n° 62 #4521 en attente. Audit réalisé le 3 …"'),
    ("- visite faite # reste le devis\n", "1:16", '"visite faite # reste le devis"'),
    ("objet: Visite\n  de contrôle #2 prévue\n", "2:15", '"Visite de contrôle #2 prévue"'),
    ("logement: Appartement #12\n", "1:23", '"Appartement #12"'),
    ("reference: #4521\n", "1:12", '"#4521"'),
    ("objet: texte\tsuite\t#2 fin\r\nnom: a\r\n", "1:20", '"texte\tsuite\t#2 fin"'),
    ('objet: dit "oui" #1 l\'aide\n', "1:18", "'dit \"oui\" #1 l''aide'"),
])
def test_text_cut_by_a_comment_is_refused(tmp_path: Path, text: str, where: str, quoted: str) -> None:
    message = error(tmp_path, text)
    assert f":{where}: erreur : texte coupé par « # » : YAML lit la suite comme un commentaire" in message
    assert message.endswith(f"mettez le texte entre guillemets : {quoted}")


@pytest.mark.parametrize("text", [
    "echeance: 3_mois # premier bilan\n", "date: 2026-03-12  # signée\n", "montant: 1200 # euros\n",
    "poursuite: true #décidé\n", "champ:  # à remplir\n", "champ: ~ #4521\n",
    'objet: "n° 62 #4521 en attente" # note\n',
    "objet: |\n  n° 62 #4521 en attente\n", "objet: deux mots #\n", "objet: deux mots ## \n",
    "liste: [un texte, deux] # note\n", "# objet: Dossier #4521 en attente\nnom: a\n", "nom: a\n  # suite #2\n",
])
def test_deliberate_comments_are_kept(tmp_path: Path, text: str) -> None:
    load(write(tmp_path, text))


def test_tab_indentation(tmp_path: Path) -> None:
    assert ":2:1: erreur : tabulation dans l'indentation" in error(tmp_path, "a:\n\tb: 1\n")


@pytest.mark.parametrize(("text", "message"), [
    ("objet: Visite : budget\n", "deux-points « : » inattendu dans une valeur — ajoutez des guillemets"),
    ('objet: "pas fermé\n', "guillemets non refermés"),
    ("a: 1\n---\nb: 2\n", "plusieurs documents"),
    ("a: !!python/object/apply:os.system [ls]\n", "étiquette YAML non autorisée « !!python/object/apply:os.system »"),
    ("a: !perso x\n", "étiquette YAML non autorisée"),
    ("? [a, b]\n: c\n", "nom de champ invalide"),
    ("a: @b\n", "caractère inattendu"),
])
def test_syntax_errors_in_french(tmp_path: Path, text: str, message: str) -> None:
    result = error(tmp_path, text)
    assert message in result
    assert f"{tmp_path / 'f.yaml'}:" in result


def test_empty_file_is_none(tmp_path: Path) -> None:
    assert load(write(tmp_path, "# rien\n")).data is None


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(YamlError) as info:
        load(tmp_path / "absent.yaml")
    assert info.value.problem.format().startswith(f"{tmp_path / 'absent.yaml'}:1:1: erreur : fichier introuvable")


def test_unreadable_file_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Works as root too: the PermissionError is simulated."""
    path = write(tmp_path, "nom: a\n")

    def refuse(name: object, flags: int, *args: object) -> int:
        raise PermissionError(13, "Permission denied", str(name))

    monkeypatch.setattr(os, "open", refuse)
    with pytest.raises(YamlError) as info:
        load(path)
    assert ":1:1: erreur : lecture interdite (droits insuffisants)" in info.value.problem.format()


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root lit même les fichiers en mode 000")
def test_unreadable_file_real_permissions(tmp_path: Path) -> None:
    path = write(tmp_path, "nom: a\n")
    path.chmod(0)
    try:
        with pytest.raises(YamlError, match="lecture interdite"):
            load(path)
    finally:
        path.chmod(0o644)


def test_locate_points_at_values_and_keys(tmp_path: Path) -> None:
    doc = load(write(tmp_path, "a:\n  b:\n    - x\n    - {c: 1}\n"))
    assert doc.locate(("a", "b", 1, "c")) == (4, 11)
    assert doc.locate(("a",), key="b") == (2, 3)
    assert doc.locate(("a", "absent")) == (2, 3)


def test_libyaml_is_used() -> None:
    """The pure-Python parser is ten times slower: the C parser must be the one loaded."""
    assert loader._Parser.__module__.startswith("yaml._yaml")


@pytest.mark.parametrize(("text", "where", "key", "key_line"), [
    # The second line at the key's indentation: libyaml stops on the *next* key, « il manque « : » ».
    ("etat: Maison de briques non isolée, toiture à reprendre\npartiellement. Humidité.\nautre: 1\n", ":2:1:",
     "etat", 1),
    # The same at the end of the file.
    ("a: 1\netat: Maison de briques non isolée\npartiellement. Humidité.\n", ":3:1:", "etat", 2),
    # Indented continuation holding a « : » (« deux-points inattendu » before).
    ("a:\n  etat: Maison de briques\n    ligne deux\n    humidité: salle d'eau\n", ":3:5:", "etat", 2),
    # Inside a list item.
    ("- objet: Visite au domicile du ménage\n  suite du compte rendu.\n  date: 2026-03-12\n", ":2:3:", "objet", 1),
])
def test_multi_line_text_without_pipe(tmp_path: Path, text: str, where: str, key: str, key_line: int) -> None:
    """A forgotten « | » is said where the text goes on, with the fix, not as a missing « : » on the next key."""
    result = error(tmp_path, text)
    assert f"f.yaml{where} erreur : texte sur plusieurs lignes sans « | » : cette ligne continue le champ « {key} » " \
           f"(ligne {key_line})" in result
    assert "ajoutez « | » après le nom du champ pour un texte sur plusieurs lignes" in result


@pytest.mark.parametrize("text", ["objet: Visite : budget\n", "a: 1\nb 2\nc: 3\n", "montant: 12\nnote\nc: 3\n"])
def test_other_syntax_errors_do_not_mention_the_pipe(tmp_path: Path, text: str) -> None:
    assert "« | »" not in error(tmp_path, text)


def test_blank_text_and_invisible_letters_are_no_text(tmp_path: Path) -> None:
    """Spaces, no-break spaces: blank (« texte vide » by the schema); Hangul fillers, tag and other format
    characters: refused, located (issue 17, smaller points)."""
    from generator.reading.loader import load

    path = tmp_path / "menage.yaml"
    for blank in ("   ", "\u00a0\u00a0", "\u2003\u202f"):
        path.write_text(f'designation: "{blank}"\n', encoding="utf-8")
        assert load(path).data == {"designation": ""}
    for hidden, said in (("\u3164", "U+3164, remplissage hangeul"), ("M\u200cme", "U+200C"),
                         ("A\U000e0041", "U+E0041")):
        path.write_text(f'designation: "{hidden}"\n', encoding="utf-8")
        with pytest.raises(YamlError, match=said.replace("+", r"\+")) as raised:
            load(path)
        assert raised.value.problem.line == 1


def test_a_wrong_phone_number_or_birth_date_is_not_quoted_back(tmp_path: Path) -> None:
    from generator.reading.loader import load
    from generator.reading.validate import validate

    path = tmp_path / "menage.yaml"
    path.write_text('designation: M. A\ntelephone: "06 12 34 5X 78"\n', encoding="utf-8")
    messages = " ".join(p.message for p in validate(DEFAULTS, load(path), "menage"))
    assert "telephone" in messages and "mal formée" in messages and "5X" not in messages
    # unquoted, a phone number is a number: the type message does not quote it back either, nor its hint
    path.write_text('designation: M. A\ntelephone: 0612345678\n', encoding="utf-8")
    said = [(p.message, p.hint) for p in validate(DEFAULTS, load(path), "menage") if p.message.startswith("telephone")]
    assert said == [("telephone : un texte attendu, trouvé « … (donnée personnelle, non recopiée ici) »",
                     'ajoutez des guillemets autour de la valeur, par exemple "0612345678"')], said
    assert "612345678" not in said[0][0]
