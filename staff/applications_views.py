"""Staff review of one online application on the LGWAN console (/staff/applications/<受付番号>):
the review screen (the content on the left with the 基本4情報 check beside the fields it checks,
the actions on the right), 補正 inline (a comment per field, with the department's 定型文),
internal notes (職員メモ, never shown to the resident), assignment, 一次承認, fee, refund, and
「次の申請へ」 after each action (the next application of the clerk's queue).

Who: department staff (their departments only; another department's application answers 404,
core.auth.require_department) and administrators (all), see core/policy.py. Every view,
download, print and export is written to the audit log with the receipt number.
Approval verifies the stored signature again, now, with the configured CRLs: a certificate
revoked since signing (the resident moved, changed name) is not approved.
"""
from __future__ import annotations

import unicodedata
from typing import Any
from urllib.parse import quote

from flask import Response, abort, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from core import audit
from core.db import db
from intake import applications, staff_actions, workflow
from intake.applications import ApplicationError
from intake.forms import Form, fee_quantity, unit_fee
from intake.models import Application, ApplicationAttachment
from staff import correction_phrases as phrases
from staff.applications_common import (
    MAX_COMMENT,
    MAX_NOTE,
    application_sheet,
    assignable_staff,
    bp,
    clean_text,
    error_message,
    form_of,
    load_application,
    needs_second_approver,
    next_application,
    refund_function,
    staff_actor,
    staff_by_id,
    starter_phrases,
    status_label,
    ui_locale,
    user_departments,
)

DONE_MESSAGES = {
    "correction": _l("補正を依頼しました。申請者にメールでお知らせします。"),
    "assign": _l("担当者を変更しました。"),
    "first_approval": _l("一次承認をしました。承認は別の職員がします。"),
    "fee": _l("手数料を確定しました。支払いが必要なときは、申請者にメールでお知らせします。"),
    "refund": _l("返金しました。"),
    "note": _l("職員メモを残しました。申請者には見えません。"),
}



def _fee_help(app: Application, form: Form) -> dict[str, Any] | None:
    """The unit fee in force today and the quantity the form asks for: a hint, staff decide."""
    fee = unit_fee(form.procedure, applications.today_jst())
    if fee is None:
        return None
    quantity = fee_quantity(form, applications.values(app))
    return {"unit": fee.amount_yen, "unit_label": fee.unit.get(ui_locale()) if getattr(fee, "unit", None) else "",
            "quantity": quantity, "total": fee.amount_yen * quantity}


def _detail_context(app: Application, **extra: Any) -> dict[str, Any]:
    people = staff_by_id()
    sheet = application_sheet(app, people)
    form = sheet["form"]
    nexts = workflow.next_statuses(app.status, workflow.STAFF)
    me = g.staff.id
    fee_open = (app.payment_timing == "after_review" and app.payment_state not in ("paid", "refunded")
                and app.status in (workflow.SUBMITTED, workflow.REVIEWING, workflow.CORRECTION))
    errors = extra.pop("errors", [])
    done = request.args.get("done", "")
    done_text = str(DONE_MESSAGES[done]) if done in DONE_MESSAGES else None
    if done == "status":
        done_text = _("状態を「%(status)s」に変更しました。申請者にメールでお知らせします。", status=status_label(app.status))
    may_correct = workflow.CORRECTION in nexts
    return {
        "sheet": sheet, "errors": errors, "field_errors": {e["field_id"]: e["message"] for e in errors},
        "next_statuses": [{"value": s, "label": status_label(s)} for s in nexts if s != workflow.CORRECTION],
        "may_correct": may_correct,
        "phrases": phrases.choices(app.department_id, starter_phrases()) if may_correct else [],
        "comments": extra.pop("comments", {}), "chosen": extra.pop("chosen", {}),
        "next_app": next_application(user_departments(), app),
        "may_first_approve": (sheet["second_approver"] and app.status == workflow.REVIEWING
                              and app.first_approver_id is None),
        "first_approved_by_me": app.first_approver_id == me,
        "colleagues": assignable_staff(app), "me": me,
        "fee_open": fee_open, "fee_help": _fee_help(app, form) if fee_open else None,
        "refund_open": app.payment_state == "paid" and refund_function() is not None,
        "done": done_text,
        "posted": extra.pop("posted", {}), **extra,
    }


