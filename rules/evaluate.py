"""evaluate(rulebook, situation) -> the guidance response of docs/guidance-api.md.

A pure function: the engine decides every clause for the given facts; this module turns the
outcomes into procedures with status, why, due date, things to bring, the merged checklist
and the visit plan. The words come from the same conditions the engine ran.
"""
from __future__ import annotations

import datetime as dt
from contextvars import ContextVar
from dataclasses import dataclass, replace
from typing import Any

from knowledge.graph import order_procedures
from knowledge.schema import Procedure
from rules import answer_checks, calendar, places, wording
from rules.check import read_facts
from rules.conditions import Atom, atoms_of, constraints, derived_facts, eval_atom, sort_atoms
from rules.conditions import evaluate as evaluate_cond
from rules.engine import Outcome
from rules.memo import Memo
from rules.request import Situation
from rules.ruleset import Rule, Rulebook

REQUIRED, CONDITIONAL = "required", "conditional"
# reasons(): the structured reasons of the evaluation running in this context
_CAPTURE: ContextVar[dict[str, tuple[str, list[wording.Reason]]] | None] = ContextVar("why_capture", default=None)
_FAR = dt.date.max  # the due rank of a procedure without a due date: after every date


@dataclass
class _Decision:
    procedure: Procedure
    status: str  # required / conditional / not_applicable
    members: list[int]
    why: list[wording.Reason]
    newborn: bool = False  # the child a birth brings is concerned too (rule concerns: newborn)


def _engine_facts(situation: Situation, placeholders: int) -> tuple[dict[str, Any], list[dict[str, Any]], int]:
    """Facts as durable sees them: flat keys, no dates; absent means unanswered."""
    def flat(d: dict[str, Any]) -> dict[str, Any]:
        return {k.replace(".", "__"): v for k, v in d.items() if isinstance(v, (bool, int, str))}

    household = flat(situation.values)
    if situation.members is None:
        # members not given at all: unanswered people, who may satisfy any member condition
        return household, [{"placeholder": True} for _ in range(placeholders)], 0
    members = [flat(m) for m in situation.members]
    return household, members, len(members)


def _member_values(situation: Situation, idx: int) -> dict[str, Any]:
    if situation.members is None or idx >= len(situation.members):
        return {}
    return situation.members[idx]


def _member_atoms(rule: Rule, situation: Situation, idxs: list[int], want_unknown: bool) -> list[Atom]:
    """The member condition's deciding atoms for the first member it (may) apply to; the
    relation (who the person is) is kept whenever it is not known to fail."""
    values = _member_values(situation, idxs[0]) if idxs else {}
    held, unknown, _ = sort_atoms(rule.member, values)
    atoms = (unknown or held) if want_unknown else held
    who = [a for a in held + unknown if a.fact.role == "person" and a not in atoms]
    return who + atoms


def _household_preds(atoms: list[Atom], situation: Situation, said_by_answer: bool) -> list[wording.Pred]:
    """One predicate per fact; a choice that held is said by the answer given (「市の中で
    住所が変わる」 rather than 「市に引っ越してくるのではない」)."""
    return wording.predicates(atoms, situation.locale, situation.values if said_by_answer else None,
                              situation.event)


def _spoken(cond: Any) -> list[Atom]:
    """The atoms of a condition that are put into words (an ``implied`` atom decides, unsaid)."""
    return [a for a in atoms_of(cond) if not getattr(a, "implied", False)]


def _about_deceased(cond: Any) -> bool:
    return any("deceased" in a.fact.path for a in atoms_of(cond))


def _said(atoms: list[Atom], skip: frozenset[str]) -> list[Atom]:
    """The atoms that go into words: not those of the rule's ``quiet`` guards (nor ``skip``)."""
    return [a for a in atoms if a.fact.path not in skip]


def _statements_required(rule: Rule, out: Outcome, situation: Situation, real: int,
                         skip: frozenset[str] = frozenset()) -> list[tuple[wording.Pred, int]]:
    """What held, as statements with their number of conditions (the event itself not among
    them): the rule's curated ``why``, else its household conditions, then the person."""
    loc = situation.locale
    if rule.why is not None:
        return [(wording.curated(rule.why, loc), 1)]
    quiet = rule.quiet | skip
    held, _, _ = sort_atoms(rule.household, situation.values)
    parts = [(p, 1) for p in _household_preds(_said(held, quiet), situation, True)]
    if rule.member is not None:
        idxs = sorted(i for i in out.definite_members if i < real)
        atoms = _member_atoms(rule, situation, idxs, want_unknown=False)
        said = _said(atoms, quiet)
        if said == atoms or any(a.fact.role != "person" for a in said):
            values = _member_values(situation, idxs[0]) if idxs else None
            parts += wording.member_statements(said, loc, rule.at_least, False, values, situation.event)
    return parts


