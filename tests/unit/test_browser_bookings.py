"""reservations.browser_bookings: the one rule for "a booking this browser started" and "the booking
behind a manage link", used by the single booking's pages and the whole visit's."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from flask import Flask
from werkzeug.exceptions import NotFound

from reservations import models as m
from reservations.browser_bookings import BrowserBookings

ROWS = {"A1": SimpleNamespace(number="A1", status=m.CONFIRMED), "H1": SimpleNamespace(number="H1", status=m.HELD),
        "E1": SimpleNamespace(number="E1", status=m.EXPIRED), "C1": SimpleNamespace(number="C1", status=m.CANCELLED)}
kept = BrowserBookings("numbers", 3, ROWS.get, lambda token: token.removeprefix("signed:") if token.startswith("signed:")
                       else None)


@pytest.fixture
def request_context():
    app = Flask(__name__)
    app.secret_key = "test"
    with app.test_request_context():
        yield


def test_remember_keeps_the_newest_few_once_each(request_context):
    for number in ("A1", "B1", "A1", "C1", "D1"):
        kept.remember(number)
    assert kept.numbers() == ["A1", "C1", "D1"]


def test_own_is_only_a_booking_this_browser_started(request_context):
    with pytest.raises(NotFound):
        kept.own("A1")  # it exists, but another browser started it
    kept.remember("A1")
    kept.remember("Z9")
    assert kept.own("A1") is ROWS["A1"]
    with pytest.raises(NotFound):
        kept.own("Z9")  # remembered, but gone


@pytest.mark.parametrize("token", ["A1", "signed:Z9", "signed:H1", "signed:E1", "signed:A1" + "x" * 300])
def test_managed_refuses_what_no_link_was_sent_for(request_context, token):
    with pytest.raises(NotFound):
        kept.managed(token)


def test_managed_finds_a_confirmed_or_cancelled_booking(request_context):
    assert kept.managed("signed:A1") is ROWS["A1"]
    assert kept.managed("signed:C1") is ROWS["C1"]  # its page says it was cancelled
