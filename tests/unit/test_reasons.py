"""The reasons (`why`) of every rule of the pack, in every form and language, read as sentences.

For each rule the household and member answers that make it hold, fail or stay open are solved
from its own condition, so a new rule is covered without touching this file. Every reason the
result then gives (required, conditional, not applicable; with members, without, with members
whose answers are missing) is rendered in ja, en and easy and held to the patterns below.
"""
from __future__ import annotations

import itertools
import re
from typing import Any

import pytest
import yaml

from knowledge.loader import PACKS_DIR
from rules import wording
from rules.conditions import All, Any_, Atom, atoms_of, eval_atom
from rules.evaluate import _why_not, evaluate, reasons
from rules.request import read_request

LOCALES = ("ja", "en", "easy")


# --- solving a condition ------------------------------------------------------------------------

def _negate(cond):
    if cond is None:
        return None
    if isinstance(cond, Atom):
        return cond.negated()
    items = tuple(_negate(c) for c in cond.items)
    return Any_(items) if isinstance(cond, All) else All(items)


def _paths(cond) -> list[list[Atom]]:
    """Each way to make ``cond`` hold, as the atoms that must all hold."""
    if cond is None:
        return [[]]
    if isinstance(cond, Atom):
        return [[cond]]
    if isinstance(cond, Any_):
        return [p for c in cond.items for p in _paths(c)]
    return [[a for part in combo for a in part] for combo in itertools.product(*[_paths(c) for c in cond.items])]


def _candidates(fact) -> list[Any]:
    if fact.type == "bool":
        return [True, False]
    if fact.type == "enum":
        return list(fact.values)
    if fact.type == "int":
        return list(range(fact.min or 0, (fact.max or 130) + 1))
    return []


def _assign(atoms: list[Atom], values: dict[str, Any]) -> bool:
    for path in dict.fromkeys(a.fact.path for a in atoms):
        mine = [a for a in atoms if a.fact.path == path]
        fits = [v for v in _candidates(mine[0].fact) if all(eval_atom(a, {path: v}) for a in mine)]
        if not fits:
            return False
        values.setdefault(path, fits[0])
    return True


def solve(cond) -> dict[str, Any] | None:
    """Answers (fact path -> value) that make ``cond`` hold, or None if there are none.

    An atom derived from other answers (``constraint``: e.g. "the age allows 後期高齢者医療") is
    made true by answering what its constraint requires (the age)."""
    for atoms in _paths(cond):
        derived = [a for a in atoms if getattr(a, "constraint", None) is not None]
        values: dict[str, Any] = {}
        if not _assign([a for a in atoms if a not in derived], values):
            continue
        required: list[Atom] = []
        for a in derived:
            for c in getattr(a.constraint, "table", ()):
                if values.get(c.fact.path) == c.value:
                    required += _paths(c.requires)[0]
        if required:  # answer again so the age fits the rule and what the constraint requires
            values = {}
            if not _assign([a for a in atoms if a not in derived] + required, values):
                continue
        if all(eval_atom(a, values) for a in atoms):
            return values
    return None


def _request(event: str, household: dict[str, Any], members, locale: str) -> dict[str, Any]:
    body: dict[str, Any] = {"event": event, "event_date": "2026-04-01", "locale": locale, "explain": True}
    for path, value in household.items():
        if path == "event":
            continue
        group, _, name = path.partition(".")
        body.setdefault(group, {})[name] = value
    if members is not None:
        body["members"] = members
    return body


