"""core.input_guard.has_bad_chars: NUL and lone surrogates are hostile; a part name werkzeug
could not read (None) is no text to search, not a crash (it was a 500 on POST /api/v1/uploads)."""
from core.input_guard import has_bad_chars


def test_none_among_the_texts_is_skipped_not_a_crash():
    assert has_bad_chars(["fine", None]) is False
    assert has_bad_chars([None, "a\x00b"]) is True
    assert has_bad_chars(["\ud800"]) is True
