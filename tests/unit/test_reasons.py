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
        if text.count("Because") > 1 or text.count("If ") > 1:
            problems.append("two reasons run together in one sentence")
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
    # a clause ending in a verb, then 「、」 and the next condition: 「…加入している、…扶養に入っていた方」
    # (a clause goes on in its て形: 「加入していて、」); 「また、」 is a conjunction
    if re.search(r"(?<!ま)(る|た|い) ?、", text):
        problems.append("a verb-final clause followed by 、 (say it in the て形)")
    if text.count("ため") > 1 or text.count("からです") > 1:
        problems.append("two reasons run together in one sentence")
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
    # two conditions of one person: the first clause goes on in its て形
    assert broken("勤務先の健康保険に加入している、亡くなった方の健康保険の扶養に入っていた方がいるため", "ja")
    assert broken("しょうがいしゃ てちょうを もって いる、かーどを もって いる ひとが いる からです。", "easy")
    assert not broken("勤務先の健康保険に加入していて、亡くなった方の健康保険の扶養に入っていた方がいるため", "ja")
    assert not broken("なくなった ひとが せたいぬし だった ときに ひつようです。また、ひとが いる ときだけです。", "easy")
    # reasons run together (the new municipality's list, issue 10)
    assert broken("Because you are getting divorced; Because you move out of Kakogawa", "en")
    assert broken("離婚するため、加古川市から引っ越すため", "ja")


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
                if len(entry["why"]) > 2:
                    problems.append(f"{name}/{loc}/{entry['id']}: more than two reasons: {entry['why']}")
            for pid, (_, rs) in why.items():
                if len(rs) > 1 and any(r.event for r in rs):  # the page states the event once, at the top
                    problems.append(f"{name}/{loc}/{pid}: the event among other reasons: {[r.text for r in rs]}")
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
    text = render(rulebook)
    assert text.count("\n## ") == len(HOUSEHOLDS) >= 12
    for _, request in HOUSEHOLDS:
        for loc in LOCALES:
            result = evaluate(rulebook, read_request({**request, "locale": loc}, rulebook.vocab, set(rulebook.events)))
            for p in result["procedures"] + result.get("not_applicable", []):
                assert [w for w in p["why"] if broken(w, loc)] == []


# --- issue 10: what the reviewer read on the four households -------------------------------------

def _why(rulebook, body: dict[str, Any], pid: str, locale: str = "ja", where: str = "procedures") -> list[str]:
    situation = read_request({"event_date": "2026-11-20", **body, "locale": locale}, rulebook.vocab, set(rulebook.events))
    result = evaluate(rulebook, situation)
    entries = result[where] + (result.get("not_applicable", []) if where == "procedures" else [])
    return next(p["why"] for p in entries if p["id"] == pid)


_SHAHO_DEATH = {
    "event": "death",
    "deceased": {"age": 45, "insurance": "shaho", "pension": "second", "householder": True},
    "members": [{"relation": "spouse", "age": 42, "insurance": "shaho", "dependant_of_deceased": True, "pension": "third"},
                {"relation": "child", "age": 12, "insurance": "shaho", "dependant_of_deceased": True}],
}


def test_two_conditions_of_one_person_join_in_the_te_form(rulebook):
    why = _why(rulebook, _SHAHO_DEATH, "kokuho_kanyu")
    assert "勤務先の健康保険に加入していて、亡くなった方の健康保険の扶養に入っていた方がいるため" in why
    easy = _why(rulebook, _SHAHO_DEATH, "kokuho_kanyu", "easy")
    assert any("はいって いて、" in w for w in easy), easy


def test_the_event_is_said_only_when_it_is_the_only_reason(rulebook):
    death = _why(rulebook, _SHAHO_DEATH, "nenkin_shubetsu_henko")
    assert "家族が亡くなったため" not in death and death
    assert _why(rulebook, _SHAHO_DEATH, "shibo_todoke") == ["家族が亡くなったため"]
    assert _why(rulebook, _SHAHO_DEATH, "shibo_todoke", "en") == ["Because a family member died"]


