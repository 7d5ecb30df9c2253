"""Words for conditions: a small grammar over the facts vocabulary (never hand-written per rule).

A reason is built from the same conditions the engine ran, in three forms: ``because`` (what
held: 「65歳以上の方がいるため」), ``if`` (what a conditional procedure depends on: 「65歳以上の
方がいる場合」) and ``not`` (what failed: 「65歳以上の方がいないため」), in ja, en and easy
(やさしい日本語, hiragana with spaces between words, polite full sentences).

The pieces:
- a *predicate* (``Pred``) is the words for the atoms of one fact: 「犬を飼っている」,
  「20歳から59歳まで」, "is in the National Health Insurance". Japanese predicates are clauses
  (a verb or adjective at the end: 「ため」 follows directly) or nouns (「であるため」,
  「の場合」, 「の方」); the kind is read from the ending.
- a household condition is one predicate per sentence; a member condition describes one person
  (「75歳未満で国民健康保険に加入している方がいる」, "someone in your household is under 75
  and in the National Health Insurance"); relation (ご本人, 子ども …) is the person, not a
  condition.
- at most ``MAX_CONDITIONS`` predicates go in one sentence; the rest follow in short sentences
  about 「その方」 / "that person", or a summary.
- anything about the person who died is in the third person: no "you"/"your" in that sentence.

Every function returns ``Reason`` objects: the text and, per sentence, how many conditions it
joins (the tests hold every sentence to ``MAX_CONDITIONS``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from core.languages import pick
from rules.conditions import Atom

MAX_CONDITIONS = 2
LOCALES = ("ja", "en", "easy")

# a Japanese phrase ending in one of these is a clause (verb / adjective / past): 「…ため」 follows
_CLAUSE_END = set("るいたうくすつぬむぶぐ")
_EN_VERBS = {"is", "are", "was", "were", "has", "have", "had", "does", "do", "holds", "goes",
             "receives", "keeps", "lives", "owns", "will", "uses", "gets"}
_EN_PLURAL = {"is": "are", "was": "were", "has": "have", "does": "do"}


def _lang(locale: str) -> str:
    """The language the grammar writes for ``locale``: its own, else its fallback's (zh, ko, vi
    and pt read English here; rules.evaluate swaps in the pack's translated reasons)."""
    return pick(locale, LOCALES)


def words(entry: dict[str, Any] | None, locale: str) -> str:
    """The entry's words in ``locale``; やさしい日本語 falls back to Japanese."""
    entry = entry or {}
    loc = _lang(locale)
    text = entry.get(loc)
    if not text and loc == "easy":
        text = entry.get("ja")
    return text or ""


def _for_event(entry: dict[str, Any], event: str | None) -> dict[str, Any]:
    """A fact's words for one life event: ``by_event: {<event>: {ja, en, easy, not}}`` (facts.yaml),
    where the same answer means something else at that event (at a 転入, 「国民健康保険」 is the
    insurance the person will have here: 「この市で国民健康保険に入る」)."""
    if event:
        over = (entry.get("by_event") or {}).get(event)
        if over:
            return over
    return entry


def _strip_paren(text: str) -> str:
    return re.sub(r"（[^（）]*）$", "", text)


def _ja_kind(text: str) -> str:
    return "clause" if _strip_paren(text)[-1:] in _CLAUSE_END else "noun"


@dataclass(frozen=True)
class Pred:
    """One condition in words (the atoms of one fact)."""

    text: str
    kind: str = "clause"  # ja/easy: "clause" or "noun"
    past: bool = False
    deceased: bool = False

    def vp(self, plural: bool = False) -> str:
        """English: the predicate as a verb phrase ("is in …", "has a …")."""
        return _en_vp(self.text, plural)


class Reason(str):
    """A reason as the resident reads it (a ``str``, so it goes into JSON as it is), with how many
    conditions each of its sentences joins and whether it is about the person who died."""

    conditions: tuple[int, ...]
    deceased: bool
    event: bool  # the life event itself (「家族が亡くなったため」): said only when nothing else is

    def __new__(cls, text: str, conditions: tuple[int, ...] = (), deceased: bool = False,
                event: bool = False) -> Reason:
        self = super().__new__(cls, text)
        self.conditions = conditions
        self.deceased = deceased
        self.event = event
        return self

    @property
    def text(self) -> str:
        return str(self)

    def __reduce__(self) -> tuple:
        return (Reason, (str(self), self.conditions, self.deceased, self.event))


# --- memo: the same atoms in the same words, evaluation after evaluation ---------------------

_MEMO: dict[tuple, tuple[tuple, Any]] = {}
_MEMO_SIZE = 8192


