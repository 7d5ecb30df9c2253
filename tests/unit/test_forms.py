"""Form definitions as data: every form loads, matches an online procedure, turns into JSON Schema;
errors name file, line and field; a 14th procedure is new files, no code."""
import datetime as dt
import re
from pathlib import Path

import jsonschema_rs
import pytest

from intake.forms import (
    KANA_PATTERN,
    PHONE_PATTERN,
    POSTAL_CODE_PATTERN,
    choices_of,
    date_problems,
    fee_quantity,
    fee_total,
    is_shown,
    item_required_fields,
    load_forms,
    normalize,
    required_fields,
    section_shown,
    to_json_schema,
)
from intake.forms_schema import IDENTITY_FIELDS, FiscalYears, fiscal_year_choices
from knowledge.loader import load_pack
from knowledge.yamlfile import KnowledgeError
from tests.conftest import REFERENCE, edit_file, line_of

PROCEDURES_MD = REFERENCE / "procedures.md"
ONLINE = {
    "juminhyo_utsushi", "inkan_shomei", "tenshutsu_todoke", "koseki_tohon", "koseki_fuhyo", "joseki_tohon",
    "dokushin_shomei", "mibun_shomei", "honnin_tsuchi", "rinji_unko", "kenchiku_shinchiku",
    "shotoku_kazei_shomei", "nozei_shomei",
    # 子育て・ひとり親 (issue 15)
    "jido_teate_nintei", "jido_teate_gaku_kaitei", "jido_teate_henko", "jido_teate_shometsu",
    "kodomo_iryo", "kodomo_iryo_henko", "hoiku_nyusho", "ninpu_shien_kyufu", "hitorioya_iryo",
}
# issue 15: くらし・税・その他 (犬の登録, 原付, 市税の届出, 粗大ごみ, 罹災証明, 住民票記載事項証明書)
ONLINE_KURASHI = {
    "inu_toroku", "inu_henko", "inu_shibo_or_owner", "gentsuki_toroku", "gentsuki_haisha",
    "kotei_shisan_sozokunin", "nozei_kanrinin", "sodai_gomi", "risai_shomei", "juminhyo_kisai_shomei",
}
# issue 15 ("Proof of scale"): the forms added beside the first 13, by area
ONLINE_ADDED = {
    # 国保・後期高齢・介護・障害
    "kokuho_henko", "kokuho_soshitsu", "kokuho_sosaihi", "kokuho_shussan_ichijikin", "kouki_sosaihi",
    "kaigo_henko", "kaigo_shikaku_shomei", "kaigo_jukyu_shikaku", "shogai_iryo_henko", "shogaisha_techo_henko",
}
TODAY = dt.date(2026, 7, 1)


@pytest.fixture(scope="module")
def kb():
    return load_pack("kakogawa")


@pytest.fixture(scope="module")
def forms(kb):
    return load_forms("kakogawa", kb=kb)




def _problems(pack: Path) -> list[str]:
    with pytest.raises(KnowledgeError) as info:
        load_forms("kakogawa", pack.parent)
    return info.value.problems


def _validator(schema: dict):
    return jsonschema_rs.validator_for(schema, validate_formats=True)


def juminhyo_values(**changes) -> dict:
    values = {
        "applicant_family_name": "加古川", "applicant_given_name": "太郎",
        "applicant_family_kana": "カコガワ", "applicant_given_kana": "タロウ",
        "applicant_birth_date": "1985-04-01",
        "applicant_address": {"postal_code": "6758501", "prefecture": "兵庫県", "city": "加古川市",
                              "street": "加古川町北在家2000"},
        "applicant_phone": "0794212000", "applicant_role": "self",
        "whose": "self", "householder_relation": "omit", "honseki": "omit", "mynumber": "omit",
        "juminhyo_code": "omit", "style": "household_list", "copies": 2,
        "purpose": "work", "delivery": "mail",
    }
    values.update(changes)
    return {k: v for k, v in values.items() if v is not None}


# --- the Kakogawa forms -------------------------------------------------------------------


