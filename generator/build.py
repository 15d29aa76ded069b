"""`astre build`: every applicable document of every case, in DOCX and PDF, incrementally.

The stages, like MkDocs' build: collect the cases, decide what is out of date
(manifest of input hashes, stat fast path), then per case: load and check,
compute the context once, render each ready form to DOCX and PDF, write
atomically. Nothing heavy (WeasyPrint, docxtpl) is imported when nothing
needs rebuilding.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__
from .cases import CASE_FILES, find_case_folders
from .config import Config, check_logo
from .errors import AstreError, RenderError
from .forms import Form, labels_path, load_forms, template_path, template_roots
from .writer import SCRATCH_NAME, disk_error, output_lock, remove_leftovers, safe_target, write_atomic

if TYPE_CHECKING:
    from multiprocessing.context import BaseContext

MANIFEST_NAME = ".astre-manifest.json"
MANIFEST_FORMAT = 2


@dataclass
class BuildSummary:
    """What a build did: files written, documents already up to date, failures (French reasons)."""

    built: list[Path] = field(default_factory=list)
    up_to_date: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    # (case, message): a sent document kept as sent although the data changed since (generator.archive).
    warnings: list[tuple[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing failed."""
        return not self.failed

    def format(self) -> str:
        """Return the French summary, one line per failure."""
        lines = [f"{who} : {why}" for who, why in self.failed]
        lines += [f"{who} : avertissement : {why}" for who, why in self.warnings]
        n, u, f = len(self.built), self.up_to_date, len(self.failed)
        lines.append(f"{n} fichier{'s' if n > 1 else ''} construit{'s' if n > 1 else ''}, "
                     f"{u} document{'s' if u > 1 else ''} à jour, {f} en échec")
        return "\n".join(lines)


@dataclass
class CaseOutcome:
    """A worker's answer for one case: outputs per form, files written, failures."""

    case_id: str
    outputs: dict[str, list[str]] = field(default_factory=dict)
    built: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)


# ---------------------------------------------------------------- hashing and manifest

