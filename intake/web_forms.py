"""WTForms forms built from the form definitions: one form class per section (one page each).

    page = section_form(form, "persons", request_data, locale="ja", today=today, store=store)
    if page.validate(answers_so_far):          # required-ness follows show_if with the page's own answers
        answers.update(page.values())          # normalised values (``intake.forms.normalize``)
    page.summary()                             # [{"field_id", "message"}] for the error summary

    page = section_form(form, "persons", to_formdata(form, "persons", stored_values), …)  # prefill

Every field keeps exactly what was typed (``raw``) so a page re-rendered with errors loses
nothing. Composite inputs read several names: a date ``<id>-era/-year/-month/-day``, an address
``<id>-postal_code/-prefecture/-city/-street/-building``, a repeat ``<id>-<row>-<sub id>``, a file
``<id>`` (new uploads) plus ``<id>-keep`` (names of files already attached). Uploads are handed to
the ``store`` callable (``intake.applications.store_upload`` in the views), so this module touches
no database.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict
from wtforms import Field as WTField
from wtforms import Form as WTForm

from core.city import example_phone, example_postcode
from core.errors import AppError
from core.japan_time import japanese_date
from core.postcode import lookup
from intake.forms import (
    DEFAULT_MAX_LENGTH,
    MULTILINE_MAX_LENGTH,
    Form,
    choices_of,
    date_problems,
    is_shown,
    item_required_fields,
    normalize,
)
from intake.forms_schema import ADDRESS_PARTS, KANA_PATTERN, PHONE_PATTERN, POSTAL_CODE_PATTERN, PREFECTURES, Field
from rules.wareki import ERAS, WarekiError, choose_era, parse_wareki, read_year_box, ymd_with_wareki

Store = Callable[[str, str, bytes], Any]  # (field id, file name, bytes) -> an attachment; raises
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
SEIREKI = "seireki"  # the era select's value for 西暦
ERA_CHOICES = ((SEIREKI, "西暦"),) + tuple((e.name, e.name) for e in ERAS)
MIN_YEAR = 1868


def _nfkc(text: str | None) -> str:
    return unicodedata.normalize("NFKC", text or "").strip()


def _label(spec: Field, locale: str) -> str:
    return spec.label.get(locale)


# --- dates ---------------------------------------------------------------------------------------

def parse_date_parts(era: str, year: str, month: str, day: str) -> dt.date | None:
    """A date from the three boxes (and the era select of a 和暦 field); None when all are empty.

    Accepted: 西暦 (1985 / 4 / 1), an era chosen in the select (昭和 60 / 4 / 1), an era typed in
    the year box (昭和60, S60, ｒ５, 平成元: rules.wareki.read_year_box), or the whole date typed in
    the year box (令和5年4月1日, 1985-04-01, S60.4.1). An era typed in the year box wins over the
    select only when they agree or the select still says 西暦 (rules.wareki.choose_era). ValueError
    (a WarekiError: its ``text(locale)``) says what is wrong."""
    box = read_year_box(year, month, day)
    if box.is_empty():
        return None
    chosen = _nfkc(era)
    if chosen == SEIREKI or (box.whole and not box.era):  # a whole western date in the year box is 西暦
        chosen = ""
    era = choose_era(box.era, chosen, _nfkc(year))
    if not (box.year and box.month and box.day):
        raise ValueError(_("年・月・日をすべて入力してください（例：1985年4月1日）。"))
    if era:
        return parse_wareki(era, box.year, box.month, box.day)
    return _gregorian(box.year, box.month, box.day)


def _gregorian(year: str, month: str, day: str) -> dt.date:
    if not (year.isdigit() and month.isdigit() and day.isdigit()):
        raise ValueError(_("年・月・日を数字で入力してください（例：1985年4月1日）。"))
    if len(year) != 4 or int(year) < MIN_YEAR:
        raise ValueError(_("年は西暦4桁で入力するか、元号を選んでください（例：1985 または 昭和60）。"))
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError:
        raise ValueError(_("その日付はありません。月と日を確かめてください。")) from None


def format_date(value: str | dt.date, *, wareki: bool = True) -> str:
    """2023-04-01 → 2023年4月1日（令和5年4月1日）."""
    d = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
    return ymd_with_wareki(d) if wareki else japanese_date(d)


# --- fields --------------------------------------------------------------------------------------

class SpecField(WTField):
    """A WTForms field that knows its definition (``spec``) and checks itself in Japanese."""

    def __init__(self, label=None, validators=None, *, spec: Field, locale: str = "ja",
                 today: dt.date | None = None, store: Store | None = None, **kwargs):
        super().__init__(label or spec.label.get(locale), validators, **kwargs)
        self.spec, self.locale, self.today, self.store = spec, locale, today or dt.date.today(), store
        self.errors: list[str] = []

    # what the page shows and what the error summary links to
    @property
    def anchor(self) -> str:
        return self.id

    @property
    def title(self) -> str:
        return _label(self.spec, self.locale)

    def is_empty(self) -> bool:
        return self.value() in (None, "", [], {})

    def value(self) -> Any:
        return self.data

    def check(self, required: bool) -> bool:
        """Fill ``errors``; True when there are none."""
        self.errors = list(self.process_errors)
        if self.errors:
            return False
        if self.is_empty():
            if required:
                self.errors.append(self.required_message())
            return not self.errors
        self.errors.extend(self.problems())
        return not self.errors

    def required_message(self) -> str:
        return _("%(label)sを入力してください。", label=self.title)

    def problems(self) -> list[str]:
        return []

    def summary(self) -> list[dict[str, str]]:
        return [{"field_id": self.anchor, "message": m} for m in self.errors]


class ScalarField(SpecField):
    """text, kana, number, postal code, phone, e-mail, select, radio: one value from one input."""

    def process_formdata(self, valuelist):
        self.raw = valuelist[0] if valuelist else ""
        self.data = normalize(self.spec, self.raw)

    def process(self, formdata, data=None, extra_filters=None):
        self.process_errors = []
        self.raw = ""
        self.data = None
        if formdata is not None:
            self.process_formdata(formdata.getlist(self.name))

    def _value(self) -> str:
        return self.raw

    def choices(self) -> list[dict[str, str]]:
        return [{"value": c.value, "label": c.label.get(self.locale),
                 **({"hint": c.hint.get(self.locale)} if c.hint else {})} for c in choices_of(self.spec, self.today)]

    def required_message(self) -> str:
        if self.spec.type in ("select", "radio"):
            return _("「%(label)s」を選んでください。", label=self.title)
        return super().required_message()

    def problems(self) -> list[str]:
        spec, value, label = self.spec, self.data, self.title
        t = spec.type
        if t in ("select", "radio"):
            return [] if value in {c["value"] for c in self.choices()} else [_("「%(label)s」を選んでください。", label=label)]
        if t == "number":
            return self._number_problems(value)
        if t == "postal_code":
            return [] if re.match(POSTAL_CODE_PATTERN, value) else [
                _("%(label)sを7桁の数字で入力してください（例：%(example)s）。", label=label, example=example_postcode())]
        if t == "phone":
            return [] if re.match(PHONE_PATTERN, value) else [
                _("%(label)sを市外局番から数字で入力してください（例：%(example)s）。", label=label, example=example_phone())]
        if t == "email":
            if not EMAIL.match(value) or len(value) > DEFAULT_MAX_LENGTH["email"]:
                return [_("%(label)sを正しく入力してください（例：taro@example.jp）。", label=label)]
            return []
        out = []
        limit = spec.max_length or (MULTILINE_MAX_LENGTH if spec.multiline else DEFAULT_MAX_LENGTH[t])
        if len(value) > limit:
            out.append(_("%(label)sは%(n)s文字以内で入力してください。", label=label, n=limit))
        elif t == "kana" and not re.match(KANA_PATTERN, value):
            out.append(_("%(label)sはカタカナで入力してください（ひらがなでもかまいません）。", label=label))
        elif t == "text" and spec.pattern and not re.search(spec.pattern, value):
            out.append(_("%(label)sの形式が正しくありません。説明の例のとおりに入力してください。", label=label))
        return out

    def _number_problems(self, value: Any) -> list[str]:
        spec, label = self.spec, self.title
        unit = spec.unit.get(self.locale) if spec.unit else ""
        if isinstance(value, str) or isinstance(value, bool):
            if spec.decimals:
                return [_("%(label)sを数字で入力してください。", label=label)]
            return [_("%(label)sを数字（整数）で入力してください。", label=label)]
        if spec.min is not None and value < spec.min:
            return [_("%(label)sは%(n)s%(unit)s以上にしてください。", label=label, n=_num(spec.min), unit=unit)]
        if spec.max is not None and value > spec.max:
            return [_("%(label)sは%(n)s%(unit)s以下にしてください。", label=label, n=_num(spec.max), unit=unit)]
        return []


def _num(x: float) -> int | float:
    return int(x) if float(x).is_integer() else x


class MultiChoiceField(SpecField):
    """A checkbox field with choices: a list of values."""

    def process(self, formdata, data=None, extra_filters=None):
        self.process_errors = []
        self.data = []
        if formdata is not None:
            seen: list[str] = []
            for v in formdata.getlist(self.name):
                if v not in seen:
                    seen.append(v)
            self.data = seen

    def value(self) -> list[str] | None:
        return list(self.data) or None

    def choices(self) -> list[dict[str, str]]:
        return ScalarField.choices(self)  # type: ignore[arg-type]

    def required_message(self) -> str:
        return _("「%(label)s」を1つ以上選んでください。", label=self.title)

    def problems(self) -> list[str]:
        allowed = {c["value"] for c in self.choices()}
        return [] if all(v in allowed for v in self.data) else [_("「%(label)s」は選択肢から選んでください。", label=self.title)]


class BoolField(SpecField):
    """A single checkbox (e.g. 同意する): true, or left out."""

    def process(self, formdata, data=None, extra_filters=None):
        self.process_errors = []
        self.data = bool(formdata is not None and formdata.get(self.name) in ("y", "true", "on", "1"))

    def value(self) -> bool | None:
        return True if self.data else None

    def required_message(self) -> str:
        return _("「%(label)s」にチェックを入れてください。", label=self.title)


class DateField(SpecField):
    """年・月・日 (and the era, for 和暦 dates): an ISO date."""

    PARTS = ("era", "year", "month", "day")

    @property
    def anchor(self) -> str:
        return f"{self.id}-era" if self.spec.type == "wareki_date" else f"{self.id}-year"

    def process(self, formdata, data=None, extra_filters=None):
        self.process_errors = []
        self.parts = {p: (formdata.get(f"{self.name}-{p}", "") if formdata is not None else "") for p in self.PARTS}
        self.data = None
        try:
            found = parse_date_parts(**self.parts)
        except ValueError as exc:  # a WarekiError says it in the field's language
            said = exc.text(self.locale) if isinstance(exc, WarekiError) else str(exc)
            self.process_errors.append(_("%(label)s：%(message)s", label=self.title, message=said))
            return
        self.data = found.isoformat() if found else None

    def problems(self) -> list[str]:
        d = dt.date.fromisoformat(self.data)
        if self.spec.min_days is not None and d < self.today + dt.timedelta(days=self.spec.min_days):
            earliest = self.today + dt.timedelta(days=self.spec.min_days)
            return [_("%(label)sは%(date)s以降の日付にしてください。", label=self.title, date=format_date(earliest))]
        if self.spec.max_days is not None and d > self.today + dt.timedelta(days=self.spec.max_days):
            latest = self.today + dt.timedelta(days=self.spec.max_days)
            return [_("%(label)sは%(date)s以前の日付にしてください。", label=self.title, date=format_date(latest))]
        return []


class AddressField(SpecField):
    """郵便番号 → 都道府県 → 市区町村 → 町名・番地 → 建物名: a dict of the parts."""

    KEYS = tuple(p[0] for p in ADDRESS_PARTS)
    REQUIRED = ("postal_code", "prefecture", "city", "street")

    @property
    def anchor(self) -> str:
        return f"{self.id}-postal_code"

    def process(self, formdata, data=None, extra_filters=None):
        self.process_errors = []
        self.parts = {k: (formdata.get(f"{self.name}-{k}", "") if formdata is not None else "") for k in self.KEYS}
        self.part_errors: dict[str, str] = {}
        self.data = normalize(self.spec, {k: v for k, v in self.parts.items()})

    def value(self) -> dict[str, str] | None:
        return dict(self.data) if self.data else None

    def part_labels(self) -> list[tuple[str, str, str, int]]:
        """(key, autocomplete token, label, max length) of each part."""
        own = self.spec.autocomplete != "off"
        return [(k, token if own else "off", label.get(self.locale), n) for k, token, label, n in ADDRESS_PARTS]

    def fill(self, prefecture: str, city: str, town: str) -> None:
        """What the postcode lookup found, only into empty boxes (never over what was typed)."""
        for key, found in (("prefecture", prefecture), ("city", city), ("street", town)):
            if found and not _nfkc(self.parts.get(key)):
                self.parts[key] = found
        self.data = normalize(self.spec, dict(self.parts))

    def check(self, required: bool) -> bool:
        self.errors, self.part_errors = [], {}
        data = self.data or {}
        if not data:
            if required:
                self.part_errors["postal_code"] = _("%(label)sの郵便番号を入力してください。", label=self.title)
            return not self.part_errors
        labels = {k: label for k, _t, label, _n in self.part_labels()}
        for key in self.REQUIRED:
            if not data.get(key):
                what = labels[key]
                self.part_errors[key] = (_("%(label)sの%(part)sを選んでください。", label=self.title, part=what)
                                         if key == "prefecture" else
                                         _("%(label)sの%(part)sを入力してください。", label=self.title, part=what))
        code = data.get("postal_code")
        if code and "postal_code" not in self.part_errors and not re.match(POSTAL_CODE_PATTERN, code):
            self.part_errors["postal_code"] = _("郵便番号を7桁の数字で入力してください（例：%(example)s）。", example=example_postcode())
        if data.get("prefecture") and data["prefecture"] not in PREFECTURES:
            self.part_errors["prefecture"] = _("都道府県は一覧から選んでください。")
        for key, _token, label, limit in self.part_labels():
            if key in ("street", "building") and self.spec.max_length:
                limit = min(limit, self.spec.max_length)
            if key not in self.part_errors and key not in ("postal_code", "prefecture") and len(data.get(key, "")) > limit:
                self.part_errors[key] = _("%(part)sは%(n)s文字以内で入力してください。", part=label, n=limit)
        self.errors = list(self.part_errors.values())
        return not self.errors

    def summary(self) -> list[dict[str, str]]:
        return [{"field_id": f"{self.id}-{k}", "message": m} for k, m in self.part_errors.items()]


class FileField(SpecField):
    """Attachments: new uploads (``<id>``) plus the ones already attached (``<id>-keep``)."""

    def process(self, formdata, data=None, extra_filters=None):
        self.process_errors = []
        self.keep: list[str] = []
        self.uploads: list[Any] = []  # FileStorage objects, stored by ``store_uploads``
        self.data: list[dict[str, Any]] = []
        if formdata is None:
            return
        for name in formdata.getlist(f"{self.name}-keep"):
            if isinstance(name, str) and re.fullmatch(r"[0-9a-f]{16,64}", name) and name not in self.keep:
                self.keep.append(name)
        self.uploads = [f for f in formdata.getlist(self.name) if getattr(f, "filename", None)]

    def store_uploads(self) -> None:
        """Hand each new upload to ``store``; its refusal (wrong type, too large) is this field's error."""
        for upload in self.uploads:
            if self.store is None:
                break
            try:
                attachment = self.store(self.spec.id, upload.filename or "file", upload.read())
            except AppError as exc:  # the refusal (wrong type, too large) says what to do
                message = exc.text_in(self.locale)
                self.process_errors.append(_("%(label)s：%(message)s", label=self.title, message=message))
                continue
            self.keep.append(attachment.name)
        self.uploads = []

    def resolve(self, attachments: Mapping[str, Any]) -> None:
        """File values for the kept names (unknown names are dropped)."""
        self.keep = [n for n in self.keep if n in attachments]
        self.data = [{"name": a.name, "kind": a.kind, "size": a.size, "sha256": a.sha256}
                     for a in (attachments[n] for n in self.keep)]
        self.files = [attachments[n] for n in self.keep]

    def value(self) -> list[dict[str, Any]] | None:
        return list(self.data) or None

    def required_message(self) -> str:
        return _("%(label)sのファイルを選んでください。", label=self.title)

    def problems(self) -> list[str]:
        assert self.spec.file is not None
        if len(self.data) > self.spec.file.max_count:
            return [_("%(label)sは%(n)s個までです。多い分を外してください。", label=self.title, n=self.spec.file.max_count)]
        return []


