"""The review screen of one application (/staff/applications/<受付番号>), walked as a 市民課 clerk:
the 基本4情報 check beside the fields it checks (性別 too where the form asks it), 補正 inline with
the department's 定型文, internal notes that never reach the resident, 「次の申請へ」 after each
action, and the 定型文 console page. Forms are posted as the browser sends them (every control of
the form, tests/web/browser_form.py); every test runs on SQLite and PostgreSQL."""
# ruff: noqa: F811  (the fixtures of test_staff_applications.py are imported by name)
from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from sqlalchemy import select, text, update

from core import policy
from core.audit import AuditRecord
from core.db import db
from core.outbox import OutboxMessage
from intake import applications as svc
from intake import links, workflow
from intake.models import Application, ApplicationEvent
from staff.correction_phrases import CorrectionPhrase
from tests.browserlike import form_fields
from tests.web.test_staff_applications import (  # noqa: F401  (fixtures)
    FIELDS,
    _cert,
    _get,
    _move,
    staff,
    submitted,
)

BLURRY = "添付された本人確認書類の画像が不鮮明です。もう一度撮影して添付してください。"


def _page(client, number):
    r = client.get(f"/staff/applications/{number}")
    assert r.status_code == 200, r.get_data(as_text=True)[:500]
    return r.get_data(as_text=True)


def _submit(client, number, data, path):
    return client.post(f"/staff/applications/{number}{path}", data=data)


def _audits(app, action, target=None):
    with app.app_context():
        stmt = select(AuditRecord).where(AuditRecord.action == action)
        if target:
            stmt = stmt.where(AuditRecord.target == target)
        return db.session.scalars(stmt.order_by(AuditRecord.id)).all()  # in the order written


def _reviewing(app, forms, trusted, card_key, staff_client, **kw):
    number = submitted(app, forms, trusted, _cert(trusted, card_key), **kw)
    assert _move(staff_client, number, workflow.REVIEWING).status_code == 302
    return number


# --- the screen --------------------------------------------------------------------------------

def test_the_content_comes_first_with_each_identity_check_beside_its_field(app, forms, trusted, card_key, staff):
    number = submitted(app, forms, trusted, _cert(trusted, card_key))
    html = _page(staff(), number)
    main, panel = html.index('class="review__top"'), html.index('data-review-panel')
    assert main < panel  # the application first, the actions beside it
    for field, item in (("applicant_family_name", "氏名"), ("applicant_birth_date", "生年月日"),
                        ("applicant_address", "住所")):
        row = html[html.index(f'id="row-{field}"'):]
        row = row[:row.index("</div>")]
        assert f"{item}：電子証明書と一致" in row and "✓" in row, field
    assert 'id="row-applicant_sex"' not in html  # this form does not ask 性別: nothing compared
    assert "性別：" not in html[:panel]


@pytest.fixture
def sex_form(app, forms, monkeypatch):
    """住民票の写し as a form that asks 性別 too (``applicant: sex: true``), served to the console."""
    from intake.forms import build_form
    from knowledge.loader import load_pack
    from staff import applications_common

    base = forms["juminhyo_utsushi"]
    definition = base.definition.model_copy(update={
        "applicant": base.definition.applicant.model_copy(update={"sex": True})})
    form = build_form(definition, load_pack("kakogawa"))
    assert "applicant_sex" in form.fields
    original = applications_common.form_for
    monkeypatch.setattr(applications_common, "form_for",
                        lambda pid: form if pid == "juminhyo_utsushi" else original(pid))
    return form


def test_sex_is_compared_where_the_form_asks_it_and_a_mismatch_shows_the_certificate(app, forms, trusted, card_key,
                                                                                    staff, sex_form):
    # the certificate says 女 (code 2); the form says 男
    number = submitted(app, forms, trusted, _cert(trusted, card_key), fields={**FIELDS, "applicant_sex": "male"})
    html = _page(staff(), number)
    row = html[html.index('id="row-applicant_sex"'):]
    row = row[:row.index("</dd>")]
    assert "性別：電子証明書と不一致" in row and "（証明書では「女」）" in row and "identity-check--differs" in row
    # and in the signature's table of the four items
    assert '<th scope="row">性別</th><td><span class="identity identity--differs">不一致</span>' in html
    number = submitted(app, forms, trusted, _cert(trusted, card_key), fields={**FIELDS, "applicant_sex": "female"})
    row = _page(staff(), number)
    row = row[row.index('id="row-applicant_sex"'):]
    assert "性別：電子証明書と一致" in row[:row.index("</dd>")]


