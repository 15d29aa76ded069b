"""Try built wheels and sdists as a new user would: a new .venv, `astre --version`, `astre init`, `astre check`.

Run by `make release` on the files it built (the tag is made only if this passes), and by
tests/test_release.py. Usage: release_check.py --depot URL FILE...
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path

# What `astre init` leaves to the structure: the address and signing town every document prints.
LETTERHEAD = {"Nom de la structure": "Association Essai Arras",
              '"Adresse de la structure (à compléter)"': "1 place de la Mairie, 62000 Arras",
              "# ville_signature: Arras": "ville_signature: Arras"}


def _run(args: list[str | Path], cwd: Path) -> str:
    done = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          timeout=1800)
    if done.returncode != 0:
        raise SystemExit(f"échec : {' '.join(map(str, args))} ({done.returncode})\n{done.stdout[-3000:]}\n"
                         f"{done.stderr[-3000:]}")
    return done.stdout


def version_of(artifact: Path) -> str:
    """Return the version in a wheel's or an sdist's file name (astre-0.4.0-py3-none-any.whl, astre-0.4.0.tar.gz)."""
    found = re.fullmatch(r"astre-(\d+\.\d+\.\d+)(-py3-none-any\.whl|\.tar\.gz)", artifact.name)
    if found is None:
        raise SystemExit(f"{artifact.name} : ni une wheel ni une sdist d'astre")
    return found.group(1)


def check(artifact: Path, depot: str, work: Path) -> float:
    """Install `artifact` in a new .venv under `work` and try it; return the install time in seconds."""
    version = version_of(artifact)
    started = time.monotonic()
    venv.EnvBuilder(with_pip=True).create(work / "venv")
    scripts = work / "venv" / ("Scripts" if os.name == "nt" else "bin")
    pip = [scripts / "python", "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    _run([*pip, "--no-deps", artifact.resolve()], cwd=work)
    lock = Path(_run([scripts / "python", "-m", "generator.data"], cwd=work).strip())
    _run([*pip, "--require-hashes", "-r", lock.with_name("pip.lock")], cwd=work)
    _run([*pip, "--require-hashes", "-r", lock], cwd=work)
    seconds = time.monotonic() - started
    astre = scripts / "astre"
    shown = _run([astre, "--version"], cwd=work).strip()
    if shown != f"astre {version}":
        raise SystemExit(f"{artifact.name} : « astre --version » dit « {shown} »")
    structure = work / "dossiers-astre"
    _run([astre, "init", structure, "--exemple", "--source", f"git+{depot}@v$(ASTRE_VERSION)", "--depot", depot],
         cwd=work)
    config = structure / "astre.yaml"
    text = config.read_text(encoding="utf-8")
    for old, new in LETTERHEAD.items():
        text = text.replace(old, new)
    config.write_text(text, encoding="utf-8")
    _run([astre, "check", "--date", "2026-11-22"], cwd=structure)
    return seconds


def main() -> None:
    """Check every file given; say how long each install took."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--depot", required=True, help="dépôt git d'astre noté par astre init")
    parser.add_argument("files", nargs="+", type=Path)
    options = parser.parse_args()
    for artifact in options.files:
        with tempfile.TemporaryDirectory(prefix="astre-release-") as work:
            seconds = check(artifact, options.depot, Path(work))
        print(f"{artifact.name} : installé en {seconds:.0f} s dans un .venv neuf ; astre --version, init et "
              "check réussis")


if __name__ == "__main__":
    sys.exit(main())