class RepeatField(SpecField):
    """A few rows of small records (add another / remove): rows named ``<id>-<n>-<sub id>``."""

    def process(self, formdata, data=None, extra_filters=None):
        self.process_errors = []
        indices: list[int] = []
        if formdata is not None:
            prefix = f"{self.name}-"
            for key in formdata.keys():
                rest = key[len(prefix):] if key.startswith(prefix) else ""
                head = rest.split("-", 1)[0]
                if head.isdigit() and int(head) not in indices:
                    indices.append(int(head))
        indices.sort()
        limit = self.spec.max_items or 50
        self.row_summary: list[dict[str, str]] = []
        self.rows: list[RowForm] = [self._row(formdata, i) for i in indices[:limit]]
        if not self.rows:
            self.rows.append(self._row(None, 0))
        self.data = None

    def _row(self, formdata, index: int) -> RowForm:
        cls = _row_class(self.spec, self.locale, self.today)
        row = cls(formdata=formdata, prefix=f"{self.name}-{index}-")
        row.index = index
        return row

    @property
    def anchor(self) -> str:
        first = self.rows[0]
        return next(iter(first)).anchor

    def add_row(self) -> bool:
        if len(self.rows) >= (self.spec.max_items or 50):
            return False
        self.rows.append(self._row(None, max(r.index for r in self.rows) + 1))
        return True

    def remove_row(self, position: int) -> None:
        if 0 <= position < len(self.rows):
            del self.rows[position]
        if not self.rows:
            self.rows.append(self._row(None, 0))

    def value(self) -> list[dict[str, Any]] | None:
        items = [row.values() for row in self.rows]
        items = [item for item in items if item]
        return items or None

    def check(self, required: bool) -> bool:
        self.errors = []
        self.row_summary: list[dict[str, str]] = []
        filled = [row for row in self.rows if row.values()]
        for n, row in enumerate(self.rows, 1):
            if row in filled or (required and n == 1):
                for item in row.check(_("%(n)s件目", n=n)):
                    self.row_summary.append(item)
        minimum = max(self.spec.min_items or 1, 1) if required else (self.spec.min_items or 0)
        if len(filled) < minimum and not self.row_summary:
            self.errors.append(_("%(label)sを%(n)s件以上入力してください。", label=self.title, n=minimum))
        if self.spec.max_items and len(filled) > self.spec.max_items:
            self.errors.append(_("%(label)sは%(n)s件までです。", label=self.title, n=self.spec.max_items))
        self.errors += [item["message"] for item in self.row_summary]
        return not self.errors

    def summary(self) -> list[dict[str, str]]:
        own = [m for m in self.errors if m not in {i["message"] for i in self.row_summary}]
        return [{"field_id": self.anchor, "message": m} for m in own] + self.row_summary


