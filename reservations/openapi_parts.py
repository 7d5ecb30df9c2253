"""The reservation operations of the OpenAPI 3.1 document (gathered by the app factory in app.py, merged
by ``guide.openapi``).
Plain Python."""
from __future__ import annotations

from typing import Any

TEXT = {"type": "string"}
ID = {"type": "string", "maxLength": 64}
DATE = {"type": "string", "format": "date", "pattern": r"^(19|20|21)\d{2}-\d{2}-\d{2}$"}
MOMENT = {"type": "string", "format": "date-time", "description": "ISO 8601 with the offset (+09:00)"}
STATUS = {"enum": ["held", "confirmed", "cancelled", "expired", "checked_in", "no_show"]}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _err(description: str) -> dict[str, Any]:
    return _json(_ref("Error"), description)


def _obj(required: list[str], **props: Any) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": props}


def _schemas() -> dict[str, Any]:
    site = _obj(["id", "name"], id=TEXT, name=TEXT)
    service = _obj(["id", "name", "duration_minutes", "sites"], id=TEXT, name=TEXT,
                   duration_minutes={"type": "integer"}, procedures={"type": "array", "items": TEXT},
                   sites={"type": "array", "items": site})
    slot = _obj(["start", "capacity", "remaining"], start=MOMENT, end=MOMENT,
                capacity={"type": "integer", "minimum": 0, "description": "places the web channel has in this slot"},
                remaining={"type": "integer", "minimum": 0, "description": "places still bookable now (0 when full, "
                                                                            "past, too soon or beyond the horizon)"},
                bookable={"type": "boolean"})
    closed = {"anyOf": [_obj(["code", "message"], code={"enum": ["closure", "year_end", "holiday", "weekday"]},
                             message=TEXT), {"type": "null"}]}
    person = {
        "name": {"type": "string", "maxLength": 300, "description": "氏名"},
        "name_kana": {"type": "string", "maxLength": 300, "description": "フリガナ (ひらがな is turned into カタカナ)"},
        "email": {"type": ["string", "null"], "maxLength": 300},
        "phone": {"type": ["string", "null"], "maxLength": 300},
    }
    reservation = _obj(["number", "status", "service_id", "site_id", "counter_id", "start", "end", "manage_url"],
                       number=TEXT, status=STATUS, service_id=TEXT, site_id=TEXT, counter_id=TEXT, start=MOMENT,
                       end=MOMENT, service=TEXT, site=TEXT, counter=TEXT, manage_url=TEXT, page_url=TEXT,
                       moved_to={"type": ["string", "null"], "description": "the new number of a moved booking"})
    return {
        "ReservationService": service,
        "ReservationServices": _obj(["services"], services={"type": "array", "items": service}),
        "ReservationAvailability": _obj(["slots"], date=DATE, closed=closed, slots={"type": "array", "items": slot}),
        "CreateReservationRequest": {
            "type": "object", "required": ["service_id", "site_id", "start", "name", "name_kana"],
            "description": "an e-mail address or a phone number (or both) is required",
            "properties": {"service_id": ID, "site_id": ID, "start": MOMENT, **person,
                           "procedures": {"type": "array", "maxItems": 20, "items": ID},
                           "locale": {"enum": ["ja", "en"]}}},
        "CreatedReservation": _obj(["number", "manage_url"], number=TEXT, manage_url=TEXT, page_url=TEXT,
                                   start=MOMENT, end=MOMENT),
        "Reservation": reservation,
        "Crowding": _crowding(),
        "MoveReservationRequest": {"type": "object", "required": ["start"],
                                   "properties": {"start": MOMENT, "site_id": ID, "locale": {"enum": ["ja", "en"]}}},
    }


