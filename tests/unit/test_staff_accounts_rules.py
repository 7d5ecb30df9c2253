"""The account rules without Flask (staff/accounts.py): departments from the pack only, required
for department and counter staff, kept in the pack's order; what an administrator may not do
to their own account."""
import pytest

from core import policy
from staff.accounts import AccountProblem, clean_departments, self_change_problem

PACK = ["shimin", "kokuho", "nenkin"]


def test_departments_are_kept_in_the_packs_order():
    assert clean_departments(policy.DEPARTMENT, ["nenkin", " shimin "], PACK) == ["shimin", "nenkin"]


@pytest.mark.parametrize(("role", "chosen", "code"), [
    (policy.DEPARTMENT, ["shimim"], "unknown"),  # a typo is refused, not stored
    (policy.ADMIN, ["nowhere"], "unknown"),
    (policy.DEPARTMENT, [], "missing"),
    (policy.DEPARTMENT, ["", "  "], "missing"),
])
def test_refused_departments(role, chosen, code):
    with pytest.raises(AccountProblem) as exc:
        clean_departments(role, chosen, PACK)
    assert str(exc.value) == code


def test_counter_staff_without_a_department_work_at_every_counter():
    assert clean_departments(policy.COUNTER, ["", "  "], PACK) == []
    assert clean_departments(policy.COUNTER, ["shimin"], PACK) == ["shimin"]


@pytest.mark.parametrize("role", [policy.ADMIN, policy.CURATOR, policy.AUDITOR])
def test_roles_without_departments_keep_none(role):
    assert clean_departments(role, ["shimin"], PACK) == []


def test_own_account_refusals():
    assert self_change_problem("me", "me", "suspend") == "self_suspend"
    assert self_change_problem("me", "me", "reset") == "self_reset"
    assert self_change_problem("me", "me", "update", policy.AUDITOR) == "self_demote"
    assert self_change_problem("me", "me", "update", policy.ADMIN) is None
    assert self_change_problem("me", "you", "suspend") is None
