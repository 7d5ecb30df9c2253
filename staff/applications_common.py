"""What the staff pages of online applications share: the blueprint and its policy guard, the
form definitions of the running knowledge generation, loading an application within the user's
departments, and the sheet of one application (detail page, print, exports).

Who: department staff (their departments only; another department's application answers 404,
core.auth.require_department) and administrators (all), see core/policy.py. The pages live in
staff/applications_views.py (one application and its actions), staff/applications_list_views.py
(the inbox and list exports) and staff/applications_print_views.py (print and one application's export).
"""
from __future__ import annotations

import datetime as dt
import json
import logging
from functools import lru_cache
from typing import Any

from flask import Blueprint, Response, abort, current_app, g
from sqlalchemy import select

from core import auth, policy
from core.db import db
from core.pack import rulebook
from core.staff_models import StaffUser
from core.words import lang_of
from intake import applications, backoffice_actions, workflow
from intake import identity as id_check
from intake.applications import ApplicationError
from intake.forms import Form
from intake.forms_current import current_forms
from intake.models import Application
from intake.payments.service import refund
from knowledge.correction_phrases import FILENAME as PHRASES_FILE
from knowledge.correction_phrases import PhrasesFile, load_phrases
from knowledge.yamlfile import KnowledgeError
from staff import applications_display as show
from staff.guard import only_with_policy

log = logging.getLogger(__name__)
bp = Blueprint("staff_applications", __name__, url_prefix="/staff/applications", template_folder="templates")
MAX_NOTE = 2000
MAX_COMMENT = 1000


bp.before_request(only_with_policy)  # the staff guard decides first; this blueprint checks again


# --- small helpers ----------------------------------------------------------------------------

def ui_locale() -> str:
    return lang_of(getattr(g, "locale", "ja"))


def error_message(exc: ApplicationError) -> str:
    return exc.text()


def staff_actor() -> str:
    return f"staff:{g.staff.login_id}"


def user_departments() -> list[str] | None:
    """None for administrators (every department); the user's departments otherwise."""
    return None if g.staff.role == policy.ADMIN else g.staff.department_ids


def forms_of_generation() -> dict[str, Form]:
    """Form definitions of the current pack generation (reloaded with it: intake/forms_current.py)."""
    return current_forms()


@lru_cache(maxsize=4)
def phrases_of_generation(version: str, municipality: str, stamp: int) -> PhrasesFile:
    """The pack's starter 定型文 (checked against the generation's departments); ``stamp``: the
    file's modification time, so an edited file is read again without a restart."""
    kb = rulebook().kb
    return load_phrases(kb.directory.name, kb.directory.parent, department_ids=set(kb.departments))


def starter_phrases() -> PhrasesFile:
    """The starters; a broken file is logged and offers none (reviews go on; the curator's
    check and tests/unit/test_correction_phrases.py name the file, line and field)."""
    municipality = current_app.config["MUNICIPALITY"]
    path = rulebook().kb.directory / PHRASES_FILE
    stamp = path.stat().st_mtime_ns if path.exists() else 0
    try:
        return phrases_of_generation(rulebook().version, municipality, stamp)
    except KnowledgeError as exc:
        log.error("correction phrases not loaded: %s", exc)
        return PhrasesFile(source="-")


def department_name(department_id: str) -> str:
    dep = rulebook().kb.departments.get(department_id)
    return dep.name.get(ui_locale()) if dep else department_id


def next_application(departments: list[str] | None, current: Application) -> Application | None:
    """「次の申請へ」: the clerk's queue in the inbox's default order (open statuses, the user's
    departments, oldest first); the first one after ``current``, else from the top again,
    never ``current`` itself."""
    stmt = select(Application).where(Application.receipt_number.is_not(None),
                                     Application.status.in_(sorted(workflow.OPEN_FOR_STAFF)),
                                     Application.id != current.id)
    if departments is not None:
        if not departments:
            return None
        stmt = stmt.where(Application.department_id.in_(departments))
    order = (Application.submitted_at.asc(), Application.receipt_number.asc())
    if current.submitted_at is not None:
        after = db.session.scalar(stmt.where(
            (Application.submitted_at > current.submitted_at)
            | ((Application.submitted_at == current.submitted_at)
               & (Application.receipt_number > current.receipt_number))).order_by(*order).limit(1))
        if after is not None:
            return after
    return db.session.scalar(stmt.order_by(*order).limit(1))


def form_for(procedure_id: str) -> Form | None:
    return forms_of_generation().get(procedure_id)


def procedure_name(pid: str) -> str:
    proc = rulebook().kb.procedures.get(pid)
    return proc.name.get(ui_locale()) if proc else pid


def procedure_choices() -> dict[str, str]:
    """The online procedures of the user's departments: id → name, in name order."""
    departments = user_departments()
    forms = forms_of_generation()
    ids = [pid for pid, form in forms.items() if departments is None or form.department in departments]
    return dict(sorted(((pid, procedure_name(pid)) for pid in ids), key=lambda item: item[1]))


def staff_by_id() -> dict[int, StaffUser]:
    return {u.id: u for u in db.session.scalars(select(StaffUser))}


