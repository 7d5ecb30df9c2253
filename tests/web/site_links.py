"""The site's own links, as a browser would follow them (tests of the home, header and procedure pages)."""
from __future__ import annotations

import re

SERVICES = ("/guide/", "/apply", "/reserve", "/procedures/")
HREF = re.compile(r'href="([^"]+)"')


def internal_links(html: str) -> set[str]:
    """The page's links inside the site (no other hosts, no tel:, no fragments)."""
    out = set()
    for href in HREF.findall(html):
        href = href.replace("&amp;", "&")
        if href.startswith("/") and not href.startswith("//"):
            out.add(href.split("#", 1)[0])
    return out


def status_of(client, link: str) -> int:
    response = client.get(link)
    response.close()  # a static file's response holds the file open
    return response.status_code
