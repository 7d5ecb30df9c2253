"""The form editor's operations on one online form (``forms/<procedure_id>.yaml`` of a curator's
draft, format: intake/forms_schema.py): create one for a procedure of the pack (or from a copy of
another form), add, rename, move and remove sections, add fields from a palette, edit, move and
remove them, conditions between fields, the fee and review settings.

Plain Python (no Flask): every operation takes the form as loaded from its YAML (a dict) and
returns a changed copy, or raises ``FormEditError`` with its input errors (Messages, read in the
page's language, each naming the form field it belongs beside). The views (staff/form_views.py)
then write the file into the draft and run the same checks as ``flask knowledge check``
(intake.forms.load_forms against the draft's pack) before anything is kept.
"""
from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

import yaml

from core.languages import CODES
from core.words import N_, Message, Msgid, text
from intake.forms_schema import (
    CHOICE_PATTERN,
    CHOICE_TYPES,
    DATE_TYPES,
    MAPS_TO_PATTERN,
    MAX_UPLOAD_BYTES,
    MEDIA_TYPES,
    RESERVED_IDS,
    RESERVED_SECTIONS,
    SIGNATURE_ITEMS,
)
from knowledge import yaml_edit
from knowledge.schema import ID_PATTERN

Form = dict[str, Any]
Errors = list[dict[str, Any]]  # {"field_id": …, "message": Message}
ID = re.compile(ID_PATTERN)
CHOICE_VALUE = re.compile(CHOICE_PATTERN)
MAPS_TO = re.compile(MAPS_TO_PATTERN)
REQUIRED_LANGUAGES = ("ja", "en")
PAYMENTS = ("at_submission", "after_review")
FILE_KINDS = tuple(MEDIA_TYPES)
CONDITION_KEYS = ("show_if",)
MAX_CHOICES = 50
MAX_FIELDS = 200


class FormEditError(ValueError):
    """Input an operation refuses: ``errors`` beside the fields, ``status`` the answer's code."""

    def __init__(self, errors: Errors, status: int = 400) -> None:
        super().__init__("; ".join(str(e["message"].msgid) for e in errors))
        self.errors = errors
        self.status = status


def _refuse(field_id: str, msgid: Msgid, status: int = 400, **variables: Any) -> FormEditError:
    return FormEditError([{"field_id": field_id, "message": Message(msgid, **variables)}], status)


def pack_text(msgid: Msgid, **variables: Any) -> dict[str, str]:
    """A default label as a pack Text: the catalogs' words in the two languages a Text needs."""
    return {code: text(code, msgid, **variables) for code in REQUIRED_LANGUAGES}


# --- reading and writing the file -------------------------------------------------------------


def load(source: str | None) -> Form | None:
    """The form of a file, or None when it does not read as a form (edit it as text instead)."""
    try:
        data = yaml.safe_load(source or "")
    except yaml.YAMLError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("sections"), list) or not all(
            isinstance(s, dict) and isinstance(s.get("fields"), list) for s in data["sections"]):
        return None
    return data


class _Dumper(yaml.SafeDumper):
    pass


class _Flow(dict):
    pass


_Dumper.add_representer(_Flow, lambda dumper, value: dumper.represent_mapping(
    "tag:yaml.org,2002:map", value.items(), flow_style=True))


def _flowed(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) <= set(CODES) and value and all(isinstance(v, str) and len(v) < 40 for v in value.values()):
            return _Flow(value)  # a short Text on one line: {ja: 通数, en: Copies}
        return {k: _Flow(v) if k in CONDITION_KEYS and isinstance(v, dict) else _flowed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_flowed(v) for v in value]
    return value


def dump(form: Form) -> str:
    """The form as the pack writes its forms: keys in their order, short texts and conditions on one line."""
    head = "# Made on the staff console's form editor (format: intake/forms_schema.py).\n"
    return head + yaml.dump(_flowed(form), Dumper=_Dumper, allow_unicode=True, sort_keys=False,
                            default_flow_style=False, width=100)


