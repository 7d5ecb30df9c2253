"""Scenario tests for rule files, in the format of tests/reference/scenarios.yaml.

Each scenario: ``name``, ``request`` (a guidance request) and ``expect`` with ``include``
(listed as required), ``conditional`` (listed as conditional), ``exclude`` (not listed) and
``due`` (due_date per id), ``at_new_city`` (listed in at_new_city[], done at the new
municipality after a move out), ``bring`` (item ids per procedure id) and ``offline`` (listed,
but not to be done online for this household); optionally ``warnings`` (the codes of ``warnings[]``, exactly, in
any order; ``[]`` says there is none), ``ignored`` (``ignored_facts``, exactly), ``overdue``
(ids flagged overdue), ``bring_count`` (procedure id -> item id -> the count listed; 0: not
listed) and ``closed_days`` (counter -> procedures it takes on the closed day;
null: not offered; {}: none at all). Also reports which rules no scenario fires (coverage).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core import yaml_text
from knowledge.loader import KnowledgeBase
from knowledge.yamlfile import KnowledgeError, YamlDoc, read_yaml
from rules.evaluate import evaluate
from rules.findings import Finding, in_pack
from rules.request import InvalidRequest, read_request
from rules.ruleset import Rulebook


@dataclass
class ScenarioResult:
    total: int = 0
    passed: int = 0
    failures: list[str] = field(default_factory=list)  # findings (rules/findings.py), or a file's problems
    fired_rules: set[str] = field(default_factory=set)
    unfired_rules: list[str] = field(default_factory=list)
    file_problems: list[str] = field(default_factory=list)  # "file:line: field: message": a file that does not read
    # (a finding when it reads but is no list of scenarios)


def scenario_files(kb: KnowledgeBase) -> list[Path]:
    return sorted((kb.directory / "scenarios").glob("*.yaml"))


def check_expectations(body: dict[str, Any], expect: dict[str, Any]) -> list[Finding]:
    """What a response gets wrong against ``expect`` (an empty list when it holds): findings
    whose ``loc`` is the expectation's place under ``expect`` (str(): the English)."""
    listed = {p["id"]: p for p in body.get("procedures", [])}
    wrong: list[Finding] = []
    for n, pid in enumerate(expect.get("include", [])):
        here = ("expect", "include", n)
        if pid not in listed:
            wrong.append(Finding.of("missing", loc=here, procedure=pid))
        elif listed[pid]["status"] != "required":
            wrong.append(Finding.of("not_required", loc=here, procedure=pid, status=listed[pid]["status"]))
    for n, pid in enumerate(expect.get("conditional", [])):
        here = ("expect", "conditional", n)
        if pid not in listed:
            wrong.append(Finding.of("missing_conditional", loc=here, procedure=pid))
        elif listed[pid]["status"] != "conditional":
            wrong.append(Finding.of("not_conditional", loc=here, procedure=pid, status=listed[pid]["status"]))
    for n, pid in enumerate(expect.get("exclude", [])):
        if pid in listed:
            wrong.append(Finding.of("wrongly_listed", loc=("expect", "exclude", n), procedure=pid))
    at_new = {e["id"] for e in body.get("at_new_city", [])}
    for n, pid in enumerate(expect.get("at_new_city", [])):
        if pid not in at_new:
            wrong.append(Finding.of("missing_at_new_city", loc=("expect", "at_new_city", n), procedure=pid))
    for pid, items in (expect.get("bring") or {}).items():
        have = {b["id"] for b in listed.get(pid, {}).get("bring", [])}
        wrong += [Finding.of("bring_missing", loc=("expect", "bring", pid, n), procedure=pid, item=item)
                  for n, item in enumerate(items) if item not in have]
    for pid, counts in (expect.get("bring_count") or {}).items():
        have_n = {b["id"]: b["count"] for b in listed.get(pid, {}).get("bring", [])}
        wrong += [Finding.of("bring_count", loc=("expect", "bring_count", pid, item), procedure=pid, item=item,
                             got=have_n.get(item, 0), want=n)
                  for item, n in counts.items() if have_n.get(item, 0) != n]
    for n, pid in enumerate(expect.get("offline", [])):
        if listed.get(pid, {}).get("online", {}).get("available", True):
            wrong.append(Finding.of("offered_online", loc=("expect", "offline", n), procedure=pid))
    for pid, due in (expect.get("due") or {}).items():
        want = due.isoformat() if isinstance(due, dt.date) else str(due)
        got = listed.get(pid, {}).get("due_date")
        if got != want:
            wrong.append(Finding.of("due", loc=("expect", "due", pid), procedure=pid, got=got, want=want))
    if "closed_days" in expect:
        wrong += _closed_days_wrong(body, expect["closed_days"] or {})
    return wrong + _check_safety_net(body, expect)


