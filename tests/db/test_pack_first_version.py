"""The repository's files become v1 when the app starts (or by the first change), never while a
page is read (staff/content.py, core/pack_versions.py); several workers starting at once end
with one v1."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import delete, func, select

from core import pack_versions as store
from core import policy
from core.db import db
from core.models import PackVersion, PackVersionFile
from knowledge.loader import PACKS_DIR
from staff import content


def _forget_versions(app) -> None:
    """The database as `flask db upgrade` leaves it on a fresh install: no version yet."""
    with app.app_context():
        db.session.execute(delete(PackVersionFile))
        db.session.execute(delete(PackVersion))
        db.session.commit()


def _count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(PackVersion))


def test_the_app_starts_with_the_repository_as_v1(app):
    with app.app_context():
        first = store.first_version("kakogawa")
        assert (first.number, first.author, first.state) == (1, "system", "published")
        assert store.files_of(first) == store.repository_files(PACKS_DIR / "kakogawa")
        assert first.ruleset_version == app.extensions["rulebook"].current.version
    assert app.extensions["pack_source"].number == 1  # loaded from v1 at start


def test_reading_the_console_writes_nothing(app, staff_client):
    _forget_versions(app)
    client = staff_client(policy.CURATOR)
    for url in ("/staff/content/", "/staff/content/files", "/staff/content/history", "/staff/content/files?q=fee"):
        r = client.get(url)
        assert r.status_code in (200, 503), (url, r.status_code)
    assert client.get("/staff/content/").status_code == 503
    assert "最初の版がまだ記録されていません" in client.get("/staff/content/").get_data(as_text=True)
    assert _count(app) == 0


def test_the_first_change_records_v1_first(app):
    _forget_versions(app)
    with app.test_request_context():
        draft = content.new_draft("curator.a")
        assert draft.base_number == 1
        assert content.in_force().number == 1
        assert content.in_force().ruleset_version  # the served repository's ruleset version


def test_starting_again_records_nothing_more(app):
    _forget_versions(app)
    content.record_first_version(app)
    content.record_first_version(app)
    assert _count(app) == 1


def test_a_worker_that_loses_the_race_takes_the_winners_v1(app, monkeypatch):
    """Worker B looked (no v1), worker A then recorded it: B's insert meets the unique
    constraint and B reads A's row instead of failing or making a second v1."""
    with app.app_context():
        winner = store.first_version("kakogawa").id
        real = store.first_version
        looks = []

        def stale_first_look(municipality):
            looks.append(municipality)
            return None if len(looks) == 1 else real(municipality)

        monkeypatch.setattr(store, "first_version", stale_first_look)
        got = store.ensure_first_version("kakogawa", PACKS_DIR / "kakogawa")
        db.session.commit()
        assert got.id == winner and len(looks) == 2
    assert _count(app) == 1


def test_the_cli_records_v1(app):
    _forget_versions(app)
    result = app.test_cli_runner().invoke(args=["content", "init"])
    assert result.exit_code == 0, result.output
    assert "v1 recorded" in result.output
    assert _count(app) == 1


def test_v1_starts_when_it_was_recorded_and_stands_for_the_time_before(app):
    _forget_versions(app)
    before = store.now_utc()
    content.record_first_version(app)
    after = store.now_utc()
    with app.app_context():
        first = store.first_version("kakogawa")
        assert before <= store.aware(first.effective_from) <= after  # not a made-up 2000-01-01
        long_ago = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
        assert store.current("kakogawa", long_ago).id == first.id  # a moment before it still finds v1
        assert store.scheduled("kakogawa", long_ago) == []  # v1 is never waiting for its day
        with pytest.raises(store.VersionError):
            store.withdraw(first, "curator.a")


def test_a_scheduled_version_still_waits_for_its_day_after_an_honest_v1(app):
    start = store.now_utc() + dt.timedelta(days=30)
    with app.test_request_context():
        draft = content.new_draft("curator.a")
        text = content.read_file(draft, "procedures/tenshutsu_todoke.yaml")
        content.save_file(draft, "procedures/tenshutsu_todoke.yaml", text.replace("amount_yen: 0", "amount_yen: 400", 1).encode())
        content.publish(draft, "curator.a", "curator", "来月から", start)
        assert store.current("kakogawa").number == 1
        assert store.current("kakogawa", start + dt.timedelta(seconds=1)).number == 2
        assert store.current("kakogawa", dt.datetime(2020, 1, 1, tzinfo=dt.UTC)).number == 1
        assert [v.number for v in store.scheduled("kakogawa")] == [2]


def test_a_version_published_at_a_moment_stamped_before_v1_is_still_served(app):
    """Hosts' clocks differ a little: v2 stamped a few seconds before v1's own stamp still wins
    (v1 stands for the time before every other version)."""
    with app.test_request_context():
        first = store.first_version("kakogawa")
        draft = content.new_draft("curator.a")
        v2 = store.mark_published(draft, "curator.a", "x", None, "")
        v2.effective_from = store.aware(first.effective_from) - dt.timedelta(seconds=5)
        db.session.commit()
        assert store.current("kakogawa", store.aware(first.effective_from)).number == 2


def test_the_consoles_times_are_japan_time_and_say_so(app, staff_client):
    from core.japan_time import console_moment
    start = dt.datetime(2030, 3, 31, 15, 0, tzinfo=dt.UTC)  # 2030-04-01 00:00 in Japan
    with app.test_request_context():
        draft = content.new_draft("curator.a")
        text = content.read_file(draft, "procedures/tenshutsu_todoke.yaml")
        content.save_file(draft, "procedures/tenshutsu_todoke.yaml", text.replace("amount_yen: 0", "amount_yen: 5", 1).encode())
        content.publish(draft, "curator.a", "curator", "四月から", start)
        first = store.first_version("kakogawa")
        recorded = console_moment(first.effective_from)
    client = staff_client(policy.CURATOR)
    history = client.get("/staff/content/history").get_data(as_text=True)
    assert "2030-04-01 00:00（日本時間）" in history  # v2's start, not 15:00 UTC of the day before
    assert f"{recorded}（日本時間）" in history  # v1's start
    overview = client.get("/staff/content/").get_data(as_text=True)
    assert "2030-04-01 00:00（日本時間）" in overview and "2030-03-31 15:00" not in overview
    listed = app.test_cli_runner().invoke(args=["content", "history"])
    assert "2030-04-01 00:00 JST" in listed.output
