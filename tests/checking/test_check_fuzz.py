"""Random damage to the example cases never crashes astre (check, status, document context).

Seeded, so a failure is reproducible: each damaged file is checked like `astre check`
would, and when it is still valid its due dates and document values are computed too.
"""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path

import pytest

from generator.checking.check import check_case
from generator.documents.context import case_context
from generator.documents.forms import check_form
from generator.model.obligations import due_items
from generator.reading.config import load_config
from generator.reading.forms import load_forms

TOKENS = ["", "-", ":", " ", "\n", '"', "'", "[", "]", "{", "}", "#", "&a", "*a", "!!str", "null", "~", "true", "0",
          "-1", "1e309", "2026-02-30", "9999-12-31", "1900-01-01", "final", "12_mois", "\t", "  ", "é", "€", "|", ">"]


def damage(text: str, rng: random.Random) -> str:
    lines = text.split("\n")
    for _ in range(rng.randint(1, 3)):
        k = rng.randrange(len(lines))
        op = rng.random()
        if op < 0.3:
            pos = rng.randint(0, len(lines[k]))
            lines[k] = lines[k][:pos] + rng.choice(TOKENS) + lines[k][pos:]
        elif op < 0.5:
            del lines[k]
        elif op < 0.7:
            lines.insert(k, rng.choice(lines))
        elif op < 0.85 and ":" in lines[k]:
            lines[k] = lines[k].partition(":")[0] + ": " + rng.choice(TOKENS)
        else:
            pos = rng.randint(0, len(lines[k]))
            lines[k] = lines[k][:pos] + lines[k][pos + rng.randint(1, 5):]
    return "\n".join(lines)


@pytest.mark.parametrize("seed", range(4))
def test_damaged_cases_never_crash(project: Path, seed: int) -> None:
    rng = random.Random(seed)
    config = load_config(project / "astre.yaml")
    forms = load_forms(config.resources)
    originals = {p: p.read_text(encoding="utf-8") for p in sorted((project / "cases").rglob("*.yaml"))}
    today = date(2026, 11, 22)
    valid = 0
    for _ in range(150):
        path = rng.choice(list(originals))
        path.write_text(damage(originals[path], rng), encoding="utf-8")
        case = check_case(path.parent, config, today)
        assert all(p.message and p.path for p in case.problems)
        if case.valid:
            valid += 1
            due_items(config.resources, case, config.programme, today)
            case_context(case, config)
            for form in forms:
                check_form(case, form)
        path.write_text(originals[path], encoding="utf-8")
    assert 0 < valid < 150  # both kinds of damage were exercised
