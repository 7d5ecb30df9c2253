"""Furigana of やさしい日本語: written ``{住民票|じゅうみんひょう}`` in catalogs and pack texts, shown as
``<ruby>`` on pages (switchable: ``.ruby-off`` hides the readings) and as 住民票（じゅうみんひょう）
where no markup can go (a mail's text, JSON, a CSV).

Plain Python: pages, mails and the API read it.
"""
from __future__ import annotations

import re

from markupsafe import escape

NOTATION = re.compile(r"\{([^{}|\n]{1,40})\|([\u3041-\u309f\u30a0-\u30ffー・ ]{1,60})\}")
_TAG = re.compile(r"<[^>]*>")
# elements whose text cannot hold markup: the readings go in brackets there (or, in a tag's
# attributes, only the kanji: a label read aloud or shown in a tooltip stays short)
_NO_MARKUP = re.compile(r"(<(title|option|textarea|script|style)\b[^>]*>)(.*?)(</\2\s*>)",
                        re.IGNORECASE | re.DOTALL)


def has_notation(text: str) -> bool:
    return "|" in text and NOTATION.search(text) is not None


def plain(text: str) -> str:
    """The kanji alone: 「{住民票|じゅうみんひょう}」 → 「住民票」."""
    return NOTATION.sub(r"\1", text)


def with_readings(text: str) -> str:
    """The readings in brackets: 「住民票（じゅうみんひょう）」 (a mail's text, JSON)."""
    return NOTATION.sub(r"\1（\2）", text)


def _ruby(match: re.Match[str]) -> str:
    base, reading = match.group(1), match.group(2)
    return f"<ruby>{base}<rp>（</rp><rt>{reading}</rt><rp>）</rp></ruby>"


def ruby_html(html: str) -> str:
    """An HTML page with its notations as ``<ruby>`` in text, readings in brackets inside
    elements that hold no markup, and the kanji alone inside tags' attributes. The notation's
    characters were escaped with the rest of the text, so nothing here can open a tag."""
    if not has_notation(html):
        return html

    def no_markup(match: re.Match[str]) -> str:
        return match.group(1) + with_readings(match.group(3)) + match.group(4)

    html = _NO_MARKUP.sub(no_markup, html)
    out: list[str] = []
    last = 0
    for tag in _TAG.finditer(html):
        out.append(NOTATION.sub(_ruby, html[last:tag.start()]))
        out.append(plain(tag.group(0)))
        last = tag.end()
    out.append(NOTATION.sub(_ruby, html[last:]))
    return "".join(out)


def ruby_markup(text: str) -> str:
    """One text (escaped) with its notations as ``<ruby>``: for a fragment built outside a page."""
    return NOTATION.sub(_ruby, str(escape(text)))
