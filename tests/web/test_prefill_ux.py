"""The 事前入力 pages as a new user on a phone meets them (issue 14's 375 px walk): 次へ without a
change keeps the household sent, a real change says it must be sent again, and the rest of the
walk's findings, each pinned here."""
from __future__ import annotations

import datetime as dt
import re

from core import policy
from core.db import db
from core.japan_time import JST
from core.qr import labelled_qr
from reservations import links, prefill
from reservations import models as m
from reservations import visit as visits
from tests.conftest import csrf_from, fresh_client
from tests.web.prefill_helpers import HOUSEHOLD, fill, make_visit
from tests.web.test_visit_pages import QUERY, _to_details


def member_form(members) -> dict[str, str]:
    form = {"members": str(len(members))}
    for i, row in enumerate(prefill.rows_of(members)):
        form.update({f"m{i}-{k}": v for k, v in row.items()})
    return form


def status(app, number):
    with app.app_context():
        record = prefill.of_visit(visits.by_number(number))
        return record.status, prefill.needs_resend(record)


def test_next_without_a_change_keeps_it_sent_and_a_change_says_send_again(app):
    number, token = make_visit(app)
    fill(app, number)
    client = fresh_client(app)
    base = f"/reserve/visit/{token}/prefill"
    page = client.get(base + "/members").get_data(as_text=True)
    r = client.post(base + "/members", data={"csrf_token": csrf_from(page), **member_form(HOUSEHOLD["members"]),
                                             "action": "continue"})
    assert r.status_code == 302
    assert status(app, number) == (prefill.SHARED, False)
    assert "変更したため" not in client.get(base + "/check").get_data(as_text=True)

    changed = [dict(HOUSEHOLD["members"][0], given_name="一郎"), HOUSEHOLD["members"][1]]
    r = client.post(base + "/members", data={"csrf_token": csrf_from(page), **member_form(changed),
                                             "action": "continue"})
    assert r.status_code == 302
    assert status(app, number) == (prefill.DRAFT, True)
    for url in (base + "/check", base, f"/reserve/visit/{token}/progress"):
        assert "もう一度「窓口に送る」を押す" in client.get(url).get_data(as_text=True), url
    check = client.get(base + "/check").get_data(as_text=True)
    client.post(base + "/share", data={"csrf_token": csrf_from(check)})
    assert status(app, number) == (prefill.SHARED, False)
    assert "変更したため" not in client.get(base).get_data(as_text=True)


def test_a_first_draft_is_not_said_to_need_sending_again(app):
    number, token = make_visit(app)
    fill(app, number, shared=False)
    assert status(app, number) == (prefill.DRAFT, False)
    assert "変更したため" not in fresh_client(app).get(f"/reserve/visit/{token}/prefill").get_data(as_text=True)


def test_the_relationship_says_wife_or_husband_from_the_sex(app, staff_client):
    number, token = make_visit(app)
    fill(app, number)  # 花子: spouse, female
    check = fresh_client(app).get(f"/reserve/visit/{token}/prefill/check").get_data(as_text=True)
    assert "女・妻" in check and "妻・夫" not in check and "男・世帯主" in check
    html = staff_client(policy.COUNTER).get(f"/staff/visits/{number}").get_data(as_text=True)
    row = re.search(r"2人目・続柄</th><td>(.*?)</td>", html).group(1)
    assert row == "妻"
    assert prefill.relationship_word("spouse", "male") == "夫" and prefill.relationship_word("spouse") == "妻・夫"


def test_the_sex_is_asked_with_no_default_and_no_answer_is_an_explicit_choice(app):
    number, token = make_visit(app)
    client = fresh_client(app)
    url = f"/reserve/visit/{token}/prefill/members"
    page = client.get(url).get_data(as_text=True)
    assert re.search(r'name="m0-sex"[^>]*checked', page) is None  # nothing chosen for the resident
    row = {k: v for k, v in member_form(HOUSEHOLD["members"][:1]).items()}
    row["m0-sex"] = ""
    r = client.post(url, data={"csrf_token": csrf_from(page), **row, "action": "continue"})
    assert r.status_code == 422 and "性別を選んでください" in r.get_data(as_text=True)
    row["m0-sex"] = "none"
    r = client.post(url, data={"csrf_token": csrf_from(page), **row, "action": "continue"})
    assert r.status_code == 302
    with app.app_context():
        assert prefill.household(prefill.of_visit(visits.by_number(number)))["members"][0]["sex"] == ""
    again = client.get(url).get_data(as_text=True)  # the saved 回答しない shows chosen
    assert re.search(r'value="none"[^>]*checked', again)


