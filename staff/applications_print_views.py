"""What leaves the console on paper and in files, all audited:

- print: one application, or the filtered list one per A4 page, as the city's paper form (a
  交付請求書 for certificate requests, a 届出書/申請書 with the form's sections otherwise), with the
  受付印 box, 受付番号 and 受付日, the 決裁 boxes 担当・係長・課長, 手数料 and 支払い. No hashes,
  serial numbers or other technical evidence on paper (they stay on screen and in the JSON);
- 郵送: address labels (A4, 12 a sheet) and the 発送一覧 (printable and CSV) of the filtered
  applications whose certificate goes by post;
- the daily 交付一覧 for the certificate systems (CSV, UTF-8 with BOM or Shift_JIS: a character
  that Shift_JIS cannot hold is refused and listed, staff/csv_refusal.py);
- one application as JSON with its fields, attachments (without bytes), signature evidence and history.
"""
from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from typing import Any

from flask import Response, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from core import audit
from core.csv_export import to_csv, to_csv_shift_jis
from core.db import db
from core.pack import rulebook
from intake import applications, workflow
from intake.forms import Form
from intake.models import Application
from staff import applications_display as show
from staff import applications_inbox as inbox
from staff import certificates
from staff.applications_common import (
    bp,
    form_for,
    form_of,
    iso,
    json_download,
    load_application,
    print_meta,
    procedure_name,
    status_label,
    ui_locale,
    user_departments,
)
from staff.applications_list_views import export_filter, inbox_query, page_of

PRINT_LIMIT = 100  # applications in one print run (one per page)
LABELS_PER_SHEET = 12
POSTAL_LIMIT = 600
ISSUE_LIMIT = 2000
ISSUED_STATUSES = (workflow.APPROVED, workflow.ISSUED, workflow.COMPLETED)
SJIS = ("shift_jis", "sjis", "cp932")
_DAY = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")


def _certs() -> dict[str, certificates.Certificate]:
    directory = rulebook().kb.directory  # the served version's folder
    return certificates.load_certificates(directory.name, directory.parent)


def _counter_names(form: Form) -> dict[str, str]:
    fld = form.fields.get("pickup_counter")
    return {c.value: c.label.get(ui_locale()) for c in (fld.choices or [])} if fld else {}


def _department_name(department_id: str) -> str:
    dep = rulebook().kb.departments.get(department_id)
    return dep.name.get(ui_locale()) if dep else ""


def paper(app: Application) -> dict[str, Any]:
    """One application as the city's paper form (see the module docstring)."""
    lang = ui_locale()
    form = form_of(app)
    values = applications.values(app)
    cert = _certs().get(app.procedure_id)
    signed = bool(applications.signer(app)) and app.signature_checked_at is not None
    out: dict[str, Any] = {
        "number": app.receipt_number, "procedure": procedure_name(app.procedure_id),
        "department": _department_name(app.department_id),
        "received": show.date_text(show.jst(app.submitted_at).date().isoformat(), lang) if app.submitted_at else "",
        "status_label": status_label(app.status),
        "signed": signed, "checked": certificates.checked_date(app.signature_checked_at, lang) if signed else "",
        "fee": app.fee_amount,
        "payment_timing": show.PAYMENT_TIMING.get(app.payment_timing, {}).get(lang, ""),
        "payment_label": show.PAYMENT_STATE.get(app.payment_state, {}).get(lang, ""),
        "kind": "certificate" if cert else "form",
    }
    if cert:
        out["certificate"] = certificates.certificate_paper(form, cert, values, locale=lang,
                                                            counter_names=_counter_names(form))
    else:
        files = applications.attachments(app)
        out["sections"] = certificates.form_paper(show.field_sections(form, values, files, lang))
    return out


@bp.get("/print", endpoint="print_list")
def print_list():
    """The filtered applications as paper forms: one per A4 page (at most PRINT_LIMIT)."""
    f = export_filter()
    total = db.session.scalar(inbox_query(f, func.count(Application.id))) or 0
    apps = page_of(f, PRINT_LIMIT)  # in the order the clerk chose in the inbox
    sheets = [paper(a) for a in apps if form_for(a.procedure_id) is not None]
    audit.record("application.print", target="inbox", details={
        "count": len(sheets), "filters": f.audit_args(), "receipt_numbers": [s["number"] for s in sheets][:PRINT_LIMIT]})
    return render_template("staff/applications/print.html", sheets=sheets, total=total, limit=PRINT_LIMIT,
                           back_url=url_for("staff_applications.inbox", **f.args()), **print_meta())


@bp.get("/<number>/print", endpoint="print_one")
def print_one(number: str):
    app = load_application(number)
    audit.record("application.print", target=number, details={"count": 1})
    return render_template("staff/applications/print.html", sheets=[paper(app)], total=1,
                           limit=PRINT_LIMIT, back_url=url_for("staff_applications.detail", number=number),
                           **print_meta())


