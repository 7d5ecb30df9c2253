"""reservations.yaml: the real data loads and fits the pack; every broken reference is reported
with file and line; the catalog's helpers choose counters, sites and services."""
import re
from unittest import mock

import pytest
from flask import Flask

from guide.cli import knowledge_cli
from intake.forms import form_problems
from knowledge.loader import load_pack
from knowledge.yamlfile import KnowledgeError
from reservations.cli import reservation_problems
from reservations.loader import load_catalog
from tests.conftest import edit_file, line_of


@pytest.fixture(scope="module")
def kb():
    return load_pack("kakogawa")


@pytest.fixture(scope="module")
def catalog(kb):
    return load_catalog("kakogawa", kb=kb)


def problems_of(pack, kb=None) -> list[str]:
    with pytest.raises(KnowledgeError) as exc:
        load_catalog("kakogawa", pack.parent, kb=kb)
    return exc.value.problems


def test_the_real_file_loads(catalog):
    assert set(catalog.sites) == {"shiyakusho", "kakogawa_center", "higashi_plaza", "shikata_center"}
    assert len(catalog.counters) == 8 and len(catalog.services) == 15
    assert re.fullmatch(r"[0-9a-f]{16}", catalog.version)
    assert catalog.rules.lead_minutes == 60 and catalog.rules.horizon_days == 30
    assert catalog.rules.hold_minutes == 10 and catalog.rules.cancel_until_minutes == 30
    assert catalog.rules.hold_extensions == 10  # the default: WCAG 2.2.1's ten times
    assert (catalog.rules.per_person_per_service_per_day, catalog.rules.per_person_per_day) == (1, 3)


def test_loads_without_a_knowledge_base_given(catalog):
    assert load_catalog("kakogawa").version == catalog.version


def test_every_reservable_procedure_has_a_service(kb, catalog):
    covered = {p for s in catalog.services.values() for p in s.procedures}
    reservable = {pid for pid, p in kb.procedures.items() if p.reservable}
    assert reservable - covered == set()
    assert covered <= reservable  # the loader refuses the others


def test_weekend_sites_are_the_two_the_city_names(catalog):
    weekend = {sid for sid, s in catalog.sites.items() if "sat" in s.hours or "sun" in s.hours}
    assert weekend == {"kakogawa_center", "higashi_plaza"}
    assert all(s.verified_on.isoformat() == "2026-11-27" for s in catalog.sites.values())


def test_counter_for_and_sites_for(catalog):
    assert catalog.counter_for("tennyu", "shiyakusho").id == "shimin_ido"
    assert catalog.counter_for("shomeisho", "shiyakusho").id == "shimin_shomei"
    assert catalog.counter_for("tennyu", "higashi_plaza").id == "higashi_plaza_madoguchi"
    assert catalog.counter_for("koseki_todoke", "higashi_plaza") is None
    assert catalog.counter_for("nope", "shiyakusho") is None
    assert [s.id for s in catalog.sites_for("tennyu")] == ["shiyakusho", "kakogawa_center", "higashi_plaza", "shikata_center"]
    assert [s.id for s in catalog.sites_for("kokuho")] == ["shiyakusho"]
    assert catalog.sites_for("nope") == []


def test_services_for_procedures_prefers_one_visit(catalog):
    ids = lambda procs: [s.id for s in catalog.services_for_procedures(procs)]  # noqa: E731
    assert ids(["tennyu_todoke", "mynumber_card_address"]) == ["tennyu"]
    assert ids(["tennyu_todoke"]) == ["tennyu"]
    assert ids(["juminhyo_utsushi", "koseki_tohon"]) == ["shomeisho"]
    # the guide's 転入 result: one visit per counter, not one per procedure
    assert ids(["tennyu_todoke", "mynumber_card_address", "kokuho_kanyu", "jido_teate_nintei", "kodomo_iryo"]) == [
        "tennyu", "kokuho", "jido_teate", "iryo_josei"]
    # procedures no service takes (not reservable, unknown) are left out
    assert ids(["tennyu_todoke", "gakko_tennyugaku", "nope"]) == ["tennyu"]
    assert ids(["gakko_tennyugaku"]) == [] and ids([]) == []
    assert ids(["kokuho_kanyu", "kokuho_kanyu"]) == ["kokuho"]


