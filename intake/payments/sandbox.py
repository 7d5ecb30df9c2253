"""The built-in sandbox provider: plays an external payment company that lives in our database.

Its books are ``SandboxCharge`` rows (never our ``Payment`` rows); residents pay on its hosted
page (``/pay/sandbox/<charge id>``, clearly marked テスト決済) and it tells us by webhook, signed
like Stripe's::

    X-Sandbox-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">

The body is JSON: ``{"id": "evt_…", "type": "charge.paid", "created": <unix>, "data": {"charge":
"cs_…", "reference": <our payment id>, "amount": 300, "refunded": 0}}``. An event id is derived
from (charge, state), so a re-sent event is recognisably the same event.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
import secrets
import time
from collections.abc import Callable, Mapping

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from core.db import aware
from intake.payments import provider as p
from intake.payments.models import SandboxCharge

NAME = "sandbox"
HEADER = "X-Sandbox-Signature"
CHECKOUT_TTL = dt.timedelta(hours=24)  # an unpaid checkout expires after this (as Stripe's do)
_OURS = {"open": p.PENDING, "canceled": p.CANCELED, "expired": p.CANCELED}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def sign(secret: bytes, body: bytes, timestamp: int) -> str:
    mac = hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def _parse_header(value: str) -> tuple[int, list[str]]:
    stamp, macs = None, []
    for part in value.split(","):
        key, _, val = part.strip().partition("=")
        if key == "t" and val.isdigit():
            stamp = int(val)
        elif key == "v1" and re.fullmatch(r"[0-9a-f]{64}", val):  # anything else can never match (and
            macs.append(val)                                       # compare_digest takes ASCII only)
    if stamp is None or not macs:
        raise p.WebhookRejected("signature_malformed", _l("署名ヘッダーの形式が正しくありません。"))
    return stamp, macs


def charge_status(charge: SandboxCharge) -> str:
    if charge.status == "paid":
        return p.PAID if not charge.refunded_amount else p.status_after_refund(charge.amount, charge.refunded_amount)
    return _OURS.get(charge.status, p.PENDING)


class SandboxProvider:
    name = NAME

    def __init__(self, session: Session, secret: bytes, *, tolerance: int = 300,
                 checkout_url_for: Callable[[str], str] = lambda charge_id: f"/pay/sandbox/{charge_id}",
                 clock: Callable[[], float] = time.time):
        self.session, self.secret, self.tolerance = session, secret, tolerance
        self.checkout_url_for, self.clock = checkout_url_for, clock

    # --- the company's side ---------------------------------------------------------------

    def create_checkout(self, payment_id: str, amount: int, description: str, return_url: str,
                        cancel_url: str) -> tuple[str, str]:
        if not isinstance(amount, int) or amount <= 0:
            raise p.ProviderError("amount_invalid", _l("金額が正しくありません。"))
        now = utcnow()
        charge = SandboxCharge(id=f"cs_{secrets.token_hex(16)}", reference=payment_id, amount=amount,
                               description=description[:200], status="open", refunded_amount=0,
                               return_url=return_url, cancel_url=cancel_url, created_at=now, updated_at=now)
        self.session.add(charge)
        self.session.flush()
        return charge.id, self.checkout_url_for(charge.id)

    def charge(self, charge_id: str) -> SandboxCharge | None:
        charge = self.session.get(SandboxCharge, charge_id)
        if charge is not None and charge.status == "open" and utcnow() - aware(charge.created_at) > CHECKOUT_TTL:
            self._set(charge, "expired")
        return charge

    def checkout_url(self, provider_ref: str) -> str | None:
        charge = self.charge(provider_ref)
        return self.checkout_url_for(charge.id) if charge is not None and charge.status == "open" else None

    def pay(self, charge: SandboxCharge) -> bool:
        """The resident pressed 支払う: False when the checkout is no longer open."""
        if charge.status != "open":
            return False
        self._set(charge, "paid")
        return True

    def cancel(self, charge: SandboxCharge) -> bool:
        if charge.status != "open":
            return False
        self._set(charge, "canceled")
        return True

    def _set(self, charge: SandboxCharge, status: str) -> None:
        charge.status = status
        charge.updated_at = max(utcnow(), aware(charge.updated_at))

    def get_status(self, provider_ref: str) -> p.ChargeStatus:
        charge = self.charge(provider_ref)
        if charge is None:
            raise p.ProviderError("unknown_charge", _l("決済が見つかりません。"))
        return p.ChargeStatus(charge_status(charge), charge.amount, charge.refunded_amount, aware(charge.updated_at))

    def refund(self, provider_ref: str, amount: int, reason: str) -> str:
        charge = self.charge(provider_ref)
        if charge is None or charge.status != "paid":
            raise p.ProviderError("not_paid", _l("支払われていない決済は返金できません。"))
        if not isinstance(amount, int) or amount <= 0 or amount > charge.amount - charge.refunded_amount:
            raise p.ProviderError("refund_too_much", _l("返金額が支払額の残りを超えています。"))
        charge.refunded_amount += amount
        self._set(charge, "paid")
        return f"re_{secrets.token_hex(12)}"

    # --- webhooks -------------------------------------------------------------------------

    def event_for(self, charge: SandboxCharge) -> tuple[dict[str, str], bytes]:
        """The signed webhook telling the charge's current state: (headers, body)."""
        kind = charge_status(charge)
        event_id = "evt_" + hashlib.sha256(f"{charge.id}:{kind}:{charge.refunded_amount}".encode()).hexdigest()[:24]
        body = json.dumps({"id": event_id, "type": f"charge.{kind}", "created": int(aware(charge.updated_at).timestamp()),
                           "data": {"charge": charge.id, "reference": charge.reference, "amount": charge.amount,
                                    "refunded": charge.refunded_amount}}, separators=(",", ":")).encode()
        return {"Content-Type": "application/json", HEADER: sign(self.secret, body, int(self.clock()))}, body

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> p.WebhookEvent:
        header = _header(headers, HEADER)
        if not header:
            raise p.WebhookRejected("signature_missing", _l("署名ヘッダーがありません。"))
        stamp, macs = _parse_header(header)
        expected = hmac.new(self.secret, f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
        if not any(hmac.compare_digest(expected, mac) for mac in macs):
            raise p.WebhookRejected("signature_invalid", _l("署名が一致しません。"))
        if abs(self.clock() - stamp) > self.tolerance:  # a replay of an old (genuine) delivery
            raise p.WebhookRejected("timestamp_out_of_tolerance", _l("署名の時刻が古すぎるか、新しすぎます。"))
        return _parse_event(body)


def _header(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name)
    if value is None:
        value = next((v for k, v in headers.items() if k.lower() == name.lower()), "")
    return value or ""


def _parse_event(body: bytes) -> p.WebhookEvent:
    try:
        doc = json.loads(body)
        data = doc["data"]
        kind = doc["type"].removeprefix("charge.")
        fields = (doc["id"], data["charge"], data["reference"])
        amount, refunded, created = data["amount"], data.get("refunded", 0), doc["created"]
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError):
        raise p.WebhookRejected("malformed", _l("イベントの形式が正しくありません。")) from None
    if kind not in p.STATUSES or not all(isinstance(f, str) and 0 < len(f) <= 80 for f in fields) \
            or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in (amount, refunded, created)):
        raise p.WebhookRejected("malformed", _l("イベントの形式が正しくありません。"))
    try:
        occurred = dt.datetime.fromtimestamp(created, dt.UTC)
    except (OverflowError, OSError, ValueError):
        raise p.WebhookRejected("malformed", _l("イベントの形式が正しくありません。")) from None
    return p.WebhookEvent(event_id=fields[0], kind=kind, provider_ref=fields[1], reference=fields[2], amount=amount,
                          occurred_at=occurred, refunded=refunded)