def test_a_quiet_guard_is_not_said(rulebook):
    """「亡くなった方が65歳未満だったため」 on 種別変更, 「15歳以上で…」 on 印鑑登録の廃止: guards that only
    exclude impossible cases decide, but are not reasons."""
    for loc, guard in (("ja", "65歳"), ("en", "under 65"), ("easy", "65さい")):
        why = _why(rulebook, _SHAHO_DEATH, "nenkin_shubetsu_henko", loc)
        assert why and not any(guard in w for w in why), why
    divorce = {"event": "divorce", "facts": {"move": "out_of_city"},
               "members": [{"relation": "self", "age": 40, "seal_registered": True}]}
    why = _why(rulebook, divorce, "inkan_haishi")
    assert why and not any("15歳" in w for w in why), why
    # a failing guard still explains why a procedure is not listed
    old = {**_SHAHO_DEATH, "deceased": {**_SHAHO_DEATH["deceased"], "age": 70}, "explain": True}
    assert any("65歳" in w for w in _why(rulebook, old, "nenkin_izoku_kosei"))


def test_no_rule_says_its_quiet_conditions(rulebook):
    """Every rule with ``quiet``: where it holds, none of its quiet conditions is in the words."""
    checked = 0
    for event, rules in rulebook.events.items():
        for rule in rules.rules:
            if not rule.quiet or rule.place != "city":
                continue
            household = solve(rule.household) or {}
            members = [solve(rule.member) or {}] * rule.at_least if rule.member is not None else []
            situation = read_request(_request(event, household, members, "ja"), rulebook.vocab, set(rulebook.events))
            status, rs = reasons(rulebook, situation)[rule.procedure]
            assert status == "required", rule.id
            quiet_atoms = [a for a in list(atoms_of(rule.household)) + list(atoms_of(rule.member))
                           if a.fact.path in rule.quiet and not a.implied]
            words = {wording.predicate([a for a in quiet_atoms if a.fact.path == path], "ja").text
                     for path in {a.fact.path for a in quiet_atoms}}
            for w in words:
                core = w.removeprefix("亡くなった方が")
                assert not any(core in r.text for r in rs), (rule.id, core, [r.text for r in rs])
            checked += 1
    assert checked >= 5


def test_quiet_names_a_condition_of_the_rule(tmp_path):
    import shutil

    from knowledge.loader import load_pack
    from knowledge.yamlfile import KnowledgeError
    from rules.ruleset import build_rulebook
    pack = tmp_path / "kakogawa"
    shutil.copytree(PACKS_DIR / "kakogawa", pack)
    path = pack / "rules" / "death.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "quiet: [deceased.age]  # a guard (no 第2号", "quiet: [deceased.householder]  # a guard (no 第2号", 1),
        encoding="utf-8")
    with pytest.raises(KnowledgeError, match=r"deceased\.householder' is not a condition of this rule"):
        build_rulebook(load_pack("kakogawa", tmp_path))


def test_a_fact_that_means_something_else_at_an_event_says_so(rulebook):
    """At a 転入, 「国民健康保険」 is the insurance the person will join here: never the circular
    「国民健康保険に加入している方がいるため」 as the reason to join it."""
    body = {"event": "moving_in", "facts": {"from_abroad": False},
            "members": [{"relation": "self", "age": 40, "insurance": "kokuho"}]}
    assert _why(rulebook, body, "kokuho_kanyu") == ["加古川市で国民健康保険に入る方がいるため"]
    assert _why(rulebook, body, "kokuho_kanyu", "en") == [
        "Because someone in your household will join the National Health Insurance in Kakogawa"]
    # elsewhere the same answer is what the person has now
    moving_out = {"event": "moving_out", "members": [{"relation": "self", "age": 40, "insurance": "kokuho"}]}
    assert any("国民健康保険に加入している" in w for w in _why(rulebook, moving_out, "kokuho_soshitsu"))


