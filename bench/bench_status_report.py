"""Benchmark `astre status` and `astre report` over 1 000 synthetic cases.

Run: .venv/bin/python bench/bench_status_report.py [--cases 1000] [--runs 3]
Each command runs as a subprocess (cold start included); prints the median.
Targets: status < 5 s, report < 20 s.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from synth import make_cases  # noqa: E402

WORK = HERE / "_work" / "status_report"
TARGETS = {"status": 5.0, "report": 20.0}


def timed(args: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "generator", *args], cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"échec de « astre {' '.join(args)} » :\n{done.stderr[-2000:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    shutil.rmtree(WORK, ignore_errors=True)
    root = make_cases(WORK / "projet", options.cases)
    commands = {"status": ["status", "--date", "2026-11-22", "--ics", "echeances.ics"],
                "report": ["report", "--year", "2026", "--date", "2026-11-22"]}
    failed = False
    for name, args in commands.items():
        runs = [timed(args, root) for _ in range(options.runs)]
        median = statistics.median(runs)
        ok = median < TARGETS[name]
        failed |= not ok
        print(f"astre {name:<7} {options.cases} dossiers : médiane {median:.2f} s sur {options.runs} "
              f"(cible < {TARGETS[name]:.0f} s) {'OK' if ok else 'TROP LENT'}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