def _situations(rule) -> list[tuple[str, dict[str, Any], Any]]:
    """(name, household answers, members) that put the rule in each of its forms."""
    yes_house = solve(rule.household) or {}
    no_house = solve(_negate(rule.household)) if rule.household is not None else None
    out = [
        ("nothing answered", {}, None),
        ("household holds, members not given", yes_house, None),
    ]
    if no_house is not None:
        out.append(("household fails", no_house, None))
    first = [a for a in atoms_of(rule.household)][:1]
    if len(list(atoms_of(rule.household))) > 1 and first:
        out.append(("household half answered", {k: v for k, v in yes_house.items() if k == first[0].fact.path}, None))
    if rule.member is not None:
        yes_member = solve(rule.member) or {}
        no_member = solve(_negate(rule.member))
        n = rule.at_least
        out += [
            ("required", yes_house, [yes_member] * n),
            ("members with nothing answered", yes_house, [{}] * n),
            ("nothing known of the household, members hold", {}, [yes_member] * n),
            ("members answered in half", yes_house,
             [{k: v for k, v in yes_member.items() if k == next(iter(yes_member), None)}] * n),
            ("nobody listed", yes_house, []),
        ]
        if no_member is not None:
            out.append(("members fail", yes_house, [no_member] * n))
            out.append(("one too few", yes_house, [yes_member] * (n - 1) + [no_member]))
            # one member fails on each atom: the reason cannot name a single failing condition
            for atom in atoms_of(rule.member):
                single = solve(_negate(atom))
                if single is not None:
                    out.append((f"member fails on {atom.fact.path}", yes_house, [{**yes_member, **single}] * n))
    else:
        out.append(("required", yes_house, []))
    return out


# --- what a broken sentence looks like ----------------------------------------------------------

_CLAUSE_END = "るいたうくすつぬむぶぐだ"
_KANJI = re.compile(r"[\u4e00-\u9fff]")
_YOU = re.compile(r"\b(you|your|yourself)\b", re.IGNORECASE)


def broken(text: str, locale: str) -> list[str]:
    """What is wrong with one reason, as sentences a reader would notice."""
    problems = []
    if not text or text != text.strip():
        problems.append("empty or padded")
    if "  " in text:
        problems.append("double space")
    for a, b in ("（）", "()", "「」", "[]"):
        if text.count(a) != text.count(b):
            problems.append(f"unbalanced {a}{b}")
    if locale == "en":
        for sentence in re.split(r"(?<=[.!?])\s+", text):
            if not sentence[:1].isupper():
                problems.append(f"sentence starts in lower case: {sentence!r}")
        if ("died" in text or "deceased" in text) and _YOU.search(text):
            problems.append("'you' in a sentence about the person who died")
        if re.search(r"\b(\w+) \1\b", text):
            problems.append("a doubled word")
        for bad in ("is concerned", "Not (", "not (", "「", "the deceased"):
            if bad in text:
                problems.append(f"contains {bad!r}")
        if re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", text):
            problems.append("Japanese in English")
        return problems
    for m in re.finditer(r"ため|場合|とき", text):
        before = text[: m.start()].rstrip()
        if not before or (before[-1] not in _CLAUSE_END and before[-1] != "の" and before[-1] != "る"):
            problems.append(f"{before[-4:]!r} directly followed by {m.group()}")
    if re.search(r"(以上|以下|未満|歳|さい|[0-9])\s*ため", text):
        problems.append("a number directly followed by ため")
    if re.search(r"ご本人、|あなた、", text):
        problems.append("ご本人、 (a person listed like a condition)")
    # a particle twice: 「にに」, or in わかち書き a second one standing alone (「の の ひと」)
    # (「までで」 is まで + で)
    doubled = r"(?<!ま)(が|を|に|の|は|で)\1" if locale == "ja" else r"(?<!ま)(が|を|に|の|は|で) ?\1(?= |$|、|。)"
    if re.search(doubled, text):
        problems.append("a doubled particle")
    if "、、" in text or "。。" in text or "、。" in text:
        problems.append("doubled punctuation")
    if text.count("かつ") > 1:
        problems.append("「かつ」 more than once")
    if "」に当てはまらない" in text:
        problems.append("a quoted condition 「…」に当てはまらない")
    if re.search(r"[a-zA-Z]", text):
        problems.append("Latin letters in Japanese")
    if locale == "easy":
        if _KANJI.search(text):
            problems.append("kanji in やさしい日本語")
        if not text.endswith("。"):
            problems.append("やさしい日本語 reasons are whole sentences (。)")
    elif text.endswith("。"):
        problems.append("a Japanese reason ends without 。")
    return problems


