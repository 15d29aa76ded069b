"""`astre new`: create a case folder of commented files, generated from the schemas.

Every field is commented out, required ones included: a new case holds only what is known
(nothing yet), so neither the editor nor the commit hook reports an error until the référent
starts filling it in; then each file says what it still lacks. The comment of a required
field says « obligatoire ».
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import CaseExistsError, UsageError, os_reason
from ..reading.cases import CASE_FILES, check_id
from ..reading.resources import Resources
from ..reading.validate import resolved
from ..reading.validate import schema as load_schema


def _comment(prop: dict[str, Any], required: bool) -> str:
    text = f"{prop.get('title', '')}{' (obligatoire)' if required else ''} : {prop.get('description', '')}".strip(" :")
    if "enum" in prop:
        text += " Valeurs : " + ", ".join(str(v) for v in prop["enum"]) + "."
    return text


def _lines(sources: Resources, node: dict[str, Any], indent: int, file_required: bool) -> list[str]:
    """Return the commented lines of a node's fields; « obligatoire » only where a filled file needs the field."""
    lines: list[str] = []
    required = set(node.get("required", []))
    for key, raw in node.get("properties", {}).items():
        prop = resolved(sources, raw)
        needed = file_required and key in required
        pad = " " * indent
        lines.append(f"{pad}# {_comment(prop, needed)}")
        kind = prop.get("type")
        if kind == "object":
            lines.append(f"{pad}# {key}:")
            lines.extend(_lines(sources, prop, indent + 2, needed))
        elif kind == "array":
            item = resolved(sources, prop["items"])
            lines.append(f"{pad}# {key}:" + ("" if item.get("type") == "object" else " []"))
            if item.get("type") == "object":
                # One example element; its first field carries the « - » that starts the element.
                sub = _lines(sources, item, indent + 4, needed)
                first_key = next(iter(item["properties"]))
                first = sub.index(f"{' ' * (indent + 4)}# {first_key}:")
                sub[first - 1] = f"{pad}  {sub[first - 1].strip()}"
                sub[first] = f"{pad}  # - {first_key}:"
                lines.extend(sub)
        else:
            lines.append(f"{pad}# {key}:")
    return lines


def skeleton(sources: Resources, name: str, case_folder: Path, schemas_dir: Path) -> str:
    """Return the commented blank content of one case file, its `$schema` line relative to `schemas_dir`."""
    schema_path = os.path.relpath(schemas_dir / f"{name}.schema.json", case_folder)
    head = [f"# yaml-language-server: $schema={Path(schema_path).as_posix()}",
            f"# {load_schema(sources, name)['title']} — {load_schema(sources, name)['description']}",
            "# Les lignes qui commencent par « # » sont des commentaires : retirez le « # » pour remplir un champ.",
            ""]
    # Only comments: an empty file counts as « not yet filled » (see checking.check, draft mode).
    return "\n".join(head + _lines(sources, load_schema(sources, name), 0, CASE_FILES[name])) + "\n"


def new_case(sources: Resources, cases_dir: Path, case_id: str, schemas_dir: Callable[[], Path]) -> Path:
    """Create `cases_dir/<case_id>/` with one commented file per concern; refuse an existing id.

    `schemas_dir` is where the editor finds the schemas, inside the structure's repository
    (editor.schemas_dir, asked only once the id is accepted: a refused id writes nothing),
    so that the `$schema` lines resolve in any clone.
    """
    check_id(case_id)
    target = cases_dir / case_id
    if target.is_symlink() and not target.exists():
        raise CaseExistsError(f"{target} est un lien vers {os.readlink(target)}, qui n'existe plus : supprimez ce "
                              "lien ou choisissez un autre identifiant")
    if target.exists():
        raise CaseExistsError(f"le dossier {target} existe déjà : choisissez un autre identifiant "
                              "(par exemple en ajoutant l'année : « dupont-2026 »)")
    if not cases_dir.is_dir():
        raise UsageError(f"{cases_dir} : dossier des dossiers introuvable (voir « cases_dir » dans astre.yaml)")
    staging: Path | None = None
    try:
        staging = Path(tempfile.mkdtemp(prefix=".new-", dir=cases_dir))
        schemas = schemas_dir()  # may write the editor copy: only once cases/ took the staging folder
        for name in CASE_FILES:
            text = skeleton(sources, name, target, schemas)
            if name == "mesure":
                text = text.replace("\n# identifiant:", f"\n# identifiant: {case_id}", 1)
            (staging / f"{name}.yaml").write_text(text, encoding="utf-8")
        os.rename(staging, target)  # atomic: a half-created case never appears (nor replaces anything)
    except BaseException as e:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        if isinstance(e, OSError):
            raise UsageError(f"impossible de créer le dossier {target} : {os_reason(e)} ; vérifiez que vous pouvez "
                             f"écrire dans {cases_dir}") from None
        raise
    return target