def _memo(atoms: list[Atom], extra: tuple, build: Any) -> Any:
    """``build()`` once per (atoms, extra). Atoms are keyed by identity (they live as long as
    their rulebook); the entry keeps them, so an id is never reused while it is cached."""
    key = (tuple(map(id, atoms)), extra)
    hit = _MEMO.get(key)
    if hit is not None and all(a is b for a, b in zip(hit[0], atoms, strict=True)):
        return hit[1]
    value = build()
    if len(_MEMO) >= _MEMO_SIZE:
        _MEMO.clear()
    _MEMO[key] = (tuple(atoms), value)
    return value


def _relevant(atoms: list[Atom], values: dict[str, Any] | None) -> tuple | None:
    if values is None:
        return None
    return tuple(values.get(a.fact.path) for a in atoms)


# --- predicates -------------------------------------------------------------------------------

def _about_deceased(fact: Any) -> bool:
    return "deceased" in fact.path


def _join_alternatives(texts: list[str], loc: str, kind: str) -> str:
    """「小学校か中学校に通っている」 / "at elementary or junior high school"."""
    if len(texts) == 1:
        return texts[0]
    if loc == "en":
        split = [t.split(" ") for t in texts]
        pre = 0
        while all(len(s) > pre + 1 and s[pre] == split[0][pre] for s in split):
            pre += 1
        post = 0
        while pre and all(len(s) > pre + post + 1 and s[-1 - post] == split[0][-1 - post] for s in split):
            post += 1
        if pre:
            middles = [" ".join(s[pre:len(s) - post]) for s in split]
            tail = (" " + " ".join(split[0][len(split[0]) - post:])) if post else ""
            return " ".join(split[0][:pre]) + " " + " or ".join(middles) + tail
        return " or ".join(texts)
    sp = "" if loc == "ja" else " "
    # a common ending from a particle on: 「小学校に通っている」「中学校に通っている」 (in easy
    # Japanese the particle ends a word: 「しょうがっこうに かよって いる」)
    first = texts[0]
    for i in range(1, len(first)):
        tail = first[i:]
        if tail[0] not in "にをがでへ" or (loc == "easy" and tail[1:2] != " ") or \
                (loc == "ja" and _HIRAGANA.match(first[i - 1])):
            continue
        if all(t.endswith(tail) and len(t) > len(tail) for t in texts):
            return f"か{sp}".join(t[: len(t) - len(tail)] for t in texts) + tail
    # a common beginning up to 「の」: 「国民年金の第2号被保険者」「国民年金の第3号被保険者」
    head = _common_no(texts, loc)
    if head:
        return head + f"か{sp}".join(t[len(head):] for t in texts)
    return ("か" if kind == "noun" else "か、").join(texts)


_HIRAGANA = re.compile(r"[\u3041-\u309f]")


def _common_no(texts: list[str], loc: str) -> str:
    """The common beginning of the texts up to 「の」 (「の 」 in easy Japanese), or ""."""
    end = "の" if loc == "ja" else "の "
    for i in range(len(texts[0]) - 1, 0, -1):
        head = texts[0][:i]
        if head.endswith(end) and all(t.startswith(head) and len(t) > len(head) for t in texts):
            return head
    return ""


def _neither(texts: list[str], loc: str) -> str:
    """Nouns that must not hold: 「…でも…でもない」 / "neither … nor …" / "not …"."""
    if loc == "en":
        if len(texts) == 1:
            return f"not {texts[0]}"
        joined = _join_alternatives(texts, "en", "noun")
        return "neither " + joined.replace(" or ", " nor ", 1)
    sp = " " if loc == "easy" else ""
    if len(texts) == 1:
        return texts[0] + "では" + sp + "ない"
    head = _common_no(texts, loc)  # 「国民年金の第2号被保険者でも第3号被保険者でもない」
    return head + "".join(t[len(head):] + "でも" + sp for t in texts) + "ない"