@pytest.mark.parametrize(("old", "new", "needle", "message"), [
    ("  counters: [kokuho]\n- id: kokuho_kyufu", "  counters: [kokuhoo]\n- id: kokuho_kyufu", "counters: [kokuhoo]",
     "services.10.counters.0: unknown counter 'kokuhoo'"),
    ("procedures: [shibo_todoke, kaso_kyoka]", "procedures: [shibo_todoke, kaso_kyouka]", "kaso_kyouka",
     "services.9.procedures.1: unknown procedure 'kaso_kyouka'"),
    ("procedures: [tenshutsu_todoke]", "procedures: [tenshutsu_todoke, gakko_tennyugaku]", "gakko_tennyugaku",
     "services.2.procedures.1: procedure 'gakko_tennyugaku' is not reservable"),
    ("  site: shiyakusho\n  name:\n    ja: 国民健康保険課", "  site: shiyakusyo\n  name:\n    ja: 国民健康保険課", "site: shiyakusyo",
     "counters.2.site: unknown site 'shiyakusyo'"),
    ("  department: kokuho\n", "  department: kokuhoken\n", "department: kokuhoken",
     "counters.2.department: unknown department 'kokuhoken'"),
    ("  counters: [iryo_josei]", "  counters: [iryo_josei, kokuho]", "counters: [iryo_josei, kokuho]",
     "services.14.counters.1: a second counter at site 'shiyakusho'"),
    ("  sites: [kakogawa_center, higashi_plaza]", "  sites: [kakogawa_center, higashi_plazza]", "higashi_plazza",
     "closures.0.sites.1: unknown site 'higashi_plazza'"),
    ("    shimin_shomei: 6\n", "    shimin_shoumei: 6\n", "shimin_shoumei: 6",
     "seasons.0.windows.shimin_shoumei: unknown counter 'shimin_shoumei'"),
    ("    shiyakusho:\n      mon:", "    shiyakusyo:\n      mon:", "shiyakusyo:",
     "seasons.0.hours.shiyakusyo: unknown site 'shiyakusyo'"),
    ("    shimin_ido: {web: 5, phone: 2}", "    shimin_ido: {web: 11, phone: 2}", "shimin_ido: {web: 11",
     "seasons.0.quotas.shimin_ido: a channel quota of 'shimin_ido' exceeds its 10 window(s)"),
    ('  end: "04-15"', '  end: "04-31"', 'end: "04-31"', "seasons.0.end: no such day '04-31'"),
    ('    sat: [{start: "09:00", end: "17:00"}]', '    sat: [{start: "09:00", end: "13:00"}, {start: "12:30", end: "17:00"}]',
     'end: "13:00"}, {start: "12:30"', "seasons.0.hours.shiyakusho.sat: 09:00–13:00 and 12:30–17:00 overlap"),
    ("- id: tenkyo\n", "- id: tennyu\n", "- id: tennyu\n  name:\n    ja: 市内", "services.1.id: duplicate id 'tennyu'"),
    ("  quotas: {web: 3, phone: 1}\n  call_prefix: A", "  quotas: {web: 7, phone: 1}\n  call_prefix: A", "quotas: {web: 7",
     "counters.0: Value error, a channel quota cannot exceed the windows"),
])
def test_errors_name_file_line_and_field(pack, kb, old, new, needle, message):
    path = pack / "reservations.yaml"
    edit_file(path, old, new)
    problems = problems_of(pack, kb)
    assert len(problems) == 1, problems
    text = path.read_text(encoding="utf-8")
    line = line_of(path, needle) if "\n" not in needle else text[: text.index(needle)].count("\n") + 1
    assert problems[0].startswith(f"{path}:"), problems
    assert message in problems[0], problems
    got_line = int(problems[0].split(":")[1])
    if message.startswith("seasons.0.hours.shiyakusyo"):
        line += 1  # a mapping's line is where its value (the first weekday) starts
    # the problem points at the value, or (for a whole-object error) at the object's first line
    assert got_line == line or (message.startswith("counters.0:") and got_line <= line), problems