def _reasons_required(rule: Rule, out: Outcome, situation: Situation, real: int,
                      event_words: str) -> list[wording.Reason]:
    """「…ため」 sentences: what held; the event (「家族が亡くなったため」) only when nothing else
    did (the page names the event once, at the top)."""
    parts = _statements_required(rule, out, situation, real)
    if not parts:
        return [wording.event_reason(event_words, situation.locale)]
    return [wording.statement_because(p, n, situation.locale) for p, n in parts]


def _parts_conditional(rule: Rule, out: Outcome, situation: Situation, real: int,
                       quiet: frozenset[str]) -> list[tuple[wording.Pred, int]]:
    loc = situation.locale
    _, unknown, _ = sort_atoms(rule.household, situation.values)
    parts = [(p, 1) for p in _household_preds(_said(unknown, quiet), situation, False)]
    sure = sum(evaluate_cond(rule.member, _member_values(situation, i)) is True for i in range(real))
    if rule.member is not None and sure < rule.at_least:  # the member part is what is in doubt
        idxs = sorted(i for i in out.possible_members if i < real)
        atoms = _member_atoms(rule, situation, idxs, want_unknown=True) if idxs else \
            list(sort_atoms(rule.member, {})[1])
        said = _said(atoms, quiet)
        if said == atoms or any(a.fact.role != "person" for a in said):
            parts += wording.member_statements(said, loc, rule.at_least, _about_deceased(rule.household),
                                               event=situation.event)
    return parts


def _reasons_conditional(rule: Rule, out: Outcome, situation: Situation, real: int,
                         skip: frozenset[str] = frozenset(), limit: int | None = None) -> list[wording.Reason]:
    """One entry per rule: its open conditions all hold together (「A場合で、Bとき」). A quiet
    guard is said only when nothing else is open."""
    loc = situation.locale
    if rule.why is not None:
        parts = [(wording.curated(rule.why, loc), 1)]
    else:
        parts = _parts_conditional(rule, out, situation, real, rule.quiet | skip) or \
            _parts_conditional(rule, out, situation, real, skip) or \
            _parts_conditional(rule, out, situation, real, frozenset())
    reason = wording.if_reason(parts[:limit], loc)
    return [reason] if reason else []


def _cover(rule: Rule, situation: Situation) -> list[Atom]:
    """The fewest atoms of the member condition that every listed person fails: 「65歳以上の方が
    いない」 is true when nobody is 65 or over, whatever else they answered."""
    all_atoms = _spoken(rule.member)
    failing = [{a.fact.path for a in sort_atoms(rule.member, m)[2]} for m in situation.members or ()]
    if not failing or any(not f for f in failing):
        return all_atoms
    chosen: list[str] = []
    left = list(failing)
    while left:
        counts: dict[str, int] = {}
        for f in left:
            for path in f:
                counts[path] = counts.get(path, 0) + 1
        best = max(counts, key=lambda path: (counts[path], -[a.fact.path for a in all_atoms].index(path)))
        chosen.append(best)
        left = [f for f in left if best not in f]
    return [a for a in all_atoms if a.fact.path in chosen]


def _reasons_not(rule: Rule, situation: Situation) -> list[wording.Reason]:
    loc, event = situation.locale, situation.event
    _, _, failed = sort_atoms(rule.household, situation.values)
    if failed:
        atom = failed[0]
        pred = wording.value_predicate(atom.fact, situation.values.get(atom.fact.path), loc, event) or \
            wording.predicate([a.negated() for a in failed if a.fact is atom.fact], loc, event)
        return [wording.because(pred, loc)]
    if rule.member is None:
        return []
    members = list(situation.members or ())
    atoms = _spoken(rule.member)
    heads = [a for a in atoms if a.fact.role == "person"]
    single = heads and all(a.fact.values[v].get("single")
                           for a in heads for v in (a.value if a.op == "in" else (a.value,)))
    dead = _about_deceased(rule.household)
    if single:  # a rule about ご本人 (or the spouse): say what that person answered
        named = [m for m in members if all(eval_atom(a, m) for a in heads)]
        if not named:
            return [wording.member_absent(heads, loc, deceased=dead, event=event)]
        failed = [a for a in sort_atoms(rule.member, named[0])[2] if a not in heads]
        if failed:
            fact = failed[0].fact
            pred = wording.value_predicate(fact, named[0].get(fact.path), loc, event) or \
                wording.predicate([a.negated() for a in failed if a.fact is fact], loc, event)
            return [wording.person_value(heads, pred, loc, named[0], event)]
    found = sum(evaluate_cond(rule.member, m) is True for m in members)
    chosen = atoms if found else _cover(rule, situation)
    return [wording.member_absent(chosen, loc, rule.at_least, found, deceased=dead, event=event)]


