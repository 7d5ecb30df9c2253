"""Counter forms as data (issue 14): the packs' counter_forms/ load and fit their pack; broken
files are reported with file, line and field; the print-out is an A4 PDF with the Japanese font
embedded and the household's values (和暦 dates, a row per member) in it."""
import datetime as dt
import io
import time
from unittest import mock

import pytest
from flask import Flask
from pypdf import PdfReader

from core.pdf import A4_HEIGHT, A4_WIDTH, PdfFontMissing, find_font
from guide.cli import knowledge_cli
from knowledge.loader import PACKS_DIR, load_pack
from knowledge.yamlfile import KnowledgeError
from reservations import counter_forms, form_pdf
from tests.conftest import edit_file, line_of

FIXED = dt.datetime(2026, 12, 4, 9, 0, tzinfo=dt.UTC)
MOVE_IN = ["tennyu_todoke", "kokuho_kanyu", "jido_teate_nintei"]


def member(family, given, fkana, gkana, born, sex, relationship, moving=True):
    return {"family_name": family, "given_name": given, "family_kana": fkana, "given_kana": gkana,
            "birth_date": born, "sex": sex, "relationship": relationship, "moving": moving}


FAMILY = {
    "members": [
        member("山田", "太郎", "ヤマダ", "タロウ", "1985-04-01", "male", "head"),
        member("山田", "花子", "やまだ", "はなこ", "1987-06-15", "female", "spouse"),
        member("山田", "一郎", "ヤマダ", "イチロウ", "2015-01-10", "male", "child"),
        member("山田", "桜", "ヤマダ", "サクラ", "2019-05-01", "female", "child"),
    ],
    "previous_address": {"postcode": "1000001", "address": "東京都千代田区千代田1-1", "building": "",
                         "head_name": "山田太郎"},
    "new_address": {"postcode": "6500001", "address": "兵庫県神戸市中央区加納町6-5-1", "building": "ハイツ101"},
    "move_date": "2027-03-25",
    "phone": "09012345678",
}


@pytest.fixture(scope="module")
def kb():
    return load_pack("kakogawa")


@pytest.fixture(scope="module")
def forms(kb):
    return counter_forms.load(PACKS_DIR / "kakogawa", kb=kb)


