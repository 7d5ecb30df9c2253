"""Every page a test renders is parsed as HTML: a parse error (unclosed or stray tags, a
duplicate attribute, a missing doctype) or a duplicate id fails the test that rendered it.

html5lib follows the HTML parsing algorithm, so a page it parses without error is parsed the
same way by every browser; the ids are checked on the tree, since the parser allows duplicates
(labels, ``aria-describedby`` and skip links point at the first one only)."""
from __future__ import annotations

import hashlib
import re
from collections import Counter

import html5lib
from flask.testing import FlaskClient
from html5lib.constants import E

_valid: set[bytes] = set()  # digests of pages already checked (the same page on both engines, or twice)
# html5lib parses in pure Python (~0.1 s for a result page, ten times the rendering), so each kind of
# page (method, path with its ids and tokens folded, status) is parsed in its first few different
# states of the session rather than on every one of the suite's thousands of requests
STATES_PER_PAGE = 6
_seen: Counter[tuple[str, str, int]] = Counter()
_ID_LIKE = re.compile(r"/(?=[^/]*\d)[^/]{6,}")


def page_kind(method: str, path: str, status: int) -> tuple[str, str, int]:
    """The page a request shows, whatever its ids: /reserve/manage/ab12… and /reserve/manage/cd34… alike."""
    return method, _ID_LIKE.sub("/*", path), status


def html_problems(body: str) -> list[str]:
    """What is wrong with ``body`` as an HTML document: parse errors with line and column, and
    ids given to more than one element."""
    parser = html5lib.HTMLParser(namespaceHTMLElements=False)
    tree = parser.parse(body)
    lines = body.splitlines()
    problems = []
    for (line, column), code, data in parser.errors:
        message = E.get(code, code) % (data or {}) if isinstance(data, dict) else code
        source = lines[line - 1].strip()[:160] if 0 < line <= len(lines) else ""
        problems.append(f"line {line}:{column}: {message}\n      {source}")
    ids = Counter(el.get("id") for el in tree.iter() if isinstance(el.tag, str) and el.get("id") is not None)
    problems += [f'id "{ident}" is given to {n} elements' for ident, n in ids.items() if n > 1]
    return problems


def check_html(response) -> None:
    """Fails (AssertionError) if ``response`` is an HTML page with problems."""
    if response.mimetype != "text/html" or response.direct_passthrough:
        return
    data = response.get_data()
    if not data.strip():
        return
    digest = hashlib.sha1(data).digest()  # nosec B324: a cache key, not a signature
    if digest in _valid:
        return
    kind = page_kind(response.request.method, response.request.path, response.status_code)
    if _seen[kind] >= STATES_PER_PAGE:
        return
    _seen[kind] += 1
    problems = html_problems(data.decode(response.mimetype_params.get("charset", "utf-8"), errors="replace"))
    assert not problems, (f"{response.request.method} {response.request.path} is not valid HTML:\n  "
                          + "\n  ".join(problems))
    _valid.add(digest)


class CheckedClient(FlaskClient):
    """The test client of the tests' apps: each HTML response is checked before the test sees it."""

    def open(self, *args, **kwargs):
        response = super().open(*args, **kwargs)
        check_html(response)
        return response
