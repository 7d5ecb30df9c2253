"""Every reference scenario (tests/reference/scenarios.yaml) and every scenario file of the pack,
through POST /api/v1/guide/evaluate."""
import datetime as dt

import pytest
import yaml

from knowledge.loader import PACKS_DIR
from rules.scenarios import check_expectations
from tests.conftest import REFERENCE, reference_scenarios

PACK_SCENARIOS = sorted((PACKS_DIR / "kakogawa" / "scenarios").glob("*.yaml"))


def jsonable(o):
    if isinstance(o, dt.date):
        return o.isoformat()
    if isinstance(o, dict):
        return {k: jsonable(v) for k, v in o.items()}
    if isinstance(o, list):
        return [jsonable(v) for v in o]
    return o


def _cases():
    cases = []
    for path in PACK_SCENARIOS:
        for sc in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            cases.append(pytest.param(sc, id=f"{path.stem}:{sc['name']}"))
    return cases


def _run(client, sc):
    r = client.post("/api/v1/guide/evaluate", json=jsonable(sc["request"]))
    assert r.status_code == 200, r.get_json()
    assert check_expectations(r.get_json(), sc["expect"]) == []


def test_reference_scenarios(client):
    for sc in reference_scenarios():
        _run(client, sc)


@pytest.mark.parametrize("sc", _cases())
def test_pack_scenarios(client, sc):
    _run(client, sc)


def test_at_least_five_own_scenarios_per_event(rulebook):
    counts = {}
    for path in PACK_SCENARIOS:
        for sc in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            counts[sc["request"]["event"]] = counts.get(sc["request"]["event"], 0) + 1
    assert {e: counts.get(e, 0) for e in rulebook.events if counts.get(e, 0) < 5} == {}


def test_every_rule_fires_in_some_scenario(rulebook):
    from rules.scenarios import run_scenario_files
    result = run_scenario_files(rulebook, [*PACK_SCENARIOS, REFERENCE / "scenarios.yaml"])
    assert result.unfired_rules == []
