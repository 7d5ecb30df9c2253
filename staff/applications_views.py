"""Staff review of online applications on the LGWAN console (/staff/applications): the inbox of
the user's departments, one application with its fields, attachments, signature evidence,
payment and history, and the actions (status, 補正 with comments per field, assignment,
一次承認, fee, refund), a print view and CSV/JSON exports.

Who: department staff (their departments only; another department's application answers 404,
core.auth.require_department) and administrators (all), see core/policy.py. Every view,
download, print and export is written to the audit log with the receipt number.
Approval verifies the stored signature again, now, with the configured CRLs: a certificate
revoked since signing (the resident moved, changed name) is not approved.
"""
from __future__ import annotations

import datetime as dt
import json
import math
import unicodedata
from functools import lru_cache
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, abort, current_app, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from core import audit, auth, policy
from core.csv_export import to_csv, to_csv_shift_jis
from core.db import db
from core.staff_models import StaffUser
from guide import rulebook
from intake import applications, signature_check, workflow
from intake.applications import ApplicationError
from intake.forms import Form, fee_quantity, load_forms, unit_fee
from intake.models import Application, ApplicationAttachment
from staff import applications_display as show
from staff import applications_inbox as inbox

bp = Blueprint("staff_applications", __name__, url_prefix="/staff/applications", template_folder="templates")

PRINT_LIMIT = 100  # applications in one print run (one per page)
EXPORT_LIMIT = 10000
MAX_NOTE = 2000
MAX_COMMENT = 1000
DONE_MESSAGES = {
    "status": "状態を変更しました。申請者にメールでお知らせします。",
    "correction": "補正を依頼しました。申請者にメールでお知らせします。",
    "assign": "担当者を変更しました。",
    "first_approval": "一次承認をしました。承認は別の職員がします。",
    "fee": "手数料を確定しました。支払いが必要なときは、申請者にメールでお知らせします。",
    "refund": "返金しました。",
}


@bp.before_request
def _only_with_policy() -> None:
    """Defence in depth: the staff guard decides first; without a permitted user, 403 here too."""
    staff = getattr(g, "staff", None)
    if staff is None or not policy.allowed(request.endpoint, getattr(staff, "role", None)):
        audit.record("permission.denied", target=request.path, result="denied")
        abort(403)


# --- small helpers ----------------------------------------------------------------------------

def _locale() -> str:
    return "en" if getattr(g, "locale", "ja") == "en" else "ja"


def _message(exc: ApplicationError) -> str:
    return exc.message_en if _locale() == "en" else exc.message_ja


def _actor() -> str:
    return f"staff:{g.staff.login_id}"


def _departments() -> list[str] | None:
    """None for administrators (every department); the user's departments otherwise."""
    return None if g.staff.role == policy.ADMIN else g.staff.department_ids


@lru_cache(maxsize=4)
def _forms(version: str, municipality: str) -> dict[str, Form]:
    """Form definitions of one knowledge generation (reloaded with it, as intake/api.py does)."""
    return load_forms(municipality, kb=rulebook().kb)


def _form(procedure_id: str) -> Form | None:
    return _forms(rulebook().version, current_app.config["MUNICIPALITY"]).get(procedure_id)


def _procedure_name(pid: str) -> str:
    proc = rulebook().kb.procedures.get(pid)
    return proc.name.get(_locale()) if proc else pid


def _procedure_choices() -> dict[str, str]:
    """The online procedures of the user's departments: id → name, in name order."""
    departments = _departments()
    forms = _forms(rulebook().version, current_app.config["MUNICIPALITY"])
    ids = [pid for pid, form in forms.items() if departments is None or form.procedure.department in departments]
    return dict(sorted(((pid, _procedure_name(pid)) for pid in ids), key=lambda item: item[1]))


def _staff_by_id() -> dict[int, StaffUser]:
    return {u.id: u for u in db.session.scalars(select(StaffUser))}


def _colleagues(app: Application) -> list[StaffUser]:
    """Who may be assigned: active department staff of the application's department, and me."""
    people = [u for u in db.session.scalars(select(StaffUser).where(StaffUser.active.is_(True)))
              if (u.role == policy.DEPARTMENT and app.department_id in u.department_ids) or u.id == g.staff.id]
    return sorted(people, key=lambda u: u.login_id)


