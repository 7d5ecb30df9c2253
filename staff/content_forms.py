"""The console's forms for the common fields of the pack (beside the YAML editor): a procedure's
deadline and its things to bring, a counter of departments.yaml. Each reads what was posted into
the pack's own shape, with its input errors; knowledge/yaml_edit.py then rewrites only that block
of the draft's file, and the draft goes through the same check as any edit.

Plain Python (no Flask): errors are Messages (core.words), read in the page's language. A text
of the pack (``Text``: ja and en, and optionally easy, zh, ko, vi, pt) is posted as
``<field>-<code>``; the other languages of a text are kept while its Japanese is unchanged.
"""
from __future__ import annotations

import re
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from core.languages import CODES
from core.words import N_, Message
from knowledge.schema import ID_PATTERN, DeadlineKind

DEADLINE_KINDS: tuple[str, ...] = typing.get_args(DeadlineKind)
NO_AMOUNT = ("none", "child_allowance", "on_day")
KIND_NAMES = {
    "days": N_("日数（days）"), "koseki_days": N_("日数・戸籍法の数え方（koseki_days）"),
    "months": N_("月数（months）"), "koseki_months": N_("月数・戸籍法の数え方（koseki_months）"),
    "child_allowance": N_("児童手当の15日特例（child_allowance）"), "on_day": N_("その日のうち（on_day）"),
    "none": N_("期限なし（none）"),
}
PER_NAMES = {"procedure": N_("手続きに1つ"), "member": N_("人ごとに1つ")}
REQUIRED = ("ja", "en")  # a Text needs these; the others are optional
OPTIONAL = tuple(code for code in CODES if code not in REQUIRED)
START = re.compile(r"^(event_date|(facts|deceased)\.[a-z0-9_]+)$")
START_LINE = re.compile(rb"^\s+start:\s*((?:event_date|(?:facts|deceased)\.[a-z0-9_]+))\s*$", re.M)
PHONE = re.compile(r"^[0-9()\-+ ]{4,30}$")
MAX_ROWS = 100
Errors = list[dict[str, Any]]  # {"field_id": …, "message": Message}


def _error(errors: Errors, field_id: str, msgid: str, **variables: Any) -> None:
    errors.append({"field_id": field_id, "message": Message(msgid, **variables)})


def load(text: str | None) -> Any:
    try:
        return yaml.safe_load(text or "")
    except yaml.YAMLError:
        return None


# --- the catalogue of ids: the pick-lists ------------------------------------------------------


@dataclass
class Catalogue:
    """The ids a form may name, from a version's files, each with its name in the page's language."""

    items: list[tuple[str, str]] = field(default_factory=list)  # bring.yaml
    departments: list[tuple[str, str]] = field(default_factory=list)
    counters: list[tuple[str, str, str]] = field(default_factory=list)  # (id, name, department id)
    procedures: list[tuple[str, str]] = field(default_factory=list)
    questions: list[tuple[str, str]] = field(default_factory=list)
    starts: list[str] = field(default_factory=list)  # the day counting starts from, as used

    def item_ids(self) -> set[str]:
        return {i for i, _ in self.items}


def _name(value: Any, lang: str) -> str:
    if isinstance(value, Mapping):
        return str(value.get(lang) or next(iter(value.values()), ""))
    return str(value or "")


