"""QR code (SVG) of the result URL, to show at the counter."""
from __future__ import annotations

import io

import segno


def qr_svg(url: str) -> bytes:
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=4, border=2, dark="#1a1a1a",
                                    xmldecl=False, svgns=True, title="QR", nl=False)
    return out.getvalue()