def test_next_application_follows_the_queue_and_says_when_there_is_none(app, forms, trusted, card_key, staff):
    department = "h1queue"  # a department of this test's own (each test starts on an empty database)
    cert = _cert(trusted, card_key)
    numbers = [submitted(app, forms, trusted, cert) for _ in range(3)]
    base = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    with app.app_context():  # a department of their own, oldest first in this order
        for i, number in enumerate(numbers):
            db.session.execute(update(Application).where(Application.receipt_number == number).values(
                department_id=department, submitted_at=base + dt.timedelta(minutes=i)))
        db.session.commit()
    client = staff(departments=department)
    first, second, third = numbers

    def next_of(number, done=""):
        html = client.get(f"/staff/applications/{number}" + (f"?done={done}" if done else "")).get_data(as_text=True)
        found = re.findall(r'href="/staff/applications/(\d{6}-\d{6})"[^>]*data-shortcut="next"', html)
        return found, html

    assert next_of(first)[0] == [second]
    assert next_of(second)[0] == [third]
    assert next_of(third)[0] == [first]  # from the end, the oldest again; never the same one
    # after an action: what was done, and the next one
    r = _move(client, first, workflow.REVIEWING)
    assert r.status_code == 302 and "done=status" in r.location
    found, html = next_of(first, "status")
    assert "状態を「審査中」に変更しました。" in html and found == [second, second]  # banner and panel
    # closed ones leave the queue; with none left, the page says so
    for number in (second, third):
        assert _move(client, number, workflow.REJECTED, note="必要な書類がありません。").status_code == 302
    found, html = next_of(first, "status")
    assert found == [] and "ほかに処理を待っている申請はありません。" in html
    # administrators: the queue of every department (here: one of 市民課 sent just now)
    other = submitted(app, forms, trusted, cert)
    admin = staff(policy.ADMIN, "").get(f"/staff/applications/{first}").get_data(as_text=True)
    assert re.search(r'href="/staff/applications/\d{6}-\d{6}"[^>]*data-shortcut="next"', admin)
    assert next_of(first)[0] == []  # still none for the clerk: 市民課 is not their department
    assert other not in client.get(f"/staff/applications/{first}").get_data(as_text=True)


# --- 補正 inline with 定型文 -----------------------------------------------------------------------

def test_correction_inline_with_a_phrase_and_nothing_typed_is_lost(app, forms, trusted, card_key, staff):
    client = staff()
    number = _reviewing(app, forms, trusted, card_key, client)
    html = _page(client, number)
    data = form_fields(html, form_id="correction-form")
    # every field row can be marked, and the panel's message and button belong to the same form
    assert {"comment-copies", "comment-applicant_family_name", "phrase-copies", "note", "phrase-note",
            "expected", "csrf_token"} <= set(data)
    assert 'form="correction-form"' in html and BLURRY in html
    key = re.search(r'<option value="(pack:image_unclear)"', html).group(1)
    # no message for the resident: refused, everything typed and chosen comes back
    r = _submit(client, number, {**data, "comment-copies": "通数は1通にしてください。",
                                 "phrase-applicant_family_name": key}, "/correction")
    body = r.get_data(as_text=True)
    assert r.status_code == 400 and "申請者へのお知らせを書いてください" in body
    again = form_fields(body, form_id="correction-form")
    assert again["comment-copies"] == "通数は1通にしてください。"
    assert again["comment-applicant_family_name"] == BLURRY  # the chosen phrase, kept as text
    assert again["phrase-applicant_family_name"] == ""  # and not appended a second time
    assert _get(app, number).status == workflow.REVIEWING
    # sent as the browser sends the page it got back
    r = _submit(client, number, {**again, "note": "2か所を直して、もう一度送ってください。"}, "/correction")
    assert r.status_code == 302 and "done=correction" in r.location
    application = _get(app, number)
    assert application.status == workflow.CORRECTION
    with app.app_context():
        event = svc.latest_correction(db.session.get(Application, application.id))
        assert json.loads(event.field_comments_json) == {"copies": "通数は1通にしてください。",
                                                          "applicant_family_name": BLURRY}
        assert event.note == "2か所を直して、もう一度送ってください。"
    record = _audits(app, "application.status", number)[-1]
    assert json.loads(record.details)["to"] == workflow.CORRECTION
    assert "補正を依頼しました。" in client.get(r.location).get_data(as_text=True)


