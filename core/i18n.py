"""Locale choice, one for pages and APIs alike: a JSON body's ``locale``, then ?lang= (kept in a
cookie), then the cookie, then Accept-Language; Japanese when none names ja or en
(docs/api-conventions.md).

Templates translate through Babel's catalog resolved ONCE per page: flask-babel's own template
callables look up the request context, the domain, the locale and the catalog cache again on
every ``_()`` (about 80 on a result page: a third of its cost). ``bound_gettext`` gives the same
behaviour (jinja's "newstyle" gettext: autoescaped, always %-formatted) on one catalog object.
"""
from __future__ import annotations

import weakref
from typing import Any
from urllib.parse import quote, urlencode

from babel.support import NullTranslations
from flask import Flask, g, has_request_context, request
from flask_babel import Babel, LazyString, get_locale, get_translations, gettext, pgettext
from jinja2 import pass_eval_context
from markupsafe import Markup

from core.words import Message

LOCALES = ("ja", "en")
COOKIE = "lang"
babel = Babel()


def _body_locale() -> str | None:
    """``locale`` of a JSON object body (parsed once: views read the same cached object)."""
    if not request.is_json:
        return None
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # absurdly nested: the view refuses it; the choice just looks past it
        return None
    asked = body.get("locale") if isinstance(body, dict) else None
    return asked if isinstance(asked, str) else None


def select_locale() -> str:
    """The one locale choice (flask-babel's selector, and g.locale): body ``locale``, ?lang=,
    cookie, Accept-Language, ja (also outside a request: a CLI command, a test of a service)."""
    if not has_request_context():
        return "ja"
    asked = _body_locale()
    if asked in LOCALES:
        return asked
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
    # the path as the browser sent it, percent-encoded again: a hostile path (a NUL, a space)
    # never lands raw in the page's HTML
    return f"{quote(request.path, safe='/:@!$&()*+,;=-._~')}?{urlencode(args, doseq=True)}"


_BOUND: weakref.WeakKeyDictionary[NullTranslations, dict[str, Any]] = weakref.WeakKeyDictionary()
_PLAIN_CACHE_SIZE = 4096  # translated strings without variables kept per catalog


def bound_gettext(catalog: NullTranslations) -> dict[str, Any]:
    """Template callables bound to one Babel catalog, with jinja2.ext's newstyle semantics.

    Made once per catalog (flask-babel keeps one per locale for the life of the process); a
    string without variables is translated, escaped and formatted once and then reused."""
    bound = _BOUND.get(catalog)
    if bound is not None:
        return bound
    plain: dict[tuple[str, bool], str] = {}

    def _finish(eval_ctx, rv: str, variables: dict[str, Any]) -> str:
        if eval_ctx.autoescape:
            rv = Markup(rv)  # noqa: S704  # nosec B704 - the catalog's own text, trusted as jinja2.ext trusts it
        return rv % variables  # always a format string, as in jinja2.ext (so "%%" reads "%")

    @pass_eval_context
    def gettext(eval_ctx, __string: str, **variables: Any) -> str:
        if variables:
            return _finish(eval_ctx, catalog.ugettext(__string), variables)
        key = (__string, eval_ctx.autoescape)
        rv = plain.get(key)
        if rv is None:
            rv = _finish(eval_ctx, catalog.ugettext(__string), variables)
            if len(plain) < _PLAIN_CACHE_SIZE:
                plain[key] = rv
        return rv

    @pass_eval_context
    def ngettext(eval_ctx, __singular: str, __plural: str, __num: int, **variables: Any) -> str:
        variables.setdefault("num", __num)
        return _finish(eval_ctx, catalog.ungettext(__singular, __plural, __num), variables)

    @pass_eval_context
    def pgettext(eval_ctx, __context: str, __string: str, **variables: Any) -> str:
        return _finish(eval_ctx, catalog.upgettext(__context, __string), variables)

    @pass_eval_context
    def npgettext(eval_ctx, __context: str, __singular: str, __plural: str, __num: int, **variables: Any) -> str:
        variables.setdefault("num", __num)
        return _finish(eval_ctx, catalog.unpgettext(__context, __singular, __plural, __num), variables)

    bound = {"gettext": gettext, "_": gettext, "ngettext": ngettext, "pgettext": pgettext, "npgettext": npgettext}
    _BOUND[catalog] = bound
    return bound


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
        # the page's catalog, resolved once by flask-babel (so force_locale() is honoured)
        return {"current_locale": getattr(g, "locale", "ja"), "locale_url": locale_url,
                **bound_gettext(get_translations())}


def current_locale() -> str:
    """The locale text is read in now: select_locale's choice for the request (force_locale
    honoured); Japanese outside a request."""
    locale = get_locale()
    return locale.language if locale is not None and locale.language in LOCALES else "ja"


class LazyMessage(LazyString):
    """``lazy_message``'s string; ``message`` is the Message it reads (see :func:`message_of`)."""

    def __init__(self, message: Message) -> None:
        super().__init__(_read_now, message)
        self.message = message


def _read_now(message: Message) -> str:
    return message.text(current_locale())


def lazy_message(message: Message) -> LazyString:
    """A ``core.words.Message`` (words a plain-Python module made without knowing the reader's
    locale: intake.workflow's refusals, status labels) read in the locale of the moment it is
    shown, like a lazy_gettext string."""
    return LazyMessage(message)


VERBATIM = "%(text)s"  # not a catalog word: text that is already in its reader's language


def message_of(words: Any) -> Message:
    """The ``core.words.Message`` behind ``words``, to be read later in any locale: a Message as
    it is, ``lazy_message``'s, ``lazy_gettext``/``lazy_pgettext``'s msgid and variables; anything
    else (text already translated) as it is in every locale."""
    if isinstance(words, Message):
        return words
    if isinstance(words, LazyMessage):
        return words.message
    if isinstance(words, LazyString) and words._func is gettext and len(words._args) == 1:
        return Message(words._args[0], **words._kwargs)
    if isinstance(words, LazyString) and words._func is pgettext and len(words._args) == 2:
        return Message((words._args[0], words._args[1]), **words._kwargs)
    return Message(VERBATIM, text=str(words))
