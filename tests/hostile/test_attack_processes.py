"""Hostile work for the processes: a structure's template that loops for ever or draws a document without end."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import TODAY, TREE, astre

# Ten thousand million turns: no machine ends it; the build stops it after ASTRE_LIMITE_RENDU seconds.
ENDLESS = "{% for i in range(100000) %}{% for j in range(100000) %}{{ i }}{% endfor %}{% endfor %}"
HUGE = "{% for i in range(100000) %}<p>{{ 'ligne sans fin ' * 100 }}</p>{% endfor %}"


def _override(repo: Path, name: str, body: str) -> None:
    folder = repo / "templates" / "html"
    folder.mkdir(parents=True, exist_ok=True)
    original = (TREE / "templates" / "html" / name).read_text()
    # The loop goes inside the template's content block, so that it really runs.
    cut = original.index("{% block")
    end = original.index("%}", cut) + 2
    (folder / name).write_text(original[:end] + body + original[end:])


@pytest.mark.timeout(200)
@pytest.mark.parametrize("body", [ENDLESS, HUGE], ids=["boucle", "démesuré"])
def test_an_endless_template_fails_its_documents_alone_naming_the_template(repo: Path, body: str) -> None:
    _override(repo, "contrat.html", body)
    done = astre(repo, "build", "--date", TODAY, "--jobs", "1", env={"ASTRE_LIMITE_RENDU": "8"})
    assert done.code == 1 and done.said_in_french(), done.text
    assert "(contrat) : " in done.text and "contrat.html" in done.text
    assert "rendu arrêté après 8 s" in done.text or "document trop gros" in done.text
    assert (repo / "out" / "lefebvre-2026" / "fiche-saisine.pdf").exists()  # its other documents are built
    assert (repo / "out" / "caron-2026" / "bilan-final.pdf").exists()  # and the other households'
