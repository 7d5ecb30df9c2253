"""The statuses of an online application and the only transitions between them.

    resident:  draft → signed → submitted (受付)            ← payment at submission happens between
    staff:     submitted → reviewing (審査中) → correction (補正依頼) → submitted (re-signed resubmission)
               reviewing → approved (承認) → issued (発行済・郵送済) → completed (完了)
               submitted / reviewing / correction → rejected (却下) or withdrawn (取下げ, at the resident's request)
    resident:  withdraws (取下げ) by themselves only until processing starts (submitted at the latest)

Plain Python: no Flask, no database. ``check`` says why a transition is refused, in Japanese.
"""
from __future__ import annotations

from dataclasses import dataclass

DRAFT, SIGNED, SUBMITTED, REVIEWING, CORRECTION = "draft", "signed", "submitted", "reviewing", "correction"
APPROVED, ISSUED, COMPLETED, REJECTED, WITHDRAWN = "approved", "issued", "completed", "rejected", "withdrawn"
STATUSES = (DRAFT, SIGNED, SUBMITTED, REVIEWING, CORRECTION, APPROVED, ISSUED, COMPLETED, REJECTED, WITHDRAWN)
BEFORE_SUBMISSION = frozenset({DRAFT, SIGNED})
CLOSED = frozenset({COMPLETED, REJECTED, WITHDRAWN})
OPEN_FOR_STAFF = frozenset({SUBMITTED, REVIEWING, CORRECTION, APPROVED, ISSUED})

LABELS: dict[str, dict[str, str]] = {
    DRAFT: {"ja": "下書き", "en": "Draft", "easy": "したがき"},
    SIGNED: {"ja": "署名済み（未送信）", "en": "Signed, not sent", "easy": "しょめい ずみ（まだ おくって いません）"},
    SUBMITTED: {"ja": "受付", "en": "Received", "easy": "うけつけ しました"},
    REVIEWING: {"ja": "審査中", "en": "Under review", "easy": "しらべて います"},
    CORRECTION: {"ja": "補正依頼", "en": "Correction requested", "easy": "なおして ください"},
    APPROVED: {"ja": "承認", "en": "Approved", "easy": "みとめられました"},
    ISSUED: {"ja": "発行済・郵送済", "en": "Issued / posted", "easy": "だしました・おくりました"},
    COMPLETED: {"ja": "完了", "en": "Completed", "easy": "おわりました"},
    REJECTED: {"ja": "却下", "en": "Rejected", "easy": "みとめられませんでした"},
    WITHDRAWN: {"ja": "取下げ", "en": "Withdrawn", "easy": "とりさげました"},
}

# what each status means for the resident (shown on the status page and in the e-mail)
RESIDENT_TEXT: dict[str, dict[str, str]] = {
    SUBMITTED: {"ja": "申請を受け付けました。担当課が内容を確認します。", "en": "We have received your application. The department will check it."},
    REVIEWING: {"ja": "担当課が内容を確認しています。", "en": "The department is checking your application."},
    CORRECTION: {"ja": "申請内容に直してほしいところがあります。状態のページで内容を確認し、直して送り直してください。",
                 "en": "Something in your application needs correcting. Open the status page, correct it and send it again."},
    APPROVED: {"ja": "申請が承認されました。発行・郵送の準備をしています。", "en": "Your application has been approved. We are preparing it."},
    ISSUED: {"ja": "発行しました。郵送の場合は数日で届きます。窓口受け取りの場合は本人確認書類を持って来てください。",
             "en": "Issued. By post it arrives in a few days; for pick-up, bring an identity document."},
    COMPLETED: {"ja": "手続きが完了しました。", "en": "The procedure is complete."},
    REJECTED: {"ja": "申請は認められませんでした。理由は状態のページで確認できます。", "en": "The application was not accepted. The reason is on the status page."},
    WITHDRAWN: {"ja": "申請を取り下げました。", "en": "The application has been withdrawn."},
}

STAFF, RESIDENT, SYSTEM = "staff", "resident", "system"

# (from, to) -> who may make the move
TRANSITIONS: dict[tuple[str, str], frozenset[str]] = {
    (DRAFT, SIGNED): frozenset({RESIDENT}),
    (SIGNED, SUBMITTED): frozenset({RESIDENT, SYSTEM}),  # SYSTEM: the payment webhook completes the submit
    (SUBMITTED, REVIEWING): frozenset({STAFF}),
    (REVIEWING, CORRECTION): frozenset({STAFF}),
    (CORRECTION, SUBMITTED): frozenset({RESIDENT}),  # resubmitted, signed again
    (REVIEWING, APPROVED): frozenset({STAFF}),
    (APPROVED, ISSUED): frozenset({STAFF}),
    (ISSUED, COMPLETED): frozenset({STAFF}),
    (SUBMITTED, REJECTED): frozenset({STAFF}),
    (REVIEWING, REJECTED): frozenset({STAFF}),
    (CORRECTION, REJECTED): frozenset({STAFF}),
    (DRAFT, WITHDRAWN): frozenset({RESIDENT}),
    (SIGNED, WITHDRAWN): frozenset({RESIDENT}),
    (SUBMITTED, WITHDRAWN): frozenset({RESIDENT, STAFF}),
    (REVIEWING, WITHDRAWN): frozenset({STAFF}),  # on the resident's request, by phone or at the counter
    (CORRECTION, WITHDRAWN): frozenset({STAFF}),
}


@dataclass(frozen=True)
class Refusal:
    code: str
    message_ja: str
    message_en: str


def next_statuses(current: str, who: str) -> list[str]:
    """The statuses ``who`` may move an application to from ``current``, in display order."""
    return [to for to in STATUSES if who in TRANSITIONS.get((current, to), frozenset())]


def check(current: str, to: str, who: str, *, payment_state: str = "none",
          needs_second_approver: bool = False, first_approver_id: int | None = None,
          staff_id: int | None = None, note: str = "") -> Refusal | None:
    """None when the move is allowed; otherwise why not (a code and what to do)."""
    if who not in TRANSITIONS.get((current, to), frozenset()):
        return Refusal("transition_not_allowed",
                       f"「{LABELS[current]['ja']}」から「{LABELS[to]['ja']}」には変更できません。",
                       f"An application cannot move from “{LABELS[current]['en']}” to “{LABELS[to]['en']}”.")
    if to == APPROVED and payment_state == "due":
        return Refusal("payment_due", "手数料のお支払いが済んでから承認してください。",
                       "Approve once the fee has been paid.")
    if to == APPROVED and needs_second_approver:
        if first_approver_id is None:
            return Refusal("first_approval_missing", "この手続きは2人で承認します。先に一次承認をしてください。",
                           "This procedure needs two approvers: record the first approval first.")
        if staff_id is not None and staff_id == first_approver_id:
            return Refusal("same_approver", "一次承認をした人とは別の職員が承認してください。",
                           "The final approval must be made by someone other than the first approver.")
    if to in (REJECTED, CORRECTION) and who == STAFF and not note.strip():
        return Refusal("reason_required", "理由を書いてください。住民に伝わります。",
                       "Write the reason; the resident will see it.")
    return None


def resident_may_withdraw(current: str) -> bool:
    return RESIDENT in TRANSITIONS.get((current, WITHDRAWN), frozenset())


def label(status: str, locale: str = "ja") -> str:
    return LABELS.get(status, {}).get(locale) or LABELS.get(status, {}).get("ja", status)
