"""Hostile work for the processes: a structure's template that loops for ever or draws a document without end."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import TODAY, TREE, astre

# Ten thousand million turns: no machine ends it; the build stops it after ASTRE_LIMITE_RENDU seconds.
ENDLESS = "{% for i in range(100000) %}{% for j in range(100000) %}{{ i }}{% endfor %}{% endfor %}"
HUGE = "{% for i in range(100000) %}<p>{{ 'ligne sans fin ' * 100 }}</p>{% endfor %}"


def _override(repo: Path, name: str, body: str) -> None:
    """Give the structure its own HTML template `name` (astre's own, as restyling starts), with `body`."""
    folder = repo / "templates" / "html"
    former = TREE / "templates" / "html" / name  # before the layouts (issue 20), astre shipped its HTML templates
    if former.exists():
        folder.mkdir(parents=True, exist_ok=True)
        original = former.read_text()
    else:  # now drawn from its layout: `astre modeles` writes that drawing in the structure's templates/
        done = astre(repo, "modeles", "--document", name.removesuffix(".html"))
        assert done.code == 0, done.text
        original = (folder / name).read_text()
    # The loop goes inside the template's content, so that it really runs.
    if "{% block" in original:
        cut = original.index("{% block")
        end = original.index("%}", cut) + 2
    else:
        end = original.index("<body>") + len("<body>")
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