def _int_phrase(atoms: list[Atom], loc: str) -> tuple[str, str]:
    """Words for the atoms on one number: 65歳以上, 20歳から59歳まで, 18歳未満 …"""
    fact = atoms[0].fact
    unit = words(fact.unit, loc) or "{n}"
    u = lambda n: unit.format(n=n)  # noqa: E731
    lo = hi = None
    lt = None
    parts: list[tuple[str, str]] = []
    for a in atoms:
        op, x = a.op, a.value
        if op == "gte":
            lo = x if lo is None else max(lo, x)
        elif op == "gt":
            lo = x + 1 if lo is None else max(lo, x + 1)
        elif op == "lte":
            hi = x if hi is None else min(hi, x)
        elif op == "lt":
            lt = x if lt is None else min(lt, x)
        elif op == "eq":
            parts.append((u(x), "noun"))
        else:  # ne
            neg = {"ja": "ではない", "en": "not ", "easy": "では ない"}[_lang(loc)]
            parts.append((f"not {u(x)}" if loc == "en" else u(x) + neg, "clause" if loc != "en" else "noun"))
    if lt is not None and lo is not None:
        hi = lt - 1 if hi is None else min(hi, lt - 1)
        lt = None
    if lo is not None and hi is not None:
        parts.append(({"ja": f"{u(lo)}から{u(hi)}まで", "en": f"between {u(lo)} and {u(hi)}",
                       "easy": f"{u(lo)}から {u(hi)}まで"}[_lang(loc)], "noun"))
    elif lo is not None:
        parts.append(({"ja": f"{u(lo)}以上", "en": f"{u(lo)} or over", "easy": f"{u(lo)} いじょう"}[_lang(loc)], "noun"))
    elif hi is not None:
        parts.append(({"ja": f"{u(hi)}以下", "en": f"{u(hi)} or under", "easy": f"{u(hi)} いか"}[_lang(loc)], "noun"))
    if lt is not None:
        parts.append(({"ja": f"{u(lt)}未満", "en": f"under {u(lt)}", "easy": f"{u(lt)}に なって いない"}[_lang(loc)],
                      "clause" if loc == "easy" else "noun"))
    sep = {"ja": "で", "en": " and ", "easy": "で、"}[_lang(loc)]
    text = sep.join(p for p, _ in parts)
    kind = parts[-1][1]
    return text, kind


def predicate(atoms: list[Atom], locale: str, event: str | None = None) -> Pred:
    """The words for the atoms of one fact (several only for a number range)."""
    loc = _lang(locale)
    fact = atoms[0].fact
    dead = _about_deceased(fact)
    if fact.type == "int":
        text, kind = _int_phrase(atoms, loc)
        subject = words(fact.subject, loc)
        if subject:
            if kind == "clause" and fact.past and loc != "en":  # 「…ではない」 about the past
                text = text[: -len("ない")] + "なかった"
            text = f"{subject} {text}" if loc != "ja" else subject + text
        return Pred(text, kind, past=fact.past and kind == "noun", deceased=dead)
    atom = atoms[0]
    op, x = atom.op, atom.value
    if fact.type == "bool":
        wanted = x if op == "eq" else not x
        text = words(_for_event(fact.phrases[wanted], event), loc)
        return Pred(text, _ja_kind(text), deceased=dead)
    values = {v: _for_event(e, event) for v, e in fact.values.items()}
    chosen = list(x) if op in ("in", "not_in") else [x]
    if op in ("eq", "in"):
        texts = [words(values[v], loc) for v in chosen]
        kind = _ja_kind(texts[-1])
        return Pred(_join_alternatives(texts, loc, kind), kind, deceased=dead)
    # ne / not_in: the curated negation, the other values if few, or 「…でも…でもない」
    if len(chosen) == 1 and values[chosen[0]].get("not"):
        text = words(values[chosen[0]]["not"], loc)
        return Pred(text, _ja_kind(text), deceased=dead)
    texts = [words(values[v], loc) for v in chosen]
    if all(_ja_kind(words(values[v], "ja")) == "noun" for v in chosen):
        text = _neither(texts, loc)
        return Pred(text, "clause", deceased=dead)
    rest = [v for v in values if v not in chosen]
    others = [words(values[v], loc) for v in rest]
    kind = _ja_kind(others[-1])
    return Pred(_join_alternatives(others, loc, kind), kind, deceased=dead)


def value_predicate(fact: Any, value: Any, locale: str, event: str | None = None) -> Pred | None:
    """Words for the answer actually given (「勤務先の健康保険に加入している」)."""
    loc = _lang(locale)
    if fact.type == "bool" and isinstance(value, bool):
        text = words(_for_event(fact.phrases[value], event), loc)
    elif fact.type == "enum" and value in fact.values:
        text = words(_for_event(fact.values[value], event), loc)
    else:
        return None
    return Pred(text, _ja_kind(text), deceased=_about_deceased(fact))


def predicates(atoms: list[Atom], locale: str, values: dict[str, Any] | None = None,
               event: str | None = None) -> list[Pred]:
    """One predicate per fact, in the order of the condition (a range becomes one). With
    ``values`` (answers that satisfy the atoms), a choice is said by the answer given."""
    atoms = [a for a in atoms if not getattr(a, "implied", False)]  # decides, never said
    return _memo(atoms, ("predicates", locale, _relevant(atoms, values), event),
                 lambda: _predicates(atoms, locale, values, event))


