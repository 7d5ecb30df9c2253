"""core.i18n: the language switch's and the furigana switch's links (``locale_url``,
``ruby_url``) are the current path and query with one argument set, the query encoded once per
request (issue 10): the same text as encoding the whole query for every link."""
from __future__ import annotations

from urllib.parse import quote, urlencode

import pytest
from flask import request

from core.i18n import locale_url, ruby_url

QUERIES = [
    "",
    "lang=en",
    "date=2026-04-01&n=2&m0.age=30&f.a=yes",
    "date=2026-04-01&lang=ko&n=1",  # the language in the middle stays in its place
    "a=1&a=2&lang=zh&lang=vi&b=%E3%81%82+x",  # repeated keys, an encoded value
    "ruby=off&x=%26%3D",
]


def _plain(name: str, value: str) -> str:
    """What the links were before: the whole query encoded again for each link."""
    args = request.args.to_dict(flat=False)
    args[name] = [value]
    return f"{quote(request.path, safe='/:@!$&()*+,;=-._~')}?{urlencode(args, doseq=True)}"


@pytest.mark.parametrize("query", QUERIES)
def test_links_are_the_whole_query_encoded_with_one_argument_set(app, query):
    with app.test_request_context("/guide/birth/result a" + ("?" + query if query else "")):
        for code in ("ja", "en", "easy", "zh", "ko", "vi", "pt"):
            assert locale_url(code) == _plain("lang", code)
        for state in ("on", "off"):
            assert ruby_url(state) == _plain("ruby", state)


def test_the_query_is_encoded_once_per_request(app, monkeypatch):
    import core.i18n

    calls = []
    real = core.i18n.encode_query
    monkeypatch.setattr(core.i18n, "encode_query", lambda *a, **k: calls.append(a) or real(*a, **k))
    with app.test_request_context("/guide/birth/result?date=2026-04-01&n=1&m0.age=3&f.x=yes"):
        for code in ("en", "zh", "ko", "vi", "pt", "easy"):
            locale_url(code)
    # four arguments once, then one short pair per link
    assert len(calls) == 4 + 6
