"""How an online application reads on the staff console: field values in form order with their
labels, the signature evidence, payment and history, in words. Plain Python (no Flask, no
database): the views hand in the application's values, attachments and events.
"""
from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from typing import Any

from core.db import aware
from intake import identity as id_check
from intake import jpki, workflow
from intake.forms import Form, choices_of, is_shown, section_shown
from intake.forms_schema import Field
from rules.wareki import to_wareki

JST = dt.timezone(dt.timedelta(hours=9))
EMPTY = {"ja": "（未記入）", "en": "(not given)"}
YES_NO = {"ja": ("はい", "いいえ"), "en": ("Yes", "No")}
IDENTITY_ITEMS = (("name", {"ja": "氏名", "en": "Name"}), ("birth_date", {"ja": "生年月日", "en": "Date of birth"}),
                  ("sex", {"ja": "性別", "en": "Sex"}), ("address", {"ja": "住所", "en": "Address"}))
OPTIONAL_ITEMS = frozenset({"sex"})  # compared only where the form asks it
IDENTITY_WORDS = {True: {"ja": "一致", "en": "Match"}, False: {"ja": "不一致", "en": "Differs"},
                  None: {"ja": "未記入", "en": "Not on the form"}}
PAYMENT_TIMING = {
    "none": {"ja": "手数料なし", "en": "No fee"},
    "at_submission": {"ja": "申請時に支払い", "en": "Paid when sending"},
    "after_review": {"ja": "審査後に金額を確定して支払い", "en": "Paid after review"},
}
PAYMENT_STATE = {
    "none": {"ja": "支払いなし", "en": "Nothing to pay"},
    "due": {"ja": "支払い待ち", "en": "Awaiting payment"},
    "paid": {"ja": "支払い済み", "en": "Paid"},
    "refunded": {"ja": "返金済み", "en": "Refunded"},
}
EVENT_KINDS = {
    "status": {"ja": "状態の変更", "en": "Status"},
    "assign": {"ja": "担当者", "en": "Assignee"},
    "payment": {"ja": "手数料", "en": "Fee"},
    "first_approval": {"ja": "一次承認", "en": "First approval"},
    "signature": {"ja": "電子署名", "en": "Signature"},
    "signature_check": {"ja": "電子署名の再確認", "en": "Signature re-checked"},
    "comment": {"ja": "コメント", "en": "Comment"},
    "internal_note": {"ja": "職員メモ", "en": "Staff note"},
    "dispatch": {"ja": "郵送済（郵送しました）", "en": "Posted"},  # intake.dispatch
}


def _w(words: Mapping[str, str], locale: str) -> str:
    return words.get(locale) or words["ja"]


def jst(moment: dt.datetime | None) -> dt.datetime | None:
    moment = aware(moment)
    return moment.astimezone(JST) if moment is not None else None


def jst_text(moment: dt.datetime | None) -> str:
    local = jst(moment)
    return local.strftime("%Y-%m-%d %H:%M") if local else ""


def date_text(value: str, locale: str) -> str:
    """2026-04-01 → 「2026年4月1日（令和8年4月1日）」 (ja); the ISO date as it is otherwise."""
    try:
        day = dt.date.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if locale != "ja":
        return day.isoformat()
    return f"{day.year}年{day.month}月{day.day}日（{to_wareki(day, with_weekday=False)}）"


def postal_text(code: str) -> str:
    code = str(code or "")
    return f"〒{code[:3]}-{code[3:]}" if len(code) == 7 and code.isdigit() else code


def address_text(value: Mapping[str, Any]) -> str:
    head = postal_text(value.get("postal_code") or "")
    body = "".join(str(value.get(k) or "") for k in ("prefecture", "city", "street"))
    building = str(value.get("building") or "")
    return " ".join(p for p in (head, body, building) if p)


def _choice_label(fld: Field, value: Any, locale: str) -> str:
    for choice in choices_of(fld):
        if choice.value == value:
            return choice.label.get(locale)
    return str(value)


