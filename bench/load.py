"""Load at the March/April peak: the main journeys (bench/load_journeys.yaml) against two app
instances (two gunicorn masters, as two hosts would be) behind one address (haproxy, round robin,
no sticky sessions), sharing PostgreSQL and Redis, with /healthz served the same way in the same
run. Reports requests/s and p50/p95/p99 per journey and kind (page / submit).

    .venv/bin/python -m bench.load --prepare --applications 100000 --audit 1000000   # seed once
    .venv/bin/python -m bench.load --mode rate --seconds 120      # open loop at 10× the busiest hour
    .venv/bin/python -m bench.load --mode max --seconds 60 --concurrency 16   # as fast as it goes

Needs: a PostgreSQL server the current user may create a database on (--server, default
postgresql://postgres@127.0.0.1:5432), Redis (--redis), haproxy on the PATH (``apt-get install
haproxy``; no root needed to run it on a high port). Loopback only; every run is bounded in time.
The rate and its derivation: bench/load_model.py and ``--explain``.
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import re
import secrets
import shutil
import subprocess  # nosec B404 - starts gunicorn and haproxy from fixed argument lists
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import load_model as model  # noqa: E402  (after the path is set)


def _sample_address() -> dict[str, str]:
    """The pack's made-up sample resident's address (pack.yaml ``sample_resident``), split as the
    forms ask for it: the bench names no city of its own."""
    import yaml

    from knowledge.loader import PACKS_DIR, default_pack_name
    pack = yaml.safe_load((PACKS_DIR / default_pack_name() / "pack.yaml").read_text(encoding="utf-8"))
    address = str((pack.get("sample_resident") or {}).get("address") or "")
    found = re.match(r"(.+?[都道府県])(.+?[市区町村])(.+)", address)
    prefecture, city, street = found.groups() if found else ("", "", address)
    return {"prefecture": prefecture, "city": city, "street": street}


SAMPLE_ADDRESS = _sample_address()

JST = dt.timezone(dt.timedelta(hours=9))
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


# --- the stack: two instances behind haproxy ---------------------------------------------------

def app_env(database: str, instance: Path, redis: str) -> dict[str, str]:
    secret = instance / "load-secret"
    if not secret.exists():
        secret.write_text(secrets.token_hex(32), encoding="utf-8")
        secret.chmod(0o600)
    dev_ca = instance / "dev-ca"
    return dict(os.environ, DATABASE_URL=database, INSTANCE_PATH=str(instance), REDIS_URL=redis,
                SECRET_KEY=secret.read_text(encoding="utf-8").strip(), GUIDE_CACHE_SIZE="4096",
                RULES_RELOAD_SECONDS="0", TRUSTED_PROXY_COUNT="1", STAFF_NETWORKS="127.0.0.0/8,10.200.0.0/16",
                JPKI_DEV_SIGNER=str(dev_ca), JPKI_TRUST_ANCHORS=str(dev_ca / "trust-anchors.pem"),
                JPKI_CRL_SOURCES=f"{dev_ca / 'root-crl.pem'},{dev_ca / 'intermediate-crl.pem'}",
                PUBLIC_BASE_URL="http://127.0.0.1", SMTP_HOST="127.0.0.1", SMTP_PORT="1")


def flask(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "-m", "flask", "--app", "app", *args], cwd=ROOT, env=env, check=True,  # nosec B603
                   stdout=subprocess.DEVNULL)


HAPROXY_CFG = """global
    maxconn 2000
defaults
    mode http
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    timeout check 10s
    option http-keep-alive
frontend residents
    bind 127.0.0.1:{port}
    default_backend apps
backend apps
    balance roundrobin
    option httpchk GET /healthz
    server a 127.0.0.1:{a} check inter 3s fall 5
    server b 127.0.0.1:{b} check inter 3s fall 5
listen stats
    bind 127.0.0.1:{stats}
    stats enable
    stats uri /stats
