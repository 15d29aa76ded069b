"""Documents are dated records: each shows the case as it stood on its own date (generator.model.measure)."""

from __future__ import annotations

import re
import shutil
from datetime import date
from pathlib import Path

import pytest

from generator.model.measure import aid_state, as_of, work_state
from generator.reading.cases import load_case
from generator.reading.resources import DEFAULTS
from tests.conftest import every_document

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 11, 22)
MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre"]
FRENCH_DATE = re.compile(r"\b(1er|\d{1,2}) (" + "|".join(MONTHS) + r") (\d{4})\b")
ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
# Plans are dated after the document by nature: the measure's planned end, the contract's step deadlines,
# the cash plan's payments due and payments expected.
PLANS = re.compile(r"^\.mesure\.dates\.fin_prevue$|^\.contrat\.etapes\[\d+\]\.echeance$"
                   r"|^\.tresorerie\.paiements\[\d+\]\.echeance$|^\.tresorerie\.entrees\[\d+\]\.attendu$")


def _dates(node, path: str = ""):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _dates(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _dates(value, f"{path}[{index}]")
    elif isinstance(node, str):
        for m in FRENCH_DATE.finditer(node):
            day = 1 if m.group(1) == "1er" else int(m.group(1))
            yield path, date(int(m.group(3)), MONTHS.index(m.group(2)) + 1, day)
        for m in ISO_DATE.finditer(node):
            yield path, date(int(m.group(1)), int(m.group(2)), int(m.group(3)))


def _documents():
    return every_document(ROOT, TODAY)


def test_no_document_shows_a_fact_dated_after_it() -> None:
    later = []
    count = 0
    for case_id, name, values, when in _documents():
        count += 1
        later += [(case_id, name, when, path, seen) for path, seen in _dates(values)
                  if seen > when and not PLANS.match(path)]
    assert count >= 15  # every document of the three examples
    assert later == []


def test_a_review_shows_the_aids_and_works_as_they_stood_on_its_date() -> None:
    """dumont-2025's 3-month review (6 February 2026): MaPrimeRénov' paid in August is only « demandée »."""
    documents = {(c, n): v for c, n, v, _ in _documents()}
    review = documents[("dumont-2025", "bilan-intermediaire-3-mois")]
    aids = {a["financeur"]: a["statut"] for a in review["financement"]["aides"]}
    assert aids["ANAH – MaPrimeRénov' Rénovation d'ampleur"] == "demandée le 20 janvier 2026"  # granted 2 March
    works = {p["intitule"]: p["statut"] for p in review["travaux"]["postes"]}
    assert works["Isolation des murs par l'extérieur"] == "commandé"  # ordered in Jan., works April–May
    assert works["Barres d'appui et WC rehaussé"] == "à chiffrer"
    final = documents[("dumont-2025", "bilan-final")]
    assert {a["financeur"]: a["statut"] for a in final["financement"]["aides"]}[
        "ANAH – MaPrimeRénov' Rénovation d'ampleur"] == "versée (2 versements, dernier le 10 août 2026)"
    # The contract of lefebvre-2026, signed on 29 August, does not announce its sending on 5 September.
    assert documents[("lefebvre-2026", "contrat")]["contrat"]["date_envoi_spslh"] == ""


@pytest.mark.parametrize(("aid", "day", "expected"), [
    ({"statut": "versee", "date_demande": "2026-01-20", "date_accord": "2026-03-02", "date_versement": "2026-08-10"},
     date(2026, 2, 6), ("demandee", False)),
    ({"statut": "versee", "date_demande": "2026-01-20", "date_accord": "2026-03-02", "date_versement": "2026-08-10"},
     date(2026, 5, 8), ("accordee", False)),
    ({"statut": "versee", "date_demande": "2026-01-20", "date_accord": "2026-03-02", "date_versement": "2026-08-10"},
     date(2026, 8, 10), ("versee", False)),
    ({"statut": "versee", "date_demande": "2026-01-20"}, date(2026, 5, 8), ("versee", True)),  # undated payment
    # Paid on a day the files do not say: « versée » (undated) once granted, never « accordée » from then on.
    ({"statut": "versee", "date_demande": "2026-01-20", "date_accord": "2026-03-02"}, date(2026, 5, 8),
     ("versee", True)),
    ({"statut": "versee", "date_demande": "2026-01-20", "date_accord": "2026-03-02"}, date(2026, 2, 6),
     ("demandee", False)),
    ({"statut": "accordee", "date_demande": "2026-03-01"}, date(2026, 2, 1), ("a_solliciter", False)),
    ({"statut": "refusee", "date_demande": "2026-02-15"}, date(2026, 5, 8), ("refusee", True)),
])
def test_aid_state_from_its_dates(aid: dict, day: date, expected: tuple) -> None:
    assert aid_state(aid, day) == expected


@pytest.mark.parametrize(("day", "expected"), [
    (date(2025, 12, 1), ("a_chiffrer", False)), (date(2026, 1, 1), ("devis_recu", False)),
    (date(2026, 4, 20), ("en_cours", False)), (date(2026, 6, 1), ("realise", False)),
])
def test_work_state_from_its_dates(day: date, expected: tuple) -> None:
    poste = {"statut": "realise", "date_devis": "2025-12-10", "date_debut": "2026-04-13", "date_fin": "2026-05-29"}
    assert work_state(poste, day) == expected


def test_as_of_drops_later_visits_reviews_and_exit(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "cases" / "caron-2026", tmp_path / "caron-2026")
    case = load_case(DEFAULTS, tmp_path / "caron-2026")
    before = as_of(case, date(2026, 3, 1))
    assert before.get("sortie") == {}
    assert all(v["date"] <= "2026-03-01" for v in before.get("suivi").get("visites", []))
    assert before.get("bilans").get("bilans", []) == []
    assert case.get("sortie")  # the case files themselves are untouched
