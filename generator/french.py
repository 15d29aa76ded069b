"""French wording shared by messages, status, reports and documents."""

from __future__ import annotations


def plural(count: int) -> str:
    """French plural mark: « s » above one (0 and 1 take the singular: « 0 erreur, 1 avertissement »)."""
    return "s" if count > 1 else ""


def counted(count: int, word: str) -> str:
    """Return « 1 personne », « 3 personnes »."""
    return f"{count} {word}{plural(count)}"