class RowForm(WTForm):
    """One record of a repeat field (``index`` is the number in its input names)."""

    index = 0

    def values(self) -> dict[str, Any]:
        found = {name: field.value() for name, field in self._fields.items()}
        return {k: v for k, v in found.items() if v not in (None, "", [], {})}

    def check(self, row_name: str) -> list[dict[str, str]]:
        item = self.values()
        must = set(item_required_fields(_Repeat([f.spec for f in self._fields.values()]), item))
        out = []
        for name, field in self._fields.items():
            field.check(name in must)
            for err in field.summary():
                out.append({"field_id": err["field_id"], "message": f"{row_name}：{err['message']}"})
        return out


class _Repeat:
    """Just enough of a repeat Field for ``item_required_fields``."""

    def __init__(self, fields: list[Field]):
        self.fields = fields


def _field_class(spec: Field) -> type[SpecField]:
    if spec.type in ("date", "wareki_date"):
        return DateField
    if spec.type == "address":
        return AddressField
    if spec.type == "file":
        return FileField
    if spec.type == "repeat":
        return RepeatField
    if spec.type == "checkbox":
        return BoolField if spec.is_boolean else MultiChoiceField
    return ScalarField


def _unbound(spec: Field, locale: str, today: dt.date, store: Store | None):
    return _field_class(spec)(spec=spec, locale=locale, today=today, store=store)