def write(saved: str, form: Form) -> str:
    """The file with ``form``: only what changed is rewritten (comments, layout and moved pages and
    fields keep their lines, knowledge/yaml_edit.py); a layout it cannot follow is written whole."""
    old = load(saved)
    if old is None:
        return dump(form)
    old_sections = {s.get("id"): n for n, s in enumerate(sections(old))}
    origins: dict[tuple, list[int | None]] = {("sections",): [old_sections.get(s.get("id")) for s in sections(form)]}
    for n, section in enumerate(sections(form)):
        before = old_sections.get(section.get("id"))
        olds = {f.get("id"): m for m, f in enumerate(sections(old)[before]["fields"])} if before is not None else {}
        origins[("sections", n, "fields")] = [olds.get(f.get("id")) for f in section["fields"]]
    try:
        out = yaml_edit.update(saved, (), form, flow=CONDITION_KEYS, origins=origins)
    except yaml_edit.EditError:
        return dump(form)
    return out if yaml.safe_load(out) == form else dump(form)


# --- finding things -------------------------------------------------------------------------


def sections(form: Form) -> list[dict[str, Any]]:
    return form["sections"]


def field_ids(form: Form) -> list[str]:
    """Every field id of the form's own sections, in page order (a repeat's sub-fields apart)."""
    return [f.get("id") for s in sections(form) for f in s["fields"] if isinstance(f, dict)]


def find_section(form: Form, section_id: str) -> int:
    for n, section in enumerate(sections(form)):
        if section.get("id") == section_id:
            return n
    raise _refuse("section", N_("その区分はこのフォームにありません。"), 404)


def find_field(form: Form, field_id: str) -> tuple[int, int]:
    for si, section in enumerate(sections(form)):
        for fi, fld in enumerate(section["fields"]):
            if isinstance(fld, dict) and fld.get("id") == field_id:
                return si, fi
    raise _refuse("field", N_("その項目はこのフォームにありません。"), 404)


def field_of(form: Form, field_id: str) -> dict[str, Any]:
    si, fi = find_field(form, field_id)
    return sections(form)[si]["fields"][fi]


def _taken(form: Form) -> set[str]:
    return set(field_ids(form)) | set(RESERVED_IDS)


def free_id(form: Form, base: str) -> str:
    """``base``, or ``base_2``, ``base_3`` … the first that no field of the form uses."""
    taken = _taken(form)
    if base not in taken:
        return base
    n = 2
    while f"{base}_{n}" in taken:
        n += 1
    return f"{base}_{n}"


def _new_id(form: Form, posted: str, base: str, field_id: str = "field_id") -> str:
    wanted = posted.strip()
    if not wanted:
        return free_id(form, base)
    if not ID.match(wanted) or len(wanted) > 40:
        raise _refuse(field_id, N_("id は英小文字・数字・「_」で書き、英小文字で始めてください（40文字まで）。"))
    if wanted in _taken(form):
        raise _refuse(field_id, N_("id「%(id)s」はこのフォームでもう使われています。ほかの id にしてください。"),
                      409, id=wanted)
    return wanted


def is_choice(fld: Mapping[str, Any]) -> bool:
    """A field that may control others: a select, radio or checkbox with its own choices, or a single checkbox."""
    return fld.get("type") in CHOICE_TYPES and not fld.get("fiscal_years")


def controllers_before(form: Form, *, field_id: str | None = None, section_id: str | None = None) -> list[dict[str, Any]]:
    """The choice fields a condition of this field (or section) may name: those on earlier pages,
    and for a field those above it on its page."""
    out: list[dict[str, Any]] = []
    for section in sections(form):
        if section_id is not None and section.get("id") == section_id:
            return out
        for fld in section["fields"]:
            if field_id is not None and fld.get("id") == field_id:
                return out
            if is_choice(fld):
                out.append(fld)
    return out


def uses_of(form: Form, field_id: str) -> list[str]:
    """Where the form names a field: conditions of other fields and sections, fee, date rules."""
    found = []
    for section in sections(form):
        if field_id in (section.get("show_if") or {}):
            found.append(str(section.get("id")))
        for fld in section["fields"]:
            if field_id in (fld.get("show_if") or {}):
                found.append(str(fld.get("id")))
    fee = form.get("fee") or {}
    copies = fee.get("copies_field")
    if field_id in ([copies] if isinstance(copies, str) else copies or []) or fee.get("per_choice_field") == field_id:
        found.append("fee")
    for rule in form.get("date_rules") or []:
        if field_id in (rule.get("start"), rule.get("end")):
            found.append("date_rules")
    return found