def _text(raw: str | None, limit: int) -> str:
    return (raw or "").replace("\r\n", "\n").strip()[:limit]


def _status_label(status: str) -> str:
    return workflow.label(status, _locale())


def _load(number: str, *, lock: bool = False) -> Application:
    """The application with this receipt number, if the user's department handles it (else 404)."""
    stmt = select(Application).where(Application.receipt_number == number)
    if lock:
        stmt = stmt.with_for_update()  # two staff acting at once: one after the other (PostgreSQL)
    app = db.session.scalar(stmt)
    if app is None or app.status in workflow.BEFORE_SUBMISSION:
        abort(404)
    auth.require_department(app.department_id)
    return app


def _form_of(app: Application) -> Form:
    form = _form(app.procedure_id)
    if form is None:  # the procedure went offline after the application was sent
        abort(404)
    return form


def _needs_second_approver(form: Form) -> bool:
    return bool(form.definition.review.second_approver)


def _refund_function():
    """The payments service's refund (another part of the product); None until it exists."""
    try:
        from intake.payments.service import refund
    except ImportError:
        return None
    return refund


# --- the inbox ---------------------------------------------------------------------------------

def _inbox_query(f: inbox.InboxFilters, columns=None):
    stmt = select(columns if columns is not None else Application)
    return inbox.filtered(inbox.scoped(stmt, _departments()), f, g.staff.id)


def _list_row(app: Application, people: dict[int, StaffUser]) -> dict[str, Any]:
    assignee = people.get(app.assignee_id) if app.assignee_id else None
    return {
        "app": app, "number": app.receipt_number, "procedure": _procedure_name(app.procedure_id),
        "status": app.status, "status_label": _status_label(app.status),
        "submitted": show.jst(app.submitted_at), "updated": show.jst(app.updated_at),
        "assignee": assignee, "assignee_login": assignee.login_id if assignee else "",
        "fee": app.fee_amount, "payment_state": app.payment_state,
        "payment_label": show.PAYMENT_STATE.get(app.payment_state, {}).get(_locale(), app.payment_state),
    }


def _inbox_context(f: inbox.InboxFilters, **extra: Any) -> dict[str, Any]:
    lang = _locale()
    statuses = [{"value": inbox.OPEN, "label": _("対応中（受付〜発行済）")}, {"value": inbox.ALL, "label": _("すべて")}]
    statuses += [{"value": s, "label": workflow.label(s, lang)} for s in inbox.LISTED_STATUSES]
    assignees = [{"value": "anyone", "label": _("だれでも")}, {"value": "me", "label": _("自分")},
                 {"value": "unassigned", "label": _("担当者なし")}]
    return {"filters": f, "errors": f.errors, "field_errors": {e["field_id"]: e["message"] for e in f.errors},
            "statuses": statuses, "assignees": assignees, "procedures": _procedure_choices(), **extra}


@bp.get("/", endpoint="inbox")
def inbox_view():
    f = inbox.read_filters(request.args, _procedure_choices())
    if f.errors:
        return render_template("staff/applications/inbox.html", **_inbox_context(f, rows=[], total=0)), 400
    total = db.session.scalar(_inbox_query(f, func.count(Application.id))) or 0
    pages = max(1, math.ceil(total / inbox.PER_PAGE))
    try:
        page = min(max(int(request.args.get("page", "1")), 1), pages)
    except ValueError:
        page = 1
    apps = db.session.scalars(inbox.ordered(_inbox_query(f)).limit(inbox.PER_PAGE)
                              .offset((page - 1) * inbox.PER_PAGE)).all()
    people = _staff_by_id()
    rows = [_list_row(a, people) for a in apps]
    first = (page - 1) * inbox.PER_PAGE + 1 if rows else 0
    audit.record("application.list", target="inbox", details={"filters": f.args(), "count": len(rows), "page": page})
    return render_template("staff/applications/inbox.html", **_inbox_context(
        f, rows=rows, total=total, page=page, pages=pages, first=first, last=first + len(rows) - 1 if rows else 0,
        prev_url=url_for("staff_applications.inbox", **f.args(page=page - 1)) if page > 1 else None,
        next_url=url_for("staff_applications.inbox", **f.args(page=page + 1)) if page < pages else None,
        csv_url=url_for("staff_applications.export_csv", **f.args()),
        sjis_url=url_for("staff_applications.export_csv", **f.args(encoding="shift_jis")),
        json_url=url_for("staff_applications.export_json", **f.args()),
        print_url=url_for("staff_applications.print_list", **f.args())))


