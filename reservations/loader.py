"""Reads knowledge/packs/<city>/reservations.yaml and checks it against the rest of the pack.

    catalog = load_catalog(city)              # KnowledgeError lists every problem as file:line: field: message

The schema (reservations.catalog) checks each value; this module checks what one value cannot:
ids are unique, counters stand at known sites and belong to known departments, services name
known counters (one per site) and reservable procedures, closures and seasons name known sites and
counters, and seasonal quotas fit the seasonal windows. Plain Python: no Flask, no database.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from knowledge.loader import PACKS_DIR, KnowledgeBase, default_pack_name, load_pack, read_doc, validate_doc
from knowledge.yamlfile import KnowledgeError, YamlDoc
from reservations.catalog import Closure, Counter, Crowding, Interval, ReservationsFile, Rules, Season, Service, Site

FILENAME = "reservations.yaml"


@dataclass(frozen=True)
class Catalog:
    sites: dict[str, Site]
    counters: dict[str, Counter]
    services: dict[str, Service]  # in file order
    closures: list[Closure]
    seasons: list[Season]
    rules: Rules
    version: str  # hash of the file's bytes: changes whenever the file does
    crowding: Crowding | None = None  # the expected levels of the coming days (None: not shown)

    def counter_for(self, service_id: str, site_id: str) -> Counter | None:
        """The counter where ``service_id`` is done at ``site_id`` (None: not offered there)."""
        service = self.services.get(service_id)
        if service is None:
            return None
        for cid in service.counters:
            if self.counters[cid].site == site_id:
                return self.counters[cid]
        return None

    def sites_for(self, service_id: str) -> list[Site]:
        """The sites offering ``service_id``, in the order of the service's counters."""
        service = self.services.get(service_id)
        if service is None:
            return []
        return [self.sites[self.counters[cid].site] for cid in service.counters]

    def services_for_procedures(self, procedure_ids: Iterable[str]) -> list[Service]:
        """The visits that cover these procedures (what /reserve?procedures=a,b books).

        One service covering them all is preferred (the smallest); otherwise services are picked
        greedily, each covering the most procedures still uncovered, so that 転入届 and the card's
        継続利用 stay one visit. Procedures no service covers (not reservable) are left out.
        Returned in file order.
        """
        wanted = list(dict.fromkeys(procedure_ids))
        services = list(self.services.values())
        order = {s.id: i for i, s in enumerate(services)}
        covering = [s for s in services if set(wanted) <= set(s.procedures)]
        if wanted and covering:
            return [min(covering, key=lambda s: (len(s.procedures), s.minutes, order[s.id]))]
        left = {p for p in wanted if any(p in s.procedures for s in services)}
        chosen: list[Service] = []
        while left:
            best = max(services, key=lambda s: (len(left & set(s.procedures)), -len(s.procedures), -order[s.id]))
            chosen.append(best)
            left -= set(best.procedures)
        return sorted(chosen, key=lambda s: order[s.id])


def load_catalog(name: str | None = None, packs_dir: Path = PACKS_DIR, kb: KnowledgeBase | None = None) -> Catalog:
    name = name or default_pack_name()  # MUNICIPALITY's pack
    path = packs_dir / name / FILENAME
    if not path.exists():
        raise KnowledgeError([f"{path}:1: (file): missing"])
    problems: list[str] = []
    doc = read_doc(path, problems)
    data = validate_doc(doc, ReservationsFile, problems) if doc else None
    if problems or data is None or doc is None:
        raise KnowledgeError(problems)
    if kb is None:
        kb = load_pack(name, packs_dir)
    _check(doc, data, kb, problems)
    if problems:
        raise KnowledgeError(problems)
    return Catalog(
        sites={s.id: s for s in data.sites},
        counters={c.id: c for c in data.counters},
        services={s.id: s for s in data.services},
        closures=list(data.closures),
        seasons=list(data.seasons),
        rules=data.rules,
        version=hashlib.sha256(path.read_bytes()).hexdigest()[:16],
        crowding=data.crowding,
    )


