"""What leaves the console on paper and for the certificate systems, as plain data: the paper form
of one application (a 交付請求書 for certificate requests, a 届出書/申請書 otherwise), the lines of
the daily 交付一覧, and the postal address of an application sent by post. Plain Python (no
Flask, no database): the views hand in the application, its form and its field values.

Which forms are certificate requests, and which fields say 通数, 本籍, 続柄 … is data:
``knowledge/packs/<city>/certificates.yaml`` (schema below), so nothing city-specific is here.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from core.words import NP_
from core.words import text as translate
from intake.forms import Form, is_shown
from knowledge.schema import Text
from knowledge.yamlfile import read_yaml
from staff import applications_display as show

PACKS_DIR = Path(__file__).resolve().parent.parent / "knowledge" / "packs"
MAIL, COUNTER = "mail", "counter"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class When(Strict):
    field: str
    value: str


class Shown(Strict):
    field: str
    when: str


class Item(Strict):
    label: Text  # the pack's words, in every language it has
    copies: str  # the field holding the 通数
    when: When | None = None


class Certificate(Strict):
    items: list[Item] = Field(min_length=1)
    subject: Literal["holder", "target"] = "holder"
    honseki: Literal["always", "never"] | Shown = "never"
    relation: Literal["always", "never"] | Shown = "never"
    mynumber: Literal["always", "never"] | Shown = "never"
    juminhyo_code: Literal["always", "never"] | Shown = "never"


class CertificatesFile(Strict):
    certificates: dict[str, Certificate]


def certificates_path(municipality: str, packs_dir: Path = PACKS_DIR) -> Path:
    return packs_dir / municipality / "certificates.yaml"


@lru_cache(maxsize=8)
def _load(path: Path, mtime: float) -> dict[str, Certificate]:
    if not path.exists():
        return {}
    return CertificatesFile.model_validate(read_yaml(path).data).certificates


def load_certificates(municipality: str, packs_dir: Path = PACKS_DIR) -> dict[str, Certificate]:
    """form id → its certificate mapping (reread when the file changes)."""
    path = certificates_path(municipality, packs_dir)
    return _load(path, path.stat().st_mtime if path.exists() else 0.0)


def check_against_forms(certs: Mapping[str, Certificate], forms: Mapping[str, Form]) -> list[str]:
    """Problems: a mapping for an unknown form, or naming a field the form does not have."""
    problems = []
    for fid, cert in certs.items():
        form = forms.get(fid)
        if form is None:
            problems.append(f"{fid}: no such form")
            continue
        wanted = [i.copies for i in cert.items] + [i.when.field for i in cert.items if i.when]
        wanted += [s.field for s in (cert.honseki, cert.relation, cert.mynumber, cert.juminhyo_code)
                   if isinstance(s, Shown)]
        if cert.subject == "target":
            wanted += ["target_family_name", "target_given_name"]
        problems += [f"{fid}: no field '{f}'" for f in wanted if f not in form.fields]
    return problems


# --- reading the values ---------------------------------------------------------------------

def _s(value: Any) -> str:
    return "" if value is None else str(value)


def holder_prefix(values: Mapping[str, Any]) -> str:
    """Whose certificate: the principal's fields when a proxy applies, the applicant's otherwise."""
    return "principal" if values.get("applicant_role") == "proxy" else "applicant"


def person(values: Mapping[str, Any], prefix: str) -> dict[str, str]:
    address = values.get(f"{prefix}_address")
    address = address if isinstance(address, Mapping) else {}
    return {
        "name": " ".join(p for p in (_s(values.get(f"{prefix}_family_name")), _s(values.get(f"{prefix}_given_name"))) if p),
        "kana": " ".join(p for p in (_s(values.get(f"{prefix}_family_kana")), _s(values.get(f"{prefix}_given_kana"))) if p),
        "birth_date": _s(values.get(f"{prefix}_birth_date")),
        "postal_code": _s(address.get("postal_code")),
        "postal": show.postal_text(_s(address.get("postal_code"))) if address.get("postal_code") else "",
        "address": "".join(_s(address.get(k)) for k in ("prefecture", "city", "street")),
        "building": _s(address.get("building")),
        "phone": _s(values.get(f"{prefix}_phone")),
    }


def subject_of(cert: Certificate, values: Mapping[str, Any]) -> dict[str, str]:
    if cert.subject == "target":
        return person(values, "target")
    return person(values, holder_prefix(values))


def _holds(values: Mapping[str, Any], field_id: str, wanted: str) -> bool:
    value = values.get(field_id)
    return wanted in value if isinstance(value, list) else value == wanted


def shown(rule: str | Shown, values: Mapping[str, Any]) -> bool:
    if isinstance(rule, Shown):
        return _holds(values, rule.field, rule.when)
    return rule == "always"


def items_of(cert: Certificate, form: Form, values: Mapping[str, Any]) -> list[tuple[Item, int]]:
    """The certificates asked for with their 通数 (items whose condition holds and whose copies
    field is shown)."""
    out = []
    for item in cert.items:
        if item.when and not _holds(values, item.when.field, item.when.value):
            continue
        if item.copies in form.fields and not is_shown(form, item.copies, values):
            continue
        try:
            copies = int(values.get(item.copies) or 0)
        except (TypeError, ValueError):
            copies = 0
        if copies > 0:
            out.append((item, copies))
    return out


def delivery(values: Mapping[str, Any]) -> str:
    """mail, counter or '' (the form asks nothing about it)."""
    value = values.get("delivery")
    return value if value in (MAIL, COUNTER) else ""


def mail_to(values: Mapping[str, Any]) -> dict[str, str] | None:
    """Where a certificate sent by post goes: the registered address of the person who signed
    (the applicant; the form says no other address is possible). None if not by post."""
    if delivery(values) != MAIL:
        return None
    who = person(values, "applicant")
    return who if who["address"] else None


def postal(code: str) -> str:
    return f"{code[:3]}-{code[3:]}" if len(code) == 7 and code.isdigit() else code


# --- the 交付一覧 (daily issue list) -----------------------------------------------------------

YES, NO = NP_("issue list flag", "あり"), NP_("issue list flag", "なし")
DELIVERY_WORDS = {MAIL: NP_("delivery", "郵送"), COUNTER: NP_("delivery", "窓口")}
ISSUE_HEADER = (
    NP_("issue list column", "受付番号"),
    NP_("issue list column", "証明書の種類"),
    NP_("issue list column", "対象者の氏名"),
    NP_("issue list column", "対象者のフリガナ"),
    NP_("issue list column", "生年月日"),
    NP_("issue list column", "住所"),
    NP_("issue list column", "通数"),
    NP_("issue list column", "本籍・筆頭者の記載"),
    NP_("issue list column", "続柄の記載"),
    NP_("issue list column", "マイナンバーの記載"),
    NP_("issue list column", "住民票コードの記載"),
    NP_("issue list column", "交付方法"),
    NP_("issue list column", "宛先・受取窓口"),
    NP_("issue list column", "手数料（円）"),
    NP_("issue list column", "支払い"),
)


def issue_header(locale: str) -> list[str]:
    return [translate(locale, column) for column in ISSUE_HEADER]


def issue_rows(number: str, form: Form, cert: Certificate, values: Mapping[str, Any], *, fee: int | None,
               payment: str, counter_names: Mapping[str, str], locale: str = "ja") -> list[list[object]]:
    """One line per certificate asked for in one application (the fee on its first line only)."""
    who = subject_of(cert, values)
    how = delivery(values)
    if how == MAIL:
        to = mail_to(values)
        send_to = (f"〒{postal(to['postal_code'])} {to['address']} {to['building']} {to['name']}".replace("  ", " ").strip()
                   if to else "")
    elif how == COUNTER:
        cid = _s(values.get("pickup_counter"))
        send_to = counter_names.get(cid, cid)
    else:
        send_to = ""
    flags = [translate(locale, YES if shown(rule, values) else NO)
             for rule in (cert.honseki, cert.relation, cert.mynumber, cert.juminhyo_code)]
    birth = show.date_text(who["birth_date"], locale) if who["birth_date"] else ""
    rows: list[list[object]] = []
    for n, (item, copies) in enumerate(items_of(cert, form, values)):
        rows.append([number, item.label.get(locale), who["name"], who["kana"], birth,
                     " ".join(p for p in (who["address"], who["building"]) if p), copies, *flags,
                     translate(locale, DELIVERY_WORDS[how]) if how else "", send_to,
                     fee if n == 0 else None, payment if n == 0 else ""])
    return rows


# --- the paper form ------------------------------------------------------------------------

def checked_date(moment: dt.datetime | None, locale: str = "ja") -> str:
    """The day (Japan time) of a moment: 「2026年4月1日（令和8年4月1日）」, or ISO in English."""
    local = show.jst(moment)
    return show.date_text(local.date().isoformat(), locale) if local else ""


def certificate_paper(form: Form, cert: Certificate, values: Mapping[str, Any], *, locale: str,
                      counter_names: Mapping[str, str]) -> dict[str, Any]:
    """The 交付請求書 parts: 請求者, 必要なもの and 通数, 使いみち, 宛先/送付先."""
    fields = form.fields
    applicant = person(values, "applicant")
    role_field = fields.get("applicant_role")
    role = values.get("applicant_role") or "self"
    role_text = show.value_lines(role_field, role, locale)[0] if role_field else ""
    who = subject_of(cert, values)
    wanted = []
    for item, copies in items_of(cert, form, values):
        wanted.append({"label": item.label.get(locale), "copies": copies})
    details = []
    for rule, label in ((cert.honseki, NP_("certificate paper", "本籍・筆頭者")),
                        (cert.relation, NP_("certificate paper", "世帯主・続柄")),
                        (cert.mynumber, NP_("certificate paper", "マイナンバー")),
                        (cert.juminhyo_code, NP_("certificate paper", "住民票コード"))):
        if rule != "never":
            details.append({"label": translate(locale, label),
                            "shown": shown(rule, values)})
    purpose = ""
    if "purpose" in fields and values.get("purpose"):
        purpose = show.value_lines(fields["purpose"], values.get("purpose"), locale)[0]
        if values.get("purpose") == "other" and values.get("purpose_other"):
            purpose += f"（{values['purpose_other']}）"
    how = delivery(values)
    to = mail_to(values)
    counter = counter_names.get(_s(values.get("pickup_counter")), _s(values.get("pickup_counter")))
    skip = {"applicant_role", "purpose", "purpose_other", "submit_to", "delivery", "pickup_counter",
            *(i.copies for i in cert.items)}
    skip |= {f for f in fields if f.startswith(("applicant_", "principal_"))}
    skip |= {s.field for s in (cert.honseki, cert.relation, cert.mynumber, cert.juminhyo_code) if isinstance(s, Shown)}
    other = [(fld.label.get(locale), show.value_lines(fld, values.get(fid), locale))
             for fid, fld in fields.items()
             if fid not in skip and fld.type not in ("file",) and is_shown(form, fid, values)
             and values.get(fid) not in (None, "", [])]
    return {
        "applicant": applicant, "applicant_birth": show.date_text(applicant["birth_date"], locale) if applicant["birth_date"] else "",
        "role": role_text, "is_proxy": role == "proxy",
        "subject": who, "subject_birth": show.date_text(who["birth_date"], locale) if who["birth_date"] else "",
        "subject_is_applicant": cert.subject == "holder" and holder_prefix(values) == "applicant",
        "wanted": wanted, "details": details, "purpose": purpose, "submit_to": _s(values.get("submit_to")),
        "delivery": translate(locale, DELIVERY_WORDS[how]) if how else "",
        "mail_to": to, "counter": counter if how == COUNTER else "", "other": other,
    }


def form_paper(sections: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """A 届出書/申請書: the form's sections as they are (show.field_sections), without files."""
    out = []
    for section in sections:
        rows = [{"label": r["label"], "lines": r["lines"], "files": [f.filename for f in r.get("files") or []]}
                for r in section["rows"]]
        out.append({"title": section["title"], "rows": rows})
    return out
