"""The inbox of online applications (/staff/applications/), its bulk actions, and the filtered
list as CSV or JSON. Every list, bulk action and export is written to the audit log (filters,
receipt numbers). The page shows the applicant's name (decrypted only for its own rows), the open
days since 受付 and the 期限 marker (intake.processing_time), and each clerk's workload."""
from __future__ import annotations

import datetime as dt
import math
from typing import Any
from urllib.parse import parse_qsl

from flask import Response, abort, g, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from core import audit
from core.csv_export import to_csv, to_csv_shift_jis
from core.db import db, sql_day
from intake import dispatch, processing_time, workflow
from intake.models import Application
from staff import applications_display as show
from staff import applications_inbox as inbox
from staff import inbox_bulk, inbox_rows
from staff.applications_common import (
    bp,
    file_stamp,
    forms_of_generation,
    imports_of,
    json_download,
    list_row,
    needs_second_approver,
    procedure_choices,
    staff_by_id,
    ui_locale,
    user_departments,
)

EXPORT_LIMIT = 10000
LIGHT = (Application.id, Application.status, Application.procedure_id, Application.submitted_at,
         Application.receipt_number)


def _forms():
    return forms_of_generation()


def _standard() -> dict[str, int | None]:
    return inbox_rows.standard_days(_forms())


def colleague_choices() -> dict[str, str]:
    """Staff id (text) → name: the colleagues of the user's departments (filter, bulk assign)."""
    return {str(u.id): u.display_name for u in inbox_rows.colleagues(user_departments())}


def read_filters(args=None) -> inbox.InboxFilters:
    """Any staff id is a valid assignee filter (a workload link may name an administrator)."""
    people = {str(uid): u.display_name for uid, u in staff_by_id().items()}
    return inbox.read_filters(request.args if args is None else args, procedure_choices(), people)


def inbox_query(f: inbox.InboxFilters, columns=None):
    stmt = select(columns if columns is not None else Application)
    stmt = inbox.filtered(inbox.scoped(stmt, user_departments()), f, g.staff.id)
    if f.values.get("timing"):  # 期限超過 / 期限間近: the deadline depends on each procedure and the calendar
        light = db.session.execute(inbox.filtered(inbox.scoped(select(*LIGHT), user_departments()), f, g.staff.id)).all()
        ids = inbox.with_timing(light, _standard(), processing_time.today_jst(), f.values["timing"])
        stmt = stmt.where(Application.id.in_(ids or [""]))
    return stmt


def page_of(f: inbox.InboxFilters, limit: int, offset: int = 0) -> list[Application]:
    if f.sort != "due":
        people = sorted(staff_by_id().values(), key=lambda u: (u.display_name, u.login_id))
        rank = {u.id: i for i, u in enumerate(people)}
        return list(db.session.scalars(inbox.ordered(inbox_query(f), f, procedure_choices(), rank)
                                       .limit(limit).offset(offset)))
    light = db.session.execute(inbox_query(f, None).with_only_columns(*LIGHT)).all()
    ids = inbox.by_due(light, _standard(), processing_time.today_jst(), f.descending)[offset:offset + limit]
    found = {a.id: a for a in db.session.scalars(select(Application).where(Application.id.in_(ids or [""])))}
    return [found[i] for i in ids if i in found]


def _sort_links(f: inbox.InboxFilters) -> dict[str, dict[str, str]]:
    """Per sortable column: the link (the other direction when it is the current sort) and aria-sort."""
    out = {}
    for key in inbox.SORTS:
        current = f.sort == key
        direction = ("asc" if f.descending else "desc") if current else "asc"
        out[key] = {"url": url_for("staff_applications.inbox", **f.args(sort=key, dir=direction, page=None)),
                    "aria": ("descending" if f.descending else "ascending") if current else "none",
                    "next": direction}
    return out