"""


def free_port() -> int:
    from bench.guide import _free_port
    return _free_port()


def wait_port(port: int) -> None:
    from bench.guide import _wait
    _wait(port)


def warm(port: int, attempts: int = 3) -> None:
    """Each worker builds the app on its first request (tens of seconds on a loaded machine): ask
    until every worker has answered, before the clock starts."""
    import http.client
    for _ in range(attempts):
        for path in ("/guide/", "/guide/tennyu", "/procedures/", "/search?q=%E4%BD%8F%E6%B0%91%E7%A5%A8",
                     "/apply/juminhyo_utsushi", "/reserve", "/staff/login"):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            conn.request("GET", path)
            conn.getresponse().read()
            conn.close()


def start_stack(env: dict[str, str], workers: int, instance: Path) -> tuple[int, list[subprocess.Popen]]:
    """Two gunicorn masters (``workers`` each) and haproxy in front; returns (address port, procs)."""
    haproxy = shutil.which("haproxy")
    if haproxy is None:
        raise SystemExit("bench.load needs haproxy on the PATH (apt-get install haproxy)")
    ports = [free_port(), free_port()]
    procs = []
    for port in ports:
        procs.append(subprocess.Popen(  # nosec B603 - fixed arguments
            [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
             "--timeout", "120", "--log-level", "warning", "app:create_app()"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL))
    for port in ports:
        wait_port(port)
        warm(port)
    front, stats = free_port(), free_port()
    cfg = instance / "load-haproxy.cfg"
    cfg.write_text(HAPROXY_CFG.format(port=front, a=ports[0], b=ports[1], stats=stats), encoding="utf-8")
    (instance / "load-haproxy.stats").write_text(str(stats), encoding="utf-8")
    procs.append(subprocess.Popen([haproxy, "-f", str(cfg)], stdout=subprocess.DEVNULL))  # nosec B603
    wait_port(front)
    return front, procs


def per_instance(instance: Path) -> dict[str, int]:
    """Sessions haproxy sent to each instance (its stats page): both must carry the load."""
    import csv
    import http.client
    import io as _io
    conn = http.client.HTTPConnection("127.0.0.1", int((instance / "load-haproxy.stats").read_text()), timeout=10)
    conn.request("GET", "/stats;csv")
    rows = csv.DictReader(_io.StringIO(conn.getresponse().read().decode().lstrip("# ")))
    return {r["svname"]: int(r["stot"]) for r in rows if r["pxname"] == "apps" and r["svname"] in ("a", "b")}


def worker_rss_mb(procs: list[subprocess.Popen]) -> list[int]:
    """Resident memory of each gunicorn worker (children of the masters), in MB."""
    out = []
    for master in procs[:2]:
        children = Path(f"/proc/{master.pid}/task/{master.pid}/children")
        for pid in children.read_text().split() if children.exists() else []:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    out.append(int(line.split()[1]) // 1024)
    return out


def stop(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        p.terminate()
    for p in procs:
        try:
            p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            p.kill()


# --- the client --------------------------------------------------------------------------------

class Client:
    """One browser: its own cookies and connection, an address of its own (X-Forwarded-For)."""

    def __init__(self, base: str, address: str):
        import aiohttp
        self.base = base
        self.session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True),
                                             timeout=aiohttp.ClientTimeout(total=30),
                                             headers={"X-Forwarded-For": address})

    async def request(self, method: str, path: str, data: dict | None = None) -> tuple[int, str, str, float]:
        t0 = time.perf_counter()
        async with self.session.request(method, self.base + path, data=data, allow_redirects=False) as r:
            body = await r.text()
            location = r.headers.get("Location", "")
        took = time.perf_counter() - t0
        parts = urlsplit(location)
        location = parts.path + (f"?{parts.query}" if parts.query else "") if location else ""
        return r.status, body, location, took

    async def close(self) -> None:
        await self.session.close()


class Recorder:
    def __init__(self):
        self.samples: list[tuple[str, str, int, float, bool]] = []
        self.failures: dict[str, int] = {}

    def add(self, journey: str, kind: str, status: int, took: float, ok: bool, why: str = "") -> None:
        self.samples.append((journey, kind, status, took, ok))
        if not ok:
            key = f"{journey}: {why or status}"
            self.failures[key] = self.failures.get(key, 0) + 1


async def run_journey(client: Client, journey: model.Journey, values: dict[str, str], rec: Recorder) -> bool:
    """The journey's steps in order; stops at the first unexpected answer (recorded as an error)."""
    for step in journey.steps:
        if step.when and not values.get(step.when):
            continue
        try:
            if step.verb == "sections":
                if not await _sections(client, journey, step, values, rec):
                    return False
                continue
            path = model.fill(step.path, values)
            data = None
            if step.verb == "post":
                data = {k: model.fill(v, values) for k, v in step.data.items()}
                if values.get("csrf"):
                    data["csrf_token"] = values["csrf"]
            status, body, location, took = await client.request(step.verb.upper(), path, data)
        except Exception as exc:
            rec.add(journey.name, step.kind, 0, 30.0, False, type(exc).__name__)
            return False
        ok = status in step.expect
        rec.add(journey.name, step.kind, status, took, ok, f"{step.verb} {step.path} → {status}")
        if not ok:
            return False
        for name, pattern in step.capture.items():
            found = re.search(model.fill(pattern, {k: re.escape(v) for k, v in values.items()}), body)
            values[name] = found.group(1) if found else ""
        if step.location and location:
            values[step.location] = location
    return True


