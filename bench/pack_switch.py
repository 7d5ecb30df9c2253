"""How long until other app processes serve a newly published version of the pack (core/pack.py:
each worker looks for a new version at most every RULES_RELOAD_SECONDS, on a request, then
loads it).

Two app processes (gunicorn, one worker each, the app factory) on a private SQLite file (or
``--database-url``, e.g. a PostgreSQL database of your own), a version published through the
service layer (staff/content.py: a fee changed, checked, published now), then both polled until
they answer with the new fee; prints the seconds from the publish's commit to each one's switch.

    .venv/bin/python -m bench.pack_switch [--reload-seconds 10] [--database-url URL] [--timeout 180]
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess  # nosec B404 - starts flask and gunicorn from fixed argument lists
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from bench.guide import _free_port, _wait

FEE_FILE = "procedures/tenshutsu_todoke.yaml"  # listed on every move out, a fee of 0 yen
MOVE_OUT = {"event": "moving_out", "event_date": "2026-11-20", "locale": "ja",
            "facts": {"to_abroad": False, "to_hyogo": False, "child_allowance": False, "moped": False, "dog": False},
            "members": [{"relation": "self", "age": 40, "insurance": "shaho", "pension": "second",
                         "mynumber_card": True, "seal_registered": False, "care_certified": False}]}


def _fee(port: int, timeout: float = 30) -> tuple[list[int], str]:
    request = urllib.request.Request(  # nosec B310 - a fixed http://127.0.0.1 address
        f"http://127.0.0.1:{port}/api/v1/guide/evaluate", data=json.dumps(MOVE_OUT).encode(),
        headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as answer:  # nosec B310
        body = json.load(answer)
    listed = {p["id"]: p for p in body["procedures"]}
    fees = [f["amount_yen"] for f in (listed.get("tenshutsu_todoke", {}).get("fees") or [])]
    return fees, body["ruleset_version"]


def _serve(env: dict[str, str]) -> tuple[int, subprocess.Popen]:
    port = _free_port()
    proc = subprocess.Popen(  # nosec B603 - fixed arguments
        [sys.executable, "-m", "gunicorn", "--workers", "1", "--bind", f"127.0.0.1:{port}", "--timeout", "120",
         "app:create_app()"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return port, proc


def _poll(port: int, fee: int, seen: dict[int, float], deadline: float) -> None:
    """Ask every 50 ms (each request lets the worker look for a new version) until the new fee shows."""
    while time.monotonic() < deadline:
        try:
            if _fee(port)[0] == [fee]:
                seen[port] = time.monotonic()
                return
        except OSError:
            pass
        time.sleep(0.05)


def _publish(env: dict[str, str], fee: int, committed: list[float]) -> str:
    """Through the service layer, as the console does: a draft, the fee changed, checked, published now."""
    os.environ.update(env)
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    from app import create_app
    from staff import content

    app = create_app()
    event.listen(Session, "after_commit", lambda _session: committed.append(time.monotonic()))
    with app.test_request_context():
        draft = content.new_draft("bench.curator")
        text = content.read_file(draft, FEE_FILE)
        content.save_file(draft, FEE_FILE, text.replace("amount_yen: 0", f"amount_yen: {fee}", 1).encode())
        committed.clear()  # from here: the publish's own commit
        version = content.publish(draft, "bench.curator", "curator", "bench: pack switch", None)
        return f"v{version.number} ({version.ruleset_version})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reload-seconds", default="10", help="RULES_RELOAD_SECONDS of the two processes")
    parser.add_argument("--database-url", default="", help="default: a new SQLite file")
    parser.add_argument("--timeout", type=float, default=180.0, help="give up after this many seconds")
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="pack-switch-"))
    env = dict(os.environ, DATABASE_URL=args.database_url or f"sqlite:///{data / 'bench.db'}",
               SECRET_KEY=secrets.token_hex(16), INSTANCE_PATH=str(data), GUIDE_CACHE_SIZE="0",
               RULES_RELOAD_SECONDS=args.reload_seconds)  # the default pack (MUNICIPALITY), as bench/guide.py
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "flask", "--app", "app", "db", "upgrade"],  # nosec B603
                   env=env, check=True, capture_output=True, timeout=args.timeout)
    workers = [_serve(env) for _ in range(2)]
    try:
        for port, _proc in workers:
            _wait(port)
        before = {port: _fee(port, timeout=args.timeout) for port, _proc in workers}  # booted and serving
        fee = 350 if all(f == [0] for f, _v in before.values()) else 0
        seen: dict[int, float] = {}
        committed: list[float] = []
        deadline = started + args.timeout
        pollers = [threading.Thread(target=_poll, args=(port, fee, seen, deadline), daemon=True)
                   for port, _proc in workers]
        for t in pollers:
            t.start()
        version = _publish(env, fee, committed)
        for t in pollers:
            t.join(max(0.0, deadline - time.monotonic()))
        commit = committed[0] if committed else float("nan")
        print(f"published {version}; RULES_RELOAD_SECONDS={args.reload_seconds}; "
              f"database {'SQLite' if not args.database_url else args.database_url.split('://')[0]}")
        for n, (port, _proc) in enumerate(workers, 1):
            if port in seen:
                print(f"process {n}: serves the new version {seen[port] - commit:.2f} s after the commit")
            else:
                print(f"process {n}: not switched within {args.timeout:.0f} s")
        if len(seen) < len(workers):
            sys.exit(1)
    finally:
        for _port, proc in workers:
            proc.terminate()
        for _port, proc in workers:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


if __name__ == "__main__":
    main()
