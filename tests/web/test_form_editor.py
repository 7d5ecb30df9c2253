"""The form editor of the curators' console (/staff/content/drafts/<id>/forms, staff/form_views.py):
a new form for a procedure, its pages and fields from the palette, conditions, fee and review
settings, the phone-sized preview, the same check as the CLI before anything is saved, and
hostile input answered with a 4xx in the curator's language."""
from __future__ import annotations

import re

import yaml

from core import policy
from tests.conftest import csrf_from

PROCEDURE = "inkan_haishi"  # not online in the pack: the editor makes it so


def _post(client, url: str, data: dict | None = None, page: str = "/staff/content/"):
    token = csrf_from(client.get(page).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **(data or {})})


def _new_draft(client) -> str:
    r = _post(client, "/staff/content/drafts")
    assert r.status_code == 302
    return re.search(r"(/staff/content/drafts/\d+)$", r.location)[1]


def _file(client, draft_url: str, path: str) -> dict:
    import html as htmlmod
    page = client.get(f"{draft_url}/file/{path}").get_data(as_text=True)
    return yaml.safe_load(htmlmod.unescape(re.search(r'<textarea[^>]*id="content"[^>]*>(.*?)</textarea>', page, re.S)[1]))


def _created(client) -> tuple[str, str]:
    draft = _new_draft(client)
    r = _post(client, f"{draft}/forms/", {"procedure": PROCEDURE}, page=f"{draft}/forms/")
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    return draft, f"{draft}/forms/{PROCEDURE}"


def _op(client, form_url: str, op: str, data: dict):
    return _post(client, f"{form_url}/{op}", data, page=form_url)


