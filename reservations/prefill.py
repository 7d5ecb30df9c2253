"""事前入力: the household a resident fills in at home for a visit, and the counter flow on it.

Plain Python on the database (no Flask): the resident pages (reservations/prefill_views.py) and
the counter pages (staff/visit_counter_views.py) call these.

- The document is the issue-14 contract's (members, previous_address, new_address, move_date,
  phone), one per visit, encrypted at rest (``VisitPrefill.household``). No signature, no My
  Number: the pages never ask for them.
- ``draft`` until the resident chooses 「窓口に送る」 (``share``): staff see nothing before; a
  real change after that (not 次へ on an unchanged page) makes it a draft again, to be sent again
  (``needs_resend``: the pages say so).
- Staff corrections (what the documents show) are kept beside the resident's values
  (``VisitPrefill.corrections``); ``effective`` lays them over the document for printing.
- Deleted after the visit is done or cancelled, or ``RETENTION_DAYS`` after it was made
  (``purge``: ``flask reservations purge-prefill``, hourly from cron, audited).

Each page reads its part of a form (``read_members``, ``read_addresses``, ``read_details``):
(what was typed, to show again; the part of the document, or None; errors as
``[(field id, message)]`` in the caller's language).
"""
from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, or_, select

from core import audit
from core.db import aware, db
from core.errors import AppError
from core.japanese_text import normalize_digits, normalize_kana
from core.postcode import clean as clean_postcode
from core.postcode import lookup as lookup_postcode
from core.words import N_
from core.words import text as translate
from reservations import models as m
from reservations.prefill_models import VisitPrefill
from reservations.visit import mark_stop_done, open_stops
from rules.wareki import WarekiError, parse_wareki, read_year_box

DRAFT, SHARED = "draft", "shared"
VISIT_DONE = m.VISIT_DONE
FINISHED = (VISIT_DONE, m.CANCELLED, m.EXPIRED, m.NO_SHOW)  # a visit past these keeps no household
RETENTION_DAYS = 30
MAX_MEMBERS = 10
MAX_NAME = 40
MAX_ADDRESS = 120
RELATIONSHIPS = ("head", "spouse", "child", "parent", "other")
SEXES = ("male", "female", "")  # stored; "" is 回答しない, chosen explicitly
NO_ANSWER = "none"  # the form's 回答しない (nothing chosen is an error, never a silent default)
KANA = re.compile(r"^[ァ-ヶー・ヽヾ ]+$")
PHONE = re.compile(r"^0\d{9,10}$")
MEMBER_FIELDS = ("family_name", "given_name", "family_kana", "given_kana", "birth", "sex", "relationship",
                 "relationship_text")
ADDRESS_FIELDS = ("postcode", "address", "building", "head_name")
_PATH = re.compile(r"^(?:members\[(\d{1,2})\]\.(family_name|given_name|family_kana|given_kana|birth_date|sex|"
                   r"relationship|relationship_text)|(previous_address|new_address)\.(postcode|address|building|"
                   r"head_name)|(move_date|phone))$")

MESSAGES = {
    "family_name": N_("%(who)sの姓を入力してください。"),
    "given_name": N_("%(who)sの名を入力してください。"),
    "name_long": N_("%(who)sの名前は%(max)s文字以内で入力してください。"),
    "family_kana": N_("%(who)sの姓のフリガナを入力してください。"),
    "given_kana": N_("%(who)sの名のフリガナを入力してください。"),
    "kana_chars": N_("%(who)sのフリガナはカタカナで入力してください（例：ヤマダ）。"),
    "birth": N_("%(who)sの生年月日を入力してください（例：1985年4月1日 または 昭和60年4月1日）。"),
    "birth_future": N_("%(who)sの生年月日が今日より後になっています。"),
    "relationship": N_("%(who)sの続柄を選んでください。"),
    "relationship_text": N_("%(who)sの続柄を入力してください（例：祖母）。"),
    "sex": N_("%(who)sの性別を選びなおしてください。"),
    "sex_choose": N_("%(who)sの性別を選んでください（書類に性別の欄があります。答えないときは「回答しない」）。"),
    "two_heads": N_("世帯主は1人だけ選んでください。"),
    "no_members": N_("引っ越す人を1人以上入力してください。"),
    "too_many": N_("一度に入力できるのは%(max)s人までです。"),
    "postcode": N_("%(which)sの郵便番号を7桁の数字で入力してください（例：%(example)s）。"),
    "postcode_unknown": N_("%(which)sの郵便番号の住所が見つかりません。郵便番号を確かめてください。"),
    "address": N_("%(which)sを入力してください。"),
    "address_long": N_("%(which)sは%(max)s文字以内で入力してください。"),
    "building_long": N_("%(which)sの建物名・部屋番号は%(max)s文字以内で入力してください。"),
    "head_name": N_("%(which)sの世帯主の名前を入力してください（引っ越す人の中に世帯主がいないため）。"),
    "move_date": N_("引っ越しの日を入力してください（例：2027年3月25日）。"),
    "move_date_range": N_("引っ越しの日は、今日の1年前から1年後までで入力してください。"),
    "phone": N_("電話番号は、市外局番から数字で入力してください（例：%(example)s）。"),
    "date_parts": N_("年・月・日をすべて数字で入力してください（例：1985年4月1日）。"),
    "date_year": N_("年は西暦4桁で入力するか、元号をつけて入力してください（例：1985 または 昭和60）。"),
    "date_none": N_("その日付はありません。月と日を確かめてください。"),
}
MEMBER_LABEL = N_("%(n)s人目")
ADDRESS_LABELS = {"previous": N_("前の住所"), "new": N_("新しい住所")}  # named in each address's errors
RELATIONSHIP_WORDS = {"head": N_("世帯主"), "child": N_("子"), "other": N_("その他")}
_BY_SEX = {("spouse", "female"): N_("妻"), ("spouse", "male"): N_("夫"), ("spouse", ""): N_("妻・夫"),
           ("parent", "female"): N_("母"), ("parent", "male"): N_("父"), ("parent", ""): N_("父・母")}


