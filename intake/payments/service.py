"""Fees of online applications: checkouts, provider events (webhooks and reconciliation), refunds.

    url = start_checkout(app, return_url, cancel_url)     # the resident is sent to the provider
    status, body = handle_webhook("sandbox", headers, body)  # POST /api/v1/payments/webhooks/<p>
    reconcile(older_than_minutes=15)                      # asks the provider about silent payments
    refund(app, 300, "申請を取り下げたため", actor="staff:tanaka")

An event is applied at most once: its (provider, event id) row is inserted first with an INSERT
that cannot race (ON CONFLICT DO NOTHING), so a duplicate or a replay changes nothing. A payment
only moves up ``provider.RANK`` (and its refunded total only grows), so events arriving out of
order never move it backwards; a stale event is kept with ``applied = False``.

Money taken means the application goes out: a paid at-submission application still in 署名済み
is submitted by the system, even if the resident closed the browser on the provider's page.

``start_checkout``, ``handle_webhook``, ``reconcile`` and ``refund`` commit (money moves at the
provider, so what we know about it is kept at once); ``apply_event`` leaves the commit to its caller.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from core import alerts, audit, usage
from core.db import db
from core.japan_time import JST
from core.links import external_url
from core.mail_templates import render_mail
from core.outbox import enqueue_mail
from core.pack import rulebook
from core.settings import SettingsError
from core.words import N_, Message
from intake import applications, links, workflow
from intake.applications import ApplicationError, aware, now_utc
from intake.models import Application
from intake.payments import provider as p
from intake.payments.models import Payment, PaymentEvent, PaymentRefund
from intake.payments.sandbox import SandboxProvider

log = logging.getLogger(__name__)
MAX_REASON = 1000


# --- providers ------------------------------------------------------------------------------------

class UnknownProvider(LookupError):
    pass


def sandbox_secret() -> bytes:
    """SANDBOX_WEBHOOK_SECRET, else one derived from SECRET_KEY for this purpose only."""
    configured = current_app.config.get("SANDBOX_WEBHOOK_SECRET") or ""
    if configured:
        return configured.encode()
    return hmac.new(str(current_app.config["SECRET_KEY"]).encode(), b"sandbox-webhook-secret", hashlib.sha256).digest()


def _sandbox() -> p.PaymentProvider:

    return SandboxProvider(db.session, sandbox_secret(),
                           tolerance=int(current_app.config.get("PAYMENT_WEBHOOK_TOLERANCE_SECONDS", 300)),
                           checkout_url_for=lambda charge_id: external_url("payments.sandbox_checkout",
                                                                                 charge_id=charge_id))


FACTORIES = {"sandbox": _sandbox}  # a real company's adapter is one more entry


def check_provider(config: Mapping[str, Any]) -> None:
    """Refuse at start a PAYMENT_PROVIDER that is not one of FACTORIES (a typo would otherwise
    start and fail only at the first checkout or webhook). core/settings.py cannot know the names:
    core never imports intake, so the factory asks here."""
    name = str(config.get("PAYMENT_PROVIDER") or "")
    if name not in FACTORIES:
        known = ", ".join(sorted(FACTORIES))
        raise SettingsError([f"PAYMENT_PROVIDER {name!r} is not a registered payment provider (known: {known})"],
                            "invalid settings:")


def provider(name: str | None = None) -> p.PaymentProvider:
    """The configured provider (PAYMENT_PROVIDER); another name only if it is the configured one,
    so the sandbox is closed when a real provider is in use."""
    configured = current_app.config.get("PAYMENT_PROVIDER", "sandbox")
    name = name or configured
    if name != configured or name not in FACTORIES:
        raise UnknownProvider(name)
    return FACTORIES[name]()


# --- reading --------------------------------------------------------------------------------------

def payments_of(app: Application) -> list[Payment]:
    return list(db.session.scalars(select(Payment).where(Payment.application_id == app.id)
                                   .order_by(Payment.created_at.desc())))


def latest_payment(app: Application) -> Payment | None:
    found = payments_of(app)
    return found[0] if found else None


def payment_for(app: Application) -> Payment | None:
    """The payment that matters for the resident's pages: the one that took money, else the latest."""
    found = payments_of(app)
    return next((x for x in found if x.status in p.MONEY_TAKEN), found[0] if found else None)


