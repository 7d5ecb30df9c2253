"""Benchmark of counter reservations over HTTP (gunicorn, the database as deployed):
availability lookups and bookings against a bare endpoint (/healthz) of the same app in one run,
and the latency of a burst of simultaneous bookings for one slot (the never-overbook path).
The machine is shared and noisy: compare ratios within the run; the target is the city's
"answers within ~3 s at peak".

    .venv/bin/python -m bench.reservations [--seconds 8] [--workers 2] [--database postgresql://postgres@127.0.0.1:5432/postgres]
                                           [--write docs/performance.md]

With --database (a PostgreSQL server URL), a scratch database is created there and dropped after;
without it, SQLite in a temporary directory.
"""
from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import platform
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.guide import _free_port, _wait  # noqa: E402  (after the path is set)

JST = dt.timezone(dt.timedelta(hours=9))
SECTION = "## Counter reservations"


def _scratch_postgres(server_url: str) -> tuple[str, callable]:
    import psycopg

    name = f"bench_{secrets.token_hex(4)}"
    admin = psycopg.connect(server_url, autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    base = server_url.rsplit("/", 1)[0]

    def drop() -> None:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
    return f"{base}/{name}", drop


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def _load(port: int, seconds: float, make_request, threads: int = 8) -> dict:
    """Closed-loop load from ``threads`` keep-alive connections; ``make_request(i)`` → (method, path, body)."""
    latencies: list[float] = []
    codes: dict[int, int] = {}
    lock = threading.Lock()

    def worker(k: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        n, end = 0, time.time() + seconds
        mine, seen = [], {}
        while time.time() < end:
            i = k * 1_000_000 + n
            method, path, body = make_request(i)
            headers = {"Content-Type": "application/json", "X-Forwarded-For": f"10.{k}.{n // 250 % 250}.{n % 250 + 1}"} \
                if body else {}  # bookings from many addresses: the per-address limit is not what is measured
            t0 = time.perf_counter()
            conn.request(method, path, body, headers)
            r = conn.getresponse()
            r.read()
            mine.append(time.perf_counter() - t0)
            seen[r.status] = seen.get(r.status, 0) + 1
            n += 1
        conn.close()
        with lock:
            latencies.extend(mine)
            for c, v in seen.items():
                codes[c] = codes.get(c, 0) + v

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(worker, range(threads)))
    return {"rps": round(len(latencies) / seconds), "p50_ms": round(_percentile(latencies, 0.5) * 1000, 1),
            "p99_ms": round(_percentile(latencies, 0.99) * 1000, 1), "codes": dict(sorted(codes.items()))}


def _targets(port: int) -> tuple[list[tuple[str, str, str]], list[dict]]:
    """(service, site, day) combinations to look up, and bookable slots to book (from the API)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/api/v1/reservations/services")
    services = json.loads(conn.getresponse().read())["services"]
    today = dt.datetime.now(JST).date()
    days = [today + dt.timedelta(days=d) for d in range(1, 29)]
    lookups = [(s["id"], site["id"], d.isoformat()) for s in services for site in s["sites"] for d in days]
    slots = []
    for service_id, site_id, day in lookups[::7]:
        conn.request("GET", f"/api/v1/reservations/availability?service_id={service_id}&site_id={site_id}&date={day}")
        for slot in json.loads(conn.getresponse().read()).get("slots", []):
            if slot["remaining"] > 0:
                slots.append({"service_id": service_id, "site_id": site_id, "start": slot["start"]})
    conn.close()
    return lookups, slots


def _burst(port: int, slot: dict, n: int) -> dict:
    """``n`` bookings for one slot released together; each from its own connection."""
    barrier = threading.Barrier(n)
    results: list[tuple[int, float]] = []
    lock = threading.Lock()

    def one(i: int) -> None:
        body = json.dumps({**slot, "name": "負荷 試験", "name_kana": "フカ シケン",
                           "email": f"burst{i}-{secrets.token_hex(3)}@example.jp", "phone": ""})
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        barrier.wait()
        t0 = time.perf_counter()
        conn.request("POST", "/api/v1/reservations", body, {"Content-Type": "application/json",
                                                             "X-Forwarded-For": f"10.9.{i // 250}.{i % 250 + 1}"})
        r = conn.getresponse()
        r.read()
        with lock:
            results.append((r.status, time.perf_counter() - t0))
        conn.close()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    codes: dict[int, int] = {}
    for status, _t in results:
        codes[status] = codes.get(status, 0) + 1
    times = [t for _s, t in results]
    return {"requests": n, "codes": dict(sorted(codes.items())), "max_ms": round(max(times) * 1000),
            "median_ms": round(statistics.median(times) * 1000)}


def run(seconds: float, workers: int, database: str | None) -> dict:
    tmp = Path(tempfile.mkdtemp())
    drop = None
    if database:
        url, drop = _scratch_postgres(database)
    else:
        url = f"sqlite:///{tmp / 'bench.db'}"
    env = dict(os.environ, DATABASE_URL=url, SECRET_KEY=secrets.token_hex(16), INSTANCE_PATH=str(tmp),
               TRUSTED_PROXY_COUNT="1")  # each booking from its own address: the per-address limit is not measured
    subprocess.run([sys.executable, "-m", "flask", "--app", "app", "db", "upgrade"], cwd=ROOT, env=env,
                   check=True, capture_output=True)
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind",
                               f"127.0.0.1:{port}", "--log-level", "warning", "app:create_app()"],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    try:
        _wait(port)
        lookups, slots = _targets(port)

        def availability(i: int):
            service_id, site_id, day = lookups[i % len(lookups)]
            return "GET", f"/api/v1/reservations/availability?service_id={service_id}&site_id={site_id}&date={day}", None

        def book(i: int):
            slot = slots[i % len(slots)]
            return "POST", "/api/v1/reservations", json.dumps({
                **slot, "name": "負荷 試験", "name_kana": "フカ シケン", "email": f"b{i}@example.jp", "phone": ""})

        _load(port, 1, lambda i: ("GET", "/healthz", None))  # warm-up
        _load(port, 1, availability)
        bare = _load(port, seconds, lambda i: ("GET", "/healthz", None))
        avail = _load(port, seconds, availability)
        burst = _burst(port, slots.pop(len(slots) // 2), 48)  # first: a slot nobody has touched
        booking = _load(port, seconds, book, threads=4)
    finally:
        server.terminate()
        server.wait(10)
        if drop:
            drop()
    return {"database": "PostgreSQL" if database else "SQLite", "workers": workers, "bare": bare,
            "availability": avail, "booking": booking, "burst": burst,
            "ratio": round(bare["rps"] / max(avail["rps"], 1), 2), "lookups": len(lookups), "slots": len(slots)}


def report(r: dict) -> str:
    worst = max(r["availability"]["p99_ms"], r["booking"]["p99_ms"], r["burst"]["max_ms"])
    goal = "met" if worst <= 3000 else "NOT met"
    return f"""{SECTION}
Measured {dt.date.today().isoformat()} on {platform.machine()} ({os.cpu_count()} cores), gunicorn {r['workers']} sync
workers, {r['database']}, Python client with 8 keep-alive connections (4 for bookings) on 127.0.0.1
(`.venv/bin/python -m bench.reservations`). Every request pays the platform's per-request work.

| endpoint | requests/s | p50 | p99 | answers |
|---|---|---|---|---|
| `GET /healthz` (bare endpoint of the same app) | {r['bare']['rps']} | {r['bare']['p50_ms']} ms | {r['bare']['p99_ms']} ms | {r['bare']['codes']} |
| `GET /api/v1/reservations/availability` ({r['lookups']} service × site × day combinations in turn) | {r['availability']['rps']} | {r['availability']['p50_ms']} ms | {r['availability']['p99_ms']} ms | {r['availability']['codes']} |
| `POST /api/v1/reservations` (a new person each time, {r['slots']} slots in turn; 409 once a slot or an overlapping one is full) | {r['booking']['rps']} | {r['booking']['p50_ms']} ms | {r['booking']['p99_ms']} ms | {r['booking']['codes']} |

Availability costs **{r['ratio']}×** a bare request (it reads the day's seat claims in one indexed query).
A burst of {r['burst']['requests']} simultaneous bookings for one slot: {r['burst']['codes']}, median
{r['burst']['median_ms']} ms, slowest {r['burst']['max_ms']} ms (k places: k get 201; the losers wait for the winners' row locks,
then get 409). Slowest answer in this run against the ~3 s target: {worst:.0f} ms ({goal}).
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database", default=None, help="PostgreSQL server URL (a scratch database is made)")
    parser.add_argument("--write", default=None, help="replace the section of this Markdown file")
    args = parser.parse_args()
    text = report(run(args.seconds, args.workers, args.database))
    print(text)
    if args.write:
        path = ROOT / args.write
        old = path.read_text(encoding="utf-8") if path.exists() else ""
        head = old.split(SECTION)[0].rstrip() + "\n\n" if SECTION in old else (old.rstrip() + "\n\n" if old else "")
        path.write_text(head + text, encoding="utf-8")


if __name__ == "__main__":
    main()
