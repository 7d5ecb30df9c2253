"""The questionnaire and result pages through the test client (no JavaScript involved)."""
import re
from urllib.parse import parse_qsl, urlsplit

from icalendar import Calendar


def follow(client, url, **fields):
    """Submit one page like a browser without JavaScript: GET with the page's fields."""
    query = dict(parse_qsl(urlsplit(url).query))
    query.update({k: str(v) for k, v in fields.items()})
    query["submit"] = "1"
    r = client.get(urlsplit(url).path, query_string=query)
    return r


def test_start_page_lists_the_life_events_with_deep_links(client):
    html = client.get("/guide/").get_data(as_text=True)
    for event in ("moving_in", "moving_within", "moving_out", "birth", "death", "marriage", "divorce"):
        assert f'href="/guide/{event}"' in html
    assert client.get("/").status_code == 200  # the home page (tests/web/test_site_pages.py)


def test_deep_link_per_event(client):
    html = client.get("/guide/moving_in").get_data(as_text=True)
    assert "転入" in html and "/guide/moving_in/date" in html
    assert client.get("/guide/moving_sideways").status_code == 404


def test_a_whole_questionnaire_for_a_family_of_four_with_a_dog(client):
    url = "/guide/moving_in/date"
    r = follow(client, url, **{"date-year": "２０２６", "date-month": "4", "date-day": "1"})  # full-width digits
    assert r.status_code == 302 and "date=2026-04-01" in r.location
    assert "/q-from_abroad" in r.location  # asked before the people pages (issue 10 walk)
    r = follow(client, r.location, **{"f.from_abroad": "no"})
    r = follow(client, r.location, n="4")
    assert r.status_code == 302, r.get_data(as_text=True)[:3000]
    people = [("self", 35), ("spouse", 33), ("child", 8), ("child", 3)]
    for i, (relation, age) in enumerate(people):
        assert f"person-{i + 1}" in r.location
        r = follow(client, r.location, **{f"m{i}.relation": relation, f"m{i}.age": age})
        assert f"person-{i + 1}-more" in r.location
        page = client.get(r.location).get_data(as_text=True)
        more = dict(re.findall(r'type="radio"[^>]*name="(m\d\.[a-z_0-9]+)" value="([a-z_]+)"', page))
        answers = {k: "unknown" for k in more}
        answers.update({f"m{i}.insurance": "kokuho", f"m{i}.mynumber_card": "yes", f"m{i}.nationality": "japanese"})
        if f"m{i}.school" in more:
            answers[f"m{i}.school"] = "elementary" if age == 8 else "preschool"
            answers[f"m{i}.public_school"] = "yes"
        r = follow(client, r.location, **{k: v for k, v in answers.items() if k in more})
        assert r.status_code == 302, re.findall(r"＊[^<]*", r.get_data(as_text=True))
    facts = {"from_abroad": "no", "special_moveout": "no", "moveout_planned_date": None, "seal_registration_wanted": "no",
             "dog": "yes", "moped": "no"}
    while "/check" not in r.location:
        key = re.search(r"/q-([a-z_0-9]+)", r.location).group(1)
        if key == "moveout_planned_date":
            r = follow(client, r.location)  # left empty: 「分からない」
        else:
            r = follow(client, r.location, **{f"f.{key}": facts[key]})
        assert r.status_code == 302, r.get_data(as_text=True)[:500]
    check = client.get(r.location).get_data(as_text=True)
    assert "回答を確認してください" in check
    assert "変更<span class=\"visually-hidden\">" in check
    assert "まだ答えていない質問" not in check
    result_url = re.search(r'href="(/guide/moving_in/result\?[^"]+)"', check).group(1).replace("&amp;", "&")
    html = client.get(result_url).get_data(as_text=True)
    for name in ("転入届", "国民健康保険の加入", "児童手当 認定請求", "小・中学校の転入学手続", "犬の登録事項変更"):
        assert name in html
    assert "2026年4月15日（水）" in html and "令和8年4月15日（水）" in html
    assert re.search(r"マイナンバーカード</span>\s*<span class=\"checklist__count\">×4<", html), result_url
    assert "/reserve?procedures=tennyu_todoke" in html
    assert "name=" not in urlsplit(result_url).query  # no names in the URL: ages and choices only


