"""A result's punctuation and 和暦 are catalog words of the page's language: Japanese and やさしい
日本語 read 「、」「：」 and the date's 和暦, English ", " ": " (and "; " between reasons) without it.
The templates no longer compare the locale (an easy page once got the English punctuation)."""
from __future__ import annotations

import re

import pytest
from flask import render_template

import core.i18n
from core.furigana import plain
from core.words import catalog, text
from tests.web.test_at_new_city_page import _page


def _read(html: str) -> str:
    """The page's text as read with furigana off: tags and readings gone."""
    return re.sub(r"<rt>.*?</rt>|<rp>.*?</rp>|<[^>]+>", "", html)


def test_a_result_in_easy_japanese_has_japanese_punctuation_and_wareki(client):
    html = _page(client, "&lang=easy")
    assert "<ruby>" in html and "{" not in _read(html).split("<body")[-1].replace("{{", "")  # furigana shown
    page = _read(html)
    people = plain(text("easy", "%(n)s人目", n=1))
    assert re.search(re.escape(people) + r"（[^）]*）、", page)  # the separator between people
    assert plain(text("easy", "受付時間")) + "：" in page  # after a label
    assert "2026年4月15日（水）（令和8年4月15日（水））" in page  # a card's due date, with 和暦
    assert ": " not in page.split("</header>")[-1]


def test_japanese_and_english_results_keep_their_punctuation(client):
    ja = _page(client)
    assert "1人目（ご本人・36歳）、2人目（子ども・6歳）" in ja and "受付時間：平日" in ja
    assert "期限：<strong>2026年4月15日（水）</strong>（令和8年4月15日（水）） " in ja
    en = _page(client, "&lang=en")
    assert "Person 1 (yourself, 36 years old), Person 2 (a child, 6 years old)" in en
    assert "Opening hours: Weekdays" in en
    assert "<strong>Wed 15 April 2026</strong><br>" in en and "令和" not in en


@pytest.mark.parametrize(("locale", "day", "expected"), [
    ("ja", "2026年4月15日（水）", "期限：<strong>2026年4月15日（水）</strong>（令和8年4月15日（水）） 14日以内 "
           "<br><span class=\"hint\">65歳以上の方がいるため、18歳未満の方がいるため</span>"),
    ("easy", "2026年4月15日（水）", "：<strong>2026年4月15日（水）</strong>（令和8年4月15日（水）） 14日以内 "
             "<br><span class=\"hint\">65歳以上の方がいるため、18歳未満の方がいるため</span>"),
    ("en", "Wed 15 April 2026", "Deadline: <strong>Wed 15 April 2026</strong> 14日以内 "
           "<br><span class=\"hint\">65歳以上の方がいるため; 18歳未満の方がいるため</span>"),
])
def test_the_reasons_at_the_new_city_are_joined_in_the_pages_language(app, locale, day, expected):
    item = {"name": "転入届", "status": "required", "deadline": "14日以内", "due_display": day,
            "due_wareki": "令和8年4月15日（水）", "deadline_notes": [], "overdue": False,
            "why": ["65歳以上の方がいるため", "18歳未満の方がいるため"]}
    with app.test_request_context():
        html = render_template("guide/_at_new_city.html", result={"at_new_city": [item]},
                               view={"at_new_city": [item]}, current_locale=locale,
                               **core.i18n.bound_gettext(catalog(locale)))
    assert expected in " ".join(html.split())
