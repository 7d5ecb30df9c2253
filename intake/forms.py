"""Form definitions of the online procedures: loading, checks, JSON Schema, and the small rules
(conditional display, fee quantity, date relations, normalisation) the views and the API share.

    forms = load_forms(city)                       # dict: procedure id -> Form; KnowledgeError lists
    form = forms["juminhyo_utsushi"]               #   every problem as file:line: field: message
    to_json_schema(form)                           # JSON Schema 2020-12 of the ``fields`` object
    required_fields(form, values)                  # what must be filled, given the values so far

The format is documented in ``intake.forms_schema``. Plain Python: no Flask here.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from core.japanese_text import normalize_digits, normalize_kana
from core.words import N_, Message
from intake.forms_schema import (
    ADDRESS_PARTS,
    AUTOCOMPLETE_TOKENS,
    CHOICE_TYPES,
    DATE_TYPES,
    KANA_PATTERN,
    MEDIA_TYPES,
    PHONE_PATTERN,
    POSTAL_CODE_PATTERN,
    PREFECTURES,
    RESERVED_IDS,
    RESERVED_SECTIONS,
    Choice,
    Field,
    FormFile,
    Section,
    applicant_section,
    finish_section,
    fiscal_year_choices,
    principal_section,
)
from knowledge.loader import PACKS_DIR, KnowledgeBase, default_pack_name, load_pack
from knowledge.schema import Fee, Procedure, Text
from knowledge.yamlfile import KnowledgeError, YamlDoc, read_yaml

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
DEFAULT_MAX_LENGTH = {"text": 200, "kana": 100, "email": 254}
MULTILINE_MAX_LENGTH = 2000
SCALAR_TYPES = ("text", "kana", "date", "wareki_date", "select", "radio", "checkbox", "number",
                "postal_code", "phone", "email")
_FIELD_ATTRS = {  # attribute -> the types that take it
    "max_length": ("text", "kana", "address"),
    "multiline": ("text",),
    "pattern": ("text",),
    "normalize": ("text",),
    "choices": CHOICE_TYPES,
    "fiscal_years": CHOICE_TYPES,
    "min": ("number",), "max": ("number",), "decimals": ("number",), "unit": ("number",),
    "min_days": DATE_TYPES, "max_days": DATE_TYPES,
    "file": ("file",),
    "fields": ("repeat",), "min_items": ("repeat",), "max_items": ("repeat",),
}


# Format keys added after form versions were first recorded, with their defaults: left out of the
# version's JSON while at the default (Form.version).
LATER_KEYS: tuple[tuple[tuple[str, ...], Any], ...] = (
    (("review", "department"), None),
    (("signature",), {"match": None}),
)


@dataclass(frozen=True)
class Form:
    """A validated form with its standard sections in place: one ``Section`` per page."""

    definition: FormFile
    procedure: Procedure
    sections: tuple[Section, ...]
    fields: dict[str, Field]  # top-level fields by id, in page order
    section_of: dict[str, str]  # field id -> section id
    path: Path | None = None
    doc: YamlDoc | None = field(default=None, compare=False, repr=False)

    @property
    def id(self) -> str:
        return self.definition.id

    @property
    def title(self) -> Text:
        return self.definition.title

    def section(self, sid: str) -> Section:
        return next(s for s in self.sections if s.id == sid)

    @property
    def department(self) -> str:
        """The department whose staff see and decide this form's applications: ``review.department``,
        else the procedure's own."""
        return self.definition.review.department or self.procedure.department

    @property
    def signature_items(self) -> tuple[str, ...] | None:
        """The 基本4情報 the signing certificate is compared with (``signature.match``; None: every
        item the form asks, intake.identity.compare)."""
        return self.definition.signature_items

    @cached_property
    def version(self) -> str:
        """The form definition's version: ``sha256:`` and the SHA-256 of its canonical JSON (the
        same definition always gives the same version, any change another). Each application
        records the version its answers were entered with, and signs it. Keys added to the format
        after versions were first recorded (``LATER_KEYS``) count only when set, so a form whose
        file did not change keeps its version."""
        data = self.definition.model_dump(mode="json")
        for path, default in LATER_KEYS:
            *parents, key = path
            node = data
            for part in parents:
                node = node.get(part) or {}
            if key in node and node[key] == default:
                del node[key]
        canonical = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# --- loading ------------------------------------------------------------------------------


