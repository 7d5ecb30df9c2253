"""The sandbox provider's webhook signatures (plain Python: no app, no database)."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from intake.payments import provider as p
from intake.payments import sandbox as sb

SECRET = b"test-webhook-secret"
NOW = 1_800_000_000


def _provider(now: float = NOW, tolerance: int = 300) -> sb.SandboxProvider:
    return sb.SandboxProvider(session=None, secret=SECRET, tolerance=tolerance, clock=lambda: now)


def _body(**changes) -> bytes:
    doc = {"id": "evt_1", "type": "charge.paid", "created": NOW - 5,
           "data": {"charge": "cs_abc", "reference": "pay-1", "amount": 300, "refunded": 0}}
    doc.update(changes)
    return json.dumps(doc).encode()


def _headers(body: bytes, stamp: int = NOW, secret: bytes = SECRET) -> dict[str, str]:
    return {sb.HEADER: sb.sign(secret, body, stamp)}


def test_a_good_signature_gives_the_event():
    body = _body()
    event = _provider().verify_webhook(_headers(body), body)
    assert event == p.WebhookEvent(event_id="evt_1", kind="paid", provider_ref="cs_abc", reference="pay-1",
                                   amount=300, occurred_at=dt.datetime.fromtimestamp(NOW - 5, dt.UTC), refunded=0)


def test_the_header_name_is_case_insensitive_and_a_rotated_key_may_sign_too():
    body = _body()
    other = sb.sign(b"old-secret", body, NOW).split(",")[1]
    header = sb.sign(SECRET, body, NOW) + "," + other
    assert _provider().verify_webhook({"x-sandbox-signature": header}, body).kind == "paid"


@pytest.mark.parametrize("case, code", [
    ("missing", "signature_missing"),
    ("garbled", "signature_malformed"),
    ("wrong_key", "signature_invalid"),
    ("body_changed", "signature_invalid"),
    ("stale", "timestamp_out_of_tolerance"),
    ("future", "timestamp_out_of_tolerance"),
])
def test_bad_signatures_are_rejected(case, code):
    body = _body()
    headers = {
        "missing": {},
        "garbled": {sb.HEADER: "v1=abc"},
        "wrong_key": _headers(body, secret=b"not-the-key"),
        "body_changed": _headers(_body(id="evt_2")),
        "stale": _headers(body, stamp=NOW - 301),  # a genuine delivery replayed later
        "future": _headers(body, stamp=NOW + 301),
    }[case]
    with pytest.raises(p.WebhookRejected) as err:
        _provider().verify_webhook(headers, body)
    assert err.value.code == code and err.value.message


def test_the_tolerance_window_is_inclusive():
    body = _body()
    assert _provider().verify_webhook(_headers(body, stamp=NOW - 300), body).event_id == "evt_1"


@pytest.mark.parametrize("body", [
    b"not json", b"[]", b"{}",
    _body(type="charge.exploded"),
    _body(data={"charge": "cs_abc", "reference": "pay-1", "amount": -1}),
    _body(data={"charge": "cs_abc", "reference": "pay-1", "amount": True}),
    _body(data={"charge": "", "reference": "pay-1", "amount": 300}),
    _body(created="yesterday"),
    _body(created=10**20),
])
def test_malformed_events_with_good_signatures_are_rejected(body):
    with pytest.raises(p.WebhookRejected) as err:
        _provider().verify_webhook(_headers(body), body)
    assert err.value.code == "malformed"


def test_statuses_only_climb():
    assert p.RANK["created"] < p.RANK["pending"] < p.RANK["failed"] == p.RANK["canceled"] < p.RANK["paid"] \
        < p.RANK["partially_refunded"] < p.RANK["refunded"]
    assert p.status_after_refund(600, 300) == "partially_refunded" and p.status_after_refund(600, 600) == "refunded"
