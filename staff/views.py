"""Staff login, logout, session keep-alive, console home and account administration."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    g,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core import audit, auth, policy
from core.alerts import active_alerts
from core.db import aware, db
from core.japan_time import JST
from core.security import limiter, shared_limits_available
from core.staff_models import StaffUser, utcnow
from intake import processing_time
from reservations.current import catalog as current_catalog
from staff import account_actions
from staff.forms import LoginForm, PasswordForm, TotpForm

bp = Blueprint("staff", __name__, url_prefix="/staff", template_folder="templates")
PRE_AUTH_SECONDS = 300  # the password step is valid this long for the code step
# the attempt counter shared by the workers (Redis) is down: per-process counts would multiply the
# guesses an attacker gets, so sign-in waits for it (core/security.shared_limits_available)
_LIMITS_DOWN = _l("ログイン試行の回数を数える仕組みに接続できないため、いまはログインできません。"
                  "しばらくしてからお試しいただくか、システム管理者に連絡してください。")


NEXT_LIMIT = 2000  # characters of a ``next`` worth following back


def _safe_next(target: str | None) -> str:
    """Where to go after login or a keepalive (``next`` from a form or the login's query): only a
    path of this console, with its query string, never another host (no open redirect). Refused,
    and replaced by the console's home: a scheme or host (``https://evil.example``,
    ``//evil.example``), a backslash (browsers read ``/\\evil`` as ``//evil``), whitespace or
    control characters (browsers drop tabs and newlines from URLs; they must never reach the
    Location header), a path outside /staff; the fragment is dropped."""
    home = url_for("staff.home")
    if not target or len(target) > NEXT_LIMIT or "\\" in target or any(c.isspace() or ord(c) < 32 or ord(c) == 127
                                                                        for c in target):
        return home
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not (parts.path == "/staff" or parts.path.startswith("/staff/")) \
            or parts.path.startswith("//"):
        return home
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _login_limits(view):
    """Login attempts are limited per client address and per account, known or not (only failures
    count against an account: logging in often never runs into it)."""
    view = limiter.limit(auth.login_limit_per_address, methods=["POST"])(view)
    return limiter.limit(auth.login_limit_per_account, key_func=auth.login_account_key, methods=["POST"],
                         deduct_when=auth.login_failed)(view)


@bp.route("/login", methods=["GET", "POST"])
@_login_limits
def login():
    form = LoginForm()
    error = None
    if request.method == "POST" and not shared_limits_available():
        return render_template("staff/login.html", form=form, error=_LIMITS_DOWN), 503
    if form.validate_on_submit():
        try:
            user = account_actions.password_step(form.login_id.data.strip(), form.password.data)
        except auth.LoginError as exc:
            # an unknown id, a wrong password and a locked account read alike (no enumeration)
            error = _("ログインIDまたはパスワードが違うか、アカウントが一時的にロックされています。"
                      "続けて%(n)s回間違えると、%(m)s分間ログインできなくなります。",
                      n=auth.MAX_FAILURES, m=auth.LOCK_MINUTES)
            if exc.reason == "inactive":  # said only after the right password
                error = _("このアカウントは停止されています。使う必要がある場合は、システム管理者に連絡してください。")
        else:
            session.clear()
            session["pre_auth"] = {"uid": user.id, "at": utcnow().timestamp(), "next": _safe_next(request.args.get("next"))}
            return redirect(url_for("staff.login_totp"))
    status = 400 if (error or form.errors) else 200
    return render_template("staff/login.html", form=form, error=error), status


def _pending_user() -> StaffUser | None:
    pending = session.get("pre_auth")
    if not pending or utcnow().timestamp() - pending["at"] > PRE_AUTH_SECONDS:
        return None
    return db.session.get(StaffUser, pending["uid"])


@bp.route("/login/code", methods=["GET", "POST"], endpoint="login_totp")
@_login_limits
def login_totp():
    user = _pending_user()
    if user is None or not user.active:  # suspended between the two steps
        return redirect(url_for("staff.login"))
    form = TotpForm()
    error = None
    if request.method == "POST" and not shared_limits_available():
        return render_template("staff/login_totp.html", form=form, error=_LIMITS_DOWN), 503
    if form.validate_on_submit():
        try:
            account_actions.code_step(user, form.code.data, utcnow())
        except auth.LoginError as exc:
            error = _("確認コードが違います。認証アプリに表示されている6桁の数字を入力してください。")
            if exc.reason == "locked":
                session.clear()
                error = _("このアカウントは一時的にロックされています。しばらくしてから、もう一度お試しください。")
        else:
            target = session["pre_auth"].get("next") or url_for("staff.home")
            session.clear()  # nothing of the anonymous session survives the login
            response = make_response(redirect(target))
            g.staff = user
            account_actions.signed_in(user, response)
            return response
    status = 400 if (error or form.errors) else 200
    return render_template("staff/login_totp.html", form=form, error=error), status


@bp.post("/logout")
def logout():
    response = make_response(redirect(url_for("staff.login", logged_out=1)))
    account_actions.sign_out(g.staff, response)
    return response


@bp.post("/keepalive")
def keepalive():
    """Extends the idle time (WCAG 2.2.1): the guard has just renewed the session."""
    deadline = auth.idle_deadline(g.staff_session)
    if request.accept_mimetypes.best == "application/json":
        return jsonify({"idle_deadline": deadline.isoformat()})
    return redirect(_safe_next(request.form.get("next")))


@bp.get("/session")
def session_status():
    """When the session ends (read by the timeout warning; does not extend it)."""
    return jsonify({"idle_deadline": auth.idle_deadline(g.staff_session).isoformat(),
                    "absolute_deadline": aware(g.staff_session.expires_at).isoformat()})


@bp.get("/")
def home():
    """Per role, what it can act on (the policy decides which blocks show): applications of the
    user's departments, today's bookings and the walk-in queue of the user's counters, locked
    accounts and security alerts. Each figure links to the filtered list (staff/home_counts.py)."""
    # these modules add their routes to this module's bp at import: importing them above would be a cycle
    from staff import home_counts, inbox_rows
    from staff.applications_common import forms_of_generation, user_departments
    from staff.reservations_views import counter_scope

    role = g.staff.role
    context: dict = {"applications": None, "counter": None, "accounts": None, "alerts": None}
    if policy.allowed("staff_applications.inbox", role):
        forms = forms_of_generation()
        context["applications"] = home_counts.applications(
            user_departments(), g.staff.id, inbox_rows.standard_days(forms), processing_time.today_jst())
    if policy.allowed("staff_reservations.day", role):
        cat = current_catalog()
        counters = counter_scope(cat)
        context["counter"] = home_counts.counter_day(counters, processing_time.today_jst())
        context["counter_names"] = {cid: cat.counters[cid].name.get(getattr(g, "locale", "ja")) or cat.counters[cid].name.ja
                                    for cid in counters}
    if policy.allowed("staff.users", role):
        context["accounts"] = home_counts.accounts(utcnow())
    if policy.allowed("staff_monitor.alerts", role):
        context["alerts"] = len(active_alerts())
    audit.record("staff.view", target="home")
    return render_template("staff/home.html", **context)


@bp.route("/password", methods=["GET", "POST"])
def password():
    form = PasswordForm()
    error = None
    if form.validate_on_submit():
        try:
            auth.check_password(g.staff.login_id, form.current.data)
        except auth.LoginError:
            error = _("今のパスワードが違います。")
        else:
            problem = auth.password_problem(form.new.data)
            if problem:
                error = problem
            elif form.new.data != form.confirm.data:
                error = _("新しいパスワードが確認用と一致しません。")
            else:
                account_actions.change_own_password(g.staff, form.new.data, keep=g.staff_session)
                return redirect(url_for("staff.home"))
    return render_template("staff/password.html", form=form, error=error), (400 if error else 200)


# --- what every console page needs ----------------------------------------------------------

MENU = [  # console sections; each shows only where the policy table lets the role in
    ("staff_applications.inbox", _l("オンライン申請")),
    ("staff_reservations.day", _l("窓口予約")),
    ("staff.users", _l("職員アカウント")),
    ("staff_audit.search", _l("監査ログ")),
    ("staff_stats.index", _l("利用統計")),
    ("staff_reservations.stats", _l("窓口予約の統計")),
    ("staff_content.index", _l("コンテンツの管理")),
    ("staff_search.misses", _l("見つからなかった検索語")),
    ("staff_search.feedback", _l("結果ページへの評価")),
    ("staff_rule_graph.index", _l("ルールの関係図")),
    ("staff_monitor.alerts", _l("セキュリティの警告")),
    ("staff_incidents.index", _l("障害対応履歴")),
    ("staff_mail.index", _l("メールのひな形")),
]


def _menu() -> list[tuple[str, str]]:
    user = getattr(g, "staff", None)
    if user is None:
        return []
    return [(e, str(label)) for e, label in MENU
            if e in current_app.view_functions and policy.allowed(e, user.role)]


def _alerts() -> list:
    user = getattr(g, "staff", None)
    if user is None or user.role not in (policy.ADMIN, policy.AUDITOR):
        return []
    return list(active_alerts())


def _form_errors(form) -> list[dict[str, str]]:
    out = []
    for name, errors in form.errors.items():
        if name == "csrf_token":
            first = next(iter(form._fields))
            out.append({"field_id": first if first != "csrf_token" else "main",
                        "message": _("画面の有効期限が切れました。もう一度入力してください。")})
        elif errors:
            out.append({"field_id": name, "message": errors[0]})
    return out


@bp.app_context_processor
def _console_helpers():
    return {"staff_menu": _menu, "staff_alerts": _alerts, "form_errors": _form_errors, "jst": JST}


# the account routes and the 和暦 beside date fields, on this blueprint
from staff import accounts_views, date_fields  # noqa: E402,F401
