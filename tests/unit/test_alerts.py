"""The security monitor (core/alerts.py): each trigger at its threshold within the sliding
5-minute window, one alert and one mail per burst, counting in the process and through Redis
(shared by workers), and the audit-chain check (core.monitoring.check_audit_chain)."""
import datetime as dt
import os

import pytest
import time_machine
from sqlalchemy import delete, select

from core import alerts, monitoring
from core.audit_chain import VerifyResult
from core.db import db
from core.outbox import OutboxMessage
from core.words import N_, Message
from tests.conftest import redis_url_for_tests

REDIS_URL = redis_url_for_tests()
# the start of a 5-minute window, so a test's events never straddle two windows
T0 = dt.datetime(2026, 12, 1, 1, 0, 2, tzinfo=dt.UTC)


def redis_available() -> bool:
    try:
        import redis
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping()
        return True
    except Exception:
        return False


@pytest.fixture(params=["memory", "redis"])
def monitor(request, app, monkeypatch):
    """The app with empty alert tables, counting in the process or in Redis (own key prefix)."""
    if request.param == "redis":
        if not redis_available():
            pytest.skip("Redis is not reachable at " + REDIS_URL)
        monkeypatch.setitem(app.config, "REDIS_URL", REDIS_URL)
        # a prefix per xdist worker, emptied first: the counts of an earlier run are in Redis still
        monkeypatch.setitem(app.config, "ALERTS_REDIS_PREFIX",
                            f"test:alerts:{os.environ.get('PYTEST_XDIST_WORKER', 'main')}:")
        with app.app_context():
            alerts.reset_counters()
    else:
        monkeypatch.setitem(app.config, "REDIS_URL", "")
    monkeypatch.setitem(app.config, "ADMIN_EMAILS", "admin1@city.example.jp, admin2@city.example.jp")
    with app.app_context():
        db.session.execute(delete(alerts.SecurityAlert))
        db.session.execute(delete(OutboxMessage))
        db.session.commit()
        alerts.reset_counters()
    yield app
    with app.app_context():
        alerts.reset_counters()  # flushes this test's Redis keys too


def alert_rows(app, locale="ja"):
    with app.app_context():
        return [(a.kind, a.message_in(locale)) for a in
                db.session.scalars(select(alerts.SecurityAlert).order_by(alerts.SecurityAlert.id))]


def mails(app):
    with app.app_context():
        return [(m.recipient, m.subject, m.body) for m in
                db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]


@pytest.mark.parametrize(("kind", "threshold", "words"), [
    ("login_failure", 10, "ログインの失敗"),
    ("permission_denied", 20, "権限のない操作"),
    ("server_error", 10, "サーバーエラー"),
])
def test_each_trigger_fires_at_its_threshold_once_per_burst(monitor, kind, threshold, words):
    with time_machine.travel(T0, tick=True), monitor.app_context():
        for i in range(1, threshold):
            assert alerts.note(kind) == i
        assert alert_rows(monitor) == []  # one short of the threshold: quiet
        assert alerts.note(kind) == threshold
        [(got_kind, message)] = alert_rows(monitor)
        assert got_kind == kind and words in message and f"{threshold}回" in message
        for _ in range(15):  # the rest of the burst: still one alert, one mail per administrator
            alerts.note(kind)
    assert len(alert_rows(monitor)) == 1
    sent = mails(monitor)
    assert sorted(m[0] for m in sent) == ["admin1@city.example.jp", "admin2@city.example.jp"]
    assert all(alerts.TITLES[kind] in subject and words in body for _, subject, body in sent)


def test_the_window_slides(monitor):
    with time_machine.travel(T0, tick=True) as traveller, monitor.app_context():
        for _ in range(9):
            alerts.note("login_failure")
        traveller.shift(dt.timedelta(minutes=5, seconds=30))  # those nine are now older than 5 minutes
        for _ in range(9):
            assert alerts.note("login_failure") <= 9
        assert alert_rows(monitor) == []
        traveller.shift(dt.timedelta(minutes=2))  # still within 5 minutes of the last nine
        assert alerts.note("login_failure") == 10
        assert [k for k, _ in alert_rows(monitor)] == ["login_failure"]


