"""Safe YAML loading: YAML 1.2-style scalars, no aliases, located errors.

PyYAML's libyaml parser builds the node tree (fast); a small constructor of
our own turns it into plain Python values. The node tree is kept so that a
schema error can be located at `file:line:column` afterwards.
"""

from __future__ import annotations

import errno
import json
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..commands import command
from ..errors import Problem, YamlError, os_reason

try:  # libyaml is much faster; the pure-Python parser is the fallback.
    from yaml.cyaml import CParser as _Parser  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - depends on the PyYAML build
    from yaml.composer import Composer
    from yaml.parser import Parser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    class _Parser(Reader, Scanner, Parser, Composer):  # type: ignore[no-redef]
        def __init__(self, stream: str) -> None:
            Reader.__init__(self, stream)
            Scanner.__init__(self)
            Parser.__init__(self)
            Composer.__init__(self)


MAX_BYTES = 1024 * 1024
# Deeper nesting is never a real case file, and libyaml's composer recurses in C:
# a 200 000-deep `[[[…]]]` would crash the interpreter instead of raising.
MAX_DEPTH = 64
# Below this many nesting-capable characters, and with no line indented by MAX_DEPTH spaces
# (each nested block mapping adds at least one), the document cannot be deeper than MAX_DEPTH.
_NESTING = re.compile(r"[\[{]|(?:^|\s)[-?](?=\s)")
_DEEP_INDENT = re.compile(f"^ {{{MAX_DEPTH},}}", re.MULTILINE)
STR, INT, FLOAT, BOOL, NULL = (f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null"))
MAP, SEQ = "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"
# C0 controls except tab, LF, CR; plus DEL and C1 controls: they corrupt DOCX files.
_CONTROL = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
# Characters nobody can see in an editor but that change a document: bidi controls reverse
# or reorder the text (« Trojan Source »), the others split words, searches and lines.
# U+200D (zero-width joiner) stays allowed: emoji sequences need it.
_INVISIBLE = {
    "\u00ad": "trait d'union conditionnel",
    "\u061c": "marque de lettre arabe",
    "\u200b": "espace sans largeur",
    "\u200e": "marque gauche-à-droite",
    "\u200f": "marque droite-à-gauche",
    "\u2028": "séparateur de ligne",
    "\u2029": "séparateur de paragraphe",
    "\u202a": "enchâssement gauche-à-droite",
    "\u202b": "enchâssement droite-à-gauche",
    "\u202c": "fin d'enchâssement du sens d'écriture",
    "\u202d": "forçage gauche-à-droite",
    "\u202e": "inversion du sens d'écriture",
    "\u2060": "gluon de mots",
    "\u2066": "isolat gauche-à-droite",
    "\u2067": "isolat droite-à-gauche",
    "\u2068": "isolat de sens automatique",
    "\u2069": "fin d'isolat du sens d'écriture",
    "\ufeff": "indicateur d'ordre des octets au milieu du texte",
    # Letters drawn as nothing: a name made of them looks filled in and prints blank.
    "\u115f": "remplissage hangeul",
    "\u1160": "remplissage hangeul",
    "\u3164": "remplissage hangeul",
    "\uffa0": "remplissage hangeul",
}
# Every other invisible format character of Unicode (category Cf), U+200D aside: none has a place
# in a case file, and tag characters (U+E0000…) can hide a whole text.
_FORMAT = ("\u0600-\u0605\u06dd\u070f\u0890\u0891\u08e2\u180e\u200c\u2061-\u2064\u206a-\u206f"
           "\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3"
           "\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f")
_HIDDEN = re.compile(f"[{_CONTROL}{''.join(_INVISIBLE)}{_FORMAT}]")
# Whitespace then « # » right after something on the same line: where a plain value may be cut.
_COMMENT_AFTER = re.compile(r"(?<=\S)[ \t]+#")


class _Resolver(yaml.resolver.BaseResolver):
    """YAML 1.2 core schema, stricter: `no`, `on`, `0612…` and dates stay strings."""

    # Called for every scalar, keys included: a cache of short plain scalars and no
    # path resolvers halve the loading time of a thousand cases.
    _cache: dict[str, str] = {}

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        """No path-dependent tags here."""

    def ascend_resolver(self) -> None:
        """No path-dependent tags here."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        """Return the tag of a node, from the cache for short plain scalars."""
        if kind is yaml.ScalarNode and implicit[0] and len(value) < 32:
            tag = self._cache.get(value)
            if tag is None:
                tag = self._cache[value] = super().resolve(kind, value, implicit)
                if len(self._cache) > 50_000:
                    self._cache.clear()
            return tag
        return super().resolve(kind, value, implicit)


for _tag, _regexp, _first in (
    (BOOL, r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    # YAML 1.2 core schema, as editors (yaml-language-server) read it: an unquoted
    # 0612345678 is a number there, so it is here too, and both ask for quotes.
    (INT, r"^[-+]?[0-9]+$", "-+0123456789"),
    (FLOAT, r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$", "-+.0123456789"),
    (NULL, r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
):
    _Resolver.add_implicit_resolver(_tag, re.compile(_regexp), list(_first))


class _Loader(_Parser, _Resolver):  # type: ignore[misc, valid-type]
    def __init__(self, stream: str) -> None:
        _Parser.__init__(self, stream)
        _Resolver.__init__(self)


class _PureParser(yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser):
    """PyYAML's own event parser: no nesting limit of its own, so our limit speaks first.

    libyaml 0.2.6 refuses deep nesting itself, in English and where its scanner stands
    (its look-ahead runs past our limit). Used only to locate that case.
    """

    def __init__(self, stream: str) -> None:
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)

    def dispose(self) -> None:
        """Nothing to free (libyaml's parser needs it)."""


@dataclass
class Document:
    """A loaded YAML file: its plain data, and its text to locate problems.

    The node tree is rebuilt only when a problem must be located: keeping the
    trees of a thousand cases alive made the garbage collector the slowest part
    of `astre check`.
    """

    path: Path
    data: Any
    text: str = field(repr=False)
    _root: yaml.Node | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def root(self) -> yaml.Node | None:
        """The YAML node tree (positions of every key and value), composed on first use."""
        if self._root is None and self.data is not None:
            self._root = _compose(self.path, self.text)
        return self._root

    def locate(self, where: tuple, key: str | None = None) -> tuple[int | None, int | None]:
        """Return (line, column), 1-based, of the value at `where` (or of its `key`)."""
        node = self.root
        if node is None:
            return None, None
        for step in where:
            child = _child(node, step)
            if child is None:
                break
            node = child
        if key is not None and isinstance(node, yaml.MappingNode):
            for key_node, _ in node.value:
                if key_node.value == key:
                    node = key_node
                    break
        return node.start_mark.line + 1, node.start_mark.column + 1

    def source(self, where: tuple) -> str | None:
        """Return the text of the scalar at `where` as written in the file (« +33… », « 0612… »)."""
        node = self.root
        for step in where:
            node = _child(node, step) if node is not None else None
        return node.value if isinstance(node, yaml.ScalarNode) else None


def _child(node: yaml.Node, step: Any) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if key_node.value == step:
                return value_node
    elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
        return node.value[step]
    return None


def _fail(path: Path, line: int | None, column: int | None, message: str, hint: str) -> YamlError:
    return YamlError(Problem(path, line, column, message, hint, code="yaml"))


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def read_text(path: Path) -> str:
    """Read a case file as strict UTF-8 text, refusing oversized, binary or invisible content."""
    try:
        raw = _read_regular(path)
    except FileNotFoundError:
        raise _fail(path, 1, 1, "fichier introuvable",
                    f"vérifiez le nom du fichier ou recréez-le avec « {command('new', '<identifiant>')} »") from None
    except PermissionError:
        raise _fail(path, 1, 1, "lecture interdite (droits insuffisants)",
                    "demandez à votre administrateur de vous donner les droits de lecture sur ce fichier") from None
    except IsADirectoryError:
        raise _fail(path, 1, 1, "c'est un dossier, pas un fichier", "indiquez un fichier .yaml") from None
    except OSError as e:  # disk or network-share failure, link loop: still a French message, not a traceback
        raise _fail(path, 1, 1, f"lecture impossible ({os_reason(e)})",
                    "vérifiez que le disque ou le partage réseau est accessible, puis relancez") from None
    text = _decoded(path, raw, "enregistrez le fichier en « UTF-8 » dans votre éditeur (Notepad++ : Encodage > UTF-8)")
    if text.startswith("\ufeff"):
        text = text[1:]  # Notepad's BOM is harmless
    bad = _HIDDEN.search(text)
    if bad:
        line, column = _position(text, bad.start())
        char = bad.group()
        if char in _INVISIBLE:
            raise _fail(path, line, column, f"caractère invisible (U+{ord(char):04X}, {_INVISIBLE[char]})",
                        "il vient souvent d'un copier-coller (PDF, site web, traitement de texte) : "
                        "effacez le mot qui le contient et retapez-le au clavier")
        if not re.fullmatch(f"[{_CONTROL}]", char):
            raise _fail(path, line, column, f"caractère de mise en forme invisible (U+{ord(char):04X})",
                        "il vient souvent d'un copier-coller (PDF, site web, traitement de texte) : "
                        "effacez le mot qui le contient et retapez-le au clavier")
        raise _fail(path, line, column, f"caractère de contrôle invisible (code {ord(char):#04x})",
                    "supprimez ce caractère (souvent issu d'un copier-coller) et retapez le texte")
    return text


def _read_regular(path: Path) -> bytes:
    """Return the bytes of a case file (see `read_bounded`), at most MAX_BYTES."""
    return read_bounded(path, MAX_BYTES, hint=_CASE_FILE_HINT, raw_errors=True)


_CASE_FILE_HINT = ("supprimez-le et remplacez-le par un vrai fichier texte .yaml "
                   "(copiez celui d'un autre dossier et adaptez-le)")


_OTHER_FILE_HINT = "supprimez-le et remplacez-le par le vrai fichier (ou restaurez-le : git checkout)"


def read_bounded(path: Path, limit: int, *, inside: Path | None = None, hint: str = _OTHER_FILE_HINT,
                 raw_errors: bool = False) -> bytes:
    """Return the bytes of a regular file astre did not just write itself, at most `limit` of them.

    The one way to read a file of the user's folder (case files, kept copies and their records,
    the manifest, the secret, overrides). A pipe or a device named like one of them would block
    the read or never end (`/dev/zero`): it is refused before being opened, and again on the
    opened descriptor in case it was swapped in between. O_NONBLOCK: opening a pipe never waits.
    `inside`: the folder the file must resolve into (a link never carries another household's
    file, nor one from outside the repository). Raises YamlError (French, located at 1:1);
    FileNotFoundError, PermissionError and IsADirectoryError as such when `raw_errors`
    (case files word them themselves), else as YamlError too.
    """
    try:
        if inside is not None:
            refuse_outside(path, inside)
        _special(path, path.stat(), hint)  # follows links: a link to a regular file is fine
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
        fd = os.open(path, flags)
        try:
            info = os.fstat(fd)
            _special(path, info, hint)
            if info.st_size > limit:
                raise _too_big(path, info.st_size, limit)
            raw = read_at_most(fd, limit)
        finally:
            os.close(fd)
    except (FileNotFoundError, PermissionError, IsADirectoryError) as e:
        if raw_errors:
            raise
        raise _unreadable(path, e) from None
    except OSError as e:
        if raw_errors:
            raise
        raise _unreadable(path, e) from None
    if len(raw) > limit:
        raise _too_big(path, len(raw), limit)
    return raw


def _special(path: Path, info: os.stat_result, hint: str | None) -> None:
    """Refuse a directory, pipe or device (`_refuse_special`), with the hint that fits the file read."""
    try:
        _refuse_special(path, info)
    except YamlError as e:
        raise _fail(path, 1, 1, e.problem.message, hint or e.problem.hint or "") from None


def _unreadable(path: Path, e: OSError) -> YamlError:
    if isinstance(e, FileNotFoundError):
        return _fail(path, 1, 1, "fichier introuvable (ou lien vers un fichier qui n'existe pas)",
                     "restaurez-le depuis l'historique (git checkout) ou supprimez le lien")
    if isinstance(e, PermissionError):
        return _fail(path, 1, 1, "lecture interdite (droits insuffisants)",
                     "demandez à votre administrateur de vous donner les droits de lecture sur ce fichier")
    if isinstance(e, IsADirectoryError):
        return _fail(path, 1, 1, "c'est un dossier, pas un fichier", "remplacez-le par le fichier attendu")
    if e.errno == errno.ELOOP:
        return _fail(path, 1, 1, "lien symbolique qui tourne en rond", "supprimez ce lien")
    return _fail(path, 1, 1, f"lecture impossible ({os_reason(e)})",
                 "vérifiez que le disque ou le partage réseau est accessible, puis relancez")


def is_inside(path: Path, folder: Path) -> bool:
    """True when `path`, links followed, lies in `folder` (links followed too)."""
    try:
        path.resolve().relative_to(folder.resolve())
    except (ValueError, OSError, RuntimeError):
        return False
    return True


def refuse_outside(path: Path, folder: Path) -> None:
    """Raise YamlError when `path` is a link that resolves outside `folder` (another household, another disk)."""
    if not is_inside(path, folder):
        raise _fail(path, 1, 1, f"lien vers un fichier hors de son dossier ({folder.name}) : refusé, il "
                    "mélangerait les données d'un autre ménage ou d'un autre emplacement",
                    "remplacez le lien par une vraie copie du fichier, propre à ce dossier")


def _decoded(path: Path, raw: bytes, hint: str) -> str:
    """Return `raw` as UTF-8 text, or raise the located French error with `hint` (how to repair that file)."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line, column = _position(raw[: e.start].decode("utf-8", "replace"), e.start)
        raise _fail(path, line, column, "caractère illisible : le fichier n'est pas en UTF-8", hint) from None


def read_json(path: Path, limit: int, *, inside: Path | None = None, max_depth: int | None = MAX_DEPTH) -> Any:
    """Return the parsed JSON of a file read by `read_bounded`; YamlError (French, located) when it is not JSON.

    100 000 nested brackets make json's decoder raise RecursionError: said as too deep.
    `max_depth`: deeper data is refused too (code walking it recursively would fail);
    None for a large file whose shape is checked level by level (the manifest): walking
    it would cost more than parsing it.
    """
    raw = read_bounded(path, limit, inside=inside)
    text = _decoded(path, raw, "restaurez-le depuis l'historique (git checkout) ou supprimez-le")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise _fail(path, e.lineno, e.colno, "ce n'est pas du JSON valide",
                    "restaurez-le depuis l'historique (git checkout) ou supprimez-le") from None
    except RecursionError:
        raise _too_deep(path, max_depth) from None
    if max_depth is not None and _depth_over(data, max_depth):
        raise _too_deep(path, max_depth)
    return data


def _too_deep(path: Path, max_depth: int | None) -> YamlError:
    levels = f" (plus de {max_depth} niveaux)" if max_depth is not None else ""
    return _fail(path, 1, 1, f"structure trop imbriquée{levels}",
                 "ce fichier n'est pas celui qu'astre écrit : restaurez-le depuis l'historique ou supprimez-le")


def _depth_over(data: Any, max_depth: int) -> bool:
    """True when `data` nests lists and objects more than `max_depth` deep (walked without recursion)."""
    stack = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, (dict, list)):
            if depth > max_depth:
                return True
            stack.extend((child, depth + 1) for child in (node.values() if isinstance(node, dict) else node))
    return False


def read_at_most(fd: int, limit: int) -> bytes:
    """Return at most `limit` + 1 bytes of an open file: bounded even if the file grows while being read."""
    chunks, size = [], 0
    while size <= limit:
        chunk = os.read(fd, limit + 1 - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _refuse_special(path: Path, info: os.stat_result) -> None:
    if stat.S_ISDIR(info.st_mode):
        raise IsADirectoryError(path)
    if not stat.S_ISREG(info.st_mode):
        raise _fail(path, 1, 1, "ce n'est pas un fichier ordinaire (tube, périphérique…)", _CASE_FILE_HINT)


def _too_big(path: Path, size: int, limit: int = MAX_BYTES) -> YamlError:
    more = "plus de " if size == limit + 1 else ""
    maximum = f"{limit // 1024:,}".replace(",", " ")
    hint = ("un fichier de dossier ne contient que du texte : vérifiez qu'il ne s'agit pas d'un autre fichier"
            if limit == MAX_BYTES else "vérifiez qu'il ne s'agit pas d'un autre fichier ; sinon restaurez-le "
            "depuis l'historique (git checkout) ou supprimez-le")
    return _fail(path, 1, 1, f"fichier trop gros ({more}{size // 1024} Kio, maximum {maximum} Kio)", hint)


def load(path: Path) -> Document:
    """Load one YAML file safely, or raise YamlError with a located French message."""
    return load_text(path, read_text(path))


def load_text(path: Path, text: str) -> Document:
    """Load YAML `text` as if read from `path` (`astre serve` checks a file before writing it)."""
    if "&" in text or "*" in text or len(_NESTING.findall(text)) > MAX_DEPTH or _DEEP_INDENT.search(text):
        _prescan(path, text)
    root = _compose(path, text)
    data = None if root is None else _construct(path, root)
    if root is not None and (" #" in text or "\t#" in text):
        _refuse_cut_text(path, text, root)
    return Document(path, data, text)


def _refuse_cut_text(path: Path, text: str, root: yaml.Node) -> None:
    """Refuse a plain text value that a « # » cuts: YAML silently drops the rest as a comment.

    `n° 62 #4521 en attente` loads as « n° 62 ». Flagged when the value reads as text
    (it holds a space) or when the « # » is glued to what follows (`#4521`, or a key whose
    whole value is `#4521`). A single word then `# note` (a code, a date) is left alone:
    that is a deliberate comment.
    """
    hashes = {m.start(): m.end() - 1 for m in _COMMENT_AFTER.finditer(text)}  # value end -> « # »
    if not hashes:
        return
    cuts: list[tuple[int, yaml.ScalarNode]] = []
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.MappingNode):
            stack.extend(value for _, value in node.value)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif (isinstance(node, yaml.ScalarNode) and not node.style and node.end_mark.index in hashes
              and (node.tag == STR or node.value == "")):
            sharp = hashes[node.end_mark.index]
            comment = _line_rest(text, sharp + 1)
            glued = comment[:1] not in ("", "#") and not comment[0].isspace()
            if comment.strip("# \t\r") and (glued or any(c.isspace() for c in node.value)):
                cuts.append((sharp, node))
    if not cuts:
        return
    sharp, node = min(cuts, key=lambda cut: cut[0])
    whole = (node.value + _line_rest(text, node.end_mark.index)).strip()
    if len(whole) > 60:
        cut = whole.rfind(" ", 20, 60)
        whole = whole[: cut if cut > 0 else 60] + " …"
    quoted = f'"{whole}"' if '"' not in whole and "\\" not in whole else "'" + whole.replace("'", "''") + "'"
    column = node.end_mark.column + sharp - node.end_mark.index + 1
    raise _fail(path, node.end_mark.line + 1, column,
                "texte coupé par « # » : YAML lit la suite comme un commentaire",
                f"mettez le texte entre guillemets : {quoted}")


def _line_rest(text: str, start: int) -> str:
    end = text.find("\n", start)
    return text[start: len(text) if end < 0 else end]


def _compose(path: Path, text: str) -> yaml.Node | None:
    loader = _Loader(text)
    try:
        return loader.get_single_node()
    except yaml.MarkedYAMLError as e:
        raise _syntax_error(path, text, e) from None
    except yaml.YAMLError as e:  # pragma: no cover - libyaml always marks its errors
        raise _fail(path, None, None, f"YAML illisible ({e})", "vérifiez la syntaxe") from None
    finally:
        loader.dispose()


def _prescan(path: Path, text: str, parser: type = _Loader) -> None:
    """Refuse anchors, aliases (billion laughs) and absurd nesting before building any node."""
    loader = parser(text)
    depth = 0
    try:
        while True:
            event = loader.get_event()
            if event is None or isinstance(event, yaml.StreamEndEvent):
                return
            anchor = getattr(event, "anchor", None)
            mark: Any = event.start_mark
            if isinstance(event, yaml.AliasEvent) or anchor:
                sign = "*" if isinstance(event, yaml.AliasEvent) else "&"
                raise _fail(path, mark.line + 1, mark.column + 1, f"ancre ou alias YAML interdit (« {sign}{anchor} »)",
                            "recopiez la valeur en entier ; si c'est du texte, mettez-le entre guillemets")
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    raise _fail(path, mark.line + 1, mark.column + 1,
                                f"structure trop imbriquée (plus de {MAX_DEPTH} niveaux)",
                                "un fichier de dossier n'a que quelques niveaux : "
                                "vérifiez les crochets « [ » et les tirets « - »")
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.MarkedYAMLError as e:
        if parser is _Loader and "nesting depth" in (e.problem or ""):
            _prescan(path, text, _PureParser)  # raises our located message
        if parser is _PureParser:
            return  # a syntax error before the limit: libyaml's own message follows
        raise _syntax_error(path, text, e) from None
    finally:
        loader.dispose()


# `champ: un texte` (a plain text with a space, on the key's line): the start of a text that may go on below.
_KEY_TEXT = re.compile(r"^(\s*)(- )?([A-Za-z_]\w*):[ \t]+([^|>\"'\[{&*!#\s][^#]* [^#]*)$")
_KEY_LINE = re.compile(r"^\s*(- )?[A-Za-z_]\w*:(\s|$)")


def _unpiped_text(text: str, e: yaml.MarkedYAMLError) -> tuple[str, int, int] | None:
    """Return (key, its line, first continuation line) when the error comes from a multi-line text without « | ».

    Without « | », the second line of `etat: Maison de briques` is read as a new key: libyaml
    then stops at the *next* key (« il manque « : » ») or at a « : » inside the text.
    """
    problem = e.problem or ""
    if "could not find expected ':'" in problem and e.context_mark is not None:
        culprit, colon_in_text = e.context_mark.line, False  # the line read as a key without « : »
    elif "mapping values are not allowed" in problem and e.problem_mark is not None:
        culprit, colon_in_text = e.problem_mark.line, True
    else:
        return None
    lines = text.splitlines()
    if culprit >= len(lines):
        return None
    indent = len(lines[culprit]) - len(lines[culprit].lstrip(" "))
    for index in range(culprit - 1, -1, -1):
        previous = lines[index]
        if not previous.strip() or previous.lstrip().startswith("#"):
            continue
        match = _KEY_TEXT.match(previous)
        if match is not None:
            key_indent = len(match.group(1)) + len(match.group(2) or "")
            if indent > key_indent or (indent == key_indent and not colon_in_text):
                return match.group(3), index + 1, index + 2
            return None
        if _KEY_LINE.match(previous) or previous.lstrip().startswith("- "):
            return None
        if len(previous) - len(previous.lstrip(" ")) < indent and not colon_in_text:
            return None
    return None


def _syntax_error(path: Path, text: str, e: yaml.MarkedYAMLError) -> YamlError:
    mark = e.problem_mark or e.context_mark
    line = mark.line + 1 if mark else None
    column = mark.column + 1 if mark else None
    problem = (e.problem or "").lower()
    source_line = text.splitlines()[line - 1] if line and line <= len(text.splitlines()) else ""
    if "\t" in source_line[: (column or 1)] or "'\\t'" in problem:
        return _fail(path, line, column, "tabulation dans l'indentation",
                     "YAML n'accepte que des espaces : remplacez la tabulation par des espaces")
    unpiped = _unpiped_text(text, e)
    if unpiped is not None:
        key, key_line, at = unpiped
        following = text.splitlines()[at - 1]
        return _fail(path, at, len(following) - len(following.lstrip()) + 1,
                     f"texte sur plusieurs lignes sans « | » : cette ligne continue le champ « {key} » "
                     f"(ligne {key_line})",
                     f"ajoutez « | » après le nom du champ pour un texte sur plusieurs lignes (« {key}: | » puis le "
                     "texte en dessous, indenté de deux espaces) ; si c'est un autre champ, écrivez « champ: valeur »")
    if "mapping values are not allowed" in problem:
        return _fail(path, line, column, "deux-points « : » inattendu dans une valeur",
                     "ajoutez des guillemets autour du texte : \"…\"")
    if "could not find expected ':'" in problem or "simple key" in problem:
        return _fail(path, line, column, "ligne incomplète : il manque « : » après le nom du champ",
                     "écrivez « champ: valeur », ou mettez le texte entre guillemets")
    if ("found unexpected end of stream" in problem or "found unknown escape" in problem
            or "quoted scalar" in (e.context or "")):
        return _fail(path, line, column, "guillemets non refermés ou mal formés",
                     "refermez les guillemets ; pour un « \" » dans le texte, utilisez des guillemets simples '…'")
    before = source_line[: (column or 1) - 1].rstrip()
    if (("expected <block end>" in problem or "did not find expected key" in problem)
            and before.endswith(("]", "}")) and before.lstrip()[:1] not in ("]", "}")):
        # `objectifs: [a, b] [c]`: a second value after a closed list, on the same line; not an indentation.
        if before.endswith("]"):
            return _fail(path, line, column, "deux valeurs à la suite sur la même ligne : une liste « […] » est "
                         "déjà refermée avant celle-ci",
                         "un champ n'a qu'une valeur : réunissez les éléments dans une seule liste « [a, b, c] », "
                         "ou écrivez chaque élément sur sa propre ligne, précédé de « - »")
        return _fail(path, line, column, "deux valeurs à la suite sur la même ligne : une rubrique « {…} » est "
                     "déjà refermée avant celle-ci",
                     "un champ n'a qu'une valeur : réunissez les champs dans une seule rubrique « {a: 1, b: 2} », "
                     "ou écrivez chaque champ sur sa propre ligne, indenté de deux espaces")
    if "did not find expected" in problem or "expected <block end>" in problem:
        return _fail(path, line, column, "indentation incohérente",
                     "alignez ce champ avec ses voisins (même nombre d'espaces en début de ligne)")
    if "expected a single document" in (e.context or "") or "another document" in problem:
        return _fail(path, line, column, "plusieurs documents dans le même fichier (ligne « --- »)",
                     "supprimez la ligne « --- » : un fichier ne contient qu'un seul document")
    if "block sequence entries are not allowed" in problem:
        return _fail(path, line, column, "tiret « - » de liste mal placé",
                     "chaque élément de liste commence sur sa propre ligne par « - », indenté sous son champ")
    if "nesting depth" in problem:  # libyaml >= 0.2.6 stops deep nesting itself
        return _fail(path, line, column, f"structure trop imbriquée (plus de {MAX_DEPTH} niveaux)",
                     "un fichier de dossier n'a que quelques niveaux : vérifiez les crochets « [ » et les tirets « - »")
    if "found character" in problem:
        return _fail(path, line, column, f"caractère inattendu ({e.problem})",
                     "mettez la valeur entre guillemets : \"…\"")
    return _fail(path, line, column, f"syntaxe YAML invalide ({e.problem})",
                 "vérifiez l'indentation et mettez les textes contenant « : » ou « # » entre guillemets")


def _construct(path: Path, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        tag = node.tag
        if tag == STR:
            # Only spaces (no-break ones included) is no text: blank, as an empty value (« texte vide »).
            return node.value if node.value.strip() else ""
        if tag == INT:
            return int(node.value)
        if tag == FLOAT:
            return float(node.value)
        if tag == BOOL:
            return node.value.lower() == "true"
        if tag == NULL:
            return None
        raise _tag_error(path, node)
    if isinstance(node, yaml.SequenceNode):
        if node.tag != SEQ:
            raise _tag_error(path, node)
        return [_construct(path, item) for item in node.value]
    if node.tag != MAP:
        raise _tag_error(path, node)
    result: dict[str, Any] = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode) or key_node.tag not in (STR, INT, FLOAT, BOOL, NULL):
            mark = key_node.start_mark
            raise _fail(path, mark.line + 1, mark.column + 1, "nom de champ invalide",
                        "un nom de champ est un simple mot suivi de « : »")
        key = key_node.value
        if key in result:
            mark = key_node.start_mark
            first = next(k for k, _ in node.value if k.value == key).start_mark
            raise _fail(path, mark.line + 1, mark.column + 1,
                        f"champ « {key} » en double (déjà présent ligne {first.line + 1})",
                        "gardez un seul exemplaire de ce champ et supprimez l'autre")
        result[key] = _construct(path, value_node)
    return result


def _tag_error(path: Path, node: yaml.Node) -> YamlError:
    mark = node.start_mark
    tag = node.tag.replace("tag:yaml.org,2002:", "!!")
    return _fail(path, mark.line + 1, mark.column + 1, f"étiquette YAML non autorisée « {tag} »",
                 "supprimez le « ! » et sa suite ; mettez le texte entre guillemets s'il en contient")