async def _sections(client: Client, journey: model.Journey, step: model.Step, values: dict[str, str],
                    rec: Recorder) -> bool:
    """Each application section page: GET it, POST its inputs, follow to the next, until review."""
    for _ in range(len(step.sections) + 2):
        path = values["next"]
        sid = path.rsplit("/", 1)[1]
        if sid == "review":
            return True
        status, body, _loc, took = await client.request("GET", path)
        rec.add(journey.name, "page", status, took, status == 200, f"section {sid} → {status}")
        found = CSRF.search(body)
        if status != 200 or not found:
            return False
        data = {**{k: model.fill(str(v), values) for k, v in step.sections.get(sid, {}).items()},
                "csrf_token": found.group(1), "action": "continue"}
        status, body, location, took = await client.request("POST", path, data)
        rec.add(journey.name, "submit", status, took, status == 302, f"section {sid} → {status}")
        if status != 302:
            return False
        values["next"] = location
    return False


async def staff_login(client: Client, account: dict) -> bool:
    import pyotp
    _s, body, _l, _t = await client.request("GET", "/staff/login")
    status, _b, _l, _t = await client.request("POST", "/staff/login", {
        "login_id": account["login_id"], "password": account["password"], "csrf_token": CSRF.search(body).group(1)})
    if status != 302:
        return False
    _s, body, _l, _t = await client.request("GET", "/staff/login/code")
    status, _b, _l, _t = await client.request("POST", "/staff/login/code", {
        "code": pyotp.TOTP(account["totp_secret"]).now(), "csrf_token": CSRF.search(body).group(1)})
    return status == 302


# --- the pools the journeys draw from ----------------------------------------------------------

