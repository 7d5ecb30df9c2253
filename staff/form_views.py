"""The form editor of the curators' console (/staff/content/drafts/<id>/forms): the online forms of
a draft, one form's pages and fields with the palette, conditions, fee and review settings, and a
preview on a phone-sized frame.

Thin: the operations are staff/form_editor.py (plain Python); every change is written into the
draft's ``forms/<id>.yaml`` only after the same check as ``flask knowledge check``
(staff/content.py ``form_check``), so versions, diffs, publishing with a reason and rollback are
the drafts' own. Who: curators and administrators (core/policy.py); a draft is its curator's.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

from flask import Blueprint, abort, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core.languages import BY_CODE as LANGUAGES_BY_CODE
from core.pack_versions import VersionError
from core.words import Message, lang_of
from core.words import text as in_locale
from intake import web_forms
from staff import content, content_forms
from staff import form_editor as fe
from staff.content_problems import read_problem
from staff.guard import only_with_policy

bp = Blueprint("staff_forms", __name__, url_prefix="/staff/content/drafts/<int:draft_id>/forms",
               template_folder="templates")
bp.before_request(only_with_policy)

FORM_ID = re.compile(r"^[a-z][a-z0-9_]{0,59}$")
TYPE_NAMES = {
    "text": _l("文字"), "kana": _l("フリガナ"), "date": _l("日付"), "wareki_date": _l("生年月日（和暦）"),
    "select": _l("一覧から選ぶ"), "radio": _l("ひとつ選ぶ"), "checkbox": _l("チェック"), "number": _l("数"),
    "postal_code": _l("郵便番号"), "address": _l("住所"), "phone": _l("電話番号"), "email": _l("メールアドレス"),
    "file": _l("添付ファイル"), "repeat": _l("くり返し"),
}
DONE = {
    "created": _l("フォームを作りました。下書きの「確認する」と「公開する」で公開します。"),
    "saved": _l("フォームを保存しました。"),
}
MATCH_NAMES = {"name": _l("氏名"), "birth_date": _l("生年月日"), "address": _l("住所"), "sex": _l("性別")}
PAYMENT_NAMES = {"at_submission": _l("申請するとき"), "after_review": _l("審査のあと（職員が金額を確かめてから）")}


def _locale() -> str:
    return lang_of(g.get("locale", "ja"))


def _draft(draft_id: int):
    return content.draft(draft_id, g.staff.login_id)


def _path(form_id: str) -> str:
    if not FORM_ID.match(form_id):
        abort(404)
    return f"forms/{form_id}.yaml"


def _words(errors: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [{"field_id": e["field_id"], "message": e["message"].text(_locale()) if isinstance(e["message"], Message)
             else str(e["message"])} for e in errors]


def _procedures(d) -> dict[str, dict[str, Any]]:
    files = content.store.files_of(d)
    out = {}
    for path, data in sorted(files.items()):
        if path.startswith("procedures/") and path.endswith(".yaml"):
            proc = content_forms.load(data.decode("utf-8", "replace"))
            if isinstance(proc, dict) and isinstance(proc.get("id"), str):
                out[proc["id"]] = proc
    return out


def _name(value: Any) -> str:
    return fe.text_in(value, _locale())


def _forms_of(d) -> list[str]:
    return sorted(p[len("forms/"):-len(".yaml")] for p in content.file_list(d)
                  if p.startswith("forms/") and p.endswith(".yaml"))


# --- the list of forms, a new form ------------------------------------------------------------

def _list_page(d, *, errors=None, posted=None, status: int = 200):
    errors = _words(errors or [])
    procedures = _procedures(d)
    have = _forms_of(d)
    return render_template(
        "staff/forms/list.html", draft=d, errors=errors, field_errors={e["field_id"]: e["message"] for e in errors},
        posted=posted or {}, form_list=[(fid, _name(procedures.get(fid, {}).get("name")) or fid) for fid in have],
        procedure_choices=[{"value": pid, "label": f"{_name(p.get('name'))}（{pid}）"}
                           for pid, p in procedures.items() if pid not in have],
        copy_choices=[{"value": fid, "label": f"{_name(procedures.get(fid, {}).get('name'))}（{fid}）"} for fid in have],
        done=DONE.get(request.args.get("done", "")) if not errors else None), status


@bp.get("/")
def index(draft_id: int):
    return _list_page(_draft(draft_id))


@bp.post("/")
def create(draft_id: int):
    """A new form for a procedure of the pack (empty, or a copy of another form); the procedure
    becomes ``online: true`` in the same change."""
    d = _draft(draft_id)
    posted = {k: request.form.get(k, "")[:80] for k in ("procedure", "copy")}
    procedures = _procedures(d)
    pid, source = posted["procedure"].strip(), posted["copy"].strip()
    if pid not in procedures:
        return _list_page(d, errors=[{"field_id": "procedure", "message": _("手続きを一覧から選んでください。")}],
                          posted=posted, status=400)
    if pid in _forms_of(d):
        return _list_page(d, errors=[{"field_id": "procedure", "message": _("この手続きにはもうフォームがあります。")}],
                          posted=posted, status=409)
    if source:
        if not FORM_ID.match(source) or source not in _forms_of(d):
            return _list_page(d, errors=[{"field_id": "copy", "message": _("写すフォームを一覧から選んでください。")}],
                              posted=posted, status=400)
        original = fe.load(content.read_file(d, _path(source)))
        if original is None:
            return _list_page(d, errors=[{"field_id": "copy", "message": _("このフォームは読み取れないため写せません。")}],
                              posted=posted, status=409)
        form = fe.copy_form(original, pid, procedures[pid])
    else:
        form = fe.new_form(pid, procedures[pid])
    proc_path = f"procedures/{pid}.yaml"
    proc_text = content.read_file(d, proc_path)
    if proc_text is None:
        abort(404)
    try:
        online = fe.set_online(proc_text)
    except fe.FormEditError as exc:
        return _list_page(d, errors=exc.errors, posted=posted, status=exc.status)
    changed = {proc_path: online.encode("utf-8"), _path(pid): fe.dump(form).encode("utf-8")}
    refusal = _checked(content.draft_pack(d, changed), _path(pid), form)
    if refusal:
        return _list_page(d, errors=refusal, posted=posted, status=400)
    content.save_files(d, changed)
    return redirect(url_for("staff_forms.editor", draft_id=d.id, form_id=pid, done="created"))


def _checked(pack: content.DraftPack, path: str, form: fe.Form) -> list[dict[str, Any]]:
    """The check's problems of the changed form (``pack``: the draft with the change in place),
    each beside the field, section or setting it is about."""
    loads, problems = content.form_check(pack, path)
    if not loads:
        return [{"field_id": "form", "message": _(
            "下書きのほかのファイルに問題があるため、フォームを確かめられません。下書きの「確認する」で直してください。")}] + \
            [{"field_id": "form", "message": read_problem(p, _locale()).message} for p in problems[:5]]
    out = []
    for problem in problems:
        kind, target = fe.place_of(form, tuple(getattr(problem, "loc", ())))
        words = read_problem(problem, _locale())
        out.append({"field_id": f"{kind}-{target}" if target else kind, "place": kind, "target": target,
                    "message": f"{words.field}：{words.message}" if words.field else words.message})
    return out


# --- one form ---------------------------------------------------------------------------------

def _form(d, form_id: str) -> tuple[str, str, fe.Form | None]:
    path = _path(form_id)
    saved = content.read_file(d, path)
    if saved is None:
        abort(404)
    return path, saved, fe.load(saved)


def _edit_target(form: fe.Form, wanted: str) -> tuple[str, str]:
    kind, _sep, target = wanted.partition(":")
    try:
        if kind == "field":
            fe.find_field(form, target)
        elif kind == "section":
            fe.find_section(form, target)
        else:
            return "", ""
    except fe.FormEditError:
        abort(404)
    return kind, target


def _field_values(fld: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in ("label", "hint", "unit"):
        for code, words in (fld.get(name) or {}).items():
            values[f"{name}-{code}"] = words
    values["required"] = "no" if fld.get("required") is False else "yes"
    values["multiline"] = "yes" if fld.get("multiline") else ""
    for key in ("max_length", "min", "max", "min_days", "max_days", "maps_to"):
        values[key] = "" if fld.get(key) is None else str(fld[key])
    values["choices"] = fe.choice_lines(fld.get("choices"))
    rules = fld.get("file") or {}
    values["file_types"] = list(rules.get("types") or [])
    values["max_mb"] = f"{rules['max_bytes'] / 2**20:g}" if rules.get("max_bytes") else ""
    values["max_count"] = str(rules.get("max_count", "")) if rules else ""
    values["condition"] = _condition_value(fld.get("show_if"))
    return values


def _condition_value(cond: Any) -> str:
    if not isinstance(cond, dict) or len(cond) != 1:
        return ""
    key, value = next(iter(cond.items()))
    return f"{key}={'true' if value is True else value}" if isinstance(value, str | bool) else ""


def _section_values(section: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in ("title", "intro"):
        for code, words in (section.get(name) or {}).items():
            values[f"{name}-{code}"] = words
    values["condition"] = _condition_value(section.get("show_if"))
    return values


def _editor_page(d, form_id: str, *, errors=None, posted=None, panel: str = "", status: int = 200,
                 pack: content.DraftPack | None = None):
    """``pack``: the draft's pack as this request loaded it already (the check of a change), else loaded here."""
    path, _saved, form = _form(d, form_id)
    if form is None:  # a file the editor cannot follow: the text editor
        return render_template("staff/forms/unreadable.html", draft=d, path=path, form_id=form_id), 409
    errors = _words(errors or [])
    wanted = request.args.get("edit", "")[:100] if request.method == "GET" else panel
    edit_kind, edit_target = _edit_target(form, wanted)
    posted = posted or {}
    edit_values: dict[str, Any] = {}
    controllers: list[dict[str, Any]] = []
    if edit_kind == "field":
        edit_values = posted if panel == wanted and posted else _field_values(fe.field_of(form, edit_target))
        controllers = fe.controllers_before(form, field_id=edit_target)
    elif edit_kind == "section":
        section = fe.sections(form)[fe.find_section(form, edit_target)]
        edit_values = posted if panel == wanted and posted else _section_values(section)
        controllers = fe.controllers_before(form, section_id=edit_target)
    fee = form.get("fee") or {}
    copies = fee.get("copies_field")
    fee_values = posted if panel == "fee" else {
        "copies_field": copies if isinstance(copies, str) else "", "per_choice_field": fee.get("per_choice_field", ""),
        "payment": fee.get("payment", "at_submission")}
    review = form.get("review") or {}
    matched = (form.get("signature") or {}).get("match") or fe.signature_items(form)
    review_values = posted if panel == "review" else {
        "second_approver": "yes" if review.get("second_approver") else "",
        "standard_processing_days": str(review.get("standard_processing_days") or ""),
        "standard_processing_source": review.get("standard_processing_source", ""),
        "department": review.get("department", ""),
        **{f"match_{item}": "yes" for item in matched}}
    department_choices = [{"value": "", "label": _("手続きの担当課（既定）")}] + [
        {"value": dep_id, "label": _name(name)} for dep_id, name in content.departments_of(pack or content.draft_pack(d)).items()]
    match_choices = [{"value": item, "label": str(MATCH_NAMES[item])} for item in fe.signature_items(form)]
    fields = [f for s in fe.sections(form) for f in s["fields"]]
    by_place: dict[str, list[str]] = {}
    for e in errors:
        by_place.setdefault(e["field_id"], []).append(e["message"])
    return render_template(
        "staff/forms/editor.html", draft=d, form_id=form_id, form=form, path=path, errors=errors,
        field_errors={e["field_id"]: e["message"] for e in errors}, by_place=by_place,
        panel=panel, posted=posted, edit_kind=edit_kind, edit_target=edit_target, edit_values=edit_values,
        edit_field=fe.field_of(form, edit_target) if edit_kind == "field" else None,
        condition_choices=[{"value": v, "label": _("「%(field)s」が「%(value)s」のとき", field=f, value=c)}
                           for v, f, c in fe.condition_choices(controllers, _locale())],
        palette=[{"value": k, "label": in_locale(_locale(), v)} for k, v in fe.PALETTE.items()],
        type_names=TYPE_NAMES, name=_name,
        section_choices=[{"value": s["id"], "label": _name(s.get("title"))} for s in fe.sections(form)],
        number_choices=[{"value": f["id"], "label": f"{_name(f.get('label'))}（{f['id']}）"} for f in fields
                        if f.get("type") == "number"],
        multi_choices=[{"value": f["id"], "label": f"{_name(f.get('label'))}（{f['id']}）"} for f in fields
                       if f.get("type") == "checkbox" and (f.get("choices") or f.get("fiscal_years"))],
        payment_choices=[{"value": k, "label": str(v)} for k, v in PAYMENT_NAMES.items()],
        file_kinds=[{"value": k, "label": k.upper()} for k in fe.FILE_KINDS], fee_values=fee_values, review_values=review_values,
        department_choices=department_choices, match_choices=match_choices,
        match_values=[c["value"] for c in match_choices if review_values.get(f"match_{c['value']}") == "yes"],
        fee_file=f"procedures/{form_id}.yaml" if content.read_file(d, f"procedures/{form_id}.yaml") is not None else None,
        languages=LANGUAGES_BY_CODE, required_codes=content_forms.REQUIRED, optional_codes=content_forms.OPTIONAL,
        done=DONE.get(request.args.get("done", "")) if not errors else None), status


