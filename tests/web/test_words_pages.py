"""Words moved into the catalogs, as the console pages show them in Japanese and in English."""
from __future__ import annotations

import pytest

from core import alerts, policy
from core.words import Message
from tests.conftest import clear_outbox_and_alerts


@pytest.fixture
def clean(app):
    clear_outbox_and_alerts(app)
    yield app
    alerts.reset_counters()


def test_alert_titles_and_role_names_in_both_languages(app, clean, staff_client):
    with app.app_context():
        alerts.raise_alert("login_failure", Message(alerts._MESSAGES["login_failure"], minutes=5, count=12))
    admin = staff_client(policy.ADMIN)
    ja = admin.get("/staff/monitor/alerts?lang=ja").get_data(as_text=True)
    assert "ログイン失敗の急増" in ja and "システム管理者" in ja  # the title; the role beside the user's name
    en = admin.get("/staff/monitor/alerts?lang=en").get_data(as_text=True)
    assert "Surge in failed logins" in en and "ログイン失敗の急増" not in en
    assert "12 failed staff logins in 5 minutes" in en and "職員ログインの失敗" not in en  # the alert's words too
    assert "職員ログインの失敗が5分間に12回ありました" in ja
    assert "System administrator" in en and "システム管理者" not in en
    assert "System administrator" in admin.get("/staff/users?lang=en").get_data(as_text=True)  # the role column
    new = admin.get("/staff/users/new?lang=en").get_data(as_text=True)
    assert "Counter staff" in new and "Content curator" in new and "窓口職員" not in new  # the role choices
