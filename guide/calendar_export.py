"""An iCalendar file of the due dates, so residents can put them in their phone's calendar."""
from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from icalendar import Calendar, Event

from core.furigana import with_readings
from core.words import N_, NP_, text
from knowledge.schema import PackFile

CALENDAR_NAME = N_("%(title)s（手続きの期限）")
SUMMARY = N_("期限：%(procedure)s")
COUNTER = N_("窓口：%(counter)s")
BULLET = NP_("list bullet", "・")


def result_ics(result: dict[str, Any], title: str, url: str, pack: PackFile, locale: str = "ja") -> bytes:
    """``pack``: the city, which names the calendar's maker and the events' domain; ``url``: the
    result page the events link back to; ``locale``: the language of the file's own words."""
    cal = Calendar()
    cal.add("prodid", f"-//{pack.name.en}//Procedure guide//JA")
    cal.add("version", "2.0")
    # やさしい日本語's furigana as 漢字（かんじ）: a calendar shows no ruby, and the file's lines are
    # folded, so the page's after-request pass could not find a notation cut in two
    cal.add("x-wr-calname", with_readings(text(locale, CALENDAR_NAME, title=title)))
    stamp = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)  # fixed: the file is a pure function of the answers
    for p in result["procedures"]:
        if not p.get("due_date"):
            continue
        day = dt.date.fromisoformat(p["due_date"])
        ev = Event()
        uid = hashlib.sha256(f"{result['event']}|{result.get('event_date')}|{p['id']}".encode()).hexdigest()[:24]
        ev.add("uid", f"{uid}@guide.{pack.domain}")
        ev.add("dtstamp", stamp)
        ev.add("summary", with_readings(text(locale, SUMMARY, procedure=p["name"])))
        ev.add("dtstart", day)
        ev.add("dtend", day + dt.timedelta(days=1))
        lines = [p["deadline"], text(locale, COUNTER, counter=p["counter"])] + [text(locale, BULLET) + b["name"] for b in p["bring"]]
        ev.add("description", with_readings("\n".join(lines)) + f"\n{url}")
        ev.add("url", url)
        cal.add_component(ev)
    return cal.to_ical()
