"""The residents' help pages: /help/ (the manuals there are) and /help/<manual>, the Markdown
files of docs/manual/ (core/manuals.py), with their screenshots. A staff manual is read in the
console (staff/help_views.py): the staff host serves /staff only, so the console's links go there."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, send_file, url_for
from flask_babel import lazy_gettext as _l

from core import manuals
from core.errors import AppError

bp = Blueprint("help", __name__, url_prefix="/help")

# the section of the residents' manual for the page a resident is on (the footer's 「使い方」)
SECTIONS = {"guide": "guide", "search": "guide", "pages": "guide", "intake": "apply", "payments": "apply",
            "reservations": "reserve", "reservations_visit": "visit", "prefill": "visit", "crowding": "crowding"}


def not_found() -> AppError:
    return AppError("manual_not_found", _l("その説明書はありません。アドレスを確かめてください。"), 404)


@bp.get("/")
def index():
    return render_template("help/index.html")


@bp.get("/<name>")
def manual(name: str):
    found = manuals.MANUALS.get(name)
    if found is None:
        raise not_found()
    if found.audience != manuals.RESIDENT:
        return redirect(url_for("staff_help.manual", name=name))
    page = manuals.rendered(name, url_for("help.screen", file=""))
    return render_template("help/manual.html", manual=page, name=name)


@bp.get("/screens/<file>")
def screen(file: str):
    return screen_response(file)


def screen_response(file: str):
    """A manual's screenshot (docs/manual/screens), or 404: the same answer here and in the console."""
    path = manuals.screen_file(file)
    if path is None:
        raise not_found()
    return send_file(path, mimetype="image/png", max_age=3600)


@bp.app_context_processor
def _help_link():
    def resident_help_url() -> str:
        section = SECTIONS.get(request.blueprint or "")
        return url_for("help.manual", name="resident", _anchor=section)
    return {"resident_help_url": resident_help_url}