# --- memo of the reasons: the same rule, locale and answers it reads say the same words -----

_REASONS: Memo[tuple[wording.Reason, ...]] = Memo()


def _reasons_key(kind: str, rule: Rule, situation: Situation, out: Outcome | None, real: int, extra: Any) -> tuple:
    """Everything a reason function reads: the rule, the locale, the answers its household and
    member conditions read (each listed person's), the outcome's people and ``extra``."""
    members, values = situation.members, situation.values
    household_paths, paths = rule.reads
    return (kind, id(rule), situation.locale, extra, real,
            tuple([values.get(p) for p in household_paths]),
            None if members is None else  # without a member condition, only how many people
            tuple([tuple([m.get(p) for p in paths]) for m in members]) if paths else len(members),
            None if out is None else (out.definite, out.possible, tuple(sorted(out.definite_members)),
                                      tuple(sorted(out.possible_members))))


def _memo_reasons(kind: str, fn: Any) -> Any:
    """``fn`` (a ``_reasons_*`` function) memoised on what it reads (rules.memo; bounded)."""
    if kind == "not":
        def memoised(rule: Rule, situation: Situation) -> list[wording.Reason]:
            key = _reasons_key(kind, rule, situation, None, -1, situation.explain)
            return list(_REASONS.get(key, rule, lambda: tuple(fn(rule, situation))))
    elif kind == "required":
        def memoised(rule, out, situation, real, event_words):  # type: ignore[no-untyped-def]
            key = _reasons_key(kind, rule, situation, out, real, event_words)
            return list(_REASONS.get(key, rule, lambda: tuple(fn(rule, out, situation, real, event_words))))
    else:
        def memoised(rule, out, situation, real, skip=frozenset(), limit=None):  # type: ignore[no-untyped-def]
            key = _reasons_key(kind, rule, situation, out, real, (skip, limit))
            return list(_REASONS.get(key, rule, lambda: tuple(fn(rule, out, situation, real, skip, limit))))
    memoised.__wrapped__ = fn  # type: ignore[attr-defined]
    memoised.__doc__ = fn.__doc__
    return memoised


_reasons_required = _memo_reasons("required", _reasons_required)
_reasons_conditional = _memo_reasons("conditional", _reasons_conditional)
_reasons_not = _memo_reasons("not", _reasons_not)


def _why_required(rule: Rule, out: Outcome, situation: Situation, real: int, event_words: str) -> list[str]:
    """「…ため」 sentences: what held (the event only when nothing else did)."""
    return _texts(_reasons_required(rule, out, situation, real, event_words))


def _why_conditional(rule: Rule, out: Outcome, situation: Situation, real: int) -> list[str]:
    """One 「…場合」 sentence: what the rule still depends on."""
    return _texts(_reasons_conditional(rule, out, situation, real))


def _why_not(rule: Rule, situation: Situation) -> list[str]:
    """「…ないため」: what failed."""
    return _texts(_reasons_not(rule, situation))


_CITY_RULES: Memo[tuple[tuple[Rule, str, Procedure], ...]] = Memo(256)


def _city_rules(rulebook: Rulebook, er: Any) -> tuple[tuple[Rule, str, Procedure], ...]:
    """The event's rules done in this city (not those with place: new_city, see _at_new_city),
    each with its procedure, in the rules' order (per ruleset)."""
    procedures = rulebook.kb.procedures
    return _CITY_RULES.get(id(er), er, lambda: tuple((rule, rule.procedure, procedures[rule.procedure])
                                                     for rule in er.rules if rule.place == "city"))


def _decide(rulebook: Rulebook, situation: Situation, outcomes: dict[str, Outcome], real: int) -> dict[str, _Decision]:
    decisions: dict[str, _Decision] = {}
    event_words = wording.words(rulebook.vocab.household["event"].values[situation.event], situation.locale)
    for rule, pid, proc in _city_rules(rulebook, rulebook.rules_for(situation.event)):
        out = outcomes[rule.tag]
        d = decisions.get(pid)
        if d is None:  # one decision per procedure, made at its first rule
            d = decisions[pid] = _Decision(proc, "not_applicable", [], [])
        if out.definite:
            if d.status != REQUIRED:
                d.status, d.members, d.why, d.newborn = REQUIRED, [], [], False
            d.members = sorted(set(d.members) | _concerned(rule, out.definite_members, real))
            d.newborn = d.newborn or rule.concerns == "newborn"
            _add(d.why, _reasons_required(rule, out, situation, real, event_words))
        elif out.possible and d.status != REQUIRED:
            if d.status != CONDITIONAL:
                d.status, d.members, d.why, d.newborn = CONDITIONAL, [], [], False
            d.members = sorted(set(d.members) | _concerned(rule, out.possible_members, real))
            d.newborn = d.newborn or rule.concerns == "newborn"
            _add(d.why, _reasons_conditional(rule, out, situation, real))
        elif d.status == "not_applicable" and situation.explain:
            _add(d.why, _reasons_not(rule, situation))
    captured = _CAPTURE.get()
    if captured is not None:
        captured.update({pid: (d.status, d.why) for pid, d in decisions.items()})
    return decisions


