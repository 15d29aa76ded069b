"""Forms generated from the JSON Schemas in force, and the submitted form turned back into data.

No form is written by hand: each case file's schema (the structure's override if it has
one) gives the fields, their French titles and help, the French labels of coded values
(forms/libelles.yaml), date and number inputs, lists whose items are added, removed and
moved, and optional parts folded. Field names are the value's path (`membres.0.prenom`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..errors import Problem
from ..reading.resources import Resources
from ..reading.validate import field_path, resolved
from ..reading.validate import schema as load_schema

# A form never shows YAML: the schemas' advice on how to type a value in a file is left out.
_YAML_ADVICE = [
    re.compile(r",? ?entre guillemets(?: \([^)]*\))?"),
    re.compile(r" ?\(plusieurs lignes possibles avec « \| »\)"),
    re.compile(r" ?Une ligne « - » par élément\."),
    re.compile(r" ?\(AAAA-MM-JJ\)"),
    re.compile(r",? sans symbole ni espace"),
]
TEXTAREA_FROM = 1000  # a text allowed longer than this is typed in a multi-line box
MISSING = object()


@dataclass
class Field:
    """One field of a form, as the template draws it."""

    name: str  # the form name: the value's path, « membres.0.prenom »
    key: str
    title: str
    help: str
    kind: str  # text, textarea, integer, number, date, choice, boolean, choices, object, list
    value: Any = None
    required: bool = False
    options: list[tuple[str, str]] = field(default_factory=list)  # (value, French label)
    children: list[Field] = field(default_factory=list)  # an object's fields, a list's items
    messages: list[str] = field(default_factory=list)
    minimum: Any = None
    maximum: Any = None
    index: int | None = None  # position in its list

    @property
    def id(self) -> str:
        """Return the HTML id of the field."""
        return "f-" + self.name.replace(".", "-")

    @property
    def filled(self) -> bool:
        """True when the field or one below holds a value, or a message (an optional part is then unfolded)."""
        if self.messages:
            return True
        if self.children:
            return any(child.filled for child in self.children)
        return self.value not in (None, "", [])

    def messages_by_id(self) -> dict[str, list[str]]:
        """Return {field id: messages} of this field and every field below that has some."""
        found = {self.id: list(self.messages)} if self.messages else {}
        for child in self.children:
            found.update(child.messages_by_id())
        return found

    @property
    def all_messages(self) -> list[tuple[str, str]]:
        """Return (field id, message) of this field and every field below, in form order."""
        found = [(self.id, f"{self.title} : {m}") for m in self.messages]
        for child in self.children:
            found += child.all_messages
        return found


def help_text(description: str) -> str:
    """Return a schema description as form help: without the advice on YAML quoting."""
    text = description
    for advice in _YAML_ADVICE:
        text = advice.sub("", text)
    text = re.sub(r"^true si ", "Oui si ", text.strip())  # a yes/no field is a choice « Oui » / « Non » here
    return text


def _labels_for(sources: Resources, key: str, values: list[Any]) -> list[tuple[str, str]]:
    from ..scaffold.editor import enum_labels

    return list(zip((str(v) for v in values), enum_labels(sources, key, [str(v) for v in values]), strict=True))


def _name(path: tuple) -> str:
    return ".".join(str(step) for step in path)


def build(sources: Resources, schema_name: str, data: Any) -> list[Field]:
    """Return the fields of the form of the case file `schema_name`, filled with `data`."""
    root = load_schema(sources, schema_name)
    return _fields(sources, root, data if isinstance(data, dict) else {}, ())


def _fields(sources: Resources, node: dict[str, Any], data: dict[str, Any], path: tuple) -> list[Field]:
    required = set(node.get("required", []))
    return [_field(sources, resolved(sources, raw), data.get(key), path + (key,), key, key in required)
            for key, raw in node.get("properties", {}).items()]


def _field(sources: Resources, prop: dict[str, Any], value: Any, path: tuple, key: str, required: bool) -> Field:
    kind = prop.get("type")
    made = Field(_name(path), key, prop.get("title", key), help_text(prop.get("description", "")), "text", value,
                 required, index=path[-1] if isinstance(path[-1], int) else None)
    if kind == "object":
        made.kind = "object"
        made.children = _fields(sources, prop, value if isinstance(value, dict) else {}, path)
    elif kind == "array":
        item = resolved(sources, prop.get("items", {}))
        items = value if isinstance(value, list) else []
        if item.get("type") == "string" and "enum" in item:
            made.kind = "choices"
            made.options = _labels_for(sources, key, item["enum"])
            made.value = [str(v) for v in items]
        else:
            made.kind = "list"
            made.children = [_field(sources, item, element, path + (i,), key, True) for i, element in enumerate(items)]
            for position, child in enumerate(made.children, 1):
                child.title = f"{item.get('title', prop.get('title', key))} {position}"
    elif "enum" in prop:
        made.kind = "choice"
        made.options = _labels_for(sources, key, prop["enum"])
    elif kind == "boolean":
        made.kind = "boolean"
    elif kind in ("integer", "number"):
        made.kind = kind
        made.minimum, made.maximum = prop.get("minimum"), prop.get("maximum")
    elif prop.get("format") == "date":
        made.kind = "date"
    elif prop.get("maxLength", 0) > TEXTAREA_FROM or (isinstance(value, str) and "\n" in value):
        made.kind = "textarea"
    if value is not None and made.kind in ("text", "textarea", "date", "choice", "integer", "number", "boolean"):
        made.value = str(value).lower() if isinstance(value, bool) else str(value)
    return made


def attach(fields: list[Field], problems: list[Problem]) -> list[Problem]:
    """Put each problem's message beside the field it names; return the problems that name no field."""
    by_path: dict[str, Field] = {}

    def index(found: list[Field]) -> None:
        for one in found:
            by_path[field_path(tuple(int(s) if s.isdigit() else s for s in one.name.split(".")))] = one
            index(one.children)

    index(fields)
    left = []
    for problem in problems:
        head = problem.message.split(" : ", 1)[0]
        target = by_path.get(head)
        if target is None:
            left.append(problem)
            continue
        target.messages.append(problem.message.split(" : ", 1)[1] + (f" — {problem.hint}" if problem.hint else ""))
    return left


