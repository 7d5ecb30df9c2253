"""The staff preview of every mail template (staff/mail_preview_views.py): administrators read
each message with sample data in Japanese and English, text and HTML; nobody else does."""
from __future__ import annotations

import html as html_lib
import re

from core import policy


def test_an_administrator_reads_every_template_in_every_language(app, staff_client):
    from core.mail_templates import names
    client = staff_client(policy.ADMIN)
    index = client.get("/staff/mail-templates/")
    assert index.status_code == 200
    with app.app_context():
        templates = names()
    page = index.get_data(as_text=True)
    assert all(f"/staff/mail-templates/{name}" in page for name in templates)
    for name in templates:
        r = client.get(f"/staff/mail-templates/{name}")
        assert r.status_code == 200, name
        page = r.get_data(as_text=True)
        assert "【加古川市" in page and "[Kakogawa City" in page, name
        assert 'lang="ja"' in page and 'lang="en"' in page
    moved = client.get("/staff/mail-templates/reservation_moved").get_data(as_text=True)
    frames = re.findall(r'<iframe class="mail-preview" sandbox srcdoc="([^"]*)"', moved)
    assert len(frames) == 7 and all("<ul>" in html_lib.unescape(f) for f in frames)  # every language; the HTML, escaped once
    assert all(f'lang="{tag}"' in moved for tag in ("ja", "en", "zh-Hans", "ko", "vi", "pt-BR"))
    assert "Dear 山田 太郎," in moved and "山田 太郎 様" in moved


def test_unknown_templates_are_404_and_other_roles_are_refused(staff_client):
    admin = staff_client(policy.ADMIN)
    assert admin.get("/staff/mail-templates/_footer").status_code == 404
    assert admin.get("/staff/mail-templates/nothing").status_code == 404
    for role in (policy.DEPARTMENT, policy.COUNTER, policy.AUDITOR, policy.CURATOR):
        client = staff_client(role)
        assert client.get("/staff/mail-templates/").status_code == 403
        assert client.get("/staff/mail-templates/reservation_confirmed").status_code == 403


def test_the_menu_shows_the_preview_to_administrators_only(staff_client):
    assert "/staff/mail-templates/" in staff_client(policy.ADMIN).get("/staff/").get_data(as_text=True)
    assert "/staff/mail-templates/" not in staff_client(policy.COUNTER).get("/staff/").get_data(as_text=True)


def test_each_language_is_named_in_the_readers_language(staff_client):
    client = staff_client(policy.ADMIN)
    ja = client.get("/staff/mail-templates/application_status?lang=ja").get_data(as_text=True)
    assert '<h2 id="mail-ja">日本語</h2>' in ja and '<h2 id="mail-en">英語</h2>' in ja
    en = client.get("/staff/mail-templates/application_status?lang=en").get_data(as_text=True)
    assert '<h2 id="mail-ja">Japanese</h2>' in en and '<h2 id="mail-en">English</h2>' in en