def test_a_new_form_makes_the_procedure_online_and_opens_in_the_editor(app, staff_client):
    client = staff_client(policy.CURATOR)
    draft, form_url = _created(client)
    assert _file(client, draft, f"procedures/{PROCEDURE}.yaml")["online"] is True
    form = _file(client, draft, f"forms/{PROCEDURE}.yaml")
    assert form["id"] == PROCEDURE and form["sections"][0]["fields"][0]["type"] == "text"
    page = client.get(form_url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "項目を追加する" in html and 'width="375"' in html
    assert f'href="{form_url}' in client.get(f"{draft}/forms/").get_data(as_text=True)
    changes = client.get(draft).get_data(as_text=True)  # the draft's own diff shows both files
    assert f"forms/{PROCEDURE}.yaml" in changes and f"procedures/{PROCEDURE}.yaml" in changes


def test_the_reviewing_department_and_the_signature_items_are_chosen_on_the_page(app, staff_client):
    client = staff_client(policy.CURATOR)
    draft, form_url = _created(client)
    page = client.get(form_url).get_data(as_text=True)
    assert 'name="department"' in page and "手続きの担当課（既定）" in page and "国民健康保険課" in page
    assert page.count('name="match"') == 3 and page.count('name="match" value=') == 3  # no 性別: the form does not ask it
    r = _op(client, form_url, "review", {"department": "kokuho", "match": ["name", "address"]})
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    form = _file(client, draft, f"forms/{PROCEDURE}.yaml")
    assert form["review"] == {"department": "kokuho"} and form["signature"] == {"match": ["name", "address"]}
    # nothing ticked: refused beside the boxes, the department chosen is still chosen
    r = _op(client, form_url, "review", {"department": "kokuho"})
    body = r.get_data(as_text=True)
    assert r.status_code == 400 and "照らし合わせる項目を1つ以上選んでください" in body
    assert re.search(r'<option value="kokuho"[^>]*selected', body)
    # an id the pack does not have: the CLI's check refuses it, nothing saved
    r = _op(client, form_url, "review", {"department": "no_such_department", "match": ["name"]})
    assert r.status_code == 400
    assert _file(client, draft, f"forms/{PROCEDURE}.yaml")["review"] == {"department": "kokuho"}


def test_build_a_form_with_palette_condition_fee_and_review(app, staff_client):
    client = staff_client(policy.CURATOR)
    draft, form_url = _created(client)
    assert _op(client, form_url, "add_field", {"section": "details", "kind": "number", "field_id": "copies"}).status_code == 302
    assert _op(client, form_url, "add_field", {"section": "details", "kind": "radio", "field_id": "how"}).status_code == 302
    r = _op(client, form_url, "edit_field", {"field": "how", "label-ja": "受け取り", "label-en": "Receive",
                                             "required": "yes", "choices": "mail | 郵送 | By post\ncounter | 窓口 | At the counter"})
    assert r.status_code == 302, r.get_data(as_text=True)[:3000]
    assert _op(client, form_url, "add_section", {"new_section": "extra", "new_title-ja": "追加", "new_title-en": "Extra",
                                                  "new_kind": "attachment"}).status_code == 302
    r = _op(client, form_url, "section_condition", {"section": "extra", "condition": "how=mail"})
    assert r.status_code == 302
    assert _op(client, form_url, "fee", {"copies_field": "copies", "payment": "after_review"}).status_code == 302
    assert _op(client, form_url, "review", {"second_approver": "yes", "standard_processing_days": "5",
                                            "match": ["name", "birth_date", "address"]}).status_code == 302
    form = _file(client, draft, f"forms/{PROCEDURE}.yaml")
    assert [s["id"] for s in form["sections"]] == ["details", "extra"]
    assert form["sections"][1]["show_if"] == {"how": "mail"}
    assert form["sections"][1]["fields"][0]["file"]["types"] == ["pdf", "jpeg", "png"]
    assert form["fee"] == {"copies_field": "copies", "payment": "after_review"}
    assert form["review"] == {"second_approver": True, "standard_processing_days": 5}
    preview = client.get(f"{form_url}/preview")
    assert preview.status_code == 200
    assert "SAMEORIGIN" == preview.headers["X-Frame-Options"]
    assert "frame-ancestors 'self'" in preview.headers["Content-Security-Policy"]
    html = preview.get_data(as_text=True)
    assert "郵送" in html and "追加" in html and "申請する人" in html  # the standard first page too
    assert client.get(form_url).headers["X-Frame-Options"] == "DENY"  # the editor itself is not framed


def test_a_problem_the_check_finds_is_not_saved_and_the_typed_words_stay(app, staff_client):
    client = staff_client(policy.CURATOR)
    draft, form_url = _created(client)
    _op(client, form_url, "add_field", {"section": "details", "kind": "number", "field_id": "copies"})
    before = _file(client, draft, f"forms/{PROCEDURE}.yaml")
    r = _op(client, form_url, "edit_field", {"field": "copies", "label-ja": "通数の入力", "label-en": "",
                                             "required": "yes", "min": "5", "max": "2"})
    assert r.status_code == 400
    html = r.get_data(as_text=True)
    assert "通数の入力" in html and "日本語と英語の両方で入れてください" in html
    assert "いちばん小さい数が、いちばん大きい数より大きくなっています" in html
    assert _file(client, draft, f"forms/{PROCEDURE}.yaml") == before
    # the CLI's check (intake.forms.check_form) refuses a default that does not fit: shown beside the field
    r = _op(client, form_url, "edit_field", {"field": "copies", "label-ja": "通数", "label-en": "Copies",
                                             "required": "yes", "min": "3", "max": "4"})
    assert r.status_code == 302  # the default 1 below min 3 is dropped by the editor itself
    assert "default" not in _file(client, draft, f"forms/{PROCEDURE}.yaml")["sections"][0]["fields"][1]


def test_hostile_input_is_a_4xx(app, staff_client):
    client = staff_client(policy.CURATOR)
    draft, form_url = _created(client)
    assert client.get(f"{draft}/forms/nope").status_code == 404
    assert client.get(f"{draft}/forms/Bad..Id").status_code == 404
    assert client.get(f"{draft}/forms/{PROCEDURE}?edit=field:nope").status_code == 404
    assert _op(client, form_url, "explode", {}).status_code == 404
    assert _op(client, form_url, "edit_field", {"field": "nope", "label-ja": "a", "label-en": "b"}).status_code == 404
    r = _op(client, form_url, "add_field", {"section": "details", "kind": "text", "field_id": "details_text"})
    assert r.status_code == 409 and "もう使われています" in r.get_data(as_text=True)
    r = _op(client, form_url, "add_field", {"section": "details", "kind": "text", "field_id": "applicant_phone"})
    assert r.status_code == 409  # a standard section's id
    r = _op(client, form_url, "add_field", {"section": "details", "kind": "rocket"})
    assert r.status_code == 400
    _op(client, form_url, "add_field", {"section": "details", "kind": "radio", "field_id": "later"})
    r = _op(client, form_url, "field_condition", {"field": "details_text", "condition": "later=a"})
    assert r.status_code == 400 and "前にある選択肢の項目" in r.get_data(as_text=True)
    r = _post(client, f"{draft}/forms/", {"procedure": "no_such_procedure"}, page=f"{draft}/forms/")
    assert r.status_code == 400
    r = _post(client, f"{draft}/forms/", {"procedure": PROCEDURE}, page=f"{draft}/forms/")
    assert r.status_code == 409


def test_only_curators_and_administrators(app, staff_client):
    curator = staff_client(policy.CURATOR)
    draft, form_url = _created(curator)
    for role in (policy.AUDITOR, policy.COUNTER):
        other = staff_client(role)
        assert other.get(f"{draft}/forms/").status_code in (403, 404)
        assert other.get(f"{form_url}/preview").status_code in (403, 404)


def test_the_clis_check_refuses_and_its_words_stand_beside_the_setting(app, staff_client):
    """What only intake.forms.check_form sees (a copies field that may go below 0) is not saved,
    and is worded in the curator's language beside the fee settings."""
    client = staff_client(policy.CURATOR)
    draft, form_url = _created(client)
    _op(client, form_url, "add_field", {"section": "details", "kind": "number", "field_id": "copies"})
    r = _op(client, form_url, "edit_field", {"field": "copies", "label-ja": "通数", "label-en": "Copies",
                                             "required": "yes", "min": "-1", "max": "5"})
    assert r.status_code == 302
    before = _file(client, draft, f"forms/{PROCEDURE}.yaml")
    r = _op(client, form_url, "fee", {"copies_field": "copies", "payment": "at_submission"})
    assert r.status_code == 400
    html = r.get_data(as_text=True)
    assert "「copies」は、いちばん小さい数が0以上の、整数の項目にしてください。" in html
    assert 'href="#fee"' in html and 'id="fee"' in html  # the summary links to the setting
    assert _file(client, draft, f"forms/{PROCEDURE}.yaml") == before


def test_the_review_and_signature_problems_of_a_hand_edited_form_read_in_japanese(app, staff_client):
    """A form edited as text with a review department the pack does not have and signature items
    listed twice or not asked: the console's preview words the CLI's problems in Japanese."""
    client = staff_client(policy.CURATOR)
    draft, form_url = _created(client)
    form = _file(client, draft, f"forms/{PROCEDURE}.yaml")
    form["review"] = {"department": "no_such_department"}
    form["signature"] = {"match": ["name", "name", "sex"]}
    r = _post(client, f"{draft}/file/forms/{PROCEDURE}.yaml", {"content": yaml.safe_dump(form, allow_unicode=True)},
              page=f"{draft}/file/forms/{PROCEDURE}.yaml")
    assert r.status_code == 302
    html = client.get(f"{form_url}/preview").get_data(as_text=True)
    assert "「no_such_department」という課はありません。" in html
    assert "「name」が2回書かれています。1回にしてください。" in html
    assert "性別（sex）を照らし合わせるには、フォームで性別を尋ねる設定（applicant.sex: true）が必要です。" in html
    assert "listed twice" not in html and "needs applicant.sex" not in html and "unknown department" not in html


def test_the_field_editor_marks_the_inputs_its_check_needs(app, staff_client):
    """The label's and the hint's Japanese and English are needed together (an empty hint may be
    left out): both are marked 必須 like every other needed input, the hint's group says when."""
    client = staff_client(policy.CURATOR)
    _draft, form_url = _created(client)
    html = client.get(f"{form_url}?edit=field:details_text").get_data(as_text=True)
    required = re.compile(r'<label class="label" for="(?P<id>[\w-]+)">[^<]*<span class="tag-required">※必須</span>')
    marked = {m["id"] for m in required.finditer(html)}
    assert {"label-ja", "label-en", "hint-ja", "hint-en"} <= marked
    assert not marked & {"label-easy", "hint-easy", "hint-zh"}  # the other languages stay optional
    assert re.search(r'<fieldset[^>]*aria-describedby="hint-text-hint"', html)
    assert '<div class="hint" id="hint-text-hint">書くときは、日本語と英語の両方が必須です。</div>' in html
    # and the check does refuse a hint in Japanese only, beside the English input
    r = _op(client, form_url, "edit_field", {"field": "details_text", "label-ja": "内容", "label-en": "Details",
                                             "hint-ja": "くわしく", "required": "yes"})
    assert r.status_code == 400 and re.search(r'id="hint-en"[^>]*aria-invalid="true"', r.get_data(as_text=True))


def test_one_view_loads_the_drafts_pack_once(app, staff_client, monkeypatch):
    """The check, the departments offered and the preview's form read one load of the draft's pack."""
    from staff import content
    client = staff_client(policy.CURATOR)
    _draft, form_url = _created(client)
    token = csrf_from(client.get(form_url).get_data(as_text=True))
    loads: list[str] = []
    real = content.load_pack
    monkeypatch.setattr(content, "load_pack", lambda *a, **k: loads.append("pack") or real(*a, **k))

    def counted(response, status: int) -> int:
        assert response.status_code == status, response.get_data(as_text=True)[:2000]
        n = len(loads)
        loads.clear()
        return n

    assert counted(client.get(form_url), 200) == 1
    assert counted(client.get(f"{form_url}?edit=field:details_text"), 200) == 1
    # a change the check refuses: the page shown again with the problem and the departments
    r = client.post(f"{form_url}/review", data={"csrf_token": token, "department": "no_such_department", "match": "name"})
    assert counted(r, 400) == 1 and "国民健康保険課" in r.get_data(as_text=True)
    assert counted(client.post(f"{form_url}/review", data={"csrf_token": token, "match": "name"}), 302) == 1
    preview = client.get(f"{form_url}/preview")
    assert counted(preview, 200) == 1 and "申請する人" in preview.get_data(as_text=True)
