"""The hall display as a lobby screen (issue #9): no residents' header, footer or menus (without
JavaScript too), the numbers being called now in very large type, the last calls listed, a
全画面表示 button, a chime that is off unless asked for, and an aria-live region."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from core import policy
from tests.conftest import csrf_from, fresh_client
from tests.web.staff_reservations_helpers import clean


@pytest.fixture(autouse=True)
def _clean(app):
    clean(app)
    yield
    clean(app)


def _queue_page(client):
    return client.get("/staff/reservations/queue?counter=shimin_ido").get_data(as_text=True)


def _issue_and_call(client, window: str, times: int) -> None:
    for _ in range(times):
        client.post("/staff/reservations/queue/issue", data={"csrf_token": csrf_from(_queue_page(client)),
                                                             "counter": "shimin_ido"})
    for _ in range(times):
        client.post("/staff/reservations/queue/call", data={"csrf_token": csrf_from(_queue_page(client)),
                                                            "counter": "shimin_ido", "window": window})


def test_lobby_layout_without_the_residents_header_and_with_the_controls(app):
    html = fresh_client(app).get("/display/shiyakusho").get_data(as_text=True)
    assert 'class="site-header"' not in html and 'class="site-footer"' not in html and "lang-switch" not in html
    assert "全画面表示" in html and "data-fullscreen" in html
    assert 'data-chime aria-pressed="false"' in html and "チャイム：オフ" in html  # off by default
    assert 'aria-live="polite" id="display-latest"' in html
    assert '<noscript><meta http-equiv="refresh" content="10"></noscript>' in html
    assert "いまお呼びしている番号はありません。" in html


def test_chime_is_switched_on_by_a_query_parameter(app):
    html = fresh_client(app).get("/display/shiyakusho?chime=1").get_data(as_text=True)
    assert 'data-chime aria-pressed="true"' in html and "チャイム：オン" in html


def test_current_call_is_large_and_earlier_calls_are_listed(app, staff_client):
    client = staff_client(policy.COUNTER)
    _issue_and_call(client, "2", 3)  # done by calling the next; A-003 now at window 2
    html = fresh_client(app).get("/display/shiyakusho").get_data(as_text=True)
    now = html[html.index('class="display-now"'):html.index('class="display-earlier"')]
    assert re.search(r'display-call--latest">\s*<span class="display-call__number">A-003</span>', now)
    assert "2番窓口" in now and "A-001" not in now
    earlier = html[html.index('class="display-earlier"'):html.index('class="display-wait"')]
    assert earlier.index("A-002") < earlier.index("A-001")  # newest first
    assert "A-003番の方、2番窓口へどうぞ。" in html
    assert re.search(r'data-latest="A-003\|2\|[^"]+"', html)  # what the script compares to chime once


def test_the_numbers_are_at_least_8vw():
    css = (Path(__file__).resolve().parents[2] / "static" / "css" / "display.css").read_text(encoding="utf-8")
    rule = css[css.index(".display-call__number {"):]
    size = re.search(r"font-size: clamp\(([\d.]+)rem, ([\d.]+)vw, ([\d.]+)rem\)", rule[:rule.index("}")])
    assert size and float(size.group(2)) >= 8
