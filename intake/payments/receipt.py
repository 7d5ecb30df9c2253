"""What the 領収書 shows: numbers, the procedure, the amount with its 内訳 where the form's fee
rule explains it, the day paid (JST, 西暦 and 和暦), the 但し書き and any refunds."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import current_app

from core.japan_time import JST
from intake import applications
from intake.forms import Form, fee_quantity, unit_fee
from intake.forms_current import current_forms
from intake.models import Application
from intake.payments import service
from intake.payments.models import Payment
from rules.wareki import format_date, to_wareki, ymd_with_wareki


@dataclass(frozen=True)
class RefundLine:
    amount: int
    on: dt.date


@dataclass(frozen=True)
class Receipt:
    number: str  # 領収書番号
    application_number: str  # 受付番号
    procedure_ja: str
    procedure_en: str
    payer: str
    amount: int
    unit_amount: int | None  # 内訳, when unit × quantity is the amount paid
    unit_label_ja: str
    unit_label_en: str
    quantity: int | None
    paid_on: dt.date
    paid_on_wareki: str
    refunds: tuple[RefundLine, ...]
    refunded: int
    test_payment: bool  # the sandbox: said on the receipt, so it is never mistaken for a real one


def jst(moment: dt.datetime | None) -> dt.datetime | None:
    return applications.aware(moment).astimezone(JST) if moment else None


def _forms() -> dict[str, Form]:
    return current_forms()


def _form(procedure_id: str) -> Form | None:

    try:
        return _forms().get(procedure_id)
    except Exception:  # the receipt is still shown, without 内訳
        current_app.logger.warning("forms not loadable for the receipt", exc_info=True)
        return None


def build(app: Application, payment: Payment) -> Receipt:
    paid_at = jst(payment.paid_at) or jst(payment.updated_at)
    paid_on = paid_at.date()
    form = _form(app.procedure_id)
    unit_amount = quantity = None
    unit_ja = unit_en = ""
    if form is not None:
        fee = unit_fee(form.procedure, paid_on) or unit_fee(form.procedure, jst(app.created_at).date())
        qty = fee_quantity(form, applications.values(app))
        if fee is not None and qty > 0 and fee.amount_yen * qty == payment.amount:
            unit_amount, quantity, unit_ja, unit_en = fee.amount_yen, qty, fee.unit.ja, fee.unit.en
    fields = applications.values(app)
    payer = f"{fields.get('applicant_family_name', '')} {fields.get('applicant_given_name', '')}".strip()
    refunds = tuple(RefundLine(r.amount, jst(r.created_at).date()) for r in service.refunds_of(payment))
    title_ja = form.title.ja if form is not None else app.procedure_id
    title_en = form.title.en if form is not None else app.procedure_id
    return Receipt(number=payment.receipt_number or "", application_number=app.receipt_number or "",
                   procedure_ja=title_ja, procedure_en=title_en, payer=payer, amount=payment.amount,
                   unit_amount=unit_amount, unit_label_ja=unit_ja, unit_label_en=unit_en, quantity=quantity,
                   paid_on=paid_on, paid_on_wareki=to_wareki(paid_on, with_weekday=False), refunds=refunds,
                   refunded=payment.refunded_amount, test_payment=payment.provider == "sandbox")


def date_text(day: dt.date, locale: str) -> str:
    """ja: 2026年11月27日（令和8年11月27日）; en: 27 November 2026 (with the weekday)."""
    if locale == "en":
        return format_date(day, "en")
    return ymd_with_wareki(day)
