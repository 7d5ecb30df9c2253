"""Benchmark of the guide: what a first answer costs against a bare request of the same app.

One gunicorn (2 sync workers by default), the result cache off (``GUIDE_CACHE_SIZE=0``), and in
each round, one after the other on the same server:

- ``GET /healthz`` (the bare request: the platform's per-request work and nothing else),
- ``POST /api/v1/guide/evaluate`` with bodies never sent before in the run,
- ``GET /guide/<event>/result?…`` (the page residents open) with answers never sent before.

The machine is shared and noisy, so what counts is the ratio within one round; the report gives
every round and the median of the ratios. Plus evaluations per second in process.

    .venv/bin/python -m bench.guide [--seconds 8] [--rounds 3] [--workers 2] [--write docs/performance.md]

Load comes from wrk (apt-get install wrk) on 127.0.0.1 only; without wrk, a Python client.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
EVALUATE_PATH = "/api/v1/guide/evaluate"


def request_bodies() -> list[dict]:
    """Varied, realistic requests: every scenario of the pack (the repository's own material)."""
    from knowledge.loader import PACKS_DIR, default_pack_name
    paths = sorted((PACKS_DIR / default_pack_name() / "scenarios").glob("*.yaml"))  # MUNICIPALITY's pack
    bodies = []
    for path in paths:
        for sc in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            bodies.append(json.loads(json.dumps(sc["request"], default=str)))
    return bodies


def never_seen(bodies: list[dict], count: int) -> list[dict]:
    """``count`` different requests made from the scenarios: the day of the event moves by a
    day at a time (and the language alternates), so no two are the same request."""
    out: list[dict] = []
    seen: set[str] = set()
    shift = 0
    while len(out) < count and shift < 4000:
        for body in bodies:
            b = dict(body, locale=("en" if shift % 2 else "ja"))
            if b.get("event_date"):
                day = dt.date.fromisoformat(str(b["event_date"])) + dt.timedelta(days=shift // 2)
                b["event_date"] = day.isoformat()
            key = json.dumps(b, sort_keys=True, ensure_ascii=False)
            if key not in seen:
                seen.add(key)
                out.append(b)
        shift += 1
    return out[:count]


def _answer_value(v) -> str:
    return "yes" if v is True else "no" if v is False else str(v)


def result_paths(bodies: list[dict]) -> list[str]:
    """The result page of each request, with its answers in the query as the questionnaire
    leaves them (``date``, ``n``, ``f.*``, ``d.*``, ``m<i>.*``; ``lang`` for the language)."""
    paths = []
    for b in bodies:
        pairs = [("date", b["event_date"])] if b.get("event_date") else []
        members = b.get("members")
        if members is not None:
            pairs.append(("n", str(len(members))))
            for i, m in enumerate(members):
                pairs += [(f"m{i}.{k}", _answer_value(v)) for k, v in m.items() if v is not None]
        pairs += [(f"f.{k}", _answer_value(v)) for k, v in (b.get("facts") or {}).items() if v is not None]
        pairs += [(f"d.{k}", _answer_value(v)) for k, v in (b.get("deceased") or {}).items() if v is not None]
        if b.get("locale") == "en":
            pairs.append(("lang", "en"))
        paths.append(f"/guide/{b['event']}/result?{urlencode(pairs)}")
    return paths


def in_process(seconds: float) -> dict:
    import gc

    from knowledge.loader import load_pack
    from rules.compiler import compile_clauses
    from rules.engine import RuleEngine
    from rules.evaluate import evaluate
    from rules.request import read_request
    from rules.ruleset import build_rulebook
    book = build_rulebook(load_pack())
    situations = [read_request(b, book.vocab, set(book.events)) for b in request_bodies()]

    def timed_loop(secs: float) -> tuple[int, float]:
        n, start = 0, time.perf_counter()
        while time.perf_counter() - start < secs:
            for s in situations:
                evaluate(book, s)
                n += 1
        return n, time.perf_counter() - start

    # first as a plain process, then as a gunicorn worker runs (gunicorn.conf.py post_worker_init:
    # everything loaded so far frozen out of the garbage collector's scans)
    loose_n, loose_elapsed = timed_loop(seconds / 2)
    gc.collect()
    gc.freeze()
    n, elapsed = timed_loop(seconds)
    # the same evaluations with every memo of rules/memo.py off (each computed afresh): what a
    # household unlike any seen before costs, as the bench's requests repeat the scenarios' households
    from rules import memo
    with memo.off():
        off_n, off_start = 0, time.perf_counter()
        while time.perf_counter() - off_start < seconds / 2:
            for s in situations:
                evaluate(book, s)
                off_n += 1
        off_elapsed = time.perf_counter() - off_start
    # the engine's share: durable-rules and its adapter, timed inside the same evaluations
    engine_cpu, decide = [0.0], RuleEngine.decide

    def timed(self, household, members):
        t = time.process_time()
        try:
            return decide(self, household, members)
        finally:
            engine_cpu[0] += time.process_time() - t

    RuleEngine.decide = timed
    try:
        cpu = time.process_time()
        for s in situations * 5:
            evaluate(book, s)
        cpu = time.process_time() - cpu
    finally:
        RuleEngine.decide = decide
    gc.unfreeze()
    return {"evaluations": n, "seconds": round(elapsed, 2), "per_second": round(n / elapsed),
            "ms": round(1000 * elapsed / n, 3), "distinct_requests": len(situations),
            "unfrozen_ms": round(1000 * loose_elapsed / loose_n, 3),
            "memo_off_ms": round(1000 * off_elapsed / off_n, 3),
            "engine_share": round(100 * engine_cpu[0] / cpu), "rules": sum(len(compile_clauses(list(er.engine.clauses.values()))) for er in book.events.values())}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(port: int) -> None:
    for _ in range(300):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("gunicorn did not start")


# Each wrk thread starts at its own place in the list (threads get an id in setup()), so the
# two threads never send the same request; a round starts where the last one stopped.
WRK_LUA = """
local lines = {}
for line in io.lines("%(file)s") do lines[#lines + 1] = line end
local ids = 0
function setup(thread)
  thread:set("id", ids)
  ids = ids + 1
end
local i = 0
function init(args)
  i = (id or 0) * math.floor(#lines / 2) + %(start)d
end
request = function()
  i = i %% #lines + 1
  %(request)s
end
"""
POST_REQUEST = ('return wrk.format("POST", "' + EVALUATE_PATH
                + '", {["Content-Type"] = "application/json"}, lines[i])')
GET_REQUEST = 'return wrk.format("GET", lines[i])'


def _workers_cpu(master: int) -> float:
    """CPU seconds used so far by the gunicorn workers of ``master`` (user + system)."""
    total = 0.0
    children = Path(f"/proc/{master}/task/{master}/children")
    if not children.exists():
        return float("nan")
    for pid in children.read_text().split():
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _wrk(url: str, seconds: int, script: str | None) -> dict:
    cmd = ["wrk", "-t2", "-c16", f"-d{seconds}s", "--latency"] + (["-s", script] if script else []) + [url]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(\w+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": round(rps), "requests": total, "p99": f"{p99.group(1)}{p99.group(2)}" if p99 else "?",
            "errors": int(non2xx.group(1)) if non2xx else 0}


def _python_client(base: str, seconds: int, method: str, lines: list[str] | None, path: str, start: int) -> dict:
    import http.client
    from concurrent.futures import ThreadPoolExecutor
    from urllib.parse import urlsplit

    parts = urlsplit(base)

    def worker(k: int) -> tuple[int, int]:
        conn = http.client.HTTPConnection(parts.hostname, parts.port)
        n, bad, end = 0, 0, time.time() + seconds
        while time.time() < end:
            line = lines[(start + k * 997 + n * 8) % len(lines)] if lines else None
            if method == "POST":
                conn.request("POST", path, line, {"Content-Type": "application/json"})
            else:
                conn.request("GET", line or path)
            resp = conn.getresponse()
            resp.read()
            bad += resp.status >= 400
            n += 1
        return n, bad

    with ThreadPoolExecutor(8) as pool:
        done = list(pool.map(worker, range(8)))
    total = sum(n for n, _ in done)
    return {"rps": round(total / seconds), "requests": total, "p99": "n/a", "errors": sum(b for _, b in done)}


def _check(base: str, bodies: list[str], pages: list[str]) -> None:
    """Every kind of request answers 200 before it is measured (a 400 would be cheap)."""
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port)
    for body, page in list(zip(bodies, pages, strict=True))[:: max(1, len(bodies) // 200)]:
        conn.request("POST", EVALUATE_PATH, body.encode(), {"Content-Type": "application/json"})
        r = conn.getresponse()
        r.read()
        conn.request("GET", page)
        p = conn.getresponse()
        p.read()
        if r.status != 200 or p.status != 200:
            raise RuntimeError(f"bench request refused: evaluate {r.status}, page {p.status} for {page}")


def over_http(seconds: int, workers: int, rounds: int, count: int) -> dict:
    """Bare, evaluate and result page per round on one server with the cache off."""
    port = _free_port()
    tmp = Path(tempfile.mkdtemp())
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp / 'bench.db'}", SECRET_KEY=secrets.token_hex(16),
               INSTANCE_PATH=str(tmp), GUIDE_CACHE_SIZE="0", RULES_RELOAD_SECONDS="0")
    bodies_data = never_seen(request_bodies(), count)
    bodies = [json.dumps(b, ensure_ascii=False) for b in bodies_data]
    pages = result_paths(bodies_data)
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
         "--log-level", "warning", "app:create_app()"], cwd=ROOT, env=env,
        stdout=subprocess.DEVNULL)  # the JSON access log of every request (kept on: it is part of the cost)
    runs: list[dict] = []
    try:
        _wait(port)
        base = f"http://127.0.0.1:{port}"
        _check(base, bodies, pages)
        use_wrk = shutil.which("wrk") is not None
        (tmp / "bodies.txt").write_text("\n".join(bodies) + "\n", encoding="utf-8")
        (tmp / "pages.txt").write_text("\n".join(pages) + "\n", encoding="utf-8")
        start = 0

        def measure(kind: str, secs: int) -> dict:
            cpu = _workers_cpu(server.pid)
            out = _measure(kind, secs)
            out["cpu_ms"] = round(1000 * (_workers_cpu(server.pid) - cpu) / max(out["requests"], 1), 3)
            return out

        def _measure(kind: str, secs: int) -> dict:
            nonlocal start
            if not use_wrk:
                if kind == "bare":
                    return _python_client(base, secs, "GET", None, "/healthz", 0)
                lines = bodies if kind == "evaluate" else pages
                out = _python_client(base, secs, "POST" if kind == "evaluate" else "GET", lines, EVALUATE_PATH, start)
                start += out["requests"]
                return out
            if kind == "bare":
                return _wrk(base + "/healthz", secs, None)
            script = tmp / f"{kind}.lua"
            script.write_text(WRK_LUA % {"file": tmp / ("bodies.txt" if kind == "evaluate" else "pages.txt"),
                                         "start": start % count,
                                         "request": POST_REQUEST if kind == "evaluate" else GET_REQUEST},
                              encoding="utf-8")
            out = _wrk(base + (EVALUATE_PATH if kind == "evaluate" else "/"), secs, str(script))
            start += out["requests"]
            return out

        for kind in ("bare", "evaluate", "page"):  # warm-up (imports, templates, first answers)
            measure(kind, 2)
        for _ in range(rounds):
            bare = measure("bare", seconds)
            evaluate = measure("evaluate", seconds)
            page = measure("page", seconds)
            runs.append({"bare": bare, "evaluate": evaluate, "page": page,
                         "evaluate_ratio": round(bare["rps"] / evaluate["rps"], 2),
                         "page_ratio": round(bare["rps"] / page["rps"], 2),
                         "evaluate_cpu_ratio": round(evaluate["cpu_ms"] / bare["cpu_ms"], 2),
                         "page_cpu_ratio": round(page["cpu_ms"] / bare["cpu_ms"], 2)})
        client = "wrk -t2 -c16" if use_wrk else "Python threads (install wrk for better figures)"
    finally:
        server.terminate()
        server.wait(10)
    sent = sum(r["evaluate"]["requests"] for r in runs) + sum(r["page"]["requests"] for r in runs)
    return {"runs": runs, "workers": workers, "client": client, "distinct": count, "sent": sent,
            **{k: round(statistics.median(r[k] for r in runs), 2)
               for k in ("evaluate_ratio", "page_ratio", "evaluate_cpu_ratio", "page_cpu_ratio")}}


