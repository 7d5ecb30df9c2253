"""補正の定型文 on the console (/staff/applications/phrases): the department's staff (and
administrators) see the starters from the knowledge pack and add, edit and remove their
department's own phrases, which the review screen then offers per field.

Who: DEPARTMENT (their departments only; another department's phrase answers 404) and ADMIN,
see core/policy.py. Every view and change is audited.
"""
from __future__ import annotations

from typing import Any

from flask import abort, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l

from core import audit, auth
from intake.applications import now_utc
from staff import correction_phrases as phrases
from staff.applications_common import (
    bp,
    department_name,
    form_for,
    procedure_choices,
    staff_actor,
    starter_phrases,
    user_departments,
)

DONE = {"add": _l("定型文を追加しました。"), "edit": _l("定型文を変更しました。"), "delete": _l("定型文を削除しました。")}


def _departments() -> list[str]:
    """The departments whose phrases the user keeps: their own; for administrators, every
    department that takes online applications."""
    mine = user_departments()
    if mine is not None:
        return list(mine)
    found = {form.department for pid in procedure_choices() if (form := form_for(pid)) is not None}
    return sorted(found)


def _message(exc: phrases.PhraseError) -> str:
    return exc.text()


def _page(errors: list[dict[str, str]] | None = None, posted: dict[str, str] | None = None, status: int = 200):
    starters = starter_phrases()
    groups: list[dict[str, Any]] = [{
        "id": dep, "name": department_name(dep), "own": phrases.own_phrases(dep),
        "starters": starters.for_department(dep)} for dep in _departments()]
    errors = errors or []
    done = DONE.get(request.args.get("done", ""))
    return render_template("staff/applications/phrases.html", groups=groups, errors=errors,
                           field_errors={e["field_id"]: e["message"] for e in errors}, posted=posted or {},
                           done=str(done) if done and not errors else None, source=starters.source,
                           source_url=str(starters.source_url) if starters.source_url else None), status


@bp.get("/phrases", endpoint="phrases")
def phrase_list():
    audit.record("correction_phrase.view", details={"departments": _departments()})
    return _page()


@bp.post("/phrases/add", endpoint="phrase_add")
def phrase_add():
    department = request.form.get("department", "")[:64]
    if department not in _departments():
        abort(404)
    auth.require_department(department)
    raw = request.form.get("text", "")
    try:
        phrases.save_new(department, raw, staff_actor(), now_utc())
    except phrases.PhraseError as exc:
        return _page([{"field_id": f"text-new-{department}", "message": _message(exc)}],
                     {f"text-new-{department}": phrases.clean(raw)[:2000]}, 400)
    return redirect(url_for("staff_applications.phrases", done="add", _anchor=f"dep-{department}"))


def _own(phrase_id: int) -> phrases.CorrectionPhrase:
    phrase = phrases.get(phrase_id, user_departments())
    if phrase is None:
        abort(404)
    return phrase


@bp.post("/phrases/<int:phrase_id>/edit", endpoint="phrase_edit")
def phrase_edit(phrase_id: int):
    phrase = _own(phrase_id)
    raw = request.form.get("text", "")
    try:
        phrases.save_edit(phrase, raw, now_utc())
    except phrases.PhraseError as exc:
        return _page([{"field_id": f"text-{phrase_id}", "message": _message(exc)}],
                     {f"text-{phrase_id}": phrases.clean(raw)[:2000]}, 400)
    return redirect(url_for("staff_applications.phrases", done="edit", _anchor=f"dep-{phrase.department_id}"))


@bp.post("/phrases/<int:phrase_id>/delete", endpoint="phrase_delete")
def phrase_delete(phrase_id: int):
    phrase = _own(phrase_id)
    department = phrase.department_id
    phrases.delete(phrase)
    return redirect(url_for("staff_applications.phrases", done="delete", _anchor=f"dep-{department}"))