def test_adding_a_person_returns_to_the_new_persons_fieldset_with_its_first_box_focused(app):
    _number, token = make_visit(app)
    client = fresh_client(app)
    url = f"/reserve/visit/{token}/prefill/members"
    page = client.get(url).get_data(as_text=True)
    add = re.search(r'<button[^>]*value="add"[^>]*>', page).group(0)
    assert f'formaction="{url}#person-2"' in add  # the page after the post opens at the new fieldset
    r = client.post(url, data={"csrf_token": csrf_from(page), **member_form(HOUSEHOLD["members"][:1]), "action": "add"})
    body = r.get_data(as_text=True)
    assert 'id="person-2"' in body
    assert re.search(r'<input[^>]*id="m1-family_name"[^>]*autofocus', body)
    assert len(re.findall(r"\sautofocus[\s>]", body)) == 1
    assert f'formaction="{url}#person-3"' in body


ADDRESSES = {"previous-postcode": "100-0001", "previous-address": "東京都千代田区千代田1-1", "previous-building": "",
             "previous-head_name": "", "new-postcode": "675-0000", "new-address": "兵庫県テスト市1-2-3",
             "new-building": "", "new-head_name": ""}


def test_enter_in_a_postcode_box_looks_that_address_up_and_errors_name_the_address(app):
    number, token = make_visit(app)
    fill(app, number, shared=False)
    client = fresh_client(app)
    url = f"/reserve/visit/{token}/prefill/addresses"
    page = client.get(url).get_data(as_text=True)
    first = re.search(r'<button[^>]*type="submit"[^>]*>', page).group(0)
    assert 'value="enter"' in first  # Enter presses the form's first submit button
    lookup = re.search(r'<button[^>]*value="lookup-new"[^>]*>', page).group(0)
    assert f'formaction="{url}#address-new"' in lookup and 'id="address-new"' in page

    # Enter in the new postcode box (its address still empty): the lookup, not 次へ
    r = client.post(url, data={"csrf_token": csrf_from(page), **ADDRESSES, "new-postcode": "1000001",
                               "new-address": "", "action": "enter"})
    body = r.get_data(as_text=True)
    assert r.status_code == 200 and 'value="東京都千代田区千代田"' in body
    assert re.search(r'<input[^>]*id="new-address"[^>]*autofocus', body)  # back at that address
    # Enter with everything filled: 次へ
    r = client.post(url, data={"csrf_token": csrf_from(page), **ADDRESSES, "action": "enter"})
    assert r.status_code == 302 and r.location.endswith("/details")

    r = client.post(url, data={"csrf_token": csrf_from(page), **ADDRESSES, "previous-address": "",
                               "new-address": "", "previous-postcode": "", "new-postcode": "", "action": "continue"})
    body = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "前の住所を入力してください。" in body and "新しい住所を入力してください。" in body
    assert "前の住所の郵便番号を7桁" in body and "新しい住所の郵便番号を7桁" in body
    assert "「住所を入力してください。" not in body


def test_an_unknown_postcode_names_the_address(app):
    with app.test_request_context():
        typed = {"postcode": "0000000", "address": ""}
        assert prefill.look_up(typed, "new", "ja") == (
            False, [("new-postcode", "新しい住所の郵便番号の住所が見つかりません。郵便番号を確かめてください。")])
        assert prefill.to_look_up({"previous": {"postcode": "1000001", "address": "x"},
                                   "new": {"postcode": "1000001", "address": ""}}) == ["new"]


