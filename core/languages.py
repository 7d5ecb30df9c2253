"""The languages the site speaks: one table, read by locale choice, catalogs, dates and content.

Each language has the code used everywhere in the product (``?lang=``, the cookie, the API's
``locale``, catalog directories, the pack's per-language fields), the BCP 47 tag written in
``<html lang>`` and ``hreflang``, the CLDR locale Babel formats dates with, its own name for the
switch, and the language read where a text is missing (やさしい日本語 falls back to Japanese, the
other languages to English, English to Japanese: the source is always Japanese).

Plain Python (no Flask): rules, knowledge and services read it too.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Language:
    code: str
    html: str  # BCP 47, for lang= and hreflang=
    babel: str  # CLDR locale for dates and numbers
    native: str  # its own name, as the switch shows it
    fallback: str | None  # read where a text in this language is missing
    # Japanese written plainly (やさしい日本語): kanji carry furigana ({漢字|かんじ}, core.furigana),
    # and its name is its own (no CLDR locale names it)
    easy: bool = False


LANGUAGES: tuple[Language, ...] = (
    Language("ja", "ja", "ja", "日本語", None),
    Language("easy", "ja", "ja", "やさしい にほんご", "ja", easy=True),
    Language("en", "en", "en", "English", "ja"),
    Language("zh", "zh-Hans", "zh_Hans_CN", "简体中文", "en"),
    Language("ko", "ko", "ko", "한국어", "en"),
    Language("vi", "vi", "vi", "Tiếng Việt", "en"),
    Language("pt", "pt-BR", "pt_BR", "Português", "en"),
)
BY_CODE = {language.code: language for language in LANGUAGES}
CODES: tuple[str, ...] = tuple(BY_CODE)
JAPANESE = ("ja", "easy")  # read the Japanese official names as they are

# other spellings a browser, a link or an old bookmark may use
_ALIASES = {"zh-hans": "zh", "zh-cn": "zh", "zh-sg": "zh", "zh_hans": "zh", "zh_hans_cn": "zh",
            "pt-br": "pt", "pt_br": "pt", "ja-jp": "ja", "en-us": "en", "en-gb": "en",
            "ko-kr": "ko", "vi-vn": "vi", "ja-easy": "easy", "easy-ja": "easy"}


def normalise(value: object) -> str | None:
    """The code a value names (``zh-Hans`` → ``zh``, ``pt-BR`` → ``pt``), or None."""
    if not isinstance(value, str) or len(value) > 20:
        return None
    asked = value.strip().lower()
    if asked in BY_CODE:
        return asked
    return _ALIASES.get(asked)


def language(code: str) -> Language:
    """The row of ``code``; Japanese for a code the site does not speak."""
    return BY_CODE.get(code, LANGUAGES[0])


def html_lang(code: str) -> str:
    return language(code).html


def babel_locale(code: str) -> str:
    return language(code).babel


@lru_cache(maxsize=64)
def reading_order(code: str) -> tuple[str, ...]:
    """``code`` then its fallbacks, ending in Japanese: where a text is looked for (made once
    per code: a result reads it for every text it shows)."""
    order: list[str] = []
    current: str | None = language(code).code
    while current is not None and current not in order:
        order.append(current)
        current = BY_CODE[current].fallback
    if "ja" not in order:
        order.append("ja")
    return tuple(order)


def pick(code: str, offered: tuple[str, ...] | list[str]) -> str:
    """The first of ``code``'s reading order that ``offered`` has (the language a piece of content
    that exists only in some languages is read in); Japanese when none is offered."""
    for candidate in reading_order(code):
        if candidate in offered:
            return candidate
    return "ja"
