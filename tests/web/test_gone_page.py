"""A page that is gone (410: the 事前入力 of a visit that is over or cancelled, opened from a mail or
a bookmark) says so in the reader's language, not 「システムで問題が起きました」 (which asks them to
try again later, for ever)."""
from __future__ import annotations

from reservations import models as m
from tests.conftest import fresh_client
from tests.web.prefill_helpers import make_visit


def test_the_household_form_of_a_finished_visit_says_it_is_gone(app):
    _number, token = make_visit(app, status=m.CANCELLED)
    client = fresh_client(app)
    r = client.get(f"/reserve/visit/{token}/prefill")
    html = r.get_data(as_text=True)
    assert r.status_code == 410
    assert "このページはもう使えません" in html and "取り消されたため" in html
    assert "システムで問題が起きました" not in html
    english = client.get(f"/reserve/visit/{token}/prefill?lang=en").get_data(as_text=True)
    assert "This page can no longer be used" in english
