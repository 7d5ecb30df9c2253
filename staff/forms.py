"""WTForms of the console (CSRF from Flask-WTF; messages in Japanese)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, Regexp

REQUIRED = _l("入力してください。")


class LoginForm(FlaskForm):
    login_id = StringField("ログインID", validators=[DataRequired(REQUIRED), Length(max=64)])
    password = PasswordField("パスワード", validators=[DataRequired(REQUIRED), Length(max=256)])


class TotpForm(FlaskForm):
    code = StringField("確認コード（6桁）", validators=[
        DataRequired(REQUIRED), Regexp(r"^\s*\d{3}\s?\d{3}\s*$", message=_l("6桁の数字を入力してください。"))])


class PasswordForm(FlaskForm):
    current = PasswordField("今のパスワード", validators=[DataRequired(REQUIRED)])
    new = PasswordField("新しいパスワード（12文字以上、文字と数字を含む）", validators=[DataRequired(REQUIRED), Length(max=256)])
    confirm = PasswordField("新しいパスワード（確認）", validators=[DataRequired(REQUIRED)])


class NewUserForm(FlaskForm):
    login_id = StringField("ログインID（半角英数字）", validators=[
        DataRequired(REQUIRED), Regexp(r"^[a-z0-9][a-z0-9._-]{2,63}$", message=_l("半角の英小文字・数字・「.」「_」「-」で3〜64文字にしてください。"))])
    display_name = StringField("氏名", validators=[DataRequired(REQUIRED), Length(max=100)])
    role = SelectField("役割", validate_choice=False)  # checked by the view against policy.ROLES
    # Choices come from the knowledge pack (set by the view); an id not in the pack is refused
    # by the view with its own message (400), so WTForms' generic choice check is off.
    departments = SelectMultipleField("担当課", validate_choice=False)


class EditUserForm(FlaskForm):
    display_name = StringField("氏名", validators=[DataRequired(REQUIRED), Length(max=100)])
    role = SelectField("役割", validate_choice=False)  # checked by the view against policy.ROLES
    departments = SelectMultipleField("担当課", validate_choice=False)


class ActionForm(FlaskForm):
    """A button that changes something (CSRF only)."""
