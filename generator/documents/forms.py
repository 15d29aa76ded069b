"""What a document needs and where its templates are: readiness of a case for a form, templates look-up.

The forms themselves are read by generator.reading.forms; here, their Cerberus readiness
rules are applied to the case data `{file name: data}`, a document's date is found, and
its templates are looked up (the structure's own first).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from ..commands import command
from ..errors import FormError, Problem, RenderError
from ..model.timeline import parse
from ..reading.cases import Case
from ..reading.config import Config
from ..reading.forms import Form, load_form
from ..reading.resources import Resources


def document_date(form: Form, case: Case, item: dict[str, Any] | None) -> date:
    """Return the date of the document of `form` made from `item` (its `date_document` paths, first found)."""
    for dotted in form.date_paths:
        head, *rest = dotted.split(".")
        value: Any = item if head == "element" else case.get(head)
        for step in rest:
            value = value.get(step) if isinstance(value, dict) else None
        if parse(value):
            return parse(value)  # type: ignore[return-value]
    raise RenderError(f"{form.title} : aucune date de document (cherchée dans {', '.join(form.date_paths)})")


def template_path(kind: str, name: str, config: Config) -> Path:
    """Return a template, from the structure's override folder first, then the toolkit's."""
    for root in template_roots(config):
        path = root / kind / name
        if path.is_file():
            return path
    raise FormError(f"modèle introuvable : {kind}/{name} (cherché dans "
                    f"{', '.join(str(r / kind) for r in template_roots(config))})")


def template_roots(config: Config) -> list[Path]:
    """Return the template folders, in lookup order (the structure's own first)."""
    return list(config.resources.dirs("templates"))


def case_data(case: Case) -> dict[str, Any]:
    """Return the case as Cerberus sees it: {file name: data}."""
    return {name: case.get(name) for name in case.documents}


def readiness_problems(sources: Resources, case: Case, form_id: str) -> list[Problem]:
    """Return, in French, what `case` still lacks to produce the document `form_id`."""
    form = load_form(sources, form_id)
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
    if name not in case.documents and not where:
        return _unread_file(case, name, prefix, hint)
    if error.rule == "required" or name not in case.documents:
        path, line, column = case.locate(name, where[:-1]) if where else case.locate(name)
    else:
        path, line, column = case.locate(name, where)
    return Problem(path, line, column, prefix + message,
                   hint or f"complétez le dossier puis relancez « {command('build')} »", code="document")


def _unread_file(case: Case, name: str, prefix: str, hint: str | None) -> Problem:
    """Return why a document lacks a whole case file: it does not load (said where), is still empty, or is absent."""
    path = case.folder / f"{name}.yaml"
    broken = next((p for p in case.problems if p.path == path and p.severity == "erreur"
                   and p.code in ("yaml", "fichier")), None)
    if broken is not None:
        return Problem(path, broken.line, broken.column,
                       f"{prefix}{name}.yaml ne se lit pas ({broken.message}) : ce document ne peut pas être vérifié",
                       "corrigez d'abord cette erreur (ligne et colonne indiquées), puis relancez", code="document")
    if path.is_file():
        return Problem(path, 1, 1, f"{prefix}{name}.yaml est encore vide",
                       hint or "retirez le « # » devant les champs marqués « obligatoire » et remplissez-les",
                       code="document")
    return Problem(path, None, None, f"{prefix}{name}.yaml manquant",
                   hint or f"créez {name}.yaml (modèle : « {command('new', '<identifiant>')} »)", code="document")

