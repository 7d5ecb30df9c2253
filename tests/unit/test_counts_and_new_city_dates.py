"""Per-person counts (保険証 ×2 for two children, マイナンバー ×3 for three joining 国保), a
certificate handed in at two counters (戸籍謄本), the newborn named as the person concerned, and
the due dates of what is done at the new municipality (issue 10)."""
from rules.evaluate import evaluate
from rules.request import read_request
from tests.households import SHAHO_DEATH


def run(rulebook, body):
    return evaluate(rulebook, read_request(body, rulebook.vocab, set(rulebook.events)))


def listed(result, pid):
    return next(p for p in result["procedures"] if p["id"] == pid)


def counts(entries):
    return {b["id"]: b["count"] for b in entries}


def test_a_per_person_document_is_counted_for_each_person_concerned(rulebook):
    result = run(rulebook, SHAHO_DEATH)
    kokuho = listed(result, "kokuho_kanyu")
    assert kokuho["members"] == [0, 1, 2]
    assert counts(kokuho["bring"])["mynumber_proof"] == 3  # three people join 国保
    single = listed(result, "hitorioya_iryo")
    assert counts(single["bring"])["insurance_card"] == len(single["members"]) >= 2
    merged = {c["id"]: c for c in result["checklist"]}
    assert merged["mynumber_proof"]["count"] == 3


def test_every_per_member_line_counts_the_people_of_its_procedure(rulebook):
    """Whatever the household: a per: member line without its own person condition says as many
    as the procedure concerns (at least one)."""
    kb = rulebook.kb
    for body in (SHAHO_DEATH, {"event": "moving_in", "event_date": "2026-04-01", "facts": {"from_abroad": False},
                               "members": [{"relation": "self", "age": 35, "insurance": "kokuho"},
                                           {"relation": "spouse", "age": 33, "insurance": "kokuho"},
                                           {"relation": "child", "age": 3, "insurance": "kokuho"}]}):
        for p in run(rulebook, body)["procedures"]:
            people = max(len(p["members"]) + p["newborn"], 1)
            for i, b in enumerate(kb.procedures[p["id"]].bring):
                if b.per == "member" and b.member is None and b.when is None:
                    assert counts(p["bring"])[b.item] == people, (p["id"], b.item)


def test_a_certificate_handed_in_at_two_counters_is_counted_twice(rulebook):
    """戸籍謄本 is kept by each office it is attached to (bring.yaml submitted): one per counter."""
    assert rulebook.kb.items["koseki_tohon"].submitted and not rulebook.kb.items["id_document"].submitted
    result = run(rulebook, SHAHO_DEATH)
    needing = {p["counter_id"] for p in result["procedures"]
               if any(b["id"] == "koseki_tohon" and not b["conditional"] for b in p["bring"])}
    assert len(needing) >= 2
    tohon = next(c for c in result["checklist"] if c["id"] == "koseki_tohon")
    assert tohon["count"] == len(needing)
    # what is only shown (本人確認書類) is still one for all counters
    assert next(c for c in result["checklist"] if c["id"] == "id_document")["count"] == 1


BIRTH = {"event": "birth", "event_date": "2026-11-28",
         "facts": {"born_abroad": False, "parent_japanese": True, "single_parent": False, "first_child": True,
                   "child_allowance": False, "mother_insurance": "kokuho", "birth_direct_payment": "full"},
         "members": [{"relation": "self", "age": 30, "insurance": "kokuho"},
                     {"relation": "spouse", "age": 29, "insurance": "kokuho"}]}


def test_a_birth_names_the_newborn_as_the_one_joining_kokuho(rulebook):
    result = run(rulebook, BIRTH)
    kokuho = listed(result, "kokuho_kanyu")
    assert kokuho["newborn"] is True and kokuho["members"] == []  # not a parent: the child
    assert listed(result, "kodomo_iryo")["newborn"] is True
    assert listed(result, "shussei_todoke")["newborn"] is False
    # the newborn's 保険証 is issued at the 国保 counter that day: not something to bring
    assert "insurance_card" not in counts(listed(result, "kodomo_iryo")["bring"])


DIVORCE_TO_HIMEJI = {
    "event": "divorce", "event_date": "2026-11-16", "as_of": "2026-12-02",
    "facts": {"divorce_type": "agreement", "surname_change": True, "keep_married_surname": False,
              "move": "out_of_city", "move_date": "2026-11-28", "insurance_after": "kokuho", "single_parent": True,
              "to_hyogo": True, "child_allowance_recipient": "other_parent", "insured_through_ex_spouse": True},
    "members": [{"relation": "self", "age": 34, "insurance": "shaho", "pension": "third", "mynumber_card": True,
                 "seal_registered": True},
                {"relation": "child", "age": 6, "insurance": "shaho", "medical_aid": True, "mynumber_card": True}],
}


def test_what_is_done_at_the_new_city_has_its_due_date(rulebook):
    result = run(rulebook, DIVORCE_TO_HIMEJI)
    new_city = {e["id"]: e for e in result["at_new_city"]}
    # 転入届: 14 days from the move (11/28) = 12/12, a Saturday → Monday 12/14
    assert new_city["tennyu_todoke"]["due_date"] == "2026-12-14"
    assert "14日以内" in new_city["tennyu_todoke"]["deadline"] and new_city["tennyu_todoke"]["overdue"] is False
    # 児童手当: 15日特例 from the day after the move
    assert new_city["jido_teate_nintei"]["due_date"] == "2026-12-14"
    # 国保: the reason (leaving the ex-spouse's cover) arose on the divorce day: overdue by as_of
    kokuho = new_city["kokuho_kanyu"]
    assert kokuho["due_date"] == "2026-11-30" and kokuho["overdue"] is True
    assert kokuho["deadline_notes"][0].startswith("期限を過ぎています")
    late = next(w for w in result["warnings"] if w["code"] == "due_date_past")
    assert "at_new_city[kokuho_kanyu].due_date" in late["fields"]
    # 速やかに: no date, the words only
    assert new_city["kodomo_iryo"]["due_date"] is None and new_city["kodomo_iryo"]["deadline"]


def test_moving_out_counts_the_new_city_dates_from_the_move(rulebook):
    body = {"event": "moving_out", "event_date": "2026-04-01", "facts": {"to_abroad": False},
            "members": [{"relation": "self", "age": 40, "insurance": "kokuho"}]}
    tennyu = next(e for e in run(rulebook, body)["at_new_city"] if e["id"] == "tennyu_todoke")
    assert tennyu["due_date"] == "2026-04-15"
