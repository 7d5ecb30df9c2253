"""The reservations JSON API (issue 5): services, availability, booking, and get / cancel / move
by the signed manage token. CSRF-exempt (no cookies are used); POSTs are rate-limited per address.
Refusals: {"error": {"code", "message"[, "fields"]}} — 400 per field for bad input, 409
``slot_full`` and the booking rules' own codes (409/422), 404 for an unknown token."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, jsonify, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core import usage
from core.city import example_phone
from core.db import db
from core.errors import AppError
from core.i18n import current_locale
from core.japan_time import JST
from core.pack import rulebook
from core.security import limiter
from reservations import booking, links, notify, overrides, resident_actions
from reservations import models as m
from reservations.booking import aware, seat_range
from reservations.calendar import is_closed
from reservations.current import catalog as current_catalog
from reservations.person import check_person
from reservations.wording import closed_text

bp = Blueprint("reservations_api", __name__, url_prefix="/api/v1/reservations")
MAX_TEXT = 300


SEND_OBJECT = {"body": _l("JSON のオブジェクトを送ってください。")}
START_FORMAT = _l("開始時刻を ISO 8601 の形で指定してください（例：2026-12-07T09:00:00+09:00）。")


def _invalid(fields: dict[str, object]) -> AppError:
    return AppError("invalid", _l("入力内容を確認してください。"), 400, fields)


def _retry() -> AppError:
    """A number drawn twice at once (vanishingly rare): nothing was kept."""
    return AppError("retry", _l("もう一度お試しください。"), 409)


def _not_found() -> AppError:
    return AppError("not_found", _l("予約が見つかりません。"), 404)


def iso(moment: dt.datetime) -> str:
    return aware(moment).astimezone(JST).isoformat()


def parse_start(raw: object) -> dt.datetime | None:
    """ISO 8601; without an offset it is the city's time (JST)."""
    if not isinstance(raw, str) or len(raw) > 40:
        return None
    try:
        moment = dt.datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
        moment = moment.replace(tzinfo=JST) if moment.tzinfo is None else moment
        moment.astimezone(JST)  # 0001-01-01T00:00+14:00 and the like cannot be shown in JST
    except (ValueError, OverflowError):
        return None
    return moment if 2000 <= moment.year <= 2199 else None


def _service_site_errors(catalog, service_id: object, site_id: object) -> dict[str, object]:
    fields: dict[str, object] = {}
    if not isinstance(service_id, str) or service_id not in catalog.services:
        fields["service_id"] = _l("この手続きは予約できません。")
    if not isinstance(site_id, str) or site_id not in catalog.sites:
        fields["site_id"] = _l("この場所はありません。")
    elif "service_id" not in fields and catalog.counter_for(service_id, site_id) is None:
        fields["site_id"] = _l("この場所では、この手続きはできません。")
    return fields


@bp.get("/services")
def services():
    catalog, lang = current_catalog(), current_locale()
    return jsonify({"services": [
        {"id": s.id, "name": s.name.get(lang), "duration_minutes": s.minutes, "procedures": list(s.procedures),
         "sites": [{"id": site.id, "name": site.name.get(lang)} for site in catalog.sites_for(s.id)]}
        for s in catalog.services.values()]})


@bp.get("/availability")
def availability():
    catalog, lang = current_catalog(), current_locale()
    service_id, site_id = request.args.get("service_id"), request.args.get("site_id")
    fields = _service_site_errors(catalog, service_id, site_id)
    try:
        day = dt.date.fromisoformat(request.args.get("date", ""))
        if not 2000 <= day.year <= 2199:
            raise ValueError(day)
    except ValueError:
        fields["date"] = _l("日付を YYYY-MM-DD の形で指定してください。")
    if fields:
        raise _invalid(fields)
    day_catalog = overrides.for_day(catalog, site_id, day)  # staff closures and hours of that day
    closed = is_closed(day_catalog, site_id, day)
    rows = booking.availability(catalog, service_id, site_id, day, channel="web")
    return jsonify({
        "date": day.isoformat(),
        "closed": None if closed is None else {"code": closed, "message": closed_text(day_catalog, site_id, day, lang)},
        "slots": [{"start": iso(a.slot.start), "end": iso(a.slot.end), "capacity": len(seat_range(a.slot, "web")),
                   "remaining": a.remaining if a.bookable else 0, "bookable": a.bookable and a.remaining > 0}
                  for a in rows]})