def _stat(path: Path) -> list[int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return [st.st_mtime_ns, st.st_size]


def _hash_files(paths: list[Path], extra: str, previous: dict[str, Any] | None) -> dict[str, Any]:
    """Return {"stats", "hash"} for `paths`, reusing the previous hash when no stat changed."""
    stats = {str(p): _stat(p) for p in paths}
    if previous and previous.get("stats") == stats and previous.get("extra") == extra:
        return previous
    digest = hashlib.sha256(extra.encode())
    for p in paths:
        digest.update(str(p).encode() + b"\0")
        if stats[str(p)] is not None:
            digest.update(p.read_bytes())
        digest.update(b"\0")
    return {"stats": stats, "extra": extra, "hash": digest.hexdigest()}


def _case_file_hashes(folder: Path, previous: dict[str, Any]) -> dict[str, Any]:
    """Return {file name: {"stats", "hash"}} for every case file (absent ones included)."""
    return {name: _hash_files([folder / f"{name}.yaml"], "", previous.get(name)) for name in CASE_FILES}


def _shared_inputs(config: Config) -> list[Path]:
    """Inputs of every document: labels, shared HTML pieces (base, partials, CSS), assets, logo.

    The configuration itself is hashed from the loaded object (`_config_digest`), not the
    file: the documents are made from that object, even if astre.yaml changed since.
    """
    paths = [labels_path()]
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
    logo = config.structure.get("logo")
    if logo:
        paths.append(config.root / logo)
    return paths


def _config_digest(config: Config) -> str:
    """Return a digest of the loaded configuration (what the documents are made from)."""
    text = json.dumps(config.data, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _form_inputs(form: Form, config: Config) -> list[Path]:
    return [form.path, template_path("docx", form.docx, config), template_path("html", form.html, config)]


def _read_manifest(path: Path) -> dict[str, Any]:
    """Return the previous build's manifest, or {} (everything rebuilt) when it is absent, unreadable or odd.

    The file is ours but lies in the user's folder: edited by hand, cut by a full disk or
    left by another version, any shape other than the one written below counts as absent.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if _well_formed(data) else {}


def _is_map(value: Any, check: Any) -> bool:
    return isinstance(value, dict) and all(isinstance(k, str) and check(v) for k, v in value.items())


def _is_strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _is_hashed(value: Any) -> bool:
    """A `_hash_files` entry: {"stats": {path: [mtime, size] | None}, "extra": str, "hash": str}."""
    return (isinstance(value, dict) and isinstance(value.get("extra"), str) and isinstance(value.get("hash"), str)
            and _is_map(value.get("stats"), lambda s: s is None or (
                isinstance(s, list) and len(s) == 2 and all(type(n) is int for n in s))))


def _is_case_record(value: Any) -> bool:
    return (isinstance(value, dict) and _is_map(value.get("files", {}), _is_hashed)
            and _is_strings(value.get("envoyes", []))
            and _is_map(value.get("docs", {}), lambda d: isinstance(d, dict) and isinstance(d.get("key"), str)
                        and _is_strings(d.get("outputs", []))))


def _well_formed(data: Any) -> bool:
    """True when `data` has the shape `_build` writes (format, shared, forms, cases)."""
    return (isinstance(data, dict) and data.get("format") == MANIFEST_FORMAT and _is_hashed(data.get("shared"))
            and _is_map(data.get("forms", {}), _is_hashed) and _is_map(data.get("cases", {}), _is_case_record))


def _doc_key(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]


# ---------------------------------------------------------------- the orchestrator

def build(config: Config, paths: list[Path] | None = None, *, forms: list[str] | None = None, force: bool = False,
          jobs: int | None = None, today: date | None = None, progress: bool = False) -> BuildSummary:
    """Build the documents of the cases in `paths` (all cases by default) that are out of date.

    One build at a time per output folder (BuildLockedError for the second one); the
    leftovers of an interrupted build are removed first.
    """
    check_logo(config)
    if force and paths is None:  # every case will be rebuilt: the pool's fork server starts while we hash
        _start_pool_early(jobs)
    with output_lock(config.output_dir):
        remove_leftovers(config.output_dir)
        return _build(config, paths, forms=forms, force=force, jobs=jobs, today=today or date.today(),
                      progress=progress)


def case_output_folders(config: Config) -> set[str]:
    """Return the names of the cases' output folders: every case folder, and every case the manifest knows."""
    cases = config.cases_dir
    names = {p.name for p in cases.iterdir() if p.is_dir()} if cases.is_dir() else set()
    return names | set(_read_manifest(config.output_dir / MANIFEST_NAME).get("cases", {}))


def _build(config: Config, paths: list[Path] | None, *, forms: list[str] | None, force: bool, jobs: int | None,
           today: date, progress: bool) -> BuildSummary:
    output_dir = config.output_dir
    manifest_path = output_dir / MANIFEST_NAME
    manifest = {} if force else _read_manifest(manifest_path)
    old_cases: dict[str, Any] = (_read_manifest(manifest_path) if force else manifest).get("cases", {})
    selected = load_forms(config, forms)
    shared = _hash_files(_shared_inputs(config), f"{__version__}\0{_config_digest(config)}", manifest.get("shared"))
    form_hashes = {f.id: _hash_files(_form_inputs(f, config), "", manifest.get("forms", {}).get(f.id))
                   for f in selected}
    summary = BuildSummary()
    todo: list[tuple[Path, list[str], dict[str, str], frozenset[str]]] = []
    new_cases: dict[str, Any] = dict(old_cases)
    for folder in find_case_folders(list(paths or []), config.cases_dir):
        case_id = folder.name
        record = old_cases.get(case_id, {})
        files = _case_file_hashes(folder, record.get("files", {}))
        # A document depends on the case files its form declares (`fichiers`), not on the others.
        keys = {f.id: _doc_key(shared["hash"], form_hashes[f.id]["hash"], *(files[n]["hash"] for n in f.files))
                for f in selected}
        docs = record.get("docs", {})
        # The sent copies (cases/<id>/envoyes/): one added or removed by hand is looked at again.
        kept = _kept_listing(folder)
        stale = [fid for fid, key in keys.items()
                 if force or docs.get(fid, {}).get("key") != key or kept != record.get("envoyes", [])
                 or not all(os.path.exists(output_dir / out) for out in docs[fid].get("outputs", []))]
        summary.up_to_date += sum(len(docs[fid].get("outputs", [])) // 2 for fid in keys if fid not in stale)
        if stale:
            todo.append((folder, stale, keys, frozenset(record.get("envoyes", []))))
            new_cases[case_id] = {"files": files, "docs": docs}
    for outcome, keys in _run(config, todo, today, jobs, progress):
        record = new_cases[outcome.case_id]
        record["envoyes"] = _kept_listing(config.cases_dir / outcome.case_id)
        summary.built += [output_dir / rel for rel in outcome.built]
        summary.failed += outcome.failed
        summary.warnings += outcome.warnings
        for form_id, outputs in outcome.outputs.items():
            _remove_stale(output_dir, record["docs"].get(form_id, {}).get("outputs", []), outputs)
            record["docs"][form_id] = {"key": keys[form_id], "outputs": outputs}
    if todo or not manifest_path.exists() or manifest.get("shared") != shared:
        new_manifest = {"format": MANIFEST_FORMAT, "shared": shared,
                        "forms": {**manifest.get("forms", {}), **form_hashes}, "cases": new_cases}
        write_atomic(manifest_path, json.dumps(new_manifest, ensure_ascii=False, sort_keys=True).encode())
    return summary


def _kept_listing(folder: Path) -> list[str]:
    """Return the files of a case's sent copies (generator.archive), sorted; [] when none."""
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


def _run(config: Config, todo: list[tuple[Path, list[str], dict[str, str], frozenset[str]]], today: date,
         jobs: int | None,
         progress: bool) -> Any:
    """Yield (outcome, keys) per case, in parallel when there are several cases and cores.

    Workers get the loaded `config` (pickled), never re-read astre.yaml: they build
    with the configuration the caller checked, even if the file changed meanwhile.
    """
    if not todo:
        return
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(todo)))
    show = progress and sys.stderr.isatty()
    done = 0

    def tick(case_id: str) -> None:
        nonlocal done
        done += 1
        if show:
            sys.stderr.write(f"\r\033[K[{done}/{len(todo)}] {case_id}")
            if done == len(todo):
                sys.stderr.write("\n")
            sys.stderr.flush()

    if jobs == 1:  # one case (the watcher's usual save): no pool, no process start-up
        _init_worker(config)
        for folder, stale, keys, known in todo:
            outcome = build_case(folder, stale, today, known)
            tick(outcome.case_id)
            yield outcome, keys
        return
    from concurrent.futures import ProcessPoolExecutor

    # The workers' temporary files (WeasyPrint extracts fonts, ~13 MB each) go into the output
    # folder, not /tmp: removed below, or by the next build if this one is killed.
    scratch = config.output_dir / SCRATCH_NAME
    try:
        try:
            scratch.mkdir(exist_ok=True)
        except OSError as e:
            raise disk_error(e) or e from None
        with ProcessPoolExecutor(max_workers=jobs, mp_context=_pool_context(), initializer=_init_pool_worker,
                                 initargs=(config, str(scratch))) as pool:
            # The longest cases first, so that both workers end together (not one alone on a big last case).
            futures = [(pool.submit(build_case, folder, stale, today, known), keys)
                       for folder, stale, keys, known in sorted(todo, key=_expected_work, reverse=True)]
            for future, keys in futures:
                outcome = future.result()
                tick(outcome.case_id)
                yield outcome, keys
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _expected_work(item: tuple[Path, list[str], dict[str, str], frozenset[str]]) -> int:
    """Return a rough measure of a case's rendering work: its forms to build times the size of its files.

    A case with more visits, works and reviews makes more documents and longer ones (on
    synthetic cases, the size of the case files follows the size of the PDFs, r = 0.97).
    """
    folder, stale, _, _ = item
    size = 0
    for name in CASE_FILES:
        try:
            size += (folder / f"{name}.yaml").stat().st_size
        except OSError:
            continue
    return len(stale) * size


def _start_pool_early(jobs: int | None) -> None:
    """Start the workers' fork server now, so that its imports (~0.7 s) overlap the hashing of the cases.

    Only for a build that will use a pool (several cores); the server ends with this process.
    """
    if (jobs or os.cpu_count() or 1) < 2:
        return
    from multiprocessing import forkserver

    if _pool_context().get_start_method() == "forkserver":
        forkserver.ensure_running()


# ---------------------------------------------------------------- one case (in a worker)

_WORKER: dict[str, Any] = {}
RENDERERS = [__name__, f"{__package__}.render_docx", f"{__package__}.render_pdf"]


def _pool_context() -> BaseContext:
    """Return how workers start: from a fork server, never by forking the caller.

    Forking copies the caller's locks in whatever state its other threads left them
    (the watcher runs watchdog's threads), which can deadlock a worker. The fork
    server is a clean single-threaded process started once, that has imported the
    renderers already, so each worker still starts in milliseconds.
    """
    import multiprocessing  # here: a build with nothing to do starts no process

    if "forkserver" not in multiprocessing.get_all_start_methods():  # pragma: no cover - Windows
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    # forkserver_init first: the server ends with the process that started it (`die_with_parent`).
    context.set_forkserver_preload([f"{__package__}.forkserver_init", *RENDERERS])
    return context


def die_with_parent() -> None:
    """Have Linux kill this process when its parent ends (prctl PR_SET_PDEATHSIG); a no-op elsewhere.

    A killed `astre build` (SIGKILL, closed terminal) must not leave its fork server
    and workers running (~280 MB) nor writing into the output folder.
    """
    if not sys.platform.startswith("linux"):
        return
    import ctypes
    import signal

    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)


