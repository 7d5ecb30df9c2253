"""The booking rules with an explicit clock (no sleeping), on SQLite and PostgreSQL: lead time,
horizon, holds that expire and give their place back, and the reminder e-mail sent once however
often ``flask reservations remind`` runs."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from core.db import db
from core.outbox import OutboxMessage
from reservations import booking
from reservations import models as m
from reservations.slots import JST, day_slots
from tests.api.reserving import catalog, free_slot, person


def _at(slot, **delta) -> dt.datetime:
    return (slot.start - dt.timedelta(**delta)).astimezone(dt.UTC)


def test_lead_time_and_horizon(app):
    cat = catalog()
    slot = free_slot(app)
    with app.app_context():
        for now, code in ((_at(slot, minutes=cat.rules.lead_minutes - 1), "too_soon"),
                          (_at(slot, minutes=-5), "past"),
                          (_at(slot, days=cat.rules.horizon_days + 1), "too_far")):
            with pytest.raises(booking.BookingError) as refused:
                booking.hold(cat, "tenshutsu", "shiyakusho", slot.start, now=now)
            db.session.rollback()
            assert refused.value.code == code and refused.value.status == 422 and refused.value.text()
        r = booking.hold(cat, "tenshutsu", "shiyakusho", slot.start, now=_at(slot, minutes=cat.rules.lead_minutes))
        assert r.status == m.HELD
        db.session.rollback()


def test_a_hold_keeps_the_place_then_expires_and_frees_it(app):
    cat = catalog()
    slot = free_slot(app)
    now = _at(slot, days=2)
    with app.app_context():
        held = booking.hold(cat, "tenshutsu", "shiyakusho", slot.start, now=now, hold_key="k-" + slot.start.isoformat())
        again = booking.hold(cat, "tenshutsu", "shiyakusho", slot.start, now=now, hold_key="k-" + slot.start.isoformat())
        assert again.id == held.id  # a double click holds once
        db.session.commit()
        number = held.number

        def remaining(at):
            return next(a.remaining for a in booking.availability(cat, "tenshutsu", "shiyakusho", slot.start.date(), now=at)
                        if a.slot.start == slot.start)
        assert remaining(now) == 2
        later = now + dt.timedelta(minutes=cat.rules.hold_minutes + 1)
        assert remaining(later) == 3  # the expired hold counts as free
        others = []
        for _ in range(3):  # three others take every web place after the hold ran out
            r = booking.book(cat, "tenshutsu", "shiyakusho", slot.start, now=later, **_who())
            others.append(r)
        db.session.commit()
        held = booking.by_number(number)
        assert held.status == m.EXPIRED
        with pytest.raises(booking.BookingError) as refused:
            booking.confirm(cat, held, now=later, **_who())
        assert refused.value.code == "hold_expired"
        db.session.rollback()


def test_an_expired_hold_nobody_needed_can_still_be_confirmed(app):
    cat = catalog()
    slot = free_slot(app)
    now = _at(slot, days=2)
    with app.app_context():
        held = booking.hold(cat, "tenshutsu", "shiyakusho", slot.start, now=now)
        db.session.commit()
        r = booking.confirm(cat, held, now=now + dt.timedelta(minutes=cat.rules.hold_minutes + 5), **_who())
        assert r.status == m.CONFIRMED
        db.session.commit()


def test_expire_holds_command_gives_places_back(app):
    from reservations.cli import expire_holds
    cat = catalog()
    slot = free_slot(app)
    now = _at(slot, days=2)
    with app.app_context():
        held = booking.hold(cat, "tenshutsu", "shiyakusho", slot.start, now=now)
        db.session.commit()
        assert expire_holds(now + dt.timedelta(minutes=cat.rules.hold_minutes + 1)) >= 1
        assert booking.by_number(held.number).status == m.EXPIRED
        assert db.session.scalar(select(func.count()).select_from(m.SeatClaim)
                                 .where(m.SeatClaim.reservation_id == held.id)) == 0


def _who():
    p = person()
    return {"name": p["name"], "name_kana": "カコガワ タロウ", "email": p["email"], "phone": None}


def test_reminders_are_sent_once_the_day_before(app):
    cat = catalog()
    slot = free_slot(app)
    runner = app.test_cli_runner()
    with app.app_context():
        r = booking.book(cat, "tenshutsu", "shiyakusho", slot.start, now=_at(slot, days=3), **_who())
        no_mail = booking.book(cat, "tenshutsu", "shiyakusho", slot.start, now=_at(slot, days=3),
                               name="電話 花子", name_kana="デンワ ハナコ", email=None,
                               phone="0794212000")  # no e-mail: no reminder
        db.session.commit()
        number, other = r.number, no_mail.number
    eve = dt.datetime.combine(slot.start.date() - dt.timedelta(days=1), dt.time(10), tzinfo=JST)
    from reservations.cli import send_reminders
    with app.app_context():
        send_reminders(eve - dt.timedelta(days=1))  # two days before: not this one yet
        assert booking.by_number(number).reminded_at is None
        send_reminders(eve)
        send_reminders(eve)  # run twice
        assert booking.by_number(number).reminded_at is not None
        assert booking.by_number(other).reminded_at is not None  # claimed, nothing to send
        rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.dedupe_key == f"reservation-reminder:{number}")).all()
        assert len(rows) == 1 and "明日" in rows[0].subject and number in rows[0].body
    result = runner.invoke(args=["reservations", "remind"])
    assert result.exit_code == 0 and "reminders queued" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.dedupe_key == f"reservation-reminder:{number}")) == 1


def test_slots_fit_the_opening_hours_of_the_real_catalogue():
    cat = catalog()
    day = dt.date(2027, 1, 5)  # a Tuesday
    slots = day_slots(cat, "tennyu", "shiyakusho", day)
    assert slots[0].start.time() == dt.time(8, 30) and slots[-1].end.time() <= dt.time(17, 15)
    assert day_slots(cat, "tennyu", "shiyakusho", dt.date(2027, 5, 3)) == []  # 憲法記念日
    assert day_slots(cat, "tennyu", "shiyakusho", dt.date(2026, 12, 29)) == []  # 年末年始