def test_every_online_procedure_has_a_valid_form(forms):
    assert set(forms) == ONLINE | ONLINE_KURASHI | ONLINE_ADDED


def test_every_form_is_an_online_procedure_of_the_pack_and_every_online_procedure_has_a_form(kb, forms):
    for pid, form in forms.items():
        assert pid in kb.procedures
        assert kb.procedures[pid].online, pid
        assert form.procedure is kb.procedures[pid]
    assert {pid for pid, p in kb.procedures.items() if p.online} == set(forms)


def test_the_forms_are_the_catalogue_of_online_procedures(forms):
    text = PROCEDURES_MD.read_text(encoding="utf-8")
    table = text.split("## オンライン申請の対象手続", 1)[1].split("\n## ", 1)[0]
    assert set(re.findall(r"^\| `([a-z_]+)` \|", table, re.M)) == set(forms)


def test_every_form_asks_the_signers_basic_four_data_first(forms):
    for form in forms.values():
        first = form.sections[0]
        assert first.id == "applicant"
        ids = [f.id for f in first.fields]
        for key, fids in IDENTITY_FIELDS.items():
            if key == "sex":
                continue
            assert set(fids) <= set(ids), (form.id, key)
        assert form.fields["applicant_birth_date"].type == "wareki_date"
        assert form.fields["applicant_family_kana"].type == "kana"
        assert form.fields["applicant_address"].type == "address"


def test_proxy_flag_adds_the_principal_section_with_the_letter(forms):
    form = forms["juminhyo_utsushi"]
    assert [s.id for s in form.sections][:2] == ["applicant", "principal"]
    assert {c.value for c in form.fields["applicant_role"].choices} == {"self", "household", "proxy"}
    letter = form.fields["proxy_letter"]
    assert letter.type == "file" and letter.file.max_count >= 1 and "pdf" in letter.file.types
    assert not section_shown(form, "principal", {"applicant_role": "self"})
    assert section_shown(form, "principal", {"applicant_role": "proxy"})
    # 印鑑登録証明書 and 独身証明書: the person only
    for pid in ("inkan_shomei", "dokushin_shomei"):
        assert "applicant_role" not in forms[pid].fields and "principal" not in [s.id for s in forms[pid].sections]


def test_every_form_with_copies_points_at_a_number_field(forms):
    for form in forms.values():
        fee = form.definition.fee
        for fid in fee.copies_fields if fee else []:
            assert form.fields[fid].type == "number"


def test_every_form_schema_is_valid_json_schema(forms):
    for form in forms.values():
        for locale in ("ja", "en"):
            schema = to_json_schema(form, locale=locale, today=TODAY)
            assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
            assert jsonschema_rs.meta.is_valid(schema), form.id


# --- errors name file, line and field -----------------------------------------------------


def test_an_unknown_key_names_file_line_and_field(pack):
    path = pack / "forms" / "juminhyo_utsushi.yaml"
    edit_file(path, "    max: 10\n    default: 1\n    unit: {ja: 通", "    max: 10\n    defalt: 1\n    unit: {ja: 通")
    problems = _problems(pack)
    assert len(problems) == 1
    line = line_of(path, "defalt: 1")
    assert problems[0].startswith(f"{path}:{line}: sections.1.fields.6.defalt: Extra inputs are not permitted")
    assert "(in 'copies')" in problems[0]


def test_a_wrong_type_names_file_line_and_field(pack):
    path = pack / "forms" / "koseki_tohon.yaml"
    edit_file(path, "    type: checkbox\n    label: {ja: 証明書の種類", "    type: checkboxes\n    label: {ja: 証明書の種類")
    problems = _problems(pack)
    assert problems[0].startswith(f"{path}:{line_of(path, 'type: checkboxes')}: sections.1.fields.0.type: ")


def test_a_yaml_syntax_error_names_the_line(pack):
    path = pack / "forms" / "nozei_shomei.yaml"
    edit_file(path, "  - id: kind\n", "  - id: kind\n   bad: [\n")
    problems = _problems(pack)
    assert problems[0].startswith(f"{path}:")
    assert "(syntax)" in problems[0]


