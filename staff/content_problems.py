"""A check's problems as curators read them: file, line, the field in plain words (items counted
from 1: 「fees › 1番目 › amount_yen」) and the message in the reader's language.

Plain Python (no Flask): the locale is an argument, the words are Babel msgids (core.words). The
problems come from the loader as ``file:line: field: message`` (knowledge/yamlfile.py); those made
from a pydantic error remember its type and context (``ProblemText``) and are worded from them; the
loader's own messages (unknown ids, duplicates) are recognised by their shape; the rule checks' and
the scenarios' findings (rules/findings.py) carry their code, variables and place and are worded
from their msgid; anything else is shown as it was written.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from core.words import N_, Message, text
from knowledge.schema import ID_PATTERN
from rules.findings import Finding

_PROBLEM = re.compile(r"^(?P<file>[^:\n]+?\.(?:yaml|md)):(?:(?P<line>\d+):)?\s*(?P<rest>.*)$", re.S)
PACK_FOLDER = re.compile(r"[^\s:]*?pack-versions/[^/\s]+/[^/\s]+/")


@dataclass
class Problem:
    file: str
    line: str
    field: str
    message: str


def relative(words: str) -> str:
    """A path in the pack, without the folder a version was written to."""
    return PACK_FOLDER.sub("", words)


# pydantic's error types (https://docs.pydantic.dev/latest/errors/validation_errors/) → the words
BY_KIND: dict[str, str] = {
    "missing": N_("「%(name)s」がありません。書き足してください。"),
    "extra_forbidden": N_("「%(name)s」という項目は使えません。名前の綴りと字下げを確かめてください。"),
    "string_type": N_("文字で書いてください。"),
    "int_type": N_("整数で書いてください。"),
    "int_parsing": N_("整数で書いてください。"),
    "int_from_float": N_("小数ではなく整数で書いてください。"),
    "float_type": N_("数で書いてください。"),
    "float_parsing": N_("数で書いてください。"),
    "bool_type": N_("true か false で書いてください。"),
    "bool_parsing": N_("true か false で書いてください。"),
    "date_type": N_("日付を 2027-04-01 のように書いてください。"),
    "date_parsing": N_("日付を 2027-04-01 のように書いてください。"),
    "date_from_datetime_parsing": N_("日付を 2027-04-01 のように書いてください。"),
    "date_from_datetime_inexact": N_("日付を 2027-04-01 のように書いてください（時刻は書きません）。"),
    "literal_error": N_("次のどれかにしてください：%(expected)s"),
    "enum": N_("次のどれかにしてください：%(expected)s"),
    "string_pattern_mismatch": N_("書き方が決まりに合いません（決まり：%(pattern)s）。"),
    "string_too_short": N_("%(min_length)s文字以上で書いてください。"),
    "string_too_long": N_("%(max_length)s文字までにしてください。"),
    "too_short": N_("%(min_length)s件以上書いてください。"),
    "too_long": N_("%(max_length)s件までにしてください。"),
    "greater_than_equal": N_("%(ge)s 以上にしてください。"),
    "greater_than": N_("%(gt)s より大きくしてください。"),
    "less_than_equal": N_("%(le)s 以下にしてください。"),
    "less_than": N_("%(lt)s より小さくしてください。"),
    "url_parsing": N_("https:// で始まるアドレスを書いてください。"),
    "url_scheme": N_("https:// で始まるアドレスを書いてください。"),
    "url_type": N_("https:// で始まるアドレスを書いてください。"),
    "dict_type": N_("「名前: 値」の組（字下げした対応表）で書いてください。"),
    "model_type": N_("「名前: 値」の組（字下げした対応表）で書いてください。"),
    "model_attributes_type": N_("「名前: 値」の組（字下げした対応表）で書いてください。"),
    "list_type": N_("「- 」で始まる一覧で書いてください。"),
}
EMPTY = N_("空にはできません。書いてください。")
ID_RULE = N_("英小文字・数字・「_」で書き、英小文字で始めてください。例：juminhyo_utsushi")
OTHER = N_("値が正しくありません：%(detail)s")
SYNTAX = N_("YAML の書き方に誤りがあります（字下げ、「:」、引用符を確かめてください）：%(detail)s")
WHOLE_FILE = N_("（ファイル全体）")
SYNTAX_FIELD = N_("（書き方）")
NTH = N_("%(n)s番目")

# the loader's and the rules' own messages (knowledge/loader.py, rules/ruleset.py, knowledge/yamlfile.py)
WHAT = {"department": N_("課"), "counter": N_("窓口"), "thing to bring": N_("持ち物"), "procedure": N_("手続き"),
        "question": N_("質問"), "life event": N_("ライフイベント"), "box": N_("枠"), "table": N_("表")}
BY_SHAPE: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^unknown (?P<what>department|counter|thing to bring|procedure|question|life event) '(?P<id>[^']*)'"),
     N_("「%(id)s」という%(what)sはありません。id を確かめてください（選べる id はフォームの一覧にあります）。")),
    (re.compile(r"^duplicate key$"), N_("同じ名前の項目が2回書かれています。")),
    (re.compile(r"^duplicate (?:procedure |rule |form |box )?id '(?P<id>[^']*)'"), N_("id「%(id)s」がほかと重なっています。")),
    (re.compile(r"^the id must match the file name '(?P<id>[^']*)'"), N_("id はファイル名と同じ「%(id)s」にしてください。")),
    (re.compile(r"^the language must match the file name '(?P<id>[^']*)'"), N_("language はファイル名と同じ「%(id)s」にしてください。")),
    (re.compile(r"^missing$"), N_("このファイルが必要です。")),
    (re.compile(r"^a procedure cannot require itself"), N_("手続きは自分自身を requires に書けません。")),
    (re.compile(r"^deadline kind '(?P<id>[^']*)' needs an amount"), N_("期限の種類「%(id)s」には amount（日数か月数）が必要です。")),
    (re.compile(r"^deadline kind '(?P<id>[^']*)' takes no amount"), N_("期限の種類「%(id)s」には amount を書きません。")),
    (re.compile(r"^valid_to is before valid_from"), N_("終了日（valid_to）が開始日（valid_from）より前です。")),
    (re.compile(r"^'member' conditions need per: member"), N_("member の条件を書くときは per: member にしてください。")),
    (re.compile(r"^members_at_least needs a member condition"), N_("members_at_least を使うときは、member の条件も書いてください。")),
    (re.compile(r"^'(?P<id>[^']*)' is not a condition of this rule"),
     N_("「%(id)s」はこのルールの条件にありません。quiet には、このルールの条件の名前を書いてください。")),
    (re.compile(r"^a curated why needs ja, en and easy"), N_("why を書くときは、ja・en・easy の3つとも書いてください。")),
    # the online forms' checks (intake/forms.py check_form, intake/forms_schema.py DateRule)
    (re.compile(r"^field id '(?P<id>[^']*)' is used twice"), N_("項目の id「%(id)s」が2回使われています。")),
    (re.compile(r"^field id '(?P<id>[^']*)' is reserved"), N_("項目の id「%(id)s」は、どのフォームにもある項目（申請する人など）が使います。ほかの id にしてください。")),
    (re.compile(r"^section id '(?P<id>[^']*)' is used twice or reserved"), N_("区分の id「%(id)s」は、ほかの区分と重なっているか、使えない id です。")),
    (re.compile(r"^'(?P<id>[^']*)' is not a field before this one"), N_("「%(id)s」は、この項目より前にある項目ではありません。条件には、前にある項目を選んでください。")),
    (re.compile(r"^'(?P<value>[^']*)' is not a choice of '(?P<id>[^']*)'"), N_("「%(value)s」は「%(id)s」の選択肢にありません。")),
    (re.compile(r"^'(?P<id>[^']*)' is a \w+ field: conditions need"), N_("「%(id)s」は選択肢の項目ではないため、条件には使えません。")),
    (re.compile(r"^'(?P<id>[^']*)' must be a whole number field with min 0"), N_("「%(id)s」は、いちばん小さい数が0以上の、整数の項目にしてください。")),
    (re.compile(r"^'(?P<id>[^']*)' must be a checkbox field with choices"), N_("「%(id)s」は、選択肢（いくつでも選ぶ）の項目にしてください。")),
    (re.compile(r"^'(?P<id>[^']*)' is not a date field of this form"), N_("「%(id)s」は、このフォームの日付の項目ではありません。")),
    (re.compile(r"^procedure '(?P<id>[^']*)' is not online: true"), N_("手続き「%(id)s」が online: true になっていません。")),
    (re.compile(r"^min is more than max"), N_("いちばん小さい数が、いちばん大きい数より大きくなっています。")),
    (re.compile(r"^min_days is after max_days"), N_("いちばん前の日が、いちばんあとの日よりあとになっています。")),
    (re.compile(r"^the default does not fit"), N_("はじめに入っている値（default）が、この項目に合いません。")),
    (re.compile(r"^a \w+ field needs choices"), N_("この項目には選択肢が必要です。")),
    (re.compile(r"^'(?P<id>[^']*)' is listed twice"), N_("「%(id)s」が2回書かれています。1回にしてください。")),
    (re.compile(r"^'sex' needs applicant\.sex: true"),
     N_("性別（sex）を照らし合わせるには、フォームで性別を尋ねる設定（applicant.sex: true）が必要です。")),
    (re.compile(r"^a role repeats 'self', 'proxy' or another role"),
     N_("代理の種類（proxy.roles）の value が、self・proxy かほかの種類と同じです。ほかの value にしてください。")),
    (re.compile(r"^roles need allowed: true"), N_("代理の種類（roles）を書くときは、allowed: true にしてください。")),
    (re.compile(r"^an option is listed twice"), N_("受け取り方（options）に同じものが2回書かれています。1回にしてください。")),
    (re.compile(r"^pick-up at a counter needs the counters offered"),
     N_("窓口での受け取り（counter）には、受け取れる窓口（counters）を書いてください。")),
    (re.compile(r"^counters are only for the 'counter' option"),
     N_("受け取る窓口（counters）は、受け取り方（options）に counter があるときだけ書きます。")),
    (re.compile(r"^unknown field '(?P<id>[^']*)'"), N_("「%(id)s」という項目はありません。このフォームの項目の id を書いてください。")),
    (re.compile(r"^'(?P<attr>[^']*)' is not for an? (?P<type>\w+) field"),
     N_("「%(attr)s」は、種類（type）が %(type)s の項目には書けません。")),
    (re.compile(r"^give choices or fiscal_years, not both"),
     N_("選択肢は、choices か fiscal_years のどちらか一つで書いてください。")),
    (re.compile(r"^a file field needs 'file' rules"),
     N_("ファイルの項目には、受け付けるファイルの決まり（file：types、max_bytes、max_count）を書いてください。")),
    (re.compile(r"^a repeat field needs 'fields'"), N_("くり返しの項目（repeat）には、中の項目（fields）を書いてください。")),
    (re.compile(r"^an? (?P<type>\w+) field cannot be inside a repeat"),
     N_("種類（type）が %(type)s の項目は、くり返しの項目（repeat）の中に入れられません。")),
    (re.compile(r"^min_items is more than max_items"),
     N_("いちばん少ない件数（min_items）が、いちばん多い件数（max_items）より多くなっています。")),
    (re.compile(r"^not a regular expression: (?P<detail>.*)", re.S),
     N_("正規表現（pattern）の書き方に誤りがあります：%(detail)s")),
    (re.compile(r"^unknown autocomplete token '(?P<id>[^']*)'"),
     N_("autocomplete に「%(id)s」は使えません。決まった値（name、email、off など）を書いてください。")),
    (re.compile(r"^an address takes only 'off'"),
     N_("住所の項目の autocomplete には off だけが書けます（住所の各部分の値は自動で付きます）。")),
    (re.compile(r"^'(?P<id>[^']*)' is a single checkbox: the condition can only be true"),
     N_("「%(id)s」は選択肢のない1つのチェックボックスなので、条件には true だけが書けます。")),
    (re.compile(r"^'(?P<id>[^']*)' has computed choices"),
     N_("「%(id)s」の選択肢は年度から自動で作られる（fiscal_years）ため、条件には使えません。")),
    (re.compile(r"^choice '(?P<value>[^']*)' is used twice or reserved"),
     N_("選択肢の value「%(value)s」が、ほかの選択肢と同じか、使えない値（other など）です。ほかの value にしてください。")),
    (re.compile(r"^a date rule needs max_days or min_gap_days"),
     N_("日付の決まり（date_rules）には、max_days か min_gap_days を書いてください。")),
    # the forms' loader (intake/forms.py load_forms)
    (re.compile(r"^procedure '(?P<id>[^']*)' is online: true but has no form file"),
     N_("手続き「%(id)s」は online: true ですが、フォームのファイル（forms/%(id)s.yaml）がありません。")),
    # the reservations' checks (reservations/loader.py, the validators of reservations/catalog.py)
    (re.compile(r"^unknown site '(?P<id>[^']*)'"),
     N_("「%(id)s」という場所はありません。sites に書いた場所の id を書いてください。")),
    (re.compile(r"^unknown season '(?P<id>[^']*)'"),
     N_("「%(id)s」という時期はありません。seasons に書いた時期の id を書いてください。")),
    (re.compile(r"^a second counter at site '(?P<site>[^']*)' \(already '(?P<id>[^']*)'\)"),
     N_("場所「%(site)s」の窓口が2つ書かれています（もう「%(id)s」があります）。1つの場所に窓口は1つにしてください。")),
    (re.compile(r"^procedure '(?P<id>[^']*)' is not reservable"),
     N_("手続き「%(id)s」は予約できません（手続きのファイルが reservable: false です）。")),
    (re.compile(r"^a procedure is listed twice"), N_("同じ手続きが2回書かれています（procedures）。1回にしてください。")),
    (re.compile(r"^no such day '(?P<day>[^']*)'"),
     N_("「%(day)s」という日はありません。ある日を 03-15 のように「月-日」で書いてください。")),
    (re.compile(r"^at least 1 window"), N_("窓口の数（windows）は1以上にしてください。")),
    (re.compile(r"^a channel quota of '(?P<id>[^']*)' exceeds its (?P<n>\d+) window"),
     N_("窓口「%(id)s」の予約の枠（quotas の web・phone）が、この時期の窓口の数（%(n)s）より多くなっています。")),
    (re.compile(r"^raises by 0 to (?P<n>\d+) levels"), N_("上げる段階の数は、0 から %(n)s までにしてください。")),
    (re.compile(r"^(?P<start1>\d\d:\d\d)–(?P<end1>\d\d:\d\d) and (?P<start2>\d\d:\d\d)–(?P<end2>\d\d:\d\d) overlap"),
     N_("受付時間の %(start1)s〜%(end1)s と %(start2)s〜%(end2)s が重なっています。昼休みは、2つの時間のあいだを空けて書きます。")),
    (re.compile(r"^end must be after start"), N_("終わり（end）は、始まり（start）よりあとの時刻にしてください。")),
    (re.compile(r"^a channel quota cannot exceed the windows"),
     N_("予約の枠（quotas の web・phone）は、窓口の数（windows）以下にしてください。")),
    (re.compile(r"^end must not be before start"), N_("終わりの日（end）が、始まりの日（start）より前になっています。")),
    (re.compile(r"^the first \(quietest\) level has no threshold"),
     N_("いちばん空いている段階（levels の1番目）には、fill_percent と visits_per_window を書きません。")),
    (re.compile(r"^level '(?P<id>[^']*)' must have higher thresholds than '(?P<prev>[^']*)'"),
     N_("段階「%(id)s」の fill_percent と visits_per_window は、どちらも「%(prev)s」より大きくしてください。")),
    # the paper forms' checks (reservations/counter_forms.py)
    (re.compile(r"^unknown member field '(?P<id>[^']*)' \(one of: (?P<known>[^)]*)\)"),
     N_("「%(id)s」という世帯員の項目はありません。次のどれかにしてください：%(known)s")),
    (re.compile(r"^unknown member field '(?P<id>[^']*)'"),
     N_("「%(id)s」という世帯員の項目はありません。where には、世帯員の項目（sex、moving など）を書いてください。")),
    (re.compile(r"^a table's column reads members\[\*\](?:\.<field>)?: '(?P<path>[^']*)'"),
     N_("表の列（columns）の field は、members[*].family_name のように members[*] で始めてください（「%(path)s」は使えません）。")),
    (re.compile(r"^members\[\*\] repeats: .*'(?P<path>[^']*)'$", re.S),
     N_("members[*] は世帯員ごとにくり返すので、枠（boxes）ではなく表の列（tables の columns）に書いてください：「%(path)s」")),
    (re.compile(r"^unknown household path '(?P<path>[^']*)' \(one of: (?P<known>.*)\)$", re.S),
     N_("「%(path)s」という世帯の項目はありません。次のどれかにしてください：%(known)s")),
    (re.compile(r"^give procedure \(ticked when the visit has it\) or equals"),
     N_("選択肢（options）には、procedure（その手続きがあるとき印を付ける）か equals（項目がその値のとき印を付ける）の、どちらか一つを書いてください。")),
    (re.compile(r"^format: checkbox needs options"), N_("format: checkbox には、選択肢（options）を書いてください。")),
    (re.compile(r"^options are for format: checkbox"), N_("選択肢（options）は、format: checkbox のときだけ書きます。")),
    (re.compile(r"^an option with equals needs the box's field"),
     N_("equals のある選択肢を書くときは、その枠の field も書いてください。")),
    (re.compile(r"^the id '(?P<id>[^']*)' differs from the file name '(?P<file>[^']*)'"),
     N_("id「%(id)s」がファイル名「%(file)s」と違います。id はファイル名と同じにしてください。")),
    (re.compile(r"^\((?P<x>[^,]*), (?P<y>[^)]*)\) mm is off the A4 page"),
     N_("位置（%(x)s, %(y)s mm）が A4 の紙の外にあります。")),
    (re.compile(r"^(?P<what>box|table) '(?P<id>[^']*)': width and height must be positive"),
     N_("%(what)s「%(id)s」の幅と高さは、0 より大きくしてください。")),
    (re.compile(r"^(?P<what>box|table) '(?P<id>[^']*)' \((?P<x>[^,]*), (?P<y>[^,]*), (?P<w>\S+) × (?P<h>\S+) mm\) "
                r"is off the A4 page \((?P<page>[^,]*), (?P<margin>\S+) mm margin\)"),
     N_("%(what)s「%(id)s」（位置 %(x)s, %(y)s mm、幅 %(w)s mm、高さ %(h)s mm）が、A4 の紙（%(page)s）の"
        "印刷できる所からはみ出しています。紙の端から %(margin)s mm は印刷できません。")),
    (re.compile(r"^(?P<what>box|table) '(?P<id>[^']*)' overlaps (?P<what_b>box|table) '(?P<id_b>[^']*)'"),
     N_("%(what)s「%(id)s」が、%(what_b)s「%(id_b)s」と重なっています。")),
    (re.compile(r"^'(?P<id>[^']*)' is not one of this form's procedures"),
     N_("「%(id)s」は、この用紙の手続き（procedures）にありません。")),
]


def field_words(locale: str, loc: tuple | list) -> str:
    """("fees", 0, "amount_yen") → 「fees › 1番目 › amount_yen」 (pydantic's own steps left out)."""
    parts = []
    for part in loc:
        if isinstance(part, int) or (isinstance(part, str) and part.isdigit()):
            parts.append(text(locale, NTH, n=int(part) + 1))
        elif isinstance(part, str) and "[" not in part:  # not a pydantic step (function-after[...])
            parts.append(part)
    return " › ".join(parts)


def _field_of(locale: str, field: str) -> str:
    if field in ("(file)", ""):
        return text(locale, WHOLE_FILE) if field else ""
    if field == "(syntax)":
        return text(locale, SYNTAX_FIELD)
    return field_words(locale, field.split("."))


def _variables(locale: str, kind: str, ctx: dict[str, Any], loc: tuple) -> dict[str, Any]:
    out: dict[str, Any] = {k: str(v) for k, v in ctx.items()}
    out.setdefault("name", str(loc[-1]) if loc else "")
    if "expected" in out:
        out["expected"] = out["expected"].replace(" or ", ", ")
    return out


MISSING_LANGUAGES = N_("%(languages)s で書かれていない文が%(count)s件あります（%(fields)s）。公開はできますが、"
                      "その言語の利用者には代わりの言語（英語か日本語）で表示されます。")


def message_words(locale: str, kind: str, ctx: dict[str, Any], loc: tuple, english: str) -> str:
    """The message of a pydantic error of ``kind`` (with its ``ctx``) in ``locale``."""
    if kind == "missing_languages":  # rules/pack_check.py: a warning
        locs = list(ctx.get("locs") or [])
        fields = "、".join(field_words(locale, one) for one in locs[:5]) + ("…" if len(locs) > 5 else "")
        return text(locale, MISSING_LANGUAGES, languages=ctx.get("languages", ""), count=len(locs), fields=fields)
    if kind == "condition" and isinstance(ctx.get("words"), Message):  # rules/conditions.py's ConditionError
        return ctx["words"].text(locale)
    if kind == "string_pattern_mismatch" and ctx.get("pattern") == ID_PATTERN:
        return text(locale, ID_RULE)
    if kind == "string_too_short" and ctx.get("min_length") == 1:
        return text(locale, EMPTY)
    msgid = BY_KIND.get(kind)
    if msgid is not None:
        try:
            return text(locale, msgid, **_variables(locale, kind, ctx, loc))
        except (KeyError, ValueError, TypeError):
            pass  # a context without the words' variable: the shape below, or the English
    detail = str(ctx.get("error", "")) or english
    return shape_words(locale, detail) or text(locale, OTHER, detail=detail)


def shape_words(locale: str, message: str) -> str | None:
    """The loader's own messages, recognised by their shape; None for any other."""
    for pattern, msgid in BY_SHAPE:
        found = pattern.match(message.removeprefix("Value error, "))
        if found:
            words = found.groupdict()
            for key in [key for key in words if key.startswith("what")]:  # what, what_b: a kind of thing
                words[key] = text(locale, WHAT[words[key]])
            return text(locale, msgid, **words)
    return None


NONE = N_("なし")


def _variable(locale: str, value: Any) -> Any:
    """A finding's variable as the words show it: ids one after another, nothing as 「なし」."""
    if value is None:
        return text(locale, NONE)
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(map(str, value)) if value else text(locale, NONE)
    return value if isinstance(value, Message | int) else str(value)


def read_finding(found: Finding, locale: str = "ja") -> Problem:
    """A rule check's or a scenario's finding (rules/findings.py) in ``locale``: its file, line,
    the rule, question or scenario it is about with the field inside it, and its words."""
    field = " › ".join(part for part in (found.subject, field_words(locale, found.loc)) if part)
    words = text(locale, found.words, **{k: _variable(locale, v) for k, v in found.variables.items()})
    return Problem(relative(found.file), str(found.line or ""), field, words)


def read_problem(raw: str, locale: str = "ja") -> Problem:
    """「…/pack-versions/<digest>/<city>/procedures/x.yaml:12: fees.0.amount_yen: …」 → its parts,
    worded for ``locale``; a finding of the rule checks or the scenarios from its code."""
    if isinstance(raw, Finding):
        return read_finding(raw, locale)
    match = _PROBLEM.match(raw.strip())
    if not match:  # a service's own check without a place
        return Problem("", "", "", relative(raw))
    field, sep, message = match["rest"].partition(": ")
    if not sep:
        field, message = "", match["rest"]
    message = relative(message)
    kind = getattr(raw, "kind", "")
    if kind:
        loc = tuple(getattr(raw, "loc", ()))
        words = message_words(locale, kind, getattr(raw, "ctx", {}), loc, message)
        return Problem(relative(match["file"]), match["line"] or "", field_words(locale, loc), words)
    if field == "(syntax)":
        words = text(locale, SYNTAX, detail=message.splitlines()[0] if message else "")
    else:
        words = shape_words(locale, message) or message
    return Problem(relative(match["file"]), match["line"] or "", _field_of(locale, field), words)
