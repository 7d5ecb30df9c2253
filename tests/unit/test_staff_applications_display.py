"""Plain pieces of the staff review: field values in words, the 基本4情報 comparison, processing
time figures, and the Shift_JIS CSV."""
import csv
import io

import pytest

from core.csv_export import ShiftJisUnmappable, to_csv, to_csv_shift_jis
from intake.forms import load_forms
from staff import application_stats as stats
from staff import applications_display as show


@pytest.fixture(scope="module")
def form():
    return load_forms("kakogawa")["juminhyo_utsushi"]


def test_values_read_as_words(form):
    assert show.value_lines(form.fields["applicant_birth_date"], "1985-04-01", "ja") == ["1985年4月1日（昭和60年4月1日）"]
    address = {"postal_code": "6750064", "prefecture": "兵庫県", "city": "加古川市", "street": "加古川町北在家2000",
               "building": "A棟101"}
    assert show.value_lines(form.fields["applicant_address"], address, "ja") == [
        "〒675-0064 兵庫県加古川市加古川町北在家2000 A棟101"]
    copies = form.fields["copies"]
    assert show.value_lines(copies, 2, "ja")[0].startswith("2")
    assert show.value_lines(copies, None, "ja") == ["（未記入）"]
    purpose = form.fields["purpose"]
    label = next(c.label.ja for c in purpose.choices if c.value == "work")
    assert show.value_lines(purpose, "work", "ja") == [label]
    assert show.value_lines(purpose, "gone", "ja") == ["gone"]  # a choice removed since: the raw value


def test_sections_follow_the_form_and_skip_hidden_fields(form):
    values = {"applicant_family_name": "加古川", "applicant_role": "self", "copies": 1}
    sections = show.field_sections(form, values, [], "ja")
    ids = [row["id"] for s in sections for row in s["rows"]]
    assert ids.index("applicant_family_name") < ids.index("copies")
    assert "proxy_letter" not in ids  # only for a proxy


def test_identity_in_words():
    rows = show.identity_rows({"name": True, "birth_date": False, "address": None}, "ja")
    assert [(item, word) for item, word, _k in rows] == [("氏名", "一致"), ("生年月日", "不一致"), ("住所", "未記入")]
    assert show.identity_rows(None, "ja") == []


def test_identity_with_sex_only_where_compared():
    rows = show.identity_rows({"name": True, "birth_date": True, "sex": False, "address": True}, "ja")
    assert [(item, word) for item, word, _k in rows] == [("氏名", "一致"), ("生年月日", "一致"), ("性別", "不一致"),
                                                         ("住所", "一致")]
    assert "性別" not in [item for item, _w, _k in show.identity_rows({"name": True, "sex": None}, "ja")]


def test_each_check_sits_beside_the_field_it_checks_with_the_certificate_value():
    signer = {"name": "加古川 花子", "birth_date": "319850401", "sex": "2", "address": "兵庫県加古川市"}
    checks = show.field_checks({"name": True, "birth_date": False, "sex": False, "address": None}, signer, "ja")
    assert set(checks) == {"applicant_family_name", "applicant_birth_date", "applicant_sex"}
    assert checks["applicant_family_name"] == {"item": "氏名", "ok": True, "text": "電子証明書と一致", "card": "加古川 花子"}
    assert checks["applicant_sex"]["card"] == "女" and checks["applicant_sex"]["text"] == "電子証明書と不一致"
    assert checks["applicant_birth_date"]["card"].startswith("1985年4月1日")
    assert show.field_checks(None, signer, "ja") == {} and show.field_checks({"name": True}, None, "ja") == {}
    assert show.field_checks({"name": False}, signer, "en")["applicant_family_name"]["text"] == "Differs from the certificate"


def test_signer_birth_date_and_sex_in_words():
    rows = dict(show.signer_rows({"name": "加古川 花子", "birth_date": "319850401", "sex": "2", "address": "兵庫県"}, "ja"))
    assert rows["性別"] == "女" and rows["生年月日"].startswith("1985年4月1日")


def test_median_and_90th_percentile_by_nearest_rank():
    assert stats.nearest_rank([], 90) is None
    assert stats.nearest_rank([5], 90) == 5
    assert stats.nearest_rank(list(range(1, 11)), 90) == 9
    assert stats.nearest_rank(list(range(1, 12)), 90) == 10
    t = stats.times([24, 48])
    assert (t.count, t.median_hours, t.p90_hours) == (2, 36.0, 48.0)
    assert stats.times([]) == stats.Times(0, None, None)
    assert stats.duration_text(36) == "1.5日" and stats.duration_text(5.5) == "5.5時間" and stats.duration_text(None) == ""


def test_shift_jis_csv_is_the_same_table_and_refuses_what_it_cannot_hold():
    rows = [["受付番号", "氏名"], ["261127-000001", "髙橋 吉野"], ["=1+1", -3]]
    data = to_csv_shift_jis(rows)
    assert not data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data
    back = list(csv.reader(io.StringIO(data.decode("cp932"), newline="")))
    assert back[1] == ["261127-000001", "髙橋 吉野"]  # 髙 is in Windows-31J
    assert back[2] == ["'=1+1", "-3"]
    with pytest.raises(ShiftJisUnmappable) as refused:  # 𠮷 is not: never a silent 〓
        to_csv_shift_jis([["受付番号", "氏名"], ["261127-000001", "髙橋 𠮷野"]])
    assert [(p.row, p.column, p.char) for p in refused.value.problems] == [(2, 2, "𠮷")]
    assert list(csv.reader(io.StringIO(to_csv(rows).decode("utf-8-sig"), newline="")))[1][1] == "髙橋 吉野"


@pytest.mark.parametrize(("note", "ja", "en"), [
    ("paid", "手数料の支払いを確認", "Fee paid"),
    ("refunded:1500", "1,500円を返金", "Refunded: 1,500 yen"),
    ("overpaid:300", "手数料より300円多く支払われています（返金が必要）", "Paid 300 yen more than the fee (to refund)"),
    ("fee_confirmed:900", "手数料を900円に確定", "Fee confirmed: 900 yen"),
])
def test_payment_history_notes_read_as_words(note, ja, en):
    from types import SimpleNamespace
    event = SimpleNamespace(kind="payment", note=note)
    assert show.note_text(event, "ja") == ja
    assert show.note_text(event, "en") == en
