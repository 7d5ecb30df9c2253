"""The words that moved from {"ja", "en"} dicts and inline branches into the catalogs read the
same in Japanese and English as before (core.words translates for an explicit locale)."""
from __future__ import annotations

import json
from types import SimpleNamespace

from core import policy
from core.words import N_, NP_, Message, catalog, lang_of, text


def test_text_translates_for_the_given_locale_and_falls_back_to_japanese():
    assert text("en", N_("はい")) == "Yes"
    assert text("ja", N_("はい")) == "はい"
    assert text("fr", N_("はい")) == "はい"  # no catalog: the source language
    assert text("../en", N_("はい")) == "はい"  # never a path
    assert text("en", N_("%(days).1f日"), days=2) == "2.0 days"


def test_a_context_keeps_two_readings_of_one_japanese_word_apart():
    assert text("en", NP_("application status", "受付")) == "Received"
    assert text("en", NP_("audit record", "担当課")) == "Department"
    assert text("en", NP_("audit record, several", "担当課")) == "Departments"
    assert text("ja", NP_("application status", "受付")) == "受付"


def test_a_message_reads_like_the_mapping_it_replaced():
    message = Message(N_("年齢を%(low)sから%(high)sまでの数字で入力してください（例：35）。"), low=0, high=130)
    assert message["ja"] == "年齢を0から130までの数字で入力してください（例：35）。"
    assert message.get("en", "") == "Enter the age as a number from 0 to 130, e.g. 35."
    nested = Message(N_("「%(current)s」から「%(to)s」には変更できません。"),
                     current=Message(NP_("application status", "下書き")), to=Message(NP_("application status", "完了")))
    assert nested["en"] == "An application cannot move from “Draft” to “Completed”."


def test_easy_japanese_has_its_own_catalog():
    assert catalog("easy").ugettext("無料") == "おかねは かかりません"
    assert text("easy", NP_("application status", "受付")) == "うけつけ"


def test_lang_of_picks_a_content_field():
    assert lang_of("en") == "en" and lang_of("easy") == "ja" and lang_of("easy", ("ja", "en", "easy")) == "easy"


def test_role_names():
    assert text("ja", policy.ROLE_NAMES[policy.ADMIN]) == "システム管理者"
    assert text("en", policy.ROLE_NAMES[policy.COUNTER]) == "Counter staff"


def test_workflow_labels_texts_and_refusals():
    from intake import workflow as wf

    assert wf.label(wf.SUBMITTED) == "受付" and wf.label(wf.SUBMITTED, "en") == "Received"
    assert wf.label("unheard_of", "en") == "unheard_of"
    assert wf.RESIDENT_TEXT[wf.REVIEWING].get("en") == "The department is checking your application."
    refusal = wf.check(wf.REVIEWING, wf.APPROVED, wf.STAFF, payment_state="due")
    assert refusal.message.text("ja") == "手数料のお支払いが済んでから承認してください。"
    assert refusal.message.text("en") == "Approve once the fee has been paid."


def test_audit_details_in_both_languages():
    from staff import audit_details as ad

    details = json.dumps({"format": "csv-shift_jis", "active": True, "role": "admin", "status": "submitted",
                          "numbers": [str(n) for n in range(22)], "filters": {"q": "x", "departments": []},
                          "mystery": 1})
    ja = dict(ad.detail_lines(details, "ja"))
    en = dict(ad.detail_lines(details, "en"))
    assert ja["形式"] == "CSV（Shift_JIS）" and en["Format"] == "CSV (Shift_JIS)"
    assert ja["有効"] == "はい" and en["Active"] == "Yes"
    assert ja["役割"] == "システム管理者" and en["Role"] == "System administrator"
    assert ja["状態"] == "受付" and en["Status"] == "Received"
    assert ja["受付番号"].endswith("、ほか2件") and en["Receipt numbers"].endswith(", … (+2)")
    assert ja["検索条件"] == "検索語：x、担当課：（なし）" and en["Filters"] == "Search words: x, Departments: (none)"
    assert ja["その他（mystery）"] == "1" and en["Other (mystery)"] == "1"
    assert ad.details_text('{"count": 3}', "en") == "Count: 3" and ad.details_text('{"count": 3}') == "件数：3"
    assert ad.target_name("audit_log", "en") == "Audit log" and ad.target_name("staff_user:x", "en") == ""
    # the caller's content names come first and keep their per-language fields
    assert ad.value_text("p1", "en", words={"p1": {"ja": "転入届", "en": "Moving-in notification"}}) == \
        "Moving-in notification"


