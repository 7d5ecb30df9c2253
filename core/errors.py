"""Error pages in the user's language that reveal nothing internal, with an incident id."""
from __future__ import annotations

import logging
import uuid

from flask import Flask, g, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _in_console() -> bool:
    """A signed-in member of staff inside the console gets the console's own error pages (staff
    menu and a way back); everyone else (signed out, or outside the staff networks, where the
    guard never signs anyone in) gets the residents' page, which reveals nothing of the console."""
    return (request.path == "/staff" or request.path.startswith("/staff/")) and g.get("staff") is not None


def init_errors(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        if _wants_json():
            return jsonify({"error": {"code": (exc.name or "error").lower().replace(" ", "_"),
                                      "message": exc.description or ""}}), exc.code
        if exc.code in (403, 404) and _in_console():
            template = "staff/not_found.html" if exc.code == 404 else "staff/forbidden.html"
            return render_template(template), exc.code
        return render_template("error.html", status=exc.code, incident=None), exc.code

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        incident = uuid.uuid4().hex[:12]
        log.exception("unhandled error", extra={"incident": incident})
        if _wants_json():
            return jsonify({"error": {"code": "internal_error", "incident": incident,
                                      "message": "システムで問題が起きました。時間をおいてもう一度お試しください。"}}), 500
        return render_template("error.html", status=500, incident=incident), 500