def _predicates(atoms: list[Atom], locale: str, values: dict[str, Any] | None,
                event: str | None = None) -> list[Pred]:
    by_fact: dict[str, list[Atom]] = {}
    for a in atoms:
        by_fact.setdefault(a.fact.path, []).append(a)
    out = []
    for group in by_fact.values():
        fact = group[0].fact
        given = (values or {}).get(fact.path)
        said = value_predicate(fact, given, locale, event) if fact.type == "enum" and given is not None else None
        out.append(said or predicate(group, locale, event))
    return out


# --- connecting words -------------------------------------------------------------------------

def _ja_tail(p: Pred, clause: str, noun: str, past: str) -> str:
    if p.kind == "clause":
        return p.text + clause
    return p.text + (past if p.past else noun)


def _because(p: Pred, loc: str) -> str:
    if loc == "en":
        return "Because " + p.text
    if loc == "easy":
        return _ja_tail(p, " からです。", " だからです。", " だった からです。")
    return _ja_tail(p, "ため", "であるため", "だったため")


def _if_text(p: Pred, loc: str) -> str:
    if loc == "easy":
        return _ja_tail(p, " ときに ひつようです。", "の ときに ひつようです。", " だった ときに ひつようです。")
    return _ja_tail(p, "場合", "の場合", "だった場合")


def _toki(p: Pred, loc: str) -> str:
    if loc == "easy":
        return _ja_tail(p, " ときだけです。", "の ときだけです。", " だった ときだけです。")
    return _ja_tail(p, "とき", "のとき", "だったとき")


def _en_vp(text: str, plural: bool = False) -> str:
    first = text.split(" ", 1)[0]
    vp = text if first in _EN_VERBS else f"is {text}"
    if plural:
        verb, _, rest = vp.partition(" ")
        verb = _EN_PLURAL.get(verb, verb[:-1] if verb.endswith("s") and verb not in ("is", "was") else verb)
        vp = f"{verb} {rest}".strip()
    return vp


def _en_negate(vp: str) -> str:
    verb, _, rest = vp.partition(" ")
    if verb in ("is", "are", "was", "were", "will"):
        return f"{verb} not {rest}"
    base = {"has": "have", "does": "do"}.get(verb, verb[:-1] if verb.endswith("s") else verb)
    return f"does not {base} {rest}"


def _en_join_vps(vps: list[str]) -> str:
    """"is 65 or over and in the National Health Insurance" (one verb said once)."""
    if len(vps) == 2 and vps[0].split(" ", 1)[0] == vps[1].split(" ", 1)[0] in ("is", "are", "was"):
        return f"{vps[0]} and {vps[1].split(' ', 1)[1]}"
    return " and ".join(vps)


# --- household --------------------------------------------------------------------------------

@lru_cache(maxsize=4096)
def because(p: Pred, locale: str) -> Reason:
    return Reason(_because(p, _lang(locale)), (1,), p.deceased)


def statement_because(p: Pred, conditions: int, locale: str) -> Reason:
    """「…ため」 for one statement that joins ``conditions`` conditions."""
    return Reason(_because(p, _lang(locale)), (conditions,), p.deceased)


def because_all(preds: list[Pred], locale: str) -> Reason:
    """Statements in one sentence: 「AてBため」 / "Because A and B" / 「Aて、B からです。」."""
    loc = _lang(locale)
    if loc == "en":
        text = "Because " + " and ".join(p.text for p in preds)
    else:
        text = "".join(te_form(p.text, loc) + "、" for p in preds[:-1]) + _because(preds[-1], loc)
    return Reason(text, (len(preds),), any(p.deceased for p in preds))


def either(reasons: list[Reason], locale: str) -> Reason | None:
    """Two 「…場合」 sentences as one: 「Aの場合、またはBの場合」 / "If A, or if B" /
    「A ときか、B ときに ひつようです。」; a reason of several sentences is said alone."""
    loc = _lang(locale)
    if not reasons:
        return None
    first = reasons[0]
    if len(reasons) == 1:
        return first
    second = reasons[1]
    end = "ときに ひつようです。"
    core = {"en": first.text.removeprefix("If "), "easy": first.text.removesuffix(end).rstrip()}.get(
        loc, first.text.removesuffix("場合").removesuffix("の"))
    if core and core in second.text:  # A, or A and B: A says it
        return first
    if any(r.text.rstrip("。").count("。") or ". " in r.text for r in (first, second)) or \
            (loc == "easy" and not first.text.endswith(end)):
        return first
    if loc == "en":
        text = f"{first.text}, or {second.text[:1].lower()}{second.text[1:]}"
    elif loc == "easy":
        text = first.text.removesuffix(end) + "ときか、" + second.text
    else:
        text = f"{first.text}、または{second.text}"
    return Reason(text, first.conditions + second.conditions, first.deceased or second.deceased)


def curated(entry: dict[str, str], locale: str) -> Pred:
    """A rule's curated ``why`` clause (「…方がいる」), to be said with 「ため」/「場合」 like any."""
    text = words(entry, locale)
    return Pred(text, _ja_kind(text))


