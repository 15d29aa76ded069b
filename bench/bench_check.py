"""Benchmark: `astre check` over 1 000 cases, whole command in a subprocess and in-process.

    .venv/bin/python bench/bench_check.py [--cases N] [--repeat R] [--jeu historique|synthetique]

`historique` (default): copies of the example cases with their year of history, their
sendings and their kept copies (bench/history.py): every sending is checked against its
kept copy. `synthetique`: the synthetic cases of bench/synth.py, with no sending kept.
Prints the medians of R runs (subprocess, and `generator.checking.check.check` in this process),
the `python -c pass` baseline and the cost per case. Goal: under 3 s on a 2-core machine.
The first run of a project (no out/.astre-verdicts.json: the comparisons of sent documents
with their kept copy are all made) is timed apart, each run after deleting that file.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from history import make_history_cases  # noqa: E402
from synth import make_cases  # noqa: E402

from generator.checking.check import VERDICTS_NAME  # noqa: E402

GOAL_SECONDS = 3.0
TODAY = "2026-11-22"


def timed(command: list[str], cwd: Path, repeat: int, cold: bool = False) -> list[float]:
    runs = []
    for _ in range(repeat):
        if cold:  # as on a fresh clone: no verdict of an earlier check (generator.checking.check.VERDICTS_NAME)
            (cwd / "out" / VERDICTS_NAME).unlink(missing_ok=True)
        started = time.perf_counter()
        done = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
        runs.append(time.perf_counter() - started)
        if done.returncode not in (0, 1):
            sys.exit(f"échec de la commande {command} :\n{done.stderr}")
    return runs


def in_process(root: Path, repeat: int) -> list[float]:
    """Time `generator.checking.check.check` over the whole cases folder, in this process (caches warm after one)."""
    from generator.checking.check import check
    from generator.reading.config import load_config

    config = load_config(root / "astre.yaml")
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        check(config, [], date.fromisoformat(TODAY))
        runs.append(time.perf_counter() - started)
    return runs


def show(runs: list[float]) -> str:
    return f"médiane {statistics.median(runs):.2f} s sur {len(runs)} essais ({', '.join(f'{r:.2f}' for r in runs)})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--jeu", choices=("historique", "synthetique"), default="historique")
    parser.add_argument("--garder", type=Path, help="dossier où créer (et garder) le projet, pour le profiler")
    args = parser.parse_args()
    work = args.garder or Path(tempfile.mkdtemp(prefix="bench-check-"))
    try:
        started = time.perf_counter()
        root = (make_history_cases if args.jeu == "historique" else make_cases)(work / "projet", args.cases)
        kept = sum(1 for _ in root.glob("cases/*/envoyes/*.json"))
        print(f"{args.cases} dossiers ({args.jeu}, {kept} documents envoyés gardés) créés en "
              f"{time.perf_counter() - started:.1f} s")
        python = sys.executable
        baseline = statistics.median(timed([python, "-c", "pass"], root, args.repeat))
        command = [python, "-m", "generator", "check", "--date", TODAY]
        check = subprocess.run(command, cwd=root, capture_output=True, text=True)
        if check.returncode != 0:
            print(check.stdout[-2000:], check.stderr[-2000:])
            sys.exit("les dossiers du banc devraient être sans erreur")
        print("verdict :", check.stdout.strip().splitlines()[-1])
        cold = timed(command, root, args.repeat, cold=True)
        print(f"astre check (sous-processus, sans out/.astre-verdicts.json : premier passage), {args.cases} dossiers : "
              f"{show(cold)}")
        runs = timed(command, root, args.repeat)
        median = statistics.median(runs)
        print(f"astre check (sous-processus), {args.cases} dossiers : {show(runs)}")
        shown = show(in_process(root, args.repeat))
        print(f"astre check (dans le processus, generator.checking.check.check) : {shown}")
        print(f"python -c pass : {baseline * 1000:.0f} ms ; coût par dossier : "
              f"{(median - baseline) / args.cases * 1000:.2f} ms")
        print(f"commande : cd {root} && {' '.join(command)}")
        ok = median < GOAL_SECONDS or args.cases != 1000
        print("objectif < 3 s :", "atteint" if ok else "MANQUÉ")
        return 0 if ok else 1
    finally:
        if args.garder is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
