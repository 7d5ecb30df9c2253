"""Every staff route for every role, as a browser would reach it: start at the console home,
follow every link and every endpoint a page hands to its scripts (data-*-url), submit every
GET form, then post every POST form of the pages seen with what the browser would send, and
finally ask for every /staff rule of the URL map with made-up arguments. Nothing may answer
5xx: a 500 on a background endpoint (the idle warning's /staff/session) fed the 5xx alert and
sent administrators false 「サーバーエラーの急増」 mails."""
from __future__ import annotations

import html as htmlmod
import re
from urllib.parse import urlencode, urlsplit

import pytest

from core import policy
from tests.browserlike import forms_of, path_only, submit
from tests.web.staff_reservations_helpers import add_booking, clean
from tests.web.test_staff_applications import ADDRESS, NAME, submitted

DEPARTMENTS = {policy.ADMIN: "", policy.DEPARTMENT: "shimin", policy.COUNTER: "shimin",
               policy.CURATOR: "", policy.AUDITOR: ""}
URL_IN_PAGE = re.compile(r'(?:href|action|data-[\w-]+)="(/staff[^"]*)"')
SKIP_POSTS = ("/staff/logout",)
PAGES_PER_PATH = 3  # distinct query strings followed per path (pagination, sorting, filters)
MAX_PAGES = 400


def _links(html: str) -> list[str]:
    return [htmlmod.unescape(u) for u in URL_IN_PAGE.findall(html)]


def crawl(client, start: str = "/staff/", kinds: dict[str, str] | None = None) -> tuple[dict[str, int], list]:
    """GET every reachable staff page; returns the status of each and the POST forms seen
    (``kinds``, when given, gets each URL's media type)."""
    statuses: dict[str, int] = {}
    per_path: dict[str, int] = {}
    posts: dict[str, tuple[str, str]] = {}
    queue = [start]
    while queue and len(statuses) < MAX_PAGES:
        url = queue.pop(0)
        path = urlsplit(url).path
        if url in statuses or url.startswith("/staff/logout"):
            continue
        if per_path.get(path, 0) >= PAGES_PER_PATH:
            continue
        per_path[path] = per_path.get(path, 0) + 1
        r = client.get(url, headers={"Accept": "text/html,application/json;q=0.9"})
        body = r.get_data()  # read it all, as a browser does (streamed downloads too)
        statuses[url] = r.status_code
        if kinds is not None:
            kinds[url] = r.mimetype
        assert r.status_code < 500, f"{url} answered {r.status_code}"
        if r.status_code in (301, 302, 303, 307, 308):
            queue.append(path_only(r.location))
            continue
        if r.mimetype != "text/html":
            continue
        html = body.decode("utf-8")
        queue.extend(u for u in _links(html) if u not in statuses)
        for form in forms_of(html, url):
            if not form.action.startswith("/staff"):
                continue
            if form.method == "get":
                buttons = form.buttons()
                query = urlencode(form.data(buttons[0] if buttons else None))
                queue.append(form.action.split("?")[0] + (f"?{query}" if query else ""))
            else:
                posts.setdefault(form.action, (url, html))
    return statuses, list(posts.items())


def _dummy(rule) -> str:
    values = {arg: ("1" if conv.__class__.__name__ in ("IntegerConverter",) else "x")
              for arg, conv in rule._converters.items()}
    return rule.build(values)[1] if values else rule.rule


@pytest.fixture
def lived_in(app, forms, trusted, card_key):
    """An application sent to 市民課 and today's bookings at its counter: pages with rows."""
    cert = trusted.issue_signing_cert(NAME, ADDRESS, "1985-04-01", "2", key=card_key, write=False)
    numbers = [submitted(app, forms, trusted, cert) for _ in range(2)]
    add_booking(app)
    add_booking(app, status="checked_in")
    yield numbers
    clean(app)


@pytest.mark.parametrize("role", policy.ROLES)
def test_every_staff_route_for_every_role_answers_without_5xx(app, staff_client, lived_in, role):
    client = staff_client(role, DEPARTMENTS[role])
    statuses, posts = crawl(client)
    assert statuses.get("/staff/") == 200
    # The idle warning's endpoint is found through the page (data-session-url) and works.
    assert statuses.get("/staff/session") == 200, sorted(statuses)

    for action, (page_url, html) in posts:
        if action.startswith(SKIP_POSTS):
            continue
        r = submit(client, page_url, action, html=html)
        r.get_data()
        assert r.status_code < 500, f"POST {action} (form of {page_url}) answered {r.status_code}"

    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/staff") or "GET" not in rule.methods or rule.endpoint == "staff.logout":
            continue
        url = _dummy(rule)
        r = client.get(url)
        r.get_data()
        assert r.status_code < 500, f"{url} ({rule.endpoint}) answered {r.status_code} for {role}"
        if not policy.allowed(rule.endpoint, role):
            assert r.status_code in (403, 404), (url, r.status_code)
    # Still logged in: no form above ended the session by accident.
    assert client.get("/staff/").status_code == 200