def forms_dir(name: str | None = None, packs_dir: Path = PACKS_DIR) -> Path:
    return packs_dir / (name or default_pack_name()) / "forms"


def load_forms(name: str | None = None, packs_dir: Path = PACKS_DIR, kb: KnowledgeBase | None = None) -> dict[str, Form]:
    """Every ``forms/*.yaml`` of the pack, validated and checked against the pack's procedures."""
    name = name or default_pack_name()  # MUNICIPALITY's pack
    kb = kb or load_pack(name, packs_dir)
    directory = kb.directory / "forms"  # the version the pack was loaded from (a published one, or the files)
    problems: list[str] = []
    forms: dict[str, Form] = {}
    for path in sorted(directory.glob("*.yaml")):
        try:
            doc = read_yaml(path)
        except KnowledgeError as exc:
            problems.extend(exc.problems)
            continue
        try:
            definition = FormFile.model_validate(doc.data)
        except ValidationError as exc:
            problems.extend(_pydantic_problem(doc, err) for err in exc.errors())
            continue
        found = check_form(definition, doc, kb, path.stem)
        if found:
            problems.extend(found)
            continue
        forms[definition.id] = build_form(definition, kb, path=path, doc=doc)
    for pid, proc in sorted(kb.procedures.items()):
        if proc.online and pid not in forms and not (directory / f"{pid}.yaml").exists():
            problems.append(f"{directory / (pid + '.yaml')}:1: (file): procedure '{pid}' is online: true "
                            "but has no form file")
    if problems:
        raise KnowledgeError(problems)
    return forms


def _pydantic_problem(doc: YamlDoc, err: Any) -> str:
    loc = tuple(err["loc"])
    message = err["msg"]
    # name the field or section the error is in, when it has an id
    for n in range(len(loc), 0, -1):
        node = _at(doc.data, loc[:n])
        if isinstance(node, dict) and isinstance(node.get("id"), str) and n < len(loc):
            message = f"{message} (in '{node['id']}')"
            break
    return doc.problem(loc, message, err["type"], err.get("ctx"))  # the type: worded for curators


def _at(data: Any, loc: tuple) -> Any:
    for key in loc:
        try:
            data = data[key]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def build_form(definition: FormFile, kb: KnowledgeBase, path: Path | None = None, doc: YamlDoc | None = None) -> Form:
    counters: dict[str, Text] = {}
    if definition.delivery:
        counters = {cid: kb.counters[cid][1].name for cid in definition.delivery.counters if cid in kb.counters}
    sections = [applicant_section(definition)]
    if definition.proxy_allowed:
        sections.append(principal_section(definition))
    sections += definition.sections
    finish = finish_section(definition, counters)
    if finish:
        sections.append(finish)
    fields = {f.id: f for s in sections for f in s.fields}
    section_of = {f.id: s.id for s in sections for f in s.fields}
    return Form(definition=definition, procedure=kb.procedures[definition.id], sections=tuple(sections),
                fields=fields, section_of=section_of, path=path, doc=doc)


# --- checks -------------------------------------------------------------------------------