def text_in(value: Any, lang: str) -> str:
    """A pack Text's words in ``lang`` (else Japanese, else any), for the editor's lists."""
    if isinstance(value, Mapping):
        return str(value.get(lang) or value.get("ja") or next(iter(value.values()), ""))
    return str(value or "")


def set_online(procedure_text: str) -> str:
    """The procedure's file with ``online: true`` (only that line changes)."""
    try:
        return yaml_edit.replace(procedure_text, ("online",), True)
    except yaml_edit.EditError:
        raise _refuse("procedure", N_("この手続きのファイルは読み取れないため、フォームを作れません。"), 409) from None


# --- a new form -------------------------------------------------------------------------------


def new_form(procedure_id: str, procedure: Mapping[str, Any]) -> Form:
    """A form for a procedure of the pack: its name as the title, one page with one text field."""
    name = procedure.get("name") if isinstance(procedure.get("name"), Mapping) else {}
    title = {code: name[code] for code in CODES if isinstance(name.get(code), str)} or pack_text(N_("申請の内容"))
    return {
        "id": procedure_id,
        "title": title,
        "sections": [{"id": "details", "title": pack_text(N_("申請の内容")),
                      "fields": [palette_fields("text", "details_text")[0]]}],
    }


def copy_form(source: Form, procedure_id: str, procedure: Mapping[str, Any]) -> Form:
    """Another form's pages and settings for a new procedure (its own id and title)."""
    out = copy.deepcopy(source)
    out["id"] = procedure_id
    out["title"] = new_form(procedure_id, procedure)["title"]
    return out


# --- the palette ------------------------------------------------------------------------------

PALETTE: dict[str, Msgid] = {
    "name_kana": N_("氏名とフリガナ"),
    "wareki_date": N_("生年月日（和暦も入力できる）"),
    "address": N_("住所（郵便番号から検索）"),
    "phone": N_("電話番号"),
    "email": N_("メールアドレス"),
    "text": N_("文字の入力"),
    "select": N_("選択肢（一覧から選ぶ）"),
    "radio": N_("選択肢（ひとつ選ぶ）"),
    "checkbox": N_("選択肢（いくつでも選ぶ）"),
    "number": N_("数・通数"),
    "date": N_("日付"),
    "attachment": N_("添付ファイル"),
    "consent": N_("同意のチェック"),
}
DEFAULT_FILE = {"types": ["pdf", "jpeg", "png"], "max_bytes": 5 * 2**20, "max_count": 1}


def _choices() -> list[dict[str, Any]]:
    return [{"value": "a", "label": pack_text(N_("選択肢%(n)s"), n=1)},
            {"value": "b", "label": pack_text(N_("選択肢%(n)s"), n=2)}]


def palette_fields(kind: str, base: str) -> list[dict[str, Any]]:
    """The field(s) a palette entry adds, with sensible defaults; ``base`` is the id (name and
    kana make four fields: ``<base>_family_name`` …)."""
    if kind == "name_kana":
        return [
            {"id": f"{base}_family_name", "type": "text", "label": pack_text(N_("姓")), "max_length": 50},
            {"id": f"{base}_given_name", "type": "text", "label": pack_text(N_("名")), "max_length": 50},
            {"id": f"{base}_family_kana", "type": "kana", "label": pack_text(N_("姓（フリガナ）")), "max_length": 50},
            {"id": f"{base}_given_kana", "type": "kana", "label": pack_text(N_("名（フリガナ）")), "max_length": 50},
        ]
    one: dict[str, Any] = {"id": base}
    if kind == "wareki_date":
        one |= {"type": "wareki_date", "label": pack_text(N_("生年月日")), "max_days": 0,
                "hint": pack_text(N_("例：1985-04-01 または 昭和60年4月1日"))}
    elif kind == "address":
        one |= {"type": "address", "label": pack_text(N_("住所")), "autocomplete": "off"}
    elif kind == "phone":
        one |= {"type": "phone", "label": pack_text(N_("電話番号"))}
    elif kind == "email":
        one |= {"type": "email", "label": pack_text(N_("メールアドレス"))}
    elif kind == "text":
        one |= {"type": "text", "label": pack_text(N_("申請の内容")), "max_length": 200}
    elif kind in CHOICE_TYPES:
        one |= {"type": kind, "label": pack_text(PALETTE[kind]), "choices": _choices()}
    elif kind == "number":  # copies, children, floors, weeks…: the curator writes the label and the unit
        one |= {"type": "number", "label": pack_text(N_("数")), "min": 1, "max": 10, "default": 1}
    elif kind == "date":
        one |= {"type": "date", "label": pack_text(N_("日付"))}
    elif kind == "attachment":
        one |= {"type": "file", "label": pack_text(N_("添付ファイル")), "file": dict(DEFAULT_FILE)}
    elif kind == "consent":
        one |= {"type": "checkbox", "label": pack_text(N_("上の内容を確かめ、同意します"))}
    else:
        raise _refuse("kind", N_("部品を一覧から選んでください。"))
    return [one]


