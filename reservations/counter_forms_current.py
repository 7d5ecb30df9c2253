"""The counter forms of the running app (the current knowledge generation's pack), read again when
that generation changes, and the print-out with the app's font setting. What the counter pages call:

    forms_for(["tennyu_todoke", "kokuho_kanyu"])          # [CounterForm], in the visit's order
    pdf = print_pdf(household, ["tennyu_todoke", "kokuho_kanyu"], lang="ja")   # bytes (application/pdf)

No font: core.pdf.PdfFontMissing (AppError, 503, a message in the reader's language).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from flask import current_app

from core.pack import PerGeneration
from reservations import counter_forms, form_pdf
from reservations.counter_forms import CounterForm

_forms: PerGeneration[dict[str, CounterForm]] = PerGeneration(lambda kb: counter_forms.load(kb.directory, kb=kb))


def forms() -> dict[str, CounterForm]:
    """The pack's counter forms by id ({} when it has none), read once per generation of the pack
    (an edit of counter_forms/ makes a new one: the holder watches every YAML file of the pack)."""
    return _forms.get()


def forms_for(procedure_ids: Iterable[str]) -> list[CounterForm]:
    """The paper forms the visit's procedures need, each once, in the visit's order."""
    return counter_forms.for_procedures(forms(), list(procedure_ids))


def print_pdf(household: Mapping[str, Any], procedure_ids: Iterable[str], *, lang: str = "ja",
              created: dt.datetime | None = None) -> bytes:
    """The forms of ``procedure_ids`` filled from ``household`` (one PDF; a blank page when no
    form serves them: check ``forms_for`` first to say so on the page)."""
    ids = list(procedure_ids)
    return form_pdf.render(forms_for(ids), household, lang=lang, procedures=ids,
                           font_path=current_app.config.get("PDF_FONT_PATH") or None, created=created)
