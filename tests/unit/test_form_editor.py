"""The form editor's operations (staff/form_editor.py): each changes exactly what it says, refuses
what it must, and what it builds passes the CLI's own check (intake.forms.check_form) against
the pack."""
from __future__ import annotations

import pytest
import yaml

from intake.forms import check_form
from intake.forms_schema import FormFile
from knowledge.loader import PACKS_DIR, load_pack
from knowledge.yamlfile import YamlDoc
from staff import form_editor as fe

PROCEDURE = {"id": "gentsuki_toroku", "name": {"ja": "原付の登録", "en": "Moped registration"}}


@pytest.fixture(scope="module")
def kb():
    book = load_pack("kakogawa", PACKS_DIR)
    book.procedures["gentsuki_toroku"] = book.procedures["gentsuki_toroku"].model_copy(update={"online": True})
    return book


def _problems(form: dict, kb) -> list[str]:
    text = fe.dump(form)
    data = yaml.safe_load(text)
    doc = YamlDoc(path="forms/gentsuki_toroku.yaml", data=data, lines={})
    return check_form(FormFile.model_validate(data), doc, kb, "gentsuki_toroku")


def _ids(form: dict) -> list[str]:
    return fe.field_ids(form)


def test_a_new_form_has_the_procedures_name_and_one_page_that_passes_the_check(kb):
    form = fe.new_form("gentsuki_toroku", PROCEDURE)
    assert form["title"] == {"ja": "原付の登録", "en": "Moped registration"}
    assert len(form["sections"]) == 1 and len(form["sections"][0]["fields"]) == 1
    assert _problems(form, kb) == []


def test_a_copy_keeps_the_pages_and_settings_under_the_new_id():
    source = {"id": "a", "title": {"ja": "A", "en": "A"}, "fee": {"payment": "after_review"},
              "sections": [{"id": "s", "title": {"ja": "S", "en": "S"}, "fields": [{"id": "x", "type": "email", "label": {"ja": "x", "en": "x"}}]}]}
    copied = fe.copy_form(source, "gentsuki_toroku", PROCEDURE)
    assert copied["id"] == "gentsuki_toroku" and copied["title"]["ja"] == "原付の登録"
    assert copied["sections"] == source["sections"] and copied["fee"] == source["fee"]
    copied["sections"][0]["fields"].clear()
    assert source["sections"][0]["fields"]  # a deep copy


@pytest.mark.parametrize("kind", sorted(fe.PALETTE))
def test_every_palette_entry_adds_fields_that_pass_the_check(kind, kb):
    form, first = fe.add_field(fe.new_form("gentsuki_toroku", PROCEDURE), "details", kind)
    assert first in _ids(form)
    assert _problems(form, kb) == [], kind


def test_palette_defaults():
    form = fe.new_form("gentsuki_toroku", PROCEDURE)
    form, _ = fe.add_field(form, "details", "name_kana", "child")
    assert _ids(form)[1:] == ["child_family_name", "child_given_name", "child_family_kana", "child_given_kana"]
    assert [fe.field_of(form, i)["type"] for i in _ids(form)[1:]] == ["text", "text", "kana", "kana"]
    form, fid = fe.add_field(form, "details", "wareki_date")
    assert fe.field_of(form, fid)["type"] == "wareki_date" and fe.field_of(form, fid)["max_days"] == 0
    form, fid = fe.add_field(form, "details", "attachment")
    assert fe.field_of(form, fid)["file"] == {"types": ["pdf", "jpeg", "png"], "max_bytes": 5 * 2**20, "max_count": 1}
    form, fid = fe.add_field(form, "details", "consent")
    assert fe.field_of(form, fid)["type"] == "checkbox" and "choices" not in fe.field_of(form, fid)
    form, fid = fe.add_field(form, "details", "phone")
    form, fid2 = fe.add_field(form, "details", "phone")
    assert (fid, fid2) == ("phone", "phone_2")


def test_a_new_number_field_presets_no_unit():
    """The pack's number fields count copies (通), children (人), floors (階), weeks (週), cc, ㎡:
    a new one names none of them; the curator writes the label and the unit."""
    form, fid = fe.add_field(fe.new_form("gentsuki_toroku", PROCEDURE), "details", "number")
    fld = fe.field_of(form, fid)
    assert fld["type"] == "number" and "unit" not in fld
    assert fld["label"] == {"ja": "数", "en": "Number"}
    assert (fld["min"], fld["max"], fld["default"]) == (1, 10, 1)