def pools(seed: int = 16) -> dict[str, list[dict[str, str]]]:
    """Varied inputs, from the repository's own material (scenarios, procedures, search queries)
    and the seeded bookings' calendar."""
    import yaml

    from bench.guide import never_seen, request_bodies, result_paths
    from knowledge.loader import PACKS_DIR, default_pack_name
    rng = random.Random(seed)
    guide = []
    for path in result_paths(never_seen(request_bodies(), 400)):
        event = path.split("/")[2]
        guide.append({"event": event, "result": path, "check": path.replace("/result?", "/check?", 1)})
    procs = sorted(p.stem for p in (PACKS_DIR / default_pack_name() / "procedures").glob("*.yaml"))
    procedures = [{"pid": rng.choice(procs), "pid2": rng.choice(procs)} for _ in range(200)]
    queries = yaml.safe_load((ROOT / "tests" / "data" / "search_queries.yaml").read_text(encoding="utf-8"))
    searches = [{"q": q["q"]} for q in queries]
    audit = [{"query": urlencode(q)} for q in (
        {}, {"action": "staff.view"}, {"actor": "load.admin3"}, {"result": "failed"},
        {"from": (dt.date.today() - dt.timedelta(days=7)).isoformat()}, {"ip": "10.1.*"},
        {"target": "application:0a"}, {"action": "login*", "from": (dt.date.today() - dt.timedelta(days=30)).isoformat()})]
    return {"guide": guide, "procedures": procedures, "searches": searches, "audit": audit}


def slot_pool(base_port: int) -> list[dict[str, str]]:
    """(service, site, day) with a free web slot, from the reservations API."""
    import http.client
    conn = http.client.HTTPConnection("127.0.0.1", base_port, timeout=30)
    conn.request("GET", "/api/v1/reservations/services")
    services = json.loads(conn.getresponse().read())["services"]
    today = dt.datetime.now(JST).date()
    out = []
    for s in services:
        for site in s["sites"]:
            for d in range(2, 29):
                day = (today + dt.timedelta(days=d)).isoformat()
                conn.request("GET", f"/api/v1/reservations/availability?service_id={s['id']}&site_id={site['id']}&date={day}")
                free = sum(x["remaining"] for x in json.loads(conn.getresponse().read()).get("slots", []))
                if free > 0:
                    out.append({"service": s["id"], "site": site["id"], "day": day})
    conn.close()
    return out


# --- the two modes -----------------------------------------------------------------------------

class Runner:
    def __init__(self, base: str, journeys: dict[str, model.Journey], pools_: dict[str, list[dict[str, str]]],
                 staff: list[dict]):
        self.base, self.journeys, self.pools, self.staff = base, journeys, pools_, staff
        self.rec = Recorder()
        self.counter = 0
        self.staff_clients: list[Client] = []
        self.staff_free: asyncio.Queue | None = None

    async def login_staff(self) -> None:
        self.staff_free = asyncio.Queue()
        for i, account in enumerate(self.staff):
            client = Client(self.base, f"10.200.0.{i + 1}")
            if await staff_login(client, account):
                self.staff_clients.append(client)
                self.staff_free.put_nowait(client)
            else:
                await client.close()
        if not self.staff_clients:
            raise SystemExit("no staff account could log in (seed with --prepare first)")

    async def one(self, name: str) -> None:
        journey = self.journeys[name]
        self.counter += 1
        n = self.counter
        values = {"n": f"{n}-{secrets.token_hex(3)}", **SAMPLE_ADDRESS}
        if journey.pool:
            pool = self.pools.get(journey.pool) or [{}]
            values |= pool[n % len(pool)]
        if journey.staff:
            client = await self.staff_free.get()
            try:
                await run_journey(client, journey, values, self.rec)
            finally:
                self.staff_free.put_nowait(client)
            return
        client = Client(self.base, f"10.{(n >> 16) & 127}.{(n >> 8) & 255}.{n & 255 or 1}")
        try:
            await run_journey(client, journey, values, self.rec)
        finally:
            await client.close()

    async def open_loop(self, rates: dict[str, float], seconds: float) -> float:
        """Start each journey at its scheduled moment, whether or not the others have finished."""
        t0 = time.perf_counter()
        tasks = []
        for at, name in model.schedule(rates, seconds):
            delay = at - (time.perf_counter() - t0)
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(self.one(name)))
        await asyncio.wait(tasks, timeout=60) if tasks else None
        return time.perf_counter() - t0

    async def closed_loop(self, weights: dict[str, float], seconds: float, concurrency: int) -> float:
        """``concurrency`` users, each starting the next journey as soon as the last ends."""
        names, w = list(weights), list(weights.values())
        rng = random.Random(16)
        t0 = time.perf_counter()
        end = t0 + seconds

        async def user() -> None:
            while time.perf_counter() < end:
                await self.one(rng.choices(names, w)[0])

        await asyncio.gather(*(user() for _ in range(concurrency)))
        return time.perf_counter() - t0

    async def close(self) -> None:
        for c in self.staff_clients:
            await c.close()