def catalogue(files: Mapping[str, bytes], lang: str, *, procedures: bool = False) -> Catalogue:
    """The pick-lists; ``procedures``: read every procedure file too (their ids and names)."""
    out = Catalogue()
    bring = load(files.get("bring.yaml", b"").decode("utf-8", "replace"))
    for item in (bring or {}).get("items") or [] if isinstance(bring, dict) else []:
        if isinstance(item, dict) and item.get("id"):
            out.items.append((str(item["id"]), _name(item.get("name"), lang)))
    deps = load(files.get("departments.yaml", b"").decode("utf-8", "replace"))
    for dep in (deps or {}).get("departments") or [] if isinstance(deps, dict) else []:
        if not isinstance(dep, dict) or not dep.get("id"):
            continue
        out.departments.append((str(dep["id"]), _name(dep.get("name"), lang)))
        for counter in dep.get("counters") or []:
            if isinstance(counter, dict) and counter.get("id"):
                out.counters.append((str(counter["id"]), _name(counter.get("name"), lang), str(dep["id"])))
    questions = load(files.get("questions.yaml", b"").decode("utf-8", "replace"))
    for q in (questions or {}).get("questions") or [] if isinstance(questions, dict) else []:
        if isinstance(q, dict) and q.get("id"):
            out.questions.append((str(q["id"]), _name(q.get("text"), lang)))
    starts = {"event_date"}
    for path, data in sorted(files.items()):
        if not re.match(r"^procedures/[a-z0-9_]+\.yaml$", path):
            continue
        starts.update(m.decode() for m in START_LINE.findall(data))
        if not procedures:
            continue
        proc = load(data.decode("utf-8", "replace"))
        if isinstance(proc, dict) and proc.get("id"):
            out.procedures.append((str(proc["id"]), _name(proc.get("name"), lang)))
            deadline = proc.get("deadline")
            if isinstance(deadline, dict) and isinstance(deadline.get("start"), str):
                starts.add(deadline["start"])
    out.starts = sorted(starts)
    return out


# --- a Text of the pack -------------------------------------------------------------------------


def text_posted(form: Mapping[str, str], name: str) -> dict[str, str]:
    return {code: form.get(f"{name}-{code}", "").strip()[:500] for code in CODES}


def read_text(form: Mapping[str, str], name: str, old: Any, errors: Errors, *, required: bool = True,
              label: str = "") -> dict[str, str] | None:
    """A Text from ``<name>-<code>`` fields (ja and en needed together); None when left empty and
    not required. The old text's other languages stay while its Japanese is unchanged."""
    posted = text_posted(form, name)
    if not any(posted.values()) and not required:
        return None
    for code in REQUIRED:
        if not posted[code]:
            _error(errors, f"{name}-{code}", N_("「%(label)s」を日本語と英語の両方で入れてください。"), label=label)
            break
    out = {code: posted[code] for code in CODES if posted[code]}
    if isinstance(old, Mapping) and old.get(REQUIRED[0]) == posted[REQUIRED[0]]:
        for code in OPTIONAL:
            if code not in out and old.get(code):
                out[code] = old[code]
    return out


def text_values(value: Any) -> dict[str, str]:
    """A Text as the form shows it: {code: words}."""
    return {code: str(value.get(code) or "") for code in CODES} if isinstance(value, Mapping) else {}


# --- conditions (a rule's, a conditional deadline's, a thing to bring's) ----------------------------

CONDITION_KEYS = ("when", "member")  # written in braces on one line, as the pack writes them


def condition_text(value: Any) -> str:
    """A condition as its field shows it: 「{facts.by_proxy: true}」 (read back to the same value)."""
    if value is None:
        return ""
    return yaml.safe_dump(value, allow_unicode=True, sort_keys=False, default_flow_style=True, width=10**9).strip()


def _condition(form: Mapping[str, str], name: str, errors: Errors) -> dict[str, Any] | None:
    raw = form.get(name, "").strip()[:2000]
    if not raw:
        return None
    try:
        value = yaml.safe_load(raw)
    except yaml.YAMLError:
        value = None
    if not isinstance(value, dict) or not value:
        _error(errors, name, N_("条件は {facts.by_proxy: true} のように、「名前: 値」の組で書いてください。"))
        return None
    return value


T = typing.TypeVar("T")


def move(rows: list[T], action: str) -> list[T]:
    """「up:3」, 「down:3」, 「remove:3」 (any other action: as posted)."""
    verb, _sep, raw = action.partition(":")
    if not raw.isascii() or not raw.isdigit() or int(raw) >= len(rows):
        return rows
    n = int(raw)
    rows = list(rows)
    if verb == "remove":
        del rows[n]
    elif verb == "up" and n > 0:
        rows[n - 1], rows[n] = rows[n], rows[n - 1]
    elif verb == "down" and n < len(rows) - 1:
        rows[n + 1], rows[n] = rows[n], rows[n + 1]
    return rows


def _orig(form: Mapping[str, str], name: str, old: list[Any]) -> int | None:
    raw = form.get(name, "")
    return int(raw) if raw.isascii() and raw.isdigit() and int(raw) < len(old) else None


