"""Statistics of counter reservations and the walk-in queue (no personal data is read).

Bookings count by the day of the visit (Japan time), holds that never became bookings excluded:
per day, per counter and per channel, with how many were checked in, not shown and cancelled.
The no-show rate is no-shows over the bookings whose outcome is known (checked in + no-show).

A visit (まとめて予約) is one booking per day and per channel — the resident booked once — with one
outcome (checked in at any counter: checked in; else still booked; else not shown; cancelled only
when every stop is), and one booking per counter it passes in the counters' numbers (the load of
each counter). The stops a moved visit left behind count at their counters as a moved booking's
old time does, never as another visit.
Walk-ins: tickets per counter, the average wait from taking the number to being called, and
the average time at the window (called → done).
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select

from core.db import db
from reservations import models as m
from reservations.queue import aware

OUTCOMES = (m.CONFIRMED, m.CHECKED_IN, m.NO_SHOW, m.CANCELLED)
CHANNELS = ("web", "phone", "staff")


def _zero() -> dict[str, int]:
    return dict.fromkeys(OUTCOMES, 0)


@dataclass
class WalkIns:
    issued: int = 0
    called: int = 0
    no_show: int = 0
    waits: list[float] = field(default_factory=list)  # minutes issued → called
    services: list[float] = field(default_factory=list)  # minutes called → done

    @property
    def average_wait(self) -> float | None:
        return round(sum(self.waits) / len(self.waits), 1) if self.waits else None

    @property
    def average_service(self) -> float | None:
        return round(sum(self.services) / len(self.services), 1) if self.services else None


@dataclass
class ReservationStats:
    per_day: dict[dt.date, dict[str, int]] = field(default_factory=lambda: defaultdict(_zero))
    per_counter: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(_zero))
    per_channel: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(_zero))
    visits: dict[str, int] = field(default_factory=_zero)  # まとめて予約, each once, by outcome
    walk_ins: dict[str, WalkIns] = field(default_factory=lambda: defaultdict(WalkIns))

    def totals(self) -> dict[str, int]:
        """Bookings as residents made them (a visit once)."""
        out = _zero()
        for counts in self.per_day.values():
            for k, v in counts.items():
                out[k] += v
        return out

    def counter_totals(self) -> dict[str, int]:
        """Bookings as the counters serve them (a visit once per counter it passes)."""
        out = _zero()
        for counts in self.per_counter.values():
            for k, v in counts.items():
                out[k] += v
        return out

    def all_walk_ins(self) -> WalkIns:
        out = WalkIns()
        for w in self.walk_ins.values():
            out.issued += w.issued
            out.called += w.called
            out.no_show += w.no_show
            out.waits += w.waits
            out.services += w.services
        return out


def bookings(counts: dict[str, int]) -> int:
    return sum(counts.values())


def no_show_rate(counts: dict[str, int]) -> float | None:
    """Percent of no-shows among bookings whose outcome is known."""
    known = counts.get(m.CHECKED_IN, 0) + counts.get(m.NO_SHOW, 0)
    return round(100 * counts.get(m.NO_SHOW, 0) / known, 1) if known else None


def visit_outcome(statuses: list[str]) -> str:
    """One outcome for a visit from its stops' statuses."""
    for outcome in (m.CHECKED_IN, m.CONFIRMED, m.NO_SHOW):
        if outcome in statuses:
            return outcome
    return m.CANCELLED


def _minutes(a: dt.datetime | None, b: dt.datetime | None) -> float | None:
    a, b = aware(a), aware(b)
    if a is None or b is None:
        return None
    return max(0.0, (b - a).total_seconds() / 60)


def collect(start: dt.date, end: dt.date, counters: list[str] | None = None) -> ReservationStats:
    """The numbers from ``start`` to ``end`` (visit days, inclusive); ``counters``: only these."""
    out = ReservationStats()
    r = m.Reservation
    stmt = select(r.day, r.counter_id, r.channel, r.status, r.visit_id, r.stop_order).where(
        r.day >= start, r.day <= end, r.status.in_(OUTCOMES))
    t = m.WalkInTicket
    tickets = select(t.counter_id, t.status, t.issued_at, t.called_at, t.done_at).where(t.day >= start, t.day <= end)
    if counters is not None:
        stmt = stmt.where(r.counter_id.in_(counters))
        tickets = tickets.where(t.counter_id.in_(counters))
    visits: dict[int, tuple[dt.date, str, list[str]]] = {}  # visit → (day, first stop's channel, stops' statuses)
    for day, counter_id, channel, status, visit_id, stop_order in db.session.execute(
            stmt.order_by(r.visit_id, r.stop_order, r.id)):
        out.per_counter[counter_id][status] += 1
        if visit_id is not None:
            visits.setdefault(visit_id, (day, channel, []))[2].append(status)
        elif stop_order is None:  # a booking of its own (a moved visit's old stops: counters only)
            out.per_day[day][status] += 1
            out.per_channel[channel][status] += 1
    for day, channel, statuses in visits.values():
        status = visit_outcome(statuses)
        out.per_day[day][status] += 1
        out.per_channel[channel][status] += 1
        out.visits[status] += 1
    for counter_id, status, issued, called, done in db.session.execute(tickets):
        w = out.walk_ins[counter_id]
        w.issued += 1
        if called is not None:
            w.called += 1
            if (wait := _minutes(issued, called)) is not None:
                w.waits.append(wait)
        if status == "no_show":
            w.no_show += 1
        if status == "done" and (span := _minutes(called, done)) is not None:
            w.services.append(span)
    return out
