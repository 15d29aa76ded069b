"""The build's manifest (out/.astre-manifest.json): which documents of which case are out of date.

A document is up to date when the hashes of its inputs (the configuration, the shared
templates and assets, its form and templates, the case files its form declares) are
those recorded when it was last built, and its outputs are still there. Hashes are
reused while a file's size and time are unchanged, so a build with nothing to do reads
no file but the manifest.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NamedTuple

from .. import __version__
from ..documents.forms import template_roots
from ..documents.writer import MANIFEST_MAX_BYTES, MANIFEST_NAME, safe_target, write_atomic
from ..errors import RenderError, YamlError
from ..model.wording import labels_path
from ..reading.cases import CASE_FILES
from ..reading.config import Config, config_digest
from ..reading.forms import Form
from ..reading.loader import MAX_BYTES, read_bounded, read_json

# Inputs hashed for the manifest: case files are bounded by the loader (MAX_BYTES); templates,
# fonts and images a little more (a font family is a few MB).
INPUT_MAX_BYTES = 64 * 1024 * 1024

MANIFEST_FORMAT = 2


class OutOfDate(NamedTuple):
    """One case to build: its folder, its out-of-date forms, every form's key, the sent copies last seen."""

    folder: Path
    forms: list[str]
    keys: dict[str, str]
    known: frozenset[str]