def _export_filter():
    f = inbox.read_filters(request.args, _procedure_choices())
    if f.errors:
        abort(Response(render_template("staff/applications/inbox.html", **_inbox_context(f, rows=[], total=0)),
                       status=400))
    return f


def _export_rows(f: inbox.InboxFilters) -> list[dict[str, Any]]:
    people = _staff_by_id()
    return [_list_row(a, people) for a in db.session.scalars(inbox.ordered(_inbox_query(f)).limit(EXPORT_LIMIT))]


def _stamp() -> str:
    return dt.datetime.now(show.JST).strftime("%Y%m%d-%H%M")


@bp.get("/export.csv", endpoint="export_csv")
def export_csv():
    """The filtered list (no personal field values): UTF-8 with BOM, or Shift_JIS (?encoding=shift_jis)."""
    f = _export_filter()
    sjis = request.args.get("encoding") in ("shift_jis", "sjis", "cp932")
    rows = _export_rows(f)
    header = [_("受付番号"), _("手続き"), _("状態"), _("受付日時"), _("更新日時"), _("担当者"), _("手数料（円）"), _("支払い")]
    body = [header] + [[r["number"], r["procedure"], r["status_label"], show.jst_text(r["app"].submitted_at),
                        show.jst_text(r["app"].updated_at), r["assignee_login"], r["fee"], r["payment_label"]]
                       for r in rows]
    filename = f"applications-{_stamp()}{'-sjis' if sjis else ''}.csv"
    audit.record("application.export", target="inbox", details={
        "format": "csv-shift_jis" if sjis else "csv", "file": filename, "count": len(rows), "filters": f.args()})
    data = to_csv_shift_jis(body) if sjis else to_csv(body)
    charset = "shift_jis" if sjis else "utf-8"
    return Response(data, content_type=f"text/csv; charset={charset}", headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})


@bp.get("/export.json", endpoint="export_json")
def export_json():
    f = _export_filter()
    rows = _export_rows(f)
    filename = f"applications-{_stamp()}.json"
    body = {
        "exported_at": dt.datetime.now(show.JST).isoformat(timespec="seconds"), "filters": f.args(),
        "count": len(rows),
        "applications": [{
            "receipt_number": r["number"], "procedure_id": r["app"].procedure_id, "procedure": r["procedure"],
            "status": r["status"], "status_label": r["status_label"],
            "submitted_at": r["submitted"].isoformat() if r["submitted"] else None,
            "updated_at": r["updated"].isoformat() if r["updated"] else None,
            "assignee": r["assignee_login"] or None, "fee_amount": r["fee"], "payment_state": r["payment_state"],
        } for r in rows],
    }
    audit.record("application.export", target="inbox", details={
        "format": "json", "file": filename, "count": len(rows), "filters": f.args()})
    return _json_download(body, filename)


def _json_download(body: dict, filename: str) -> Response:
    return Response(json.dumps(body, ensure_ascii=False, indent=2), mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})


@bp.get("/print", endpoint="print_list")
def print_list():
    """The filtered applications for the paper file: one per A4 page (at most PRINT_LIMIT)."""
    f = _export_filter()
    total = db.session.scalar(_inbox_query(f, func.count(Application.id))) or 0
    apps = db.session.scalars(inbox.ordered(_inbox_query(f)).limit(PRINT_LIMIT)).all()
    people = _staff_by_id()
    sheets = [_sheet(a, people) for a in apps if _form(a.procedure_id) is not None]
    audit.record("application.print", target="inbox", details={
        "count": len(sheets), "filters": f.args(), "receipt_numbers": [s["number"] for s in sheets][:PRINT_LIMIT]})
    return render_template("staff/applications/print.html", sheets=sheets, total=total, limit=PRINT_LIMIT,
                           back_url=url_for("staff_applications.inbox", **f.args()), **_print_meta())


# --- one application ----------------------------------------------------------------------------