def awaiting_confirmation(app: Application) -> bool:
    """Back from the provider but no word yet (the webhook may be on its way): 「お支払いを確認しています」."""
    latest = latest_payment(app)
    return latest is not None and latest.status in p.OPEN and app.payment_state not in ("paid", "refunded")


def paid_date(payment: Payment) -> dt.date | None:
    return aware(payment.paid_at).astimezone(JST).date() if payment.paid_at else None


def refunds_of(payment: Payment) -> list[PaymentRefund]:
    return list(db.session.scalars(select(PaymentRefund).where(PaymentRefund.payment_id == payment.id)
                                   .order_by(PaymentRefund.id)))


# --- checkout -------------------------------------------------------------------------------------

def _description(app: Application) -> str:

    proc = rulebook().kb.procedures.get(app.procedure_id)
    title = proc.name.ja if proc is not None else app.procedure_id
    return f"{title} 手数料"[:200]


def start_checkout(app: Application, return_url: str, cancel_url: str) -> str:
    """The provider's checkout address for the application's fee (commits).

    An open checkout for the same amount is reused, so going back and pressing 支払う again
    does not start a second payment."""
    amount = (app.fee_amount or 0) - applications.amount_collected(app)  # after a 補正: only the difference
    if app.payment_timing == "after_review" and app.payment_state not in ("due", "paid", "refunded"):
        raise ApplicationError("fee_not_confirmed", _l("手数料が確定してからお支払いください。"))
    if amount <= 0 or app.payment_timing == "none" or app.payment_state == "refunded":
        raise ApplicationError("nothing_to_pay", _l("お支払いが必要な手数料はありません。"))
    if app.payment_timing == "after_review" and app.status not in (workflow.SUBMITTED, workflow.REVIEWING,
                                                                   workflow.CORRECTION):
        raise ApplicationError("nothing_to_pay", _l("この申請は手続きが終わっているため、お支払いはできません。"))
    if app.payment_timing == "at_submission" and (app.status not in (workflow.SIGNED, workflow.CORRECTION)
                                                  or not applications.is_signed(app)):
        raise ApplicationError("not_signed", _l("マイナンバーカードで署名してからお支払いください。"))
    chosen = provider()
    for open_one in payments_of(app):
        if open_one.status == p.PENDING and open_one.amount == amount and open_one.provider == chosen.name \
                and open_one.provider_ref:
            url = chosen.checkout_url(open_one.provider_ref)
            db.session.commit()  # the provider may have noted an expiry
            if url:
                return url
    now = dt.datetime.now(dt.UTC)  # microseconds: two checkouts in one second keep their order
    payment = Payment(id=str(uuid.uuid4()), application_id=app.id, provider=chosen.name, amount=amount,
                      status=p.CREATED, refunded_amount=0, created_at=now, updated_at=now)
    db.session.add(payment)
    db.session.commit()  # our id exists before the provider hears of it (webhooks find it)
    try:
        ref, url = chosen.create_checkout(payment.id, amount, _description(app), return_url, cancel_url)
    except p.ProviderError as exc:
        db.session.rollback()
        raise ApplicationError("provider_error", _l("決済サービスにつながりませんでした。しばらくしてからもう一度お試しください。"), status=502) from exc
    payment.provider_ref, payment.status, payment.updated_at = ref, p.PENDING, now_utc()
    db.session.commit()
    return url


# --- events ---------------------------------------------------------------------------------------

@dataclass
class Outcome:
    result: str  # applied, duplicate, stale, unknown_payment, mismatch
    payment: Payment | None = None
    usage: list[tuple[str, str]] = field(default_factory=list)  # (metric, procedure id), after commit


def _insert_event(provider_name: str, event: p.WebhookEvent, payment_id: str | None) -> int | None:
    """The event's row, or None when (provider, event id) is known already. Never raises for the
    duplicate (the caller's transaction stays usable); on PostgreSQL a concurrent twin waits for
    the first one's commit and then finds it."""
    values = {"provider": provider_name, "event_id": event.event_id[:80], "payment_id": payment_id,
              "kind": event.kind, "occurred_at": event.occurred_at, "received_at": now_utc(), "applied": False}
    session = db.session
    dialect = session.get_bind().dialect.name
    if dialect in ("postgresql", "sqlite"):
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        stmt = (insert(PaymentEvent).values(**values)
                .on_conflict_do_nothing(index_elements=["provider", "event_id"]).returning(PaymentEvent.id))
        return session.execute(stmt).scalar()
    if session.scalar(select(PaymentEvent.id).where(PaymentEvent.provider == provider_name,
                                                    PaymentEvent.event_id == values["event_id"])) is not None:
        return None
    row = PaymentEvent(**values)
    session.add(row)
    session.flush()
    return row.id


