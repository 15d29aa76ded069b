"""The committed Word templates are what their generator makes (templates/docx/make_templates.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCX = ROOT / "templates" / "docx"


def test_committed_docx_templates_match_their_generator(tmp_path: Path) -> None:
    """A change to make_templates.py not followed by a run of it (or a .docx edited by hand) is caught here."""
    done = subprocess.run([sys.executable, str(DOCX / "make_templates.py"), str(tmp_path)], capture_output=True,
                          text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    made = sorted(p.name for p in tmp_path.glob("*.docx"))
    assert made == sorted(p.name for p in DOCX.glob("*.docx"))
    differ = [name for name in made if (tmp_path / name).read_bytes() != (DOCX / name).read_bytes()]
    assert differ == [], f"relancez « .venv/bin/python templates/docx/make_templates.py » : {differ}"
