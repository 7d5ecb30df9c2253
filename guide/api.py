"""The guidance JSON API (shared/domain/facts.md) and its OpenAPI document."""
from __future__ import annotations

import datetime as dt

import orjson
from flask import Blueprint, Response, current_app, jsonify, request
from flask_babel import lazy_gettext as _l

from core.errors import AppError
from core.i18n import current_locale, lazy_message
from core.japan_time import JST, today_in_japan
from core.pack import rulebook
from core.security import log_fields
from core.usage import note_procedures
from guide import answer_samples
from guide.openapi import openapi_document
from guide.serialize import event_summary, procedure_detail, procedure_summary
from rules.cache import ResultCache
from rules.evaluate import evaluate
from rules.request import InvalidRequest, read_request

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.post("/guide/evaluate")
def evaluate_guide():
    body = request.get_json(silent=True)
    book = rulebook()
    if body is None:
        raise AppError("invalid_json", _l("JSON の形が正しくありません。"))
    try:
        # today (Japan) unless the body gives as_of: part of the situation, so of the cache key
        situation = read_request(body, book.vocab, set(book.events), today=today_in_japan())
    except InvalidRequest as exc:  # rules/ is plain Python: its messages are read in the request's language
        fields = {name: lazy_message(msg) for name, msg in exc.errors.items()}
        raise AppError("invalid_request", _l("入力内容を確認してください。"), fields=fields) from exc
    answer_samples.note(body)  # for the curators' impact preview: the answers only
    body_bytes, listed = _results().get_or_compute(situation.cache_key(book.version), lambda: _answer(book, situation))
    note_procedures(listed)  # usage statistics: counts only
    log_fields(event=situation.event, ruleset_version=book.version)  # on the request's access-log line
    return Response(body_bytes, mimetype="application/json")


def _answer(book, situation) -> tuple[bytes, tuple[str, ...]]:
    """The response body and the ids it lists (kept together, so a cache hit parses nothing)."""
    result = evaluate(book, situation)
    # orjson: UTF-8 bytes at once, about 4x faster than json on a result of ~16 KB (issue 10)
    return (orjson.dumps(result),
            tuple(p["id"] for p in result["procedures"]))


def _results() -> ResultCache[tuple[bytes, tuple[str, ...]]]:
    cache = current_app.extensions.get("guide_results")
    if cache is None:
        cache = current_app.extensions.setdefault("guide_results", ResultCache(current_app.config["GUIDE_CACHE_SIZE"]))
    return cache


@bp.get("/events")
def events():
    book, loc = rulebook(), current_locale()
    return jsonify({"events": [event_summary(book.kb, e, loc) for e in book.kb.events]})


@bp.get("/procedures")
def procedures():
    book, loc = rulebook(), current_locale()
    return jsonify({"procedures": [procedure_summary(book.kb, p, loc) for p in book.kb.procedures.values()]})


@bp.get("/procedures/<pid>")
def procedure(pid: str):
    book, loc = rulebook(), current_locale()
    proc = book.kb.procedures.get(pid)
    if proc is None:
        raise AppError("not_found", _l("その手続きは見つかりません。"), 404)
    day = dt.datetime.now(JST).date()
    if request.args.get("on"):
        try:
            day = dt.date.fromisoformat(request.args["on"])
        except ValueError as exc:
            wanted = _l("日付は 2026-04-01 の形で指定してください。")
            raise AppError("invalid_request", wanted, fields={"on": wanted}) from exc
    return jsonify(procedure_detail(book.kb, proc, loc, day))


@bp.get("/openapi.json")
def openapi():
    book = rulebook()
    return jsonify(openapi_document(book, current_app.extensions["openapi_parts"]))
