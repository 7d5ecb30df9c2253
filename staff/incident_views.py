"""The incident register on the console (/staff/incidents): the list with totals by cause, and the
form that opens or updates an incident (an alert's 「障害として記録」 opens one prefilled). Who:
administrators record; auditors read (core/policy.py). The service is staff/incidents.py."""
from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, abort, g, redirect, render_template, request, url_for

from core import alerts, audit, policy
from core.db import db
from core.words import Message
from staff import incidents as register

bp = Blueprint("staff_incidents", __name__, url_prefix="/staff/incidents", template_folder="templates")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _year(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isdigit() and len(raw) == 4 else None


@bp.get("/", endpoint="index")
def index():
    year = _year(request.args.get("year"))
    status = request.args.get("status") if request.args.get("status") in register.STATUSES else None
    rows = register.incidents(status=status, year=year)
    audit.record("incident.list", details={**({"year": year} if year else {}),
                                           **({"incident_status": register.status_code(status)} if status else {})})
    role = getattr(getattr(g, "staff", None), "role", None)
    return render_template("staff/incidents/index.html", rows=rows, totals=register.totals(rows),
                           years=register.fiscal_years(), year=year, status=status, local=register.local_text,
                           tables=_tables(), can_record=policy.allowed("staff_incidents.new", role),
                           done=request.args.get("done") in ("open", "update"))


def _tables() -> dict[str, dict[str, str]]:
    """Each classification's labels in the console's language: {table: {key: label}}."""
    tables = {"severity": register.SEVERITIES, "status": register.STATUSES, "cause": register.CAUSES,
              "service": register.SERVICES}
    return {name: {key: Message(msgid).text(g.locale) for key, msgid in table.items()}
            for name, table in tables.items()}


def _choices(table: dict[str, str]) -> list[dict[str, str]]:
    return [{"value": key, "label": label} for key, label in table.items()]


def _form_page(values: dict[str, Any], errors: dict[str, Message] | None = None, incident=None, alert=None,
               status: int = 200):
    said = {name: message.text(g.locale) for name, message in (errors or {}).items()}
    choices = {name: _choices(table) for name, table in _tables().items()}
    return render_template("staff/incidents/form.html", values=values, incident=incident, alert=alert,
                           choices=choices, errors=[{"field_id": k, "message": v} for k, v in said.items()],
                           field_errors=said), status



def _values_of(incident: register.Incident) -> dict[str, Any]:
    return {"title": incident.title, "severity": incident.severity, "status": incident.status,
            "cause_category": incident.cause_category, "services": incident.service_keys,
            "detected_at": register.local_text(incident.detected_at),
            "recovered_at": register.local_text(incident.recovered_at), "impact": incident.impact,
            "cause": incident.cause, "actions": incident.actions, "prevention": incident.prevention}


def _posted() -> dict[str, Any]:
    """What was typed, to show again beside the errors (nothing entered is lost)."""
    keep = {k: request.form.get(k, "")[:register.TEXT_LIMIT + 1] for k in
            ("title", "severity", "status", "cause_category", "detected_at", "recovered_at", "impact",
             "cause", "actions", "prevention", "alert_id")}
    keep["services"] = request.form.getlist("services")
    return keep


@bp.get("/new", endpoint="new")
def new():
    alert = None
    raw = request.args.get("alert", "")
    if raw:
        alert = db.session.get(alerts.SecurityAlert, int(raw)) if raw.isdigit() and len(raw) < 10 else None
        if alert is None:
            abort(404)
    values: dict[str, Any] = {"status": "open", "services": []}
    if alert is not None:  # what the alert already says: its time, its title and message
        values.update(title=alert.title_in(g.locale), detected_at=register.local_text(alert.raised_at),
                      impact=alert.message_in(g.locale), alert_id=str(alert.id),
                      cause_category="security" if alert.kind in ("login_failure", "permission_denied", "audit_tamper")
                      else "")
    return _form_page(values, alert=alert)[0]


@bp.post("/new", endpoint="create")
def create():
    try:
        data = register.read_form(request.form, _now())
    except register.IncidentInvalid as exc:
        return _form_page(_posted(), exc.messages, status=400)
    incident = register.open_incident(data, g.staff.login_id, _now())
    return redirect(url_for("staff_incidents.index", done="open", _anchor=f"incident-{incident.id}"))


def _incident(incident_id: int) -> register.Incident:
    incident = register.get(incident_id)
    if incident is None:
        abort(404)
    return incident


@bp.get("/<int:incident_id>", endpoint="edit")
def edit(incident_id: int):
    incident = _incident(incident_id)
    return _form_page(_values_of(incident), incident=incident)[0]


@bp.post("/<int:incident_id>", endpoint="update")
def update(incident_id: int):
    incident = _incident(incident_id)
    try:
        data = register.read_form(request.form, _now())
    except register.IncidentInvalid as exc:
        return _form_page(_posted(), exc.messages, incident=incident, status=400)
    register.update_incident(incident, data, g.staff.login_id, _now())
    return redirect(url_for("staff_incidents.index", done="update", _anchor=f"incident-{incident.id}"))
