"""The audit HMAC chain in plain Python: an altered record, a removed record, a removed tail and a
forged purge point are each named; what the log may hold is cleaned first."""
from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from core.audit_chain import (
    GENESIS,
    Anchor,
    ChainStart,
    canonical,
    format_anchor,
    iso_utc,
    parse_anchors,
    record_hash,
    start_mac,
    verify,
)

KEY = b"unit-test-key"
T0 = dt.datetime(2026, 4, 1, 0, 0, tzinfo=dt.UTC)


def chain(n: int, key: bytes = KEY, *, first_id: int = 1, prev: str = GENESIS) -> list[dict]:
    """n records as the writer makes them."""
    records = []
    for i in range(n):
        rid = first_id + i
        fields = {"id": rid, "at": T0 + dt.timedelta(minutes=rid), "actor": f"clerk{rid % 3}", "role": "counter",
                  "action": "staff.view", "target": f"application:{rid}", "result": "ok", "ip": "10.0.0.1",
                  "request_id": f"req{rid:08d}", "details": "{}"}
        digest = record_hash(key, prev, fields)
        records.append({**fields, "prev_hash": prev, "hash": digest})
        prev = digest
    return records


def anchor_of(records: list[dict]) -> Anchor:
    return Anchor(count=len(records), last_id=records[-1]["id"], last_hash=records[-1]["hash"], at="2026-04-02T00:00Z")


def test_an_intact_chain_verifies_with_count_and_last_hash():
    records = chain(120)
    result = verify(records, KEY, anchors=[anchor_of(records[:50]), anchor_of(records[:100])])
    assert result.ok, result.problem
    assert (result.count, result.first_id, result.last_id) == (120, 1, 120)
    assert result.last_hash == records[-1]["hash"]
    assert result.anchors_checked == 2


def test_an_empty_log_verifies():
    result = verify([], KEY)
    assert result.ok and result.count == 0 and result.last_hash == GENESIS


@pytest.mark.parametrize("field, value", [
    ("actor", "someone-else"), ("action", "login.success"), ("target", "application:999"), ("result", "denied"),
    ("ip", "10.0.0.2"), ("details", '{"n":1}'), ("role", "admin"), ("request_id", "x"),
    ("at", T0 + dt.timedelta(days=1)),
])
def test_an_altered_record_is_named(field, value):
    records = chain(20)
    records[6][field] = value
    result = verify(records, KEY)
    assert not result.ok and result.kind == "altered" and result.record_id == 7
    assert "record 7 was altered" in result.problem


def test_an_altered_record_with_a_recomputed_hash_needs_the_key():
    records = chain(10)
    records[3]["target"] = "application:forged"
    records[3]["hash"] = record_hash(b"wrong key", records[3]["prev_hash"], records[3])
    result = verify(records, KEY)
    assert not result.ok and result.record_id == 4


def test_rewriting_the_whole_rest_of_the_chain_without_the_key_is_caught():
    records = chain(10)
    forged = chain(10, b"attacker")[4:]  # an attacker rebuilds the chain from record 5 with their own key
    result = verify(records[:4] + forged, KEY)
    assert not result.ok and result.record_id == 5


def test_a_deleted_record_is_named_as_a_gap():
    records = chain(20)
    del records[9]  # id 10
    result = verify(records, KEY)
    assert not result.ok and result.kind == "missing" and result.record_id == 10
    assert "record 10 missing" in result.problem


def test_several_deleted_records_are_named_as_a_range():
    records = chain(20)
    del records[4:8]  # ids 5–8
    result = verify(records, KEY)
    assert not result.ok and result.record_id == 5 and "records 5–8 missing" in result.problem


def test_a_deleted_first_record_is_caught():
    result = verify(chain(5)[1:], KEY)
    assert not result.ok and result.kind == "missing" and result.record_id == 1


def test_a_deleted_record_with_the_ids_renumbered_is_caught_by_prev_hash():
    records = chain(10)
    del records[4]
    for r in records[4:]:
        r["id"] -= 1  # close the gap; the hashes no longer link
    result = verify(records, KEY)
    assert not result.ok and result.kind == "missing" and result.record_id == 5
    assert "prev_hash" in result.problem


def test_a_duplicated_record_is_caught():
    records = chain(5)
    result = verify(records[:3] + [records[2]] + records[3:], KEY)
    assert not result.ok and result.record_id == 3


