"""The values of each document a form makes for a case, at the document's own date.

Read by the build (to draw the documents) and by `astre check` (to compare a sent copy with
what the files say now): both see the same values, computed once by generator.documents.context.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from ..model.measure import as_of, item_as_of, recipient_name, recipients_of
from ..model.wording import day
from ..reading.config import Config
from ..reading.forms import Form
from .context import ITEM_BUILDERS, case_context, text
from .forms import document_date


def document_values(case: Any, form: Form, config: Config,
                    contexts: dict[tuple[tuple[str, ...], date], dict[str, Any]] | None = None,
                    only: str | None = None) -> list[tuple[str, dict[str, Any], date, str]]:
    """Return (output name, render values, document date, title) of each document `form` makes for `case`.

    Each document shows the case as it stood on its own date (generator.model.measure): a review
    dated in February shows the aids as they were in February. `contexts` caches the shared
    values per (files, date). `only`: the one document wanted (`astre check` compares a sent one).
    """
    contexts = {} if contexts is None else contexts
    documents = []
    for suffix, item in form.items(case):
        name = form.output + (f"-{suffix}" if suffix else "")
        if only is not None and name != only:
            continue
        when = document_date(form, case, item)
        dated = as_of(case, when)
        key = (form.files, when)
        if key not in contexts:
            contexts[key] = case_context(dated, config)
        values = dict(contexts[key])
        if form.repeat is not None and item is not None:
            item = item_as_of(item, when)
            builder = ITEM_BUILDERS.get(form.repeat["nom"])
            values[form.repeat["nom"]] = (builder(dated, config, item) if builder else
                                          {k: text(v) for k, v in item.items() if not k.startswith("_")})
        values["document"] = {"titre": form.title, "date": _french(when),
                              "destinataires": recipients_text(dated, form.id, config)}
        title = f"{form.title} — {values['menage']['designation']}"
        documents.append((name, values, when, title))
    return documents


def recipients_text(case: Any, form_id: str, config: Config) -> str:
    """Return who receives this document, named (programme.destinataires; the SLISL of the case's MDS)."""
    sources = config.resources
    return ", ".join(recipient_name(sources, r, config.programme, case)
                     for r in recipients_of(sources, form_id, config.programme))


def _french(when: date) -> str:
    return day(when)

