"""What a booking looks like to people: its description (pages, e-mails), the ``.ics`` file,
and the e-mails — confirmation (with the .ics), the reminder the day before, cancellation and
change, each a template under templates/mail/ (``core.mail_templates``). Mails go through the platform outbox in the caller's transaction (a rolled-back booking
sends nothing) with a dedupe key per reservation and kind, so each is queued once."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from core.city import city
from core.japan_time import JST
from core.mail_templates import Mail, locale_of, render_mail
from core.outbox import enqueue_mail
from core.words import N_, NP_
from core.words import text as translate
from knowledge.loader import KnowledgeBase
from reservations import models as m
from reservations.booking import aware
from reservations.loader import Catalog
from reservations.slots import visit_services
from rules.wareki import format_date

ICS_TYPE = "text/calendar"
TOKYO = ZoneInfo("Asia/Tokyo")


@dataclass(frozen=True)
class Description:
    number: str
    service: str
    site: str
    address: str
    counter: str
    day: str  # 2026年12月7日（月）
    time: str  # 9:00〜9:45
    start: dt.datetime  # JST
    end: dt.datetime
    bring: list[str]


def _hm(moment: dt.datetime) -> str:
    return f"{moment.hour}:{moment.minute:02d}"


def describe(catalog: Catalog, r: m.Reservation, locale: str = "ja", kb: KnowledgeBase | None = None) -> Description:
    lang = locale_of(locale)
    start, end = aware(r.start).astimezone(JST), aware(r.end).astimezone(JST)
    # one visit may do several services at this counter (the guide's procedures): name them all
    services = [catalog.services[s] for s in visit_services(catalog, r.service_id, r.site_id,
                                                            [p for p in r.procedures.split(",") if p])
                if s in catalog.services]
    site = catalog.sites.get(r.site_id)
    counter = catalog.counters.get(r.counter_id)
    bring = [b for s in services for b in bring_list(catalog, s.id, lang, kb)] or bring_list(catalog, r.service_id, lang, kb)
    return Description(
        number=r.number,
        service=translate(lang, N_("、")).join(s.name.get(lang) for s in services) or r.service_id,
        site=site.name.get(lang) if site else r.site_id,
        address=site.address.get(lang) if site else "",
        counter=counter.name.get(lang) if counter else r.counter_id,
        day=format_date(start.date(), lang), time=translate(lang, N_("%(start)s〜%(end)s"), start=_hm(start), end=_hm(end)),
        start=start, end=end, bring=list(dict.fromkeys(bring)))


def bring_list(catalog: Catalog, service_id: str, lang: str, kb: KnowledgeBase | None) -> list[str]:
    """The curated hint of the service; else what its procedures always need (knowledge bring lists)."""
    service = catalog.services.get(service_id)
    if service is None:
        return []
    if service.bring_hint is not None:
        return [part.strip() for part in service.bring_hint.get(lang).split(translate(lang, N_("、"))) if part.strip()]
    if kb is None:
        return []
    names: list[str] = []
    for pid in service.procedures:
        proc = kb.procedures.get(pid)
        for b in proc.bring if proc else []:
            item = kb.items.get(b.item)
            if item is not None and b.when is None and b.member is None:
                name = item.name.get(lang)
                if name not in names:
                    names.append(name)
    return names


def ics(catalog: Catalog, r: m.Reservation, manage_url: str = "", locale: str = "ja") -> bytes:
    """One VEVENT in Asia/Tokyo time; the UID is the reservation number, so a moved booking's new
    file is a new event and the cancelled one can be removed by the resident."""
    d = describe(catalog, r, locale)
    cal = Calendar()
    cal.add("prodid", f"-//{city().name.en}//Counter reservations//JA")
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    ev = Event()
    ev.add("uid", f"{r.number}@reserve.{city().domain}")
    ev.add("dtstamp", aware(r.confirmed_at or r.created_at))
    ev.add("dtstart", d.start.astimezone(TOKYO))  # TZID=Asia/Tokyo (a fixed offset would come out floating)
    ev.add("dtend", d.end.astimezone(TOKYO))
    ev.add("summary", translate(locale, NP_("calendar entry", "窓口の予約：%(service)s"), service=d.service))
    ev.add("location", translate(locale, N_("%(site)s %(counter)s（%(address)s）"), site=d.site, counter=d.counter,
                                 address=d.address))
    lines = [translate(locale, N_("予約番号：%(number)s"), number=r.number)]
    if d.bring:
        lines += [translate(locale, N_("持ち物："))] + [f"・{b}" for b in d.bring]
    if manage_url:
        lines += ["", manage_url]
        ev.add("url", manage_url)
    ev.add("description", "\n".join(lines))
    cal.add_component(ev)
    cal.add_missing_timezones()  # the VTIMEZONE of Asia/Tokyo, for calendars that need it
    return cal.to_ical()


def _send(r: m.Reservation, kind: str, mail: Mail, attachments=None) -> bool:
    if not r.email:
        return False
    return enqueue_mail(r.email, mail.subject, mail.text, html=mail.html, attachments=attachments,
                        dedupe_key=f"reservation-{kind}:{r.number}") is not None


def send_confirmation(catalog: Catalog, r: m.Reservation, manage_url: str, kb: KnowledgeBase | None = None) -> bool:
    lang = locale_of(r.locale)
    mail = render_mail("reservation_confirmed", lang, name=r.name, d=describe(catalog, r, lang, kb),
                       manage_url=manage_url)
    return _send(r, "confirmed", mail, [(f"yoyaku-{r.number}.ics", ICS_TYPE, ics(catalog, r, manage_url, lang))])


def send_reminder(catalog: Catalog, r: m.Reservation, manage_url: str, kb: KnowledgeBase | None = None) -> bool:
    lang = locale_of(r.locale)
    mail = render_mail("reservation_reminder", lang, name=r.name, d=describe(catalog, r, lang, kb),
                       manage_url=manage_url)
    return _send(r, "reminder", mail)


def send_cancelled(catalog: Catalog, r: m.Reservation, kb: KnowledgeBase | None = None) -> bool:
    lang = locale_of(r.locale)
    return _send(r, "cancelled", render_mail("reservation_cancelled", lang, name=r.name,
                                             d=describe(catalog, r, lang, kb)))


def send_moved(catalog: Catalog, old: m.Reservation, new: m.Reservation, manage_url: str,
               kb: KnowledgeBase | None = None) -> bool:
    """The change: the new time (with its .ics, a new event) and that the old one is gone."""
    lang = locale_of(new.locale)
    mail = render_mail("reservation_moved", lang, name=new.name, d=describe(catalog, new, lang, kb),
                       before=describe(catalog, old, lang), manage_url=manage_url)
    return _send(new, "moved", mail, [(f"yoyaku-{new.number}.ics", ICS_TYPE, ics(catalog, new, manage_url, lang))])
