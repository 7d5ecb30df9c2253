"""Words in code for an explicit locale, from the same compiled Babel catalogs the pages use.

Flask code translates with flask_babel (``gettext``, ``lazy_gettext``: the locale of the
request). Plain-Python modules (no request: the presenter, the audit details, the workflow, a
mail written later) receive the locale as an argument; they mark their Japanese msgids with
``N_`` (a Babel keyword, so extraction keeps them in the catalog) and translate with ``text``:

    LABEL = N_("受付")
    text("en", LABEL) → "Received";  text("ja", LABEL) → "受付"
    text("en", N_("%(n)d件"), n=3)

Japanese is the source language: no catalog, the msgid is the text. A word missing from a
language's catalog is read in that language's fallback (core.languages: zh, ko, vi, pt → English;
やさしい日本語 and English → Japanese). Variables use %-format, as flask_babel's gettext does.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from babel.support import NullTranslations, Translations

from core.languages import BY_CODE, pick

TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"


Msgid = str | tuple[str, str]  # a msgid, or (msgctxt, msgid) for a word that reads differently elsewhere


def N_(msgid: str) -> str:
    """A msgid marked for the catalog, translated later by ``text`` for the locale in use."""
    return msgid


def NP_(context: str, msgid: str) -> tuple[str, str]:
    """A msgid with its context (「受付」 is "Received" as a status, "Check in" at a counter).
    Extraction needs the keyword ``NP_:1c,2`` (babel.cfg)."""
    return (context, msgid)


@lru_cache(maxsize=16)
def catalog(locale: str) -> NullTranslations:
    """The compiled catalog of ``locale`` (loaded once per process), falling back word by word
    to its fallback language's; Japanese (no fallback: the msgids are its words) and a code the
    site does not speak have none."""
    language = BY_CODE.get(locale)
    if language is None or language.fallback is None:
        return NullTranslations()
    below = catalog(language.fallback)
    found = Translations.load(str(TRANSLATIONS), [locale])
    if not isinstance(found, Translations):  # no compiled catalog yet: the fallback's words
        return below
    found.add_fallback(below)
    return found


def text(locale: str, msgid: Msgid, **variables: Any) -> str:
    """``msgid`` (Japanese; or (context, msgid) from ``NP_``) in ``locale``, with ``%(name)s``
    variables filled in."""
    if isinstance(msgid, tuple):
        rv = catalog(locale).upgettext(*msgid)
    else:
        rv = catalog(locale).ugettext(msgid)
    if not variables:
        return rv
    # a variable that is itself a Message (a status label inside a refusal), or a pack's text per
    # language (knowledge.schema.Text: a form field's label), reads in the same locale
    return rv % {k: v.text(locale) if _per_language(v) else v for k, v in variables.items()}


def _per_language(value: Any) -> bool:
    """A Message, or words with ``text(locale)`` and ``get(locale)`` like it (a pack's Text)."""
    return isinstance(value, Message) or (callable(getattr(value, "text", None))
                                          and callable(getattr(value, "get", None)))


def lang_of(locale: str, offered: tuple[str, ...] = ("ja", "en")) -> str:
    """Which per-language field of content (a mapping with ``offered``'s keys: ``ja``/``en``, or
    more) a page in ``locale`` reads: the locale when offered, else its fallback's (zh, ko, vi, pt
    read English; やさしい日本語 reads Japanese), else Japanese (core.languages.pick). A pack's
    ``Text`` needs none of this: ``text.get(locale)`` follows the same order over all languages."""
    return pick(locale, offered)


class Message:
    """A msgid with its variables, translated when read: ``message["en"]``, ``message.get("en")``
    or ``message.text("en")``.

    For words made where the locale is not known yet (an input error raised deep in plain
    Python, a status label read later by a page or a mail in the resident's language); it
    reads like the ``{"ja": …, "en": …}`` mapping it replaces, for any locale."""

    __slots__ = ("msgid", "variables")

    def __init__(self, msgid: Msgid, **variables: Any) -> None:
        self.msgid = msgid
        self.variables = variables

    def text(self, locale: str) -> str:
        return text(locale, self.msgid, **self.variables)

    __getitem__ = text
    __iter__ = None  # not a sequence: ``message[0]`` is no locale


    def get(self, locale: str, default: Any = None) -> str:
        return self.text(locale)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Message) and (self.msgid, self.variables) == (other.msgid, other.variables)

    def __hash__(self) -> int:
        return hash((self.msgid, tuple(sorted(self.variables.items()))))

    def __repr__(self) -> str:
        return f"Message({self.msgid!r}, **{self.variables!r})"

    # --- kept for later (a database row read by a page in its reader's language) ---------------

    def variables_data(self) -> dict[str, Any]:
        """The variables as JSON data: a variable that is a Message becomes ``{"msgid": …,
        "variables": {…}}`` (a plain variable is a number or a string, never a mapping)."""
        return {k: {"msgid": v.msgid, "variables": v.variables_data()} if isinstance(v, Message) else v
                for k, v in self.variables.items()}

    @classmethod
    def from_data(cls, msgid: str | list[str], variables: dict[str, Any] | None) -> Message:
        """The Message that ``msgid`` and :meth:`variables_data` were made from (JSON turns a
        (context, msgid) pair into a list)."""
        return cls(tuple(msgid) if isinstance(msgid, list) else msgid, **{k: cls.from_data(v["msgid"], v.get("variables")) if isinstance(v, dict) else v
                             for k, v in (variables or {}).items()})
