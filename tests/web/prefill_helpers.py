"""Visits for the 事前入力 tests, put straight in the database (helper A's booking pages build them
for real): a visit of today with its stops (市民課 異動 → 国保 by default), and a full household."""
from __future__ import annotations

import datetime as dt
import itertools

from core.db import db
from core.japan_time import JST
from reservations import booking, links, prefill
from reservations import models as m
from reservations import visit as visits

_SEQ = itertools.count(1)

HOUSEHOLD = {
    "members": [
        {"family_name": "山田", "given_name": "太郎", "family_kana": "ヤマダ", "given_kana": "タロウ",
         "birth_date": "1985-04-01", "sex": "male", "relationship": "head", "moving": True},
        {"family_name": "山田", "given_name": "花子", "family_kana": "ヤマダ", "given_kana": "ハナコ",
         "birth_date": "1987-06-15", "sex": "female", "relationship": "spouse", "moving": True},
    ],
    "previous_address": {"postcode": "1000001", "address": "東京都千代田区千代田1-1", "building": "", "head_name": ""},
    "new_address": {"postcode": "6750000", "address": "兵庫県テスト市1-2-3", "building": "テストハイツ101", "head_name": ""},
    "move_date": "2026-11-28",
    "phone": "09012345678",
}


def make_visit(app, *, stops: tuple[tuple[str, str], ...] = (("shimin_ido", "tennyu_todoke"), ("kokuho", "kokuho_kanyu")),
               status: str = m.CONFIRMED, day: dt.date | None = None,
               created_at: dt.datetime | None = None) -> tuple[str, str]:
    """A confirmed visit with one stop per (counter, procedures). Returns (number, manage token)."""
    day = day or dt.datetime.now(JST).date()
    start = dt.datetime.combine(day, dt.time(10, 0), JST)
    with app.app_context():
        now = created_at or dt.datetime.now(dt.UTC)
        number = f"V{next(_SEQ):08d}"
        visit = m.Visit(number=number, site_id="shiyakusho", day=day, start=start.astimezone(dt.UTC),
                        end=(start + dt.timedelta(minutes=30 * len(stops))).astimezone(dt.UTC), status=status,
                        locale="ja", procedures=",".join(p for _, p in stops), result_path=None, created_at=now)
        db.session.add(visit)
        db.session.flush()
        for order, (counter_id, procedures) in enumerate(stops, 1):
            t = start + dt.timedelta(minutes=30 * (order - 1))
            db.session.add(m.Reservation(
                number=booking.new_number(), service_id="tennyu", site_id="shiyakusho", counter_id=counter_id,
                procedures=procedures, start=t.astimezone(dt.UTC), end=(t + dt.timedelta(minutes=30)).astimezone(dt.UTC),
                day=day, channel="web", status=m.CONFIRMED if status != m.CHECKED_IN else m.CHECKED_IN, locale="ja",
                name="山田太郎", name_kana="ヤマダ タロウ", phone="09012345678", created_at=now, confirmed_at=now,
                visit_id=visit.id, stop_order=order))
        db.session.commit()
        with app.test_request_context():
            token = links.visit_manage_token(number)
        return number, token


def fill(app, number: str, *, shared: bool = True, now: dt.datetime | None = None) -> None:
    with app.app_context():
        visit = visits.by_number(number)
        prefill.save_part(visit, HOUSEHOLD, now=now)
        if shared:
            prefill.share(visit)
