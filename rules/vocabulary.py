"""The facts vocabulary (knowledge/facts.yaml): types of facts and the words for conditions."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core import yaml_text
from core.words import NP_, text

VOCABULARY_FILE = Path(__file__).resolve().parent.parent / "knowledge" / "facts.yaml"
TYPES = ("bool", "enum", "int", "date")
UNKNOWN = "unknown"  # a legal answer for every enum and bool: 「わからない」


@dataclass(frozen=True)
class FactDef:
    path: str  # "facts.dog", "deceased.age", "event" or a member field ("age")
    scope: str  # "household" or "member"
    type: str
    values: dict[str, dict[str, Any]] = field(default_factory=dict)  # enum value -> words (ja/en/easy, `not`, …)
    phrases: dict[bool, dict[str, str]] = field(default_factory=dict)  # bool -> words
    label: dict[str, str] = field(default_factory=dict)
    unit: dict[str, str] = field(default_factory=dict)
    subject: dict[str, str] = field(default_factory=dict)  # a household int's subject: 「亡くなった方が」
    past: bool = False  # the fact is about the past (「…だったため」)
    role: str | None = None  # "person": the values name the person (member.relation)
    min: int | None = None
    max: int | None = None
    default: Any = None

    def accepts(self, value: Any) -> bool:
        if self.type == "bool":
            return isinstance(value, bool)
        if self.type == "enum":
            return isinstance(value, str) and value in self.values
        if self.type == "int":
            return isinstance(value, int) and not isinstance(value, bool)
        if self.type == "date":
            return isinstance(value, dt.date)
        return False


class VocabularyError(ValueError):
    pass


@dataclass(frozen=True)
class Vocabulary:
    household: dict[str, FactDef]
    member: dict[str, FactDef]
    # what a person's age makes impossible, as written in facts.yaml (parsed by rules.conditions)
    constraints: tuple[dict[str, Any], ...] = ()

    def lookup(self, scope: str, path: str) -> FactDef:
        table = self.household if scope == "household" else self.member
        if path not in table:
            where = "household facts (facts.*, deceased.*, event)" if scope == "household" else "member fields"
            raise VocabularyError(f"unknown fact '{path}' among {where}")
        return table[path]


def _fact(scope: str, path: str, raw: dict[str, Any]) -> FactDef:
    kind = raw.get("type")
    if kind not in TYPES:
        raise VocabularyError(f"{path}: type must be one of {TYPES}")
    phrases = {key: raw[key] for key in (True, False) if key in raw}
    if kind == "bool" and set(phrases) != {True, False}:
        raise VocabularyError(f"{path}: a bool needs words for true and false")
    values = raw.get("values") or {}
    if kind == "enum" and not values:
        raise VocabularyError(f"{path}: an enum needs values")
    if UNKNOWN in values:
        raise VocabularyError(f"{path}: 'unknown' is implied for every enum; do not list it")
    return FactDef(
        path=path, scope=scope, type=kind, values=values, phrases=phrases,
        label=raw.get("label") or {}, unit=raw.get("unit") or {}, subject=raw.get("subject") or {},
        past=bool(raw.get("past", False)), role=raw.get("role"),
        min=raw.get("min"), max=raw.get("max"), default=raw.get("default"),
    )


CITY_PLACEHOLDER = "$city"
LANGUAGES = ("ja", "en", "easy")
# the words when no city is named (a vocabulary read on its own, by tests and tools), read in
# each of LANGUAGES from the catalogs (やさしい日本語 as the grammar writes it: no furigana, spaced)
ANY_CITY = NP_("reason", "この市")


def any_city() -> dict[str, str]:
    return {lang: text(lang, ANY_CITY) for lang in LANGUAGES}


def _with_city(node: Any, city: dict[str, str], language: str | None = None) -> Any:
    """``node`` with every ``$city`` replaced by the city's name in the phrase's language."""
    if isinstance(node, dict):
        return {k: _with_city(v, city, k if k in LANGUAGES else language) for k, v in node.items()}
    if isinstance(node, list):
        return [_with_city(v, city, language) for v in node]
    if isinstance(node, str) and language and CITY_PLACEHOLDER in node:
        return node.replace(CITY_PLACEHOLDER, city[language])
    return node


def load_vocabulary(path: Path = VOCABULARY_FILE, city: dict[str, str] | None = None) -> Vocabulary:
    """The vocabulary, its phrases naming ``city`` ({ja, en, easy}: the pack's name in running text)."""
    raw = _with_city(yaml_text.safe_load(path.read_text(encoding="utf-8")), city or any_city())
    return Vocabulary(
        household={p: _fact("household", p, d) for p, d in raw["household"].items()},
        member={p: _fact("member", p, d) for p, d in raw["member"].items()},
        constraints=tuple(raw.get("constraints") or ()),
    )
