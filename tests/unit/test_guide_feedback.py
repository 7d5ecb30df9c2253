"""Feedback on result pages (guide/feedback.py): what a resident's words may be, and the yes/no
buttons. Words that may reach a person are refused (not cut and kept); the rest is kept tidy."""
import pytest

from guide.feedback import MAX_NOTE, OTHER, FeedbackInvalid, Missing, clean_note, ranked, read_helpful, read_missing
from guide.search_misses import may_reach_a_person

CHOICES = ["inu_henko", "nenkin_izoku"]


def test_yes_and_no_only():
    assert (read_helpful("yes"), read_helpful("no")) == (True, False)
    for other in (None, "", "YES", "はい", "1", "yes "):
        assert read_helpful(other) is None


def test_a_procedure_of_the_choices_or_words():
    assert read_missing({"missing": "inu_henko"}, CHOICES) == Missing(procedure="inu_henko")
    # a chosen procedure keeps no words, even if some were typed
    assert read_missing({"missing": "inu_henko", "missing-note": "ごみ"}, CHOICES) == Missing(procedure="inu_henko")
    assert read_missing({"missing": OTHER, "missing-note": " ｺﾞﾐの\t出し方\n "}, CHOICES) == Missing(note="ゴミの 出し方")


@pytest.mark.parametrize("form, field, msgid", [
    ({}, "missing", "足りなかった手続きを選んでください。"),
    ({"missing": "kokuho_kanyu"}, "missing", "一覧にある手続きから選んでください。"),
    ({"missing": OTHER}, "missing-note", "足りなかった手続きの名前を書いてください。"),
    ({"missing": OTHER, "missing-note": "\u200b\x07 "}, "missing-note", "足りなかった手続きの名前を書いてください。"),
    ({"missing": OTHER, "missing-note": "あ" * (MAX_NOTE + 1)}, "missing-note", "%(n)s文字以内で書いてください。"),
    ({"missing": OTHER, "missing-note": "犬\ufffd"}, "missing-note", "使えない文字が含まれています。書き直してください。"),
    ({"missing": OTHER, "missing-note": "電話 06-1234-5678 まで"}, "missing-note",
     "電話番号、メールアドレス、4桁以上の数字は書かないでください。手続きの名前だけを書いてください。"),
])
def test_what_cannot_be_kept_says_what_to_do(form, field, msgid):
    with pytest.raises(FeedbackInvalid) as caught:
        read_missing(form, CHOICES)
    assert list(caught.value.messages) == [field]
    assert caught.value.messages[field].msgid == msgid


def test_exactly_the_longest_note_is_kept():
    assert read_missing({"missing": OTHER, "missing-note": "あ" * MAX_NOTE}, CHOICES).note == "あ" * MAX_NOTE


@pytest.mark.parametrize("words, personal", [
    ("090-1234-5678", True), ("０９０ー１２３４ー５６７８", True), ("(079)421-2000", True), ("〒675-8501", True),
    ("6758501", True), ("taro@example.jp", True), ("ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ", True), ("www.example.jp", True),
    ("https://x", True), ("〇九〇一二三四五六七八", True), ("1234 5678 9012", True),
    ("犬の登録", False), ("75歳以上の医療", False), ("第3子の手当", False), ("四十九日", False), ("", False),
])
def test_words_that_may_reach_a_person(words, personal):
    assert may_reach_a_person(words) is personal


def test_clean_note_drops_controls_and_folds_width():
    assert clean_note("\x00a\u202eｂ\u3000c\r\n") == "ab c"


def test_ranked_puts_most_no_first():
    assert ranked({"a": [5, 1], "b": [0, 3], "c": [1, 1], "d": [9, 3]}) == [
        ("d", 9, 3), ("b", 0, 3), ("a", 5, 1), ("c", 1, 1)]
