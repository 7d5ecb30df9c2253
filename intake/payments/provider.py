"""What a payment company must offer us, whoever it is: a hosted checkout, signed webhooks, a way
to ask how a checkout ended (for webhooks that never came), and refunds.

Plain Python: no Flask. Statuses are ours (``STATUSES``); a provider maps its own words onto them.

    ref, url = provider.create_checkout(payment.id, 300, "住民票の写し", return_url, cancel_url)
    event = provider.verify_webhook(headers, body)        # WebhookRejected when not genuine
    found = provider.get_status(ref)                      # ChargeStatus
    refund_ref = provider.refund(ref, 300, "申請の取下げ")
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from core.errors import AppError

CREATED, PENDING, PAID, FAILED, CANCELED = "created", "pending", "paid", "failed", "canceled"
PARTIALLY_REFUNDED, REFUNDED = "partially_refunded", "refunded"
STATUSES = (CREATED, PENDING, PAID, FAILED, CANCELED, PARTIALLY_REFUNDED, REFUNDED)

# A payment only ever moves up this ladder. Money taken is a fact, so ``paid`` outranks a
# failed or canceled attempt that a late event reports (never the other way round).
RANK = {CREATED: 0, PENDING: 1, FAILED: 2, CANCELED: 2, PAID: 3, PARTIALLY_REFUNDED: 4, REFUNDED: 5}
OPEN = frozenset({CREATED, PENDING})
MONEY_TAKEN = frozenset({PAID, PARTIALLY_REFUNDED, REFUNDED})


@dataclass(frozen=True)
class WebhookEvent:
    """One genuine provider event, in our words. ``refunded`` is the total refunded so far."""

    event_id: str
    kind: str  # one of STATUSES: what the charge became
    provider_ref: str
    reference: str  # our Payment.id, as we sent it to create_checkout
    amount: int
    occurred_at: dt.datetime  # aware, the provider's clock
    refunded: int = 0


@dataclass(frozen=True)
class ChargeStatus:
    status: str  # one of STATUSES
    amount: int
    refunded: int
    at: dt.datetime  # aware: when the charge last changed


class WebhookRejected(AppError):
    """Not a genuine, fresh, well-formed event (answered 400, never applied)."""

    status = 400


class ProviderError(AppError):
    """The provider refused or could not be reached (a refund of more than was paid, …)."""

    status = 502


class PaymentProvider(Protocol):
    name: str

    def create_checkout(self, payment_id: str, amount: int, description: str, return_url: str,
                        cancel_url: str) -> tuple[str, str]:
        """A hosted checkout for ``amount`` yen: (provider_ref, checkout_url)."""

    def checkout_url(self, provider_ref: str) -> str | None:
        """The address of a checkout that can still be paid, else None (to reuse it)."""

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookEvent:
        """The event in ``body`` if its signature is good and fresh; raises WebhookRejected."""

    def get_status(self, provider_ref: str) -> ChargeStatus:
        """How the checkout stands now at the provider (raises ProviderError if unknown)."""

    def refund(self, provider_ref: str, amount: int, reason: str) -> str:
        """Give back ``amount`` yen of a paid checkout: the refund's reference."""


def status_after_refund(amount: int, refunded: int) -> str:
    return REFUNDED if refunded >= amount else PARTIALLY_REFUNDED