def test_the_pattern_check_catches_what_it_should():
    assert broken("65歳以上ため", "ja")
    assert broken("ご本人、国民健康保険に加入している方がいるため", "ja")
    assert broken("前の住所が兵庫県の外場合", "ja")
    assert broken("AかつBかつCの場合", "ja")
    assert broken("国民健康保険にに加入している方がいるため", "ja")
    assert broken("If you keep a dog and the person who died was 80", "en")
    assert broken("someone aged 65 or over is concerned", "en")
    assert broken("Because  you keep a dog", "en")
    assert broken("犬を飼っている（特例ため", "ja")
    assert broken("65さい いじょうの 人が いる からです。", "easy")
    assert broken("", "ja")
    assert not broken("65歳以上の方がいるため", "ja")
    assert not broken("名字（氏）が変わる場合で、手続きの後は国民健康保険に入るとき", "ja")
    assert not broken("Because the person who died was 65 or over", "en")
    assert not broken("65さい いじょうの ひとが いる からです。", "easy")


def _rule_cases():
    """Every rule of the pack, read from the rule files (so a new rule is a new case)."""
    cases = []
    for path in sorted((PACKS_DIR / "kakogawa" / "rules").glob("*.yaml")):
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        cases += [pytest.param((raw["event"], r["id"]), id=f"{raw['event']}:{r['id']}") for r in raw["rules"]]
    return cases


@pytest.mark.parametrize("rule_case", _rule_cases())
def test_every_reason_of_every_rule_reads_well(rulebook, rule_case):
    event, rule_id = rule_case
    rule = next(r for r in rulebook.events[event].rules if r.id == f"{event}.{rule_id}")
    seen_status = set()
    problems: list[str] = []
    for name, household, members in _situations(rule):
        for loc in LOCALES:
            situation = read_request(_request(event, household, members, loc), rulebook.vocab, set(rulebook.events))
            result = evaluate(rulebook, situation)
            by_id = {p["id"]: p for p in result["procedures"]} | {p["id"]: p for p in result["not_applicable"]}
            why = reasons(rulebook, situation)
            elsewhere = {e["id"]: e for e in result.get("at_new_city", [])}
            if getattr(rule, "place", None) != "new_city":
                status, own = why[rule.procedure]
                assert by_id[rule.procedure]["why"] == [r.text for r in own]
            else:  # a rule for the new municipality (at_new_city[]): said there, never at a counter here
                entry = elsewhere.get(rule.procedure, {})
                status, own = entry.get("status", "not_applicable"), entry.get("why", [])
            seen_status.add(status)
            assert all(isinstance(w, str) for w in _why_not(rule, situation))  # the plain-text helpers
            assert own or status == "not_applicable", f"{name}/{loc}: {rule.procedure} {status} without a reason"
            for entry in result.get("at_new_city", []):  # what the new municipality does: said alike
                problems += [f"{name}/{loc}/{entry['id']}: {p}: {w}" for w in entry["why"] for p in broken(w, loc)]
            for pid, (_, rs) in why.items():
                for r in rs:
                    problems += [f"{name}/{loc}/{pid}: {p}: {r.text}" for p in broken(r.text, loc)]
                    if r.conditions and max(r.conditions) > wording.MAX_CONDITIONS:
                        problems.append(f"{name}/{loc}/{pid}: {max(r.conditions)} conditions in one sentence: {r.text}")
                    if loc == "en" and r.deceased and _YOU.search(r.text):
                        problems.append(f"{name}/{loc}/{pid}: 'you' about the person who died: {r.text}")
    assert sorted(set(problems)) == []
    assert "required" in seen_status


def test_every_fact_has_words_in_easy_japanese(rulebook):
    missing = []
    for table in (rulebook.vocab.household, rulebook.vocab.member):
        for path, fact in table.items():
            entries = list(fact.phrases.values()) + list(fact.values.values())
            if fact.type == "int":
                entries.append(fact.unit)
            missing += [f"{path}: {e.get('ja')}" for e in entries if not e.get("easy")]
    assert missing == []


def test_the_sample_for_a_human_renders(rulebook):
    """docs/reasons-sample.md comes from bench/reasons_sample.py: its households still evaluate,
    and every reason in it passes the same checks."""
    from bench.reasons_sample import HOUSEHOLDS, render
    text = render()
    assert text.count("\n## ") == len(HOUSEHOLDS) >= 12
    for _, request in HOUSEHOLDS:
        for loc in LOCALES:
            result = evaluate(rulebook, read_request({**request, "locale": loc}, rulebook.vocab, set(rulebook.events)))
            for p in result["procedures"] + result.get("not_applicable", []):
                assert [w for w in p["why"] if broken(w, loc)] == []