# --- prepare, run, report ----------------------------------------------------------------------

def prepare(args, env: dict[str, str], instance: Path) -> dict:
    from bench import load_seed
    server = urlsplit(args.server.rstrip("/"))
    subprocess.run(["createdb", "-h", server.hostname or "127.0.0.1", "-p", str(server.port or 5432),  # nosec B603 B607
                    "-U", server.username or "postgres", args.db], check=False, stderr=subprocess.DEVNULL)
    flask(env, "db", "upgrade")
    from intake import devca
    if not (instance / "dev-ca" / "root.pem").exists():
        devca.make_dev_ca(instance / "dev-ca")
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "INSTANCE_PATH", "SECRET_KEY", "REDIS_URL")})
    from app import create_app
    app = create_app()
    info = load_seed.seed(app, instance, audit=args.audit, bookings_per_day=args.bookings_per_day, staff=args.staff)
    flask(env, "audit", "anchor")
    return info


def report(args, result: dict) -> str:
    lines = [f"measured {result['date']} on {result['host']} (load average before: {result['load_before']}, "
             f"after: {result['load_after']})", f"command: {result['command']}",
             f"mode: {result['mode']}; {result['seconds']:.0f} s; offered {result['offered_rps']} requests/s"
             if result["mode"] == "rate" else f"mode: max, {args.concurrency} users; {result['seconds']:.0f} s",
             f"data: {result['data']}",
             f"sessions per instance (haproxy, round robin): {result.get('instances')}; "
             f"worker memory (RSS, MB): {result.get('worker_rss_mb')}", "",
             "| journey/kind | requests | errors | req/s | p50 ms | p95 ms | p99 ms | p95 goal |",
             "|---|---:|---:|---:|---:|---:|---:|---|"]
    for key, s in result["summary"].items():
        goal = model.goal_ms(key)
        verdict = "—" if goal is None else (f"< {goal} ms " + ("met" if s["p95"] < goal else "**missed**"))
        lines.append(f"| {key} | {s['count']} | {s['errors']} | {s['rps']} | {s['p50']} | {s['p95']} | {s['p99']} | "
                     f"{verdict} |")
    if result["failures"]:
        lines += ["", "errors: " + "; ".join(f"{k} ×{v}" for k, v in sorted(result["failures"].items()))]
    return "\n".join(lines)


def database_counts(database: str) -> str:
    import psycopg
    with psycopg.connect(database.replace("postgresql+psycopg://", "postgresql://")) as conn:
        counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # nosec B608 - fixed names
                  for t in ("application", "audit_record", "reservation")}
    return ", ".join(f"{v} {k}" for k, v in counts.items())


