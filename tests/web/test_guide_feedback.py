"""Feedback on a result page (guide/feedback.py): 「この一覧は役に立ちましたか」 はい / いいえ posts
without JavaScript (refused when the browser says another site made the post; rate-limited; the result
page sets no cookie), then 「足りない手続きはありましたか」; each answer
is kept without personal data and the resident comes back to the same result. Curators and
administrators read the answers beside the searches that found nothing; other roles get 403."""
import datetime as dt
import re
from html import unescape

import pytest
from sqlalchemy import inspect, select

from core.db import db
from core.usage import UsageCount
from guide import feedback
from guide.feedback import GuideFeedback

RESULT = "/guide/death/result?d.age=80&date=2026-04-01"
ACTION = "/guide/death/result/feedback?d.age=80&date=2026-04-01"


def _rows(app) -> list[GuideFeedback]:
    with app.app_context():
        rows = list(db.session.scalars(select(GuideFeedback).order_by(GuideFeedback.id)))
        db.session.expunge_all()
        return rows


def _listed(html: str) -> list[str]:
    return re.findall(r'<article class="procedure-card" aria-labelledby="proc-([a-z0-9_]+)"', html)


@pytest.fixture(autouse=True)
def _same_origin(client):
    """Posts as a browser makes them from the result page (Sec-Fetch-Site: same-origin)."""
    client.environ_base["HTTP_SEC_FETCH_SITE"] = "same-origin"


def test_the_result_page_asks_and_a_yes_is_kept_without_personal_data(app, client):
    page = client.get(RESULT)
    html = page.get_data(as_text=True)
    assert "この一覧は役に立ちましたか" in html
    form = html[html.index('id="feedback"'):]
    assert f'action="{ACTION.replace("&", "&amp;")}"' in form
    assert 'name="helpful" value="yes"' in form and 'name="helpful" value="no"' in form
    assert 'class="feedback no-print"' in html  # not on paper
    r = client.post(ACTION, data={"helpful": "yes"},
                    headers={"User-Agent": "Mozilla/5.0", "X-Forwarded-For": "203.0.113.9"})
    assert r.status_code == 303
    assert r.headers["Location"] == "/guide/death/result?d.age=80&date=2026-04-01&feedback=thanks#feedback"
    [row] = _rows(app)
    assert (row.event, row.helpful, row.missing, row.note, row.language) == ("death", True, None, None, "ja")
    assert row.day == feedback.today()
    assert row.listed.split() == _listed(html) and row.listed
    with app.app_context():
        from core.pack import rulebook
        assert row.version == rulebook().version
        # what the table can hold: nothing about who answered, no time of day
        columns = {c["name"] for c in inspect(db.engine).get_columns("guide_feedback")}
        assert columns == {"id", "day", "event", "version", "listed", "helpful", "missing", "note", "language"}
        assert db.session.scalars(select(UsageCount.count).where(UsageCount.metric == "feedback",
                                                                 UsageCount.dimension == "death")).one() == 1


def test_thanks_then_the_missing_procedure_on_the_same_result(app, client):
    html = client.get(RESULT + "&feedback=thanks").get_data(as_text=True)
    section = html[html.index('id="feedback"'):]
    assert "ご回答ありがとうございました。" in section and "足りない手続きはありましたか" in section
    assert "個人情報" in section and 'id="missing-note"' in section
    listed = set(_listed(html))
    offered = set(re.findall(r'<option value="([a-z0-9_]+)"', section))
    assert offered and not offered & listed and "other" in offered  # the pack's others, and その他
    choice = sorted(offered - {"other"})[0]
    r = client.post(ACTION, data={"missing": choice})
    assert r.status_code == 303 and r.headers["Location"].endswith("&feedback=done#feedback")
    done = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "ご意見ありがとうございました" in done and 'name="missing"' not in done
    assert 'class="notification notification--success"' in done
    r = client.post(ACTION, data={"missing": "other", "missing-note": "  犬の 登録\u3000の変更 "})
    assert r.status_code == 303
    rows = _rows(app)
    assert [(r.helpful, r.missing, r.note) for r in rows] == [(None, choice, None), (None, None, "犬の 登録 の変更")]


def test_english_answers_are_kept_with_their_language(app, client):
    html = client.get(RESULT + "&lang=en").get_data(as_text=True)
    assert "Was this list useful?" in html
    r = client.post(ACTION + "&lang=en", data={"helpful": "no"})
    assert r.status_code == 303 and "lang=en" in r.headers["Location"]
    assert [(r.helpful, r.language) for r in _rows(app)] == [(False, "en")]


@pytest.mark.parametrize("note", ["090-1234-5678", "０９０１２３４５６７８", "taro@example.jp", "〒675-8501",
                                  "〇九〇一二三四五六七八", "https://example.jp/x"])
