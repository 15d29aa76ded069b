"""Form definitions (forms/<id>.yaml) as read: a document's title, templates, name and repetition.

A form declares its templates, its output name, how it repeats (one document
per review, per diagnostic request…), its readiness rules (Cerberus schemas, applied by
generator.documents.forms) and, for the documents the measure owes to the programme's
service, which one it is (`obligation`). Adding a document is a form file plus its
layout (forms/mises-en-page/, drawn as both templates by documents.layout): no Python.
Every document name comes from here (`Form.document_name`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from ..errors import FormError, UnknownFormError, YamlError
from .cases import CASE_FILES, Case
from .loader import load
from .resources import LABELS_NAME, Resources

# The documents a measure owes to the programme's service, by what they are (a form's `obligation`).
OBLIGATION_ROLES = ("contrat", "bilan_intermediaire", "bilan_final", "signalement_sortie", "signalement_changement")

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
    # What this document is among those the measure owes to the programme's service
    # (generator/model/obligations.py says when each is owed); other documents have none.
    "obligation": {"type": "string", "allowed": list(OBLIGATION_ROLES)},
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
    role: str | None = None  # its `obligation`, if the measure owes it to the programme's service
    layout: str = ""  # its layout, forms/mises-en-page/<layout>.yaml

    def document_name(self, item: dict[str, Any] | None = None, number: int | None = None) -> str:
        """Return the name of the document made from `item`, the `number`-th element of its list.

        As in out/<case>/ and envois.yaml: « contrat », « bilan-intermediaire-3-mois », « signalement-changement-2 ».
        """
        suffix = (self.repeat or {}).get("suffixe")
        raw = number if suffix == "numero" else (item or {}).get(suffix) if suffix else None
        return self.output + (f"-{slug(str(raw))}" if raw is not None else "")

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
            name = self.document_name(item, number)
            found.append((name[len(self.output) + 1:], item | {"_index": number - 1}))
        # Without a suffix there is a single document: the first matching element.
        return found if suffix else found[:1]


def slug(value: str) -> str:
    """Return a safe file-name part: « 3_mois » → « 3-mois »."""
    return re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-")[:40] or "x"


def form_ids(sources: Resources) -> list[str]:
    """Return every known form id, sorted."""
    ids = {p.stem for d in sources.dirs("forms") for p in d.glob("*.yaml") if p.name != LABELS_NAME}
    return sorted(ids)


def form_path(sources: Resources, form_id: str) -> Path:
    """Return the file of a form, or raise UnknownFormError listing the known forms."""
    if re.fullmatch(r"[a-z0-9][a-z0-9-]*", form_id):
        found = sources.find("forms", f"{form_id}.yaml")
        if found is not None:
            return found
    raise UnknownFormError(f"document inconnu « {form_id} » ; documents disponibles : "
                           f"{', '.join(form_ids(sources))}")


def load_form(sources: Resources, form_id: str) -> Form:
    """Load and check one form file; raise FormError (French) when it is invalid."""
    # Keyed by the forms' stamp: a form edited while watching is read again.
    return _load_form(form_path(sources, form_id), sources.stamp("forms", "*.yaml"))


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
                role=data.get("obligation"), layout=data.get("mise_en_page", path.stem))


def load_forms(sources: Resources, only: list[str] | None = None) -> list[Form]:
    """Load every form (or only the ids in `only`)."""
    if only:
        return [load_form(sources, form_id) for form_id in only]
    # Asked for each case and each document name: read once per version of the forms folders.
    return list(_every_form(sources, sources.stamp("forms", "*.yaml")))


@cache
def _every_form(sources: Resources, stamp: tuple[tuple[Path, int, int], ...]) -> tuple[Form, ...]:
    return tuple(load_form(sources, form_id) for form_id in form_ids(sources))




def owed_form(sources: Resources, role: str) -> Form:
    """Return the form of the document the measure owes as `role` (its `obligation`: contrat, bilan_final…)."""
    found = [form for form in load_forms(sources) if form.role == role]
    if len(found) != 1:
        declared = ", ".join(f"forms/{f.id}.yaml" for f in found) or "aucun formulaire"
        raise FormError(f"« obligation: {role} » doit être déclarée par un seul formulaire ({declared}) : "
                        f"ajoutez la ligne « obligation: {role} » au formulaire de ce document dans le dossier forms/ "
                        "de la structure (comme dans le formulaire d'astre), et retirez-la des autres")
    return found[0]


def form_of(sources: Resources, document: str) -> Form | None:
    """Return the form that makes the document named `document` (« bilan-intermediaire-3-mois »), if any."""
    forms = sorted(load_forms(sources), key=lambda f: len(f.output), reverse=True)  # the longest output name first
    for form in forms:
        if document == form.output or (form.repeat is not None and document.startswith(form.output + "-")):
            return form
    return None
