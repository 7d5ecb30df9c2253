"""Security alerts in the staff console: the list (administrators and auditors) and
acknowledging one (administrators). The banner on every console page is in staff/base.html."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, g, redirect, render_template, url_for

from core import alerts, policy
from core.db import db
from core.japan_time import JST

bp = Blueprint("staff_monitor", __name__, url_prefix="/staff/monitor", template_folder="templates")


def _local(moment: dt.datetime | None) -> str:
    if moment is None:
        return ""
    if moment.tzinfo is None:  # SQLite: stored as UTC
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(JST).strftime("%Y-%m-%d %H:%M")


@bp.get("/alerts", endpoint="alerts")
def alerts_page():
    role = getattr(getattr(g, "staff", None), "role", None)
    return render_template("staff/monitor/alerts.html", active=alerts.active_alerts(limit=200),
                           acknowledged=alerts.recent_acknowledged(limit=50), local=_local,
                           can_acknowledge=policy.allowed("staff_monitor.acknowledge", role))


@bp.post("/alerts/<int:alert_id>/acknowledge")
def acknowledge(alert_id: int):
    alert = db.session.get(alerts.SecurityAlert, alert_id)
    if alert is None:
        abort(404)
    alerts.acknowledge_by_staff(alert, g.staff.login_id)
    return redirect(url_for("staff_monitor.alerts"))

