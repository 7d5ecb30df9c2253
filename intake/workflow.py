"""The statuses of an online application and the only transitions between them.

    resident:  draft → signed → submitted (受付)            ← payment at submission happens between
    staff:     submitted → reviewing (審査中) → correction (補正依頼) → submitted (re-signed resubmission)
               reviewing → approved (承認) → issued (発行済・郵送済) → completed (完了)
               submitted / reviewing / correction → rejected (却下) or withdrawn (取下げ, at the resident's request)
    resident:  withdraws (取下げ) by themselves only until processing starts (submitted at the latest)

Plain Python: no Flask, no database. ``check`` says why a transition is refused, in words for any locale.
"""
from __future__ import annotations

from dataclasses import dataclass

from core.words import N_, NP_, Message

DRAFT, SIGNED, SUBMITTED, REVIEWING, CORRECTION = "draft", "signed", "submitted", "reviewing", "correction"
APPROVED, ISSUED, COMPLETED, REJECTED, WITHDRAWN = "approved", "issued", "completed", "rejected", "withdrawn"
STATUSES = (DRAFT, SIGNED, SUBMITTED, REVIEWING, CORRECTION, APPROVED, ISSUED, COMPLETED, REJECTED, WITHDRAWN)
BEFORE_SUBMISSION = frozenset({DRAFT, SIGNED})
CLOSED = frozenset({COMPLETED, REJECTED, WITHDRAWN})
OPEN_FOR_STAFF = frozenset({SUBMITTED, REVIEWING, CORRECTION, APPROVED, ISSUED})

LABELS: dict[str, Message] = {  # msgctxt: 「受付」 is "Received" here, "Check in" at a counter
    DRAFT: Message(NP_("application status", "下書き")),
    SIGNED: Message(NP_("application status", "署名済み（未送信）")),
    SUBMITTED: Message(NP_("application status", "受付")),
    REVIEWING: Message(NP_("application status", "審査中")),
    CORRECTION: Message(NP_("application status", "補正依頼")),
    APPROVED: Message(NP_("application status", "承認")),
    ISSUED: Message(NP_("application status", "発行済・郵送済")),
    COMPLETED: Message(NP_("application status", "完了")),
    REJECTED: Message(NP_("application status", "却下")),
    WITHDRAWN: Message(NP_("application status", "取下げ")),
}

# what each status means for the resident (shown on the status page and in the e-mail)
RESIDENT_TEXT: dict[str, Message] = {
    SUBMITTED: Message(N_("申請を受け付けました。担当課が内容を確認します。")),
    REVIEWING: Message(N_("担当課が内容を確認しています。")),
    CORRECTION: Message(N_("申請内容に直してほしいところがあります。状態のページで内容を確認し、直して送り直してください。")),
    APPROVED: Message(N_("申請が承認されました。発行・郵送の準備をしています。")),
    ISSUED: Message(N_("発行しました。郵送の場合は数日で届きます。窓口受け取りの場合は本人確認書類を持って来てください。")),
    COMPLETED: Message(N_("手続きが完了しました。")),
    REJECTED: Message(N_("申請は認められませんでした。理由は状態のページで確認できます。")),
    WITHDRAWN: Message(N_("申請を取り下げました。")),
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
    message: Message  # read in its reader's language: ``message.text(locale)``


def next_statuses(current: str, who: str) -> list[str]:
    """The statuses ``who`` may move an application to from ``current``, in display order."""
    return [to for to in STATUSES if who in TRANSITIONS.get((current, to), frozenset())]


def check(current: str, to: str, who: str, *, payment_state: str = "none",
          needs_second_approver: bool = False, first_approver_id: int | None = None,
          staff_id: int | None = None, note: str = "") -> Refusal | None:
    """None when the move is allowed; otherwise why not (a code and what to do)."""
    if who not in TRANSITIONS.get((current, to), frozenset()):
        return Refusal("transition_not_allowed", Message(N_("「%(current)s」から「%(to)s」には変更できません。"),
                                                         current=LABELS[current], to=LABELS[to]))
    if to == APPROVED and payment_state == "due":
        return Refusal("payment_due", Message(N_("手数料のお支払いが済んでから承認してください。")))
    if to == APPROVED and needs_second_approver:
        if first_approver_id is None:
            return Refusal("first_approval_missing",
                           Message(N_("この手続きは2人で承認します。先に一次承認をしてください。")))
        if staff_id is not None and staff_id == first_approver_id:
            return Refusal("same_approver", Message(N_("一次承認をした人とは別の職員が承認してください。")))
    if to in (REJECTED, CORRECTION) and who == STAFF and not note.strip():
        return Refusal("reason_required", Message(N_("理由を書いてください。住民に伝わります。")))
    return None


def resident_may_withdraw(current: str) -> bool:
    return RESIDENT in TRANSITIONS.get((current, WITHDRAWN), frozenset())


def label(status: str, locale: str = "ja") -> str:
    words = LABELS.get(status)
    return words.text(locale) if words is not None else status