def test_a_new_burst_in_a_later_window_is_a_new_alert(monitor):
    with time_machine.travel(T0, tick=True) as traveller, monitor.app_context():
        for _ in range(10):
            alerts.note("server_error")
        traveller.shift(dt.timedelta(minutes=12))
        for _ in range(10):
            alerts.note("server_error")
    assert [k for k, _ in alert_rows(monitor)] == ["server_error", "server_error"]
    assert len(mails(monitor)) == 4


def test_kinds_are_counted_apart(monitor):
    with time_machine.travel(T0, tick=True), monitor.app_context():
        for _ in range(9):
            alerts.note("login_failure")
            alerts.note("server_error")
        assert alert_rows(monitor) == []


def test_an_unknown_event_is_a_programming_error(monitor):
    with monitor.app_context(), pytest.raises(ValueError):
        alerts.note("login_failed")


def test_redis_counts_are_shared_by_workers(monitor):
    if not monitor.config["REDIS_URL"]:
        pytest.skip("Redis variant only")
    import redis
    with time_machine.travel(T0, tick=True), monitor.app_context():
        for _ in range(6):
            alerts.note("login_failure")  # this worker
        other = alerts.RedisCounter(redis.Redis.from_url(REDIS_URL), monitor.config["ALERTS_REDIS_PREFIX"])
        for _ in range(3):
            other.add("login_failure", T0.timestamp() + 1)  # another worker (its own connection)
        alerts._local.reset()  # nothing is counted in this process
        assert alerts.note("login_failure") == 10
        assert [k for k, _ in alert_rows(monitor)] == ["login_failure"]
        keys = redis.Redis.from_url(REDIS_URL).keys(monitor.config["ALERTS_REDIS_PREFIX"] + "*")
        assert keys and all(redis.Redis.from_url(REDIS_URL).ttl(k) > 0 for k in keys)  # they expire


def test_an_unreachable_redis_falls_back_to_counting_in_the_process(monitor, monkeypatch):
    monkeypatch.setitem(monitor.config, "REDIS_URL", "redis://127.0.0.1:1/0")
    with time_machine.travel(T0, tick=True), monitor.app_context():
        for i in range(1, 11):
            assert alerts.note("login_failure") == i
    assert [k for k, _ in alert_rows(monitor)] == ["login_failure"]


def test_inside_a_request_the_alert_is_written_when_the_request_ends(monitor):
    with time_machine.travel(T0, tick=True):
        with monitor.test_request_context("/staff/"):
            for _ in range(10):
                alerts.note("permission_denied")
            for _ in range(10):
                alerts.note("permission_denied")
            assert alert_rows(monitor) == []  # not yet: the request's own transaction comes first
        assert [k for k, _ in alert_rows(monitor)] == ["permission_denied"]


def test_raise_alert_directly_and_acknowledge(monitor):
    with monitor.app_context():
        first = alerts.raise_alert("audit_chain", Message(N_("記録の改ざん")), dedupe_key="audit_chain:x")
        assert first is not None
        assert alerts.raise_alert("audit_chain", Message(N_("記録の改ざん")), dedupe_key="audit_chain:x") is None
        assert [a.id for a in alerts.active_alerts()] == [first]
        assert alerts.acknowledge(first, "admin.yamada")
        db.session.commit()
        assert alerts.active_alerts() == []
        assert not alerts.acknowledge(first, "admin.yamada")  # once
        [done] = alerts.recent_acknowledged()
        assert done.acknowledged_by == "admin.yamada" and done.acknowledged_at is not None
    assert len(mails(monitor)) == 2


