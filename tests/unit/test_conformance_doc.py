"""The 試験結果 cannot drift: docs/accessibility-conformance.md is what core/conformance.py makes of
docs/accessibility-conformance.yaml (the one source the page /accessibility/results and the browser
test read), it lists every page tests/browser/test_conformance_pages.py opens, and all 38 success
criteria of WCAG 2.0 levels A and AA (JIS X 8341-3:2016), each with a result WAIC allows."""
from __future__ import annotations

import random
from pathlib import Path

from core import conformance
from knowledge.loader import load_pack

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "accessibility-conformance.md"

# WCAG 2.0's success criteria of levels A and AA (= JIS X 8341-3:2016 附属書), with their levels
WCAG20_A_AA = {
    "1.1.1": "A", "1.2.1": "A", "1.2.2": "A", "1.2.3": "A", "1.2.4": "AA", "1.2.5": "AA", "1.3.1": "A", "1.3.2": "A",
    "1.3.3": "A", "1.4.1": "A", "1.4.2": "A", "1.4.3": "AA", "1.4.4": "AA", "1.4.5": "AA", "2.1.1": "A", "2.1.2": "A",
    "2.2.1": "A", "2.2.2": "A", "2.3.1": "A", "2.4.1": "A", "2.4.2": "A", "2.4.3": "A", "2.4.4": "A", "2.4.5": "AA",
    "2.4.6": "AA", "2.4.7": "AA", "3.1.1": "A", "3.1.2": "AA", "3.2.1": "A", "3.2.2": "A", "3.2.3": "AA", "3.2.4": "AA",
    "3.3.1": "A", "3.3.2": "A", "3.3.3": "AA", "3.3.4": "AA", "4.1.1": "A", "4.1.2": "A",
}
LANGUAGES = ["ja", "easy", "en", "zh", "ko", "vi", "pt"]
# The pages the random ones were drawn from are the site on the day of the test (2026-12-03): its
# procedures and online forms then. Pages added since are not part of that population.
PROCEDURES_TESTED = (
    "dokushin_shomei", "gakko_tennyugaku", "gentsuki_haisha", "gentsuki_toroku", "hitorioya_iryo",
    "hoiku_nyusho", "honnin_tsuchi", "inkan_haishi", "inkan_shomei", "inkan_toroku", "inu_henko",
    "inu_shibo_or_owner", "jido_fuyo_teate", "jido_teate_gaku_kaitei", "jido_teate_henko",
    "jido_teate_nintei", "jido_teate_shometsu", "joseki_tohon", "juminhyo_utsushi", "kaigo_henko",
    "kaigo_jukyu_shikaku", "kaigo_shikaku_shomei", "kaigo_shutoku", "kaigo_soshitsu", "kaso_kyoka",
    "kenchiku_shinchiku", "kodomo_iryo", "kodomo_iryo_henko", "kokuho_henko", "kokuho_kanyu",
    "kokuho_shussan_ichijikin", "kokuho_sosaihi", "kokuho_soshitsu", "konin_todoke", "koseki_fuhyo",
    "koseki_tohon", "kotei_shisan_sozokunin", "kouki_henko", "kouki_kanyu", "kouki_sosaihi",
    "kouki_soshitsu", "maisoryo", "mibun_shomei", "mynumber_card_address", "mynumber_card_kokugai",
    "mynumber_card_name", "nenkin_izoku", "nenkin_izoku_kosei", "nenkin_kanyu", "nenkin_mishikyu",
    "nenkin_nini_kanyu", "nenkin_shubetsu_henko", "ninchi_todoke", "ninpu_shien_kyufu",
    "nozei_kanrinin", "nozei_shomei", "nyuseki_todoke", "rikon_todoke", "rikon_uji_todoke",
    "rinji_unko", "setainushi_henko", "shibo_todoke", "shogai_iryo_henko", "shogai_iryo_shinsei",
    "shogaisha_techo_henko", "shotoku_kazei_shomei", "shussei_renrakuhyo", "shussei_todoke",
    "tenkyo_todoke", "tennyu_todoke", "tenshutsu_todoke", "zairyu_shikaku_shutoku",
)
FORMS_TESTED = (
    "dokushin_shomei", "honnin_tsuchi", "inkan_shomei", "joseki_tohon", "juminhyo_utsushi",
    "kenchiku_shinchiku", "koseki_fuhyo", "koseki_tohon", "mibun_shomei", "nozei_shomei",
    "rinji_unko", "shotoku_kazei_shomei", "tenshutsu_todoke",
)


