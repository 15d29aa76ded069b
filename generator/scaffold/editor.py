"""The editor's copy of the schemas, inside the structure's repository, in French.

VS Code's YAML extension (yaml-language-server) reads the `# yaml-language-server:
$schema=…` line at the top of each case file. That line must resolve in every clone
of the structure's repository, on every machine, and after every upgrade of astre:
so it points to `.astre/schemas/`, a copy that `astre init` writes, `astre upgrade`
refreshes, and the structure versions with its cases (relative paths only).

The copy is the schemas in force (the structure's overrides included), plus what
only an editor reads: the French label of each coded value in completion
(`markdownEnumDescriptions`, from forms/libelles.yaml), a French message for a
value of the wrong form (`patternErrorMessage`) instead of the raw regular expression,
and French messages worded like `astre check`'s (`errorMessage`) for a value of the
wrong type or outside its list, an unknown field and a missing required one.

yaml-language-server shows a node's `errorMessage` for every error of that node, and has
no field name to put in it: so each message names its field and says everything the node
demands, and each required field is demanded by its own `allOf` part, with its own message.
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

from .. import __version__
from ..reading import resources
from ..reading.config import Config
from ..reading.resources import Resources
from ..reading.validate import schema, schema_files

EDITOR_DIR = resources.EDITOR_DIR
# The date pattern of schemas/commun.schema.json, said in French.
DATE_MESSAGE = "Date au format AAAA-MM-JJ (années 1900 à 2099), par exemple 2026-03-12."


def schemas_dir(config: Config) -> Path:
    """Return where `$schema` lines point: the repository's editor copy, else the schemas in force."""
    copy_dir = config.root / EDITOR_DIR
    if copy_dir.is_dir():
        return copy_dir
    in_force = config.resources.dirs("schemas")[0]
    if in_force.is_relative_to(config.root):
        return in_force  # the toolkit's own clone: its schemas/ folder is in the repository
    write_schemas(config.resources, config.root)  # never a path into the installed package: it differs on every machine
    return copy_dir


def editor_schemas(sources: Resources) -> dict[str, str]:
    """Return {file name: JSON text} of every schema as the editor should read it."""
    from ..model.wording import labels

    families = labels(sources)
    return {f"{name}.schema.json": json.dumps(_annotate(sources, copy.deepcopy(schema(sources, name)), families),
                                              ensure_ascii=False, indent=2) + "\n"
            for name in schema_files(sources)}


def write_schemas(sources: Resources, root: Path, notes: list[str] | None = None) -> list[Path]:
    """Write the editor copy under `root`; return the files that changed (none when up to date).

    The copy is astre's (`astre upgrade` refreshes it): a file of it that differs is replaced.
    A schema astre does not know is the structure's: kept, and said in `notes`. Nothing is
    written through a link leading out of the repository.
    """
    from ..documents.writer import write_atomic
    from ..errors import UsageError
    from ..reading.loader import is_inside

    folder = root / EDITOR_DIR
    for where in (root / EDITOR_DIR.parts[0], folder):
        if os.path.lexists(where) and not is_inside(where, root):
            raise UsageError(f"{where} est un lien hors du dépôt : astre n'écrit pas au travers ; remplacez-le "
                             "par un vrai dossier")
        if os.path.lexists(where) and not where.is_dir():
            raise UsageError(f"{where} est un fichier, là où astre garde les schémas de l'éditeur : renommez-le "
                             "ou supprimez-le, puis relancez")
    folder.mkdir(parents=True, exist_ok=True)
    wanted = editor_schemas(sources)
    changed = []
    for name, text in wanted.items():
        path = folder / name
        data = text.encode("utf-8")
        if path.is_symlink() or not path.is_file() or _read(path) != data:
            write_atomic(path, data)
            changed.append(path)
    for stale in sorted(folder.glob("*.schema.json")):
        if stale.name not in wanted and notes is not None:
            notes.append(f"{stale.relative_to(root)} : schéma inconnu d'astre {__version__}, gardé tel quel "
                         "(supprimez-le s'il ne sert plus)")
    return changed


def _read(path: Path) -> bytes | None:
    from ..errors import YamlError
    from ..reading.loader import read_bounded

    try:
        return read_bounded(path, 4 * 1024 * 1024)
    except YamlError:
        return None


