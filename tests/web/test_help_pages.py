"""The manuals as help pages: /help/ and /help/resident for everyone, /staff/help/<manual> in the
console; headings with ids, every picture served, every section a screen links to present, an
unknown manual a 404 in Japanese, and the links from the screens (the footer's 「使い方」, the
console's 「ヘルプ」) to the section of the screen."""
from __future__ import annotations

import re

import pytest

from core import help_views, manuals
from staff import help_views as staff_help_views


def _ids(html: str) -> set[str]:
    return set(re.findall(r'\sid="([^"]+)"', html))


def _images(html: str) -> list[str]:
    return re.findall(r'<img src="([^"]+)"', html)


def test_the_index_links_to_the_residents_manual(client):
    html = client.get("/help/").get_data(as_text=True)
    assert 'href="/help/resident"' in html


def test_the_residents_manual_has_its_sections_and_every_picture_is_served(client):
    r = client.get("/help/resident")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "<h1 id=\"top\">利用者向け操作マニュアル</h1>" in html
    assert {"guide", "apply", "reserve", "apply-steps", "apply-sign", "visit", "crowding"} <= _ids(html)
    for anchor in re.findall(r'href="#([^"]+)"', html):  # the contents and the links inside the manual
        assert anchor in _ids(html) or anchor == "main", anchor
    images = _images(html)
    assert len(images) == len(manuals.images(manuals.source("resident"))) > 0
    for src in images:
        assert src.startswith("/help/screens/resident-"), src
        with client.get(src) as picture:
            assert picture.status_code == 200 and picture.mimetype == "image/png", src
            assert picture.get_data()[:4] == b"\x89PNG"


@pytest.mark.parametrize("path", ["/help/nothing", "/help/screens/nothing.png", "/help/screens/..%2Fresident.md",
                                  "/help/screens/resident.md", "/staff/help/screens/nothing.png"])
def test_an_unknown_manual_or_picture_is_a_404_in_japanese(client, staff_client, path):
    c = staff_client("counter") if path.startswith("/staff") else client
    r = c.get(path)
    assert r.status_code == 404
    if "screens/.." not in path:  # werkzeug refuses an encoded slash before the view
        assert "その説明書はありません。" in r.get_data(as_text=True)


def test_the_staff_manual_is_read_in_the_console(client, staff_client):
    r = client.get("/help/staff")  # the public address sends staff to the console
    assert r.status_code == 302 and r.headers["Location"].endswith("/staff/help/staff")
    anonymous = client.get("/staff/help/staff")
    assert anonymous.status_code == 302 and "/staff/login" in anonymous.headers["Location"]
    counter = staff_client("counter")
    for name in ("staff", "training", "resident"):
        html = counter.get(f"/staff/help/{name}").get_data(as_text=True)
        assert "<h1 id=\"top\">" in html
        for src in _images(html):
            assert src.startswith("/staff/help/screens/"), src
            with counter.get(src) as picture:
                assert picture.status_code == 200, src
    index = counter.get("/staff/help/").get_data(as_text=True)
    assert all(f'href="/staff/help/{name}"' in index for name in manuals.MANUALS)


def test_every_section_a_screen_links_to_is_in_its_manual():
    staff_ids = {h.id for h in manuals.render(manuals.source("staff"), "/x").headings}
    assert set(staff_help_views.SECTIONS.values()) | {"top"} <= staff_ids
    resident_ids = {h.id for h in manuals.render(manuals.source("resident"), "/x").headings}
    assert set(help_views.SECTIONS.values()) <= resident_ids
    # the training text's links into the other manuals land on a heading
    training = manuals.source("training")
    for page, anchor in re.findall(r"\]\((staff|resident)\.md#([a-z0-9-]+)\)", training):
        assert anchor in {h.id for h in manuals.render(manuals.source(page), "/x").headings}, (page, anchor)


@pytest.mark.parametrize(("path", "section"), [("/", "guide"), ("/guide/moving_in", "guide"),
                                               ("/apply", "apply"), ("/reserve", "reserve"),
                                               ("/crowding", "crowding"),
                                               ("/reserve/visit?procedures=tennyu_todoke", "visit")])
def test_the_residents_footer_links_to_the_section_of_the_page(client, path, section):
    html = client.get(path).get_data(as_text=True)
    assert f'<a href="/help/resident#{section}">使い方</a>' in html


@pytest.mark.parametrize(("path", "section"), [("/staff/", "portal"), ("/staff/applications/", "inbox"),
                                               ("/staff/reservations/", "reservations"),
                                               ("/staff/reservations/queue", "queue"),
                                               ("/staff/audit/", "audit"), ("/staff/content/", "content")])
def test_the_consoles_help_link_opens_the_section_of_the_screen(staff_client, path, section):
    html = staff_client("admin").get(path).get_data(as_text=True)
    assert f'<a href="/staff/help/staff#{section}">ヘルプ</a>' in html
    assert "/help/resident" not in html  # the staff host serves /staff only: no link out of it


def test_the_help_pages_follow_the_language_of_the_site(client):
    html = client.get("/help/resident?lang=en").get_data(as_text=True)
    assert "This manual is written in Japanese only." in html and '<article class="help-manual" lang="ja">' in html