def relationship_word(relationship: str, sex: str = "") -> str:
    """The 続柄 as the forms write it (a msgid): 妻 or 夫 (母 or 父) from the sex, 「妻・夫」 only
    when the sex was not given; "" for an unknown code."""
    if relationship in RELATIONSHIP_WORDS:
        return RELATIONSHIP_WORDS[relationship]
    return _BY_SEX.get((relationship, sex if sex in ("male", "female") else ""), "")


class PrefillError(AppError):
    """A refused action on a household (not found, not shared yet, a bad path)."""

    status = 400


def message(locale: str, key: str, **values: Any) -> str:
    """One of MESSAGES in ``locale``."""
    return translate(locale, MESSAGES[key], **values)


_say = message


def _text(value: object, limit: int) -> str:
    """What was typed, trimmed, spaces collapsed; names stay exactly as typed otherwise (no NFKC)."""
    return " ".join(value.split())[:limit * 2] if isinstance(value, str) else ""


# --- dates -----------------------------------------------------------------------------------------

def parse_date(year: str, month: str, day: str, locale: str = "ja") -> dt.date | None:
    """A date from the 年/月/日 boxes; 西暦 (1985/4/1) or 和暦 typed in the year box (昭和60, S60,
    ｒ５, 平成元: rules.wareki.read_year_box) or the whole date in it (令和5年4月1日, 1985-04-01).
    None when all are empty; ValueError with a message in ``locale`` when it is not a date (the
    era's own message when the era does not fit, e.g. 平成31年5月1日)."""
    box = read_year_box(year, month, day)
    if box.is_empty():
        return None
    try:
        if not (box.year and box.month and box.day):
            raise ValueError(_say(locale, "date_parts"))
        if box.era:
            return parse_wareki(box.era, box.year, box.month, box.day)
        return _gregorian(box.year, box.month, box.day, locale)
    except WarekiError as exc:
        raise ValueError(exc.text(locale)) from None


def _gregorian(year: str, month: str, day: str, locale: str) -> dt.date:
    if not (year.isdigit() and month.isdigit() and day.isdigit()):
        raise ValueError(_say(locale, "date_parts"))
    if len(year) != 4 or int(year) < 1868:
        raise ValueError(_say(locale, "date_year"))
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError:
        raise ValueError(_say(locale, "date_none")) from None


def date_parts(iso: str | None) -> dict[str, str]:
    """An ISO date as the three boxes' values (for a page showing a saved date)."""
    try:
        d = dt.date.fromisoformat(iso or "")
    except ValueError:
        return {"year": "", "month": "", "day": ""}
    return {"year": str(d.year), "month": str(d.month), "day": str(d.day)}


# --- reading the pages' forms ---------------------------------------------------------------------

def member_count(form: Mapping[str, str]) -> int:
    """How many member rows a posted form carries (``members``, bounded)."""
    raw = unicodedata.normalize("NFKC", str(form.get("members", "") or "")).strip()
    return min(int(raw), MAX_MEMBERS) if raw.isdigit() and int(raw) > 0 else 1


def typed_members(form: Mapping[str, str]) -> list[dict[str, str]]:
    """The member rows as typed (``m0-family_name``, ``m0-birth-year`` …), to show again."""
    rows = []
    for i in range(member_count(form)):
        row = {f: str(form.get(f"m{i}-{f}", "") or "")[:200] for f in MEMBER_FIELDS if f != "birth"}
        for part in ("year", "month", "day"):
            row[f"birth-{part}"] = str(form.get(f"m{i}-birth-{part}", "") or "")[:20]
        row["moving"] = "1"
        rows.append(row)
    return rows


