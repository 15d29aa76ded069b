"""Time what a new structure meets first: the wheel and the sdist installed in a new .venv, then the first
`make docs` of a structure made by `astre init` (its own .venv, the pinned versions, the documents), medians.

pip's cache is whatever the machine has (warm after the first run): the first figure of each is the
closest to a new computer. Needs the network to PyPI (the pinned versions).
Usage: .venv/bin/python bench/bench_install.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
import release_check  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    from generator import __version__

    with tempfile.TemporaryDirectory(prefix="astre-bench-") as tmp:
        work = Path(tmp)
        source = work / "source"
        shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
            ".git", ".venv", "out", "build", "dist", "*.egg-info", "node_modules", "__pycache__", "_work"))
        subprocess.run([sys.executable, "-m", "build", "--no-isolation", "-q", "--outdir", str(work / "dist"),
                        str(source)], check=True, capture_output=True)
        wheel = work / "dist" / f"astre-{__version__}-py3-none-any.whl"
        sdist = work / "dist" / f"astre-{__version__}.tar.gz"
        for artifact in (wheel, sdist):
            times = []
            for index in range(args.repeat):
                folder = work / f"{artifact.name}-{index}"
                folder.mkdir()
                times.append(release_check.check(artifact, "https://example.invalid/astre.git", folder))
                shutil.rmtree(folder)
            print(f"install {artifact.name} in a new .venv ({args.repeat} runs): "
                  f"median {statistics.median(times):.1f} s, runs {', '.join(f'{t:.1f}' for t in times)}")
        astre = Path(sys.executable).with_name("astre")
        times = []
        for index in range(args.repeat):
            structure = work / f"asso-{index}"
            (structure / "outils").mkdir(parents=True)
            shutil.copy(wheel, structure / "outils" / wheel.name)
            subprocess.run([str(astre), "init", str(structure), "--exemple", "--dossier-existant", "--source",
                            f"outils/{wheel.name}", "--depot", "https://example.invalid/astre.git"],
                           check=True, capture_output=True)
            config = structure / "astre.yaml"
            text = config.read_text(encoding="utf-8")
            for old, new in release_check.LETTERHEAD.items():
                text = text.replace(old, new)
            config.write_text(text, encoding="utf-8")
            started = time.perf_counter()
            subprocess.run(["make", "docs"], cwd=structure, check=True, capture_output=True)
            times.append(time.perf_counter() - started)
            shutil.rmtree(structure)
        print(f"first make docs of a structure made by astre init --exemple ({args.repeat} runs): median "
              f"{statistics.median(times):.1f} s, runs {', '.join(f'{t:.1f}' for t in times)}")


if __name__ == "__main__":
    main()
