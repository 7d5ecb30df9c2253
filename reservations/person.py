"""The person who books: name, カナ, phone and/or e-mail, checked the same way for the resident
pages, the JSON API and the staff's phone bookings (one validator, the same messages per field,
Japanese first). Plain Python."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from core.japanese_text import normalize_digits, normalize_kana
from core.words import N_, NP_
from core.words import text as translate

KANA = re.compile(r"^[ァ-ヶー・ヽヾ ]+$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^0\d{9,10}$")
MAX_NAME = 60

MESSAGES = {  # msgids, in the caller's locale by core.words
    "name_required": NP_("the person who books", "お名前を入力してください。"),
    "name_long": N_("お名前は%(max)s文字以内で入力してください。"),
    "kana_required": N_("フリガナを入力してください。"),
    "kana_chars": N_("フリガナはカタカナで入力してください（例：ヤマダ タロウ）。"),
    "kana_long": N_("フリガナは%(max)s文字以内で入力してください。"),
    "contact_required": N_("メールアドレスか電話番号の、どちらかを入力してください。"),
    "phone_required": N_("電話番号を入力してください。"),
    "email_format": N_("メールアドレスの形式が正しくありません（例：name@example.jp）。"),
    "phone_format": N_("電話番号は、市外局番から数字で入力してください（例：%(example)s）。"),
}


@dataclass(frozen=True)
class Person:
    name: str
    name_kana: str
    email: str | None
    phone: str | None


def _message(key: str, locale: str, example: str = "") -> str:
    return translate(locale, MESSAGES[key], max=MAX_NAME, example=example)


def check_person(name: object, name_kana: object, email: object, phone: object,
                 locale: str = "ja", *, require_phone: bool = False,
                 phone_example: str = "03-1234-5678") -> tuple[Person | None, dict[str, str]]:
    """(the normalised person, {}) or (None, {field: message}). ``require_phone``: a booking
    taken on the phone (staff), where the number is how the city calls back."""
    errors: dict[str, str] = {}
    texts = {}
    for key, value in (("name", name), ("name_kana", name_kana), ("email", email), ("phone", phone)):
        texts[key] = value.strip() if isinstance(value, str) else ""
    clean_name = " ".join(texts["name"].split())
    if not clean_name:
        errors["name"] = _message("name_required", locale)
    elif len(clean_name) > MAX_NAME:
        errors["name"] = _message("name_long", locale)
    kana = normalize_kana(texts["name_kana"])
    if not kana:
        errors["name_kana"] = _message("kana_required", locale)
    elif len(kana) > MAX_NAME:
        errors["name_kana"] = _message("kana_long", locale)
    elif not KANA.match(kana):
        errors["name_kana"] = _message("kana_chars", locale)
    mail = unicodedata.normalize("NFKC", texts["email"]).strip() or None
    tel = normalize_digits(texts["phone"]) or None
    if mail and (len(mail) > 254 or not EMAIL.match(mail)):
        errors["email"] = _message("email_format", locale)
    if tel and not PHONE.match(tel):
        errors["phone"] = _message("phone_format", locale, phone_example)  # the city's own number (core.city)
    if require_phone and not tel:
        errors["phone"] = _message("phone_required", locale)
    elif not mail and not tel:
        errors["email"] = _message("contact_required", locale)
    if errors:
        return None, errors
    return Person(clean_name, kana, mail, tel), {}
