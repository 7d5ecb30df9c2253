"""The result page says where, when, what it costs and what to do first; closed days; print rules;
the QR code's compact answers open the same result (test client, no JavaScript)."""
import re
from pathlib import Path

from guide.qr import compact_url

DEATH = ("date=2026-04-01&n=1&m0.relation=spouse&m0.age=78&m0.insurance=kouki&m0.pension=none"
         "&d.age=80&d.insurance=kouki&d.householder=yes&d.pension_recipient=yes&d.pension=none"
         "&f.dog=no&d.died_abroad=no")
CSS = Path(__file__).resolve().parents[2] / "static" / "css" / "app.css"


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_a_result_shows_place_hours_phone_and_online(client):
    html = client.get("/guide/birth/result?date=2026-04-01").get_data(as_text=True)
    words = text(html)
    assert "市役所 新館 1F 11番窓口" in words  # building, floor, window of 医療助成係
    assert "〒675-8501 兵庫県加古川市加古川町北在家2000" in words
    assert "受付時間：平日 8:30〜17:15" in words
    assert 'href="tel:0794212000"' in html and "079-421-2000" in words
    assert "https://www.google.com/maps/search/" in html
    assert "オンライン申請 できません（窓口で手続きします）" in words


def test_a_result_shows_the_fee_in_force(client):
    html = client.get("/guide/moving_out/result?date=2026-04-01&n=1&m0.relation=self&m0.age=30").get_data(as_text=True)
    words = text(html)
    assert "転出届" in words and "手数料" in words


def test_fee_lines_name_amount_unit_and_channel():
    from guide.presenter import fee_lines
    fees = [{"amount_yen": 450, "unit": "1通", "channel": "counter"},
            {"amount_yen": 300, "unit": "1通", "channel": "online"},
            {"amount_yen": 0, "unit": "1件", "channel": "any"}]
    assert fee_lines(fees, "ja") == ["窓口：450円（1通）", "オンライン：300円（1通）", "無料"]
    assert fee_lines(fees[:1], "en") == ["¥450 (1通) at the counter"]


def test_offices_outside_the_city_hall_have_their_own_section_after_the_visits(client):
    html = client.get(f"/guide/death/result?{DEATH}").get_data(as_text=True)
    assert "市役所以外の窓口" in html
    plan = html.index('id="plan-title"')
    offices = html.index('id="offices-title"')
    pension = html.index('id="proc-nenkin_mishikyu"')
    assert plan < offices < pension
    assert "この情報の出典" in html  # the page the office's phone number was taken from
    assert "この機関の所在地・受付時間は市で確認中です" in html


def test_actions_are_listed_as_things_to_do_not_to_bring(client):
    html = client.get(f"/guide/death/result?{DEATH}").get_data(as_text=True)
    todo = html.index('id="todo-title"')
    checklist = html.index('id="checklist-title"')
    assert html.index("火葬場の予約") > todo and html.index("火葬場の予約") < checklist
    boxes = html[checklist:html.index('id="plan-title"')]
    assert "火葬場の予約" not in boxes and "本人確認書類" in boxes


def test_checklist_items_are_real_checkboxes_with_labels(client):
    html = client.get("/guide/birth/result?date=2026-04-01").get_data(as_text=True)
    boxes = re.findall(r'<input class="checkboxes__input" type="checkbox" id="(have-[a-z_]+)"', html)
    assert boxes and len(boxes) == len(set(boxes))
    for box in boxes:
        assert f'<label class="checkboxes__label" for="{box}">' in html
    assert "js/checklist.js" in html and 'data-checklist="http' in html


def test_unconfirmed_facts_are_a_quiet_note_on_their_card_only(client, rulebook):
    html = client.get("/guide/birth/result?date=2026-04-01").get_data(as_text=True)
    cards = re.findall(r'<article class="procedure-card" aria-labelledby="proc-([a-z_]+)">(.*?)</article>', html, re.S)
    assert cards
    for pid, body in cards:
        proc = rulebook.kb.procedures[pid]
        noted = "この手続きの内容は市で確認中です" in body
        assert noted is (not proc.verified), pid
    assert "notification" not in html.split('id="checklist-title"')[0].split("市で確認中")[0][-200:]


def test_english_notes_and_labels(client):
    html = client.get("/guide/birth/result?date=2026-04-01&lang=en").get_data(as_text=True)
    assert "Opening hours" in html and "Phone (City Hall switchboard)" in html


def test_a_saturday_birth_says_where_the_birth_can_still_be_registered(client):
    html = client.get("/guide/birth/result?date=2026-12-05").get_data(as_text=True)
    words = text(html)
    assert "休みの日に手続きをするとき" in words
    assert "2026年12月5日（土）は市役所の休みの日（土曜日・日曜日）です。" in words
    assert "夜間休日窓口" in words and "この結果のうち、ここで出せるもの：出生届" in words
    assert "加古川市民センター" in words and "土日祝 9:00〜19:00" in words
    assert "東加古川市民総合サービスプラザ" in words and "土日祝 9:00〜19:00" in words


