"""Staff accounts: argon2id passwords, mandatory TOTP, server-side sessions, lockout, and the
guard that puts every /staff endpoint behind the network allow-list and the policy table."""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import string
from urllib.parse import urlsplit

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, Response, abort, current_app, g, redirect, render_template, request, url_for
from flask import session as flask_session
from sqlalchemy import select

from core import alerts, audit, policy
from core.city import city_name
from core.db import aware, db
from core.monitoring import LOCKOUTS, LOGINS
from core.security import client_ip, in_networks
from core.staff_models import StaffSession, StaffUser, utcnow

MAX_FAILURES = 5  # wrong passwords or codes in a row before the account locks
LOCK_MINUTES = 15
MIN_PASSWORD = 12
_hasher = PasswordHasher()  # argon2id with the library's current parameters
_DUMMY_HASH = _hasher.hash("not-a-real-password-only-for-timing")


class LoginError(Exception):
    """A login that did not succeed; ``reason`` is for the audit log, never for the screen."""

    def __init__(self, reason: str, user: StaffUser | None = None):
        super().__init__(reason)
        self.reason = reason
        self.user = user


# --- passwords and codes ------------------------------------------------------------------

def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_problem(password: str) -> str | None:
    if len(password) < MIN_PASSWORD:
        return f"パスワードは{MIN_PASSWORD}文字以上にしてください。"
    if password.isdigit() or password.isalpha():
        return "パスワードには文字と数字の両方を入れてください。"
    return None


def temporary_password() -> str:
    alphabet = string.ascii_letters + string.digits
    while True:
        pw = "".join(secrets.choice(alphabet) for _ in range(16))
        if password_problem(pw) is None:
            return pw


def new_totp_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(user: StaffUser) -> str:
    return pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.login_id, issuer_name=f"{city_name('ja')} 手続きガイド 職員")


def is_locked(user: StaffUser, now: dt.datetime) -> bool:
    locked = aware(user.locked_until)
    return locked is not None and locked > now


def _fail(user: StaffUser, now: dt.datetime) -> None:
    user.failed_logins += 1
    if user.failed_logins >= MAX_FAILURES:
        user.locked_until = now + dt.timedelta(minutes=LOCK_MINUTES)
        user.failed_logins = 0
        _count_lockout()


def _dummy_verify(password: str) -> None:
    """The work of checking a real password, for answers that must not be told apart by timing."""
    try:
        _hasher.verify(_DUMMY_HASH, password)
    except VerificationError:
        pass


def check_password(login_id: str, password: str) -> StaffUser:
    """The user, if the password is right and the account usable; LoginError otherwise.

    An unknown id and a locked account cost one password hash like a wrong password, and the
    login page answers all three alike (staff/views.py), so neither reveals which ids exist."""
    now = utcnow()
    user = db.session.scalar(select(StaffUser).where(StaffUser.login_id == login_id))
    if user is None:
        _dummy_verify(password)
        raise LoginError("unknown_user")
    if is_locked(user, now):
        _dummy_verify(password)
        raise LoginError("locked", user)
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        _fail(user, now)
        db.session.commit()
        raise LoginError("bad_password", user) from None
    if not user.active:  # said only after the right password, so it does not reveal which ids exist
        raise LoginError("inactive", user)
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def check_totp(user: StaffUser, code: str, now: dt.datetime | None = None) -> None:
    """Accept a current code (±30 s) once: a code seen before is refused (replay)."""
    now = now or utcnow()
    code = "".join(ch for ch in code if ch.isdigit())
    totp = pyotp.TOTP(user.totp_secret)
    step = int(now.timestamp()) // totp.interval
    for candidate in (step - 1, step, step + 1):
        if candidate > user.totp_last_step and secrets.compare_digest(totp.generate_otp(candidate), code):
            user.totp_last_step = candidate
            return
    _fail(user, now)
    db.session.commit()
    raise LoginError("bad_totp", user)


def _count_lockout() -> None:
    LOCKOUTS.inc()


def count_login(result: str) -> None:
    LOGINS.labels(result=result).inc()
    if result != "success":
        alerts.note("login_failure")