def _crowding() -> dict[str, Any]:
    """混雑状況 of one site (reservations/crowding.py): now, and the expected level of the coming days."""
    count = {"type": "integer", "minimum": 0}
    now = _obj(["counter_id", "counter", "waiting", "walk_ins", "checked_in", "minutes"], counter_id=TEXT, counter=TEXT,
               waiting={**count, "description": "people waiting now: walk_ins + checked_in"},
               walk_ins={**count, "description": "walk-in tickets waiting"},
               checked_in={**count, "description": "bookings checked in and not finished"},
               minutes={**count, "description": "the estimated wait of someone who comes now"})
    level = _obj(["id", "name", "mark"], id=TEXT, name=TEXT,
                 mark={"type": "string", "description": "a symbol shown beside the name"})
    cell = _obj(["counter_id", "level", "name", "fill_percent", "visits_per_window", "raised_by"], counter_id=TEXT,
                level={**TEXT, "description": "a level id of `levels`"}, name=TEXT,
                fill_percent={"type": "integer", "minimum": 0, "maximum": 100,
                              "description": "the day's seats booked already"},
                visits_per_window={"type": "number", "minimum": 0,
                                   "description": "past visits of this weekday, per window open that day"},
                raised_by={**count, "description": "levels added by the season (繁忙期)"})
    day = _obj(["date", "closed", "season", "counters"], date=DATE,
               closed={"type": ["string", "null"], "description": "why the site is closed that day"},
               season={"type": ["string", "null"], "description": "the season that raised the day"},
               counters={"type": "array", "items": cell})
    return {**_obj(["site_id", "site", "at", "closed_today", "now", "levels", "days"], site_id=TEXT, site=TEXT,
                   at=MOMENT, closed_today={"type": ["string", "null"]}, now={"type": "array", "items": now},
                   levels={"type": "array", "items": level, "description": "quietest first (the pack's crowding:)"},
                   days={"type": "array", "items": day}), "additionalProperties": False}


def _paths() -> dict[str, Any]:
    lang = {"name": "lang", "in": "query", "required": False, "schema": {"enum": ["ja", "en"]}}
    token = {"name": "token", "in": "path", "required": True, "schema": TEXT,
             "description": "the signed token of the manage link (from manage_url)"}
    refused = {"409": _err("slot_full, duplicate_booking, daily_limit, hold_expired, not_movable or retry"),
               "422": _err("a rule: too_soon, too_far, past, no_slot, closed, too_late_to_change")}
    body = {"required": True, "content": {"application/json": {"schema": _ref("MoveReservationRequest")}}}
    move = {"operationId": "moveReservation", "parameters": [token], "requestBody": body,
            "responses": {"200": _json(_ref("Reservation"), "the new booking (a new number; the old one is cancelled)"),
                          "400": _err("invalid input, a message per field"), "404": _err("no such booking"),
                          "429": _err("too many requests"), **refused}}
    return {
        "/api/v1/reservations/services": {"get": {
            "operationId": "listReservationServices", "parameters": [lang],
            "responses": {"200": _json(_ref("ReservationServices"), "what can be booked, and where")}}},
        "/api/v1/reservations/availability": {"get": {
            "operationId": "getReservationAvailability",
            "parameters": [{"name": "service_id", "in": "query", "required": True, "schema": TEXT},
                           {"name": "site_id", "in": "query", "required": True, "schema": TEXT},
                           {"name": "date", "in": "query", "required": True, "schema": DATE}, lang],
            "responses": {"200": _json(_ref("ReservationAvailability"), "the day's slots"),
                          "400": _err("invalid input, a message per field")}}},
        "/api/v1/reservations": {"post": {
            "operationId": "createReservation",
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": _ref("CreateReservationRequest")}}},
            "responses": {"201": _json(_ref("CreatedReservation"), "booked; the e-mail is queued"),
                          "400": _err("invalid input, a message per field"), "429": _err("too many requests"),
                          **refused}}},
        "/api/v1/reservations/manage/{token}": {
            "get": {"operationId": "getReservation", "parameters": [token, lang],
                    "responses": {"200": _json(_ref("Reservation"), "the booking"), "404": _err("no such booking")}},
            "delete": {"operationId": "cancelReservation", "parameters": [token, lang],
                       "responses": {"200": _json(_ref("Reservation"), "cancelled"), "404": _err("no such booking"),
                                     "429": _err("too many requests"), **refused}},
            "patch": move},
        "/api/v1/reservations/manage/{token}/move": {"post": {**move, "operationId": "moveReservationPost"}},
        "/api/v1/reservations/crowding/{site_id}": {"get": {
            "operationId": "getCrowding", "summary": "混雑状況: waiting now, and the expected level of the coming days",
            "parameters": [{"name": "site_id", "in": "path", "required": True, "schema": ID},
                           {"name": "from", "in": "query", "required": False, "schema": DATE,
                            "description": "the first day shown (today by default; up to the booking horizon)"},
                           lang],
            "responses": {"200": _json(_ref("Crowding"), "the site's counters now and in the coming days"),
                          "400": _err("bad_date or date_out_of_range"), "404": _err("unknown_site")}}},
    }


def add_reservation_api(doc: dict[str, Any]) -> dict[str, Any]:
    """Add the reservation operations and their schemas."""
    doc["paths"].update(_paths())
    doc["components"]["schemas"].update(_schemas())
    return doc
