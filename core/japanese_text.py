"""Normalising what residents and staff type in Japanese: カタカナ readings, phone numbers and
postcodes, digits. Plain Python (rules may import it); every service normalises here."""
from __future__ import annotations

import re
import unicodedata

_HYPHENS = "-‐‑‒–—―−ー－ｰ"
_DROP_IN_NUMBERS = re.compile(f"[\\s{re.escape(_HYPHENS)}()（）〒]")


def normalize_kana(raw: str) -> str:
    """ひらがな and ﾊﾝｶｸ → full-width カタカナ; spaces collapsed to one."""
    text = unicodedata.normalize("NFKC", raw)
    text = "".join(chr(ord(c) + 0x60) if "ぁ" <= c <= "ゖ" or c in "ゝゞ" else c for c in text)
    return " ".join(text.split())


def normalize_digits(raw: str) -> str:
    """Phone numbers and postcodes: full-width digits, spaces, brackets, 〒 and every hyphen-like
    mark (ー U+30FC, ‐ U+2010, ― U+2015 … which NFKC leaves alone) are dropped: digits stay."""
    return _DROP_IN_NUMBERS.sub("", unicodedata.normalize("NFKC", raw))


def nfkc_text(raw: str | None) -> str:
    """Full-width digits and letters as ASCII, trimmed (NFKC is safe for numbers typed in boxes)."""
    return unicodedata.normalize("NFKC", raw or "").strip()


# --- search: what residents type, folded so that spellings of one word meet ------------------

_KATA_TO_HIRA = {c: c - 0x60 for c in range(ord("ァ"), ord("ヶ") + 1)}
_KATA_TO_HIRA.update({ord("ヽ"): "ゝ", ord("ヾ"): "ゞ"})
# a mark that only lengthens or separates (長音, ・, brackets, punctuation): a space in search keys
_SEPARATORS = re.compile(r"[\s・･、。，,．.!！?？\"'“”‘’「」『』（）()［］\[\]【】〈〉《》<>:：;；/／\\＼~〜～=＝+＋*＊#＃&＆|｜_＿→←↑↓…‥]+")
_VOWEL_OF: dict[str, str] = {}
for _row, _vowel in (("あかさたなはまやらわがざだばぱぁゃゎ", "あ"), ("いきしちにひみりぎじぢびぴぃ", "い"),
                     ("うくすつぬふむゆるぐずづぶぷぅゅゔ", "う"), ("えけせてねへめれげぜでべぺぇ", "え"),
                     ("おこそとのほもよろをごぞどぼぽぉょ", "お")):
    for _kana in _row:
        _VOWEL_OF[_kana] = _vowel
# a vowel that only lengthens the kana before it, as people write it in several ways
# (じゅうみんひょう, じゅーみんひょー, juminhyo): ou, uu, ei, ii, aa, ee, oo
_LENGTHENERS = {("お", "う"), ("う", "う"), ("え", "い"), ("い", "い"), ("あ", "あ"), ("え", "え"), ("お", "お")}
_SAME_SOUND = str.maketrans({"ぢ": "じ", "づ": "ず", "を": "お", "ゐ": "い", "ゑ": "え", "ゔ": "ぶ"})


def katakana_to_hiragana(raw: str) -> str:
    """カタカナ (after NFKC, so ﾊﾝｶｸ too) → ひらがな; ー and everything else unchanged."""
    return unicodedata.normalize("NFKC", raw).translate(_KATA_TO_HIRA)


def _strip_latin_marks(text: str) -> str:
    """Accents of Latin letters dropped (tiếng việt → tieng viet, ō → o, đ → d); kana untouched
    (NFD would split が into か and a mark)."""
    out = []
    for c in text:
        if c in "đĐ":
            out.append("d")
        elif ord(c) < 0x250 or 0x1E00 <= ord(c) <= 0x1EFF:  # Latin letters with their marks
            out.append("".join(x for x in unicodedata.normalize("NFD", c) if not unicodedata.combining(x)))
        else:
            out.append(c)
    return "".join(out)


def fold_text(raw: str) -> str:
    """What a person typed, for comparing: NFKC (full-width letters, ﾊﾝｶｸ), lower case, Latin
    accents dropped, カタカナ as ひらがな, punctuation and brackets as one space, trimmed."""
    text = _strip_latin_marks(unicodedata.normalize("NFKC", raw).casefold())
    text = text.translate(_KATA_TO_HIRA)
    return " ".join(_SEPARATORS.sub(" ", text).split())


