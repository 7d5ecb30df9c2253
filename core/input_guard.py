"""Hostile input stops at the door: NUL bytes and lone surrogates in the path, the query, form
fields, header values or a JSON body, and JSON nested too deep or too large, answer 400 before
any view (or the database: PostgreSQL refuses NUL in text, Python's json recurses) sees them.

One check for every endpoint, so no view has to remember it; the answer is the ordinary error
(JSON under /api/, the error page elsewhere) in the user's language."""
from __future__ import annotations

import json
import re
from collections.abc import Iterable
from itertools import accumulate

from flask import Flask, request
from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest

MAX_JSON_DEPTH = 32  # our bodies nest 3–4 levels; Python's json recurses once per level
MAX_JSON_BYTES = 1024 * 1024  # the largest real body (a signature with its certificate) is a few kB
_BAD_CHARS = re.compile("[\x00\ud800-\udfff]")  # NUL, and surrogates (never alone in real text)
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = re.compile(rb"[^\[\]{}]")
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


class HostileInput(BadRequest):
    """Input no person types: refused with a plain 400 (the errors helper folds it in later)."""

    def __init__(self) -> None:
        super().__init__(description=_("送られた内容に、受け付けられない文字や形が含まれています。"
                                       "入力内容を確かめて、もう一度お試しください。"))


def has_bad_chars(texts: Iterable[str | None]) -> bool:
    # None: a multipart part whose name werkzeug could not read (nothing there to search)
    return any(text is not None and _BAD_CHARS.search(text) for text in texts)


def json_depth(raw: bytes) -> int:
    """The deepest nesting of ``raw`` JSON, counted without parsing (strings skipped), so a body
    of 100 000 ``[`` costs a regular expression, not a recursion."""
    brackets = _NOT_BRACKET.sub(b"", _JSON_STRING.sub(b'""', raw))
    return max(accumulate(_STEP[b] for b in brackets), default=0)


def json_strings(value: object) -> Iterable[str]:
    """Every key and string of a parsed JSON value (depth already bounded)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from json_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from json_strings(item)


def check_json_body(raw: bytes, parse=json.loads) -> None:
    """Raise HostileInput for a body too large, too deep, or carrying NUL or lone surrogates.
    A body that is simply not JSON is left to the view (which answers its own invalid_json).
    ``parse`` may keep what it parsed (the request's own cache: the view reads the same value)."""
    if len(raw) > MAX_JSON_BYTES:
        raise HostileInput()
    # fewer opening brackets than the limit (inside strings too): no need to count the depth
    if raw.count(b"[") + raw.count(b"{") > MAX_JSON_DEPTH and json_depth(raw) > MAX_JSON_DEPTH:
        raise HostileInput()
    try:
        value = parse(raw)
    except ValueError:
        return
    if _may_hold_bad_chars(raw) and has_bad_chars(json_strings(value)):
        raise HostileInput()


def _may_hold_bad_chars(raw: bytes) -> bool:
    """Whether a parsed string of ``raw`` could hold NUL or a surrogate: only through a ``\\u``
    escape, a NUL byte (also in every UTF-16 or UTF-32 body) or a UTF-8-encoded surrogate (lead
    byte 0xED, which json decodes with ``surrogatepass``). Most bodies have none of them, and
    their strings need not be walked."""
    return b"\\u" in raw or b"\x00" in raw or b"\xed" in raw


def check_request() -> None:
    texts = [request.path]
    texts += [t for key, values in request.args.lists() for t in (key, *values)]
    texts += [value for _name, value in request.headers.items()]
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        texts += [t for key, values in request.form.lists() for t in (key, *values)]
        texts += [f.filename or "" for f in request.files.values()]
    if has_bad_chars(texts):
        raise HostileInput()
    if request.is_json:
        if (request.content_length or 0) > MAX_JSON_BYTES:
            raise HostileInput()
        # parsed once, through Flask's cache: the view's get_json() reads the same value (depth checked first)
        check_json_body(request.get_data(cache=True), parse=lambda _raw: _parsed_body())


def _parsed_body() -> object:
    value = request.get_json(silent=True)
    if value is None and request.get_data(cache=True).strip() not in (b"null",):
        raise ValueError("not JSON")  # left to the view, as before
    return value


def init_input_guard(app: Flask) -> None:
    app.before_request(check_request)
