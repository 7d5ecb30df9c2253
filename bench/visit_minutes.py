"""Counter minutes per household, before and after one booked visit (まとめて予約), estimated from
the itinerary — the table of docs/visits.md, regenerated, not typed.

For each reference household the guide's engine gives the procedures (rules.evaluate on the pack
of MUNICIPALITY, its ``visit_plan`` order, as the result page shows them); the visit's itinerary is
``reservations.visit.itinerary`` on the pack's reservations.yaml, as the booking pages build it.

- **before** (walking in, writing every form): at each counter of the itinerary, the counter's
  service minutes + the wait of a walk-in + writing the forms there.
  - the wait on an ordinary day: one household ahead per window, i.e. the counter's fallback
    minutes (``reservations.queue.fallback_minutes``: the mean minutes of the counter's services,
    what the waiting estimate uses before anyone is served that day);
  - the wait in the March peak: the walk-in wait the pack reports for its busiest season
    (reservations.yaml ``seasons[].walk_in_wait_minutes``) at the counters the pack's peak season adds windows to; the other counters as
    on an ordinary day.
  - writing: the minutes a visit saves when staff print the forms (the issue cites 岩見沢市's
    書かない窓口: 18 → 10 minutes per visit, i.e. 8 minutes; their figure, not our measurement),
    counted once per counter that has a printed form in the pack (counter_forms/).
- **after** (booked, forms printed filled in): the stops back to back, each starting on its
  counter's slot grid (what ``visit.offered`` chains), no wait, no writing at a counter with a
  printed form (a counter without one still writes: its 8 minutes stay).

    .venv/bin/python -m bench.visit_minutes [--write docs/visits.md]

``--write`` replaces the part of the file between the two ``visit-minutes`` markers.
"""
from __future__ import annotations

import argparse
import datetime as dt
import math
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WRITING_BEFORE, WRITING_AFTER = 18, 10  # 岩見沢市 書かない窓口, minutes per visit (cited by the issue)
WRITING_SAVED = WRITING_BEFORE - WRITING_AFTER
BEGIN, END = "<!-- visit-minutes:begin (bench/visit_minutes.py) -->", "<!-- visit-minutes:end -->"
AS_OF = dt.date(2026, 12, 2)

