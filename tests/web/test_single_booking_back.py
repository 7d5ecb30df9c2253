"""A single booking started from a card of a guide result (「窓口を予約」) leads back to that result:
the card's link carries the result's own address (``back``), every step keeps it and shows the
way back, and the done page and the booking's page link to exactly that result. Only a same-site
/guide/<event>/result address is carried (reservations.links.safe_back); any other is dropped."""
from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from tests.conftest import csrf_from, fresh_client

RESULT = "/guide/moving_in/result?date=2026-12-01&n=2&m0.relation=self&m0.age=35&m1.relation=child&m1.age=3"
WORDS = "手続きガイドの結果にもどる"


def _html(r) -> str:
    return r.get_data(as_text=True)


def _links(page: str, pattern: str) -> list[str]:
    return [html.unescape(u) for u in re.findall(rf'href="({pattern}[^"]*)"', page)]


def _back_links(page: str) -> list[str]:
    """Where the page's 「手続きガイドの結果にもどる」 links go."""
    return [html.unescape(u) for u in re.findall(rf'<a href="([^"]*)">{WORDS}</a>', page)]


def _back_of(url: str) -> str | None:
    return parse_qs(urlsplit(url).query).get("back", [None])[0]


def _card_link(client) -> tuple[str, str]:
    """The first card's 「窓口を予約」 link of the result, and the result's address it carries."""
    page = _html(client.get(RESULT))
    links = _links(page, r"/reserve\?procedures=")
    assert links, "no 窓口を予約 link on the result"
    back = _back_of(links[0])
    return links[0], back


def test_the_result_cards_booking_links_carry_the_results_address(client):
    page = _html(client.get(RESULT))
    links = _links(page, r"/reserve\?procedures=")
    assert len(links) >= 2
    for link in links:
        back = _back_of(link)
        assert back is not None and urlsplit(back).path == "/guide/moving_in/result"
        assert parse_qs(urlsplit(back).query) == parse_qs(urlsplit(RESULT).query)  # the answers, nothing more
    other = _links(_html(client.get(RESULT.replace("m1.age=3", "m1.age=4"))), r"/reserve\?procedures=")
    assert "m1.age=4" in _back_of(other[0])  # each result its own (the card's fragment holds no address)


def _hidden(page: str) -> dict[str, str]:
    return {k: html.unescape(v) for k, v in re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"', page)}


def _to_calendar(client, link: str, back: str | None) -> str:
    """From the card's link to the month calendar: each step keeps ``back`` (the place is chosen
    on its form, which carries it too) and shows the way back."""
    r = client.get(link)
    while r.status_code == 302:
        assert _back_of(r.location) == back
        r = client.get(r.location)
    page = _html(r)
    if 'name="site"' in page:  # several places: the first one
        assert _back_links(page) == ([back] if back else []) and _hidden(page).get("back") == back
        action = html.unescape(re.search(r'<form method="get" action="([^"]+)"', page).group(1))
        site = re.search(r'name="site" value="([^"]+)"', page).group(1)
        r = client.get(action, query_string={**_hidden(page), "site": site})
        while r.status_code == 302:
            assert _back_of(r.location) == back
            r = client.get(r.location)
        page = _html(r)
    assert r.status_code == 200 and "<caption" in page
    return page


def test_each_step_keeps_the_result_and_the_done_page_leads_back_to_it(app):
    client = fresh_client(app)
    link, back = _card_link(client)
    days = _to_calendar(client, link, back)
    assert _back_links(days) == [back]
    day_urls = _links(days, r"/reserve/[a-z_]+/[a-z_]+/\d{4}-\d\d-\d\d")
    assert day_urls and all(_back_of(u) == back for u in day_urls)
    times = _html(client.get(day_urls[0]))
    assert _back_links(times) == [back]
    start = re.findall(r'name="start" value="([^"]+)"', times)[0]
    key = re.search(r'name="hold_key" value="([^"]+)"', times).group(1)
    r = client.post(day_urls[0], data={"csrf_token": csrf_from(times), "start": start, "hold_key": key})
    assert r.status_code == 302 and _back_of(r.location) == back
    details_url = r.location
    details = _html(client.get(details_url))
    assert _back_links(details) == [back]
    r = client.post(details_url, data={"csrf_token": csrf_from(details), "name": "加古川 花子",
                                       "name_kana": "カコガワ ハナコ", "email": "", "phone": "079-421-2000"})
    assert r.status_code == 302 and _back_of(r.location) == back
    confirm_url = r.location
    confirm = _html(client.get(confirm_url))
    assert _back_links(confirm) == [back]
    r = client.post(confirm_url, data={"csrf_token": csrf_from(confirm)})
    assert r.status_code == 302 and _back_of(r.location) == back
    done = _html(client.get(r.location))
    assert "予約が完了しました" in done and _back_links(done) == [back]
    assert urlsplit(back).path == urlsplit(RESULT).path and parse_qs(urlsplit(back).query) == parse_qs(urlsplit(RESULT).query)
    manage_url = urlsplit(_links(done, r"https?://[^/\"]+/reserve/manage/")[0])  # absolute (PUBLIC_BASE_URL)
    manage = _html(client.get(f"{manage_url.path}?{manage_url.query}"))
    assert "予約の確認" in manage and _back_links(manage) == [back]


@pytest.mark.parametrize("foreign", ["https://evil.example/", "//evil", "/staff/", "/guide/moving_in",
                                     "/guide/../staff/", "/guide/moving_in/result.ics?date=2026-12-01",
                                     "javascript:alert(1)"])
def test_a_foreign_or_non_result_address_is_dropped_silently(app, foreign):
    client = fresh_client(app)
    link, _ = _card_link(client)
    link = re.sub(r"back=[^&]*", "back=" + quote(foreign, safe=""), link)
    days = _to_calendar(client, link, None)
    assert WORDS not in days and "evil" not in days and "/staff/" not in days
    day_url = _links(days, r"/reserve/[a-z_]+/[a-z_]+/\d{4}-\d\d-\d\d")[0]
    assert "back=" not in day_url
    times = client.get(f"{day_url}&back={quote(foreign, safe='')}")  # typed into a step's address
    page = _html(times)
    assert times.status_code == 200 and WORDS not in page and _back_links(page) == []
    assert not re.search(r'(href|value)="(https?:)?//evil|(href|value)="/staff/|name="back"', page)
    start = re.findall(r'name="start" value="([^"]+)"', page)[0]
    key = re.search(r'name="hold_key" value="([^"]+)"', page).group(1)
    r = client.post(f"{day_url}&back={quote(foreign, safe='')}",
                    data={"csrf_token": csrf_from(page), "start": start, "hold_key": key})
    assert r.status_code == 302 and "back=" not in r.location  # dropped, not carried on
