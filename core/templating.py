"""The templates' Jinja environment: ``a.b`` on a plain dict reads the key first; ``url_for``
builds each URL once (``memoised_url_for``); ``fragment`` renders a block once per key
(``memoised_fragment``).

Jinja's ``a.b`` tries ``getattr(a, "b")`` and then ``a["b"]``; on a dict (the guide's answers
and views are dicts) the attribute lookup fails first, raising and catching an AttributeError,
some 700 times per result page. A plain dict has no attributes but its class's (``items``,
``get`` …), so for any other name the key is all ``getattr`` could ever find: read it directly.
Same values, same Undefined, same precedence for the class's names.
"""
from __future__ import annotations

from collections.abc import Callable, Hashable
from types import FunctionType
from typing import Any

from flask import Flask, current_app
from flask import url_for as flask_url_for
from flask.globals import _cv_request
from flask.templating import Environment as FlaskEnvironment
from jinja2.compiler import CodeGenerator
from jinja2.runtime import Context, Macro
from jinja2.utils import _PassArg
from markupsafe import Markup

from core.escaping import escape_output
from core.i18n import current_locale

_DICT_NAMES = frozenset(dir(dict))


class OutputCodeGenerator(CodeGenerator):
    """Jinja's code generator, with ``{{ … }}`` escaped by ``escape_output``: the same
    characters (a block captured by ``set``, a macro or ``caller()`` is still wrapped in Markup
    as a whole by Jinja)."""

    def _output_child_pre(self, node: Any, frame: Any, finalize: Any) -> None:
        if frame.eval_ctx.volatile:
            self.write("(environment.escape_output if context.eval_ctx.autoescape else str)(")
        elif frame.eval_ctx.autoescape:
            self.write("environment.escape_output(")
        else:
            self.write("str(")
        if finalize.src is not None:
            self.write(finalize.src)


class CallContext(Context):
    """Jinja's context, with a shorter way through ``context.call`` (every call in a template: a
    macro, ``_()``, ``url_for`` …, about 140 per result page) for a plain Python function that
    takes no context or only the eval context (``_()``) and for a macro: Jinja's ``call`` looks for
    a ``jinja_pass_arg`` on the object and on its ``__call__`` each time before it calls it. Same
    arguments, same ``StopIteration`` rule; anything else goes through Jinja's ``call``."""

    def call(__self, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        kind = type(__obj)
        if kind is FunctionType:
            pass_arg = __obj.__dict__.get("jinja_pass_arg")  # a function's attribute is in its __dict__
            if pass_arg is _PassArg.eval_context:  # the page's _() (core/i18n.py bound_gettext)
                args = (__self.eval_ctx, *args)
            elif pass_arg is not None:
                return Context.call(__self, __obj, *args, **kwargs)
        if kind is Macro or kind is FunctionType:
            if kwargs:
                kwargs.pop("_block_vars", None)
                kwargs.pop("_loop_vars", None)
            try:
                return __obj(*args, **kwargs)
            except StopIteration:
                return __self.environment.undefined(
                    "value was undefined because a callable raised a StopIteration exception")
        return Context.call(__self, __obj, *args, **kwargs)


class Environment(FlaskEnvironment):
    code_generator_class = OutputCodeGenerator
    context_class = CallContext
    escape_output = staticmethod(escape_output)

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute not in _DICT_NAMES:
            try:
                return obj[attribute]
            except (TypeError, LookupError):
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)


_URL_MEMO_SIZE = 4096  # distinct (endpoint, values) pairs kept per app; cleared when full


def memoised_url_for(app: Flask) -> Callable[..., str]:
    """The templates' ``url_for``: the same URLs, each (endpoint, values) built once per script
    root. Flask's ``url_for`` walks the request, the blueprints' URL defaults and werkzeug's rule
    builder on every call (about 25 µs; a result page asks 20 times, mostly the same static files
    and one link per procedure). Without host or subdomain rules, SERVER_NAME and URL defaults (all
    absent here; checked on each call), a URL built inside a request depends only on the script
    root, the endpoint and its values.
    Anything else (a blueprint-relative endpoint, ``_external``, ``_anchor`` …, outside a
    request, values other than text) goes to Flask's ``url_for`` every time."""
    build = app.url_for
    memo: dict[tuple, str] = {}

    def url_for(endpoint: str, /, **values: Any) -> str:
        req_ctx = _cv_request.get(None)
        if (endpoint[:1] == "." or req_ctx is None or any(k[:1] == "_" for k in values)
                or app.config["SERVER_NAME"] or app.url_map.host_matching or any(app.url_default_functions.values())):
            return build(endpoint, **values)  # URLs that may depend on more than the values
        if not all(type(v) is str for v in values.values()):
            return build(endpoint, **values)  # only text values: 1, 1.0 and True are one key
        key = (req_ctx.request.script_root, endpoint, *sorted(values.items()))
        url = memo.get(key)
        if url is None:
            url = build(endpoint, **values)
            if len(memo) >= _URL_MEMO_SIZE:
                memo.clear()
            memo[key] = url
        return url
    return url_for


def init_templating(app: Flask) -> None:
    """After every blueprint is registered: the templates build URLs through the memo (and views
    through ``url_for_memoised``)."""
    app.extensions["url_for_memo"] = app.jinja_env.globals["url_for"] = memoised_url_for(app)
    app.jinja_env.globals["fragment"] = memoised_fragment(app)


def url_for_memoised(endpoint: str, /, **values: Any) -> str:
    """Flask's ``url_for`` for a view's links, through the app's memo (``memoised_url_for``)."""
    memo = current_app.extensions.get("url_for_memo")
    return memo(endpoint, **values) if memo is not None else flask_url_for(endpoint, **values)


_FRAGMENT_MEMO_SIZE = 8192  # rendered fragments kept per app; cleared when full


class FragmentKeyError(AssertionError):
    """A fragment rendered differently under the same key: its key misses something it reads."""


def memoised_fragment(app: Flask) -> Callable[..., Markup]:
    """The templates' ``fragment``: ``{% call fragment(name, *what_it_reads) %}…{% endcall %}``
    renders the block once per key and then reuses its HTML. For the parts of a page that depend
    only on what the pack says (a procedure's place and links on a result card): per result page
    they cost as much as the rest of a card. The key is the template's (a name and everything
    the block reads: the ruleset version, the procedure …), with the page's language and the
    script root added here. Off while templates reload (development); under ``TESTING`` a hit is
    rendered again and compared, so a key that leaves out what the block reads fails a test."""
    memo: dict[tuple, Markup] = {}

    def fragment(*key: Hashable, caller: Callable[[], str]) -> Markup:
        req_ctx = _cv_request.get(None)  # the context variable itself: no proxy lookup per card
        if app.jinja_env.auto_reload or req_ctx is None:
            return Markup(caller())  # noqa: S704  # nosec B704 - the template's own autoescaped output
        full = (current_locale(), req_ctx.request.script_root, *key)
        html = memo.get(full)
        if html is None:
            html = Markup(caller())  # noqa: S704  # nosec B704 - as above
            if len(memo) >= _FRAGMENT_MEMO_SIZE:
                memo.clear()
            memo[full] = html
        elif app.testing and html != caller():
            raise FragmentKeyError(f"fragment {key!r} renders differently under the same key")
        return html
    return fragment
