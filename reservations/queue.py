"""The walk-in queue of a counter (呼び出し番号 A-001 …): issue a ticket, call the next one to a
window, mark it done or a no-show, and estimate the wait for someone who takes a ticket now.

Numbers are per counter and day, consecutive from 1, and never given twice: (counter_id, day,
number) is unique in the database, a ticket takes max + 1 inside a savepoint and, when another
worker took that number a moment ago, the insert fails and the next max + 1 is tried. Calling is
a conditional UPDATE (status still ``waiting``) with a row-count check, so two staff pressing
「次の方を呼ぶ」 at once never call the same person.

The estimated wait is the people waiting ahead × the average minutes a ticket took today at
that counter (called → done), shared by the windows calling in the last hour; before anyone was
served today, the minutes of the counter's services stand in.

Functions change ``db.session`` and leave the commit to the caller. No personal data here.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from core.db import aware, db
from core.errors import AppError
from core.japan_time import JST
from reservations.models import WalkInTicket

WAITING, CALLED, DONE, NO_SHOW = "waiting", "called", "done", "no_show"
STATUSES = (WAITING, CALLED, DONE, NO_SHOW)
MAX_TRIES = 50
WINDOW_HOURS = 1  # windows that called someone this recently count as serving


class QueueError(AppError):
    """A refused walk-in action (a race with another window, a number already finished)."""

    status = 409


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def today(now: dt.datetime | None = None) -> dt.date:
    return (now or now_utc()).astimezone(JST).date()


def label(prefix: str, number: int) -> str:
    """The number as called out and shown: ``B-007``."""
    return f"{prefix}-{number:03d}"


# --- issuing and calling -----------------------------------------------------------------------

def issue(site_id: str, counter_id: str, day: dt.date, now: dt.datetime | None = None) -> WalkInTicket:
    """The next number of this counter and day (max + 1; another worker's number → try again)."""
    now = now or now_utc()
    for _ in range(MAX_TRIES):
        last = db.session.scalar(select(func.max(WalkInTicket.number)).where(
            WalkInTicket.counter_id == counter_id, WalkInTicket.day == day)) or 0
        ticket = WalkInTicket(site_id=site_id, counter_id=counter_id, day=day, number=last + 1,
                              status=WAITING, issued_at=now)
        try:
            with db.session.begin_nested():
                db.session.add(ticket)
            return ticket
        except IntegrityError:
            continue  # taken a moment ago: read the max again
    raise QueueError("busy", _l("番号を発行できませんでした。もう一度押してください。"))


def current_at_window(counter_id: str, day: dt.date, window: str) -> WalkInTicket | None:
    return db.session.scalar(select(WalkInTicket).where(
        WalkInTicket.counter_id == counter_id, WalkInTicket.day == day, WalkInTicket.window == window,
        WalkInTicket.status == CALLED).order_by(WalkInTicket.called_at.desc()).limit(1))


def _set_status(ticket: WalkInTicket, frm: tuple[str, ...], to: str, **values) -> bool:
    """Only from the expected status (someone else may have acted first)."""
    result = db.session.execute(
        update(WalkInTicket).where(WalkInTicket.id == ticket.id, WalkInTicket.status.in_(frm))
        .values(status=to, **values).execution_options(synchronize_session=False))
    db.session.refresh(ticket)
    return result.rowcount == 1


def call_next(counter_id: str, day: dt.date, window: str, now: dt.datetime | None = None,
              finish_previous: bool = True) -> WalkInTicket | None:
    """The lowest waiting number is called to ``window``; the person called there before is
    done (they were served while the next was waiting). None when nobody waits."""
    now = now or now_utc()
    if finish_previous and (previous := current_at_window(counter_id, day, window)) is not None:
        _set_status(previous, (CALLED,), DONE, done_at=now)
    for _ in range(MAX_TRIES):
        candidate = db.session.scalar(select(WalkInTicket).where(
            WalkInTicket.counter_id == counter_id, WalkInTicket.day == day, WalkInTicket.status == WAITING)
            .order_by(WalkInTicket.number).limit(1))
        if candidate is None:
            return None
        if _set_status(candidate, (WAITING,), CALLED, called_at=now, window=window):
            return candidate
    raise QueueError("busy", _l("呼び出しが重なりました。もう一度押してください。"))


def finish(ticket: WalkInTicket, now: dt.datetime | None = None) -> None:
    if not _set_status(ticket, (CALLED,), DONE, done_at=now or now_utc()):
        raise QueueError("not_called", _l("この番号は呼び出し中ではありません。"))


def no_show(ticket: WalkInTicket, now: dt.datetime | None = None) -> None:
    """Called and did not come (or left before being called)."""
    if not _set_status(ticket, (CALLED, WAITING), NO_SHOW, done_at=now or now_utc()):
        raise QueueError("closed", _l("この番号はもう終わっています。"))


# --- reading the queue -------------------------------------------------------------------------

def tickets(counter_ids: list[str], day: dt.date) -> list[WalkInTicket]:
    if not counter_ids:
        return []
    return list(db.session.scalars(select(WalkInTicket).where(
        WalkInTicket.counter_id.in_(counter_ids), WalkInTicket.day == day)
        .order_by(WalkInTicket.counter_id, WalkInTicket.number)))


def waiting_ahead(ticket: WalkInTicket) -> int:
    return db.session.scalar(select(func.count()).select_from(WalkInTicket).where(
        WalkInTicket.counter_id == ticket.counter_id, WalkInTicket.day == ticket.day,
        WalkInTicket.status == WAITING, WalkInTicket.number < ticket.number)) or 0


def waiting_count(counter_id: str, day: dt.date) -> int:
    return db.session.scalar(select(func.count()).select_from(WalkInTicket).where(
        WalkInTicket.counter_id == counter_id, WalkInTicket.day == day, WalkInTicket.status == WAITING)) or 0


def average_service_minutes(counter_id: str, day: dt.date) -> float | None:
    """Mean minutes from call to done of today's tickets at this counter (None before the first)."""
    rows = db.session.execute(select(WalkInTicket.called_at, WalkInTicket.done_at).where(
        WalkInTicket.counter_id == counter_id, WalkInTicket.day == day, WalkInTicket.status == DONE,
        WalkInTicket.called_at.is_not(None), WalkInTicket.done_at.is_not(None))).all()
    spans = [(aware(done) - aware(called)).total_seconds() / 60 for called, done in rows]
    spans = [s for s in spans if s >= 0]
    return sum(spans) / len(spans) if spans else None


def windows_serving(counter_id: str, day: dt.date, now: dt.datetime | None = None) -> int:
    """Windows that called someone in the last hour (at least one: someone will call)."""
    since = (now or now_utc()) - dt.timedelta(hours=WINDOW_HOURS)
    n = db.session.scalar(select(func.count(func.distinct(WalkInTicket.window))).where(
        WalkInTicket.counter_id == counter_id, WalkInTicket.day == day, WalkInTicket.window.is_not(None),
        WalkInTicket.called_at >= since)) or 0
    return max(1, n)


@dataclass(frozen=True)
class Wait:
    ahead: int  # people waiting before
    minutes: int  # estimated minutes (rounded up)
    per_person: float  # minutes one person takes at one window
    measured: bool  # per_person comes from today's tickets (not the services' minutes)


def estimated_wait(counter_id: str, day: dt.date, fallback_minutes: float, *, ahead: int | None = None,
                   now: dt.datetime | None = None) -> Wait:
    """The wait of someone who takes a number now (or with ``ahead`` people before them)."""
    ahead = waiting_count(counter_id, day) if ahead is None else ahead
    measured = average_service_minutes(counter_id, day)
    per_person = measured if measured is not None else float(fallback_minutes)
    minutes = math.ceil(ahead * per_person / windows_serving(counter_id, day, now)) if ahead else 0
    return Wait(ahead, minutes, round(per_person, 1), measured is not None)


def fallback_minutes(catalog, counter_id: str) -> float:
    """Before anyone was served today: the average minutes of the counter's services."""
    minutes = [s.minutes for s in catalog.services.values() if counter_id in s.counters]
    return sum(minutes) / len(minutes) if minutes else float(catalog.counters[counter_id].slot_minutes)


def recently_called(counter_ids: list[str], day: dt.date, limit: int = 8) -> list[WalkInTicket]:
    """The last called numbers, newest first (what the hall display shows)."""
    if not counter_ids:
        return []
    return list(db.session.scalars(select(WalkInTicket).where(
        WalkInTicket.counter_id.in_(counter_ids), WalkInTicket.day == day,
        WalkInTicket.called_at.is_not(None), WalkInTicket.status.in_((CALLED, DONE)))
        .order_by(WalkInTicket.called_at.desc(), WalkInTicket.id.desc()).limit(limit)))
