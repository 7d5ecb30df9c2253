"""Usage statistics (core/usage.py): the atomic UPSERT under concurrency on SQLite and PostgreSQL,
the after_request hooks on the guide pages and the API, Japan dates, and that counting can never
break a page or store anything but ids."""
import datetime as dt
import inspect
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from flask import abort
from sqlalchemy import func, select, text
from sqlalchemy import inspect as sa_inspect

from core import usage
from core.db import db
from core.usage import UsageCount
from tests.conftest import scratch_database

FAMILY = {
    "event": "moving_in", "event_date": "2026-04-01",
    "facts": {"from_abroad": False, "dog": True},
    "members": [{"relation": "self", "age": 35, "insurance": "kokuho", "mynumber_card": True},
                {"relation": "child", "age": 8, "school": "elementary"}],
    "deceased": None, "locale": "ja",
}


@pytest.fixture(params=["sqlite", "postgresql"])
def usage_app(request, tmp_path):
    """A fresh app on its own empty database (upgraded), with probe routes that note procedures."""
    from flask_migrate import upgrade

    from app import create_app

    with scratch_database(request.param, tmp_path) as url:
        app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "x", "INSTANCE_PATH": str(tmp_path), "USAGE_FLUSH_SECONDS": 0,
                          "GUIDE_CACHE_SIZE": 0})

        @app.get("/_probe/listed")
        def probe_listed():
            usage.note_procedures(["juminhyo", "kokuho_kanyu", "juminhyo"])
            usage.note_procedures(iter(["inkan_toroku"]))
            return "ok"

        @app.get("/_probe/failed")
        def probe_failed():
            usage.note_procedures(["juminhyo"])
            abort(404)

        @app.get("/_probe/not_an_id")
        def probe_not_an_id():
            usage.note_procedures(["山田 太郎", "juminhyo"])
            return "ok"

        with app.app_context():
            upgrade()
        yield app
        with app.app_context():
            db.engine.dispose()


def count_of(app, service, metric, dimension="", day=None) -> int:
    """The total over every day (or one day) of one counter."""
    with app.app_context():
        stmt = select(func.coalesce(func.sum(UsageCount.count), 0)).where(
            UsageCount.service == service, UsageCount.metric == metric, UsageCount.dimension == dimension)
        if day is not None:
            stmt = stmt.where(UsageCount.day == day)
        value = int(db.session.scalar(stmt))
        db.session.remove()
        return value


def all_counts(app) -> dict[tuple, int]:
    with app.app_context():
        rows = db.session.execute(select(UsageCount.service, UsageCount.metric, UsageCount.dimension,
                                         func.sum(UsageCount.count))
                                  .group_by(UsageCount.service, UsageCount.metric, UsageCount.dimension)).all()
        db.session.remove()
    return {(s, m, d): int(n) for s, m, d, n in rows}


# --- the UPSERT -----------------------------------------------------------------------------

def test_concurrent_increments_of_one_counter_add_up_exactly(usage_app):
    threads, each = 8, 25
    start = threading.Barrier(threads)

    def work(_i):
        with usage_app.app_context():
            start.wait()
            results = [usage.record("guide", "session_started", "moving_in") for _ in range(each)]
            db.session.remove()
        return results

    with ThreadPoolExecutor(threads) as pool:
        results = [r for batch in pool.map(work, range(threads)) for r in batch]
    assert all(results), "some increments were not written"
    assert count_of(usage_app, "guide", "session_started", "moving_in") == threads * each
    with usage_app.app_context():  # one row per (day, service, metric, dimension), not one per call
        assert db.session.scalar(select(func.count()).select_from(UsageCount)) == 1
        db.session.remove()


def test_concurrent_batches_in_opposite_orders_neither_deadlock_nor_lose_counts(usage_app):
    threads, each = 6, 20
    start = threading.Barrier(threads)

    def work(i):
        ids = ["juminhyo", "kokuho_kanyu", "inkan_toroku"]
        batch = [("guide", "procedures_listed", pid, 1) for pid in (ids if i % 2 else ids[::-1])]
        with usage_app.app_context():
            start.wait()
            ok = [usage.add(batch) for _ in range(each)]
            db.session.remove()
        return ok

    with ThreadPoolExecutor(threads) as pool:
        assert all(ok for batch in pool.map(work, range(threads)) for ok in batch)
    for pid in ("juminhyo", "kokuho_kanyu", "inkan_toroku"):
        assert count_of(usage_app, "guide", "procedures_listed", pid) == threads * each


