"""事前入力 in the database: encrypted at rest (no name in the raw column), nothing for the
counters before 「窓口に送る」, staff corrections beside the resident's values, stops done, who
comes next, and the purge (after the visit is done or cancelled, or after 30 days; audited)."""
from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import select, text

from core.audit import AuditRecord
from core.db import db
from reservations import cli as reservations_cli
from reservations import models as m
from reservations import prefill
from reservations import visit as visits
from reservations.prefill_models import VisitPrefill
from tests.web.prefill_helpers import fill, make_visit


def _done(stop) -> bool:
    changed = visits.mark_stop_done(stop)
    db.session.commit()
    return changed


def test_the_household_is_encrypted_at_rest(app):
    number, _ = make_visit(app)
    fill(app, number)
    with app.app_context():
        raw = db.session.execute(text("SELECT household FROM visit_prefill")).scalar_one()
        assert raw.startswith("v1.")
        for word in ("山田", "ヤマダ", "太郎", "1985-04-01", "09012345678", "千代田"):
            assert word not in raw
        record = db.session.scalar(select(VisitPrefill))
        assert prefill.household(record)["members"][0]["family_name"] == "山田"


def test_draft_until_shared_and_a_change_makes_it_a_draft_again(app):
    number, _ = make_visit(app)
    fill(app, number, shared=False)
    with app.app_context():
        visit = visits.by_number(number)
        assert prefill.of_visit(visit).status == prefill.DRAFT
        prefill.share(visit)
        assert prefill.of_visit(visit).status == prefill.SHARED
        prefill.save_part(visit, {"phone": "0312345678"})
        assert prefill.of_visit(visit).status == prefill.DRAFT


def test_sharing_an_incomplete_household_is_refused(app):
    number, _ = make_visit(app)
    with app.app_context():
        visit = visits.by_number(number)
        prefill.save_part(visit, {"members": [{"family_name": "山田"}]})
        try:
            prefill.share(visit)
        except prefill.PrefillError as exc:
            assert exc.status == 409
        else:
            raise AssertionError("an incomplete household was shared")


def test_corrections_are_kept_beside_the_residents_value(app):
    number, _ = make_visit(app)
    fill(app, number)
    with app.app_context():
        record = prefill.of_visit(visits.by_number(number))
        before = prefill.correct(record, "members[0].given_name", "太朗", "counter.1")
        assert before == "太郎"
        assert prefill.household(record)["members"][0]["given_name"] == "太郎"
        assert prefill.effective(record)["members"][0]["given_name"] == "太朗"
        assert prefill.corrections(record)["members[0].given_name"]["by"] == "counter.1"
        raw = db.session.execute(text("SELECT corrections FROM visit_prefill")).scalar_one()
        assert "太朗" not in raw


def test_stops_done_in_order_and_who_comes_next(app):
    number, _ = make_visit(app, status=m.CONFIRMED)
    with app.app_context():
        visit = visits.by_number(number)
        first, second = visits.stops(visit)
        today = visit.day
        assert prefill.coming_next(["kokuho"], today) == []
        assert [r["state"] for r in prefill.progress(visit)] == ["next", "later"]
        assert _done(first)
        assert not _done(first)  # twice: no change
        assert [(v.number, s.counter_id) for v, s in prefill.coming_next(["kokuho"], today)] == [(number, "kokuho")]
        assert [r["state"] for r in prefill.progress(visit)] == ["done", "next"]
        _done(second)
        assert visits.by_number(number).status == prefill.VISIT_DONE
        assert prefill.coming_next(["kokuho"], today) == []


def test_purge_after_done_after_cancel_and_after_30_days(app):
    done, _ = make_visit(app)
    cancelled, _ = make_visit(app)
    old, _ = make_visit(app)
    kept, _ = make_visit(app)
    now = dt.datetime.now(dt.UTC)
    for number in (done, cancelled, kept):
        fill(app, number)
    fill(app, old, now=now - dt.timedelta(days=prefill.RETENTION_DAYS, minutes=1))
    with app.app_context():
        for stop in visits.stops(visits.by_number(done)):
            _done(stop)
        visit = visits.by_number(cancelled)
        visit.status, visit.cancelled_at = m.CANCELLED, now
        db.session.commit()
        assert prefill.purge(now, dry_run=True) == 3
        assert db.session.scalar(select(db.func.count()).select_from(VisitPrefill)) == 4
        with app.test_request_context():
            assert reservations_cli.purge_prefill(now) == 3
        left = [visits.by_number(n) for n in (done, cancelled, old, kept)]
        assert [prefill.of_visit(v) is not None for v in left] == [False, False, False, True]
        record = db.session.scalars(select(AuditRecord).where(AuditRecord.action == "prefill.purge")).one()
        assert json.loads(record.details)["count"] == 3 and record.actor == "system:purge"


def test_the_cli_command_purges(app):
    number, _ = make_visit(app)
    fill(app, number)
    with app.app_context():
        visit = visits.by_number(number)
        visit.status = m.CANCELLED
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["reservations", "purge-prefill"])
    assert result.exit_code == 0, result.output
    assert "deleted: 1" in result.output
