"""The test harness itself: each test finds the database as Alembic left it, empty rate limits and
the same clock, and a page that is not valid HTML fails the test that rendered it. (The tests
below come in pairs run in file order: the second fails if the first leaked.)"""
import datetime as dt

import pytest
from flask import Flask
from sqlalchemy import func, select

from core import policy
from core.db import db
from core.staff_models import StaffUser
from tests.conftest import TEST_NOW, csrf_from, make_staff
from tests.html_check import CheckedClient, html_problems

VALID = "<!doctype html><html lang=ja><head><meta charset=utf-8><title>t</title></head><body>{}</body></html>"


def _accounts(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(StaffUser))


def _failed_login(client) -> int:
    page = client.get("/staff/login").get_data(as_text=True)
    return client.post("/staff/login", data={"login_id": "nobody", "password": "x" * 12,
                                             "csrf_token": csrf_from(page)}).status_code


def test_a_test_writes_rows_and_spends_the_login_limit(app, client):
    make_staff(app, policy.ADMIN, login_id="leaks.if.not.reset")
    assert _accounts(app) == 1
    assert [_failed_login(client) for _ in range(11)][-1] == 429


def test_the_next_test_sees_none_of_it(app, client):
    assert _accounts(app) == 0
    assert _failed_login(client) == 400


def test_every_test_starts_at_the_same_instant(clock):
    now = dt.datetime.now(dt.UTC)
    assert dt.timedelta(0) <= now - TEST_NOW < dt.timedelta(minutes=1)  # the clock ticks from TEST_NOW
    clock.shift(dt.timedelta(days=3))
    assert dt.datetime.now(dt.UTC) - TEST_NOW >= dt.timedelta(days=3)


def test_a_shift_in_one_test_does_not_carry_over():
    assert dt.datetime.now(dt.UTC) - TEST_NOW < dt.timedelta(minutes=1)


@pytest.mark.parametrize("body, problem", [
    ("<div><span>open</div>", "End tag (div) seen too early"),
    ("<span>stray</span></p>", "Unexpected end tag (p)"),
    ('<p id="a">one</p><p id="a">two</p>', 'id "a" is given to 2 elements'),
    ('<input name="x" name="y">', "Dropped duplicate attribute"),
])
def test_html_problems_are_found(body, problem):
    problems = html_problems(VALID.format(body))
    assert any(problem in p for p in problems), problems


def test_a_valid_page_has_no_problems():
    assert html_problems(VALID.format('<main id="main"><h1>見出し</h1><p>本文<br>です。</p></main>')) == []


def test_the_tests_client_fails_on_an_invalid_page(app):
    assert isinstance(app.test_client(), CheckedClient)
    other = Flask(__name__)
    other.test_client_class = CheckedClient
    other.add_url_rule("/broken", "broken", lambda: VALID.format("<div><span>閉じていません</div>"))
    other.add_url_rule("/fine", "fine", lambda: VALID.format("<div><span>閉じています</span></div>"))
    assert other.test_client().get("/fine").status_code == 200
    with pytest.raises(AssertionError, match="GET /broken is not valid HTML"):
        other.test_client().get("/broken")