def _row_class(spec: Field, locale: str, today: dt.date) -> type[RowForm]:
    attrs = {sub.id: _unbound(sub, locale, today, None) for sub in spec.fields or []}
    return type(f"Row_{spec.id}", (RowForm,), attrs)


# --- one section ---------------------------------------------------------------------------------

class SectionForm(WTForm):
    """The fields of one section (one page). Built by :func:`section_form`."""

    definition: Form
    section_id: str

    def specs(self) -> Iterable[SpecField]:
        return self._fields.values()  # type: ignore[return-value]

    def values(self) -> dict[str, Any]:
        """This page's values, normalised; an empty field is None (the caller drops it)."""
        return {name: field.value() for name, field in self._fields.items()}

    def validate(self, answers: Mapping[str, Any] | None = None, extra_validators=None) -> bool:  # type: ignore[override]
        """Check the fields shown given ``answers`` (other pages) and this page's own values."""
        others = {k: v for k, v in (answers or {}).items() if k not in self._fields}
        merged = {**others, **{k: v for k, v in self.values().items() if v is not None}}
        ok = True
        for name, field in self._fields.items():
            if not is_shown(self.definition, name, merged):
                field.errors = []
                if isinstance(field, AddressField):
                    field.part_errors = {}
                continue
            ok = field.check(field.spec.required) and ok
        for fid, message in date_problems(self.definition, merged).items():
            field = self._fields.get(fid)
            if field is not None and not field.errors:
                field.errors = [message.get(field.locale)]
                ok = False
        return ok

    def summary(self) -> list[dict[str, str]]:
        return [item for field in self.specs() for item in field.summary()]

    def store_uploads(self) -> None:
        for field in self.specs():
            if isinstance(field, FileField):
                field.store_uploads()

    def resolve_files(self, attachments: Mapping[str, Any]) -> None:
        for field in self.specs():
            if isinstance(field, FileField):
                field.resolve(attachments)

    def apply(self, action: str) -> bool:
        """A page action other than continue/save: add or remove a row, take a file off, look up a
        postcode. True when the action was one of these (the page is shown again)."""

        kind, _sep, rest = action.partition(":")
        target, _sep, arg = rest.partition(":")
        field = self._fields.get(target)
        if field is None:
            return False
        if kind == "add" and isinstance(field, RepeatField):
            field.add_row()
        elif kind == "remove" and isinstance(field, RepeatField) and arg.isdigit():
            field.remove_row(int(arg))
        elif kind == "unfile" and isinstance(field, FileField):
            field.resolve({a.name: a for a in getattr(field, "files", []) if a.name != arg})
        elif kind == "postcode" and isinstance(field, AddressField):
            found = lookup(field.parts.get("postal_code"))
            if found is None:
                field.part_errors = {"postal_code": _("この郵便番号の住所が見つかりませんでした。郵便番号を確かめるか、住所を入力してください。")}
                field.errors = list(field.part_errors.values())
            else:
                field.fill(found.prefecture, found.city, found.town)
        else:
            return False
        return True