def test_the_start_page_lists_every_step_as_a_link_with_its_status(app):
    number, token = make_visit(app)
    client = fresh_client(app)
    base = f"/reserve/visit/{token}/prefill"

    def step_list():
        html = client.get(base).get_data(as_text=True)
        items = re.findall(r'<li class="task-list__item">\s*<a class="task-list__link" href="([^"]+)"[^>]*>([^<]+)</a>'
                           r'\s*<span[^>]*>([^<]+)</span>', html)
        return [(href.removeprefix(base), label, status) for href, label, status in items]

    assert step_list() == [("/members", "引っ越す人", "まだ入力していません"),
                           ("/addresses", "前の住所と新しい住所", "まだ入力していません"),
                           ("/details", "引っ越しの日と電話番号", "まだ入力していません"),
                           ("/check", "確認して窓口に送る", "まだ送っていません")]
    fill(app, number)
    assert [s for *_x, s in step_list()] == ["入力済み", "入力済み", "入力済み", "窓口に送りました"]
    with app.app_context():
        prefill.save_part(visits.by_number(number), {"phone": "0311112222"})
    assert step_list()[3][2] == "もう一度送ってください"


def test_the_progress_page_shows_the_day_and_times_and_no_next_before_the_day(app):
    later = dt.datetime.now(JST).date() + dt.timedelta(days=5)
    _number, token = make_visit(app, day=later)
    html = fresh_client(app).get(f"/reserve/visit/{token}/progress").get_data(as_text=True)
    assert "予約日：" in html and f"{later.month}月{later.day}日" in html
    assert "次はここです" not in html and "10:00" in html and "10:30" in html
    _number, token = make_visit(app)  # today: the first counter is next
    html = fresh_client(app).get(f"/reserve/visit/{token}/progress").get_data(as_text=True)
    assert "次はここです" in html and "予約日：" in html


def test_a_cancelled_stop_is_not_in_the_progress_nor_blocks_the_next_counter(app):
    number, _token = make_visit(app, stops=(("shimin_ido", "tennyu_todoke"), ("kokuho", "kokuho_kanyu"),
                                            ("kosodate", "jido_teate")))
    fill(app, number)
    with app.app_context():
        visit = visits.by_number(number)
        first, second, _third = visits.stops(visit)
        second.status = m.CANCELLED
        first.done_at = dt.datetime.now(dt.UTC)
        db.session.commit()
        rows = prefill.progress(visit)
        assert [r["stop"].counter_id for r in rows] == ["shimin_ido", "kosodate"]
        assert [r["state"] for r in rows] == ["done", "next"]
        coming = prefill.coming_next(["kosodate"], visit.day)
        assert [v.number for v, _s in coming] == [number]


def test_print_opens_a_new_tab_and_the_counter_lists_names(app, staff_client):
    number, _token = make_visit(app)
    other, _t = make_visit(app)
    fill(app, number)  # sent: the head's name from the household
    staff = staff_client(policy.COUNTER)
    html = staff.get(f"/staff/visits/{number}").get_data(as_text=True)
    link = re.search(r'<a[^>]*href="[^"]*/forms\.pdf"[^>]*>.*?</a>', html, re.S).group(0)
    assert 'target="_blank"' in link and 'rel="noopener"' in link and "新しいタブで開きます" in link
    index = staff.get("/staff/visits/").get_data(as_text=True)
    expected = re.search(r'<table[^>]*id="expected-shimin_ido".*?</table>', index, re.S).group(0)
    assert re.search(rf"{number}</a></td><td>山田 太郎</td>", expected)
    assert re.search(rf"{other}</a></td><td>山田太郎</td>", expected)  # no household: the booking name


