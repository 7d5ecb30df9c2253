"""The result page shows the response's warnings above the list (guide/_warnings.html) and, on
the card of a procedure whose due date has passed, says so in words (not only by colour)."""
import datetime as dt
import re

from core.japan_time import today_in_japan


def test_past_due_dates_are_said_above_the_list_and_on_the_card(client):
    day = (today_in_japan() - dt.timedelta(days=40)).isoformat()
    html = client.get(f"/guide/death/result?date={day}&d.age=80").get_data(as_text=True)
    assert 'data-warning="due_date_past"' in html
    assert html.index("result-warnings-title") < html.index("procedure-card")
    card = html[html.index('id="proc-shibo_todoke"'):]
    card = card[:card.index("</article>")]
    assert "期限を過ぎています。早めに手続きしてください。" in card


def test_no_warning_box_when_nothing_is_wrong(client):
    day = today_in_japan().isoformat()
    html = client.get(f"/guide/death/result?date={day}&d.age=80").get_data(as_text=True)
    assert "result-warnings-title" not in html and "期限を過ぎています" not in html


def test_english_page_gets_english_warnings(client):
    day = (today_in_japan() - dt.timedelta(days=40)).isoformat()
    html = client.get(f"/guide/death/result?date={day}&d.age=80&lang=en").get_data(as_text=True)
    assert "Please check" in html and "The deadline has passed. Please do this soon." in html


def test_the_overdue_note_is_a_warning_and_the_banner_names_the_procedures(client):
    """Not grey hint text under the date: a bold note with a labelled warning icon; the banner
    lists which procedures are late, each a link to its card."""
    day = (today_in_japan() - dt.timedelta(days=40)).isoformat()
    html = client.get(f"/guide/death/result?date={day}&d.age=80&lang=ja").get_data(as_text=True)
    card = html[html.index('id="proc-shibo_todoke"'):]
    card = card[:card.index("</article>")]
    note = re.search(r'<strong class="overdue-note">(.*?)</strong>', card, re.S)
    assert note and "期限を過ぎています。早めに手続きしてください。" in note.group(1)
    assert "注意" in note.group(1)  # the icon is labelled for screen readers
    assert '<span class="hint">期限を過ぎています' not in card
    banner = html[html.index("result-warnings-title"):]
    banner = banner[:banner.index("</div>")]
    assert 'href="#proc-shibo_todoke"' in banner and "死亡届" in banner
    # exactly the procedures whose card says they are late are named
    named = set(re.findall(r'href="#proc-([a-z_0-9]+)"', banner))
    late = {pid for pid, body in re.findall(r'<h4 id="proc-([a-z_0-9]+)"(.*?)</article>', html, re.S)
            if "overdue-note" in body}
    assert named == late
    today = today_in_japan().isoformat()
    fresh = client.get(f"/guide/death/result?date={today}&d.age=80&lang=ja").get_data(as_text=True)
    assert "overdue-note" not in fresh and "overdue-list" not in fresh