def value_lines(fld: Field, value: Any, locale: str) -> list[str]:
    """One field's value as the lines a person reads (files are listed separately)."""
    if value is None or value == "" or value == []:
        return [_w(EMPTY, locale)]
    kind = fld.type
    if kind in ("select", "radio"):
        return [_choice_label(fld, value, locale)]
    if kind == "checkbox":
        if fld.is_boolean:
            yes, no = YES_NO["en" if locale == "en" else "ja"]
            return [yes if value is True else no]
        return ["、".join(_choice_label(fld, v, locale) for v in value)] if isinstance(value, list) else [str(value)]
    if kind == "number":
        return [f"{value}{fld.unit.get(locale) if fld.unit else ''}"]
    if kind in ("date", "wareki_date"):
        return [date_text(value, locale)]
    if kind == "postal_code":
        return [postal_text(value)]
    if kind == "address" and isinstance(value, Mapping):
        return [address_text(value)]
    if kind == "file":
        return []
    if kind == "repeat" and isinstance(value, list):
        subs = fld.fields or []
        lines = []
        for n, item in enumerate(value, 1):
            parts = [f"{s.label.get(locale)}：{'／'.join(value_lines(s, item.get(s.id), locale))}"
                     for s in subs if isinstance(item, Mapping) and item.get(s.id) not in (None, "", [])]
            lines.append(f"{n}. " + "、".join(parts))
        return lines
    return str(value).splitlines() or [str(value)]


def field_sections(form: Form, values: Mapping[str, Any], attachments: Sequence[Any], locale: str) -> list[dict]:
    """[{"id", "title", "rows": [{"id", "label", "lines", "files"}]}] for the shown sections and
    fields, in form order. ``attachments``: the application's ApplicationAttachment rows."""
    by_name = {a.name: a for a in attachments}
    out = []
    for section in form.sections:
        if not section_shown(form, section.id, values):
            continue
        rows = []
        for fld in section.fields:
            if not is_shown(form, fld.id, values):
                continue
            value = values.get(fld.id)
            files = []
            if fld.type == "file":
                for item in value or []:
                    att = by_name.get(item.get("name")) if isinstance(item, Mapping) else None
                    if att is not None:
                        files.append(att)
            lines = value_lines(fld, value, locale)
            if fld.type == "file" and not files:
                lines = [_w(EMPTY, locale)]
            rows.append({"id": fld.id, "label": fld.label.get(locale), "lines": lines, "files": files})
        if rows:
            out.append({"id": section.id, "title": section.title.get(locale), "rows": rows})
    return out


def field_labels(form: Form, locale: str) -> dict[str, str]:
    return {fid: fld.label.get(locale) for fid, fld in form.fields.items()}


def signer_rows(signer: Mapping[str, str] | None, locale: str) -> list[tuple[str, str]]:
    """The 基本4情報 read from the certificate, in words."""
    if not signer:
        return []
    birth = signer.get("birth_date", "")
    try:
        born = jpki.parse_birth_date(birth)
    except ValueError:
        born = None
    en = locale == "en"
    return [
        ("Name" if en else "氏名", signer.get("name", "")),
        ("Date of birth" if en else "生年月日", date_text(born.isoformat(), locale) if born else birth),
        ("Sex" if en else "性別", jpki.SEX_LABELS.get(signer.get("sex", ""), signer.get("sex", ""))),
        ("Address" if en else "住所", signer.get("address", "")),
    ]


def identity_rows(identity: Mapping[str, bool | None] | None, locale: str) -> list[tuple[str, str, str]]:
    """(item, word, css modifier) for each compared item: 一致 / 不一致 / 未記入."""
    if identity is None:
        return []
    out = []
    for key, name in IDENTITY_ITEMS:
        result = identity.get(key)
        if key in OPTIONAL_ITEMS and result is None:
            continue
        out.append((_w(name, locale), _w(IDENTITY_WORDS[result], locale),
                    {True: "match", False: "differs", None: "missing"}[result]))
    return out


def card_values(signer: Mapping[str, str] | None, locale: str) -> dict[str, str]:
    """What the certificate says for each item (name, birth_date, sex, address), in words."""
    rows = signer_rows(signer, locale)
    return dict(zip(("name", "birth_date", "sex", "address"), (value for _k, value in rows), strict=False))


