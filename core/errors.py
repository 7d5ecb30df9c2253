"""Errors: one refusal family (``AppError``) and the app-level pages and JSON bodies for every error.

A refusal carries a stable ``code`` for programs, a ``message`` for people (a Babel lazy string,
so it is read in the request's language when the answer is written, not when it is raised), an
HTTP ``status`` and, for bad input, a message per field. Services raise it (or their own subclass,
where a caller must tell theirs apart); views let it rise. /api/ paths answer
``{"error": {"code", "message"[, "fields"]}}`` (docs/api-conventions.md); pages get error.html.
Anything else unexpected gets an incident id and reveals nothing internal.
"""
from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from typing import Any

from flask import Flask, g, jsonify, render_template, request
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from core.db import database_unreachable, db
from core.i18n import force_locale, message_of
from core.words import Message

log = logging.getLogger(__name__)


class AppError(Exception):
    """A refused request or action: ``code`` (stable, for programs and the audit log), ``message``
    (a lazy_gettext string, or text already in the reader's language), ``status`` (HTTP), ``fields``
    (field name -> message, for bad input), ``headers`` (e.g. WWW-Authenticate) and ``extra``
    (members beside ``error`` in a JSON body, e.g. a payment_url)."""

    status = 400

    def __init__(self, code: str, message: Any, status: int | None = None,
                 fields: Mapping[str, Any] | None = None, *, headers: Mapping[str, str] | None = None,
                 extra: Mapping[str, Any] | None = None):
        super().__init__(code)
        self.code, self.message = code, message
        if status is not None:
            self.status = status
        self.fields = dict(fields or {})
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})

    def __str__(self) -> str:
        return self.code

    def text(self) -> str:
        """The message in the current locale (the msgid itself outside a request)."""
        return str(self.message)

    def text_in(self, locale: str) -> str:
        """The message in a given locale (e.g. a form's error, written in the form's language)."""
        with force_locale(locale):
            return self.text()

    def as_message(self) -> Message:
        """The message as a ``core.words.Message``, read later in any locale (e.g. a bulk action's
        outcome, shown on the page in its reader's language)."""
        return message_of(self.message)

    def field_texts(self) -> dict[str, str]:
        return {name: str(message) for name, message in self.fields.items()}

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.text()}
        if self.fields:
            error["fields"] = self.field_texts()
        return {"error": error, **self.extra}


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _in_console() -> bool:
    """A signed-in member of staff inside the console gets the console's own error pages (staff
    menu and a way back); everyone else (signed out, or outside the staff networks, where the
    guard never signs anyone in) gets the residents' page, which reveals nothing of the console."""
    return (request.path == "/staff" or request.path.startswith("/staff/")) and g.get("staff") is not None


def refusal_response(exc: AppError):
    """The answer to a refusal: its JSON body on /api/ paths, else the error page with its message.
    For error handlers of blueprints too (an error handler cannot raise to another)."""
    db.session.rollback()  # a refused action keeps nothing it had not committed (frees locks now)
    if _wants_json():
        return jsonify(exc.body()), exc.status, exc.headers
    return render_template("error.html", status=exc.status, incident=None, message=exc.text()), \
        exc.status, exc.headers


HTTP_MESSAGES = {  # werkzeug's own errors on /api/ paths, in the request's language
    404: _l("見つかりません。"),
    405: _l("この方法では使えません。"),
}


UNAVAILABLE = _l("ただいま使えません。数分おいて、もう一度お試しください。")
RETRY_AFTER = {"Retry-After": "30"}


def _internal_message() -> str:
    try:
        return gettext("システムで問題が起きました。時間をおいてもう一度お試しください。")
    except Exception:  # the error may be in the locale choice itself: say it in Japanese
        return "システムで問題が起きました。時間をおいてもう一度お試しください。"


def routing_headers(exc: HTTPException) -> dict[str, str]:
    """The headers werkzeug gives its error (``Allow`` of a 405 from ``valid_methods``,
    ``WWW-Authenticate``, ``Retry-After``…), kept on our own page or JSON body; not its
    Content-Type, which is ours."""
    return {name: value for name, value in exc.get_headers() if name.lower() != "content-type"}


def init_errors(app: Flask) -> None:
    app.register_error_handler(AppError, refusal_response)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        headers = routing_headers(exc)
        if _wants_json():
            code = (exc.name or "error").lower().replace(" ", "_")
            return refusal_response(AppError(code, HTTP_MESSAGES.get(exc.code, exc.description or ""), exc.code,
                                             headers=headers))
        if exc.code in (403, 404) and _in_console():
            template = "staff/not_found.html" if exc.code == 404 else "staff/forbidden.html"
            return render_template(template), exc.code, headers
        return render_template("error.html", status=exc.code, incident=None), exc.code, headers

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        incident = uuid.uuid4().hex[:12]
        if database_unreachable(exc):  # a restart or failover: not the request's fault, and it passes
            log.error("database unreachable", exc_info=exc, extra={"incident": incident})
            if _wants_json():
                return jsonify({"error": {"code": "unavailable", "incident": incident,
                                          "message": gettext(UNAVAILABLE)}}), 503, RETRY_AFTER
            # staff inside the government network get words for staff: the database also holds their
            # session, so the console's own pages (menu, who is signed in) cannot be drawn now
            # 「もう一度開く」: the same page, or the console's home after a form was sent (the address of a
            # POST is no page to open)
            again = request.full_path.rstrip("?") if request.method == "GET" else "/staff/"
            return render_template("error.html", status=503, incident=incident, staff=g.get("staff_network", False),
                                   again=again), 503, RETRY_AFTER
        log.exception("unhandled error", extra={"incident": incident})
        if _wants_json():
            return jsonify({"error": {"code": "internal_error", "incident": incident,
                                      "message": _internal_message()}}), 500
        return render_template("error.html", status=500, incident=incident), 500