@pytest.mark.parametrize(("file", "old", "new", "needle", "where", "says"), [
    ("juminhyo_utsushi.yaml", "show_if: {whose: household_some}", "show_if: {whos: household_some}",
     "show_if: {whos:", "sections.0.fields.1.show_if.whos", "'whos' is not a field before this one"),
    ("juminhyo_utsushi.yaml", "show_if: {whose: household_some}", "show_if: {whose: household_few}",
     "household_few", "sections.0.fields.1.show_if.whose", "'household_few' is not a choice of 'whose'"),
    ("juminhyo_utsushi.yaml", "counters: [shimin_madoguchi, shimin_center, higashi_plaza]",
     "counters: [shimin_madoguchi, shimin_centre, higashi_plaza]", "shimin_centre",
     "delivery.counters.1", "unknown counter 'shimin_centre'"),
    ("juminhyo_utsushi.yaml", "copies_field: copies", "copies_field: copy", "copies_field: copy",
     "fee.copies_field", "unknown field 'copy'"),
    ("koseki_fuhyo.yaml", "  - id: whose\n", "  - id: applicant_phone\n", "id: applicant_phone",
     "sections.1.fields.0.id", "reserved"),
    ("rinji_unko.yaml", "  end: insurance_end", "  end: insurance_ends", "end: insurance_ends",
     "date_rules.1.end", "not a date field"),
    ("shotoku_kazei_shomei.yaml", "    max_length: 200\n", "    max_length: 200\n    min: 3\n", "min: 3",
     "sections.1.fields.2.min", "'min' is not for a text field"),
    ("mibun_shomei.yaml", "id: mibun_shomei", "id: mibun_shoumei", "id: mibun_shoumei",
     "id", "must match the file name"),
])
def test_a_broken_reference_names_file_line_and_field(pack, file, old, new, needle, where, says):
    path = pack / "forms" / file
    edit_file(path, old, new)
    problems = _problems(pack)
    expected = f"{path}:{line_of(path, needle)}: {where}: "
    assert any(p.startswith(expected) and says in p for p in problems), problems


def test_a_form_for_a_procedure_that_is_not_online_is_refused(pack):
    edit_file(pack / "procedures" / "honnin_tsuchi.yaml", "online: true", "online: false")
    path = pack / "forms" / "honnin_tsuchi.yaml"
    problems = _problems(pack)
    assert problems == [f"{path}:{line_of(path, 'id: honnin_tsuchi')}: id: procedure 'honnin_tsuchi' is not online: true in the pack"]


def test_an_online_procedure_without_a_form_is_refused(pack):
    (pack / "forms" / "mibun_shomei.yaml").unlink()
    problems = _problems(pack)
    assert len(problems) == 1 and "'mibun_shomei' is online: true but has no form file" in problems[0]


# --- a 14th procedure: new files, no code -------------------------------------------------

ONE_MORE_FORM = """\
id: juminhyo_kisai
title: {ja: 住民票記載事項証明書の請求, en: Request for a certificate of resident record entries}
applicant:
  title: {ja: 請求する人, en: The person making the request}
proxy:
  allowed: true
sections:
- id: certificate
  title: {ja: 必要な証明書, en: The certificate you need}
  fields:
  - id: form_provided
    type: radio
    label: {ja: 提出先の様式, en: Form of the office}
    choices:
    - {value: 'yes', label: {ja: 様式がある, en: There is a form}}
    - {value: 'no', label: {ja: 様式はない, en: There is no form}}
  - id: provided_form
    type: file
    label: {ja: 提出先の様式, en: The office's form}
    show_if: {form_provided: 'yes'}
    file: {types: [pdf, jpeg, png], max_bytes: 2097152, max_count: 2}
  - id: items
    type: repeat
    label: {ja: 証明する事項, en: Entries to certify}
    min_items: 1
    max_items: 5
    fields:
    - id: item
      type: select
      label: {ja: 事項, en: Entry}
      choices:
      - {value: address, label: {ja: 住所, en: Address}}
      - {value: other, label: {ja: その他, en: Other}}
    - id: detail
      type: text
      label: {ja: 事項（その他）, en: Other entry}
      show_if: {item: other}
  - id: copies
    type: number
    label: {ja: 通数, en: Copies}
    min: 1
    max: 5
    default: 1
purpose:
  choices:
  - {value: work, label: {ja: 勤務先に出す, en: For an employer}}
delivery:
  options: [mail]
fee:
  copies_field: copies
"""


