"""axe-core over a page: the WCAG 2.1 A/AA rules, and each violation as one readable line."""
from __future__ import annotations

# resultTypes: axe still runs every rule, but lists only one node of each passed or inapplicable
# one instead of all of them; on a long console page that is most of axe's time
WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
        "resultTypes": ["violations"]}


def violations(axe, page) -> list[str]:
    results = axe.run(page, options=WCAG)
    return [f"{v['id']}: {v['help']} ({len(v['nodes'])}x: {[n['target'] for n in v['nodes'][:3]]})"
            for v in results.response["violations"]]


def check_at_width(browser, axe, url: str, width: int) -> tuple[list[str], bool]:
    """``url`` opened in Japanese Chromium ``width`` px wide: its axe violations, and whether it
    fits without sideways scrolling."""
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="ja-JP")
    try:
        page = context.new_page()
        page.goto(url)
        return violations(axe, page), page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    finally:
        context.close()