BASE_IDS = {"name_kana": "person", "wareki_date": "birth_date", "attachment": "attachment", "consent": "consent"}


def add_field(form: Form, section_id: str, kind: str, wanted_id: str = "") -> tuple[Form, str]:
    """A palette entry at the end of a section; returns the form and the (first) new field's id."""
    out = copy.deepcopy(form)
    section = sections(out)[find_section(out, section_id)]
    if kind not in PALETTE:
        raise _refuse("kind", N_("部品を一覧から選んでください。"))
    if len(field_ids(out)) >= MAX_FIELDS:
        raise _refuse("kind", N_("項目が多すぎます。"), 409)
    base = _new_id(out, wanted_id, BASE_IDS.get(kind, kind))
    new = palette_fields(kind, base)
    clash = [f["id"] for f in new if f["id"] in _taken(out)]
    if clash:
        raise _refuse("field_id", N_("id「%(id)s」はこのフォームでもう使われています。ほかの id にしてください。"),
                      409, id=clash[0])
    section["fields"].extend(new)
    return out, new[0]["id"]


# --- sections ---------------------------------------------------------------------------------


def read_text(posted: Mapping[str, str], name: str, errors: Errors, *, required: bool = True,
              old: Any = None) -> dict[str, str] | None:
    """A pack Text from ``<name>-<code>`` fields (ja and en needed together); the other languages
    of the old text stay while its Japanese is unchanged."""
    values = {code: str(posted.get(f"{name}-{code}", "")).strip()[:500] for code in CODES}
    if not any(values.values()) and not required:
        return None
    for code in REQUIRED_LANGUAGES:
        if not values[code]:
            errors.append({"field_id": f"{name}-{code}",
                           "message": Message(N_("日本語と英語の両方で入れてください。"))})
            break
    out = {code: values[code] for code in CODES if values[code]}
    if isinstance(old, Mapping) and old.get("ja") == values["ja"]:
        for code in CODES:
            if code not in out and old.get(code):
                out[code] = old[code]
    return out


def _raise(errors: Errors) -> None:
    if errors:
        raise FormEditError(errors)


def add_section(form: Form, posted: Mapping[str, str]) -> tuple[Form, str]:
    """A new page at the end, with its first field from the palette (a page is never empty)."""
    out = copy.deepcopy(form)
    errors: Errors = []
    title = read_text(posted, "new_title", errors)
    wanted = str(posted.get("new_section", "")).strip()
    taken = {s.get("id") for s in sections(out)} | set(RESERVED_SECTIONS)
    if not wanted or not ID.match(wanted) or len(wanted) > 40:
        errors.append({"field_id": "new_section", "message": Message(N_(
            "id は英小文字・数字・「_」で書き、英小文字で始めてください（40文字まで）。"))})
    elif wanted in taken:
        errors.append({"field_id": "new_section", "message": Message(N_(
            "id「%(id)s」はこのフォームでもう使われています。ほかの id にしてください。"), id=wanted)})
    _raise(errors)
    out["sections"].append({"id": wanted, "title": title, "fields": []})
    try:
        out, _first = add_field(out, wanted, str(posted.get("new_kind", "")), "")
    except FormEditError:
        raise _refuse("new_kind", N_("部品を一覧から選んでください。")) from None
    return out, wanted


