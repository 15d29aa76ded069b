"""Saving a case file from a form: only the changed values change, written atomically, checked first.

ruamel.yaml's round-trip mode keeps what the référent typed around the values the form
changed: comments, key order, quoting, flow lists (`[spslh]`) and the `$schema` line.
The new text is parsed again by astre's own loader and validated with its schema before
it replaces the old file (temporary file in the same folder, fsync, rename): a value
that would not load, or would be refused, is never written.
"""

from __future__ import annotations

import difflib
import hashlib
import io
import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, LiteralScalarString

from ..errors import Problem, SaveConflictError, YamlError
from ..reading.loader import load_text, read_text
from ..reading.resources import Resources
from ..reading.validate import INCOMPLETE, validate


def digest(text: str) -> str:
    """Return the fingerprint of a file's text that a form carries to detect a change on disk."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def is_blocking(problem: Problem) -> bool:
    """True when a problem is a wrong value (not a value still missing): such a file is not written."""
    return problem.severity == "erreur" and problem.code != INCOMPLETE  # a draft may lack values, never hold wrong ones


def _yaml(text: str) -> YAML:
    rt = YAML(typ="rt")
    rt.preserve_quotes = True
    rt.width = 4096  # never fold a long text onto several lines
    # The files astre new writes and the examples indent lists under their key (« - » two spaces in).
    flush = re.search(r"^[^\s#][^\n]*:[ \t]*\n-[ \t]", text, re.MULTILINE) is not None
    rt.indent(mapping=2, sequence=2 if flush else 4, offset=0 if flush else 2)
    return rt


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, date) and isinstance(new, str):
        return old.isoformat() == new
    if isinstance(old, bool) != isinstance(new, bool) or isinstance(old, str) != isinstance(new, str):
        return False  # "62270" is not 62270, true is not 1
    return bool(_plain(old) == _plain(new))


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return str(value)
    return value


def _scalar(value: Any) -> Any:
    """Return `value` as a careful référent would type it: quoted when plain YAML would read something else."""
    if not isinstance(value, str):
        return value
    if "\n" in value:
        return LiteralScalarString(value if value.endswith("\n") else value + "\n")
    if value and value.strip() == value and not value[0].isdigit() and value[0] not in "+-." and _plain_ok(value):
        return value
    return DoubleQuotedScalarString(value)


def _plain_ok(value: str) -> bool:
    """True when astre's loader reads `value`, written without quotes, as this very text."""
    try:
        return bool(load_text(Path("valeur.yaml"), f"v: {value}\n").data == {"v": value})
    except YamlError:
        return False


def _new(value: Any) -> Any:
    if isinstance(value, dict):
        mapping = CommentedMap()
        for key, item in value.items():
            mapping[key] = _new(item)
        return mapping
    if isinstance(value, list):
        seq = CommentedSeq([_new(item) for item in value])
        if all(isinstance(item, (str, int, float)) and "\n" not in str(item) for item in value):
            seq.fa.set_flow_style()  # « destinataires: [spslh, slisl] », as the examples write short lists
        return seq
    return _scalar(value)


def _blank(value: Any) -> bool:
    """True for a value still to fill in a new case's model: empty, or a part whose fields are all empty."""
    if isinstance(value, dict):
        return all(_blank(v) for v in value.values())
    return value is None or value == []


def merge(old: Any, new: Any) -> Any:
    """Return `old` (ruamel round-trip data) changed in place to hold `new` (plain data), touching only differences."""
    if isinstance(old, dict) and isinstance(new, dict):
        for key in [k for k in old if k not in new]:
            if not _blank(old[key]):  # a blank line (`designation:`, `demandes: []`) stays until filled
                del old[key]
        for key, value in new.items():
            if key in old and _same(old[key], value):
                continue
            old[key] = merge(old[key], value) if key in old else _new(value)
        return old
    if isinstance(old, list) and isinstance(new, list):
        placed = _placed(old, new)
        for index, node in enumerate(placed):
            if index >= len(old):
                old.append(node)
            elif old[index] is not node:
                old[index] = node
        del old[len(placed):]
        return old
    return _new(new)


def _placed(old: list[Any], new: list[Any]) -> list[Any]:
    """Return the nodes of the list `new`: an element moved keeps its node (its layout, its comments)."""
    unused = list(range(len(old)))
    found: list[Any] = [None] * len(new)
    for index, value in enumerate(new):  # unchanged elements, where they are or moved
        for j in sorted(unused, key=lambda j: j != index):
            if _same(old[j], value):
                found[index] = old[j]
                unused.remove(j)
                break
    for index, value in enumerate(new):  # changed elements: edited in place when their position is free
        if found[index] is None:
            if index in unused:
                unused.remove(index)
                found[index] = merge(old[index], value)
            else:
                found[index] = _new(value)
    return found