def check_form(form: FormFile, doc: YamlDoc, kb: KnowledgeBase, stem: str) -> list[str]:
    """What the schema alone cannot see: ids, references, type-specific attributes, the pack."""
    problems: list[str] = []

    def bad(loc: tuple, message: str) -> None:
        problems.append(doc.problem(loc, message))

    if form.id != stem:
        bad(("id",), f"the id must match the file name '{stem}'")
    proc = kb.procedures.get(form.id)
    if proc is None:
        bad(("id",), f"unknown procedure '{form.id}' (no procedures/{form.id}.yaml in the pack)")
    elif not proc.online:
        bad(("id",), f"procedure '{form.id}' is not online: true in the pack")

    # the order fields appear in, standard sections included: show_if looks backwards only
    seen: dict[str, Field] = {f.id: f for f in applicant_section(form).fields}
    if form.proxy_allowed:
        seen.update({f.id: f for f in principal_section(form).fields})
        values = {c.value for c in applicant_section(form).fields[-1].choices or []}
        if len(values) != len(form.proxy.roles) + 2:  # type: ignore[union-attr]
            bad(("proxy", "roles"), "a role repeats 'self', 'proxy' or another role")
    elif form.proxy and form.proxy.roles:
        bad(("proxy", "roles"), "roles need allowed: true")
    section_ids: set[str] = set()
    for si, section in enumerate(form.sections):
        sloc = ("sections", si)
        if section.id in RESERVED_SECTIONS or section.id in section_ids:
            bad(sloc + ("id",), f"section id '{section.id}' is used twice or reserved")
        section_ids.add(section.id)
        if section.show_if:
            _check_condition(section.show_if, seen, sloc + ("show_if",), bad)
        for fi, fld in enumerate(section.fields):
            floc = sloc + ("fields", fi)
            if fld.id in RESERVED_IDS:
                bad(floc + ("id",), f"field id '{fld.id}' is reserved for the standard sections")
            elif fld.id in seen:
                bad(floc + ("id",), f"field id '{fld.id}' is used twice")
            _check_field(fld, floc, seen, bad, top_level=True)
            seen[fld.id] = fld

    finish = finish_section(form, {c: Text(ja=c, en=c) for c in (form.delivery.counters if form.delivery else [])})
    all_fields = dict(seen) | ({f.id: f for f in finish.fields} if finish else {})
    if form.purpose:
        _unique_choices(form.purpose.choices, ("purpose", "choices"), bad, reserved=("other",))
    if form.delivery:
        d = form.delivery
        if len(set(d.options)) != len(d.options):
            bad(("delivery", "options"), "an option is listed twice")
        if "counter" in d.options and not d.counters:
            bad(("delivery", "counters"), "pick-up at a counter needs the counters offered")
        if d.counters and "counter" not in d.options:
            bad(("delivery", "counters"), "counters are only for the 'counter' option")
        for i, cid in enumerate(d.counters):
            if cid not in kb.counters:
                bad(("delivery", "counters", i), f"unknown counter '{cid}' (see departments.yaml)")
    if form.fee:
        for i, fid in enumerate(form.fee.copies_fields):
            loc = ("fee", "copies_field") + ((i,) if isinstance(form.fee.copies_field, list) else ())
            f = all_fields.get(fid)
            if f is None:
                bad(loc, f"unknown field '{fid}'")
            elif f.type != "number" or f.decimals or f.min is None or f.min < 0:
                bad(loc, f"'{fid}' must be a whole number field with min 0 or more")
        if form.fee.per_choice_field:
            f = all_fields.get(form.fee.per_choice_field)
            if f is None or not f.is_multiple:
                bad(("fee", "per_choice_field"), f"'{form.fee.per_choice_field}' must be a checkbox field with choices")
    for i, rule in enumerate(form.date_rules):
        for key in ("start", "end"):
            fid = getattr(rule, key)
            if fid not in all_fields or all_fields[fid].type not in DATE_TYPES:
                bad(("date_rules", i, key), f"'{fid}' is not a date field of this form")
    if form.review.department is not None and form.review.department not in kb.departments:
        bad(("review", "department"), f"unknown department '{form.review.department}' (see departments.yaml)")
    for i, item in enumerate(form.signature.match or []):
        if item in (form.signature.match or [])[:i]:
            bad(("signature", "match", i), f"'{item}' is listed twice")
        elif item == "sex" and not form.applicant.sex:
            bad(("signature", "match", i), "'sex' needs applicant.sex: true (the form does not ask 性別)")
    return problems


