"""Search: the page ``/search?q=`` (works without JavaScript; suggestions as you type with it) and
``GET /api/v1/search?q=&lang=`` → ``{"results": [{"id", "name", "score", "url", "kind"}]}``.

Thin: the ranking is ``guide/search.py`` over the current generation's index
(``index_of(rulebook())``); the words of a search without a good result are counted by
``guide/search_misses.py``. Suggestions (``suggest=1``, sent by static/js/search.js while typing)
are never counted: half a word is not a miss.
"""
from __future__ import annotations

from flask import Blueprint, jsonify, render_template, request, url_for
from flask_babel import lazy_gettext as _l

from core.errors import AppError
from core.i18n import LOCALES, current_locale
from core.pack import rulebook
from core.usage import record
from guide.search import GOOD_SCORE, MAX_QUERY, Hit, index_of
from guide.search_misses import record_miss

bp = Blueprint("search", __name__, template_folder="templates")
LIMIT = 10
SUGGESTIONS = 6


def procedure_url(pid: str) -> str:
    """Where a procedure result leads: its page (the one place to change when the route moves)."""
    return f"/procedures/{pid}"


def result_url(hit: Hit, lang: str | None = None) -> str:
    """The result's page; with ``lang`` (asked for explicitly) the page opens in that language."""
    if hit.kind == "event":
        url = url_for("guide.intro", event_id=hit.id)
    elif hit.kind == "form":
        url = url_for("intake.apply", pid=hit.id)
    else:
        url = procedure_url(hit.id)
    return f"{url}?lang={lang}" if lang else url


def read_query(raw: str | None) -> str:
    """The query as typed, trimmed; AppError 400 when it is empty, too long or has control characters."""
    query = (raw or "").strip()
    if not query:
        raise AppError("invalid_query", _l("検索する言葉を入力してください。"), fields={"q": _l("検索する言葉を入力してください。")})
    if len(query) > MAX_QUERY:
        wanted = _l("検索する言葉は%(n)d文字以内で入力してください。", n=MAX_QUERY)
        raise AppError("invalid_query", wanted, fields={"q": wanted})
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in query):
        wanted = _l("検索する言葉に使えない文字が含まれています。")
        raise AppError("invalid_query", wanted, fields={"q": wanted})
    return query


def search(query: str, limit: int = LIMIT, count_miss: bool = True) -> list[dict]:
    hits = index_of(rulebook()).search(query, current_locale(), limit)
    if count_miss:
        record("guide", "search")
        if not hits or hits[0].score < GOOD_SCORE:
            record_miss(query)
    lang = request.args.get("lang")
    lang = lang if lang in LOCALES else None
    return [{"id": h.id, "name": h.name, "score": h.score, "url": result_url(h, lang), "kind": h.kind} for h in hits]


@bp.get("/api/v1/search")
def api():
    suggest = request.args.get("suggest") == "1"
    results = search(read_query(request.args.get("q")), SUGGESTIONS if suggest else LIMIT, count_miss=not suggest)
    return jsonify({"results": results})


@bp.get("/search")
def page():
    raw = request.args.get("q")
    if raw is None or not raw.strip():
        return render_template("guide/search.html", q="", results=None, error=None)
    try:
        query = read_query(raw)
    except AppError as exc:
        return render_template("guide/search.html", q=raw[:MAX_QUERY * 2], results=None, error=exc.text()), exc.status
    return render_template("guide/search.html", q=query, results=search(query), error=None)