def _count(form: Mapping[str, str], name: str) -> int:
    raw = form.get(name, "0")
    return min(int(raw) if raw.isascii() and raw.isdigit() else 0, MAX_ROWS)


# --- a procedure's deadline and its conditional variants -----------------------------------------

TIMING = ("kind", "amount", "start", "start_offset_days")  # with ``text``: a deadline, and each variant


@dataclass
class VariantRow:
    """A conditional deadline (``variants``) as the form shows it: what was typed, and the index of
    the saved variant it comes from (its other languages and any other keys come from there)."""

    when: str
    kind: str
    amount: str
    start: str
    start_offset_days: str
    text: dict[str, str]
    orig: int | None

    def form(self, prefix: str) -> dict[str, str]:
        out = {f"{prefix}{k}": getattr(self, k) for k in (*TIMING, "when")}
        out.update({f"{prefix}text-{code}": words for code, words in self.text.items()})
        return out


def _timing_values(deadline: Mapping[str, Any]) -> dict[str, Any]:
    return {"kind": str(deadline.get("kind", "")), "amount": str(deadline.get("amount") or ""),
            "start": str(deadline.get("start") or "event_date"),
            "start_offset_days": str(deadline.get("start_offset_days") or "0"),
            "text": text_values(deadline.get("text"))}


def _variant_row(variant: Any, orig: int) -> VariantRow:
    variant = variant if isinstance(variant, dict) else {}
    return VariantRow(when=condition_text(variant.get("when")), orig=orig, **_timing_values(variant))


def deadline_values(deadline: Any) -> dict[str, Any]:
    """The deadline as the form shows it: its fields, and a VariantRow for each conditional one."""
    deadline = deadline if isinstance(deadline, dict) else {}
    variants = deadline.get("variants")
    rows = [_variant_row(v, n) for n, v in enumerate(variants if isinstance(variants, list) else [])]
    return {**_timing_values(deadline), "variants": rows}


def _posted_timing(form: Mapping[str, str], prefix: str) -> dict[str, Any]:
    out: dict[str, Any] = {k: form.get(f"{prefix}{k}", "").strip()[:100] for k in TIMING}
    out["text"] = text_posted(form, f"{prefix}text")
    return out


def posted_deadline(form: Mapping[str, str], old: Any) -> dict[str, Any]:
    """What was posted, as deadline_values shows it: the variants moved by ``action`` (up, down,
    remove), a new one added when its fields were filled in."""
    saved = old.get("variants") if isinstance(old, dict) else None
    saved = saved if isinstance(saved, list) else []
    rows = [VariantRow(when=form.get(f"v{n}-when", "").strip()[:2000], orig=_orig(form, f"v{n}-orig", saved),
                       **_posted_timing(form, f"v{n}-")) for n in range(_count(form, "variants"))]
    new = VariantRow(when=form.get("vnew-when", "").strip()[:2000], orig=None, **_posted_timing(form, "vnew-"))
    if new.when or new.kind or new.amount or any(new.text.values()):
        rows.append(new)
    return {**_posted_timing(form, ""), "variants": move(rows, form.get("action", "save"))}


