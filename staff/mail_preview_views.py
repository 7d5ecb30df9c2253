"""The mail templates as residents get them (read-only): every message, rendered with sample
data in every language the site speaks, text and HTML. Administrators only (core/policy.py)."""
from __future__ import annotations

from babel import Locale
from flask import Blueprint, abort, render_template
from flask_babel import gettext

from core import audit
from core.i18n import current_locale
from core.languages import LANGUAGES, Language, babel_locale
from core.mail_templates import names, render_mail
from staff.mail_samples import SAMPLES, sample

bp = Blueprint("staff_mail", __name__, url_prefix="/staff/mail-templates", template_folder="templates")


@bp.get("/", endpoint="index")
def index():
    return render_template("staff/mail/index.html", templates=names())


@bp.get("/<template>", endpoint="preview")
def preview(template: str):
    if template not in names() or template not in SAMPLES:
        abort(404)
    reader = babel_locale(current_locale())
    rendered = [(language.code, language.html, _name(language, reader),
                 render_mail(template, language.code, **sample(template, language.code))) for language in LANGUAGES]
    audit.record("staff.view", target=f"mail_template:{template}")
    return render_template("staff/mail/preview.html", template=template, rendered=rendered)


def _name(language: Language, reader: str) -> str:
    """The language's name in the reader's (日本語 / 英語 / 中国語 (簡体字、中国), English / Chinese …)."""
    if language.easy:
        return gettext("やさしい日本語")
    return Locale.parse(language.babel).get_display_name(reader)