def test_a_hold_cannot_be_extended_fewer_than_ten_times(pack, kb):
    """WCAG 2.2.1 asks that a time limit can be extended at least ten times."""
    path = pack / "reservations.yaml"
    edit_file(path, "  hold_minutes: 10\n", "  hold_minutes: 10\n  hold_extensions: 9\n")
    problems = problems_of(pack, kb)
    assert len(problems) == 1 and f"{path}:{line_of(path, 'hold_extensions')}: rules.hold_extensions" in problems[0], problems


def test_every_problem_is_listed_at_once(pack, kb):
    path = pack / "reservations.yaml"
    edit_file(path, "procedures: [shibo_todoke, kaso_kyoka]", "procedures: [shibo_todoke, kaso_kyouka]")
    edit_file(path, "  counters: [iryo_josei]", "  counters: [iryo_josi]")
    problems = problems_of(pack, kb)
    assert len(problems) == 2
    assert f"{path}:{line_of(path, 'kaso_kyouka')}: services.9.procedures.1: unknown procedure" in problems[0]
    assert f"{path}:{line_of(path, 'iryo_josi')}: services.14.counters.0: unknown counter" in problems[1]


def test_a_procedure_removed_from_the_pack_is_caught(pack):
    (pack / "procedures" / "kokuho_sosaihi.yaml").unlink()
    (pack / "rules").exists()  # rules are not read here: only the pack and this file
    problems = problems_of(pack)  # the knowledge base is loaded from the same copy
    assert any("unknown procedure 'kokuho_sosaihi'" in p for p in problems), problems


def test_syntax_and_missing_file(pack, kb):
    path = pack / "reservations.yaml"
    edit_file(path, "  lead_minutes: 60", "  lead_minutes: [60")
    problems = problems_of(pack, kb)
    assert problems[0].startswith(f"{path}:") and "(syntax)" in problems[0]
    path.unlink()
    assert problems_of(pack, kb) == [f"{path}:1: (file): missing"]


def _knowledge_check(packs_dir):
    """`flask knowledge check` on a copy of the pack, with the services' checks the app factory registers."""
    app = Flask(__name__)
    app.config["MUNICIPALITY"] = "kakogawa"
    app.cli.add_command(knowledge_cli)
    app.extensions["pack_checks"] = (reservation_problems, form_problems)  # as the app factory does
    with mock.patch("guide.cli.load_pack", lambda name: load_pack(name, packs_dir)):
        return app.test_cli_runner().invoke(args=["knowledge", "check"])


def test_knowledge_check_runs_the_services_checks(pack):
    result = _knowledge_check(pack.parent)
    assert result.exit_code == 0, result.output
    assert "OK: the services' files (reservation_problems, form_problems)." in result.output


def test_knowledge_check_fails_on_a_broken_file(pack):
    edit_file(pack / "reservations.yaml", "procedures: [shibo_todoke, kaso_kyoka]", "procedures: [shibo_todoke, kaso_kyouka]")
    result = _knowledge_check(pack.parent)
    assert result.exit_code == 1
    assert "unknown procedure 'kaso_kyouka'" in result.output and "1 problem(s) found." in result.output


def test_knowledge_check_without_a_reservations_file(pack):
    (pack / "reservations.yaml").unlink()
    result = _knowledge_check(pack.parent)
    assert result.exit_code == 0, result.output
