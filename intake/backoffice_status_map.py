"""A back-office client's status map: its own status codes (a 申請管理システム's) ↔ ours
(``intake.workflow.STATUSES``), applied to the list, one application and the status write-back.

    status_map = parse('{"10": "submitted", "20": "reviewing", …}')   # StatusMapError: what is wrong
    status_map.external("reviewing")  -> "20"        # None before submission (drafts are never sent)
    status_map.internal("20")         -> "reviewing" # None: not a code of this client

A map is one to one and names every status an application can have once submitted (a client
never meets a status it cannot name). Without a map a client reads and writes our codes.
Plain Python: no Flask, no database.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from intake import workflow

MAX_CODE = 32


class StatusMapError(ValueError):
    """The map cannot be used; the message says why (for the CLI)."""


@dataclass(frozen=True)
class StatusMap:
    to_ours: dict[str, str]  # external code -> our status

    def external(self, status: str | None) -> str | None:
        if status is None:
            return None
        return next((code for code, ours in self.to_ours.items() if ours == status), None)

    def internal(self, code: object) -> str | None:
        return self.to_ours.get(code) if isinstance(code, str) else None

    def as_json(self) -> str:
        return json.dumps(self.to_ours, ensure_ascii=False, sort_keys=True)


def must_map() -> list[str]:
    """Our statuses every map must name: those of a submitted application."""
    return [s for s in workflow.STATUSES if s not in workflow.BEFORE_SUBMISSION]


def parse(text: str | None) -> StatusMap | None:
    """The map stored as JSON ``{external code: our status}`` (None: no map). StatusMapError
    names every problem at once."""
    if not text:
        return None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise StatusMapError(f"not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise StatusMapError("must be a JSON object {\"external code\": \"our status\"}")
    problems = []
    for code, ours in data.items():
        if not code or len(code) > MAX_CODE or not code.isprintable() or code != code.strip():
            problems.append(f"external code {code!r}: 1 to {MAX_CODE} printable characters, no spaces around")
        if ours not in workflow.STATUSES:
            problems.append(f"{code!r}: {ours!r} is not one of our statuses ({', '.join(workflow.STATUSES)})")
    mapped = [v for v in data.values() if isinstance(v, str)]
    twice = sorted({v for v in mapped if mapped.count(v) > 1})
    if twice:
        problems.append(f"each of our statuses has one external code; given more than once: {', '.join(twice)}")
    missing = [s for s in must_map() if s not in mapped]
    if missing:
        problems.append(f"no external code for: {', '.join(missing)}")
    if problems:
        raise StatusMapError("; ".join(problems))
    return StatusMap(dict(data))