def test_correction_refuses_no_comment_a_forged_phrase_and_a_stale_form(app, forms, trusted, card_key, staff):
    client = staff()
    number = _reviewing(app, forms, trusted, card_key, client)
    data = form_fields(_page(client, number), form_id="correction-form")
    r = _submit(client, number, {**data, "note": "直してください。"}, "/correction")
    body = r.get_data(as_text=True)
    assert r.status_code == 400 and "少なくとも1つコメント" in body and "直してください。" in body
    r = _submit(client, number, {**data, "note": "直してください。", "comment-copies": "1通に",
                                 "phrase-copies": "pack:no_such_phrase"}, "/correction")
    body = r.get_data(as_text=True)
    assert r.status_code == 400 and "定型文を選び直してください" in body and "1通に" in body
    assert client.get(f"/staff/applications/{number}/correction").status_code == 302  # old links land on the screen
    _move(client, number, workflow.REJECTED, note="取り下げの電話がありました。")
    r = _submit(client, number, {**data, "note": "直してください。", "comment-copies": "1通に"}, "/correction")
    assert r.status_code == 409 and "却下" in r.get_data(as_text=True)
    assert _get(app, number).status == workflow.REJECTED


def test_the_correction_phrases_work_without_javascript_appended_once():
    from staff.correction_phrases import with_phrase
    assert with_phrase("", BLURRY) == BLURRY
    assert with_phrase("裏面もお願いします。", BLURRY) == f"裏面もお願いします。\n{BLURRY}"
    assert with_phrase(BLURRY, BLURRY) == BLURRY  # inserted by the script already
    assert with_phrase("あ" * 990, BLURRY) == "あ" * 990 + "\n" + BLURRY  # never cut


def test_too_long_comments_and_notes_are_refused_and_kept_whole(app, forms, trusted, card_key, staff):
    client = staff()
    number = _reviewing(app, forms, trusted, card_key, client)
    html = _page(client, number)
    data = form_fields(html, form_id="correction-form")
    key = re.search(r'<option value="(pack:image_unclear)"', html).group(1)
    long_comment = "い" * 990  # with the phrase it passes 1,000 characters
    r = _submit(client, number, {**data, "comment-copies": long_comment, "phrase-copies": key,
                                 "note": "直してください。"}, "/correction")
    body = r.get_data(as_text=True)
    assert r.status_code == 400 and "1,000文字以内にしてください" in body
    assert form_fields(body, form_id="correction-form")["comment-copies"] == f"{long_comment}\n{BLURRY}"
    assert _get(app, number).status == workflow.REVIEWING
    status = form_fields(html, action_endswith="/status")
    assert "to" not in status  # no choice made yet: a browser sends no value for the radios
    r = _submit(client, number, {**status, "to": workflow.REJECTED, "note": "え" * 2001}, "/status")
    body = r.get_data(as_text=True)
    assert r.status_code == 400 and "2,000文字以内にしてください" in body and "え" * 2001 in body
    assert _get(app, number).status == workflow.REVIEWING
    note = form_fields(html, action_endswith="/note")
    r = _submit(client, number, {**note, "internal_note": "う" * 2001}, "/note")
    body = r.get_data(as_text=True)
    assert r.status_code == 400 and "2,000文字以内にしてください（今：2,001文字）" in body and "う" * 2001 in body


# --- internal notes ------------------------------------------------------------------------------

