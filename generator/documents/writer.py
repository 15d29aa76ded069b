"""Safe, reproducible output: atomic writes inside the output folder, fixed DOCX zips.

A document is written to a temporary file beside its target and moved into
place with os.replace, so an interrupted build (Ctrl-C, crash) never leaves
half a document; os.replace replaces a link, it never writes through it.
Every target is checked to lie inside the output folder without following
links, and the folders on its way are real folders (a link there, planted or
left by a copy, is replaced: one household's document never lands in
another's folder). One process at a time writes into an output folder
(`output_lock`). DOCX packages are zipped with fixed timestamps and order so
the same inputs give the same bytes.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from io import BytesIO
from pathlib import Path, PurePath
from typing import Any

from ..errors import BuildLockedError, OutputError, RenderError, os_reason

# Documents get the usual permissions (mkstemp creates 0600 files).
_UMASK = os.umask(0)
os.umask(_UMASK)
# The earliest date a zip can hold: used for every member, so bytes never depend on now().
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


# write_atomic's temporary files: ".<name>.astre-XXXXXXXX.tmp" (mkstemp's 8 random characters).
TEMP_PREFIX, TEMP_SUFFIX = ".astre-", ".tmp"
_TEMP_NAME = re.compile(r"\..+" + re.escape(TEMP_PREFIX) + r"[a-z0-9_]{8}" + re.escape(TEMP_SUFFIX))
LOCK_NAME = ".astre-build.lock"
# Scratch folder of the build's workers (WeasyPrint's extracted fonts), removed after each build.
SCRATCH_NAME = ".astre-tmp"
# The build's manifest (generator.engine.manifest); `astre check` reads which kept copies the last build saw.
MANIFEST_NAME = ".astre-manifest.json"
MANIFEST_MAX_BYTES = 64 * 1024 * 1024  # the manifest of 1 000 cases is about 2 MB; much larger is not ours
_DISK_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EPERM, errno.EROFS}


def disk_error(error: OSError) -> OutputError | None:
    """Return the French OutputError for a failed write by a library (full disk, no rights), or None."""
    if error.errno not in _DISK_ERRNOS:
        return None
    where = os.path.dirname(os.fsdecode(error.filename)) if error.filename else tempfile.gettempdir()
    return OutputError(f"impossible d'écrire dans {where} : {os_reason(error)}")


def is_temporary(name: str) -> bool:
    """Return True for the name of one of write_atomic's temporary files (and nothing else)."""
    return _TEMP_NAME.fullmatch(name) is not None


def output_name(output_dir: Path, relative: str) -> PurePath:
    """Return `relative` as a normalised name inside output_dir; RenderError if it would land outside.

    Judged on the name alone (links are not followed); an absolute path is accepted when it
    lies inside output_dir.
    """
    root = output_dir.resolve()
    name = PurePath(os.path.normpath(relative))
    if name.is_absolute():
        for base in (root, PurePath(os.path.normpath(output_dir.absolute()))):
            if name.is_relative_to(base):
                name = name.relative_to(base)
                break
    if name.is_absolute() or name.parts[:1] in ((), ("..",), (".",)):
        raise RenderError(f"chemin de sortie refusé « {relative} » : il sortirait du dossier {root}")
    return name


def safe_target(output_dir: Path, relative: str) -> Path:
    """Return output_dir/relative, ready to be written or removed.

    Refuses anything that would land outside output_dir (`output_name`). The folders
    between output_dir and the target are made real folders: a link among them is
    replaced by an empty folder, never followed.
    """
    root = output_dir.resolve()
    name = output_name(output_dir, relative)
    folder = root
    try:
        for part in name.parts[:-1]:
            folder = folder / part
            if folder.is_symlink():
                folder.unlink()
            if not folder.is_dir():
                folder.mkdir(parents=True)
    except OSError as e:
        raise OutputError(f"impossible d'écrire dans {folder} : {os_reason(e)}") from None
    target = root / name
    if target.is_dir() and not target.is_symlink():
        raise RenderError(f"chemin de sortie refusé « {relative} » : c'est un dossier de {root}")
    return target