def _texts(reasons: list[wording.Reason]) -> list[str]:
    return list(map(str, reasons))  # each Reason's words as a plain str (Reason.text, without the property)


def _add(why: list[wording.Reason], new: list[wording.Reason]) -> None:
    """Append the reasons not said yet (several rules of one procedure share sentences). The
    event itself (「家族が亡くなったため」) stays only while no other reason is there."""
    said = set(why)  # a Reason is a str: equal to another, and hashed, by its words (its .text)
    for r in new:
        if getattr(r, "event", False) and any(not getattr(w, "event", False) for w in why):
            continue
        if not getattr(r, "event", False) and why and all(getattr(w, "event", False) for w in why):
            why.clear()
            said.clear()
        if r not in said:
            said.add(r)
            why.append(r)


def _concerned(rule: Rule, matched: set[int], real: int) -> set[int]:
    if rule.concerns in ("none", "newborn"):
        return set()
    if rule.concerns == "all":
        return set(range(real))
    return {i for i in matched if i < real}


def _deadline(rulebook: Rulebook, proc: Procedure, situation: Situation, outcomes: dict[str, Outcome]):
    chosen = proc.deadline
    notes: list[str] = []
    for i, variant in enumerate(proc.deadline.variants):
        out = outcomes.get(f"deadline:{proc.id}:{i}")
        if out and out.definite:
            chosen = variant
            break
        if out and out.possible:
            notes.append(_deadline_note(rulebook, proc, i, variant, situation))
    start = situation.event_date
    if chosen.start != "event_date":
        start = situation.values.get(chosen.start) or situation.event_date
        asked = chosen.start in rulebook.asked_facts(situation.event)
        if asked and chosen.start not in situation.values and situation.event_date:
            notes.append(wording.counted_from_event_date(
                rulebook.vocab.household[chosen.start], rulebook.kb.events[situation.event].date_label, situation.locale))
    if start and chosen.start_offset_days:
        start += dt.timedelta(days=chosen.start_offset_days)
    due = calendar.due_date(chosen.kind, chosen.amount, start) if start else None
    return chosen, due, notes


def _deadline_note(rulebook: Rulebook, proc: Procedure, i: int, variant: Any, situation: Situation) -> str:
    """「国外で亡くなった場合は、死亡の事実を知った日を含めて3か月以内」."""
    clause = rulebook.deadline_clauses.get((proc.id, i))
    _, unknown, _ = sort_atoms(clause.household if clause else None, situation.values)
    parts = [(p, 1) for p in wording.predicates(unknown, situation.locale)]
    return wording.deadline_note(wording.if_reason(parts, situation.locale), variant.text.get(situation.locale),
                                 situation.locale)


def _bring(rulebook: Rulebook, proc: Procedure, decision: _Decision, situation: Situation,
           outcomes: dict[str, Outcome], real: int) -> list[dict[str, Any]]:
    loc = situation.locale
    items: list[dict[str, Any]] = []
    people = max(len(decision.members) + decision.newborn, 1)  # per: member counts the people concerned
    for i, b in enumerate(proc.bring):
        out = outcomes.get(f"bring:{proc.id}:{i}")
        conditional = decision.status == CONDITIONAL
        if out is None:  # unconditional
            count = people if b.per == "member" else 1
        elif out.definite or out.possible:
            conditional = conditional or not out.definite
            if b.member is not None:
                matched = out.definite_members if out.definite else out.possible_members
                count = len({m for m in matched if m < real}) or 1
            else:
                count = people if b.per == "member" else 1
        else:
            continue
        item = rulebook.kb.items[b.item]
        entry = {"id": b.item, "name": item.name.get(loc), "count": count, "conditional": conditional,
                 "kind": item.kind}
        if b.note:
            entry["note"] = b.note.get(loc)
        same = next((e for e in items if e["id"] == b.item), None)
        if same is None:
            items.append(entry)
        elif (conditional == same["conditional"] and count > same["count"]) or (same["conditional"] and not conditional):
            same.update(entry)  # one line per document: the surer, then the larger, entry wins
    return _with_filer_identity(rulebook, proc, items, loc)