def test_internal_note_is_kept_for_staff_and_never_reaches_the_resident(app, forms, trusted, card_key, staff):
    client = staff()
    number = submitted(app, forms, trusted, _cert(trusted, card_key))
    secret = "職員メモ：電話で本人確認済み（折り返し番号は控え済み）"
    data = form_fields(_page(client, number), action_endswith="/note")
    assert set(data) == {"csrf_token", "internal_note"}
    r = _submit(client, number, {**data, "internal_note": ""}, "/note")
    assert r.status_code == 400 and "職員メモを書いてください" in r.get_data(as_text=True)
    r = _submit(client, number, {**data, "internal_note": secret}, "/note")
    assert r.status_code == 302 and "done=note" in r.location
    html = client.get(r.location).get_data(as_text=True)
    assert secret in html and "職員メモを残しました。" in html and "（申請者には見えません）" in html
    assert len(_audits(app, "application.note", number)) == 1
    # a status change after it: the resident's e-mail, status page and API carry no note
    _move(client, number, workflow.REVIEWING)
    application = _get(app, number)
    with app.app_context():
        event = db.session.scalar(select(ApplicationEvent).where(
            ApplicationEvent.application_id == application.id, ApplicationEvent.kind == "internal_note"))
        assert event.note == secret and event.actor.startswith("staff:")
        raw = db.session.execute(text("SELECT note FROM application_event WHERE id = :id"),
                                 {"id": event.id}).scalar_one()
        assert secret not in raw  # encrypted at rest like every note
        mails = db.session.scalars(select(OutboxMessage)).all()
        assert mails and all(secret not in m.body and secret not in m.subject for m in mails)
    with app.test_request_context("/"):
        token = links.status_token(application.id)
    resident = app.test_client()
    page = resident.get(f"/apply/status/{token}")
    assert page.status_code == 200 and number in page.get_data(as_text=True)
    assert secret not in page.get_data(as_text=True) and "職員メモ" not in page.get_data(as_text=True)
    api = resident.get(f"/api/v1/applications/{application.id}/status", query_string={"token": token})
    assert api.status_code == 200 and secret not in api.get_data(as_text=True)


# --- the 定型文 page -----------------------------------------------------------------------------

def test_department_staff_keep_their_own_phrases(app, forms, trusted, card_key, staff):
    client = staff()
    page = client.get("/staff/applications/phrases")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="dep-shimin"' in html and BLURRY in html
    assert 'id="dep-kenchiku"' not in html  # only the user's departments
    data = form_fields(html, action_endswith="/phrases/add")
    assert data["department"] == "shimin"
    mine = "住民票の使いみちを書いてください。（この課の定型文）"
    r = client.post("/staff/applications/phrases/add", data={**data, "text": "  "})
    assert r.status_code == 400 and "定型文を入力してください" in r.get_data(as_text=True)
    r = client.post("/staff/applications/phrases/add", data={**data, "text": "あ" * 301})
    body = r.get_data(as_text=True)
    assert r.status_code == 400 and "300文字以内" in body and "あ" * 301 in body  # kept as typed
    r = client.post("/staff/applications/phrases/add", data={**data, "text": mine})
    assert r.status_code == 302
    with app.app_context():
        phrase = db.session.scalar(select(CorrectionPhrase).where(CorrectionPhrase.text == mine))
        assert phrase.department_id == "shimin"
        phrase_id = phrase.id
    # offered on the review screen of a shimin application
    number = _reviewing(app, forms, trusted, card_key, client)
    assert f'<option value="db:{phrase_id}">{mine}</option>' in _page(client, number)
    # edit, as the browser sends the edit form
    html = client.get("/staff/applications/phrases").get_data(as_text=True)
    edit = form_fields(html, action_endswith=f"/phrases/{phrase_id}/edit")
    assert edit["text"] == mine
    r = client.post(f"/staff/applications/phrases/{phrase_id}/edit", data={**edit, "text": mine + "（変更）"})
    assert r.status_code == 302
    # another department cannot touch it
    other = staff(departments="kenchiku")
    html = other.get("/staff/applications/phrases").get_data(as_text=True)
    other_data = form_fields(html, action_endswith="/phrases/add")
    assert other.post(f"/staff/applications/phrases/{phrase_id}/edit", data={**other_data, "text": "x"}).status_code == 404
    assert other.post(f"/staff/applications/phrases/{phrase_id}/delete",
                      data={"csrf_token": other_data["csrf_token"]}).status_code == 404
    assert other.post("/staff/applications/phrases/add", data={**other_data, "department": "shimin",
                                                               "text": "x"}).status_code == 404
    for role in (policy.AUDITOR, policy.COUNTER, policy.CURATOR):
        assert staff(role, "shimin").get("/staff/applications/phrases").status_code == 403
    # administrators see every department with online forms
    admin_html = staff(policy.ADMIN, "").get("/staff/applications/phrases").get_data(as_text=True)
    assert 'id="dep-shimin"' in admin_html and 'id="dep-kenchiku"' in admin_html and mine + "（変更）" in admin_html
    # delete
    delete = form_fields(client.get("/staff/applications/phrases").get_data(as_text=True),
                         action_endswith=f"/phrases/{phrase_id}/delete")
    assert client.post(f"/staff/applications/phrases/{phrase_id}/delete", data=delete).status_code == 302
    with app.app_context():
        assert db.session.get(CorrectionPhrase, phrase_id) is None
    target = f"phrase:{phrase_id}"
    assert [len(_audits(app, f"correction_phrase.{a}", target)) for a in ("add", "edit", "delete")] == [1, 1, 1]
    assert _audits(app, "correction_phrase.view")


