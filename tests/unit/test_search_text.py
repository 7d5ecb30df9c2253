"""Folding what residents type (core/japanese_text.py): the spellings of one word meet."""
import pytest

from core.japanese_text import fold_text, katakana_to_hiragana, loose_kana, romaji_to_hiragana


def key(text: str) -> str:
    return loose_kana(fold_text(text))


@pytest.mark.parametrize("spelling", ["じゅうみんひょう", "ジュウミンヒョウ", "ｼﾞｭｳﾐﾝﾋｮｳ", "じゅーみんひょー",
                                      "ジューミンヒョー", "じゅみんひょ", "じゅう みんひょう", "　じゅうみんひょう　"])
def test_every_spelling_of_juminhyo_meets(spelling):
    assert key(spelling) == key("じゅうみんひょう") == "じゅみんひょ"


def test_katakana_and_half_width_become_hiragana():
    assert katakana_to_hiragana("カリナンバー") == "かりなんばー"
    assert katakana_to_hiragana("ｶﾘﾅﾝﾊﾞｰ") == "かりなんばー"
    assert katakana_to_hiragana("ヴ") == "ゔ"
    assert katakana_to_hiragana("住民票") == "住民票"


def test_fold_lowers_drops_accents_and_punctuation():
    assert fold_text("Ｒｅｓｉｄｅｎｃｅ  Certificate") == "residence certificate"
    assert fold_text("Giấy chứng nhận cư trú") == "giay chung nhan cu tru"
    assert fold_text("Đăng ký") == "dang ky"
    assert fold_text("戸籍謄本・抄本（全部）") == "戸籍謄本 抄本 全部"
    assert fold_text("jūminhyō") == "juminhyo"


def test_sounds_written_two_ways_meet():
    assert key("ちぢむ") == key("ちじむ")
    assert key("こうきこうれいしゃ") == key("こーきこーれーしゃ") == key("こきこれしゃ")
    assert key("せいたいぬし") == key("せーたいぬし")


@pytest.mark.parametrize("romaji, kana", [
    ("juminhyo", "じゅみんひょ"), ("juuminhyou", "じゅうみんひょう"), ("zyuuminhyou", "じゅうみんひょう"),
    ("jūminhyō", "じゅみんひょ"), ("kari nanba", "かり なんば"), ("hikkoshi", "ひっこし"),
    ("tenshutsu", "てんしゅつ"), ("tensyutu", "てんしゅつ"), ("shimbun", "しんぶん"), ("kon'in", "こんいん"),
    ("inkan", "いんかん"), ("KOSEKI", "こせき"), ("matcha", "まっちゃ"), ("karinanbaa", "かりなんばあ"),
])
def test_romaji_as_hiragana(romaji, kana):
    assert romaji_to_hiragana(romaji) == kana


@pytest.mark.parametrize("text", ["residence certificate", "cq", "住民票", "x1", "thẻ"])
def test_what_is_not_romaji_is_none(text):
    assert romaji_to_hiragana(text) is None
