"""Locale choice, one for pages and APIs alike: a JSON body's ``locale``, then ?lang= (kept in a
cookie), then the cookie, then Accept-Language; Japanese when none names a language the site
speaks (core.languages: ja, easy, en, zh, ko, vi, pt; docs/api-conventions.md).

The locale is one of the site's codes (``easy`` is no CLDR locale): flask-babel reads its catalog
through ``CodeDomain`` (core.words.catalog, with each language's fallback) and formats dates with
the code's CLDR locale. ``force_locale(code)`` reads words in another language for a while (a
mail in the resident's language, a form's error).

Templates translate through Babel's catalog resolved ONCE per page: flask-babel's own template
callables look up the request context, the domain, the locale and the catalog cache again on
every ``_()`` (about 80 on a result page: a third of its cost). ``bound_gettext`` gives the same
behaviour (jinja's "newstyle" gettext: autoescaped, always %-formatted) on one catalog object.
"""
from __future__ import annotations

import re
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from typing import Any
from urllib.parse import quote

import flask_babel
from babel.support import NullTranslations
from flask import Flask, g, has_app_context, has_request_context, request
from flask.globals import _cv_app, _cv_request
from flask_babel import Babel, Domain, LazyString, get_translations, gettext, pgettext
from jinja2 import pass_eval_context
from markupsafe import Markup

from core.escaping import escape_output
from core.furigana import has_notation, ruby_html, with_readings
from core.languages import CODES, JAPANESE, LANGUAGES, babel_locale, html_lang, language, normalise, pick
from core.query_text import encode_query
from core.words import Message, catalog

LOCALES = CODES
COOKIE = "lang"
# what Accept-Language may choose (やさしい日本語 has no tag of its own: it is chosen on the page)
_ACCEPTED = tuple(language.html for language in LANGUAGES if not language.easy) + ("zh", "pt")


class CodeDomain(Domain):
    """flask-babel's domain, reading the catalog of the site's language code (core.words)."""

    def get_translations(self):
        return catalog(current_locale())


class CityBabel(Babel):
    @cached_property
    def domain_instance(self):
        return CodeDomain()


babel = CityBabel()


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
    code = None
    for asked in (_body_locale(), request.args.get("lang"), request.cookies.get(COOKIE)):
        code = normalise(asked)
        if code:
            break
    code = code or normalise(request.accept_languages.best_match(_ACCEPTED, default="ja")) or "ja"
    return pick(code, CONSOLE) if _in_console() else code


# The staff console is written for the city's staff in Japanese and English; a resident's
# language chosen on the public site reads there as its fallback (English, or Japanese).
CONSOLE = ("ja", "en")


def _in_console() -> bool:
    return request.path.startswith("/staff")


def locale_url(code: str) -> str:
    """The current page in another language (answers in the query are kept)."""
    return _with_arg("lang", code)


RUBY_COOKIE = "ruby"


def ruby_off() -> bool:
    """やさしい日本語's furigana hidden: ?ruby=off, kept in a cookie until ?ruby=on."""
    asked = request.args.get("ruby")
    if asked in ("on", "off"):
        return asked == "off"
    return request.cookies.get(RUBY_COOKIE) == "off"


def ruby_url(state: str) -> str:
    return _with_arg("ruby", state)


def japanese_only() -> Markup:
    """After a link to a page only in Japanese (the city's own pages), on a page in another
    language: say so before the reader follows it."""
    if current_locale() in JAPANESE:
        return Markup("")
    return _japanese_only_mark(gettext("（日本語のページ）"))


def _japanese_only_mark(words: str) -> Markup:
    return Markup('<span class="japanese-only">%s</span>') % words


def _bound_japanese_only(code: str, catalog: NullTranslations):
    """``japanese_only`` for a page read in ``code`` from ``catalog``: the same mark, made once."""
    mark = Markup("") if code in JAPANESE else _japanese_only_mark(catalog.ugettext("（日本語のページ）"))

    def japanese_only() -> Markup:
        return mark
    return japanese_only


def _with_arg(name: str, value: str) -> str:
    """The current path and query with ``name`` set to ``value`` (in its place, or last).

    A page links to itself once per language and for the furigana switch: the path and each
    query argument are percent-encoded once per request (kept on the request) and only the
    changed argument is encoded per link (the same text as ``urlencode`` of the whole query)."""
    path, parts = _encoded_query()
    changed = encode_query({name: [value]}, doseq=True)
    if name in parts:
        query = "&".join(changed if key == name else part for key, part in parts.items())
    else:
        query = "&".join((*parts.values(), changed))
    return f"{path}?{query}"


def _encoded_query() -> tuple[str, dict[str, str]]:
    """The request's path and ``{argument: its encoded pairs}``, made once per request."""
    req = request._get_current_object()
    cached = getattr(req, "_encoded_query", None)
    if cached is None:
        # the path as the browser sent it, percent-encoded again: a hostile path (a NUL, a space)
        # never lands raw in the page's HTML
        path = quote(req.path, safe='/:@!$&()*+,;=-._~')
        cached = req._encoded_query = (path, {key: encode_query({key: values}, doseq=True)
                                              for key, values in req.args.lists()})
    return cached


_BOUND: weakref.WeakKeyDictionary[NullTranslations, dict[str, Any]] = weakref.WeakKeyDictionary()
_PLAIN_CACHE_SIZE = 4096  # translated strings without variables kept per catalog


_TEXT_FIELD = re.compile(r"%\(\w+\)s|%%")