def _sheet(app: Application, people: dict[int, StaffUser]) -> dict[str, Any]:
    """Everything shown about one application (detail page, print view)."""
    lang = _locale()
    form = _form_of(app)
    values = applications.values(app)
    files = applications.attachments(app)
    assignee = people.get(app.assignee_id) if app.assignee_id else None
    first_approver = people.get(app.first_approver_id) if app.first_approver_id else None
    names = {u.login_id: u.display_name for u in people.values()}
    labels = show.field_labels(form, lang)
    return {
        "app": app, "form": form, "number": app.receipt_number, "procedure": _procedure_name(app.procedure_id),
        "status_label": _status_label(app.status), "submitted": show.jst_text(app.submitted_at),
        "updated": show.jst_text(app.updated_at), "decided": show.jst_text(app.decided_at),
        "closed": show.jst_text(app.closed_at),
        "sections": show.field_sections(form, values, files, lang), "attachments": files,
        "signer": show.signer_rows(applications.signer(app), lang),
        "identity": show.identity_rows(applications.identity(app), lang),
        "serial": app.cert_serial, "issuer": app.cert_issuer, "checked": show.jst_text(app.signature_checked_at),
        "evidence": show.evidence_rows(app.revocation_evidence),
        "payment_timing": show.PAYMENT_TIMING.get(app.payment_timing, {}).get(lang, app.payment_timing),
        "payment_label": show.PAYMENT_STATE.get(app.payment_state, {}).get(lang, app.payment_state),
        "history": show.history_rows(applications.events(app), labels, names, lang),
        "assignee": assignee, "first_approver": first_approver,
        "second_approver": _needs_second_approver(form),
    }


def _fee_help(app: Application, form: Form) -> dict[str, Any] | None:
    """The unit fee in force today and the quantity the form asks for: a hint, staff decide."""
    fee = unit_fee(form.procedure, applications.today_jst())
    if fee is None:
        return None
    quantity = fee_quantity(form, applications.values(app))
    return {"unit": fee.amount_yen, "unit_label": fee.unit.get(_locale()) if getattr(fee, "unit", None) else "",
            "quantity": quantity, "total": fee.amount_yen * quantity}


def _detail_context(app: Application, **extra: Any) -> dict[str, Any]:
    people = _staff_by_id()
    sheet = _sheet(app, people)
    form = sheet["form"]
    nexts = workflow.next_statuses(app.status, workflow.STAFF)
    me = g.staff.id
    fee_open = (app.payment_timing == "after_review" and app.payment_state not in ("paid", "refunded")
                and app.status in (workflow.SUBMITTED, workflow.REVIEWING, workflow.CORRECTION))
    errors = extra.pop("errors", [])
    return {
        "sheet": sheet, "errors": errors, "field_errors": {e["field_id"]: e["message"] for e in errors},
        "next_statuses": [{"value": s, "label": _status_label(s)} for s in nexts if s != workflow.CORRECTION],
        "may_correct": workflow.CORRECTION in nexts,
        "may_first_approve": (sheet["second_approver"] and app.status == workflow.REVIEWING
                              and app.first_approver_id is None),
        "first_approved_by_me": app.first_approver_id == me,
        "colleagues": _colleagues(app), "me": me,
        "fee_open": fee_open, "fee_help": _fee_help(app, form) if fee_open else None,
        "refund_open": app.payment_state == "paid" and _refund_function() is not None,
        "done": DONE_MESSAGES.get(request.args.get("done", "")),
        "posted": extra.pop("posted", {}), **extra,
    }


@bp.get("/<number>", endpoint="detail")
def detail(number: str):
    app = _load(number)
    audit.record("application.view", target=number, details={"procedure": app.procedure_id})
    return render_template("staff/applications/detail.html", **_detail_context(app))


def _refused(app: Application, number: str, errors: list[dict[str, str]], posted: dict[str, str], status: int = 409):
    """The detail page again with the errors and everything typed (nothing lost)."""
    db.session.rollback()
    app = _load(number)
    audit.record("application.view", target=number, details={"procedure": app.procedure_id, "refused": True})
    return render_template("staff/applications/detail.html", **_detail_context(
        app, errors=errors, posted=posted)), status