def inbox_context(f: inbox.InboxFilters, **extra: Any) -> dict[str, Any]:
    lang = ui_locale()
    statuses = [{"value": inbox.OPEN, "label": _("対応中（受付〜発行済）")}, {"value": inbox.ALL, "label": _("すべて")}]
    statuses += [{"value": s, "label": workflow.label(s, lang)} for s in inbox.LISTED_STATUSES]
    colleagues = colleague_choices()
    assignees = [{"value": "anyone", "label": _("だれでも")}, {"value": "me", "label": _("自分")},
                 {"value": "unassigned", "label": _("担当者なし")}]
    assignees += [{"value": uid, "label": name} for uid, name in colleagues.items() if uid != str(g.staff.id)]
    timings = [{"value": "", "label": _("すべて")}, {"value": processing_time.OVERDUE, "label": _("期限超過")},
               {"value": processing_time.DUE_SOON_MARK, "label": _("期限間近")}]
    field_errors = {e["field_id"]: e["message"] for e in f.errors}
    errors = list(f.errors) + list(extra.pop("bulk_errors", []))
    field_errors.update({e["field_id"]: e["message"] for e in errors})
    return {"filters": f, "errors": errors, "field_errors": field_errors, "filter_failed": bool(f.errors),
            "statuses": statuses, "assignees": assignees, "timings": timings, "procedures": procedure_choices(),
            "colleagues": colleagues, "bulk_actions": _bulk_actions(), "sort_links": _sort_links(f),
            "checked": set(), "posted": {}, "outcomes": [], **extra}


def _bulk_actions() -> list[dict[str, str]]:
    return [{"value": inbox_bulk.ASSIGN_ME, "label": _("自分を担当者にする")},
            {"value": inbox_bulk.ASSIGN, "label": _("選んだ職員を担当者にする")},
            {"value": inbox_bulk.ISSUE, "label": _("「発行済・郵送済」にする")},
            {"value": inbox_bulk.POSTED, "label": _("郵送済にする（郵送した日を記録）")},
            {"value": inbox_bulk.COMPLETE, "label": _("「完了」にする")}]


def render_inbox(f: inbox.InboxFilters, status: int = 200, **extra: Any):
    if f.errors:
        return render_template("staff/applications/inbox.html", **inbox_context(f, rows=[], total=0, **extra)), 400
    total = db.session.scalar(inbox_query(f, func.count(Application.id))) or 0
    pages = max(1, math.ceil(total / inbox.PER_PAGE))
    try:
        page = min(max(int(request.args.get("page", "1")), 1), pages)
    except ValueError:
        page = 1
    apps = page_of(f, inbox.PER_PAGE, (page - 1) * inbox.PER_PAGE)
    people = staff_by_id()
    standard, today = _standard(), processing_time.today_jst()
    posted = dispatch.dispatched(a.id for a in apps if a.status == workflow.ISSUED)
    imported = imports_of(apps)
    rows = [{**list_row(a, people), **inbox_rows.row_extras(a, standard, today), "posted": a.id in posted,
             "imported": any(i["current"] for i in imported.get(a.id, []))}
            for a in apps]
    first = (page - 1) * inbox.PER_PAGE + 1 if rows else 0
    audit.record("application.list", target="inbox", details={
        "filters": f.audit_args(), "count": len(rows), "page": page, "numbers": [r["number"] for r in rows]})
    return render_template("staff/applications/inbox.html", **inbox_context(
        f, rows=rows, total=total, page=page, pages=pages, first=first, last=first + len(rows) - 1 if rows else 0,
        workload=_workload(standard, today), workload_statuses=inbox_rows.WORKLOAD_STATUSES,
        status_labels={s: workflow.label(s, ui_locale()) for s in workflow.STATUSES},
        query_string=request.query_string.decode("utf-8", "replace")[:1000], **extra,
        prev_url=url_for("staff_applications.inbox", **f.args(page=page - 1)) if page > 1 else None,
        next_url=url_for("staff_applications.inbox", **f.args(page=page + 1)) if page < pages else None,
        csv_url=url_for("staff_applications.export_csv", **f.args()),
        sjis_url=url_for("staff_applications.export_csv", **f.args(encoding="shift_jis")),
        json_url=url_for("staff_applications.export_json", **f.args()),
        print_url=url_for("staff_applications.print_list", **f.args()),
        labels_url=url_for("staff_applications.postal_labels", **f.args()),
        dispatch_url=url_for("staff_applications.dispatch_list", **f.args()))), status


