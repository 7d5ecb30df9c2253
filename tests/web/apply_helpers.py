"""Helpers for the resident's application pages: fill a section page the way a browser would."""
from __future__ import annotations

import datetime as dt
import io
import re
from urllib.parse import urlparse

from tests.conftest import csrf_from

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JST = dt.timezone(dt.timedelta(hours=9))

APPLICANT = {
    "applicant_family_name": "加古川", "applicant_given_name": "花子",
    "applicant_family_kana": "かこがわ", "applicant_given_kana": "ﾊﾅｺ",
    "applicant_birth_date-era": "seireki", "applicant_birth_date-year": "1985",
    "applicant_birth_date-month": "4", "applicant_birth_date-day": "1",
    "applicant_address-postal_code": "675-8501", "applicant_address-prefecture": "兵庫県",
    "applicant_address-city": "加古川市", "applicant_address-street": "加古川町北在家2000",
    "applicant_phone": "079-421-2000", "applicant_role": "self",
}


def path_of(url: str) -> str:
    parts = urlparse(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def page_csrf(client, url: str) -> tuple[str, str]:
    r = client.get(url)
    assert r.status_code == 200, (url, r.status_code)
    html = r.get_data(as_text=True)
    return html, csrf_from(html)


def start(client, pid: str, email: str = "hanako@example.jp"):
    """The start page, then the e-mail: returns the first section's path."""
    _html, token = page_csrf(client, f"/apply/{pid}")
    r = client.post(f"/apply/{pid}", data={"email": email, "csrf_token": token})
    assert r.status_code == 302, r.get_data(as_text=True)[:300]
    return path_of(r.location)


def app_id_of(path: str) -> str:
    return re.match(r"^/apply/d/([0-9a-f-]{36})/", path).group(1)


def _date(spec, today: dt.date) -> dt.date:
    lo, hi = spec.min_days, spec.max_days
    offset = 0
    if lo is not None and offset < lo:
        offset = lo
    if hi is not None and offset > hi:
        offset = hi
    if spec.id.endswith("birth_date"):
        return dt.date(1985, 4, 1)
    return today + dt.timedelta(days=offset)


def inputs_for(spec, name: str | None = None, today: dt.date | None = None) -> dict:
    """Valid inputs for one field (the first choice, the minimum, a small PNG …)."""
    today = today or dt.datetime.now(JST).date()
    name = name or spec.id
    t = spec.type
    if t in ("text",):
        return {name: "テスト"}
    if t == "kana":
        return {name: "テスト"}
    if t in ("date", "wareki_date"):
        d = _date(spec, today)
        return {f"{name}-era": "seireki", f"{name}-year": str(d.year), f"{name}-month": str(d.month),
                f"{name}-day": str(d.day)}
    if t in ("select", "radio"):
        from intake.forms import choices_of
        return {name: spec.default if isinstance(spec.default, str) else choices_of(spec, today)[0].value}
    if t == "checkbox":
        if spec.is_boolean:
            return {name: "y"}
        from intake.forms import choices_of
        return {name: choices_of(spec, today)[0].value}
    if t == "number":
        return {name: str(int(spec.default if isinstance(spec.default, int | float) else (spec.min or 1)))}
    if t == "postal_code":
        return {name: "6758501"}
    if t == "phone":
        return {name: "0794212000"}
    if t == "email":
        return {name: "a@example.jp"}
    if t == "address":
        return {f"{name}-postal_code": "6758501", f"{name}-prefecture": "兵庫県", f"{name}-city": "加古川市",
                f"{name}-street": "加古川町北在家2000"}
    if t == "file":
        return {name: (io.BytesIO(PNG), "scan.png")}
    if t == "repeat":
        out: dict = {}
        for sub in spec.fields or []:
            out |= inputs_for(sub, f"{name}-0-{sub.id}", today)
        return out
    raise AssertionError(t)


def section_inputs(form, sid: str, overrides: dict | None = None) -> dict:
    data: dict = {}
    for spec in form.section(sid).fields:
        data |= inputs_for(spec)
    if sid == "applicant":
        data |= {k: v for k, v in APPLICANT.items() if k in data or k.split("-")[0] in form.fields}
    return data | (overrides or {})


def post_section(client, path: str, data: dict, action: str = "continue"):
    _html, token = page_csrf(client, path)
    return client.post(path, data={**data, "csrf_token": token, "action": action},
                       content_type="multipart/form-data")


def walk(client, form, first: str, overrides: dict | None = None) -> str:
    """Every section with valid inputs (plus ``overrides``) until the review page; returns its path."""
    path = first
    for _ in range(len(form.sections) + 1):
        sid = path.rsplit("/", 1)[1]
        if sid == "review":
            return path
        r = post_section(client, path, section_inputs(form, sid, overrides))
        assert r.status_code == 302, (sid, r.get_data(as_text=True)[:3000])
        path = path_of(r.location)
    raise AssertionError("never reached the review page")


_FORMS: dict = {}


def forms_of():
    """The form definitions (loaded once per test session)."""
    if not _FORMS:
        from intake.forms import load_forms
        _FORMS.update(load_forms("kakogawa"))
    return _FORMS