def edit_section(form: Form, section_id: str, posted: Mapping[str, str]) -> Form:
    out = copy.deepcopy(form)
    section = sections(out)[find_section(out, section_id)]
    errors: Errors = []
    section["title"] = read_text(posted, "title", errors, old=section.get("title"))
    intro = read_text(posted, "intro", errors, required=False, old=section.get("intro"))
    _raise(errors)
    if intro:
        section["intro"] = intro
    else:
        section.pop("intro", None)
    return out


def remove_section(form: Form, section_id: str) -> Form:
    out = copy.deepcopy(form)
    n = find_section(out, section_id)
    if len(sections(out)) == 1:
        raise _refuse("section", N_("フォームには区分が1つ以上必要です。"), 409)
    for fld in sections(out)[n]["fields"]:
        used = [u for u in uses_of(out, fld.get("id")) if u not in {f.get("id") for f in sections(out)[n]["fields"]}]
        if used:
            raise _refuse("section", N_("この区分の「%(id)s」は「%(uses)s」で使われています。先にそちらを変えてください。"),
                          409, id=fld.get("id"), uses="、".join(used))
    del out["sections"][n]
    return out


def move_section(form: Form, section_id: str, direction: str) -> Form:
    out = copy.deepcopy(form)
    n = find_section(out, section_id)
    m = n - 1 if direction == "up" else n + 1 if direction == "down" else -1
    if not 0 <= m < len(sections(out)):
        raise _refuse("section", N_("これ以上は動かせません。"))
    out["sections"][n], out["sections"][m] = out["sections"][m], out["sections"][n]
    return out


# --- fields -----------------------------------------------------------------------------------


def move_field(form: Form, field_id: str, direction: str) -> Form:
    """Up or down one place; past the top or bottom of its page it goes to the page before or after."""
    out = copy.deepcopy(form)
    si, fi = find_field(out, field_id)
    fields = sections(out)[si]["fields"]
    if direction == "up" and fi > 0:
        fields[fi - 1], fields[fi] = fields[fi], fields[fi - 1]
    elif direction == "down" and fi < len(fields) - 1:
        fields[fi + 1], fields[fi] = fields[fi], fields[fi + 1]
    elif direction == "up" and si > 0 and len(fields) > 1:
        sections(out)[si - 1]["fields"].append(fields.pop(fi))
    elif direction == "down" and si < len(sections(out)) - 1 and len(fields) > 1:
        sections(out)[si + 1]["fields"].insert(0, fields.pop(fi))
    else:
        raise _refuse("field", N_("これ以上は動かせません。"))
    return out


def remove_field(form: Form, field_id: str) -> Form:
    out = copy.deepcopy(form)
    si, fi = find_field(out, field_id)
    used = uses_of(out, field_id)
    if used:
        raise _refuse("field", N_("「%(id)s」は「%(uses)s」で使われています。先にそちらを変えてください。"),
                      409, id=field_id, uses="、".join(used))
    if len(sections(out)[si]["fields"]) == 1:
        raise _refuse("field", N_("区分には項目が1つ以上必要です。区分ごと削除してください。"), 409)
    del sections(out)[si]["fields"][fi]
    return out


def _number(posted: Mapping[str, str], name: str, errors: Errors, *, whole: bool = True,
            low: float | None = None, high: float | None = None) -> int | float | None:
    raw = str(posted.get(name, "")).strip()
    if not raw:
        return None
    try:
        value: int | float = int(raw) if whole else float(raw)
    except ValueError:
        errors.append({"field_id": name, "message": Message(N_("半角の数で入れてください。"))})
        return None
    if (low is not None and value < low) or (high is not None and value > high):
        errors.append({"field_id": name, "message": Message(N_("%(low)s から %(high)s までの数にしてください。"),
                                                            low=low, high=high)})
        return None
    return int(value) if float(value).is_integer() else value


