"""Staff accounts (administrators only; see core/policy.py): list, add, edit, suspend and
reactivate, password reset (after a confirmation step) and unlock. Every change is audited
under its own action name."""
from __future__ import annotations

from flask import abort, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from core import audit, auth, policy
from core.db import aware, db
from core.japan_time import JST
from core.pack import rulebook
from core.qr import qr_markup
from core.staff_models import StaffUser, utcnow
from core.words import lang_of
from staff import account_actions
from staff.accounts import ROLES_WITH_DEPARTMENTS, AccountProblem, clean_departments, self_change_problem
from staff.forms import ActionForm, EditUserForm, NewUserForm
from staff.views import bp


def _lang() -> str:
    return lang_of(g.get("locale", "ja"))


def _departments() -> dict[str, str]:
    """Department id → name in the page's language, in the pack's order."""
    lang = _lang()
    return {d.id: d.name.get(lang) for d in rulebook().kb.departments.values()}


def _role_choices() -> list[dict[str, str]]:
    return [{"value": r, "label": _(policy.ROLE_NAMES[r])} for r in policy.ROLES]


def _department_choices(current: list[str]) -> list[dict[str, str]]:
    names = _departments()
    choices = [{"value": k, "label": v} for k, v in names.items()]
    for old in current:  # an id stored before the pack list was enforced: shown, so it can be unticked
        if old not in names:
            choices.append({"value": old, "label": _("一覧にない課（%(id)s）", id=old)})
    return choices


def _problem_message(code: str) -> str:
    return {
        "role": _("役割を選んでください。"),
        "self_suspend": _("自分のアカウントは停止できません。"),
        "self_demote": _("自分の役割は変更できません。別のシステム管理者に依頼してください。"),
        "self_reset": _("自分のパスワードは、この一覧からは再発行できません。「パスワードの変更」から変更してください。"),
    }[code]


def _check_role_and_departments(form) -> list[str] | None:
    """Validates role and departments on the form; the departments to store, or None (errors set)."""
    if form.role.data not in policy.ROLES:
        form.role.errors = [*form.role.errors, _problem_message("role")]
        return None
    try:
        return clean_departments(form.role.data, form.departments.data or [], _departments())
    except AccountProblem as exc:
        form.departments.errors = [*form.departments.errors, exc.text()]
        return None


def _user_or_404(login_id: str) -> StaffUser:
    user = db.session.scalar(select(StaffUser).where(StaffUser.login_id == login_id))
    if user is None:
        abort(404)
    return user


def _list(problem: str | None = None, done: str | None = None, status: int = 200):
    rows = db.session.scalars(select(StaffUser).order_by(StaffUser.login_id)).all()
    audit.record("staff.view", target="staff_user:list")
    return render_template("staff/users.html", users=rows, now=utcnow(), is_locked=auth.is_locked,
                           department_names=_departments(), problem=problem, done=done,
                           last_login=_last_login), status


def _last_login(user: StaffUser) -> str:
    """The last login in JST, e.g. 2026-04-01 09:05 (the office's clock)."""
    return aware(user.last_login_at).astimezone(JST).strftime("%Y-%m-%d %H:%M")


@bp.get("/users")
def users():
    done = {"updated": _("アカウントを変更しました。"), "suspended": _("アカウントを停止しました。"),
            "reactivated": _("アカウントを再開しました。"), "unlocked": _("ロックを解除しました。")}
    return _list(done=done.get(request.args.get("done", "")))


def _render_form(template: str, form, status: int | None = None, **extra):
    chosen = list(form.departments.data or [])
    return render_template(template, form=form, role_choices=_role_choices(),
                           department_choices=_department_choices(chosen), chosen_departments=chosen,
                           roles_with_departments=ROLES_WITH_DEPARTMENTS, **extra), \
        (status or (400 if form.errors else 200))


@bp.route("/users/new", methods=["GET", "POST"])
def user_new():
    form = NewUserForm()
    if request.method == "POST":
        valid = form.validate()
        departments = _check_role_and_departments(form)
        if valid and departments is not None:
            login_id = form.login_id.data.strip()
            if account_actions.login_taken(login_id):
                form.login_id.errors = [*form.login_id.errors, _("このログインIDはすでに使われています。")]
            else:
                user, temp = account_actions.create(login_id, form.display_name.data.strip(), form.role.data,
                                                    departments)
                uri = auth.provisioning_uri(user)
                return render_template("staff/user_created.html", user=user, password=temp, uri=uri, qr=qr_markup(uri, title="TOTP"))
    return _render_form("staff/user_new.html", form)


@bp.route("/users/<login_id>/edit", methods=["GET", "POST"])
def user_edit(login_id: str):
    user = _user_or_404(login_id)
    form = EditUserForm(data={"display_name": user.display_name, "role": user.role,
                              "departments": user.department_ids} if request.method == "GET" else None)
    own = user.login_id == g.staff.login_id
    if request.method == "POST":
        valid = form.validate()
        departments = _check_role_and_departments(form)
        problem = self_change_problem(g.staff.login_id, user.login_id, "update", form.role.data)
        if problem:
            form.role.errors = [*form.role.errors, _problem_message(problem)]
        elif valid and departments is not None:
            account_actions.update(user, form.display_name.data.strip(), form.role.data, departments)
            return redirect(url_for("staff.users", done="updated"))
    return _render_form("staff/user_edit.html", form, user=user, own=own)


@bp.post("/users/<login_id>/suspend")
def user_suspend(login_id: str):
    user = _user_or_404(login_id)
    if not ActionForm().validate():
        abort(400)
    problem = self_change_problem(g.staff.login_id, user.login_id, "suspend")
    if problem:
        account_actions.refused("account_suspended", login_id, problem)
        return _list(problem=_problem_message(problem), status=400)
    account_actions.suspend(user)
    return redirect(url_for("staff.users", done="suspended"))


@bp.post("/users/<login_id>/reactivate")
def user_reactivate(login_id: str):
    user = _user_or_404(login_id)
    if not ActionForm().validate():
        abort(400)
    account_actions.reactivate(user)
    return redirect(url_for("staff.users", done="reactivated"))


@bp.route("/users/<login_id>/reset", methods=["GET", "POST"])
def user_reset(login_id: str):
    """Password reset by an administrator, after a confirmation step: a one-time password,
    sessions ended, a new TOTP secret. Never on one's own row (the password page is for that)."""
    user = _user_or_404(login_id)
    problem = self_change_problem(g.staff.login_id, user.login_id, "reset")
    if problem:
        if request.method == "POST":
            account_actions.refused("password_reset", login_id, problem)
        return _list(problem=_problem_message(problem), status=400)
    form = ActionForm()
    if request.method == "GET" or not form.validate():
        return render_template("staff/user_reset_confirm.html", user=user, form=form), \
            (400 if request.method == "POST" else 200)
    temp = account_actions.reset_password(user)
    uri = auth.provisioning_uri(user)
    return render_template("staff/user_created.html", user=user, password=temp, uri=uri, qr=qr_markup(uri, title="TOTP"), reset=True)


@bp.post("/users/<login_id>/unlock")
def user_unlock(login_id: str):
    user = _user_or_404(login_id)
    if not ActionForm().validate():
        abort(400)
    account_actions.unlock(user)
    return redirect(url_for("staff.users", done="unlocked"))