_BRINGS: Memo[tuple[dict[str, Any], ...]] = Memo()


def _memo_bring(fn: Any) -> Any:
    """``_bring`` memoised on what it reads: the procedure, the locale, the decision's status and
    people, how many people were listed, and the outcomes of the procedure's bring clauses."""
    def memoised(rulebook: Rulebook, proc: Procedure, decision: _Decision, situation: Situation,
                 outcomes: dict[str, Outcome], real: int) -> list[dict[str, Any]]:
        said = tuple([None if (o := outcomes.get(t)) is None else
                      (o.definite, o.possible, frozenset(o.definite_members), frozenset(o.possible_members))
                      for t in rulebook.bring_tags[proc.id]])
        key = (id(rulebook), proc.id, situation.locale, decision.status, tuple(decision.members), real,
               situation.members is None, said)
        items = _BRINGS.get(key, rulebook, lambda: tuple(fn(rulebook, proc, decision, situation, outcomes, real)))
        return [dict(e) for e in items]
    memoised.__wrapped__ = fn  # type: ignore[attr-defined]
    memoised.__doc__ = fn.__doc__
    return memoised


_bring = _memo_bring(_bring)


def _with_filer_identity(rulebook: Rulebook, proc: Procedure, items: list[dict[str, Any]],
                         loc: str) -> list[dict[str, Any]]:
    """The filer's identity document is always there (bring.yaml ``filer_identity``), first."""
    fid = rulebook.kb.filer_identity
    if fid is None or proc.id in fid.exceptions:
        return items
    if any(e["id"] == fid.item or e["id"] in fid.equivalents for e in items if not e["conditional"]):
        return items
    item = rulebook.kb.items[fid.item]
    entry = {"id": fid.item, "name": item.name.get(loc), "count": 1, "conditional": False, "kind": item.kind}
    same = next((e for e in items if e["id"] == fid.item), None)
    if same is not None:  # listed only for some cases: sure now, keeping its note
        entry = {**same, "conditional": False}
    return [entry, *(e for e in items if e["id"] != fid.item)]


def _online(proc: Procedure, outcomes: dict[str, Outcome]) -> bool:
    """``online`` unless the procedure's ``online_unless`` surely holds for this household."""
    out = outcomes.get(f"online:{proc.id}")
    return proc.online and not (out is not None and out.definite)


_NEW_CITY: Memo[tuple[list[Rule], frozenset[str]]] = Memo(256)


def _new_city_rules(er: Any) -> tuple[list[Rule], frozenset[str]]:
    """The event's rules with place: new_city, and the facts every one of them reads (per ruleset)."""
    def build() -> tuple[list[Rule], frozenset[str]]:
        rules = [r for r in er.rules if r.place == "new_city"]
        shared = frozenset.intersection(*[frozenset(a.fact.path for a in atoms_of(r.household)) for r in rules]) \
            if rules else frozenset()
        return rules, shared
    return _NEW_CITY.get(id(er), er, build)


def _at_new_city(rulebook: Rulebook, situation: Situation, outcomes: dict[str, Outcome],
                 real: int) -> list[dict[str, Any]]:
    """What the household does at the new municipality after moving out (rules with place: new_city).

    Not a procedure of this city: no counter or visit; id, name, status, why, and the due date and
    deadline where the procedure has one, computed as for the city's own (``_deadline``: 転入届 at
    the new city is due 14 days from the move). The why is one short sentence of at most two
    reasons (「ひとり親の家庭になって、18歳未満の方がいるため」, "If A, or if B"): the event and the
    move out (what every such rule shares, and the section's heading says) are said only when
    nothing else is.
    """
    loc = situation.locale
    rules, shared = _new_city_rules(rulebook.rules_for(situation.event))
    if not rules:
        return []
    event_words = wording.words(rulebook.vocab.household["event"].values[situation.event], loc)
    found: dict[str, dict[str, Any]] = {}
    said: dict[str, list[Any]] = {}  # per procedure: what held (statements) or the open sentences
    for rule in rules:
        out = outcomes[rule.tag]
        if not (out.definite or out.possible):
            continue
        status = REQUIRED if out.definite else CONDITIONAL
        if rule.procedure not in found:
            proc = rulebook.kb.procedures[rule.procedure]
            chosen, due, notes = _deadline(rulebook, proc, situation, outcomes)
            found[rule.procedure] = {
                "id": rule.procedure, "name": proc.name.get(loc), "status": status, "why": [],
                "due_date": due.isoformat() if due else None, "deadline": chosen.text.get(loc),
                "deadline_notes": notes}
        entry = found[rule.procedure]
        if status == REQUIRED and entry["status"] != REQUIRED:
            entry["status"] = REQUIRED
            said.pop(rule.procedure, None)
        elif status != entry["status"]:
            continue
        have = said.setdefault(rule.procedure, [])
        if status == REQUIRED:
            parts = _statements_required(rule, out, situation, real, shared) or \
                _statements_required(rule, out, situation, real)
            have += [p for p, _ in parts if p.text not in {h.text for h in have}]
        else:
            have += [r for r in _reasons_conditional(rule, out, situation, real, shared, limit=2) if r not in have]
    for pid, entry in found.items():
        have = said.get(pid) or []
        if entry["status"] == REQUIRED:
            why = wording.because_all(have[:2], loc) if have else wording.event_reason(event_words, loc)
        else:
            why = wording.either(have[:2], loc)
        entry["why"] = [why.text] if why else []
    return sorted(found.values(), key=lambda e: e["status"] != REQUIRED)  # else in rule-file order