def test_a_truncated_tail_is_caught_by_the_anchor():
    records = chain(120)
    anchors = [anchor_of(records[:50]), anchor_of(records[:100])]
    assert verify(records[:100], KEY, anchors=anchors).ok  # nothing after the last anchor: not detectable
    result = verify(records[:73], KEY, anchors=anchors)
    assert not result.ok and result.kind == "truncated" and result.record_id == 74
    assert "records after id 73 are missing: the anchor says 100 records" in result.problem


def test_a_fully_emptied_table_is_caught_by_the_anchor():
    records = chain(60)
    result = verify([], KEY, anchors=[anchor_of(records[:50])])
    assert not result.ok and "records after id 0 are missing" in result.problem


def test_a_chain_rebuilt_with_the_key_still_differs_from_the_anchor():
    records = chain(60)
    anchors = [anchor_of(records[:50])]
    rebuilt = chain(60)  # same key, but one record changed and everything after recomputed
    rebuilt[10]["target"] = "application:changed"
    prev = rebuilt[9]["hash"]
    for r in rebuilt[10:]:
        r["prev_hash"], r["hash"] = prev, record_hash(KEY, prev, r)
        prev = r["hash"]
    result = verify(rebuilt, KEY, anchors=anchors)
    assert not result.ok and result.kind == "anchor" and result.record_id == 50


def test_the_chain_continues_from_a_purge_point():
    records = chain(30)
    start = ChainStart(last_id=10, last_hash=records[9]["hash"], at="2026-05-01T00:00:00.000000Z", purged=10)
    start = dataclasses.replace(start, mac=start_mac(KEY, start))
    anchors = [anchor_of(records[:10]), anchor_of(records[:20])]
    result = verify(records[10:], KEY, start=start, anchors=anchors)
    assert result.ok, result.problem
    assert (result.count, result.first_id, result.anchors_checked, result.anchors_before_start) == (20, 11, 1, 1)
    # without the purge point the remaining records do not verify
    assert not verify(records[10:], KEY).ok
    # and records removed right after the purge point are still caught
    result = verify(records[12:], KEY, start=start)
    assert not result.ok and result.record_id == 11


def test_a_forged_purge_point_is_caught():
    records = chain(30)
    start = ChainStart(last_id=20, last_hash=records[19]["hash"], at="2026-05-01T00:00:00.000000Z", purged=20)
    forged = dataclasses.replace(start, mac="0" * 64)
    result = verify(records[20:], KEY, start=forged)
    assert not result.ok and result.kind == "start"
    honest = dataclasses.replace(start, mac=start_mac(KEY, start))
    moved = dataclasses.replace(honest, last_id=25, last_hash=records[24]["hash"])  # the MAC is of id 20
    assert not verify(records[25:], KEY, start=moved).ok


def test_canonical_form_is_stable_across_storage():
    aware = {"id": 1, "at": dt.datetime(2026, 4, 1, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=9))), "actor": "a"}
    naive_utc = {"id": 1, "at": dt.datetime(2026, 4, 1, 0, 0), "actor": "a"}  # as SQLite hands it back
    assert canonical(aware) == canonical(naive_utc)
    assert iso_utc("2026-04-01T00:00:00Z") == "2026-04-01T00:00:00.000000Z"
    assert canonical({"id": 1, "actor": "日本語"}).decode("utf-8").count("日本語") == 1


def test_anchor_lines_round_trip_and_tolerate_syslog_prefixes_and_junk():
    a = Anchor(count=50, last_id=50, last_hash="ab" * 32, at="2026-04-01T00:00:00.000000Z")
    text = "\n".join([format_anchor(a), "", "Apr  1 09:00:00 host kakogawa-audit-anchor: " + format_anchor(a),
                      "garbage", '{"count": "x"}'])
    anchors, bad = parse_anchors(text)
    assert anchors == [a, a]
    assert bad == [4, 5]


def test_record_details_lose_secrets_and_personal_data():
    from core.audit import clean_details, details_json
    cleaned = clean_details({
        "password": "p", "newPassword": "p", "access_token": "t", "totp_code": "1", "otp": "1", "csrf_token": "c",
        "api_key": "k", "client_secret": "s", "display_name": "山田", "name": "山田", "email": "a@b", "phone": "0",
        "birth_date": "2000-01-01", "address": "加古川市", "my_number": "1",
        "reason": "bad_password", "step": "totp", "count": 3, "nested": [{"password": "p", "id": 7}],
    })
    assert cleaned == {"reason": "bad_password", "step": "totp", "count": 3, "nested": [{"id": 7}]}
    assert details_json(None) == "{}"
    assert "truncated" in details_json({"text": "x" * 10000})