def _read_timing(form: Mapping[str, str], prefix: str, old: Mapping[str, Any], errors: Errors) -> dict[str, Any]:
    """kind, amount, start, start_offset_days and text of a deadline or of one variant; a default
    written out in the file (start: event_date, start_offset_days: 0) stays written."""
    kind = form.get(f"{prefix}kind", "")
    amount = form.get(f"{prefix}amount", "").strip()
    start = form.get(f"{prefix}start", "").strip()[:100] or "event_date"
    offset = form.get(f"{prefix}start_offset_days", "").strip() or "0"
    if kind not in DEADLINE_KINDS:
        _error(errors, f"{prefix}kind", N_("期限の種類を選んでください。"))
    if kind in NO_AMOUNT:
        if amount:
            _error(errors, f"{prefix}amount", N_("この種類では、日数・月数は入れません。空にしてください。"))
    elif kind and (not amount.isascii() or not amount.isdigit() or not 1 <= int(amount) <= 3650):
        _error(errors, f"{prefix}amount", N_("日数・月数を 1 から 3650 までの整数で入れてください。"))
    if not START.match(start):
        _error(errors, f"{prefix}start",
               N_("数え始める日は event_date か、facts. または deceased. で始まる名前にしてください。"))
    if not offset.isascii() or not offset.isdigit() or int(offset) > 31:
        _error(errors, f"{prefix}start_offset_days", N_("足す日数を 0 から 31 までの整数で入れてください。"))
    words = read_text(form, f"{prefix}text", old.get("text"), errors, label=Message(N_("期限の説明")))
    new: dict[str, Any] = {"kind": kind}
    if kind not in NO_AMOUNT and amount.isascii() and amount.isdigit():
        new["amount"] = int(amount)
    if start != "event_date" or old.get("start") == "event_date":
        new["start"] = start
    if offset.isascii() and offset.isdigit() and (int(offset) or old.get("start_offset_days") == 0):
        new["start_offset_days"] = int(offset)
    new["text"] = words
    return new


def _kept(new: dict[str, Any], old: Mapping[str, Any], shown: tuple[str, ...]) -> dict[str, Any]:
    """``new`` and what the form does not show of ``old`` (kept as it was)."""
    return {**new, **{k: v for k, v in old.items() if k not in shown}}


def read_deadline(values: Mapping[str, Any], old: Any) -> tuple[dict[str, Any], Errors]:
    """The deadline from posted_deadline's values: the same keys as the saved one where the curator
    changed nothing (so yaml_edit.update leaves those lines as written)."""
    errors: Errors = []
    old = old if isinstance(old, dict) else {}
    main = {k: values[k] for k in TIMING}
    main.update({f"text-{code}": words for code, words in values["text"].items()})
    new = _read_timing(main, "", old, errors)
    saved = old.get("variants") if isinstance(old.get("variants"), list) else []
    variants = []
    for n, row in enumerate(values["variants"]):
        prefix = f"v{n}-"
        form = row.form(prefix)
        before = saved[row.orig] if row.orig is not None and isinstance(saved[row.orig], dict) else {}
        when = _condition(form, f"{prefix}when", errors)
        if when is None and not row.when:
            _error(errors, f"{prefix}when", N_("条件を入れてください。例：{facts.to_abroad: true}"))
        variant = {"when": when if when is not None else {}, **_read_timing(form, prefix, before, errors)}
        variants.append(_kept(variant, before, ("when", *TIMING, "text")))
    if variants or old.get("variants") == []:  # all removed: the key goes too
        new["variants"] = variants
    return _kept(new, old, (*TIMING, "text", "variants")), errors


# --- a procedure's things to bring --------------------------------------------------------------


@dataclass
class BringRow:
    item: str
    per: str
    note: dict[str, str]
    orig: int | None  # the index in the saved list: what the form does not show comes from there
    when: str = ""  # the household condition, as its field shows it
    member: str = ""  # which members bring one (with per: member)

    @property
    def conditional(self) -> bool:
        return bool(self.when or self.member)


def bring_rows(bring: Any) -> list[BringRow]:
    rows = []
    for n, entry in enumerate(bring if isinstance(bring, list) else []):
        if isinstance(entry, dict):
            rows.append(BringRow(str(entry.get("item", "")), str(entry.get("per", "procedure")),
                                 text_values(entry.get("note")), n, condition_text(entry.get("when")),
                                 condition_text(entry.get("member"))))
    return rows


def posted_bring_rows(form: Mapping[str, str], old: list[Any]) -> list[BringRow]:
    """The rows as posted; a condition field that was not posted at all keeps the saved condition."""
    rows = []
    for n in range(_count(form, "rows")):
        orig = _orig(form, f"orig-{n}", old)
        before = old[orig] if orig is not None and isinstance(old[orig], dict) else {}
        conditions = {k: form[f"{k}-{n}"].strip()[:2000] if f"{k}-{n}" in form else condition_text(before.get(k))
                      for k in CONDITION_KEYS}
        rows.append(BringRow(form.get(f"item-{n}", "").strip()[:100], form.get(f"per-{n}", "procedure"),
                             text_posted(form, f"note-{n}"), orig, **conditions))
    new_item = form.get("item-new", "").strip()[:100]
    if new_item:
        rows.append(BringRow(new_item, form.get("per-new", "procedure"), text_posted(form, "note-new"), None,
                             form.get("when-new", "").strip()[:2000], form.get("member-new", "").strip()[:2000]))
    return rows


