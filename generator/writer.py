"""Safe, reproducible output: atomic writes inside the output folder, fixed DOCX zips.

A document is written to a temporary file beside its target and moved into
place with os.replace, so an interrupted build (Ctrl-C, crash) never leaves
half a document. Every target is resolved and checked to lie inside the
output folder. DOCX packages are zipped with fixed timestamps and order so
the same inputs give the same bytes.
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from io import BytesIO
from pathlib import Path
from typing import Any

from .errors import RenderError

# Documents get the usual permissions (mkstemp creates 0600 files).
_UMASK = os.umask(0)
os.umask(_UMASK)
# The earliest date a zip can hold: used for every member, so bytes never depend on now().
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def safe_target(output_dir: Path, relative: str) -> Path:
    """Return output_dir/relative, refusing anything that would land outside output_dir."""
    root = output_dir.resolve()
    target = (root / relative).resolve()
    if not target.is_relative_to(root) or target == root:
        raise RenderError(f"chemin de sortie refusé « {relative} » : il sortirait du dossier {root}")
    return target


def write_atomic(target: Path, data: bytes) -> None:
    """Write `data` to `target` through a temporary file and an atomic rename."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(temp, 0o666 & ~_UMASK)
        os.replace(temp, target)
    except BaseException:  # KeyboardInterrupt included: never leave the temporary file behind
        try:
            os.unlink(temp)
        except FileNotFoundError:
            pass
        raise


class _FixedZipWriter:
    """python-docx physical package writer with fixed member dates (reproducible bytes)."""

    def __init__(self, stream: BytesIO) -> None:
        self._zip = zipfile.ZipFile(stream, "w", compression=zipfile.ZIP_DEFLATED)

    def write(self, pack_uri: Any, blob: bytes) -> None:
        info = zipfile.ZipInfo(pack_uri.membername, date_time=ZIP_EPOCH)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        self._zip.writestr(info, blob)

    def close(self) -> None:
        self._zip.close()


def docx_bytes(document: Any) -> bytes:
    """Serialise a python-docx Document like Document.save, but reproducibly."""
    from docx.opc.pkgwriter import PackageWriter

    package = document.part.package
    parts = list(package.parts)
    for part in parts:
        part.before_marshal()
    stream = BytesIO()
    writer = _FixedZipWriter(stream)
    # Same order as python-docx: content types, package relationships, then the parts
    # in their (deterministic) relationship-graph order.
    PackageWriter._write_content_types_stream(writer, parts)
    PackageWriter._write_pkg_rels(writer, package.rels)
    PackageWriter._write_parts(writer, parts)  # type: ignore[arg-type]  # duck-typed writer
    writer.close()
    return stream.getvalue()
