"""Households of issue 10 (death of a 社保 earner, births to unmarried or foreign parents and
abroad, foreign residents, disability): what the guide lists, what to bring and from which day
the deadlines count, through POST /api/v1/guide/evaluate."""
import pytest

URL = "/api/v1/guide/evaluate"

SHAHO_DEATH = {
    "event": "death", "event_date": "2026-04-01",
    "facts": {"dog": False, "child_allowance_recipient_is_deceased": True, "single_parent": True},
    "deceased": {"age": 58, "insurance": "shaho", "householder": True, "care_certified": False,
                 "seal_registered": False, "pension_recipient": False, "pension": "second",
                 "owned_property": False, "died_abroad": False},
    "members": [{"relation": "spouse", "age": 56, "insurance": "shaho", "pension": "third", "dependant_of_deceased": True},
                {"relation": "child", "age": 16, "insurance": "shaho", "dependant_of_deceased": True}],
}


def _eval(client, body, locale="ja"):
    # as of the event day, so the due dates of these 2026 households are not yet past
    r = client.post(URL, json={"as_of": body["event_date"], **body, "locale": locale})
    assert r.status_code == 200, r.get_json()
    return {p["id"]: p for p in r.get_json()["procedures"]}


def _with(body, **parts):
    out = {**body}
    for key, value in parts.items():
        out[key] = {**body.get(key, {}), **value} if isinstance(value, dict) else value
    return out


def test_deadlines_of_a_death_count_from_the_day_of_death(client):
    known_later = _eval(client, _with(SHAHO_DEATH, deceased={"death_date": "2026-03-28"}))
    # 死亡届 counts from the day the death became known (戸籍法86条), the rest from the death
    assert known_later["shibo_todoke"]["due_date"] == "2026-04-07"
    for pid in ("setainushi_henko", "kokuho_kanyu", "nenkin_shubetsu_henko", "jido_teate_nintei"):
        assert known_later[pid]["due_date"] == "2026-04-13", pid   # 3/28 + 14 = 4/11(土) -> 4/13
        assert known_later[pid]["deadline_notes"] == [], pid
    unanswered = _eval(client, SHAHO_DEATH)
    assert unanswered["setainushi_henko"]["due_date"] == "2026-04-15"
    assert any("亡くなった日が分からない" in n for n in unanswered["setainushi_henko"]["deadline_notes"])
    assert unanswered["shibo_todoke"]["deadline_notes"] == []


def test_dependants_of_a_shaho_earner_join_kokuho_and_the_pension_office_is_named(client):
    listed = _eval(client, SHAHO_DEATH)
    assert listed["kokuho_kanyu"]["status"] == "required"
    assert listed["nenkin_izoku_kosei"]["counter_id"] == "nenkin_jimusho_madoguchi"
    assert "nenkin_izoku" not in listed
    bring = {b["id"] for b in listed["kokuho_kanyu"]["bring"]}
    assert "kokuho_loss_certificate" in bring
    not_dependant = _with(SHAHO_DEATH, members=[{**m, "dependant_of_deceased": False} for m in SHAHO_DEATH["members"]])
    assert "kokuho_kanyu" not in _eval(client, not_dependant)
    unknown = _with(SHAHO_DEATH, members=[{k: v for k, v in m.items() if k != "dependant_of_deceased"}
                                          for m in SHAHO_DEATH["members"]])
    assert _eval(client, unknown)["kokuho_kanyu"]["status"] == "conditional"


@pytest.mark.parametrize("pension", ["first", "second", "third", "unknown"])
def test_a_pensioner_of_78_is_never_offered_survivors_pensions(client, pension):
    body = _with(SHAHO_DEATH, deceased={"age": 78, "insurance": "kouki", "pension_recipient": True, "pension": pension},
                 members=[{"relation": "spouse", "age": 76, "insurance": "kouki"}])
    listed = _eval(client, body)
    assert "nenkin_izoku" not in listed and "nenkin_izoku_kosei" not in listed
    assert listed["nenkin_mishikyu"]["status"] == "required"


def test_third_category_death_sends_the_family_with_a_child_to_the_pension_office(client):
    body = _with(SHAHO_DEATH, deceased={"age": 40, "pension": "third", "householder": False},
                 members=[{"relation": "self", "age": 42, "insurance": "shaho", "pension": "second"},
                          {"relation": "child", "age": 8, "insurance": "shaho", "dependant_of_deceased": False}])
    assert _eval(client, body)["nenkin_izoku_kosei"]["status"] == "required"
    no_child = _with(body, members=[body["members"][0]])
    assert "nenkin_izoku_kosei" not in _eval(client, no_child)


BIRTH = {"event": "birth", "event_date": "2026-07-10",
         "facts": {"born_abroad": False, "first_child": True, "child_allowance": False, "mother_insurance": "shaho"},
         "members": [{"relation": "self", "age": 31, "insurance": "shaho"}]}