def test_words_that_may_reach_a_person_are_refused_not_kept(app, client, note):
    r = client.post(ACTION, data={"missing": "other", "missing-note": f"犬 {note}"})
    assert r.status_code == 400
    html = r.get_data(as_text=True)
    assert "電話番号、メールアドレス、4桁以上の数字は書かないでください。" in html
    assert 'class="error-summary"' in html and 'href="#missing-note"' in html
    assert html.count(note.replace("&", "&amp;")) >= 1  # what was typed is kept in the box to correct
    assert _rows(app) == []


@pytest.mark.parametrize("data, field, message", [
    ({}, "missing", "足りなかった手続きを選んでください。"),
    ({"missing": "no_such_procedure"}, "missing", "一覧にある手続きから選んでください。"),
    ({"missing": "shibo_todoke"}, "missing", "一覧にある手続きから選んでください。"),  # listed already
    ({"missing": "other"}, "missing-note", "足りなかった手続きの名前を書いてください。"),
    ({"missing": "other", "missing-note": "あ" * 201}, "missing-note", "200文字以内で書いてください。"),
    ({"missing": "other", "missing-note": "x" * 100_000}, "missing-note", "200文字以内で書いてください。"),
])
def test_answers_that_cannot_be_kept_say_what_to_do(app, client, data, field, message):
    r = client.post(ACTION, data={**data})
    assert r.status_code == 400
    html = r.get_data(as_text=True)
    assert f'href="#{field}"' in html and message in unescape(html)
    assert html.startswith("<!DOCTYPE html>") and "<title>エラー：" in html
    assert _rows(app) == []


@pytest.mark.parametrize("data", [
    {"helpful": "maybe"}, {"helpful": ""}, {"helpful": "yes\x00"},
    {"missing": "other", "missing-note": "犬\x00"},
])
def test_hostile_posts_get_400_never_500(app, client, data):
    r = client.post(ACTION, data={**data})
    assert r.status_code == 400
    assert _rows(app) == []


@pytest.mark.parametrize("raw", ["missing-note=%ED%A0%80&missing=other", "missing-note=%FF%FE&missing=other",
                                 "missing=%00", "helpful=%ED%A0%80", "helpful=%00"])
def test_broken_bytes_in_the_body_never_give_500(app, client, raw):
    """A lone surrogate or bytes that are no UTF-8, percent-encoded in a form body as a script
    would send them: refused, or kept as the harmless text werkzeug reads (never a surrogate)."""
    r = client.post(ACTION, data=raw, content_type="application/x-www-form-urlencoded")
    assert r.status_code in (303, 400)
    for row in _rows(app):
        assert row.note is None or row.note.encode("utf-8")


def test_the_result_page_sets_no_cookie(client):
    """Nothing to remember about a resident who reads a result: no session, no token."""
    fresh = client.application.test_client(use_cookies=False)
    r = fresh.get(RESULT)
    assert r.status_code == 200 and r.headers.getlist("Set-Cookie") == []
    assert "csrf_token" not in r.get_data(as_text=True)


@pytest.mark.parametrize("headers", [
    {"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"}, {"Sec-Fetch-Site": "none"},
    {"Sec-Fetch-Site": ""}, {"Origin": "https://evil.example"}, {"Origin": "null"},
    {"Referer": "https://evil.example/page"}, {"Origin": "http://localhost.evil.example"}, {},
])
def test_a_post_another_site_may_have_made_is_refused(app, client, headers):
    """The browser's own word on where a post came from (Sec-Fetch-Site, else Origin or Referer)
    stands in for the session token; a post that names no origin at all is refused too."""
    client.environ_base.pop("HTTP_SEC_FETCH_SITE")
    r = client.post(ACTION, data={"helpful": "yes"}, headers=headers)
    assert r.status_code == 400 and "入力内容を読み取れませんでした" in r.get_data(as_text=True)
    assert _rows(app) == []


@pytest.mark.parametrize("headers", [
    {"Origin": "http://localhost"}, {"Referer": "http://localhost/guide/death/result?d.age=80"},
    {"Origin": "https://guide.city.example"},  # PUBLIC_BASE_URL (behind a proxy that renames the host)
])
def test_a_post_from_this_site_is_kept_without_fetch_metadata(app, client, headers):
    """Browsers that send no Sec-Fetch-Site (plain http outside localhost) send Origin on a post."""
    client.environ_base.pop("HTTP_SEC_FETCH_SITE")
    app.config["PUBLIC_BASE_URL"] = "https://guide.city.example/"
    assert client.post(ACTION, data={"helpful": "yes"}, headers=headers).status_code == 303
    assert len(_rows(app)) == 1


