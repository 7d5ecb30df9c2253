"""A sample of the questionnaires residents answered, for the curators' impact preview (the
console re-runs them against a draft: staff/content.py). The answers only, as the guide's
request (event, date, household facts): the guide asks for no name, address or number.

One request in ``GUIDE_SAMPLE_EVERY`` is kept; they are written ten at a time in one short
transaction on the app's engine, so a resident's page never waits for a write of its own."""
from __future__ import annotations

import datetime as dt
import json
import logging
import random
import threading
from typing import Any

from flask import current_app
from sqlalchemy import delete, func, insert, select
from sqlalchemy.exc import SQLAlchemyError

from core.db import db
from core.japan_time import today_in_japan
from core.models import GuideAnswerSample

log = logging.getLogger(__name__)
KEEP = 500  # the newest kept; older ones go
BATCH = 10
_pending: list[dict[str, Any]] = []
_lock = threading.Lock()


def note(request_body: dict[str, Any]) -> None:
    every = current_app.config.get("GUIDE_SAMPLE_EVERY", 0)
    if every <= 0 or (every > 1 and random.randrange(every)):
        return
    row = {"event": str(request_body.get("event", ""))[:64], "day": today_in_japan(),
           "request_json": json.dumps(request_body, ensure_ascii=False, default=str)[:20000]}
    with _lock:
        _pending.append(row)
        if len(_pending) < (1 if every == 1 else BATCH):
            return
        rows = _pending[:]
        _pending.clear()
    write(rows)


def write(rows: list[dict[str, Any]]) -> None:
    try:
        with db.engine.begin() as conn:
            conn.execute(insert(GuideAnswerSample), rows)
            newest = conn.execute(select(func.max(GuideAnswerSample.id))).scalar() or 0
            conn.execute(delete(GuideAnswerSample).where(GuideAnswerSample.id <= newest - KEEP))
    except SQLAlchemyError as exc:  # a sample is never worth a resident's error page
        log.warning("answer sample not written: %s", str(exc).splitlines()[0])


def recent(limit: int = KEEP) -> list[tuple[int, dict[str, Any], dt.date]]:
    return [(row.id, json.loads(row.request_json), row.day) for row in db.session.scalars(
        select(GuideAnswerSample).order_by(GuideAnswerSample.id.desc()).limit(limit))]