def test_one_more_procedure_is_two_new_files_and_no_code(pack):
    procedure = (pack / "procedures" / "mibun_shomei.yaml").read_text(encoding="utf-8")
    procedure = procedure.replace("id: mibun_shomei", "id: juminhyo_kisai")
    (pack / "procedures" / "juminhyo_kisai.yaml").write_text(procedure, encoding="utf-8")
    (pack / "forms" / "juminhyo_kisai.yaml").write_text(ONE_MORE_FORM, encoding="utf-8")

    forms = load_forms("kakogawa", pack.parent)
    assert len(forms) == len(ONLINE | ONLINE_KURASHI | ONLINE_ADDED) + 1  # one more file, one more form
    form = forms["juminhyo_kisai"]
    assert [s.id for s in form.sections] == ["applicant", "principal", "certificate", "finish"]
    assert fee_quantity(form, {"copies": 3}) == 3
    schema = to_json_schema(form, today=TODAY)
    assert schema["properties"]["delivery"]["enum"] == ["mail"]
    assert any(rule["then"]["required"] == ["provided_form"] for rule in schema["allOf"])
    # a conditional field inside a repeat
    items = form.fields["items"]
    assert item_required_fields(items, {"item": "address"}) == ["item"]
    assert item_required_fields(items, {"item": "other"}) == ["item", "detail"]
    v = _validator(schema["properties"]["items"])
    assert v.is_valid([{"item": "address"}])
    assert not v.is_valid([{"item": "other"}])
    assert v.is_valid([{"item": "other", "detail": "本籍"}])


# --- JSON Schema --------------------------------------------------------------------------


def test_json_schema_accepts_a_valid_application_and_refuses_invalid_ones(forms):
    schema = to_json_schema(forms["juminhyo_utsushi"], today=TODAY)
    validator = _validator(schema)
    assert validator.is_valid(juminhyo_values())
    assert validator.is_valid(juminhyo_values(whose="household_some",
                                              persons=[{"family_name": "加古川", "given_name": "花子"}]))
    invalid = [
        juminhyo_values(applicant_family_name=None),  # required
        juminhyo_values(applicant_family_kana="かこがわ"),  # not normalised to katakana
        juminhyo_values(applicant_phone="079-421-2000"),  # digits only once normalised
        juminhyo_values(applicant_birth_date="1985-13-01"),  # format: date
        juminhyo_values(applicant_birth_date="昭和60年4月1日"),  # the API takes ISO dates
        juminhyo_values(whose="everybody"),  # enum
        juminhyo_values(copies=0),  # minimum
        juminhyo_values(copies=11),  # maximum
        juminhyo_values(copies="2"),  # integer
        juminhyo_values(applicant_address={"postal_code": "675-8501", "prefecture": "兵庫県", "city": "加古川市",
                                           "street": "加古川町北在家2000"}),
        juminhyo_values(applicant_address={"postal_code": "6758501", "prefecture": "兵庫", "city": "加古川市",
                                           "street": "加古川町北在家2000"}),
        juminhyo_values(submit_to="x" * 101),  # maxLength
        juminhyo_values(surprise="field"),  # additionalProperties
        juminhyo_values(purpose="other"),  # purpose_other is now required
    ]
    for instance in invalid:
        assert not validator.is_valid(instance), instance


