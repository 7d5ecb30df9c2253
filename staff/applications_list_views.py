"""The inbox of online applications (/staff/applications/) and the filtered list as CSV or JSON.
Every list and export is written to the audit log with its filters."""
from __future__ import annotations

import datetime as dt
import math
from typing import Any

from flask import Response, abort, g, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from core import audit
from core.csv_export import to_csv, to_csv_shift_jis
from core.db import db
from intake import workflow
from intake.models import Application
from staff import applications_display as show
from staff import applications_inbox as inbox
from staff.applications_common import (
    bp,
    file_stamp,
    json_download,
    list_row,
    procedure_choices,
    staff_by_id,
    ui_locale,
    user_departments,
)

EXPORT_LIMIT = 10000


def inbox_query(f: inbox.InboxFilters, columns=None):
    stmt = select(columns if columns is not None else Application)
    return inbox.filtered(inbox.scoped(stmt, user_departments()), f, g.staff.id)



def inbox_context(f: inbox.InboxFilters, **extra: Any) -> dict[str, Any]:
    lang = ui_locale()
    statuses = [{"value": inbox.OPEN, "label": _("対応中（受付〜発行済）")}, {"value": inbox.ALL, "label": _("すべて")}]
    statuses += [{"value": s, "label": workflow.label(s, lang)} for s in inbox.LISTED_STATUSES]
    assignees = [{"value": "anyone", "label": _("だれでも")}, {"value": "me", "label": _("自分")},
                 {"value": "unassigned", "label": _("担当者なし")}]
    return {"filters": f, "errors": f.errors, "field_errors": {e["field_id"]: e["message"] for e in f.errors},
            "statuses": statuses, "assignees": assignees, "procedures": procedure_choices(), **extra}


@bp.get("/", endpoint="inbox")
def inbox_view():
    f = inbox.read_filters(request.args, procedure_choices())
    if f.errors:
        return render_template("staff/applications/inbox.html", **inbox_context(f, rows=[], total=0)), 400
    total = db.session.scalar(inbox_query(f, func.count(Application.id))) or 0
    pages = max(1, math.ceil(total / inbox.PER_PAGE))
    try:
        page = min(max(int(request.args.get("page", "1")), 1), pages)
    except ValueError:
        page = 1
    apps = db.session.scalars(inbox.ordered(inbox_query(f)).limit(inbox.PER_PAGE)
                              .offset((page - 1) * inbox.PER_PAGE)).all()
    people = staff_by_id()
    rows = [list_row(a, people) for a in apps]
    first = (page - 1) * inbox.PER_PAGE + 1 if rows else 0
    audit.record("application.list", target="inbox", details={"filters": f.args(), "count": len(rows), "page": page})
    return render_template("staff/applications/inbox.html", **inbox_context(
        f, rows=rows, total=total, page=page, pages=pages, first=first, last=first + len(rows) - 1 if rows else 0,
        prev_url=url_for("staff_applications.inbox", **f.args(page=page - 1)) if page > 1 else None,
        next_url=url_for("staff_applications.inbox", **f.args(page=page + 1)) if page < pages else None,
        csv_url=url_for("staff_applications.export_csv", **f.args()),
        sjis_url=url_for("staff_applications.export_csv", **f.args(encoding="shift_jis")),
        json_url=url_for("staff_applications.export_json", **f.args()),
        print_url=url_for("staff_applications.print_list", **f.args())))


def export_filter():
    f = inbox.read_filters(request.args, procedure_choices())
    if f.errors:
        abort(Response(render_template("staff/applications/inbox.html", **inbox_context(f, rows=[], total=0)),
                       status=400))
    return f


def export_rows(f: inbox.InboxFilters) -> list[dict[str, Any]]:
    people = staff_by_id()
    return [list_row(a, people) for a in db.session.scalars(inbox.ordered(inbox_query(f)).limit(EXPORT_LIMIT))]



@bp.get("/export.csv", endpoint="export_csv")
def export_csv():
    """The filtered list (no personal field values): UTF-8 with BOM, or Shift_JIS (?encoding=shift_jis)."""
    f = export_filter()
    sjis = request.args.get("encoding") in ("shift_jis", "sjis", "cp932")
    rows = export_rows(f)
    header = [_("受付番号"), _("手続き"), _("状態"), _("受付日時"), _("更新日時"), _("担当者"), _("手数料（円）"), _("支払い")]
    body = [header] + [[r["number"], r["procedure"], r["status_label"], show.jst_text(r["app"].submitted_at),
                        show.jst_text(r["app"].updated_at), r["assignee_login"], r["fee"], r["payment_label"]]
                       for r in rows]
    filename = f"applications-{file_stamp()}{'-sjis' if sjis else ''}.csv"
    audit.record("application.export", target="inbox", details={
        "format": "csv-shift_jis" if sjis else "csv", "file": filename, "count": len(rows), "filters": f.args()})
    data = to_csv_shift_jis(body) if sjis else to_csv(body)
    charset = "shift_jis" if sjis else "utf-8"
    return Response(data, content_type=f"text/csv; charset={charset}", headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})


@bp.get("/export.json", endpoint="export_json")
def export_json():
    f = export_filter()
    rows = export_rows(f)
    filename = f"applications-{file_stamp()}.json"
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
    return json_download(body, filename)