def _check_field(fld: Field, loc: tuple, seen: Mapping[str, Field], bad, top_level: bool) -> None:
    for attr, types in _FIELD_ATTRS.items():
        value = getattr(fld, attr)
        if value is not None and value is not False and value != "none" and not (attr == "decimals" and value == 0):
            if fld.type not in types:
                bad(loc + (attr,), f"'{attr}' is not for a {fld.type} field")
    if fld.type in CHOICE_TYPES:
        if fld.choices and fld.fiscal_years:
            bad(loc + ("choices",), "give choices or fiscal_years, not both")
        elif fld.type != "checkbox" and not (fld.choices or fld.fiscal_years):
            bad(loc + ("choices",), f"a {fld.type} field needs choices (or fiscal_years)")
        if fld.choices:
            _unique_choices(fld.choices, loc + ("choices",), bad)
    if fld.type == "file" and fld.file is None:
        bad(loc + ("type",), "a file field needs 'file' rules (types, max_bytes, max_count)")
    if fld.type == "repeat":
        if not fld.fields:
            bad(loc + ("type",), "a repeat field needs 'fields'")
        else:
            sub: dict[str, Field] = {}
            for i, child in enumerate(fld.fields):
                cloc = loc + ("fields", i)
                if child.type not in SCALAR_TYPES:
                    bad(cloc + ("type",), f"a {child.type} field cannot be inside a repeat")
                if child.id in sub:
                    bad(cloc + ("id",), f"field id '{child.id}' is used twice")
                _check_field(child, cloc, sub, bad, top_level=False)
                sub[child.id] = child
        if fld.min_items is not None and fld.max_items is not None and fld.min_items > fld.max_items:
            bad(loc + ("min_items",), "min_items is more than max_items")
    if fld.type == "number" and fld.min is not None and fld.max is not None and fld.min > fld.max:
        bad(loc + ("min",), "min is more than max")
    if fld.type in DATE_TYPES and fld.min_days is not None and fld.max_days is not None and fld.min_days > fld.max_days:
        bad(loc + ("min_days",), "min_days is after max_days")
    if fld.pattern is not None:
        try:
            re.compile(fld.pattern)
        except re.error as exc:
            bad(loc + ("pattern",), f"not a regular expression: {exc}")
    if fld.autocomplete is not None:
        if fld.autocomplete not in AUTOCOMPLETE_TOKENS:
            bad(loc + ("autocomplete",), f"unknown autocomplete token '{fld.autocomplete}'")
        elif fld.type == "address" and fld.autocomplete != "off":
            bad(loc + ("autocomplete",), "an address takes only 'off' (its parts have their own tokens)")
    if fld.default is not None and not _default_fits(fld):
        bad(loc + ("default",), f"the default does not fit a {fld.type} field")
    if fld.show_if:
        _check_condition(fld.show_if, seen, loc + ("show_if",), bad)


def _default_fits(fld: Field) -> bool:
    d = fld.default
    if fld.type in ("select", "radio"):
        return isinstance(d, str) and (fld.fiscal_years is not None or d in fld.static_values())
    if fld.type == "checkbox":
        if fld.is_boolean:
            return isinstance(d, bool)
        return isinstance(d, list) and all(v in fld.static_values() for v in d)
    if fld.type == "number":
        if isinstance(d, bool) or not isinstance(d, int | float):
            return False
        return (fld.min is None or d >= fld.min) and (fld.max is None or d <= fld.max)
    return isinstance(d, str) and fld.type not in ("file", "repeat", "address")