def section_form(form: Form, section_id: str, formdata: MultiDict | None = None, *, locale: str = "ja",
                 today: dt.date | None = None, store: Store | None = None) -> SectionForm:
    """The bound WTForms form of one section (a new class per definition and section)."""
    today = today or dt.date.today()
    section = form.section(section_id)
    attrs: dict[str, Any] = {"definition": form, "section_id": section_id}
    for spec in section.fields:
        attrs[spec.id] = _unbound(spec, locale, today, store)
    cls = type(f"Section_{form.id}_{section_id}", (SectionForm,), attrs)
    return cls(formdata=formdata if formdata is not None else MultiDict())


def to_formdata(form: Form, section_id: str, values: Mapping[str, Any], *, use_defaults: bool = True) -> MultiDict:
    """What the page's inputs would hold for stored ``values`` (defaults where nothing is stored)."""
    data: MultiDict = MultiDict()
    for spec in form.section(section_id).fields:
        value = values.get(spec.id)
        if value is None and use_defaults:
            value = spec.default
        _put(data, spec.id, spec, value)
    return data


def _put(data: MultiDict, name: str, spec: Field, value: Any) -> None:
    if value is None:
        return
    t = spec.type
    if t in ("date", "wareki_date"):
        try:
            d = dt.date.fromisoformat(str(value))
        except ValueError:
            return
        data.add(f"{name}-era", SEIREKI)
        data.add(f"{name}-year", str(d.year))
        data.add(f"{name}-month", str(d.month))
        data.add(f"{name}-day", str(d.day))
    elif t == "address" and isinstance(value, Mapping):
        for key, part in value.items():
            data.add(f"{name}-{key}", str(part))
    elif t == "file":
        for item in value if isinstance(value, list) else []:
            if isinstance(item, Mapping) and item.get("name"):
                data.add(f"{name}-keep", item["name"])
    elif t == "repeat":
        for i, item in enumerate(value if isinstance(value, list) else []):
            for sub in spec.fields or []:
                _put(data, f"{name}-{i}-{sub.id}", sub, item.get(sub.id) if isinstance(item, Mapping) else None)
    elif t == "checkbox":
        if spec.is_boolean:
            if value is True:
                data.add(name, "y")
        else:
            for v in value if isinstance(value, list) else [value]:
                data.add(name, str(v))
    else:
        data.add(name, str(value))


