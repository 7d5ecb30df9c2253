"""core/db.py: a new connection waits for a restarting PostgreSQL (only for the errors of a server
that is away, never past the limit, never inside without_connect_wait), and a connection lost
after the request's commit does not fail the answer. (The real restart: tests/faults.)"""
from __future__ import annotations

import pytest
from sqlalchemy import exc

from core import db as core_db


class Refused(Exception):
    sqlstate = None  # refused before the server said anything


class StartingUp(Exception):
    sqlstate = "57P03"


class BadPassword(Exception):
    sqlstate = "28P01"


class FakeClock:
    def __init__(self):
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def failing(*errors):
    """connect() raising ``errors`` one by one, then answering "connected"."""
    left = list(errors)

    def connect():
        if left:
            raise left.pop(0)
        return "connected"
    return connect


def test_a_refused_then_starting_server_is_waited_for():
    clock = FakeClock()
    got = core_db.connect_with_wait(failing(Refused(), Refused(), StartingUp()), 10, sleep=clock.sleep, clock=clock)
    assert got == "connected"
    assert clock.sleeps == [0.1, 0.2, 0.4]  # doubling


def test_the_wait_ends_at_the_limit_with_the_last_error():
    clock = FakeClock()
    with pytest.raises(Refused):
        core_db.connect_with_wait(failing(*[Refused() for _ in range(100)]), 3, sleep=clock.sleep, clock=clock)
    assert clock.now <= 3 and max(clock.sleeps) == 1.0  # never more than a second apart


def test_a_wrong_password_is_not_waited_for():
    clock = FakeClock()
    with pytest.raises(BadPassword):
        core_db.connect_with_wait(failing(BadPassword()), 10, sleep=clock.sleep, clock=clock)
    assert clock.sleeps == []


def test_without_connect_wait_fails_at_once():
    clock = FakeClock()
    with core_db.without_connect_wait(), pytest.raises(Refused):
        core_db.connect_with_wait(failing(Refused()), 10, sleep=clock.sleep, clock=clock)
    assert clock.sleeps == []
    assert core_db.connect_with_wait(failing(Refused()), 10, sleep=clock.sleep, clock=clock) == "connected"


def test_a_connection_lost_at_the_end_of_a_request_is_discarded(app, monkeypatch):
    calls = []
    real_remove = core_db.db.session.remove

    def remove_once_broken():
        calls.append("remove")
        if len(calls) == 1:
            raise exc.OperationalError("ROLLBACK", {}, Refused("server closed the connection unexpectedly"))
        real_remove()

    with app.app_context():
        monkeypatch.setattr(core_db.db.session, "remove", remove_once_broken)
        core_db.end_session_quietly()  # raises nothing: the broken close is logged, the session dropped
        assert calls == ["remove", "remove"]


def test_the_quiet_teardown_runs_before_flask_sqlalchemys(app):
    # Flask runs teardowns in reverse order of registration: ours must come after theirs
    funcs = app.teardown_appcontext_funcs
    theirs = next(i for i, f in enumerate(funcs) if getattr(f, "__name__", "") == "_teardown_session")
    assert funcs.index(core_db.end_session_quietly) > theirs
