"""A running `astre serve` on a temporary structure (made by `astre init --exemple`, under git), and Chromium.

Debian's chromium is driven by Playwright (its own browser download cannot work offline);
`make test` installs the package (toolkit Makefile, SYSDEPS_TEST).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
STARTUP_SECONDS = 60


@dataclass
class Server:
    """A served structure: its folder, base URL and the URL with the token."""

    root: Path
    base: str
    opening: str
    process: subprocess.Popen

    @property
    def token(self) -> str:
        return self.opening.split("token=", 1)[1]


def git(root: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "t@example.invalid",
           "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "t@example.invalid"}
    return subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, text=True, env=env).stdout


@pytest.fixture
def structure(tmp_path: Path) -> Path:
    """A structure's repository with the example case, committed."""
    root = tmp_path / "structure"
    subprocess.run([sys.executable, "-m", "generator", "init", "--exemple", "--nom", "Association Test",
                    "--source", "x.whl", "--depot", "https://example.invalid/astre.git", str(root)],
                   check=True, capture_output=True)
    config = root / "astre.yaml"  # the letterhead every document prints, as a structure fills it in
    config.write_text(config.read_text().replace('"Adresse de la structure (à compléter)"', "3 rue du Port")
                      .replace("# ville_signature:", "ville_signature:"))
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "Départ")
    return root


@pytest.fixture
def server(structure: Path) -> Iterator[Server]:
    """`astre serve --no-browser --port 0` on the structure; stopped after the test."""
    process = subprocess.Popen([sys.executable, "-m", "generator", "serve", "--no-browser", "--port", "0"],
                               cwd=structure, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert process.stdout is not None
    line = process.stdout.readline()  # the first line says the address, once the port is taken
    found = re.search(r"(http://127\.0\.0\.1:\d+)/\?token=\S+", line)
    if found is None:
        process.kill()
        pytest.fail(f"astre serve n'a pas démarré : {line}{process.stdout.read()}")
    yield Server(structure, found.group(1), found.group(0), process)
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    process.stdout.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists() or shutil.which("pdftotext") is None:
        pytest.fail("chromium ou pdftotext manquant : lancez « make sysdeps-test »")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser, server: Server):
    """A page of a fresh browser context, already past the token (it holds the session cookie)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    opened = context.new_page()
    opened.set_default_timeout(20_000)
    opened.goto(server.opening)
    yield opened
    context.close()
