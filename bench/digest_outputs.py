"""Digest of every output of a forced build (example cases and synthetic ones): proves byte-identical outputs.

    .venv/bin/python bench/digest_outputs.py --cases 30 > before.json
    ... change the code ...
    .venv/bin/python bench/digest_outputs.py --cases 30 --against before.json

Builds copies (never the checkout's out/) of the example project and of N synthetic
cases with `astre build --force --date 2026-11-22`, then prints {file: sha256} as JSON,
or compares with a previous digest and lists the files that differ (exit 1 if any).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))


def build_and_digest(project: Path) -> dict[str, str]:
    subprocess.run([sys.executable, "-m", "generator", "-f", str(project / "astre.yaml"), "build", "--force",
                    "--date", "2026-11-22"], check=False, capture_output=True, cwd=ROOT)
    out = project / "out"
    return {str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(out.rglob("*")) if p.is_file() and not p.name.startswith(".astre")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=30, help="synthetic cases besides the examples")
    parser.add_argument("--against", type=Path, help="a digest printed before: compare instead of printing")
    args = parser.parse_args()
    from synth import make_cases

    with tempfile.TemporaryDirectory() as tmp:
        examples = Path(tmp) / "exemples"
        examples.mkdir()
        shutil.copy(ROOT / "astre.yaml", examples / "astre.yaml")
        shutil.copytree(ROOT / "cases", examples / "cases")
        digest = {f"exemples/{k}": v for k, v in build_and_digest(examples).items()}
        make_cases(Path(tmp) / "synth", args.cases)
        digest |= {f"synth/{k}": v for k, v in build_and_digest(Path(tmp) / "synth").items()}
    if args.against is None:
        print(json.dumps(digest, indent=1, sort_keys=True))
        return 0
    before = json.loads(args.against.read_text())
    differ = sorted(k for k in before.keys() | digest.keys() if before.get(k) != digest.get(k))
    for name in differ:
        print(f"différent : {name}")
    print(f"{len(digest)} fichiers, {len(differ)} différents")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