def choice_lines(choices: Any) -> str:
    """Choices as the form shows them: one per line, 「値 | 日本語 | English」."""
    lines = []
    for c in choices or []:
        if isinstance(c, Mapping):
            label = c.get("label") if isinstance(c.get("label"), Mapping) else {}
            lines.append(" | ".join([str(c.get("value", "")), str(label.get("ja", "")), str(label.get("en", ""))]))
    return "\n".join(lines)


def read_choices(raw: str, old: Any, errors: Errors) -> list[dict[str, Any]]:
    olds = {c.get("value"): c for c in old or [] if isinstance(c, Mapping)}
    out: list[dict[str, Any]] = []
    for n, line in enumerate(row for row in raw.replace("\r\n", "\n").split("\n") if row.strip()):
        parts = [p.strip() for p in line.split("|")]
        if len(parts) != 3 or not all(parts):
            errors.append({"field_id": "choices", "message": Message(N_(
                "%(n)s行目：「値 | 日本語 | English」のように3つを「|」で区切って書いてください。"), n=n + 1)})
            return out
        value, ja, en = parts
        if not CHOICE_VALUE.match(value) or len(value) > 40:
            errors.append({"field_id": "choices", "message": Message(N_(
                "%(n)s行目：値は英小文字・数字・「_」で書いてください。"), n=n + 1)})
            return out
        if value in {c["value"] for c in out}:
            errors.append({"field_id": "choices", "message": Message(N_(
                "%(n)s行目：値「%(value)s」が重なっています。"), n=n + 1, value=value)})
            return out
        before = olds.get(value) or {}
        label = dict(before.get("label") or {}) if before.get("label", {}).get("ja") == ja else {}
        label.update(zip(REQUIRED_LANGUAGES, (ja[:200], en[:200]), strict=True))  # the pack's own words, as typed
        choice = {"value": value, "label": label}
        if before.get("hint"):
            choice["hint"] = before["hint"]
        out.append(choice)
    if not out or len(out) > MAX_CHOICES:
        errors.append({"field_id": "choices", "message": Message(N_("選択肢を1つから%(n)s個まで書いてください。"),
                                                                 n=MAX_CHOICES)})
    return out


def _set(fld: dict[str, Any], key: str, value: Any) -> None:
    if value is None or value is False or value == "" or value == []:
        fld.pop(key, None)
    else:
        fld[key] = value


def edit_field(form: Form, field_id: str, posted: Mapping[str, str], file_types: list[str] | None = None) -> Form:
    """Label, hint, required, and what the field's type takes: choices, bounds, file rules,
    length, ``maps_to``. ``file_types``: the ticked file kinds (a multi-valued form field)."""
    out = copy.deepcopy(form)
    fld = field_of(out, field_id)
    kind = fld.get("type")
    errors: Errors = []
    fld["label"] = read_text(posted, "label", errors, old=fld.get("label"))
    _set(fld, "hint", read_text(posted, "hint", errors, required=False, old=fld.get("hint")))
    fld["required"] = posted.get("required") == "yes"
    if fld["required"]:
        del fld["required"]  # the default: written only when false
    maps_to = str(posted.get("maps_to", "")).strip()
    if maps_to and not MAPS_TO.match(maps_to):
        errors.append({"field_id": "maps_to", "message": Message(N_(
            "標準の項目は kihon:申請者.氏名.姓 のように「kihon:」か「pittari:」で始めて書いてください。"))})
    _set(fld, "maps_to", maps_to)
    if kind in ("text", "kana"):
        _set(fld, "max_length", _number(posted, "max_length", errors, low=1, high=4000))
    if kind == "text":
        _set(fld, "multiline", posted.get("multiline") == "yes")
    if kind in CHOICE_TYPES and not fld.get("fiscal_years"):
        raw = str(posted.get("choices", ""))[:10000]
        if kind == "checkbox" and not raw.strip():
            fld.pop("choices", None)  # a single checkbox: ticked or not (a consent)
        else:
            fld["choices"] = read_choices(raw, fld.get("choices"), errors)
        if fld.get("default") is not None and not _default_still_fits(fld):
            fld.pop("default")
    if kind == "number":
        low = _number(posted, "min", errors, whole=False)
        high = _number(posted, "max", errors, whole=False)
        if low is not None and high is not None and low > high:
            errors.append({"field_id": "min", "message": Message(N_("いちばん小さい数が、いちばん大きい数より大きくなっています。"))})
        _set(fld, "min", low)
        _set(fld, "max", high)
        _set(fld, "unit", read_text(posted, "unit", errors, required=False, old=fld.get("unit")))
        default = fld.get("default")
        if isinstance(default, int | float) and ((low is not None and default < low) or (high is not None and default > high)):
            fld.pop("default")
    if kind in DATE_TYPES:
        low = _number(posted, "min_days", errors, low=-36500, high=36500)
        high = _number(posted, "max_days", errors, low=-36500, high=36500)
        if low is not None and high is not None and low > high:
            errors.append({"field_id": "min_days", "message": Message(N_("いちばん前の日が、いちばんあとの日よりあとになっています。"))})
        _set(fld, "min_days", low)
        _set(fld, "max_days", high)
    if kind == "file":
        types = [t for t in FILE_KINDS if t in (file_types or [])]
        if not types:
            errors.append({"field_id": "file_types", "message": Message(N_("受け付けるファイルの種類を1つ以上選んでください。"))})
        max_mb = _number(posted, "max_mb", errors, whole=False, low=0.1, high=MAX_UPLOAD_BYTES / 2**20)
        count = _number(posted, "max_count", errors, low=1, high=10)
        rules = dict(fld.get("file") or DEFAULT_FILE)
        rules["types"] = types or rules.get("types")
        if max_mb is not None:
            rules["max_bytes"] = int(max_mb * 2**20)
        if count is not None:
            rules["max_count"] = count
        fld["file"] = rules
    _raise(errors)
    return out


