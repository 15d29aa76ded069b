"""Cost of the guarded reader (generator.reading.loader.read_bounded / read_json) against plain reads.

    .venv/bin/python bench/bench_reader.py [--cases 1000] [--repeat 15]

Two reads it replaced: the build's hashing of the case files (11 files of each example case,
Path.read_bytes before) and the manifest of N cases (json.loads(Path.read_text) before, about
2.3 MB for 1 000 cases). Prints the median of R runs of each.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from generator.reading.loader import MAX_BYTES, read_bounded, read_json

ROOT = Path(__file__).resolve().parent.parent
FILES = ("mesure", "menage", "logement", "travaux", "financement", "suivi", "contrat", "diagnostics", "bilans",
         "sortie", "envois")


def median_ms(run: Callable[[], object], repeat: int) -> float:
    """Return the median time of `run`, in milliseconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def manifest(cases: int) -> dict:
    """Return a manifest of the shape the build writes, for `cases` cases."""
    def hashed(path: str) -> dict:
        return {"stats": {path: [1_700_000_000_000_000_000, 1234]}, "extra": "", "hash": "a" * 64}

    return {"format": 2, "shared": hashed("libelles.yaml"), "forms": {},
            "cases": {f"cas-{i:04d}": {"files": {n: hashed(f"cases/cas-{i:04d}/{n}.yaml") for n in FILES},
                                       "docs": {f: {"key": "k" * 32, "outputs": [f"cas-{i:04d}/{f}.pdf"]}
                                                for f in ("contrat", "fiche-saisine", "bilan-final")},
                                       "envoyes": [f"contrat--2026-01-0{j}.json" for j in range(3)]}
                      for i in range(cases)}}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cases = Path(tmp) / "cases"
        shutil.copytree(ROOT / "cases", cases, ignore=shutil.ignore_patterns("envoyes"))
        paths = sorted(cases.glob("*/*.yaml"))
        plain = median_ms(lambda: [p.read_bytes() for p in paths], args.repeat)
        guarded = median_ms(lambda: [read_bounded(p, MAX_BYTES) for p in paths], args.repeat)
        print(f"{len(paths)} fichiers de dossier : read_bytes {plain:.2f} ms, read_bounded {guarded:.2f} ms")
        path = Path(tmp) / ".astre-manifest.json"
        path.write_text(json.dumps(manifest(args.cases)))
        size = path.stat().st_size / 1e6
        plain = median_ms(lambda: json.loads(path.read_text(encoding="utf-8")), args.repeat)
        guarded = median_ms(lambda: read_json(path, 64 << 20, max_depth=None), args.repeat)
        print(f"manifeste de {args.cases} dossiers ({size:.1f} Mo) : json.loads {plain:.1f} ms, "
              f"read_json {guarded:.1f} ms")


if __name__ == "__main__":
    main()
