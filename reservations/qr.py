"""The QR code shown on the done and manage pages: it holds only the 予約番号, so a scanner at
the counter types the number into the staff check-in field (nothing secret is in it)."""
from __future__ import annotations

import segno
from markupsafe import Markup, escape


def number_qr(number: str, label: str) -> Markup:
    """Inline SVG, ``role="img"`` with ``label`` as its text alternative (read with the number)."""
    svg = segno.make(number, error="m").svg_inline(scale=5, border=2, dark="#1a1a1a", light="#ffffff",
                                                   omitsize=True, svgclass="reserve-qr__image")
    svg = svg.replace("<svg ", f'<svg role="img" aria-label="{escape(label)}" focusable="false" ', 1)
    return Markup(svg)  # noqa: S704  # nosec B704 - segno's SVG; the only text in it is our escaped label
