"""``urlencode`` with each short key and value percent-encoded once per process.

A result page encodes its answers about 80 times (the links' shared query, each query argument
for the language switch, the switched argument per link): the same few keys (``f.spouse``,
``m0.age``) and values (``yes``, a date) on every page. ``quote_plus`` is pure, so its text is
kept for strings up to ``_SHORT`` characters (a hostile long argument is encoded each time and
never held); the output is ``urlencode``'s, byte for byte."""
from __future__ import annotations

from functools import lru_cache
from typing import Any
from urllib.parse import quote_plus, urlencode

_SHORT = 64


@lru_cache(maxsize=8192)
def _kept(text: Any, safe: str = "", encoding: str | None = None, errors: str | None = None) -> str:
    return quote_plus(text, safe, encoding, errors)


def _quote(text: Any, safe: str = "", encoding: str | None = None, errors: str | None = None) -> str:
    if len(text) <= _SHORT:
        return _kept(text, safe, encoding, errors)
    return quote_plus(text, safe, encoding, errors)


def encode_query(query: Any, doseq: bool = False) -> str:
    """``urllib.parse.urlencode(query, doseq)``, the same text."""
    return urlencode(query, doseq, quote_via=_quote)