def _merge_checklist(procedures: list[dict[str, Any]], items: dict[str, Any]) -> list[dict[str, Any]]:
    """One list: the same document serves every procedure of a visit, so counts take the max;
    a certificate that is handed in and kept (bring.yaml ``submitted``: 戸籍謄本) is needed once
    at each counter that asks for it, so those counts add up over the counters.

    ``count`` is what is surely needed (or, when nothing is sure, what may be); ``count_if`` is
    the larger number needed if the conditional cases apply.
    """
    merged: dict[str, dict[str, Any]] = {}
    per_counter: dict[str, dict[str, list[int]]] = {}  # item -> counter -> [sure, maybe] counts
    for p in procedures:
        counter, pid = p["counter_id"], p["id"]
        for b in p["bring"]:
            bid = b["id"]
            at = per_counter.get(bid)
            if at is None:
                merged[bid] = {"id": bid, "name": b["name"], "kind": b.get("kind", "document"), "procedures": [pid]}
                at = per_counter[bid] = {}
            else:
                merged[bid]["procedures"].append(pid)
            sure_maybe = at.get(counter)
            if sure_maybe is None:
                sure_maybe = at[counter] = [0, 0]
            key = 1 if b["conditional"] else 0
            count = b["count"]
            if count > sure_maybe[key]:
                sure_maybe[key] = count
    out = []
    for bid, m in merged.items():
        # counts are never negative: a sum or a max from 0 over the counters
        sure = maybe = 0
        if getattr(items.get(bid), "submitted", False):
            for s, c in per_counter[bid].values():
                sure += s
                maybe += s if s > c else c
        else:
            for s, c in per_counter[bid].values():
                if s > sure:
                    sure = s
                if c > maybe or s > maybe:
                    maybe = s if s > c else c
        m["count"], m["conditional"] = sure or maybe, sure == 0
        if sure and maybe > sure:
            m["count_if"] = maybe
        out.append(m)
    return out


_PLANS: Memo[tuple[tuple[str, ...], ...]] = Memo()


def _plan(rulebook: Rulebook, ids: list[str], due_rank: dict[str, tuple]) -> list[list[str]]:
    """``order_procedures`` of ``ids`` (visits, each a list of procedure ids), memoised.

    The order reads the due ranks only by comparing them, so it is the same for any ranks in the
    same relative order: the key holds each procedure's place among the distinct ranks (a
    household a day later, or with another due date that keeps the order, meets the same key)."""
    place = {r: i for i, r in enumerate(sorted(set(due_rank.values())))}
    key = (id(rulebook), tuple(ids), tuple([place[due_rank[p]] for p in ids]))

    def build() -> tuple[tuple[str, ...], ...]:
        counter_rank, stage, building = rulebook.counter_rank, rulebook.counter_stage, rulebook.counter_building
        return tuple(map(tuple, order_procedures(rulebook.kb.graph, ids, counter_rank=counter_rank.__getitem__,
                                                 due_rank=due_rank.__getitem__, stage=stage.__getitem__,
                                                 building=building.__getitem__)))
    return [list(visit) for visit in _PLANS.get(key, rulebook, build)]


_ENTRIES: Memo[dict[str, Any]] = Memo(4096)  # (rulebook, procedure, locale) -> its entry's template


