"""What drawing the layouts costs: each layout's Word and HTML templates in a fresh process, then a forced build.

    .venv/bin/python bench/bench_layout.py [--repeat 7]

1. In a new process, load every layout of forms/mises-en-page/ (YAML, schema) and draw its two
   templates (python-docx, HTML): medians of the load, the HTML and the Word drawing, per layout.
   A build pays this once per process for the layouts it uses (its workers inherit the fork
   server's drawings); a build with nothing to do loads the layouts only (their fingerprint).
2. `astre build --force -j 1` of the example cases (one process: drawings included): medians of
   the wall time and of the CPU time (user + system) of the command.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

DRAW = """
import json, time
import docx, jsonschema  # imported by every build anyway: not the drawing's cost
from generator.documents import layout
from generator.reading.resources import DEFAULTS
names = layout.layout_names(DEFAULTS)
t0 = time.perf_counter(); found = [layout.load_layout(DEFAULTS, n) for n in names]
t1 = time.perf_counter(); [layout.html_template(x) for x in found]
t2 = time.perf_counter(); [layout.docx_template(x) for x in found]
t3 = time.perf_counter()
print(json.dumps([len(names), t1 - t0, t2 - t1, t3 - t2]))
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    runs = [json.loads(subprocess.run([sys.executable, "-c", DRAW], cwd=ROOT, capture_output=True, text=True,
                                      check=True).stdout) for _ in range(args.repeat)]
    count = runs[0][0]
    load, html, word = (statistics.median(r[i] for r in runs) * 1000 / count for i in (1, 2, 3))
    print(f"{count} mises en page, par mise en page (médianes de {args.repeat} processus) : lecture et schéma "
          f"{load:.1f} ms, HTML {html:.2f} ms, Word {word:.1f} ms")
    walls, cpus = [], []
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp)
        shutil.copy(ROOT / "astre.yaml", project / "astre.yaml")
        shutil.copytree(ROOT / "cases", project / "cases", ignore=shutil.ignore_patterns("envoyes"))
        command = [sys.executable, "-m", "generator", "build", "--force", "-j", "1", "--date", "2026-11-22"]
        for _ in range(args.repeat):
            for kept in project.glob("cases/*/envoyes"):
                shutil.rmtree(kept)
            # Its manifest remembers the copies kept by the previous run: gone, they would be deleted copies.
            shutil.rmtree(project / "out", ignore_errors=True)
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            subprocess.run(command, cwd=project, capture_output=True, check=True)
            walls.append(time.perf_counter() - started)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        documents = sum(1 for _ in (project / "out").glob("*/*.pdf"))
    print(f"astre build --force -j 1, dossiers d'exemple ({documents} documents) : médiane "
          f"{statistics.median(walls):.2f} s (processeur {statistics.median(cpus):.2f} s) sur {args.repeat} essais")


if __name__ == "__main__":
    main()
