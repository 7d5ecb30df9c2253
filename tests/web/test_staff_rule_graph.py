"""The rules' drawings for curators (/staff/rule-graph): the index of the life events, one page per
event with the inline SVG and the same graph as tables, the SVG download, the policy (curators and
administrators only), hostile event names, and `flask rules graph`."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from tests.unit.test_rule_graph import broken  # noqa: F401  (the spoilt みなと市 pack, a fixture)

SVG = "{http://www.w3.org/2000/svg}"
EVENTS = ("moving_in", "moving_within", "moving_out", "birth", "death", "marriage", "divorce")


def _svg_of(html: str) -> ET.Element:
    found = re.search(r"<svg .*?</svg>", html, re.S)
    assert found, "no inline SVG"
    return ET.fromstring(found.group(0))


@pytest.mark.parametrize("role", ["curator", "admin"])
def test_curators_and_admins_see_every_event_and_the_home_links_to_it(staff_client, role):
    client = staff_client(role)
    home = client.get("/staff/").get_data(as_text=True)
    assert 'href="/staff/rule-graph/"' in home
    r = client.get("/staff/rule-graph/")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "<h1>ルールの関係図</h1>" in html
    links = re.findall(r'href="/staff/rule-graph/(\w+)" lang="ja">([^<]+)</a>', html)
    assert [e for e, _name in links] == list(EVENTS)
    assert dict(links)["divorce"].startswith("離婚")
    # divorce: 23 questions, 40 rules, 23 procedures, nothing marked
    row = re.search(r'href="/staff/rule-graph/divorce".*?</tr>', html, re.S).group(0)
    assert re.findall(r'<td class="numeric">(\d+)</td>', row) == ["23", "40", "23", "0"]
    assert "どのルールからも届かない手続き" in html and "ありません。" in html


def test_an_event_page_has_the_drawing_and_its_text_alternative(staff_client):
    r = staff_client("curator").get("/staff/rule-graph/moving_in")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    svg = _svg_of(html)
    assert svg.get("role") == "img"
    title = svg.find(f"{SVG}title")
    assert title.get("id") in svg.get("aria-labelledby").split()
    assert title.text == "転入（加古川市に引っ越してきた）の質問・ルール・手続きの関係図"
    assert f"<h1>{title.text}</h1>" in html
    # the scrolling box around it is named and reachable by keyboard
    assert '<div class="table-scroll rule-graph" tabindex="0" role="region" aria-label="関係図（左から質問、ルール、手続き）">' in html
    # the same graph in a table: the rule 'dog' reads the dog question and lists 犬の登録事項変更
    row = re.search(r"<tr>\s*<td>(.*?)</td>\s*<th scope=\"row\"><code>dog</code>.*?</th>\s*<td>(.*?)</td>", html, re.S)
    assert row and "犬を飼っていますか" in row.group(1) and "犬の登録事項変更" in row.group(2)
    assert "（質問を読みません）" in html  # tennyu: listed for everyone
    assert re.search(r"犬を飼っていますか</span>（<code>dog</code>）</th>\s*<td><code>dog</code></td>", html)
    assert "ルールは読みません（日付や人数など、結果にいつも使います）" in html  # event_date
    assert 'href="/staff/rule-graph/moving_in/drawing.svg"' in html


def test_the_download_is_a_standalone_svg_file(staff_client):
    r = staff_client("admin").get("/staff/rule-graph/divorce/drawing.svg")
    assert r.status_code == 200
    assert r.mimetype == "image/svg+xml"
    assert r.headers["Content-Disposition"] == 'attachment; filename="rule-graph-divorce.svg"'
    body = r.get_data(as_text=True)
    assert body.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    root = ET.fromstring(body.encode("utf-8"))
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    assert len(list(root.iter(f"{SVG}rect"))) == 23 + 40 + 23


def test_marked_items_are_shown_in_words(app, staff_client, broken, monkeypatch):  # noqa: F811
    monkeypatch.setattr(app.extensions["rulebook"], "maybe_reload", lambda: broken)
    client = staff_client("curator")
    index = client.get("/staff/rule-graph/").get_data(as_text=True)
    assert re.search(r"<li><span lang=\"ja\">印鑑登録証の返却（印鑑登録の廃止）</span>（<code>inkan_haishi</code>）"
                     r" <span class=\"badge badge--conditional\">到達不能</span></li>", index)
    row = re.search(r'href="/staff/rule-graph/moving_out".*?</tr>', index, re.S).group(0)
    assert re.findall(r"<td class=\"numeric\">(?:<span [^>]+>)?(\d+)", row)[-1] != "0"
    html = client.get("/staff/rule-graph/moving_out").get_data(as_text=True)
    svg = _svg_of(html)  # <&> in the pack's names are escaped: the page's SVG parses
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert "未使用" in texts and "到達不能" in texts and "成立しない" in texts
    assert "児童手当 &lt;受給&amp;消滅&gt; 届" in html and "<受給&" not in html
    unread = re.search(r"<h3>未使用の質問.*?</h3>\s*<ul>(.*?)</ul>", html, re.S).group(1)
    assert "<code>seal_registration_wanted</code>" in unread
    never = re.search(r"<h3>成立しないルール.*?</h3>\s*<ul>(.*?)</ul>", html, re.S).group(1)
    assert "<code>moving_out.kokuho_leave</code>、moving_out.yaml:" in never
    unreachable = re.search(r"<h3>到達不能の手続き.*?</h3>\s*<ul>(.*?)</ul>", html, re.S).group(1)
    assert "<code>kokuho_soshitsu</code>" in unreachable
    assert '<span class="badge badge--conditional">未使用</span>' in html


@pytest.mark.parametrize("role", ["counter", "department", "auditor"])
def test_other_roles_may_not(staff_client, role):
    client = staff_client(role, "shimin" if role in ("counter", "department") else "")
    for url in ("/staff/rule-graph/", "/staff/rule-graph/moving_in", "/staff/rule-graph/moving_in/drawing.svg"):
        assert client.get(url).status_code == 403, url
    assert 'href="/staff/rule-graph/"' not in client.get("/staff/").get_data(as_text=True)


def test_without_login_the_pages_are_closed(client):
    r = client.get("/staff/rule-graph/moving_in")
    assert r.status_code in (302, 401, 403)
    assert "<svg" not in r.get_data(as_text=True)


@pytest.mark.parametrize("event", ["nope", "%3Cscript%3E", "moving_in%00", "..%2F..%2Fetc", "a" * 300, "ｍｏｖｉｎｇ_ｉｎ"])
def test_an_unknown_or_hostile_event_is_a_clear_404(staff_client, event):
    client = staff_client("curator")
    for url in (f"/staff/rule-graph/{event}", f"/staff/rule-graph/{event}/drawing.svg"):
        r = client.get(url)
        assert 400 <= r.status_code < 500, (url, r.status_code)
        assert "<script>" not in r.get_data(as_text=True)


def test_the_cli_draws_an_event(app, tmp_path):
    out = tmp_path / "birth.svg"
    result = app.test_cli_runner().invoke(args=["rules", "graph", "birth", "--svg", str(out)])
    assert result.exit_code == 0, result.output
    assert "birth: 11 questions, 13 rules, 12 procedures; 0 marked." in result.output
    root = ET.parse(out).getroot()
    assert root.get("role") == "img" and root.find(f"{SVG}title").text.startswith("出生")
    bad = app.test_cli_runner().invoke(args=["rules", "graph", "nope"])
    assert bad.exit_code == 2 and "unknown life event 'nope'" in bad.output
