"""A result page is the same bytes with every memo on as with every memo off: the evaluation's
(rules/memo.py), the presenter's words and the templates' fragments (core/templating.py, which
under TESTING also render each hit again). Every scenario
of the pack, the seven languages in turn, some with furigana off or the feedback's second
question; each page asked cold and then warm."""
from __future__ import annotations

import re

import pytest

from bench.guide import never_seen, request_bodies, result_paths
from core.languages import CODES
from rules import memo

_NONCE = re.compile(rb'nonce="[^"]*"')


def _paths() -> list[str]:
    paths = []
    for i, path in enumerate(result_paths(never_seen(request_bodies(), 2 * len(request_bodies())))):
        path = re.sub(r"&lang=en$", "", path) + f"&lang={CODES[i % len(CODES)]}"
        if i % 5 == 0:
            path += "&ruby=off"
        if i % 11 == 0:
            path += "&feedback=thanks"
        paths.append(path)
    return paths


def _page(client, path: str) -> bytes:
    response = client.get(path)
    assert response.status_code == 200, path
    return _NONCE.sub(b'nonce=""', response.data)


@pytest.mark.parametrize("part", [0, 1, 2])
def test_result_pages_are_the_same_bytes_with_memos_on_and_off(app, part):
    client = app.test_client(use_cookies=False)  # each page as a first visit (no furigana cookie)
    paths = _paths()[part::3]
    assert len({re.search(r"lang=(\w+)", p).group(1) for p in paths}) == len(CODES)
    app.jinja_env.auto_reload = True  # fragments off (core/templating.py)
    try:
        with memo.off():
            reference = {path: _page(client, path) for path in paths}
    finally:
        app.jinja_env.auto_reload = False
    for path in paths:  # cold, then warm: the second reads the memos the first filled
        assert _page(client, path) == reference[path], path
        assert _page(client, path) == reference[path], path