def _check_condition(cond: Mapping[str, Any], seen: Mapping[str, Field], loc: tuple, bad) -> None:
    for key, want in cond.items():
        ctl = seen.get(key)
        if ctl is None:
            bad(loc + (key,), f"'{key}' is not a field before this one")
            continue
        if ctl.is_boolean:
            if want is not True:
                bad(loc + (key,), f"'{key}' is a single checkbox: the condition can only be true")
            continue
        if ctl.type not in CHOICE_TYPES:
            bad(loc + (key,), f"'{key}' is a {ctl.type} field: conditions need a select, radio or checkbox")
            continue
        if ctl.fiscal_years:
            bad(loc + (key,), f"'{key}' has computed choices: it cannot control other fields")
            continue
        wants = want if isinstance(want, list) else [want]
        for w in wants:
            if w not in ctl.static_values():
                bad(loc + (key,), f"'{w}' is not a choice of '{key}' ({', '.join(ctl.static_values())})")


def _unique_choices(choices: list[Choice], loc: tuple, bad, reserved: Iterable[str] = ()) -> None:
    seen: set[str] = set(reserved)
    for i, c in enumerate(choices):
        if c.value in seen:
            bad(loc + (i, "value"), f"choice '{c.value}' is used twice or reserved")
        seen.add(c.value)


# --- conditional display ------------------------------------------------------------------


def conditions(form: Form, field_id: str) -> dict[str, list[Any]]:
    """Everything that must hold for a top-level field to be shown: its own ``show_if``, its
    section's, and (transitively) those of the fields they depend on: {controller: any of these
    values}. Two conditions on one controller are intersected."""
    out: dict[str, list[Any]] = {}
    todo = [field_id]
    done: set[str] = set()
    while todo:
        fid = todo.pop()
        if fid in done:
            continue
        done.add(fid)
        section = form.section(form.section_of[fid])
        for cond in (section.show_if, form.fields[fid].show_if):
            for key, want in (cond or {}).items():
                wants = want if isinstance(want, list) else [want]
                out[key] = [w for w in out[key] if w in wants] if key in out else list(wants)
                todo.append(key)
    return out


def _holds(wants: list[Any], value: Any) -> bool:
    """A checkbox's list of values holds when any of them is wanted."""
    if isinstance(value, list):
        return any(v in wants for v in value)
    return value in wants


def _shown_in(fields: Mapping[str, Field], fid: str, values: Mapping[str, Any]) -> bool:
    """Within one record of a repeat: the field's show_if holds and its controllers are shown."""
    for key, want in (fields[fid].show_if or {}).items():
        if not (_holds(want if isinstance(want, list) else [want], values.get(key)) and _shown_in(fields, key, values)):
            return False
    return True


def is_shown(form: Form, field_id: str, values: Mapping[str, Any]) -> bool:
    return all(_holds(wants, values.get(key)) for key, wants in conditions(form, field_id).items())


def section_shown(form: Form, section_id: str, values: Mapping[str, Any]) -> bool:
    """A page is skipped when its ``show_if`` does not hold (or its controllers are hidden)."""
    for key, want in (form.section(section_id).show_if or {}).items():
        wants = want if isinstance(want, list) else [want]
        if not (_holds(wants, values.get(key)) and is_shown(form, key, values)):
            return False
    return True


def shown_fields(form: Form, values: Mapping[str, Any]) -> list[str]:
    return [fid for fid in form.fields if is_shown(form, fid, values)]


def required_fields(form: Form, values: Mapping[str, Any]) -> list[str]:
    """The top-level fields that must have a value, given the values (hidden ones never must)."""
    return [fid for fid in shown_fields(form, values) if form.fields[fid].required]


def item_required_fields(repeat: Field, item: Mapping[str, Any]) -> list[str]:
    """The same, for one record of a repeat field."""
    subs = {f.id: f for f in repeat.fields or []}
    return [f.id for f in repeat.fields or [] if f.required and _shown_in(subs, f.id, item)]