def _workload(standard, today) -> list[inbox_rows.Load]:
    group = (Application.assignee_id, Application.status, Application.procedure_id,
             sql_day(Application.submitted_at, db.session.get_bind().dialect.name))
    rows = db.session.execute(inbox.scoped(select(*group, func.count()), user_departments())
                              .where(Application.status.in_(sorted(workflow.OPEN_FOR_STAFF))).group_by(*group)).all()
    return inbox_rows.workload(rows, inbox_rows.colleagues(user_departments()), standard, today)


@bp.get("/", endpoint="inbox")
def inbox_view():
    return render_inbox(read_filters())


@bp.post("/bulk", endpoint="bulk")
def bulk():
    """Several applications at once; what was done and what was refused (and why) per application.
    A form that cannot be done (nothing ticked, no action, no colleague) comes back with the
    ticks, the choices and the filters as they were."""


    back = request.form.get("back", "")[:1000]
    f = read_filters(MultiDict(parse_qsl(back)))
    numbers = [n for n in request.form.getlist("number") if inbox.RECEIPT.match(n)][:inbox_bulk.MAX_BATCH]
    action = request.form.get("action", "")
    assignee_id = request.form.get("bulk_assignee", "")
    colleagues = colleague_choices()
    posted = {"action": action, "bulk_assignee": assignee_id}
    errors = []
    if not numbers:
        errors.append({"field_id": "bulk-select", "message": _("まとめて操作する申請を、一覧のチェックボックスで選んでください。")})
    if action not in inbox_bulk.ACTIONS:
        errors.append({"field_id": "action", "message": _("まとめて行う操作を選んでください。")})
    elif action == inbox_bulk.ASSIGN and assignee_id not in colleagues:
        errors.append({"field_id": "bulk_assignee", "message": _("担当者にする職員を選んでください。")})
    if errors:
        return render_inbox(f, 400, bulk_errors=errors, checked=set(numbers), posted=posted)
    people = staff_by_id()
    assignee = people.get(int(assignee_id)) if action == inbox_bulk.ASSIGN else None
    forms = _forms()
    outcomes = inbox_bulk.carry_out(numbers, action, me=g.staff, departments=user_departments(), assignee=assignee,
                                    second_approver=lambda pid: pid in forms and needs_second_approver(forms[pid]))
    return render_inbox(f, 200 if any(o.done for o in outcomes) else 409, outcomes=outcomes, posted=posted)


def export_filter():
    f = read_filters()
    if f.errors:
        abort(Response(render_template("staff/applications/inbox.html", **inbox_context(f, rows=[], total=0)),
                       status=400))
    return f


def export_rows(f: inbox.InboxFilters) -> list[dict[str, Any]]:
    people = staff_by_id()
    return [list_row(a, people) for a in page_of(f, EXPORT_LIMIT)]



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
    data = to_csv_shift_jis(body) if sjis else to_csv(body)  # a refusal (unmappable characters) is audited apart
    audit.record("application.export", target="inbox", details={
        "format": "csv-shift_jis" if sjis else "csv", "file": filename, "count": len(rows), "filters": f.audit_args()})
    charset = "shift_jis" if sjis else "utf-8"
    return Response(data, content_type=f"text/csv; charset={charset}", headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})


@bp.get("/export.json", endpoint="export_json")
def export_json():
    f = export_filter()
    rows = export_rows(f)
    filename = f"applications-{file_stamp()}.json"
    body = {
        "exported_at": dt.datetime.now(show.JST).isoformat(timespec="seconds"), "filters": f.audit_args(),
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
        "format": "json", "file": filename, "count": len(rows), "filters": f.audit_args()})
    return json_download(body, filename)