def test_every_qr_code_of_a_visit_is_the_same_the_counter_url(app):
    number, token = make_visit(app)
    fill(app, number)
    client = fresh_client(app)
    ready = client.get(f"/reserve/visit/{token}/prefill/ready").get_data(as_text=True)
    manage = client.get(f"/reserve/visit/manage/{token}").get_data(as_text=True)
    with app.test_request_context():
        url = links.visit_counter_url(number)
        expected = str(labelled_qr(url, "x", "reserve-qr__image"))
    assert url.endswith(f"/staff/visits/{number}")
    drawn = re.compile(r'class="qrline"[^>]* d="([^"]+)"')
    assert drawn.search(ready).group(1) == drawn.search(manage).group(1) == drawn.search(expected).group(1)
    for html in (ready, manage):
        assert "同じです" in html


def test_the_itinerary_lists_what_it_cannot_book_with_where_to_go(app):
    from guide.presenter import visit_booking
    card = lambda pid, ok: {"id": pid, "reserve": {"available": ok}}  # noqa: E731
    vb = visit_booking([{"procedures": [card("tennyu_todoke", True), card("gakko_tennyugaku", False)]},
                        {"procedures": [card("kokuho_kanyu", True)]}])
    assert vb["procedures"] == "tennyu_todoke,kokuho_kanyu" and vb["others"] == "gakko_tennyugaku"
    html = fresh_client(app).get("/reserve/visit?procedures=tennyu_todoke,kokuho_kanyu"
                                 "&others=gakko_tennyugaku,not_a_procedure").get_data(as_text=True)
    section = html.split("予約できない手続き", 1)[1].split("</ul>", 1)[0]
    assert "小・中学校の転入学手続" in section and "行く窓口：学務課（教育委員会） 学務課 窓口" in section
    assert section.count("<li") == 1  # an id the guide does not know is left out
    plain = fresh_client(app).get("/reserve/visit?procedures=tennyu_todoke,kokuho_kanyu").get_data(as_text=True)
    assert "予約できない手続き" not in plain


def test_a_second_visit_that_day_is_refused_when_the_day_is_chosen(app):
    client = fresh_client(app)
    details_url = _to_details(client)
    page = client.get(details_url).get_data(as_text=True)
    person = {"csrf_token": csrf_from(page), "name": "加古川 花子", "name_kana": "カコガワ ハナコ",
              "email": "family@example.jp", "phone": ""}
    r = client.post(details_url, data=person)
    confirm_page = client.get(r.location).get_data(as_text=True)
    r = client.post(r.location, data={"csrf_token": csrf_from(confirm_page)})
    assert r.status_code == 302 and "/done" in r.location
    with app.app_context():
        first = db.session.query(m.Visit).one()
        day = first.day
        token = links.visit_manage_token(first.number)
    # the same browser chooses that day again: told at once, with the way to the booked visit
    day_url = f"/reserve/visit/day/{day.isoformat()}?{QUERY}"
    times = client.get(day_url)
    html = times.get_data(as_text=True)
    assert "この日には、まとめて予約がすでにあります" in html and f'href="/reserve/visit/manage/{token}"' in html
    assert 'name="start"' not in html
    refused = client.post(day_url, data={"csrf_token": csrf_from(confirm_page), "start": first.start.isoformat()})
    assert refused.status_code == 400
    with app.app_context():
        assert db.session.query(m.Visit).count() == 1
    # another browser (the same person) is refused at 予約する, told how to find the visit
    other = fresh_client(app)
    details_url = _to_details(other)
    page = other.get(details_url).get_data(as_text=True)
    r = other.post(details_url, data={**person, "csrf_token": csrf_from(page)})
    with app.app_context():
        second = db.session.query(m.Visit).filter(m.Visit.id != first.id).one()
        assert second.day == day  # the first day offered, as for the first browser
    confirm_page = other.get(r.location).get_data(as_text=True)
    r = other.post(r.location, data={"csrf_token": csrf_from(confirm_page)})
    body = r.get_data(as_text=True)
    assert r.status_code == 409 and "届いたメールのリンク" in body


def test_the_forms_post_to_their_page_without_an_anchor(app):
    _number, token = make_visit(app)
    fill(app, _number, shared=False)
    client = fresh_client(app)
    for part in ("members", "addresses"):
        url = f"/reserve/visit/{token}/prefill/{part}"
        assert f'<form method="post" action="{url}" novalidate>' in client.get(url).get_data(as_text=True)