def _closed_days_wrong(body: dict[str, Any], want: dict[str, list[str] | None]) -> list[Finding]:
    """``closed_days``: counter -> the result's procedures it takes (null: not offered); {}: none."""
    got = {c["counter_id"]: c["procedures"] for c in (body.get("closed_days") or {}).get("counters", [])}
    if not want:
        return [Finding.of("closed_days_on_open_days", loc=("expect", "closed_days"), got=sorted(got))] if got else []
    wrong = []
    for cid, pids in want.items():
        here = ("expect", "closed_days", cid)
        if pids is None:
            if cid in got:
                wrong.append(Finding.of("closed_day_offered", loc=here, counter=cid))
        elif cid not in got:
            wrong.append(Finding.of("closed_day_not_offered", loc=here, counter=cid))
        elif sorted(pids) != sorted(got[cid]):
            wrong.append(Finding.of("closed_day_takes", loc=here, counter=cid, got=got[cid], want=pids))
    return wrong


def _check_safety_net(body: dict[str, Any], expect: dict[str, Any]) -> list[Finding]:
    wrong: list[Finding] = []
    if "warnings" in expect:
        got = sorted(w["code"] for w in body.get("warnings", []))
        if got != sorted(expect["warnings"] or []):
            wrong.append(Finding.of("warnings", loc=("expect", "warnings"), got=got,
                                    want=sorted(expect["warnings"] or [])))
    if "ignored" in expect and sorted(body.get("ignored_facts", [])) != sorted(expect["ignored"] or []):
        wrong.append(Finding.of("ignored", loc=("expect", "ignored"), got=body.get("ignored_facts"),
                                want=expect["ignored"]))
    listed = {p["id"]: p for p in body.get("procedures", [])}
    for n, pid in enumerate(expect.get("overdue", [])):
        if not listed.get(pid, {}).get("overdue"):
            wrong.append(Finding.of("not_overdue", loc=("expect", "overdue", n), procedure=pid))
    return wrong


def run_scenarios(book: Rulebook, scenarios: list[dict[str, Any]], file: str = "",
                  doc: YamlDoc | None = None) -> ScenarioResult:
    """Each scenario against the rulebook; a failure per wrong expectation, placed in ``file``
    at the expectation's line (``doc``: the file as read, with its lines)."""
    result = ScenarioResult()
    for n, sc in enumerate(scenarios):
        result.total += 1
        name = str(sc.get("name", "?"))

        def line(loc: tuple, n: int = n) -> int:
            return doc.line_of((n, *loc)) if doc is not None else 0

        try:
            situation = read_request(sc["request"], book.vocab, set(book.events))
        except InvalidRequest as exc:
            result.failures += [Finding.of("invalid_request", file=file, line=line(("request",)), subject=name,
                                           loc=("request",), field=where, problem=problem)
                                for where, problem in exc.errors.items()]
            continue
        trace: set[str] = set()
        body = evaluate(book, situation, trace=trace)
        result.fired_rules |= trace
        wrong = check_expectations(body, sc.get("expect") or {})
        if wrong:
            result.failures += [w.at(file=file, line=line(w.loc), subject=name) for w in wrong]
        else:
            result.passed += 1
    return result


def run_scenario_files(book: Rulebook, paths: list[Path | str]) -> ScenarioResult:
    total = ScenarioResult()
    for path in paths:
        try:  # a curator's broken file is a problem to show, never a crash (staff/content.py)
            doc = read_yaml(Path(path))
        except KnowledgeError as exc:
            total.file_problems += exc.problems
            total.failures += exc.problems
            continue
        scenarios = doc.data or []
        name = in_pack(path, book.kb.directory)
        if not isinstance(scenarios, list) or not all(
                isinstance(sc, dict) and isinstance(sc.get("request"), dict) for sc in scenarios):
            problem = Finding.of("scenarios_not_a_list", file=name, line=1)
            total.file_problems.append(problem)
            total.failures.append(problem)
            continue
        one = run_scenarios(book, scenarios, file=name, doc=doc)
        total.total += one.total
        total.passed += one.passed
        total.failures += one.failures
        total.fired_rules |= one.fired_rules
    every = [r.id for er in book.events.values() for r in er.rules]
    total.unfired_rules = [r for r in every if r not in total.fired_rules]
    return total


def untranslated_reasons(book: Rulebook, codes: list[str]) -> dict[str, list[tuple[str, str]]]:
    """Per language of ``codes``: the reasons (and deadline notes) the pack's scenarios make the
    guide write, in Japanese with their English, that the pack's ``translations/<code>.yaml`` has
    no ``reasons`` entry for (a translator's list: those are shown in English to that reader)."""
    english_of: dict[str, str] = {}  # a reason the guide says in Japanese -> its English
    for path in scenario_files(book.kb):
        for sc in yaml_text.safe_load(Path(path).read_text(encoding="utf-8")) or []:
            said = {}
            for locale in ("ja", "en"):
                try:
                    situation = read_request({**sc["request"], "locale": locale, "explain": True},
                                             book.vocab, set(book.events))
                except InvalidRequest:
                    break
                said[locale] = evaluate(book, situation)
            if len(said) < 2:
                continue
            for section in ("procedures", "at_new_city", "not_applicable"):
                for ja, en in zip(said["ja"].get(section, []), said["en"].get(section, []), strict=True):
                    for name in ("why", "deadline_notes"):
                        for j, e in zip(ja.get(name, []), en.get(name, []), strict=False):
                            if isinstance(j, str):
                                english_of.setdefault(j, e)
    tables = book.kb.translated_reasons
    return {code: [(j, e) for j, e in english_of.items() if j not in tables.get(code, {})] for code in codes}