def _describe(catalog, r: m.Reservation, lang: str) -> dict:
    d = notify.describe(catalog, r, lang)
    return {"number": r.number, "status": r.status, "service_id": r.service_id, "site_id": r.site_id,
            "counter_id": r.counter_id, "start": iso(r.start), "end": iso(r.end),
            "service": d.service, "site": d.site, "counter": d.counter, "manage_url": links.manage_api_url(r.number),
            "page_url": links.manage_url(r.number), "moved_to": _moved_to(r)}


def _moved_to(r: m.Reservation) -> str | None:
    return db.session.scalar(select(m.Reservation.number).where(m.Reservation.moved_from == r.number)) \
        if r.status == m.CANCELLED else None


@bp.post("")
@limiter.limit("20 per minute;200 per day")
def create():
    catalog = current_catalog()
    body = request.get_json(silent=True)
    lang = current_locale()  # the body's locale first: the booking keeps it for its e-mails
    if not isinstance(body, dict):
        raise _invalid(SEND_OBJECT)
    fields = _service_site_errors(catalog, body.get("service_id"), body.get("site_id"))
    start = parse_start(body.get("start"))
    if start is None:
        fields["start"] = START_FORMAT
    for key in ("name", "name_kana", "email", "phone"):
        value = body.get(key)
        if (value is not None and not isinstance(value, str)) or (isinstance(value, str) and len(value) > MAX_TEXT):
            fields[key] = _l("文字で指定してください。")
    procedures = body.get("procedures", [])
    if not isinstance(procedures, list) or not all(isinstance(p, str) and len(p) <= 64 for p in procedures) \
            or len(procedures) > 20:
        fields["procedures"] = _l("手続きの ID の一覧を指定してください。")
        procedures = []
    if body.get("locale") not in (None, "ja", "en"):
        fields["locale"] = _l("ja か en を指定してください。")
    person, person_errors = check_person(*(body.get(k) if isinstance(body.get(k), str) else None
                                           for k in ("name", "name_kana", "email", "phone")), locale=lang,
                                         phone_example=example_phone())
    for key, message in person_errors.items():
        fields.setdefault(key, message)
    if fields or person is None or start is None:
        raise _invalid(fields)
    try:
        reservation = resident_actions.book(catalog, body["service_id"], body["site_id"], start, person,
                                            procedures=[p for p in procedures if p in rulebook().kb.procedures],
                                            locale=lang, kb=rulebook().kb)
    except IntegrityError as exc:
        raise _retry() from exc
    usage.record("reserve", "booked", reservation.service_id)
    return jsonify({"number": reservation.number, "manage_url": links.manage_api_url(reservation.number),
                    "page_url": links.manage_url(reservation.number),
                    "start": iso(reservation.start), "end": iso(reservation.end)}), 201


def _by_token(token: str) -> m.Reservation | None:
    number = links.read_manage_token(token)
    return booking.by_number(number) if number else None


@bp.get("/manage/<token>")
def get_reservation(token: str):
    r = _by_token(token)
    if r is None or r.status in (m.HELD, m.EXPIRED):
        raise _not_found()
    return jsonify(_describe(current_catalog(), r, current_locale()))


@bp.delete("/manage/<token>")
@limiter.limit("30 per minute")
def cancel_reservation(token: str):
    lang, catalog = current_locale(), current_catalog()
    r = _by_token(token)
    if r is None or r.status in (m.HELD, m.EXPIRED):
        raise _not_found()
    resident_actions.cancel(catalog, r, rulebook().kb)
    usage.record("reserve", "cancelled", r.service_id)
    return jsonify(_describe(catalog, r, lang))


@bp.route("/manage/<token>", methods=["PATCH"])
@bp.post("/manage/<token>/move")
@limiter.limit("20 per minute")
def move_reservation(token: str):
    catalog = current_catalog()
    body = request.get_json(silent=True)
    r = _by_token(token)
    if r is None or r.status in (m.HELD, m.EXPIRED):
        raise _not_found()
    if not isinstance(body, dict):
        raise _invalid(SEND_OBJECT)
    fields: dict[str, object] = {}
    site_id = body.get("site_id") or r.site_id
    fields.update({k: v for k, v in _service_site_errors(catalog, r.service_id, site_id).items() if k == "site_id"})
    start = parse_start(body.get("start"))
    if start is None:
        fields["start"] = START_FORMAT
    if fields or start is None:
        raise _invalid(fields)
    try:
        new = resident_actions.move(catalog, r, start, rulebook().kb, site_id=site_id)
    except IntegrityError as exc:
        raise _retry() from exc
    usage.record("reserve", "moved", new.service_id)
    return jsonify(_describe(catalog, new, current_locale()))