def test_bad_input_shows_an_error_summary_and_keeps_what_was_typed(client):
    r = follow(client, "/guide/moving_in/person-1?date=2026-04-01&n=2", **{"m0.relation": "self", "m0.age": "abc"})
    assert r.status_code == 400
    html = r.get_data(as_text=True)
    assert "<title>エラー：" in html
    assert 'href="#m0.age"' in html
    assert "年齢を0から130までの数字で入力してください" in html
    assert 'value="self" checked' in html or 'value="self"\n' in html  # the radio stays chosen


def test_impossible_date_says_which_day_is_wrong(client):
    r = follow(client, "/guide/birth/date", **{"date-year": "2026", "date-month": "2", "date-day": "30"})
    assert r.status_code == 400 and "2月30日はありません" in r.get_data(as_text=True)


def test_change_link_returns_to_check_answers(client):
    check = client.get("/guide/moving_out/check?date=2026-04-01&n=1&m0.relation=self&m0.age=30").get_data(as_text=True)
    change = re.search(r'href="([^"]*person-1[^"]*return=check[^"]*)"', check).group(1).replace("&amp;", "&")
    r = follow(client, change, **{"m0.relation": "self", "m0.age": "31"})
    assert r.status_code == 302


def test_result_with_nothing_answered_still_lists_everything_that_may_apply(client):
    html = client.get("/guide/death/result").get_data(as_text=True)
    assert "死亡届" in html and "該当する場合" in html
    assert "日付の回答がないため" in html


def test_ics_of_the_due_dates_parses(client):
    r = client.get("/guide/birth/result.ics?date=2026-04-27&n=1&m0.relation=self&f.first_child=yes")
    assert r.mimetype == "text/calendar"
    cal = Calendar.from_ical(r.data)
    events = {str(e["summary"]): e.decoded("dtstart").isoformat() for e in cal.walk("VEVENT")}
    assert events["期限：出生届"] == "2026-05-11"
    assert events["期限：児童手当 認定請求"] == "2026-05-12"
    body = r.get_data(as_text=True).replace("\r\n ", "")  # unfolded
    assert "/guide/birth/result?" in body and "result.ics?" not in body  # each event leads back to the result


def test_ics_in_english_has_no_japanese_words_of_its_own(client):
    r = client.get("/guide/birth/result.ics?date=2026-04-27&n=1&m0.relation=self&f.first_child=yes&lang=en")
    cal = Calendar.from_ical(r.data)
    assert str(cal["x-wr-calname"]).endswith("(deadlines)")
    summaries = [str(e["summary"]) for e in cal.walk("VEVENT")]
    assert summaries and all(s.startswith("Due: ") for s in summaries)
    descriptions = "\n".join(str(e["description"]) for e in cal.walk("VEVENT"))
    assert "窓口：" not in descriptions and "Counter: " in descriptions and "\n- " in descriptions


def test_qr_code_is_an_svg_of_the_result_url(client):
    r = client.get("/guide/birth/result-qr.svg?date=2026-04-01")
    assert r.mimetype == "image/svg+xml" and r.data.startswith(b"<svg")


