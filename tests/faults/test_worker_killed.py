"""Fault: a gunicorn worker killed (SIGKILL) under load. The master starts a new one; only the
requests that worker was answering at that instant go unanswered; every 201 is kept once."""
from __future__ import annotations

import os
import signal
import time

import pytest

from tests.faults.conftest import make_stack
from tests.faults.load import Load, assert_nothing_lost_or_duplicated
from tests.faults.servers import wait_for

pytestmark = [pytest.mark.real_clock, pytest.mark.faults]


def test_a_worker_killed_under_load_is_replaced_and_loses_nothing(tmp_path, postgres, redis_server, smtp):
    stack = make_stack(tmp_path, postgres, redis_server, smtp)
    try:
        stack.start_web()
        before = stack.worker_pids()
        assert len(before) == 2
        load = Load(stack.port)
        load.start()
        load.run_for(4)
        killed_at = time.monotonic()
        os.kill(before[0], signal.SIGKILL)
        replaced = wait_for(lambda: len(set(stack.worker_pids()) - set(before)) == 1 and len(stack.worker_pids()) == 2,
                            20, "gunicorn did not replace the killed worker")
        replaced_in = time.monotonic() - killed_at
        load.run_until(300, at_least=6, at_most=45)
        load.stop()
        counts = assert_nothing_lost_or_duplicated(load, postgres.url)
        after_kill = [o for o in load.outcomes if o.at > killed_at + replaced_in + 1]
        print(f"worker killed: replaced in {replaced_in:.1f} s; {load.summary()}; committed {counts}")
        assert replaced
        assert len(load.failures()) <= 2, load.summary()  # at most what the killed worker had in hand
        assert load.error_rate() < 0.01, load.summary()
        assert after_kill and all(o.ok for o in after_kill), load.summary()
    finally:
        stack.stop()
