"""What each result says about where and when: places, hours, phone, fees in force, offices outside
the city hall, closed days, things to bring (kinds, the filer's identity, per-person counts), and
the QR code's compact answers."""
import datetime as dt
from urllib.parse import urlencode

import pytest
import segno

from guide.qr import compact_url, pack_answers, qr_svg, qr_version, unpack_answers
from knowledge.schema import BringItem, Fee, Procedure, Text
from rules import calendar
from rules.evaluate import evaluate
from rules.places import fees_on
from rules.request import read_request


def run(rulebook, body):
    return evaluate(rulebook, read_request(body, rulebook.vocab, set(rulebook.events)))


def listed(result):
    return {p["id"]: p for p in result["procedures"]}


DEATH_WITH_PENSION = {
    "event": "death", "event_date": "2026-04-01",
    "facts": {"dog": False, "child_allowance_recipient_is_deceased": False, "single_parent": False},
    "deceased": {"age": 80, "insurance": "kouki", "householder": True, "care_certified": True,
                 "seal_registered": True, "pension_recipient": True, "pension": "none",
                 "owned_property": False, "died_abroad": False},
    "members": [{"relation": "spouse", "age": 78, "insurance": "kouki", "pension": "none"}],
}


# --- places -------------------------------------------------------------------------------------

def test_every_listed_procedure_says_its_place_hours_and_phone(rulebook):
    for event in rulebook.events:
        result = run(rulebook, {"event": event, "event_date": "2026-04-01"})
        for p in result["procedures"]:
            place = p["place"]
            assert set(place) >= {"building", "floor", "window", "address", "hours", "map_url", "phone",
                                  "offsite", "verified"}, p["id"]
            if not place["offsite"]:  # the city's own counters: the city hall's place at least
                assert place["address"] and place["hours"] and place["phone"], (event, p["id"])
                assert place["map_url"].startswith("https://"), p["id"]


def test_a_counter_with_its_own_floor_and_window_shows_them(rulebook):
    result = run(rulebook, {"event": "birth", "event_date": "2026-04-01"})
    iryo = listed(result)["kodomo_iryo"]["place"]
    assert (iryo["building"], iryo["floor"], iryo["window"]) == ("市役所 新館", "1F", "11番窓口")
    assert "8:30" in iryo["hours"] and iryo["phone_is_main"] is True


def test_the_place_is_unconfirmed_only_where_the_department_is(rulebook):
    result = run(rulebook, {"event": "birth", "event_date": "2026-04-01"})
    by_id = listed(result)
    assert by_id["kodomo_iryo"]["place"]["verified"] is True  # 医療助成年金課: verified department
    kokuho = rulebook.kb.departments["kokuho"]
    assert by_id["kokuho_kanyu"]["place"]["verified"] is kokuho.verified


# --- offices outside the city hall ----------------------------------------------------------------

def test_offices_outside_the_city_hall_come_after_the_city_counters(rulebook):
    result = run(rulebook, DEATH_WITH_PENSION)
    ids = [p["id"] for p in result["procedures"]]
    assert "nenkin_mishikyu" in ids
    offsite = [p["id"] for p in result["procedures"] if p["place"]["offsite"]]
    assert ids[-len(offsite):] == offsite  # grouped at the end, in procedures[] order
    planned = [pid for v in result["visit_plan"] for pid in v["procedures"]]
    assert not set(planned) & set(offsite)  # the visit plan is the city's own counters only
    assert planned == ids[:len(planned)]
    office = next(o for o in result["offices"] if o["department_id"] == "nenkin_jimusho")
    assert office["procedures"] == ["nenkin_mishikyu"]
    assert set(office) >= {"department", "address", "hours", "phone", "map_url", "verified", "source_url"}
    assert [p["order"] for p in result["procedures"]] == list(range(1, len(ids) + 1))


def test_offsite_departments_are_marked_in_the_pack(rulebook):
    offsite = {d.id for d in rulebook.kb.departments.values() if d.offsite}
    # kenpo: 埋葬料 at the deceased's insurer; ikuji_hoken: 出生連絡票・妊婦支援給付金 by post or online
    assert offsite == {"nenkin_jimusho", "homukyoku", "nyukan", "unyu_shikyoku", "zeimusho", "kenpo", "ikuji_hoken"}
    for dep_id in offsite:
        dep = rulebook.kb.departments[dep_id]
        # an address of an office outside the city hall names the page it was taken from
        assert dep.address is None or dep.place_source_url is not None, dep_id


