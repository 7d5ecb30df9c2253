"""Search over the pack: procedures, life events and online forms, in any words residents type.

Plain Python, a pure function of the pack: ``build_index(kb)`` makes the index, ``index_of(book)``
keeps it for the life of a rulebook generation (made once, dropped with the generation),
``index.search(query, locale)`` ranks. No per-user state.

Every entry has terms: its names (ja, en, やさしい日本語), the ひらがな reading, the aliases and old
names of ``search:`` (schema ``SearchWords``), words in other languages, and the procedure's
``keywords`` (related words, often shared by several procedures: they weigh a little less). Terms
and queries are folded the same way (core/japanese_text.py: NFKC, ひらがな, long vowels, accents);
a query in romaji is also read as kana. Scores (0–100): the same word 100, a term that starts with
the query or contains it next, the query containing a term after that, then rapidfuzz's ratio for
typos. Life events weigh a little less than procedures (a word that names a procedure finds the
procedure first, the event right after), a form a little less than its procedure (just after it).
"""
from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from rapidfuzz import fuzz, process

from core.furigana import NOTATION, has_notation, plain
from core.japanese_text import fold_text, loose_kana, romaji_to_hiragana
from knowledge.loader import KnowledgeBase, read_doc, validate_doc
from knowledge.schema import TEXT_LANGUAGES, SearchWords, Strict, Text

if TYPE_CHECKING:
    from rules.ruleset import Rulebook

Kind = Literal["procedure", "event", "form"]
MAX_QUERY = 100  # characters a query may have (the API refuses longer ones)
GOOD_SCORE = 70  # below this the best result is not a good answer: the query is counted as a miss
MIN_SCORE = 55  # results below this are not shown
KEYWORD_WEIGHT = 0.96  # a related word (keywords) finds less surely than a name or an alias
EVENT_WEIGHT = 0.97
FORM_WEIGHT = 0.99


@dataclass(frozen=True)
class Term:
    loose: str  # loose_kana(fold_text(word)): no spaces, long vowels made one
    spaced: str  # fold_text(word): words apart (for English word order)
    weight: float


@dataclass
class Entry:
    kind: Kind
    id: str
    names: Text
    terms: list[Term] = field(default_factory=list)
    order: int = 0  # the pack's order: the last tie-break

    def add(self, word: str | None, weight: float = 1.0) -> None:
        if not word:
            return
        spaced = fold_text(word)
        loose = loose_kana(spaced)
        if loose:
            self.terms.append(Term(loose, spaced, weight))


@dataclass(frozen=True)
class Hit:
    kind: Kind
    id: str
    name: str
    score: int


class FormTitle(Strict):
    """The only part of a form file (forms/<procedure id>.yaml, format intake/forms_schema.py) search reads."""

    model_config = Strict.model_config | {"extra": "ignore"}
    id: str
    title: Text


def _query_keys(query: str) -> list[tuple[str, str]]:
    """(loose, spaced) forms of the query: as typed and, when it is romaji, read as kana."""
    spaced = fold_text(query)
    keys = [(loose_kana(spaced), spaced)]
    kana = romaji_to_hiragana(query) if spaced.isascii() else None
    if kana:
        kana_spaced = fold_text(kana)
        keys.append((loose_kana(kana_spaced), kana_spaced))
    return [k for k in keys if k[0]]


def _string_scores(q: str, q_spaced: str, strings: list[str], spaced: list[str]) -> dict[int, float]:
    """Index of each folded term string → its score for the query key ``q`` (only those that may
    reach MIN_SCORE): the fuzzy scores by rapidfuzz over all strings at once (C), then the exact,
    prefix and substring scores, which rank above any fuzzy one."""
    scores: dict[int, float] = {}
    cutoff = MIN_SCORE / 0.9
    for _, score, i in process.extract(q, strings, scorer=fuzz.ratio, score_cutoff=cutoff, limit=None):
        scores[i] = score * 0.9
    if len(q) >= 3:
        for _, score, i in process.extract(q, strings, scorer=fuzz.partial_ratio, score_cutoff=MIN_SCORE / 0.85,
                                           limit=None):
            if len(strings[i]) > len(q):
                scores[i] = max(scores.get(i, 0.0), score * 0.85)
    if q_spaced.isascii() and " " in q_spaced:  # English words in another order
        for _, score, i in process.extract(q_spaced, spaced, scorer=fuzz.token_sort_ratio, score_cutoff=cutoff,
                                           limit=None):
            scores[i] = max(scores.get(i, 0.0), score * 0.9)
    short = len(q) >= 2
    for i, s in enumerate(strings):
        if s == q:
            scores[i] = 100.0
        elif short and s.startswith(q):
            scores[i] = 88 + 10 * len(q) / len(s)
        elif short and q in s:
            scores[i] = 80 + 12 * len(q) / len(s)
        elif len(s) >= 2 and s in q:
            scores[i] = max(scores.get(i, 0.0), 72 + 18 * len(s) / len(q))
    return scores