# --- 郵送: address labels and the 発送一覧 ------------------------------------------------------

def postal_items(f: inbox.InboxFilters) -> tuple[list[dict[str, Any]], int]:
    """The filtered applications whose certificate goes by post, with where it goes."""
    out = []
    apps = page_of(f, POSTAL_LIMIT)
    certs = _certs()
    for app in apps:
        form = form_for(app.procedure_id)
        if form is None:
            continue
        values = applications.values(app)
        to = certificates.mail_to(values)
        if to is None:
            continue
        cert = certs.get(app.procedure_id)
        copies = sum(c for _i, c in certificates.items_of(cert, form, values)) if cert else None
        out.append({"number": app.receipt_number, "procedure": procedure_name(app.procedure_id),
                    "postal_code": certificates.postal(to["postal_code"]), "address": to["address"],
                    "building": to["building"], "name": to["name"], "copies": copies, "fee": app.fee_amount,
                    "payment_label": show.PAYMENT_STATE.get(app.payment_state, {}).get(ui_locale(), "")})
    return out, len(apps)


def _postal_shown(kind: str) -> tuple[inbox.InboxFilters, list[dict[str, Any]], int]:
    """The filtered applications sent by post, read for ``kind`` (labels, dispatch) and audited
    with their receipt numbers (the page shows names and addresses)."""
    f = export_filter()
    items, scanned = postal_items(f)
    audit.record("application.postal", target="inbox", details={
        "format": kind, "count": len(items), "filters": f.audit_args(), "receipt_numbers": [i["number"] for i in items]})
    return f, items, scanned


@bp.get("/labels", endpoint="postal_labels")
def postal_labels():
    """A4 sheets of 12 address labels for the filtered applications sent by post."""
    f, items, scanned = _postal_shown("labels")
    sheets = [items[i:i + LABELS_PER_SHEET] for i in range(0, len(items), LABELS_PER_SHEET)]
    return render_template("staff/applications/labels.html", sheets=sheets, count=len(items),
                           truncated=scanned >= POSTAL_LIMIT, limit=POSTAL_LIMIT,
                           dispatch_url=url_for("staff_applications.dispatch_list", **f.args()),
                           back_url=url_for("staff_applications.inbox", **f.args()), **print_meta())


def dispatch_header() -> list[str]:
    return [_("受付番号"), _("手続き"), _("氏名"), _("郵便番号"), _("住所"), _("通数"), _("手数料（円）"), _("支払い"),
            _("発送")]


@bp.get("/dispatch", endpoint="dispatch_list")
def dispatch_list():
    """The 発送一覧 (dispatch list) of the filtered applications sent by post, to print and tick."""
    f, items, scanned = _postal_shown("dispatch")
    return render_template("staff/applications/dispatch.html", items=items, truncated=scanned >= POSTAL_LIMIT,
                           limit=POSTAL_LIMIT, header=dispatch_header(),
                           labels_url=url_for("staff_applications.postal_labels", **f.args()),
                           csv_url=url_for("staff_applications.dispatch_csv", **f.args()),
                           sjis_url=url_for("staff_applications.dispatch_csv", **f.args(encoding="shift_jis")),
                           back_url=url_for("staff_applications.inbox", **f.args()), **print_meta())


@bp.get("/dispatch.csv", endpoint="dispatch_csv")
def dispatch_csv():
    f = export_filter()
    sjis = request.args.get("encoding") in SJIS
    items, _scanned = postal_items(f)
    body: list[list[object]] = [dispatch_header()] + [
        [i["number"], i["procedure"], i["name"], i["postal_code"], " ".join(p for p in (i["address"], i["building"]) if p),
         i["copies"], i["fee"], i["payment_label"], ""] for i in items]
    filename = f"dispatch-{dt.datetime.now(show.JST):%Y%m%d-%H%M}{'-sjis' if sjis else ''}.csv"
    data = to_csv_shift_jis(body) if sjis else to_csv(body)  # unmappable characters: 422 with the list
    audit.record("application.postal", target="inbox", details={
        "format": "csv-shift_jis" if sjis else "csv", "file": filename, "count": len(items), "filters": f.args()})
    return _csv_response(data, filename, sjis)


def _csv_response(data: bytes, filename: str, sjis: bool) -> Response:
    return Response(data, content_type=f"text/csv; charset={'shift_jis' if sjis else 'utf-8'}", headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})


# --- the daily 交付一覧 (issue list) for the certificate systems --------------------------------

def read_day(raw: str | None) -> tuple[dt.date | None, str | None]:
    """(day, error): today (Japan) when empty; YYYY-MM-DD otherwise."""
    text = unicodedata.normalize("NFKC", raw or "").strip()
    if not text:
        return dt.datetime.now(show.JST).date(), None
    match = _DAY.match(text)
    if match:
        try:
            day = dt.date(*(int(p) for p in match.groups()))
            if 2000 <= day.year <= 2100:
                return day, None
        except ValueError:
            pass
    return None, _("日付は2026-04-01のように、年-月-日で入力してください。")


