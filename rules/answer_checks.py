"""The guidance contract's safety net: answers that contradict each other or are implausible,
due dates already past, and facts that do not belong to the life event.

Plain Python, no Flask. Everything is computed from the request alone (``Situation.today``
stands for "today"), so the response stays a pure function of the request. The sentences are
product wording, not city content (no office, fee or procedure is named), so they live here in
ja / en / やさしい日本語; what a person's age makes impossible is data (``constraints`` in
knowledge/facts.yaml) and each constraint's ``code`` has its sentence below.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from core.languages import pick
from rules.conditions import Constraint, atoms_of, constraints, violations
from rules.request import Situation

# A date further back than this is taken for a typing error: the longest time limit a result
# can name is 5 years (未支給年金・年金の時効, 国民年金法102条; 葬祭費 and 死亡一時金 are 2 years).
PAST_LIMIT_YEARS = 5
# A date further ahead than this is taken for a typing error: notifications are given days or
# weeks around the event (転出届 about 14 days before, 婚姻届 on the chosen day); a year leaves
# room for planning a wedding or a move, 2150 does not.
FUTURE_LIMIT_YEARS = 1
MARRIAGE_MIN_AGE = 18  # 民法731条 (from 2022-04-01, for both)

# code -> its words per language (the site's languages, core.languages); {…} slots are filled per
# warning
MESSAGES: dict[str, dict[str, str]] = {
    "due_date_past": {
        "ja": "期限を過ぎている手続きがあります。早めに手続きしてください。",
        "en": "Some deadlines have already passed. Please do those procedures soon.",
        "easy": "きげんが すぎた てつづきが あります。はやく てつづきを して ください。",
        "zh": "有手续已超过期限。请尽早办理。",
        "ko": "기한이 지난 절차가 있습니다. 빨리 절차를 밟으십시오.",
        "vi": "Có thủ tục đã quá thời hạn. Vui lòng làm thủ tục sớm.",
        "pt": "Há procedimentos com o prazo vencido. Faça-os o quanto antes.",
    },
    "date_far_past": {
        "ja": "日付が{years}年以上前です。入力した日付を確かめてください。",
        "en": "The date is more than {years} years ago. Please check the date you entered.",
        "easy": "ひづけが {years}ねんいじょう まえです。ひづけを たしかめて ください。",
        "zh": "该日期在{years}年以前。请确认您输入的日期。",
        "ko": "날짜가 {years}년 이상 전입니다. 입력한 날짜를 확인하십시오.",
        "vi": "Ngày này cách đây hơn {years} năm. Vui lòng kiểm tra lại ngày bạn đã nhập.",
        "pt": "A data é de mais de {years} anos atrás. Verifique a data que você digitou.",
    },
    "date_far_future": {
        "ja": "日付が{years}年以上先です。入力した日付を確かめてください。",
        "en": "The date is more than {years} year ahead. Please check the date you entered.",
        "easy": "ひづけが {years}ねんいじょう さきです。ひづけを たしかめて ください。",
        "zh": "该日期在{years}年以后。请确认您输入的日期。",
        "ko": "날짜가 {years}년 이상 후입니다. 입력한 날짜를 확인하십시오.",
        "vi": "Ngày này còn hơn {years} năm nữa mới đến. Vui lòng kiểm tra lại ngày bạn đã nhập.",
        "pt": "A data está mais de {years} anos à frente. Verifique a data que você digitou.",
    },
    "event_date_in_future": {
        "ja": "まだ来ていない日付です。生まれた日・亡くなった日は、その日の後に届け出ます。日付を確かめてください。",
        "en": "This date has not come yet. A birth or death is registered after it happens. Please check the date.",
        "easy": "まだ きていない ひづけです。ひづけを たしかめて ください。",
        "zh": "该日期尚未到来。出生、死亡须在发生之后申报。请确认日期。",
        "ko": "아직 오지 않은 날짜입니다. 출생일·사망일은 그날 이후에 신고합니다. 날짜를 확인하십시오.",
        "vi": "Ngày này vẫn chưa đến. Việc sinh hoặc qua đời được khai báo sau khi sự việc xảy ra. Vui lòng kiểm tra lại ngày.",
        "pt": "Esta data ainda não chegou. O nascimento ou o falecimento é notificado depois que acontece. Verifique a data.",
    },
    "under_marriage_age": {
        "ja": "結婚できるのは{age}歳からです（民法731条）。年齢を確かめてください。",
        "en": "Marriage is possible from the age of {age} (Civil Code, Article 731). Please check the age.",
        "easy": "けっこん できるのは {age}さい からです。ねんれいを たしかめて ください。",
        "zh": "年满{age}岁才可结婚（民法第731条）。请确认年龄。",
        "ko": "결혼은 {age}세부터 할 수 있습니다(민법 제731조). 나이를 확인하십시오.",
        "vi": "Có thể kết hôn từ {age} tuổi (Điều 731 Bộ luật Dân sự). Vui lòng kiểm tra lại tuổi.",
        "pt": "É possível casar a partir dos {age} anos (Código Civil, artigo 731). Verifique a idade.",
    },
    "kouki_under_65": {
        "ja": "後期高齢者医療に入るのは75歳から（障害の認定を受けた方は65歳から）です。健康保険か年齢の答えを確かめてください。",
        "en": "The Late-Stage Elderly Medical Care system starts at 75 (at 65 with a disability certification). Please check the health insurance or the age.",
        "easy": "こうき こうれいしゃ いりょうは 75さい（しょうがいの にんていが ある ひとは 65さい）からです。けんこう ほけんか ねんれいを たしかめて ください。",
        "zh": "加入后期高龄者医疗须年满75岁（获得残障认定者为65岁）。请确认健康保险或年龄的回答。",
        "ko": "후기고령자의료에 가입하는 것은 75세부터(장애 인정을 받은 분은 65세부터)입니다. 건강보험 또는 나이에 대한 답변을 확인하십시오.",
        "vi": "Tham gia y tế cho người cao tuổi giai đoạn sau từ 75 tuổi (người được công nhận khuyết tật thì từ 65 tuổi). Vui lòng kiểm tra lại câu trả lời về bảo hiểm y tế hoặc tuổi.",
        "pt": "A inscrição no seguro médico para idosos (kōki kōreisha iryō) começa aos 75 anos (aos 65 para quem tem certificação de deficiência). Verifique a resposta sobre o seguro de saúde ou a idade.",
    },
    "care_under_40": {
        "ja": "要介護・要支援の認定を受けられるのは40歳からです（介護保険）。認定か年齢の答えを確かめてください。",
        "en": "Long-term care certification starts at 40 (long-term care insurance). Please check the certification or the age.",
        "easy": "かいごの にんていは 40さい からです。にんていか ねんれいを たしかめて ください。",
        "zh": "年满40岁才可获得需要护理・需要支援的认定（护理保险）。请确认认定或年龄的回答。",
        "ko": "요개호·요지원 인정을 받을 수 있는 것은 40세부터입니다(개호보험). 인정 또는 나이에 대한 답변을 확인하십시오.",
        "vi": "Có thể được công nhận cần chăm sóc hoặc cần hỗ trợ từ 40 tuổi (bảo hiểm chăm sóc dài hạn). Vui lòng kiểm tra lại câu trả lời về việc công nhận hoặc tuổi.",
        "pt": "A certificação de necessidade de cuidados ou de apoio só pode ser obtida a partir dos 40 anos (seguro de cuidados de longa duração). Verifique a resposta sobre a certificação ou a idade.",
    },
    "pension_first_age": {
        "ja": "国民年金の第1号被保険者は20歳から59歳まで（任意加入は64歳まで）です。年金の種別か年齢の答えを確かめてください。",
        "en": "Category 1 of the National Pension is for ages 20 to 59 (voluntary membership up to 64). Please check the pension category or the age.",
        "easy": "こくみん ねんきんの だい1ごうは 20さいから 59さい（にんい かにゅうは 64さい）までです。ねんきんの しゅべつか ねんれいを たしかめて ください。",
        "zh": "国民年金第1号被保险者为20岁至59岁（自愿加入至64岁）。请确认年金类别或年龄的回答。",
        "ko": "국민연금 제1호 피보험자는 20세부터 59세까지(임의가입은 64세까지)입니다. 연금 종별 또는 나이에 대한 답변을 확인하십시오.",
        "vi": "Người được bảo hiểm loại 1 của lương hưu quốc dân là người từ 20 đến 59 tuổi (tham gia tự nguyện đến 64 tuổi). Vui lòng kiểm tra lại câu trả lời về loại lương hưu hoặc tuổi.",
        "pt": "O segurado da categoria 1 da pensão nacional tem de 20 a 59 anos (inscrição voluntária até os 64 anos). Verifique a resposta sobre a categoria de pensão ou a idade.",
    },
    "pension_third_age": {
        "ja": "国民年金の第3号被保険者は20歳から59歳までです。年金の種別か年齢の答えを確かめてください。",
        "en": "Category 3 of the National Pension is for ages 20 to 59. Please check the pension category or the age.",
        "easy": "こくみん ねんきんの だい3ごうは 20さいから 59さいまでです。ねんきんの しゅべつか ねんれいを たしかめて ください。",
        "zh": "国民年金第3号被保险者为20岁至59岁。请确认年金类别或年龄的回答。",
        "ko": "국민연금 제3호 피보험자는 20세부터 59세까지입니다. 연금 종별 또는 나이에 대한 답변을 확인하십시오.",
        "vi": "Người được bảo hiểm loại 3 của lương hưu quốc dân là người từ 20 đến 59 tuổi. Vui lòng kiểm tra lại câu trả lời về loại lương hưu hoặc tuổi.",
        "pt": "O segurado da categoria 3 da pensão nacional tem de 20 a 59 anos. Verifique a resposta sobre a categoria de pensão ou a idade.",
    },
    "abroad_with_special_moveout": {
        "ja": "国外からの転入では、マイナポータルでの転出届（特例転出）はできません。答えを確かめてください。",
        "en": "Moving in from abroad, there is no online notice of moving out (Mynaportal). Please check your answers.",
        "easy": "がいこくから ひっこして くる ときは、マイナポータルの てんしゅつとどけは ありません。こたえを たしかめて ください。",
        "zh": "从国外迁入时，无法通过Mynaportal（マイナポータル）提交迁出申报（特例迁出）。请确认您的回答。",
        "ko": "국외에서 전입하는 경우에는 마이나포털을 통한 전출신고(특례전출)를 할 수 없습니다. 답변을 확인하십시오.",
        "vi": "Khi chuyển đến từ nước ngoài, bạn không thể nộp thông báo chuyển đi qua Mynaportal (chuyển đi đặc biệt). Vui lòng kiểm tra lại câu trả lời.",
        "pt": "Na mudança vinda do exterior, não é possível fazer a notificação de saída da cidade pela Mynaportal (saída especial). Verifique suas respostas.",
    },
    "child_not_younger": {
        "ja": "子どもの年齢が、あなたと同じか上になっています。続柄か年齢の答えを確かめてください。",
        "en": "A child is as old as or older than you. Please check the relation or the age.",
        "easy": "こどもの ねんれいが あなたと おなじか うえです。こたえを たしかめて ください。",
        "zh": "子女的年龄与您相同或比您大。请确认亲属关系或年龄的回答。",
        "ko": "자녀의 나이가 본인과 같거나 많습니다. 관계 또는 나이에 대한 답변을 확인하십시오.",
        "vi": "Tuổi của con bằng hoặc lớn hơn tuổi của bạn. Vui lòng kiểm tra lại câu trả lời về quan hệ hoặc tuổi.",
        "pt": "A idade do filho é igual ou maior que a sua. Verifique a resposta sobre o parentesco ou a idade.",
    },
    "parent_not_older": {
        "ja": "親の年齢が、あなたと同じか下になっています。続柄か年齢の答えを確かめてください。",
        "en": "A parent is as old as or younger than you. Please check the relation or the age.",
        "easy": "おやの ねんれいが あなたと おなじか したです。こたえを たしかめて ください。",
        "zh": "父母的年龄与您相同或比您小。请确认亲属关系或年龄的回答。",
        "ko": "부모의 나이가 본인과 같거나 적습니다. 관계 또는 나이에 대한 답변을 확인하십시오.",
        "vi": "Tuổi của cha mẹ bằng hoặc nhỏ hơn tuổi của bạn. Vui lòng kiểm tra lại câu trả lời về quan hệ hoặc tuổi.",
        "pt": "A idade do pai ou da mãe é igual ou menor que a sua. Verifique a resposta sobre o parentesco ou a idade.",
    },
    "death_after_learned": {
        "ja": "亡くなった日が、亡くなったことを知った日より後になっています。日付を確かめてください。",
        "en": "The date of death is after the day you learned of it. Please check the dates.",
        "easy": "なくなった ひが、しった ひより あとに なって います。ひづけを たしかめて ください。",
        "zh": "死亡日期晚于得知死亡的日期。请确认日期。",
        "ko": "사망일이 사망 사실을 안 날보다 뒤로 되어 있습니다. 날짜를 확인하십시오.",
        "vi": "Ngày qua đời sau ngày bạn biết tin qua đời. Vui lòng kiểm tra lại ngày.",
        "pt": "A data do falecimento é posterior à data em que você soube do falecimento. Verifique as datas.",
    },
    "ignored_facts": {
        "ja": "この手続きの判定に関係しない答えがあったため、使わずに判定しました。",
        "en": "Some answers do not belong to this life event and were not used.",
        "easy": "この てつづきに かんけいの ない こたえは つかって いません。",
        "zh": "有与本手续判定无关的回答，判定时未使用这些回答。",
        "ko": "이 절차의 판정과 관계없는 답변이 있어 이를 사용하지 않고 판정했습니다.",
        "vi": "Có câu trả lời không liên quan đến việc xác định thủ tục này, nên đã được bỏ qua khi xác định.",
        "pt": "Algumas respostas não se relacionam com a avaliação deste procedimento e não foram usadas.",
    },
}
OVERDUE_NOTE = {
    "ja": "期限を過ぎています。早めに手続きしてください。",
    "en": "The deadline has passed. Please do this soon.",
    "easy": "きげんが すぎて います。はやく てつづきを して ください。",
    "zh": "已超过期限。请尽早办理。",
    "ko": "기한이 지났습니다. 빨리 절차를 밟으십시오.",
    "vi": "Đã quá thời hạn. Vui lòng làm thủ tục sớm.",
    "pt": "O prazo já venceu. Faça o procedimento o quanto antes.",
}


def _text(texts: dict[str, str], locale: str, **slots: Any) -> str:
    return texts[pick(locale, tuple(texts))].format(**slots)


def warning(code: str, locale: str, fields: list[str], **slots: Any) -> dict[str, Any]:
    return {"code": code, "message": _text(MESSAGES[code], locale, **slots), "fields": fields}


def overdue_note(locale: str) -> str:
    return _text(OVERDUE_NOTE, locale)


# --- facts that do not belong to the event ------------------------------------------------

def belonging_facts(questions: list[str], read: set[str]) -> set[str]:
    """Paths a request may give for an event: asked by a question (``facts.x``, ``member.age``) or
    read by a rule of it. ``read`` is rules.check's set (``facts.x``, ``member.age``)."""
    return set(questions) | read


