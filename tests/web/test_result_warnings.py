"""The result page shows the response's warnings above the list (guide/_warnings.html) and, on
the card of a procedure whose due date has passed, says so in words (not only by colour)."""
import datetime as dt

from rules.request import today_in_japan


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