def issue_rows(day: dt.date) -> tuple[list[list[object]], int]:
    """The certificate applications of the user's departments approved on ``day`` (Japan time):
    one line per certificate. Returns (lines, applications)."""
    certs = _certs()
    start = dt.datetime.combine(day, dt.time(), show.JST).astimezone(dt.UTC)
    stmt = select(Application).where(Application.procedure_id.in_(list(certs)),
                                     Application.status.in_(ISSUED_STATUSES),
                                     Application.decided_at >= start,
                                     Application.decided_at < start + dt.timedelta(days=1))
    departments = user_departments()
    if departments is not None:
        stmt = stmt.where(Application.department_id.in_(departments))
    lang = ui_locale()
    lines: list[list[object]] = []
    count = 0
    for app in db.session.scalars(stmt.order_by(Application.decided_at, Application.receipt_number).limit(ISSUE_LIMIT)):
        form = form_for(app.procedure_id)
        if form is None:
            continue
        count += 1
        lines += certificates.issue_rows(
            app.receipt_number or "", form, certs[app.procedure_id], applications.values(app), fee=app.fee_amount,
            payment=show.PAYMENT_STATE.get(app.payment_state, {}).get(lang, ""),
            counter_names=_counter_names(form), locale=lang)
    return lines, count


@bp.get("/issue-list", endpoint="issue_list")
def issue_list():
    """The 交付一覧 of a day: what the certificate systems must issue, to check and download."""
    day, error = read_day(request.args.get("day"))
    errors = [{"field_id": "day", "message": error}] if error else []
    lines, count = ([], 0) if day is None else issue_rows(day)
    if day is not None:
        audit.record("application.issue_list", target=day.isoformat(), details={"format": "print", "count": count})
    args = {"day": day.isoformat()} if day else {}
    return render_template(
        "staff/applications/issue_list.html", day=day, day_value=request.args.get("day", "") if error else
        (day.isoformat() if day else ""), errors=errors, field_errors={e["field_id"]: e["message"] for e in errors},
        header=certificates.issue_header(ui_locale()), lines=lines, count=count,
        csv_url=url_for("staff_applications.issue_list_csv", **args),
        sjis_url=url_for("staff_applications.issue_list_csv", encoding="shift_jis", **args),
        back_url=url_for("staff_applications.inbox")), 400 if error else 200


@bp.get("/issue-list.csv", endpoint="issue_list_csv")
def issue_list_csv():
    day, _error = read_day(request.args.get("day"))
    if day is None:
        return issue_list()
    sjis = request.args.get("encoding") in SJIS
    lines, count = issue_rows(day)
    body = [certificates.issue_header(ui_locale()), *lines]
    filename = f"issue-list-{day:%Y%m%d}{'-sjis' if sjis else ''}.csv"
    data = to_csv_shift_jis(body) if sjis else to_csv(body)  # unmappable characters: 422 with the list
    audit.record("application.issue_list", target=day.isoformat(), details={
        "format": "csv-shift_jis" if sjis else "csv", "file": filename, "count": count})
    return _csv_response(data, filename, sjis)


@bp.get("/<number>/export.json", endpoint="export_one")
def export_one(number: str):
    """One application with its field values, attachments (without bytes), signature evidence and history."""
    app = load_application(number)
    form = form_of(app)
    labels = show.field_labels(form, ui_locale())
    body = {
        "receipt_number": app.receipt_number, "procedure_id": app.procedure_id,
        "procedure": procedure_name(app.procedure_id), "status": app.status, "status_label": status_label(app.status),
        "revision": app.revision, "department_id": app.department_id,
        "submitted_at": iso(app.submitted_at), "updated_at": iso(app.updated_at),
        "decided_at": iso(app.decided_at), "closed_at": iso(app.closed_at),
        "fields": applications.values(app), "field_labels": labels,
        "attachments": [{"name": a.name, "field_id": a.field_id, "filename": a.filename, "kind": a.kind,
                         "size": a.size, "sha256": a.sha256} for a in applications.attachments(app)],
        "signature": {"signer": applications.signer(app), "identity": applications.identity(app),
                      "certificate_serial": app.cert_serial, "certificate_issuer": app.cert_issuer,
                      "checked_at": iso(app.signature_checked_at),
                      "revocation_evidence": show.evidence_rows(app.revocation_evidence)},
        "payment": {"timing": app.payment_timing, "state": app.payment_state, "fee_amount": app.fee_amount},
        "history": [{"at": iso(e.at), "kind": e.kind, "actor": e.actor, "from_status": e.from_status,
                     "to_status": e.to_status, "note": e.note,
                     "field_comments": json.loads(e.field_comments_json) if e.field_comments_json else None}
                    for e in applications.events(app)],
    }
    filename = f"application-{number}.json"
    audit.record("application.export", target=number, details={"format": "json", "file": filename})
    return json_download(body, filename)

