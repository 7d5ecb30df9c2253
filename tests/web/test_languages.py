"""Seven languages on every page (issue 12): the switch, the remembered choice, the tags written in
``lang`` and ``hreflang``, やさしい日本語's furigana (shown as <ruby>, switchable, never raw in JSON or a
calendar), the note after a link to a Japanese-only page, the staff console's own two languages,
and pack content (names, reasons) in the reader's language beside the official Japanese."""
from __future__ import annotations

import re

import pytest

from core.furigana import NOTATION
from core.languages import LANGUAGES
from core.words import text
from tests.conftest import fresh_client

SEARCH = "手続きを探す"  # a header word every public page shows


def _lang_attr(html: str) -> str:
    return re.search(r'<html lang="([^"]+)"', html).group(1)


def test_the_switch_offers_every_language_with_its_tag(client):
    html = client.get("/").get_data(as_text=True)
    nav = html.split('class="lang-switch"')[1].split("</nav>")[0]
    for language in LANGUAGES:
        assert language.native in nav
        if language.code != "ja":
            assert f'hreflang="{language.html}"' in nav and f"lang={language.code}" in nav
    assert 'aria-current="true"' in nav and _lang_attr(html) == "ja"


@pytest.mark.parametrize("language", [x for x in LANGUAGES if x.code not in ("ja", "easy")], ids=lambda x: x.code)
def test_a_chosen_language_is_remembered_and_written_in_the_page(app, language):
    client = fresh_client(app)
    first = client.get(f"/?lang={language.code}")
    assert first.status_code == 200 and f"lang={language.code}" in first.headers.get("Set-Cookie", "")
    again = client.get("/procedures/").get_data(as_text=True)  # no ?lang=: the cookie
    assert _lang_attr(again) == language.html
    assert text(language.code, SEARCH) in again and text(language.code, SEARCH) != SEARCH


@pytest.mark.parametrize(("asked", "tag"), [("zh-Hans", "zh-Hans"), ("pt-BR", "pt-BR"), ("ZH-cn", "zh-Hans")])
def test_other_spellings_of_a_language_are_understood(app, asked, tag):
    assert _lang_attr(fresh_client(app).get(f"/?lang={asked}").get_data(as_text=True)) == tag


@pytest.mark.parametrize(("accept", "tag"), [("vi-VN,vi;q=0.9", "vi"), ("ko-KR,ko;q=0.9,en;q=0.5", "ko"),
                                             ("pt-BR,pt;q=0.9", "pt-BR"), ("zh-CN,zh;q=0.9", "zh-Hans"),
                                             ("fr-FR,fr;q=0.9", "ja")])
def test_the_browsers_language_is_a_first_guess(app, accept, tag):
    html = fresh_client(app).get("/", headers={"Accept-Language": accept}).get_data(as_text=True)
    assert _lang_attr(html) == tag


def test_easy_japanese_shows_furigana_that_can_be_switched_off(app):
    client = fresh_client(app)
    html = client.get("/procedures/tennyu_todoke?lang=easy").get_data(as_text=True)
    assert "<ruby>" in html and "<rt>" in html and not NOTATION.search(html)
    assert "ruby=off" in html and 'class="ruby-off"' not in html
    off = client.get("/procedures/tennyu_todoke?ruby=off")
    assert "ruby=off" in off.headers.get("Set-Cookie", "")
    html = client.get("/procedures/tenkyo_todoke").get_data(as_text=True)  # remembered: language and furigana
    assert 'class="ruby-off"' in html and "ruby=on" in html and _lang_attr(html) == "ja"
    assert "<ruby>" in html  # still marked up: only hidden (the readings stay for screen readers' sake)


def test_furigana_never_lands_in_an_attribute_or_the_title(app):
    html = fresh_client(app).get("/procedures/tennyu_todoke?lang=easy").get_data(as_text=True)
    title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
    assert "<ruby>" not in title and not NOTATION.search(title)
    for tag in re.findall(r"<[a-z][^>]*>", html):
        assert "<ruby" in tag or ("ruby>" not in tag and not NOTATION.search(tag)), tag


def test_json_in_easy_japanese_reads_the_readings_in_brackets(app):
    r = fresh_client(app).post("/api/v1/guide/evaluate", json={
        "event": "moving_in", "event_date": "2026-04-01", "locale": "easy",
        "members": [{"relation": "self", "age": 30}]})
    body = r.get_data(as_text=True)
    assert r.status_code == 200 and not NOTATION.search(body)
    names = [p["name"] for p in r.get_json()["procedures"]]
    assert "転入届（てんにゅうとどけ）（ほかの まちから ひっこして きた ときの とどけ）" in names


def test_the_calendar_file_in_easy_japanese_has_no_notation(app):
    r = fresh_client(app).get("/guide/moving_in/result.ics?lang=easy&date=2026-04-01&n=1&m0.relation=self&m0.age=30")
    assert r.status_code == 200 and r.mimetype == "text/calendar"
    unfolded = r.get_data(as_text=True).replace("\r\n ", "")
    assert "てんにゅうとどけ" in unfolded and not NOTATION.search(unfolded)