def test_the_document_is_made_from_the_data_file():
    made = conformance.markdown(load_pack().pack.name.ja)
    assert DOC.read_text(encoding="utf-8") == made, (
        "docs/accessibility-conformance.md is out of date: run "
        "`.venv/bin/python -m core.conformance <the city's name> > docs/accessibility-conformance.md`")


def test_every_wcag_20_a_and_aa_criterion_is_listed_once_in_order_with_its_level():
    criteria = conformance.results()["criteria"]
    assert [c["id"] for c in criteria] == list(WCAG20_A_AA)
    assert {c["id"]: c["level"] for c in criteria} == WCAG20_A_AA
    text = DOC.read_text(encoding="utf-8")
    for c in criteria:
        assert f"| {c['id']} {c['name']} | {c['level']} |" in text


def test_each_result_is_one_waic_allows_and_agrees_with_applies():
    for c in conformance.results()["criteria"]:
        assert c["result"] in conformance.RESULTS, c["id"]
        assert (c["applies"] == "いいえ") == (c["result"] == "適用なし"), c["id"]
        assert c["how"].strip(), c["id"]
        # 適合 needs a real test; a criterion checked by nothing is 未確認 (or not met)
        if c["result"] == "適合":
            assert c["tests"].strip(), c["id"]


def test_the_notation_follows_the_results():
    """準拠 only when every criterion is met (or does not apply) on the tested pages; otherwise 一部準拠."""
    data = conformance.results()
    all_met = all(c["result"] in ("適合", "適用なし") for c in data["criteria"])
    assert data["notation"] == ("準拠" if all_met else "一部準拠")
    if not all_met:  # 一部準拠 says what is not met and what will be done about it
        assert data["notation_reason"].strip() and data["plan"].strip()
        for c in data["criteria"]:
            if c["result"] == "不適合":
                assert c["id"] in data["notation_reason"] and c["id"] in data["plan"], c["id"]


def test_the_document_lists_the_pages_the_browser_test_opens():
    from tests.browser import test_conformance_pages
    pages = conformance.results()["pages"]
    assert test_conformance_pages.PAGES is pages  # the one list
    assert len(pages) >= 40
    assert len({p["path"] for p in pages}) == len(pages)
    text = DOC.read_text(encoding="utf-8")
    for n, page in enumerate(pages, 1):
        assert f"| {n} | {page['kind']} | `{page['path']}`" in text
    assert {p["made"] for p in pages if p.get("made")} == {"draft_section", "application_status", "first_open_day",
                                                          "booking_manage"}


def test_the_random_pages_are_the_seeds_choice_from_the_population_described():
    from intake.forms import load_forms
    pack = load_pack()
    assert set(PROCEDURES_TESTED) <= set(pack.procedures) and set(FORMS_TESTED) <= set(load_forms())
    population = ([f"/procedures/{p}" for p in PROCEDURES_TESTED] + [f"/guide/{e}" for e in pack.events]
                  + [f"/apply/{f}" for f in FORMS_TESTED])
    population = sorted(f"{p}?lang={lang}" for p in population for lang in LANGUAGES)
    assert len(population) == conformance.POPULATION
    chosen = [p["path"] for p in conformance.results()["random_pages"]]
    assert chosen == random.Random(20261203).sample(population, len(chosen))
    assert len(chosen) >= 10


def test_every_check_a_criterion_names_is_one_the_browser_test_makes():
    data = conformance.results()
    for c in data["criteria"]:
        if c["tests"].startswith("checks:"):
            named = {key for key in data["checks"] if key in c["tests"]}
            assert named, c["id"]