def test_record_adds_n_on_the_given_day_and_days_are_separate(usage_app):
    day = dt.date(2026, 4, 1)
    with usage_app.app_context():
        assert usage.record("guide", "search", n=3, day=day)
        assert usage.record("guide", "search", day=day)
        assert usage.record("guide", "search", day=day + dt.timedelta(days=1))
        assert usage.rows(day, day + dt.timedelta(days=1)) == [
            (day, "guide", "search", "", 4), (day + dt.timedelta(days=1), "guide", "search", "", 1)]
        assert usage.daily_totals(day, day, "guide") == {(day, "search"): 4}
        assert usage.service_totals(day, day + dt.timedelta(days=1)) == {("guide", "search"): 5}
        db.session.remove()


@pytest.mark.parametrize("args", [
    ("guide", "search", "山田太郎"), ("guide", "search", "a b"), ("guide", "search", "x" * 101),
    ("Guide", "search", ""), ("guide", "search;drop", ""), ("guide", "search", "192.168.0.1 "),
])
def test_only_ids_can_be_stored_never_free_text(usage_app, args):
    with usage_app.app_context():
        assert usage.record(*args) is False
        assert usage.record("guide", "search", n=0) is False
        db.session.remove()
    assert all_counts(usage_app) == {}


def test_days_are_dates_in_japan():
    utc = dt.UTC
    assert usage.today(dt.datetime(2026, 3, 31, 14, 59, tzinfo=utc)) == dt.date(2026, 3, 31)
    assert usage.today(dt.datetime(2026, 3, 31, 15, 0, tzinfo=utc)) == dt.date(2026, 4, 1)  # 00:00 JST
    assert usage.today() == dt.datetime.now(utc).astimezone(usage.JST).date()


def test_a_missing_table_never_breaks_a_page(usage_app):
    with usage_app.app_context():
        with db.engine.begin() as conn:
            conn.execute(text("DROP TABLE usage_count"))
        assert usage.record("guide", "search") is False  # logged, not raised
        db.session.remove()
    client = usage_app.test_client()
    assert client.get("/guide/moving_in").status_code == 200
    assert client.get("/_probe/listed").status_code == 200


def test_counting_can_be_switched_off(usage_app):
    usage_app.config["USAGE_STATISTICS"] = False
    usage_app.test_client().get("/guide/moving_in")
    assert all_counts(usage_app) == {}


def test_the_table_holds_counts_only(usage_app):
    with usage_app.app_context():
        columns = {c["name"] for c in sa_inspect(db.engine).get_columns("usage_count")}
    assert columns == {"id", "day", "service", "metric", "dimension", "count"}


def test_downgrade_removes_the_table_and_upgrade_brings_it_back(usage_app):
    from flask_migrate import downgrade, upgrade
    with usage_app.app_context():
        downgrade(revision="0004")
        assert "usage_count" not in sa_inspect(db.engine).get_table_names()
        upgrade()
        assert "usage_count" in sa_inspect(db.engine).get_table_names()


# --- the hooks --------------------------------------------------------------------------------

def test_noted_procedures_are_counted_once_each_on_a_200(usage_app):
    client = usage_app.test_client()
    assert client.get("/_probe/listed").status_code == 200
    assert client.get("/_probe/failed").status_code == 404
    assert client.get("/_probe/not_an_id").status_code == 200
    assert all_counts(usage_app) == {
        ("guide", "procedures_listed", "juminhyo"): 3,  # 2 + 0 (the 404) + 1
        ("guide", "procedures_listed", "kokuho_kanyu"): 1,
        ("guide", "procedures_listed", "inkan_toroku"): 1,
    }