@lru_cache(maxsize=256)
def event_reason(text: str, locale: str) -> Reason:
    """「他の市区町村や国外からこの市に引っ越すため」: the event itself (no condition)."""
    return Reason(_because(Pred(text, _ja_kind(text)), _lang(locale)), (0,), event=True)


# --- members ----------------------------------------------------------------------------------

@dataclass
class Person:
    """A member condition in words: who (relation) and what holds for them."""

    heads: list[str]  # relation words; empty: 方 / someone
    single: bool  # the relation names one person (ご本人, 配偶者): 「ご本人が…」
    preds: list[Pred]
    you: bool = False  # en: the subject is "you" (plural verb)


def person(atoms: list[Atom], locale: str, values: dict[str, Any] | None = None,
           event: str | None = None) -> Person:
    """``values``: the person's answers, when the conditions held for them: an ``in`` or ``ne``
    is then said by the answer itself (「配偶者が…」 rather than 「ご本人か配偶者が…」)."""
    loc = _lang(locale)
    values = values or {}
    atoms = [a for a in atoms if not getattr(a, "implied", False)]
    rel = [a for a in atoms if a.fact.role == "person" and a.op in ("eq", "in")]
    rest = [a for a in atoms if a not in rel]
    heads: list[str] = []
    single = bool(rel)
    you = False
    for a in rel:
        given = values.get(a.fact.path)
        chosen = (given,) if given in a.fact.values else (a.value if a.op == "in" else (a.value,))
        for v in chosen:
            entry = a.fact.values[v]
            subj = entry.get("subject") or {}
            heads.append(subj.get(loc) or words(entry, loc))
            single = single and bool(entry.get("single"))
            you = you or subj.get("en") == "you"
    preds = predicates(rest, loc, values, event)
    # nouns first, then clauses (「75歳未満で国民健康保険に加入している方」, "is under 75 and in …"),
    # as the Japanese words decide
    kinds = [p.kind for p in predicates(rest, "ja", values, event)]
    preds = [p for p, k in zip(preds, kinds, strict=True) if k == "noun"] + \
        [p for p, k in zip(preds, kinds, strict=True) if k == "clause"]
    return Person(heads, single, preds, you=you and len(heads) == 1)


def _heads(heads: list[str], loc: str) -> str:
    if loc == "en":
        return " or ".join(heads)
    return ("か" if loc == "ja" else "か ").join(heads)


# the connective form (て形・連用形) of a clause's last word, for joining it to what follows:
# 「加入している」→「加入していて」, 「入っていた」→「入っていて」, 「していない」→「しておらず」.
# Longest ending first; easy Japanese (わかち書き) has the same endings after a space.
_TE_ENDINGS: tuple[tuple[str, str, str], ...] = (
    # (ending, ja, easy)
    ("ていなかった", "ておらず", "て いなくて"), ("て いなかった", "", "て いなくて"),
    ("ていない", "ておらず", "て いなくて"), ("て いない", "", "て いなくて"),
    ("ている", "ていて", "て いて"), ("て いる", "", "て いて"),
    ("ていた", "ていて", "て いて"), ("て いた", "", "て いて"),
    ("なかった", "なく", "なくて"), ("ない", "なく", "なくて"), ("たい", "たく", "たくて"),
    ("だった", "で", "で"), ("である", "で", "で"), ("がいる", "がいて", "が いて"),
    ("はいる", "はいって", "はいって"), ("かえる", "かえって", "かえって"),  # 入る・帰る (godan)
    ("いる", "いて", "いて"), ("する", "して", "して"), ("くる", "きて", "きて"), ("来る", "来て", "きて"),
    ("ある", "あって", "あって"), ("行く", "行って", "いって"), ("いく", "いって", "いって"),
    ("った", "って", "って"), ("んだ", "んで", "んで"), ("いだ", "いで", "いで"), ("た", "て", "て"),
    ("う", "って", "って"), ("つ", "って", "って"), ("す", "して", "して"), ("く", "いて", "いて"),
    ("ぐ", "いで", "いで"), ("む", "んで", "んで"), ("ぶ", "んで", "んで"), ("ぬ", "んで", "んで"),
)
# a る after these (え・い段) is 一段 (「受ける」→「受けて」); after anything else, 五段 (「変わる」→「変わって」)
_ICHIDAN = set("えけげせぜてでねへべぺめれいきぎしじちぢにひびぴみり")
_NEGATABLE = set("らわかさたなまばがしい")  # before 「ない」: a verb's negative (not 「少ない」)


