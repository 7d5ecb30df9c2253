"""Fixtures of the fault tests: private servers started for each test and torn down after it
(tests/faults/servers.py). The shared PostgreSQL and Redis of the other tests are never used."""
from __future__ import annotations

import pytest

from tests.faults.servers import PrivatePostgres, PrivateRedis, SmtpSink, Stack


@pytest.fixture
def postgres():
    server = PrivatePostgres()
    try:
        server.start()
        yield server
    finally:
        server.close()


@pytest.fixture
def redis_server(tmp_path):
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp():
    sink = SmtpSink()
    sink.start()
    yield sink
    sink.stop()


def make_stack(tmp_path, postgres, redis_server=None, smtp=None, **extra) -> Stack:
    stack = Stack(tmp_path, postgres.url, redis_url=redis_server.url if redis_server else "",
                  smtp_port=smtp.port if smtp else 0, extra=extra)
    stack.upgrade()
    return stack
