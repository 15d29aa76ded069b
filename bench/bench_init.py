"""Time `astre init` (a structure's repository, with its editor schemas), median of N runs.

Usage: .venv/bin/python bench/bench_init.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    astre = Path(sys.executable).with_name("astre")
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        for index in range(args.repeat):
            target = Path(tmp) / f"asso-{index}"
            started = time.perf_counter()
            subprocess.run([str(astre), "init", str(target), "--exemple", "--source", "astre.whl",
                            "--depot", "https://example.invalid/astre.git"], check=True,
                           capture_output=True)
            times.append(time.perf_counter() - started)
    print(f"astre init --exemple (whole command, {args.repeat} runs): median {statistics.median(times):.3f} s, "
          f"min {min(times):.3f} s, max {max(times):.3f} s")


if __name__ == "__main__":
    main()