class Manifest:
    """The previous build's records, updated with this build's outcomes, then saved."""

    def __init__(self, config: Config, forms: list[Form], *, force: bool = False) -> None:
        """Read the manifest of `config`'s output folder and hash the inputs shared by `forms`' documents."""
        self.output_dir = config.output_dir
        self.path = self.output_dir / MANIFEST_NAME
        previous = read_manifest(self.path)
        # Forced: every document is out of date, but the old outputs and sent copies are still known.
        self.previous = {} if force else previous
        self.force = force
        self.cases: dict[str, Any] = dict(previous.get("cases", {}))
        self.shared = hash_files(shared_inputs(config), f"{__version__}\0{config_digest(config)}",
                                 self.previous.get("shared"))
        self.forms = {f.id: hash_files(form_inputs(f, config), "", self.previous.get("forms", {}).get(f.id))
                      for f in forms}
        self.files_of = {f.id: f.files for f in forms}
        self.changed = False

    def out_of_date(self, folders: Iterable[Path]) -> tuple[list[OutOfDate], int]:
        """Return the cases with documents to build, and how many documents are up to date."""
        todo: list[OutOfDate] = []
        up_to_date = 0
        for folder in folders:
            record = self.cases.get(folder.name, {})
            files = case_file_hashes(folder, record.get("files", {}))
            # A document depends on the case files its form declares (`fichiers`), not on the others.
            keys = {fid: doc_key(self.shared["hash"], hashed["hash"], *(files[n]["hash"] for n in self.files_of[fid]))
                    for fid, hashed in self.forms.items()}
            docs = record.get("docs", {})
            # The sent copies (cases/<id>/envoyes/): one added or removed by hand is looked at again.
            kept = kept_listing(folder)
            stale = [fid for fid, key in keys.items()
                     if self.force or docs.get(fid, {}).get("key") != key or kept != record.get("envoyes", [])
                     or not all(os.path.exists(self.output_dir / out) for out in docs[fid].get("outputs", []))]
            up_to_date += sum(len(docs[fid].get("outputs", [])) // 2 for fid in keys if fid not in stale)
            if stale:
                todo.append(OutOfDate(folder, stale, keys, frozenset(record.get("envoyes", []))))
                self.cases[folder.name] = {"files": files, "docs": docs}
                self.changed = True
        return todo, up_to_date

    def record(self, case_id: str, folder: Path, outputs: dict[str, list[str]], keys: dict[str, str]) -> None:
        """Record what was built for a case; delete the outputs it no longer produces."""
        record = self.cases[case_id]
        record["envoyes"] = kept_listing(folder)
        for form_id, files in outputs.items():
            _remove_stale(self.output_dir, record["docs"].get(form_id, {}).get("outputs", []), files)
            record["docs"][form_id] = {"key": keys[form_id], "outputs": files}

    def save(self) -> None:
        """Write the manifest when something changed (or it is missing)."""
        if self.changed or not self.path.exists() or self.previous.get("shared") != self.shared:
            manifest = {"format": MANIFEST_FORMAT, "shared": self.shared,
                        "forms": {**self.previous.get("forms", {}), **self.forms}, "cases": self.cases}
            write_atomic(self.path, json.dumps(manifest, ensure_ascii=False, sort_keys=True).encode())


# ---------------------------------------------------------------- hashing

def _stat(path: Path) -> list[int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return [st.st_mtime_ns, st.st_size]


def hash_files(paths: list[Path], extra: str, previous: dict[str, Any] | None, limit: int = INPUT_MAX_BYTES
                ) -> dict[str, Any]:
    """Return {"stats", "extra", "hash"} for `paths`, reusing the previous hash when no stat changed.

    Each file is read by `read_bounded` (a pipe never hangs, `/dev/zero` is never read
    whole); one that cannot be read is hashed as its error: the build then meets the same
    file and says what is wrong with it, for its case only.
    """
    stats = {str(p): _stat(p) for p in paths}
    if previous and previous.get("stats") == stats and previous.get("extra") == extra:
        return previous
    digest = hashlib.sha256(extra.encode())
    for p in paths:
        digest.update(str(p).encode("utf-8", "surrogateescape") + b"\0")
        if stats[str(p)] is not None:
            try:
                digest.update(read_bounded(p, limit))
            except YamlError as e:
                digest.update(b"\1" + str(e).encode("utf-8", "surrogateescape"))
                stats[str(p)] = None  # never taken as unchanged: read again next time
        digest.update(b"\0")
    return {"stats": stats, "extra": extra, "hash": digest.hexdigest()}


def case_file_hashes(folder: Path, previous: dict[str, Any]) -> dict[str, Any]:
    """Return {file name: {"stats", "hash"}} for every case file (absent ones included)."""
    return {name: hash_files([folder / f"{name}.yaml"], "", previous.get(name), MAX_BYTES) for name in CASE_FILES}


def shared_inputs(config: Config) -> list[Path]:
    """Inputs of every document: labels, shared HTML pieces (base, partials, CSS), assets, logo.

    The configuration itself is hashed from the loaded object (`config_digest`), not the
    file: the documents are made from that object, even if astre.yaml changed since.
    """
    paths = [labels_path(config.resources)]
    for root in template_roots(config):
        folder = root / "html"
        if folder.is_dir():
            paths += sorted(p for p in folder.iterdir() if p.name.startswith("_") or p.suffix == ".css"
                            or p.name == "base.html")
        # Fonts and images the style sheets and templates use (url(...) through the asset fetcher).
        assets = root / "assets"
        if assets.is_dir():
            paths += sorted(p for p in assets.rglob("*") if p.is_file()
                            and not any(part.startswith(".") for part in p.relative_to(assets).parts))
    logo = config.structure.logo
    if logo:
        paths.append(config.root / logo)
    return paths


def form_inputs(form: Form, config: Config) -> list[Path]:
    """Return the files a form's documents are drawn with: its definition, its templates or its layout's files."""
    from ..documents.layout import layout_inputs

    return [form.path, *layout_inputs(config.resources, form.layout, form.docx, form.html)]


def doc_key(*parts: str) -> str:
    """Return the key of a document: a digest of its inputs' hashes."""
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]


def kept_listing(folder: Path) -> list[str]:
    """Return the files of a case's sent copies (generator.documents.archive), sorted; [] when none."""
    try:
        return sorted(os.listdir(folder / "envoyes"))
    except OSError:
        return []


def _remove_stale(output_dir: Path, old: list[str], new: list[str]) -> None:
    """Delete outputs listed in the manifest that the case no longer produces (and only those)."""
    for rel in set(old) - set(new):
        try:
            safe_target(output_dir, rel).unlink(missing_ok=True)
        except RenderError:
            continue


# ---------------------------------------------------------------- reading

def read_manifest(path: Path) -> dict[str, Any]:
    """Return the previous build's manifest, or {} (everything rebuilt) when it is absent, unreadable or odd.

    The file is ours but lies in the user's folder: edited by hand, cut by a full disk or
    left by another version, any shape other than the one written above counts as absent.
    """
    try:
        data = read_json(path, MANIFEST_MAX_BYTES, max_depth=None)  # its shape is checked level by level
    except YamlError as e:
        if os.path.lexists(path):
            _warn(f"{e} — il est ignoré : tous les documents sont reconstruits")
        return {}
    if _well_formed(data):
        return data  # type: ignore[no-any-return]
    if isinstance(data, dict) and data.get("format") != MANIFEST_FORMAT and isinstance(data.get("format"), int):
        return {}  # written by another version of astre: rebuilt without a word
    _warn(f"{path}: avertissement : ce n'est pas le manifeste écrit par astre — il est ignoré : "
          "tous les documents sont reconstruits")
    return {}


def _warn(message: str) -> None:
    """Say on stderr why the manifest is ignored (the build goes on: it only rebuilds more)."""
    import sys

    print(message, file=sys.stderr)


def recorded_cases(output_dir: Path) -> set[str]:
    """Return the ids of the cases the manifest of `output_dir` knows."""
    return set(read_manifest(output_dir / MANIFEST_NAME).get("cases", {}))


def _is_map(value: Any, check: Any) -> bool:
    return isinstance(value, dict) and all(isinstance(k, str) and check(v) for k, v in value.items())


def _is_strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _is_hashed(value: Any) -> bool:
    """A `hash_files` entry: {"stats": {path: [mtime, size] | None}, "extra": str, "hash": str}."""
    return (isinstance(value, dict) and isinstance(value.get("extra"), str) and isinstance(value.get("hash"), str)
            and _is_map(value.get("stats"), lambda s: s is None or (
                isinstance(s, list) and len(s) == 2 and all(type(n) is int for n in s))))


def _is_case_record(value: Any) -> bool:
    return (isinstance(value, dict) and _is_map(value.get("files", {}), _is_hashed)
            and _is_strings(value.get("envoyes", []))
            and _is_map(value.get("docs", {}), lambda d: isinstance(d, dict) and isinstance(d.get("key"), str)
                        and _is_strings(d.get("outputs", []))))


def _well_formed(data: Any) -> bool:
    """True when `data` has the shape `Manifest.save` writes (format, shared, forms, cases)."""
    return (isinstance(data, dict) and data.get("format") == MANIFEST_FORMAT and _is_hashed(data.get("shared"))
            and _is_map(data.get("forms", {}), _is_hashed) and _is_map(data.get("cases", {}), _is_case_record))
