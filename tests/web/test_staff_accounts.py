"""Staff accounts (issue #9): departments from the pack only, edit, suspend and reactivate,
password reset after a confirmation, own-row refusals, last login, specific audit names.
Forms are posted the way the browser does: every field of the form."""
import re

import pytest
from sqlalchemy import select

from core import policy
from core.audit import AuditRecord
from core.staff_models import StaffSession, StaffUser
from tests.conftest import STAFF_PASSWORD, csrf_from, fresh_client, make_staff, staff_login


def _audits(app, action, target):
    from core.db import db
    with app.app_context():
        return [r.result for r in db.session.scalars(select(AuditRecord).where(
            AuditRecord.action == action, AuditRecord.target == f"staff_user:{target}"))]


def _user(app, login_id):
    from core.db import db
    with app.app_context():
        user = db.session.scalar(select(StaffUser).where(StaffUser.login_id == login_id))
        db.session.expunge(user)
        return user


def _new_form(admin, login_id, role, departments, name="田中 花子"):
    page = admin.get("/staff/users/new").get_data(as_text=True)
    return admin.post("/staff/users/new", data={"csrf_token": csrf_from(page), "login_id": login_id,
                                                "display_name": name, "role": role, "departments": departments})


@pytest.fixture
def admin(staff_client):
    return staff_client(policy.ADMIN)


def test_new_account_form_offers_the_packs_departments_as_checkboxes(admin):
    html = admin.get("/staff/users/new").get_data(as_text=True)
    assert 'type="checkbox"' in html and 'name="departments" value="shimin"' in html
    assert "市民課" in html and "国民健康保険課" in html
    assert not re.search(r'<input[^>]+type="text"[^>]+name="departments"', html)  # never typed


def test_department_user_is_created_with_departments_from_the_pack(app, admin):
    login_id = "kokuho.sato"
    r = _new_form(admin, login_id, policy.DEPARTMENT, ["kokuho", "shimin"])
    assert r.status_code == 200 and "仮のパスワード" in r.get_data(as_text=True)
    assert _user(app, login_id).departments == "shimin,kokuho"  # the pack's order
    assert _audits(app, "staff.account_created", login_id) == ["ok"]


def test_unknown_department_is_a_400_in_japanese_and_keeps_what_was_typed(app, admin):
    login_id = "typo.tanaka"
    r = _new_form(admin, login_id, policy.DEPARTMENT, ["shimin", "shimim"], name="誤字 太郎")
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and "担当課は一覧から選んでください。" in html
    assert f'value="{login_id}"' in html and 'value="誤字 太郎"' in html
    assert _audits(app, "staff.account_created", login_id) == []


def test_department_staff_need_a_department_and_counter_staff_may_take_every_counter(app, admin):
    r = _new_form(admin, "none.suzuki", policy.DEPARTMENT, [])
    assert r.status_code == 400 and "所管課職員は、担当課を1つ以上選んでください" in r.get_data(as_text=True)
    login_id = "center.takahashi"
    assert _new_form(admin, login_id, policy.COUNTER, []).status_code == 200  # a 市民センター window
    assert _user(app, login_id).departments == ""
    html = admin.get("/staff/users").get_data(as_text=True)
    row = html[html.index(f">{login_id}<"):]
    assert "すべての窓口" in row[:row.index("</tr>")]


def test_other_roles_keep_no_departments_and_an_unknown_role_is_refused(app, admin):
    login_id = "aud.ito"
    assert _new_form(admin, login_id, policy.AUDITOR, ["shimin"]).status_code == 200
    assert _user(app, login_id).departments == ""
    r = _new_form(admin, "x.watanabe", "superuser", [])
    assert r.status_code == 400 and "役割を選んでください。" in r.get_data(as_text=True)