def _stale(app: Application) -> list[dict[str, str]]:
    """A form made for another status (someone acted first, or a double click)."""
    expected = request.form.get("expected", "")
    if expected and expected != app.status:
        return [{"field_id": "main", "message": _(
            "この申請は、ほかの職員（または申請者）によって「%(status)s」に変わっています。内容を確かめてから、もう一度操作してください。",
            status=_status_label(app.status))}]
    return []


@bp.post("/<number>/status", endpoint="change_status")
def change_status(number: str):
    app = _load(number, lock=True)
    form = _form_of(app)
    to = request.form.get("to", "")
    note = _text(request.form.get("note"), MAX_NOTE)
    posted = {"to": to, "note": note}
    errors = _stale(app)
    if not errors and to not in workflow.next_statuses(app.status, workflow.STAFF):
        errors = [{"field_id": "to", "message": _("変更後の状態を選んでください。")}]
    if errors:
        return _refused(app, number, errors, posted, 400)
    if to == workflow.CORRECTION:
        return redirect(url_for("staff_applications.correction", number=number))
    before = app.status
    needs_two = _needs_second_approver(form)
    try:
        signature_check.staff_change_status(app, to, actor=_actor(), note=note, staff_id=g.staff.id,
                                            needs_second_approver=needs_two)
    except ApplicationError as exc:
        return _refused(app, number, [{"field_id": "note" if exc.code == "reason_required" else "to",
                                       "message": _message(exc)}], posted)
    db.session.commit()
    audit.record("application.status", target=number, details={"from": before, "to": to})
    return redirect(url_for("staff_applications.detail", number=number, done="status"))


@bp.route("/<number>/correction", methods=["GET", "POST"], endpoint="correction")
def correction(number: str):
    """補正依頼: a comment per field (at least one) and a message for the resident."""
    app = _load(number, lock=request.method == "POST")
    form = _form_of(app)
    sheet = _sheet(app, _staff_by_id())
    shown = [row["id"] for section in sheet["sections"] for row in section["rows"]]
    errors: list[dict[str, str]] = []
    comments: dict[str, str] = {}
    note = ""
    if request.method == "POST":
        comments = {fid: text for fid in shown if (text := _text(request.form.get(f"comment-{fid}"), MAX_COMMENT))}
        note = _text(request.form.get("note"), MAX_NOTE)
        errors = _stale(app)
        if not errors and not comments and shown:
            errors.append({"field_id": f"comment-{shown[0]}", "message": _(
                "直してほしい項目に、少なくとも1つコメントを書いてください。")})
        if not errors and not note:
            errors.append({"field_id": "note", "message": _("申請者へのお知らせを書いてください。メールと状態のページに載ります。")})
        if not errors:
            before = app.status
            try:
                applications.change_status(app, workflow.CORRECTION, who=workflow.STAFF, actor=_actor(), note=note,
                                           field_comments=comments, staff_id=g.staff.id,
                                           needs_second_approver=_needs_second_approver(form))
            except ApplicationError as exc:
                db.session.rollback()
                errors.append({"field_id": "note", "message": _message(exc)})
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
    app = _load(number, lock=True)
    choice = request.form.get("assignee", "")
    people = {str(u.id): u for u in _colleagues(app)}
    if choice == "me":
        choice = str(g.staff.id)
    if choice != "none" and choice not in people:
        return _refused(app, number, [{"field_id": "assignee", "message": _("担当者を選んでください。")}],
                        {"assignee": choice}, 400)
    user = people.get(choice)
    app.assignee_id = user.id if user else None
    applications.record_event(app, "assign", _actor(), note=user.login_id if user else "-")
    applications.touch(app)
    db.session.commit()
    audit.record("application.assign", target=number, details={"assignee": user.login_id if user else None})
    return redirect(url_for("staff_applications.detail", number=number, done="assign"))


@bp.post("/<number>/first-approval", endpoint="first_approval")
def first_approval(number: str):
    app = _load(number, lock=True)
    form = _form_of(app)
    errors = _stale(app)
    if not errors and not _needs_second_approver(form):
        errors = [{"field_id": "to", "message": _("この手続きは一次承認がいりません。そのまま承認してください。")}]
    if errors:
        return _refused(app, number, errors, {})
    try:
        applications.first_approval(app, g.staff.id, _actor())
    except ApplicationError as exc:
        return _refused(app, number, [{"field_id": "to", "message": _message(exc)}], {})
    db.session.commit()
    audit.record("application.first_approval", target=number)
    return redirect(url_for("staff_applications.detail", number=number, done="first_approval"))


