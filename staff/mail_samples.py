"""Sample data for every mail template, so staff can read each message as residents get it.

The samples go through the same code as real mails where it matters: a booking's summary is
``reservations.notify.describe`` of an unsaved booking on the city's own catalogue (its first
service), and links come from the real link builders (PUBLIC_BASE_URL) with made-up ids that
open nothing. No resident's data is read.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from core.alerts import TITLES
from core.pack import rulebook
from intake import links as intake_links
from intake import workflow
from intake.dispatch import RESIDENT_TEXT
from reservations import links as reservation_links
from reservations import models as m
from reservations.current import catalog as current_catalog
from reservations.notify import describe
from reservations.slots import JST
from reservations.visit_notify import describe_visit

NAME = "山田 太郎"  # residents writing in English have their own names too
SAMPLE_ID = "sample-preview"
# what staff type is sent as typed, whatever the resident's language
STAFF_NOTE = "添付の写真が読めません。もう一度撮って添付してください。"
REFUND_REASON = "通数の誤り"


def _booking(number: str, days_ahead: int) -> m.Reservation:
    catalog = current_catalog()
    service = next(iter(catalog.services.values()))
    counter = catalog.counters[service.counters[0]]
    start = dt.datetime.combine(dt.date.today() + dt.timedelta(days=days_ahead), dt.time(9, 30), tzinfo=JST)
    return m.Reservation(number=number, service_id=service.id, site_id=counter.site, counter_id=counter.id,
                         procedures="", start=start, end=start + dt.timedelta(minutes=service.minutes),
                         locale="ja", name=None)


def _reservation(locale: str, *, moved: bool = False) -> dict[str, Any]:
    new = _booking("A1B2C3", 7)
    context: dict[str, Any] = {"name": NAME, "d": describe(current_catalog(), new, locale, rulebook().kb),
                               "manage_url": reservation_links.manage_url(new.number)}
    if moved:
        context["before"] = describe(current_catalog(), _booking("Z9Y8X7", 3), locale)
    return context


def _visit_stops(days_ahead: int) -> tuple[m.Visit, list[m.Reservation]]:
    """An unsaved visit of the city's own catalogue: the itinerary of its first two counters'
    services (one stop each), back to back from 9:30."""
    catalog = current_catalog()
    services, seen = [], set()
    for service in catalog.services.values():
        if service.counters and service.counters[0] not in seen:
            seen.add(service.counters[0])
            services.append(service)
        if len(services) == 2:
            break
    start = dt.datetime.combine(dt.date.today() + dt.timedelta(days=days_ahead), dt.time(9, 30), tzinfo=JST)
    stops = []
    for order, service in enumerate(services, start=1):
        counter = catalog.counters[service.counters[0]]
        end = start + dt.timedelta(minutes=service.minutes)
        stops.append(m.Reservation(number=f"S{order}B2C3D4", service_id=service.id, site_id=counter.site,
                                   counter_id=counter.id, procedures="", start=start, end=end, locale="ja",
                                   stop_order=order, name=None))
        start = end
    site = stops[0].site_id if stops else next(iter(catalog.sites))
    v = m.Visit(number="V1A2B3C4D", site_id=site, day=stops[0].start.date(), start=stops[0].start,
                end=stops[-1].end, status=m.CONFIRMED, locale="ja", procedures="",
                result_path="/guide/tennyu/result?sample=1", created_at=stops[0].start)
    return v, stops


def _visit(locale: str, *, moved: bool = False) -> dict[str, Any]:
    v, stops = _visit_stops(7)
    context: dict[str, Any] = {"name": NAME, "d": describe_visit(current_catalog(), v, stops, locale, rulebook().kb),
                               "manage_url": reservation_links.visit_manage_url(v.number),
                               "result_url": reservation_links.result_url(v.result_path)}
    if moved:
        old, old_stops = _visit_stops(3)
        context["before"] = describe_visit(current_catalog(), old, old_stops, locale)
    return context


def _status(locale: str) -> dict[str, Any]:
    status = workflow.CORRECTION
    return {"number": "20261202-0001", "status_label": workflow.label(status, locale),
            "resident_text": workflow.RESIDENT_TEXT[status][locale],
            "status_url": intake_links.status_url(SAMPLE_ID),
            "note": STAFF_NOTE}


def _posted(locale: str) -> dict[str, Any]:
    return {"number": "20261202-0001", "resident_text": RESIDENT_TEXT[locale],
            "status_url": intake_links.status_url(SAMPLE_ID)}


def _alert(locale: str) -> dict[str, Any]:
    return {"title": TITLES["server_error"], "moment": "2026年12月2日 09:30",
            "message": "サーバーエラー（5xx）が5分間に12回発生しました。システムの状態を確認してください。"}


def _receipt_url() -> str:
    return intake_links.external_url("payments.receipt", token=intake_links.status_token(SAMPLE_ID))


SAMPLES: dict[str, Callable[[str], dict[str, Any]]] = {
    "reservation_confirmed": _reservation,
    "reservation_reminder": _reservation,
    "reservation_cancelled": _reservation,
    "reservation_moved": lambda locale: _reservation(locale, moved=True),
    "visit_confirmed": _visit,
    "visit_reminder": _visit,
    "visit_cancelled": lambda locale: {k: v for k, v in _visit(locale).items() if k != "manage_url"},
    "visit_moved": lambda locale: _visit(locale, moved=True),
    "application_status": _status,
    "application_fee_due": lambda locale: {"number": "20261202-0001", "fee": 450,
                                           "status_url": intake_links.status_url(SAMPLE_ID)},
    "application_resume": lambda locale: {"resume_url": intake_links.resume_url(SAMPLE_ID)},
    "application_posted": _posted,
    "payment_paid": lambda locale: {"amount": 450, "number": "20261202-0001", "receipt_number": "R-000123",
                                    "receipt_url": _receipt_url()},
    "payment_refunded": lambda locale: {"number": "20261202-0001", "paid": 900, "amount": 450,
                                        "reason": REFUND_REASON,
                                        "receipt_url": _receipt_url()},
    "security_alert": _alert,  # to the administrators, in Japanese (the console's language)
}


def sample(template: str, locale: str) -> dict[str, Any]:
    """The sample context of ``template`` in ``locale`` (KeyError for a template without one)."""
    return SAMPLES[template](locale)
