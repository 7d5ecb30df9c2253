"""Helpers for the staff reservation tests: bookings put straight in the database (any day, any
status, so that 'today' works whatever the calendar says), open days, and cleaning up."""
from __future__ import annotations

import datetime as dt
import itertools
import json

from sqlalchemy import delete, select

from core.audit import AuditRecord
from core.db import db
from core.japan_time import JST
from reservations import booking
from reservations import models as m

COUNTER_SITE = {"shimin_ido": "shiyakusho", "shimin_shomei": "shiyakusho", "kokuho": "shiyakusho",
                "kakogawa_center_madoguchi": "kakogawa_center"}


def today() -> dt.date:
    return dt.datetime.now(JST).date()


_NAMES = itertools.count(1)


def add_booking(app, *, counter_id: str = "shimin_ido", service_id: str = "tenshutsu", day: dt.date | None = None,
                start: dt.datetime | None = None, status: str = m.CONFIRMED, channel: str = "web",
                name: str | None = None) -> tuple[str, str]:
    """A booking row (no seats: these tests are about the counter, not about capacity).
    Returns (number, name)."""
    if start is None:
        start = dt.datetime.combine(day or today(), dt.time(10, 0), JST)
    name = name or f"受付 {next(_NAMES):03d}"  # told apart within a test; each test starts empty
    with app.app_context():
        now = dt.datetime.now(dt.UTC)
        r = m.Reservation(number=booking.new_number(), service_id=service_id, site_id=COUNTER_SITE[counter_id],
                          counter_id=counter_id, procedures="", start=start.astimezone(dt.UTC),
                          end=(start + dt.timedelta(minutes=15)).astimezone(dt.UTC), day=start.astimezone(JST).date(),
                          channel=channel, status=status, locale="ja", name=name, name_kana="ウケツケ", phone="0794212000",
                          created_at=now, confirmed_at=now)
        db.session.add(r)
        db.session.commit()
        return r.number, name


def reservation(app, number: str) -> m.Reservation:
    with app.app_context():
        r = db.session.scalar(select(m.Reservation).where(m.Reservation.number == number))
        db.session.expunge(r)
        return r


def clean(app) -> None:
    """No overrides or tickets left behind for the next test (they change availability)."""
    with app.app_context():
        db.session.execute(delete(m.CalendarOverride))
        db.session.execute(delete(m.WalkInTicket))
        db.session.commit()


def audits(app, action: str, target: str | None = None) -> list[dict]:
    with app.app_context():
        stmt = select(AuditRecord).where(AuditRecord.action == action).order_by(AuditRecord.id)
        if target is not None:
            stmt = stmt.where(AuditRecord.target == target)
        return [{"actor": a.actor, "target": a.target, "result": a.result, "details": json.loads(a.details or "{}")}
                for a in db.session.scalars(stmt)]


def open_day(site_id: str, first: int = 3) -> dt.date:
    """An open day of ``site_id`` inside the booking horizon (after the lead time)."""
    from reservations.calendar import is_closed
    from reservations.loader import load_catalog
    cat = load_catalog("kakogawa")
    for n in range(first, cat.rules.horizon_days):
        day = today() + dt.timedelta(days=n)
        if is_closed(cat, site_id, day) is None:
            return day
    raise AssertionError("no open day in the horizon")
