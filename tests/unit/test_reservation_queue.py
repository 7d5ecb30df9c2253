"""The walk-in queue (reservations/queue.py) on both databases: consecutive numbers per counter
and day, unique and gap-free under concurrent issuing (threads on PostgreSQL), the call order,
one call per person when two windows call at once, done / no-show, and the estimated wait."""
from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import delete, select

from core.db import db
from reservations import models as m
from reservations import queue as walkin

DAY = dt.date(2026, 4, 1)
T0 = dt.datetime(2026, 4, 1, 0, 0, tzinfo=dt.UTC)  # 09:00 JST


@pytest.fixture(autouse=True)
def _clean(app):
    with app.app_context():
        db.session.execute(delete(m.WalkInTicket))
        db.session.commit()
    yield
    with app.app_context():
        db.session.execute(delete(m.WalkInTicket))
        db.session.commit()


def _issue(n: int, counter: str = "shimin_ido", day: dt.date = DAY, at: dt.datetime = T0) -> list[m.WalkInTicket]:
    out = [walkin.issue("shiyakusho", counter, day, at + dt.timedelta(minutes=i)) for i in range(n)]
    db.session.commit()
    return out


def test_numbers_are_consecutive_per_counter_and_day(app):
    with app.app_context():
        assert [t.number for t in _issue(3)] == [1, 2, 3]
        assert [t.number for t in _issue(2, counter="shimin_shomei")] == [1, 2]
        assert [t.number for t in _issue(1, day=DAY + dt.timedelta(days=1))] == [1]
        assert walkin.label("B", 7) == "B-007" and walkin.label("A", 1234) == "A-1234"


def test_call_next_takes_the_lowest_waiting_number_and_finishes_the_windows_previous(app):
    with app.app_context():
        _issue(3)
        first = walkin.call_next("shimin_ido", DAY, "1", T0 + dt.timedelta(minutes=5))
        second = walkin.call_next("shimin_ido", DAY, "2", T0 + dt.timedelta(minutes=6))
        assert (first.number, first.window, second.number, second.window) == (1, "1", 2, "2")
        third = walkin.call_next("shimin_ido", DAY, "1", T0 + dt.timedelta(minutes=15))
        db.session.commit()
        assert third.number == 3
        db.session.refresh(first)
        assert first.status == walkin.DONE and walkin.aware(first.done_at) == T0 + dt.timedelta(minutes=15)
        assert second.status == walkin.CALLED  # another window: untouched
        assert walkin.call_next("shimin_ido", DAY, "2", T0 + dt.timedelta(minutes=20)) is None
        db.session.commit()
        db.session.refresh(second)
        assert second.status == walkin.DONE


def test_done_and_no_show_only_from_the_right_status(app):
    with app.app_context():
        a, b = _issue(2)
        with pytest.raises(walkin.QueueError):
            walkin.finish(a, T0)  # not called yet
        walkin.no_show(b, T0)  # left before being called
        called = walkin.call_next("shimin_ido", DAY, "1", T0, finish_previous=False)
        assert called.id == a.id  # the no-show is skipped
        walkin.finish(a, T0 + dt.timedelta(minutes=9))
        with pytest.raises(walkin.QueueError):
            walkin.no_show(a, T0)
        db.session.commit()


def test_estimated_wait_falls_back_then_uses_todays_average_and_the_windows_serving(app):
    with app.app_context():
        _issue(5)
        wait = walkin.estimated_wait("shimin_ido", DAY, 15, now=T0)
        assert (wait.ahead, wait.minutes, wait.measured) == (5, 75, False)
        now = T0
        walkin.call_next("shimin_ido", DAY, "1", now)
        walkin.call_next("shimin_ido", DAY, "1", now + dt.timedelta(minutes=6))  # the first took 6 minutes
        db.session.commit()
        wait = walkin.estimated_wait("shimin_ido", DAY, 15, now=now + dt.timedelta(minutes=7))
        assert (wait.ahead, wait.per_person, wait.measured) == (3, 6.0, True)
        assert wait.minutes == 18
        walkin.call_next("shimin_ido", DAY, "2", now + dt.timedelta(minutes=8))  # a second window opens
        db.session.commit()
        wait = walkin.estimated_wait("shimin_ido", DAY, 15, now=now + dt.timedelta(minutes=9))
        assert (wait.ahead, wait.minutes) == (2, 6)  # 2 people × 6 minutes / 2 windows
        last = db.session.scalar(select(m.WalkInTicket).where(m.WalkInTicket.number == 5))
        assert walkin.waiting_ahead(last) == 1
        assert walkin.estimated_wait("kokuho", DAY, 30, now=now).minutes == 0  # nobody waits


# threads writing at once: PostgreSQL only (SQLite serialises writers by locking the file)
@pytest.mark.postgres
def test_concurrent_issuing_gives_unique_consecutive_numbers(app):
    threads, per_thread = 8, 6
    barrier = threading.Barrier(threads)
    errors: list[BaseException] = []

    def work():
        try:
            with app.app_context():
                barrier.wait()
                for _ in range(per_thread):
                    walkin.issue("shiyakusho", "shimin_ido", DAY, T0)
                    db.session.commit()
        except BaseException as exc:
            errors.append(exc)

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
    assert errors == []
    with app.app_context():
        numbers = sorted(db.session.scalars(select(m.WalkInTicket.number).where(
            m.WalkInTicket.counter_id == "shimin_ido", m.WalkInTicket.day == DAY)))
    assert numbers == list(range(1, threads * per_thread + 1))


@pytest.mark.postgres
def test_two_windows_calling_at_once_never_call_the_same_person(app):
    with app.app_context():
        _issue(3)
    barrier = threading.Barrier(6)
    called: list[int] = []
    lock = threading.Lock()

    def work(window: str):
        with app.app_context():
            barrier.wait()
            ticket = walkin.call_next("shimin_ido", DAY, window, T0, finish_previous=False)
            db.session.commit()
            if ticket is not None:
                with lock:
                    called.append(ticket.number)

    workers = [threading.Thread(target=work, args=(str(i),)) for i in range(6)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
    assert sorted(called) == [1, 2, 3]