def test_a_curated_why_says_what_the_conditions_stand_for(rulebook):
    """国民年金の加入 from abroad: the insurance stands for "not in 厚生年金"; the rule's curated
    ``why`` says so (「…国民健康保険に加入している方がいるため」 was no reason to join the pension)."""
    body = {"event": "moving_in", "facts": {"from_abroad": True},
            "members": [{"relation": "self", "age": 28, "insurance": "kokuho", "nationality": "foreign"}]}
    for loc, word in (("ja", "厚生年金"), ("en", "Employees' Pension"), ("easy", "こうせい ねんきん")):
        why = _why(rulebook, body, "nenkin_kanyu", loc)
        assert len(why) == 1 and word in why[0] and "国民健康保険" not in why[0], why
    unknown = {**body, "members": [{"relation": "self", "age": 28}]}
    assert _why(rulebook, unknown, "nenkin_kanyu") == [
        "20歳から59歳で、国外から引っ越してきて、勤務先の年金（厚生年金）に入らない方がいる場合"]


_DIVORCE_TO_HIMEJI = {
    "event": "divorce", "event_date": "2026-11-16",
    "facts": {"move": "out_of_city", "to_hyogo": True, "divorce_type": "agreement", "single_parent": True,
              "insurance_after": "kokuho", "insured_through_ex_spouse": True},
    "members": [{"relation": "self", "age": 34, "insurance": "shaho", "pension": "third", "mynumber_card": True},
                {"relation": "child", "age": 6, "insurance": "shaho"}],
}


def test_the_new_municipality_gets_at_most_two_short_reasons(rulebook):
    for loc in LOCALES:
        situation = read_request({**_DIVORCE_TO_HIMEJI, "locale": loc}, rulebook.vocab, set(rulebook.events))
        entries = evaluate(rulebook, situation)["at_new_city"]
        assert entries
        for e in entries:
            assert len(e["why"]) == 1, e  # one sentence: a list would be run together on the page
            assert [w for w in e["why"] if broken(w, loc)] == [], e
            joined = " ".join(e["why"])
            assert "離婚" not in joined and "りこん" not in joined and "divorce" not in joined, e
    ja = {e["id"]: e["why"] for e in evaluate(rulebook, read_request(
        {**_DIVORCE_TO_HIMEJI, "locale": "ja"}, rulebook.vocab, set(rulebook.events)))["at_new_city"]}
    assert ja["jido_fuyo_teate"] == ["ひとり親の家庭になって、18歳未満の方がいるため"]
    assert ja["tennyu_todoke"] == ["加古川市から引っ越すため"]  # nothing else: the move itself
    en = {e["id"]: e["why"] for e in evaluate(rulebook, read_request(
        {**_DIVORCE_TO_HIMEJI, "locale": "en"}, rulebook.vocab, set(rulebook.events)))["at_new_city"]}
    assert en["jido_fuyo_teate"] == [
        "Because your household becomes a single-parent household and someone in your household is under 18"]
    # open: 「…場合、または…場合」, never the same condition twice
    open_ = {**_DIVORCE_TO_HIMEJI, "facts": {"move": "out_of_city"}, "locale": "ja",
             "members": [{"relation": "self", "age": 34}, {"relation": "child", "age": 6}]}
    entries = {e["id"]: e for e in evaluate(rulebook, read_request(open_, rulebook.vocab, set(rulebook.events)))["at_new_city"]}
    assert entries["kokuho_kanyu"]["status"] == "conditional"
    assert entries["kokuho_kanyu"]["why"] == ["手続きの後は国民健康保険に入る場合"]
    assert wording.either([wording.Reason("犬を飼っている場合"), wording.Reason("原付を持っている場合")], "ja") == \
        "犬を飼っている場合、または原付を持っている場合"
    assert wording.either([wording.Reason("If you keep a dog"), wording.Reason("If you own a moped")], "en") == \
        "If you keep a dog, or if you own a moped"


def test_the_words_of_a_rule_are_part_of_the_ruleset_version(tmp_path, rulebook):
    """A curated why or a quiet guard changes the result: cached results must not outlive it."""
    import shutil

    from knowledge.loader import load_pack
    from rules.ruleset import build_rulebook
    pack = tmp_path / "kakogawa"
    shutil.copytree(PACKS_DIR / "kakogawa", pack)
    path = pack / "rules" / "birth.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "まだ児童手当を受けていない\n", "まだだれも児童手当を受けていない\n", 1), encoding="utf-8")
    assert build_rulebook(load_pack("kakogawa", tmp_path)).version != rulebook.version
