"""Error pages in the user's language that reveal nothing internal, with an incident id."""
from __future__ import annotations

import logging
import uuid

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def init_errors(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        if _wants_json():
            return jsonify({"error": {"code": (exc.name or "error").lower().replace(" ", "_"),
                                      "message": exc.description or ""}}), exc.code
        return render_template("error.html", status=exc.code, incident=None), exc.code

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        incident = uuid.uuid4().hex[:12]
        log.exception("unhandled error", extra={"incident": incident})
        if _wants_json():
            return jsonify({"error": {"code": "internal_error", "incident": incident,
                                      "message": "システムで問題が起きました。時間をおいてもう一度お試しください。"}}), 500
        return render_template("error.html", status=500, incident=incident), 500