def assignable_staff(app: Application) -> list[StaffUser]:
    """Who may be assigned: active department staff of the application's department, and me."""
    people = [u for u in db.session.scalars(select(StaffUser).where(StaffUser.active.is_(True)))
              if (u.role == policy.DEPARTMENT and app.department_id in u.department_ids) or u.id == g.staff.id]
    return sorted(people, key=lambda u: u.login_id)


def clean_text(raw: str | None, limit: int) -> str:
    return (raw or "").replace("\r\n", "\n").strip()[:limit]


def status_label(status: str) -> str:
    return workflow.label(status, ui_locale())


def load_application(number: str, *, lock: bool = False) -> Application:
    """The application with this receipt number, if the user's department handles it (else 404)."""
    stmt = select(Application).where(Application.receipt_number == number)
    if lock:
        stmt = stmt.with_for_update()  # two staff acting at once: one after the other (PostgreSQL)
    app = db.session.scalar(stmt)
    if app is None or app.status in workflow.BEFORE_SUBMISSION:
        abort(404)
    auth.require_department(app.department_id)
    return app


def form_of(app: Application) -> Form:
    form = form_for(app.procedure_id)
    if form is None:  # the procedure went offline after the application was sent
        abort(404)
    return form


def needs_second_approver(form: Form) -> bool:
    return bool(form.definition.review.second_approver)


def refund_function():
    """The payments service's refund (the one place the console takes it from)."""
    return refund


def list_row(app: Application, people: dict[int, StaffUser]) -> dict[str, Any]:
    assignee = people.get(app.assignee_id) if app.assignee_id else None
    return {
        "app": app, "number": app.receipt_number, "procedure": procedure_name(app.procedure_id),
        "status": app.status, "status_label": status_label(app.status),
        "submitted": show.jst(app.submitted_at), "updated": show.jst(app.updated_at),
        "assignee": assignee, "assignee_login": assignee.login_id if assignee else "",
        "fee": app.fee_amount, "payment_state": app.payment_state,
        "payment_label": show.PAYMENT_STATE.get(app.payment_state, {}).get(ui_locale(), app.payment_state),
    }



def imports_of(apps: list[Application]) -> dict[str, list[dict[str, Any]]]:
    """application id -> the 申請管理システム that took it in (取込済, POST …/ack of the back-office
    API): client name, when (JST text), and whether it was of the current revision."""
    found = backoffice_actions.acknowledgements([a.id for a in apps])
    revision = {a.id: a.revision for a in apps}
    return {aid: [{"client": client.name, "at": show.jst_text(ack.acked_at), "current": ack.revision == revision[aid]}
                  for ack, client in acks] for aid, acks in found.items()}


def application_sheet(app: Application, people: dict[int, StaffUser]) -> dict[str, Any]:
    """Everything shown about one application (detail page, print view)."""
    lang = ui_locale()
    form = form_of(app)
    values = applications.values(app)
    files = applications.attachments(app)
    assignee = people.get(app.assignee_id) if app.assignee_id else None
    first_approver = people.get(app.first_approver_id) if app.first_approver_id else None
    names = {u.login_id: u.display_name for u in people.values()}
    labels = show.field_labels(form, lang)
    signer = applications.signer(app)
    # compared again on display (the stored result predates 性別 on older applications)
    identity = id_check.compare(values, signer, form.signature_items) if signer else applications.identity(app)
    return {
        "app": app, "form": form, "number": app.receipt_number, "procedure": procedure_name(app.procedure_id),
        "status_label": status_label(app.status), "submitted": show.jst_text(app.submitted_at),
        "updated": show.jst_text(app.updated_at), "decided": show.jst_text(app.decided_at),
        "closed": show.jst_text(app.closed_at),
        "sections": show.field_sections(form, values, files, lang), "attachments": files,
        "signer": show.signer_rows(signer, lang),
        "identity": show.identity_rows(identity, lang),
        "checks": show.field_checks(identity, signer, lang),
        "serial": app.cert_serial, "issuer": app.cert_issuer, "checked": show.jst_text(app.signature_checked_at),
        "evidence": show.evidence_rows(app.revocation_evidence),
        "payment_timing": show.PAYMENT_TIMING.get(app.payment_timing, {}).get(lang, app.payment_timing),
        "payment_label": show.PAYMENT_STATE.get(app.payment_state, {}).get(lang, app.payment_state),
        "history": show.history_rows(applications.events(app), labels, names, lang),
        "assignee": assignee, "first_approver": first_approver,
        "second_approver": needs_second_approver(form),
        "imports": imports_of([app]).get(app.id, []),
    }



def json_download(body: dict, filename: str) -> Response:
    return Response(json.dumps(body, ensure_ascii=False, indent=2), mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})



def print_meta() -> dict[str, Any]:
    return {"printed_at": dt.datetime.now(show.JST).strftime("%Y-%m-%d %H:%M"), "printed_by": g.staff.login_id}



def file_stamp() -> str:
    return dt.datetime.now(show.JST).strftime("%Y%m%d-%H%M")



def iso(moment: dt.datetime | None) -> str | None:
    local = show.jst(moment)
    return local.isoformat() if local else None