def te_form(text: str, locale: str) -> str:
    """A clause in the form that joins it to the next one: 「勤務先の健康保険に加入していて」."""
    loc = _lang(locale)
    paren = re.search(r"（[^（）]*）$", text)
    core, tail = (text[: paren.start()], paren.group()) if paren else (text, "")
    if loc == "ja":
        neg = re.search(r"(ではな|くな|な)(い|かった)$", core)
        if neg and neg.group(1) == "な" and core[: neg.start()][-1:] in _NEGATABLE:
            # a verb's negative: 「変わらない」→「変わらず」, 「しない」→「せず」, 「いない」→「おらず」
            stem = core[: neg.start()]
            stem = stem[:-1] + "せ" if stem.endswith("し") else stem[:-1] + "おら" if stem.endswith("い") else stem
            return stem + "ず" + tail
    for ending, ja, easy in _TE_ENDINGS:
        form = easy if loc == "easy" else ja
        if form and core.endswith(ending):
            return core[: -len(ending)] + form + tail
    if core.endswith("る"):
        return core[:-1] + ("て" if core[-2:-1] in _ICHIDAN else "って") + tail
    return text + ("で" if loc == "ja" else " で")  # a noun: 「…で、」


def _ja_chain(preds: list[Pred], loc: str) -> tuple[str, str]:
    """Predicates of one person joined: 「20歳から59歳までで国民年金の第3号被保険者」,
    「勤務先の健康保険に加入していて、亡くなった方の健康保険の扶養に入っていた」 (a clause goes on
    in its て形, never 「…している、…」)."""
    sep_noun = "で" if loc == "ja" else "で、"
    out = ""
    for i, p in enumerate(preds):
        if i:
            prev = preds[i - 1]
            if prev.kind == "noun":
                # 「18歳で、18歳になった後の最初の3月31日を…」: a comma before a long clause
                long = loc == "ja" and len(p.text) > 16
                out += sep_noun + ("、" if long else "")
            else:
                out = out[: len(out) - len(prev.text)] + te_form(prev.text, loc) + "、"
        out += p.text
    return out, preds[-1].kind


def _ja_np(who: Person, preds: list[Pred], loc: str) -> str:
    """「65歳以上の方」「18歳未満の子ども」「国民健康保険に加入している方」."""
    head = _heads(who.heads, loc) if who.heads else ("方" if loc == "ja" else "ひと")
    if not preds:
        return head
    chain, kind = _ja_chain(preds, loc)
    if kind == "noun":
        return chain + "の" + ("" if loc == "ja" else " ") + head
    return chain + ("" if loc == "ja" else " ") + head


def _subject_en(who: Person, deceased: bool, negative: bool = False, at_least: int = 1) -> str:
    house = "the household" if deceased else "your household"
    if who.heads:
        head = _heads(who.heads, "en")
        if negative and head.startswith(("a ", "an ")):
            head = "no " + head.split(" ", 1)[1]
        return head if who.single else f"{head} in {house}"
    if at_least > 1:
        return f"at least {at_least} people in {house}"
    return f"nobody in {house}" if negative else f"someone in {house}"


def _member_statement(who: Person, preds: list[Pred], loc: str, at_least: int, deceased: bool) -> Pred:
    """The first sentence about the person: 「65歳以上の方がいる」 / "someone in your household is 65 or over"."""
    if loc == "en":
        if not preds:
            if who.heads and not who.single:
                return Pred(f"there is {_heads(who.heads, 'en')} in {'the' if deceased else 'your'} household")
            return Pred(f"{_heads(who.heads, 'en') or 'someone'} {'are' if who.you else 'is'} among the people listed")
        plural = at_least > 1 or who.you
        return Pred(f"{_subject_en(who, deceased, at_least=at_least)} {_en_join_vps([p.vp(plural) for p in preds])}")
    sp = "" if loc == "ja" else " "
    if who.single and preds:
        chain, kind = _ja_chain(preds, loc)
        return Pred(f"{_heads(who.heads, loc)}が{sp}{chain}", kind)
    np = _ja_np(who, preds, loc)
    if at_least > 1:
        count = f"が{at_least}人以上いる" if loc == "ja" else f"が {at_least}にん いじょう いる"
        return Pred(np + count)
    return Pred(np + ("がいる" if loc == "ja" else "が いる"))


def _that_person(preds: list[Pred], loc: str) -> Pred:
    if loc == "en":
        return Pred("this person " + _en_join_vps([p.vp() for p in preds]))
    chain, kind = _ja_chain(preds, loc)
    return Pred(("その方が" if loc == "ja" else "その ひとが ") + chain, kind)


def _chunks(preds: list[Pred]) -> list[list[Pred]]:
    return [preds[i:i + MAX_CONDITIONS] for i in range(0, len(preds), MAX_CONDITIONS)] or [[]]