def focus_after(fields: list[Field], action: str) -> str:
    """Return the id of the field to focus after a list button: the first field of the element added or moved."""
    verb, _, where = action.partition(":")
    if not verb:
        return ""
    steps = where.split(".")
    if verb in ("monter", "descendre") and steps[-1].isdigit():
        steps[-1] = str(int(steps[-1]) + (-1 if verb == "monter" else 1))
    target = _find(fields, ".".join(steps[:-1]) if verb != "ajouter" else where)
    if target is None or not target.children:
        return ""
    element = target.children[-1] if verb == "ajouter" else next(
        (c for c in target.children if c.name == ".".join(steps)), None)
    while element is not None and element.children:
        element = element.children[0]
    return element.id if element is not None else ""


def _find(fields: list[Field], name: str) -> Field | None:
    for one in fields:
        if one.name == name:
            return one
        found = _find(one.children, name)
        if found is not None:
            return found
    return None


# ---------------------------------------------------------------- the submitted form back to data

def parse(sources: Resources, schema_name: str, form: Any) -> dict[str, Any]:
    """Return the data a submitted form holds (`form`: a multi-dict, as Starlette's)."""
    value = _parse(sources, load_schema(sources, schema_name), form, ())
    return value if isinstance(value, dict) else {}


def _parse(sources: Resources, prop: dict[str, Any], form: Any, path: tuple) -> Any:
    name = _name(path)
    kind = prop.get("type")
    if kind == "object":
        found = {}
        for key, raw in prop.get("properties", {}).items():
            value = _parse(sources, resolved(sources, raw), form, path + (key,))
            if value is not MISSING:
                found[key] = value
        return found if found or not path else MISSING
    if kind == "array":
        item = resolved(sources, prop.get("items", {}))
        if item.get("type") == "string" and "enum" in item:
            chosen = [v for v in form.getlist(name) if v in item["enum"]]
            return chosen if chosen else MISSING
        try:
            count = min(int(form.get(f"{name}.__n", "0")), 1000)
        except ValueError:
            count = 0
        items = [_parse(sources, item, form, path + (i,)) for i in range(count)]
        kept = [v for v in items if v is not MISSING]
        return kept if kept else MISSING
    raw = form.get(name)
    if raw is None or not str(raw).strip():
        return MISSING
    text = str(raw).replace("\r\n", "\n")
    if kind == "boolean":
        return {"true": True, "false": False}.get(text, text)
    if kind in ("integer", "number"):
        cleaned = text.strip()
        try:
            number = float(cleaned)
        except ValueError:
            return cleaned  # astre's own message will say a number is expected
        if number.is_integer() and (kind == "integer" or "." not in cleaned):
            return int(number)
        return number
    if "\n" not in text:
        text = text.strip()
    return text


def apply_action(data: dict[str, Any], action: str) -> dict[str, Any]:
    """Apply a list button of the form (« ajouter:membres », « retirer:membres.1 », « monter:… », « descendre:… »)."""
    verb, _, where = action.partition(":")
    steps: list[Any] = [int(s) if s.isdigit() else s for s in where.split(".") if s]
    if not steps:
        return data
    if verb == "ajouter":
        parent = _container(data, steps[:-1], create=True)
        if isinstance(parent, dict):
            target = parent.setdefault(steps[-1], [])
            if isinstance(target, list):
                target.append({})
        return data
    parent = _container(data, steps[:-1], create=False)
    index = steps[-1]
    if not isinstance(parent, list) or not isinstance(index, int) or not 0 <= index < len(parent):
        return data
    if verb == "retirer":
        del parent[index]
    elif verb == "monter" and index > 0:
        parent[index - 1], parent[index] = parent[index], parent[index - 1]
    elif verb == "descendre" and index + 1 < len(parent):
        parent[index + 1], parent[index] = parent[index], parent[index + 1]
    return data


def _container(data: Any, steps: list[Any], create: bool) -> Any:
    node = data
    for step in steps:
        if isinstance(node, dict):
            if step not in node and create:
                node[step] = {}
            node = node.get(step)
        elif isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
            node = node[step]
        else:
            return None
    return node


def prune(value: Any) -> Any:
    """Return `value` without the empty items a list button added and nobody filled."""
    if isinstance(value, dict):
        return {k: kept for k, v in value.items() if (kept := prune(v)) not in ({}, [])}
    if isinstance(value, list):
        return [kept for v in value if (kept := prune(v)) not in ({}, [], None)]
    return value
