"""reservations.staff_actions: check-in, no-show, cancellation, a phone booking and the calendar's
changes each commit and write their audit record in the service (called here directly, no view),
so no caller can forget either; a refusal commits nothing. The walk-in queue's moves commit in the
service too."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from core.db import db
from core.japan_time import JST
from core.outbox import OutboxMessage
from reservations import booking, frontdesk, overrides
from reservations import models as m
from reservations import staff_actions as actions
from reservations.loader import load_catalog
from tests.web.staff_reservations_helpers import add_booking, audits, clean, open_day, today


@pytest.fixture(scope="module")
def cat():
    return load_catalog("kakogawa")


@pytest.fixture
def ctx(app):
    clean(app)
    with app.test_request_context("/", base_url="http://localhost"):
        yield app
        db.session.rollback()
    clean(app)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _committed(number: str) -> m.Reservation:
    db.session.rollback()  # what the service left uncommitted would go here
    return db.session.scalar(select(m.Reservation).where(m.Reservation.number == number))


def test_a_check_in_is_committed_and_audited_by_the_service(ctx):
    number, _ = add_booking(ctx)
    r = actions.check_in(number.lower(), today=today(), now=_now(), counters=["shimin_ido"])
    assert r.number == number
    assert _committed(number).status == m.CHECKED_IN
    records = audits(ctx, "reservation.checkin", number)
    assert len(records) == 1 and records[0]["result"] == "ok" and records[0]["details"]["counter"] == "shimin_ido"


def test_a_refused_check_in_commits_nothing_and_is_audited_as_failed(ctx):
    number, _ = add_booking(ctx, day=today() + dt.timedelta(days=3))
    with pytest.raises(frontdesk.FrontDeskError) as refused:
        actions.check_in(number, today=today(), now=_now())
    assert refused.value.code == "wrong_day"
    assert _committed(number).status == m.CONFIRMED
    records = audits(ctx, "reservation.checkin", number)
    assert [(a["result"], a["details"]["reason"]) for a in records] == [("failed", "wrong_day")]


def test_a_no_show_is_committed_and_audited_by_the_service(ctx):
    number, _ = add_booking(ctx, start=dt.datetime.now(JST) - dt.timedelta(minutes=30))
    actions.mark_no_show(_committed(number), _now())
    assert _committed(number).status == m.NO_SHOW
    assert len(audits(ctx, "reservation.no_show", number)) == 1


def test_a_refused_no_show_commits_nothing_and_writes_no_audit(ctx):
    number, _ = add_booking(ctx, day=today() + dt.timedelta(days=3))
    r = _committed(number)
    with pytest.raises(frontdesk.FrontDeskError):
        actions.mark_no_show(r, _now())
    assert _committed(number).status == m.CONFIRMED
    assert audits(ctx, "reservation.no_show", number) == []


def test_a_cancellation_is_committed_and_audited_by_the_service(ctx, cat):
    number, _ = add_booking(ctx, day=today() + dt.timedelta(days=3))
    actions.cancel(cat, _committed(number), None, _now())
    assert _committed(number).status == m.CANCELLED
    records = audits(ctx, "reservation.cancel", number)
    assert len(records) == 1 and records[0]["details"]["by"] == "staff"


def test_a_refused_cancellation_commits_nothing_and_writes_no_audit(ctx, cat):
    number, _ = add_booking(ctx, status=m.CHECKED_IN)
    with pytest.raises(booking.BookingError):
        actions.cancel(cat, _committed(number), None, _now())
    assert _committed(number).status == m.CHECKED_IN
    assert audits(ctx, "reservation.cancel", number) == []


def _phone_slot(cat, day: dt.date):
    found = booking.availability(cat, "tenshutsu", "shiyakusho", day, channel="phone", now=_now())
    return next(a.slot for a in found if a.bookable and a.remaining > 0)


def test_a_phone_booking_and_its_mail_are_committed_and_audited_by_the_service(ctx, cat):
    slot = _phone_slot(cat, open_day("shiyakusho"))
    r = actions.book_by_phone(cat, "tenshutsu", "shiyakusho", slot.start, name="電話 花子", name_kana="デンワ ハナコ",
                              email="hanako@example.jp", phone="0794212000", kb=None, now=_now())
    number = r.number
    booked = _committed(number)
    assert booked.channel == "phone" and booked.status == m.CONFIRMED
    assert any(o.recipient == "hanako@example.jp" for o in db.session.scalars(select(OutboxMessage)))
    records = audits(ctx, "reservation.create", number)
    assert len(records) == 1 and records[0]["details"] == {
        "channel": "phone", "service": "tenshutsu", "site": "shiyakusho", "start": slot.start.isoformat()}


def test_a_refused_phone_booking_commits_nothing(ctx, cat):
    past = dt.datetime.combine(today() - dt.timedelta(days=1), dt.time(10, 0), JST)
    before = len(audits(ctx, "reservation.create"))
    rows = db.session.scalar(select(func.count()).select_from(m.Reservation))
    with pytest.raises(booking.BookingError):
        actions.book_by_phone(cat, "tenshutsu", "shiyakusho", past, name="電話 花子", name_kana="デンワ ハナコ",
                              email=None, phone="0794212000", kb=None, now=_now())
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(m.Reservation)) == rows
    assert len(audits(ctx, "reservation.create")) == before


def test_a_phone_booking_whose_mail_fails_commits_nothing(ctx, cat, monkeypatch):
    """The booking and its mail are one unit in the service: no booking without its e-mail."""
    slot = _phone_slot(cat, open_day("shiyakusho"))
    rows = db.session.scalar(select(func.count()).select_from(m.Reservation))

    def broken(*args, **kwargs):
        raise booking.BookingError("mail", "no mail")

    monkeypatch.setattr(actions.notify, "send_confirmation", broken)
    with pytest.raises(booking.BookingError):
        actions.book_by_phone(cat, "tenshutsu", "shiyakusho", slot.start, name="電話 花子", name_kana="デンワ ハナコ",
                              email="hanako@example.jp", phone="0794212000", kb=None, now=_now())
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(m.Reservation)) == rows


def test_a_calendar_change_and_its_removal_are_committed_and_audited_by_the_service(ctx, cat):
    day = open_day("shiyakusho")
    o = actions.set_override(cat, overrides.WINDOWS, "shimin_ido", day, windows=1, reason="研修",
                             actor="staff:tanaka", now=_now())
    override_id = o.id
    db.session.rollback()
    o = db.session.get(m.CalendarOverride, override_id)
    assert o is not None and o.active and o.windows == 1
    target = f"{overrides.WINDOWS}:shimin_ido:{day.isoformat()}"
    assert [a["details"]["change"] for a in audits(ctx, "reservation.calendar", target)] == ["set"]
    actions.remove_override(cat, o)
    db.session.rollback()
    assert db.session.get(m.CalendarOverride, override_id).active is False
    assert [a["details"]["change"] for a in audits(ctx, "reservation.calendar", target)] == ["set", "removed"]


def test_the_walk_in_queue_moves_are_committed_by_the_service(ctx):
    now = _now()
    day = now.astimezone(JST).date()
    first = actions.issue_ticket("shiyakusho", "shimin_ido", day, now)
    second = actions.issue_ticket("shiyakusho", "shimin_ido", day, now)
    ids = first.id, second.id
    db.session.rollback()
    assert [db.session.get(m.WalkInTicket, i).status for i in ids] == ["waiting", "waiting"]
    called = actions.call_next("shimin_ido", day, "3", now)
    assert called is not None and called.id == ids[0]
    db.session.rollback()
    assert db.session.get(m.WalkInTicket, ids[0]).status == "called"
    assert actions.finish_ticket(db.session.get(m.WalkInTicket, ids[0]), now) is True
    assert actions.ticket_no_show(db.session.get(m.WalkInTicket, ids[1]), now) is True
    db.session.rollback()
    assert [db.session.get(m.WalkInTicket, i).status for i in ids] == ["done", "no_show"]
    assert actions.finish_ticket(db.session.get(m.WalkInTicket, ids[1]), now) is False  # already over: nothing
    db.session.rollback()
    assert db.session.get(m.WalkInTicket, ids[1]).status == "no_show"
