"""The reasons (`why`) the guide gives a dozen varied households, in ja, en and やさしい日本語,
written to docs/reasons-sample.md for a human to read (the words are built by rules/wording.py
from the pack's conditions; tests/unit/test_reasons.py checks every rule mechanically). The pack is
MUNICIPALITY's, as for the app.

    .venv/bin/python -m bench.reasons_sample [--write docs/reasons-sample.md]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LOCALES = (("ja", "日本語"), ("en", "English"), ("easy", "やさしい日本語"))

# (title, request): varied on purpose: answered, half answered, nothing answered, explain.
HOUSEHOLDS: list[tuple[str, dict[str, Any]]] = [
    ("転入: 県外から76歳と70歳の夫婦、国保、犬を飼っている", {
        "event": "moving_in", "event_date": "2026-04-01",
        "facts": {"from_abroad": False, "from_hyogo": False, "dog": True, "seal_registration_wanted": True},
        "members": [{"relation": "self", "age": 76, "insurance": "kokuho", "mynumber_card": True},
                    {"relation": "spouse", "age": 70, "insurance": "kokuho", "pension": "none"}]}),
    ("転入: 国外から外国籍の30歳（年金・保険はこれから）", {
        "event": "moving_in", "event_date": "2026-05-09",
        "facts": {"from_abroad": True},
        "members": [{"relation": "self", "age": 30, "nationality": "foreign", "pension": "none"}]}),
    ("転入: 何も答えていない（人数も未回答）", {"event": "moving_in", "event_date": "2026-04-01"}),
    ("転入: 3歳（保育所）と17歳の子の家族、子の答えは途中まで", {
        "event": "moving_in", "event_date": "2026-04-01", "facts": {"from_abroad": False},
        "members": [{"relation": "self", "age": 38, "insurance": "shaho", "pension": "second"},
                    {"relation": "child", "age": 3, "school": "preschool"},
                    {"relation": "child", "age": 17}]}),
    ("転居: 小学生のいる家族、校区が変わる", {
        "event": "moving_within", "event_date": "2026-06-01", "facts": {"school_district_changes": True},
        "members": [{"relation": "self", "age": 41, "mynumber_card": True},
                    {"relation": "child", "age": 9, "school": "elementary", "public_school": True}]}),
    ("転出: 国外へ、マイナンバーカードを持つ日本国籍の夫婦", {
        "event": "moving_out", "event_date": "2026-07-15", "facts": {"to_abroad": True}, "explain": True,
        "members": [{"relation": "self", "age": 45, "nationality": "japanese", "mynumber_card": True},
                    {"relation": "spouse", "age": 44, "nationality": "japanese", "mynumber_card": True}]}),
    ("出生: 結婚していない母、国保、出産費用が一時金より少なかった", {
        "event": "birth", "event_date": "2026-04-04",
        "facts": {"single_parent": True, "mother_insurance": "kokuho", "birth_direct_payment": "partial",
                  "first_child": True, "born_abroad": False},
        "members": [{"relation": "self", "age": 27, "insurance": "kokuho"}, {"relation": "child", "age": 0}]}),
    ("死亡: 会社員の世帯主（48歳）、第3号の配偶者と15歳・10歳の子が残る", {
        "event": "death", "event_date": "2026-09-07",
        "facts": {"dog": False, "child_allowance_recipient_is_deceased": True, "single_parent": True},
        "deceased": {"age": 48, "insurance": "shaho", "householder": True, "pension": "second",
                     "pension_recipient": False, "seal_registered": True},
        "members": [{"relation": "spouse", "age": 45, "insurance": "shaho", "pension": "third"},
                    {"relation": "child", "age": 15}, {"relation": "child", "age": 10}]}),
    ("死亡: 80歳の年金受給者（後期高齢者医療）、ほかは未回答", {
        "event": "death", "event_date": "2026-04-01",
        "deceased": {"age": 80, "insurance": "kouki", "pension_recipient": True}}),
    ("結婚: 名字が変わり、市外から引っ越してきて国保に入る", {
        "event": "marriage", "event_date": "2026-10-10", "explain": True,
        "facts": {"surname_change": True, "insurance_after": "kokuho", "move": "into_city"},
        "members": [{"relation": "self", "age": 29, "insurance": "shaho", "mynumber_card": True, "pension": "second"}]}),
    ("離婚: 結婚中の名字を使い続ける、8歳の子と市内で転居、ひとり親", {
        "event": "divorce", "event_date": "2026-11-20",
        "facts": {"keep_married_surname": True, "single_parent": True, "move": "within", "divorce_type": "agreement",
                  "child_allowance": False},
        "members": [{"relation": "self", "age": 36, "insurance": "kokuho", "pension": "third"},
                    {"relation": "child", "age": 8, "school": "elementary"}]}),
    ("離婚: 6歳の子と姫路へ、配偶者の社保の扶養だった、国保に入る（引越し先の手続き）", {
        "event": "divorce", "event_date": "2026-11-16",
        "facts": {"move": "out_of_city", "moveout_planned_date": "2026-11-28", "to_hyogo": True,
                  "divorce_type": "agreement", "single_parent": True, "insurance_after": "kokuho",
                  "insured_through_ex_spouse": True, "child_allowance_recipient": "other_parent"},
        "members": [{"relation": "self", "age": 34, "insurance": "shaho", "pension": "third", "mynumber_card": True},
                    {"relation": "child", "age": 6, "insurance": "shaho", "medical_aid": True}]}),
    ("離婚: 市外へ引っ越す、保険は分からない", {
        "event": "divorce", "event_date": "2026-12-28",
        "facts": {"move": "out_of_city", "surname_change": True},
        "members": [{"relation": "self", "age": 33}]}),
]


def render(book=None) -> str:
    """The sample, rendered with ``book`` (by default the rulebook of MUNICIPALITY's pack, as the app's)."""
    from knowledge.loader import load_pack
    from rules.evaluate import evaluate
    from rules.request import read_request
    from rules.ruleset import build_rulebook

    book = book or build_rulebook(load_pack())
    out = [
        "# Reasons: a sample to read",
        "",
        "What the guide says about *why* each procedure applies (「なぜ必要か」), for a dozen",
        "households, in 日本語, English and やさしい日本語. Generated by `bench/reasons_sample.py`",
        "from the pack's rules and `knowledge/facts.yaml` (the grammar is `rules/wording.py`); do not",
        "edit by hand. `tests/unit/test_reasons.py` renders every rule in every form and language",
        "and rejects broken sentences; this file is for the ear.",
        "",
        f"Ruleset `{book.version}`.",
        "",
    ]
    for n, (title, request) in enumerate(HOUSEHOLDS, 1):
        out += [f"## {n}. {title}", "", "```json", _compact(request), "```", ""]
        results = {loc: evaluate(book, read_request({**request, "locale": loc}, book.vocab, set(book.events)))
                   for loc, _ in LOCALES}
        ja = results["ja"]
        for i, p in enumerate(ja["procedures"]):
            status = "必要" if p["status"] == "required" else "該当する場合"
            out.append(f"- **{p['name']}** ({status})")
            for loc, label in LOCALES:
                why = results[loc]["procedures"][i]["why"]
                out.append(f"  - {label}: " + " ／ ".join(why))
        for i, p in enumerate(ja.get("at_new_city", [])):
            status = "必要" if p["status"] == "required" else "該当する場合"
            out.append(f"- **{p['name']}** (引越し先で・{status})")
            for loc, label in LOCALES:
                why = results[loc]["at_new_city"][i]["why"]
                out.append(f"  - {label}: " + " ／ ".join(why))
        for i, p in enumerate(ja.get("not_applicable", [])):
            out.append(f"- ~~{p['name']}~~ (対象外)")
            for loc, label in LOCALES:
                why = results[loc]["not_applicable"][i]["why"]
                out.append(f"  - {label}: " + " ／ ".join(why))
        out.append("")
    return "\n".join(out)


def _compact(request: dict[str, Any]) -> str:
    import json
    return json.dumps(request, ensure_ascii=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--write", type=Path, help="write the markdown here (e.g. docs/reasons-sample.md)")
    args = parser.parse_args()
    text = render()
    if args.write:
        args.write.write_text(text + "\n", encoding="utf-8")
        print(f"wrote {args.write}")
    else:
        print(text)


if __name__ == "__main__":
    main()