# The reference households: requests to the guide (no city in them; the pack decides the rest).
HOUSEHOLDS: list[tuple[str, dict]] = [
    ("転入・4人家族（子ども2人、国保）", {
        "event": "moving_in", "event_date": "2026-12-01",
        "facts": {"from_abroad": False, "special_moveout": False, "dog": False, "moped": False,
                  "child_allowance": False, "seal_registration_wanted": False, "from_hyogo": False},
        "members": [
            {"relation": "self", "age": 38, "nationality": "japanese", "insurance": "kokuho", "pension": "first",
             "mynumber_card": True, "care_certified": False, "disability_certificate": False},
            {"relation": "spouse", "age": 36, "nationality": "japanese", "insurance": "kokuho", "pension": "first",
             "mynumber_card": True, "care_certified": False, "disability_certificate": False},
            {"relation": "child", "age": 8, "insurance": "kokuho", "mynumber_card": True, "school": "elementary",
             "public_school": True, "disability_certificate": False},
            {"relation": "child", "age": 3, "insurance": "kokuho", "mynumber_card": True, "school": "preschool",
             "disability_certificate": False}]}),
    ("転入・単身（会社の健康保険）", {
        "event": "moving_in", "event_date": "2026-12-01",
        "facts": {"from_abroad": False, "special_moveout": False, "dog": False, "moped": False,
                  "child_allowance": False, "seal_registration_wanted": False, "from_hyogo": False},
        "members": [{"relation": "self", "age": 30, "nationality": "japanese", "insurance": "shaho",
                     "pension": "second", "mynumber_card": True, "care_certified": False,
                     "seal_registered": False, "disability_certificate": False}]}),
    ("出生（第1子、国保）", {
        "event": "birth", "event_date": "2026-12-01",
        "facts": {"born_abroad": False, "parent_japanese": True, "single_parent": False, "first_child": True, "child_allowance": False, "mother_insurance": "kokuho",
                  "birth_direct_payment": "full"},
        "members": [{"relation": "self", "age": 31, "insurance": "kokuho", "pension": "first"},
                    {"relation": "spouse", "age": 30, "insurance": "kokuho", "pension": "first"}]}),
    ("死亡（国保の世帯主、配偶者と子2人が残る）", {
        "event": "death", "event_date": "2026-12-01",
        "facts": {"dog": False, "child_allowance_recipient_is_deceased": True, "single_parent": True},
        "deceased": {"age": 45, "insurance": "kokuho", "householder": True, "care_certified": False,
                     "seal_registered": False, "pension_recipient": False, "pension": "first",
                     "owned_property": False, "died_abroad": False},
        "members": [{"relation": "spouse", "age": 43, "insurance": "kokuho", "pension": "first"},
                    {"relation": "child", "age": 15, "insurance": "kokuho"},
                    {"relation": "child", "age": 10, "insurance": "kokuho"}]}),
    ("転出・国外へ（単身、国保、印鑑登録あり）", {
        "event": "moving_out", "event_date": "2026-12-01",
        "facts": {"to_abroad": True, "to_hyogo": False, "child_allowance": False, "moped": False,
                  "resident_tax_due": False, "pension_voluntary": False},
        "members": [{"relation": "self", "age": 29, "nationality": "japanese", "insurance": "kokuho",
                     "pension": "first", "mynumber_card": True, "seal_registered": True, "care_certified": False,
                     "medical_aid": False, "disability_certificate": False, "disability_medical_aid": False}]}),
]


@dataclass(frozen=True)
class StopMinutes:
    counter: str  # the counter's Japanese name
    procedures: tuple[str, ...]  # the procedures' Japanese names
    service: int
    wait: int  # ordinary day
    peak_wait: int  # March peak
    form: bool  # the pack prints this counter's form


@dataclass(frozen=True)
class Household:
    name: str
    stops: tuple[StopMinutes, ...]
    left_out: tuple[str, ...]  # procedures of the result that are not booked (other offices, not bookable)
    after: int  # the booked visit's minutes, back to back

    @property
    def before(self) -> int:
        return sum(s.service + s.wait + WRITING_SAVED for s in self.stops)

    @property
    def before_peak(self) -> int:
        return sum(s.service + s.peak_wait + WRITING_SAVED for s in self.stops)

    @property
    def writing_after(self) -> int:
        return sum(WRITING_SAVED for s in self.stops if not s.form)


def peak_wait_minutes(catalog) -> int:
    """The walk-in wait the pack reports for its busiest season (``walk_in_wait_minutes``); 0 without."""
    return max((s.walk_in_wait_minutes or 0 for s in catalog.seasons), default=0)


def _back_to_back(catalog, itin) -> int:
    """From the first stop's start to the last stop's end, each stop starting on its counter's grid."""
    t = 0
    for stop in itin.stops:
        grid = catalog.counters[stop.counter_id].slot_minutes
        t = math.ceil(t / grid) * grid + stop.minutes
    return t