def test_an_id_clash_or_a_reserved_id_is_refused():
    form = fe.new_form("gentsuki_toroku", PROCEDURE)
    with pytest.raises(fe.FormEditError) as exc:
        fe.add_field(form, "details", "text", "details_text")
    assert exc.value.status == 409 and exc.value.errors[0]["field_id"] == "field_id"
    with pytest.raises(fe.FormEditError):
        fe.add_field(form, "details", "text", "applicant_phone")
    with pytest.raises(fe.FormEditError):
        fe.add_field(form, "details", "name_kana", "applicant")  # applicant_family_name is reserved
    with pytest.raises(fe.FormEditError):
        fe.add_field(form, "details", "text", "Bad-Id")
    with pytest.raises(fe.FormEditError) as exc:
        fe.add_field(form, "nowhere", "text")
    assert exc.value.status == 404


def test_sections_add_rename_move_remove():
    form = fe.new_form("gentsuki_toroku", PROCEDURE)
    form, sid = fe.add_section(form, {"new_section": "more", "new_title-ja": "その他", "new_title-en": "More", "new_kind": "email"})
    assert [s["id"] for s in form["sections"]] == ["details", "more"] and sid == "more"
    assert form["sections"][1]["fields"][0]["type"] == "email"
    form = fe.edit_section(form, "more", {"title-ja": "連絡先", "title-en": "Contact", "title-zh": "联系"})
    assert form["sections"][1]["title"] == {"ja": "連絡先", "en": "Contact", "zh": "联系"}
    form = fe.move_section(form, "more", "up")
    assert [s["id"] for s in form["sections"]] == ["more", "details"]
    with pytest.raises(fe.FormEditError):
        fe.move_section(form, "more", "up")
    with pytest.raises(fe.FormEditError):
        fe.add_section(form, {"new_section": "applicant", "new_title-ja": "a", "new_title-en": "a", "new_kind": "email"})
    with pytest.raises(fe.FormEditError):
        fe.add_section(form, {"new_section": "more", "new_title-ja": "a", "new_title-en": "a", "new_kind": "email"})
    form = fe.remove_section(form, "more")
    assert [s["id"] for s in form["sections"]] == ["details"]
    with pytest.raises(fe.FormEditError):
        fe.remove_section(form, "details")  # the last one


def test_fields_move_across_pages_and_removal_keeps_references():
    form = fe.new_form("gentsuki_toroku", PROCEDURE)
    form, _ = fe.add_field(form, "details", "radio", "how")
    form, _ = fe.add_section(form, {"new_section": "b", "new_title-ja": "B", "new_title-en": "B", "new_kind": "email"})
    form = fe.move_field(form, "how", "down")  # last of its page: to the top of the next one
    assert [f["id"] for f in form["sections"][1]["fields"]] == ["how", "email"]
    form = fe.move_field(form, "email", "up")
    assert [f["id"] for f in form["sections"][1]["fields"]] == ["email", "how"]
    form, _ = fe.add_field(form, "b", "text", "why")
    form = fe.set_condition(form, {"condition": "how=b"}, field_id="why")
    assert fe.field_of(form, "why")["show_if"] == {"how": "b"}
    with pytest.raises(fe.FormEditError) as exc:
        fe.remove_field(form, "how")  # "why" depends on it
    assert exc.value.status == 409
    form = fe.set_condition(form, {"condition": ""}, field_id="why")
    assert "show_if" not in fe.field_of(form, "why")
    form = fe.remove_field(form, "how")
    assert "how" not in _ids(form)


