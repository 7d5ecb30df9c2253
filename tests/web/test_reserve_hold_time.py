"""The hold's time limit on the resident's pages (WCAG 2.2.1; SQLite and PostgreSQL): the end in
Japan time and an extend button that work without a script, the JSON the script reads, refusals
(another browser, no CSRF token, past the most, ran out) that keep what was typed, and what was
typed coming back after the hold ran out, in the resident's language."""
from __future__ import annotations

import datetime as dt
import re

from core.db import db
from core.japan_time import JST
from reservations import booking
from reservations import models as m
from tests.api.reserving import catalog, free_slot
from tests.conftest import csrf_from, fresh_client
from tests.web.test_reserve_flow import _walk_to_details

TYPED = {"name": "加古川 太郎", "name_kana": "カコガワ タロウ", "email": "taro@", "phone": ""}  # the e-mail unfinished


def _html(r) -> str:
    return r.get_data(as_text=True)


def _hold(app, number: str) -> m.Reservation:
    with app.app_context():
        r = booking.by_number(number)
        db.session.expunge(r)
        return r


def _until(app, number: str) -> str:
    end = booking.aware(_hold(app, number).hold_expires_at).astimezone(JST)
    return f"{end.hour}:{end.minute:02d}"


def _started(app):
    client = fresh_client(app)
    details = _walk_to_details(client, free_slot(app))
    return client, details, details.split("/")[3]


def test_the_page_says_when_the_hold_ends_and_its_button_extends_it_keeping_what_was_typed(app):
    client, details, number = _started(app)
    page = _html(client.get(details))
    extend = details.replace("/details", "/extend")
    assert f"仮押さえは <span data-hold-time>{_until(app, number)}</span>（日本時間）までです。" in page
    assert "あと10回延ばせます" in page and 'role="alert"' in page and 'role="status"' in page
    # the form's second button: Enter in a field still means 確認へ進む
    buttons = re.findall(r"<button[^>]*>[^<]*</button>", page.split("data-hold-form", 1)[1])
    assert "確認へ進む" in buttons[0] and f'formaction="{extend}"' in buttons[1] and "仮押さえを延ばす" in buttons[1]
    first_end = _hold(app, number).hold_expires_at
    app_clock_skip = dt.timedelta(minutes=8)
    with app.app_context():  # 8 minutes on: the extension counts from now, not from the old end
        r = booking.by_number(number)
        r.hold_expires_at = booking.aware(r.hold_expires_at) - app_clock_skip
        db.session.commit()
    done = client.post(extend, data={"csrf_token": csrf_from(page), **TYPED})
    text = _html(done)
    assert done.status_code == 200 and "仮押さえを延ばしました。" in text
    assert 'value="加古川 太郎"' in text and 'value="taro@"' in text  # nothing typed is lost
    held = _hold(app, number)
    assert held.hold_extensions == 1 and held.status == m.HELD
    assert booking.aware(held.hold_expires_at) > booking.aware(first_end) - app_clock_skip
    assert f"<span data-hold-time>{_until(app, number)}</span>" in text and "あと9回延ばせます" in text
    assert held.name is None  # typed, not yet checked: not stored on the hold


def test_the_script_gets_json_and_others_get_nothing(app):
    client, details, number = _started(app)
    page = _html(client.get(details))
    extend = details.replace("/details", "/extend")
    r = client.post(extend, data={"csrf_token": csrf_from(page)}, headers={"Accept": "application/json"})
    assert r.status_code == 200
    body = r.get_json()
    assert body["until"] == _until(app, number) and body["extensions_left"] == 9
    assert 0 < body["seconds_left"] <= catalog().rules.hold_minutes * 60
    other, its_details, _ = _started(app)  # another browser, with a hold of its own: as if there were no such hold
    other_page = _html(other.get(its_details))
    assert other.post(extend, data={"csrf_token": csrf_from(other_page)}).status_code == 404
    refused = other.post(extend, data={"csrf_token": csrf_from(other_page)}, headers={"Accept": "application/json"})
    assert refused.status_code == 404 and refused.get_json()["error"]["code"] == "not_found"
    assert client.post(extend, data={}).status_code == 400  # no CSRF token
    assert _hold(app, number).hold_extensions == 1


def test_past_the_most_extensions_the_page_says_so_and_keeps_what_was_typed(app):
    client, details, number = _started(app)
    page = _html(client.get(details))
    with app.app_context():
        r = booking.by_number(number)
        r.hold_extensions = catalog().rules.hold_extensions
        db.session.commit()
    assert "仮押さえを延ばす" not in _html(client.get(details))  # no button left to press
    refused = client.post(details.replace("/details", "/extend"), data={"csrf_token": csrf_from(page), **TYPED})
    text = _html(refused)
    assert refused.status_code == 409 and "仮押さえは、これ以上延ばせません。10回まで延ばせます。" in text
    assert 'value="カコガワ タロウ"' in text and 'value="taro@"' in text


def _run_out(app, number: str, *, release: bool) -> None:
    with app.app_context():
        r = booking.by_number(number)
        r.hold_expires_at = booking.now_utc() - dt.timedelta(seconds=1)
        if release:  # someone else's hold gave its place back already
            db.session.execute(m.SeatClaim.__table__.delete().where(m.SeatClaim.reservation_id == r.id))
            r.status = m.EXPIRED
        db.session.commit()


def test_what_was_typed_when_the_hold_ran_out_comes_back_on_the_form(app):
    client, details, number = _started(app)
    page = _html(client.get(details))
    _run_out(app, number, release=True)
    gone = client.post(details, data={"csrf_token": csrf_from(page), **TYPED})
    text = _html(gone)
    assert gone.status_code == 410 and "仮押さえの時間が過ぎました" in text
    assert "入力した内容は残してあります。" in text
    again = re.search(r'href="(/reserve/tenshutsu/shiyakusho[^"]*)"', text).group(1)
    assert again.startswith("/reserve/tenshutsu/shiyakusho")
    second = _walk_to_details(client, free_slot(app))
    assert "kept=1" in second
    form = _html(client.get(second))
    assert "前に入力した内容を入れてあります" in form
    assert 'value="加古川 太郎"' in form and 'value="カコガワ タロウ"' in form and 'value="taro@"' in form
    # kept as typed, not checked: 確認 sends it back to the form until it is right
    confirm = client.get(second.split("?")[0].replace("/details", "/confirm"))
    assert confirm.status_code == 302 and "/details" in confirm.location


def test_an_extension_refused_because_the_time_ran_out_keeps_what_was_typed(app):
    client, details, number = _started(app)
    page = _html(client.get(details))
    _run_out(app, number, release=False)  # past its time, its seat not yet taken
    gone = client.post(details.replace("/details", "/extend"), data={"csrf_token": csrf_from(page), **TYPED})
    assert gone.status_code == 410 and "入力した内容は残してあります。" in _html(gone)
    held = _hold(app, number)
    assert held.status == m.EXPIRED and held.name == "加古川 太郎" and held.email == "taro@"
    with app.app_context():
        assert db.session.query(m.SeatClaim).filter_by(reservation_id=held.id).count() == 0  # its place given back


def test_the_time_limit_words_are_in_the_residents_language(app):
    client, details, number = _started(app)
    page = _html(client.get(details + "?lang=en"))
    assert "Japan time" in page and "Extend the hold" in page
    _run_out(app, number, release=True)
    gone = _html(client.post(details + "?lang=en", data={"csrf_token": csrf_from(page), **TYPED}))
    assert "What you entered has been kept" in gone
