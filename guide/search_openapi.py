"""The search operation of the OpenAPI 3.1 document (gathered by the app factory in app.py, merged by
``guide.openapi``). Plain Python."""
from __future__ import annotations

from typing import Any

from guide.search import MAX_QUERY

TEXT = {"type": "string"}


def add_search_api(doc: dict[str, Any]) -> dict[str, Any]:
    result = {"type": "object", "required": ["id", "name", "score", "url", "kind"], "properties": {
        "id": {"type": "string", "description": "procedure id, life event id, or (kind form) the procedure id of the form"},
        "name": TEXT,
        "score": {"type": "integer", "minimum": 0, "maximum": 100, "description": "100: the same word"},
        "url": {"type": "string", "description": "the page of the result, a path on this site"},
        "kind": {"enum": ["procedure", "event", "form"]}}}
    doc["components"]["schemas"]["SearchResults"] = {
        "type": "object", "required": ["results"],
        "properties": {"results": {"type": "array", "items": result, "maxItems": 10}}}
    doc["paths"]["/api/v1/search"] = {"get": {
        "operationId": "search",
        "description": "Procedures, life events and online forms for words residents type (names, readings in "
                       "kana or romaji, everyday words, old names, English, Vietnamese), best first.",
        "parameters": [
            {"name": "q", "in": "query", "required": True,
             "schema": {"type": "string", "minLength": 1, "maxLength": MAX_QUERY}},
            {"name": "lang", "in": "query", "required": False, "schema": {"enum": ["ja", "en"]}},
            {"name": "suggest", "in": "query", "required": False, "schema": {"enum": ["1"]},
             "description": "1: suggestions while typing (at most 6; a search without result is not counted)"}],
        "responses": {
            "200": {"description": "results, best first",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SearchResults"}}}},
            "400": {"description": "empty, longer than 100 characters, or control characters",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}}}
    return doc
