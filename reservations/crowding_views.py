"""混雑状況 (issue 14): public pages of how crowded the counters are now and are expected to be,
so that residents come at quiet times. Thin: the figures come from ``reservations.crowding``.

    /crowding                    every site: the people waiting and the wait at each counter now
    /crowding/<site>             one site: now, and a table of the expected level per counter for
                                 each coming day (?from=YYYY-MM-DD moves the first day)
    /embed/crowding/<site>       the widget for the city's homepage (an iframe; /embed/ paths may be
                                 framed by EMBED_ALLOWED_ORIGINS, core/security.py)
    /api/v1/reservations/crowding/<site>   the same as JSON (reservations/openapi_parts.py)

The "now" part refreshes in place every REFRESH_SECONDS (static crowding.js fetches the page
again and swaps that part, announced politely); without JavaScript the page has a 「最新の情報にする」
link, and the widget a <noscript> meta refresh like the hall display. No login, nothing personal.
Refusals (an unknown site, a bad date) are ``AppError``: the error page or the JSON error, in
the reader's language.
"""
from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from flask import Blueprint, g, jsonify, render_template, request, url_for
from flask_babel import lazy_gettext as _l

from core.errors import AppError
from core.i18n import current_locale
from reservations import crowding
from reservations.current import catalog as current_catalog
from reservations.loader import Catalog
from reservations.overrides import for_day
from reservations.wording import closed_text
from rules.wareki import format_date

bp = Blueprint("crowding", __name__, template_folder="templates")

REFRESH_SECONDS = 60
WIDGET_DAYS = 7


def _locale() -> str:
    return getattr(g, "locale", "ja")


def _site_or_404(cat: Catalog, site_id: str):
    site = cat.sites.get(site_id)
    if site is None:
        raise AppError("unknown_site", _l("この場所はありません。"), 404)
    return site


def _start(cat: Catalog, today: dt.date) -> dt.date:
    """?from=YYYY-MM-DD: today up to the booking horizon; anything else is refused (400)."""
    raw = request.args.get("from")
    if raw is None or raw == "":
        return today
    try:
        day = dt.date.fromisoformat(raw) if len(raw) == 10 else None
    except ValueError:
        day = None
    if day is None:
        raise AppError("bad_date", _l("日付を YYYY-MM-DD の形で指定してください。"), 400)
    if not today <= day <= today + dt.timedelta(days=cat.rules.horizon_days):
        raise AppError("date_out_of_range", _l("今日から%(n)s日先までの日付を指定してください。",
                                                n=cat.rules.horizon_days), 400)
    return day


def _now_rows(cat: Catalog, now: crowding.SiteNow, lang: str) -> list[dict]:
    return [{"counter_id": c.counter_id, "counter": cat.counters[c.counter_id].name.get(lang), "waiting": c.waiting,
             "walk_ins": c.walk_ins, "checked_in": c.checked_in, "minutes": c.minutes} for c in now.counters]


def _site_now(cat: Catalog, site_id: str, lang: str) -> dict:
    now = crowding.site_now(cat, site_id)
    return {"site_id": site_id, "name": cat.sites[site_id].name.get(lang), "at": now.at,
            "closed": closed_text(for_day(cat, site_id, now.day), site_id, now.day, lang) if now.closed else None,
            "counters": _now_rows(cat, now, lang)}


def _days(cat: Catalog, site_id: str, start: dt.date, days: int | None, lang: str) -> list[dict]:
    out = []
    for d in crowding.ahead(cat, site_id, start, days):
        out.append({"day": d.day, "date": format_date(d.day, lang),
                    "closed": closed_text(for_day(cat, site_id, d.day), site_id, d.day, lang) if d.closed else None,
                    "season": cat_season_name(cat, d.season, lang),
                    "counters": {cid: {"level": c.level.id, "name": c.level.name.get(lang), "mark": c.level.mark,
                                       "index": c.index, "fill_percent": c.fill_percent,
                                       "visits_per_window": c.visits_per_window, "raised_by": c.raised_by}
                                 for cid, c in d.counters.items()}})
    return out