def member_statements(atoms: list[Atom], locale: str, at_least: int = 1, deceased: bool = False,
                      values: dict[str, Any] | None = None, event: str | None = None) -> list[tuple[Pred, int]]:
    """The person in short statements, each with its number of conditions: the first says who
    (「…方がいる」), the others add what holds for that person (「その方が…」)."""
    deceased = deceased or any(_about_deceased(a.fact) for a in atoms)
    return _memo(atoms, ("member", locale, at_least, deceased, _relevant(atoms, values), event),
                 lambda: _member_statements(atoms, _lang(locale), at_least, deceased, values, event))


def _member_statements(atoms: list[Atom], loc: str, at_least: int, deceased: bool,
                       values: dict[str, Any] | None, event: str | None = None) -> list[tuple[Pred, int]]:
    who = person(atoms, loc, values, event)
    chunks = _chunks(who.preds)
    out = [(_member_statement(who, chunks[0], loc, at_least, deceased), len(chunks[0]))]
    out += [(_that_person(c, loc), len(c)) for c in chunks[1:]]
    return out


def member_because(atoms: list[Atom], locale: str, at_least: int = 1, values: dict[str, Any] | None = None,
                   event: str | None = None) -> list[Reason]:
    loc = _lang(locale)
    return [Reason(_because(p, loc), (n,)) for p, n in member_statements(atoms, loc, at_least, False, values, event)]


def member_absent(atoms: list[Atom], locale: str, at_least: int = 1, found: int = 0,
                  deceased: bool = False, event: str | None = None) -> Reason:
    """「65歳以上の方がいないため」; with ``at_least`` > 1 and ``found`` people: 「…が1人だけのため」."""
    loc = _lang(locale)
    deceased = deceased or any(_about_deceased(a.fact) for a in atoms)
    who = person(atoms, loc, event=event)
    if len(who.preds) > MAX_CONDITIONS:
        summary = {"ja": "この手続きの条件にすべて当てはまる方がいないため",
                   "en": f"Because nobody in {'the' if deceased else 'your'} household meets all the conditions",
                   "easy": "じょうけんに ぜんぶ あう ひとが いない からです。"}[loc]
        return Reason(summary, (0,))
    n = len(who.preds)
    rest = [a for a in atoms if a.fact.role != "person"]
    if not who.heads and len(rest) == 1 and rest[0].op in ("ne", "not_in") and rest[0].fact.type == "enum":
        # 「全員が…であるため」 rather than 「…でもない方がいないため」 (no double negative)
        everyone = predicate([rest[0].negated()], loc, event)
        if loc == "en":
            return Reason(f"Because everyone in {'the' if deceased else 'your'} household {everyone.vp()}", (1,))
        sp = "" if loc == "ja" else " "
        return Reason(_because(Pred(("全員が" if loc == "ja" else "みんなが") + sp + everyone.text,
                                    everyone.kind), loc), (1,))
    if loc == "en":
        if not who.preds:
            if who.heads and not who.single:
                house = "the household" if deceased else "your household"
                return Reason(f"Because there is no {_heads(who.heads, 'en').split(' ', 1)[1]} in {house}", (0,))
            heads = _heads(who.heads, "en") if who.heads else "anyone"
            return Reason(f"Because the people listed do not include {heads}", (0,))
        if at_least > 1 and found:
            verb = "person" if found == 1 else "people"
            vps = _en_join_vps([p.vp(found > 1) for p in who.preds])
            return Reason(f"Because only {found} {verb} in {'the' if deceased else 'your'} household {vps}", (n,))
        if who.single:
            vp = _en_negate(_en_join_vps([p.vp(who.you) for p in who.preds])) if n == 1 else \
                "does not meet these conditions: " + _en_join_vps([p.vp() for p in who.preds])
            return Reason(f"Because {_heads(who.heads, 'en')} {vp}", (n,))
        subject = _subject_en(who, deceased, negative=True)
        return Reason(f"Because {subject} {_en_join_vps([p.vp() for p in who.preds])}", (n,))
    if not who.preds:
        head = _heads(who.heads, loc)
        if not who.heads:
            text = "当てはまる方がいない" if loc == "ja" else "あう ひとが いない"
        elif who.single:
            text = f"一覧に{head}がいない" if loc == "ja" else f"かぞくの リストに {head}が いない"
        else:
            text = f"{head}がいない" if loc == "ja" else f"{head}が いない"
        return Reason(_because(Pred(text), loc), (0,))
    np = _ja_np(who, who.preds, loc)
    if who.single:  # normally explained by what that person answered (person_value)
        summary = {"ja": "この手続きの条件に当てはまらないため", "easy": "じょうけんに あわない からです。"}[loc]
        return Reason(summary, (0,))
    if at_least > 1 and found:
        text = f"{np}が{found}人しかいない" if loc == "ja" else f"{np}が {found}にんしか いない"
        return Reason(_because(Pred(text), loc), (n,))
    return Reason(_because(Pred(np + ("がいない" if loc == "ja" else "が いない")), loc), (n,))