@bp.get("/<form_id>")
def editor(draft_id: int, form_id: str):
    return _editor_page(_draft(draft_id), form_id)


def _operate(form: fe.Form, op: str, posted: dict[str, str], files: list[str]) -> tuple[fe.Form, str]:
    """The operation ``op`` with what was posted; returns the form and the panel to show after."""
    field_id = posted.get("field", "")
    section_id = posted.get("section", "")
    if op == "add_field":
        changed, new_id = fe.add_field(form, section_id, posted.get("kind", ""), posted.get("field_id", ""))
        return changed, f"field:{new_id}"
    if op == "edit_field":
        return fe.edit_field(form, field_id, posted, files), f"field:{field_id}"
    if op == "field_condition":
        return fe.set_condition(form, posted, field_id=field_id), f"field:{field_id}"
    if op == "move_field":
        return fe.move_field(form, field_id, posted.get("direction", "")), ""
    if op == "remove_field":
        return fe.remove_field(form, field_id), ""
    if op == "add_section":
        changed, new_id = fe.add_section(form, posted)
        return changed, f"section:{new_id}"
    if op == "edit_section":
        return fe.edit_section(form, section_id, posted), f"section:{section_id}"
    if op == "section_condition":
        return fe.set_condition(form, posted, section_id=section_id), f"section:{section_id}"
    if op == "move_section":
        return fe.move_section(form, section_id, posted.get("direction", "")), ""
    if op == "remove_section":
        return fe.remove_section(form, section_id), ""
    if op == "fee":
        return fe.set_fee(form, posted), ""
    if op == "review":
        return fe.set_review(form, posted), ""
    abort(404)