# --- sessions -----------------------------------------------------------------------------

def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def cookie_name() -> str:
    """``__Host-`` cookies are only accepted by browsers over HTTPS, on / with no Domain."""
    return "__Host-staff" if (request.is_secure or current_app.config["FORCE_HTTPS"]) else "staff_session"


def start_session(user: StaffUser, response: Response) -> StaffSession:
    """A new session id at every login (no fixation): a fresh random token in the cookie."""
    now = utcnow()
    token = secrets.token_urlsafe(32)
    session = StaffSession(token_hash=_token_hash(token), user_id=user.id, created_at=now, last_seen_at=now,
                           expires_at=now + dt.timedelta(hours=current_app.config["SESSION_ABSOLUTE_HOURS"]))
    db.session.add(session)
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    db.session.commit()
    secure = request.is_secure or current_app.config["FORCE_HTTPS"]
    response.set_cookie(cookie_name(), token, httponly=True, secure=secure, samesite="Strict", path="/")
    return session


def end_session(response: Response) -> None:
    session = getattr(g, "staff_session", None)
    if session is not None:
        session.revoked_at = utcnow()
        db.session.commit()
    response.delete_cookie(cookie_name(), path="/", secure=request.is_secure, httponly=True, samesite="Strict")


def revoke_all_sessions(user: StaffUser, keep: StaffSession | None = None) -> None:
    """End the user's sessions on every device, except ``keep`` (the one changing the password)."""
    now = utcnow()
    for s in user.sessions:
        if s.revoked_at is None and s is not keep:
            s.revoked_at = now


# --- login limits (Flask-Limiter keys) ------------------------------------------------------

def login_limit_per_address() -> str:
    return current_app.config["STAFF_LOGIN_LIMIT_PER_ADDRESS"]


def login_limit_per_account() -> str:
    return current_app.config["STAFF_LOGIN_LIMIT_PER_ACCOUNT"]


def login_account_key() -> str:
    """The account a login attempt is for, whether it exists or not: the id typed on the password
    step, the pending account on the code step. Hashed (no login ids in the limiter's storage)."""
    if request.endpoint == "staff.login_totp":
        pending = flask_session.get("pre_auth") or {}
        subject = f"uid:{pending.get('uid', '')}"
    else:
        subject = "id:" + str(request.form.get("login_id", "")).strip().casefold()[:64]
    return "staff-login:" + hashlib.sha256(subject.encode("utf-8")).hexdigest()[:32]


def login_failed(response: Response) -> bool:
    """Only failed attempts count against an account (a login answers with a redirect)."""
    return response.status_code != 302


def idle_deadline(session: StaffSession) -> dt.datetime:
    idle = aware(session.last_seen_at) + dt.timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"])
    return min(idle, aware(session.expires_at))


def _load_session() -> None:
    g.staff = None
    g.staff_session = None
    token = request.cookies.get(cookie_name()) or ""
    if not token:
        return
    session = db.session.scalar(select(StaffSession).where(StaffSession.token_hash == _token_hash(token)))
    now = utcnow()
    if session is None or session.revoked_at is not None:
        return
    if now >= aware(session.expires_at) or now >= idle_deadline(session):
        session.revoked_at = now  # timed out: the cookie is dead for good
        db.session.commit()
        g.staff_timed_out = True
        return
    if not session.user.active:
        return
    if request.endpoint != "staff.session_status":  # looking at the clock is not activity
        session.last_seen_at = now
        db.session.commit()
    g.staff, g.staff_session = session.user, session


# --- the guard ----------------------------------------------------------------------------

def is_staff_request() -> bool:
    return request.path == "/staff" or request.path.startswith("/staff/")


BACKOFFICE_PREFIX = "/api/v1/backoffice"  # intake/backoffice.py (its own host and network rules, here)
OPENAPI_PATH = "/api/v1/openapi.json"  # the contract, also on the back-office host


def is_backoffice_request() -> bool:
    return request.path == BACKOFFICE_PREFIX or request.path.startswith(BACKOFFICE_PREFIX + "/")


