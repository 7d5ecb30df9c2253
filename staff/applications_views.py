"""Staff review of one online application on the LGWAN console (/staff/applications/<受付番号>):
its fields, attachments, signature evidence, payment and history, and the actions (status, 補正 with comments per field, assignment,
一次承認, fee, refund).

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
from sqlalchemy import select

from core import audit
from core.db import db
from intake import applications, signature_check, workflow
from intake.applications import ApplicationError
from intake.forms import Form, fee_quantity, unit_fee
from intake.models import Application, ApplicationAttachment
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
    refund_function,
    staff_actor,
    staff_by_id,
    status_label,
    ui_locale,
)

DONE_MESSAGES = {
    "status": "状態を変更しました。申請者にメールでお知らせします。",
    "correction": "補正を依頼しました。申請者にメールでお知らせします。",
    "assign": "担当者を変更しました。",
    "first_approval": "一次承認をしました。承認は別の職員がします。",
    "fee": "手数料を確定しました。支払いが必要なときは、申請者にメールでお知らせします。",
    "refund": "返金しました。",
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
    return {
        "sheet": sheet, "errors": errors, "field_errors": {e["field_id"]: e["message"] for e in errors},
        "next_statuses": [{"value": s, "label": status_label(s)} for s in nexts if s != workflow.CORRECTION],
        "may_correct": workflow.CORRECTION in nexts,
        "may_first_approve": (sheet["second_approver"] and app.status == workflow.REVIEWING
                              and app.first_approver_id is None),
        "first_approved_by_me": app.first_approver_id == me,
        "colleagues": assignable_staff(app), "me": me,
        "fee_open": fee_open, "fee_help": _fee_help(app, form) if fee_open else None,
        "refund_open": app.payment_state == "paid" and refund_function() is not None,
        "done": DONE_MESSAGES.get(request.args.get("done", "")),
        "posted": extra.pop("posted", {}), **extra,
    }


@bp.get("/<number>", endpoint="detail")
def detail(number: str):
    app = load_application(number)
    audit.record("application.view", target=number, details={"procedure": app.procedure_id})
    return render_template("staff/applications/detail.html", **_detail_context(app))


def _refused(app: Application, number: str, errors: list[dict[str, str]], posted: dict[str, str], status: int = 409):
    """The detail page again with the errors and everything typed (nothing lost)."""
    db.session.rollback()
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
    note = clean_text(request.form.get("note"), MAX_NOTE)
    posted = {"to": to, "note": note}
    errors = _stale(app)
    if not errors and to not in workflow.next_statuses(app.status, workflow.STAFF):
        errors = [{"field_id": "to", "message": _("変更後の状態を選んでください。")}]
    if errors:
        return _refused(app, number, errors, posted, 400)
    if to == workflow.CORRECTION:
        return redirect(url_for("staff_applications.correction", number=number))
    before = app.status
    needs_two = needs_second_approver(form)
    try:
        signature_check.staff_change_status(app, to, actor=staff_actor(), note=note, staff_id=g.staff.id,
                                            needs_second_approver=needs_two)
    except ApplicationError as exc:
        return _refused(app, number, [{"field_id": "note" if exc.code == "reason_required" else "to",
                                       "message": error_message(exc)}], posted)
    db.session.commit()
    audit.record("application.status", target=number, details={"from": before, "to": to})
    return redirect(url_for("staff_applications.detail", number=number, done="status"))


@bp.route("/<number>/correction", methods=["GET", "POST"], endpoint="correction")
def correction(number: str):
    """補正依頼: a comment per field (at least one) and a message for the resident."""
    app = load_application(number, lock=request.method == "POST")
    form = form_of(app)
    sheet = application_sheet(app, staff_by_id())
    shown = [row["id"] for section in sheet["sections"] for row in section["rows"]]
    errors: list[dict[str, str]] = []
    comments: dict[str, str] = {}
    note = ""
    if request.method == "POST":
        comments = {fid: text for fid in shown if (text := clean_text(request.form.get(f"comment-{fid}"), MAX_COMMENT))}
        note = clean_text(request.form.get("note"), MAX_NOTE)
        errors = _stale(app)
        if not errors and not comments and shown:
            errors.append({"field_id": f"comment-{shown[0]}", "message": _(
                "直してほしい項目に、少なくとも1つコメントを書いてください。")})
        if not errors and not note:
            errors.append({"field_id": "note", "message": _("申請者へのお知らせを書いてください。メールと状態のページに載ります。")})
        if not errors:
            before = app.status
            try:
                applications.change_status(app, workflow.CORRECTION, who=workflow.STAFF, actor=staff_actor(), note=note,
                                           field_comments=comments, staff_id=g.staff.id,
                                           needs_second_approver=needs_second_approver(form))
            except ApplicationError as exc:
                db.session.rollback()
                errors.append({"field_id": "note", "message": error_message(exc)})
            else:
                db.session.commit()
                audit.record("application.status", target=number, details={
                    "from": before, "to": workflow.CORRECTION, "fields": sorted(comments)})
                return redirect(url_for("staff_applications.detail", number=number, done="correction"))
    else:
        audit.record("application.view", target=number, details={"page": "correction"})
    allowed = workflow.CORRECTION in workflow.next_statuses(app.status, workflow.STAFF)
    return render_template("staff/applications/correction.html", sheet=sheet, comments=comments, note=note,
                           errors=errors, field_errors={e["field_id"]: e["message"] for e in errors},
                           allowed=allowed), (409 if errors and any(e["field_id"] == "main" for e in errors)
                                              else 400 if errors else 200)


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
    app.assignee_id = user.id if user else None
    applications.record_event(app, "assign", staff_actor(), note=user.login_id if user else "-")
    applications.touch(app)
    db.session.commit()
    audit.record("application.assign", target=number, details={"assignee": user.login_id if user else None})
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
    db.session.commit()
    audit.record("application.first_approval", target=number)
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
        applications.confirm_fee(app, amount, staff_actor())
    except ApplicationError as exc:
        return _refused(app, number, [{"field_id": "amount", "message": error_message(exc)}], {"amount": raw}, exc.status)
    db.session.commit()
    audit.record("application.fee", target=number, details={"amount": amount})
    return redirect(url_for("staff_applications.detail", number=number, done="fee"))


@bp.post("/<number>/refund", endpoint="refund")
def refund(number: str):
    app = load_application(number, lock=True)
    refund_fn = refund_function()
    raw, reason = request.form.get("refund_amount", ""), clean_text(request.form.get("reason"), MAX_NOTE)
    posted = {"refund_amount": raw, "reason": reason}
    errors = []
    amount = _yen(raw)
    if refund_fn is None or app.payment_state != "paid":
        errors.append({"field_id": "refund_amount", "message": _("この申請は返金できません。")})
    elif amount is None or amount <= 0 or amount > (app.fee_amount or 0):
        errors.append({"field_id": "refund_amount", "message": _(
            "返金する金額を、1円から支払われた金額（%(fee)s円）までの整数で入力してください。", fee=f"{app.fee_amount or 0:,}")})
    if not reason:
        errors.append({"field_id": "reason", "message": _("返金の理由を書いてください。")})
    if errors:
        return _refused(app, number, errors, posted, 400)
    try:
        refund_fn(app, amount, reason, staff_actor())
    except Exception as exc:  # the payments service's own refusals carry a Japanese message
        message = getattr(exc, "message_ja", None)
        if message is None:
            raise
        return _refused(app, number, [{"field_id": "refund_amount", "message": message}], posted)
    db.session.commit()
    audit.record("application.refund", target=number, details={"amount": amount})
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