def households(pack: str | None = None) -> list[Household]:
    from knowledge.loader import PACKS_DIR, default_pack_name, load_pack
    from reservations import counter_forms, queue, visit
    from reservations.loader import load_catalog
    from rules.evaluate import evaluate
    from rules.request import read_request
    from rules.ruleset import build_rulebook

    pack = pack or default_pack_name()
    kb = load_pack(pack)
    book = build_rulebook(kb)
    catalog = load_catalog(pack, kb=kb)
    forms = counter_forms.load(PACKS_DIR / pack, kb)
    peak = peak_wait_minutes(catalog)
    peak_counters = {c for season in catalog.seasons for c in season.windows}
    out = []
    for name, body in HOUSEHOLDS:
        result = evaluate(book, read_request({**body, "locale": "ja"}, book.vocab, set(book.events), today=AS_OF))
        procedures = [p for v in result["visit_plan"] for p in v["procedures"]]
        itin = visit.itinerary(catalog, procedures)
        if itin is None:
            raise SystemExit(f"{name}: nothing of the result can be booked as one visit")
        stops = []
        for stop in itin.stops:
            wait = round(queue.fallback_minutes(catalog, stop.counter_id))
            stops.append(StopMinutes(
                counter=catalog.counters[stop.counter_id].name.get("ja"),
                procedures=tuple(kb.procedures[p].name.get("ja") for p in stop.procedures),
                service=stop.minutes, wait=wait, peak_wait=peak if stop.counter_id in peak_counters else wait,
                form=bool(counter_forms.for_procedures(forms, stop.procedures))))
        all_ids = [p["id"] for p in result["procedures"]]
        left_out = tuple(kb.procedures[p].name.get("ja") for p in all_ids if p not in itin.procedures)
        out.append(Household(name, tuple(stops), left_out, _back_to_back(catalog, itin)))
    return out


def table(rows: list[Household], pack: str | None = None) -> str:
    from knowledge.loader import default_pack_name
    from reservations.loader import load_catalog
    peak = peak_wait_minutes(load_catalog(pack or default_pack_name()))
    lines = [
        "| 世帯 | 窓口（順に） | 前: ふだんの日 | 前: 3月の繁忙期 | 後: まとめて予約 | 減る分（ふだんの日） |",
        "|---|---|---:|---:|---:|---:|"]
    for h in rows:
        stops = "<br>".join(f"{i}. {s.counter}（{s.service}分{'・印刷' if s.form else ''}）"
                            for i, s in enumerate(h.stops, start=1))
        after = h.after + h.writing_after
        lines.append(f"| {h.name} | {stops} | {h.before}分 | {h.before_peak}分 | {after}分 | "
                     f"{h.before - after}分（{round(100 * (h.before - after) / h.before)}%） |")
    lines += ["", "How each figure is made (per counter of the itinerary):", "",
              "| | 前 (walk in, write the forms) | 後 (booked, forms printed) |", "|---|---|---|"]
    lines.append("| counter's work | the service minutes of reservations.yaml | the same |")
    lines.append("| waiting | ふだんの日: one household ahead per window = the counter's fallback minutes "
                 f"(mean of its services); 3月: {peak} minutes at the counters the peak season adds windows to "
                 "(the pack's documented March wait) | none: each stop starts when the previous one ends, "
                 "on the counter's 15-minute grid |")
    lines.append(f"| writing | {WRITING_SAVED} minutes per counter (岩見沢市's 書かない窓口: {WRITING_BEFORE} → "
                 f"{WRITING_AFTER} minutes per visit, the figure the issue cites, not our measurement) | "
                 f"0 where the pack prints the form (・印刷), else {WRITING_SAVED} |")
    lines += ["", "Not booked in the same visit (other offices, or not bookable at a counter):", ""]
    for h in rows:
        lines.append(f"- {h.name}: {'、'.join(h.left_out) if h.left_out else 'none'}")
    return "\n".join(lines)


def write(path: Path, text: str) -> None:
    doc = path.read_text(encoding="utf-8")
    start, end = doc.index(BEGIN) + len(BEGIN), doc.index(END)
    path.write_text(doc[:start] + "\n" + text + "\n" + doc[end:], encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pack", default=None)
    parser.add_argument("--write", type=Path, default=None, help="the document to update (between the markers)")
    args = parser.parse_args(argv)
    text = table(households(args.pack), args.pack)
    if args.write:
        write(args.write, text)
    print(text)


if __name__ == "__main__":
    main()