def without_foreign_facts(situation: Situation, belongs: set[str], member_facts: dict[str, Any]
                          ) -> tuple[Situation, list[str]]:
    """``situation`` without the facts that do not belong (``belongs``), and their request paths.

    A member field equal to its vocabulary default (``member_facts[k].default``) was filled in
    by the request reader, not given, so it is dropped quietly.
    """
    ignored: list[str] = []
    values = {}
    for path, v in situation.values.items():
        if path == "event" or path in belongs:
            values[path] = v
        else:
            ignored.append(path)
    members = situation.members
    if members is not None:
        kept = []
        for i, m in enumerate(members):
            one = {}
            for key, v in m.items():
                if f"member.{key}" in belongs:
                    one[key] = v
                elif not (member_facts[key].default is not None and v == member_facts[key].default):
                    ignored.append(f"members[{i}].{key}")
            kept.append(one)
        members = tuple(kept)
    if not ignored:
        return situation, []
    return dataclasses.replace(situation, values=values, members=members), ignored


# --- answers that contradict each other or the law -----------------------------------------

def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def date_warnings(situation: Situation, date_paths: list[str]) -> list[dict[str, Any]]:
    """Dates implausibly far from ``today`` (event_date and date facts), and births or deaths
    dated after today. Nothing without ``today``."""
    today, loc = situation.today, situation.locale
    if today is None:
        return []
    dates = [("event_date", situation.event_date)] + [(p, situation.values.get(p)) for p in date_paths]
    out: list[dict[str, Any]] = []
    far_past = [p for p, d in dates if d and d < _add_years(today, -PAST_LIMIT_YEARS)]
    far_future = [p for p, d in dates if d and d > _add_years(today, FUTURE_LIMIT_YEARS)]
    if far_past:
        out.append(warning("date_far_past", loc, far_past, years=PAST_LIMIT_YEARS))
    if far_future:
        out.append(warning("date_far_future", loc, far_future, years=FUTURE_LIMIT_YEARS))
    elif situation.event in ("birth", "death") and situation.event_date and situation.event_date > today:
        out.append(warning("event_date_in_future", loc, ["event_date"]))
    return out


