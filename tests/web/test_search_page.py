"""The search page /search (works without JavaScript), the link to it in every page's header, and
the curators' page of searches that found nothing (/staff/search-misses)."""
import datetime as dt
import re

import pytest

from core.db import db
from guide.search_misses import miss_words, record_miss


def test_every_page_header_links_to_search(client):
    for url in ("/guide/", "/guide/moving_in", "/apply", "/reserve", "/accessibility"):
        html = client.get(url, follow_redirects=True).get_data(as_text=True)
        assert re.search(r'<header class="site-header">.*href="/search".*</header>', html, re.S), url


def test_the_form_works_without_javascript(client):
    html = client.get("/search").get_data(as_text=True)
    assert '<form class="search-form" role="search" method="get" action="/search"' in html
    assert 'name="q"' in html and "<ol class=\"search-results\">" not in html
    r = client.get("/search", query_string={"q": "かりなんばー"})
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "「かりなんばー」の検索結果" in html
    first = re.search(r'<a class="search-results__link" href="([^"]+)">([^<]+)</a>', html)
    assert first.groups() == ("/procedures/rinji_unko", "自動車臨時運行許可申請")
    assert 'href="/apply/rinji_unko"' in html
    assert 'value="かりなんばー"' in html  # the box keeps what was typed


def test_the_page_in_english(client):
    html = client.get("/search", query_string={"q": "hanko", "lang": "en"}).get_data(as_text=True)
    assert 'Results for &#34;hanko&#34;' in html or 'Results for "hanko"' in html
    assert "Seal registration" in html


def test_nothing_found_says_so_and_points_to_the_life_events(client):
    html = client.get("/search", query_string={"q": "qzxqzxqzx"}).get_data(as_text=True)
    assert "見つかりませんでした" in html and 'href="/guide/"' in html


def test_a_refused_query_shows_the_error_next_to_the_box(client):
    r = client.get("/search", query_string={"q": "あ" * 101})
    assert r.status_code == 400
    html = r.get_data(as_text=True)
    assert "検索する言葉は100文字以内で入力してください。" in html
    assert 'aria-invalid="true"' in html and 'href="#search-q"' in html


def test_suggestions_script_is_loaded_with_the_pages_nonce(client):
    html = client.get("/search").get_data(as_text=True)
    assert re.search(r'<script src="/static/js/search\.js" nonce="[^"]+" defer>', html)
    assert 'data-search-api="/api/v1/search"' in html
    r = client.get("/static/js/search.js")
    assert r.status_code == 200
    r.close()


@pytest.mark.parametrize("query, kept", [
    ("カリナンバー", "かりなんばー"), ("  Hanko  ", "hanko"), ("住民票　コンビニ", "住民票 こんびに"),
    ("090-1234-5678", None), ("０９０１２３４５６７８", None), ("taro@example.jp", None), ("1234 5678 9012", None),
    ("〒675-8501", None), ("www.example.jp", None), ("http://x", None), ("75歳", "75歳"), ("2026年", None), ("", None),
])
def test_only_words_that_name_no_one_are_kept(query, kept):
    assert miss_words(query) == kept


def test_curators_and_administrators_read_the_searches_that_found_nothing(app, staff_client):
    with app.app_context():
        for _ in range(3):
            record_miss("ﾃﾞﾝｼｬ ﾃｲｷ", day=dt.date(2026, 11, 20))
        record_miss("ごみ", day=dt.date(2026, 11, 21))
        record_miss("ごみ", day=dt.date(2026, 11, 22))
    for role in ("curator", "admin"):
        client = staff_client(role)
        r = client.get("/staff/search-misses/", query_string={"from": "2026-11-01", "to": "2026-11-30"})
        assert r.status_code == 200, role
        html = r.get_data(as_text=True)
        rows = re.findall(r'<tr><th scope="row" lang="ja">([^<]+)</th><td class="numeric">(\d+)</td><td>([\d-]+)</td></tr>', html)
        assert rows == [("でんしゃ ていき", "3", "2026-11-20"), ("ごみ", "2", "2026-11-22")]
        home = client.get("/staff/").get_data(as_text=True)
        assert 'href="/staff/search-misses/"' in home
    with app.app_context():
        db.session.remove()


@pytest.mark.parametrize("role", ["counter", "auditor"])
def test_other_roles_may_not(staff_client, role):
    assert staff_client(role).get("/staff/search-misses/").status_code == 403


def test_a_bad_period_is_refused_on_the_page(staff_client):
    r = staff_client("curator").get("/staff/search-misses/", query_string={"from": "2026-11-30", "to": "2026-11-01"})
    assert r.status_code == 400


def test_the_staff_console_header_has_no_residents_search(staff_client):
    html = staff_client("curator").get("/staff/").get_data(as_text=True)
    assert 'class="site-header__search"' not in html