def loose_kana(folded: str) -> str:
    """A folded text without spaces and with long vowels however written made one (ー, おう, うう,
    えい …) and kana that sound alike made one (ぢ/じ, づ/ず, を/お): じゅうみんひょう, じゅーみんひょー
    and じゅみんひょ (romaji without macrons) meet."""
    out: list[str] = []
    for c in folded.replace(" ", "").translate(_SAME_SOUND):
        if c == "ー":
            continue
        if out and (_VOWEL_OF.get(out[-1]), c) in _LENGTHENERS:
            continue
        out.append(c)
    return "".join(out)


# Hepburn, 訓令式 and ワープロ romaji → ひらがな (longest spelling first)
_ROMAJI: dict[str, str] = {}
for _line in """
a あ i い u う e え o お
ka か ki き ku く ke け ko こ kya きゃ kyu きゅ kyo きょ
ga が gi ぎ gu ぐ ge げ go ご gya ぎゃ gyu ぎゅ gyo ぎょ
sa さ si し shi し su す se せ so そ sha しゃ shu しゅ sho しょ sya しゃ syu しゅ syo しょ she しぇ
za ざ zi じ ji じ zu ず ze ぜ zo ぞ ja じゃ ju じゅ jo じょ zya じゃ zyu じゅ zyo じょ jya じゃ jyu じゅ jyo じょ je じぇ
ta た ti ち chi ち tu つ tsu つ te て to と cha ちゃ chu ちゅ cho ちょ tya ちゃ tyu ちゅ tyo ちょ che ちぇ
da だ di ぢ du づ de で do ど dya ぢゃ dyu ぢゅ dyo ぢょ
na な ni に nu ぬ ne ね no の nya にゃ nyu にゅ nyo にょ
ha は hi ひ hu ふ fu ふ he へ ho ほ hya ひゃ hyu ひゅ hyo ひょ fa ふぁ fi ふぃ fe ふぇ fo ふぉ
ba ば bi び bu ぶ be べ bo ぼ bya びゃ byu びゅ byo びょ
pa ぱ pi ぴ pu ぷ pe ぺ po ぽ pya ぴゃ pyu ぴゅ pyo ぴょ
ma ま mi み mu む me め mo も mya みゃ myu みゅ myo みょ
ya や yu ゆ yo よ
ra ら ri り ru る re れ ro ろ rya りゃ ryu りゅ ryo りょ la ら li り lu る le れ lo ろ
wa わ wo を we うぇ wi うぃ va ゔぁ vi ゔぃ vu ゔ ve ゔぇ vo ゔぉ
n' ん nn ん - ー
""".split("\n"):
    _parts = _line.split()
    _ROMAJI.update(zip(_parts[::2], _parts[1::2], strict=True))
_ROMAJI_LONGEST = max(len(k) for k in _ROMAJI)


def romaji_to_hiragana(raw: str) -> str | None:
    """Romaji (Hepburn, 訓令式 or as typed on a keyboard: jūminhyō, juuminhyou, zyuminhyo) as
    ひらがな, spaces kept; None when it is not all romaji (English words, digits, kana)."""
    text = _strip_latin_marks(unicodedata.normalize("NFKC", raw).casefold())
    words = []
    for word in text.split():
        out, i = [], 0
        while i < len(word):
            c = word[i]
            nxt = word[i + 1] if i + 1 < len(word) else ""
            if c == nxt and c not in "aiueon'-" and c.isalpha():  # kk, tt, ss, pp → っ
                out.append("っ")
                i += 1
                continue
            if c == "t" and word[i:i + 3] == "tch":  # matcha
                out.append("っ")
                i += 1
                continue
            if c == "m" and nxt in ("b", "p", "m"):  # shimbun (Hepburn's m before b, p, m)
                out.append("ん")
                i += 1
                continue
            for size in range(min(_ROMAJI_LONGEST, len(word) - i), 0, -1):
                kana = _ROMAJI.get(word[i:i + size])
                if kana is not None:
                    break
            else:
                kana, size = None, 1
            if kana is None:
                if c == "n" and (not nxt or nxt not in "aiueoy"):  # n before a consonant or at the end
                    out.append("ん")
                    i += 1
                    continue
                return None
            out.append(kana)
            i += size
        words.append("".join(out))
    return " ".join(words) if words else None