def cat_season_name(cat: Catalog, season_id: str | None, lang: str) -> str | None:
    for season in cat.seasons:
        if season.id == season_id:
            return season.name.get(lang)
    return None


def _with_lang(url: str) -> str:
    """Links inside a frame keep ?lang= (a framed page cannot count on the language cookie)."""
    return f"{url}{'&' if '?' in url else '?'}{urlencode({'lang': current_locale()})}"


@bp.get("/crowding")
def index():
    cat, lang = current_catalog(), _locale()
    sites = [_site_now(cat, sid, lang) for sid in cat.sites]
    return render_template("crowding/index.html", sites=sites, refresh=REFRESH_SECONDS), 200, \
        {"Cache-Control": "no-store"}


@bp.get("/crowding/<site_id>")
def site(site_id: str):
    cat, lang = current_catalog(), _locale()
    _site_or_404(cat, site_id)
    now = _site_now(cat, site_id, lang)
    start = _start(cat, now["at"].date())
    counters = [{"id": cid, "name": cat.counters[cid].name.get(lang)} for cid in crowding.site_counters(cat, site_id)]
    return render_template("crowding/site.html", now=now, days=_days(cat, site_id, start, None, lang),
                           counters=counters, levels=cat.crowding.levels if cat.crowding else [],
                           refresh=REFRESH_SECONDS, other_sites=len(cat.sites) > 1,
                           **_pages(cat, site_id, start, now["at"].date())), 200, {"Cache-Control": "no-store"}


def _pages(cat: Catalog, site_id: str, start: dt.date, today: dt.date) -> dict:
    """Links to the days before and after the ones shown (within today … the booking horizon)."""
    if cat.crowding is None:
        return {"earlier_url": None, "later_url": None, "span": 0}
    span = cat.crowding.days_ahead
    last = today + dt.timedelta(days=cat.rules.horizon_days)
    earlier = max(start - dt.timedelta(days=span), today) if start > today else None
    later = start + dt.timedelta(days=span) if start + dt.timedelta(days=span) <= last else None

    def link(day: dt.date) -> str:
        return url_for("crowding.site", site_id=site_id, **({"from": day.isoformat()} if day != today else {}))

    return {"earlier_url": link(earlier) if earlier else None, "later_url": link(later) if later else None,
            "span": span}


@bp.get("/embed/crowding/<site_id>")
def widget(site_id: str):
    cat, lang = current_catalog(), _locale()
    _site_or_404(cat, site_id)
    now = _site_now(cat, site_id, lang)
    counters = [{"id": cid, "name": cat.counters[cid].name.get(lang)} for cid in crowding.site_counters(cat, site_id)]
    return render_template("crowding/widget.html", now=now, counters=counters,
                           days=_days(cat, site_id, now["at"].date(), WIDGET_DAYS, lang), refresh=REFRESH_SECONDS,
                           page_url=_with_lang(url_for("crowding.site", site_id=site_id))), 200, \
        {"Cache-Control": "no-store"}


@bp.get("/api/v1/reservations/crowding/<site_id>")
def api(site_id: str):
    cat, lang = current_catalog(), current_locale()
    _site_or_404(cat, site_id)
    now = _site_now(cat, site_id, lang)
    start = _start(cat, now["at"].date())
    return jsonify({
        "site_id": site_id, "site": now["name"], "at": now["at"].isoformat(), "closed_today": now["closed"],
        "now": [{k: c[k] for k in ("counter_id", "counter", "waiting", "walk_ins", "checked_in", "minutes")}
                for c in now["counters"]],
        "levels": [{"id": lv.id, "name": lv.name.get(lang), "mark": lv.mark}
                   for lv in (cat.crowding.levels if cat.crowding else [])],
        "days": [{"date": d["day"].isoformat(), "closed": d["closed"], "season": d["season"],
                  "counters": [{"counter_id": cid, **{k: c[k] for k in ("level", "name", "fill_percent",
                                                                         "visits_per_window", "raised_by")}}
                               for cid, c in d["counters"].items()]}
                 for d in _days(cat, site_id, start, None, lang)]}), 200, {"Cache-Control": "no-store"}
