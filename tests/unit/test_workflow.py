"""The application statuses: only the listed moves, by the listed people, with their guards."""
import pytest

from intake import workflow as wf


def test_every_status_has_labels_in_three_registers():
    for status in wf.STATUSES:
        ja, en, easy = (wf.label(status, loc) for loc in ("ja", "en", "easy"))
        assert ja != en and en.isascii() and easy != ja, status  # each register from its catalog


def test_closed_statuses_have_no_way_out():
    for (start, _to) in wf.TRANSITIONS:
        assert start not in wf.CLOSED


def test_every_status_is_reachable_from_a_draft():
    seen, todo = {wf.DRAFT}, [wf.DRAFT]
    while todo:
        here = todo.pop()
        for (start, to) in wf.TRANSITIONS:
            if start == here and to not in seen:
                seen.add(to)
                todo.append(to)
    assert seen == set(wf.STATUSES)


@pytest.mark.parametrize(("start", "to", "who"), [
    (wf.SUBMITTED, wf.APPROVED, wf.STAFF),  # review comes first
    (wf.REVIEWING, wf.APPROVED, wf.RESIDENT),  # residents never approve
    (wf.APPROVED, wf.SUBMITTED, wf.STAFF),  # never backwards
    (wf.REVIEWING, wf.WITHDRAWN, wf.RESIDENT),  # processing has started
    (wf.COMPLETED, wf.REVIEWING, wf.STAFF),
])
def test_moves_not_in_the_table_are_refused(start, to, who):
    refusal = wf.check(start, to, who)
    assert refusal is not None and refusal.code == "transition_not_allowed"
    assert wf.LABELS[start]["ja"] in refusal.message.text("ja")


def test_approval_waits_for_the_fee():
    assert wf.check(wf.REVIEWING, wf.APPROVED, wf.STAFF, payment_state="due").code == "payment_due"
    assert wf.check(wf.REVIEWING, wf.APPROVED, wf.STAFF, payment_state="paid") is None


def test_second_approver_must_be_someone_else():
    assert wf.check(wf.REVIEWING, wf.APPROVED, wf.STAFF, needs_second_approver=True).code == "first_approval_missing"
    assert wf.check(wf.REVIEWING, wf.APPROVED, wf.STAFF, needs_second_approver=True,
                    first_approver_id=7, staff_id=7).code == "same_approver"
    assert wf.check(wf.REVIEWING, wf.APPROVED, wf.STAFF, needs_second_approver=True,
                    first_approver_id=7, staff_id=8) is None


@pytest.mark.parametrize("to", [wf.CORRECTION, wf.REJECTED])
def test_staff_give_a_reason_for_a_correction_or_a_rejection(to):
    assert wf.check(wf.REVIEWING, to, wf.STAFF, note="  ").code == "reason_required"
    assert wf.check(wf.REVIEWING, to, wf.STAFF, note="本籍の記入がありません。") is None


def test_residents_withdraw_only_before_processing_starts():
    assert [s for s in wf.STATUSES if wf.resident_may_withdraw(s)] == [wf.DRAFT, wf.SIGNED, wf.SUBMITTED]


def test_next_statuses_for_staff_in_display_order():
    assert wf.next_statuses(wf.REVIEWING, wf.STAFF) == [wf.CORRECTION, wf.APPROVED, wf.REJECTED, wf.WITHDRAWN]
    assert wf.label(wf.ISSUED, "en") == "Issued / posted" and wf.label("unknown") == "unknown"
