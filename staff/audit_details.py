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

from intake import workflow

Words = Mapping[str, str]

# the keys of ``details`` written by audit.record(...) calls, and of the filters they carry
KEY_LABELS: dict[str, Words] = {
    "after": {"ja": "変更後", "en": "After"},
    "amount": {"ja": "金額（円）", "en": "Amount (yen)"},
    "application": {"ja": "申請", "en": "Application"},
    "assignee": {"ja": "担当者", "en": "Assignee"},
    "attachment": {"ja": "添付ファイル", "en": "Attachment"},
    "before": {"ja": "変更前", "en": "Before"},
    "by": {"ja": "操作した人", "en": "By"},
    "change": {"ja": "変更の内容", "en": "Change"},
    "channel": {"ja": "受付の経路", "en": "Channel"},
    "code": {"ja": "理由の区分", "en": "Reason code"},
    "code_points": {"ja": "文字コード", "en": "Code points"},
    "count": {"ja": "件数", "en": "Count"},
    "counter": {"ja": "窓口", "en": "Counter"},
    "department": {"ja": "担当課", "en": "Department"},
    "departments": {"ja": "担当課", "en": "Departments"},
    "event": {"ja": "ライフイベント", "en": "Life event"},
    "field": {"ja": "項目", "en": "Field"},
    "fields": {"ja": "項目", "en": "Fields"},
    "file": {"ja": "ファイル名", "en": "File name"},
    "filters": {"ja": "検索条件", "en": "Filters"},
    "format": {"ja": "形式", "en": "Format"},
    "from": {"ja": "開始日", "en": "From"},
    "to": {"ja": "終了日", "en": "To"},
    "kid": {"ja": "鍵の番号", "en": "Key id"},
    "kind": {"ja": "種類", "en": "Kind"},
    "next_cursor": {"ja": "次の取得位置", "en": "Next cursor"},
    "numbers": {"ja": "受付番号", "en": "Receipt numbers"},
    "receipt_numbers": {"ja": "受付番号", "en": "Receipt numbers"},
    "receipt": {"ja": "受付番号", "en": "Receipt number"},
    "override": {"ja": "予定の変更", "en": "Calendar change"},
    "page": {"ja": "ページ", "en": "Page"},
    "payment": {"ja": "支払い", "en": "Payment"},
    "procedure": {"ja": "手続き", "en": "Procedure"},
    "reason": {"ja": "理由", "en": "Reason"},
    "refunded_before": {"ja": "返金済みだった", "en": "Already refunded"},
    "refused": {"ja": "断った", "en": "Refused"},
    "returned": {"ja": "返した件数", "en": "Returned"},
    "role": {"ja": "役割", "en": "Role"},
    "serial": {"ja": "証明書のシリアル番号", "en": "Certificate serial"},
    "service": {"ja": "サービス", "en": "Service"},
    "sha256": {"ja": "SHA-256", "en": "SHA-256"},
    "site": {"ja": "庁舎", "en": "Site"},
    "start": {"ja": "開始", "en": "Start"},
    "step": {"ja": "段階", "en": "Step"},
    "values": {"ja": "値", "en": "Values"},
    "status": {"ja": "状態", "en": "Status"},
    "q": {"ja": "検索語", "en": "Search words"},
    "actor": {"ja": "操作者", "en": "Actor"},
    "action": {"ja": "操作", "en": "Action"},
    "target": {"ja": "対象", "en": "Target"},
    "ip": {"ja": "IPアドレス", "en": "IP address"},
    "result": {"ja": "結果", "en": "Result"},
    "day": {"ja": "日", "en": "Day"},
    "encoding": {"ja": "文字コード", "en": "Encoding"},
    "login_id": {"ja": "ログインID", "en": "Login id"},
    "active": {"ja": "有効", "en": "Active"},
    "display_name": {"ja": "表示名", "en": "Display name"},
    "email": {"ja": "メールアドレス", "en": "E-mail"},
    "bulk": {"ja": "一括操作", "en": "Bulk action"},
    "done": {"ja": "処理した申請", "en": "Done"},
}

