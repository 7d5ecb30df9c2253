"""Links in e-mails come only from PUBLIC_BASE_URL, never from the request's Host header
(core/public_url.py): a booking posted with ``Host: evil.example`` mails its link to the public
site. Outside development (FORCE_HTTPS=1) the app refuses to start without a sound base URL."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from core.public_url import DEVELOPMENT_BASE_URL
from tests.api.reserving import booking_body, free_slot
from tests.conftest import fresh_client


def _confirmation(app, number: str):
    from core.db import db
    from core.outbox import OutboxMessage, _build
    with app.app_context():
        row = db.session.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == f"reservation-confirmed:{number}"))
        return _build(row)


@pytest.mark.parametrize("base", ["https://guide.example.jp", None])
def test_a_forged_host_never_reaches_the_mailed_link(app, monkeypatch, base):
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", base or "")
    expected = base or DEVELOPMENT_BASE_URL
    client = fresh_client(app)
    body = booking_body(free_slot(app), name="http://evil.example")
    r = client.post("/api/v1/reservations", json=body, headers={"Host": "evil.example"})
    assert r.status_code == 201, r.get_data(as_text=True)
    created = r.get_json()
    assert created["page_url"].startswith(expected + "/reserve/manage/")
    mail = _confirmation(app, created["number"])
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert f"{expected}/reserve/manage/" in text and "evil.example" not in text.replace("evil[.]example", "")
    assert "http[:]//evil[.]example" in text  # the resident's name, as text
    assert "evil.example" not in html.replace("evil[.]example", "")
    ics = next(p for p in mail.iter_attachments() if p.get_content_type() == "text/calendar")
    assert b"evil.example" not in ics.get_payload(decode=True)


def _create(tmp_path, **config):
    from app import create_app
    # ENV=development: FORCE_HTTPS without the other production refusals (core.settings), so the
    # check at hand is PUBLIC_BASE_URL's own (core.public_url)
    return create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}", "SECRET_KEY": "x",
                       "INSTANCE_PATH": str(tmp_path), "ENV": "development", **config})


@pytest.mark.parametrize("config", [{"FORCE_HTTPS": True},
                                    {"FORCE_HTTPS": True, "PUBLIC_BASE_URL": "http://guide.example.jp"},
                                    {"PUBLIC_BASE_URL": "guide.example.jp"},
                                    {"PUBLIC_BASE_URL": "https://user@guide.example.jp"},
                                    {"PUBLIC_BASE_URL": "https://guide.example.jp/?next=x"}])
def test_a_missing_or_unsound_public_base_url_is_refused_at_start(tmp_path, config):
    with pytest.raises((RuntimeError, ValueError), match="PUBLIC_BASE_URL"):
        _create(tmp_path, **config)


def test_production_starts_with_an_https_public_base_url(tmp_path):
    from core.public_url import public_base_url
    app = _create(tmp_path, FORCE_HTTPS=True, PUBLIC_BASE_URL="https://guide.example.jp/")
    with app.app_context():
        assert public_base_url() == "https://guide.example.jp"