def _init_pool_worker(config: Config, scratch: str) -> None:
    """Initialise a pool worker: dies with the fork server, temporary files in `scratch`, then `_init_worker`."""
    import tempfile

    die_with_parent()
    server = sys.modules.get(f"{__package__}.forkserver_init")  # preloaded by the fork server, if any
    if server is not None and os.getppid() != server.SERVER_PID:  # it ended before prctl: nobody would stop us
        os._exit(1)
    tempfile.tempdir = scratch  # this process only builds, then ends with the pool
    _init_worker(config)


def _init_worker(config: Config) -> None:
    """Keep the configuration to build with, and import the renderers (once per process)."""
    from . import render_docx, render_pdf  # noqa: F401  (heavy imports: a no-op after the first)

    _WORKER["config"] = config


def build_case(folder: Path, form_ids: list[str], today: date, known: frozenset[str] = frozenset()) -> CaseOutcome:
    """Load, check and render the given forms of one case; never raises on a case problem.

    `known`: the sent copies the previous build saw (one of them missing now was deleted, not new).
    """
    from .check import check_case

    config: Config = _WORKER["config"]
    outcome = CaseOutcome(folder.name)
    case = check_case(folder, config, today)
    if not case.valid:
        errors = [p for p in case.problems if p.severity == "erreur"]
        reason = "dossier invalide, aucun document produit : " + " ; ".join(p.format() for p in errors[:3])
        if len(errors) > 3:
            reason += f" (et {len(errors) - 3} autre(s) : lancez « astre check »)"
        outcome.failed.append((case.id, reason))
        return outcome
    contexts: dict[tuple[tuple[str, ...], date], dict[str, Any]] = {}
    for form in load_forms(config, form_ids):
        # The form sees only the files it declares, so its document cannot silently depend on others.
        view = case.restricted(form.files)
        try:
            if _ready(view, form):
                outcome.outputs[form.id] = _render_form(view, form, config, contexts, outcome, known)
            else:
                outcome.outputs[form.id] = []
        except AstreError as e:
            outcome.failed.append((f"{case.id} ({form.id})", str(e)))
        except OSError as e:  # WeasyPrint writing its fonts into the scratch folder: full disk, no rights
            error = disk_error(e)
            if error is None:
                raise
            outcome.failed.append((f"{case.id} ({form.id})", str(error)))
    return outcome