@dataclass
class SearchIndex:
    entries: list[Entry]
    strings: list[str] = field(default_factory=list)  # every distinct folded term (loose)
    spaced: list[str] = field(default_factory=list)  # the same, words apart
    # per entry: (index into strings, weight) of each of its terms
    refs: list[list[tuple[int, float]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        seen: dict[str, int] = {}
        for entry in self.entries:
            row = []
            for t in entry.terms:
                if t.loose not in seen:
                    seen[t.loose] = len(self.strings)
                    self.strings.append(t.loose)
                    self.spaced.append(t.spaced)
                row.append((seen[t.loose], t.weight))
            self.refs.append(row)

    def _scores(self, q: str, q_spaced: str) -> list[float]:
        """Each entry's score for one query key: its best term, weighed."""
        by_string = _string_scores(q, q_spaced, self.strings, self.spaced)
        return [max((by_string.get(i, 0.0) * w for i, w in row), default=0.0) for row in self.refs]

    def search(self, query: str, locale: str = "ja", limit: int = 10) -> list[Hit]:
        """The entries that match ``query``, best first (score, then procedures before forms
        before events, then the pack's order)."""
        keys = _query_keys(query[:MAX_QUERY])
        if not keys:
            return []
        totals = [0.0] * len(self.entries)
        for q, spaced in keys:
            totals = [max(a, b) for a, b in zip(totals, self._scores(q, spaced), strict=True)]
        # several words: each word on its own too (「国保 入る」, 「住民票 コンビニ」), averaged
        words = [w for w in fold_text(query[:MAX_QUERY]).split() if loose_kana(w)][:6]
        if len(words) > 1:
            per_word = [self._scores(loose_kana(w), w) for w in words]
            totals = [max(t, sum(ws) / len(ws) * 0.95) for t, ws in zip(totals, zip(*per_word, strict=True),
                                                                          strict=True)]
        rank = {"procedure": 0, "form": 1, "event": 2}
        scored = sorted((-score, rank[e.kind], e.order, n) for n, (e, score) in enumerate(zip(self.entries, totals,
                                                                                             strict=True))
                        if score >= MIN_SCORE)
        return [Hit(self.entries[n].kind, self.entries[n].id, self.entries[n].names.get(locale), round(-neg))
                for neg, _, _, n in scored[:limit]]


def _search_words(entry: Entry, words: SearchWords | None, weight: float = 1.0) -> None:
    if words is None:
        return
    entry.add(words.reading, weight)
    for word in [*words.aliases, *words.old_names, *(w for ws in words.other_languages.values() for w in ws)]:
        entry.add(word, weight)


def _names(entry: Entry, name: Text, weight: float = 1.0) -> None:
    """Every language the name is written in (やさしい日本語's furigana as its kana: 「{転入届|てんにゅうとどけ}」
    is found as てんにゅうとどけ and as 転入届)."""
    for code in TEXT_LANGUAGES:
        word = getattr(name, code, None)
        if word:
            entry.add(NOTATION.sub(r"\2", word) if has_notation(word) else word, weight)
            if has_notation(word):
                entry.add(plain(word), weight)


def read_form_titles(kb: KnowledgeBase) -> dict[str, Text]:
    """Procedure id → the title of its online form (forms/<id>.yaml), for every form of the pack."""
    titles: dict[str, Text] = {}
    problems: list[str] = []
    for path in sorted((kb.directory / "forms").glob("*.yaml")):
        doc = read_doc(path, problems)
        form = validate_doc(doc, FormTitle, problems) if doc else None
        if form is not None and form.id in kb.procedures:
            titles[form.id] = form.title
    return titles  # a broken form file is refused by the forms' own check (flask knowledge check)


def build_index(kb: KnowledgeBase, form_titles: dict[str, Text] | None = None) -> SearchIndex:
    """The search index of the pack (a pure function of it)."""
    entries: list[Entry] = []
    procedure_entries: dict[str, Entry] = {}
    for n, (pid, proc) in enumerate(kb.procedures.items()):
        entry = Entry("procedure", pid, proc.name, order=n)
        _names(entry, proc.name)
        _search_words(entry, proc.search)
        for word in proc.keywords:
            entry.add(word, KEYWORD_WEIGHT)
        entries.append(entry)
        procedure_entries[pid] = entry
    titles = read_form_titles(kb) if form_titles is None else form_titles
    for n, (pid, title) in enumerate(sorted(titles.items())):
        entry = Entry("form", pid, title, order=n)
        _names(entry, title, FORM_WEIGHT)
        # the procedure's words find its form too, just after the procedure itself
        entry.terms.extend(Term(t.loose, t.spaced, t.weight * FORM_WEIGHT) for t in procedure_entries[pid].terms)
        entries.append(entry)
    for n, event in enumerate(kb.events.values()):
        entry = Entry("event", event.id, event.name, order=n)
        _names(entry, event.name, EVENT_WEIGHT)
        _search_words(entry, event.search, EVENT_WEIGHT)
        entries.append(entry)
    return SearchIndex(entries)


_INDEXES: dict[int, SearchIndex] = {}  # id of a live Rulebook → its index (dropped when the rulebook goes)


def index_of(book: Rulebook) -> SearchIndex:
    """The search index of a rulebook generation: built on first use, then kept as long as the
    generation lives (a reload makes a new Rulebook, hence a new index)."""
    key = id(book)
    index = _INDEXES.get(key)
    if index is None:
        index = _INDEXES[key] = build_index(book.kb)
        weakref.finalize(book, _INDEXES.pop, key, None)
    return index