def rows_of(members: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Saved members as form rows."""
    rows = []
    for member in members:
        row = {f: str(member.get(f, "") or "") for f in MEMBER_FIELDS if f != "birth"}
        row["sex"] = row["sex"] or NO_ANSWER  # saved without a sex: 回答しない was chosen
        row.update({f"birth-{k}": v for k, v in date_parts(member.get("birth_date")).items()})
        rows.append(row)
    return rows or [blank_row()]


def blank_row() -> dict[str, str]:
    return {**{f: "" for f in MEMBER_FIELDS if f != "birth"}, "birth-year": "", "birth-month": "", "birth-day": ""}


def check_members(rows: list[dict[str, str]], locale: str = "ja", *,
                  today: dt.date | None = None) -> tuple[list[dict[str, Any]] | None, list[tuple[str, str]]]:
    """The rows as the document's ``members`` (kana normalised to カタカナ, ISO birth dates), or
    None and the errors (field ids ``m<i>-<field>``; a date's is ``m<i>-birth-year``)."""
    members, errors = _check_members(rows, locale, today=today)
    return (None, errors) if errors else (members, [])


def _check_members(rows: list[dict[str, str]], locale: str, *,
                   today: dt.date | None) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    """check_members' checks, the members as far as they could be read always returned (a staff
    correction takes one field of them)."""
    today = today or dt.date.today()
    errors: list[tuple[str, str]] = []
    members: list[dict[str, Any]] = []
    if not rows:
        return [], [("m0-family_name", _say(locale, "no_members"))]
    if len(rows) > MAX_MEMBERS:
        return [], [("m0-family_name", _say(locale, "too_many", max=MAX_MEMBERS))]
    heads = 0
    for i, row in enumerate(rows):
        who = translate(locale, MEMBER_LABEL, n=i + 1)
        member: dict[str, Any] = {"moving": True}
        for key in ("family_name", "given_name"):
            value = _text(row.get(key), MAX_NAME)
            if not value:
                errors.append((f"m{i}-{key}", _say(locale, key, who=who)))
            elif len(value) > MAX_NAME:
                errors.append((f"m{i}-{key}", _say(locale, "name_long", who=who, max=MAX_NAME)))
            member[key] = value
        for key in ("family_kana", "given_kana"):
            value = normalize_kana(str(row.get(key, "") or ""))[:MAX_NAME * 2]
            if not value:
                errors.append((f"m{i}-{key}", _say(locale, key, who=who)))
            elif len(value) > MAX_NAME or not KANA.match(value):
                errors.append((f"m{i}-{key}", _say(locale, "kana_chars", who=who)))
            member[key] = value
        try:
            born = parse_date(row.get("birth-year", ""), row.get("birth-month", ""), row.get("birth-day", ""), locale)
        except ValueError as exc:
            errors.append((f"m{i}-birth-year", f"{who}：{exc}"))
            born = None
        else:
            if born is None:
                errors.append((f"m{i}-birth-year", _say(locale, "birth", who=who)))
            elif born > today:
                errors.append((f"m{i}-birth-year", _say(locale, "birth_future", who=who)))
                born = None
        member["birth_date"] = born.isoformat() if born else ""
        sex = str(row.get("sex", "") or "")
        if not sex:
            errors.append((f"m{i}-sex", _say(locale, "sex_choose", who=who)))
        elif sex != NO_ANSWER and sex not in SEXES:
            errors.append((f"m{i}-sex", _say(locale, "sex", who=who)))
        member["sex"] = sex if sex in ("male", "female") else ""
        relationship = str(row.get("relationship", "") or "")
        if relationship not in RELATIONSHIPS:
            errors.append((f"m{i}-relationship", _say(locale, "relationship", who=who)))
        member["relationship"] = relationship
        heads += relationship == "head"
        if relationship == "other":
            text = _text(row.get("relationship_text"), 20)[:20]
            if not text:
                errors.append((f"m{i}-relationship_text", _say(locale, "relationship_text", who=who)))
            member["relationship_text"] = text
        members.append(member)
    if heads > 1:
        errors.append(("m0-relationship", _say(locale, "two_heads")))
    return members, errors


def typed_address(form: Mapping[str, str], prefix: str) -> dict[str, str]:
    return {f: str(form.get(f"{prefix}-{f}", "") or "")[:300] for f in ADDRESS_FIELDS}


def fill_from_postcode(typed: dict[str, str]) -> bool:
    """「住所を検索」: the address the postcode gives, only into an empty box (never over what was
    typed). True when something was found."""
    found = lookup_postcode(typed.get("postcode"))
    if found is None:
        return False
    if not typed.get("address", "").strip():
        typed["address"] = f"{found.prefecture}{found.city}{found.town}"
    return True


def to_look_up(typed: Mapping[str, Mapping[str, str]]) -> list[str]:
    """Enter pressed on the addresses page (the form's first submit, as a phone's go key): the
    addresses whose postcode is typed and whose address box is still empty are looked up (Enter
    in a postcode box); none means 次へ."""
    return [which for which in ADDRESS_LABELS
            if clean_postcode((typed.get(which) or {}).get("postcode")) and not
            str((typed.get(which) or {}).get("address", "")).strip()]


def look_up(typed: dict[str, str], which: str, locale: str) -> tuple[bool, list[tuple[str, str]]]:
    """「住所を検索」 for one address: (found, errors naming which address)."""
    if fill_from_postcode(typed):
        return True, []
    return False, [(f"{which}-postcode", _say(locale, "postcode_unknown", which=_label(locale, which)))]


def _label(locale: str, prefix: str) -> str:
    return translate(locale, ADDRESS_LABELS.get(prefix, ADDRESS_LABELS["new"]))


def check_address(typed: dict[str, str], prefix: str, locale: str, *, needs_head: bool,
                  example_postcode: str = "100-0001") -> tuple[dict[str, str] | None, list[tuple[str, str]]]:
    values, errors = _check_address(typed, prefix, locale, needs_head=needs_head, example_postcode=example_postcode)
    return (None, errors) if errors else (values, [])


def _check_address(typed: dict[str, str], prefix: str, locale: str, *, needs_head: bool,
                   example_postcode: str) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """check_address's checks, the values as far as they could be read always returned."""
    errors: list[tuple[str, str]] = []
    values = _checked_address(typed)
    which = _label(locale, prefix)  # 前の住所 / 新しい住所: the summary says which address
    if not values["postcode"]:
        errors.append((f"{prefix}-postcode", _say(locale, "postcode", which=which, example=example_postcode)))
    address = values["address"]
    if not address:
        errors.append((f"{prefix}-address", _say(locale, "address", which=which)))
    elif len(address) > MAX_ADDRESS:
        errors.append((f"{prefix}-address", _say(locale, "address_long", which=which, max=MAX_ADDRESS)))
    if len(values["building"]) > MAX_ADDRESS:
        errors.append((f"{prefix}-building", _say(locale, "building_long", which=which, max=MAX_ADDRESS)))
    head = values["head_name"]
    if needs_head and not head:
        errors.append((f"{prefix}-head_name", _say(locale, "head_name", which=which)))
    elif len(head) > MAX_NAME:
        errors.append((f"{prefix}-head_name", _say(locale, "name_long",
                                                   who=_say(locale, "head_name", which=which).split("の名前")[0],
                                                   max=MAX_NAME)))
    return values, errors


def _checked_address(typed: dict[str, str]) -> dict[str, str]:
    """check_address's values (as it normalises them) whatever the errors."""
    return {"postcode": clean_postcode(typed.get("postcode")) or "", "address": _text(typed.get("address"), MAX_ADDRESS),
            "building": _text(typed.get("building"), MAX_ADDRESS), "head_name": _text(typed.get("head_name"), MAX_NAME)}


def check_details(form: Mapping[str, str], locale: str = "ja", *, today: dt.date | None = None,
                  example_phone: str = "03-1234-5678") -> tuple[dict[str, str] | None, list[tuple[str, str]]]:
    """Move date (西暦 or 和暦, within a year of today) and phone (digits; required)."""
    values, errors = _check_details(form, locale, today=today, example_phone=example_phone)
    return (None, errors) if errors else (values, [])


def _check_details(form: Mapping[str, str], locale: str, *, today: dt.date | None,
                   example_phone: str) -> tuple[dict[str, str], list[tuple[str, str]]]:
    today = today or dt.date.today()
    errors: list[tuple[str, str]] = []
    try:
        moved = parse_date(form.get("move_date-year", ""), form.get("move_date-month", ""),
                           form.get("move_date-day", ""), locale)
    except ValueError as exc:
        errors.append(("move_date-year", str(exc)))
        moved = None
    else:
        if moved is None:
            errors.append(("move_date-year", _say(locale, "move_date")))
        elif abs((moved - today).days) > 366:
            errors.append(("move_date-year", _say(locale, "move_date_range")))
            moved = None
    phone = normalize_digits(str(form.get("phone", "") or ""))[:20]
    if not PHONE.match(phone):
        errors.append(("phone", _say(locale, "phone", example=example_phone)))
    return {"move_date": moved.isoformat() if moved else "", "phone": phone}, errors


def head_is_member(members: list[dict[str, Any]]) -> bool:
    return any(member.get("relationship") == "head" for member in members)


def missing_parts(doc: Mapping[str, Any]) -> list[str]:
    """The pages not filled yet: members, addresses, details (the check page sends them back)."""
    missing = []
    if not doc.get("members"):
        missing.append("members")
    if not doc.get("previous_address") or not doc.get("new_address"):
        missing.append("addresses")
    if not doc.get("move_date") or not doc.get("phone"):
        missing.append("details")
    return missing


STEPS = (("members", N_("引っ越す人")), ("addresses", N_("前の住所と新しい住所")),
         ("details", N_("引っ越しの日と電話番号")), ("check", N_("確認して窓口に送る")))
STEP_STATUS = {"done": N_("入力済み"), "todo": N_("まだ入力していません"), "sent": N_("窓口に送りました"),
               "not_sent": N_("まだ送っていません"), "resend": N_("もう一度送ってください")}


def steps(prefill: VisitPrefill | None) -> list[dict[str, str]]:
    """The start page's task list (GOV.UK pattern): every step a link (a page sends back to the
    first one not filled), each with its status: 入力済み / まだ入力していません for the three
    parts, then 送りました / まだ送っていません / もう一度送ってください for sending."""
    missing = missing_parts(household(prefill))
    rows = [{"key": key, "label": label, "status": "todo" if key in missing else "done"}
            for key, label in STEPS[:3]]
    sent = "resend" if needs_resend(prefill) else "sent" if prefill is not None and prefill.status == SHARED \
        else "not_sent"
    rows.append({"key": "check", "label": STEPS[3][1], "status": sent})
    for row in rows:
        row["status_text"] = STEP_STATUS[row["status"]]
    return rows


# --- the stored document --------------------------------------------------------------------------

def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def empty_household() -> dict[str, Any]:
    return {"members": [], "previous_address": {}, "new_address": {}, "move_date": "", "phone": ""}


def of_visit(visit: m.Visit) -> VisitPrefill | None:
    return db.session.scalar(select(VisitPrefill).where(VisitPrefill.visit_id == visit.id))


def household(prefill: VisitPrefill | None) -> dict[str, Any]:
    """The resident's document (an empty one when nothing was entered yet)."""
    if prefill is None:
        return empty_household()
    return {**empty_household(), **json.loads(prefill.household)}


def corrections(prefill: VisitPrefill) -> dict[str, dict[str, str]]:
    return json.loads(prefill.corrections) if prefill.corrections else {}


def may_fill(visit: m.Visit) -> bool:
    """A household may be entered while the visit is still ahead (booked, or checked in)."""
    return visit.status not in FINISHED and visit.cancelled_at is None


def save_part(visit: m.Visit, values: Mapping[str, Any], now: dt.datetime | None = None) -> VisitPrefill:
    """Put a page's part in the document (a new draft if none). A change after 「窓口に送る」 makes
    it a draft again: the counters see it only when it is sent again. Commits."""
    if not may_fill(visit):
        raise PrefillError("visit_over", _l("この予約は終わっているため、入力できません。"), status=409)
    now = now or now_utc()
    prefill = of_visit(visit)
    if prefill is None:
        prefill = VisitPrefill(visit_id=visit.id, status=DRAFT, household=json.dumps(empty_household()),
                               created_at=now, updated_at=now)
        db.session.add(prefill)
    doc = household(prefill)
    before = json.dumps(doc, ensure_ascii=False, sort_keys=True)
    doc.update(values)
    if prefill.id is not None and json.dumps(doc, ensure_ascii=False, sort_keys=True) == before:
        return prefill  # 次へ without a change: still sent, nothing to send again
    prefill.household = json.dumps(doc, ensure_ascii=False)
    prefill.updated_at = now
    prefill.status = DRAFT  # shared_at stays: it was sent once, and must be sent again (needs_resend)
    db.session.commit()
    return prefill


def needs_resend(prefill: VisitPrefill | None) -> bool:
    """Sent to the counters once, then changed: the counters see nothing until it is sent again."""
    return prefill is not None and prefill.status == DRAFT and prefill.shared_at is not None


def share(visit: m.Visit, now: dt.datetime | None = None) -> VisitPrefill:
    """「窓口に送る」: from now on the counters of this visit see the household. Commits."""
    prefill = of_visit(visit)
    if prefill is None or missing_parts(household(prefill)):
        raise PrefillError("prefill_incomplete", _l("まだ入力していないところがあります。"), status=409)
    if not may_fill(visit):
        raise PrefillError("visit_over", _l("この予約は終わっているため、入力できません。"), status=409)
    prefill.status, prefill.shared_at = SHARED, now or now_utc()
    db.session.commit()
    return prefill


def discard(visit: m.Visit) -> bool:
    """The resident deletes what was entered. Commits; True when there was something."""
    gone = db.session.execute(delete(VisitPrefill).where(VisitPrefill.visit_id == visit.id)).rowcount
    db.session.commit()
    return bool(gone)


# --- paths into the document (counter forms and staff corrections) --------------------------------

def check_path(path: str) -> str:
    if not _PATH.match(path or ""):
        raise PrefillError("bad_path", _l("直す項目がわかりません。"), status=400)
    return path


def get_path(doc: Mapping[str, Any], path: str) -> str:
    found = _PATH.match(path)
    if not found:
        return ""
    index, member_field, part, part_field, top = found.groups()
    if index is not None:
        members = doc.get("members") or []
        return str(members[int(index)].get(member_field, "")) if int(index) < len(members) else ""
    if part is not None:
        return str((doc.get(part) or {}).get(part_field, ""))
    return str(doc.get(top, ""))


def _set_path(doc: dict[str, Any], path: str, value: str) -> None:
    index, member_field, part, part_field, top = _PATH.match(path).groups()  # type: ignore[union-attr]
    if index is not None:
        members = doc.setdefault("members", [])
        if int(index) < len(members):
            members[int(index)][member_field] = value
    elif part is not None:
        doc.setdefault(part, {})[part_field] = value
    else:
        doc[top] = value


_MEMBER_MARK = re.compile(r"^members\[(\d{1,2})\]\.(added|moving|removed)$")
_FIELD_ID = {"birth_date": "birth-year"}  # the form box a member field's check names
_ADDRESS_PREFIX = {"previous_address": "previous", "new_address": "new"}


class CorrectionError(PrefillError):
    """A staff correction or added member that fails the resident-side checks (``errors``:
    ``[(field id, message)]`` in the staff's language)."""

    status = 422

    def __init__(self, errors: list[tuple[str, str]]):
        super().__init__("correction_invalid", _l("入力内容を確認してください。"), status=422)
        self.errors = errors


def _members(prefill: VisitPrefill) -> list[dict[str, Any]]:
    """Every member at the counter, by index: the resident's, then those the staff added (whose
    fields are corrections), each with its corrections laid over, ``moving`` a bool and
    ``removed`` when the staff took them out (kept, so indices never move)."""
    doc, changes = household(prefill), corrections(prefill)
    members = [dict(member) for member in doc.get("members") or []]
    added = sorted(int(found.group(1)) for path in changes if (found := _MEMBER_MARK.match(path))
                   and found.group(2) == "added")
    for index in added:
        while len(members) <= index:
            members.append({"moving": True, "added": True})
    for path, change in changes.items():
        found = _PATH.match(path)
        if found and found.group(1) is not None and int(found.group(1)) < len(members):
            members[int(found.group(1))][found.group(2)] = change["value"]
        mark = _MEMBER_MARK.match(path)
        if mark and mark.group(2) != "added" and int(mark.group(1)) < len(members):
            members[int(mark.group(1))][mark.group(2)] = change["value"] == "yes"
    for member in members:
        member["moving"] = member.get("moving", True) is not False
        member["removed"] = bool(member.get("removed"))
    return members


def counter_members(prefill: VisitPrefill) -> list[dict[str, Any]]:
    """The members as the counter page lists them (index, the resident's values, the staff's
    changes, added / not moving / removed)."""
    return _members(prefill)


def effective(prefill: VisitPrefill) -> dict[str, Any]:
    """The document with the staff's corrections laid over the resident's values: members added
    at the counter in, removed ones out, ``moving`` as the staff marked it (the forms' tables
    choose by it, ``where: {moving: true}``)."""
    doc = household(prefill)
    for path, change in corrections(prefill).items():
        found = _PATH.match(path)
        if found and found.group(1) is None:
            _set_path(doc, path, change["value"])
    doc["members"] = [{k: v for k, v in member.items() if k not in ("added", "removed")}
                      for member in _members(prefill) if not member["removed"]]
    return doc


def _member_rows(members: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Members as check_members' rows; a removed one counts for nothing (no 世帯主 twice)."""
    rows = [dict(row) for row in rows_of(members)] if members else []
    for row, member in zip(rows, members, strict=True):
        if member.get("removed"):
            row["relationship"] = ""
        bad = member.get("birth_date") and not row["birth-year"]
        if bad:  # a date not ISO (never saved so): the box gets it whole, to be checked again
            row["birth-year"] = str(member.get("birth_date"))
    return rows


def check_correction(prefill: VisitPrefill, path: str, value: str, locale: str = "ja", *,
                     today: dt.date | None = None, example_postcode: str = "100-0001",
                     example_phone: str = "03-1234-5678") -> tuple[str, list[tuple[str, str]]]:
    """A staff correction checked by the resident's own checks (check_members, check_address,
    check_details) on the household with the value put in: (the value as those checks
    normalise it, the errors of that field). The errors' ids are the resident forms' (``m0-sex``,
    ``new-postcode``, ``phone`` …)."""
    found = _PATH.match(check_path(path))
    index, member_field, part, part_field, top = found.groups()  # type: ignore[union-attr]
    value = str(value or "")[:200]
    doc = effective(prefill)
    if index is not None:
        members = _members(prefill)
        i = int(index)
        if i >= len(members) or members[i]["removed"]:
            raise PrefillError("bad_path", _l("直す項目がわかりません。"), status=400)
        rows = _member_rows(members)
        box = _FIELD_ID.get(member_field, member_field)
        if member_field == "birth_date":
            rows[i].update({"birth-year": value, "birth-month": "", "birth-day": ""})
        elif member_field == "sex":
            rows[i]["sex"] = value or NO_ANSWER  # the counter's 書かない
        else:
            rows[i][box] = value
        checked, errors = _check_members(rows, locale, today=today)
        wanted = {f"m{i}-{box}"}
        if member_field == "relationship":
            wanted |= {f"m{i}-relationship_text", "m0-relationship"}
        mine = [(field, text) for field, text in errors if field in wanted
                and (field != "m0-relationship" or i == 0 or text == _say(locale, "two_heads"))]
        return str(checked[i].get(member_field, "")) if checked else "", mine
    if part is not None:
        prefix = _ADDRESS_PREFIX[part]
        typed = {f: str((doc.get(part) or {}).get(f, "")) for f in ADDRESS_FIELDS}
        typed[part_field] = value
        needs_head = not head_is_member([mb for mb in doc["members"] if mb.get("moving", True)])
        checked, errors = _check_address(typed, prefix, locale, needs_head=needs_head,
                                         example_postcode=example_postcode)
        return checked[part_field], [(f, t) for f, t in errors if f == f"{prefix}-{part_field}"]
    form = {"move_date-year": str(doc.get("move_date", "")), "phone": str(doc.get("phone", ""))}
    form["move_date-year" if top == "move_date" else "phone"] = value
    checked, errors = _check_details(form, locale, today=today, example_phone=example_phone)
    wanted = "move_date-year" if top == "move_date" else "phone"
    return checked[top], [(f, t) for f, t in errors if f == wanted]


def _number(prefill: VisitPrefill) -> str:
    visit = db.session.get(m.Visit, prefill.visit_id)
    return visit.number if visit is not None else ""


def _note(prefill: VisitPrefill, changes: dict[str, dict[str, str]], path: str, value: str, by: str,
          now: dt.datetime | None) -> None:
    changes[path] = {"value": value, "by": by, "at": (now or now_utc()).isoformat()}
    prefill.corrections = json.dumps(changes, ensure_ascii=False)


def correct(prefill: VisitPrefill, path: str, value: str, by: str, now: dt.datetime | None = None, *,
            locale: str = "ja", today: dt.date | None = None, example_postcode: str = "100-0001",
            example_phone: str = "03-1234-5678") -> str:
    """A staff correction of one field (what the documents show), kept beside the resident's
    value, after the resident's own checks (CorrectionError when it fails them). Returns the
    resident's value. Commits and audits (the field only: the values stay in the encrypted
    household, deleted with it, never in the log)."""
    checked, errors = check_correction(prefill, path, value, locale, today=today,
                                       example_postcode=example_postcode, example_phone=example_phone)
    if errors:
        raise CorrectionError(errors)
    changes = corrections(prefill)
    _note(prefill, changes, path, checked, by, now)
    db.session.commit()
    audit.record("visit.correct", target=_number(prefill), details={"field": path})
    return get_path(household(prefill), path)


def add_member(prefill: VisitPrefill, row: Mapping[str, str], by: str, now: dt.datetime | None = None, *,
               locale: str = "ja", today: dt.date | None = None) -> int:
    """A member the documents show and the resident did not enter, checked like the resident's
    rows (check_members: errors as ``m<i>-<field>``, CorrectionError). Each field is kept as a
    correction of the new index. Returns that index. Commits and audits (which member, never the
    values)."""
    members = _members(prefill)
    if len(members) >= MAX_MEMBERS:
        raise CorrectionError([("m0-family_name", _say(locale, "too_many", max=MAX_MEMBERS))])
    i = len(members)
    typed = {f: str(row.get(f, "") or "")[:200] for f in (*MEMBER_FIELDS[:-1], "relationship_text")
             if f != "birth"}
    for part in ("year", "month", "day"):
        typed[f"birth-{part}"] = str(row.get(f"birth-{part}", "") or "")[:20]
    typed["sex"] = typed.get("sex") or NO_ANSWER  # the counter's 書かない
    checked, errors = _check_members([*_member_rows(members), typed], locale, today=today)
    mine = [(f, t) for f, t in errors if f.startswith(f"m{i}-") or t == _say(locale, "two_heads")]
    if mine:
        raise CorrectionError(mine)
    changes = corrections(prefill)
    _note(prefill, changes, f"members[{i}].added", "yes", by, now)
    for key, value in checked[i].items():
        if key != "moving":
            _note(prefill, changes, f"members[{i}].{key}", str(value), by, now)
    db.session.commit()
    audit.record("visit.member", target=_number(prefill), details={"member": i + 1, "change": "add"})
    return i


def mark_member(prefill: VisitPrefill, index: int, change: str, by: str, now: dt.datetime | None = None) -> None:
    """``not_moving`` / ``moving`` (the person stays at the old address, or does move after all)
    or ``remove`` (not part of this household): kept beside the resident's entry, never deleting
    it. Commits and audits."""
    members = _members(prefill)
    if not 0 <= index < len(members) or change not in ("not_moving", "moving", "remove"):
        raise PrefillError("bad_path", _l("直す項目がわかりません。"), status=400)
    changes = corrections(prefill)
    if change == "remove":
        _note(prefill, changes, f"members[{index}].removed", "yes", by, now)
    else:
        _note(prefill, changes, f"members[{index}].moving", "yes" if change == "moving" else "no", by, now)
    db.session.commit()
    audit.record("visit.member", target=_number(prefill), details={"member": index + 1, "change": change})


# --- the visit at the counters --------------------------------------------------------------------

def progress(visit: m.Visit, today: dt.date | None = None) -> list[dict[str, Any]]:
    """Each stop still in the itinerary (``open_stops``: a cancelled stop is not) with its state:
    done, next (the first not done, only from the day of the visit: before it every stop is
    later), later."""
    rows, seen_next = [], False
    before_the_day = today is not None and today < visit.day
    for stop in open_stops(visit):
        if stop.done_at is not None:
            state = "done"
        elif not seen_next and not before_the_day:
            state, seen_next = "next", True
        else:
            state = "later"
        rows.append({"stop": stop, "state": state})
    return rows


def household_name(visit: m.Visit, stop: m.Reservation | None = None) -> str:
    """Who the counter calls: the head's name from a household sent to the counters (the first
    member when the head does not move with them), else the name the visit was booked in."""
    record = of_visit(visit)
    if record is not None and record.status == SHARED:
        members = effective(record)["members"]
        head = next((mb for mb in members if mb.get("relationship") == "head"), members[0] if members else None)
        if head:
            name = f"{head.get('family_name', '')} {head.get('given_name', '')}".strip()
            if name:
                return name
    booked = stop or next(iter(open_stops(visit)), None)
    return (booked.name or "") if booked is not None else ""


def finish_stop(visit: m.Visit, stop: m.Reservation) -> bool:
    """A counter marks its stop done (the visit's own ``mark_stop_done``; BookingError when the
    stop cannot be). Commits, and audits when it changed anything. True when it did."""
    changed = mark_stop_done(stop)
    db.session.commit()
    if changed:
        audit.record("visit.stop_done", target=visit.number, details={"counter": stop.counter_id})
    return changed


def coming_next(counter_ids: list[str], day: dt.date) -> list[tuple[m.Visit, m.Reservation]]:
    """Visits of ``day`` on their way to a stop at one of ``counter_ids``: the previous stop is
    done, or this is the first stop and the visit is checked in."""
    return [(visit, stop) for visit, stop, kind in _at_counters(counter_ids, day) if kind == "coming"]


def expected(counter_ids: list[str], day: dt.date) -> list[tuple[m.Visit, m.Reservation]]:
    """Visits of ``day`` whose first stop is at one of ``counter_ids`` and who have not checked in
    yet (expected arrivals, by their time)."""
    return [(visit, stop) for visit, stop, kind in _at_counters(counter_ids, day) if kind == "expected"]


def _at_counters(counter_ids: list[str], day: dt.date) -> list[tuple[m.Visit, m.Reservation, str]]:
    if not counter_ids:
        return []
    candidates = db.session.scalars(select(m.Reservation).where(
        m.Reservation.visit_id.is_not(None), m.Reservation.day == day, m.Reservation.done_at.is_(None),
        m.Reservation.counter_id.in_(counter_ids),
        or_(m.Reservation.status.in_(m.ACTIVE), m.Reservation.status.is_(None)))
        .order_by(m.Reservation.start))
    found = []
    for stop in candidates:
        visit = db.session.get(m.Visit, stop.visit_id)
        if visit is None or not may_fill(visit):
            continue
        before = [s for s in open_stops(visit) if (s.stop_order or 0) < (stop.stop_order or 0)]
        if before and before[-1].done_at is not None:
            found.append((visit, stop, "coming"))
        elif not before and stop.checked_in_at is not None:
            found.append((visit, stop, "coming"))
        elif not before and visit.status == m.CONFIRMED and stop.status == m.CONFIRMED:
            found.append((visit, stop, "expected"))
    return found


# --- purge ----------------------------------------------------------------------------------------

def purgeable(now: dt.datetime):
    """Households of visits done or cancelled, and every household older than RETENTION_DAYS."""
    finished = select(m.Visit.id).where(or_(m.Visit.status.in_(FINISHED), m.Visit.cancelled_at.is_not(None)))
    return select(VisitPrefill.id).where(or_(VisitPrefill.visit_id.in_(finished),
                                             VisitPrefill.created_at < now - dt.timedelta(days=RETENTION_DAYS)))


def purge(now: dt.datetime | None = None, *, dry_run: bool = False) -> int:
    """Delete those households (or count them, with ``dry_run``). Commits; the caller audits."""
    now = now or now_utc()
    ids = list(db.session.scalars(purgeable(now)))
    if ids and not dry_run:
        db.session.execute(delete(VisitPrefill).where(VisitPrefill.id.in_(ids)))
        db.session.commit()
    return len(ids)


def age_days(prefill: VisitPrefill, now: dt.datetime | None = None) -> int:
    created = aware(prefill.created_at) or now_utc()
    return ((now or now_utc()) - created).days