# --- fees ----------------------------------------------------------------------------------------

def _proc_with_fees(fees):
    text = Text(ja="x", en="x")
    return Procedure(id="x", name=text, description=text, department="shimin", counter="shimin_madoguchi",
                     deadline={"kind": "none", "text": {"ja": "x", "en": "x"}}, fees=fees,
                     source_url="https://example.org/", verified_on=dt.date(2026, 1, 1), verified=True)


def test_the_fee_in_force_on_the_due_date():
    unit = Text(ja="1通", en="per copy")
    proc = _proc_with_fees([
        Fee(amount_yen=300, unit=unit, channel="counter", valid_from=dt.date(2000, 4, 1), valid_to=dt.date(2026, 3, 31)),
        Fee(amount_yen=350, unit=unit, channel="counter", valid_from=dt.date(2026, 4, 1)),
        Fee(amount_yen=250, unit=unit, channel="online", valid_from=dt.date(2026, 4, 1)),
    ])
    assert [(f["amount_yen"], f["channel"]) for f in fees_on(proc, dt.date(2026, 3, 31), "ja")] == [(300, "counter")]
    assert [(f["amount_yen"], f["channel"]) for f in fees_on(proc, dt.date(2026, 4, 1), "en")] == \
        [(350, "counter"), (250, "online")]
    assert fees_on(proc, dt.date(2026, 4, 1), "en")[0]["unit"] == "per copy"
    assert [f["amount_yen"] for f in fees_on(proc, None, "ja")] == [350, 250]  # no date: the current ones


def test_the_result_gives_the_fee_of_the_due_date(rulebook):
    result = run(rulebook, {"event": "moving_out", "event_date": "2026-04-01"})
    p = listed(result)["tenshutsu_todoke"]
    proc = rulebook.kb.procedures["tenshutsu_todoke"]
    day = dt.date.fromisoformat(p["fee_date"])
    assert p["fee_date"] == (p["due_date"] or result["event_date"])
    assert [f["amount_yen"] for f in p["fees"]] == [f.amount_yen for f in proc.fees
                                                    if f.valid_from <= day and (f.valid_to is None or day <= f.valid_to)]


# --- closed days -----------------------------------------------------------------------------------

@pytest.mark.parametrize("day,kind", [("2026-12-05", "weekend"), ("2026-11-23", "holiday"),
                                      ("2026-12-31", "year_end"), ("2027-01-02", "year_end"),
                                      ("2026-12-04", None)])
def test_closed_day_kind(day, kind):
    assert calendar.closed_day_kind(dt.date.fromisoformat(day)) == kind
    assert (kind is None) == calendar.is_open_day(dt.date.fromisoformat(day))


def test_a_birth_on_saturday_names_the_night_desk_and_the_weekend_centres_with_hours(rulebook):
    result = run(rulebook, {"event": "birth", "event_date": "2026-12-05"})
    closed = result["closed_days"]
    assert closed["dates"][0] == {"date": "2026-12-05", "kind": "weekend", "of": "event_date"}
    counters = {c["counter_id"]: c for c in closed["counters"]}
    assert "shussei_todoke" in counters["shimin_yakan"]["procedures"]
    assert "jido_teate_nintei" not in counters["shimin_yakan"]["procedures"]  # not at the night desk
    assert counters["kakogawa_shimin_center"]["hours"].startswith("土日祝 9:00")
    assert counters["higashi_plaza"]["hours"].startswith("土日祝 9:00")
    assert counters["higashi_plaza"]["procedures"] == ["shussei_todoke"]  # K-shussei: 出生届 there too
    takes = [bool(c["procedures"]) for c in closed["counters"]]
    assert takes == sorted(takes, reverse=True)  # what takes this result's procedures first


def test_no_closed_day_section_on_open_days(rulebook):
    body = {"event": "moving_within", "event_date": "2026-04-01", "members": [{"relation": "self", "age": 30}]}
    result = run(rulebook, body)
    ends = []
    for p in result["procedures"]:
        proc = rulebook.kb.procedures[p["id"]]
        ends.append(calendar.period_end(proc.deadline.kind, proc.deadline.amount, dt.date(2026, 4, 1)))
    if all(e is None or calendar.is_open_day(e) for e in ends):
        assert "closed_days" not in result