@dataclass
class Saved:
    """What a save did: the new text (None when refused) and the problems found in it."""

    text: str | None
    problems: list[Problem] = field(default_factory=list)
    changed: bool = False


def render(path: Path, text: str, new: dict[str, Any]) -> str:
    """Return the text of `path` (currently `text`) holding `new`, changed only where values differ."""
    rt = _yaml(text)
    data = rt.load(text) if text.strip() else None
    if not isinstance(data, dict):  # a commented-out optional file: its comments stay above the values
        head = text.rstrip("\n") + "\n" if text.strip() else ""
        if not new:
            return text
        out = io.StringIO()
        rt.dump(_new(new), out)
        lines = head.splitlines(keepends=True)
        _into_comments(lines, len(lines), out.getvalue().splitlines(keepends=True))
        moved, plain = "".join(lines), head + out.getvalue()
        return moved if _loads_same(path, moved, plain) else plain
    base = io.StringIO()
    rt.dump(data, base)
    merge(data, new)
    out = io.StringIO()
    rt.dump(data, out)
    target = out.getvalue()
    kept = keep_layout(text, base.getvalue(), target)
    if _loads_same(path, kept, target):
        return kept
    return target


def keep_layout(original: str, base: str, target: str) -> str:
    """Apply to `original` the changes from `base` to `target` (ruamel's output before and after the edit).

    ruamel re-emits some layouts its own way (a flow list `{…}` spread over several lines
    is joined): the référent's layout is kept wherever the edit did not touch it; an edit
    inside such a part rewrites that part only, as ruamel writes it.
    """
    o, b, t = (s.splitlines(keepends=True) for s in (original, base, target))
    to_o = difflib.SequenceMatcher(None, b, o, autojunk=False).get_opcodes()
    to_t = difflib.SequenceMatcher(None, b, t, autojunk=False).get_opcodes()
    reformatted = [(i1, i2) for tag, i1, i2, _, _ in to_o if tag != "equal" and i1 < i2]
    edits = []
    for lo, hi in _merged([(i1, i2) for tag, i1, i2, _, _ in to_t if tag != "equal"], reformatted):
        o_lo, o_hi = _index(to_o, lo, max), _index(to_o, hi, min)
        edits.append((o_lo, max(o_lo, o_hi), t[_index(to_t, lo, min):_index(to_t, hi, max)]))
    ordered = sorted(edits)
    for index in reversed(range(len(ordered))):
        o_lo, o_hi, lines = ordered[index]
        if o_lo == o_hi:
            _into_comments(o, o_lo, lines, floor=ordered[index - 1][1] if index else 0)
        else:
            o[o_lo:o_hi] = lines
    return "".join(o)


_COMMENTED_KEY = re.compile(r"#\s*(?:- )?[A-Za-z_]\w*:")
_SCALAR_LINE = re.compile(r"^( *)([A-Za-z_]\w*): \S.*\n?$")
_MAPPING_LINE = re.compile(r"^( *)([A-Za-z_]\w*):[ \t]*\n?$")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _blocks(lines: list[str], depth: int) -> list[tuple[str, list[str]]]:
    """Split `lines` into (a line at `depth`, the more indented lines under it)."""
    blocks: list[tuple[str, list[str]]] = []
    for line in lines:
        if blocks and (not line.strip() or _indent(line) > depth):
            blocks[-1][1].append(line)
        else:
            blocks.append((line, []))
    return blocks


def _into_comments(o: list[str], at: int, lines: list[str], floor: int = 0) -> None:
    """Insert `lines` (fields ruamel added at line `at` of `o`) as a référent would have typed them.

    Each field of the part itself takes the place of its commented model line (`# key:`,
    from astre new) in that part, if there is one: a value on its line (`saisine: …`), a
    text with its lines, a part with its own fields (`dates:` then `saisine:` in place of
    `  # saisine:` under `# dates:`); the others go at the end of the part, before the
    comments that open the next one (never above line `floor`).
    """
    lines = [line if line.endswith("\n") else line + "\n" for line in lines]
    depth = min((_indent(line) for line in lines if line.strip()), default=0)
    left: list[str] = []
    for head, children in _blocks(lines, depth):
        first, last = _part(o, at, depth)
        scalar, mapping = _SCALAR_LINE.match(head), _MAPPING_LINE.match(head)
        key = scalar or (mapping if children else None)
        spot = None
        if key is not None and len(key.group(1)) == depth:  # a field of a list element stays in its element
            model = f"{' ' * depth}# {key.group(2)}:"
            spot = next((i for i in range(first, last) if o[i].rstrip() == model), None)
        if spot is None:
            left += [head, *children]
            continue
        size = len(o)
        if scalar is not None:
            o[spot:spot + 1] = [head, *children]
        else:
            o[spot] = head
            _into_comments(o, spot + 1, children)
        at += len(o) - size  # lines added above `at`, inside its part
    first, last = _part(o, at, depth)
    where = max(floor, min(at, last))
    o[where:where] = left