def choices_of(fld: Field, today: dt.date | None = None) -> list[Choice]:
    if fld.fiscal_years:
        return fiscal_year_choices(fld.fiscal_years, today or dt.date.today())
    return list(fld.choices or [])


# --- fees and dates -----------------------------------------------------------------------


def fee_quantity(form: Form, values: Mapping[str, Any]) -> int:
    """Copies (the sum of the shown copies fields) × the choices ticked in ``per_choice_field``."""
    fee = form.definition.fee
    if fee is None:
        return 1
    copies = 1
    if fee.copies_fields:
        copies = sum(int(values.get(fid) or 0) for fid in fee.copies_fields if is_shown(form, fid, values))
    per = 1
    if fee.per_choice_field and is_shown(form, fee.per_choice_field, values):
        per = len(values.get(fee.per_choice_field) or [])
    return copies * per


def unit_fee(procedure: Procedure, on: dt.date, channel: str = "online") -> Fee | None:
    """The fee in force on ``on`` for the channel (a channel-specific fee wins over ``any``)."""
    valid = [f for f in procedure.fees if f.valid_from <= on and (f.valid_to is None or on <= f.valid_to)]
    for wanted in (channel, "any"):
        matching = [f for f in valid if f.channel == wanted]
        if matching:
            return max(matching, key=lambda f: f.valid_from)
    return None


def fee_total(form: Form, values: Mapping[str, Any], on: dt.date) -> int:
    """The online fee in yen; LookupError when the pack has fees but none for online on that day
    (never a silent 0: 戸籍 certificates had a counter fee only before the online one)."""
    if not form.procedure.fees:
        return 0
    fee = unit_fee(form.procedure, on)
    if fee is None:
        raise LookupError(f"procedure '{form.id}' has no online fee in force on {on.isoformat()}")
    return fee.amount_yen * fee_quantity(form, values)


DATE_NOT_BEFORE = N_("%(end)sは、%(start)s以降の日にしてください。")
DATE_DAYS_AFTER = N_("%(end)sは、%(start)sより%(days)d日以上あとの日にしてください。")
DATE_AT_MOST = N_("%(start)sから%(end)sまでは、%(days)d日以内にしてください。")


def date_problems(form: Form, values: Mapping[str, Any]) -> dict[str, Text | Message]:
    """The broken ``date_rules`` (by the ``end`` field), for shown fields with ISO date values: the
    rule's own message from the pack, else ours with the fields' labels (``.get(locale)`` either way)."""
    out: dict[str, Text | Message] = {}
    for rule in form.definition.date_rules:
        if not (is_shown(form, rule.start, values) and is_shown(form, rule.end, values)):
            continue
        try:
            start = dt.date.fromisoformat(str(values.get(rule.start)))
            end = dt.date.fromisoformat(str(values.get(rule.end)))
        except ValueError:
            continue
        a, b = form.fields[rule.start].label, form.fields[rule.end].label
        if (end - start).days < rule.min_gap_days:
            out[rule.end] = rule.message or (
                Message(DATE_NOT_BEFORE, start=a, end=b) if rule.min_gap_days == 0
                else Message(DATE_DAYS_AFTER, start=a, end=b, days=rule.min_gap_days))
        elif rule.max_days is not None and (end - start).days + 1 > rule.max_days:
            out[rule.end] = rule.message or Message(DATE_AT_MOST, start=a, end=b, days=rule.max_days)
    return out


# --- normalisation ------------------------------------------------------------------------

