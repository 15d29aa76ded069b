"""Benchmark of `astre watch`: latency from a save to the updated PDF, and memory over many rebuilds.

Usage: .venv/bin/python bench/bench_watch.py [--saves 20] [--rebuilds 500] [--polling]

Runs the real watcher (real file-system events, real build) in this process on a
copy of the project's example case lefebvre-2026 in a temporary folder.

1. Latency: saves bilans.yaml (the review being written), then measures the time
   from the save to the new mtime of out/<case>/bilan-intermediaire-3-mois.pdf,
   and to the end of the whole rebuild of the case (its other documents too).
2. Stamina: N consecutive rebuilds, each triggered by a save of mesure.yaml;
   resident memory (VmRSS of this process, watcher included) after the first 20
   and after the last. Cheaper rebuild: the build is restricted to one form
   (fiche-saisine, DOCX + PDF) so that 500 rebuilds take minutes, not a quarter hour.
"""

from __future__ import annotations

import argparse
import gc
import os
import queue
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator.engine.build import build as real_build  # noqa: E402
from generator.reading.config import load_config  # noqa: E402
from generator.watch.watch import Rebuild, Watcher  # noqa: E402

CASE = "lefebvre-2026"
PDF = "bilan-intermediaire-3-mois.pdf"
CHEAP_FORM = "fiche-saisine"


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def project_copy() -> Path:
    root = Path(tempfile.mkdtemp(prefix="astre-bench-watch-"))
    shutil.copy(ROOT / "astre.yaml", root / "astre.yaml")
    (root / "cases").mkdir()
    shutil.copytree(ROOT / "cases" / CASE, root / "cases" / CASE)
    return root


class Run:
    """A started watcher whose loop runs in a thread; rebuilds arrive on a queue."""

    def __init__(self, root: Path, polling: bool, build: Any = None) -> None:
        self.rebuilds: queue.Queue[Rebuild] = queue.Queue()
        self.watcher = Watcher(load_config(root / "astre.yaml"), polling=polling, build=build,
                               echo=lambda line: None, on_rebuild=self.rebuilds.put)
        self.watcher.start()
        first = self.watcher.initial_build()
        assert first.ok, first.lines
        self.rebuilds.get_nowait()
        self.thread = threading.Thread(target=self.watcher.run_forever, daemon=True)
        self.thread.start()

    def wait(self, timeout: float = 60) -> Rebuild:
        rebuild = self.rebuilds.get(timeout=timeout)
        assert rebuild.ok, rebuild.lines
        return rebuild

    def stop(self) -> None:
        self.watcher.stop()
        self.thread.join(timeout=10)


def save(path: Path, i: int) -> None:
    text = path.read_text(encoding="utf-8").rsplit("\n# bench", 1)[0]
    path.write_text(f"{text}\n# bench {i}\n", encoding="utf-8")


def latency(saves: int, polling: bool) -> None:
    root = project_copy()
    run = Run(root, polling)
    pdf = root / "out" / CASE / PDF
    source = root / "cases" / CASE / "bilans.yaml"
    to_pdf, to_all = [], []
    try:
        for i in range(saves):
            before = pdf.stat().st_mtime_ns
            saved = time.time_ns()
            save(source, i)
            run.wait()  # one rebuild: the review's documents first, then the rest of the case
            while pdf.stat().st_mtime_ns == before:  # in case the save's events were split in two
                run.wait()
            to_all.append((time.time_ns() - saved) / 1e9)
            to_pdf.append((pdf.stat().st_mtime_ns - saved) / 1e9)
    finally:
        run.stop()
        shutil.rmtree(root)
    mode = "scrutation 0,5 s" if polling else "inotify"
    print(f"Latence enregistrement -> PDF à jour ({saves} enregistrements de bilans.yaml, {mode}, vrai build)")
    print(f"  out/{CASE}/{PDF} : médiane {statistics.median(to_pdf):.3f} s, "
          f"min {min(to_pdf):.3f} s, max {max(to_pdf):.3f} s")
    print(f"  tous les documents du dossier : médiane {statistics.median(to_all):.3f} s, max {max(to_all):.3f} s")


def stamina(rebuilds: int, polling: bool) -> None:
    root = project_copy()

    def one_form(config: Any, paths: Any = None, **options: Any) -> Any:
        options["forms"] = [CHEAP_FORM]
        return real_build(config, paths, **options)

    run = Run(root, polling, build=one_form)
    source = root / "cases" / CASE / "mesure.yaml"
    pdf = root / "out" / CASE / f"{CHEAP_FORM}.pdf"
    samples: list[tuple[int, float]] = []
    started = time.monotonic()
    try:
        for i in range(rebuilds):
            before = pdf.stat().st_mtime_ns
            save(source, i)
            run.wait()
            while pdf.stat().st_mtime_ns == before:  # in case the save's events were split in two
                run.wait()
            if i + 1 in (1, 20) or (i + 1) % 100 == 0 or i + 1 == rebuilds:
                gc.collect()
                samples.append((i + 1, rss_mb()))
    finally:
        run.stop()
        shutil.rmtree(root)
    elapsed = time.monotonic() - started
    print(f"Mémoire sur {rebuilds} regénérations consécutives (build restreint au document {CHEAP_FORM}, "
          f"DOCX + PDF, pour aller vite ; {elapsed:.0f} s)")
    for n, mb in samples:
        print(f"  après {n:>4} : VmRSS {mb:7.1f} Mo")
    warm = dict(samples).get(20, samples[0][1])
    print(f"  croissance après échauffement (20 -> {rebuilds}) : {samples[-1][1] - warm:+.1f} Mo ; "
          f"depuis la 1re : {samples[-1][1] - samples[0][1]:+.1f} Mo")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--saves", type=int, default=20)
    parser.add_argument("--rebuilds", type=int, default=500)
    parser.add_argument("--polling", action="store_true")
    args = parser.parse_args()
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} processeur(s)")
    if args.saves:
        latency(args.saves, args.polling)
    if args.rebuilds:
        stamina(args.rebuilds, args.polling)


if __name__ == "__main__":
    main()
