"""QR codes as SVG: the one place segno is called (result pages, booking numbers, TOTP set-up)."""
from __future__ import annotations

import io
from collections.abc import Sequence

import segno
from markupsafe import Markup, escape

MODE_BYTE = segno.consts.MODE_BYTE
MODE_ALPHANUMERIC = segno.consts.MODE_ALPHANUMERIC

# a plain text, or (text, mode) segments so a long capitals-only tail uses the denser alphanumeric mode
Content = str | Sequence[tuple[str, int]]


def make(content: Content) -> segno.QRCode:
    """Error correction M (15 %): readable from a creased print-out; never a Micro QR."""
    return segno.make(content, error="m", micro=False)


def qr_svg_bytes(content: Content, title: str) -> bytes:
    """A standalone SVG document (served as image/svg+xml or inlined), ``title`` as its name."""
    out = io.BytesIO()
    make(content).save(out, kind="svg", scale=4, border=4, dark="#1a1a1a", xmldecl=False, svgns=True,
                       title=title, nl=False)
    return out.getvalue()


def qr_markup(content: Content, title: str) -> Markup:
    """``qr_svg_bytes`` ready to put in a template."""
    return Markup(qr_svg_bytes(content, title).decode())  # noqa: S704  # nosec B704 - segno's SVG; the title is ours


def labelled_qr(content: str, label: str, css_class: str) -> Markup:
    """Inline SVG, ``role="img"`` with ``label`` as its text alternative (read with the content)."""
    # micro left to segno: a short booking number may become a Micro QR, as counter scanners read it
    svg = segno.make(content, error="m").svg_inline(scale=5, border=2, dark="#1a1a1a", light="#ffffff",
                                                    omitsize=True, svgclass=css_class)
    svg = svg.replace("<svg ", f'<svg role="img" aria-label="{escape(label)}" focusable="false" ', 1)
    return Markup(svg)  # noqa: S704  # nosec B704 - segno's SVG; the only text in it is our escaped label