def test_no_closed_day_notice_on_an_ordinary_weekday(client):
    html = client.get("/guide/moving_within/result?date=2026-04-01&n=1&m0.relation=self&m0.age=30").get_data(as_text=True)
    assert "休みの日に手続きをするとき" not in html


def test_print_rules_keep_headings_with_their_cards_and_print_addresses():
    css = CSS.read_text(encoding="utf-8")
    print_css = css[css.index("@media print"):]
    # a heading stays with what follows it; whole visits and cards are not kept together
    # (that left a heading alone on a ¾-empty page: 4 birth procedures on 6 pages)
    assert re.search(r"h1, h2, h3, h4\s*\{\s*break-after:\s*avoid;", print_css)
    assert not re.search(r"\.visit__start\s*\{\s*break-inside:\s*avoid;", print_css)
    for block in re.findall(r"([^{}]*)\{[^{}]*break-inside:\s*avoid", print_css):
        assert ".procedure-card\n" not in block + "\n" and ".procedure-card," not in block, block
    assert re.search(r"\.visit__department,[^{]*\{\s*break-after:\s*avoid;", print_css)
    assert re.search(r"\.print-hide\s*\{\s*display:\s*none", print_css)
    assert re.search(r"\.procedure-card__actions a\.print-url\[href\^=\"http\"\]::after", print_css)
    assert re.search(r"\.qr__image--print\s*\{\s*width:\s*3\dmm;", print_css)
    assert ".print-only" in print_css


def test_a_visit_heading_and_its_first_card_are_one_block(client):
    html = client.get("/guide/birth/result?date=2026-04-01").get_data(as_text=True)
    starts = re.findall(r'<div class="visit__start">\s*<h3[^>]*>.*?</h3>.*?<article class="procedure-card"', html, re.S)
    assert len(starts) == len(re.findall(r'<section class="visit[ "]', html)) > 1


def test_the_qr_code_opens_the_same_result(client):
    query = ("date=2026-12-05&n=3&m0.relation=self&m0.age=31&m0.insurance=kokuho&m1.relation=spouse&m1.age=30"
             "&m1.insurance=kokuho&m2.relation=child&m2.age=3&m2.insurance=kokuho&f.first_child=no")
    answers = dict(pair.split("=") for pair in query.split("&"))
    packed = compact_url("http://localhost/guide/birth/result", answers)
    assert "?a=" in packed
    plain = client.get(f"/guide/birth/result?{query}").get_data(as_text=True)
    via_qr = client.get(packed.replace("http://localhost", "")).get_data(as_text=True)
    def strip(h: str) -> str:  # the page body, less the links that carry the query as given
        main = h[h.index("<main"):h.index("</main>")]
        return re.sub(r'(data-checklist|src|href)="[^"]*"', "", main)
    assert strip(plain) == strip(via_qr)
    svg = client.get(f"/guide/birth/result-qr.svg?{query}")
    assert svg.mimetype == "image/svg+xml"


def test_broken_packed_answers_are_an_empty_result_not_an_error(client):
    r = client.get("/guide/birth/result?a=%FF%FE!!")
    assert r.status_code == 200
    assert "日付の回答がないため" in r.get_data(as_text=True)


def test_the_dates_the_deadlines_count_from_are_named(client):
    """A death: 国保・年金 count from the day of death, 死亡届 from the day it became known; the line
    above the list names both dates with their labels (not one date for all)."""
    html = client.get("/guide/death/result?date=2026-11-20&d.death_date=2026-11-19&d.age=45&d.insurance=kokuho"
                      "&n=1&m0.relation=spouse&m0.age=42&m0.insurance=kokuho").get_data(as_text=True)
    words = re.sub(r"<[^>]+>", "", html[html.index('class="due-bases"'):html.index("</ul>", html.index('class="due-bases"'))])
    assert "亡くなったことを知った日：2026年11月20日（金）" in words
    assert "亡くなった日：2026年11月19日（木）" in words
    assert "をもとに計算しています" not in html
    en = client.get("/guide/death/result?date=2026-11-20&d.death_date=2026-11-19&d.age=45&d.insurance=kokuho"
                    "&n=1&m0.relation=spouse&m0.age=42&m0.insurance=kokuho&lang=en").get_data(as_text=True)
    assert "Date of death: Thu 19 November 2026" in re.sub(r"<[^>]+>", "", en)
    one = re.sub(r"<[^>]+>", "", client.get("/guide/birth/result?date=2026-04-01&lang=ja").get_data(as_text=True))
    assert "子どもが生まれた日：2026年4月1日（水）" in one


