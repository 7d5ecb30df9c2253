"""The OpenAPI 3.1 document, generated from the facts vocabulary so it cannot drift from it. The guide writes
its own operations; every other service contributes a part (``<service>/openapi_parts.py``) that the app
factory hands in, so the guide imports no other service."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from rules.request import LOCALES, MAX_MEMBERS
from rules.ruleset import Rulebook
from rules.vocabulary import UNKNOWN, FactDef

DATE = {"type": "string", "format": "date", "pattern": r"^(19|20|21)\d{2}-\d{2}-\d{2}$"}  # years 1900–2199
TEXT = {"type": "string"}
NULLABLE_DATE = {"anyOf": [DATE, {"type": "null"}]}
# dates the guide computes (a deadline after an event on 2199-12-31 falls in 2200): any year
COMPUTED_DATE = {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
NULLABLE_COMPUTED_DATE = {"anyOf": [COMPUTED_DATE, {"type": "null"}]}


def _fact_schema(fact: FactDef) -> dict[str, Any]:
    if fact.type == "bool":
        return {"anyOf": [{"type": "boolean"}, {"const": UNKNOWN}, {"type": "null"}]}
    if fact.type == "enum":
        return {"anyOf": [{"enum": list(fact.values) + [UNKNOWN]}, {"type": "null"}]}
    if fact.type == "int":
        return {"anyOf": [{"type": "integer", "minimum": fact.min or 0, "maximum": fact.max or 10**6},
                          {"type": "null"}]}
    return NULLABLE_DATE


def _group(facts: dict[str, FactDef], prefix: str) -> dict[str, Any]:
    props = {p[len(prefix):]: _fact_schema(f) for p, f in facts.items() if p.startswith(prefix)}
    return {"type": "object", "properties": props, "additionalProperties": False}


def _error_schema() -> dict[str, Any]:
    return {"type": "object", "required": ["error"], "properties": {"error": {
        "type": "object", "required": ["code", "message"],
        "properties": {"code": TEXT, "message": TEXT,
                       "fields": {"type": "object", "additionalProperties": TEXT}}}}}


def _json(schema_ref: str, description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema_ref}"}}}}


OpenApiPart = Callable[[dict[str, Any]], dict[str, Any]]  # adds its paths and schemas to the document


def openapi_document(book: Rulebook, parts: Iterable[OpenApiPart] = ()) -> dict[str, Any]:
    vocab = book.vocab
    member = {"type": "object", "properties": {k: _fact_schema(f) for k, f in vocab.member.items()},
              "additionalProperties": False}
    request_schema = {
        "type": "object", "required": ["event"], "additionalProperties": False,
        "properties": {
            "event": {"enum": sorted(book.events)},
            "event_date": NULLABLE_DATE,
            "facts": {"anyOf": [_group(vocab.household, "facts."), {"type": "null"}]},
            "deceased": {"anyOf": [_group(vocab.household, "deceased."), {"type": "null"}]},
            "members": {"anyOf": [{"type": "array", "items": member, "maxItems": MAX_MEMBERS}, {"type": "null"}]},
            "locale": {"enum": list(LOCALES)},
            "explain": {"type": "boolean"},
            "as_of": {**NULLABLE_DATE, "description": "the day the guidance is for (default: today in Japan); "
                      "overdue flags and date warnings are computed against it"},
        },
    }
    warning = {"type": "object", "required": ["code", "message", "fields"],
               "properties": {"code": TEXT, "message": TEXT,
                              "fields": {"type": "array", "items": TEXT,
                                         "description": "request paths (facts.x, members[0].age) or "
                                                        "procedures[id].due_date"}}}
    bring = {"type": "object", "required": ["id", "name", "count", "conditional"],
             "properties": {"id": TEXT, "name": TEXT, "count": {"type": "integer", "minimum": 1},
                            "conditional": {"type": "boolean"}, "note": TEXT,
                            "kind": {"enum": ["document", "action"]}}}
    nullable_text = {"type": ["string", "null"]}
    place = {"type": "object", "required": ["address", "hours", "phone", "offsite", "verified"],
             "properties": {"department_id": TEXT, "building": nullable_text, "floor": nullable_text,
                            "window": nullable_text, "address": nullable_text, "hours": nullable_text,
                            "map_url": nullable_text, "phone": nullable_text,
                            "phone_is_main": {"type": "boolean"}, "offsite": {"type": "boolean"},
                            "verified": {"type": "boolean"}, "source_url": nullable_text,
                            "closed_days": {"type": "array", "items": {
                                "type": "object", "required": ["counter_id", "name", "hours"],
                                "properties": {"counter_id": TEXT, "name": TEXT, "hours": TEXT}}}}}
    fee = {"type": "object", "required": ["amount_yen", "unit", "channel"],
           "properties": {"amount_yen": {"type": "integer", "minimum": 0}, "unit": TEXT,
                          "channel": {"enum": ["any", "counter", "online"]}, "valid_from": DATE,
                          "valid_to": NULLABLE_DATE}}
    link = {"type": "object", "required": ["url", "available"],
            "properties": {"url": TEXT, "available": {"type": "boolean"}}}
    procedure = {
        "type": "object",
        "required": ["id", "name", "status", "department", "counter", "due_date", "deadline", "members",
                     "bring", "why", "online", "reserve", "order"],
        "properties": {
            "id": TEXT, "name": TEXT, "status": {"enum": ["required", "conditional"]},
            "department": TEXT, "counter": TEXT, "counter_id": TEXT, "due_date": NULLABLE_COMPUTED_DATE,
            "due_from": {"type": ["object", "null"], "required": ["fact", "date"],
                         "description": "the date due_date counts from: event_date or a date fact (deceased.death_date, facts.move_date)",
                         "properties": {"fact": TEXT, "date": DATE}},
            "deadline": TEXT, "deadline_notes": {"type": "array", "items": TEXT},
            "members": {"type": "array", "items": {"type": "integer", "minimum": 0}},
            "newborn": {"type": "boolean", "description": "the child a birth brings is concerned too "
                                                          "(not one of members[], who are the parents)"},
            "bring": {"type": "array", "items": bring}, "why": {"type": "array", "items": TEXT},
            "online": link, "reserve": link, "order": {"type": "integer", "minimum": 1},
            "verified": {"type": "boolean"}, "source_url": TEXT,
            "place": place, "fees": {"type": "array", "items": fee}, "fee_date": NULLABLE_COMPUTED_DATE,
            "overdue": {"type": "boolean", "description": "due_date is before as_of"},
        },
    }
    response_schema = {
        "type": "object", "required": ["event", "procedures", "checklist", "visit_plan", "ruleset_version",
                                       "warnings", "ignored_facts"],
        "properties": {
            "event": TEXT, "event_date": NULLABLE_DATE,
            "procedures": {"type": "array", "items": procedure},
            "checklist": {"type": "array", "items": {
                "type": "object", "required": ["id", "name", "count"],
                "properties": {"id": TEXT, "name": TEXT, "count": {"type": "integer", "minimum": 1},
                               "conditional": {"type": "boolean"},
                               "count_if": {"type": "integer", "minimum": 1},
                               "kind": {"enum": ["document", "action"]},
                               "procedures": {"type": "array", "items": TEXT}}}},
            "visit_plan": {"type": "array", "items": {
                "type": "object", "required": ["counter", "procedures"],
                "properties": {"counter": TEXT, "counter_id": TEXT, "department": TEXT,
                               "procedures": {"type": "array", "items": TEXT}}}},
            "offices": {"type": "array", "items": {
                "type": "object", "required": ["department_id", "department", "procedures"],
                "properties": {"department_id": TEXT, "department": TEXT, "address": nullable_text,
                               "hours": nullable_text, "phone": nullable_text, "map_url": nullable_text,
                               "verified": {"type": "boolean"}, "source_url": nullable_text,
                               "procedures": {"type": "array", "items": TEXT}}}},
            "closed_days": {"type": "object", "required": ["dates", "counters"], "properties": {
                "dates": {"type": "array", "items": {
                    "type": "object", "required": ["date", "kind", "of"],
                    "properties": {"date": COMPUTED_DATE, "kind": {"enum": ["weekend", "holiday", "year_end"]},
                                   "of": TEXT}}},
                "counters": {"type": "array", "items": {
                    "type": "object", "required": ["counter_id", "name", "hours", "what", "procedures"],
                    "properties": {"counter_id": TEXT, "name": TEXT, "hours": TEXT, "closes": nullable_text,
                                   "building": nullable_text, "floor": nullable_text,
                                   "what": TEXT, "address": nullable_text, "phone": nullable_text,
                                   "map_url": nullable_text, "source_url": TEXT,
                                   "open_on": {"type": "array", "items": {"enum": ["weekend", "holiday", "year_end"]}},
                                   "open_days": {"type": "array", "description": "each of dates[]: whether it opens that day",
                                                 "items": {"type": "object", "required": ["date", "open"],
                                                           "properties": {"date": COMPUTED_DATE, "open": {"type": "boolean"}}}},
                                   "other_closures": {"type": "boolean", "description": "closed on other days too (said in closes)"},
                                   "procedures": {"type": "array", "items": TEXT}}}}}},
            "ruleset_version": TEXT,
            "at_new_city": {"type": "array", "description": "done at the new municipality after a move out, not in this city", "items": {
                "type": "object", "required": ["id", "name", "why"],
                "properties": {"id": TEXT, "name": TEXT, "status": {"enum": ["required", "conditional"]},
                               "why": {"type": "array", "items": TEXT},
                               "due_date": NULLABLE_COMPUTED_DATE, "deadline": TEXT,
                               "deadline_notes": {"type": "array", "items": TEXT},
                               "overdue": {"type": "boolean", "description": "due_date is before as_of"}}}},
            "warnings": {"type": "array", "items": warning},
            "ignored_facts": {"type": "array", "items": TEXT,
                              "description": "given facts that do not belong to the event, not used"},
            "as_of": NULLABLE_DATE,
            "not_applicable": {"type": "array", "items": {
                "type": "object", "required": ["id", "name", "why"],
                "properties": {"id": TEXT, "name": TEXT, "why": {"type": "array", "items": TEXT}}}},
        },
    }
    summary = {"type": "object", "required": ["id", "name", "department", "counter", "online", "reservable"],
               "properties": {"id": TEXT, "name": TEXT, "department": TEXT, "counter": TEXT,
                              "online": {"type": "boolean"}, "reservable": {"type": "boolean"},
                              "standalone": {"type": "boolean"}, "url": TEXT}}
    detail = {"type": "object", "required": ["id", "name", "description", "deadline", "bring", "fees",
                                             "source_url", "verified_on", "verified"],
              "properties": {**summary["properties"], "description": TEXT,
                             "deadline": {"type": "object"}, "bring": {"type": "array"},
                             "fees": {"type": "array"}, "source_url": TEXT, "verified_on": DATE,
                             "verified": {"type": "boolean"}}}
    lang = {"name": "lang", "in": "query", "required": False, "schema": {"enum": ["ja", "en"]}}
    doc: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": f"{book.kb.pack.name.ja} 手続きガイド API", "version": "1.0.0",
                 "description": "Life-event guidance: facts in, procedures out (docs/guidance-api.md)."},
        "paths": {
            "/api/v1/guide/evaluate": {"post": {
                "operationId": "evaluateGuide",
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/EvaluateRequest"}}}},
                "responses": {"200": _json("EvaluateResponse", "the procedures to do"),
                              "400": _json("Error", "invalid input, a message per field")}}},
            "/api/v1/events": {"get": {
                "operationId": "listEvents", "parameters": [lang],
                "responses": {"200": {"description": "life events", "content": {"application/json": {"schema": {
                    "type": "object", "required": ["events"], "properties": {"events": {"type": "array", "items": {
                        "type": "object", "required": ["id", "name", "description", "url"],
                        "properties": {"id": TEXT, "name": TEXT, "description": TEXT, "url": TEXT}}}}}}}}}}},
            "/api/v1/procedures": {"get": {
                "operationId": "listProcedures", "parameters": [lang],
                "responses": {"200": {"description": "procedures", "content": {"application/json": {"schema": {
                    "type": "object", "required": ["procedures"],
                    "properties": {"procedures": {"type": "array", "items": summary}}}}}}}}},
            "/api/v1/procedures/{id}": {"get": {
                "operationId": "getProcedure",
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}, lang,
                               {"name": "on", "in": "query", "required": False, "schema": DATE}],
                "responses": {"200": {"description": "one procedure", "content": {"application/json": {
                    "schema": detail}}},
                              "400": _json("Error", "bad date"),
                              "404": _json("Error", "no such procedure")}}},
        },
        "components": {"schemas": {"EvaluateRequest": request_schema, "EvaluateResponse": response_schema,
                                   "Error": _error_schema()}},
    }
    for add_part in parts:
        doc = add_part(doc)
    # the platform's input guard (core/input_guard.py) refuses NUL bytes, lone surrogates and JSON
    # too deep or too large on every operation, before any view: a 400 each may answer
    for operations in doc["paths"].values():
        for method, operation in operations.items():
            if method in ("get", "post", "put", "patch", "delete"):
                operation.setdefault("responses", {}).setdefault(
                    "400", _json("Error", "input no person types (NUL bytes, lone surrogates, JSON too deep or large)"))
    return doc
