"""QR code (SVG) of the result URL, to show at the counter or scan from paper.

The answers travel in the QR code packed into one short parameter (``a``: the query string,
raw-deflated and base32-encoded in capitals, which the QR code holds in its denser alphanumeric
mode), so that the code stays at a low version that a phone can read from a printed A4 page.
``unpack_answers`` reverses it with bounded sizes.
"""
from __future__ import annotations

import base64
import binascii
import zlib
from urllib.parse import parse_qsl, urlencode

from core import qr

PACKED_PARAM = "a"
MAX_PACKED = 1200  # characters of the packed parameter accepted
MAX_UNPACKED = 4000  # bytes after inflating (the answers of the largest household fit easily)


def pack_answers(answers: dict[str, str]) -> str:
    raw = urlencode(sorted(answers.items())).encode()
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return base64.b32encode(c.compress(raw) + c.flush()).rstrip(b"=").decode()


def unpack_answers(packed: str) -> dict[str, str]:
    """The answers in ``packed``; {} for anything that is not a packed answer string."""
    if not packed or len(packed) > MAX_PACKED:
        return {}
    try:
        data = base64.b32decode(packed.upper() + "=" * (-len(packed) % 8))
        d = zlib.decompressobj(-15)
        raw = d.decompress(data, MAX_UNPACKED)
        if d.unconsumed_tail:
            return {}
        return dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=False, max_num_fields=200))
    except (binascii.Error, ValueError, zlib.error, UnicodeDecodeError):
        return {}


def compact_url(base: str, answers: dict[str, str]) -> str:
    """``base`` (the result page's absolute URL) with the answers packed, when that makes the QR
    code smaller."""
    plain = urlencode(sorted(answers.items()))
    packed = f"{PACKED_PARAM}={pack_answers(answers)}" if answers else ""
    # bits in the QR code: 8 a character in byte mode; the packed capitals take 5.5 each
    query = packed if packed and (len(PACKED_PARAM) + 1) * 8 + (len(packed) - 2) * 5.5 < len(plain) * 8 else plain
    return f"{base}?{query}" if query else base


def _content(url: str) -> qr.Content:
    """Packed answers at the end of ``url`` go in alphanumeric mode."""
    head, sep, packed = url.partition(f"?{PACKED_PARAM}=")
    if sep and packed and packed.isalnum() and packed.upper() == packed:
        return [(head + sep, qr.MODE_BYTE), (packed, qr.MODE_ALPHANUMERIC)]
    return url


def qr_svg(url: str) -> bytes:
    """The QR code of ``url``."""
    return qr.qr_svg_bytes(_content(url), title="QR")


def qr_version(url: str) -> int:
    """The QR version ``qr_svg`` uses for ``url`` (1–40; modules a side = 17 + 4 × version)."""
    return qr.make(_content(url)).version