def _part(o: list[str], at: int, depth: int) -> tuple[int, int]:
    """Return the lines [first, last) of the part that line `at` ends, without the comments that open the next."""
    indent = _indent

    def outside(line: str) -> bool:
        stripped = line.lstrip(" ")
        if not stripped.strip() or indent(line) >= depth:
            return False
        # A comment less indented belongs to the part, unless it is a commented key: another part begins.
        return not stripped.startswith("#") or _COMMENTED_KEY.match(stripped) is not None

    parent = at - 1
    while parent >= 0 and (o[parent].lstrip(" ").startswith("#") or not outside(o[parent])):
        parent -= 1
    last = parent + 1
    while last < len(o) and not outside(o[last]):
        last += 1
    while last > parent + 1 and o[last - 1].lstrip(" ").startswith("#") and indent(o[last - 1]) < depth:
        last -= 1
    return parent + 1, last


def _merged(changes: list[tuple[int, int]], reformatted: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Return the changed ranges of base lines, widened to the whole of every re-emitted part they touch."""
    merged: list[tuple[int, int]] = []
    for lo, hi in changes:
        grown = True
        while grown:
            grown = False
            for c, d in reformatted:
                touches = (lo < d and c < hi) if lo < hi else c < lo < d
                if touches and (c < lo or d > hi):
                    lo, hi, grown = min(lo, c), max(hi, d), True
        if merged and lo < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(hi, merged[-1][1]))
        else:
            merged.append((lo, hi))
    return merged


def _index(opcodes: Sequence[tuple[str, int, int, int, int]], line: int, pick: Any) -> int:
    """Return where base line boundary `line` falls in the other text (`pick`: min or max among candidates)."""
    found = []
    for _, i1, i2, j1, j2 in opcodes:
        if line == i1:
            found.append(j1)
        if line == i2:
            found.append(j2)
        if i1 < line < i2:
            found.append(j1 + line - i1 if j2 - j1 == i2 - i1 else j1 if pick is min else j2)
    return int(pick(found))


def _loads_same(path: Path, text: str, target: str) -> bool:
    try:
        return bool(load_text(path, text).data == load_text(path, target).data)
    except YamlError:
        return False


def check_text(sources: Resources, path: Path, text: str, schema_name: str) -> list[Problem]:
    """Load `text` as astre would read `path`, and return its problems (a syntax error is one problem)."""
    try:
        doc = load_text(path, text)
    except YamlError as e:
        return [e.problem]
    if doc.data is None:
        return []
    if not isinstance(doc.data, dict):
        return [Problem(path, 1, 1, "le fichier doit être une suite de champs « nom: valeur »")]
    return validate(sources, doc, schema_name)


def save(sources: Resources, path: Path, expected_digest: str, new: dict[str, Any], schema_name: str,
         blank: str = "") -> Saved:
    """Write `new` into `path` if the file is still the one the form showed; never writes a refused value.

    `blank`: the text a missing file starts from (`astre new`'s commented model, with its `$schema` line).
    Raises SaveConflictError when the file changed on disk since the form was opened.
    """
    current = read_text(path) if path.exists() else ""
    if digest(current) != expected_digest:
        raise SaveConflictError(path, current)
    text = render(path, current or blank, new)
    problems = check_text(sources, path, text, schema_name)
    if any(is_blocking(p) for p in problems):
        return Saved(None, problems)
    if text == current:
        return Saved(text, problems)
    write_checked(sources, path, text, schema_name)
    return Saved(text, problems, changed=True)


def write_checked(sources: Resources, path: Path, text: str, schema_name: str) -> None:
    """Write `text` atomically into `path`, after astre's loader read back the very bytes written."""
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        written = read_text(Path(temp))
        problems = [replace(p, path=path) for p in check_text(sources, path, written, schema_name)]
        if written != text or any(is_blocking(p) for p in problems):
            raise YamlError(problems[0] if problems else Problem(path, None, None, "relecture différente"))
        if path.exists():
            os.chmod(temp, path.stat().st_mode & 0o777)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def unified_diff(before: str, after: str, name: str) -> str:
    """Return the difference between two versions of a file, as `git diff` shows it."""
    return "".join(difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True),
                                        f"{name} (avant)", f"{name} (maintenant)"))