def test_births_to_unmarried_parents_list_the_single_parent_help(client):
    listed = _eval(client, _with(BIRTH, facts={"single_parent": True, "parent_japanese": True}))
    for pid in ("jido_fuyo_teate", "hitorioya_iryo", "ninchi_todoke"):
        assert listed[pid]["status"] == "required", pid
    married = _eval(client, _with(BIRTH, facts={"single_parent": False, "parent_japanese": True}))
    assert not {"jido_fuyo_teate", "hitorioya_iryo", "ninchi_todoke"} & set(married)


def test_a_child_of_two_foreign_parents_needs_a_status_of_residence_within_30_days(client):
    listed = _eval(client, _with(BIRTH, facts={"parent_japanese": False, "single_parent": False}))
    p = listed["zairyu_shikaku_shutoku"]
    assert p["status"] == "required" and p["due_date"] == "2026-08-10"   # 7/10 + 30 = 8/9(日) -> 8/10
    assert p["counter_id"] == "nyukan_madoguchi"
    assert "zairyu_shikaku_shutoku" not in _eval(client, _with(BIRTH, facts={"parent_japanese": True}))
    abroad = _eval(client, _with(BIRTH, facts={"born_abroad": True, "parent_japanese": False}))
    assert "zairyu_shikaku_shutoku" not in abroad


def test_a_birth_abroad_brings_the_foreign_certificate_with_a_translation(client):
    listed = _eval(client, _with(BIRTH, event_date="2026-01-31", facts={"born_abroad": True}))
    p = listed["shussei_todoke"]
    assert p["due_date"] == "2026-04-30" and "国籍留保" in p["deadline"]
    bring = {b["id"] for b in p["bring"]}
    assert {"foreign_birth_certificate", "birth_certificate_translation"} <= bring and "boshi_techo" not in bring
    # the 15日特例 of a birth counts from the birth: no word about a moving-out date
    assert listed["jido_teate_nintei"]["deadline_notes"] == []
    in_japan = {b["id"] for b in _eval(client, BIRTH)["shussei_todoke"]["bring"]}
    assert "boshi_techo" in in_japan and "foreign_birth_certificate" not in in_japan


def _count(procedure, item):
    return next((b["count"] for b in procedure["bring"] if b["id"] == item), 0)


@pytest.mark.parametrize("event,pid,facts", [
    ("moving_in", "tennyu_todoke", {"from_abroad": True}),
    ("moving_within", "tenkyo_todoke", {}),
    ("moving_out", "tenshutsu_todoke", {"to_abroad": False}),
])
def test_residence_cards_go_to_every_address_procedure_per_foreign_member(client, event, pid, facts):
    body = {"event": event, "event_date": "2026-05-18", "facts": facts,
            "members": [{"relation": "self", "age": 30, "nationality": "foreign"},
                        {"relation": "spouse", "age": 29, "nationality": "foreign"},
                        {"relation": "child", "age": 2, "nationality": "japanese"}]}
    assert _count(_eval(client, body)[pid], "residence_card") == 2
    japanese = {**body, "members": [{**m, "nationality": "japanese"} for m in body["members"]]}
    assert _count(_eval(client, japanese)[pid], "residence_card") == 0


def test_arrivals_from_abroad_aged_20_to_59_outside_employee_insurance_join_the_pension(client):
    body = {"event": "moving_in", "event_date": "2026-04-01", "facts": {"from_abroad": True},
            "members": [{"relation": "self", "age": 30, "nationality": "foreign", "insurance": "kokuho"},
                        {"relation": "spouse", "age": 45, "nationality": "japanese", "insurance": "seiho"}]}
    assert _eval(client, body)["nenkin_kanyu"]["status"] == "required"
    for member in ({"age": 30, "insurance": "shaho"}, {"age": 62, "insurance": "kokuho"}, {"age": 19, "insurance": "kokuho"}):
        alone = {**body, "members": [{"relation": "self", **member}]}
        assert "nenkin_kanyu" not in _eval(client, alone), member
    within_japan = _with(body, facts={"from_abroad": False})
    assert "nenkin_kanyu" not in _eval(client, within_japan)


@pytest.mark.parametrize("event,pid", [("moving_in", "shogai_iryo_shinsei"), ("moving_within", "shogai_iryo_henko")])
def test_the_severe_disability_medical_card_follows_the_person(client, event, pid):
    holder = {"relation": "self", "age": 45, "insurance": "kokuho", "disability_certificate": True, "disability_medical_aid": True}
    body = {"event": event, "event_date": "2026-04-20", "facts": {}, "members": [holder]}
    listed = _eval(client, body)
    assert listed[pid]["status"] == "required" and listed[pid]["counter_id"] == "iryo_josei"
    assert listed["shogaisha_techo_henko"]["status"] == "required"
    assert pid not in _eval(client, {**body, "members": [{**holder, "disability_medical_aid": False}]})
    child = {**holder, "relation": "child", "age": 10}
    assert pid not in _eval(client, {**body, "members": [child]})   # under 18: こども医療 first
    unknown = {k: v for k, v in holder.items() if k != "disability_medical_aid"}
    assert _eval(client, {**body, "members": [unknown]})[pid]["status"] == "conditional"