def test_a_condition_points_backwards_to_a_choice_and_one_of_its_values():
    form = fe.new_form("gentsuki_toroku", PROCEDURE)
    form, _ = fe.add_field(form, "details", "radio", "how")
    form, _ = fe.add_field(form, "details", "consent", "agree")
    form, _ = fe.add_field(form, "details", "text", "after")
    with pytest.raises(fe.FormEditError):  # forward
        fe.set_condition(form, {"condition": "after=x"}, field_id="how")
    with pytest.raises(fe.FormEditError):
        fe.set_condition(form, {"condition": "how=a"}, field_id="details_text")  # how is later
    with pytest.raises(fe.FormEditError):  # not a value of how
        fe.set_condition(form, {"condition": "how=zzz"}, field_id="after")
    with pytest.raises(fe.FormEditError):  # a text field controls nothing
        fe.set_condition(form, {"condition": "details_text=a"}, field_id="after")
    assert fe.set_condition(form, {"condition": "agree=true"}, field_id="after")["sections"][0]["fields"][3]["show_if"] == {"agree": True}
    form, _ = fe.add_section(form, {"new_section": "b", "new_title-ja": "B", "new_title-en": "B", "new_kind": "email"})
    assert fe.set_condition(form, {"condition": "how=b"}, section_id="b")["sections"][1]["show_if"] == {"how": "b"}
    assert [c[0] for c in fe.condition_choices(fe.controllers_before(form, section_id="b"), "ja")] == ["how=a", "how=b", "agree=true"]


def test_edit_a_field_by_its_type(kb):
    form = fe.new_form("gentsuki_toroku", PROCEDURE)
    form, _ = fe.add_field(form, "details", "checkbox", "which")
    form = fe.edit_field(form, "which", {"label-ja": "どれ", "label-en": "Which", "hint-ja": "", "hint-en": "",
                                         "required": "no", "choices": "one | 1つ目 | First\ntwo | 2つ目 | Second",
                                         "maps_to": "kihon:対象者.氏名"})
    which = fe.field_of(form, "which")
    assert which["label"] == {"ja": "どれ", "en": "Which"} and which["required"] is False
    assert [c["value"] for c in which["choices"]] == ["one", "two"] and which["maps_to"] == "kihon:対象者.氏名"
    form, _ = fe.add_field(form, "details", "attachment", "doc")
    form = fe.edit_field(form, "doc", {"label-ja": "書類", "label-en": "Document", "required": "yes",
                                       "max_mb": "2", "max_count": "3"}, ["png", "pdf"])
    assert fe.field_of(form, "doc")["file"] == {"types": ["pdf", "png"], "max_bytes": 2 * 2**20, "max_count": 3}
    form, _ = fe.add_field(form, "details", "number", "copies")
    form = fe.edit_field(form, "copies", {"label-ja": "通数", "label-en": "Copies", "required": "yes", "min": "2", "max": "5"})
    assert fe.field_of(form, "copies")["min"] == 2 and "default" not in fe.field_of(form, "copies")  # 1 no longer fits
    assert _problems(form, kb) == []
    for bad, where in (({"choices": "one 1つ目"}, "choices"), ({"choices": "One | a | b"}, "choices"),
                       ({"choices": "a | x | y\na | x | y"}, "choices"), ({"maps_to": "foo"}, "maps_to"),
                       ({"label-en": ""}, "label-en")):
        with pytest.raises(fe.FormEditError) as exc:
            fe.edit_field(form, "which", {"label-ja": "どれ", "label-en": "Which", "choices": "a | b | c"} | bad)
        assert exc.value.errors[0]["field_id"] == where
    with pytest.raises(fe.FormEditError) as exc:
        fe.edit_field(form, "copies", {"label-ja": "a", "label-en": "b", "min": "9", "max": "1"})
    assert exc.value.errors[0]["field_id"] == "min"
    with pytest.raises(fe.FormEditError) as exc:
        fe.edit_field(form, "doc", {"label-ja": "a", "label-en": "b"}, [])
    assert exc.value.errors[0]["field_id"] == "file_types"


