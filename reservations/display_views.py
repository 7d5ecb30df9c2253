"""The hall display (/display/<site>): a public page for a screen in the waiting hall showing the
numbers being called with their windows, how many wait at each counter and the estimated wait
for someone who takes a number now. Numbers only: nothing here names or identifies anyone.

It is a lobby screen: no residents' header, footer or menus; the numbers being called now in
type readable from 10 m, the last calls listed below; a 全画面表示 button (Fullscreen API) and an
optional chime (off unless switched on by its button or ?chime=1; a tone made by Web Audio, no
sound file). It refreshes itself every REFRESH_SECONDS: a small script (static/js/display.js,
allowed by the CSP as a same-origin file) replaces the board in place and announces a new call
(aria-live); without JavaScript a <noscript> meta refresh reloads the page, which is header-less
too. No login: the page is meant to be open all day on a screen.
"""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, g, render_template, request, url_for

from reservations import crowding
from reservations import queue as walkin
from reservations.current import catalog as current_catalog
from reservations.loader import Catalog

bp = Blueprint("display", __name__, template_folder="templates")

REFRESH_SECONDS = 10
SHOWN_CALLS = 12  # the numbers being called now (one per window) and the last calls before them
SHOWN_CURRENT = 4  # at most this many numbers in very large type


def _locale() -> str:
    return getattr(g, "locale", "ja")  # the page's language: pack texts fall back themselves


def board(cat: Catalog, site_id: str, now: dt.datetime | None = None) -> dict:
    """What the screen shows for ``site_id`` now."""
    now = now or walkin.now_utc()
    today = walkin.today(now)
    lang = _locale()
    counters = [cid for cid, c in cat.counters.items() if c.site == site_id]
    prefix = {cid: cat.counters[cid].call_prefix for cid in counters}
    calls = [{"label": walkin.label(prefix[t.counter_id], t.number), "window": t.window or "",
              "counter": cat.counters[t.counter_id].name.get(lang), "current": t.status == walkin.CALLED,
              "at": t.called_at}
             for t in walkin.recently_called(counters, today, SHOWN_CALLS)]
    queues = []
    checked_in = crowding.checked_in_waiting(counters, today)
    for cid in counters:  # the same figures as the crowding page (walk-ins and bookings checked in)
        here = crowding.counter_now(cat, cid, today, now, checked_in.get(cid, 0))
        if not here.issued and not here.waiting:
            continue  # a counter with no walk-ins today is not on the board
        queues.append({"counter": cat.counters[cid].name.get(lang), "waiting": here.waiting, "minutes": here.minutes})
    current = [c for c in calls if c["current"]][:SHOWN_CURRENT]
    earlier = [c for c in calls if c not in current][: SHOWN_CALLS - len(current)]
    latest = calls[0] if calls else None
    return {"calls": calls, "current": current, "earlier": earlier, "queues": queues,
            "latest_key": f"{latest['label']}|{latest['window']}|{latest['at'].isoformat() if latest['at'] else ''}"
            if latest else "", "updated": now.astimezone(walkin.JST)}


@bp.get("/display/")
def sites():
    cat = current_catalog()
    return render_template("display/sites.html", crowding_url=url_for("crowding.index"), sites=[
        {"id": s.id, "name": s.name.get(_locale())} for s in cat.sites.values()])


@bp.get("/display/<site_id>")
def hall(site_id: str):
    cat = current_catalog()
    site = cat.sites.get(site_id)
    if site is None:
        abort(404)
    response = render_template("display/hall.html", site_name=site.name.get(_locale()), refresh=REFRESH_SECONDS,
                               chime=request.args.get("chime") in ("1", "on"), **board(cat, site_id))
    return response, 200, {"Cache-Control": "no-store"}
