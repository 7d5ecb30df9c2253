"""Fault: Redis stopped for 30 s under load. Residents' requests keep working (their limits are
counted per worker meanwhile, core/security.py), /readyz says 503 naming Redis within seconds and
200 again once it is back, nothing committed is lost or doubled, fewer than 1 % of requests fail."""
from __future__ import annotations

import json
import time

import pytest

from tests.faults.conftest import make_stack
from tests.faults.load import Load, assert_nothing_lost_or_duplicated
from tests.faults.probe import ReadyProbe
from tests.faults.servers import get

pytestmark = [pytest.mark.real_clock, pytest.mark.faults]

OUTAGE_SECONDS = 30


def test_redis_stopped_for_30_seconds_under_load(tmp_path, postgres, redis_server, smtp):
    stack = make_stack(tmp_path, postgres, redis_server, smtp)
    try:
        stack.start_web()
        load = Load(stack.port)
        probe = ReadyProbe(stack.port, every=0.5)
        load.start()
        probe.start()
        load.run_for(5)
        stopped_at = time.monotonic()
        redis_server.stop()
        load.run_for(OUTAGE_SECONDS)
        status, body = get(stack.port, "/readyz")
        redis_server.start()
        started_at = time.monotonic()
        load.run_for(6)
        load.stop()
        probe.stop()
        counts = assert_nothing_lost_or_duplicated(load, postgres.url)
        during = [o for o in load.outcomes if stopped_at < o.at < started_at]
        not_ready = probe.first(503, stopped_at)
        ready_again = probe.first(200, started_at)
        print(f"redis down {started_at - stopped_at:.0f} s: {len(during)} requests meanwhile, "
              f"{sum(not o.ok for o in during)} failed; /readyz 503 {(not_ready or 0) - stopped_at:.1f} s after the stop, "
              f"200 again {(ready_again or 0) - started_at:.1f} s after the start; {load.summary()}; committed {counts}")
        assert status == 503 and json.loads(body)["checks"] == {"database": "ok", "redis": "unavailable"}
        assert not_ready is not None and not_ready - stopped_at < 3, probe.seen
        assert ready_again is not None and ready_again - started_at < 3, probe.seen
        assert len(during) > 50 and all(o.ok for o in during), load.summary()
        assert load.keys("book") & {o.key for o in during}, "no booking was made while Redis was down"
        assert load.error_rate() < 0.01, load.summary()
    finally:
        stack.stop()