def _constraint_warnings(situation: Situation, table: tuple[Constraint, ...]) -> list[dict[str, Any]]:
    loc = situation.locale
    out: list[dict[str, Any]] = []
    seen: dict[str, dict[str, Any]] = {}

    def add(c: Constraint, fields: list[str]) -> None:
        if c.code in seen:  # one warning per kind, naming every answer concerned
            seen[c.code]["fields"] += [f for f in fields if f not in seen[c.code]["fields"]]
            return
        seen[c.code] = warning(c.code, loc, fields)
        out.append(seen[c.code])

    for c in violations(situation.values, "household", table):
        add(c, [c.fact.path, *sorted({a.fact.path for a in _atoms(c)})])
    for i, m in enumerate(situation.members or ()):
        for c in violations(m, "member", table):
            add(c, [f"members[{i}].{c.fact.path}", *sorted(f"members[{i}].{a.fact.path}" for a in _atoms(c))])
    return out


def _atoms(c: Constraint):
    return {a.fact.path: a for a in atoms_of(c.requires)}.values()


def _people_warnings(situation: Situation) -> list[dict[str, Any]]:
    loc = situation.locale
    out: list[dict[str, Any]] = []
    members = list(situation.members or ())
    if situation.event == "marriage":
        young = [f"members[{i}].age" for i, m in enumerate(members)
                 if m.get("relation") in ("self", "spouse") and m.get("age") is not None
                 and m["age"] < MARRIAGE_MIN_AGE]
        if young:
            out.append(warning("under_marriage_age", loc, young, age=MARRIAGE_MIN_AGE))
    own = next((m.get("age") for m in members if m.get("relation") == "self" and m.get("age") is not None), None)
    if own is not None:
        for code, relation, wrong in (("child_not_younger", "child", lambda a: a >= own),
                                      ("parent_not_older", "parent", lambda a: a <= own)):
            fields = [f"members[{i}].age" for i, m in enumerate(members)
                      if m.get("relation") == relation and m.get("age") is not None and wrong(m["age"])]
            if fields:
                out.append(warning(code, loc, fields))
    death = situation.values.get("deceased.death_date")
    if situation.event == "death" and death and situation.event_date and death > situation.event_date:
        out.append(warning("death_after_learned", loc, ["deceased.death_date", "event_date"]))
    if situation.values.get("facts.from_abroad") is True and situation.values.get("facts.special_moveout") is True:
        out.append(warning("abroad_with_special_moveout", loc, ["facts.from_abroad", "facts.special_moveout"]))
    return out


def answer_warnings(situation: Situation, vocab, date_paths: list[str]) -> list[dict[str, Any]]:
    """Everything implausible or contradictory in the answers (before any is ignored)."""
    return (date_warnings(situation, date_paths) + _constraint_warnings(situation, constraints(vocab))
            + _people_warnings(situation))


def past_due_warning(situation: Situation, procedures: list[dict[str, Any]],
                     at_new_city: list[dict[str, Any]] = ()) -> list[dict[str, Any]]:
    """Marks each listed procedure (and each of ``at_new_city[]``) ``overdue`` (due before today)
    and says so once above the list."""
    late = []
    for key, listed in (("procedures", procedures), ("at_new_city", at_new_city)):
        for p in listed:
            due = p.get("due_date")
            p["overdue"] = bool(situation.today and due and dt.date.fromisoformat(due) < situation.today)
            if p["overdue"]:
                p["deadline_notes"] = [overdue_note(situation.locale), *p.get("deadline_notes", [])]
                late.append(f"{key}[{p['id']}].due_date")
    return [warning("due_date_past", situation.locale, ["event_date", *late])] if late else []
