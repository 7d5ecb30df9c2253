"""What changes a staff account (the console's sign-in, password and account pages): each function
makes the change, commits, then writes its audit record — one unit, like
:mod:`intake.staff_actions`, so no view can forget either. A refusal is audited here too.

Plain Python with SQLAlchemy (no Flask): the views parse the forms and hand in who acts; the
rules that need no database (departments, changes to one's own row) are staff/accounts.py.
"""
from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from core import audit, auth
from core.db import db
from core.staff_models import StaffSession, StaffUser


def _target(login_id: str) -> str:
    return f"staff_user:{login_id}"


# --- signing in and out ------------------------------------------------------------------------

def password_step(login_id: str, password: str) -> StaffUser:
    """The first step of a login: the user when the password is right (a rehash, if any, is
    committed); auth.LoginError after the failure is audited and counted."""
    try:
        user = auth.check_password(login_id, password)
    except auth.LoginError as exc:
        audit.record("login.failure", target=login_id[:64], result="failed",
                     details={"step": "password", "reason": exc.reason})
        auth.count_login("failure")
        raise
    db.session.commit()
    return user


def code_step(user: StaffUser, code: str, now) -> None:
    """The second step: the TOTP code (a locked account is refused before it is read);
    auth.LoginError after the failure is audited and counted."""
    try:
        if auth.is_locked(user, now):
            raise auth.LoginError("locked", user)
        auth.check_totp(user, code)
    except auth.LoginError as exc:
        audit.record("login.failure", target=user.login_id, result="failed",
                     details={"step": "totp", "reason": exc.reason}, actor=user.login_id, role=user.role)
        auth.count_login("failure")
        raise


def signed_in(user: StaffUser, response) -> StaffSession:
    """Both steps passed: a new session (its cookie on ``response``), audited and counted."""
    session = auth.start_session(user, response)
    audit.record("login.success", target=user.login_id, actor=user.login_id, role=user.role)
    auth.count_login("success")
    return session


def sign_out(user: StaffUser, response) -> None:
    audit.record("logout", target=user.login_id)
    auth.end_session(response)


def change_own_password(user: StaffUser, new_password: str, keep: StaffSession | None) -> None:
    """The user's own new password; every other session ends (a thief's ends with the old password)."""
    user.password_hash = auth.hash_password(new_password)
    user.must_change_password = False
    auth.revoke_all_sessions(user, keep=keep)
    db.session.commit()
    audit.record("staff.password_changed", target=user.login_id)


# --- the accounts list (administrators) --------------------------------------------------------

def login_taken(login_id: str) -> bool:
    return db.session.scalar(select(StaffUser.id).where(StaffUser.login_id == login_id)) is not None


def create(login_id: str, display_name: str, role: str, departments: Sequence[str]) -> tuple[StaffUser, str]:
    """A new account with a one-time password (returned, shown once) and a new TOTP secret."""
    temp = auth.temporary_password()
    user = StaffUser(login_id=login_id, display_name=display_name, role=role, departments=",".join(departments),
                     password_hash=auth.hash_password(temp), totp_secret=auth.new_totp_secret(), totp_last_step=0,
                     active=True, must_change_password=True, failed_logins=0)
    db.session.add(user)
    db.session.commit()
    audit.record("staff.account_created", target=_target(login_id),
                 details={"role": user.role, "departments": user.departments})
    return user, temp


def update(user: StaffUser, display_name: str, role: str, departments: Sequence[str]) -> list[str]:
    """Name, role and departments; the names of the fields that changed. New rights take effect at
    the next login, not mid-session: a change of role or departments ends the user's sessions."""
    before = {"display_name": user.display_name, "role": user.role, "departments": user.departments}
    user.display_name = display_name
    user.role = role
    user.departments = ",".join(departments)
    after = {"display_name": user.display_name, "role": user.role, "departments": user.departments}
    changed = sorted(k for k in before if before[k] != after[k])
    if before["role"] != after["role"] or before["departments"] != after["departments"]:
        auth.revoke_all_sessions(user)
    db.session.commit()
    audit.record("staff.account_updated", target=_target(user.login_id),
                 details={"changed": changed, "role": user.role, "departments": user.departments})
    return changed


def refused(action: str, login_id: str, problem: str) -> None:
    """A change refused by staff/accounts.self_change_problem (``action``: suspended, password_reset)."""
    audit.record(f"staff.{action}", target=_target(login_id), result="denied", details={"reason": problem})


def suspend(user: StaffUser) -> None:
    """Signed out at once, on every device. Suspending a suspended account changes nothing."""
    if not user.active:
        return
    user.active = False
    auth.revoke_all_sessions(user)
    db.session.commit()
    audit.record("staff.account_suspended", target=_target(user.login_id))


def reactivate(user: StaffUser) -> None:
    if user.active:
        return
    user.active = True
    user.failed_logins = 0
    user.locked_until = None
    db.session.commit()
    audit.record("staff.account_reactivated", target=_target(user.login_id))


def reset_password(user: StaffUser) -> str:
    """A one-time password (returned, shown once), sessions ended, a new TOTP secret."""
    temp = auth.temporary_password()
    user.password_hash = auth.hash_password(temp)
    user.must_change_password = True
    user.totp_secret = auth.new_totp_secret()
    user.totp_last_step = 0
    auth.revoke_all_sessions(user)
    db.session.commit()
    audit.record("staff.password_reset", target=_target(user.login_id))
    return temp


def unlock(user: StaffUser) -> None:
    user.locked_until = None
    user.failed_logins = 0
    db.session.commit()
    audit.record("staff.account_unlocked", target=_target(user.login_id))