def write_atomic(target: Path, data: bytes) -> None:
    """Write `data` to `target` through a temporary file and an atomic rename (a link is replaced).

    Raises OutputError (full disk, no rights…); the previous file is then left as it was.
    """
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        # mkstemp opens with O_CREAT | O_EXCL | O_NOFOLLOW: a planted link is never written through.
        fd, temp = tempfile.mkstemp(prefix=f".{target.name}{TEMP_PREFIX}", suffix=TEMP_SUFFIX, dir=target.parent)
    except OSError as e:
        raise OutputError(f"impossible d'écrire dans {target.parent} : {os_reason(e)}") from None
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            if hasattr(os, "fchmod"):  # on the open file: a name swapped meanwhile is not touched
                os.fchmod(fd, 0o666 & ~_UMASK)
            else:  # pragma: no cover - Windows
                os.chmod(temp, 0o666 & ~_UMASK)
        finally:
            os.close(fd)
        try:
            os.replace(temp, target)
        except PermissionError as e:
            if not target.is_file():
                raise
            # Windows refuses to replace a file another program holds open (Acrobat, Word).
            raise OutputError(f"impossible de remplacer {shown_path(target)} : le fichier est peut-être ouvert "
                              "dans un autre programme (lecteur PDF, Word) ; fermez-le puis relancez") from e
    except BaseException as e:  # KeyboardInterrupt included: never leave the temporary file behind
        try:
            os.unlink(temp)
        except FileNotFoundError:
            pass
        if isinstance(e, OSError):
            raise OutputError(f"impossible d'écrire {target.name} dans {target.parent} : {os_reason(e)}") from None
        raise


def shown_path(path: Path) -> str:
    """Return `path` as the user knows it: relative to the current folder when inside it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


@contextmanager
def output_lock(output_dir: Path) -> Iterator[None]:
    """Hold the lock of `output_dir` (created if needed): one writing process at a time.

    Taken by every command writing there (build, and so the watcher; report; status --ics).
    filelock takes the system's lock on every platform (flock on Linux and macOS, msvcrt
    on Windows), released by the system when the holder ends, even killed: a crash never
    leaves the folder locked.
    """
    import filelock

    where = shown_path(output_dir) + os.sep
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(f"impossible d'écrire dans {where} : {os_reason(e)}") from None
    lock = filelock.FileLock(output_dir / LOCK_NAME, timeout=0)
    try:
        lock.acquire()
    except filelock.Timeout:
        raise BuildLockedError(f"une autre construction est en cours dans {where} : "
                               "attendez qu'elle se termine") from None
    except OSError as e:
        raise OutputError(f"impossible d'écrire dans {where} : {os_reason(e)}") from None
    try:
        yield
    finally:
        lock.release()


def remove_leftovers(output_dir: Path) -> None:
    """Remove what an interrupted astre left in `output_dir`: its temporary files and scratch folder.

    Only names write_atomic and the build make are touched; links are not followed.
    Call it with the output lock held (a running writer's temporary file is not a leftover).
    """
    scratch = output_dir / SCRATCH_NAME
    if scratch.is_symlink():
        scratch.unlink()
    elif scratch.is_dir():
        shutil.rmtree(scratch, ignore_errors=True)
    elif os.path.lexists(scratch):  # a plain file (or a pipe) where the build makes its scratch folder: ours by name
        try:
            scratch.unlink()
        except OSError:
            pass
    for folder, _, files in os.walk(output_dir):
        for name in files:
            if is_temporary(name):
                try:
                    os.unlink(os.path.join(folder, name))
                except FileNotFoundError:
                    pass


class FixedZipWriter:
    """A zip whose members have fixed dates and modes (reproducible bytes); python-docx's package writer too."""

    def __init__(self, stream: BytesIO) -> None:
        """Start a deflated zip in `stream`."""
        self._zip = zipfile.ZipFile(stream, "w", compression=zipfile.ZIP_DEFLATED)

    def add(self, name: str, blob: bytes) -> None:
        """Write one member, dated ZIP_EPOCH."""
        info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        self._zip.writestr(info, blob)

    def write(self, pack_uri: Any, blob: bytes) -> None:
        """python-docx's PackageWriter interface."""
        self.add(pack_uri.membername, blob)

    def close(self) -> None:
        """Finish the zip (its central directory)."""
        self._zip.close()


def docx_bytes(document: Any) -> bytes:
    """Serialise a python-docx Document like Document.save, but reproducibly."""
    from docx.opc.pkgwriter import PackageWriter

    package = document.part.package
    parts = list(package.parts)
    for part in parts:
        part.before_marshal()
    stream = BytesIO()
    writer = FixedZipWriter(stream)
    # Same order as python-docx: content types, package relationships, then the parts
    # in their (deterministic) relationship-graph order.
    PackageWriter._write_content_types_stream(writer, parts)
    PackageWriter._write_pkg_rels(writer, package.rels)
    PackageWriter._write_parts(writer, parts)  # type: ignore[arg-type]  # duck-typed writer
    writer.close()
    return stream.getvalue()
