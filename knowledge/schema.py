"""Schema of the knowledge pack files (pydantic models).

Every YAML file in a pack is validated against one of these models at load; the loader turns
pydantic's error locations into file, line and field. Conditions (``when``) stay plain mappings
here and are parsed by ``rules.conditions`` against the facts vocabulary, so that this module
does not need to know the vocabulary.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, field_validator, model_validator

from core.languages import CODES, reading_order

ID_PATTERN = r"^[a-z][a-z0-9_]*$"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(Strict):
    """A text in Japanese and English, and optionally in the pack's other languages (やさしい日本語,
    zh, ko, vi, pt): written inline, or kept in the pack's ``translations/<code>.yaml`` (keyed by
    the Japanese; knowledge.translations). A missing language reads its fallback (core.languages)."""

    ja: str = Field(min_length=1)
    en: str = Field(min_length=1)
    easy: str | None = None  # やさしい日本語 ({漢字|かんじ} marks furigana)
    zh: str | None = None
    ko: str | None = None
    vi: str | None = None
    pt: str | None = None

    def get(self, locale: str) -> str:
        for code in reading_order(locale):
            found = getattr(self, code, None) if code in TEXT_LANGUAGES else None
            if found:
                return found
        return self.ja

    def has(self, locale: str) -> bool:
        """Written in ``locale`` itself (not read from a fallback)."""
        return locale in TEXT_LANGUAGES and bool(getattr(self, locale))

    def text(self, locale: str) -> str:
        """As ``get``: a pack's text is read like a ``core.words.Message``, so it can be one's variable
        (「%(label)sは…」 with the field's label in the message's language)."""
        return self.get(locale)


TEXT_LANGUAGES = tuple(Text.model_fields)


class Sourced(Strict):
    source_url: HttpUrl
    verified_on: dt.date
    verified: bool


# --- departments and counters -------------------------------------------------------------


ClosedDayKind = Literal["weekend", "holiday", "year_end"]


class ClosedRule(Strict):
    """One of a counter's own regular closed days: a weekday, on some of its occurrences in the
    month (1–5; empty: every one), in some months (empty: every month)."""

    weekday: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    nth: list[int] = Field(default=[], max_length=5)
    months: list[int] = []

    @field_validator("nth")
    @classmethod
    def _nth(cls, v: list[int]) -> list[int]:
        if any(not 1 <= n <= 5 for n in v):
            raise ValueError("nth counts the weekday's occurrences in the month: 1 to 5")
        return v

    @field_validator("months")
    @classmethod
    def _months(cls, v: list[int]) -> list[int]:
        if any(not 1 <= m <= 12 for m in v):
            raise ValueError("months are 1 to 12")
        return v


class ClosedDayOpening(Strict):
    """A counter that takes some procedures on days the city hall is closed (土日祝・年末年始)."""

    open_on: list[ClosedDayKind] = Field(min_length=1)  # the kinds of closed day it opens on
    hours: Text  # e.g. 9:00〜19:00
    closes: Text | None = None  # its own closed days (毎月第2・4日曜日 …)
    # the same closed days as rules, so the page can say whether it opens on a given day
    # (年末年始: when year_end is not in open_on); `closes` stays the words residents read
    closed_on: list[ClosedRule] = []
    other_closures: bool = False  # closed on other days too that no rule can compute (a shop's closing days)
    # only these procedures are taken (the loader checks the ids); empty: none named
    procedures: list[str] = []
    what: Text  # in words, what it takes (戸籍の届出の受付のみ …)
    source_url: HttpUrl
    verified_on: dt.date


class Place(Strict):
    """Where and when: fields shared by a department and (overriding it) one of its counters."""

    address: Text | None = None
    hours: Text | None = None  # opening hours on open days
    map_url: HttpUrl | None = None
    phone: str | None = None


# The legal order of the visits (knowledge/graph.py order_procedures): 戸籍の届出 → 住民記録 →
# 保険・年金 → 手当・医療 → the rest; a counter's visit comes after every counter it requires,
# the stage breaks the ties. Set on a department, overridden by a counter (医療助成年金課: its
# 年金係 is 保険・年金, its 医療助成係 手当・医療).
Stage = Literal["koseki", "jumin", "hoken_nenkin", "teate_iryo", "other"]
STAGES: tuple[str, ...] = ("koseki", "jumin", "hoken_nenkin", "teate_iryo", "other")


class Counter(Place):
    id: str = Field(pattern=ID_PATTERN)
    name: Text
    stage: Stage | None = None  # None: the department's
    # False: a curator has not confirmed this window of a confirmed department (None: the department's)
    verified: bool | None = None
    building: Text | None = None
    floor: str | None = None  # e.g. "1F"
    window: str | None = None  # e.g. "1番窓口"
    closed_days: ClosedDayOpening | None = None  # opens on closed days (weekend centres, 夜間休日窓口)


class Department(Place):
    id: str = Field(pattern=ID_PATTERN)
    name: Text
    counters: list[Counter] = Field(min_length=1)
    stage: Stage = "other"
    # an office outside the city hall (年金事務所, 法務局 …): listed after the city's counters,
    # never in the city's visit plan
    offsite: bool = False
    verified: bool
    source_url: HttpUrl | None = None
    # where address/hours/phone were checked, when; False until a curator has confirmed them
    place_verified: bool = False
    place_source_url: HttpUrl | None = None
    place_verified_on: dt.date | None = None


class Site(Place):
    """The main building (市役所): the place of every department that names none of its own."""

    name: Text
    source_url: HttpUrl
    verified_on: dt.date
    verified: bool


class DepartmentsFile(Strict):
    departments: list[Department] = Field(min_length=1)
    city_hall: Site | None = None


# --- things to bring ----------------------------------------------------------------------


class BringItem(Strict):
    id: str = Field(pattern=ID_PATTERN)
    name: Text
    note: Text | None = None
    # document: taken to the counter; action: done before going (火葬場の予約 …), shown as a to-do
    kind: Literal["document", "action"] = "document"
    # True: a certificate handed in with the application and kept (戸籍謄本 attached to a claim):
    # the merged checklist counts one for each counter that asks for it, not one for all
    submitted: bool = False


class FilerIdentity(Strict):
    """The filer's identity document, which every procedure of a life event asks for.

    Added to a procedure's things to bring unless the procedure lists it (or an ``equivalent``)
    already, or is named in ``exceptions`` with the reason in words.
    """

    item: str = Field(pattern=ID_PATTERN)
    equivalents: list[str] = []
    exceptions: dict[str, Text] = {}


class BringFile(Strict):
    items: list[BringItem] = Field(min_length=1)
    filer_identity: FilerIdentity | None = None


# --- search words -------------------------------------------------------------------------

HIRAGANA_READING = r"^[ぁ-ゖー0-9０-９ ]+$"


class SearchWords(Strict):
    """What residents type for a procedure or a life event besides its names (guide/search.py).

    ``reading``: the Japanese name in ひらがな (generated with pykakasi 2.3.0, then checked by a
    person: 市県民税 is しけんみんぜい, not しけんたみぜい); ``aliases``: everyday and colloquial
    words that mean this and nothing else (仮ナンバー, ハンコ); ``old_names``: names no longer in use
    (子ども手当), with ``source_url`` where the change is told; ``other_languages``: words in other
    languages by language code (vi, zh, ko, pt …; English beside ``name.en``). ``verified_on``: the
    day a curator last read them through."""

    reading: str | None = Field(default=None, pattern=HIRAGANA_READING)
    aliases: list[str] = []
    old_names: list[str] = []
    other_languages: dict[str, list[str]] = {}
    source_url: HttpUrl | None = None
    verified_on: dt.date | None = None

    @field_validator("aliases", "old_names")
    @classmethod
    def _words(cls, v: list[str]) -> list[str]:
        if any(not w.strip() or len(w) > 100 for w in v):
            raise ValueError("a search word is 1 to 100 characters")
        if len(set(v)) != len(v):
            raise ValueError("a search word is listed twice")
        return v

    @field_validator("other_languages")
    @classmethod
    def _languages(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        for code, words in v.items():
            if not code.isascii() or not 2 <= len(code) <= 7 or any(not w.strip() for w in words):
                raise ValueError(f"'{code}': a language code (vi, zh-Hans …) with its words")
        return v


# --- life events --------------------------------------------------------------------------


class LifeEvent(Strict):
    id: str = Field(pattern=ID_PATTERN)
    name: Text
    description: Text
    members_label: Text  # who is listed as members for this event (e.g. 引越しする人)
    date_label: Text  # what event_date means for this event (e.g. 住み始めた日)
    date_hint: Text | None = None  # the date page's hint for this event (else the question's own hint)
    questions: list[str]  # question ids in asking order
    search: SearchWords | None = None  # readings and everyday words (guide/search.py)


class EventsFile(Strict):
    events: list[LifeEvent] = Field(min_length=1)


# --- questions ----------------------------------------------------------------------------


class Choice(Strict):
    value: str | bool
    label: Text


class Question(Strict):
    id: str = Field(pattern=ID_PATTERN)
    # what the answer sets: event_date, members (how many people), facts.*, deceased.*, member.*
    fact: str = Field(pattern=r"^(event_date|members|(facts|deceased|member)\.[a-z0-9_]+)$")
    text: Text
    hint: Text | None = None
    choices: list[Choice] | None = None  # None: the vocabulary's type decides the input
    # household question: {when: household condition, member: some member's condition};
    # member question: a condition over the same person's answers
    ask_if: dict[str, Any] | None = None
    unknown_allowed: bool = True


class QuestionsFile(Strict):
    questions: list[Question] = Field(min_length=1)


# --- procedures ---------------------------------------------------------------------------

# on_day: the start day itself is the last day (転出届 before leaving Japan: by the departure day)
DeadlineKind = Literal["days", "koseki_days", "months", "koseki_months", "child_allowance", "on_day", "none"]


class DeadlineVariant(Strict):
    kind: DeadlineKind
    amount: int | None = Field(default=None, ge=1, le=3650)
    # the day counting starts from: the event date, or a date fact of the household (the move
    # date of a marriage, the day of death …); when that fact is unanswered, the event date
    start: str = Field(default="event_date", pattern=r"^(event_date|(facts|deceased)\.[a-z0-9_]+)$")
    # days added to the start day before counting: 1 where the law starts the period the day
    # AFTER the date fact (国保の資格取得日・第3号の資格喪失日 = 死亡日の翌日)
    start_offset_days: int = Field(default=0, ge=0, le=31)
    text: Text

    @model_validator(mode="after")
    def _amount_needed(self) -> DeadlineVariant:
        needs = self.kind not in ("none", "child_allowance", "on_day")
        if needs and self.amount is None:
            raise ValueError(f"deadline kind '{self.kind}' needs an amount")
        if not needs and self.amount is not None:
            raise ValueError(f"deadline kind '{self.kind}' takes no amount")
        return self


class ConditionalDeadline(DeadlineVariant):
    when: dict[str, Any]


class Deadline(DeadlineVariant):
    variants: list[ConditionalDeadline] = []  # the first whose condition holds wins


class Bring(Strict):
    item: str = Field(pattern=ID_PATTERN)
    per: Literal["procedure", "member"] = "procedure"
    when: dict[str, Any] | None = None  # household condition
    member: dict[str, Any] | None = None  # with per: member, which members bring one
    note: Text | None = None

    @model_validator(mode="after")
    def _member_needs_per(self) -> Bring:
        if self.member is not None and self.per != "member":
            raise ValueError("'member' conditions need per: member")
        return self


class Fee(Strict):
    amount_yen: int = Field(ge=0)
    unit: Text
    channel: Literal["any", "counter", "online"] = "any"
    valid_from: dt.date
    valid_to: dt.date | None = None
    source_url: HttpUrl | None = None

    @model_validator(mode="after")
    def _period(self) -> Fee:
        if self.valid_to and self.valid_to < self.valid_from:
            raise ValueError("valid_to is before valid_from")
        return self


class OftenNeeded(Strict):
    """Another procedure (mostly a certificate) that people who do this one often need next: a
    住民票の写し for the car's registration after 転入. The guide's result offers it, with why."""

    procedure: str = Field(pattern=ID_PATTERN)
    why: Text  # what it is needed for, in words (車の登録の住所変更 …)


class Procedure(Sourced):
    id: str = Field(pattern=ID_PATTERN)
    name: Text
    description: Text
    department: str
    counter: str
    deadline: Deadline
    bring: list[Bring] = []
    fees: list[Fee] = []
    online: bool = False
    # household condition under which the procedure cannot be done online although ``online``
    # (e.g. マイナポータルの転出届 is for moves within Japan only: {facts.to_abroad: true})
    online_unless: dict[str, Any] | None = None
    reservable: bool = False
    legal_basis: Text | None = None
    requires: list[str] = []  # procedures to be done before this one (graph edges)
    standalone: bool = False  # a service of its own (certificates …), not reached by life events
    keywords: list[str] = []  # words residents type, also shared with related procedures (search)
    search: SearchWords | None = None  # reading, aliases, old names, other languages (guide/search.py)
    often_needed: list[OftenNeeded] = []  # offered from a result that lists this procedure

    @field_validator("requires")
    @classmethod
    def _no_self(cls, v: list[str], info) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError("requires lists a procedure twice")
        return v


# --- pack ---------------------------------------------------------------------------------


class SampleResident(Strict):
    """A made-up resident of the city: the development signer's card and the demo's defaults."""

    name: str = Field(min_length=1)
    address: str = Field(min_length=1)


class PackFile(Strict):
    """Who the city is: every city-specific word of the pages, mails and receipts comes from here."""

    id: str = Field(pattern=ID_PATTERN)
    name: Text  # the city's name as a title: 〇〇市 / 〇〇 City
    # the name in running text (reasons, facts' words): "moving into 〇〇"; None: ``name``
    name_in_text: Text | None = None
    homepage: HttpUrl
    # the city's domain for mail and calendar ids (noreply@guide.<domain>, <uid>@reserve.<domain>)
    domain: str = Field(pattern=r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$")
    mail_from: str = Field(pattern=r"^[^@\s]+@[^@\s]+$")  # the sender of residents' mail (MAIL_FROM overrides)
    contact_department: str  # the department residents ask about the site (accessibility page)
    sample_resident: SampleResident
    sources: dict[str, HttpUrl] = {}
    # the languages the city's texts are written in (each has translations/<code>.yaml or inline
    # words; tests/unit/test_pack_translations.py holds every procedure to it); ja and en always
    languages: list[str] = ["ja", "en"]

    @field_validator("languages")
    @classmethod
    def _known_languages(cls, value: list[str]) -> list[str]:
        unknown = [code for code in value if code not in CODES]
        if unknown:
            raise ValueError(f"unknown language {unknown}: the site speaks {list(CODES)}")
        if "ja" not in value or "en" not in value or len(set(value)) != len(value):
            raise ValueError("list ja and en, each language once")
        return value

    def words(self, locale: str) -> str:
        """The name in running text, in ``locale``."""
        return (self.name_in_text or self.name).get(locale)


# --- translations and the glossary ---------------------------------------------------------


class TranslationsFile(Strict):
    """``translations/<code>.yaml``: the pack's Japanese texts in one more language."""

    language: Literal["easy", "zh", "ko", "vi", "pt"]
    texts: dict[str, str]  # the Japanese, exactly as in the pack → its translation
    # the guide's generated reasons (rules/wording.py writes them in ja, en and easy): the
    # Japanese reason → its words in this language (a reason not listed is read in English)
    reasons: dict[str, str] = {}

    @field_validator("texts", "reasons")
    @classmethod
    def _no_blank(cls, value: dict[str, str]) -> dict[str, str]:
        blank = [k for k, v in value.items() if not v.strip()]
        if blank:
            raise ValueError(f"empty translation of {blank[:3]}")
        return value


class GlossaryTerm(Strict):
    """A key term and the forms a translation of a text containing it may use, per language."""

    ja: str = Field(min_length=1)
    en: list[str] = Field(min_length=1)
    easy: list[str] = []
    zh: list[str] = []
    ko: list[str] = []
    vi: list[str] = []
    pt: list[str] = []

    def accepted(self, code: str) -> list[str]:
        return list(getattr(self, code, []) or [])


class GlossaryFile(Strict):
    source: str
    checked_on: dt.date
    terms: list[GlossaryTerm]
