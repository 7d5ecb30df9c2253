"""The counter forms of the running app (the current knowledge generation's pack), read again when
that generation changes or a file of counter_forms/ is edited, and the print-out with the app's
font setting. What the counter pages call:

    forms_for(["tennyu_todoke", "kokuho_kanyu"])          # [CounterForm], in the visit's order
    pdf = print_pdf(household, ["tennyu_todoke", "kokuho_kanyu"], lang="ja")   # bytes (application/pdf)

No font: core.pdf.PdfFontMissing (AppError, 503, a message in the reader's language).
"""
from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable, Mapping
from typing import Any

from flask import current_app

from core.pack import rulebook
from reservations import counter_forms, form_pdf
from reservations.counter_forms import CounterForm

_lock = threading.Lock()
_cache: dict[tuple, dict[str, CounterForm]] = {}


def forms() -> dict[str, CounterForm]:
    """The pack's counter forms by id ({} when it has none)."""
    kb = rulebook().kb
    folder = kb.directory / counter_forms.FOLDER
    stamp = tuple(sorted((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in folder.glob("*.yaml"))) \
        if folder.is_dir() else ()
    key = (current_app.config["MUNICIPALITY"], str(kb.directory), kb.version, id(kb), stamp)
    found = _cache.get(key)
    if found is not None:
        return found
    with _lock:
        found = _cache.get(key)
        if found is None:
            found = counter_forms.load(kb.directory, kb=kb)
            _cache.clear()  # only the newest generation is served
            _cache[key] = found
    return found


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
