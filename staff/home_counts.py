"""The figures of the console home page (/staff/): what each role can act on, scoped to the
user's departments and counters. Plain Python over the database (no Flask): the view passes in
the user's scope, today's date and the procedures' 標準処理期間, and links each figure to the
filtered list.

    applications(departments, me, standard, today)  # 未処理, 補正待ち, 期限超過, 自分の担当
    counter_day(counter_ids, day)                     # 本日の予約: remaining / checked in; 呼び出し待ち per counter
    accounts(now)                                     # locked and stopped staff accounts
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import false, func, select

from core.db import aware, db
from core.staff_models import StaffUser
from intake import processing_time, workflow
from intake.models import Application
from reservations import models as rm


@dataclass(frozen=True)
class ApplicationCounts:
    unprocessed: int  # 受付: not yet taken into review (未処理)
    correction: int  # 補正依頼: waiting for the resident (補正待ち)
    overdue: int  # past the procedure's 標準処理期間 (期限超過)
    mine: int  # open and assigned to me (自分の担当)


@dataclass(frozen=True)
class CounterDay:
    remaining: int  # booked for today, not yet checked in
    checked_in: int
    waiting: dict[str, int] = field(default_factory=dict)  # counter id → walk-in tickets waiting

    @property
    def waiting_total(self) -> int:
        return sum(self.waiting.values())


def _scoped(stmt, departments: list[str] | None):
    stmt = stmt.where(Application.receipt_number.is_not(None))
    if departments is not None:
        stmt = stmt.where(Application.department_id.in_(departments) if departments else false())
    return stmt


def applications(departments: list[str] | None, me: int, standard: Mapping[str, int | None],
                 today: dt.date) -> ApplicationCounts:
    """``departments``: None for every department (administrators)."""
    rows = db.session.execute(_scoped(select(
        Application.status, Application.procedure_id, Application.submitted_at, Application.assignee_id),
        departments).where(Application.status.in_(sorted(workflow.OPEN_FOR_STAFF)))).all()
    by_status = Counter(r.status for r in rows)
    overdue = sum(processing_time.timing(r.status, r.submitted_at, standard.get(r.procedure_id), today).marker
                  == processing_time.OVERDUE for r in rows)
    return ApplicationCounts(unprocessed=by_status[workflow.SUBMITTED], correction=by_status[workflow.CORRECTION],
                             overdue=overdue, mine=sum(r.assignee_id == me for r in rows))


def counter_day(counter_ids: list[str], day: dt.date) -> CounterDay:
    if not counter_ids:
        return CounterDay(0, 0, {})
    booked = dict(db.session.execute(select(rm.Reservation.status, func.count(rm.Reservation.id)).where(
        rm.Reservation.day == day, rm.Reservation.counter_id.in_(counter_ids),
        rm.Reservation.status.in_((rm.CONFIRMED, rm.CHECKED_IN))).group_by(rm.Reservation.status)).all())
    waiting = dict(db.session.execute(select(rm.WalkInTicket.counter_id, func.count(rm.WalkInTicket.id)).where(
        rm.WalkInTicket.day == day, rm.WalkInTicket.counter_id.in_(counter_ids),
        rm.WalkInTicket.status == "waiting").group_by(rm.WalkInTicket.counter_id)).all())
    return CounterDay(remaining=booked.get(rm.CONFIRMED, 0), checked_in=booked.get(rm.CHECKED_IN, 0),
                      waiting={cid: waiting.get(cid, 0) for cid in counter_ids})


@dataclass(frozen=True)
class AccountCounts:
    locked: int
    stopped: int


def accounts(now: dt.datetime) -> AccountCounts:
    users = db.session.execute(select(StaffUser.active, StaffUser.locked_until)).all()
    locked = sum(1 for u in users if u.active and u.locked_until is not None and aware(u.locked_until) > now)
    return AccountCounts(locked=locked, stopped=sum(1 for u in users if not u.active))
