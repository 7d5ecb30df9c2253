"""Rules for staff accounts that need no request or database: which departments a role needs, and
which changes an administrator may not make to their own account."""
from __future__ import annotations

from collections.abc import Iterable

from flask_babel import lazy_gettext as _l

from core import policy
from core.errors import AppError

ROLES_WITH_DEPARTMENTS = (policy.DEPARTMENT, policy.COUNTER)  # their work is scoped to departments
# Counter staff with no department work at every counter (a 市民センター window takes every
# service); department staff always need one, or they would see nothing.
DEPARTMENTS_REQUIRED = (policy.DEPARTMENT,)


class AccountProblem(AppError):
    """A refused choice of departments for an account (shown beside the departments field)."""

    MESSAGES = {"unknown": _l("担当課は一覧から選んでください。"),
                "missing": _l("所管課職員は、担当課を1つ以上選んでください。")}

    def __init__(self, code: str):
        super().__init__(code, self.MESSAGES[code], 400, fields={"departments": self.MESSAGES[code]})


def clean_departments(role: str, chosen: Iterable[str], known: Iterable[str]) -> list[str]:
    """The chosen department ids, in the pack's order; AccountProblem for an id not in the pack
    or department staff without any (counter staff without any work at every counter). Other
    roles keep none (they see every department or none by their role)."""
    known = list(known)
    chosen = [c.strip() for c in chosen if c and c.strip()]
    unknown = [c for c in chosen if c not in known]
    if unknown:
        raise AccountProblem("unknown")
    if role not in ROLES_WITH_DEPARTMENTS:
        return []
    if not chosen and role in DEPARTMENTS_REQUIRED:
        raise AccountProblem("missing")
    return [k for k in known if k in chosen]


def self_change_problem(actor_login: str, target_login: str, action: str, new_role: str | None = None) -> str | None:
    """What an administrator may not do to their own row: suspend it, demote it, or reset its
    password from the list (the password page is for that). A reason code, or None."""
    if actor_login != target_login:
        return None
    if action == "suspend":
        return "self_suspend"
    if action == "reset":
        return "self_reset"
    if action == "update" and new_role is not None and new_role != policy.ADMIN:
        return "self_demote"
    return None