def test_list_shows_department_names_role_state_and_last_login(app, admin):
    login_id, secret = make_staff(app, policy.DEPARTMENT, departments="shimin,typo_dept")
    staff_login(fresh_client(app), login_id, secret)
    html = admin.get("/staff/users").get_data(as_text=True)
    row = html[html.index(f">{login_id}<"):]
    row = row[:row.index("</tr>")]
    assert "市民課" in row and "一覧にない課（typo_dept）" in row and "所管課職員" in row and "有効" in row
    last = _user(app, login_id).last_login_at
    assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", row) and last is not None
    assert "最終ログイン" in html


def test_edit_changes_name_role_and_departments_and_ends_their_sessions(app, admin):
    login_id, secret = make_staff(app, policy.COUNTER, departments="shimin")
    them = fresh_client(app)
    assert staff_login(them, login_id, secret).status_code == 302
    page = admin.get(f"/staff/users/{login_id}/edit").get_data(as_text=True)
    assert 'value="shimin" checked' in page
    r = admin.post(f"/staff/users/{login_id}/edit", data={"csrf_token": csrf_from(page), "display_name": "新しい 名前",
                                                          "role": policy.DEPARTMENT, "departments": ["kokuho"]})
    assert r.status_code == 302
    user = _user(app, login_id)
    assert (user.display_name, user.role, user.departments) == ("新しい 名前", policy.DEPARTMENT, "kokuho")
    assert _audits(app, "staff.account_updated", login_id) == ["ok"]
    assert them.get("/staff/").status_code == 302  # new rights at the next login
    r = admin.post(f"/staff/users/{login_id}/edit", data={"csrf_token": csrf_from(page), "display_name": "新しい 名前",
                                                          "role": policy.DEPARTMENT, "departments": ["nope"]})
    assert r.status_code == 400 and "担当課は一覧から選んでください。" in r.get_data(as_text=True)


def test_suspend_ends_sessions_at_once_refuses_login_and_reactivate_restores(app, admin):
    login_id, secret = make_staff(app, policy.COUNTER, departments="shimin")
    them = fresh_client(app)
    assert staff_login(them, login_id, secret).status_code == 302
    page = admin.get("/staff/users").get_data(as_text=True)
    assert admin.post(f"/staff/users/{login_id}/suspend", data={"csrf_token": csrf_from(page)}).status_code == 302
    assert them.get("/staff/").status_code == 302  # signed out
    from core.db import db
    with app.app_context():
        user = db.session.scalar(select(StaffUser).where(StaffUser.login_id == login_id))
        assert not user.active and all(s.revoked_at for s in db.session.scalars(
            select(StaffSession).where(StaffSession.user_id == user.id)))
    assert "停止中" in admin.get("/staff/users").get_data(as_text=True)
    r = staff_login(fresh_client(app), login_id, secret)
    assert r.status_code == 400 and "このアカウントは停止されています" in r.get_data(as_text=True)
    wrong = fresh_client(app)
    page = wrong.get("/staff/login").get_data(as_text=True)
    r = wrong.post("/staff/login", data={"login_id": login_id, "password": "wrong-password-99", "csrf_token": csrf_from(page)})
    assert "停止" not in r.get_data(as_text=True)  # a wrong password learns nothing about the account
    assert _audits(app, "staff.account_suspended", login_id) == ["ok"]
    page = admin.get("/staff/users").get_data(as_text=True)
    assert admin.post(f"/staff/users/{login_id}/reactivate", data={"csrf_token": csrf_from(page)}).status_code == 302
    assert _audits(app, "staff.account_reactivated", login_id) == ["ok"]
    again = fresh_client(app)  # the password step passes again (the code of this minute is spent)
    page = again.get("/staff/login").get_data(as_text=True)
    r = again.post("/staff/login", data={"login_id": login_id, "password": STAFF_PASSWORD, "csrf_token": csrf_from(page)})
    assert r.status_code == 302 and r.location.endswith("/staff/login/code")