def test_which_counters_open_on_closed_days_is_pack_data(rulebook):
    open_on_closed = {cid for cid, (_, c) in rulebook.kb.counters.items() if c.closed_days}
    assert open_on_closed == {"shimin_yakan", "kakogawa_shimin_center", "higashi_plaza"}
    night = rulebook.kb.counters["shimin_yakan"][1].closed_days
    assert {"shussei_todoke", "shibo_todoke", "konin_todoke", "rikon_todoke"} <= set(night.procedures)
    assert "year_end" in night.open_on
    assert "year_end" not in rulebook.kb.counters["higashi_plaza"][1].closed_days.open_on


# --- things to bring ---------------------------------------------------------------------------------

def test_actions_are_not_things_to_bring(rulebook):
    assert rulebook.kb.items["kaso_reservation"].kind == "action"
    result = run(rulebook, DEATH_WITH_PENSION)
    kaso = listed(result)["kaso_kyoka"]
    assert {b["id"]: b["kind"] for b in kaso["bring"]}["kaso_reservation"] == "action"
    merged = {c["id"]: c for c in result["checklist"]}
    assert merged["kaso_reservation"]["kind"] == "action" and merged["id_document"]["kind"] == "document"


def test_every_life_event_procedure_asks_for_the_filers_identity(rulebook):
    """本人確認書類 of the person filing, or a documented exception (bring.yaml filer_identity)."""
    fid = rulebook.kb.filer_identity
    assert fid is not None and fid.item == "id_document"
    for exc, reason in fid.exceptions.items():
        assert reason.ja and reason.en, exc
    ok = {fid.item, *fid.equivalents}
    seen = set()
    for event in rulebook.events:
        for body in ({"event": event, "event_date": "2026-04-01"},
                     {"event": event, "event_date": "2026-04-01", "members": [{"relation": "self", "age": 40}]}):
            for p in run(rulebook, body)["procedures"]:
                seen.add(p["id"])
                if p["id"] in fid.exceptions:
                    continue
                sure = {b["id"] for b in p["bring"] if not b["conditional"]}
                assert sure & ok, (event, p["id"], p["bring"])
    assert len(seen) > 30


def test_a_procedure_naming_the_identity_document_keeps_its_note(rulebook):
    result = run(rulebook, {"event": "birth", "event_date": "2026-04-01"})
    ids = [b for b in listed(result)["kodomo_iryo"]["bring"] if b["id"] == "id_document"]
    assert len(ids) == 1 and ids[0]["note"] == "申請する保護者の分"


def test_insurance_cards_are_counted_per_child_the_rule_concerns(rulebook):
    """保険証 ×2 for two children: the per-person count follows the rule's person condition."""
    body = {"event": "moving_in", "event_date": "2026-04-01", "facts": {"from_abroad": False},
            "members": [{"relation": "self", "age": 35}, {"relation": "spouse", "age": 33},
                        {"relation": "child", "age": 8}, {"relation": "child", "age": 3}]}
    result = run(rulebook, body)
    iryo = listed(result)["kodomo_iryo"]
    assert iryo["members"] == [2, 3]
    assert {b["id"]: b["count"] for b in iryo["bring"]}["insurance_card"] == 2
    card = next(c for c in result["checklist"] if c["id"] == "insurance_card")
    assert card["count"] >= 2
    one_child = {**body, "members": body["members"][:3]}
    iryo1 = listed(run(rulebook, one_child))["kodomo_iryo"]
    assert {b["id"]: b["count"] for b in iryo1["bring"]}["insurance_card"] == 1


def test_bring_item_kind_defaults_to_document():
    item = BringItem(id="x", name=Text(ja="x", en="x"))
    assert item.kind == "document"
    with pytest.raises(ValueError):
        BringItem(id="x", name=Text(ja="x", en="x"), kind="errand")


# --- QR code --------------------------------------------------------------------------------------

BIG_HOUSEHOLD = {"date": "2026-04-01", "n": "4", "f.dog": "no", "f.child_allowance_recipient_is_deceased": "yes",
                 "f.single_parent": "yes", "d.age": "45", "d.insurance": "kokuho", "d.householder": "yes",
                 "d.care_certified": "no", "d.seal_registered": "no", "d.pension_recipient": "no",
                 "d.pension": "first", "d.owned_property": "yes", "d.died_abroad": "no",
                 **{f"m{i}.{k}": v for i in range(4) for k, v in
                    {"relation": "child" if i else "spouse", "age": str(40 - 10 * i), "insurance": "kokuho",
                     "pension": "first", "nationality": "japanese", "disability_certificate": "no"}.items()}}


