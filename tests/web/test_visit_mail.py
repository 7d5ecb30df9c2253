"""まとめて予約's e-mails through the pages (SQLite and PostgreSQL): one confirmation for the whole
visit (every stop's time, counter and minutes, the 受付番号, the manage link that opens the visit,
the link back to the guide result, a .ics of the visit), one mail for the move and one for the
cancellation — never a single booking's mail per stop."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from sqlalchemy import select

from core.db import aware, db
from core.japan_time import JST
from reservations import models as m
from tests.conftest import csrf_from, fresh_client
from tests.web.test_visit_pages import BACK, _html, _to_details


def _mails(app) -> dict[str, object]:
    from core.outbox import OutboxMessage, _build
    with app.app_context():
        rows = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        return {row.dedupe_key: _build(row) for row in rows}


def _text(mail) -> str:
    return mail.get_body(("plain",)).get_content()


def test_a_visit_sends_one_mail_per_change_with_every_stop(app):
    client = fresh_client(app)
    details_url = _to_details(client)
    page = _html(client.get(details_url))
    r = client.post(details_url, data={"csrf_token": csrf_from(page), "name": "加古川 花子",
                                       "name_kana": "カコガワ ハナコ", "email": "family@example.jp", "phone": ""})
    page = _html(client.get(r.location))
    r = client.post(r.location, data={"csrf_token": csrf_from(page)})
    assert r.status_code == 302 and "/done" in r.location
    with app.app_context():
        v = db.session.scalar(select(m.Visit))
        number = v.number
        stops = db.session.scalars(select(m.Reservation).where(m.Reservation.visit_id == v.id)
                                   .order_by(m.Reservation.stop_order)).all()
        times = [f"{aware(s.start).astimezone(JST):%H:%M}".lstrip("0") for s in stops]
    mails = _mails(app)
    assert list(mails) == [f"visit-confirmed:{number}"]  # no stop has a single booking's mail
    mail = mails[f"visit-confirmed:{number}"]
    assert mail["To"] == "family@example.jp" and number in mail["Subject"] and "まとめて予約" in mail["Subject"]
    text = _text(mail)
    for counter in ("市民課", "国民健康保険課"):
        assert counter in text
    assert all(t in text for t in times) and "（45分）" in text and "（30分）" in text
    assert text.index("1. ") < text.index("2. ") < text.index("3. ")
    assert "持ち物は、手続きガイドの結果のページにあります。" in text and BACK in text
    manage = re.search(r"(https?://\S+/reserve/visit/manage/\S+)", text).group(1)
    ics = next(p for p in mail.iter_attachments() if p.get_content_type() == "text/calendar")
    assert f"UID:{number}@".encode() in ics.get_payload(decode=True)
    path = urlsplit(manage).path
    assert "予約の確認" in _html(fresh_client(app).get(path))  # the mailed link opens the visit

    move_days = _html(client.get(f"{path}/move"))
    day_url = re.search(r'href="(/reserve/visit/manage/[^"]+/move/\d{4}-\d\d-\d\d)"', move_days).group(1)
    times_page = _html(client.get(day_url))
    start = re.findall(r'name="start" value="([^"]+)"', times_page)[0]
    assert client.post(day_url, data={"csrf_token": csrf_from(times_page), "start": start}).status_code == 302
    moved = [k for k in _mails(app) if k.startswith(f"visit-moved:{number}:")]
    assert len(moved) == 1
    moved_text = _text(_mails(app)[moved[0]])
    assert "前の日時（" in moved_text and number in moved_text

    cancel = _html(client.get(f"{path}/cancel"))
    assert client.post(f"{path}/cancel", data={"csrf_token": csrf_from(cancel)}).status_code == 200
    mails = _mails(app)
    assert f"visit-cancelled:{number}" in mails
    cancelled = _text(mails[f"visit-cancelled:{number}"])
    assert "すべての窓口の予約が取り消されています" in cancelled and BACK in cancelled
    assert not [k for k in mails if k.startswith("reservation-")]


def test_the_mailed_link_back_is_only_a_guide_result_on_the_public_site(app):
    from reservations import links
    with app.test_request_context():
        assert links.result_url("/guide/tennyu/result?a=1").endswith("/guide/tennyu/result?a=1")
        assert links.result_url("/guide/tennyu/result?a=1").startswith(("http://", "https://"))
        for hostile in ("//evil.example/guide/", "https://evil.example/guide/x", "/staff/", "/guide/../staff", None, ""):
            assert links.result_url(hostile) is None
        token = links.visit_manage_token("V12345678")
        assert links.read_visit_manage_token(token) == "V12345678"
        assert links.read_manage_token(token) is None  # a visit's link never opens a single booking
