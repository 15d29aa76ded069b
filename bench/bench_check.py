"""Benchmark: `astre check` over 1 000 synthetic cases, whole command in a subprocess.

Prints the median of 5 runs, the `python -c pass` baseline and the cost per case.
Goal: under 3 s on a 2-core machine. Usage: `python bench/bench_check.py [--cases N] [--repeat R]`.
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

sys.path.insert(0, str(Path(__file__).parent))
from synth import make_cases  # noqa: E402

GOAL_SECONDS = 3.0


def timed(command: list[str], cwd: Path, repeat: int) -> list[float]:
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        done = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
        runs.append(time.perf_counter() - started)
        if done.returncode not in (0, 1):
            sys.exit(f"échec de la commande {command} :\n{done.stderr}")
    return runs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-check-"))
    try:
        root = make_cases(work / "projet", args.cases)
        python = sys.executable
        baseline = statistics.median(timed([python, "-c", "pass"], root, args.repeat))
        command = [python, "-m", "generator", "check", "--date", "2026-11-22"]
        check = subprocess.run(command, cwd=root, capture_output=True, text=True)
        if check.returncode != 0:
            print(check.stdout[-2000:], check.stderr[-2000:])
            sys.exit("les dossiers synthétiques devraient être valides")
        runs = timed(command, root, args.repeat)
        median = statistics.median(runs)
        print(f"astre check, {args.cases} dossiers : médiane {median:.2f} s sur {args.repeat} essais "
              f"({', '.join(f'{r:.2f}' for r in runs)})")
        print(f"python -c pass : {baseline * 1000:.0f} ms ; coût par dossier : "
              f"{(median - baseline) / args.cases * 1000:.2f} ms")
        print(f"commande : cd {root} && {' '.join(command)}")
        ok = median < GOAL_SECONDS or args.cases != 1000
        print("objectif < 3 s :", "atteint" if ok else "MANQUÉ")
        return 0 if ok else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