PANELS = {"edit_field": "field:{field}", "field_condition": "field:{field}", "edit_section": "section:{section}",
          "section_condition": "section:{section}", "fee": "fee", "review": "review", "add_section": "add_section",
          "add_field": "add_field:{section}"}


@bp.post("/<form_id>/<op>")
def change(draft_id: int, form_id: str, op: str):
    d = _draft(draft_id)
    path, saved, form = _form(d, form_id)
    if form is None:
        return _editor_page(d, form_id)
    posted = {k: v[:10000] for k, v in request.form.items() if k != "csrf_token"}
    posted.update({f"match_{item[:20]}": "yes" for item in request.form.getlist("match")[:10]})  # ticked boxes
    files = request.form.getlist("file_types")
    panel = PANELS.get(op, "").format(field=posted.get("field", "")[:60], section=posted.get("section", "")[:60])
    try:
        changed, after = _operate(form, op, posted, files)
    except fe.FormEditError as exc:
        if exc.status == 404:
            abort(404)
        return _editor_page(d, form_id, errors=exc.errors, posted=posted | {"file_types": files}, panel=panel,
                            status=exc.status)
    data = fe.write(saved, changed).encode("utf-8")
    pack = content.draft_pack(d, {path: data})  # loaded once: the check, and the page if it refuses
    problems = _checked(pack, path, changed)
    if problems:
        return _editor_page(d, form_id, errors=problems, posted=posted | {"file_types": files}, panel=panel,
                            status=400, pack=pack)
    try:
        content.save_file(d, path, data)
    except VersionError as exc:
        return _editor_page(d, form_id, errors=[{"field_id": "form", "message": exc.text()}], status=exc.status,
                            pack=pack)
    anchor = after.replace(":", "-") if after else ""
    return redirect(url_for("staff_forms.editor", draft_id=d.id, form_id=form_id, done="saved",
                            edit=after or None, _anchor=anchor or None))


@bp.get("/<form_id>/preview")
def preview(draft_id: int, form_id: str):
    """The form's pages as residents see them, in the editor's phone-sized frame."""
    d = _draft(draft_id)
    _path(form_id)
    form, problems = content.form_of(content.draft_pack(d), form_id)
    g.framed_by_self = True
    if form is None:
        return render_template("staff/forms/preview.html", form=None, draft=d,
                               problems=[read_problem(p, _locale()) for p in problems[:10]]), 200
    today = dt.date.today()
    pages = []
    for section in form.sections:
        page = web_forms.section_form(form, section.id, web_forms.to_formdata(form, section.id, {}),
                                      locale=g.get("locale", "ja"), today=today)
        notes = {f.spec.id: web_forms.condition_note(form, f.spec, section.id, g.get("locale", "ja"))
                 for f in page.specs()}
        pages.append((section, page, notes))
    return render_template("staff/forms/preview.html", form=form, draft=d, pages=pages, problems=[],
                           prefectures=web_forms.PREFECTURES, eras=web_forms.ERA_CHOICES)
