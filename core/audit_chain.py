"""The audit log's HMAC chain, in plain Python (no Flask, no SQLAlchemy).

Every record carries ``prev_hash`` (the hash of the record before it) and
``hash = HMAC-SHA256(key, prev_hash + canonical JSON of the record's fields)``. Ids are assigned
without gaps (the writer takes the last id + 1 under a lock), so:

- an altered record no longer matches its own hash;
- a removed record leaves a gap in the ids, or a ``prev_hash`` that names a record that is gone;
- a removed tail is invisible to the chain alone, so the latest ``(count, last id, last hash)`` is
  written outside the database at intervals (the *anchor*): the anchored record must still be
  there with the same hash;
- a purge of old records stores its purge point (last purged id and hash, itself MAC'd with the
  key), where the chain then starts.

Without the key nobody can recompute a chain that verifies.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

GENESIS = "0" * 64  # prev_hash of the very first record
FIELDS = ("id", "at", "actor", "role", "action", "target", "result", "ip", "request_id", "details")


def iso_utc(moment: dt.datetime | str) -> str:
    """One spelling of a time for hashing: UTC, microseconds, ``Z``. Naive times are UTC (SQLite)."""
    if isinstance(moment, str):
        moment = dt.datetime.fromisoformat(moment.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(fields: Mapping[str, Any]) -> bytes:
    """The hashed form of a record: its FIELDS as sorted, compact JSON in UTF-8."""
    values: dict[str, Any] = {}
    for name in FIELDS:
        value = fields.get(name)
        if name == "at" and value is not None:
            value = iso_utc(value)
        elif name == "id":
            value = int(value) if value is not None else None
        elif value is None:
            value = ""
        else:
            value = str(value)
        values[name] = value
    return json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def record_hash(key: bytes, prev_hash: str, fields: Mapping[str, Any]) -> str:
    return hmac.new(key, prev_hash.encode("ascii") + canonical(fields), hashlib.sha256).hexdigest()


# --- the purge point ---------------------------------------------------------------------------

@dataclass(frozen=True)
class ChainStart:
    """Where the chain starts after a purge: the last purged record's id and hash."""

    last_id: int
    last_hash: str
    at: str = ""
    purged: int = 0
    mac: str = ""


def start_mac(key: bytes, start: ChainStart) -> str:
    payload = json.dumps({"last_id": start.last_id, "last_hash": start.last_hash, "at": start.at,
                          "purged": start.purged}, sort_keys=True, separators=(",", ":"))
    return hmac.new(key, b"audit-chain-start:" + payload.encode("utf-8"), hashlib.sha256).hexdigest()


# --- the anchor (written outside the database) -------------------------------------------------

@dataclass(frozen=True)
class Anchor:
    count: int
    last_id: int
    last_hash: str
    at: str = ""


def format_anchor(anchor: Anchor) -> str:
    """One line of the anchor file (JSON, no newline)."""
    return json.dumps({"at": anchor.at, "count": anchor.count, "last_id": anchor.last_id,
                       "last_hash": anchor.last_hash}, separators=(",", ":"))


def parse_anchors(text: str) -> tuple[list[Anchor], list[int]]:
    """The anchors of an anchor file, and the line numbers that could not be read."""
    anchors: list[Anchor] = []
    bad: list[int] = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        # syslog copies carry a prefix: the JSON starts at the first brace
        start = line.find("{")
        try:
            data = json.loads(line[start:]) if start >= 0 else None
            anchors.append(Anchor(count=int(data["count"]), last_id=int(data["last_id"]),
                                  last_hash=str(data["last_hash"]), at=str(data.get("at", ""))))
        except (TypeError, ValueError, KeyError):
            bad.append(number)
    return anchors, bad


# --- verification ------------------------------------------------------------------------------

@dataclass
class VerifyResult:
    ok: bool = True
    count: int = 0
    first_id: int | None = None
    last_id: int | None = None
    last_hash: str = GENESIS
    kind: str = ""  # altered | missing | truncated | anchor | start
    record_id: int | None = None  # the record the problem is about
    problem: str = ""
    anchors_checked: int = 0
    anchors_before_start: int = 0  # anchors of records purged since (nothing left to compare)
    warnings: list[str] = field(default_factory=list)

    def fail(self, kind: str, record_id: int | None, problem: str) -> VerifyResult:
        self.ok, self.kind, self.record_id, self.problem = False, kind, record_id, problem
        return self


def verify(records: Iterable[Mapping[str, Any]], key: bytes, *, start: ChainStart | None = None,
           anchors: Iterable[Anchor] = ()) -> VerifyResult:
    """Walk ``records`` (ordered by id) and report the first altered or missing one.

    Each record is a mapping with FIELDS plus ``prev_hash`` and ``hash``. ``start`` is the purge
    point (None: the chain starts at id 1 from GENESIS). ``anchors`` are checked after the walk:
    each anchored record must still exist with the anchored hash.
    """
    result = VerifyResult()
    if start is not None and not hmac.compare_digest(start.mac, start_mac(key, start)):
        return result.fail("start", start.last_id,
                           f"the purge point (chain start after id {start.last_id}) has been altered: "
                           "its MAC does not match")
    expected_id = (start.last_id if start else 0) + 1
    expected_prev = start.last_hash if start else GENESIS
    anchors = list(anchors)
    wanted = {a.last_id for a in anchors}
    seen: dict[int, str] = {}
    for row in records:
        rid = int(row["id"])
        if rid != expected_id:
            if rid < expected_id:
                return result.fail("missing", rid, f"record {rid} is out of order or duplicated "
                                                   f"(expected id {expected_id})")
            gap = f"record {expected_id}" if rid == expected_id + 1 else f"records {expected_id}–{rid - 1}"
            return result.fail("missing", expected_id, f"{gap} missing: the next record is {rid}")
        if not hmac.compare_digest(str(row["prev_hash"]), expected_prev):
            return result.fail("missing", rid, f"record {rid} does not follow the record before it "
                                               "(prev_hash mismatch): a record before it was removed or replaced")
        if not hmac.compare_digest(str(row["hash"]), record_hash(key, expected_prev, row)):
            return result.fail("altered", rid, f"record {rid} was altered: its hash does not match its content")
        if result.first_id is None:
            result.first_id = rid
        if rid in wanted:
            seen[rid] = str(row["hash"])
        result.count += 1
        result.last_id = rid
        expected_prev = str(row["hash"])
        expected_id = rid + 1
    result.last_hash = expected_prev
    last_id = expected_id - 1
    floor = start.last_id if start else 0
    for anchor in sorted(anchors, key=lambda a: a.last_id, reverse=True):
        if anchor.last_id <= floor:
            result.anchors_before_start += 1
            continue
        if anchor.last_id > last_id:
            return result.fail("truncated", last_id + 1,
                               f"records after id {last_id} are missing: the anchor says {anchor.count} records "
                               f"(last id {anchor.last_id}, anchored {anchor.at or 'at an unknown time'})")
        if not hmac.compare_digest(seen.get(anchor.last_id, ""), anchor.last_hash):
            return result.fail("anchor", anchor.last_id,
                               f"record {anchor.last_id} does not match the anchor written {anchor.at or ''}: "
                               "the chain was rewritten from there or before")
        result.anchors_checked += 1
    return result
