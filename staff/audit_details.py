"""The details of an audit record (stored as JSON) in words for the auditors' console and its CSV:
each key with a Japanese (or English) label and each code-like value in words, so that no raw
JSON or code such as ``csv-shift_jis`` or ``password_reset`` reaches the auditor. Plain Python
(no Flask, no database).

    detail_lines('{"format": "csv", "count": 3}', "ja") → [("形式", "CSV（UTF-8）"), ("件数", "3")]
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from core.words import N_, NP_, Msgid
from core.words import text as translate
from intake import workflow

Words = Mapping[str, str]  # content with a field per language (a pack's names), from the caller

# the keys of ``details`` written by audit.record(...) calls, and of the filters they carry
KEY_LABELS: dict[str, Msgid] = {
    "after": NP_("audit record", "変更後"),
    "amount": NP_("audit record", "金額（円）"),
    "application": NP_("audit record", "申請"),
    "assignee": NP_("audit record", "担当者"),
    "attachment": NP_("audit record", "添付ファイル"),
    "before": NP_("audit record", "変更前"),
    "by": NP_("audit record", "操作した人"),
    "change": NP_("audit record", "変更の内容"),
    "channel": NP_("audit record", "受付の経路"),
    "code": NP_("audit record", "理由の区分"),
    "code_points": NP_("audit record", "文字コード"),
    "count": NP_("audit record", "件数"),
    "counter": NP_("audit record", "窓口"),
    "department": NP_("audit record", "担当課"),
    "departments": NP_("audit record, several", "担当課"),
    "event": NP_("audit record", "ライフイベント"),
    "field": NP_("audit record", "項目"),
    "fields": NP_("audit record, several", "項目"),
    "file": NP_("audit record", "ファイル名"),
    "filters": NP_("audit record", "検索条件"),
    "format": NP_("audit record", "形式"),
    "from": NP_("audit record", "開始日"),
    "to": NP_("audit record", "終了日"),
    "kid": NP_("audit record", "鍵の番号"),
    "kind": NP_("audit record", "種類"),
    "next_cursor": NP_("audit record", "次の取得位置"),
    "numbers": NP_("audit record, several", "受付番号"),
    "receipt_numbers": NP_("audit record, several", "受付番号"),
    "receipt": NP_("audit record", "受付番号"),
    "override": NP_("audit record", "予定の変更"),
    "page": NP_("audit record", "ページ"),
    "payment": NP_("audit record", "支払い"),
    "procedure": NP_("audit record", "手続き"),
    "reason": NP_("audit record", "理由"),
    "base": NP_("audit record", "元の版"),  # content.publish / rollback (staff/content.py)
    "restores": NP_("audit record", "戻した版"),
    "effective_from": NP_("audit record", "使い始める日時"),
    "problems": NP_("audit record", "問題の数"),
    "first": NP_("audit record", "最初の問題"),
    "ruleset_version": NP_("audit record", "ルールの版"),
    "refunded_before": NP_("audit record", "返金済みだった"),
    "refused": NP_("audit record", "断った"),
    "returned": NP_("audit record", "返した件数"),
    "revision": NP_("audit record", "提出の回数"),
    "idempotent_replay": NP_("audit record", "同じ要求の再送"),
    "map": NP_("audit record", "状態の対応表"),
    "url": NP_("audit record", "通知先URL"),
    "role": NP_("audit record", "役割"),
    "serial": NP_("audit record", "証明書のシリアル番号"),
    "service": NP_("audit record", "サービス"),
    "sha256": NP_("audit record", "SHA-256"),
    "site": NP_("audit record", "庁舎"),
    "start": NP_("audit record", "開始"),
    "step": NP_("audit record", "段階"),
    "values": NP_("audit record", "値"),
    "status": NP_("audit record", "状態"),
    "q": NP_("audit record", "検索語"),
    "actor": NP_("audit record", "操作者"),
    "action": NP_("audit record", "操作"),
    "target": NP_("audit record", "対象"),
    "ip": NP_("audit record", "IPアドレス"),
    "result": NP_("audit record", "結果"),
    "day": NP_("audit record", "日"),
    "encoding": NP_("audit record, encoding", "文字コード"),
    "login_id": NP_("audit record", "ログインID"),
    "active": NP_("audit record", "有効"),
    "display_name": NP_("audit record", "表示名"),
    "email": NP_("audit record", "メールアドレス"),
    "bulk": NP_("audit record", "一括操作"),
    "done": NP_("audit record", "処理した申請"),
    "incident_status": NP_("audit record", "障害の状況"),  # the incident register (staff/incidents.py)
    "was": NP_("audit record", "変更前の状況"),
    "alert": NP_("audit record", "警告の番号"),
    "year": NP_("audit record", "年度"),
    "tables": NP_("audit record", "テーブルの数"),
    "sums_sha256": NP_("audit record", "SHA256SUMSのSHA-256"),
    "forms": NP_("audit record, several", "書類"),  # a visit's print-out (staff/visit_counter_views.py)
    "household": NP_("audit record", "事前入力あり"),
    "days": NP_("audit record", "保存する日数"),
    "visit": NP_("audit record", "まとめて予約の受付番号"),
    "stop": NP_("audit record", "まとめて予約の何番目の窓口"),
    "scope": NP_("audit record", "取り消した範囲"),
    "visit_cancelled": NP_("audit record", "まとめて予約の全体が取消し"),
    "member": NP_("audit record", "何人目"),  # a visit's member changed at the counter
}
# keys whose meaning depends on the action: "from"/"to" are dates in exports and searches, but the
# statuses before and after in a status change
ACTION_KEY_LABELS: dict[str, dict[str, Msgid]] = {
    action: {"from": NP_("audit record", "変更前の状態"), "to": NP_("audit record", "変更後の状態")}
    for action in ("application.status", "backoffice.status_change")
}

# code-like values (formats, changes, reasons, roles, results) in words
VALUE_WORDS: dict[str, Msgid] = {
    "csv": NP_("audit value", "CSV（UTF-8）"),
    "assign_me": NP_("audit value", "自分が担当する"),
    "assign": NP_("audit value", "担当者を決める"),
    "posted": NP_("audit value", "郵送済みにする"),
    "csv-shift_jis": NP_("audit value", "CSV（Shift_JIS）"),
    "shift_jis": NP_("audit value", "Shift_JIS"),
    "json": NP_("audit value", "JSON"),
    "print": NP_("audit value", "印刷"),
    "labels": NP_("audit value", "宛名ラベル"),
    "dispatch": NP_("audit value", "発送一覧"),
    "created": NP_("audit value", "作成"),
    "set": NP_("audit value", "設定"),
    "removed": NP_("audit value", "削除"),
    "password_reset": NP_("audit value", "パスワードの再発行"),
    "unlocked": NP_("audit value", "ロックの解除"),
    "keys.rotate": NP_("audit value", "鍵の更新"),
    "totp": NP_("audit value", "確認コード（2段階認証）"),
    "password": NP_("audit value", "パスワード"),
    "digest": NP_("audit value", "ファイルのハッシュ値が一致しない"),
    "missing": NP_("audit value", "なし"),
    "invalid_or_expired": NP_("audit value", "無効または期限切れ"),
    "shift_jis_unmappable": NP_("audit value", "Shift_JISにない文字がある"),
    "phone": NP_("audit value", "電話"),
    "web": NP_("audit value", "インターネット"),
    "counter": NP_("audit value", "窓口"),
    "add": NP_("audit value", "人を追加"),
    "not_moving": NP_("audit value", "引っ越さない"),
    "moving": NP_("audit value", "引っ越す"),
    "remove": NP_("audit value", "世帯から外す"),
    "ok": NP_("audit value", "成功"),
    "denied": NP_("audit value", "拒否"),
    "failed": NP_("audit value", "失敗"),
    "admin": NP_("audit value", "システム管理者"),
    "department": NP_("audit value", "所管課職員"),
    "auditor": NP_("audit value", "監査担当"),
    "curator": NP_("audit value", "コンテンツ管理者"),
    "backoffice": NP_("audit value", "連携システム"),
    "anonymous": NP_("audit value", "ログイン前"),
    "system": NP_("audit value", "システム"),
    # the inbox filters (staff/applications_inbox.py) and the application statuses
    "open": NP_("audit value", "対応中（受付〜発行済）"),
    "all": NP_("audit value", "すべて"),
    "anyone": NP_("audit value", "だれでも"),
    "incident.open": NP_("audit value", "対応中"),
    "incident.recovered": NP_("audit value", "復旧済み"),
    "incident.closed": NP_("audit value", "完了"),
    "me": NP_("audit value", "自分"),
    "unassigned": NP_("audit value", "担当者なし"),
    "stop": NP_("audit value", "この窓口だけ"),
    "whole_visit": NP_("audit value", "まとめて予約のすべての窓口"),
    **{code: words.msgid for code, words in workflow.LABELS.items()},
}
# keys whose values are identifiers or free text: shown as they are, never translated
LITERAL_KEYS = frozenset({"alert", "year", "file", "receipt", "receipt_numbers", "numbers", "serial", "sha256", "kid",
                          "next_cursor", "application", "attachment", "q", "actor", "target", "ip",
                          "login_id", "display_name", "email", "code_points", "by", "forms", "field",
                          "sums_sha256", "visit", "url"})
# targets written as a word (not a receipt number or path) in words
TARGET_WORDS: dict[str, Msgid] = {
    "inbox": NP_("audit target", "申請の一覧"),
    "audit_log": NP_("audit target", "監査ログ"),
    "usage_count": NP_("audit target", "利用統計"),
    "application_stats": NP_("audit target", "申請の統計"),
    "reservation_stats": NP_("audit target", "窓口予約の統計"),
    "data_keys": NP_("audit target", "暗号化の鍵"),
    "knowledge": NP_("audit target", "コンテンツ（ルールと手続き）"),
    "all_data": NP_("audit target", "全データ"),
    "backup": NP_("audit target", "バックアップ"),
    "visit_prefill": NP_("audit target", "事前入力（まとめて予約）"),
}
YES, NO = N_("はい"), N_("いいえ")
EMPTY = N_("（なし）")
LIST_SHOWN = 20


def _w(words: Words, locale: str) -> str:
    return words.get(locale) or words["ja"]


def target_name(target: str, locale: str) -> str:
    """A target written as a word, in words; "" for receipt numbers, paths and the like."""
    msgid = TARGET_WORDS.get(target)
    return translate(locale, msgid) if msgid else ""


def key_label(key: str, locale: str, action: str | None = None) -> str:
    msgid = ACTION_KEY_LABELS.get(action or "", {}).get(key) or KEY_LABELS.get(key)
    if msgid is not None:
        return translate(locale, msgid)
    return translate(locale, N_("その他（%(key)s）"), key=key)


def _labelled(label: str, value: str, locale: str) -> str:
    return translate(locale, N_("%(label)s：%(value)s"), label=label, value=value)


def value_text(value: Any, locale: str, *, literal: bool = False, words: Mapping[str, Words] | None = None) -> str:
    """One value in words: booleans as はい/いいえ, lists joined, nested mappings as 「label：value」."""
    sep = translate(locale, N_("、"))
    if value is None or value == "" or value == [] or value == {}:
        return translate(locale, EMPTY)
    if isinstance(value, bool):
        return translate(locale, YES if value else NO)
    if isinstance(value, int | float):
        return f"{value:,}" if isinstance(value, int) and not literal else str(value)
    if isinstance(value, list):
        shown = [value_text(v, locale, literal=literal, words=words) for v in value[:LIST_SHOWN]]
        more = len(value) - LIST_SHOWN
        if more > 0:
            shown.append(translate(locale, N_("ほか%(more)s件"), more=more))
        return sep.join(shown)
    if isinstance(value, Mapping):
        return sep.join(_labelled(key_label(str(k), locale),
                                  value_text(v, locale, literal=str(k) in LITERAL_KEYS, words=words), locale)
                        for k, v in value.items())
    text = str(value)
    if not literal:
        if words and text in words:  # the caller's names first (they may name a status otherwise)
            return _w(words[text], locale)
        if text in VALUE_WORDS:
            return translate(locale, VALUE_WORDS[text])
    return text


def detail_lines(details_json: str | None, locale: str = "ja",
                 words: Mapping[str, Words] | None = None, action: str | None = None) -> list[tuple[str, str]]:
    """(label, text) for each key of an audit record's details; [] when there are none.
    ``words``: more value names (e.g. procedure and status ids → names) from the caller;
    ``action``: the record's action, for the keys whose meaning depends on it (ACTION_KEY_LABELS)."""
    if not details_json or details_json in ("{}", "null"):
        return []
    try:
        details = json.loads(details_json)
    except ValueError:
        return [(key_label("values", locale), details_json)]
    if not isinstance(details, Mapping):
        return [(key_label("values", locale), value_text(details, locale))]
    return [(key_label(str(k), locale, action), value_text(v, locale, literal=str(k) in LITERAL_KEYS, words=words))
            for k, v in details.items()]


def details_text(details_json: str | None, locale: str = "ja", words: Mapping[str, Words] | None = None,
                 action: str | None = None) -> str:
    """The same lines as one cell of text (the audit CSV): 「label：text」 joined by line breaks."""
    return "\n".join(_labelled(label, text, locale)
                     for label, text in detail_lines(details_json, locale, words, action))