async def main_async(args, base: str, front: int, journeys, peak, staff) -> dict:
    p = pools()
    p["slots"] = slot_pool(front)
    runner = Runner(base, journeys, p, staff)
    await runner.login_staff()
    # Every journey walked a few times before the clock starts, so each worker has served each kind
    # of page once (a worker's first staff inbox loads forms and templates: seconds on a loaded
    # machine, once per worker start); a production worker lives for days, so the figures below are
    # its steady state. The first answers are left out, not hidden: `--warm 0` measures them too.
    for _ in range(args.warm):
        await asyncio.gather(*(runner.one(name) for name in journeys))
    runner.rec = Recorder()
    # a mark to time a fault by (docs/ops/deployment.md step 3 waits for it): starting the stack
    # and warming take a while, so a fault timed from the command's start may miss the run
    print(f"measuring from {dt.datetime.now(dt.UTC):%H:%M:%S} UTC for {args.seconds:g} s", file=sys.stderr, flush=True)
    try:
        if args.mode == "rate":
            rates = model.journey_rates(peak, journeys, args.factor)
            took = await runner.open_loop(rates, args.seconds)
        else:
            weights = {n: j.per_move for n, j in journeys.items()}
            took = await runner.closed_loop(weights, args.seconds, args.concurrency)
    finally:
        await runner.close()
    return {"summary": model.summary(runner.rec.samples, took), "failures": runner.rec.failures, "seconds": took}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432")
    ap.add_argument("--db", default="load_bench")
    ap.add_argument("--redis", default="redis://127.0.0.1:6379/8")
    ap.add_argument("--instance", default=str(Path(tempfile.gettempdir()) / "load-bench-instance"))
    ap.add_argument("--prepare", action="store_true", help="create and seed the database, then exit")
    ap.add_argument("--applications", type=int, default=100_000)
    ap.add_argument("--audit", type=int, default=1_000_000)
    ap.add_argument("--bookings-per-day", type=int, default=40)
    ap.add_argument("--staff", type=int, default=8)
    ap.add_argument("--mode", choices=("rate", "max"), default="rate")
    ap.add_argument("--factor", type=float, default=None, help="× the busiest hour (default: the file's, 10)")
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--workers", type=int, default=2, help="gunicorn workers per instance")
    ap.add_argument("--warm", type=int, default=4,
                    help="times every journey is walked before the clock starts (2 instances × workers reach each worker)")
    ap.add_argument("--explain", action="store_true", help="print the rate's derivation and exit")
    ap.add_argument("--json", help="write the result here too")
    args = ap.parse_args()
    peak, journeys = model.load()
    if args.explain:
        print("\n".join(model.derivation(peak, journeys, args.factor)))
        return
    instance = Path(args.instance)
    instance.mkdir(parents=True, exist_ok=True)
    database = f"{args.server.rstrip('/')}/{args.db}".replace("postgresql://", "postgresql+psycopg://", 1)
    env = app_env(database, instance, args.redis)
    if args.prepare:
        print(json.dumps(prepare(args, env, instance)))
    staff = json.loads((instance / "load-staff.json").read_text(encoding="utf-8"))
    front, procs = start_stack(env, args.workers, instance)
    try:
        if args.prepare:  # real applications to clone: walked through both instances, then copied
            from bench import load_seed
            asyncio.run(_walk_templates(f"http://127.0.0.1:{front}", journeys))
            print(json.dumps({"cloned": load_seed.clone_applications(database, args.applications)}))
            return
        load_before = os.getloadavg()
        out = asyncio.run(main_async(args, f"http://127.0.0.1:{front}", front, journeys, peak, staff))
        out["instances"] = per_instance(instance)
        out["worker_rss_mb"] = worker_rss_mb(procs)
    finally:
        stop(procs)
    result = {**out, "mode": args.mode, "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
              "host": f"{os.cpu_count()} CPUs", "load_before": " ".join(f"{x:.2f}" for x in load_before),
              "load_after": " ".join(f"{x:.2f}" for x in os.getloadavg()),
              "command": "python -m bench.load " + " ".join(sys.argv[1:]),
              "offered_rps": round(model.offered_rate(peak, journeys, args.factor)
                                   + model.journey_rates(peak, journeys, args.factor).get("bare", 0), 2),
              "data": database_counts(database)}
    text = report(args, result)
    print(text)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1, ensure_ascii=False), encoding="utf-8")


async def _walk_templates(base: str, journeys: dict[str, model.Journey]) -> None:
    runner = Runner(base, journeys, {}, [])
    for _ in range(4):  # two at a time: the development signer makes a key per card (slow)
        await asyncio.gather(runner.one("application"), runner.one("application"))
    if runner.rec.failures:
        raise SystemExit(f"the template applications failed: {runner.rec.failures}")


if __name__ == "__main__":
    main()