def _default_still_fits(fld: Mapping[str, Any]) -> bool:
    values = {c["value"] for c in fld.get("choices") or []}
    default = fld.get("default")
    if isinstance(default, list):
        return all(v in values for v in default)
    return isinstance(default, str) and default in values


# --- conditions -------------------------------------------------------------------------------


def set_condition(form: Form, posted: Mapping[str, str], *, field_id: str | None = None,
                  section_id: str | None = None) -> Form:
    """``show_if`` of a field or a section: one earlier choice field and one of its values
    (``controller`` empty: always shown). A later field, or a field that is not a choice, is refused."""
    out = copy.deepcopy(form)
    target = field_of(out, field_id) if field_id else sections(out)[find_section(out, section_id or "")]
    controller, _sep, value = str(posted.get("condition", "")).strip().partition("=")
    if not controller:
        target.pop("show_if", None)
        return out
    allowed = {f["id"]: f for f in controllers_before(out, field_id=field_id, section_id=section_id)}
    if controller not in allowed:
        raise _refuse("condition", N_(
            "条件には、この項目より前にある選択肢の項目を選んでください。"), 400)
    ctl = allowed[controller]
    wanted: Any = value
    if ctl.get("type") == "checkbox" and not ctl.get("choices"):
        wanted = True
    elif value not in {c.get("value") for c in ctl.get("choices") or []}:
        raise _refuse("condition", N_("「%(id)s」の選択肢から値を選んでください。"), id=controller)
    target["show_if"] = {controller: wanted}
    return out


def condition_choices(controllers: list[dict[str, Any]], lang: str) -> list[tuple[str, str, str]]:
    """The conditions a field or section may take: (``<controller>=<value>``, the controller's
    label, the value's label), one per choice of each earlier choice field."""
    out = []
    for fld in controllers:
        label = text_in(fld.get("label"), lang)
        if fld.get("type") == "checkbox" and not fld.get("choices"):
            out.append((f"{fld['id']}=true", label, "✓"))
        for c in fld.get("choices") or []:
            out.append((f"{fld['id']}={c.get('value')}", label, text_in(c.get("label"), lang)))
    return out


# --- fee and review ---------------------------------------------------------------------------


