"""Every exception astre raises on purpose, in one place.

Only the CLI turns them into a French message and an exit code; any other
exception is a bug and keeps its traceback.
"""

from __future__ import annotations

import errno
from dataclasses import dataclass
from pathlib import Path

# The French reason of a failed file operation: the system's own (strerror) is English on most systems.
_OS_REASONS = {errno.ENOSPC: "disque plein", errno.EDQUOT: "quota du disque atteint",
               errno.EACCES: "droits insuffisants", errno.EPERM: "droits insuffisants",
               errno.EROFS: "disque en lecture seule", errno.EISDIR: "un dossier porte déjà ce nom",
               errno.ENOTDIR: "un élément du chemin n'est pas un dossier",
               errno.ENOENT: "fichier ou dossier introuvable", errno.EEXIST: "un fichier porte déjà ce nom",
               errno.ELOOP: "trop de liens symboliques", errno.EIO: "erreur d'entrée-sortie du disque",
               errno.ENAMETOOLONG: "nom trop long", errno.EXDEV: "déplacement impossible d'un disque à l'autre"}


def os_reason(error: OSError) -> str:
    """Return the French reason of a failed file operation (« disque plein », « droits insuffisants »…)."""
    return _OS_REASONS.get(error.errno or 0, f"erreur système {error.errno}" if error.errno else "erreur système")


@dataclass(frozen=True)
class Problem:
    """One located finding of `astre check`, ready to print.

    `severity` is "erreur" (blocks documents, exit 1) or "avertissement".
    """

    path: Path
    line: int | None
    column: int | None
    message: str
    hint: str | None = None
    severity: str = "erreur"
    code: str = "schema"

    @property
    def location(self) -> str:
        """Return `file:line:column`, with whatever parts are known."""
        where = _one_line(str(self.path))
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return where

    def format(self) -> str:
        """Return the one-line French text of the problem."""
        text = f"{self.location}: {self.severity} : {self.message}"
        if self.hint:
            text += f" — {self.hint}"
        return _one_line(text)


def _one_line(text: str) -> str:
    """Show line breaks (from a file or folder name) as a backslash and « n »: one problem, one line (pre-commit)."""
    return text.replace("\r", "\\r").replace("\n", "\\n")


class AstreError(Exception):
    """Base of every expected error; its message is French and user-facing."""

    exit_code = 1


class UsageError(AstreError):
    """Raised when the command line names something impossible (bad id, unknown path)."""

    exit_code = 2


class YamlError(AstreError):
    """Raised when a YAML file cannot be read safely; carries one located Problem."""

    def __init__(self, problem: Problem) -> None:  # noqa: D107 - the class docstring says it
        super().__init__(problem.format())
        self.problem = problem


class ConfigError(AstreError):
    """Raised when astre.yaml is missing or invalid; carries its problems."""

    exit_code = 2

    def __init__(self, message: str, problems: list[Problem] | None = None) -> None:  # noqa: D107
        super().__init__(message)
        self.problems = problems or []


class CaseExistsError(UsageError):
    """Raised by `astre new` when the case folder already exists."""


class RenderError(AstreError):
    """Raised when a document cannot be rendered (missing value, broken template)."""


class FormError(AstreError):
    """Raised when a form definition in forms/ is invalid."""


class UnknownFormError(FormError, UsageError):
    """Raised when a command names a document no form defines (`--document`, `--for`): a usage error, exit 2."""


class OutputError(AstreError):
    """Raised when a file cannot be written (full disk, read-only folder, no rights); the previous one is kept."""


class BuildLockedError(AstreError):
    """Raised when another astre process is already writing into the same output folder."""


class PdfLibraryError(AstreError):
    """Raised when WeasyPrint cannot load Pango (a system library), by the commands that draw PDFs only."""


class SaveConflictError(AstreError):
    """Raised by `astre serve` when a case file changed on disk since its form was opened; carries its text now."""

    def __init__(self, path: Path, current: str) -> None:  # noqa: D107 - the class docstring says it
        super().__init__(f"{path} a été modifié ailleurs (éditeur, git pull) depuis l'ouverture du formulaire : "
                         "rien n'a été enregistré ; rechargez la page pour repartir de la version actuelle")
        self.path = path
        self.current = current


class GitError(AstreError):
    """Raised by `astre serve` when git refuses a commit or a synchronisation; the message says it in French."""


class SendingError(AstreError):
    """Raised by `astre serve` when a sending cannot be recorded (unknown document, no recipient, bad date)."""


class KeptCopyError(AstreError):
    """Raised when a sent document's kept copy cannot be kept safely (envoyes/ a file, or a link out of its case)."""
