"""Mails as templates (core/mail_templates.py, templates/mail/): every message renders in Japanese
and English with the city's name from its pack, every sentence is translated, and names typed by
residents never become links."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from core.mail_templates import person

MAIL_DIR = Path(__file__).resolve().parents[2] / "templates" / "mail"
WITHOUT_LINK = {"reservation_cancelled", "security_alert"}
STAFF_MAILS = {"security_alert"}  # Japanese titles and messages, like the console


@pytest.fixture(scope="module")
def mail_app(tmp_path_factory):
    from app import create_app
    instance = tmp_path_factory.mktemp("mail-templates")
    return create_app({"DATABASE_URL": f"sqlite:///{instance / 'm.db'}", "SECRET_KEY": "test-only",
                       "INSTANCE_PATH": str(instance), "PUBLIC_BASE_URL": "https://guide.example.jp"})


def _pack_name() -> dict[str, str]:
    from knowledge.loader import PACKS_DIR
    return yaml.safe_load((PACKS_DIR / "kakogawa" / "pack.yaml").read_text(encoding="utf-8"))["name"]


def test_every_template_renders_in_both_languages_with_the_city_from_the_pack(mail_app):
    from core.mail_templates import names, render_mail
    from staff.mail_samples import SAMPLES, sample
    with mail_app.test_request_context():
        templates = names()
        assert set(templates) == set(SAMPLES)  # a new message without a sample fails here
        assert {"reservation_confirmed", "application_status", "payment_refunded"} <= set(templates)
        for name in templates:
            ja, en = (render_mail(name, loc, **sample(name, loc)) for loc in ("ja", "en"))
            assert ja.subject.startswith(f"【{_pack_name()['ja']}"), name
            assert en.subject.startswith(f"[{_pack_name()['en']}"), name
            for mail in (ja, en):
                assert "\n" not in mail.subject and mail.text and "\n\n\n" not in mail.text
                assert "https://guide.example.jp/" in mail.text or name in WITHOUT_LINK, name
            if name not in STAFF_MAILS:  # residents' mails: the fixed words are English
                assert not re.search(r"[ぁ-んァ-ン]", en.subject), (name, en.subject)


def test_a_missing_variable_is_an_error_not_an_empty_line(mail_app):
    from jinja2 import UndefinedError

    from core.mail_templates import render_mail
    with mail_app.test_request_context(), pytest.raises(UndefinedError):
        render_mail("application_resume", "ja")


def _msgids(text: str) -> list[str]:
    found = re.findall(r"(?<![a-z])_\('((?:[^'\\]|\\.)*)'", text)
    found += re.findall(r"pgettext\('[^']*', '((?:[^'\\]|\\.)*)'", text)
    return [s.replace("\\n", "\n") for s in found]


def test_every_sentence_of_every_mail_has_an_english_translation():
    from babel.messages.pofile import read_po
    po = Path(__file__).resolve().parents[2] / "translations" / "en" / "LC_MESSAGES" / "messages.po"
    with po.open("rb") as handle:
        catalog = read_po(handle)
    translated = {m.id for m in catalog if m.id and m.string}
    translated |= {m.id for m in catalog if m.context and m.string}
    ids = {s for f in MAIL_DIR.iterdir() for s in _msgids(f.read_text(encoding="utf-8"))}
    assert len(ids) > 30
    assert sorted(ids - translated) == []


@pytest.mark.parametrize("name", ["example.com", "http://evil.example/x", "www.evil.example", "a@evil.example",
                                  "javascript:alert(1)"])
def test_a_name_that_looks_like_an_address_is_shown_defanged(name):
    shown = person(name)
    assert "." not in shown.replace("[.]", "") and "://" not in shown and "@" not in shown.replace("[@]", "")
    assert shown.replace("[.]", ".").replace("[:]", ":").replace("[@]", "@").replace("[/]", "/") == name


@pytest.mark.parametrize("name", ["山田 太郎", "Taro Yamada", "ヤマダ タロウ", "J. Smith"])
def test_ordinary_names_are_unchanged(name):
    assert person(name) == name


def test_names_in_bodies_are_text_never_links_and_escaped_in_html(mail_app):
    from core.mail_templates import render_mail
    from staff.mail_samples import sample
    hostile = '<a href="http://evil.example">http://evil.example</a> "x" <script>'
    with mail_app.test_request_context():
        for locale in ("ja", "en"):
            mail = render_mail("reservation_confirmed", locale, **{**sample("reservation_confirmed", locale),
                                                                   "name": hostile})
            assert "http://evil.example" not in mail.text and "http[:]//evil[.]example" in mail.text
            assert mail.html is not None and "<script>" not in mail.html and "evil.example" not in mail.html
            assert re.findall(r'<a href="([^"]+)"', mail.html) == [sample("reservation_confirmed", locale)["manage_url"]]
            assert "&lt;a href=" in mail.html  # the typed tag shows as text


def test_the_greeting_names_the_resident_in_each_language(mail_app):
    from core.mail_templates import render_mail
    from staff.mail_samples import sample
    with mail_app.test_request_context():
        ja = render_mail("reservation_reminder", "ja", **{**sample("reservation_reminder", "ja"), "name": "山田 花子"})
        en = render_mail("reservation_reminder", "en", **{**sample("reservation_reminder", "en"), "name": "Hanako"})
        nameless = render_mail("reservation_reminder", "ja", **{**sample("reservation_reminder", "ja"), "name": None})
    assert ja.text.startswith("山田 花子 様\n\n明日の窓口の予約をお知らせします。")
    assert en.text.startswith("Dear Hanako,\n\nThis is a reminder of your booking tomorrow.")
    assert nameless.text.startswith("明日の窓口の予約をお知らせします。")  # no lone 「 様」


def test_the_sender_name_is_the_city_unless_configured(mail_app, monkeypatch):
    from core.mail_templates import sender_name
    with mail_app.app_context():
        assert sender_name() == _pack_name()["ja"]
        monkeypatch.setitem(mail_app.config, "MAIL_FROM_NAME", "市民課")
        assert sender_name() == "市民課"