def test_json_schema_email_format_and_file_rules(forms):
    form = forms["rinji_unko"]
    schema = to_json_schema(form, today=TODAY)
    files = schema["properties"]["insurance_certificate"]
    assert files["maxItems"] == 2 and files["items"]["properties"]["kind"]["enum"] == ["pdf", "jpeg", "png", "heic"]
    assert files["items"]["properties"]["size"]["maximum"] == 5 * 2**20
    upload = {"name": "a" * 32, "kind": "pdf", "size": 1000, "sha256": "0" * 64}
    v = _validator(files)
    assert v.is_valid([upload])
    assert not v.is_valid([upload | {"kind": "gif"}])
    assert not v.is_valid([upload | {"size": 6 * 2**20}])
    assert not v.is_valid([upload, upload, upload])
    email = _validator({"type": "string", "format": "email"})
    assert email.is_valid("taro@example.jp") and not email.is_valid("taro@")


def test_patterns_match_normalised_values():
    assert re.match(KANA_PATTERN, "カコガワ タロウ") and not re.match(KANA_PATTERN, "かこがわ")
    assert re.match(PHONE_PATTERN, "09012345678") and not re.match(PHONE_PATTERN, "12345")
    assert re.match(POSTAL_CODE_PATTERN, "6758501") and not re.match(POSTAL_CODE_PATTERN, "675-8501")


# --- conditional fields -------------------------------------------------------------------


def test_a_conditional_field_is_not_required_when_hidden(forms):
    form = forms["juminhyo_utsushi"]
    validator = _validator(to_json_schema(form, today=TODAY))
    # 世帯の一部: the names are asked and required
    some = juminhyo_values(whose="household_some")
    assert "persons" in required_fields(form, some)
    assert not validator.is_valid(some)
    # 本人だけ: the names are hidden, so not required
    alone = juminhyo_values(whose="self")
    assert not is_shown(form, "persons", alone)
    assert "persons" not in required_fields(form, alone)
    assert validator.is_valid(alone)
    # the proxy section: hidden for the person themselves, required for a proxy
    assert "proxy_letter" not in required_fields(form, alone)
    proxy = juminhyo_values(applicant_role="proxy", mynumber=None, juminhyo_code=None)
    assert {"principal_family_name", "proxy_letter"} <= set(required_fields(form, proxy))
    assert not validator.is_valid(proxy)
    # a proxy cannot ask for the My Number: the field is hidden
    assert not is_shown(form, "mynumber", proxy)


def test_a_field_behind_a_hidden_field_is_hidden_too(forms):
    form = forms["tenshutsu_todoke"]
    validator = _validator(to_json_schema(form, today=TODAY))
    values = {"destination": "abroad", "move_out_certificate": "paper"}  # a stale answer
    assert not is_shown(form, "move_out_certificate", values)
    assert not is_shown(form, "certificate_address", values)
    assert "certificate_address" not in required_fields(form, values)
    assert is_shown(form, "certificate_address", {"destination": "japan", "move_out_certificate": "paper"})
    rule = next(r for r in to_json_schema(form, today=TODAY)["allOf"] if r["then"]["required"] == ["certificate_address"])
    assert set(rule["if"]["required"]) == {"destination", "move_out_certificate"}
    assert validator is not None


def test_conditions_on_a_checkbox_and_inside_a_repeat(forms):
    form = forms["koseki_tohon"]
    assert is_shown(form, "shohon_copies", {"kinds": ["tohon", "shohon"]})
    assert not is_shown(form, "shohon_copies", {"kinds": ["tohon"]})
    movers = forms["tenshutsu_todoke"].fields["movers"]
    assert "birth_date" in item_required_fields(movers, {})


# --- fees, years, dates, input ------------------------------------------------------------