def _ready(case: Any, form: Form) -> bool:
    from .forms import check_form

    return not check_form(case, form)


def _render_form(case: Any, form: Form, config: Config, contexts: dict[tuple[tuple[str, ...], date], dict[str, Any]],
                 outcome: CaseOutcome, known: frozenset[str] = frozenset()) -> list[str]:
    from .archive import fingerprint, keep
    from .measure import as_of, sendings
    from .render_docx import render_docx
    from .render_pdf import render_pdf

    templates = form_templates(form, config)
    author = config.structure["nom"]
    sent = sendings(case, config.programme)
    outputs = []
    for name, values, when, title in document_values(case, form, config, contexts):
        docx = render_docx(templates.docx, values, when, title, author)
        pdf = render_pdf(templates.html, templates.search, templates.stylesheet, templates.assets, values, when,
                         title, author)
        # A document already sent stays as sent (cases/<id>/envoyes/): out/ shows what the SPSLH has.
        kept = keep(case.folder, name, sent.get(name, []), docx, pdf, values, fingerprint(as_of(case, when)), known)
        if kept.warning:
            outcome.warnings.append((case.id, kept.warning))
        for ext, data in (("docx", kept.docx), ("pdf", kept.pdf)):
            rel = f"{case.id}/{name}.{ext}"
            write_atomic(safe_target(config.output_dir, rel), data)
            outcome.built.append(rel)
            outputs.append(rel)
    return outputs


