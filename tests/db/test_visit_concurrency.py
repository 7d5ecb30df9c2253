"""まとめて予約 never overbooks any counter, proven under real concurrency (issue 14): the app under
gunicorn with 4 worker processes on a scratch PostgreSQL database; 36 residents (each a browser
with its own session and address) book visits of three itineraries crossing the same three
counters (市民課 住民異動, 国保, 児童手当) at overlapping times, all released at once by a barrier.
Afterwards no counter holds more seat claims than its web quota for any unit, no (unit, seat) is
claimed twice, and every visit is either fully held (a claim per unit at each of its stops) or
absent — a refused visit leaves no stop, no claim and no Visit row."""
from __future__ import annotations

import datetime as dt
import http.cookiejar
import os
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select

from core.config import normalise_database_url
from reservations import booking
from reservations import models as m
from reservations.slots import day_slots
from tests.api.reserving import catalog, open_days
from tests.conftest import postgres_url, scratch_database
from tests.db.test_reservations_concurrency import _free_port, _wait_ready

ROOT = Path(__file__).resolve().parents[2]
WORKERS = 4
RESIDENTS = 36
SITE = "shiyakusho"
ITINERARIES = ("tennyu_todoke,kokuho_kanyu",  # 市民課 → 国保
               "kokuho_kanyu,jido_teate_nintei",  # 国保 → 児童手当
               "jido_teate_nintei,tennyu_todoke")  # 児童手当 → 市民課
COUNTERS = ("shimin_ido", "kokuho", "kodomo_teate")


class _Browser:
    def __init__(self, port: int, address: str) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.address = address
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def open(self, path: str, data: dict | None = None) -> tuple[int, str, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(self.base + path, data=body, headers={"X-Forwarded-For": self.address})
        try:
            with self.opener.open(req, timeout=60) as r:
                return r.status, r.geturl(), r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, path, e.read().decode(errors="replace")


def _day() -> dt.date:
    return next(d for d in open_days(SITE, first=3) if d.weekday() < 5)


@pytest.mark.postgres
@pytest.mark.real_clock  # the gunicorn workers book on the real day
def test_visits_across_three_counters_never_overbook_under_gunicorn(tmp_path):
    postgres_url()  # skips without PostgreSQL
    day = _day()
    port = _free_port()
    with scratch_database("postgresql", tmp_path) as url:
        env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "concurrency-test-only", "INSTANCE_PATH": str(tmp_path),
               "TRUSTED_PROXY_COUNT": "1", "RULES_RELOAD_SECONDS": "0", "PYTHONPATH": str(ROOT)}
        env.pop("REDIS_URL", None)
        bin_dir = Path(sys.executable).parent
        subprocess.run([str(bin_dir / "flask"), "--app", "app", "db", "upgrade"], cwd=ROOT, env=env, check=True,
                       capture_output=True, timeout=120)
        proc = subprocess.Popen([str(bin_dir / "gunicorn"), "--workers", str(WORKERS), "--worker-class", "sync",
                                 "--bind", f"127.0.0.1:{port}", "--timeout", "60", "app:create_app()"],
                                cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            _wait_ready(port, proc, 120)  # 2 cores shared: workers may take a while to start
            barrier = threading.Barrier(RESIDENTS)
            outcomes: list[tuple[int, str, str]] = []
            lock = threading.Lock()

            def one(i: int) -> None:
                browser = _Browser(port, f"10.14.{i // 250}.{i % 250 + 1}")
                path = f"/reserve/visit/day/{day.isoformat()}?procedures={ITINERARIES[i % 3]}"
                status, _, page = browser.open(path)
                starts = re.findall(r'name="start" value="([^"]+)"', page)
                token = re.search(r'name="csrf_token" value="([^"]+)"', page)
                barrier.wait()
                if status != 200 or not starts or token is None:
                    with lock:
                        outcomes.append((status, path, "no page"))
                    return
                start = starts[(i // 3) % 2]  # the first or second start of its itinerary
                outcome = browser.open(path, {"csrf_token": token.group(1), "start": start})
                with lock:
                    outcomes.append((outcome[0], outcome[1], start))

            started = time.monotonic()
            threads = [threading.Thread(target=one, args=(i,)) for i in range(RESIDENTS)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(120)
            elapsed = time.monotonic() - started
            assert len(outcomes) == RESIDENTS
            held = [o for o in outcomes if o[0] == 200 and "/details" in o[1]]
            refused = [o for o in outcomes if o[0] == 400]
            assert len(held) + len(refused) == RESIDENTS, Counter((o[0], o[1][:40]) for o in outcomes)
            assert held and refused  # some booked, the rest refused: a real race
            engine = create_engine(normalise_database_url(url))
            try:
                with engine.connect() as conn:
                    visits = conn.execute(select(m.Visit.id, m.Visit.status)).all()
                    stops = conn.execute(select(m.Reservation.id, m.Reservation.visit_id, m.Reservation.counter_id,
                                                m.Reservation.start, m.Reservation.end, m.Reservation.status)).all()
                    claims = conn.execute(select(m.SeatClaim.reservation_id, m.SeatClaim.counter_id,
                                                 m.SeatClaim.unit_start, m.SeatClaim.seat)).all()
            finally:
                engine.dispose()
            assert len(visits) == len(held)  # one visit per resident told 「仮押さえ」, none for the others
            assert all(s.visit_id is not None for s in stops)  # no stop left over from a refused visit
            per_visit = Counter(s.visit_id for s in stops)
            assert all(per_visit[v.id] == 2 for v in visits)  # every visit fully held: both stops
            cat = catalog()
            units_of = {}
            for counter_id in COUNTERS:
                counter = cat.counters[counter_id]
                units_of[counter_id] = counter.slot_minutes
            claims_per_stop = Counter(c.reservation_id for c in claims)
            for s in stops:
                minutes = (s.end - s.start).total_seconds() / 60
                assert claims_per_stop[s.id] == -(-minutes // units_of[s.counter_id])  # a claim per unit
            assert len({(c.counter_id, c.unit_start, c.seat) for c in claims}) == len(claims)  # never twice
            used = Counter((c.counter_id, c.unit_start) for c in claims)
            some_slot = {cid: next(iter(day_slots(cat, sid, SITE, day))) for cid, sid in
                         (("shimin_ido", "tennyu"), ("kokuho", "kokuho"), ("kodomo_teate", "jido_teate"))}
            for (counter_id, unit), n in used.items():
                quota = len(booking.seat_range(some_slot[counter_id], "web"))
                assert n <= quota <= cat.counters[counter_id].windows, (counter_id, unit, n)
            full_units = [k for k, n in used.items()
                          if n == len(booking.seat_range(some_slot[k[0]], "web"))]
            assert full_units  # the race really filled some counter's unit
            assert elapsed < 60, f"the race took {elapsed:.1f} s"
            print(f"{RESIDENTS} residents, {WORKERS} workers: {len(held)} visits held, {len(refused)} refused, "
                  f"{len(claims)} seat claims, {len(full_units)} units full, {elapsed:.2f} s")
        finally:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
            if proc.stdout:
                proc.stdout.close()
