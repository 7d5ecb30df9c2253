"""core/manuals.py: the Markdown of a manual as HTML for the help pages."""
from __future__ import annotations

from core import manuals


def test_raw_html_is_shown_as_text_never_run():
    html = manuals.render("# t\n\n<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n", "/s/").html
    assert "<script>" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_headings_get_their_named_id_or_one_from_their_words():
    page = manuals.render("# 手引き {#top}\n\n## 申請の審査 {#review}\n\n## 窓口 予約\n\n## 窓口 予約\n", "/s/")
    assert [(h.level, h.id, h.text) for h in page.headings] == [
        (1, "top", "手引き"), (2, "review", "申請の審査"), (2, "窓口-予約", "窓口 予約"), (2, "窓口-予約-2", "窓口 予約")]
    assert page.title == "手引き"
    assert '<h2 id="review">申請の審査</h2>' in page.html and "{#" not in page.html


def test_pictures_and_links_are_pointed_at_the_app():
    md = ("![受付箱](screens/staff-inbox.png) [研修](training.md#session-1) "
          "[手順](../ops/backup.md) [外](https://example.jp/)\n")
    html = manuals.render(md, "/staff/help/screens/").html
    assert '<img src="/staff/help/screens/staff-inbox.png" alt="受付箱" />' in html
    assert '<a href="training#session-1">研修</a>' in html
    assert "手順" in html and "../ops" not in html  # a runbook of the repository: its words, unlinked
    assert '<a href="https://example.jp/">外</a>' in html
    assert manuals.images(md) == ["screens/staff-inbox.png"]


def test_only_the_screenshots_are_served():
    assert manuals.screen_file("../resident.md") is None
    assert manuals.screen_file("resident.md") is None
    assert manuals.screen_file("nothing.png") is None
    assert manuals.screen_file("staff-inbox.png") == manuals.SCREENS / "staff-inbox.png"