def _yen(raw: str | None) -> int | None:
    """「1,500」「１５００円」 → 1500; None when it is not a whole number of yen."""
    text = unicodedata.normalize("NFKC", raw or "").replace(",", "").replace("円", "").replace("¥", "").strip()
    return int(text) if text.isdigit() and len(text) <= 9 else None


@bp.post("/<number>/fee", endpoint="confirm_fee")
def confirm_fee(number: str):
    app = _load(number, lock=True)
    raw = request.form.get("amount", "")
    amount = _yen(raw)
    if amount is None:
        return _refused(app, number, [{"field_id": "amount", "message": _(
            "手数料は0円から1,000,000円までの整数で入力してください（例：1500）。")}], {"amount": raw}, 400)
    try:
        applications.confirm_fee(app, amount, _actor())
    except ApplicationError as exc:
        return _refused(app, number, [{"field_id": "amount", "message": _message(exc)}], {"amount": raw}, exc.status)
    db.session.commit()
    audit.record("application.fee", target=number, details={"amount": amount})
    return redirect(url_for("staff_applications.detail", number=number, done="fee"))


@bp.post("/<number>/refund", endpoint="refund")
def refund(number: str):
    app = _load(number, lock=True)
    refund_fn = _refund_function()
    raw, reason = request.form.get("refund_amount", ""), _text(request.form.get("reason"), MAX_NOTE)
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
        refund_fn(app, amount, reason, _actor())
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
    app = _load(number)
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


def _print_meta() -> dict[str, Any]:
    return {"printed_at": dt.datetime.now(show.JST).strftime("%Y-%m-%d %H:%M"), "printed_by": g.staff.login_id}


@bp.get("/<number>/print", endpoint="print_one")
def print_one(number: str):
    app = _load(number)
    audit.record("application.print", target=number, details={"count": 1})
    return render_template("staff/applications/print.html", sheets=[_sheet(app, _staff_by_id())], total=1,
                           limit=PRINT_LIMIT, back_url=url_for("staff_applications.detail", number=number),
                           **_print_meta())


@bp.get("/<number>/export.json", endpoint="export_one")
def export_one(number: str):
    """One application with its field values, attachments (without bytes), signature evidence and history."""
    app = _load(number)
    form = _form_of(app)
    labels = show.field_labels(form, _locale())
    body = {
        "receipt_number": app.receipt_number, "procedure_id": app.procedure_id,
        "procedure": _procedure_name(app.procedure_id), "status": app.status, "status_label": _status_label(app.status),
        "revision": app.revision, "department_id": app.department_id,
        "submitted_at": _iso(app.submitted_at), "updated_at": _iso(app.updated_at),
        "decided_at": _iso(app.decided_at), "closed_at": _iso(app.closed_at),
        "fields": applications.values(app), "field_labels": labels,
        "attachments": [{"name": a.name, "field_id": a.field_id, "filename": a.filename, "kind": a.kind,
                         "size": a.size, "sha256": a.sha256} for a in applications.attachments(app)],
        "signature": {"signer": applications.signer(app), "identity": applications.identity(app),
                      "certificate_serial": app.cert_serial, "certificate_issuer": app.cert_issuer,
                      "checked_at": _iso(app.signature_checked_at),
                      "revocation_evidence": show.evidence_rows(app.revocation_evidence)},
        "payment": {"timing": app.payment_timing, "state": app.payment_state, "fee_amount": app.fee_amount},
        "history": [{"at": _iso(e.at), "kind": e.kind, "actor": e.actor, "from_status": e.from_status,
                     "to_status": e.to_status, "note": e.note,
                     "field_comments": json.loads(e.field_comments_json) if e.field_comments_json else None}
                    for e in applications.events(app)],
    }
    filename = f"application-{number}.json"
    audit.record("application.export", target=number, details={"format": "json", "file": filename})
    return _json_download(body, filename)


def _iso(moment: dt.datetime | None) -> str | None:
    local = show.jst(moment)
    return local.isoformat() if local else None