def normalize(fld: Field, raw: Any) -> Any:
    """A submitted value as stored; None for an empty one. Kanji names are never NFKC'd."""
    if raw is None:
        return None
    if isinstance(raw, str):
        if fld.type == "text":
            text = raw.strip()
            if fld.normalize != "none":
                text = unicodedata.normalize("NFKC", text)
            if fld.normalize == "nfkc_upper":
                text = text.upper()
            return text or None
        if fld.type == "kana":
            return normalize_kana(raw) or None
        if fld.type in ("phone", "postal_code"):
            return normalize_digits(raw) or None
        if fld.type == "email":
            return unicodedata.normalize("NFKC", raw).strip() or None
        if fld.type == "number":
            text = unicodedata.normalize("NFKC", raw).replace(",", "").strip()
            if not text:
                return None
            try:
                return int(text) if not fld.decimals else float(text)
            except ValueError:
                return text  # left for validation to reject
        return raw.strip() or None
    if fld.type == "address" and isinstance(raw, Mapping):
        out = {k: (normalize_digits(v) if k == "postal_code" else v.strip()) for k, v in raw.items()
               if isinstance(v, str) and v.strip()}
        return out or None
    return raw


# --- JSON Schema --------------------------------------------------------------------------


def to_json_schema(form: Form, locale: str = "ja", today: dt.date | None = None) -> dict:
    """The ``fields`` object of an application as JSON Schema 2020-12.

    Values are the normalised ones (``normalize``); an empty value is left out, not sent as "".
    A field hidden by ``show_if`` is never required; its value, if sent, is ignored by the server.
    Relative date bounds (``min_days``), ``date_rules`` and file contents are checked by the
    server, not here.
    """
    today = today or dt.date.today()
    props: dict[str, Any] = {}
    for fid, fld in form.fields.items():
        props[fid] = _field_schema(fld, locale, today)
    always = [fid for fid, f in form.fields.items() if f.required and not conditions(form, fid)]
    groups: dict[tuple, list[str]] = {}
    for fid, f in form.fields.items():
        conds = conditions(form, fid)
        if f.required and conds:
            key = tuple(sorted((k, tuple(v)) for k, v in conds.items()))
            groups.setdefault(key, []).append(fid)
    schema: dict[str, Any] = {
        "$schema": JSON_SCHEMA_DIALECT,
        "title": form.title.get(locale),
        "type": "object",
        "properties": props,
        "required": always,
        "additionalProperties": False,
    }
    rules = [_conditional(form.fields, dict(key), fids) for key, fids in groups.items()]
    if rules:
        schema["allOf"] = rules
    return schema


def _conditional(fields: Mapping[str, Field], conds: Mapping[str, tuple], then_required: list[str]) -> dict:
    tests: dict[str, Any] = {}
    for key, wants in conds.items():
        ctl = fields[key]
        if ctl.is_boolean:
            tests[key] = {"const": True}
        elif ctl.is_multiple:
            tests[key] = {"type": "array", "contains": {"enum": list(wants)}}
        else:
            tests[key] = {"const": wants[0]} if len(wants) == 1 else {"enum": list(wants)}
    return {"if": {"properties": tests, "required": sorted(conds)}, "then": {"required": then_required}}