def text_of(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def problems_of(pack) -> list[str]:
    with pytest.raises(KnowledgeError) as exc:
        counter_forms.load(pack)
    return exc.value.problems


# --- the loader --------------------------------------------------------------------------------


def test_the_packs_forms_load(forms, kb):
    assert set(forms) == {"jumin_ido", "kokuho_ido", "jido_teate_nintei", "kodomo_iryo", "inkan_toroku"}
    for form in forms.values():
        assert set(form.procedures) <= set(kb.procedures) and form.department in kb.departments
        assert form.source_url.startswith("http") and form.verified_on <= dt.date(2026, 12, 31)
    assert forms["jumin_ido"].procedures == ("tennyu_todoke", "tenkyo_todoke", "tenshutsu_todoke")
    assert "members[*].birth_date" in forms["jumin_ido"].fields and "move_date" in forms["jumin_ido"].fields


def test_the_second_pack_has_its_own_forms():
    minato = counter_forms.load(PACKS_DIR / "minato")
    assert set(minato) >= {"jumin_ido", "kokuho_ido"}
    assert minato["jumin_ido"].procedures == ("tennyu_todoke", "tenshutsu_todoke")


def test_a_pack_without_counter_forms_has_none(pack):
    for path in (pack / "counter_forms").iterdir():
        path.unlink()
    assert counter_forms.load(pack) == {}


def test_for_procedures_in_the_visits_order_each_form_once(forms):
    chosen = counter_forms.for_procedures(forms, ["kokuho_kanyu", "tennyu_todoke", "tenkyo_todoke", "gentsuki_toroku"])
    assert [f.id for f in chosen] == ["kokuho_ido", "jumin_ido"]
    assert counter_forms.for_procedures(forms, []) == []


def test_unknown_procedure_with_file_and_line(pack):
    path = pack / "counter_forms" / "jumin_ido.yaml"
    edit_file(path, "procedures: [tennyu_todoke, tenkyo_todoke", "procedures: [tennyu_todoke, tenkyo_todokke")
    unknown, option = problems_of(pack)
    assert unknown == f"{path}:{line_of(path, 'tenkyo_todokke')}: procedures.1: unknown procedure 'tenkyo_todokke' (see procedures/)"
    assert option.endswith("boxes.1.options.1.procedure: 'tenkyo_todoke' is not one of this form's procedures")


def test_an_option_must_name_one_of_the_forms_procedures(pack):
    path = pack / "counter_forms" / "jumin_ido.yaml"
    edit_file(path, "{label: 転出届, procedure: tenshutsu_todoke}", "{label: 転出届, procedure: kokuho_kanyu}")
    (problem,) = problems_of(pack)
    assert "boxes.1.options.2.procedure: 'kokuho_kanyu' is not one of this form's procedures" in problem


def test_unknown_household_path(pack):
    path = pack / "counter_forms" / "kokuho_ido.yaml"
    edit_file(path, "field: phone\n", "field: telephone\n")
    (problem,) = problems_of(pack)
    assert problem.startswith(f"{path}:{line_of(path, 'field: telephone')}: boxes.9.field.0: unknown household path 'telephone'")


def test_unknown_member_field_and_a_repeating_path_outside_a_table(pack):
    path = pack / "counter_forms" / "inkan_toroku.yaml"
    edit_file(path, 'field: "members[0].birth_date"', 'field: "members[0].birthday"')
    edit_file(path, 'field: "members[0].sex"', 'field: "members[*].sex"')
    problems = problems_of(pack)
    assert any("boxes.6.field.0: unknown member field 'birthday'" in p for p in problems)
    assert any("boxes.4.field.0: members[*] repeats: it belongs in a table's column" in p for p in problems)


def test_overlapping_boxes(pack):
    path = pack / "counter_forms" / "kodomo_iryo.yaml"
    edit_file(path, "  at: [105, 64]\n", "  at: [100, 64]\n")
    (problem,) = problems_of(pack)
    assert problem.endswith("boxes.6.at: box 'phone' overlaps box 'insurance'")


def test_boxes_side_by_side_share_a_line_without_overlapping(forms):
    boxes = {b.id: b for b in forms["jumin_ido"].boxes}
    assert boxes["move_date"].at[0] + boxes["move_date"].size[0] == boxes["phone"].at[0]  # the file loaded


def test_a_box_off_the_page(pack):
    path = pack / "counter_forms" / "inkan_toroku.yaml"
    edit_file(path, "  at: [130, 66]\n  size: [70, 40]", "  at: [130, 66]\n  size: [90, 40]")
    (problem,) = problems_of(pack)
    assert f"box 'seal' (130.0, 66.0, 90.0 × 40.0 mm) is off the A4 page ({A4_WIDTH:g} × {A4_HEIGHT:g} mm" in problem


def test_a_table_off_the_page(pack):
    path = pack / "counter_forms" / "jumin_ido.yaml"
    edit_file(path, "  rows: 4\n", "  rows: 16\n")
    problems = problems_of(pack)
    assert any("tables.0.at: table 'movers'" in p and "off the A4 page" in p for p in problems)


def test_missing_source_and_unknown_department(pack):
    path = pack / "counter_forms" / "kodomo_iryo.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("source_url:")
    path.write_text(text[:start] + text[text.index("\n", start) + 1:], encoding="utf-8")
    (problem,) = problems_of(pack)
    assert problem == f"{path}:2: source_url: Field required"  # the line where the mapping starts
    edit_file(path, "department: iryo_nenkin", "source_url: https://example.org/form\ndepartment: iryou")
    (problem,) = problems_of(pack)
    assert problem.endswith("department: unknown department 'iryou' (see departments.yaml)")


def test_checkbox_without_options_and_id_not_the_file_name(pack):
    path = pack / "counter_forms" / "inkan_toroku.yaml"
    edit_file(path, "id: inkan_toroku", "id: inkan")
    problems = problems_of(pack)
    assert any("id: the id 'inkan' differs from the file name 'inkan_toroku.yaml'" in p for p in problems)
    edit_file(path, "id: inkan", "id: inkan_toroku")
    edit_file(path, "  format: checkbox\n  options:\n  - {label: 男, equals: male}\n  - {label: 女, equals: female}\n",
              "  format: checkbox\n")
    (problem,) = problems_of(pack)
    assert "boxes.4: Value error, format: checkbox needs options" in problem


def test_every_problem_of_every_file_at_once(pack):
    edit_file(pack / "counter_forms" / "jumin_ido.yaml", "department: shimin", "department: shimim")
    edit_file(pack / "counter_forms" / "kokuho_ido.yaml", "department: kokuho", "department: kokuhoo")
    assert len(problems_of(pack)) == 2


def _knowledge_check(packs_dir):
    app = Flask(__name__)
    app.config["MUNICIPALITY"] = "kakogawa"
    app.cli.add_command(knowledge_cli)
    app.extensions["pack_checks"] = (counter_forms.counter_form_problems,)
    with mock.patch("guide.cli.load_pack", lambda name: load_pack(name, packs_dir)):
        return app.test_cli_runner().invoke(args=["knowledge", "check"])


def test_knowledge_check_reports_the_counter_forms(pack):
    assert _knowledge_check(pack.parent).exit_code == 0
    edit_file(pack / "counter_forms" / "jumin_ido.yaml", "field: move_date", "field: moving_date")
    result = _knowledge_check(pack.parent)
    assert result.exit_code == 1
    assert "unknown household path 'moving_date'" in result.output and "1 problem(s) found." in result.output


# --- the print-out -----------------------------------------------------------------------------


def test_render_a_four_member_move_in(forms):
    chosen = counter_forms.for_procedures(forms, MOVE_IN)
    started = time.perf_counter()
    pdf = form_pdf.render(chosen, FAMILY, procedures=MOVE_IN, created=FIXED)
    elapsed = time.perf_counter() - started
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    assert b"/FontFile2" in pdf and b"IPAGothic" in pdf  # the TrueType font is embedded (a subset)
    pages = text_of(pdf)
    assert len(pages) == 3
    jumin, kokuho, jido = pages
    assert "住民異動届" in jumin and "国民健康保険異動届" in kokuho and "児童手当" in jido
    for name in ("山田　太郎", "山田　花子", "山田　一郎", "山田　桜"):
        assert name in jumin and name in kokuho  # a row per member
    assert "ヤマダ　ハナコ" in jumin  # kana: ひらがな typed, カタカナ printed
    assert "昭和60年4月1日" in jumin and "令和元年5月1日" in jumin and "令和9年3月25日" in jumin  # 和暦
    assert "650-0001" in jumin and "090-1234-5678" in jumin and "兵庫県神戸市中央区加納町6-5-1　ハイツ101" in jumin
    assert "世帯主" in jumin and "妻" in jumin
    assert "山田　一郎" in jido and "山田　桜" in jido and "山田　花子" in jido  # the children's rows, the spouse box
    assert "山田　太郎" not in jido.split("支給対象となる児童")[1]  # parents are not children's rows
    assert elapsed < 5, elapsed


def test_rows_fill_in_order_and_a_fifth_mover_goes_on_a_continuation_page(forms):
    family = dict(FAMILY, members=[*FAMILY["members"], member("山田", "梅", "ヤマダ", "ウメ", "1950-02-03", "female", "parent")])
    pdf = form_pdf.render([forms["jumin_ido"]], family, created=FIXED)
    first, second = text_of(pdf)
    assert "（続き 1/2）" in first and "（続き 2/2）" in second
    assert "山田　梅" in second and "母" in second and "山田　梅" not in first
    assert first.index("山田　太郎") < first.index("山田　花子") < first.index("山田　一郎") < first.index("山田　桜")


def test_missing_values_leave_the_box_empty_and_the_signature_is_never_filled(forms):
    pdf = form_pdf.render([forms["jumin_ido"]], {"members": [{"family_name": "山田", "moving": True}]}, created=FIXED)
    (page,) = text_of(pdf)
    assert "山田" in page and "None" not in page and "null" not in page
    assert "令和　　年　　月　　日" in page  # the paper's blank for a date not given
    empty = form_pdf.render([forms["jumin_ido"]], {}, created=FIXED)
    assert "住民異動届" in text_of(empty)[0]


def test_the_visits_procedure_ticks_the_kind_of_notification(forms):
    box = next(b for b in forms["jumin_ido"].boxes if b.id == "kind")
    doc = mock.MagicMock()
    form_pdf._draw_value(doc, box, 10, 30, 190, 11, FAMILY, None, FAMILY["members"], {"tenkyo_todoke"}, label_above=True)
    ticks = [c.kwargs["checked"] for c in doc.checkbox.call_args_list]
    assert ticks == [False, True, False]


def test_same_input_same_bytes_and_the_font_is_a_subset(forms):
    a = form_pdf.render([forms["inkan_toroku"]], FAMILY, created=FIXED)
    b = form_pdf.render([forms["inkan_toroku"]], FAMILY, created=FIXED)
    assert a == b
    assert len(a) < 200_000  # IPA Gothic is 6 MB: only the glyphs used are embedded


@pytest.mark.parametrize(("value", "fmt", "who", "printed"), [
    ("2019-04-30", "wareki", None, "平成31年4月30日"),
    ("2019-05-01", "wareki", None, "令和元年5月1日"),
    ("not a date", "wareki", None, "not a date"),
    ("2027-03-25", "date", None, "2027年3月25日"),
    ("やまだ", "kana", None, "ヤマダ"),
    ("ヤマダ", "hiragana", None, "やまだ"),
    ("6500001", "postcode", None, "650-0001"),
    ("0794210000", "phone", None, "0794210000"),
    ("spouse", "relationship", {"sex": "male"}, "夫"),
    ("spouse", "relationship", {"sex": ""}, "配偶者"),
    ("parent", "relationship", {"sex": "female"}, "母"),
    ("other", "relationship", {"relationship_text": "祖母"}, "祖母"),
    ("female", "sex", None, "女"),
    ("", "sex", None, ""),
    (None, "text", None, ""),
])
def test_formats(value, fmt, who, printed):
    assert form_pdf.format_value(value, fmt, who) == printed


def test_no_font_is_a_clear_503_not_a_crash(forms, tmp_path):
    with pytest.raises(PdfFontMissing) as exc:
        form_pdf.render([forms["jumin_ido"]], FAMILY, font_path=tmp_path / "missing.ttf")
    assert exc.value.status == 503 and exc.value.code == "pdf_font_missing"
    assert "フォント" in exc.value.text()
    with mock.patch("core.pdf.FONT_CANDIDATES", (str(tmp_path / "none.ttf"),)), pytest.raises(PdfFontMissing):
        find_font(None)
    assert find_font(None).suffix == ".ttf"  # the usual place (fonts-ipafont-gothic)


def test_the_running_apps_forms_and_print_out(rulebook, tmp_path):
    from reservations import counter_forms_current as current

    app = Flask(__name__)
    app.config.update(MUNICIPALITY="kakogawa", PDF_FONT_PATH="")
    app.extensions["rulebook"] = mock.Mock(maybe_reload=lambda: rulebook)
    with app.app_context():
        assert current.forms() is current.forms()  # read once per generation
        assert [f.id for f in current.forms_for(["jido_teate_nintei", "tennyu_todoke"])] == ["jido_teate_nintei", "jumin_ido"]
        pdf = current.print_pdf(FAMILY, ["tennyu_todoke"], created=FIXED)
        assert "住民異動届" in text_of(pdf)[0]
        app.config["PDF_FONT_PATH"] = str(tmp_path / "nowhere.ttf")
        with pytest.raises(PdfFontMissing):
            current.print_pdf(FAMILY, ["tennyu_todoke"])


def test_a_curators_version_may_hold_counter_forms():
    from core.pack_versions import check_path

    assert check_path("counter_forms/jumin_ido.yaml") == "counter_forms/jumin_ido.yaml"