# --- answers across sections ---------------------------------------------------------------------

def clean_answers(form: Form, answers: Mapping[str, Any]) -> dict[str, Any]:
    """Only the fields of this form that are shown given the answers, and no empty values."""
    kept = {k: v for k, v in answers.items() if k in form.fields and v not in (None, "", [], {})}
    return {k: v for k, v in kept.items() if is_shown(form, k, kept)}


def condition_note(form: Form, spec: Field, section_id: str, locale: str) -> str | None:
    """「住民票に載せる人」で「世帯の一部の人」を選んだときに入力してください。 — for a field shown
    only by an answer on the same page (no script needed: the server drops it otherwise)."""
    parts = []
    for key, want in (spec.show_if or {}).items():
        if form.section_of.get(key) != section_id:
            continue
        ctl = form.fields[key]
        wants = want if isinstance(want, list) else [want]
        if ctl.is_boolean:
            parts.append(_("「%(label)s」にチェックを入れたとき", label=ctl.label.get(locale)))
            continue
        names = "・".join(f"「{c.label.get(locale)}」" for c in ctl.choices or [] if c.value in wants)
        parts.append(_("「%(label)s」で%(choices)sを選んだとき", label=ctl.label.get(locale), choices=names))
    if not parts:
        return None
    return _("%(when)sに入力してください。", when="、".join(parts))