@bp.get("/<number>", endpoint="detail")
def detail(number: str):
    app = load_application(number)
    audit.record("application.view", target=number, details={"procedure": app.procedure_id})
    return render_template("staff/applications/detail.html", **_detail_context(app))


def _refused(app: Application, number: str, errors: list[dict[str, str]], posted: dict[str, str], status: int = 409):
    """The detail page again with the errors and everything typed (nothing lost); a refused change
    was rolled back by the service that refused it, so the page shows what is stored."""
    app = load_application(number)
    audit.record("application.view", target=number, details={"procedure": app.procedure_id, "refused": True})
    return render_template("staff/applications/detail.html", **_detail_context(
        app, errors=errors, posted=posted)), status


def _stale(app: Application) -> list[dict[str, str]]:
    """A form made for another status (someone acted first, or a double click)."""
    expected = request.form.get("expected", "")
    if expected and expected != app.status:
        return [{"field_id": "main", "message": _(
            "この申請は、ほかの職員（または申請者）によって「%(status)s」に変わっています。内容を確かめてから、もう一度操作してください。",
            status=status_label(app.status))}]
    return []


@bp.post("/<number>/status", endpoint="change_status")
def change_status(number: str):
    app = load_application(number, lock=True)
    form = form_of(app)
    to = request.form.get("to", "")
    note = clean_text(request.form.get("note"), 10 * MAX_NOTE)
    posted = {"to": to, "note": note}
    errors = _stale(app)
    if not errors and to not in workflow.next_statuses(app.status, workflow.STAFF):
        errors = [{"field_id": "to", "message": _("変更後の状態を選んでください。")}]
    if not errors and len(note) > MAX_NOTE:  # refused, not cut: nothing typed is lost
        errors = [{"field_id": "note", "message": _(
            "%(limit)s文字以内にしてください（今：%(n)s文字）。", limit=f"{MAX_NOTE:,}", n=f"{len(note):,}")}]
    if errors:
        return _refused(app, number, errors, posted, 400)
    if to == workflow.CORRECTION:
        return redirect(url_for("staff_applications.correction", number=number))
    try:
        applications.staff_decision(app, to, actor=staff_actor(), note=note, staff_id=g.staff.id,
                                    needs_second_approver=needs_second_approver(form))
    except ApplicationError as exc:
        return _refused(app, number, [{"field_id": "note" if exc.code == "reason_required" else "to",
                                       "message": error_message(exc)}], posted)
    return redirect(url_for("staff_applications.detail", number=number, done="status"))


def _correction_input(sheet: dict[str, Any], offered: dict[str, str]) -> tuple[dict[str, str], dict[str, str],
                                                                            list[dict[str, str]]]:
    """The comments per field as posted, each with its chosen 定型文 appended; the choices as
    posted (kept on error); an error for a phrase that is not on offer (a stale or forged form)."""
    comments: dict[str, str] = {}
    chosen: dict[str, str] = {}
    errors: list[dict[str, str]] = []
    shown = [row["id"] for section in sheet["sections"] for row in section["rows"]]
    for fid in [*shown, "note"]:
        limit = MAX_NOTE if fid == "note" else MAX_COMMENT
        name = "note" if fid == "note" else f"comment-{fid}"
        key = request.form.get(f"phrase-{fid}", "")[:40]
        if key and key not in offered:
            errors.append({"field_id": f"phrase-{fid}", "message": _(
                "この定型文は、いまは使えません。定型文を選び直してください。")})
            key = ""
        chosen[fid] = key
        text = phrases.with_phrase(clean_text(request.form.get(name), 10 * limit), offered.get(key, ""))
        if len(text) > limit:  # refused, not cut: nothing typed is lost
            errors.append({"field_id": "correction-note" if fid == "note" else name, "message": _(
                "%(limit)s文字以内にしてください（今：%(n)s文字）。", limit=f"{limit:,}", n=f"{len(text):,}")})
        if text:
            comments[fid] = text
    return comments, chosen, errors