def read_bring(rows: list[BringRow], old: list[Any], known: set[str]) -> tuple[list[dict[str, Any]], Errors]:
    errors: Errors = []
    out = []
    for n, row in enumerate(rows):
        entry: dict[str, Any] = dict(old[row.orig]) if row.orig is not None and isinstance(old[row.orig], dict) else {}
        if not re.match(ID_PATTERN, row.item) or row.item not in known:
            _error(errors, f"item-{n}", N_("「%(id)s」は持ち物の一覧（bring.yaml）にありません。一覧から選んでください。"),
                   id=row.item or "—")
        for key in CONDITION_KEYS:
            value = _condition({f"{key}-{n}": getattr(row, key)}, f"{key}-{n}", errors)
            if value is None:
                entry.pop(key, None)
            else:
                entry[key] = value
        if row.per not in PER_NAMES:
            _error(errors, f"per-{n}", N_("いくつ持ってくるかを選んでください。"))
        elif row.per == "procedure" and entry.get("member") is not None:
            _error(errors, f"per-{n}", N_("人ごとの条件（member）があるため、「人ごとに1つ」のままにしてください。"))
        entry["item"] = row.item
        if row.per == "member" or entry.get("per") == row.per:  # a default written out stays written
            entry["per"] = row.per
        else:
            entry.pop("per", None)
        form = {f"note-{n}-{code}": words for code, words in row.note.items()}
        note = read_text(form, f"note-{n}", entry.get("note"), errors, required=False, label=Message(N_("注記")))
        if note is None:
            entry.pop("note", None)
        else:
            entry["note"] = note
        ordered = {k: entry[k] for k in ("item", "per", "when", "member", "note") if k in entry}
        ordered.update({k: v for k, v in entry.items() if k not in ordered})
        out.append(ordered)
    return out, errors


# --- a counter of departments.yaml --------------------------------------------------------------

COUNTER_TEXTS = (("name", True), ("building", False), ("hours", False), ("address", False))


def counter_values(counter: Any) -> dict[str, Any]:
    counter = counter if isinstance(counter, dict) else {}
    out: dict[str, Any] = {name: text_values(counter.get(name)) for name, _required in COUNTER_TEXTS}
    out.update({k: str(counter.get(k) or "") for k in ("id", "floor", "window", "phone")})
    return out


def find_counter(departments: Any, counter_id: str) -> tuple[int, int] | None:
    for n, dep in enumerate(departments if isinstance(departments, list) else []):
        for m, counter in enumerate((dep or {}).get("counters") or [] if isinstance(dep, dict) else []):
            if isinstance(counter, dict) and counter.get("id") == counter_id:
                return n, m
    return None


def read_counter(form: Mapping[str, str], old: Any, taken: set[str]) -> tuple[dict[str, Any], Errors]:
    errors: Errors = []
    old = dict(old) if isinstance(old, dict) else {}
    new = dict(old)
    if not old:
        counter_id = form.get("id", "").strip()[:60]
        if not re.match(ID_PATTERN, counter_id):
            _error(errors, "id", N_("窓口の id を、英小文字・数字・「_」で入れてください。例：shimin_madoguchi"))
        elif counter_id in taken:
            _error(errors, "id", N_("この id の窓口はすでにあります。別の id にしてください。"))
        new["id"] = counter_id
    labels = {"name": N_("窓口の名前"), "building": N_("建物"), "hours": N_("受付時間"), "address": N_("住所")}
    for name, required in COUNTER_TEXTS:
        value = read_text(form, name, old.get(name), errors, required=required, label=Message(labels[name]))
        if value is None:
            new.pop(name, None)
        else:
            new[name] = value
    for key in ("floor", "window"):
        value = form.get(key, "").strip()[:40]
        if value:
            new[key] = value
        else:
            new.pop(key, None)
    phone = form.get("phone", "").strip()[:40]
    if phone and not PHONE.match(phone):
        _error(errors, "phone", N_("電話番号は数字と「-」で入れてください。例：012-345-6789"))
    if phone:
        new["phone"] = phone
    else:
        new.pop("phone", None)
    order = ("id", "name", "stage", "verified", "building", "floor", "window", "address", "hours", "phone", "map_url")
    ordered = {k: new[k] for k in order if k in new}
    ordered.update({k: v for k, v in new.items() if k not in ordered})
    return ordered, errors