@dataclass
class FormTemplates:
    """Where one form's templates, stylesheet and assets are (override folder first)."""

    docx: Path
    html: Path
    search: tuple[Path, ...]
    stylesheet: Path
    assets: tuple[Path, ...]


def form_templates(form: Form, config: Config) -> FormTemplates:
    """Resolve the templates of `form`."""
    roots = template_roots(config)
    return FormTemplates(template_path("docx", form.docx, config), template_path("html", form.html, config),
                         tuple(r / "html" for r in roots if (r / "html").is_dir()),
                         template_path("html", "astre.css", config),
                         tuple(r / "assets" for r in roots if (r / "assets").is_dir()))


def document_values(case: Any, form: Form, config: Config,
                    contexts: dict[tuple[tuple[str, ...], date], dict[str, Any]] | None = None,
                    ) -> list[tuple[str, dict[str, Any], date, str]]:
    """Return (output name, render values, document date, title) of each document `form` makes for `case`.

    Each document shows the case as it stood on its own date (generator.measure): a review
    dated in February shows the aids as they were in February. `contexts` caches the shared
    values per (files, date).
    """
    from .context import ITEM_BUILDERS, case_context, text
    from .measure import as_of, item_as_of

    contexts = {} if contexts is None else contexts
    documents = []
    for suffix, item in form.items(case):
        when = form.document_date(case, item)
        dated = as_of(case, when)
        key = (form.files, when)
        if key not in contexts:
            contexts[key] = case_context(dated, config)
        values = dict(contexts[key])
        if form.repeat is not None and item is not None:
            item = item_as_of(item, when)
            builder = ITEM_BUILDERS.get(form.repeat["nom"])
            values[form.repeat["nom"]] = (builder(dated, config, item) if builder else
                                          {k: text(v) for k, v in item.items() if not k.startswith("_")})
        values["document"] = {"titre": form.title, "date": _french(when),
                              "destinataires": recipients_text(dated, form.id, config)}
        title = f"{form.title} — {values['menage']['designation']}"
        documents.append((form.output + (f"-{suffix}" if suffix else ""), values, when, title))
    return documents


def recipients_text(case: Any, form_id: str, config: Config) -> str:
    """Return who receives this document, named (programme.destinataires; the SLISL of the case's MDS)."""
    from .measure import recipients_of

    mesure = case.get("mesure")
    mds = (mesure.get("territoire") or {}).get("mds")
    names = {"spslh": config.programme["service_destinataire"],
             "slisl": f"SLISL de la MDS {mds}" if mds else "SLISL de la MDS du ménage",
             "structure_origine": ((mesure.get("origine") or {}).get("structure")
                                   or "structure à l'origine de la demande"),
             "menage": case.get("menage").get("designation") or "le ménage"}
    return ", ".join(names[r] for r in recipients_of(form_id, config.programme))


def _french(when: date) -> str:
    from .context import day

    return day(when)

