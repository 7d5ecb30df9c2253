"""staff/certificates.py: the certificate mapping of the knowledge pack matches the forms, and the
交付一覧 lines and paper form parts read the field values as the mapping says."""
from __future__ import annotations

import ast
import pathlib

import pytest

from intake.forms import load_forms
from knowledge.schema import Text
from staff import certificates as c
from staff.audit_details import detail_lines, details_text

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def forms():
    return load_forms("kakogawa")


@pytest.fixture(scope="module")
def certs():
    return c.load_certificates("kakogawa")


def test_the_mapping_names_only_real_forms_and_fields(certs, forms):
    assert certs and c.check_against_forms(certs, forms) == []


def test_every_form_that_issues_copies_is_a_certificate_in_the_mapping(certs, forms):
    issuing = {fid for fid, f in forms.items()
               if f.definition.delivery and f.definition.fee and f.definition.fee.copies_fields}
    assert issuing == set(certs)


def test_a_broken_mapping_is_reported(forms):
    bad = {"juminhyo_utsushi": c.Certificate(items=[c.Item(label=Text(ja="x", en="x"), copies="nope")],
                                             honseki=c.Shown(field="missing", when="include")),
           "no_such_form": c.Certificate(items=[c.Item(label=Text(ja="x", en="x"), copies="copies")])}
    assert c.check_against_forms(bad, forms) == [
        "juminhyo_utsushi: no field 'nope'", "juminhyo_utsushi: no field 'missing'", "no_such_form: no such form"]


PERSON = {"applicant_family_name": "加古川", "applicant_given_name": "花子", "applicant_family_kana": "カコガワ",
          "applicant_given_kana": "ハナコ", "applicant_birth_date": "1985-04-01",
          "applicant_address": {"postal_code": "6750064", "prefecture": "兵庫県", "city": "加古川市",
                                "street": "加古川町北在家2000", "building": "3階"}}


def test_koseki_one_line_per_kind_with_its_copies_and_counter_pickup(certs, forms):
    values = {**PERSON, "applicant_role": "self", "kinds": ["tohon", "shohon"], "tohon_copies": 1,
              "shohon_copies": 3, "delivery": "counter", "pickup_counter": "shimin_madoguchi"}
    rows = c.issue_rows("R-1", forms["koseki_tohon"], certs["koseki_tohon"], values, fee=1800, payment="支払い済み",
                        counter_names={"shimin_madoguchi": "市民課窓口"})
    assert [(r[0], r[1], r[6], r[7], r[8], r[9], r[11], r[12], r[13]) for r in rows] == [
        ("R-1", "戸籍謄本（全部事項証明）", 1, "あり", "あり", "なし", "窓口", "市民課窓口", 1800),
        ("R-1", "戸籍抄本（個人事項証明）", 3, "あり", "あり", "なし", "窓口", "市民課窓口", None),
    ]
    assert len(rows[0]) == len(c.issue_header("ja")) == len(c.issue_header("en"))


def test_juminhyo_by_post_for_a_proxy_lists_the_principal_and_posts_to_the_signer(certs, forms):
    values = {**PERSON, "applicant_role": "proxy", "principal_family_name": "尾上", "principal_given_name": "一郎",
              "principal_birth_date": "1950-01-02", "whose": "self", "honseki": "include",
              "householder_relation": "omit", "mynumber": "include", "juminhyo_code": "omit", "copies": 2,
              "delivery": "mail"}
    rows = c.issue_rows("R-2", forms["juminhyo_utsushi"], certs["juminhyo_utsushi"], values, fee=600, payment="",
                        counter_names={}, locale="ja")
    (row,) = rows
    assert row[2] == "尾上 一郎" and row[4].startswith("1950年1月2日") and row[6] == 2
    assert row[7:11] == ["あり", "なし", "あり", "なし"]  # whether asked for; never a number
    assert row[11] == "郵送" and row[12] == "〒675-0064 兵庫県加古川市加古川町北在家2000 3階 加古川 花子"
    en = c.issue_rows("R-2", forms["juminhyo_utsushi"], certs["juminhyo_utsushi"], values, fee=600, payment="",
                      counter_names={}, locale="en")
    assert en[0][1] == "Copy of the resident record" and en[0][7] == "Yes" and en[0][11] == "By post"


