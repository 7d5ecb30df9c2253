"""The city homepage's widgets (guide/embed_views.py): pages under /embed/ in ja and en, framable by
EMBED_ALLOWED_ORIGINS only, every link keeping ?lang=, /embed.js cacheable and readable from any
origin. Every page is parsed as HTML by the test client (tests/html_check.py)."""
import re

import pytest

from tests.html_check import html_problems

WIDGET_PAGES = ("/embed/events", "/embed/search", "/embed/guide/moving_in")


@pytest.mark.parametrize("path", WIDGET_PAGES)
@pytest.mark.parametrize("lang", ["ja", "en"])
def test_widget_pages_in_both_languages(client, path, lang):
    r = client.get(f"{path}?lang={lang}")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert html_problems(html) == []
    assert f'<html lang="{lang}"' in html
    assert "site-header" not in html and "site-footer" not in html  # the minimal layout
    assert "100vh" not in html
    assert "/static/js/embed-frame.js" in html
    # every link and form keeps the language (a framed page cannot count on the cookie)
    for href in re.findall(r'<a [^>]*href="([^"]+)"', html):
        assert f"lang={lang}" in href, href
    for form in re.findall(r"<form[^>]*>.*?</form>", html, re.S):
        assert f'name="lang" value="{lang}"' in form


def test_widget_pages_speak_the_language_asked(client):
    assert "Start now" in client.get("/embed/guide/moving_in?lang=en").get_data(as_text=True)
    assert "はじめる" in client.get("/embed/guide/moving_in?lang=ja").get_data(as_text=True)
    assert "Find a procedure" in client.get("/embed/search?lang=en").get_data(as_text=True)


def test_launcher_leads_to_each_events_guide_in_the_frame(client, rulebook):
    html = client.get("/embed/events?lang=en").get_data(as_text=True)
    for event_id in rulebook.kb.events:
        assert f'href="/embed/guide/{event_id}?lang=en"' in html
    guide = client.get("/embed/guide/moving_in?lang=en").get_data(as_text=True)
    first = re.search(r'class="button button--solid" href="([^"]+)"', guide).group(1)
    assert first.startswith("/guide/moving_in/") and first.endswith("lang=en")
    assert client.get(first).status_code == 200


def test_search_widget_opens_results_in_the_whole_window(client):
    html = client.get("/embed/search?lang=ja").get_data(as_text=True)
    assert 'action="/search"' in html and 'target="_top"' in html and 'data-target="_top"' in html


@pytest.mark.parametrize("path", ["/embed/guide/no_such_event", "/embed/no_such_widget", "/embed/guide/", "/embed/"])
def test_unknown_widget_or_event_is_404(client, path):
    assert client.get(path).status_code == 404


def test_questionnaire_keeps_an_explicit_language(client):
    r = client.get("/guide/moving_in/date?lang=en&date-year=2026&date-month=12&date-day=1&submit=1")
    assert r.status_code == 302 and "lang=en" in r.location
    page = client.get(r.location).get_data(as_text=True)
    assert '<input type="hidden" name="lang" value="en">' in page
    assert "lang=" not in client.get("/guide/moving_in/date?date-year=2026&date-month=12&date-day=1&submit=1").location


@pytest.mark.parametrize("path", WIDGET_PAGES)
def test_widget_pages_framable_by_the_allowed_origins_only(app, client, path):
    default = client.get(path)
    assert "frame-ancestors 'self' https://www.city.kakogawa.lg.jp" in default.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in default.headers
    app.config["EMBED_ALLOWED_ORIGINS"] = "https://www.example.jp,https://cms.example.jp"
    try:
        csp = client.get(path).headers["Content-Security-Policy"]
    finally:
        app.config["EMBED_ALLOWED_ORIGINS"] = ""
    assert "frame-ancestors 'self' https://www.example.jp https://cms.example.jp;" in csp + ";"
    others = client.get("/procedures/")  # everything else keeps its own frame-ancestors
    assert "frame-ancestors 'none'" in others.headers["Content-Security-Policy"]
    assert others.headers["X-Frame-Options"] == "DENY"


def test_embed_script_is_cacheable_javascript_for_any_origin(client):
    r = client.get("/embed.js")
    assert r.status_code == 200
    assert r.mimetype == "text/javascript"
    assert "max-age=3600" in r.headers["Cache-Control"] and "public" in r.headers["Cache-Control"]
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    body = r.get_data(as_text=True)
    r.close()
    assert "guide-widget:height" in body and "message.source !== frame.contentWindow" in body


def test_demo_page_embeds_every_widget_outside_production(app, client):
    html = client.get("/embed/demo").get_data(as_text=True)
    for widget in ("events", "search", "guide"):
        assert f'data-widget="{widget}"' in html
    assert "<iframe src=" in html
    app.config["IS_PRODUCTION"] = True
    try:
        assert client.get("/embed/demo").status_code == 404
    finally:
        app.config["IS_PRODUCTION"] = False