def test_application_display_words():
    from staff import applications_display as show

    event = SimpleNamespace(kind="payment", note="fee_confirmed:1200", to_status=None, from_status=None,
                            field_comments_json=None, actor="resident", at=None)
    assert show.note_text(event, "ja") == "手数料を1,200円に確定"
    assert show.note_text(event, "en") == "Fee confirmed: 1,200 yen"  # grouped like the other amounts
    rows = show.history_rows([event], {}, {}, "en")
    assert rows[0]["actor"] == "Resident" and rows[0]["what"] == "Fee"
    assert show.history_rows([event], {}, {}, "ja")[0]["actor"] == "申請者"
    identity = {"name": True, "birth_date": False, "address": None}
    assert show.identity_rows(identity, "en") == [("Name", "Match", "match"), ("Date of birth", "Differs", "differs"),
                                                  ("Address", "Not on the form", "missing")]
    assert show.identity_rows(identity, "ja")[0] == ("氏名", "一致", "match")
    assert show.PAYMENT_STATE["due"].get("en", "") == "Awaiting payment"


def test_issue_list_header_and_durations():
    from staff import application_stats, certificates

    assert certificates.issue_header("ja")[0] == "受付番号" and certificates.issue_header("en")[-1] == "Payment"
    assert application_stats.duration_text(48.0, "ja") == "2.0日"
    assert application_stats.duration_text(5.5, "en") == "5.5 hours"


def test_person_messages():
    from reservations.person import MAX_NAME, check_person

    _person, errors = check_person("", "abc", "", "", "en")
    assert errors == {"name": "Enter your name.", "name_kana": "Enter your name in katakana (e.g. ヤマダ タロウ).",
                      "email": "Enter an email address or a phone number."}
    _person, errors = check_person("x" * (MAX_NAME + 1), "カ", "", "0794212000", "ja")
    assert errors == {"name": f"お名前は{MAX_NAME}文字以内で入力してください。"}


def test_alert_titles():
    from core.alerts import SecurityAlert

    alert = SecurityAlert(kind="login_failure", message="…")
    assert alert.title == "ログイン失敗の急増" and alert.title_in("en") == "Surge in failed logins"
    assert SecurityAlert(kind="other", message="…").title_in("en") == "other"


def test_a_message_kept_as_json_reads_back_the_same():
    """A row keeps a msgid and its variables (security alerts): nested Messages and contexts too."""
    status = Message(NP_("application status", "受付"))
    message = Message(N_("「%(current)s」から「%(to)s」には変更できません。"), current=status, to="x")
    data = json.loads(json.dumps(message.variables_data()))
    again = Message.from_data(message.msgid, data)
    assert again == message and again.text("en") == "An application cannot move from “Received” to “x”."
    assert Message.from_data("はい", None) == Message("はい")


def test_a_refusals_words_become_one_message_for_any_locale():
    """core.i18n.message_of (AppError.as_message): whatever a service raised with, the page reads
    it in its own language, not the one of the moment it was raised."""
    from flask_babel import lazy_gettext, lazy_pgettext

    from core.errors import AppError
    from core.i18n import lazy_message, message_of
    from intake import workflow

    refusal = workflow.check(workflow.SUBMITTED, workflow.ISSUED, workflow.STAFF).message
    assert message_of(lazy_message(refusal)) is refusal
    assert message_of(refusal) is refusal
    assert message_of(lazy_gettext("はい")).text("en") == "Yes"
    assert message_of(lazy_gettext("%(n)d件", n=3)) == Message("%(n)d件", n=3)
    assert message_of(lazy_pgettext("application status", "受付")).text("en") == "Received"
    assert message_of("already in its language").text("en") == "already in its language"
    assert AppError("x", lazy_gettext("はい")).as_message().text("en") == "Yes"


def test_address_part_labels_are_catalog_words():
    from intake.forms_schema import ADDRESS_PARTS

    assert [label.get("en") for _key, _token, label, _n in ADDRESS_PARTS] == [
        "Postcode", "Prefecture", "City, ward, town or village", "Town and block number", "Building and room"]
    assert [label["ja"] for _key, _token, label, _n in ADDRESS_PARTS] == [
        "郵便番号", "都道府県", "市区町村", "町名・番地", "建物名・部屋番号"]
