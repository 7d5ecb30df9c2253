"""The staff manual and the training text in the console (/staff/help/<manual>, any signed-in
role, LGWAN only like every console page), and the console's ヘルプ link: the section of the
staff manual for the screen it is on."""
from __future__ import annotations

from flask import Blueprint, render_template, request, url_for

from core import manuals
from core.help_views import not_found, screen_response

bp = Blueprint("staff_help", __name__, url_prefix="/staff/help", template_folder="templates")

# a console screen (endpoint, else its blueprint) → its section of docs/manual/staff.md
SECTIONS = {
    "staff.home": "portal", "staff.users": "accounts", "staff.user_new": "accounts", "staff.user_edit": "accounts",
    "staff.password": "login",
    "staff_applications.inbox": "inbox", "staff_applications.detail": "review",
    "staff_applications.phrases": "phrases", "staff_applications": "outputs",
    "staff_reservations.queue": "queue", "staff_reservations.overrides": "overrides",
    "staff_reservations.stats": "stats", "staff_reservations": "reservations",
    "staff_visits": "visits",  # the counter side of a visit (事前入力, printing the forms, 済み)
    "staff_content": "content", "staff_forms": "online-forms", "staff_rule_graph": "rule-graph",
    "staff_stats": "stats", "staff_audit": "audit", "staff_incidents": "incidents",
    "staff_monitor": "alerts", "staff_search": "search-words", "staff_mail": "mail",
}


def section_for(endpoint: str | None) -> str:
    endpoint = endpoint or ""
    return SECTIONS.get(endpoint) or SECTIONS.get(endpoint.partition(".")[0]) or "top"


@bp.get("/")
def index():
    return render_template("staff/help_index.html")


@bp.get("/<name>")
def manual(name: str):
    if name not in manuals.MANUALS:
        raise not_found()
    page = manuals.rendered(name, url_for("staff_help.screen", file=""))
    return render_template("staff/help.html", manual=page, name=name)


@bp.get("/screens/<file>")
def screen(file: str):
    return screen_response(file)


@bp.app_context_processor
def _staff_help_link():
    def staff_help_url() -> str:
        return url_for("staff_help.manual", name="staff", _anchor=section_for(request.endpoint))
    return {"staff_help_url": staff_help_url}