def person_value(atoms: list[Atom], pred: Pred, locale: str, values: dict[str, Any] | None = None,
                 event: str | None = None) -> Reason:
    """What the one person named by the relation really answered: 「ご本人が勤務先の健康保険に
    加入しているため」 (the reason a rule about ご本人 does not apply)."""
    loc = _lang(locale)
    who = person(atoms, loc, values, event)
    head = _heads(who.heads, loc)
    if loc == "en":
        return Reason(f"Because {head} {pred.vp(who.you)}", (1,))
    sp = "" if loc == "ja" else " "
    return Reason(_because(Pred(f"{head}が{sp}{pred.text}", pred.kind, pred.past), loc), (1,))


# --- conditional: one entry per rule (its conditions all hold together) -----------------------

def if_reason(parts: list[tuple[Pred, int]], locale: str) -> Reason | None:
    """「A場合で、Bとき。ただし、その方がCときに限ります」 / "If A and B. This applies only if C".

    ``parts`` are statements with their number of conditions, in order. At most
    ``MAX_CONDITIONS`` go in the first sentence; each later one is its own short sentence.
    """
    if not parts:
        return None
    loc = _lang(locale)
    first = [parts[0]]
    if len(parts) > 1 and parts[0][1] + parts[1][1] <= MAX_CONDITIONS:
        first.append(parts[1])
    later = parts[len(first):]
    counts = (sum(n for _, n in first),) + tuple(n for _, n in later)
    dead = any(p.deceased for p, _ in parts)
    if loc == "en":
        text = "If " + " and ".join(p.text for p, _ in first)
        text += "".join(f". This {'also ' if i else ''}requires that {p.text}" for i, (p, _) in enumerate(later))
        return Reason(text, counts, dead)
    if loc == "easy":
        text = _if_text(first[0][0], loc)
        text += "".join(f"{'また' if i else 'ただし'}、{_toki(p, loc)}" for i, (p, _) in enumerate(first[1:] + later))
        return Reason(text, counts, dead)
    text = _if_text(first[0][0], loc) + "".join(f"で、{_toki(p, loc)}" for p, _ in first[1:])
    text += "".join(f"。{'また' if i else 'ただし'}、{_toki(p, loc)}に限ります" for i, (p, _) in enumerate(later))
    return Reason(text, counts, dead)


def if_text(text: str, locale: str) -> str:
    """A plain 「…場合」 / "If …" around a sentence already in words."""
    loc = _lang(locale)
    if loc == "en":
        return "If " + text[:1].lower() + text[1:]
    return _if_text(Pred(text, _ja_kind(text)), loc)


def deadline_note(cond: Reason | None, deadline: str, locale: str) -> str:
    """「国外で亡くなった場合は、死亡の事実を知った日を含めて3か月以内」."""
    loc = _lang(locale)
    if cond is None:
        return deadline
    deadline = re.sub(r"\s*(（[^（）]*）|\([^()]*\))$", "", deadline)  # the condition is said already
    if loc == "en":
        return f"{cond.text}: {deadline[:1].lower() + deadline[1:]}"
    if loc == "easy":
        return cond.text.removesuffix("ときに ひつようです。").rstrip() + " ときは、" + deadline
    return cond.text + "は、" + deadline


# --- compatibility helpers (plain strings) ----------------------------------------------------

def atom_phrase(atom: Atom, locale: str) -> str:
    """A plain statement of the atom: 犬を飼っている / 65歳以上 / 国民健康保険に加入していない."""
    return predicate([atom], locale).text


def member_phrase(atoms: list[Atom], locale: str, at_least: int = 1) -> str:
    """「65歳以上の方がいる」 / "someone in your household is 65 or over" (the first statement)."""
    return member_statements(atoms, locale, at_least)[0][0].text


def counted_from_event_date(fact: Any, event_date_label: Any, locale: str) -> str:
    """The note when a deadline's own start date was not given (転出予定日, 死亡日 …)."""
    loc = _lang(locale)
    label = words(fact.label, loc) or {"en": "date", "ja": "日付", "easy": "ひづけ"}[loc]
    since = event_date_label.get(loc)
    if loc == "en":
        since = since[:1].lower() + since[1:]
        since = since if since.startswith("the ") else "the " + since
        return f"Counted from {since}, as the {label} was not given."
    if loc == "easy":
        return f"{label}が わからないので、{since}から かぞえて います。"
    return f"{label}が分からないため、{since}から計算しています。"
