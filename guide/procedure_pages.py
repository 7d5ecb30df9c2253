"""The site's own pages: the home page (``/``), every procedure's page (``/procedures/<id>``) and
their index, and the header's menu of the services. Thin: what a page shows is
guide.procedure_info; the guide never imports the other services, so their pages are reached by
endpoint name (``intake.apply``, ``reservations.reserve``), resolved when the page is drawn.
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, g, render_template, request
from flask_babel import lazy_gettext as _l

from core.japan_time import today_in_japan
from core.pack import rulebook
from core.templating import url_for_memoised
from guide.duration import estimates
from guide.procedure_info import procedure_index, procedure_view

bp = Blueprint("pages", __name__, template_folder="templates")

# the header's menu: (endpoint, words, the path it stands for); the search is another service's
# page known by its address (no endpoint of this package names it): left out, rather than linked
# to a 404, while the app does not serve it
MENU = (
    ("guide.start", _l("手続きガイド"), "/guide"),
    ("pages.procedures", _l("手続きの一覧"), "/procedures"),
    ("intake.index", _l("オンライン申請"), "/apply"),
    ("reservations.reserve", _l("窓口予約"), "/reserve"),
)  # search has its own link beside the city's name, on every resident page
NO_MENU = ("/staff", "/display")  # the staff console and the hall screens have their own top


@bp.get("/")
def home():
    book = rulebook()
    return render_template("guide/home.html", events=list(book.kb.events.values()))


@bp.get("/procedures/")
def procedures():
    return render_template("guide/procedures.html", groups=procedure_index(rulebook(), g.locale))


@bp.get("/procedures/<pid>")
def procedure(pid: str):
    book = rulebook()
    proc = book.kb.procedures.get(pid)
    if proc is None:
        abort(404)  # the site's 404 page, in the reader's language
    return render_template("guide/procedure.html", p=procedure_view(book, proc, g.locale, today_in_japan()))


@bp.app_context_processor
def _site_menu() -> dict:
    return {"site_menu": site_menu, "guide_time": guide_time}


def site_menu() -> list[dict]:
    """The header's links to the services, the current one marked."""
    path = request.path if request else ""
    if any(path == p or path.startswith(p + "/") for p in NO_MENU):
        return []
    items = []
    for endpoint, words, prefix in MENU:
        if endpoint in current_app.view_functions:
            url = url_for_memoised(endpoint)
        else:
            continue
        current = path == prefix or path.startswith(prefix + "/")
        items.append({"url": url, "label": words, "current": current})
    return items



def guide_time(event) -> list:
    """The questionnaire's time for ``event`` for one person and for four (guide.duration)."""
    book = rulebook()
    return estimates(book.kb, book.vocab, event)
