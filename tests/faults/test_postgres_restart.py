"""Fault: PostgreSQL restarted under load (a fast shutdown, a few seconds down, started again).

The app comes back by itself (no restart of gunicorn), every 201 is in the database once, and
fewer than 1 % of the requests fail: a request that needs a new connection while the server is
away waits for it (DB_CONNECT_WAIT_SECONDS, core/db.py); only the ones inside a transaction at
the shutdown fail. /readyz never waits: the probe hears "not ready" within seconds — a 503 from a
free worker, or no answer within the balancer's 2 s timeout while both sync workers are waiting
for the database (either takes the host out of rotation) — and 200 again once it is back."""
from __future__ import annotations

import time

import pytest

from tests.faults.conftest import make_stack
from tests.faults.load import Load, assert_nothing_lost_or_duplicated
from tests.faults.probe import ReadyProbe
from tests.faults.servers import get

pytestmark = [pytest.mark.real_clock, pytest.mark.faults]

DOWN_SECONDS = 3.0  # between the fast shutdown and the start: a restart with a checkpoint to write
NOT_READY = (503, 0)  # 0: no answer within the probe's timeout


def test_postgres_restart_under_load(tmp_path, postgres, redis_server, smtp):
    stack = make_stack(tmp_path, postgres, redis_server, smtp)
    try:
        stack.start_web()
        stack.start_mailer()
        load = Load(stack.port)
        probe = ReadyProbe(stack.port)
        load.start()
        probe.start()
        load.run_for(12)
        stopped_at = time.monotonic()
        postgres.stop("fast")
        time.sleep(DOWN_SECONDS)
        postgres.start()
        started_at = time.monotonic()
        load.run_until(400, at_least=12, at_most=40)
        load.stop()
        probe.stop()
        counts = assert_nothing_lost_or_duplicated(load, postgres.url)
        not_ready = min((t for t, s in probe.seen if t >= stopped_at and s in NOT_READY), default=None)
        ready_again = probe.first(200, started_at)
        after = [o for o in load.outcomes if o.at > started_at + 3]
        slowest = max(o.seconds for o in load.outcomes)
        print(f"postgres restart: down {started_at - stopped_at:.1f} s; probe not ready "
              f"{(not_ready or 0) - stopped_at:.1f} s after the stop, 200 again {(ready_again or 0) - started_at:.1f} s "
              f"after the start; slowest request {slowest:.1f} s; {load.summary()}; committed {counts}")
        assert not_ready is not None and not_ready - stopped_at < 3, probe.seen
        assert ready_again is not None and ready_again - started_at < 5, probe.seen
        assert after and all(o.ok for o in after), load.summary()
        assert load.error_rate() < 0.01, load.summary()

        # with a worker free, the answer is a real 503 and it comes at once (no connection wait)
        postgres.stop("fast")
        asked = time.monotonic()
        status, body = get(stack.port, "/readyz", timeout=5)
        took = time.monotonic() - asked
        postgres.start()
        print(f"idle: /readyz {status} in {took:.2f} s with the database stopped")
        assert status == 503 and b'"database":"unavailable"' in body.replace(b" ", b""), body
        assert took < 1.0
        assert get(stack.port, "/readyz")[0] == 200
    finally:
        stack.stop()
