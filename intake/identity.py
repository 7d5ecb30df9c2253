"""Comparing the signer's 基本4情報 (from the signing certificate) with what the form says.

The JPKI 署名用電子証明書 carries the four items of the resident record: 氏名, 生年月日, 性別
and 住所 (intake.jpki.SIGNER_OIDS). Each is compared with the applicant's field when the form
asks for it (性別 only on forms that ask it, ``applicant.sex`` in the form file).

A form may narrow the comparison to some of the items (``signature.match`` in the form file,
``Form.signature_items``): the others are then not compared at all (left out of the result).

A mismatch does not refuse the signature: staff see which item differs (e.g. an address
written with 丁目 on the form and digits on the card) and decide."""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from intake.jpki import parse_birth_date

_SPACES = re.compile(r"[\s\u3000・･]+")
_DASHES = re.compile(r"[‐‑‒–—―ー−－-]")

ITEMS = ("name", "birth_date", "sex", "address")
# the applicant's fields each item checks (shown beside them on the review screen)
FIELDS: dict[str, tuple[str, ...]] = {
    "name": ("applicant_family_name", "applicant_given_name"),
    "birth_date": ("applicant_birth_date",),
    "sex": ("applicant_sex",),
    "address": ("applicant_address",),
}
# the form's choice values of applicant_sex → the certificate's code (JIS X 0303: 1 男, 2 女, 3 不明)
SEX_CODES = {"male": "1", "female": "2"}


def _plain(text: str) -> str:
    """Spaces and dash variants removed; digits and letters to half width. (Names keep their
    kanji as typed; only this comparison folds widths.)"""
    return _DASHES.sub("-", _SPACES.sub("", unicodedata.normalize("NFKC", text or "")))


def compare(fields: dict[str, Any], signer: dict[str, str],
            items: Iterable[str] | None = None) -> dict[str, bool | None]:
    """name / birth_date / sex / address: True (same), False (differs), None (not on the form).
    ``items``: only these are compared (the form's ``signature.match``); None: all four."""
    out = _compare_all(fields, signer)
    if items is None:
        return out
    wanted = set(items)
    return {key: result for key, result in out.items() if key in wanted}


def _compare_all(fields: dict[str, Any], signer: dict[str, str]) -> dict[str, bool | None]:
    out: dict[str, bool | None] = {}
    family, given = fields.get("applicant_family_name"), fields.get("applicant_given_name")
    out["name"] = None if not family else _plain(f"{family}{given or ''}") == _plain(signer.get("name", ""))
    born = fields.get("applicant_birth_date")
    try:
        card_birth = parse_birth_date(signer.get("birth_date", ""))
        out["birth_date"] = None if not born else dt.date.fromisoformat(str(born)) == card_birth
    except ValueError:
        out["birth_date"] = False
    sex = fields.get("applicant_sex")
    out["sex"] = None if not sex else SEX_CODES.get(str(sex)) == str(signer.get("sex") or "").strip()
    address = fields.get("applicant_address")
    if isinstance(address, dict):
        written = "".join(str(address.get(k) or "") for k in ("prefecture", "city", "street"))
        out["address"] = _plain(signer.get("address", "")).startswith(_plain(written)) if written else None
    else:
        out["address"] = None
    return out
