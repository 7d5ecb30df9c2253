"""What a booking looks like to people: its description (pages, e-mails), the ``.ics`` file,
and the e-mails — confirmation (with the .ics), the reminder the day before, cancellation and
change. Mails go through the platform outbox in the caller's transaction (a rolled-back booking
sends nothing) with a dedupe key per reservation and kind, so each is queued once."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from core.outbox import enqueue_mail
from knowledge.loader import KnowledgeBase
from reservations import models as m
from reservations.booking import aware
from reservations.loader import Catalog
from reservations.slots import JST, visit_services
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
    lang = "en" if locale == "en" else "ja"
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
        service=("、" if lang == "ja" else ", ").join(s.name.get(lang) for s in services) or r.service_id,
        site=site.name.get(lang) if site else r.site_id,
        address=site.address.get(lang) if site else "",
        counter=counter.name.get(lang) if counter else r.counter_id,
        day=format_date(start.date(), lang), time=f"{_hm(start)}〜{_hm(end)}" if lang == "ja" else f"{_hm(start)}–{_hm(end)}",
        start=start, end=end, bring=list(dict.fromkeys(bring)))


def bring_list(catalog: Catalog, service_id: str, lang: str, kb: KnowledgeBase | None) -> list[str]:
    """The curated hint of the service; else what its procedures always need (knowledge bring lists)."""
    service = catalog.services.get(service_id)
    if service is None:
        return []
    if service.bring_hint is not None:
        return [part.strip() for part in service.bring_hint.get(lang).split("、" if lang == "ja" else ", ") if part.strip()]
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
    cal.add("prodid", "-//Kakogawa City//Counter reservations//JA")
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    ev = Event()
    ev.add("uid", f"{r.number}@reserve.kakogawa")
    ev.add("dtstamp", aware(r.confirmed_at or r.created_at))
    ev.add("dtstart", d.start.astimezone(TOKYO))  # TZID=Asia/Tokyo (a fixed offset would come out floating)
    ev.add("dtend", d.end.astimezone(TOKYO))
    ev.add("summary", f"{'窓口の予約' if locale != 'en' else 'Counter booking'}：{d.service}")
    ev.add("location", f"{d.site} {d.counter}（{d.address}）" if locale != "en" else f"{d.site}, {d.counter} ({d.address})")
    lines = [f"予約番号：{r.number}" if locale != "en" else f"Booking number: {r.number}"]
    if d.bring:
        lines += ["持ち物：" if locale != "en" else "What to bring:"] + [f"・{b}" for b in d.bring]
    if manage_url:
        lines += ["", manage_url]
        ev.add("url", manage_url)
    ev.add("description", "\n".join(lines))
    cal.add_component(ev)
    cal.add_missing_timezones()  # the VTIMEZONE of Asia/Tokyo, for calendars that need it
    return cal.to_ical()


def _summary_lines(d: Description, lang: str) -> list[str]:
    if lang == "en":
        return [f"Booking number: {d.number}", f"Date: {d.day} {d.time}", f"Place: {d.site} ({d.address})",
                f"Counter: {d.counter}", f"Service: {d.service}"]
    return [f"予約番号：{d.number}", f"日時：{d.day} {d.time}", f"場所：{d.site}（{d.address}）",
            f"窓口：{d.counter}", f"手続き：{d.service}"]


def _bring_lines(d: Description, lang: str) -> list[str]:
    if not d.bring:
        return []
    return ["", "What to bring:" if lang == "en" else "持ち物："] + [f"・{b}" for b in d.bring]


def _send(r: m.Reservation, kind: str, subject: str, lines: list[str], attachments=None) -> bool:
    if not r.email:
        return False
    return enqueue_mail(r.email, subject, "\n".join(lines), dedupe_key=f"reservation-{kind}:{r.number}",
                        attachments=attachments) is not None


def send_confirmation(catalog: Catalog, r: m.Reservation, manage_url: str, kb: KnowledgeBase | None = None) -> bool:
    lang = "en" if r.locale == "en" else "ja"
    d = describe(catalog, r, lang, kb)
    if lang == "en":
        subject = f"[Kakogawa City] Your counter booking {r.number}"
        lines = ["Your booking is confirmed.", ""] + _summary_lines(d, lang) + _bring_lines(d, lang) + [
            "", "Show the booking number (or its QR code) at the counter.",
            "To view, change or cancel (keep this link private):", manage_url,
            "", "The attached file adds the visit to your calendar."]
    else:
        subject = f"【加古川市】窓口の予約を受け付けました（予約番号 {r.number}）"
        lines = [f"{r.name or ''} 様", "", "窓口の予約を受け付けました。", ""] + _summary_lines(d, lang) + _bring_lines(d, lang) + [
            "", "窓口で予約番号（または予約確認ページのQRコード）をお見せください。",
            "予約の確認・変更・取り消しは、次のページからできます（このリンクは他の人に教えないでください）。", manage_url,
            "", "添付のファイルで、スマートフォンのカレンダーに予定を入れられます。"]
    return _send(r, "confirmed", subject, lines, [(f"yoyaku-{r.number}.ics", ICS_TYPE, ics(catalog, r, manage_url, lang))])


def send_reminder(catalog: Catalog, r: m.Reservation, manage_url: str, kb: KnowledgeBase | None = None) -> bool:
    lang = "en" if r.locale == "en" else "ja"
    d = describe(catalog, r, lang, kb)
    if lang == "en":
        subject = f"[Kakogawa City] Reminder: your counter booking tomorrow ({r.number})"
        lines = ["This is a reminder of your booking tomorrow.", ""] + _summary_lines(d, lang) + _bring_lines(d, lang) + [
            "", "If you cannot come, please cancel so someone else can use the time:", manage_url]
    else:
        subject = f"【加古川市】明日は窓口の予約の日です（予約番号 {r.number}）"
        lines = [f"{r.name or ''} 様", "", "明日の窓口の予約をお知らせします。", ""] + _summary_lines(d, lang) + _bring_lines(d, lang) + [
            "", "来られなくなったときは、ほかの方が使えるように取り消してください。", manage_url]
    return _send(r, "reminder", subject, lines)


def send_cancelled(catalog: Catalog, r: m.Reservation, kb: KnowledgeBase | None = None) -> bool:
    lang = "en" if r.locale == "en" else "ja"
    d = describe(catalog, r, lang, kb)
    if lang == "en":
        subject = f"[Kakogawa City] Your counter booking {r.number} is cancelled"
        lines = ["Your booking has been cancelled.", ""] + _summary_lines(d, lang)
    else:
        subject = f"【加古川市】窓口の予約を取り消しました（予約番号 {r.number}）"
        lines = [f"{r.name or ''} 様", "", "次の窓口の予約を取り消しました。", ""] + _summary_lines(d, lang)
    return _send(r, "cancelled", subject, lines)


def send_moved(catalog: Catalog, old: m.Reservation, new: m.Reservation, manage_url: str,
               kb: KnowledgeBase | None = None) -> bool:
    """The change: the new time (with its .ics, a new event) and that the old one is gone."""
    lang = "en" if new.locale == "en" else "ja"
    d, before = describe(catalog, new, lang, kb), describe(catalog, old, lang)
    if lang == "en":
        subject = f"[Kakogawa City] Your counter booking was changed ({new.number})"
        lines = ["Your booking has been changed. The new booking:", ""] + _summary_lines(d, lang) + [
            "", f"The booking {old.number} ({before.day} {before.time}) is cancelled.",
            "To view, change or cancel:", manage_url]
    else:
        subject = f"【加古川市】窓口の予約を変更しました（新しい予約番号 {new.number}）"
        lines = [f"{new.name or ''} 様", "", "窓口の予約を変更しました。新しい予約は次のとおりです。", ""] + _summary_lines(d, lang) + [
            "", f"前の予約（予約番号 {old.number}、{before.day} {before.time}）は取り消しました。",
            "予約の確認・変更・取り消しは、次のページからできます。", manage_url]
    return _send(new, "moved", subject, lines + _bring_lines(d, lang),
                 [(f"yoyaku-{new.number}.ics", ICS_TYPE, ics(catalog, new, manage_url, lang))])
