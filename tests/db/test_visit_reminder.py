"""The day-before reminder of a visit (まとめて予約): one mail for the visit, not one per stop,
in the booking's language, once however often the daily job runs; a single booking the same day
still gets its own."""
import datetime as dt

from sqlalchemy import func, select

from core.db import db
from core.outbox import OutboxMessage
from reservations import booking
from reservations import models as m
from reservations import visit as v
from reservations.current import catalog as current_catalog
from reservations.slots import JST

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=JST)
MONDAY = dt.date(2026, 12, 7)
EVE = dt.datetime(2026, 12, 6, 10, 0, tzinfo=JST)
PROCS = ["tennyu_todoke", "kokuho_kanyu", "jido_teate_nintei"]


def _visit(catalog, locale: str, offer_index: int, email: str) -> str:
    itin = v.itinerary(catalog, PROCS)
    offer = v.offered(catalog, itin, MONDAY, now=NOW)[offer_index]
    visit = v.hold(catalog, itin, offer.start, locale=locale, result_path="/guide/tennyu/result?a=1", now=NOW)
    v.confirm(catalog, visit, name="加古川 花子", name_kana="カコガワ ハナコ", email=email, phone=None, now=NOW)
    return visit.number


def test_a_visit_is_reminded_once_for_all_its_stops(app):
    from reservations.cli import send_reminders
    with app.app_context():
        catalog = current_catalog()
        ja = _visit(catalog, "ja", 0, "family@example.jp")
        en = _visit(catalog, "en", 1, "friend@example.jp")
        single = booking.book(catalog, "tenshutsu", "shiyakusho", dt.datetime.combine(MONDAY, dt.time(14), tzinfo=JST),
                              name="加古川 太郎", name_kana="カコガワ タロウ", email="single@example.jp", phone=None,
                              now=NOW)
        db.session.commit()
        assert send_reminders(EVE - dt.timedelta(days=1)) == 0  # two days before: nothing yet
        assert send_reminders(EVE) == 3
        assert send_reminders(EVE) == 0  # the daily job run twice
        keys = list(db.session.scalars(select(OutboxMessage.dedupe_key).where(
            OutboxMessage.dedupe_key.like("%reminder%"))))
        assert sorted(keys) == sorted([f"visit-reminder:{ja}:{MONDAY}", f"visit-reminder:{en}:{MONDAY}",
                                       f"reservation-reminder:{single.number}"])
        subjects = dict(db.session.execute(select(OutboxMessage.dedupe_key, OutboxMessage.subject)).all())
        assert "明日はまとめて予約の日です" in subjects[f"visit-reminder:{ja}:{MONDAY}"]
        assert "Tomorrow: your whole-visit booking" in subjects[f"visit-reminder:{en}:{MONDAY}"]
        assert db.session.scalar(select(func.count()).select_from(m.Reservation).where(
            m.Reservation.visit_id.is_not(None), m.Reservation.reminded_at.is_(None))) == 0  # every stop claimed
