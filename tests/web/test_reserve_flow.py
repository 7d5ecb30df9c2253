"""The resident's booking pages (SQLite and PostgreSQL): from the guide's link to the 予約番号 and
QR code, one thing per page, errors in Japanese that keep what was typed, a double click that
holds once, an expired hold, and the signed manage link (view, cancel, move)."""
from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import func, select

from core.db import db
from core.outbox import OutboxMessage
from reservations import booking, month
from reservations import models as m
from tests.api.reserving import catalog, free_slot
from tests.conftest import csrf_from, fresh_client


def _html(r) -> str:
    return r.get_data(as_text=True)


def test_from_the_guide_one_service_goes_straight_to_the_site(client):
    r = client.get("/reserve?procedures=tennyu_todoke")
    assert r.status_code == 302 and r.location == "/reserve/tennyu?procedures=tennyu_todoke"
    page = _html(client.get(r.location))
    for name in ("加古川市役所（本庁舎）", "加古川市民センター", "東加古川市民総合サービスプラザ", "志方市民センター"):
        assert name in page
    assert client.get("/reserve/koseki_todoke").status_code == 302  # one site only: straight to the calendar


def test_several_services_are_booked_one_after_another(client):
    page = _html(client.get("/reserve?procedures=tennyu_todoke,kokuho_kanyu"))
    assert "1つずつ予約します" in page and "転入の手続き" in page and "国民健康保険の加入・脱退・変更" in page
    assert "児童手当" not in page
    r = client.get("/reserve?submit=1")
    assert r.status_code == 400 and "予約する手続きを選んでください。" in _html(r) and 'class="error-summary"' in _html(r)
    assert client.get("/reserve?service=kokuho&procedures=kokuho_kanyu").location.startswith("/reserve/kokuho")
    r = client.get("/reserve/tennyu?submit=1")
    assert r.status_code == 400 and "行く場所を選んでください。" in _html(r)
    assert client.get("/reserve/nope").status_code == 404
    assert client.get("/reserve/koseki_todoke/shikata_center").status_code == 404  # not offered there


def test_the_calendar_is_a_table_saying_what_each_day_is(client):
    page = _html(client.get("/reserve/tenshutsu/shiyakusho"))
    assert "<caption" in page and '<th scope="col"' in page
    assert "予約できます" in page and "土曜日は休み" in page
    assert re.search(r'href="/reserve/tenshutsu/shiyakusho/\d{4}-\d\d-\d\d"', page)


def test_holidays_and_the_year_end_are_closed_days_with_their_reason(app):
    cat = catalog()
    with app.app_context():
        before_gw = dt.datetime(2027, 4, 20, 1, tzinfo=dt.UTC)
        gw = month.day_state(cat, "tennyu", "shiyakusho", dt.date(2027, 5, 3), before_gw, "ja")
        assert gw.state == month.CLOSED and gw.closed_reason == "祝日（憲法記念日）"
        workday = month.day_state(cat, "tennyu", "shiyakusho", dt.date(2027, 5, 6), before_gw, "ja")
        assert workday.state == month.OPEN and workday.remaining > 0
        before_new_year = dt.datetime(2026, 12, 20, 1, tzinfo=dt.UTC)
        new_year = month.day_state(cat, "tennyu", "kakogawa_center", dt.date(2026, 12, 30), before_new_year, "ja")
        assert new_year.state == month.CLOSED and new_year.closed_reason == "年末年始"
        far = month.day_state(cat, "tennyu", "shiyakusho", dt.date(2027, 2, 1), before_new_year, "ja")
        assert far.state == month.OUT  # beyond the horizon


