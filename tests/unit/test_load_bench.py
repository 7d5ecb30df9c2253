"""bench/load.py's pure parts, without servers: the journey file parses, the rate of "10× the busiest
hour" is derived from the city's figures, the open-loop schedule keeps that rate, percentiles are
right, and the audit rows the seed writes form a chain core.audit_chain verifies."""
from __future__ import annotations

import datetime as dt
import math

import pytest

from bench import load_model as model

PEAK = """
peak: {moves_per_year: 24000, normal_day_moves: 80, peak_day_factor: 5, busiest_hours: 4,
       busiest_hours_share: 0.5, factor: 10}
journeys:
  bare: {per_move: 1, counted: false, steps: [{get: /healthz}]}
  two: {per_move: 0.5, steps: [{get: /a}, {post: /b, data: {x: "{n}"}, expect: [302], location: next}]}
  sections: {per_move: 2, steps: [{sections: {one: {a: "1"}, two: {b: "2"}}}, {get: "{next}"}]}
"""


def test_the_repository_journey_file_parses_with_every_main_journey():
    peak, journeys = model.load()
    assert {"bare", "questionnaire", "procedure_pages", "search", "application", "booking", "staff_inbox",
            "audit_search"} <= set(journeys)
    assert not journeys["bare"].counted and journeys["staff_inbox"].staff and journeys["audit_search"].staff
    assert peak.factor == 10
    # the application goes from the draft to payment and submission: sections, sign, pay
    paths = [s.path for s in journeys["application"].steps]
    assert "{sign}/dev" in paths and "{checkout}" in paths
    assert any(s.verb == "sections" for s in journeys["application"].steps)


def test_the_rate_is_derived_from_the_peak_figures():
    peak, journeys = model.parse(PEAK)
    assert peak.peak_day_moves() == 400  # 80 × 5
    assert peak.busiest_hour_moves() == 50  # 400 × 0.5 / 4 hours
    # two: 0.5 × 2 requests; sections: 2 × (2 sections × GET+POST + 1) = 10; bare not counted
    assert model.requests_per_move(journeys) == 11
    assert model.offered_rate(peak, journeys) == pytest.approx(10 * 50 * 11 / 3600)
    assert model.offered_rate(peak, journeys, factor=1) == pytest.approx(50 * 11 / 3600)
    text = "\n".join(model.derivation(peak, journeys))
    assert "50.0 moves/hour" in text and "requests per move: 11.00" in text and "1.53 requests/s" in text


def test_the_open_loop_schedule_starts_journeys_at_their_rate_whatever_the_answers():
    peak, journeys = model.parse(PEAK)
    rates = model.journey_rates(peak, journeys)
    assert rates["sections"] == pytest.approx(4 * rates["two"])
    plan = model.schedule({"a": 2.0, "b": 0.5}, 10)
    assert [t for t, _n in plan] == sorted(t for t, _n in plan)
    assert sum(1 for _t, n in plan if n == "a") == 20 and sum(1 for _t, n in plan if n == "b") == 5
    assert plan[0] == (0.25, "a")  # half an interval in
    assert model.schedule({"a": 0}, 10) == []


def test_percentiles_interpolate_between_ranks():
    values = [float(v) for v in range(1, 101)]  # 1..100
    assert model.percentile(values, 50) == pytest.approx(50.5)
    assert model.percentile(values, 95) == pytest.approx(95.05)
    assert model.percentile(values, 99) == pytest.approx(99.01)
    assert model.percentile([7.0], 99) == 7.0
    assert model.percentile(reversed(values), 0) == 1.0 and model.percentile(values, 100) == 100.0
    assert math.isnan(model.percentile([], 50))
    with pytest.raises(ValueError):
        model.percentile(values, 101)


def test_the_summary_groups_by_journey_and_kind_and_counts_errors():
    samples = [("search", "page", 200, 0.1, True), ("search", "page", 500, 0.3, False),
               ("booking", "submit", 302, 0.5, True)]
    out = model.summary(samples, seconds=2)
    assert out["search/page"] == {"count": 2, "errors": 1, "rps": 1.0, "p50": 200.0, "p95": 290.0, "p99": 298.0}
    assert out["booking/submit"]["count"] == 1
    assert model.goal_ms("search/page") == 300 and model.goal_ms("booking/submit") == 1000
    assert model.goal_ms("audit_search/page") == 2000 and model.goal_ms("bare/page") is None


@pytest.mark.parametrize("bad, message", [
    ("journeys: {a: {per_move: 1, steps: [{get: /x}]}}", "peak"),
    (PEAK.replace("{get: /a}", "{get: /a, post: /b}"), "exactly one"),
    (PEAK.replace("{get: /a}", "{get: /a, nope: 1}"), "unknown key"),
    (PEAK.replace("{get: /a}", "{get: 'http://elsewhere/'}"), "not a path"),
    (PEAK.replace("per_move: 0.5", "per_move: 0"), "per_move"),
    (PEAK.replace("{get: /a}", "{get: /a, capture: {x: 'no group'}}"), "no group"),
    (PEAK.replace("{get: /a}", "{get: /a, capture: {x: '(unclosed'}}"), "regular expression"),
    (PEAK.replace("steps: [{get: /healthz}]", "steps: []"), "no steps"),
])
def test_a_malformed_journey_file_is_refused_with_the_reason(bad, message):
    with pytest.raises(model.JourneyFileError, match=message):
        model.parse(bad)


def test_placeholders_are_filled_and_a_missing_one_is_named():
    assert model.fill("/reserve/{service}/{day}", {"service": "tennyu", "day": "2027-04-01"}) == \
        "/reserve/tennyu/2027-04-01"
    with pytest.raises(KeyError, match="sign"):
        model.fill("{sign}/dev", {})


def test_the_seeded_audit_rows_form_a_chain_that_verifies():
    from bench.load_seed import audit_rows
    from core.audit_chain import GENESIS, verify
    key = b"k" * 32
    until = dt.datetime(2027, 4, 1, tzinfo=dt.UTC)
    rows = [{**fields, "prev_hash": prev, "hash": digest}
            for fields, prev, digest in audit_rows(key, 1, GENESIS, 500, until, ["load.admin1", "load.admin2"])]
    assert verify(rows, key).ok and verify(rows, key).count == 500
    assert rows[0]["at"] < rows[-1]["at"] <= until
    rows[250] = {**rows[250], "actor": "someone.else"}
    broken = verify(rows, key)
    assert not broken.ok and broken.record_id == 251
