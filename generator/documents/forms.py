"""Form definitions (forms/<id>.yaml): what a document needs, and how it is drawn.

A form declares its templates, its output name, how it repeats (one document
per review, per diagnostic request…) and its readiness rules as Cerberus
schemas applied to the case data `{file name: data}`. Adding a document is
a form file plus its layout (forms/mises-en-page/, drawn as both templates by
documents.layout): no Python.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from ..errors import FormError, Problem, RenderError, UnknownFormError, YamlError
from ..model.wording import LABELS_NAME
from ..reading import resources
from ..reading.cases import CASE_FILES, Case
from ..reading.config import Config
from ..reading.loader import load

# The shape of a form file itself, checked with Cerberus too.
_FORM_SCHEMA: dict[str, Any] = {
    "titre": {"type": "string", "required": True, "empty": False},
    "description": {"type": "string"},
    "modeles": {"type": "dict", "required": True, "schema": {
        "docx": {"type": "string", "required": True, "regex": r"[\w.-]+\.docx"},
        "html": {"type": "string", "required": True, "regex": r"[\w.-]+\.html"}}},
    "sortie": {"type": "string", "regex": r"[a-z0-9][a-z0-9-]*"},
    # forms/mises-en-page/<nom>.yaml, drawn as both templates unless the structure has its own files.
    "mise_en_page": {"type": "string", "regex": r"[a-z0-9][a-z0-9-]*"},
    "date_document": {"type": "list", "required": True, "minlength": 1, "schema": {"type": "string"}},
    "repetition": {"type": "dict", "schema": {
        "liste": {"type": "string", "required": True, "regex": r"\w+\.\w+"},
        "nom": {"type": "string", "required": True, "regex": r"[a-z_]+"},
        "filtre": {"type": "dict", "valuesrules": {"type": "list"}},
        "exclure": {"type": "dict", "valuesrules": {"type": "list"}},
        "suffixe": {"type": "string"},
        "absent": {"type": "string", "required": True},
        "conseil": {"type": "string"}}},
    "exigences": {"type": "dict", "required": True},
    "exigences_element": {"type": "dict"},
    # The case files the document shows: only their changes rebuild it.
    "fichiers": {"type": "list", "minlength": 1, "schema": {"type": "string", "allowed": list(CASE_FILES)}},
}


@dataclass(frozen=True)
class Form:
    """One document type, loaded from forms/<id>.yaml."""

    id: str
    path: Path
    title: str
    docx: str
    html: str
    output: str
    date_paths: tuple[str, ...]
    requirements: dict[str, Any]
    item_requirements: dict[str, Any] | None = None
    repeat: dict[str, Any] | None = field(default=None)
    files: tuple[str, ...] = tuple(CASE_FILES)
    layout: str = ""

    def document_date(self, case: Case, item: dict[str, Any] | None) -> date:
        """Return the date of the document made from `item` (its `date_document` paths, first found)."""
        from ..model.timeline import parse

        for dotted in self.date_paths:
            head, *rest = dotted.split(".")
            value: Any = item if head == "element" else case.get(head)
            for step in rest:
                value = value.get(step) if isinstance(value, dict) else None
            if parse(value):
                return parse(value)  # type: ignore[return-value]
        raise RenderError(f"{self.title} : aucune date de document (cherchée dans {', '.join(self.date_paths)})")

    def documents(self, case: Case) -> list[tuple[str, dict[str, Any] | None]]:
        """Return (document name, element) of each document of this form in `case` (as in out/<case>/)."""
        return [(self.output + (f"-{suffix}" if suffix else ""), item) for suffix, item in self.items(case)]

    def items(self, case: Case) -> list[tuple[str, dict[str, Any] | None]]:
        """Return (output suffix, element) for each document of this form in `case`."""
        if self.repeat is None:
            return [("", None)]
        name, key = self.repeat["liste"].split(".", 1)
        listing = case.get(name).get(key) or []
        wanted = self.repeat.get("filtre") or {}
        unwanted = self.repeat.get("exclure") or {}
        suffix = self.repeat.get("suffixe")
        found: list[tuple[str, dict[str, Any] | None]] = []
        for number, item in enumerate(listing, start=1):
            if not isinstance(item, dict) or any(item.get(k) not in v for k, v in wanted.items()) \
                    or any(item.get(k) in v for k, v in unwanted.items()):
                continue
            raw = number if suffix == "numero" else item.get(suffix) if suffix else None
            found.append((slug(str(raw)) if raw is not None else "", item | {"_index": number - 1}))
        # Without a suffix there is a single document: the first matching element.
        return found if suffix else found[:1]


def slug(value: str) -> str:
    """Return a safe file-name part: « 3_mois » → « 3-mois »."""
    return re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-")[:40] or "x"


def forms_dirs(config: Config | None = None) -> list[Path]:
    """Return the folders searched for forms: the structure's own first, then the toolkit's."""
    return list(resources.current().dirs("forms"))


def form_ids(config: Config | None = None) -> list[str]:
    """Return every known form id, sorted."""
    ids = {p.stem for d in forms_dirs(config) for p in d.glob("*.yaml") if p.name != LABELS_NAME}
    return sorted(ids)


def form_path(form_id: str, config: Config | None = None) -> Path:
    """Return the file of a form, or raise UnknownFormError listing the known forms."""
    if re.fullmatch(r"[a-z0-9][a-z0-9-]*", form_id):
        for folder in forms_dirs(config):
            path = folder / f"{form_id}.yaml"
            if path.is_file():
                return path
    raise UnknownFormError(f"document inconnu « {form_id} » ; documents disponibles : {', '.join(form_ids(config))}")


def load_form(form_id: str, config: Config | None = None) -> Form:
    """Load and check one form file; raise FormError (French) when it is invalid."""
    # Keyed by the forms' stamp: a form edited while watching is read again.
    return _load_form(form_path(form_id, config), resources.current().stamp("forms", "*.yaml"))


@cache
def _load_form(path: Path, stamp: tuple[tuple[Path, int, int], ...]) -> Form:
    from cerberus import SchemaError, Validator

    try:
        data = load(path).data
    except YamlError as e:
        raise FormError(f"définition de document illisible : {e}") from None
    checker = Validator(_FORM_SCHEMA)
    if not isinstance(data, dict) or not checker.validate(data):
        details = "; ".join(f"{k} : {v}" for k, v in (checker.errors.items() if isinstance(data, dict) else []))
        details = details or "une suite de champs est attendue"
        raise FormError(f"{path} : définition de document invalide ({details})")
    for key in ("exigences", "exigences_element"):
        if data.get(key) is not None:
            try:
                Validator(data[key], allow_unknown=True)
            except SchemaError as e:
                raise FormError(f"{path} : règles « {key} » invalides pour Cerberus ({e})") from None
    return Form(id=path.stem, path=path, title=data["titre"], docx=data["modeles"]["docx"],
                html=data["modeles"]["html"],
                output=data.get("sortie", path.stem), date_paths=tuple(data["date_document"]),
                requirements=data["exigences"], item_requirements=data.get("exigences_element"),
                repeat=data.get("repetition"), files=tuple(data.get("fichiers") or CASE_FILES),
                layout=data.get("mise_en_page", path.stem))


def load_forms(config: Config | None, only: list[str] | None = None) -> list[Form]:
    """Load every form (or only the ids in `only`)."""
    return [load_form(form_id, config) for form_id in (only or form_ids(config))]


def template_path(kind: str, name: str, config: Config | None) -> Path:
    """Return a template, from the structure's override folder first, then the toolkit's."""
    for root in template_roots(config):
        path = root / kind / name
        if path.is_file():
            return path
    raise FormError(f"modèle introuvable : {kind}/{name} (cherché dans "
                    f"{', '.join(str(r / kind) for r in template_roots(config))})")


def template_roots(config: Config | None = None) -> list[Path]:
    """Return the template folders, in lookup order (the structure's own first)."""
    return list(resources.current().dirs("templates"))


def case_data(case: Case) -> dict[str, Any]:
    """Return the case as Cerberus sees it: {file name: data}."""
    return {name: case.get(name) for name in case.documents}


def readiness_problems(case: Case, form_id: str, config: Config, today: date | None = None) -> list[Problem]:
    """Return, in French, what `case` still lacks to produce the document `form_id`."""
    form = load_form(form_id, config)
    return check_form(case, form)


def check_form(case: Case, form: Form) -> list[Problem]:
    """Return what the case lacks for `form` (empty: every document of the form can be made)."""
    from cerberus import Validator

    case = case.restricted(form.files)  # a requirement on an undeclared file fails visibly
    prefix = f"{form.title} : "
    problems: list[Problem] = []
    validator = Validator(form.requirements, allow_unknown=True)
    if not validator.validate(case_data(case)):
        for error in _leaf_errors(validator._errors):
            problems.append(_problem(case, form.requirements, error, prefix))
    if form.repeat is not None and not problems:
        items = form.items(case)
        if not items:
            name = form.repeat["liste"].split(".", 1)[0]
            path, line, column = case.locate(name)
            problems.append(Problem(path, line, column, prefix + form.repeat["absent"], form.repeat.get("conseil"),
                                    code="document"))
        elif form.item_requirements:
            name, key = form.repeat["liste"].split(".", 1)
            item_validator = Validator(form.item_requirements, allow_unknown=True)
            for _, item in items:
                assert item is not None
                if not item_validator.validate(item):
                    base = (name, key, item["_index"])
                    for error in _leaf_errors(item_validator._errors):
                        error.document_path = base + tuple(error.document_path)
                        error.schema_path = ("__item__", *error.schema_path)
                        problems.append(_problem(case, {"__item__": {"schema": form.item_requirements}}, error, prefix,
                                                 base_schema=(name, key)))
    return problems


def _leaf_errors(errors: Any) -> list[Any]:
    leaves = []
    for error in errors:
        if error.is_group_error:
            leaves.extend(_leaf_errors(error.child_errors))
        else:
            leaves.append(error)
    return leaves


def _meta(schema: dict[str, Any], schema_path: tuple) -> dict[str, Any]:
    node: Any = schema
    for step in schema_path[:-1]:
        node = node.get(step, {}) if isinstance(node, dict) else {}
    return node.get("meta", {}) if isinstance(node, dict) else {}


_MESSAGES = {
    "required": "« {field} » manquant",
    "empty": "« {field} » est vide",
    "nullable": "« {field} » est vide",
    "minlength": "« {field} » : il faut au moins {constraint} élément(s)",
    "allowed": "« {field} » doit valoir : {constraint}",
    "forbidden": "« {field} » ne doit pas valoir {constraint}",
}


def _problem(case: Case, schema: dict[str, Any], error: Any, prefix: str,
             base_schema: tuple = ()) -> Problem:
    doc_path = tuple(error.document_path)
    name, where = str(doc_path[0]), doc_path[1:]
    meta = _meta(schema, tuple(error.schema_path))
    shown = ".".join(str(s) for s in (where if where else ()) if not isinstance(s, int)) or name
    if "message" in meta:
        message = meta["message"]
    else:
        constraint = error.constraint
        if isinstance(constraint, list):
            constraint = ", ".join(str(c) for c in constraint)
        message = _MESSAGES.get(error.rule, "« {field} » ne convient pas pour ce document").format(
            field=f"{name}.yaml : {shown}", constraint=constraint)
    hint = meta.get("conseil")
    if error.rule == "required" or name not in case.documents:
        if name not in case.documents and not where:
            hint = hint or f"créez {name}.yaml (modèle : « astre new »)"
        path, line, column = case.locate(name, where[:-1]) if where else case.locate(name)
    else:
        path, line, column = case.locate(name, where)
    return Problem(path, line, column, prefix + message, hint or "complétez le dossier puis relancez « astre build »",
                   code="document")