def test_weekend_counters_on_the_card_of_a_procedure_they_take(client):
    html = client.get("/guide/moving_in/result?date=2026-04-01&n=1&m0.relation=self&m0.age=30").get_data(as_text=True)
    card = re.search(r'aria-labelledby="proc-tennyu_todoke">(.*?)</article>', html, re.S).group(1)
    words = text(card)
    assert "土日祝・夜間の窓口" in words and "加古川市民センター：土日祝 9:00〜19:00" in words


def test_unconfirmed_words_exist_in_japanese_english_and_easy_japanese():
    from guide.presenter import _t
    for key in ("unconfirmed_procedure", "unconfirmed_place", "unconfirmed_office"):
        assert "市で確認中" in _t(key, "ja")
        assert _t(key, "easy") != _t(key, "ja") and _t(key, "en").isascii()


def test_english_result_has_no_japanese_brackets_or_window_numbers(client):
    """"Family Support Division（City Hall, Main Building, 1F, 31番窓口）" → "(…, Window 31)"."""
    query = ("date=2026-11-28&n=3&m0.relation=self&m0.insurance=kokuho&m1.relation=spouse&m1.insurance=kokuho"
             "&m2.relation=child&m2.insurance=kokuho&f.child_allowance=no&f.first_child=yes")
    html = client.get(f"/guide/birth/result?{query}&lang=en").get_data(as_text=True)
    main = html[html.index("<main"):html.index("</main>")]
    # the official Japanese name beside a procedure's English one is the counter's own words
    assert '<span lang="ja" class="official-name">(転入届)</span>' not in main  # (not in a birth)
    main = re.sub(r'<span lang="ja" class="official-name">.*?</span>', " ", main)
    main = re.sub(r"<[^>]+>", " ", main)
    assert "Window 31" in main
    assert not re.search(r"[（）]|番窓口", main), re.findall(r".{30}(?:[（）]|番窓口).{10}", main)
    ja = client.get(f"/guide/birth/result?{query}&lang=ja").get_data(as_text=True)
    assert "31番窓口" in ja and "Window 31" not in ja


def test_window_words_by_locale():
    from guide.presenter import window_words
    assert window_words("31番窓口", "en") == "Window 31"
    assert window_words("31番窓口", "ja") == "31番窓口"
    assert window_words("総合案内", "en") == "総合案内"  # other wording as written
    assert window_words(None, "en") is None


def test_the_closed_day_notice_says_whether_each_centre_opens_that_day(client):
    """28 Nov 2026 is a 4th Saturday: both centres open. 12 Dec 2026 is the 2nd Saturday of an
    even month: both closed. 13 Dec is the 2nd Sunday: the 市民センター is closed, the プラザ open."""
    def notice(day: str) -> str:
        html = client.get(f"/guide/birth/result?date={day}&lang=ja").get_data(as_text=True)
        part = html[html.index('class="closed-days"'):]
        return re.sub(r"<[^>]+>", "", part[:part.index("</ul>")])
    def line(words: str, name: str) -> str:
        return words[words.index(name):].split("受付時間")[0]
    nov28 = notice("2026-11-28")
    assert "2026年11月28日（土）は開" in line(nov28, "加古川市民センター")
    assert "2026年11月28日（土）は開" in line(nov28, "東加古川市民総合サービスプラザ")
    dec12 = notice("2026-12-12")
    assert "2026年12月12日（土）は休みです。" in line(dec12, "加古川市民センター")
    assert "2026年12月12日（土）は休みです。" in line(dec12, "東加古川市民総合サービスプラザ")
    dec13 = notice("2026-12-13")
    assert "2026年12月13日（日）は休みです。" in line(dec13, "加古川市民センター")
    assert "2026年12月13日（日）は開く予定です" in line(dec13, "東加古川市民総合サービスプラザ")
    assert "2026年12月13日（日）は開いています。" in line(dec13, "夜間休日窓口")


def test_opens_on_reads_the_counters_own_closed_days(rulebook):
    import datetime as dt

    from rules.places import opens_on
    centre = next(c for _, c in rulebook.kb.counters.values() if c.closed_days and c.closed_days.closed_on
                  and not c.closed_days.other_closures).closed_days
    assert opens_on(centre, dt.date(2026, 11, 28), "weekend")  # 4th Saturday
    assert not opens_on(centre, dt.date(2026, 12, 12), "weekend")  # 2nd Saturday, December
    assert opens_on(centre, dt.date(2026, 11, 14), "weekend")  # 2nd Saturday, an odd month
    assert not opens_on(centre, dt.date(2026, 11, 22), "weekend")  # 4th Sunday
    assert not opens_on(centre, dt.date(2026, 12, 31), "year_end")  # not open over the New Year
