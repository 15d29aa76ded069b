"""Cases with a year of history for benchmarks: copies of the example cases, sent documents included.

Other benches import it::

    sys.path.insert(0, str(Path(__file__).parent))
    from history import make_history_cases
    root = make_history_cases(tmp / "projet", 1000)

Case k copies the example cases in turn (dumont-2025: sendings in the older
`date_envoi_*` fields; lefebvre-2026: envois.yaml; caron-2026), with its sendings
and its kept copies (envoyes/: PDF, DOCX and JSON record as `astre build` wrote
them). The household's name and the identifier are replaced everywhere, the
YAML files and the records' values alike, and each record's data fingerprint is
made again for the renamed case, so that a copy is exactly what a build would
have kept: the kept files are intact and a record is up to date when its
example's was. As in the examples, dumont-2025's first review was completed
after it was sent (its later documents are drawn again to compare); a share of
the other copies (`edited`) also had a text completed after its sending.
"""

from __future__ import annotations

import json
import random
import re
import shutil
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TODAY = date(2026, 11, 22)
EXAMPLES = ("dumont-2025", "lefebvre-2026", "caron-2026")
NAMES = ["Leroy", "Lemaire", "Duhamel", "Delattre", "Vasseur", "Lecomte", "Fournier", "Roussel", "Deprez", "Wallet"]


def make_history_cases(root: Path, n: int, seed: int = 0, edited: float = 0.1) -> Path:
    """Write astre.yaml, a pseudonym secret and `n` cases with their history under `root/cases`; return `root`."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "astre.yaml", root / "astre.yaml")
    (root / ".astre-salt").write_text(f"{seed:064x}\n")
    cases = root / "cases"
    cases.mkdir(exist_ok=True)
    rng = random.Random(seed)
    config = _config(ROOT / "astre.yaml")
    up_to_date = {example: _up_to_date_records(config, ROOT / "cases" / example) for example in EXAMPLES}
    config = _config(root / "astre.yaml")
    for index in range(n):
        example = EXAMPLES[index % len(EXAMPLES)]
        name = NAMES[(index // len(EXAMPLES)) % len(NAMES)]
        target = cases / f"{name.lower()}-{index:04d}"
        _copy(ROOT / "cases" / example, target, {example: target.name, example.split("-")[0].capitalize(): name})
        _refingerprint(config, target, up_to_date[example])
        if example != "dumont-2025" and rng.random() < edited:
            _complete_a_text(target / "bilans.yaml")
    return root


def _copy(source: Path, target: Path, renames: dict[str, str]) -> None:
    shutil.copytree(source, target)
    for path in [*target.glob("*.yaml"), *target.glob("envoyes/*.json")]:
        text = path.read_text(encoding="utf-8")
        for old, new in renames.items():
            text = text.replace(old, new)
        path.write_text(text, encoding="utf-8")


def _complete_a_text(bilans: Path) -> None:
    """Complete the first review's « difficultes » after it was sent (as dumont-2025's)."""
    text = bilans.read_text(encoding="utf-8")
    bilans.write_text(re.sub(r"(\n    difficultes: [^\n]*)", r"\1 Précisé après l'envoi.", text, count=1),
                      encoding="utf-8")


def _sent_records(config: object, folder: Path) -> list[tuple[Path, str]]:
    """Return each kept record of a case with the fingerprint of its document's data today."""
    from generator.checking.transmission import transmissions
    from generator.documents.archive import fingerprint, stem
    from generator.model.measure import as_of
    from generator.reading.cases import load_case
    from generator.reading.forms import load_form

    case = load_case(config.resources, folder)
    found = []
    for document in transmissions(case, config):  # type: ignore[arg-type]
        if document.sent:
            record = stem(folder, document.name, document.sent[-1]).with_suffix(".json")
            form = load_form(config.resources, document.form)
            if record.exists():
                found.append((record, fingerprint(as_of(case.restricted(form.files), document.day))))
    return found


def _config(path: Path) -> object:
    from generator.reading.config import load_config

    return load_config(path)


def _up_to_date_records(config: object, folder: Path) -> set[str]:
    """Return the names of the example's records whose fingerprint matches its data (not edited since)."""
    return {record.name for record, digest in _sent_records(config, folder)
            if json.loads(record.read_text(encoding="utf-8")).get("donnees_sha256") == digest}


def _refingerprint(config: object, folder: Path, up_to_date: set[str]) -> None:
    """Give a renamed copy's records the fingerprint of its data where its example's record was up to date."""
    for record, digest in _sent_records(config, folder):
        if record.name in up_to_date:
            data = json.loads(record.read_text(encoding="utf-8"))
            data["donnees_sha256"] = digest
            record.write_text(json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")


if __name__ == "__main__":
    import sys

    sys.path.insert(0, str(ROOT))
    target = make_history_cases(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "bench" / "_work" / "history",
                                int(sys.argv[2]) if len(sys.argv) > 2 else 10)
    print(target)