def _locked_payment(provider_name: str, event: p.WebhookEvent) -> Payment | None:
    """Our payment, locked against a concurrent event for it (PostgreSQL; SQLite writes one at a time)."""
    query = select(Payment).where(Payment.provider == provider_name, Payment.provider_ref == event.provider_ref)
    found = db.session.scalar(query.with_for_update().execution_options(populate_existing=True))
    if found is None:  # a provider that calls before we saved its reference
        found = db.session.scalar(select(Payment).where(Payment.id == event.reference, Payment.provider == provider_name)
                                  .with_for_update().execution_options(populate_existing=True))
        if found is not None and found.provider_ref not in (None, event.provider_ref):
            return None
    return found


def apply_event(provider_name: str, event: p.WebhookEvent) -> Outcome:
    """Apply one genuine event once, never backwards. Leaves the commit to the caller."""
    payment = _locked_payment(provider_name, event)
    event_row = _insert_event(provider_name, event, payment.id if payment else None)
    if event_row is None:
        return Outcome("duplicate", payment)
    if payment is None:
        log.warning("payment event for an unknown payment", extra={"provider": provider_name})
        return Outcome("unknown_payment")
    if event.amount != payment.amount or event.reference != payment.id:
        _mismatch(payment)
        return Outcome("mismatch", payment)
    before, before_refunded = payment.status, payment.refunded_amount
    if event.kind in (p.PARTIALLY_REFUNDED, p.REFUNDED):
        refunded = min(max(event.refunded, before_refunded), payment.amount)
        status = p.status_after_refund(payment.amount, refunded) if refunded else p.PAID
    else:
        refunded, status = before_refunded, event.kind
    if (p.RANK[status], refunded) <= (p.RANK[before], before_refunded):
        return Outcome("stale", payment)  # older than what we know: kept, not applied
    db.session.get(PaymentEvent, event_row).applied = True
    payment.provider_ref = payment.provider_ref or event.provider_ref
    payment.status, payment.refunded_amount, payment.updated_at = status, refunded, now_utc()
    last = aware(payment.last_event_at)
    payment.last_event_at = event.occurred_at if last is None else max(last, event.occurred_at)
    app = db.session.get(Application, payment.application_id)
    outcome = Outcome("applied", payment)
    if before not in p.MONEY_TAKEN and status in p.MONEY_TAKEN:
        _paid(app, payment, event.occurred_at, outcome)
    if refunded > before_refunded:
        _refunded(app, payment, refunded - before_refunded, "system", outcome)
    return outcome


def _mismatch(payment: Payment) -> None:

    log.error("payment event amount or reference does not match", extra={"payment": payment.id})
    alerts.raise_soon("payment_mismatch", Message(N_("決済（%(payment)s）の通知の金額または参照が一致しません。"
                                                     "決済事業者の管理画面で確認してください。"), payment=payment.id),
                      dedupe_key=f"payment_mismatch:{payment.id}")


def _new_receipt_number() -> str:
    """領収書番号: R, the day (JST) and six random digits, e.g. R261127-048213."""
    day = dt.datetime.now(JST).strftime("%y%m%d")
    for _ in range(20):
        number = f"R{day}-{secrets.randbelow(10**6):06d}"
        if db.session.scalar(select(Payment.id).where(Payment.receipt_number == number)) is None:
            return number
    raise RuntimeError("no free receipt number")


def _paid(app: Application, payment: Payment, at: dt.datetime, outcome: Outcome) -> None:
    payment.paid_at = payment.paid_at or at
    payment.receipt_number = payment.receipt_number or _new_receipt_number()
    app.payment_state = "paid"
    applications.record_event(app, "payment", "system", note="paid")
    applications.touch(app)
    outcome.usage.append(("paid", app.procedure_id))
    if app.status == workflow.SIGNED and app.payment_timing == "at_submission" and payment.status != p.REFUNDED:
        try:
            applications.submit(app, key=f"payment:{payment.id}", actor="system")
        except ApplicationError as exc:  # e.g. the signature was dropped meanwhile: staff see it paid
            log.warning("paid application not submitted", extra={"application": app.id, "code": exc.code})
    _mail_paid(app, payment)


