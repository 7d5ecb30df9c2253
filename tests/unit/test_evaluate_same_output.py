"""The memos around evaluation change no answer: every scenario of the pack, in ja, en and easy,
with and without ``explain``, evaluated on a fresh rulebook (cold memos) and again (warm memos)
gives the same JSON, byte for byte; and the same as another rulebook built from the same pack.

With ``SAME_OUTPUT_GOLDEN=/path.json`` the answers are also compared with that file (written
when it does not exist): generate it on the commit before a speed-up, then run the test after it.
"""
from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest
import yaml

from knowledge.loader import load_pack
from rules import memo
from rules.evaluate import evaluate
from rules.request import LOCALES, read_request
from rules.ruleset import build_rulebook

TODAY = dt.date(2026, 12, 2)  # the scenarios without as_of are read as on this day


def _bodies(book) -> list[tuple[str, dict]]:
    out = []
    for path in sorted((book.kb.directory / "scenarios").glob("*.yaml")):
        for sc in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            request = json.loads(json.dumps(sc["request"], default=str))
            for loc in LOCALES:
                for explain in (False, True):
                    out.append((f"{path.stem}/{sc['name']}/{loc}/{explain}",
                                {**request, "locale": loc, "explain": explain}))
    return out


def _answers(book) -> dict[str, str]:
    out = {}
    for name, body in _bodies(book):
        situation = read_request(body, book.vocab, set(book.events), today=TODAY)
        out[name] = json.dumps(evaluate(book, situation), ensure_ascii=False, sort_keys=False)
    return out


@pytest.fixture(scope="module")
def fresh_book():
    return build_rulebook(load_pack("kakogawa"))


def test_cold_and_warm_memos_give_the_same_answers(fresh_book):
    cold = _answers(fresh_book)
    assert len(cold) > 500
    warm = _answers(fresh_book)
    assert [k for k in cold if cold[k] != warm[k]] == []
    again = _answers(fresh_book)  # a third pass: memos filled by both earlier passes
    assert [k for k in cold if cold[k] != again[k]] == []


def test_memos_off_give_the_same_answers(fresh_book):
    """Every memo off: each function reads what it reads, afresh. A memo whose key leaves out
    something its function has come to read gives another answer for some scenario here."""
    warm = _answers(fresh_book)
    with memo.off():
        reference = _answers(fresh_book)
    assert [k for k in warm if warm[k] != reference[k]] == []


def test_another_rulebook_gives_the_same_answers(fresh_book, rulebook):
    mine, other = _answers(fresh_book), _answers(rulebook)
    assert [k for k in mine if mine[k] != other[k]] == []


def test_answers_match_the_golden_file_when_given(fresh_book):
    golden = os.environ.get("SAME_OUTPUT_GOLDEN")
    if not golden:
        pytest.skip("SAME_OUTPUT_GOLDEN not set")
    got = _answers(fresh_book)
    path = Path(golden)
    if not path.exists():
        path.write_text(json.dumps(got, ensure_ascii=False, indent=0), encoding="utf-8")
        pytest.skip(f"golden file written to {path}")
    want = json.loads(path.read_text(encoding="utf-8"))
    assert sorted(want) == sorted(got)
    assert [k for k in want if want[k] != got[k]] == []