def set_fee(form: Form, posted: Mapping[str, str]) -> Form:
    """Which number field holds the copies, which checkbox multiplies them, when the resident pays.
    The amounts are the procedure's ``fees`` (with ``valid_from``), edited on the procedure's file."""
    out = copy.deepcopy(form)
    fields = {f["id"]: f for s in sections(out) for f in s["fields"]}
    copies = str(posted.get("copies_field", "")).strip()
    per_choice = str(posted.get("per_choice_field", "")).strip()
    payment = str(posted.get("payment", "at_submission"))
    errors: Errors = []
    if copies and (fields.get(copies, {}).get("type") != "number"):
        errors.append({"field_id": "copies_field", "message": Message(N_("通数には、数の項目を選んでください。"))})
    if per_choice and not (fields.get(per_choice, {}).get("type") == "checkbox"
                           and (fields[per_choice].get("choices") or fields[per_choice].get("fiscal_years"))):
        errors.append({"field_id": "per_choice_field", "message": Message(N_("選んだ数だけ掛ける項目には、選択肢（いくつでも選ぶ）の項目を選んでください。"))})
    if payment not in PAYMENTS:
        errors.append({"field_id": "payment", "message": Message(N_("支払いの時を選んでください。"))})
    _raise(errors)
    fee = dict(out.get("fee") or {})
    _set(fee, "copies_field", copies)
    _set(fee, "per_choice_field", per_choice)
    fee["payment"] = payment
    if copies and fields[copies].get("min") is None:
        fields[copies]["min"] = 1  # a count of copies starts at one (the check wants a lower bound)
    if not copies and not per_choice and payment == "at_submission":
        out.pop("fee", None)
    else:
        out["fee"] = fee
    return out


def signature_items(form: Form) -> tuple[str, ...]:
    """The 基本4情報 a signature can be compared on for this form: sex only where the form asks it."""
    asks_sex = bool((form.get("applicant") or {}).get("sex"))
    return tuple(i for i in SIGNATURE_ITEMS if i != "sex" or asks_sex)


def set_review(form: Form, posted: Mapping[str, str]) -> Form:
    """A second approver, the 標準処理期間 in open days with where the figure comes from, the
    department that reviews (empty: the procedure's own) and which of the 基本4情報 the signature's
    certificate must match (``match_<item>`` ticked; all of them: the default, written as nothing).
    Any other review setting of the file is kept as it is; the department's id is checked against
    the pack by the same check as the CLI's."""
    out = copy.deepcopy(form)
    errors: Errors = []
    days = _number(posted, "standard_processing_days", errors, low=1, high=365)
    source = str(posted.get("standard_processing_source", "")).strip()
    if len(source) > 300:
        errors.append({"field_id": "standard_processing_source", "message": Message(N_("300文字までにしてください。"))})
    department = str(posted.get("department", "")).strip()
    if department and not re.fullmatch(ID_PATTERN, department):
        errors.append({"field_id": "department", "message": Message(N_("審査する課を一覧から選んでください。"))})
    offered = signature_items(form)
    match = [i for i in offered if posted.get(f"match_{i}") == "yes"]
    if not match:
        errors.append({"field_id": "match", "message": Message(N_("電子証明書と照らし合わせる項目を1つ以上選んでください。"))})
    _raise(errors)
    review = dict(out.get("review") or {})
    _set(review, "second_approver", posted.get("second_approver") == "yes")
    _set(review, "standard_processing_days", days)
    _set(review, "standard_processing_source", source)
    _set(review, "department", department)
    if review:
        out["review"] = review
    else:
        out.pop("review", None)
    signature = dict(out.get("signature") or {})
    _set(signature, "match", None if len(match) == len(offered) else match)
    if signature:
        out["signature"] = signature
    else:
        out.pop("signature", None)
    return out


# --- where a check's problem belongs ----------------------------------------------------------


def place_of(form: Form, loc: tuple) -> tuple[str, str]:
    """(kind, id) a problem at ``loc`` (a path in the file) is shown beside: ("field", id),
    ("section", id), ("fee", ""), ("review", "") or ("form", "")."""
    if len(loc) >= 2 and loc[0] == "sections" and isinstance(loc[1], int) and loc[1] < len(sections(form)):
        section = sections(form)[loc[1]]
        if len(loc) >= 4 and loc[2] == "fields" and isinstance(loc[3], int) and loc[3] < len(section["fields"]):
            return "field", str(section["fields"][loc[3]].get("id"))
        return "section", str(section.get("id"))
    if loc and loc[0] in ("fee", "review"):
        return str(loc[0]), ""
    return "form", ""