def test_an_administrator_cannot_suspend_demote_or_reset_themself(app, admin):
    me = admin.login_id
    html = admin.get("/staff/users").get_data(as_text=True)
    row = html[html.index(f">{me}<"):]
    row = row[:row.index("</tr>")]
    assert "（あなた）" in row and "/suspend" not in row and "/reset" not in row
    r = admin.post(f"/staff/users/{me}/suspend", data={"csrf_token": csrf_from(html)})
    assert r.status_code == 400 and "自分のアカウントは停止できません。" in r.get_data(as_text=True)
    assert _user(app, me).active
    assert _audits(app, "staff.account_suspended", me) == ["denied"]
    page = admin.get(f"/staff/users/{me}/edit").get_data(as_text=True)
    r = admin.post(f"/staff/users/{me}/edit", data={"csrf_token": csrf_from(page), "display_name": "わたし",
                                                    "role": policy.AUDITOR, "departments": []})
    assert r.status_code == 400 and "自分の役割は変更できません。" in r.get_data(as_text=True)
    assert _user(app, me).role == policy.ADMIN
    assert admin.get(f"/staff/users/{me}/reset").status_code == 400
    r = admin.post(f"/staff/users/{me}/reset", data={"csrf_token": csrf_from(page)})
    assert r.status_code == 400 and "パスワードの変更" in r.get_data(as_text=True)
    assert admin.get("/staff/").status_code == 200  # still signed in: nothing was reset


def test_password_reset_asks_first_then_issues_a_new_password(app, admin):
    login_id, secret = make_staff(app, policy.DEPARTMENT, departments="shimin")
    confirm = admin.get(f"/staff/users/{login_id}/reset")
    html = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and "テスト departmentさんのパスワードを再発行しますか" in html
    assert _user(app, login_id).password_hash and _audits(app, "staff.password_reset", login_id) == []
    r = admin.post(f"/staff/users/{login_id}/reset", data={"csrf_token": csrf_from(html)})
    assert r.status_code == 200 and "パスワードを再発行しました" in r.get_data(as_text=True)
    assert _audits(app, "staff.password_reset", login_id) == ["ok"]
    assert staff_login(fresh_client(app), login_id, secret, STAFF_PASSWORD).status_code == 400


def test_unlock_has_its_own_audit_name(app, admin):
    import datetime as dt

    from core.db import db
    login_id, _secret = make_staff(app, policy.COUNTER, departments="shimin")
    with app.app_context():
        user = db.session.scalar(select(StaffUser).where(StaffUser.login_id == login_id))
        user.locked_until = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=10)
        db.session.commit()
    html = admin.get("/staff/users").get_data(as_text=True)
    assert "ロック中" in html
    assert admin.post(f"/staff/users/{login_id}/unlock", data={"csrf_token": csrf_from(html)}).status_code == 302
    assert _audits(app, "staff.account_unlocked", login_id) == ["ok"]
    assert _user(app, login_id).locked_until is None


def test_create_admin_cli_is_audited_as_account_created(app):
    login_id = "cli.yamamoto"
    result = app.test_cli_runner().invoke(args=["staff", "create-admin", "--login-id", login_id, "--name", "管理 太郎",
                                                "--password", "first-admin-pass-2026"])
    assert result.exit_code == 0 and _audits(app, "staff.account_created", login_id) == ["ok"]


@pytest.mark.parametrize("path,method", [("/staff/users/x/edit", "get"), ("/staff/users/x/suspend", "post"),
                                         ("/staff/users/x/reactivate", "post"), ("/staff/users/x/reset", "get")])
def test_account_pages_are_for_administrators_only(staff_client, path, method):
    counter = staff_client(policy.COUNTER, departments="shimin")
    page = counter.get("/staff/").get_data(as_text=True)
    kwargs = {"data": {"csrf_token": csrf_from(page)}} if method == "post" else {}
    assert getattr(counter, method)(path, **kwargs).status_code == 403


def test_english_console_shows_english_division_names(app, admin):
    make_staff(app, policy.DEPARTMENT, departments="shimin")
    html = admin.get("/staff/users?lang=en").get_data(as_text=True)
    assert "Last login" in html and "Citizens Division" in html and "Department staff" in html
    form = admin.get("/staff/users/new?lang=en").get_data(as_text=True)
    assert "National Health Insurance Division" in form and "at least one" not in form
    assert "Department staff: choose one or more;" in form and "Counter staff with none work at every counter" in form