@bp.route("/<number>/correction", methods=["GET", "POST"], endpoint="correction")
def correction(number: str):
    """補正依頼 from the review screen: a comment per field (at least one, each may take a 定型文)
    and the message to the resident. GET: the review screen, at the comments."""
    if request.method == "GET":
        return redirect(url_for("staff_applications.detail", number=number, _anchor="fields-title"))
    app = load_application(number, lock=True)
    form = form_of(app)
    sheet = application_sheet(app, staff_by_id())
    offered = {c.key: c.text for c in phrases.choices(app.department_id, starter_phrases())}
    comments, chosen, errors = _correction_input(sheet, offered)
    note = comments.pop("note", "")
    errors = _stale(app) + errors
    posted = {"correction_note": note}
    if not errors and workflow.CORRECTION not in workflow.next_statuses(app.status, workflow.STAFF):
        errors.append({"field_id": "main", "message": _(
            "補正を依頼できるのは「審査中」の申請です。いまの状態は「%(status)s」です。", status=status_label(app.status))})
    first_row = next((row["id"] for section in sheet["sections"] for row in section["rows"]), None)
    if not errors and not comments and first_row:
        errors.append({"field_id": f"comment-{first_row}", "message": _(
            "直してほしい項目に、少なくとも1つコメントを書いてください。")})
    if not errors and not note:
        errors.append({"field_id": "correction-note", "message": _(
            "申請者へのお知らせを書いてください。メールと状態のページに載ります。")})
    if not errors:
        try:
            applications.staff_decision(app, workflow.CORRECTION, actor=staff_actor(), note=note,
                                        field_comments=comments, staff_id=g.staff.id,
                                        needs_second_approver=needs_second_approver(form),
                                        audit_details={"fields": sorted(comments),
                                                       "phrases": sorted(k for k in chosen.values() if k)})
        except ApplicationError as exc:
            errors.append({"field_id": "correction-note", "message": error_message(exc)})
        else:
            return redirect(url_for("staff_applications.detail", number=number, done="correction"))
    status = 409 if any(e["field_id"] == "main" for e in errors) else 400
    app = load_application(number)
    audit.record("application.view", target=number, details={"procedure": app.procedure_id, "refused": True})
    # the chosen 定型文 are in the comments now: the selects come back empty (not added twice)
    return render_template("staff/applications/detail.html", **_detail_context(
        app, errors=errors, posted=posted, comments=comments)), status


@bp.post("/<number>/note", endpoint="note")
def note(number: str):
    """職員メモ: a note between staff, kept in the history (encrypted like every note), never
    shown to the resident (the status page, e-mails and the resident API show status events only)."""
    app = load_application(number, lock=True)
    text = clean_text(request.form.get("internal_note"), 10 * MAX_NOTE)
    if not text:
        return _refused(app, number, [{"field_id": "internal_note", "message": _(
            "職員メモを書いてください。申請者には見えません。")}], {}, 400)
    if len(text) > MAX_NOTE:  # refused, not cut: nothing typed is lost
        return _refused(app, number, [{"field_id": "internal_note", "message": _(
            "%(limit)s文字以内にしてください（今：%(n)s文字）。", limit=f"{MAX_NOTE:,}", n=f"{len(text):,}")}],
            {"internal_note": text}, 400)
    staff_actions.add_note(app, text, staff_actor())
    return redirect(url_for("staff_applications.detail", number=number, done="note"))


@bp.post("/<number>/assign", endpoint="assign")
def assign(number: str):
    app = load_application(number, lock=True)
    choice = request.form.get("assignee", "")
    people = {str(u.id): u for u in assignable_staff(app)}
    if choice == "me":
        choice = str(g.staff.id)
    if choice != "none" and choice not in people:
        return _refused(app, number, [{"field_id": "assignee", "message": _("担当者を選んでください。")}],
                        {"assignee": choice}, 400)
    user = people.get(choice)
    staff_actions.assign(app, user.id if user else None, user.login_id if user else None, staff_actor())
    return redirect(url_for("staff_applications.detail", number=number, done="assign"))


