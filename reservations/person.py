"""The person who books: name, カナ, phone and/or e-mail, checked the same way for the resident
pages and the JSON API (messages per field, Japanese first). Plain Python."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from intake.forms import normalize_digits, normalize_kana

KANA = re.compile(r"^[ァ-ヶー・ヽヾ ]+$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^0\d{9,10}$")
MAX_NAME = 60

MESSAGES = {
    "name_required": ("お名前を入力してください。", "Enter your name."),
    "name_long": (f"お名前は{MAX_NAME}文字以内で入力してください。", f"Enter your name in {MAX_NAME} characters or fewer."),
    "kana_required": ("フリガナを入力してください。", "Enter your name in katakana."),
    "kana_chars": ("フリガナはカタカナで入力してください（例：カコガワ タロウ）。", "Enter your name in katakana (e.g. カコガワ タロウ)."),
    "kana_long": (f"フリガナは{MAX_NAME}文字以内で入力してください。", f"Enter the katakana in {MAX_NAME} characters or fewer."),
    "contact_required": ("メールアドレスか電話番号の、どちらかを入力してください。", "Enter an email address or a phone number."),
    "email_format": ("メールアドレスの形式が正しくありません（例：name@example.jp）。", "Enter an email address like name@example.jp."),
    "phone_format": ("電話番号は、市外局番から数字で入力してください（例：079-421-2000）。",
                     "Enter a phone number with its area code, e.g. 079-421-2000."),
}


@dataclass(frozen=True)
class Person:
    name: str
    name_kana: str
    email: str | None
    phone: str | None


def _message(key: str, locale: str) -> str:
    ja, en = MESSAGES[key]
    return en if locale == "en" else ja


def check_person(name: object, name_kana: object, email: object, phone: object,
                 locale: str = "ja") -> tuple[Person | None, dict[str, str]]:
    """(the normalised person, {}) or (None, {field: message})."""
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
        errors["phone"] = _message("phone_format", locale)
    if not mail and not tel:
        errors["email"] = _message("contact_required", locale)
    if errors:
        return None, errors
    return Person(clean_name, kana, mail, tel), {}
