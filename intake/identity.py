"""Comparing the signer's 基本4情報 (from the signing certificate) with what the form says.

A mismatch does not refuse the signature: staff see which item differs (e.g. an address
written with 丁目 on the form and digits on the card) and decide."""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any

from intake.jpki import parse_birth_date

_SPACES = re.compile(r"[\s\u3000・･]+")
_DASHES = re.compile(r"[‐‑‒–—―ー−－-]")


def _plain(text: str) -> str:
    """Spaces and dash variants removed; digits and letters to half width. (Names keep their
    kanji as typed; only this comparison folds widths.)"""
    return _DASHES.sub("-", _SPACES.sub("", unicodedata.normalize("NFKC", text or "")))


def compare(fields: dict[str, Any], signer: dict[str, str]) -> dict[str, bool | None]:
    """name / birth_date / address: True (same), False (differs), None (not on the form)."""
    out: dict[str, bool | None] = {}
    family, given = fields.get("applicant_family_name"), fields.get("applicant_given_name")
    out["name"] = None if not family else _plain(f"{family}{given or ''}") == _plain(signer.get("name", ""))
    born = fields.get("applicant_birth_date")
    try:
        card_birth = parse_birth_date(signer.get("birth_date", ""))
        out["birth_date"] = None if not born else dt.date.fromisoformat(str(born)) == card_birth
    except ValueError:
        out["birth_date"] = False
    address = fields.get("applicant_address")
    if isinstance(address, dict):
        written = "".join(str(address.get(k) or "") for k in ("prefecture", "city", "street"))
        out["address"] = _plain(signer.get("address", "")).startswith(_plain(written)) if written else None
    else:
        out["address"] = None
    return out
