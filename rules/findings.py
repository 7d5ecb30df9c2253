"""What the rule checks (rules/check.py) and the scenario runs (rules/scenarios.py) find, as data:
a code, its variables and where (file, line, field), so each reader words it in their language.

``str()`` of a finding is the English line ``flask rules check`` / ``flask rules test`` print
(guide/cli.py); the curators' console words it from ``KINDS[code].words``, a Japanese msgid marked
with ``N_`` and translated for the reader's locale when the page is drawn
(staff/content_problems.py). Nothing here translates: rules/ imports no Flask."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.words import N_, Message


@dataclass(frozen=True)
class Kind:
    english: str  # str.format with the variables: the CLI's words
    words: str  # a Japanese msgid with %(name)s variables: the console's words


KINDS: dict[str, Kind] = {
    # rules/check.py: errors
    "never_fires": Kind("rule {rule}: can never fire (its conditions contradict each other)",
                        N_("ルール「%(rule)s」は条件どうしが矛盾していて、どの回答でも当てはまりません。")),
    "deadline_start_not_date": Kind("deadline start '{start}' is not a date fact",
                                    N_("期限の起算日「%(start)s」が日付の事実（type: date）ではありません。")),
    "ask_if_keys": Kind("question '{question}': ask_if of a household question takes only 'when' and 'member'",
                        N_("質問「%(question)s」：世帯の質問の ask_if に書けるのは when と member だけです。")),
    "ask_if_condition": Kind("question '{question}': ask_if: {problem}",
                             N_("質問「%(question)s」の ask_if の条件が正しくありません：%(problem)s")),
    "ask_if_never": Kind("question '{question}': ask_if can never hold: the question is unreachable",
                         N_("質問「%(question)s」の ask_if はどの回答でも当てはまらないため、この質問は聞かれません。")),
    # rules/check.py: warnings
    "unread_question": Kind("{event}: question '{question}' ({fact}) is read by no rule",
                            N_("ライフイベント「%(event)s」の質問「%(question)s」（%(fact)s）の答えを使うルールがありません。")),
    "no_rule_file": Kind("life event '{event}' has no rule file",
                         N_("ライフイベント「%(event)s」のルールのファイル（rules/）がありません。")),
    "unreached_procedure": Kind("no rule reaches this procedure",
                                N_("手続き「%(procedure)s」を案内するルールがありません。")),
    "unasked_question": Kind("question '{question}' is asked in no life event",
                             N_("質問「%(question)s」はどのライフイベントでも聞かれません。")),
    # rules/scenarios.py: a scenario file, a scenario's request
    "scenarios_not_a_list": Kind("a list of scenarios, each with a name and a request, is expected",
                                 N_("シナリオの一覧（それぞれに name と request）を書いてください。")),
    "invalid_request": Kind("invalid request: {field}: {problem}",
                            N_("request が正しくありません（%(field)s）：%(problem)s")),
    # rules/scenarios.py: what a result gets wrong against the scenario's expect
    "missing": Kind("missing {procedure}", N_("「%(procedure)s」が結果にありません。")),
    "not_required": Kind("{procedure} is {status}, not required",
                         N_("「%(procedure)s」が必要（required）ではなく %(status)s です。")),
    "missing_conditional": Kind("missing conditional {procedure}",
                                N_("条件つき（conditional）のはずの「%(procedure)s」が結果にありません。")),
    "not_conditional": Kind("{procedure} is {status}, not conditional",
                            N_("「%(procedure)s」が条件つき（conditional）ではなく %(status)s です。")),
    "wrongly_listed": Kind("wrongly lists {procedure}", N_("結果に出ないはずの「%(procedure)s」が出ています。")),
    "missing_at_new_city": Kind("missing at_new_city {procedure}",
                                N_("「%(procedure)s」が新しい住所地での手続き（at_new_city）にありません。")),
    "bring_missing": Kind("{procedure} does not ask for {item}",
                          N_("「%(procedure)s」の持ち物に「%(item)s」がありません。")),
    "bring_count": Kind("{procedure} asks for {item} x{got}, expected x{want}",
                        N_("「%(procedure)s」の持ち物「%(item)s」の数が %(got)s です（期待は %(want)s）。")),
    "offered_online": Kind("{procedure} is offered online",
                           N_("「%(procedure)s」がオンラインで申請できることになっています（期待はオンラインなし）。")),
    "due": Kind("{procedure} due {got}, expected {want}",
                N_("「%(procedure)s」の期限が %(got)s です（期待は %(want)s）。")),
    "closed_days_on_open_days": Kind("closed-day counters offered on open days: {got}",
                                     N_("開庁日なのに、閉庁日の窓口が案内されています：%(got)s")),
    "closed_day_offered": Kind("closed day: {counter} offered",
                               N_("閉庁日の窓口「%(counter)s」が案内されています（期待は案内なし）。")),
    "closed_day_not_offered": Kind("closed day: {counter} not offered",
                                   N_("閉庁日の窓口「%(counter)s」が案内されていません。")),
    "closed_day_takes": Kind("closed day: {counter} takes {got}, expected {want}",
                             N_("閉庁日の窓口「%(counter)s」で受け付ける手続きが %(got)s です（期待は %(want)s）。")),
    "warnings": Kind("warnings {got}, expected {want}", N_("注意（warnings）が %(got)s です（期待は %(want)s）。")),
    "ignored": Kind("ignored_facts {got}, expected {want}",
                    N_("使われなかった答え（ignored_facts）が %(got)s です（期待は %(want)s）。")),
    "not_overdue": Kind("{procedure} is not flagged overdue",
                        N_("「%(procedure)s」に期限切れ（overdue）の印がありません。")),
}


def english(value: Any) -> Any:
    """A variable as the CLI prints it: a Message in English, anything else as it is."""
    return value.text("en") if isinstance(value, Message) else value


class Finding(str):
    """One finding: ``str()`` is ``file:line: subject: English`` (the parts known), and it keeps
    ``code`` (a key of KINDS), ``variables``, ``file`` (in the pack: ``rules/moving_in.yaml``),
    ``line`` (0: not known), ``subject`` (the rule, question or scenario it is about) and ``loc``
    (the field's path inside the file or the scenario, as in YAML: ``("expect", "include", 0)``)."""

    code: str
    variables: dict[str, Any]
    file: str
    line: int
    subject: str
    loc: tuple

    @classmethod
    def of(cls, code: str, *, file: str = "", line: int = 0, subject: str = "", loc: tuple = (),
           **variables: Any) -> Finding:
        message = KINDS[code].english.format(**{k: english(v) for k, v in variables.items()})
        where = f"{file}:{line}" if file and line else file
        out = cls(": ".join(part for part in (where, subject, message) if part))
        out.code, out.variables, out.file, out.line = code, dict(variables), file, line
        out.subject, out.loc = subject, tuple(loc)
        return out

    def at(self, *, file: str, line: int = 0, subject: str = "", loc: tuple = ()) -> Finding:
        """The same finding, placed: a scenario's expectation in its file."""
        return Finding.of(self.code, file=file, line=line, subject=subject, loc=loc + self.loc, **self.variables)

    @property
    def words(self) -> str:
        return KINDS[self.code].words


def in_pack(path: Path | str, directory: Path) -> str:
    """``rules/moving_in.yaml`` for a file of the pack; any other file as it was named."""
    path = Path(path)
    return path.relative_to(directory).as_posix() if path.is_relative_to(directory) else str(path)
