"""Applications straight in the database for the inbox tests (many at once, any status, any
day): what intake.applications.submit leaves behind (receipt number, 受付 time, history, search
keys), without signing each one. The search-key hook of submit itself is tested with real
signed applications in test_staff_inbox.py."""
from __future__ import annotations

import datetime as dt
import itertools
import json
import uuid

from core.db import db
from core.japan_time import JST
from intake import search_keys, workflow
from intake.models import Application, ApplicationEvent
from rules.calendar import is_open_day

PROCEDURE_DEPARTMENT = {"juminhyo_utsushi": "shimin", "koseki_tohon": "shimin", "inkan_shomei": "shimin",
                        "kenchiku_shinchiku": "kenchiku"}
_serial = itertools.count(1)  # receipt numbers of seeded applications: unique in any database of the run
_families = itertools.count()


def open_days_ago(n: int, today: dt.date | None = None) -> dt.datetime:
    """10:00 JST on the open day ``n`` open days before today (n = 0: today at 10:00)."""
    day = today or dt.datetime.now(JST).date()
    while not is_open_day(day):
        day -= dt.timedelta(days=1)
    count = 0
    while count < n:
        day -= dt.timedelta(days=1)
        if is_open_day(day):
            count += 1
    return dt.datetime.combine(day, dt.time(10), JST).astimezone(dt.UTC)


def seed(app, *, procedure="juminhyo_utsushi", status=workflow.SUBMITTED, family="加古川", given="花子",
         family_kana="カコガワ", given_kana="ハナコ", submitted_at=None, assignee_id=None, fields=None) -> str:
    """One sent application; returns its receipt number."""
    with app.test_request_context("/"):
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        submitted_at = submitted_at or now
        fields = {"applicant_family_name": family, "applicant_given_name": given,
                  "applicant_family_kana": family_kana, "applicant_given_kana": given_kana, **(fields or {})}
        number = f"{submitted_at.astimezone(JST):%y%m%d}-{next(_serial):06d}"
        a = Application(id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"application:{number}")), procedure_id=procedure, status=status,
                        fields_json=json.dumps(fields, ensure_ascii=False), email="inbox@example.jp",
                        email_index="0" * 64, created_at=submitted_at, payload="{}",
                        department_id=PROCEDURE_DEPARTMENT.get(procedure, "shimin"), locale="ja", channel="web",
                        receipt_number=number, submit_key=f"key-{number}", updated_at=submitted_at,
                        submitted_at=submitted_at, assignee_id=assignee_id, payment_timing="none",
                        payment_state="none", revision=1)
        db.session.add(a)
        db.session.flush()
        db.session.add(ApplicationEvent(application_id=a.id, at=submitted_at, kind="status", actor="resident",
                                        from_status=workflow.SIGNED, to_status=workflow.SUBMITTED))
        search_keys.index(a)
        db.session.commit()
        return number


def staff_id(app, login_id: str, display_name: str | None = None) -> int:
    from sqlalchemy import select

    from core.staff_models import StaffUser
    with app.app_context():
        user = db.session.scalar(select(StaffUser).where(StaffUser.login_id == login_id))
        if display_name:
            user.display_name = display_name
            db.session.commit()
        return user.id


def unique_family() -> tuple[str, str]:
    """A family name (kanji, katakana) unlike the others of the test (a search finds only its own),
    the next of a fixed sequence."""
    kanji, kana = "山川田中木本村井上下石松竹梅森林", "アイウエオカキクケコサシスセソタチツテト"
    n = next(_families)
    return ("".join(kanji[(n // len(kanji) ** i + i) % len(kanji)] for i in range(5)),
            "".join(kana[(n // len(kana) ** i + 3 * i) % len(kana)] for i in range(7)))
