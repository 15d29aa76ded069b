"""`make docs` with nothing changed, over N synthetic cases (median of R runs, whole command).

    .venv/bin/python bench/bench_noop.py [--cases 200] [--repeat 7]

The first build makes every document (and keeps the sent ones in cases/<id>/envoyes/);
each timed run then finds everything up to date. Target: under 1 s for 200 cases
(issue 9), beyond the interpreter's own start (`python -c pass`, printed too).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_check import timed  # noqa: E402
from synth import make_cases  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = make_cases(Path(tmp) / "synth", args.cases)
        build = [sys.executable, "-m", "generator", "build", "--date", "2026-11-22"]
        started = time.perf_counter()
        first = subprocess.run(build, cwd=root, capture_output=True, text=True)
        summary = [line for line in first.stdout.splitlines() if " construit" in line]
        print(f"première construction ({args.cases} dossiers) : {time.perf_counter() - started:.1f} s — "
              f"{summary[-1] if summary else first.stderr[-300:]}")
        kept = sum(1 for _ in root.glob("cases/*/envoyes/*.pdf"))
        runs = timed(build, root, args.repeat)
        base = timed([sys.executable, "-c", "pass"], root, args.repeat)
        print(f"make docs sans changement, {args.cases} dossiers ({kept} documents envoyés gardés) : médiane "
              f"{statistics.median(runs):.3f} s sur {args.repeat} essais "
              f"({', '.join(f'{r:.3f}' for r in runs)}) ; python -c pass : {statistics.median(base):.3f} s ; "
              f"objectif < 1 s : {'ATTEINT' if statistics.median(runs) < 1 else 'MANQUÉ'}")


if __name__ == "__main__":
    main()