def _check(doc: YamlDoc, data: ReservationsFile, kb: KnowledgeBase, problems: list[str]) -> None:
    for key, items in (("sites", data.sites), ("counters", data.counters), ("services", data.services),
                       ("seasons", data.seasons)):
        seen: set[str] = set()
        for i, item in enumerate(items):
            if item.id in seen:
                problems.append(doc.problem((key, i, "id"), f"duplicate id '{item.id}'"))
            seen.add(item.id)
    sites = {s.id for s in data.sites}
    counters = {c.id: c for c in data.counters}

    for i, site in enumerate(data.sites):
        _no_overlap(doc, ("sites", i, "hours"), site.hours, problems)
    for i, season in enumerate(data.seasons):
        for sid, hours in season.hours.items():
            _no_overlap(doc, ("seasons", i, "hours", sid), hours, problems)

    for i, c in enumerate(data.counters):
        if c.site not in sites:
            problems.append(doc.problem(("counters", i, "site"), f"unknown site '{c.site}'"))
        if c.department is not None and c.department not in kb.departments:
            problems.append(doc.problem(("counters", i, "department"), f"unknown department '{c.department}' (see departments.yaml)"))

    for i, s in enumerate(data.services):
        at: dict[str, str] = {}
        for j, cid in enumerate(s.counters):
            counter = counters.get(cid)
            if counter is None:
                problems.append(doc.problem(("services", i, "counters", j), f"unknown counter '{cid}'"))
                continue
            if counter.site in at:
                problems.append(doc.problem(("services", i, "counters", j),
                                            f"a second counter at site '{counter.site}' (already '{at[counter.site]}')"))
            at[counter.site] = cid
        for j, pid in enumerate(s.procedures):
            proc = kb.procedures.get(pid)
            if proc is None:
                problems.append(doc.problem(("services", i, "procedures", j), f"unknown procedure '{pid}'"))
            elif not proc.reservable:
                problems.append(doc.problem(("services", i, "procedures", j),
                                            f"procedure '{pid}' is not reservable (reservable: false in its file)"))
        if len(set(s.procedures)) != len(s.procedures):
            problems.append(doc.problem(("services", i, "procedures"), "a procedure is listed twice"))

    _check_crowding(doc, data, problems)

    for i, closure in enumerate(data.closures):
        for j, sid in enumerate(closure.sites):
            if sid not in sites:
                problems.append(doc.problem(("closures", i, "sites", j), f"unknown site '{sid}'"))

    for i, season in enumerate(data.seasons):
        for key in ("start", "end"):
            month, day = (int(x) for x in getattr(season, key).split("-"))
            try:
                dt.date(2000, month, day)  # a leap year: 02-29 is a day
            except ValueError:
                problems.append(doc.problem(("seasons", i, key), f"no such day '{getattr(season, key)}'"))
        for key in ("windows", "quotas"):
            for cid in getattr(season, key):
                if cid not in counters:
                    problems.append(doc.problem(("seasons", i, key, cid), f"unknown counter '{cid}'"))
        for sid in season.hours:
            if sid not in sites:
                problems.append(doc.problem(("seasons", i, "hours", sid), f"unknown site '{sid}'"))
        for cid, counter in counters.items():
            if cid not in season.windows and cid not in season.quotas:
                continue
            windows = season.windows.get(cid, counter.windows)
            quotas = season.quotas.get(cid, counter.quotas)
            if windows < 1:
                problems.append(doc.problem(("seasons", i, "windows", cid), "at least 1 window"))
            if quotas.web > windows or quotas.phone > windows:
                loc = ("seasons", i, "quotas" if cid in season.quotas else "windows", cid)
                problems.append(doc.problem(loc, f"a channel quota of '{cid}' exceeds its {windows} window(s) in this season"))


def _check_crowding(doc: YamlDoc, data: ReservationsFile, problems: list[str]) -> None:
    if data.crowding is None:
        return
    seasons = {s.id for s in data.seasons}
    for sid, raised in data.crowding.seasons.items():
        if sid not in seasons:
            problems.append(doc.problem(("crowding", "seasons", sid), f"unknown season '{sid}'"))
        if not 0 <= raised < len(data.crowding.levels):
            problems.append(doc.problem(("crowding", "seasons", sid),
                                        f"raises by 0 to {len(data.crowding.levels) - 1} levels"))
    seen: set[str] = set()
    for i, level in enumerate(data.crowding.levels):
        if level.id in seen:
            problems.append(doc.problem(("crowding", "levels", i, "id"), f"duplicate id '{level.id}'"))
        seen.add(level.id)


def _no_overlap(doc: YamlDoc, loc: tuple, hours: dict[str, list[Interval]], problems: list[str]) -> None:
    """Opening intervals of one weekday must not overlap (a lunch break is a gap between two)."""
    for weekday, intervals in hours.items():
        ordered = sorted(intervals, key=lambda x: x.start)
        for a, b in itertools.pairwise(ordered):
            if b.start < a.end:
                problems.append(doc.problem(loc + (weekday,), f"{a.start}–{a.end} and {b.start}–{b.end} overlap"))