def test_the_review_screen_and_phrases_page_in_english(app, forms, trusted, card_key, staff):
    client = staff()
    number = _reviewing(app, forms, trusted, card_key, client)
    html = client.get(f"/staff/applications/{number}?lang=en").get_data(as_text=True)
    assert 'lang="en"' in html
    assert "Keyboard shortcuts" in html and "Ask for a correction" in html
    assert "Matches the certificate" in html
    html = client.get("/staff/applications/phrases?lang=en").get_data(as_text=True)
    assert "Correction phrases" in html
    client.get("/staff/applications/phrases?lang=ja")


def test_a_broken_phrases_file_does_not_stop_the_reviews(app, forms, trusted, card_key, staff, monkeypatch):
    from knowledge.yamlfile import KnowledgeError
    from staff import applications_common

    def broken(*args, **kwargs):
        raise KnowledgeError(["correction_phrases.yaml:3: common.0.text: Field required"])

    client = staff()
    number = _reviewing(app, forms, trusted, card_key, client)
    monkeypatch.setattr(applications_common, "load_phrases", broken)
    applications_common.phrases_of_generation.cache_clear()
    try:
        html = _page(client, number)
        assert 'name="comment-copies"' in html and "pack:image_unclear" not in html
    finally:
        monkeypatch.undo()
        applications_common.phrases_of_generation.cache_clear()
    assert "pack:image_unclear" in _page(client, number)


def test_phrase_service_checks_text_scope_and_the_department_limit(app):
    from staff import correction_phrases as phrases

    department = "h1phrases"
    now = dt.datetime.now(dt.UTC)
    with app.app_context():
        with pytest.raises(phrases.PhraseError) as exc:
            phrases.add(department, " \r\n\t ", "staff:test", now)
        assert exc.value.code == "empty"
        first = phrases.add(department, "  改行も\r\n残ります。\x07 ", "staff:test", now)
        assert first.text == "改行も\n残ります。"  # ends trimmed, CRLF folded, control characters dropped
        for n in range(phrases.MAX_PER_DEPARTMENT - 1):
            phrases.add(department, f"定型文{n}です。", "staff:test", now)
        with pytest.raises(phrases.PhraseError) as exc:
            phrases.add(department, "もう1つ。", "staff:test", now)
        assert exc.value.code == "too_many"
        assert phrases.get(first.id, [department]) is first and phrases.get(first.id, ["shimin"]) is None
        assert phrases.get(first.id, None) is first  # administrators: every department
        choices = phrases.choices(department, applications_common_starters())
        assert choices[0] == phrases.Choice(f"db:{first.id}", first.text, True)
        assert choices[-1].key.startswith("pack:") and not choices[-1].own
        db.session.rollback()


def applications_common_starters():
    from knowledge.correction_phrases import load_phrases
    return load_phrases("kakogawa")