def _only_text_fields(fmt: str) -> bool:
    """Every ``%`` of ``fmt`` a ``%(name)s`` (or ``%%``): Markup's ``%`` then writes each value
    as ``str(escape(value))``, which ``escape_output`` gives without Markup's helper objects
    (about 20 formats per result page). A ``%(n)d`` or a width keeps Markup's own ``%``."""
    return "%" not in _TEXT_FIELD.sub("", fmt)


def bound_gettext(catalog: NullTranslations) -> dict[str, Any]:
    """Template callables bound to one Babel catalog, with jinja2.ext's newstyle semantics.

    Made once per catalog (flask-babel keeps one per locale for the life of the process); a
    string without variables is translated, escaped and formatted once and then reused; one with
    variables is translated (and marked safe) once, and formatted on each call."""
    bound = _BOUND.get(catalog)
    if bound is not None:
        return bound
    plain: dict[tuple[str, bool], str] = {}
    formats: dict[tuple[str, bool], str] = {}  # the translated format of a string with variables

    def _finish(eval_ctx, rv: str, variables: dict[str, Any]) -> str:
        if eval_ctx.autoescape:
            rv = Markup(rv)  # noqa: S704  # nosec B704 - the catalog's own text, trusted as jinja2.ext trusts it
        return rv % variables  # always a format string, as in jinja2.ext (so "%%" reads "%")

    @pass_eval_context
    def gettext(eval_ctx, __string: str, **variables: Any) -> str:
        key = (__string, eval_ctx.autoescape)
        if variables:
            found = formats.get(key)
            if found is None:
                rv = catalog.ugettext(__string)
                if eval_ctx.autoescape:
                    rv = Markup(rv)  # noqa: S704  # nosec B704 - as in _finish
                found = (rv, eval_ctx.autoescape and _only_text_fields(rv))
                if len(formats) < _PLAIN_CACHE_SIZE:
                    formats[key] = found
            rv, text_fields = found
            if text_fields:  # Markup's % without a helper object per field: the same text
                return Markup(str.__mod__(rv, {k: escape_output(v) for k, v in variables.items()}))  # noqa: S704  # nosec B704 - each value escaped
            return rv % variables
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
    babel.init_app(app, locale_selector=lambda: babel_locale(current_locale()),
                   default_translation_directories=str(app.root_path + "/translations"))

    @app.before_request
    def _remember_locale() -> None:
        g.locale = select_locale()

    @app.after_request
    def _keep_choice(response):
        asked = normalise(request.args.get("lang"))
        if asked and request.cookies.get(COOKIE) != asked:
            response.set_cookie(COOKIE, asked, max_age=365 * 24 * 3600, samesite="Lax",
                                secure=request.is_secure, httponly=True)
        ruby = request.args.get("ruby")
        if ruby in ("on", "off") and request.cookies.get(RUBY_COOKIE) != ruby:
            response.set_cookie(RUBY_COOKIE, ruby, max_age=365 * 24 * 3600, samesite="Lax",
                                secure=request.is_secure, httponly=True)
        response.vary.add("Accept-Language")
        response.vary.add("Cookie")
        return response

    @app.after_request
    def _furigana(response):
        """やさしい日本語: {漢字|かんじ} becomes <ruby> in a page, 漢字（かんじ） in JSON and text."""
        if not language(current_locale()).easy or response.direct_passthrough or response.is_streamed:
            return response
        if response.mimetype_params.get("charset", "utf-8").lower() != "utf-8":
            return response  # a Shift_JIS file for the city's systems holds no easy Japanese
        if response.mimetype == "text/html":
            body = response.get_data(as_text=True)
            if has_notation(body):
                response.set_data(ruby_html(body))
        elif response.mimetype in ("application/json", "text/plain", "text/calendar", "text/csv"):
            body = response.get_data(as_text=True)
            if has_notation(body):
                response.set_data(with_readings(body))
        return response

    @app.context_processor
    def _locale_globals():
        # the page's catalog, resolved once by flask-babel (so force_locale() is honoured)
        code = current_locale()
        translations = get_translations()
        offered = LANGUAGES if not _in_console() else tuple(x for x in LANGUAGES if x.code in CONSOLE)
        return {"current_locale": code, "locale_url": locale_url, "html_lang": html_lang(code),
                "site_languages": offered, "ruby_switch": language(code).easy,
                "ruby_off": language(code).easy and ruby_off(),
                "ruby_url": ruby_url, "japanese_only": _bound_japanese_only(code, translations),
                **bound_gettext(translations)}


def current_locale() -> str:
    """The language text is read in now: the innermost ``force_locale``, else the request's
    choice (select_locale); Japanese outside a request."""
    # read through the context variables, not the `g` and `request` proxies: a result page asks
    # about 20 times (the fragments, the catalogs, the after-request hooks), each proxy lookup a
    # few µs; the same values
    app_ctx = _cv_app.get(None)
    if app_ctx is None:
        return "ja"
    here = app_ctx.g.__dict__
    forced = here.get("forced_locales")
    if forced:
        return forced[-1]
    if _cv_request.get(None) is None:
        return "ja"
    chosen = here.get("locale")
    if chosen is None:
        chosen = g.locale = select_locale()
    return chosen


@contextmanager
def force_locale(code: str) -> Iterator[None]:
    """Words (gettext, lazy strings, dates) in ``code`` inside the block: a mail in the
    resident's language from a clerk's click, a form's error in the form's language."""
    code = normalise(code) or "ja"
    if not has_app_context():
        yield
        return
    stack = g.setdefault("forced_locales", [])
    stack.append(code)
    try:
        with flask_babel.force_locale(babel_locale(code)):
            yield
    finally:
        stack.pop()


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
