"""The mail templates as residents get them (read-only): every message, rendered with sample
data in Japanese and English, text and HTML. Administrators only (core/policy.py)."""
from __future__ import annotations

from babel import Locale
from flask import Blueprint, abort, render_template

from core import audit
from core.i18n import current_locale
from core.mail_templates import LOCALES, names, render_mail
from staff.mail_samples import SAMPLES, sample

bp = Blueprint("staff_mail", __name__, url_prefix="/staff/mail-templates", template_folder="templates")


@bp.get("/", endpoint="index")
def index():
    return render_template("staff/mail/index.html", templates=names())


@bp.get("/<template>", endpoint="preview")
def preview(template: str):
    if template not in names() or template not in SAMPLES:
        abort(404)
    reader = current_locale()
    rendered = [(locale, Locale.parse(locale).get_display_name(reader),  # 日本語 / 英語, Japanese / English
                 render_mail(template, locale, **sample(template, locale))) for locale in LOCALES]
    audit.record("staff.view", target=f"mail_template:{template}")
    return render_template("staff/mail/preview.html", template=template, rendered=rendered)
