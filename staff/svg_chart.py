"""A tiny server-rendered SVG bar chart (no JavaScript, no inline styles: the CSP allows neither).

The chart is a picture of numbers the page also shows as an HTML table (the real content): the
SVG is ``role="img"`` with a ``<title>`` and a ``<desc>`` (the gist, and where the numbers are).

    bar_chart([("login.success", 12), ("staff.view", 30)], _("操作別の件数"))
    bar_chart(days, _("日別の件数"), horizontal=False)   # columns, e.g. one per day
"""
from __future__ import annotations

import hashlib
import math
import unicodedata
from collections.abc import Sequence

from flask_babel import gettext as _
from markupsafe import Markup, escape

BAR_COLOUR = "#0031d8"  # DADS blue 900 on white: 8.6:1
TEXT_COLOUR = "#1a1a1a"
AXIS_COLOUR = "#767676"
FONT = 14
WIDTH = 720
ROW = 28  # px per bar (horizontal)
BAR = 18
PLOT_HEIGHT = 200  # px of the columns (vertical)


def _text_width(label: str, font: int = FONT) -> int:
    """Rough width in px: full-width characters count double."""
    return math.ceil(sum(font if unicodedata.east_asian_width(ch) in "WF" else font * 0.6 for ch in label))


def _default_desc(rows: Sequence[tuple[str, int]]) -> str:
    if not rows:
        return _("データはありません。")
    label, value = max(rows, key=lambda r: r[1])
    return _("%(n)s項目、合計%(total)s件。最も多いのは「%(label)s」の%(value)s件。数値はこの図と同じ内容の表にあります。",
             n=len(rows), total=f"{sum(v for _l, v in rows):,}", label=label, value=f"{value:,}")


def bar_chart(data: Sequence[tuple[str, int]], title: str, *, desc: str | None = None,
              chart_id: str | None = None, horizontal: bool = True, width: int = WIDTH) -> Markup:
    """One bar per (label, value), with the value written beside (or above) each bar."""
    rows = [(str(label), int(value)) for label, value in data]
    if chart_id is None:
        seed = repr((title, rows)).encode("utf-8")
        chart_id = "chart-" + hashlib.sha256(seed).hexdigest()[:10]
    desc = _default_desc(rows) if desc is None else desc
    body, height = (_horizontal if horizontal else _vertical)(rows, width)
    ids = f"{chart_id}-title {chart_id}-desc"
    # every text in it is escaped; the rest are numbers
    return Markup(  # noqa: S704  # nosec B704
        f'<svg xmlns="http://www.w3.org/2000/svg" class="bar-chart" id="{escape(chart_id)}" role="img" '
        f'aria-labelledby="{escape(ids)}" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'font-size="{FONT}" font-family="sans-serif">'
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>'
        f'<desc id="{escape(chart_id)}-desc">{escape(desc)}</desc>'
        + "".join(body) + "</svg>")


def _horizontal(rows: list[tuple[str, int]], width: int) -> tuple[list[str], int]:
    label_w = min(max((_text_width(label) for label, _v in rows), default=0) + 12, width // 2)
    top = max((value for _l, value in rows), default=0)
    plot_w = max(width - label_w - _text_width(f"{top:,}") - 12, 40)
    out = []
    for i, (label, value) in enumerate(rows):
        y = 4 + i * ROW
        bar_w = max(round(plot_w * value / top), 1 if value else 0) if top else 0
        mid = y + ROW / 2
        out.append(f'<g><text x="{label_w - 8}" y="{mid}" text-anchor="end" dominant-baseline="middle" '
                   f'fill="{TEXT_COLOUR}">{escape(label)}</text>'
                   f'<rect x="{label_w}" y="{y + (ROW - BAR) / 2}" width="{bar_w}" height="{BAR}" fill="{BAR_COLOUR}"/>'
                   f'<text x="{label_w + bar_w + 6}" y="{mid}" dominant-baseline="middle" '
                   f'fill="{TEXT_COLOUR}">{value:,}</text></g>')
    return out, max(len(rows), 1) * ROW + 8


def _vertical(rows: list[tuple[str, int]], width: int) -> tuple[list[str], int]:
    top = max((value for _l, value in rows), default=0)
    left, value_h, label_h = 8, FONT + 6, FONT + 10
    n = max(len(rows), 1)
    slot = (width - 2 * left) / n
    bar_w = max(slot * 0.7, 1)
    widest = max((_text_width(label, FONT) for label, _v in rows), default=0) + 8
    label_every = max(1, math.ceil(widest / slot))  # skip labels that would overlap
    show_values = _text_width(f"{top:,}") <= slot
    base = value_h + PLOT_HEIGHT
    out = [f'<line x1="{left}" y1="{base}" x2="{width - left}" y2="{base}" stroke="{AXIS_COLOUR}"/>']
    for i, (label, value) in enumerate(rows):
        x = left + i * slot + (slot - bar_w) / 2
        h = max(round(PLOT_HEIGHT * value / top), 1 if value else 0) if top else 0
        centre = x + bar_w / 2
        parts = [f'<rect x="{x:.1f}" y="{base - h}" width="{bar_w:.1f}" height="{h}" fill="{BAR_COLOUR}"/>']
        if show_values and value:  # zero is plain from the missing bar (and in the table)
            parts.append(f'<text x="{centre:.1f}" y="{base - h - 4}" text-anchor="middle" '
                         f'fill="{TEXT_COLOUR}">{value:,}</text>')
        if i % label_every == 0:
            parts.append(f'<text x="{centre:.1f}" y="{base + label_h - 4}" text-anchor="middle" '
                         f'fill="{TEXT_COLOUR}">{escape(label)}</text>')
        out.append("<g>" + "".join(parts) + "</g>")
    return out, base + label_h + 4