def _walk_to_details(client, slot, service="tenshutsu", site="shiyakusho"):
    url = f"/reserve/{service}/{site}/{slot.start.date().isoformat()}"
    page = _html(client.get(url))
    assert f'value="{slot.start.isoformat()}"' in page and "仮押さえ" in page
    key = re.search(r'name="hold_key" value="([^"]+)"', page).group(1)
    data = {"csrf_token": csrf_from(page), "start": slot.start.isoformat(), "hold_key": key}
    first = client.post(url, data=data)
    second = client.post(url, data=data)  # a double click
    assert first.status_code == second.status_code == 302 and first.location == second.location
    return first.location


def test_booking_from_start_to_the_number_and_qr_code(app):
    client = fresh_client(app)
    slot = free_slot(app)
    details = _walk_to_details(client, slot)
    number = details.split("/")[3]
    with app.app_context():
        r = booking.by_number(number)
        assert r.status == m.HELD
        assert db.session.scalar(select(func.count()).select_from(m.SeatClaim).where(m.SeatClaim.reservation_id == r.id)) == 1
    page = _html(client.get(details))
    assert "仮押さえしています" in page and "10分間" in page
    bad = client.post(details, data={"csrf_token": csrf_from(page), "name": "", "name_kana": "kakogawa",
                                     "email": "taro@", "phone": ""})
    text = _html(bad)
    assert bad.status_code == 400 and "お名前を入力してください。" in text and "カタカナで入力" in text
    assert 'value="kakogawa"' in text and 'value="taro@"' in text  # nothing typed is lost
    phone = "0794212345"
    email = "taro@example.jp"
    wide = phone[:3] + "－" + phone[3:6] + "－" + phone[6:]
    ok = client.post(details, data={"csrf_token": csrf_from(page), "name": "加古川 太郎", "name_kana": "かこがわ　たろう",
                                    "email": email, "phone": wide.translate(str.maketrans("0123456789", "０１２３４５６７８９"))})
    assert ok.status_code == 302
    confirm = _html(client.get(ok.location))
    assert "カコガワ タロウ" in confirm and phone in confirm and "変更" in confirm
    done = client.post(ok.location, data={"csrf_token": csrf_from(confirm)})
    assert done.status_code == 302 and done.location.endswith("/done")
    page = _html(client.get(done.location))
    assert number in page and "予約が完了しました" in page
    assert f'<svg role="img" aria-label="予約番号 {number} のQRコード"' in page
    assert f"{email} に、予約の確認のメールを送りました" in page and "転出証明書" not in page
    # an absolute link to the public site (its host is PUBLIC_BASE_URL's, as in the mail)
    manage = re.search(r'href="https?://[^/"]+(/reserve/manage/[^"]+)"', page).group(1)
    with app.app_context():
        assert booking.by_number(number).status == m.CONFIRMED
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)
                                 .where(OutboxMessage.dedupe_key == f"reservation-confirmed:{number}")) == 1
    # the manage link works in another browser; a bad one is 404
    other = fresh_client(app)
    assert number in _html(other.get(manage))
    assert other.get("/reserve/manage/nope").status_code == 404
    assert other.get(done.location).status_code == 404  # the done page is this browser's only


def test_an_expired_hold_says_so_and_offers_the_calendar(app):
    client = fresh_client(app)
    slot = free_slot(app)
    details = _walk_to_details(client, slot)
    number = details.split("/")[3]
    with app.app_context():
        r = booking.by_number(number)
        db.session.execute(m.SeatClaim.__table__.delete().where(m.SeatClaim.reservation_id == r.id))
        r.status = m.EXPIRED
        db.session.commit()
    r = client.get(details)
    assert r.status_code == 410 and "仮押さえの時間が過ぎました" in _html(r)
    assert 'href="/reserve/tenshutsu/shiyakusho"' in _html(r)


def test_choosing_another_time_gives_the_first_hold_back(app):
    client = fresh_client(app)
    first, second = free_slot(app), free_slot(app)
    one = _walk_to_details(client, first).split("/")[3]
    _walk_to_details(client, second)
    with app.app_context():
        assert booking.by_number(one).status == m.EXPIRED