def test_the_fee_comes_from_the_knowledge_pack_and_the_copies_from_the_form(forms):
    koseki = forms["koseki_tohon"]
    values = {"kinds": ["tohon", "shohon"], "tohon_copies": 2, "shohon_copies": 1}
    assert fee_quantity(koseki, values) == 3
    assert fee_total(koseki, values, TODAY) == 900  # the online price, 300円
    with pytest.raises(LookupError):  # the pack has only the counter fee before 2022-04-01: never 0円
        fee_total(koseki, values, dt.date(2021, 4, 1))
    # a hidden copies field does not count
    assert fee_quantity(koseki, {"kinds": ["tohon"], "tohon_copies": 1, "shohon_copies": 5}) == 1
    shotoku = forms["shotoku_kazei_shomei"]
    assert fee_total(shotoku, {"fiscal_years": ["2026", "2025"], "copies": 1}, TODAY) == 300  # 150円 × 2 年度
    assert fee_total(forms["juminhyo_utsushi"], {"copies": 2}, TODAY) == 600
    assert fee_total(forms["rinji_unko"], {}, TODAY) == 750  # per vehicle
    assert fee_total(forms["tenshutsu_todoke"], {}, TODAY) == 0
    assert forms["joseki_tohon"].definition.fee.payment == "after_review"


AMOUNT = re.compile(r"\d\s*(円|えん|yen|ienes|yên|日元|엔)|(円|yen)\b|処理券\s*\d|\d\s*(枚|まい|stickers?)", re.I)


def test_the_bulky_waste_texts_state_no_unconfirmed_amounts(kb, forms):
    """粗大ごみ's fee tiers and 処理券 price come only from a resident's blog (verified: false): in no
    language do the procedure, the form or its size choices state them; they say the city is confirming."""
    form = forms["sodai_gomi"]
    size = form.fields["items"].fields[1]
    texts = [kb.procedures["sodai_gomi"].description, form.definition.intro] + [c.label for c in size.choices]
    assert [c.label.get("ja") for c in size.choices] == ["90cm未満", "90cm以上180cm以下", "180cmを超える"]
    for lang in kb.pack.languages:
        found = [t.get(lang) for t in texts if AMOUNT.search(t.get(lang) or "")]
        assert found == [], lang
    for t in texts[:2]:
        assert "金額は市で確認中です" in t.get("ja") and "処理券" in t.get("ja")
        assert "confirming the amounts" in t.get("en")
    assert all(t.get(lang) for t in texts for lang in kb.pack.languages)  # every language has its words


def test_fiscal_years_follow_the_date():
    rules = FiscalYears(count=3, available_from="06-01", income_note=True)
    assert [c.value for c in fiscal_year_choices(rules, dt.date(2026, 5, 31))] == ["2025", "2024", "2023"]
    june = fiscal_year_choices(rules, dt.date(2026, 6, 1))
    assert [c.value for c in june] == ["2026", "2025", "2024"]
    assert june[0].label.ja == "令和8年度（2026年度）：2025年1月〜12月の所得"
    assert fiscal_year_choices(FiscalYears(count=1), dt.date(2019, 4, 1))[0].label.ja.startswith("令和元年度")


