"""Two app processes (separate gunicorn masters with their own instance folders, as two hosts
would be) on one PostgreSQL: both serve a newly published version within seconds, without a
restart, and both go back after a rollback."""
from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import orjson
import pytest

from staff import content
from tests.conftest import upgraded_app
from tests.db.test_pack_versions import FEE_FILE, MOVE_OUT, _edit

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.postgres, pytest.mark.real_clock]  # the servers run on the real clock


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _served(port: int) -> tuple[str, list[int]]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/guide/evaluate", data=orjson.dumps(MOVE_OUT),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:  # a loopback test server
        body = orjson.loads(response.read())
    fees = [f["amount_yen"] for p in body["procedures"] if p["id"] == "tenshutsu_todoke" for f in p["fees"]]
    return body["ruleset_version"], fees


def _wait_for(port: int, want: str, seconds: float = 60) -> float:
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        with contextlib.suppress(OSError):
            if _served(port)[0] == want:
                return time.monotonic() - start
        time.sleep(0.25)
    raise AssertionError(f"port {port} did not serve {want} within {seconds} s")


@contextlib.contextmanager
def _host(url: str, instance: Path):
    port = _free_port()
    instance.mkdir()
    env = dict(os.environ, DATABASE_URL=url, SECRET_KEY="test-only-not-secret", INSTANCE_PATH=str(instance),
               GUIDE_CACHE_SIZE="0", RULES_RELOAD_SECONDS="1", MUNICIPALITY="kakogawa")
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "--workers", "1", "--bind", f"127.0.0.1:{port}",
                               "--log-level", "warning", "app:create_app()"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_two_hosts_switch_to_a_published_version_and_back(tmp_path):
    with upgraded_app("postgresql", tmp_path / "console", RULES_RELOAD_SECONDS=3600.0) as (console, _snapshot):
        url = console.config["DATABASE_URL"]
        with console.test_request_context():
            first = content.in_force().ruleset_version
        with _host(url, tmp_path / "a") as a, _host(url, tmp_path / "b") as b:
            for port in (a, b):
                _wait_for(port, first)
            with console.test_request_context():
                draft = content.new_draft("curator.a")
                _edit(draft, FEE_FILE, "amount_yen: 0", "amount_yen: 350")
                published = content.publish(draft, "curator.a", "curator", "手数料の改定", None).ruleset_version
            # generous bounds: a switch takes RULES_RELOAD_SECONDS (1 s) plus loading and checking the
            # version, seconds on a quiet machine (docs/content-versions.md), more on a busy one
            waits = [_wait_for(port, published, 90) for port in (a, b)]
            assert all(_served(port)[1] == [350] for port in (a, b))
            with console.test_request_context():
                content.rollback(1, "curator.a", "curator")
            waits += [_wait_for(port, first, 90) for port in (a, b)]
            assert all(_served(port)[1] == [0] for port in (a, b))
            print("seconds until each host served the new version, then the rollback:", [round(w, 1) for w in waits])