def _entry_template(rulebook: Rulebook, proc: Procedure, loc: str) -> dict[str, Any]:
    """A listed procedure's keys in the answer's order, with what depends only on the procedure
    and the locale filled in (names, counter, place, links' addresses, source); ``evaluate``
    copies it and sets the rest (never changed in place: each answer gets its own copy, of the
    place too)."""
    def build() -> dict[str, Any]:
        dept, counter = rulebook.kb.counters[proc.counter]
        pid = proc.id
        return {
            "id": pid, "name": proc.name.get(loc), "status": None,
            "department": dept.name.get(loc), "counter": counter.name.get(loc), "counter_id": counter.id,
            "due_date": None, "due_from": None, "deadline": None, "deadline_notes": None, "members": None,
            "newborn": None, "bring": None, "why": None, "place": places.place_of(rulebook, proc, loc),
            "fees": None, "fee_date": None,
            "online": f"/apply/{pid}", "reserve": f"/reserve?procedures={pid}",  # the links' addresses
            "verified": proc.verified, "source_url": rulebook.source_urls[pid],
        }
    return _ENTRIES.get((id(rulebook), proc.id, loc), rulebook, build)


def evaluate(rulebook: Rulebook, situation: Situation, trace: set[str] | None = None) -> dict[str, Any]:
    """The guidance for ``situation``; ``trace``, if given, collects the ids of rules that held."""
    if situation.locale not in wording.LOCALES:  # zh, ko, vi, pt: the reasons from the pack's table
        return _with_table_reasons(rulebook, situation, trace)
    return _evaluate(rulebook, situation, trace)


_REASON_FIELDS = ("why", "deadline_notes")


def _with_table_reasons(rulebook: Rulebook, situation: Situation, trace: set[str] | None) -> dict[str, Any]:
    """The result in a language rules/wording.py does not write: the pack's texts in it (names,
    deadlines, what to bring), and each generated reason looked up by its Japanese words in the
    pack's ``translations/<code>.yaml`` ``reasons`` (the English reason where none is written)."""
    result = _evaluate(rulebook, situation, trace)
    table = rulebook.kb.translated_reasons.get(situation.locale)
    if not table:
        return result
    japanese = _evaluate(rulebook, replace(situation, locale="ja"), None)
    for section in ("procedures", "at_new_city", "not_applicable"):
        said = {entry["id"]: entry for entry in japanese.get(section, [])}
        for entry in result.get(section, []):
            ja = said.get(entry["id"])
            for name in _REASON_FIELDS:
                if ja is None or name not in entry or len(ja.get(name, ())) != len(entry[name]):
                    continue
                entry[name] = [table.get(j, own) if isinstance(j, str) else own
                               for j, own in zip(ja[name], entry[name], strict=True)]
    return result


def _evaluate(rulebook: Rulebook, situation: Situation, trace: set[str] | None) -> dict[str, Any]:
    situation, ignored, warnings = _safety_net(rulebook, situation)
    er = rulebook.rules_for(situation.event)
    household, members, real = _with_derived_facts(rulebook, situation, *_engine_facts(situation, er.placeholders))
    outcomes = er.engine.decide(household, members)
    if trace is not None:
        trace.update(r.id for r in er.rules if outcomes[r.tag].definite)
    decisions = _decide(rulebook, situation, outcomes, real)
    loc = situation.locale
    kb = rulebook.kb

    listed: dict[str, dict[str, Any]] = {}
    not_applicable: list[dict[str, Any]] = []
    due_of: dict[str, Any] = {}
    chosen_of: dict[str, Any] = {}  # the deadline (variant) chosen per listed procedure
    for pid, d in decisions.items():
        proc = d.procedure
        if d.status == "not_applicable":
            if situation.explain:  # listed only when asked for
                not_applicable.append({"id": pid, "name": proc.name.get(loc), "why": _texts(d.why)})
            continue
        chosen, due, deadline_notes = _deadline(rulebook, proc, situation, outcomes)
        due_of[pid] = due
        chosen_of[pid] = chosen
        # the date the due date counts from: the event date or the fact the law names (死亡日, 引越しの日)
        from_fact = chosen.start if chosen.start != "event_date" and situation.values.get(chosen.start) else "event_date"
        from_day = situation.event_date if from_fact == "event_date" else situation.values[from_fact]
        template = _entry_template(rulebook, proc, loc)
        place = template["place"]  # the procedure's place (places.place_of), copied below
        entry = listed[pid] = template.copy()  # every key, in order
        entry["status"] = d.status
        if due:
            entry["due_date"] = due.isoformat()
            entry["due_from"] = {"fact": from_fact, "date": from_day.isoformat()}
        entry["deadline"] = chosen.text.get(loc)
        entry["deadline_notes"] = deadline_notes
        entry["members"] = d.members
        entry["newborn"] = d.newborn
        entry["bring"] = _bring(rulebook, proc, d, situation, outcomes, real)
        entry["why"] = _texts(d.why)
        entry["place"] = places.copy_place(place)
        fee_day = due or situation.event_date
        entry["fees"] = places.fees_on(proc, fee_day, loc)
        entry["fee_date"] = fee_day.isoformat() if fee_day else None
        entry["online"] = {"url": entry["online"], "available": _online(proc, outcomes)}
        entry["reserve"] = {"url": entry["reserve"], "available": proc.reservable}

    def plan_of(ids: list[str]) -> list[list[str]]:
        return _plan(rulebook, ids, {p: (0 if listed[p]["status"] == REQUIRED else 1, due_of[p] or _FAR) for p in ids})

    city = [pid for pid in listed if not listed[pid]["place"]["offsite"]]
    ordered: list[dict[str, Any]] = []
    visit_plan: list[dict[str, Any]] = []
    for visit in plan_of(city):
        first = listed[visit[0]]
        visit_plan.append({"counter": first["counter"], "counter_id": first["counter_id"],
                           "department": first["department"], "procedures": visit})
        for pid in visit:
            listed[pid]["order"] = len(ordered) + 1
            ordered.append(listed[pid])
    # offices outside the city hall come after every city counter (never out and back), each once
    for visit in plan_of([p for p in listed if p not in city]):
        for pid in visit:
            listed[pid]["order"] = len(ordered) + 1
            ordered.append(listed[pid])

    result: dict[str, Any] = {
        "event": situation.event,
        "event_date": situation.event_date.isoformat() if situation.event_date else None,
        "procedures": ordered,
        "checklist": _merge_checklist(ordered, kb.items),
        "visit_plan": visit_plan,
        "offices": places.offices(rulebook, ordered, loc),
        "at_new_city": _at_new_city(rulebook, situation, outcomes, real),
        "ruleset_version": rulebook.version,
    }
    closed = places.closed_days(rulebook, situation, ordered, chosen_of.__getitem__)
    if closed:
        result["closed_days"] = closed
    if situation.explain:
        result["not_applicable"] = sorted(not_applicable, key=lambda x: x["id"])
    _finish_safety_net(result, situation, ignored, warnings)
    return result