def test_built_in_labels_read_as_before_in_japanese_and_english_from_the_catalogs(forms):
    """The generated sections' words are catalog msgids (core.words), read per language like the
    pack's own Texts: the pages and the JSON Schema say what the inline (ja, en) pairs said."""
    form = forms["juminhyo_utsushi"]
    f = form.fields
    pairs = {
        (f["applicant_family_name"].label, "姓", "Family name"),
        (f["applicant_given_kana"].label, "名（フリガナ）", "Given name in katakana"),
        (f["applicant_address"].label, "住所（住民登録をしている住所）", "Registered address"),
        (f["applicant_phone"].hint, "日中に連絡がとれる番号です。ハイフンはなくてもかまいません。",
         "A number we can call in the daytime. Hyphens are optional."),
        (f["applicant_role"].choices[-1].label, "代理人", "A proxy"),
        (f["proxy_letter"].label, "委任状", "Letter of proxy"),
        # the same Japanese reads differently as a field and as a page title (msgctxt "form field")
        (f["purpose"].label, "使いみち", "What you need it for"),
        (f["delivery"].label, "受け取り方法", "How to receive it"),
        (f["delivery"].choices[0].label, "郵送", "By post"),
        (f["purpose"].choices[-1].label, "その他", "Other"),
    }
    for words, ja, en in pairs:
        assert (words.get("ja"), words.get("en")) == (ja, en)
        assert words.get("easy") and words.get("easy") != ja  # やさしい日本語 from its own catalog
    titles = {s.id: (s.title.get("ja"), s.title.get("en")) for s in form.sections}
    assert form.sections[0].intro.get("en").startswith("The person who signs with their My Number Card.")
    assert titles["principal"] == ("頼んだ人（委任者）", "The person who asked you (principal)")
    assert titles["finish"] == ("使いみちと受け取り方法", "Purpose and delivery")
    ja, en = (to_json_schema(form, locale, TODAY)["properties"] for locale in ("ja", "en"))
    assert (ja["applicant_family_name"]["title"], en["applicant_family_name"]["title"]) == ("姓", "Family name")
    assert (ja["submit_to"]["title"], en["submit_to"]["title"]) == ("提出先", "Where you will submit it")
    assert en["applicant_birth_date"]["description"] == "For example 1985-04-01."
    rules = FiscalYears(count=1, available_from="06-01", income_note=True)
    [june] = fiscal_year_choices(rules, dt.date(2026, 6, 1))
    assert (june.label.get("ja"), june.label.get("en")) == ("令和8年度（2026年度）：2025年1月〜12月の所得",
                                                            "Fiscal year 2026 (income of 2025)")
    [plain] = fiscal_year_choices(FiscalYears(count=1), dt.date(2026, 4, 1))
    assert (plain.label.get("ja"), plain.label.get("en")) == ("令和8年度（2026年度）", "Fiscal year 2026")


def test_fiscal_year_choices_are_computed_for_the_schema(forms):
    field = forms["shotoku_kazei_shomei"].fields["fiscal_years"]
    assert [c.value for c in choices_of(field, TODAY)][:2] == ["2026", "2025"]


def test_the_temporary_permit_lasts_five_days_at_most_and_is_insured(forms):
    form = forms["rinji_unko"]
    ok = {"unko_start": "2026-07-01", "unko_end": "2026-07-05", "insurance_end": "2026-07-06"}
    assert date_problems(form, ok) == {}
    assert set(date_problems(form, ok | {"unko_end": "2026-07-06", "insurance_end": "2026-07-31"})) == {"unko_end"}
    assert set(date_problems(form, ok | {"unko_end": "2026-06-30"})) == {"unko_end"}  # before the start
    assert set(date_problems(form, ok | {"insurance_end": "2026-07-05"})) == {"insurance_end"}


def test_date_rules_without_a_message_of_their_own_name_the_fields_in_each_language(forms):
    """Catalog msgids with the fields' labels as variables (the Japanese once showed the labels'
    Python repr: 「ja='完成予定日' en=…は、…」)."""
    form = forms["kenchiku_shinchiku"]
    [rule] = form.definition.date_rules
    start, end = (form.fields[f].label for f in (rule.start, rule.end))
    [message] = date_problems(form, {rule.start: "2026-07-02", rule.end: "2026-07-01"}).values()
    assert message.get("ja") == f"{end.ja}は、{start.ja}以降の日にしてください。"
    assert message.get("en") == f"“{end.en}” must be on or after “{start.en}”."
    [message] = date_problems(form, {rule.start: "2016-07-02", rule.end: "2026-07-01"}).values()
    assert message.get("ja") == f"{start.ja}から{end.ja}までは、{rule.max_days}日以内にしてください。"
    assert message.get("en") == f"From “{start.en}” to “{end.en}”: {rule.max_days} days at most."