def test_unknown_event_is_404_and_get_is_405(client):
    assert client.post("/guide/no_such_event/result/feedback", data={"helpful": "yes"}).status_code == 404
    assert client.get(ACTION).status_code == 405


def test_posts_are_limited_per_address(app, client):
    codes = [client.post(ACTION, data={"helpful": "yes"}).status_code for _ in range(21)]
    assert codes[:20] == [303] * 20 and codes[20] == 429
    assert "しばらくお待ちください" in client.post(ACTION, data={"helpful": "no"}).get_data(as_text=True)
    assert len(_rows(app)) == 20


def test_a_page_framed_by_another_site_does_not_offer_the_form(client):
    """The city's homepage frames the guide's answers; the feedback is asked on the guide's own
    pages (Sec-Fetch headers tell a frame of another site)."""
    html = client.get(RESULT, headers={"Sec-Fetch-Dest": "iframe", "Sec-Fetch-Site": "cross-site"}).get_data(as_text=True)
    assert 'id="feedback"' not in html
    html = client.get(RESULT, headers={"Sec-Fetch-Dest": "iframe", "Sec-Fetch-Site": "same-origin"}).get_data(as_text=True)
    assert 'id="feedback"' in html


def _seed(app):
    with app.app_context():
        day = dt.date(2026, 11, 20)
        for helpful in (True, True, False):
            feedback.record(event="death", version="v1", listed=["shibo_todoke", "kaso_kyoka"], language="ja",
                            helpful=helpful, day=day)
        feedback.record(event="moving_in", version="v1", listed=["tennyu_todoke"], language="en", helpful=False, day=day)
        for _ in range(2):
            feedback.record(event="death", version="v1", listed=["shibo_todoke"], language="ja",
                            missing=feedback.Missing(procedure="nenkin_izoku"), day=day)
        feedback.record(event="death", version="v1", listed=["shibo_todoke"], language="vi",
                        missing=feedback.Missing(note="犬の登録の<b>変更</b>"), day=day)
        feedback.record(event="death", version="v1", listed=[], language="ja", helpful=True, day=dt.date(2026, 10, 1))


def _cells(html: str, caption: str) -> list[list[str]]:
    table = re.search(rf"<caption>{re.escape(caption)}</caption>.*?</table>", html, re.S)
    assert table, caption
    return [[unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", table.group(0), re.S)]


@pytest.mark.parametrize("role", ["curator", "admin"])
def test_curators_read_the_answers_per_event_and_procedure(app, staff_client, role):
    _seed(app)
    client = staff_client(role)
    r = client.get("/staff/search-misses/feedback", query_string={"from": "2026-11-01", "to": "2026-11-30"})
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    with app.app_context():
        from core.pack import rulebook
        kb = rulebook().kb
        death, moving_in = kb.events["death"].name.ja, kb.events["moving_in"].name.ja
        names = {pid: p.name.ja for pid, p in kb.procedures.items()}
    period = "（2026-11-01〜2026-11-30）"
    events = _cells(html, f"ライフイベント別の評価{period}")
    assert [death, "2", "1"] in events and [moving_in, "0", "1"] in events  # October's answer is outside
    assert len(events) == len(kb.events) + 1
    assert _cells(html, f"足りないと答えられた手続き{period}")[1:] == [[names["nenkin_izoku"], death, "2"]]
    # most 「役に立たなかった」 first, then most answers
    assert _cells(html, f"一覧にあった手続き別の評価{period}")[1:] == [
        [names["kaso_kyoka"], "2", "1"], [names["shibo_todoke"], "2", "1"], [names["tennyu_todoke"], "0", "1"]]
    notes = _cells(html, "住民が書いた手続きの名前（2026-11-01〜2026-11-30、新しい順）")
    assert notes[1] == ["2026-11-20", death, "Tiếng Việt", "犬の登録の<b>変更</b>"]  # escaped, shown as typed
    assert 'href="/staff/search-misses/?from=2026-11-01&amp;to=2026-11-30"' in html
    misses = client.get("/staff/search-misses/").get_data(as_text=True)
    assert 'href="/staff/search-misses/feedback?from=' in misses
    assert 'href="/staff/search-misses/feedback"' in client.get("/staff/").get_data(as_text=True)


@pytest.mark.parametrize("role", ["counter", "auditor", "department"])
def test_other_roles_may_not_read_the_answers(staff_client, role):
    assert staff_client(role).get("/staff/search-misses/feedback").status_code == 403


def test_a_bad_period_is_refused_on_the_answers_page(staff_client):
    r = staff_client("curator").get("/staff/search-misses/feedback", query_string={"from": "2026-11-30", "to": "2026-11-01"})
    assert r.status_code == 400 and 'class="error-summary"' in r.get_data(as_text=True)
