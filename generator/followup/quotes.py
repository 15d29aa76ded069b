"""The référents' own words for the report's qualitative part, kept only when they name nobody.

The seed asks the annual report for « les freins », « les éléments de compréhension
des ruptures de parcours » and « les coordinations mises en place »: the case
files hold them as free text (reviews, exits, change reports, concertations).
A text goes to the Département only when it holds none of the households'
names, addresses, phones, communes or e-mails (of every case, not only its
own); otherwise it is left out and counted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from ..model.timeline import parse
from ..reading.cases import Case

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
THEMES = ("difficultes", "ruptures", "coordination")


@dataclass(frozen=True)
class Quote:
    """One free text of a case: its theme (report section), its day and its words."""

    case: str
    theme: str
    day: date | None
    text: str


def case_quotes(case: Case) -> list[Quote]:
    """Return the free texts of a case that the qualitative part may quote."""
    found: list[tuple[str, Any, Any]] = []
    for review in case.get("bilans").get("bilans", []):
        found += [("difficultes", review.get("date"), review.get("difficultes")),
                  ("ruptures", review.get("date"), review.get("motifs_echec"))]
    suivi = case.get("suivi")
    found += [("difficultes", s.get("date_changement"), s.get("description")) for s in suivi.get("signalements", [])]
    found += [("coordination", c.get("date"), c.get("objet")) for c in suivi.get("concertations", [])]
    exit_data = case.get("sortie")
    found.append(("ruptures", exit_data.get("date"), exit_data.get("explication")))
    return [Quote(case.id, theme, parse(day), " ".join(str(text).split()))
            for theme, day, text in found if isinstance(text, str) and text.strip()]


def case_secrets(case: Case) -> set[str]:
    """Return what identifies a household: names, address, commune, phone digits, e-mails."""
    menage, mesure = case.get("menage"), case.get("mesure")
    found = {case.id, str(menage.get("designation", ""))}
    for member in menage.get("membres", []):
        found |= {str(member.get("prenom", "")), str(member.get("nom", ""))}
    address = menage.get("adresse", {})
    found |= {str(address.get(key, "")) for key in ("rue", "code_postal", "commune")}
    found.add(str(mesure.get("territoire", {}).get("commune", "")))
    digits = re.sub(r"\D", "", str(menage.get("telephone", "")))
    if digits:
        found.add(digits)
    for name in ("menage", "mesure"):
        found |= {m.group(0) for m in EMAIL.finditer(repr(case.get(name)))}
    # A designation « M. et Mme Dumont » is matched by its family name too.
    found |= {word for text in list(found) for word in re.split(r"[\s,]+", text)
              if len(word) >= 3 and word[0].isupper() and word not in ("Mme", "Mlle")}
    return {s.strip() for s in found if len(s.strip()) >= 2}


def names_someone(text: str, secrets: set[str]) -> bool:
    """True when the text holds a secret (as a whole word, any case), a phone number or an e-mail."""
    if EMAIL.search(text):
        return True
    folded, digits = text.casefold(), re.sub(r"[\s.\-]", "", text)
    for secret in secrets:
        if secret.isdigit() and len(secret) >= 9:
            if secret in digits or secret[1:] in digits:  # 0321… or +33 321…
                return True
        elif re.search(rf"(?<!\w){re.escape(secret.casefold())}(?!\w)", folded):
            return True
    return False


def screen(quotes: list[Quote], secrets: set[str]) -> tuple[list[Quote], list[Quote]]:
    """Split quotes into those that may be printed and those left out (they name someone)."""
    kept: list[Quote] = []
    left_out: list[Quote] = []
    for quote in quotes:
        (left_out if names_someone(quote.text, secrets) else kept).append(quote)
    return kept, left_out