def test_packed_answers_round_trip_and_are_shorter():
    packed = pack_answers(BIG_HOUSEHOLD)
    assert unpack_answers(packed) == BIG_HOUSEHOLD
    url = compact_url("https://tetsuzuki.city.kakogawa.lg.jp/guide/death/result", BIG_HOUSEHOLD)
    assert "?a=" in url and len(url) < len(urlencode(sorted(BIG_HOUSEHOLD.items()))) * 0.7


def test_the_qr_code_of_a_large_household_stays_small_enough_to_scan_from_paper():
    """Four people and ten facts of the deceased: at most version 15 (77 modules a side, 0.45 mm a
    module printed at 35 mm), where the plain query string needs version 18."""
    base = "https://tetsuzuki.city.kakogawa.lg.jp/guide/death/result"
    url = compact_url(base, BIG_HOUSEHOLD)
    assert qr_version(url) <= 15
    assert segno.make(base + "?" + urlencode(sorted(BIG_HOUSEHOLD.items())), error="m").version > qr_version(url)
    assert qr_svg(url).startswith(b"<svg")


@pytest.mark.parametrize("junk", ["", "!!!", "a" * 5000, "eJzLSM3JyVcozy/KSQEAGgQEXQ", "%00", "AAAA"])
def test_hostile_packed_answers_unpack_to_nothing(junk):
    assert unpack_answers(junk) == {}


def test_a_packed_bomb_is_refused():
    import base64
    import zlib
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    bomb = base64.b32encode(c.compress(b"a=" + b"x" * 200_000) + c.flush()).rstrip(b"=").decode()
    assert len(bomb) < 1200
    assert unpack_answers(bomb) == {}


def test_a_closed_last_day_matters_only_for_what_a_closed_day_counter_takes(rulebook):
    """Birth on Friday 2026-12-04: 児童手当's 15 days end on Saturday 12-19 (moved to Monday), but no
    counter takes 児童手当 on a closed day; 出生届's 14 days end on Thursday 12-17."""
    result = run(rulebook, {"event": "birth", "event_date": "2026-12-04"})
    assert "jido_teate_nintei" in listed(result) or "jido_teate_gaku_kaitei" in listed(result)
    assert "closed_days" not in result
    sunday_end = run(rulebook, {"event": "birth", "event_date": "2026-12-07"})  # 出生届 ends Sun 12-20
    assert sunday_end["closed_days"]["dates"] == [{"date": "2026-12-20", "kind": "weekend", "of": "shussei_todoke"}]


def test_a_procedure_taken_on_closed_days_names_those_counters_on_any_day(rulebook):
    """Weekend opening hours are part of the place, not only on closed days (pack data)."""
    tennyu = listed(run(rulebook, {"event": "moving_in", "event_date": "2026-04-01"}))["tennyu_todoke"]
    names = {c["counter_id"]: c["hours"] for c in tennyu["place"]["closed_days"]}
    assert names == {"higashi_plaza": "土日祝 9:00〜19:00", "kakogawa_shimin_center": "土日祝 9:00〜19:00"}
    death = listed(run(rulebook, DEATH_WITH_PENSION))
    assert [c["counter_id"] for c in death["shibo_todoke"]["place"]["closed_days"]] == ["shimin_yakan"]
    assert death["kouki_soshitsu"]["place"]["closed_days"] == []


def test_a_conditional_identity_line_becomes_sure_and_keeps_its_note(rulebook):
    from rules.evaluate import _with_filer_identity
    proc = rulebook.kb.procedures["kokuho_kanyu"]
    items = [{"id": "mynumber_proof", "name": "x", "count": 1, "conditional": False, "kind": "document"},
             {"id": "id_document", "name": "本人確認書類", "count": 1, "conditional": True, "kind": "document",
              "note": "代理人の分"}]
    out = _with_filer_identity(rulebook, proc, items, "ja")
    assert out[0] == {**items[1], "conditional": False} and out[1]["id"] == "mynumber_proof" and len(out) == 2
    photo = [{"id": "photo_id_document", "name": "x", "count": 1, "conditional": False, "kind": "document"}]
    assert _with_filer_identity(rulebook, proc, photo, "ja") == photo  # an equivalent is enough