def test_english_switch_is_remembered_and_accept_language_is_honoured(app):
    client = app.test_client()
    r = client.get("/guide/?lang=en")
    assert 'lang="en"' in r.get_data(as_text=True) and "Moving into Kakogawa" in r.get_data(as_text=True)
    assert "lang=en" in r.headers.get("Set-Cookie", "")
    assert 'lang="en"' in client.get("/guide/moving_in").get_data(as_text=True)  # the cookie keeps the choice
    fresh = app.test_client()
    assert 'lang="en"' in fresh.get("/guide/", headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(as_text=True)
    assert 'lang="ja"' in fresh.get("/guide/", headers={"Accept-Language": "ja,en;q=0.5"}).get_data(as_text=True)
    links = fresh.get("/guide/moving_in/people?date=2026-04-01").get_data(as_text=True)
    assert 'hreflang="en"' in links and "date=2026-04-01" in links  # the switch keeps the answers


def test_apply_and_reserve_say_plainly_they_are_not_open_yet(client):
    apply = client.get("/apply/tennyu_todoke").get_data(as_text=True)  # online applications: tests/web/test_apply_*
    assert "オンラインでは申請できません" in apply and "転入届" in apply
    reserve = client.get("/reserve?procedures=tennyu_todoke,kokuho_kanyu").get_data(as_text=True)
    assert "予約する手続きを選んでください" in reserve and "転入の手続き" in reserve  # booking: tests/web/test_reserve_*
    assert client.get("/apply/nope").status_code == 404


def test_error_pages_are_in_japanese_and_reveal_nothing(client):
    r = client.get("/no/such/page")
    assert r.status_code == 404 and "ページが見つかりません" in r.get_data(as_text=True)
    assert "Traceback" not in r.get_data(as_text=True)


def test_the_ruleset_generation_served_is_recorded(app, client):
    from sqlalchemy import select

    from core.db import db
    from core.models import RulesetGeneration

    client.get("/guide/")
    with app.app_context():
        versions = db.session.scalars(select(RulesetGeneration.version)).all()
    assert app.extensions["rulebook"].current.version in versions


def test_each_event_has_its_own_date_hint(client, rulebook):
    """Not one hint for every event (「引越しの日、生まれた日、亡くなった日…」): the event's own."""
    seen = set()
    for event in rulebook.kb.events.values():
        assert event.date_hint is not None, event.id
        for lang in ("ja", "en"):
            html = client.get(f"/guide/{event.id}/date?lang={lang}").get_data(as_text=True)
            assert event.date_hint.get(lang) in html, (event.id, lang)
            assert "引越しの日、生まれた日、亡くなった日" not in html
        seen.add(event.date_hint.ja)
    assert len(seen) == len(rulebook.kb.events)


def _walk_answer(book, question, key: str, person: int | None) -> str:
    from guide import flow
    from guide.answers import allowed_values
    fact = flow.fact_def(book.vocab, question)
    if key == "date" or (fact is not None and fact.type == "date"):
        return "2026-11-20"
    if key == "n":
        return "3"
    if fact.type == "int":
        return ["40", "12", "78"][person or 0]  # an adult, a child, an elder: most questions are asked
    values = [v for v in allowed_values(question, fact) if v != "unknown"]
    if key.endswith(".relation"):
        return {0: "self", 1: "child"}.get(person, values[-1]) if "self" in values else values[0]
    return "yes" if "yes" in values else values[0]


def test_the_step_counter_counts_the_pages_shown_one_by_one(client, rulebook):
    """Walk every event as the pages lead (each page's own answers, the next page as the server
    says): the counter reads 1, 2, 3 … with no number skipped or shown twice (before: a question
    about the people was listed before them, so 8/8 → 8/16 → 10/16, 9 never shown)."""
    from urllib.parse import urlencode

    from guide import flow
    book = rulebook
    for event in book.kb.events.values():
        answers: dict[str, str] = {}
        shown = []
        for _ in range(60):
            all_steps = flow.steps(book.kb, book.vocab, event, answers)
            step = flow.next_step(all_steps, answers.keys(), book.kb, book.vocab, event, answers)
            if step is None:
                break
            html = client.get(f"/guide/{event.id}/{step.key}?{urlencode({**answers, 'lang': 'ja'})}").get_data(as_text=True)
            m = re.search(r'step-indicator__count">(\d+) / (\d+)<', html)
            assert m, (event.id, step.key)
            shown.append(int(m.group(1)))
            assert int(m.group(1)) <= int(m.group(2))
            if step.kind in ("person", "person_more"):
                qs = [(q, flow.key_for(q, step.person)) for q in flow.person_questions(book.kb, book.vocab, event, answers, step)]
            else:
                qs = [(step.question, flow.key_for(step.question))]
            for q, key in qs:
                answers[key] = _walk_answer(book, q, key, step.person)
            answers = flow.clean(answers, book.kb, book.vocab, event)
        else:
            raise AssertionError(f"{event.id}: the walk never ended")
        assert shown == list(range(1, len(shown) + 1)), (event.id, shown)


def test_a_year_out_of_range_says_the_range_not_the_digits(client):
    r = follow(client, "/guide/birth/date?lang=ja", **{"date-year": "2150", "date-month": "1", "date-day": "5"})
    html = r.get_data(as_text=True)
    assert r.status_code == 400
    assert "年は1900年から2100年までの西暦で入力してください（例：2026）。" in html
    assert "4桁" not in html
    r = follow(client, "/guide/birth/date?lang=en", **{"date-year": "2150", "date-month": "1", "date-day": "5"})
    assert "Enter a year from 1900 to 2100" in r.get_data(as_text=True)
    r = follow(client, "/guide/birth/date?lang=ja", **{"date-year": "26", "date-month": "1", "date-day": "5"})
    assert "年は西暦4桁で入力してください" in r.get_data(as_text=True)
