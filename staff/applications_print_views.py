"""Print views (one application, or the filtered list one per A4 page) and one application as
JSON with its fields, attachments (without bytes), signature evidence and history. All audited."""
from __future__ import annotations

import json

from flask import render_template, url_for
from sqlalchemy import func

from core import audit
from core.db import db
from intake import applications
from intake.models import Application
from staff import applications_display as show
from staff import applications_inbox as inbox
from staff.applications_common import (
    application_sheet,
    bp,
    form_for,
    form_of,
    iso,
    json_download,
    load_application,
    print_meta,
    procedure_name,
    staff_by_id,
    status_label,
    ui_locale,
)
from staff.applications_list_views import export_filter, inbox_query

PRINT_LIMIT = 100  # applications in one print run (one per page)


@bp.get("/print", endpoint="print_list")
def print_list():
    """The filtered applications for the paper file: one per A4 page (at most PRINT_LIMIT)."""
    f = export_filter()
    total = db.session.scalar(inbox_query(f, func.count(Application.id))) or 0
    apps = db.session.scalars(inbox.ordered(inbox_query(f)).limit(PRINT_LIMIT)).all()
    people = staff_by_id()
    sheets = [application_sheet(a, people) for a in apps if form_for(a.procedure_id) is not None]
    audit.record("application.print", target="inbox", details={
        "count": len(sheets), "filters": f.args(), "receipt_numbers": [s["number"] for s in sheets][:PRINT_LIMIT]})
    return render_template("staff/applications/print.html", sheets=sheets, total=total, limit=PRINT_LIMIT,
                           back_url=url_for("staff_applications.inbox", **f.args()), **print_meta())



@bp.get("/<number>/print", endpoint="print_one")
def print_one(number: str):
    app = load_application(number)
    audit.record("application.print", target=number, details={"count": 1})
    return render_template("staff/applications/print.html", sheets=[application_sheet(app, staff_by_id())], total=1,
                           limit=PRINT_LIMIT, back_url=url_for("staff_applications.detail", number=number),
                           **print_meta())


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

