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
from core.japan_time import JST
from core.words import N_, NP_, Message
from core.words import text as translate
from intake import identity as id_check
from intake import jpki, workflow
from intake.forms import Form, choices_of, is_shown, section_shown
from intake.forms_schema import Field
from rules.wareki import ymd_with_wareki

EMPTY = N_("（未記入）")
YES, NO = N_("はい"), N_("いいえ")
IDENTITY_ITEMS = (("name", NP_("identity item", "氏名")), ("birth_date", N_("生年月日")),
                  ("sex", N_("性別")), ("address", N_("住所")))
OPTIONAL_ITEMS = frozenset({"sex"})  # compared only where the form asks it
IDENTITY_WORDS = {True: NP_("identity check", "一致"), False: NP_("identity check", "不一致"),
                  None: NP_("identity check", "未記入")}
PAYMENT_TIMING = {  # Message: read with .get(locale) like the {ja,en} dicts they were
    "none": Message(N_("手数料なし")),
    "at_submission": Message(N_("申請時に支払い")),
    "after_review": Message(N_("審査後に金額を確定して支払い")),
}
PAYMENT_STATE = {
    "none": Message(N_("支払いなし")),
    "due": Message(N_("支払い待ち")),
    "paid": Message(N_("支払い済み")),
    "refunded": Message(N_("返金済み")),
}
EVENT_KINDS = {
    "status": NP_("application history", "状態の変更"),
    "assign": NP_("application history", "担当者"),
    "payment": NP_("application history", "手数料"),
    "first_approval": NP_("application history", "一次承認"),
    "signature": NP_("application history", "電子署名"),
    "signature_check": NP_("application history", "電子署名の再確認"),
    "comment": NP_("application history", "コメント"),
    "internal_note": NP_("application history", "職員メモ"),
    "dispatch": NP_("application history", "郵送済（郵送しました）"),  # intake.dispatch
}


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
    return ymd_with_wareki(day)


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
        return [translate(locale, EMPTY)]
    kind = fld.type
    if kind in ("select", "radio"):
        return [_choice_label(fld, value, locale)]
    if kind == "checkbox":
        if fld.is_boolean:
            return [translate(locale, YES if value is True else NO)]
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
                lines = [translate(locale, EMPTY)]
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
    names = dict(IDENTITY_ITEMS)
    return [
        (translate(locale, names["name"]), signer.get("name", "")),
        (translate(locale, names["birth_date"]), date_text(born.isoformat(), locale) if born else birth),
        (translate(locale, names["sex"]), jpki.SEX_LABELS.get(signer.get("sex", ""), signer.get("sex", ""))),
        (translate(locale, names["address"]), signer.get("address", "")),
    ]


def identity_rows(identity: Mapping[str, bool | None] | None, locale: str) -> list[tuple[str, str, str]]:
    """(item, word, css modifier) for each compared item: 一致 / 不一致 / 未記入."""
    if identity is None:
        return []
    out = []
    for key, name in IDENTITY_ITEMS:
        if key not in identity:  # not compared (the form's signature.match leaves it out)
            continue
        result = identity.get(key)
        if key in OPTIONAL_ITEMS and result is None:
            continue
        out.append((translate(locale, name), translate(locale, IDENTITY_WORDS[result]),
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
    card = card_values(signer, locale)
    out: dict[str, dict[str, Any]] = {}
    for key, name in IDENTITY_ITEMS:
        result = identity.get(key)
        if result is None:
            continue
        text = translate(locale, N_("電子証明書と一致") if result else N_("電子証明書と不一致"))
        out[id_check.FIELDS[key][0]] = {"item": translate(locale, name), "ok": bool(result), "text": text,
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
        what = translate(locale, EVENT_KINDS[e.kind]) if e.kind in EVENT_KINDS else e.kind
        if e.kind == "status" and e.to_status:
            what = (f"{workflow.label(e.from_status, locale)} → {workflow.label(e.to_status, locale)}"
                    if e.from_status else workflow.label(e.to_status, locale))
        comments = json.loads(e.field_comments_json) if e.field_comments_json else {}
        actor = e.actor or ""
        if actor.startswith("staff:"):
            login = actor.split(":", 1)[1]
            actor = f"{staff_names.get(login, login)}（{login}）"
        elif actor == "resident":
            actor = translate(locale, NP_("history actor", "申請者"))
        elif actor == "system":
            actor = translate(locale, NP_("audit value", "システム"))
        out.append({"at": jst(e.at), "at_text": jst_text(e.at), "actor": actor, "kind": e.kind, "what": what,
                    "note": note_text(e, locale),
                    "comments": [(labels.get(fid, fid), text) for fid, text in comments.items()]})
    return out


def note_text(event: Any, locale: str) -> str:
    """Notes meant for people as they are; the machine notes of some events in words."""
    note = event.note or ""
    if event.kind == "payment" and note.startswith("fee_confirmed:"):
        amount = note.split(":", 1)[1]
        return translate(locale, N_("手数料を%(amount)s円に確定"), amount=f"{int(amount):,}")
    if event.kind == "payment" and note == "paid":
        return translate(locale, N_("手数料の支払いを確認"))
    if event.kind == "payment" and note.split(":", 1)[0] in ("refunded", "overpaid") and note.split(":", 1)[-1].isdigit():
        kind, amount = note.split(":", 1)
        if kind == "refunded":
            return translate(locale, N_("%(amount)s円を返金"), amount=f"{int(amount):,}")
        return translate(locale, N_("手数料より%(amount)s円多く支払われています（返金が必要）"), amount=f"{int(amount):,}")
    if event.kind == "status" and note == "resubmitted":
        return translate(locale, N_("補正して再提出"))
    if event.kind in ("signature", "signature_check") and note.startswith("{"):
        try:
            data = json.loads(note)
        except ValueError:
            return note
        if "superseded" in data:
            return translate(locale, N_("内容の変更で署名を取り消し（再署名が必要）"))
        if data.get("ok"):
            return translate(locale, N_("有効（失効していません）。証明書シリアル番号 %(serial)s"), serial=data.get("serial") or "")
        return translate(locale, N_("確認できませんでした：%(code)s"), code=str(data.get("code") or ""))
    return note
