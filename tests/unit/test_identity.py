"""The card's 基本4情報 against the form: widths, spaces and dashes do not count, content does."""
from intake.identity import compare

SIGNER = {"name": "加古川 花子", "address": "兵庫県加古川市加古川町北在家２０００番地", "birth_date": "319850401", "sex": "2"}
FORM = {"applicant_family_name": "加古川", "applicant_given_name": "花子", "applicant_birth_date": "1985-04-01",
        "applicant_address": {"prefecture": "兵庫県", "city": "加古川市", "street": "加古川町北在家2000"}}


def test_same_person_matches_whatever_the_spaces_and_widths():
    assert compare(FORM, SIGNER) == {"name": True, "birth_date": True, "sex": None, "address": True}


def test_each_difference_is_named():
    other = {**FORM, "applicant_given_name": "華子", "applicant_birth_date": "1985-04-02",
             "applicant_address": {"prefecture": "兵庫県", "city": "高砂市", "street": "荒井町"}}
    assert compare(other, SIGNER) == {"name": False, "birth_date": False, "sex": None, "address": False}


def test_items_missing_from_the_form_are_not_judged():
    assert compare({}, SIGNER) == {"name": None, "birth_date": None, "sex": None, "address": None}


def test_sex_is_compared_only_where_the_form_asks_it():
    """The card carries 性別 as a code (1 男, 2 女, 3 不明); the form as male / female."""
    assert compare({**FORM, "applicant_sex": "female"}, SIGNER)["sex"] is True
    assert compare({**FORM, "applicant_sex": "male"}, SIGNER)["sex"] is False
    assert compare({**FORM, "applicant_sex": "female"}, {**SIGNER, "sex": "3"})["sex"] is False
    assert compare({**FORM, "applicant_sex": "female"}, {k: v for k, v in SIGNER.items() if k != "sex"})["sex"] is False
    assert compare(FORM, SIGNER)["sex"] is None


def test_only_the_items_a_form_names_are_compared_and_the_others_left_out():
    elsewhere = {**FORM, "applicant_address": {"prefecture": "兵庫県", "city": "加古川市", "street": "平岡町1"}}
    assert compare(elsewhere, SIGNER, ["name", "birth_date"]) == {"name": True, "birth_date": True}
    assert compare(elsewhere, SIGNER, ["address"]) == {"address": False}
    assert compare({**FORM, "applicant_sex": "male"}, SIGNER, ("name", "sex")) == {"name": True, "sex": False}
    assert compare(elsewhere, SIGNER, None)["address"] is False  # None: all of them, as before
