"""Widgets for the city's own homepage (docs/embedding.md): the life-event launcher, the search box
and one event's guide, each a page under ``/embed/…`` in a minimal layout (no site header) meant
for an iframe; ``/embed.js`` is the snippet that creates that iframe and sizes it.

Thin: the events come from the pack (``rulebook()``), the questionnaire is the guide's own
(guide/views.py). Every link carries ``?lang=`` because a framed page cannot count on the
language cookie (browsers block third-party cookies). Which origins may frame these pages:
``EMBED_ALLOWED_ORIGINS`` (core/security.py, frame-ancestors).
"""
from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, abort, current_app, render_template, request, send_from_directory, url_for

from core.i18n import current_locale
from core.pack import rulebook
from guide import flow
from guide.views import event_or_404

bp = Blueprint("embed", __name__, template_folder="templates")
WIDGETS = ("events", "search", "guide")
SCRIPT_MAX_AGE = 3600  # seconds a browser or the city's CDN may keep embed.js


def with_lang(url: str) -> str:
    """``url`` with the page's language in its query (kept in every link of a widget)."""
    return f"{url}{'&' if '?' in url else '?'}{urlencode({'lang': current_locale()})}"


@bp.get("/embed/events")
def events():
    return render_template("embed/events.html", events=list(rulebook().kb.events.values()), with_lang=with_lang)


@bp.get("/embed/search")
def search():
    return render_template("embed/search.html", with_lang=with_lang)


@bp.get("/embed/guide/<event_id>")
def guide(event_id: str):
    book, event = event_or_404(event_id)
    first = flow.steps(book.kb, book.vocab, event, {})[0]
    return render_template("embed/guide.html", event=event, with_lang=with_lang,
                           first_url=with_lang(url_for("guide.page", event_id=event.id, key=first.key)))


@bp.get("/embed/demo")
def demo():
    """Every widget embedded as the city's web team would (never in production)."""
    if current_app.config.get("IS_PRODUCTION", True):
        abort(404)
    events = list(rulebook().kb.events.values())
    return render_template("embed/demo.html", script_url=url_for("embed.script", _external=True),
                           event_id=events[0].id if events else "", iframe_base=request.host_url.rstrip("/"))


@bp.get("/embed.js")
def script():
    """The snippet's script: cacheable, JavaScript by its content type, readable from any origin."""
    response = send_from_directory(current_app.static_folder, "js/embed.js", max_age=SCRIPT_MAX_AGE,
                                   mimetype="text/javascript")
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response
