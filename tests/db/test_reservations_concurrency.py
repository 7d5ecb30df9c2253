"""Never overbook, proven under real concurrency (issue 5): the app under gunicorn with 4 worker
processes on a scratch PostgreSQL database, 48 booking requests for one slot released at once by
a barrier: exactly k (the web quota of that counter that day) get 201, the rest 409 slot_full,
availability then shows 0 and the seat_claim table holds exactly k × units rows for the slot.

Also, on both databases, the same race in process: threads against the test client."""
from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from core.config import normalise_database_url
from reservations import booking
from reservations.models import SeatClaim
from tests.api.reserving import booking_body, catalog, free_slot, open_days
from tests.conftest import fresh_client, postgres_url, scratch_database

ROOT = Path(__file__).resolve().parents[2]
REQUESTS = 48
WORKERS = 4
SERVICE, SITE = "tennyu", "shiyakusho"  # 45 minutes: 3 units of the 市民課 住民異動 counter


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_ready(port: int, proc: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"gunicorn exited: {proc.stdout.read().decode(errors='replace')[-3000:]}")
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        try:
            conn.request("GET", "/api/v1/reservations/services")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
        finally:
            conn.close()
    raise AssertionError("gunicorn did not answer in time")


def _request(port: int, method: str, path: str, body: dict | None = None, forwarded: str = "") -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Content-Type": "application/json"}
    if forwarded:
        headers["X-Forwarded-For"] = forwarded  # each resident from an address of their own
    try:
        conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    finally:
        conn.close()


def _a_slot():
    """A weekday slot of the real catalogue in the horizon (not today: lead time), from its plan."""
    from reservations.slots import day_slots
    cat = catalog()
    day = next(d for d in open_days(SITE, first=3) if d.weekday() < 5)
    slot = next(s for s in day_slots(cat, SERVICE, SITE, day) if s.start.hour == 10)
    return slot, len(booking.seat_range(slot, "web"))


@pytest.mark.postgres
@pytest.mark.real_clock  # the gunicorn workers book on the real day
def test_gunicorn_workers_on_postgresql_never_overbook(tmp_path):
    postgres_url()  # skips without PostgreSQL (fails where REQUIRE_POSTGRES is set)
    slot, k = _a_slot()
    assert 1 <= k < REQUESTS
    port = _free_port()
    with scratch_database("postgresql", tmp_path) as url:
        env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "concurrency-test-only", "INSTANCE_PATH": str(tmp_path),
               "TRUSTED_PROXY_COUNT": "1", "RULES_RELOAD_SECONDS": "0", "PYTHONPATH": str(ROOT)}
        env.pop("REDIS_URL", None)
        bin_dir = Path(sys.executable).parent
        subprocess.run([str(bin_dir / "flask"), "--app", "app", "db", "upgrade"], cwd=ROOT, env=env, check=True,
                       capture_output=True, timeout=120)  # also writes the instance's development keys once
        proc = subprocess.Popen([str(bin_dir / "gunicorn"), "--workers", str(WORKERS), "--worker-class", "sync",
                                 "--bind", f"127.0.0.1:{port}", "--timeout", "60", "app:create_app()"],
                                cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            _wait_ready(port, proc)
            for _ in range(WORKERS * 2):  # every worker has loaded the rules before the race starts
                _request(port, "GET", "/api/v1/reservations/services")
            barrier = threading.Barrier(REQUESTS)
            results: list[tuple[int, dict]] = []
            lock = threading.Lock()

            def one(i: int) -> None:
                body = booking_body(slot, service_id=SERVICE, site_id=SITE)
                barrier.wait()
                outcome = _request(port, "POST", "/api/v1/reservations", body, forwarded=f"10.9.{i // 250}.{i % 250 + 1}")
                with lock:
                    results.append(outcome)

            started = time.monotonic()
            threads = [threading.Thread(target=one, args=(i,)) for i in range(REQUESTS)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
            elapsed = time.monotonic() - started
            statuses = sorted(s for s, _ in results)
            assert len(results) == REQUESTS
            assert statuses.count(201) == k, statuses
            assert statuses.count(409) == REQUESTS - k, statuses
            assert all(b["error"]["code"] == "slot_full" for s, b in results if s == 409)
            assert len({b["number"] for s, b in results if s == 201}) == k
            day = slot.start.date().isoformat()
            status, data = _request(port, "GET", f"/api/v1/reservations/availability?service_id={SERVICE}"
                                                 f"&site_id={SITE}&date={day}")
            assert status == 200
            assert next(s for s in data["slots"] if s["start"] == slot.start.isoformat())["remaining"] == 0
            engine = create_engine(normalise_database_url(url))
            try:
                with engine.connect() as conn:
                    claims = conn.scalar(select(func.count()).select_from(SeatClaim).where(
                        SeatClaim.counter_id == slot.counter_id,
                        SeatClaim.unit_start.in_([u.astimezone(dt.UTC) for u in slot.units])))
                    seats = conn.execute(select(SeatClaim.unit_start, SeatClaim.seat).where(
                        SeatClaim.counter_id == slot.counter_id)).all()
            finally:
                engine.dispose()
            assert claims == k * len(slot.units)
            assert len(seats) == len(set(seats))  # (unit, seat) never twice
            assert elapsed < 30, f"the race took {elapsed:.1f} s"
            print(f"{REQUESTS} requests, {WORKERS} workers: {k} booked, the race took {elapsed:.2f} s")
        finally:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
            if proc.stdout:
                proc.stdout.close()


def test_threads_in_process_never_overbook(app):
    """The same race with threads against the test client (SQLite and PostgreSQL)."""
    slot = free_slot(app, "tenshutsu", "shiyakusho")
    k = len(booking.seat_range(slot, "web"))
    n = 12
    barrier = threading.Barrier(n)
    statuses: list[int] = []
    lock = threading.Lock()

    def one() -> None:
        client = fresh_client(app)
        body = booking_body(slot)
        barrier.wait()
        r = client.post("/api/v1/reservations", json=body)
        with lock:
            statuses.append(r.status_code)

    threads = [threading.Thread(target=one) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(statuses).count(201) == k, statuses
    assert all(s in (201, 409) for s in statuses), statuses
    from core.db import db
    with app.app_context():
        claims = db.session.scalar(select(func.count()).select_from(SeatClaim).where(
            SeatClaim.counter_id == slot.counter_id, SeatClaim.unit_start == slot.start.astimezone(dt.UTC)))
    assert claims == k