# code-like values (formats, changes, reasons, roles, results) in words
VALUE_WORDS: dict[str, Words] = {
    "csv": {"ja": "CSV（UTF-8）", "en": "CSV (UTF-8)"},
    "assign_me": {"ja": "自分が担当する", "en": "Assign to me"},
    "assign": {"ja": "担当者を決める", "en": "Assign"},
    "posted": {"ja": "郵送済みにする", "en": "Mark as posted"},
    "csv-shift_jis": {"ja": "CSV（Shift_JIS）", "en": "CSV (Shift_JIS)"},
    "shift_jis": {"ja": "Shift_JIS", "en": "Shift_JIS"},
    "json": {"ja": "JSON", "en": "JSON"},
    "print": {"ja": "印刷", "en": "Print"},
    "labels": {"ja": "宛名ラベル", "en": "Address labels"},
    "dispatch": {"ja": "発送一覧", "en": "Dispatch list"},
    "created": {"ja": "作成", "en": "Created"},
    "set": {"ja": "設定", "en": "Set"},
    "removed": {"ja": "削除", "en": "Removed"},
    "password_reset": {"ja": "パスワードの再発行", "en": "Password reset"},
    "unlocked": {"ja": "ロックの解除", "en": "Unlocked"},
    "keys.rotate": {"ja": "鍵の更新", "en": "Key rotation"},
    "totp": {"ja": "確認コード（2段階認証）", "en": "One-time code"},
    "password": {"ja": "パスワード", "en": "Password"},
    "digest": {"ja": "ファイルのハッシュ値が一致しない", "en": "File digest mismatch"},
    "missing": {"ja": "なし", "en": "Missing"},
    "invalid_or_expired": {"ja": "無効または期限切れ", "en": "Invalid or expired"},
    "shift_jis_unmappable": {"ja": "Shift_JISにない文字がある", "en": "Characters not in Shift_JIS"},
    "phone": {"ja": "電話", "en": "Phone"},
    "web": {"ja": "インターネット", "en": "Web"},
    "counter": {"ja": "窓口", "en": "Counter"},
    "ok": {"ja": "成功", "en": "Succeeded"},
    "denied": {"ja": "拒否", "en": "Denied"},
    "failed": {"ja": "失敗", "en": "Failed"},
    "admin": {"ja": "システム管理者", "en": "System administrator"},
    "department": {"ja": "所管課職員", "en": "Department staff"},
    "auditor": {"ja": "監査担当", "en": "Auditor"},
    "curator": {"ja": "コンテンツ管理者", "en": "Content curator"},
    "backoffice": {"ja": "連携システム", "en": "Back-office system"},
    "anonymous": {"ja": "ログイン前", "en": "Not logged in"},
    "system": {"ja": "システム", "en": "System"},
    # the inbox filters (staff/applications_inbox.py) and the application statuses
    "open": {"ja": "対応中（受付〜発行済）", "en": "Open (received to issued)"},
    "all": {"ja": "すべて", "en": "All"},
    "anyone": {"ja": "だれでも", "en": "Anyone"},
    "me": {"ja": "自分", "en": "Me"},
    "unassigned": {"ja": "担当者なし", "en": "Unassigned"},
    **{code: {"ja": words["ja"], "en": words["en"]} for code, words in workflow.LABELS.items()},
}
# keys whose values are identifiers or free text: shown as they are, never translated
LITERAL_KEYS = frozenset({"file", "receipt", "receipt_numbers", "numbers", "serial", "sha256", "kid",
                          "next_cursor", "application", "attachment", "q", "actor", "target", "ip",
                          "login_id", "display_name", "email", "code_points", "by"})
# targets written as a word (not a receipt number or path) in words
TARGET_WORDS: dict[str, Words] = {
    "inbox": {"ja": "申請の一覧", "en": "Applications list"},
    "audit_log": {"ja": "監査ログ", "en": "Audit log"},
    "usage_count": {"ja": "利用統計", "en": "Usage statistics"},
    "application_stats": {"ja": "申請の統計", "en": "Application statistics"},
    "reservation_stats": {"ja": "窓口予約の統計", "en": "Reservation statistics"},
    "data_keys": {"ja": "暗号化の鍵", "en": "Encryption keys"},
    "knowledge": {"ja": "コンテンツ（ルールと手続き）", "en": "Content (rules and procedures)"},
}
YES_NO = {"ja": ("はい", "いいえ"), "en": ("Yes", "No")}
EMPTY = {"ja": "（なし）", "en": "(none)"}
LIST_SHOWN = 20


def _w(words: Words, locale: str) -> str:
    return words.get(locale) or words["ja"]


def target_name(target: str, locale: str) -> str:
    """A target written as a word, in words; "" for receipt numbers, paths and the like."""
    words = TARGET_WORDS.get(target)
    return _w(words, locale) if words else ""


def key_label(key: str, locale: str) -> str:
    words = KEY_LABELS.get(key)
    if words is not None:
        return _w(words, locale)
    return f"Other ({key})" if locale == "en" else f"その他（{key}）"


def value_text(value: Any, locale: str, *, literal: bool = False, words: Mapping[str, Words] | None = None) -> str:
    """One value in words: booleans as はい/いいえ, lists joined, nested mappings as 「label：value」."""
    sep = ", " if locale == "en" else "、"
    if value is None or value == "" or value == [] or value == {}:
        return _w(EMPTY, locale)
    if isinstance(value, bool):
        yes, no = YES_NO["en" if locale == "en" else "ja"]
        return yes if value else no
    if isinstance(value, int | float):
        return f"{value:,}" if isinstance(value, int) and not literal else str(value)
    if isinstance(value, list):
        shown = [value_text(v, locale, literal=literal, words=words) for v in value[:LIST_SHOWN]]
        more = len(value) - LIST_SHOWN
        if more > 0:
            shown.append(f"… (+{more})" if locale == "en" else f"ほか{more}件")
        return sep.join(shown)
    if isinstance(value, Mapping):
        return sep.join(f"{key_label(str(k), locale)}{': ' if locale == 'en' else '：'}"
                        f"{value_text(v, locale, literal=str(k) in LITERAL_KEYS, words=words)}"
                        for k, v in value.items())
    text = str(value)
    if not literal:
        table = {**VALUE_WORDS, **(words or {})}
        if text in table:
            return _w(table[text], locale)
    return text


def detail_lines(details_json: str | None, locale: str = "ja",
                 words: Mapping[str, Words] | None = None) -> list[tuple[str, str]]:
    """(label, text) for each key of an audit record's details; [] when there are none.
    ``words``: more value names (e.g. procedure and status ids → names) from the caller."""
    if not details_json or details_json in ("{}", "null"):
        return []
    try:
        details = json.loads(details_json)
    except ValueError:
        return [(key_label("values", locale), details_json)]
    if not isinstance(details, Mapping):
        return [(key_label("values", locale), value_text(details, locale))]
    return [(key_label(str(k), locale), value_text(v, locale, literal=str(k) in LITERAL_KEYS, words=words))
            for k, v in details.items()]


def details_text(details_json: str | None, locale: str = "ja", words: Mapping[str, Words] | None = None) -> str:
    """The same lines as one cell of text (the audit CSV): 「label：text」 joined by line breaks."""
    colon = ": " if locale == "en" else "："
    return "\n".join(f"{label}{colon}{text}" for label, text in detail_lines(details_json, locale, words))