def _book(app, client, slot):
    details = _walk_to_details(client, slot)
    page = _html(client.get(details))
    ok = client.post(details, data={"csrf_token": csrf_from(page), "name": "加古川 花子", "name_kana": "カコガワ ハナコ",
                                    "email": "hanako@example.jp", "phone": ""})
    client.post(ok.location, data={"csrf_token": csrf_from(_html(client.get(ok.location)))})
    done = _html(client.get(ok.location.replace("/confirm", "/done")))
    return details.split("/")[3], re.search(r'href="https?://[^/"]+(/reserve/manage/[^"]+)"', done).group(1)


def test_cancel_from_the_manage_link(app):
    client = fresh_client(app)
    slot = free_slot(app)
    number, manage = _book(app, client, slot)
    page = _html(client.get(manage))
    assert "予約を取り消す" in page and "日時を変更する" in page and "<svg" in page
    confirm = _html(client.get(manage + "/cancel"))
    assert "予約を取り消しますか" in confirm and number in confirm
    done = client.post(manage + "/cancel", data={"csrf_token": csrf_from(confirm)})
    assert done.status_code == 200 and "予約を取り消しました" in _html(done)
    assert "取り消し済み" in _html(client.get(manage))
    with app.app_context():
        assert booking.by_number(number).status == m.CANCELLED
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)
                                 .where(OutboxMessage.dedupe_key == f"reservation-cancelled:{number}")) == 1


def test_move_from_the_manage_link_keeps_the_old_place_when_the_new_one_is_full(app):
    client = fresh_client(app)
    slot, target = free_slot(app), free_slot(app)
    number, manage = _book(app, client, slot)
    days = _html(client.get(manage + "/move"))
    assert "予約の変更" in days and "<caption" in days
    url = f"{manage}/move/{target.start.date().isoformat()}"
    page = _html(client.get(url))
    assert f'value="{target.start.isoformat()}"' in page
    with app.app_context():  # others take the target meanwhile
        for i in range(3):
            booking.book(catalog(), "tenshutsu", "shiyakusho", target.start, name="他 人", name_kana="タ ニン",
                         email=f"other{i}@example.jp", phone=None)
        db.session.commit()
    r = client.post(url, data={"csrf_token": csrf_from(page), "start": target.start.isoformat()})
    assert r.status_code == 400 and "いっぱいになりました" in _html(r)
    with app.app_context():
        assert booking.by_number(number).status == m.CONFIRMED
    other = free_slot(app)
    url = f"{manage}/move/{other.start.date().isoformat()}"
    page = _html(client.get(url))
    r = client.post(url, data={"csrf_token": csrf_from(page), "start": other.start.isoformat()})
    assert r.status_code == 302 and "changed=1" in r.location
    moved = _html(client.get(r.location))
    assert "予約の日時を変更しました" in moved
    old = _html(client.get(manage))
    assert "この予約は変更されました" in old


def test_services_at_one_counter_are_one_visit_with_their_minutes_added(client):
    """転入 and 世帯主変更 are done at the same window: no choice page, one visit of 45 + 15 minutes."""
    r = client.get("/reserve?procedures=tennyu_todoke,setainushi_henko")
    assert r.status_code == 302 and r.location.startswith("/reserve/tennyu?")
    day = dt.date(2026, 12, 7)
    with client.application.app_context():
        one = booking.availability(catalog(), "tennyu", "shiyakusho", day,
                                   now=dt.datetime(2026, 12, 1, tzinfo=dt.UTC))
        both = booking.availability(catalog(), "tennyu", "shiyakusho", day,
                                    now=dt.datetime(2026, 12, 1, tzinfo=dt.UTC),
                                    procedures=["tennyu_todoke", "setainushi_henko"])
    assert both[0].slot.end - both[0].slot.start == dt.timedelta(minutes=60)
    assert one[-1].slot.start > both[-1].slot.start
