"""The release: the README's install command names a real version, `make release` refuses what it must,
and the wheel and the sdist it builds install in a new .venv and work (tests/release_check.py, run by it too).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from generator import __version__

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
import release_check  # noqa: E402  (the script `make release` runs)

GIT = {**os.environ, "GIT_AUTHOR_NAME": "R", "GIT_AUTHOR_EMAIL": "r@example.invalid", "GIT_COMMITTER_NAME": "R",
       "GIT_COMMITTER_EMAIL": "r@example.invalid"}


def _run(args: list[str], cwd: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, env=GIT, timeout=1800,
                          stdin=subprocess.DEVNULL)
    if check and done.returncode != 0:
        raise AssertionError(f"{args} → {done.returncode}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done


def test_readme_installs_the_current_version_or_an_existing_tag() -> None:
    """The install commands of « Pour une structure » name v<version>: this one, or a tag that exists."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Pour une structure"):readme.index("### Dans le dépôt d'astre")]
    versions = re.findall(r"(?:pipx install|uv tool install)[^\n]*@v(\d+\.\d+\.\d+)", section)
    assert versions, "aucune commande « pipx install » ou « uv tool install » à une étiquette v…"
    tags = set(_run(["git", "tag", "--list", "v*"], cwd=ROOT).stdout.split())
    for version in versions:
        assert version == __version__ or f"v{version}" in tags, version


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    """A clone of the toolkit with this checkout's Makefile committed (what `make release` runs in)."""
    repo = tmp_path / "astre"
    _run(["git", "clone", "-q", str(ROOT), str(repo)], cwd=tmp_path)
    shutil.copy(ROOT / "Makefile", repo / "Makefile")
    _run(["git", "commit", "-q", "-am", "Makefile", "--allow-empty"], cwd=repo)
    return repo


def _release(repo: Path) -> subprocess.CompletedProcess[str]:
    # This checkout's .venv, taken as installed (-o: not remade): only the refusals are tried here.
    venv = ROOT / ".venv"
    return _run(["make", "release", f"VENV={venv}", "-o", str(venv / ".installed")], cwd=repo, check=False)


def test_release_refuses_a_dirty_tree(clone: Path) -> None:
    tags = _run(["git", "tag", "--list"], cwd=clone).stdout  # those of the toolkit's clone (v<version> once released)
    (clone / "README.md").write_text("modifié\n", encoding="utf-8")
    done = _release(clone)
    assert done.returncode != 0 and "Des modifications ne sont pas commitées" in done.stderr, done.stderr
    assert _run(["git", "tag", "--list"], cwd=clone).stdout == tags  # no tag made
    assert not (clone / "dist").exists()


def test_release_refuses_an_existing_tag(clone: Path) -> None:
    if not _run(["git", "tag", "--list", f"v{__version__}"], cwd=clone).stdout.strip():  # not released yet
        _run(["git", "tag", f"v{__version__}"], cwd=clone)
    done = _release(clone)
    assert done.returncode != 0 and f"L'étiquette v{__version__} existe déjà" in done.stderr, done.stderr
    assert not (clone / "dist").exists()


def test_wheel_and_sdist_install_in_a_new_venv_and_work(tmp_path: Path) -> None:
    """What `make release` checks before tagging: each file alone, in a new .venv, from PyPI's pinned versions."""
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "out", "build", "dist", "*.egg-info", "node_modules", "__pycache__", "_work"))
    dist = tmp_path / "dist"
    _run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(dist), str(source)], cwd=tmp_path)
    wheel, sdist = dist / f"astre-{__version__}-py3-none-any.whl", dist / f"astre-{__version__}.tar.gz"
    for artifact in (wheel, sdist):
        work = tmp_path / artifact.name.replace(".", "-")
        work.mkdir()
        release_check.check(artifact, "https://example.invalid/astre.git", work)
        assert (work / "dossiers-astre" / ".astre-salt").is_file()
    # As the README installs it: a tool (uv tool install; pipx alike), here from the local wheel.
    uv = {"UV_TOOL_DIR": str(tmp_path / "uv-tools"), "UV_TOOL_BIN_DIR": str(tmp_path / "uv-bin"),
          "UV_PYTHON": sys.executable}
    done = subprocess.run([str(Path(sys.executable).with_name("uv")), "tool", "install", str(wheel)],
                          env={**os.environ, **uv}, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr
    astre = str(tmp_path / "uv-bin" / "astre")
    assert _run([astre, "--version"], cwd=tmp_path).stdout.strip() == f"astre {__version__}"
    refused = _run([astre, "init", "dossiers-astre", "--nom", "Association Essai"], cwd=tmp_path, check=False)
    assert refused.returncode == 2 and f"astre a été installé depuis {wheel}, un chemin de cet ordinateur" \
        in refused.stderr, refused.stderr
    _run([astre, "init", "dossiers-astre", "--nom", "Association Essai", "--source",
          "git+https://example.invalid/astre.git@v$(ASTRE_VERSION)", "--depot", "https://example.invalid/astre.git"],
         cwd=tmp_path)
    assert (tmp_path / "dossiers-astre" / "Makefile").is_file()