def test_input_is_normalised_as_ui_md_says(forms):
    fields = forms["juminhyo_utsushi"].fields
    assert normalize(fields["applicant_family_kana"], "かこがわ") == "カコガワ"
    assert normalize(fields["applicant_family_kana"], "ｶｺｶﾞﾜ") == "カコガワ"
    assert normalize(fields["applicant_phone"], "０７９ー４２１‐２０００") == "0794212000"
    assert normalize(fields["applicant_phone"], "(079)421―2000") == "0794212000"
    assert normalize(fields["applicant_address"], {"postal_code": "〒６７５－８５０１", "city": " 加古川市 "}) == {
        "postal_code": "6758501", "city": "加古川市"}
    assert normalize(fields["applicant_family_name"], " \ufa10本 ") == "\ufa10本"  # U+FA10 stays as typed
    assert normalize(fields["copies"], "２") == 2
    chassis = forms["rinji_unko"].fields["chassis_number"]
    assert normalize(chassis, "ａｂｃ１２３－４５６") == "ABC123-456"


# --- review.department and signature.match (issue 15) --------------------------------------


def test_review_department_defaults_to_the_procedures_and_a_form_may_name_another(pack, forms):
    assert forms["juminhyo_utsushi"].department == forms["juminhyo_utsushi"].procedure.department == "shimin"
    assert forms["kenchiku_shinchiku"].department == "kenchiku"
    path = pack / "forms" / "juminhyo_utsushi.yaml"
    edit_file(path, "review:\n", "review:\n  department: kokuho\n")
    assert load_forms("kakogawa", pack.parent)["juminhyo_utsushi"].department == "kokuho"


def test_signature_match_defaults_to_every_item_the_form_asks_and_may_name_some(pack, forms):
    assert all(form.signature_items is None for form in forms.values())  # as before: all the form asks
    path = pack / "forms" / "juminhyo_utsushi.yaml"
    edit_file(path, "review:\n", "signature:\n  match: [address, name, birth_date]\nreview:\n")
    assert load_forms("kakogawa", pack.parent)["juminhyo_utsushi"].signature_items == ("name", "birth_date", "address")


@pytest.mark.parametrize(("old", "new", "needle", "where", "says"), [
    ("review:\n", "review:\n  department: kokuhoo\n", "department: kokuhoo", "review.department",
     "unknown department 'kokuhoo' (see departments.yaml)"),
    ("review:\n", "signature:\n  match: [name, sex]\nreview:\n", "match: [name, sex]", "signature.match.1",
     "'sex' needs applicant.sex: true"),
    ("review:\n", "signature:\n  match: [name, name]\nreview:\n", "match: [name, name]", "signature.match.1",
     "'name' is listed twice"),
    ("review:\n", "signature:\n  match: [name, kana]\nreview:\n", "match: [name, kana]", "signature.match.1",
     "Input should be"),
    ("review:\n", "signature:\n  match: []\nreview:\n", "match: []", "signature.match", "at least 1"),
])
def test_a_wrong_review_department_or_signature_match_names_file_line_and_field(pack, old, new, needle, where, says):
    path = pack / "forms" / "juminhyo_utsushi.yaml"
    edit_file(path, old, new)
    problems = _problems(pack)
    expected = f"{path}:{line_of(path, needle)}: {where}: "
    assert any(p.startswith(expected) and says in p for p in problems), problems


def test_sex_may_be_matched_where_the_form_asks_it(pack):
    path = pack / "forms" / "juminhyo_utsushi.yaml"
    edit_file(path, "review:\n", "signature:\n  match: [name, sex]\nreview:\n")
    edit_file(path, "applicant:\n", "applicant:\n  sex: true\n")
    form = load_forms("kakogawa", pack.parent)["juminhyo_utsushi"]
    assert form.signature_items == ("name", "sex") and "applicant_sex" in form.fields


def test_the_new_keys_leave_the_version_of_a_form_that_does_not_use_them_as_it_was(pack, forms):
    import hashlib
    import json
    form = forms["juminhyo_utsushi"]
    before = form.definition.model_dump(mode="json")
    before.pop("signature")
    before["review"].pop("department")
    canonical = json.dumps(before, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    assert form.version == "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    path = pack / "forms" / "juminhyo_utsushi.yaml"
    edit_file(path, "review:\n", "review:\n  department: kokuho\n")
    assert load_forms("kakogawa", pack.parent)["juminhyo_utsushi"].version != form.version  # setting it counts
