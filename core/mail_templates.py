"""E-mails as templates: one set of Jinja files per message, rendered in the recipient's language.

Use::

    from core.mail_templates import render_mail

    mail = render_mail("reservation_cancelled", reservation.locale, number=..., summary=...)
    enqueue_mail(address, mail.subject, mail.text, html=mail.html, dedupe_key=...)

- ``templates/mail/<name>.subject.txt`` (one line), ``<name>.txt`` (the text body) and, where a
  layout helps, ``<name>.html``. Files starting with ``_`` are parts to include, not messages.
- Translated with the pages' own Babel catalogs (``translations/``), in the locale given, not the
  request's: a staff member's click mails the resident in the resident's language.
- Every template gets ``city`` (the municipality's name from its pack, in that language) and
  ``person(name)``: a resident's name as plain text (see :func:`person`).
- A variable the sender forgot is an error (StrictUndefined), never an empty line in a mail.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from flask import current_app
from jinja2 import Environment, StrictUndefined

from core.city import city_name as _city_name
from core.furigana import plain, ruby_html, with_readings
from core.i18n import bound_gettext
from core.languages import CODES, html_lang, normalise
from core.words import catalog

MAIL_DIR = "mail"
LOCALES = CODES
_LINK_LIKE = re.compile(r"[a-z][a-z0-9+.-]*:|www\.|[a-z0-9-]\.[a-z0-9-]|@|/", re.IGNORECASE)


@dataclass(frozen=True)
class Mail:
    subject: str
    text: str
    html: str | None


def person(name: object) -> str:
    """A resident's name as text a mail client cannot turn into a link.

    Names are what residents typed. One that looks like an address (``example.com``,
    ``http://evil``, ``a@b``) is "defanged" the way security notices write hostile addresses
    (``example[.]com``, ``http[:]//evil``): no client autolinks it, and the reader still sees
    what was typed. HTML bodies also escape it (autoescape) and never wrap it in ``<a>``.
    Ordinary names (漢字, かな, "Taro Yamada") are unchanged."""
    text = " ".join(str(name or "").split())
    if not _LINK_LIKE.search(text):
        return text
    return (text.replace(":", "[:]").replace(".", "[.]").replace("@", "[@]").replace("/", "[/]")
            .replace("[:][/][/]", "[:]//"))


def locale_of(value: str | None) -> str:
    return normalise(value) or "ja"


def city_name(locale: str = "ja") -> str:
    """The municipality's name from its pack (``pack.yaml`` ``name``, through core.city).

    Read afresh each time: one process may serve two apps (tests) and a curator may rename.
    """
    return _city_name(locale_of(locale))


def sender_name() -> str:
    """The From display name: ``MAIL_FROM_NAME``, else the city's name (one per message, Japanese)."""
    return current_app.config.get("MAIL_FROM_NAME") or city_name("ja")


def _environment() -> Environment:
    env = current_app.extensions.get("mail_templates")
    if env is None:  # the pages' loader, filters and autoescape (.html only), strict about variables
        env = current_app.jinja_env.overlay(undefined=StrictUndefined)
        current_app.extensions["mail_templates"] = env
    return env


def _mail_files() -> list[str]:
    loader = _environment().loader
    return [n for n in (loader.list_templates() if loader else []) if n.startswith(f"{MAIL_DIR}/")]


def names() -> list[str]:
    """Every message there is a template for (the staff preview lists them)."""
    found = {n[len(MAIL_DIR) + 1:-len(".subject.txt")] for n in _mail_files() if n.endswith(".subject.txt")}
    return sorted(n for n in found if not n.startswith("_"))


def _tidy(text: str) -> str:
    """Templates stay readable: trailing spaces go, and runs of blank lines become one."""
    lines = [line.rstrip() for line in text.strip("\n").splitlines()]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip("\n")


def render_mail(template: str, locale: str | None, /, **context: Any) -> Mail:
    """The subject, text body and (when the message has one) HTML body of ``template``."""
    env = _environment()
    lang = locale_of(locale)
    values = {"city": city_name(lang), "person": person, "mail_locale": lang,
              "mail_html_lang": html_lang(lang), **context, **bound_gettext(catalog(lang))}
    subject = " ".join(env.get_template(f"{MAIL_DIR}/{template}.subject.txt").render(values).split())
    values["subject"] = plain(subject)  # the HTML's <title>, escaped there
    # やさしい日本語's furigana: the kanji alone in the subject, readings in brackets in the text,
    # <ruby> in the HTML (core.furigana)
    text = with_readings(_tidy(env.get_template(f"{MAIL_DIR}/{template}.txt").render(values)))
    html_name = f"{MAIL_DIR}/{template}.html"
    html = ruby_html(env.get_template(html_name).render(values)) if html_name in _html_templates() else None
    return Mail(subject=plain(subject), text=text, html=html)


def _html_templates() -> frozenset[str]:
    known = current_app.extensions.get("mail_html_templates")
    if known is None:
        known = frozenset(n for n in _mail_files() if n.endswith(".html"))
        current_app.extensions["mail_html_templates"] = known
    return known