def test_fee_and_review_settings_keep_what_they_do_not_set(kb):
    form = fe.new_form("gentsuki_toroku", PROCEDURE)
    form, _ = fe.add_field(form, "details", "number", "copies")
    form = fe.set_fee(form, {"copies_field": "copies", "payment": "after_review"})
    assert form["fee"] == {"copies_field": "copies", "payment": "after_review"}
    with pytest.raises(fe.FormEditError):
        fe.set_fee(form, {"copies_field": "details_text"})
    with pytest.raises(fe.FormEditError):
        fe.set_fee(form, {"per_choice_field": "copies"})
    with pytest.raises(fe.FormEditError):
        fe.set_fee(form, {"payment": "never"})
    assert "fee" not in fe.set_fee(form, {"payment": "at_submission"})
    form["review"] = {"someone_elses_key": "kept"}
    form = fe.set_review(form, {"second_approver": "yes", "standard_processing_days": "7",
                                "standard_processing_source": "市の公表", **ALL_MATCHED})
    assert form["review"] == {"someone_elses_key": "kept", "second_approver": True, "standard_processing_days": 7,
                              "standard_processing_source": "市の公表"}
    form = fe.set_review(form, ALL_MATCHED)
    assert form["review"] == {"someone_elses_key": "kept"}
    with pytest.raises(fe.FormEditError):
        fe.set_review(form, {"standard_processing_days": "0", **ALL_MATCHED})
    del form["review"]
    assert _problems(fe.set_review(form, {"second_approver": "yes", **ALL_MATCHED}), kb) == []


ALL_MATCHED = {"match_name": "yes", "match_birth_date": "yes", "match_address": "yes"}


def test_the_reviewing_department_and_what_the_signature_must_match(kb):
    form = fe.new_form("gentsuki_toroku", PROCEDURE)
    assert fe.signature_items(form) == ("name", "birth_date", "address")  # sex only where the form asks it
    form = fe.set_review(form, {"department": "shimin", "match_name": "yes", "match_birth_date": "yes"})
    assert form["review"] == {"department": "shimin"}
    assert form["signature"] == {"match": ["name", "birth_date"]}
    assert _problems(form, kb) == []
    # every item ticked is the default: nothing written; the procedure's department is the default too
    form = fe.set_review(form, ALL_MATCHED)
    assert "signature" not in form and "review" not in form
    with pytest.raises(fe.FormEditError) as refused:
        fe.set_review(form, {"department": "shimin"})  # nothing to compare
    assert refused.value.errors[0]["field_id"] == "match"
    with pytest.raises(fe.FormEditError):
        fe.set_review(form, {"department": "../etc", **ALL_MATCHED})
    # an id the pack does not have: the CLI's check says so
    assert _problems(fe.set_review(form, {"department": "no_such_department", **ALL_MATCHED}), kb)
    form["applicant"] = {"sex": True}
    assert fe.set_review(form, {"match_sex": "yes"})["signature"] == {"match": ["sex"]}


def test_the_file_written_reads_back_the_same():
    form = fe.new_form("gentsuki_toroku", PROCEDURE)
    form, _ = fe.add_field(form, "details", "radio", "how")
    form = fe.set_condition(fe.add_field(form, "details", "text", "why")[0], {"condition": "how=a"}, field_id="why")
    text = fe.dump(form)
    assert yaml.safe_load(text) == form
    assert "show_if: {how: a}" in text
    assert fe.load(text) == form and fe.load("- a list") is None and fe.load(": :") is None


def test_set_online_changes_only_that_line():
    before = "id: x\n# a comment\nonline: false\nfees: []\n"
    assert fe.set_online(before) == "id: x\n# a comment\nonline: true\nfees: []\n"


def test_a_problem_is_placed_beside_its_field_or_section():
    form = fe.new_form("gentsuki_toroku", PROCEDURE)
    assert fe.place_of(form, ("sections", 0, "fields", 0, "show_if", "x")) == ("field", "details_text")
    assert fe.place_of(form, ("sections", 0, "title")) == ("section", "details")
    assert fe.place_of(form, ("fee", "copies_field")) == ("fee", "")
    assert fe.place_of(form, ("sections", 9)) == ("form", "")


def test_writing_keeps_the_comments_and_lines_of_a_hand_written_form():
    from pathlib import Path
    saved = (Path(__file__).resolve().parents[2] / "knowledge/packs/kakogawa/forms/juminhyo_utsushi.yaml").read_text(encoding="utf-8")
    form = fe.load(saved)
    first = form["sections"][0]["id"]
    changed = fe.move_section(fe.add_field(form, first, "consent", "agree")[0], first, "down")
    out = fe.write(saved, changed)
    assert yaml.safe_load(out) == changed
    comments = [line for line in saved.splitlines() if line.lstrip().startswith("#")]
    assert comments and all(c in out.splitlines() for c in comments)
    assert "  title: {ja: 住民票が必要な人, en: Whose record you need}" in out  # the moved page kept its lines
    assert fe.write(saved, form) == saved  # nothing changed: not a byte