def display(spec: Field, value: Any, locale: str, *, today: dt.date | None = None,
            attachments: Mapping[str, Any] | None = None) -> list[str]:
    """A stored value as lines of text for the check-answers and status pages."""
    if value in (None, "", [], {}):
        return [_("（未入力）")]
    t = spec.type
    if t in ("select", "radio"):
        labels = {c.value: c.label.get(locale) for c in choices_of(spec, today)}
        return [labels.get(str(value), str(value))]
    if t == "checkbox":
        if spec.is_boolean:
            return [_("はい")]
        labels = {c.value: c.label.get(locale) for c in choices_of(spec, today)}
        return [labels.get(v, v) for v in value]
    if t in ("date", "wareki_date"):
        try:
            return [format_date(value)]
        except ValueError:
            return [str(value)]
    if t == "number":
        return [f"{value}{spec.unit.get(locale) if spec.unit else ''}"]
    if t == "postal_code":
        return [f"〒{value[:3]}-{value[3:]}" if len(str(value)) == 7 else str(value)]
    if t == "address" and isinstance(value, Mapping):
        code = str(value.get("postal_code") or "")
        lines = [f"〒{code[:3]}-{code[3:]}" if len(code) == 7 else code,
                 "".join(str(value.get(k) or "") for k in ("prefecture", "city", "street"))]
        if value.get("building"):
            lines.append(str(value["building"]))
        return [line for line in lines if line]
    if t == "file":
        found = attachments or {}
        return [getattr(found.get(item.get("name")), "filename", None) or _("添付ファイル") for item in value]
    if t == "repeat":
        subs = spec.fields or []
        lines = []
        for n, item in enumerate(value, 1):
            texts = [" ".join(display(s, item.get(s.id), locale, today=today)) for s in subs if item.get(s.id) is not None]
            lines.append(f"{n}. " + "　".join(texts))
        return lines
    return str(value).splitlines() or [str(value)]
