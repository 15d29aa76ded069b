"""Sent documents are kept as sent: `cases/<id>/envoyes/`, versioned with the case.

The SPSLH files what it receives; once a document is recorded as sent (envois.yaml),
the first build afterwards keeps its PDF and DOCX in the case folder, next to a small
record (`<document>--<date>.json`: the fingerprints of both files and the values the
document showed). From then on:

- a build that would draw the document differently leaves the sent version where it
  is (and in out/), and says which values changed since it was sent;
- a corrected version is sent on purpose: a new entry in envois.yaml, with a later
  date, and the next build keeps that version too (the older one stays, as history);
- a kept file deleted or edited by hand is an error of `astre check`, never silently
  replaced (git restores it: `git checkout -- <file>`).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import KeptCopyError, Problem, YamlError
from ..model.measure import Sending
from ..model.wording import short_day
from ..reading.cases import Case
from ..reading.loader import is_inside, read_bounded, read_json

FOLDER = "envoyes"
MAX_SHOWN = 6  # changed values named in a message; the rest are counted
# A kept PDF or DOCX of a few pages weighs well under 1 MB; 50 MB is far beyond any real one.
KEPT_MAX_BYTES = 50 * 1024 * 1024
# A record is the values one document shows: a few KB. Its JSON nests a handful of levels.
RECORD_MAX_BYTES = 8 * 1024 * 1024
RECORD_MAX_DEPTH = 32
EXTENSIONS = ("docx", "pdf", "json")  # the order a copy is written in: the record last, as its seal


@dataclass(frozen=True)
class Kept:
    """What a build writes for one document: the bytes, and a warning when they are the sent ones."""

    docx: bytes
    pdf: bytes
    warning: str | None = None
    kept: Path | None = None  # the record of a copy kept by this build (to be committed)


def sent_stems(folder: Path, sent: dict[str, list[Sending]]) -> frozenset[str]:
    """Return the names, without extension, of the kept copies of every sending of a case."""
    return frozenset(stem(folder, document, sending).name
                     for document, sendings in sent.items() for sending in sendings)


def stem(folder: Path, document: str, sending: Sending) -> Path:
    """Return the path, without extension, of the kept copy of `document` sent on `sending.day`."""
    return folder / FOLDER / f"{document}--{sending.day.isoformat()}"


def fingerprint(dated: Case) -> str:
    """Return a digest of the case data a document shows (the case as of the document's date)."""
    data = {name: dated.get(name) for name in sorted(dated.documents)}
    return hashlib.sha256(json.dumps(data, ensure_ascii=False, sort_keys=True, default=str).encode()).hexdigest()


def keep(folder: Path, document: str, sent: list[Sending], docx: bytes, pdf: bytes, values: dict[str, Any],
         data: str = "", known: frozenset[str] = frozenset(), every_sent: frozenset[str] | None = None,
         committed: Callable[[], frozenset[str] | None] | None = None) -> Kept:
    """Return what to write in out/ for `document`, keeping its sent version (see the module's docstring).

    `data` is the fingerprint of the case data the document shows: `astre check` compares it
    to tell, without drawing anything, that the data changed since the sending. `known`: the
    files of envoyes/ the previous build saw; a copy among them that is gone was deleted by
    hand, and is never made again from today's data. `every_sent`: the stems of every sending
    of the case (`sent_stems`); a kept copy none of them names blocks new copies of its
    document and of its day (its sending was changed: renumbered, or its date edited).
    `committed`: gives the sendings the structure's last commit records (documents.ledger); a
    sending already committed whose copy is wholly missing is an old one, never kept from today.
    """
    if not sent:
        return Kept(docx, pdf)
    refusal = folder_problem(folder)
    if refusal is not None:
        raise KeptCopyError(f"{folder / FOLDER} : {refusal}")
    base = stem(folder, document, sent[-1])
    record = base.with_suffix(".json")
    when = short_day(sent[-1].day)
    if record.name in known and not os.path.lexists(record):
        return Kept(docx, pdf, warning=f"{document} : la copie envoyée le {when} a été supprimée ({FOLDER}/"
                    f"{record.name}) ; astre ne la refait pas avec les données d'aujourd'hui : restaurez-la depuis "
                    "l'historique (git checkout)")
    if not os.path.lexists(record):
        # The record (the seal) was never seen: a copy never kept, or one whose writing was cut (a
        # full disk on the record, kill -9) even if the PDF and DOCX were seen: written again whole.
        blocking = _orphans_blocking(folder, document, sent[-1], every_sent)
        if blocking:
            return Kept(docx, pdf, warning=f"{document} : envoyé le {when}, copie non gardée : {FOLDER}/{blocking} "
                        "est la copie d'un envoi que le dossier ne mentionne plus (date ou document changé, documents "
                        "renumérotés) ; astre ne garde pas à sa place les données d'aujourd'hui — remettez l'envoi "
                        "tel qu'il a été fait, ou supprimez cette copie s'il n'a jamais eu lieu")
        partial = any(os.path.lexists(base.with_suffix(ext)) for ext in (".docx", ".pdf"))
        if not partial and committed is not None and base.name in (committed() or ()):
            return Kept(docx, pdf, warning=" — ".join(_committed_without_copy(document, sent[-1], base)))
        # Never kept, or a build interrupted before the record (its seal) was written: keep it now.
        _write_copy(base, {"docx": docx, "pdf": pdf,
                           "json": _record(document, sent[-1], docx, pdf, values, data)})
        return Kept(docx, pdf, kept=record)
    problem = integrity(base)
    if problem is not None:
        return Kept(docx, pdf, warning=problem)  # check reports it located; out/ shows the current one
    old_docx, old_pdf = (read_bounded(base.with_suffix(f".{ext}"), KEPT_MAX_BYTES, inside=folder)
                         for ext in ("docx", "pdf"))
    if (old_docx, old_pdf) == (docx, pdf):
        return Kept(docx, pdf)
    old = record_of(folder, document, sent[-1]) or {}
    changed = changed_values(old.get("valeurs"), shown(values))
    return Kept(old_docx, old_pdf, warning=changed_message(document, sent[-1], changed))


def _committed_without_copy(document: str, sending: Sending, base: Path) -> tuple[str, str]:
    """The message and the advice for a sending the repository's history records, whose copy is missing here."""
    return (f"{document} envoyé le {short_day(sending.day)} : envoi déjà enregistré dans l'historique du dépôt, "
            f"mais sa copie gardée ({FOLDER}/{base.name}.*) manque ; astre ne la refait pas avec les données "
            "d'aujourd'hui",
            f"restaurez-la depuis l'historique (git checkout -- {base.parent.name}/{base.name}.*, ou git pull si "
            "un collègue l'a gardée et commitée) ; si cet envoi n'a jamais eu lieu, retirez-le du dossier")


def _orphans_blocking(folder: Path, document: str, sending: Sending, every_sent: frozenset[str] | None) -> str | None:
    """Return a kept record that no sending names any more, of `document` or of the sending's day, or None.

    `every_sent`: the stems of all the case's sendings (None: not known, nothing blocks).
    """
    if every_sent is None:
        return None
    try:
        names = os.listdir(folder / FOLDER)
    except OSError:
        return None
    day = sending.day.isoformat()
    for name in sorted(names):
        if not name.endswith(".json") or name[: -len(".json")] in every_sent:
            continue
        kept_document, _, kept_day = name[: -len(".json")].rpartition("--")
        if kept_document == document or kept_day == day:
            return name
    return None


_SEEN: dict[str, Any] = {}  # the manifest last read by `seen_by_build`, with its stat


def seen_by_build(output_dir: Path, case_id: str) -> frozenset[str] | None:
    """Return the files of a case's envoyes/ the last build saw (out/'s manifest), None when no build is known.

    Read once per process while the manifest is unchanged (a check of 1 000 cases reads it once).
    """
    from .writer import MANIFEST_MAX_BYTES, MANIFEST_NAME

    path = output_dir / MANIFEST_NAME
    try:
        info = os.stat(path)
    except OSError:
        return None
    key = (str(path), info.st_mtime_ns, info.st_size, info.st_ino)
    if _SEEN.get("key") != key:
        try:
            data = read_json(path, MANIFEST_MAX_BYTES, max_depth=None)
        except YamlError:
            data = None  # the build says it, and rebuilds
        _SEEN.clear()
        _SEEN.update(key=key, data=data)
    cases = _SEEN["data"].get("cases") if isinstance(_SEEN["data"], dict) else None
    record = cases.get(case_id) if isinstance(cases, dict) else None
    listing = record.get("envoyes") if isinstance(record, dict) else None
    if not isinstance(listing, list):
        return None
    return frozenset(name for name in listing if isinstance(name, str))


def folder_problem(folder: Path) -> str | None:
    """Return what is wrong with a case's envoyes/ (a file, a dangling link, a link out of the case), or None."""
    kept = folder / FOLDER
    if not os.path.lexists(kept):
        return None
    if not is_inside(kept, folder):
        return ("lien vers un dossier hors de ce dossier : refusé, les copies envoyées de ce ménage iraient "
                "ailleurs (chez un autre ménage ou hors du dépôt) — remplacez le lien par un vrai dossier envoyes/")
    if not kept.exists():
        return "lien vers un dossier qui n'existe pas — supprimez le lien (le prochain build crée le dossier)"
    if not kept.is_dir():
        return ("c'est un fichier, pas un dossier — renommez ou supprimez ce fichier : envoyes/ garde les copies "
                "des documents envoyés")
    return None


def _write_copy(base: Path, files: dict[str, bytes]) -> None:
    """Write a kept copy's three files so that an interruption at any point is detected and repaired.

    Each file is written to a temporary file of the same folder, then renamed: the PDF and DOCX
    first, the record last. Until the record exists, the copy is not kept: the next build writes
    all three again (an interrupted copy never blocks its household). Temporaries of an earlier
    interrupted copy of this document are removed first.
    """
    from .writer import is_temporary, write_atomic

    base.parent.mkdir(exist_ok=True)
    for name in os.listdir(base.parent):
        if is_temporary(name) and name.startswith(f".{base.name}."):
            try:
                os.unlink(base.parent / name)
            except FileNotFoundError:
                pass
    for ext in EXTENSIONS:
        path = base.with_suffix(f".{ext}")
        if path.is_symlink():  # a planted link is replaced, never written through
            path.unlink()
        write_atomic(path, files[ext])


def record_of(folder: Path, document: str, sending: Sending, read: dict[Path, Any] | None = None
              ) -> dict[str, Any] | None:
    """Return the kept record of a sending (None when not kept yet or unreadable).

    `read`: the records `integrity` already parsed for this case, by path (each is read once).
    """
    path = stem(folder, document, sending).with_suffix(".json")
    try:
        data = read[path] if read is not None and path in read else _parse(path)
    except (OSError, YamlError):
        return None
    return data if record_shape_problem(data) is None else None


def _parse(record: Path) -> Any:
    """Return a kept record's JSON, read safely (YamlError: not a regular file, too big, out of its case, not JSON)."""
    return read_json(record, RECORD_MAX_BYTES, inside=record.parent.parent, max_depth=RECORD_MAX_DEPTH)


def record_shape_problem(data: Any) -> str | None:
    """Return what makes `data` not a record written by astre (null, a list, no `valeurs`…), or None."""
    if not isinstance(data, dict):
        return "ce n'est plus le relevé JSON écrit par astre (un objet « { … } » est attendu)"
    missing = [key for key, kind in (("valeurs", dict), ("pdf_sha256", str), ("docx_sha256", str))
               if not isinstance(data.get(key), kind)]
    if missing:
        return f"ce n'est plus le relevé JSON écrit par astre (« {missing[0]} » manquant ou de mauvais type)"
    return None


def shown(values: dict[str, Any]) -> dict[str, Any]:
    """Return the values a document shows, as kept in its record: plain JSON, no path of this machine.

    The logo is drawn from a file whose absolute path differs from one clone to another: it is
    not a value of the document (the PDF's fingerprint covers the image itself).
    """
    plain = json.loads(json.dumps(values, ensure_ascii=False, default=str))
    if isinstance(plain.get("structure"), dict):
        plain["structure"].pop("logo", None)
    return plain  # type: ignore[no-any-return]


def _record(document: str, sending: Sending, docx: bytes, pdf: bytes, values: dict[str, Any], data: str) -> bytes:
    record = {"document": document, "envoi": sending.day.isoformat(), "destinataires": list(sending.recipients),
              "docx_sha256": hashlib.sha256(docx).hexdigest(), "pdf_sha256": hashlib.sha256(pdf).hexdigest(),
              "donnees_sha256": data, "valeurs": shown(values)}
    return (json.dumps(record, ensure_ascii=False, indent=1, sort_keys=True, default=str) + "\n").encode("utf-8")


def integrity(base: Path, read: dict[Path, Any] | None = None, hash_of: Callable[[Path], str] | None = None
              ) -> str | None:
    """Return what is wrong with a kept copy (missing or edited file), or None.

    `read` receives the parsed record, by path, for `record_of` (a check reads each record once);
    `hash_of` returns a file's SHA-256 (transmission.Verdicts.hash_of: from an earlier check).
    """
    record = base.with_suffix(".json")
    folder = base.parent.parent
    if not os.path.lexists(record):
        return f"{record.name} manquant : la copie envoyée n'est plus vérifiable"
    try:
        data = _parse(record)
    except YamlError as e:
        return f"{record.name} illisible : {e.problem.message}"
    if read is not None:
        read[record] = data
    shape = record_shape_problem(data)
    if shape is not None:
        return f"{record.name} modifié : {shape}"
    for ext in ("pdf", "docx"):
        path = base.with_suffix(f".{ext}")
        if not os.path.lexists(path):
            return f"{path.name} supprimé : c'est la copie de ce qui a été envoyé"
        try:
            digest = (hash_of(path) if hash_of is not None
                      else hashlib.sha256(read_bounded(path, KEPT_MAX_BYTES, inside=folder)).hexdigest())
        except YamlError as e:
            return f"{path.name} illisible : {e.problem.message}"
        if digest != data.get(f"{ext}_sha256"):
            return f"{path.name} modifié depuis l'envoi : ce n'est plus la copie de ce qui a été envoyé"
    return None


def problems(folder: Path, sent: dict[str, list[Sending]], locate: Any, read: dict[Path, Any] | None = None,
             verdicts: Verdicts | None = None, known: frozenset[str] | None = None,
             committed: Callable[[], frozenset[str] | None] | None = None) -> list[Problem]:
    """Return an error for each kept copy deleted or edited by hand, a warning for one not kept yet (astre check).

    `read`: see `integrity`; `verdicts`: a copy found intact by an earlier check, and unchanged since, is intact.
    `known`: the kept files the last build saw (out/'s manifest), None when there is no build yet.
    `committed`: gives the sendings the repository's last commit records (documents.ledger): one of
    them without any copy is an error, even in a fresh clone with no kept copy at all.
    """
    found: list[Problem] = []
    refusal = folder_problem(folder)
    if refusal is not None:
        return [Problem(folder / FOLDER, None, None, refusal, code="envoi")]
    try:
        kept = set(os.listdir(folder / FOLDER))  # one listing, not three look-ups per sending
    except OSError:
        kept = set()
    expected = {stem(folder, document, sending).name for document, sendings in sent.items() for sending in sendings}
    for name in sorted(kept):
        if name.endswith(".json") and name[: -len(".json")] not in expected:
            found.append(_orphan(folder / FOLDER / name, sent))
    for document, sendings in sent.items():
        for sending in sendings:
            base = stem(folder, document, sending)
            if not {f"{base.name}.json", f"{base.name}.pdf", f"{base.name}.docx"} & kept:
                if committed is not None and base.name in (committed() or ()):
                    path, line, column = locate(sending.file, sending.where)
                    message, hint = _committed_without_copy(document, sending, base)
                    found.append(Problem(path, line, column, message, hint, code="envoi"))
                    continue
                # Without any kept copy, and none known to the last build: never built since its sendings were recorded.
                if kept or (known is not None and f"{base.name}.json" in known):
                    path, line, column = locate(sending.file, sending.where)
                    found.append(_not_kept(document, sending, base, path, line, column, known,
                                           later=sending is not sendings[-1]))
                continue
            if f"{base.name}.json" not in kept:
                continue  # an interrupted copy (no record yet, its seal): the next build writes it again
            seal = None if verdicts is None else verdicts.seal(base)
            intact = None if verdicts is None or seal is None else verdicts.key("intact", seal)
            if verdicts is not None and intact is not None and verdicts.recall(intact) is not None:
                continue
            problem = integrity(base, read, None if verdicts is None else verdicts.hash_of)
            if problem is None and verdicts is not None and intact is not None:
                verdicts.remember(intact, [])
            if problem is not None:
                path, line, column = locate(sending.file, sending.where)
                found.append(Problem(path, line, column, f"{document} envoyé le {short_day(sending.day)} "
                                     f": {problem}", f"restaurez-le depuis l'historique (git checkout -- "
                                     f"{base.parent.name}/{base.name}.*) ; pour corriger un document, "
                                     "envoyez une nouvelle version (nouvel envoi dans envois.yaml)", code="envoi"))
    return found


def _orphan(record: Path, sent: dict[str, list[Sending]]) -> Problem:
    """A kept copy no sending of envois.yaml names any more: its date or document was changed after it was kept."""
    document, _, day = record.stem.rpartition("--")
    dates = ", ".join(short_day(s.day) for s in sent.get(document, [])) or "aucun"
    return Problem(record, None, None, f"copie gardée d'un envoi que le dossier ne mentionne plus ({document} "
                   f"envoyé le {day} ; envois de ce document notés dans le dossier : {dates}) : la date ou le document "
                   "d'un envoi déjà gardé a été changé, ou les documents ont été renumérotés ; tant que cette copie "
                   "reste sans envoi, astre ne garde aucune nouvelle copie de ce document ni de ce jour",
                   "remettez l'envoi tel qu'il a été fait (date et document) ; un envoi fait ne se modifie pas : "
                   "pour corriger, ajoutez un nouvel envoi (correction: true) ; si l'envoi n'a jamais eu lieu, "
                   "supprimez cette copie (git rm)", severity="avertissement", code="envoi")


def _not_kept(document: str, sending: Sending, base: Path, path: Path, line: int | None, column: int | None,
              known: frozenset[str] | None, later: bool = False) -> Problem:
    """A recorded sending without its kept copy, in a case that has others.

    An error when a build had kept it (`known`: it was deleted since); else a warning saying
    what the next build does (the build itself refuses to remake a copy it had kept).
    """
    when = short_day(sending.day)
    if later:  # only the last sending of a document is kept by a build: this one never will be
        return Problem(path, line, column, f"{document} envoyé le {when} : envoi noté avant un envoi plus récent du "
                       "même document, sans copie gardée ; astre ne la gardera jamais (il ne garde que le dernier "
                       "envoi, et les données d'aujourd'hui ne sont pas celles de cette date)",
                       "si cet envoi a bien eu lieu, gardez vous-même sa copie dans envoyes/ (restaurez-la depuis "
                       "l'historique : git checkout) ; sinon corrigez sa date", code="envoi")
    if known is not None and f"{base.name}.json" in known:
        return Problem(path, line, column, f"{document} envoyé le {when} : copie gardée supprimée "
                       f"({FOLDER}/{base.name}.*) ; astre ne la refait pas avec les données d'aujourd'hui",
                       f"restaurez-la depuis l'historique (git checkout -- {base.parent.name}/{base.name}.*)",
                       code="envoi")
    return Problem(path, line, column, f"{document} envoyé le {when} : pas de copie gardée ({FOLDER}/"
                   f"{base.name}.*) ; le prochain « astre build » gardera comme envoyé le document tel que les "
                   "données le dessinent aujourd'hui",
                   "si la copie existe dans l'historique, restaurez-la d'abord (git checkout) ; si les données ont "
                   "changé depuis l'envoi, remettez-les comme à l'envoi avant de construire",
                   severity="avertissement", code="envoi")


@dataclass
class Verdicts:
    """What earlier runs of `astre check` found about the kept copies, kept between runs (generator.checking.check).

    Telling whether a sent document still shows the case's data means drawing it again, and
    telling a kept copy is intact means hashing its PDF and DOCX: most of the time of a check
    of cases with a history. A verdict depends only on the kept files, the case files and what
    draws the documents (`drawing`: astre's code, astre.yaml, the forms and labels); keyed by
    all of them, it is reused while none changes. As git does for its index, a file is taken
    as unchanged while its size, time and inode are those it had when read, unless it was
    written in the last seconds before (a change within the same tick would keep them).
    """

    drawing: str  # digest of what draws the documents' values
    known: dict[str, list[str]] = field(default_factory=dict)  # from earlier runs
    found: dict[str, list[str]] = field(default_factory=dict)  # used or made by this run
    hashes_known: dict[str, str] = field(default_factory=dict)  # file digests, by path and stat
    hashes_found: dict[str, str] = field(default_factory=dict)

    def key(self, *parts: str) -> str:
        """Return the key of a verdict about `parts` (with what draws the documents)."""
        return hashlib.sha256("\0".join((self.drawing, *parts)).encode()).hexdigest()[:40]

    def recall(self, key: str) -> list[str] | None:
        """Return an earlier verdict (kept for the next run), or None."""
        verdict = self.known.get(key)
        if verdict is not None:
            self.found[key] = verdict
        return verdict

    def remember(self, key: str, verdict: list[str]) -> None:
        """Keep a verdict of this run for the next one."""
        self.found[key] = verdict

    def seal(self, base: Path) -> str | None:
        """Return the stat of a kept copy's three files (None: one is missing, or was written just now)."""
        parts = []
        for ext in ("json", "pdf", "docx"):
            stat = _stat(base.with_suffix(f".{ext}"))
            if stat is None:
                return None
            parts.append(stat)
        return "\0".join(parts)

    def record_key(self, record: Path, data: str) -> str | None:
        """Return the key of the comparison of a record's values with a document showing `data`."""
        try:
            raw = read_bounded(record, RECORD_MAX_BYTES, inside=record.parent.parent)
        except YamlError:
            return None
        return self.key("compare-record", hashlib.sha256(raw).hexdigest(), data)

    def hash_of(self, path: Path) -> str:
        """Return the SHA-256 of a kept file, from an earlier run when unchanged since (YamlError as reading)."""
        stat = _stat(path)
        digest = None if stat is None else self.hashes_known.get(stat)
        if digest is None:
            digest = hashlib.sha256(read_bounded(path, KEPT_MAX_BYTES, inside=path.parent.parent)).hexdigest()
        if stat is not None:
            self.hashes_found[stat] = digest
        return digest


RACY_NS = 3_000_000_000  # a file written less than 3 s before it is read is read again next time


def _stat(path: Path) -> str | None:
    """Return a file's path, size, time and inode, or None when missing or written in the last RACY_NS."""
    try:
        info = path.stat()
    except OSError:
        return None
    if time.time_ns() - info.st_mtime_ns < RACY_NS:
        return None
    return f"{path}\0{info.st_size}\0{info.st_mtime_ns}\0{info.st_ino}"


def changed_values(before: Any, after: Any, path: str = "") -> list[str]:
    """Return the paths of the values that differ (« financement.aides[2].statut »)."""
    if isinstance(before, dict) and isinstance(after, dict):
        out = []
        # A value the document did not show when it was sent (added by a newer astre) is not a change of data.
        for key in sorted(before):
            out += changed_values(before[key], after.get(key), f"{path}.{key}" if path else str(key))
        return out
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        out = []
        for index, (b, a) in enumerate(zip(before, after, strict=True)):
            out += changed_values(b, a, f"{path}[{index + 1}]")
        return out
    return [] if before == after else [path or "(document)"]


def changed_message(document: str, sending: Sending, changed: list[str]) -> str:
    """Return the French warning for a sent document whose data or layout changed since."""
    when = short_day(sending.day)
    if not changed:
        return (f"{document} : envoyé le {when}, gardé tel quel ; le modèle ou la mise en page a changé depuis "
                "(les valeurs sont les mêmes)")
    shown = ", ".join(changed[:MAX_SHOWN]) + (f" et {len(changed) - MAX_SHOWN} autre(s)"
                                               if len(changed) > MAX_SHOWN else "")
    return (f"{document} : envoyé le {when}, gardé tel quel ; données modifiées depuis : {shown} — pour envoyer "
            "une version corrigée, ajoutez un nouvel envoi dans envois.yaml (correction: true)")
