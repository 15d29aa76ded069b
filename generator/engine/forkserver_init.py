"""Imported by the build's fork server only (build._pool_context preloads it): the server ends with astre.

The fork server is started by the process running the build; Linux kills it when that
process ends (even killed), and on every POSIX system it also stops by itself then; its
workers die with it (build._init_pool_worker: prctl on Linux, a watchdog thread elsewhere).
It preloads the PDF renderer, if Pango is there. Never import this module elsewhere: the
process importing it would die with its parent.
"""

from __future__ import annotations

import os

from ..documents.layout import warm
from ..errors import AstreError, PdfLibraryError
from ..reading.resources import DEFAULTS
from .build import die_with_parent

die_with_parent(watchdog=False)
try:
    from ..documents import render_pdf  # noqa: F401  (preloaded: each worker starts with it imported)
except PdfLibraryError:
    pass  # Pango missing: the workers say it, in French (build._init_pool_worker)
# The default layouts drawn once here: every worker, a fork of this process, inherits the drawings.
try:
    warm(DEFAULTS)
except AstreError:  # a broken layout: the workers say so, on the documents drawn from it
    pass
# The workers are forks of this process: they read this to check it was still there when they started.
SERVER_PID = os.getpid()