def test_intro_page_counts_a_started_session_per_life_event(client, app):
    before = count_of(app, "guide", "session_started", "moving_in")
    assert client.get("/guide/moving_in").status_code == 200
    assert client.get("/guide/moving_in?lang=en").status_code == 200
    assert count_of(app, "guide", "session_started", "moving_in") == before + 2
    assert count_of(app, "guide", "session_started", "moving_in", day=usage.today()) >= 2


def test_result_page_counts_a_finished_session(client, app):
    before = count_of(app, "guide", "session_finished", "death")
    started = count_of(app, "guide", "session_started", "death")
    assert client.get("/guide/death/result").status_code == 200
    assert count_of(app, "guide", "session_finished", "death") == before + 1
    assert count_of(app, "guide", "session_started", "death") == started


def test_other_pages_errors_and_other_methods_count_nothing(client, app):
    before = all_counts(app)
    assert client.get("/guide/no_such_event").status_code == 404
    assert client.get("/guide/no_such_event/result").status_code == 404
    assert client.get("/guide/").status_code == 200
    assert client.get("/guide/birth/result.ics?date=2026-04-27&n=1").status_code == 200
    assert client.post("/api/v1/guide/evaluate", json={"event": "no_such_event"}).status_code == 400
    assert client.post("/api/v1/guide/evaluate", data="{", content_type="application/json").status_code == 400
    after = all_counts(app)
    assert after == before
    assert not any(d == "no_such_event" for _s, _m, d in after)


def test_api_evaluation_counts_per_event(client, app):
    before = count_of(app, "guide", "api_evaluate", "moving_in")
    r = client.post("/api/v1/guide/evaluate", json=FAMILY)
    assert r.status_code == 200
    assert count_of(app, "guide", "api_evaluate", "moving_in") == before + 1


def _wired(module) -> bool:
    return "note_procedures(" in inspect.getsource(module)


def test_api_evaluation_counts_each_listed_procedure(client, app):
    import guide.api
    if not _wired(guide.api):
        pytest.skip("guide/api.py does not call core.usage.note_procedures yet (the lead adds it)")
    before = all_counts(app)
    body = client.post("/api/v1/guide/evaluate", json=FAMILY).get_json()
    after = all_counts(app)
    listed = [p["id"] for p in body["procedures"]]
    assert listed
    for pid in set(listed):
        key = ("guide", "procedures_listed", pid)
        assert after.get(key, 0) - before.get(key, 0) == listed.count(pid)


def test_result_page_counts_each_listed_procedure(client, app, rulebook):
    import guide.views
    if not _wired(guide.views):
        pytest.skip("guide/views.py does not call core.usage.note_procedures yet (the lead adds it)")
    before = all_counts(app)
    assert client.get("/guide/death/result").status_code == 200
    after = all_counts(app)
    grown = {k[2]: after[k] - before.get(k, 0) for k in after
             if k[1] == "procedures_listed" and after[k] != before.get(k, 0)}
    assert grown and set(grown) <= set(rulebook.kb.procedures)
    assert set(grown.values()) == {1}


def test_counts_are_buffered_in_the_worker_and_written_together():
    from core.usage import _Buffer
    buffer = _Buffer()
    assert buffer.take([("guide", "session_started", "birth", 1)], every=3600) is None
    assert buffer.take([("guide", "session_started", "birth", 2)], every=3600) is None
    due = buffer.take([], every=0)
    assert [counts for counts in due.values()] == [[("guide", "session_started", "birth", 3)]]
    assert buffer.take([], every=0) == {}


def test_counts_still_buffered_are_written_when_the_process_ends(usage_app):
    """The exit hook writes what each live app has buffered; it holds the apps weakly, so an app
    that is dropped is freed (tests/unit/test_app_lifetime.py) rather than kept for the hook."""
    buffer = usage_app.extensions["usage_buffer"]
    assert buffer.take([("guide", "session_started", "moving_in", 3)], every=3600) is None  # kept, not written
    usage._flush_at_exit()
    with usage_app.app_context():
        assert usage.rows(usage.today() - dt.timedelta(days=1), usage.today() + dt.timedelta(days=1)) == \
            [(usage.today(), "guide", "session_started", "moving_in", 3)]