# --- the safety net: warnings, ignored facts, overdue (rules.answer_checks) ---------------

def _with_derived_facts(rulebook: Rulebook, situation: Situation, household: dict[str, Any],
                        members: list[dict[str, Any]], real: int) -> tuple[dict[str, Any], list[dict[str, Any]], int]:
    """Adds each person's derived ``fit.*`` facts (rules.conditions.Fit) for the engine."""
    table = constraints(rulebook.vocab)
    if table:
        household = {**household, **derived_facts(situation.values, "household", table)}
        people = [situation.members[i] if i < real and situation.members else {} for i in range(len(members))]
        members = [{**m, **derived_facts(p, "member", table)} for m, p in zip(members, people, strict=True)]
    return household, members, real


_BELONGS: dict[tuple[str, str], set[str]] = {}  # (ruleset version, event) -> paths that belong


def _belonging(rulebook: Rulebook, event: str) -> set[str]:
    key = (rulebook.version, event)
    if key not in _BELONGS:
        asked = [rulebook.kb.questions[q].fact for q in rulebook.kb.events[event].questions
                 if q in rulebook.kb.questions]
        if len(_BELONGS) > 64:  # old generations
            _BELONGS.clear()
        _BELONGS[key] = answer_checks.belonging_facts(asked, read_facts(rulebook, event))
    return _BELONGS[key]


def _safety_net(rulebook: Rulebook, situation: Situation) -> tuple[Situation, list[str], list[dict[str, Any]]]:
    """Warnings about the answers as given, then the situation without the facts that do not
    belong to the event (listed as ignored; they are read by no rule, so nothing else changes)."""
    warnings = answer_checks.answer_warnings(situation, rulebook.vocab, rulebook.household_dates)
    checked, ignored = answer_checks.without_foreign_facts(
        situation, _belonging(rulebook, situation.event), rulebook.vocab.member)
    return checked, ignored, warnings


def _finish_safety_net(result: dict[str, Any], situation: Situation, ignored: list[str],
                       warnings: list[dict[str, Any]]) -> None:
    warnings = warnings + answer_checks.past_due_warning(situation, result["procedures"], result["at_new_city"])
    if ignored:
        warnings.append(answer_checks.warning("ignored_facts", situation.locale, ignored))
    result["warnings"] = warnings
    result["ignored_facts"] = ignored
    result["as_of"] = situation.today.isoformat() if situation.today else None


def reasons(rulebook: Rulebook, situation: Situation) -> dict[str, tuple[str, list[wording.Reason]]]:
    """The reasons of every procedure as ``evaluate`` words them (the same run), with how many
    conditions each sentence joins: {procedure id: (status, reasons)} (for the tests and samples)."""
    captured: dict[str, tuple[str, list[wording.Reason]]] = {}
    token = _CAPTURE.set(captured)
    try:
        evaluate(rulebook, situation)
    finally:
        _CAPTURE.reset(token)
    return captured