def field_checks(identity: Mapping[str, bool | None] | None, signer: Mapping[str, str] | None,
                 locale: str) -> dict[str, dict[str, Any]]:
    """For the review screen: field id → the 基本4情報 check shown beside that field.

    {"item": 氏名…, "ok": True/False, "text": 「電子証明書と一致」 or 「電子証明書と不一致」, "card": the
    certificate's value (shown when it differs)}. Items not on the form are left out; the name
    check sits beside 姓 (it compares 姓+名 together)."""
    if not identity or not signer:
        return {}
    en = locale == "en"
    card = card_values(signer, locale)
    out: dict[str, dict[str, Any]] = {}
    for key, name in IDENTITY_ITEMS:
        result = identity.get(key)
        if result is None:
            continue
        text = ("Matches the certificate" if en else "電子証明書と一致") if result else (
            "Differs from the certificate" if en else "電子証明書と不一致")
        out[id_check.FIELDS[key][0]] = {"item": _w(name, locale), "ok": bool(result), "text": text,
                                        "card": card.get(key, "")}
    return out


def evidence_rows(evidence_json: str | None) -> list[dict[str, Any]]:
    try:
        evidence = json.loads(evidence_json) if evidence_json else []
    except ValueError:
        return []
    return [e for e in evidence if isinstance(e, dict)] if isinstance(evidence, list) else []


def history_rows(events: Sequence[Any], labels: Mapping[str, str], staff_names: Mapping[str, str],
                 locale: str) -> list[dict[str, Any]]:
    """Each event: when (JST), who, what, the note and the comments per field (with labels)."""
    out = []
    for e in events:
        what = _w(EVENT_KINDS.get(e.kind, {"ja": e.kind}), locale)
        if e.kind == "status" and e.to_status:
            what = (f"{workflow.label(e.from_status, locale)} → {workflow.label(e.to_status, locale)}"
                    if e.from_status else workflow.label(e.to_status, locale))
        comments = json.loads(e.field_comments_json) if e.field_comments_json else {}
        actor = e.actor or ""
        if actor.startswith("staff:"):
            login = actor.split(":", 1)[1]
            actor = f"{staff_names.get(login, login)}（{login}）"
        elif actor == "resident":
            actor = "Resident" if locale == "en" else "申請者"
        elif actor == "system":
            actor = "System" if locale == "en" else "システム"
        out.append({"at": jst(e.at), "at_text": jst_text(e.at), "actor": actor, "kind": e.kind, "what": what,
                    "note": note_text(e, locale),
                    "comments": [(labels.get(fid, fid), text) for fid, text in comments.items()]})
    return out


def note_text(event: Any, locale: str) -> str:
    """Notes meant for people as they are; the machine notes of some events in words."""
    note = event.note or ""
    if event.kind == "payment" and note.startswith("fee_confirmed:"):
        amount = note.split(":", 1)[1]
        return f"Fee confirmed: {amount} yen" if locale == "en" else f"手数料を{int(amount):,}円に確定"
    if event.kind == "payment" and note == "paid":
        return "Fee paid" if locale == "en" else "手数料の支払いを確認"
    if event.kind == "payment" and note.split(":", 1)[0] in ("refunded", "overpaid") and note.split(":", 1)[-1].isdigit():
        kind, amount = note.split(":", 1)
        if kind == "refunded":
            return f"Refunded: {int(amount):,} yen" if locale == "en" else f"{int(amount):,}円を返金"
        return (f"Paid {int(amount):,} yen more than the fee (to refund)" if locale == "en"
                else f"手数料より{int(amount):,}円多く支払われています（返金が必要）")
    if event.kind == "status" and note == "resubmitted":
        return "Corrected and sent again" if locale == "en" else "補正して再提出"
    if event.kind in ("signature", "signature_check") and note.startswith("{"):
        try:
            data = json.loads(note)
        except ValueError:
            return note
        if "superseded" in data:
            return "Signature replaced (the content changed)" if locale == "en" else "内容の変更で署名を取り消し（再署名が必要）"
        if data.get("ok"):
            return ("Still valid; not revoked" if locale == "en"
                    else f"有効（失効していません）。証明書シリアル番号 {data.get('serial') or ''}")
        return ("Not valid: " if locale == "en" else "確認できませんでした：") + str(data.get("code") or "")
    return note