# --- a new procedure, a rule, a scenario: what a new curator adds -------------------------------


def procedure_starter(catalogue: Catalogue, today: str) -> str:
    """A new procedure file to fill in: every field the schema needs, the texts left empty (the
    check then names each one to write, in the reader's language)."""
    department, counter = "", ""
    if catalogue.counters:
        counter, _name, department = catalogue.counters[0]
    empty = {code: "" for code in REQUIRED}
    starter = {"id": "", "name": dict(empty), "description": dict(empty), "department": department,
               "counter": counter, "deadline": {"kind": "none", "text": dict(empty)}, "bring": [], "fees": [],
               "source_url": "", "verified_on": today, "verified": False}
    return yaml.safe_dump(starter, allow_unicode=True, sort_keys=False, default_flow_style=False)


def read_rule(form: Mapping[str, str], rules: Any, procedures: set[str]) -> tuple[dict[str, Any], Errors]:
    """A rule of rules/<event>.yaml: its id, the procedure it lists, its conditions (optional)."""
    errors: Errors = []
    rule_id = form.get("rule_id", "").strip()[:60]
    procedure = form.get("procedure", "").strip()[:60]
    taken = {r.get("id") for r in rules if isinstance(r, dict)} if isinstance(rules, list) else set()
    if not re.match(ID_PATTERN, rule_id):
        _error(errors, "rule_id", N_("ルールの id を、英小文字・数字・「_」で入れてください。例：tennyu"))
    elif rule_id in taken:
        _error(errors, "rule_id", N_("この id のルールはすでにあります。別の id にしてください。"))
    if procedure not in procedures:
        _error(errors, "procedure", N_("手続きを一覧から選んでください。"))
    rule: dict[str, Any] = {"id": rule_id, "procedure": procedure}
    for name in ("when", "member"):
        value = _condition(form, name, errors)
        if value is not None:
            rule[name] = value
    return rule, errors


def scenario_names(scenarios: Any) -> list[str]:
    return [str(s.get("name", "")) for s in scenarios if isinstance(s, dict)] if isinstance(scenarios, list) else []


def read_scenario(form: Mapping[str, str], scenarios: Any, procedures: set[str]) -> tuple[dict[str, Any], Errors]:
    """A scenario copied from one of the file's (its household and answers), with a new name and
    the procedure it must now list."""
    errors: Errors = []
    scenarios = scenarios if isinstance(scenarios, list) else []
    raw = form.get("copy", "")
    base = scenarios[int(raw)] if raw.isascii() and raw.isdigit() and int(raw) < len(scenarios) else None
    name = form.get("name", "").strip()[:200]
    include = form.get("include", "").strip()[:60]
    if not isinstance(base, dict):
        _error(errors, "copy", N_("もとにするシナリオを選んでください。"))
    if not name:
        _error(errors, "name", N_("シナリオの名前を入れてください。"))
    elif name in scenario_names(scenarios):
        _error(errors, "name", N_("同じ名前のシナリオがあります。別の名前にしてください。"))
    if include and include not in procedures:
        _error(errors, "include", N_("手続きを一覧から選んでください。"))
    scenario = dict(base) if isinstance(base, dict) else {}
    scenario["name"] = name
    expect = dict(scenario.get("expect") or {}) if isinstance(scenario.get("expect"), dict) else {}
    if include:
        expect["include"] = [*(p for p in expect.get("include") or [] if p != include), include]
        if isinstance(expect.get("exclude"), list):
            expect["exclude"] = [p for p in expect["exclude"] if p != include]
    scenario["expect"] = expect
    return {"name": name, **{k: v for k, v in scenario.items() if k != "name"}}, errors
