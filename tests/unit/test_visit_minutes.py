"""bench/visit_minutes.py: the counter minutes per household before and after one booked visit,
from the guide's engine and the pack — the script runs, its figures hang together, and the table
in docs/visits.md is the script's output (regenerated, not typed)."""
from __future__ import annotations

from pathlib import Path

import pytest

from bench import visit_minutes as vm

DOC = Path(__file__).resolve().parents[2] / "docs" / "visits.md"


@pytest.fixture(scope="module")
def rows():
    return vm.households()


def test_every_reference_household_is_estimated(rows):
    assert [h.name for h in rows] == [name for name, _ in vm.HOUSEHOLDS]
    assert all(h.stops for h in rows)


def test_after_is_never_more_than_before(rows):
    for h in rows:
        after = h.after + h.writing_after
        assert 0 < after <= h.before <= h.before_peak, h.name
        assert h.after >= sum(s.service for s in h.stops)  # back to back: no stop is shortened
        assert h.before == sum(s.service + s.wait + vm.WRITING_SAVED for s in h.stops)


def test_the_family_of_four_goes_through_the_counters_the_issue_names(rows):
    family = rows[0]
    names = [s.counter for s in family.stops]
    assert len(names) >= 3 and "住民異動" in names[0] and "国民健康保険" in names[1]
    assert any("児童手当" in n for n in names) and any("こども医療" in n for n in names)
    assert vm.WRITING_SAVED == 8  # 岩見沢市: 18 → 10 minutes per visit (the issue's citation)


def test_the_doc_shows_the_scripts_table(rows):
    doc = DOC.read_text(encoding="utf-8")
    inside = doc[doc.index(vm.BEGIN) + len(vm.BEGIN):doc.index(vm.END)].strip()
    assert inside == vm.table(rows), "run: .venv/bin/python -m bench.visit_minutes --write docs/visits.md"