def report(proc: dict, http: dict, command: str) -> str:
    ev_goal = "met" if http["evaluate_ratio"] <= 2 else "NOT met"
    page_goal = "met" if http["page_ratio"] <= 4 else "NOT met"
    rows = "\n".join(
        f"| {n} | {r['bare']['rps']} | {r['evaluate']['rps']} ({r['evaluate']['p99']}) | "
        f"{r['page']['rps']} ({r['page']['p99']}) | **{r['evaluate_ratio']}×** | **{r['page_ratio']}×** | "
        f"{r['bare']['cpu_ms']} / {r['evaluate']['cpu_ms']} / {r['page']['cpu_ms']} | "
        f"{r['evaluate_cpu_ratio']}× / {r['page_cpu_ratio']}× | "
        f"{r['bare']['errors'] + r['evaluate']['errors'] + r['page']['errors']} |"
        for n, r in enumerate(http["runs"], start=1))
    return f"""# Performance

Measured by `bench/guide.py` on {dt.date.today().isoformat()} ({platform.python_implementation()} {platform.python_version()},
{platform.machine()}, {os.cpu_count()} cores, a machine shared with other work: compare the ratios
within a round, not the numbers across runs). Command: `{command}`.

## What a first answer costs (cache off: `GUIDE_CACHE_SIZE=0`)
One gunicorn with {http['workers']} sync workers; load from {http['client']} on 127.0.0.1. In each
round, on the same server one after the other: the bare request `GET /healthz` (the platform's
per-request work only: request id, CSP nonce and security headers, the rate-limit check,
Prometheus metrics, a JSON access-log line), `POST /api/v1/guide/evaluate`, and the result page
`GET /guide/<event>/result?…` that residents open. The requests are {http['distinct']} different
ones made from every scenario of the pack (the day of the event moved a day at
a time, the language alternating); {http['sent']} were sent in all, each wrk thread from its
own place in the list, so hardly any was seen before, and none is cached.

| round | `/healthz` req/s | evaluate req/s (p99) | result page req/s (p99) | evaluate ÷ bare | page ÷ bare | workers' CPU ms per request: bare / evaluate / page | CPU ratios: evaluate / page | errors |
|---|---|---|---|---|---|---|---|---|
{rows}

Median over the rounds: an evaluate request never seen before costs **{http['evaluate_ratio']}×** a bare
request (goal at most 2×: {ev_goal}); a result page never seen before costs **{http['page_ratio']}×**
(goal at most 4×: {page_goal}). The ratios are of requests per second, as the goals are set.
The same ratios from the CPU time the workers spent per request (read from /proc, so other work on
the machine hardly moves them): evaluate {http['evaluate_cpu_ratio']}×, result page {http['page_cpu_ratio']}×.

With the cache on (the default, 4,096 results per worker) a repeated evaluate request skips the
engine: evaluation is a pure function of the request and the ruleset version (part of the key).

## Rule evaluation in process
- {proc['per_second']} evaluations per second in one process ({proc['ms']} ms each; {proc['evaluations']}
  evaluations of {proc['distinct_requests']} distinct requests in {proc['seconds']} s), with {proc['rules']} compiled
  durable rules over the seven events. The engine (durable-rules and its adapter: assert the
  household and its members in one batch, read the rules that fired, retract) is
  {proc['engine_share']}% of an evaluation; the rest is the Python that turns its outcomes into the
  response (reasons, places and fees, things to bring, due dates, warnings, the visit plan).
- Without `gc.freeze()` (a process that has not frozen what it loaded, unlike the workers):
  {proc['unfrozen_ms']} ms per evaluation, against {proc['ms']} ms frozen.
- With every memo of `rules/memo.py` off (each reason, place, list of things to bring and
  condition computed afresh, as for a household unlike any seen before): {proc['memo_off_ms']} ms per
  evaluation, against {proc['ms']} ms with them. The bench's requests repeat the scenarios' households
  on other days, so its memos hit more often than real households' answers would.
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--requests", type=int, default=40000, help="how many different requests to make")
    parser.add_argument("--write", type=Path)
    args = parser.parse_args()
    proc = in_process(min(args.seconds, 5))
    http = over_http(args.seconds, args.workers, args.rounds, args.requests)
    command = ".venv/bin/python -m bench.guide " + " ".join(sys.argv[1:])
    text = report(proc, http, command.strip())
    print(text)
    if args.write:
        old = args.write.read_text(encoding="utf-8") if args.write.exists() else ""
        # kept as written: from the history of what was changed (by hand) on, and the reservations' section
        marks = [m for m in ("## Where the time went", "## Before and after", "## Counter reservations") if m in old]
        keep = old[old.index(marks[0]):] if marks else ""
        args.write.write_text(text + ("\n" + keep if keep else ""), encoding="utf-8")


if __name__ == "__main__":
    main()