def backoffice_host() -> str:
    """The host the back-office API answers on: BACKOFFICE_HOST, else STAFF_HOST, else "" (any)."""
    return current_app.config.get("BACKOFFICE_HOST") or current_app.config["STAFF_HOST"] or ""


def backoffice_network_ok() -> bool:
    """The back-office API's host (backoffice_host) and its own allow-list (BACKOFFICE_NETWORKS)."""
    host = backoffice_host()
    if host and request.host.split(":")[0] != host:
        return False
    networks = current_app.config.get("BACKOFFICE_NETWORKS", "")
    return not networks.strip() or in_networks(client_ip(), networks)


def staff_network_ok() -> bool:
    host = current_app.config["STAFF_HOST"]
    if host and request.host.split(":")[0] != host:
        return False
    return in_networks(client_ip(), current_app.config["STAFF_NETWORKS"])


def require_department(department_id: str) -> None:
    """Records of another department answer 404 (their existence is not revealed)."""
    user = g.staff
    if user is None or (user.role != policy.ADMIN and department_id not in user.department_ids):
        abort(404)


def _form_page() -> str | None:
    """The console page a browser's form was posted from (its Referer on this host), or None for
    anything else (a script's JSON call keeps its 401); the login checks it again (_safe_next)."""
    if request.mimetype not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return None
    if request.accept_mimetypes.best == "application/json":
        return None
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc != request.host or not referrer.path.startswith("/staff/"):
        return None
    return referrer.path + (f"?{referrer.query}" if referrer.query else "")


def _guard() -> object | None:
    if is_backoffice_request():
        if not backoffice_network_ok():
            abort(404)  # the API is not there for this host or address
        return None
    if not is_staff_request():
        if request.path == OPENAPI_PATH and backoffice_host() and request.host.split(":")[0] == backoffice_host():
            return None  # the contract beside the API it describes
        own = current_app.config.get("BACKOFFICE_HOST")
        if own and own != current_app.config["STAFF_HOST"] and request.host.split(":")[0] == own \
                and request.endpoint not in ("monitoring.healthz", "monitoring.readyz"):
            abort(404)  # the back-office host serves the API only
        if current_app.config["STAFF_HOST"] and request.host.split(":")[0] == current_app.config["STAFF_HOST"] \
                and request.endpoint not in ("static", "monitoring.healthz", "monitoring.readyz", "monitoring.metrics"):
            abort(404)  # the staff host serves the console only
        return None
    if not staff_network_ok():
        abort(404)  # nothing of the console is visible from outside the government network
    g.staff_network = True  # error pages may speak to staff from here on (core/errors.py)
    _load_session()
    endpoint = request.endpoint
    if policy.is_public(endpoint):
        return None
    if g.staff is None:
        if request.method == "GET" and endpoint in policy.POLICY:
            return redirect(url_for("staff.login", next=request.full_path if request.args else request.path))
        back = _form_page() if endpoint in policy.POLICY else None
        if back:  # a form sent after the session ended: log in, then back to the page it was on
            return redirect(url_for("staff.login", next=back), 303)
        abort(401)
    if g.staff.must_change_password and endpoint not in ("staff.password", "staff.logout", "staff.keepalive",
                                                         "staff.session_status", "static"):
        return redirect(url_for("staff.password"))
    if endpoint is None and request.routing_exception is not None:
        return None  # an unknown /staff path: the console's own 404 (core/errors.py), not a 403
    if not policy.allowed(endpoint, g.staff.role):
        audit.record("permission.denied", target=request.path, result="denied")
        alerts.note("permission_denied")
        return render_template("staff/forbidden.html"), 403
    return None


def init_auth(app: Flask) -> None:
    app.before_request(_guard)  # the console's blueprint and CLI are registered by the app factory (app.py)

    @app.context_processor
    def _staff_globals():
        session = getattr(g, "staff_session", None)
        return {"staff_user": getattr(g, "staff", None),
                "staff_idle_deadline": idle_deadline(session) if session else None,
                "role_names": policy.ROLE_NAMES}
