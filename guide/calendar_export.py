"""An iCalendar file of the due dates, so residents can put them in their phone's calendar."""
from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from icalendar import Calendar, Event


def result_ics(result: dict[str, Any], title: str, url: str) -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//Kakogawa City//Procedure guide//JA")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"{title}（手続きの期限）")
    stamp = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)  # fixed: the file is a pure function of the answers
    for p in result["procedures"]:
        if not p.get("due_date"):
            continue
        day = dt.date.fromisoformat(p["due_date"])
        ev = Event()
        uid = hashlib.sha256(f"{result['event']}|{result.get('event_date')}|{p['id']}".encode()).hexdigest()[:24]
        ev.add("uid", f"{uid}@guide.kakogawa")
        ev.add("dtstamp", stamp)
        ev.add("summary", f"期限：{p['name']}")
        ev.add("dtstart", day)
        ev.add("dtend", day + dt.timedelta(days=1))
        lines = [p["deadline"], f"窓口：{p['counter']}"] + [f"・{b['name']}" for b in p["bring"]]
        ev.add("description", "\n".join(lines) + f"\n{url}")
        ev.add("url", url)
        cal.add_component(ev)
    return cal.to_ical()
