"""core.input_guard.has_bad_chars: NUL and lone surrogates are hostile; a part name werkzeug
could not read (None) is no text to search, not a crash (it was a 500 on POST /api/v1/uploads)."""
import json

import pytest

from core.input_guard import HostileInput, check_json_body, has_bad_chars


def test_none_among_the_texts_is_skipped_not_a_crash():
    assert has_bad_chars(["fine", None]) is False
    assert has_bad_chars([None, "a\x00b"]) is True
    assert has_bad_chars(["\ud800"]) is True


# --- the JSON body's fast paths (issue 10): the same refusals, less work for a plain body ---------

HOSTILE_BODIES = [
    b'{"a":"\\u0000"}',  # NUL as an escape
    b'{"\\ud800":1}',  # a lone surrogate as a key
    '{"a":"\ud800"}'.encode("utf-8", "surrogatepass"),  # a UTF-8-encoded surrogate (json reads it)
    json.dumps({"a": "\x00"}).encode("utf-16"),  # UTF-16: NUL bytes everywhere
    b"[" * 40 + b"]" * 40,  # too deep
    b'{"a":' + b"[" * 33 + b"]" * 33 + b"}",  # just too deep
]
PLAIN_BODIES = [
    '{"locale":"ko","facts":{"x":"한국어"}}'.encode(),  # 0xED lead bytes that are no surrogate
    b'{"a":"' + b"[" * 40 + b'"}',  # brackets inside a string are no depth
    b"[" * 32 + b"]" * 32,  # at the limit
    b'{"k":"\\u3042"}',
    b"not json",  # left to the view
]


@pytest.mark.parametrize("raw", HOSTILE_BODIES)
def test_hostile_bodies_are_refused(raw):
    with pytest.raises(HostileInput):
        check_json_body(raw)


@pytest.mark.parametrize("raw", PLAIN_BODIES)
def test_plain_bodies_pass(raw):
    check_json_body(raw)


def test_a_plain_body_is_neither_counted_nor_walked(monkeypatch):
    """An evaluate request's body (a dozen brackets, no escape, no NUL byte, no 0xED) costs one
    parse: the depth count and the walk over its strings cannot find anything in it."""
    from core import input_guard

    def boom(*_args):
        raise AssertionError("not needed")
    monkeypatch.setattr(input_guard, "json_depth", boom)
    monkeypatch.setattr(input_guard, "json_strings", boom)
    check_json_body(json.dumps({"event": "birth", "event_date": "2026-04-01", "members": [{"age": 30}, {"age": 0}],
                                "facts": {"a": True}, "locale": "en"}).encode())
    with pytest.raises(AssertionError):
        check_json_body(b'{"a":"\\u0041"}')  # an escape: walked
