"""The test behind the 試験結果 (JIS X 8341-3:2016, /accessibility/results and
docs/accessibility-conformance.md): every page the results list as tested
(docs/accessibility-conformance.yaml, the one list) opened in Chromium, with zero axe-core
violations (WCAG 2.0 and 2.1, A and AA) at 375 px and at 1280 px, and the other automated checks
the results name (``checks``): no sideways scrolling at 375 px; a skip link first; every control
reached by Tab with a visible focus, the address unchanged by focus and the walk reaching the end;
no positive tabindex; no media, images or animations; the title naming the page's heading; the
page's language; the same header and footer links on every page of a language.

One browser page per size, reused for every page; the pages needing data (an application draft,
its status page, an open day, a booking) are made the way a resident makes them or in the database
(as tests/web/staff_reservations_helpers.py does)."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from core.conformance import results
from tests.browser.axe_check import violations

pytestmark = pytest.mark.browser

PAGES = results()["pages"]
EMAIL = "conformance@example.jp"

FACTS = """() => {
  const text = e => { if (!e) return ''; const c = e.cloneNode(true);
    c.querySelectorAll('rt, rp, .visually-hidden').forEach(x => x.remove());
    return c.textContent.replace(/\\s+/g, ''); };
  const path = a => { const u = new URL(a.href); return u.pathname; };
  return {
    media: [...document.querySelectorAll('audio, video, object, embed, marquee, blink, iframe')].map(e => e.tagName),
    images: [...document.querySelectorAll('img')].filter(e => !/-qr\\.svg$/.test(new URL(e.src).pathname))
      .map(e => e.src),
    animations: document.getAnimations().length,
    title: document.title.split('|').slice(0, -1).join('|').replace(/^(エラー：|Error: )/, '').trim(),
    site: document.title.split('|').pop().trim(),
    h1: text(document.querySelector('h1')),
    lang: document.documentElement.lang,
    positive_tabindex: [...document.querySelectorAll('[tabindex]')].filter(e => e.tabIndex > 0).length,
    header: [...document.querySelectorAll('.site-header__name, .site-header__search, .site-menu a')]
      .map(a => text(a) + ' ' + path(a)).concat([...document.querySelectorAll('.lang-switch__list li')].map(text)),
    footer: [...document.querySelectorAll('.site-footer a')].map(a => text(a) + ' ' + a.getAttribute('href')),
    home: !!document.querySelector('a[href="/"]'),
    search: !!document.querySelector('.site-header__search[href^="/search"]'),
  };
}"""

# the controls a keyboard user must reach: visible, enabled, not taken out of the Tab order
# (one radio button per group: Tab enters a group, the arrow keys move within it)
FOCUSABLE = """() => {
  const all = [...document.querySelectorAll('*')];
  const keys = [];
  for (const e of document.querySelectorAll('a[href], button, input, select, textarea, summary, [tabindex]')) {
    if (e.disabled || e.type === 'hidden' || e.tabIndex < 0 || !e.checkVisibility({visibilityProperty: true})) continue;
    const key = e.type === 'radio' && e.name ? 'radio:' + e.name : String(all.indexOf(e));
    if (!keys.includes(key)) keys.push(key);
  }
  return keys;
}"""

ACTIVE = """() => {
  const e = document.activeElement;
  if (!e || e === document.body || e === document.documentElement) return null;
  const s = getComputedStyle(e);
  const ring = (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== 'none';
  const key = e.type === 'radio' && e.name ? 'radio:' + e.name : String([...document.querySelectorAll('*')].indexOf(e));
  return {key: key, ring: ring, what: e.tagName + (e.id ? '#' + e.id : '') + ' ' + (e.textContent || e.name || '').trim().slice(0, 30),
          skip: e.matches('a.skip-link[href="#main"]') && !!document.getElementById('main')};
}"""


def tab_walk(page, url: str) -> list[str]:
    """Tab from the top of the page to its end: what went wrong."""
    problems = []
    # Tab from the top, wherever the page put the focus (an error summary takes it on load)
    page.evaluate("""() => { const start = document.createElement('span'); start.tabIndex = -1;
      document.body.prepend(start); start.focus(); }""")
    wanted = page.evaluate(FOCUSABLE)
    reached = []
    for n in range(len(wanted) + 30):
        page.keyboard.press("Tab")
        active = page.evaluate(ACTIVE)
        if page.url != url:
            problems.append(f"focus changed the page to {page.url}")
            break
        if active is None or (reached and active["key"] == reached[0]):
            break  # past the last control (or round to the first): no trap
        if n == 0 and not active["skip"]:
            problems.append(f"the first Tab reaches {active['what']}, not the skip link to #main")
        if not active["ring"]:
            problems.append(f"no visible focus on {active['what']}")
        reached.append(active["key"])
    else:
        problems.append(f"Tab did not reach the end after {len(reached)} controls (a trap?)")
    missed = [k for k in wanted if k not in reached]
    if missed:
        problems.append(f"{len(missed)} controls never reached by Tab: {missed[:5]}")
    if [k for k in reached if k in wanted] != [k for k in wanted if k in reached]:
        problems.append("Tab order is not the document's order")
    return problems


def status_path(app, app_id: str) -> str:
    from intake import links
    with app.app_context():
        return f"/apply/status/{links.status_token(app_id)}"


@pytest.fixture(scope="module")
def booking_path(app):
    from reservations import links
    from tests.web.staff_reservations_helpers import add_booking
    number, _name = add_booking(app, service_id="tennyu")
    with app.app_context():
        return f"/reserve/manage/{links.manage_token(number)}"


def resolve(page, base: str, entry: dict, made: dict, app, booking: str) -> str:
    """The page's path: as listed, or made the way a resident makes it (once per browser page)."""
    kind = entry.get("made")
    if kind is None:
        return entry["path"]
    if kind not in made:
        if kind in ("draft_section", "application_status"):
            page.goto(base + "/apply/juminhyo_utsushi")
            page.fill("input[name=email]", EMAIL)
            with page.expect_navigation():
                page.click("main form[method=post] button[type=submit]")
            made["draft_section"] = urlsplit(page.url).path
            made["application_status"] = status_path(app, made["draft_section"].split("/")[3])
        elif kind == "first_open_day":
            page.goto(base + "/reserve/tennyu/shiyakusho")
            made[kind] = page.locator("a.reserve-calendar__link").first.get_attribute("href")
        elif kind == "booking_manage":
            made[kind] = booking
        else:
            raise AssertionError(f"unknown made page {kind}")
    return made[kind]


@pytest.mark.parametrize("width", [375, 1280])
def test_every_tested_page_passes_the_automated_checks(browser, live_server, app, axe, booking_path, width):
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="ja-JP")
    page = context.new_page()
    made: dict[str, str] = {}
    found: list[str] = []
    navigation: dict[str, tuple] = {}
    try:
        for entry in PAGES:
            path = resolve(page, live_server, entry, made, app, booking_path)
            lang = dict(part.split("=") for part in urlsplit(path).query.split("&") if part.startswith("lang=")).get("lang")
            # the language is kept in a cookie: a page listed without one is opened in Japanese
            url = live_server + path + ("" if lang else ("&" if "?" in path else "?") + "lang=ja")
            lang = lang or "ja"
            page.goto(url)
            url = page.url
            label = f"{path} at {width}px"
            found += [f"{label}: {v}" for v in violations(axe, page)]
            if width == 375:
                if not page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"):
                    found.append(f"{label}: scrolls sideways")
                continue
            facts = page.evaluate(FACTS)
            expected_lang = {"easy": "ja", "zh": "zh-Hans", "pt": "pt-BR"}.get(lang, lang)
            for problem in (
                facts["media"] and f"media: {facts['media']}",
                facts["images"] and f"images other than QR codes: {facts['images']}",
                facts["animations"] and f"{facts['animations']} animations",
                # the home page is named by the site's name alone
                not (facts["h1"] and (facts["title"] or facts["h1"] == facts["site"].replace(" ", "")))
                and f"title {facts['title']!r} | {facts['site']!r} names no page (h1 {facts['h1']!r})",
                facts["lang"] != expected_lang and f"lang={facts['lang']}, not {expected_lang}",
                facts["positive_tabindex"] and "a positive tabindex",
                not (facts["home"] and facts["search"]) and "no link to the home page or to the search",
            ):
                if problem:
                    found.append(f"{label}: {problem}")
            # the same links in the same order (3.2.3); the help link's section (#guide, #apply …) follows the page
            facts["footer"] = [re.sub(r"#[^ ]*$", "", link) for link in facts["footer"]]
            first = navigation.setdefault(lang, (path, facts["header"], facts["footer"]))
            if (facts["header"], facts["footer"]) != first[1:]:
                found.append(f"{label}: header or footer links differ from {first[0]}: "
                             f"{facts['header']} {facts['footer']} / {first[1]} {first[2]}")
            found += [f"{label}: {p}" for p in tab_walk(page, url)]
    finally:
        context.close()
    assert len(PAGES) >= 40
    assert found == [], "\n".join(found)