def _field_schema(fld: Field, locale: str, today: dt.date) -> dict:
    s: dict[str, Any] = {"title": fld.label.get(locale)}
    if fld.hint:
        s["description"] = fld.hint.get(locale)
    t = fld.type
    if t in ("text", "kana"):
        s |= {"type": "string", "minLength": 1, "maxLength": _max_length(fld)}
        if t == "kana":
            s["pattern"] = KANA_PATTERN
        elif fld.pattern:
            s["pattern"] = fld.pattern
    elif t in DATE_TYPES:
        s |= {"type": "string", "format": "date"}
    elif t in ("select", "radio"):
        s |= {"type": "string", "enum": [c.value for c in choices_of(fld, today)]}
    elif t == "checkbox":
        if fld.is_boolean:
            s["type"] = "boolean"
            if fld.required:  # a required single checkbox (e.g. 同意する) must be ticked
                s["const"] = True
        else:
            s |= {"type": "array", "items": {"enum": [c.value for c in choices_of(fld, today)]},
                  "uniqueItems": True, "minItems": 1}
    elif t == "number":
        s["type"] = "number" if fld.decimals else "integer"
        if fld.min is not None:
            s["minimum"] = _num(fld.min)
        if fld.max is not None:
            s["maximum"] = _num(fld.max)
    elif t == "postal_code":
        s |= {"type": "string", "pattern": POSTAL_CODE_PATTERN}
    elif t == "phone":
        s |= {"type": "string", "pattern": PHONE_PATTERN}
    elif t == "email":
        s |= {"type": "string", "format": "email", "maxLength": DEFAULT_MAX_LENGTH["email"]}
    elif t == "address":
        s |= _address_schema(fld, locale)
    elif t == "file":
        assert fld.file is not None
        s |= {"type": "array", "minItems": 1, "maxItems": fld.file.max_count, "items": {
            "type": "object", "additionalProperties": False, "required": ["name", "kind", "size", "sha256"],
            "properties": {
                "name": {"type": "string", "pattern": "^[0-9a-f]{16,64}$"},
                "kind": {"enum": list(fld.file.types)},
                "size": {"type": "integer", "minimum": 1, "maximum": fld.file.max_bytes},
                "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
            }}}
        s["x-media-types"] = [MEDIA_TYPES[k] for k in fld.file.types]
    elif t == "repeat":
        subs = {f.id: f for f in fld.fields or []}
        item: dict[str, Any] = {
            "type": "object", "additionalProperties": False,
            "properties": {f.id: _field_schema(f, locale, today) for f in fld.fields or []},
            "required": [f.id for f in fld.fields or [] if f.required and not f.show_if],
        }
        rules = [_conditional(subs, _item_conditions(subs, f.id), [f.id])
                 for f in fld.fields or [] if f.required and f.show_if]
        if rules:
            item["allOf"] = rules
        s |= {"type": "array", "items": item, "minItems": max(fld.min_items or 1, 1)}
        if fld.max_items:
            s["maxItems"] = fld.max_items
    if fld.default is not None:
        s["default"] = fld.default
    if t == "wareki_date":
        s["x-input"] = "wareki"
    return s


def _item_conditions(subs: Mapping[str, Field], fid: str) -> dict[str, list[Any]]:
    """``conditions`` within one record of a repeat."""
    out: dict[str, list[Any]] = {}
    for key, want in (subs[fid].show_if or {}).items():
        out[key] = want if isinstance(want, list) else [want]
        for k, v in _item_conditions(subs, key).items():
            out[k] = [w for w in out[k] if w in v] if k in out else v
    return out


def _address_schema(fld: Field, locale: str) -> dict:
    props: dict[str, Any] = {}
    for key, _token, label, max_length in ADDRESS_PARTS:
        part: dict[str, Any] = {"title": label.get(locale), "type": "string", "minLength": 1, "maxLength": max_length}
        if key == "postal_code":
            part["pattern"] = POSTAL_CODE_PATTERN
            part.pop("maxLength")
        elif key == "prefecture":
            part = {"title": label.get(locale), "enum": list(PREFECTURES)}
        elif key in ("street", "building") and fld.max_length:
            part["maxLength"] = min(fld.max_length, max_length)
        props[key] = part
    return {"type": "object", "additionalProperties": False, "properties": props,
            "required": ["postal_code", "prefecture", "city", "street"]}


def _max_length(fld: Field) -> int:
    if fld.max_length:
        return fld.max_length
    return MULTILINE_MAX_LENGTH if fld.multiline else DEFAULT_MAX_LENGTH[fld.type]


def _num(x: float) -> int | float:
    return int(x) if float(x).is_integer() else x


def form_problems(kb: KnowledgeBase) -> list[str]:
    """The problems of the pack's forms (schema and checks against its procedures): what a
    curator's version must be free of before it is published (staff/content.py)."""
    try:
        load_forms(kb.directory.name, kb.directory.parent, kb=kb)
    except KnowledgeError as exc:
        return list(exc.problems)
    return []
