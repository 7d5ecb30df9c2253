"""Fault: the SMTP server down for a while under load. Bookings go on (their confirmations wait
in the outbox, committed with them); once the server is back the worker delivers every one of
them, each once, with no one touching anything (OUTBOX_RETRY_SECONDS shortened to 1 s here so the
test stays short; production waits 1 min, 2, 4 …)."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import create_engine, func, select

from core.config import normalise_database_url
from core.outbox import PENDING, OutboxMessage
from tests.faults.conftest import make_stack
from tests.faults.load import Load, assert_nothing_lost_or_duplicated
from tests.faults.servers import wait_for

pytestmark = [pytest.mark.real_clock, pytest.mark.faults]

OUTAGE_SECONDS = 10


def _pending(url: str) -> int:
    engine = create_engine(normalise_database_url(url))
    try:
        with engine.connect() as conn:
            return conn.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == PENDING))
    finally:
        engine.dispose()


def test_mail_waits_while_the_smtp_server_is_down_and_is_delivered_after(tmp_path, postgres, smtp):
    stack = make_stack(tmp_path, postgres, smtp=smtp, OUTBOX_RETRY_SECONDS="1")
    try:
        stack.start_web()
        stack.start_mailer(interval=0.5)
        load = Load(stack.port)
        load.start()
        load.run_for(4)
        smtp.stop()
        stopped_at = time.monotonic()
        load.run_for(OUTAGE_SECONDS)
        load.stop()
        backlog = _pending(postgres.url)
        smtp.start()
        back_at = time.monotonic()
        wait_for(lambda: _pending(postgres.url) == 0, 40, f"the outbox did not empty ({stack.log_tail('worker.log')})",
                 step=0.5)
        drained = time.monotonic() - back_at
        counts = assert_nothing_lost_or_duplicated(load, postgres.url)
        booked = [o for o in load.outcomes if o.kind == "book" and o.status == 201]
        during = [o for o in booked if o.at > stopped_at]
        recipients = [to for mail in smtp.received() for to in mail["to"]]
        print(f"smtp down {back_at - stopped_at:.0f} s: {len(during)} bookings meanwhile, backlog {backlog}, "
              f"delivered {drained:.1f} s after the server came back; {len(smtp.received())} mails; "
              f"{load.summary()}; committed {counts}")
        assert during and backlog >= len(during) > 0
        assert load.error_rate() < 0.01, load.summary()
        # every booking's confirmation arrived, each exactly once (one booking per address)
        booking_mails = sorted(r for r in recipients if r.startswith("fault"))
        assert len(booking_mails) == len(set(booking_mails)) == counts["bookings"], (len(booking_mails), counts)
        assert len({mail["message_id"] for mail in smtp.received()}) == len(smtp.received())
    finally:
        stack.stop()
