"""The e-mails of one visit (まとめて予約), like a single booking's (reservations.notify): the
confirmation (every stop's time, counter and minutes, the visit's 受付番号, the manage link, the
link back to the guide result, which lists what to bring, and a .ics of the whole visit), the
change, the cancellation and the reminder the day before — once per visit, never once per stop.
Templates under templates/mail/visit_*; the booking's locale; the platform outbox in the caller's
transaction (a rolled-back visit sends nothing), with a dedupe key per visit and kind.

Plain Python (no Flask request needed: links come from PUBLIC_BASE_URL, core.links)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from icalendar import Calendar, Event

from core.city import city
from core.db import aware
from core.japan_time import JST
from core.mail_templates import Mail, locale_of, render_mail
from core.outbox import enqueue_mail
from core.words import N_, NP_
from core.words import text as translate
from knowledge.loader import KnowledgeBase
from reservations import links
from reservations import models as m
from reservations.loader import Catalog
from reservations.notify import ICS_TYPE, TOKYO, describe
from rules.wareki import format_date


@dataclass(frozen=True)
class StopLine:
    order: int
    time: str  # 9:00〜9:45
    counter: str
    minutes: int
    service: str  # the procedures done there (the services' names)


@dataclass(frozen=True)
class VisitDescription:
    number: str
    site: str
    address: str
    day: str  # 2026年12月7日（月）
    time: str  # 9:00〜10:45 (the first stop's start to the last stop's end)
    start: dt.datetime  # JST
    end: dt.datetime
    stops: list[StopLine]


def _hm(moment: dt.datetime) -> str:
    return f"{moment.hour}:{moment.minute:02d}"


def describe_visit(catalog: Catalog, v: m.Visit, stops: list[m.Reservation], locale: str = "ja",
                   kb: KnowledgeBase | None = None) -> VisitDescription:
    """The visit as the mails show it; ``stops`` in order (``visit.stops(v)``, or unsaved rows)."""
    lang = locale_of(locale)
    lines = []
    for i, r in enumerate(stops, start=1):
        d = describe(catalog, r, lang, kb)
        lines.append(StopLine(order=r.stop_order or i, time=d.time, counter=d.counter,
                              minutes=int((d.end - d.start).total_seconds() // 60), service=d.service))
    start = aware(stops[0].start).astimezone(JST) if stops else aware(v.start).astimezone(JST)
    end = aware(stops[-1].end).astimezone(JST) if stops else aware(v.end).astimezone(JST)
    site = catalog.sites.get(v.site_id)
    return VisitDescription(
        number=v.number, site=site.name.get(lang) if site else v.site_id, address=site.address.get(lang) if site else "",
        day=format_date(start.date(), lang), time=translate(lang, N_("%(start)s〜%(end)s"), start=_hm(start), end=_hm(end)),
        start=start, end=end, stops=lines)


def ics(d: VisitDescription, manage_url: str, result_url: str | None, locale: str, stamp: dt.datetime) -> bytes:
    """One VEVENT for the whole visit (first stop's start to last stop's end), each stop in the
    description; UID the visit's number, so a moved visit's file replaces the old event."""
    cal = Calendar()
    cal.add("prodid", f"-//{city().name.en}//Counter reservations//JA")
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    ev = Event()
    ev.add("uid", f"{d.number}@reserve.{city().domain}")
    ev.add("dtstamp", stamp)
    ev.add("dtstart", d.start.astimezone(TOKYO))
    ev.add("dtend", d.end.astimezone(TOKYO))
    ev.add("summary", translate(locale, NP_("calendar entry", "まとめて予約：%(site)s"), site=d.site))
    ev.add("location", f"{d.site}（{d.address}）" if d.address else d.site)
    lines = [translate(locale, N_("受付番号：%(number)s"), number=d.number)]
    lines += [translate(locale, N_("%(order)s. %(time)s %(counter)s（%(minutes)s分）"), order=s.order, time=s.time,
                        counter=s.counter, minutes=s.minutes) for s in d.stops]
    if result_url:
        lines += ["", translate(locale, N_("持ち物は、手続きガイドの結果のページにあります。")), result_url]
    lines += ["", manage_url]
    ev.add("url", manage_url)
    ev.add("description", "\n".join(lines))
    cal.add_component(ev)
    cal.add_missing_timezones()
    return cal.to_ical()


def _context(catalog: Catalog, v: m.Visit, stops: list[m.Reservation], kb: KnowledgeBase | None) -> dict:
    lang = locale_of(v.locale)
    return {"name": stops[0].name if stops else None, "d": describe_visit(catalog, v, stops, lang, kb),
            "manage_url": links.visit_manage_url(v.number), "result_url": links.result_url(v.result_path)}


def _send(stops: list[m.Reservation], key: str, mail: Mail, attachments=None) -> bool:
    email = stops[0].email if stops else None
    if not email:
        return False
    return enqueue_mail(email, mail.subject, mail.text, html=mail.html, attachments=attachments,
                        dedupe_key=key) is not None


def _with_ics(v: m.Visit, context: dict) -> list[tuple[str, str, bytes]]:
    data = ics(context["d"], context["manage_url"], context["result_url"], locale_of(v.locale),
               aware(v.created_at))
    return [(f"yoyaku-{v.number}.ics", ICS_TYPE, data)]


def send_confirmation(catalog: Catalog, v: m.Visit, stops: list[m.Reservation], kb: KnowledgeBase | None = None) -> bool:
    context = _context(catalog, v, stops, kb)
    mail = render_mail("visit_confirmed", v.locale, **context)
    return _send(stops, f"visit-confirmed:{v.number}", mail, _with_ics(v, context))


def send_moved(catalog: Catalog, v: m.Visit, stops: list[m.Reservation], before: VisitDescription,
               kb: KnowledgeBase | None = None) -> bool:
    """The new day and times (same 受付番号, a new .ics of the same event) and the old ones gone;
    one mail per move (the key names the new start)."""
    context = {**_context(catalog, v, stops, kb), "before": before}
    mail = render_mail("visit_moved", v.locale, **context)
    return _send(stops, f"visit-moved:{v.number}:{aware(v.start).isoformat()}", mail, _with_ics(v, context))


def send_cancelled(catalog: Catalog, v: m.Visit, stops: list[m.Reservation], kb: KnowledgeBase | None = None) -> bool:
    context = _context(catalog, v, stops, kb)
    context.pop("manage_url")
    return _send(stops, f"visit-cancelled:{v.number}", render_mail("visit_cancelled", v.locale, **context))


def send_reminder(catalog: Catalog, v: m.Visit, stops: list[m.Reservation], kb: KnowledgeBase | None = None) -> bool:
    """The day before: one mail for the visit (the key names the day: a visit moved to another
    day is reminded again)."""
    mail = render_mail("visit_reminder", v.locale, **_context(catalog, v, stops, kb))
    return _send(stops, f"visit-reminder:{v.number}:{v.day.isoformat()}", mail)