def _annotate(sources: Resources, node: Any, families: dict[str, dict[str, str]], key: str = "",
              field: str = "") -> Any:
    """Add the editor-only keywords to every schema node below `node` (`field`: its name in a case file)."""
    if isinstance(node, list):
        return [_annotate(sources, item, families, key, field) for item in node]
    if not isinstance(node, dict):
        return node
    message = _error_message(sources, node, field)
    if message is not None and "errorMessage" not in node:
        node["errorMessage"] = message
        if field and node.get("format") == "date":  # the date's own message, naming the field
            node["patternErrorMessage"] = message
    enum = node.get("enum")
    if isinstance(enum, list) and enum and all(isinstance(v, str) for v in enum):
        family = _family(key, enum, families)
        if family is not None:
            node["markdownEnumDescriptions"] = [families[family].get(v, v) for v in enum]
    if "pattern" in node and "patternErrorMessage" not in node:
        node["patternErrorMessage"] = (DATE_MESSAGE if node.get("format") == "date"
                                       else f"Forme attendue : {node.get('description', node.get('title', ''))}")
    for name, value in node.items():
        if name == "properties" and isinstance(value, dict):
            for prop, sub in value.items():
                # The shared definition copied in: the editor prefers its messages, which cannot name the field.
                value[prop] = _annotate(sources, copy.deepcopy(_shape(sources, sub)) if isinstance(sub, dict) else sub,
                                        families, prop, prop)
        elif name == "$defs" and isinstance(value, dict):
            for prop, sub in value.items():
                _annotate(sub, families, prop)
        elif name == "items":
            _annotate(sources, value, families, key, f"élément de {field}" if field else "")
        elif isinstance(value, (dict, list)) and name not in ("enum", "markdownEnumDescriptions", "required"):
            _annotate(sources, value, families, key, field)
    required = node.get("required")
    if isinstance(required, list) and required and isinstance(node.get("properties"), dict):
        # One part per required field: its message can name it (the node's own errorMessage cannot).
        del node["required"]
        node.setdefault("allOf", []).extend(
            {"required": [name], "errorMessage": _missing_message(sources, name, node["properties"].get(name), field)}
            for name in required)
    return node


def _shape(sources: Resources, node: dict[str, Any]) -> dict[str, Any]:
    """Return the node with its `$ref` target's keywords under its own (what the editor validates)."""
    from ..reading.validate import resolved

    return resolved(sources, node)


def _error_message(sources: Resources, node: dict[str, Any], field: str) -> str | None:
    """Return the French message of every error of a node that has a type, as `astre check` words it."""
    shape = _shape(sources, node)
    kind = shape.get("type")
    if not isinstance(kind, str):
        return None
    name = f"{field} : " if field else ""
    enum = shape.get("enum")
    if isinstance(enum, list) and enum:
        return f"{name}valeur non prévue — valeurs possibles : " + ", ".join(str(v) for v in enum)
    if kind == "string" and shape.get("format") == "date":
        return f"{name}date invalide — écrivez une date qui existe au format AAAA-MM-JJ, par exemple 2026-03-12"
    if kind == "string":
        length = ""
        if shape.get("minLength"):
            length = f" (non vide, {shape['maxLength']} caractères au plus)" if "maxLength" in shape else " (non vide)"
        elif "maxLength" in shape:
            length = f" ({shape['maxLength']} caractères au plus)"
        return (f"{name}un texte attendu{length} — mettez-le entre guillemets s'il commence par un chiffre ou "
                "« + », ou s'il contient « : »")
    if kind in ("number", "integer"):
        bounds = [f"au moins {shape['minimum']}" if "minimum" in shape else "",
                  f"au plus {shape['maximum']}" if "maximum" in shape else ""]
        within = f" ({', '.join(b for b in bounds if b)})" if any(bounds) else ""
        if kind == "integer":
            return f"{name}un nombre entier attendu{within} — écrivez seulement des chiffres, par exemple 2026"
        return (f"{name}un nombre attendu{within} — écrivez seulement des chiffres, point décimal, sans espace "
                "ni « € », par exemple 2640 ou 2640.50")
    if kind == "boolean":
        return f"{name}true ou false attendu — écrivez true (oui) ou false (non)"
    if kind == "array":
        least = f" (au moins {shape['minItems']} élément)" if shape.get("minItems") else ""
        return f"{name}une liste attendue{least} — écrivez chaque élément sur sa ligne, précédé de « - »"
    if kind == "object":
        fields = ", ".join(shape.get("properties", {}))
        return (f"{name}champ inconnu ou rubrique mal écrite — champs possibles ici : {fields} ; écrivez-les "
                "en dessous, indentés de deux espaces" if fields else None)
    return None


def _missing_message(sources: Resources, name: str, prop: Any, field: str) -> str:
    """Return the message of a missing required field, as `astre check` words it."""
    title = _shape(sources, prop).get("title", name) if isinstance(prop, dict) else name
    where = f" dans « {field} »" if field else ""
    return f"{name} : champ obligatoire manquant ({title}) — ajoutez la ligne « {name}: … »{where}"


def _family(key: str, values: list[str], families: dict[str, dict[str, str]]) -> str | None:
    """Return the labels family of an enum: the one named like its field, else the one with all its values."""
    if key in families and set(values) <= set(families[key]):
        return key
    fitting = [name for name, labels in families.items() if set(values) <= set(labels)]
    # The smallest family that has every value is the closest list (statut_mesure, not a catch-all).
    return min(fitting, key=lambda name: (len(families[name]), name)) if fitting else None


def enum_labels(sources: Resources, key: str, values: list[str]) -> list[str]:
    """Return the French label of each coded value of the field `key` (the value itself when it has none)."""
    from ..model.wording import labels

    families = labels(sources)
    family = _family(key, values, families)
    return [families[family].get(v, v) if family else v for v in values]
