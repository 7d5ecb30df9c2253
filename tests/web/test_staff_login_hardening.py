"""Staff login hardening: a password change ends one's other sessions; a locked account answers
like an unknown id (same page, same status, the same password work); login attempts are limited
per account as well as per address."""
from __future__ import annotations

import re
import time

import pyotp

from core import auth, policy
from tests.conftest import STAFF_PASSWORD, csrf_from, fresh_client, make_staff, staff_login


def _login_with_code_of(client, login_id: str, code: str):
    page = client.get("/staff/login").get_data(as_text=True)
    client.post("/staff/login", data={"login_id": login_id, "password": STAFF_PASSWORD, "csrf_token": csrf_from(page)})
    page = client.get("/staff/login/code").get_data(as_text=True)
    return client.post("/staff/login/code", data={"code": code, "csrf_token": csrf_from(page)})


def test_changing_ones_password_ends_ones_other_sessions_but_not_this_one(app):
    login_id, secret = make_staff(app, policy.AUDITOR)
    here, elsewhere = fresh_client(app), fresh_client(app)
    assert staff_login(here, login_id, secret).status_code == 302
    # a code is accepted once: the other device uses the next one
    assert _login_with_code_of(elsewhere, login_id, pyotp.TOTP(secret).at(time.time() + 30)).status_code == 302
    assert elsewhere.get("/staff/").status_code == 200
    page = here.get("/staff/password").get_data(as_text=True)
    r = here.post("/staff/password", data={"current": STAFF_PASSWORD, "new": "another-good-pass-8",
                                           "confirm": "another-good-pass-8", "csrf_token": csrf_from(page)})
    assert r.status_code == 302
    assert here.get("/staff/").status_code == 200
    assert elsewhere.get("/staff/").location.startswith("/staff/login")


def _attempt(client, login_id: str, password: str):
    page = client.get("/staff/login").get_data(as_text=True)
    return client.post("/staff/login", data={"login_id": login_id, "password": password, "csrf_token": csrf_from(page)})


def _page_without(response, login_id: str) -> str:
    """The answer with what legitimately differs taken out: the typed id and the CSRF token."""
    html = response.get_data(as_text=True).replace(login_id, "LOGIN_ID")
    return re.sub(r'name="csrf_token"[^>]*value="[^"]+"|value="[^"]+"[^>]*name="csrf_token"', "CSRF", html)


def test_a_locked_account_answers_exactly_like_an_unknown_login_id(app):
    login_id, _secret = make_staff(app, policy.COUNTER)
    unknown = f"counter.{int(login_id.rsplit('.', 1)[1]) + 1}"  # the same shape as a real id, no account
    for _ in range(auth.MAX_FAILURES):
        _attempt(fresh_client(app), login_id, "wrong-wrong-123")
    locked = _attempt(fresh_client(app), login_id, STAFF_PASSWORD)  # even the right password: locked
    nobody = _attempt(fresh_client(app), unknown, STAFF_PASSWORD)
    assert locked.status_code == nobody.status_code == 400
    assert _page_without(locked, login_id) == _page_without(nobody, unknown)
    assert "ロックされています" in locked.get_data(as_text=True)  # the one message says it may be a lock


class _CountingHasher:
    def __init__(self, real):
        self.real, self.calls = real, 0

    def verify(self, hashed, password):
        self.calls += 1
        return self.real.verify(hashed, password)

    def __getattr__(self, name):
        return getattr(self.real, name)


def test_unknown_ids_and_locked_accounts_cost_one_password_hash_like_a_wrong_password(app, monkeypatch):
    import datetime as dt

    from core.db import db
    from core.staff_models import StaffUser, utcnow

    login_id, _secret = make_staff(app, policy.COUNTER)
    counting = _CountingHasher(auth._hasher)
    monkeypatch.setattr(auth, "_hasher", counting)
    with app.app_context():
        user = db.session.query(StaffUser).filter_by(login_id=login_id).one()
        user.locked_until = utcnow() + dt.timedelta(minutes=10)
        db.session.commit()
        for who, reason in (("x.unknown", "unknown_user"), (login_id, "locked")):
            before = counting.calls
            try:
                auth.check_password(who, STAFF_PASSWORD)
            except auth.LoginError as exc:
                assert exc.reason == reason
            assert counting.calls - before == 1, reason


def test_login_attempts_are_limited_per_account_from_any_address(app, monkeypatch):
    monkeypatch.setitem(app.config, "STAFF_LOGIN_LIMIT_PER_ACCOUNT", "3 per minute")
    target = "clerk.1"  # known or not: the limit is the same
    statuses = [_attempt(fresh_client(app), target, "wrong-wrong-123").status_code for _ in range(4)]
    assert statuses == [400, 400, 400, 429]  # four addresses, one account
    assert _attempt(fresh_client(app), "clerk.2", "wrong-wrong-123").status_code == 400


def test_successful_logins_do_not_count_against_the_account(app, monkeypatch):
    monkeypatch.setitem(app.config, "STAFF_LOGIN_LIMIT_PER_ACCOUNT", "2 per minute")
    login_id, _secret = make_staff(app, policy.COUNTER)
    for _ in range(3):
        assert _attempt(fresh_client(app), login_id, STAFF_PASSWORD).status_code == 302


def test_the_code_step_is_limited_per_account(app, monkeypatch):
    monkeypatch.setitem(app.config, "STAFF_LOGIN_LIMIT_PER_ACCOUNT", "2 per minute")
    login_id, _secret = make_staff(app, policy.COUNTER)
    client = fresh_client(app)
    assert _attempt(client, login_id, STAFF_PASSWORD).status_code == 302
    statuses = []
    for _ in range(3):
        page = client.get("/staff/login/code").get_data(as_text=True)
        statuses.append(client.post("/staff/login/code", data={"code": "000000", "csrf_token": csrf_from(page)}).status_code)
    assert statuses == [400, 400, 429]