@bp.post("/<number>/first-approval", endpoint="first_approval")
def first_approval(number: str):
    app = load_application(number, lock=True)
    form = form_of(app)
    errors = _stale(app)
    if not errors and not needs_second_approver(form):
        errors = [{"field_id": "to", "message": _("この手続きは一次承認がいりません。そのまま承認してください。")}]
    if errors:
        return _refused(app, number, errors, {})
    try:
        applications.first_approval(app, g.staff.id, staff_actor())
    except ApplicationError as exc:
        return _refused(app, number, [{"field_id": "to", "message": error_message(exc)}], {})
    return redirect(url_for("staff_applications.detail", number=number, done="first_approval"))


def _yen(raw: str | None) -> int | None:
    """「1,500」「１５００円」 → 1500; None when it is not a whole number of yen."""
    text = unicodedata.normalize("NFKC", raw or "").replace(",", "").replace("円", "").replace("¥", "").strip()
    return int(text) if text.isdigit() and len(text) <= 9 else None


@bp.post("/<number>/fee", endpoint="confirm_fee")
def confirm_fee(number: str):
    app = load_application(number, lock=True)
    raw = request.form.get("amount", "")
    amount = _yen(raw)
    if amount is None:
        return _refused(app, number, [{"field_id": "amount", "message": _(
            "手数料は0円から1,000,000円までの整数で入力してください（例：1500）。")}], {"amount": raw}, 400)
    try:
        staff_actions.confirm_fee(app, amount, staff_actor())
    except ApplicationError as exc:
        return _refused(app, number, [{"field_id": "amount", "message": error_message(exc)}], {"amount": raw}, exc.status)
    return redirect(url_for("staff_applications.detail", number=number, done="fee"))


@bp.post("/<number>/refund", endpoint="refund")
def refund(number: str):
    app = load_application(number, lock=True)
    refund_available = refund_function() is not None
    raw, reason = request.form.get("refund_amount", ""), clean_text(request.form.get("reason"), MAX_NOTE)
    posted = {"refund_amount": raw, "reason": reason}
    errors = []
    amount = _yen(raw)
    if not refund_available or app.payment_state != "paid":
        errors.append({"field_id": "refund_amount", "message": _("この申請は返金できません。")})
    elif amount is None or amount <= 0 or amount > (app.fee_amount or 0):
        errors.append({"field_id": "refund_amount", "message": _(
            "返金する金額を、1円から支払われた金額（%(fee)s円）までの整数で入力してください。", fee=f"{app.fee_amount or 0:,}")})
    if not reason:
        errors.append({"field_id": "reason", "message": _("返金の理由を書いてください。")})
    if errors:
        return _refused(app, number, errors, posted, 400)
    try:
        staff_actions.refund(app, amount, reason, staff_actor())
    except ApplicationError as exc:  # the payments service's own refusals
        return _refused(app, number, [{"field_id": "refund_amount", "message": exc.text()}], posted)
    return redirect(url_for("staff_applications.detail", number=number, done="refund"))


@bp.get("/<number>/attachments/<name>", endpoint="download")
def download(number: str, name: str):
    """An attachment, always as a download (never shown inline by the browser)."""
    app = load_application(number)
    att = db.session.scalar(select(ApplicationAttachment).where(
        ApplicationAttachment.name == name, ApplicationAttachment.application_id == app.id))
    if att is None:
        abort(404)
    audit.record("application.download", target=number, details={"attachment": att.name, "field": att.field_id,
                                                                   "sha256": att.sha256})
    response = Response(att.data, mimetype="application/octet-stream")
    response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(att.filename)}"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response.headers["Cache-Control"] = "no-store"
    return response



from staff import correction_phrase_views  # noqa: E402,F401  (its routes join the blueprint)