def _refunded(app: Application, payment: Payment, amount: int, actor: str, outcome: Outcome) -> None:
    if payment.refunded_amount >= payment.amount and not any(
            x.status in (p.PAID, p.PARTIALLY_REFUNDED) for x in payments_of(app) if x.id != payment.id):
        app.payment_state = "refunded"
    applications.record_event(app, "payment", actor, note=f"refunded:{amount}")
    applications.touch(app)
    outcome.usage.append(("refunded", app.procedure_id))


def _receipt_url(app: Application) -> str:

    return external_url("payments.receipt", token=links.status_token(app.id))


def _mail_paid(app: Application, payment: Payment) -> None:
    mail = render_mail("payment_paid", app.locale, amount=payment.amount, number=app.receipt_number or "",
                       receipt_number=payment.receipt_number, receipt_url=_receipt_url(app))
    enqueue_mail(app.email, mail.subject, mail.text, html=mail.html, dedupe_key=f"payment-paid:{payment.id}")


def record_usage(outcomes: list[Outcome]) -> None:
    """Statistics, after the commit (their own connection must not wait for our SQLite write)."""
    for outcome in outcomes:
        for metric, procedure_id in outcome.usage:
            usage.record("payments", metric, procedure_id)


def handle_webhook(provider_name: str, headers: Mapping[str, str], body: bytes) -> tuple[int, dict]:
    """What the webhook endpoint answers (and what the sandbox calls in-process): 200 for an event
    applied, stale or seen before; 400 for anything not genuine, fresh and well-formed."""
    try:
        chosen = provider(provider_name)
    except UnknownProvider:
        return 404, {"error": {"code": "unknown_provider", "message": str(_l("この決済事業者は使われていません。"))}}
    try:
        event = chosen.verify_webhook(headers, body)
    except p.WebhookRejected as exc:
        log.warning("payment webhook rejected", extra={"provider": provider_name, "code": exc.code})
        return 400, exc.body()
    try:
        outcome = apply_event(provider_name, event)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise  # 500: the provider will deliver it again
    record_usage([outcome])
    return 200, {"received": True, "result": outcome.result}


# --- reconciliation -------------------------------------------------------------------------------

# --- the sandbox provider's hosted checkout (intake/payments/views.py) ---------------------------

def sandbox_charge(sandbox: SandboxProvider, charge_id: str):
    """The sandbox's charge, or None; an expiry the sandbox notes on the way is committed."""
    charge = sandbox.charge(charge_id) if charge_id.startswith("cs_") and len(charge_id) <= 40 else None
    if charge is not None:
        db.session.commit()
    return charge


def sandbox_settle(sandbox: SandboxProvider, charge, action: str) -> bool:
    """The tester pays (``pay``) or cancels at the sandbox's checkout: the company's books first
    (committed), then its webhook is delivered. False when nothing changed (already paid,
    canceled or expired)."""
    changed = sandbox.pay(charge) if action == "pay" else sandbox.cancel(charge)
    if not changed:
        return False
    db.session.commit()
    deliver_sandbox_event(sandbox, charge)
    return True


def deliver_sandbox_event(sandbox: SandboxProvider, charge) -> int:
    """The sandbox's webhook, delivered in-process through the very handler the HTTP endpoint
    uses (same signed body and headers). A failure is logged: reconciliation settles it later."""
    headers, body = sandbox.event_for(charge)
    try:
        status, _ = handle_webhook(sandbox.name, headers, body)
    except Exception:
        log.exception("sandbox webhook delivery failed")
        db.session.rollback()
        return 500
    return status