def test_a_translated_page_says_when_a_link_leads_to_a_japanese_page(app):
    en = fresh_client(app).get("/?lang=en").get_data(as_text=True)
    footer = en.split('class="site-footer"')[1]
    assert 'hreflang="ja"' in footer and '<span class="japanese-only"> (page in Japanese)</span>' in footer
    vi = fresh_client(app).get("/?lang=vi").get_data(as_text=True)
    assert text("vi", "（日本語のページ）") in vi.split('class="site-footer"')[1]
    for code in ("ja", "easy"):
        assert "japanese-only" not in fresh_client(app).get(f"/?lang={code}").get_data(as_text=True)


def test_the_staff_console_reads_a_residents_language_as_english(app):
    client = fresh_client(app)
    client.set_cookie("lang", "vi")
    html = client.get("/staff/login").get_data(as_text=True)
    assert _lang_attr(html) == "en"
    nav = html.split('class="lang-switch"')[1].split("</nav>")[0]
    assert "Tiếng Việt" not in nav and "日本語" in nav


@pytest.mark.parametrize("code", ["vi", "zh", "ko", "pt", "easy"])
def test_a_procedure_page_keeps_the_official_japanese_name_beside_its_translation(app, code):
    html = fresh_client(app).get(f"/procedures/rinji_unko?lang={code}").get_data(as_text=True)
    from knowledge.loader import load_pack
    proc = load_pack("kakogawa").procedures["rinji_unko"]
    translated = re.sub(r"<rt>.*?</rt>|<rp>.*?</rp>|<[^>]+>", "", html)
    assert NOTATION.sub(r"\1", proc.name.get(code)) in translated
    assert proc.name.ja in translated


@pytest.mark.parametrize("code", ["vi", "zh", "ko", "pt"])
def test_the_reasons_are_read_in_the_language_of_the_page(app, code):
    from knowledge.loader import load_pack
    from knowledge.translations import reasons_of
    table = reasons_of(load_pack("kakogawa").directory)[code]
    body = {"event": "moving_in", "event_date": "2026-04-01", "facts": {"from_abroad": False, "dog": True},
            "members": [{"relation": "self", "age": 76, "insurance": "kokuho"}]}
    said = fresh_client(app).post("/api/v1/guide/evaluate", json={**body, "locale": code}).get_json()
    japanese = fresh_client(app).post("/api/v1/guide/evaluate", json={**body, "locale": "ja"}).get_json()
    pairs = [(j, w) for p, q in zip(japanese["procedures"], said["procedures"], strict=True)
             for j, w in zip(p["why"], q["why"], strict=True)]
    assert pairs and all(w == table[j] for j, w in pairs)


@pytest.mark.parametrize("code", ["easy", "zh", "ko", "vi", "pt"])
def test_a_widget_keeps_its_language_in_every_link(app, code):
    html = fresh_client(app).get(f"/embed/events?lang={code}").get_data(as_text=True)
    links = re.findall(r'<a [^>]*href="([^"]+)"', html.split("<main")[1])
    assert links and all(f"lang={code}" in link for link in links if link.startswith("/"))
    assert _lang_attr(html) == {"zh": "zh-Hans", "pt": "pt-BR", "easy": "ja"}.get(code, code)


def test_the_widget_script_knows_every_language():
    from pathlib import Path
    script = (Path(__file__).resolve().parents[2] / "static" / "js" / "embed.js").read_text(encoding="utf-8")
    titles = script.split("var TITLES = {")[1].split("};")[0]
    assert all(re.search(rf"\b{language.code}: {{ events:", titles) for language in LANGUAGES)


@pytest.mark.parametrize("code", ["zh", "vi"])
def test_a_request_in_a_pack_language_reads_no_translation_file(app, code, monkeypatch):
    """The pack's translations/<code>.yaml are read with the pack (knowledge base:
    translated_texts, translated_reasons), not looked up on disk per fact word or evaluation."""
    import knowledge.translations
    from knowledge.loader import load_pack
    from knowledge.translations import read_translations, reasons_of, translations_of

    kb = load_pack("kakogawa")
    assert kb.translated_texts == translations_of(kb.directory) and kb.translated_reasons == reasons_of(kb.directory)
    assert read_translations(kb.directory)["reasons"][code]
    client = fresh_client(app)
    client.get("/api/v1/events")  # the rulebook loaded before the files are out of reach

    def no_files(*_args):
        raise AssertionError("a translation file read during a request")
    monkeypatch.setattr(knowledge.translations, "translation_files", no_files)
    body = {"event": "moving_in", "event_date": "2026-04-01", "facts": {"from_abroad": False, "dog": True},
            "members": [{"relation": "self", "age": 76, "insurance": "kokuho"}], "locale": code}
    assert client.post("/api/v1/guide/evaluate", json=body).status_code == 200
    query = "date=2026-04-01&n=1&m0.relation=self&m0.age=76&m0.insurance=kokuho&f.from_abroad=no&f.dog=yes"
    assert client.get(f"/guide/moving_in/check?{query}&lang={code}").status_code == 200
    assert client.get(f"/guide/moving_in/result?{query}&lang={code}").status_code == 200