def test_nothing_to_issue_without_copies_and_no_mail_label_for_the_counter(certs, forms):
    values = {**PERSON, "kinds": ["tohon"], "tohon_copies": 0, "delivery": "counter"}
    assert c.issue_rows("R-3", forms["koseki_tohon"], certs["koseki_tohon"], values, fee=None, payment="",
                        counter_names={}) == []
    assert c.mail_to(values) is None
    assert c.mail_to({**values, "delivery": "mail"})["postal_code"] == "6750064"


def test_the_paper_form_parts_of_a_certificate_request(certs, forms):
    values = {**PERSON, "applicant_role": "self", "whose": "self", "honseki": "include", "householder_relation": "omit",
              "mynumber": "omit", "juminhyo_code": "omit", "style": "household_list", "copies": 2,
              "purpose": "other", "purpose_other": "ビザの申請", "delivery": "mail"}
    p = c.certificate_paper(forms["juminhyo_utsushi"], certs["juminhyo_utsushi"], values, locale="ja",
                            counter_names={})
    assert p["wanted"] == [{"label": "住民票の写し", "copies": 2}]
    assert {d["label"]: d["shown"] for d in p["details"]} == {
        "本籍・筆頭者": True, "世帯主・続柄": False, "マイナンバー": False, "住民票コード": False}
    assert p["purpose"] == "その他（ビザの申請）" and p["delivery"] == "郵送" and p["mail_to"]["name"] == "加古川 花子"
    assert ("住民票の形", ["世帯連記式（1枚に4人まで）"]) in p["other"]
    assert p["subject_is_applicant"] and p["applicant"]["postal"] == "〒675-0064"


# --- audit: every action has a label, details read as words ----------------------------------------

def _recorded_actions() -> set[str]:
    """Every literal action of audit.record("…") (and of the back office's _audit("…")) in the code."""
    found = set()
    for folder in ("core", "guide", "rules", "knowledge", "staff", "intake", "reservations"):
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Call) or not node.args or not isinstance(node.args[0], ast.Constant):
                    continue
                f = node.func
                if (isinstance(f, ast.Attribute) and f.attr == "record" and isinstance(f.value, ast.Name)
                        and f.value.id == "audit") or (isinstance(f, ast.Name) and f.id == "_audit"):
                    found.add(node.args[0].value)
    return found


def test_every_audited_action_has_a_japanese_and_english_label():
    from staff.audit_views import ACTION_NAMES
    actions = _recorded_actions()
    assert {"application.print", "staff.view", "backoffice.view", "reservation.checkin"} <= actions  # the walk works
    assert sorted(actions - set(ACTION_NAMES)) == []
    for renamed in ("staff.account_created", "staff.password_reset", "staff.account_unlocked", "staff.account_updated",
                    "staff.account_suspended", "staff.account_reactivated"):
        assert renamed in ACTION_NAMES
    assert str(ACTION_NAMES["staff.edit"]) == "職員アカウントの変更"


def test_audit_details_in_words_not_json():
    details = '{"format": "csv-shift_jis", "count": 1200, "filters": {"status": "all", "q": "=x"}, "refused": true, ' \
              '"receipt_numbers": ["261127-000001"], "new_key": "v"}'
    assert detail_lines(details, "ja") == [
        ("形式", "CSV（Shift_JIS）"), ("件数", "1,200"), ("検索条件", "状態：すべて、検索語：=x"), ("断った", "はい"),
        ("受付番号", "261127-000001"), ("その他（new_key）", "v")]
    assert details_text(details, "en").splitlines()[0] == "Format: CSV (Shift_JIS)"
    assert detail_lines('{"filters": {"status": "approved", "assignee": "me"}}', "en") == [
        ("Filters", "Status: Approved, Assignee: Me")]
    assert detail_lines("{}", "ja") == [] and detail_lines(None, "ja") == []
    assert detail_lines("not json", "ja") == [("値", "not json")]


def test_a_status_change_shows_the_statuses_before_and_after_not_dates():
    # "from"/"to" are the period of an export or a search, but the statuses of a status change
    change = '{"from": "issued", "to": "completed"}'
    assert detail_lines(change, "ja", action="application.status") == [("変更前の状態", "発行済・郵送済"),
                                                                         ("変更後の状態", "完了")]
    assert detail_lines(change, "en", action="backoffice.status_change")[0][0] == "Status before"
    assert details_text(change, "ja", action="application.status").splitlines() == [
        "変更前の状態：発行済・郵送済", "変更後の状態：完了"]
    assert detail_lines('{"from": "2026-04-01", "to": "2026-04-30"}', "ja", action="staff.export") == [
        ("開始日", "2026-04-01"), ("終了日", "2026-04-30")]
