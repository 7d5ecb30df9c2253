"""What a new version of the pack changes in the guide's answers: the same requests (the pack's
scenarios, a sample of recent questionnaires) evaluated by the rulebook in force and by the
draft, compared procedure by procedure (listed or not, required or conditional, due date, fees,
what to bring, at the new city). Curators read it before they publish (staff/content.py)."""
from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from core.words import NP_, Message, Msgid
from core.words import text as translate
from rules.evaluate import evaluate
from rules.request import InvalidRequest, read_request
from rules.ruleset import Rulebook


@dataclass
class Change:
    """One request whose answer the draft changes."""

    label: str  # the scenario's name, or "回答例 3"
    event: str
    added: list[str] = field(default_factory=list)  # procedure ids now listed
    removed: list[str] = field(default_factory=list)
    details: list[tuple[str, str, str, str]] = field(default_factory=list)  # (procedure, what (WHAT's key), before, after)
    # the request no longer reads under the draft (e.g. a question removed): field -> why
    error: dict[str, Message] | None = None
    names: dict[str, str] = field(default_factory=dict)  # procedure id -> its Japanese name

    def named(self, pid: str) -> str:
        """``juminhyo_utsushi（住民票の写し）``: the id curators find in the files, with its name."""
        name = self.names.get(pid.removesuffix("@new_city"))
        return f"{pid}（{name}）" if name else pid

    def summary(self, locale: str = "ja") -> str:
        """One line in the console's language: ``+kokuho_kanyu（国民健康保険の加入）,
        juminhyo_utsushi（住民票の写し） 手数料 300円 → 350円``."""
        if self.error is not None:
            why = "; ".join(f"{name}: {message.text(locale)}" for name, message in self.error.items())
            return translate(locale, NP_("impact", "この回答は新しい版では読めません：%(why)s"), why=why)
        bits = [f"+{self.named(p)}" for p in self.added] + [f"−{self.named(p)}" for p in self.removed]
        bits += [f"{self.named(pid)} {translate(locale, WHAT[what])} {a or '—'} → {b or '—'}"
                 for pid, what, a, b in self.details]
        return ", ".join(bits)


def _outline(body: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Per procedure, what a resident reads that a version can change."""
    out: dict[str, dict[str, str]] = {}
    for p in body.get("procedures", []):
        fees = "、".join(f"{f['amount_yen']}円/{f.get('unit') or ''}（{f['valid_from']}〜）" for f in p.get("fees") or [])
        bring = "、".join(f"{b['id']}×{b['count']}" for b in p.get("bring") or [])
        out[p["id"]] = {"status": p["status"], "due_date": p.get("due_date") or "", "fees": fees,
                        "counter": p.get("counter_id") or "", "bring": bring,
                        "online": "yes" if (p.get("online") or {}).get("available") else "no"}
    for e in body.get("at_new_city", []):
        out[f"{e['id']}@new_city"] = {"status": "at_new_city"}
    return out


WHAT: dict[str, Msgid] = {  # what a resident reads that a version can change, in the console's words
    "status": NP_("impact", "区分"), "due_date": NP_("impact", "期限"), "fees": NP_("impact", "手数料"),
    "counter": NP_("impact", "窓口"), "bring": NP_("impact", "持ち物"), "online": NP_("impact", "オンライン"),
}


def _answer(book: Rulebook, request: dict[str, Any], today: dt.date) -> dict[str, Any]:
    situation = read_request(json.loads(json.dumps(request, default=str)), book.vocab, set(book.events), today=today)
    return evaluate(book, situation)


def compare(before: Rulebook, after: Rulebook, requests: Iterable[tuple[str, dict[str, Any]]],
            today: dt.date) -> tuple[int, list[Change]]:
    """(how many requests were compared, the ones whose answer differs)."""
    changes: list[Change] = []
    compared = 0
    names = {pid: p.name.ja for book in (before, after) for pid, p in book.kb.procedures.items()}  # the draft's last
    for label, request in requests:
        try:
            old = _outline(_answer(before, request, today))
        except InvalidRequest:
            continue  # a scenario the draft adds: nothing to compare it with
        compared += 1
        event = str(request.get("event", ""))
        try:
            new = _outline(_answer(after, request, today))
        except InvalidRequest as exc:
            changes.append(Change(label, event, error=exc.errors))
            continue
        change = Change(label, event, added=sorted(set(new) - set(old)), removed=sorted(set(old) - set(new)),
                        names=names)
        for pid in sorted(set(old) & set(new)):
            for key in WHAT:
                a, b = old[pid].get(key, ""), new[pid].get(key, "")
                if a != b:
                    change.details.append((pid, key, a, b))
        if change.added or change.removed or change.details:
            changes.append(change)
    return compared, changes
