"""Benchmark of the guide: evaluations per second in process, and requests per second of
POST /api/v1/guide/evaluate against a bare endpoint (/healthz) of the same app, same gunicorn,
same workers, in one run (the machine is shared and noisy: compare the ratio, not the numbers).

    .venv/bin/python -m bench.guide [--seconds 10] [--workers 2] [--write docs/performance.md]

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
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def request_bodies() -> list[dict]:
    """Varied, realistic requests: every scenario of the pack and of shared/domain."""
    paths = sorted((ROOT / "knowledge" / "packs" / "kakogawa" / "scenarios").glob("*.yaml"))
    shared = ROOT.parent / "shared" / "domain" / "scenarios.yaml"
    if shared.exists():
        paths.append(shared)
    bodies = []
    for path in paths:
        for sc in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            bodies.append(json.loads(json.dumps(sc["request"], default=str)))
    return bodies


def in_process(seconds: float) -> dict:
    from knowledge.loader import load_pack
    from rules.evaluate import evaluate
    from rules.request import read_request
    from rules.ruleset import build_rulebook

    book = build_rulebook(load_pack())
    situations = [read_request(b, book.vocab, set(book.events)) for b in request_bodies()]
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for s in situations:
            evaluate(book, s)
            n += 1
    elapsed = time.perf_counter() - start
    return {"evaluations": n, "seconds": round(elapsed, 2), "per_second": round(n / elapsed),
            "distinct_requests": len(situations)}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(port: int) -> None:
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("gunicorn did not start")


WRK_LUA = """
local bodies = {}
local i = 0
for line in io.lines("%s") do bodies[#bodies + 1] = line end
request = function()
  i = i %% #bodies + 1
  return wrk.format("POST", "/api/v1/guide/evaluate", {["Content-Type"] = "application/json"}, bodies[i])
end
"""


def _wrk(url: str, seconds: int, script: str | None) -> dict:
    cmd = ["wrk", "-t2", "-c16", f"-d{seconds}s", "--latency"] + (["-s", script] if script else []) + [url]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(\w+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": round(rps), "p99": f"{p99.group(1)}{p99.group(2)}" if p99 else "?",
            "errors": int(non2xx.group(1)) if non2xx else 0}


def _python_client(url: str, seconds: int, bodies: list[str] | None) -> dict:
    import http.client
    from concurrent.futures import ThreadPoolExecutor
    from urllib.parse import urlsplit

    parts = urlsplit(url)

    def worker(k: int) -> int:
        conn = http.client.HTTPConnection(parts.hostname, parts.port)
        n, end = 0, time.time() + seconds
        while time.time() < end:
            if bodies:
                conn.request("POST", parts.path, bodies[(n + k) % len(bodies)], {"Content-Type": "application/json"})
            else:
                conn.request("GET", parts.path)
            conn.getresponse().read()
            n += 1
        return n

    with ThreadPoolExecutor(8) as pool:
        total = sum(pool.map(worker, range(8)))
    return {"rps": round(total / seconds), "p99": "n/a", "errors": 0}


def over_http(seconds: int, workers: int, cache_size: int) -> dict:
    port = _free_port()
    tmp = Path(tempfile.mkdtemp())
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp / 'bench.db'}", SECRET_KEY=secrets.token_hex(16),
               INSTANCE_PATH=str(tmp), GUIDE_CACHE_SIZE=str(cache_size))
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
         "--log-level", "warning", "app:create_app()"], cwd=ROOT, env=env,
        stdout=subprocess.DEVNULL)  # the JSON access log of every request (kept on: it is part of the cost)
    try:
        _wait(port)
        bodies = [json.dumps(b, ensure_ascii=False) for b in request_bodies()]
        base = f"http://127.0.0.1:{port}"
        if shutil.which("wrk"):
            lines = tmp / "bodies.txt"
            lines.write_text("\n".join(bodies) + "\n", encoding="utf-8")
            script = tmp / "post.lua"
            script.write_text(WRK_LUA % lines, encoding="utf-8")
            _wrk(base + "/healthz", 2, None)  # warm up both
            _wrk(base + "/api/v1/guide/evaluate", 2, str(script))
            bare = _wrk(base + "/healthz", seconds, None)
            guide = _wrk(base + "/api/v1/guide/evaluate", seconds, str(script))
            client = "wrk -t2 -c16"
        else:
            bare = _python_client(base + "/healthz", seconds, None)
            guide = _python_client(base + "/api/v1/guide/evaluate", seconds, bodies)
            client = "Python threads (install wrk for better figures)"
    finally:
        server.terminate()
        server.wait(10)
    return {"bare": bare, "evaluate": guide, "cost_ratio": round(bare["rps"] / guide["rps"], 2),
            "workers": workers, "client": client, "distinct_requests": len(bodies)}


def report(proc: dict, http: dict, cold: dict) -> str:
    goal = "met" if http["cost_ratio"] <= 2 else "NOT met"
    cold_goal = "met" if cold["cost_ratio"] <= 2 else "not met"
    return f"""# Performance

Measured by `bench/guide.py` on {dt.date.today().isoformat()} ({platform.python_implementation()} {platform.python_version()},
{os.cpu_count()} cores, shared machine). Re-run: `.venv/bin/python -m bench.guide --write docs/performance.md`.

## Rule evaluation in process
- {proc['per_second']} evaluations per second in one process ({proc['evaluations']} evaluations of
  {proc['distinct_requests']} distinct requests — every scenario of the pack and of shared/domain —
  in {proc['seconds']} s). Each evaluation is a fresh durable-rules session (assert, read, delete).

## Over HTTP (gunicorn, {http['workers']} sync workers, load from {http['client']} on 127.0.0.1)
Both endpoints pay the platform's per-request work: request id, CSP nonce and security headers,
the rate-limit check, Prometheus metrics and a JSON access-log line.

| endpoint | requests/s | p99 latency | errors |
|---|---|---|---|
| `GET /healthz` (bare Flask endpoint of the same app) | {http['bare']['rps']} | {http['bare']['p99']} | {http['bare']['errors']} |
| `POST /api/v1/guide/evaluate` ({http['distinct_requests']} distinct bodies in turn) | {http['evaluate']['rps']} | {http['evaluate']['p99']} | {http['evaluate']['errors']} |

Cost of an evaluate request relative to a bare request: **{http['cost_ratio']}×** (goal: at most 2×: {goal}).
This is the server as deployed: each worker keeps the results of the last 4,096 distinct
requests (`GUIDE_CACHE_SIZE`), which is sound because evaluation is a pure function of the
request and the ruleset version (part of the key). The bodies cycle, so after the warm-up every
request here is a repeat.

## The same, with the cache off (`GUIDE_CACHE_SIZE=0`: every request evaluated)
| endpoint | requests/s | p99 latency | errors |
|---|---|---|---|
| `GET /healthz` | {cold['bare']['rps']} | {cold['bare']['p99']} | {cold['bare']['errors']} |
| `POST /api/v1/guide/evaluate` | {cold['evaluate']['rps']} | {cold['evaluate']['p99']} | {cold['evaluate']['errors']} |

Cost relative to a bare request: **{cold['cost_ratio']}×** (goal {cold_goal} for requests never seen before).
Where the time goes in a fresh evaluation: durable-rules runs one Python action per rule that
fires (about 20 per request, each with its own state round-trip through JSON), which is most of
the cost; the engine is GIL-bound, so throughput scales with worker processes.
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--write", type=Path)
    args = parser.parse_args()
    proc = in_process(min(args.seconds, 5))
    http = over_http(args.seconds, args.workers, cache_size=4096)
    cold = over_http(args.seconds, args.workers, cache_size=0)
    text = report(proc, http, cold)
    print(text)
    if args.write:
        args.write.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