def reconcile(older_than_minutes: int = 15) -> dict[str, int]:
    """Ask the provider about payments still open after ``older_than_minutes`` and apply what it
    says (as the event "reconcile:<ref>:<status>"). One commit per payment. Returns counts."""
    cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=older_than_minutes)
    ids = list(db.session.scalars(select(Payment.id).where(
        Payment.status.in_(list(p.OPEN)), Payment.provider_ref.is_not(None), Payment.created_at <= cutoff)
        .order_by(Payment.created_at)))
    counts = {"checked": 0, "settled": 0, "still_open": 0, "errors": 0}
    for payment_id in ids:
        payment = db.session.get(Payment, payment_id)
        counts["checked"] += 1
        try:
            chosen = provider(payment.provider)
            found = chosen.get_status(payment.provider_ref)
        except (UnknownProvider, p.ProviderError) as exc:
            log.warning("reconcile: provider did not answer", extra={"payment": payment_id, "error": str(exc)})
            db.session.rollback()
            counts["errors"] += 1
            continue
        if found.status in p.OPEN:
            db.session.commit()  # the provider may have noted an expiry
            counts["still_open"] += 1
            continue
        event = p.WebhookEvent(event_id=f"reconcile:{payment.provider_ref}:{found.status}"[:80], kind=found.status,
                               provider_ref=payment.provider_ref, reference=payment.id, amount=found.amount,
                               occurred_at=found.at, refunded=found.refunded)
        outcome = apply_event(payment.provider, event)
        db.session.commit()
        record_usage([outcome])
        counts["settled"] += outcome.result == "applied"
    return counts


# --- refunds --------------------------------------------------------------------------------------

def refund(app: Application, amount: int, reason: str, actor: str) -> PaymentRefund:
    """Give back ``amount`` yen of what the resident paid, with a reason they are told (commits).

    ApplicationError (code ``refund_reason_required``, ``refund_amount_invalid``, ``refund_too_much``,
    ``not_paid``, ``provider_error``) when refused; nothing moves then."""
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError("refund_reason_required", _l("返金の理由を書いてください。住民に伝わります。"), status=400)
    if len(reason) > MAX_REASON:
        raise ApplicationError("refund_reason_too_long", _l("返金の理由は%(most)s文字以内で書いてください。", most=MAX_REASON),
                               status=400)
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise ApplicationError("refund_amount_invalid", _l("返金額は1円以上の整数で入力してください。"), status=400)
    payment = _refundable(app)
    if payment is None:
        raise ApplicationError("not_paid", _l("返金できるお支払いがありません。"))
    remaining = payment.amount - payment.refunded_amount
    if amount > remaining:
        raise ApplicationError("refund_too_much", _l("返金額が多すぎます。返金できるのは%(most)s円までです。",
                                                     most=f"{remaining:,}"), status=400)

    audit.record("payment.refund", target=f"application:{app.id}",
                 details={"payment": payment.id, "amount": amount, "refunded_before": payment.refunded_amount},
                 actor=actor.split(":", 1)[-1] if actor.startswith("staff:") else None)
    try:
        refund_ref = provider(payment.provider).refund(payment.provider_ref, amount, reason)
    except (UnknownProvider, p.ProviderError) as exc:
        db.session.rollback()
        raise ApplicationError("provider_error", _l("決済サービスで返金できませんでした。時間をおいてもう一度お試しください。"), status=502) from exc
    row = PaymentRefund(payment_id=payment.id, amount=amount, reason=reason, actor=actor[:80],
                        provider_ref=refund_ref, created_at=now_utc())
    db.session.add(row)
    payment.refunded_amount += amount
    payment.status = p.status_after_refund(payment.amount, payment.refunded_amount)
    payment.updated_at = now_utc()
    outcome = Outcome("applied", payment)
    _refunded(app, payment, amount, actor, outcome)
    db.session.flush()
    _mail_refund(app, payment, row)
    db.session.commit()
    record_usage([outcome])
    return row


def _refundable(app: Application) -> Payment | None:
    for candidate in payments_of(app):
        if candidate.status in (p.PAID, p.PARTIALLY_REFUNDED) and candidate.refunded_amount < candidate.amount:
            return db.session.scalar(select(Payment).where(Payment.id == candidate.id).with_for_update()
                                     .execution_options(populate_existing=True))
    return None


def _mail_refund(app: Application, payment: Payment, row: PaymentRefund) -> None:
    mail = render_mail("payment_refunded", app.locale, number=app.receipt_number or "", paid=payment.amount,
                       amount=row.amount, reason=row.reason, receipt_url=_receipt_url(app))
    enqueue_mail(app.email, mail.subject, mail.text, html=mail.html, dedupe_key=f"payment-refund:{row.id}")
