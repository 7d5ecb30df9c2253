"""Locale choice: ?lang= (kept in a cookie), then the cookie, then Accept-Language; Japanese first."""
from __future__ import annotations

from urllib.parse import urlencode

from flask import Flask, g, request
from flask_babel import Babel

LOCALES = ("ja", "en")
COOKIE = "lang"
babel = Babel()


def select_locale() -> str:
    asked = request.args.get("lang")
    if asked in LOCALES:
        return asked
    kept = request.cookies.get(COOKIE)
    if kept in LOCALES:
        return kept
    return request.accept_languages.best_match(LOCALES, default="ja") or "ja"


def locale_url(code: str) -> str:
    """The current page in another language (answers in the query are kept)."""
    args = request.args.to_dict(flat=False)
    args["lang"] = [code]
    return f"{request.path}?{urlencode(args, doseq=True)}"


def init_i18n(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale,
                   default_translation_directories=str(app.root_path + "/translations"))

    @app.before_request
    def _remember_locale() -> None:
        g.locale = select_locale()

    @app.after_request
    def _keep_choice(response):
        asked = request.args.get("lang")
        if asked in LOCALES and request.cookies.get(COOKIE) != asked:
            response.set_cookie(COOKIE, asked, max_age=365 * 24 * 3600, samesite="Lax",
                                secure=request.is_secure, httponly=True)
        response.vary.add("Accept-Language")
        response.vary.add("Cookie")
        return response

    @app.context_processor
    def _locale_globals():
        return {"current_locale": getattr(g, "locale", "ja"), "locale_url": locale_url}
