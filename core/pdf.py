"""A4 pages drawn at millimetre positions with an embedded Japanese TrueType font (fpdf2).

    font = find_font(configured)             # Path, or PdfFontMissing (a 503 AppError) naming where it looked
    doc = Document(font, created=fixed)      # a fixed creation date gives byte-identical output
    doc.add_page()
    doc.box(15, 20, 90, 12)                  # x, y, width, height in mm from the top left
    doc.text(17, 23, "氏名", size=7)           # top left of the text at (x, y)
    doc.fit_text(17, 26, 86, "山田　太郎", size=12)  # shrunk until it fits 86 mm
    doc.checkbox(20, 30, checked=True)
    pdf_bytes = doc.output()

Generic: knows nothing of forms or households (reservations.form_pdf lays those out). The font is
embedded as a subset (only the glyphs used), so a page is a few tens of kilobytes.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path

from flask_babel import lazy_gettext as _l
from fpdf import FPDF

from core.errors import AppError

A4_WIDTH, A4_HEIGHT = 210.0, 297.0  # mm, portrait
PT_PER_MM = 72 / 25.4
FONT_NAME = "jp"
# Where Debian / Ubuntu put the IPA Gothic fonts (fonts-ipafont-gothic), first found wins.
FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf",
    "/usr/share/fonts/truetype/fonts-japanese-gothic.ttf",
    "/usr/share/fonts/opentype/ipafont-gothic/ipagp.ttf",
    "/usr/share/fonts/truetype/ipafont-gothic/ipag.ttf",
    "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf",
    "/usr/share/fonts/truetype/ipaexfont-gothic/ipaexg.ttf",
)


class PdfFontMissing(AppError):
    """No Japanese TrueType font to embed: printing cannot work until one is installed (503)."""

    status = 503

    def __init__(self, looked_in: Iterable[str]):
        self.looked_in = tuple(looked_in)
        super().__init__("pdf_font_missing",
                         _l("印刷用の日本語フォントが見つからないため、印刷できません。管理者に連絡してください。"))


def find_font(configured: str | Path | None = None) -> Path:
    """The font file to embed: ``configured`` (PDF_FONT_PATH) when given, else the first of
    FONT_CANDIDATES that exists. A configured path that does not exist is an error, not a fallback
    (a typo must not print in another font)."""
    candidates = (str(configured),) if configured else FONT_CANDIDATES
    for candidate in candidates:
        path = Path(candidate)
        if path.is_file():
            return path
    raise PdfFontMissing(candidates)


class Document:
    """A4 portrait pages, millimetres from the top left, one embedded font."""

    def __init__(self, font: str | Path, *, title: str = "", created: dt.datetime | None = None):
        pdf = FPDF(orientation="P", unit="mm", format="A4")
        pdf.set_auto_page_break(False)
        pdf.set_margins(0, 0, 0)
        pdf.add_font(FONT_NAME, "", str(font))
        pdf.set_font(FONT_NAME, size=10)
        pdf.set_line_width(0.3)
        pdf.set_creator("municipal e-service")
        if title:
            pdf.set_title(title)
        if created is not None:
            pdf.set_creation_date(created)
        self._pdf = pdf

    @property
    def pages(self) -> int:
        return self._pdf.page_no()

    def add_page(self) -> None:
        self._pdf.add_page()

    def width_of(self, text: str, size: float) -> float:
        """The text's width in mm at ``size`` points."""
        self._pdf.set_font_size(size)
        return self._pdf.get_string_width(text)

    def text(self, x: float, y: float, text: str, *, size: float = 10) -> None:
        """``text`` with its top left at (x, y) mm."""
        if not text:
            return
        self._pdf.set_font_size(size)
        ascent = size / PT_PER_MM * 0.88  # the baseline sits this far below the top of the glyphs
        self._pdf.text(x, y + ascent, text)

    def fit_text(self, x: float, y: float, width: float, text: str, *, size: float = 11, min_size: float = 5) -> float:
        """``text`` at (x, y), shrunk (down to ``min_size``) until it fits ``width`` mm; the size used."""
        while size > min_size and self.width_of(text, size) > width:
            size = max(min_size, size - 0.5)
        self.text(x, y, text, size=size)
        return size

    def box(self, x: float, y: float, w: float, h: float, *, thick: bool = False) -> None:
        self._pdf.set_line_width(0.6 if thick else 0.3)
        self._pdf.rect(x, y, w, h)
        self._pdf.set_line_width(0.3)

    def line(self, x1: float, y1: float, x2: float, y2: float, *, width: float = 0.3) -> None:
        self._pdf.set_line_width(width)
        self._pdf.line(x1, y1, x2, y2)
        self._pdf.set_line_width(0.3)

    def shade(self, x: float, y: float, w: float, h: float, *, grey: int = 235) -> None:
        """A light background (a label cell), drawn before its text."""
        self._pdf.set_fill_color(grey)
        self._pdf.rect(x, y, w, h, style="F")
        self._pdf.set_fill_color(255)

    def checkbox(self, x: float, y: float, *, size: float = 3.5, checked: bool = False) -> None:
        """A square with its top left at (x, y); a drawn tick when ``checked`` (no glyph needed)."""
        self.box(x, y, size, size)
        if checked:
            s = size
            self.line(x + 0.18 * s, y + 0.5 * s, x + 0.42 * s, y + 0.8 * s, width=0.5)
            self.line(x + 0.42 * s, y + 0.8 * s, x + 0.9 * s, y + 0.12 * s, width=0.5)

    def output(self) -> bytes:
        # with a fixed creation date the /ID (derived from the content) is the same too: byte-identical
        return bytes(self._pdf.output())
