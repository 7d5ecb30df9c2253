"""A small, bounded load on the app: threads that book counter visits, start online applications
and read availability, each request from its own forwarded address (per-address limits are not
what these tests measure). Every outcome is kept with its time, so a test can say which requests
failed, when, and what was committed."""
from __future__ import annotations

import datetime as dt
import http.client
import itertools
import json
import threading
import time
from dataclasses import dataclass, field

from sqlalchemy import create_engine, func, select

from core.config import normalise_database_url
from intake.models import Application
from reservations.models import Reservation
from tests.api.applying import honnin_fields
from tests.api.reserving import catalog, open_days

SERVICE, SITE = "tenshutsu", "shiyakusho"
KINDS = ("book", "availability", "apply", "availability")


@dataclass
class Outcome:
    at: float  # monotonic time the request was sent
    kind: str
    status: int  # 0: no answer (connection refused, reset, timed out)
    seconds: float
    key: str = ""  # the booking number or application id the 201 named

    @property
    def ok(self) -> bool:
        if self.kind == "book":
            return self.status in (201, 409)  # 409: that slot is full, a correct answer
        if self.kind == "apply":
            return self.status == 201
        return self.status == 200


@dataclass
class Load:
    port: int
    threads: int = 4
    pause: float = 0.02  # between one thread's requests: a steady load, not a flood on 2 cores
    outcomes: list[Outcome] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stop: threading.Event = field(default_factory=threading.Event)
    _workers: list[threading.Thread] = field(default_factory=list)
    _counter: itertools.count = field(default_factory=itertools.count)

    def __post_init__(self):
        self.starts = bookable_starts()

    def start(self) -> None:
        for i in range(self.threads):
            thread = threading.Thread(target=self._run, args=(i,), daemon=True)
            thread.start()
            self._workers.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._workers:
            thread.join(45)

    def run_for(self, seconds: float) -> None:
        self._stop.wait(seconds)

    def run_until(self, requests: int, at_least: float, at_most: float) -> None:
        """Go on for ``at_least`` seconds, then until ``requests`` in all (a 1 % figure needs a few
        hundred: a slow, shared machine answers fewer per second) or ``at_most`` seconds."""
        started = time.monotonic()
        self._stop.wait(at_least)
        while len(self.outcomes) < requests and time.monotonic() - started < at_most:
            self._stop.wait(0.5)

    def _run(self, index: int) -> None:
        for step in itertools.count():
            if self._stop.is_set():
                return
            kind = KINDS[(step + index) % len(KINDS)]
            n = next(self._counter)
            self._record(self._one(kind, n))
            self._stop.wait(self.pause)

    def _one(self, kind: str, n: int) -> Outcome:
        forwarded = f"10.{50 + n // 62500 % 100}.{n // 250 % 250}.{n % 250 + 1}"
        if kind == "book":
            start = self.starts[n % len(self.starts)]
            body = {"service_id": SERVICE, "site_id": SITE, "start": start, "name": "加古川 太郎",
                    "name_kana": "かこがわ たろう", "email": f"fault{n}@example.jp", "phone": None}
            return self._request(kind, "POST", "/api/v1/reservations", body, forwarded, "number")
        if kind == "apply":
            body = {"procedure_id": "honnin_tsuchi", "fields": honnin_fields(), "email": f"apply{n}@example.jp"}
            return self._request(kind, "POST", "/api/v1/applications", body, forwarded, "id")
        day = self.starts[n % len(self.starts)][:10]
        return self._request(kind, "GET", f"/api/v1/reservations/availability?service_id={SERVICE}&site_id={SITE}"
                                          f"&date={day}", None, forwarded, "")

    def _request(self, kind: str, method: str, path: str, body: dict | None, forwarded: str, key: str) -> Outcome:
        sent = time.monotonic()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body=json.dumps(body) if body is not None else None,
                         headers={"Content-Type": "application/json", "X-Forwarded-For": forwarded})
            response = conn.getresponse()
            data = response.read()
            found = ""
            if response.status == 201 and key:
                found = str(json.loads(data)[key])
            return Outcome(sent, kind, response.status, time.monotonic() - sent, found)
        except (OSError, http.client.HTTPException):
            return Outcome(sent, kind, 0, time.monotonic() - sent)
        finally:
            conn.close()

    def _record(self, outcome: Outcome) -> None:
        with self._lock:
            self.outcomes.append(outcome)

    # --- what the load saw ---------------------------------------------------------------------

    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.ok]

    def error_rate(self) -> float:
        return len(self.failures()) / max(len(self.outcomes), 1)

    def keys(self, kind: str) -> set[str]:
        return {o.key for o in self.outcomes if o.kind == kind and o.status == 201}

    def summary(self) -> str:
        by_status: dict[str, int] = {}
        for o in self.outcomes:
            by_status[f"{o.kind} {o.status}"] = by_status.get(f"{o.kind} {o.status}", 0) + 1
        mean = {kind: sum(o.seconds for o in self.outcomes if o.kind == kind)
                / max(1, sum(1 for o in self.outcomes if o.kind == kind)) for kind in dict.fromkeys(KINDS)}
        return (f"{len(self.outcomes)} requests, {len(self.failures())} failed ({self.error_rate():.2%}); "
                + ", ".join(f"{k}: {v}" for k, v in sorted(by_status.items()))
                + "; mean " + ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in mean.items()))


def bookable_starts(count: int = 60) -> list[str]:
    """Starts of web-bookable 転出 slots on open weekdays from three days ahead (lead time)."""
    from reservations.slots import day_slots
    cat = catalog()
    starts: list[str] = []
    for day in open_days(SITE, first=3):
        if day.weekday() < 5:
            starts += [s.start.isoformat() for s in day_slots(cat, SERVICE, SITE, day)]
        if len(starts) >= count:
            break
    return starts[:count]


def assert_nothing_lost_or_duplicated(load: Load, database_url: str) -> dict[str, int]:
    """Every 201 is in the database, and nothing is there twice: rows beyond the 201s can only be
    requests whose answer was lost (no answer or a 5xx after the commit), never more."""
    engine = create_engine(normalise_database_url(database_url))
    try:
        with engine.connect() as conn:
            numbers = set(conn.scalars(select(Reservation.number)))
            app_ids = set(conn.scalars(select(Application.id)))
            bookings = conn.scalar(select(func.count()).select_from(Reservation))
            applications = conn.scalar(select(func.count()).select_from(Application))
    finally:
        engine.dispose()
    booked, applied = load.keys("book"), load.keys("apply")
    assert booked <= numbers, f"bookings answered 201 but missing: {sorted(booked - numbers)[:5]}"
    assert applied <= app_ids, f"applications answered 201 but missing: {sorted(applied - app_ids)[:5]}"
    unanswered = {kind: sum(1 for o in load.failures() if o.kind == kind) for kind in ("book", "apply")}
    assert bookings - len(booked) <= unanswered["book"], (bookings, len(booked), unanswered)
    assert applications - len(applied) <= unanswered["apply"], (applications, len(applied), unanswered)
    return {"bookings": bookings, "applications": applications}


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