def test_without_admin_addresses_the_banner_still_appears(monitor, monkeypatch):
    monkeypatch.setitem(monitor.config, "ADMIN_EMAILS", "")
    with monitor.app_context():
        assert alerts.raise_alert("server_error", Message(N_("記録の改ざん"))) is not None
    assert mails(monitor) == []
    assert len(alert_rows(monitor)) == 1


def test_audit_chain_check_sets_the_gauge_and_alerts_once(monitor, monkeypatch):
    from core import audit

    with monitor.app_context():
        assert monitoring.check_audit_chain() is True  # the real chain of the test database
        assert monitoring.AUDIT_CHAIN_OK._value.get() == 1
        broken = VerifyResult().fail("altered", 5, "record 5 was altered")
        monkeypatch.setattr(audit, "verify_chain", lambda: broken)
        assert monitoring.check_audit_chain() is False
        assert monitoring.check_audit_chain() is False  # the same problem: no second alert
        assert monitoring.AUDIT_CHAIN_OK._value.get() == 0
    [(kind, message)] = alert_rows(monitor)
    assert kind == "audit_chain" and "記録の改ざん" in message and "記録番号 5" in message
    [(_, message)] = alert_rows(monitor, "en")  # the problem inside the sentence reads in English too
    assert "tamper check" in message and "a record altered, record 5" in message and "記録" not in message


# --- the words: a msgid and its variables, read in the reader's language -------------------------

def test_an_alert_is_stored_as_a_msgid_and_variables_and_read_in_each_language(monitor):
    with time_machine.travel(T0, tick=True), monitor.app_context():
        for _ in range(10):
            alerts.note("login_failure")
        [alert] = db.session.scalars(select(alerts.SecurityAlert)).all()
        assert alert.message is None and alert.message_id == alerts._MESSAGES["login_failure"]
        assert alert.message_vars == '{"count": 10, "minutes": 5}'
        assert alert.message_in("ja").startswith("職員ログインの失敗が5分間に10回ありました")
        assert alert.message_in("en").startswith("10 failed staff logins in 5 minutes")
    subjects_and_bodies = [(s, b) for _, s, b in mails(monitor)]
    assert subjects_and_bodies and all("ログイン失敗の急増" in s and "職員ログインの失敗が5分間に10回" in b
                                       and "failed" not in b for s, b in subjects_and_bodies)  # the mail: Japanese


def test_an_older_alert_keeps_its_text_and_a_broken_one_never_fails(monitor):
    with monitor.app_context():
        old = alerts.SecurityAlert(kind="server_error", message="サーバーエラーが5分間に10回発生しました。")
        assert old.message_in("en") == old.message_in("ja") == "サーバーエラーが5分間に10回発生しました。"
        broken = alerts.SecurityAlert(kind="server_error", message_id=alerts._MESSAGES["server_error"],
                                      message_vars='{"count": 3}')  # "minutes" missing
        assert broken.message_in("en") == alerts._MESSAGES["server_error"]


def test_raise_alert_wants_a_message_it_can_store(monitor):
    with monitor.app_context():
        for wrong in ("監査ログの検証に失敗しました。", Message(("context", "受付")), Message(N_("%(x)s"), x=object())):
            with pytest.raises(TypeError):
                alerts.raise_alert("audit_chain", wrong)
            with pytest.raises(TypeError):
                alerts.raise_soon("audit_chain", wrong)
    assert alert_rows(monitor) == []


def test_every_kind_has_a_title_in_english():
    from core.words import text
    assert all(text("en", title) != title for title in alerts.TITLES.values())


def test_a_payment_notice_that_does_not_match_alerts_in_both_languages(monitor):
    from types import SimpleNamespace

    from intake.payments import service
    with monitor.app_context():
        service._mismatch(SimpleNamespace(id=42))
        [alert] = db.session.scalars(select(alerts.SecurityAlert)).all()
        assert alert.title_in("en") == "Payment notice mismatch" and alert.title_in("ja") == "決済通知の不一致"
        assert "notice for payment 42 does not match" in alert.message_in("en")
        assert alert.message_in("ja").startswith("決済（42）の通知の金額または参照が一致しません。")
