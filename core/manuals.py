"""The manuals (docs/manual/*.md) as HTML for the help pages: one file each, rendered by
markdown-it with raw HTML off (a ``<script>`` in a manual is shown as text, never run), each
heading given an id so the screens can link to their section, images pointed at the screenshots
route of the page that shows them. Plain Python (no Flask): the pages and the tests share it.

A heading may name its id: ``## 申請の審査 {#review}``; the screens link to these, so they stay
put when the words change. Other headings get an id from their words."""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from markdown_it import MarkdownIt

DIRECTORY = Path(__file__).resolve().parents[1] / "docs" / "manual"
SCREENS = DIRECTORY / "screens"
RESIDENT, STAFF = "resident", "staff"  # who may read a manual: everyone, or staff in the console


@dataclass(frozen=True)
class Manual:
    name: str  # the file's stem and the URL's last part
    audience: str


MANUALS = {m.name: m for m in (Manual("resident", RESIDENT), Manual("staff", STAFF), Manual("training", STAFF))}

_EXPLICIT_ID = re.compile(r"\s*\{#([a-z0-9][a-z0-9-]*)\}\s*$")
_IMAGE = re.compile(r"!\[[^\]]*\]\((screens/[^)\s]+)\)")


@dataclass(frozen=True)
class Heading:
    level: int
    id: str
    text: str


@dataclass(frozen=True)
class Rendered:
    title: str
    html: str
    headings: tuple[Heading, ...]


def source(name: str) -> str:
    return (DIRECTORY / f"{name}.md").read_text(encoding="utf-8")


def images(text: str) -> list[str]:
    """The screenshots a manual shows (``screens/<file>``), as written in it, in order."""
    return _IMAGE.findall(text)


def _parser() -> MarkdownIt:
    # "commonmark" with html off: raw HTML is escaped; tables on (the manuals use them)
    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")


def _word_id(text: str) -> str:
    return re.sub(r"[\s/?#%&\"'<>]+", "-", text.strip()).strip("-").lower() or "section"


def render(text: str, screens_url: str) -> Rendered:
    """``text`` (Markdown) as HTML; ``screens_url`` is the prefix images under ``screens/`` get."""
    md = _parser()
    tokens = md.parse(text)
    headings, used = [], set()
    for i, token in enumerate(tokens):
        if token.type != "heading_open":
            continue
        inline = tokens[i + 1]
        found = _EXPLICIT_ID.search(inline.content)
        words = _EXPLICIT_ID.sub("", inline.content)
        ident = found.group(1) if found else _word_id(words)
        while ident in used:  # two headings with the same words: the later ones numbered
            ident += "-2"
        used.add(ident)
        if found and inline.children:
            last = inline.children[-1]
            last.content = _EXPLICIT_ID.sub("", last.content)
        inline.content = words
        token.attrSet("id", ident)
        headings.append(Heading(int(token.tag[1]), ident, words))
    for token in tokens:
        for child in token.children or ():
            src = child.attrGet("src") if child.type == "image" else None
            if src and src.startswith("screens/"):
                child.attrSet("src", screens_url.rstrip("/") + "/" + src.removeprefix("screens/"))
        _relink(token.children or [])
    title = next((h.text for h in headings if h.level == 1), "")
    return Rendered(title, md.renderer.render(tokens, md.options, {}), tuple(headings))


def _relink(children: list) -> None:
    """``other.md#x`` (another manual) → ``other#x``; a link out of the folder (``../ops/backup.md``,
    a runbook in the repository) has no page in the app: its words stay, unlinked."""
    closing = []
    for child in children:
        if child.type == "link_open":
            href = child.attrGet("href") or ""
            page, _, anchor = href.partition("#")
            if page.endswith(".md") and "/" not in page:
                child.attrSet("href", page.removesuffix(".md") + (f"#{anchor}" if anchor else ""))
                closing.append(False)
            elif href.startswith("../"):
                child.type, child.tag, child.content, child.attrs = "text", "", "", {}
                closing.append(True)
            else:
                closing.append(False)
        elif child.type == "link_close" and closing.pop():
            child.type, child.tag, child.content = "text", "", ""


@functools.lru_cache(maxsize=16)
def _rendered(name: str, screens_url: str, stamp: float) -> Rendered:
    return render(source(name), screens_url)


def rendered(name: str, screens_url: str) -> Rendered:
    """A manual as HTML, rendered again when its file changes (a new checkout, an edit)."""
    return _rendered(name, screens_url, (DIRECTORY / f"{name}.md").stat().st_mtime)


def screen_file(file: str) -> Path | None:
    """A screenshot's path, or None for anything that is not one of them (no other file is served)."""
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*\.png", file):
        return None
    path = SCREENS / file
    return path if path.is_file() else None
