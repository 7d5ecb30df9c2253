"""Counter reservations on the LGWAN console (/staff/reservations): the day's bookings per site
and counter, check-in by the scanned or typed 予約番号, no-show marking, bookings taken on the
phone and cancellations on request, the walk-in queue (issue, call next, done, no-show; the hall
display is reservations/display_views.py), the day's CSV, and the staff's changes to windows,
hours and closures of a day (reservations/overrides.py), plus the statistics.

Who: see core/policy.py. Counter and department staff see the counters of their departments (a
counter member without departments works at every counter, as at a 市民センター); administrators
all. Pages that show names are written to the audit log; so are check-ins, no-shows, bookings,
cancellations, exports and every change of the calendar (with the day before and after). The
changes themselves, with their commit and audit record, are reservations/staff_actions.py.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from flask import Blueprint, Response, abort, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext

from core import audit, policy
from core.city import example_phone
from core.csv_export import to_csv, to_csv_shift_jis
from core.db import db
from core.japan_time import JST
from core.pack import rulebook
from core.words import NP_, lang_of
from core.words import text as translate
from reservations import booking, frontdesk, month, overrides
from reservations import models as m
from reservations import queue as walkin
from reservations import staff_actions as actions
from reservations.current import catalog as current_catalog
from reservations.loader import Catalog
from reservations.person import check_person
from staff import reservation_stats as rstats
from staff.guard import only_with_policy
from staff.stats_views import _date_label, read_query
from staff.svg_chart import bar_chart

bp = Blueprint("staff_reservations", __name__, url_prefix="/staff/reservations", template_folder="templates")

ISO_DAY = re.compile(r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})$")
PHONE_FORM_FIELDS = {"phone": "phone_number"}  # check_person's field → the phone page's input
MAX_TEXT = 100
STATUS_LABELS = {  # lazy: translated in the page's locale when shown
    m.HELD: _l("仮押さえ"),
    m.CONFIRMED: _l("予約済み"),
    m.CHECKED_IN: _l("受付済み"),
    m.NO_SHOW: _l("来庁なし"),
    m.CANCELLED: _l("取消し"),
    m.EXPIRED: _l("期限切れ"),
}
CHANNEL_LABELS = {"web": lazy_pgettext("reservation channel", "インターネット"), "phone": _l("電話"), "staff": _l("窓口")}
TICKET_LABELS = {walkin.WAITING: _l("お待ち"), walkin.CALLED: lazy_pgettext("walk-in ticket", "呼び出し中"),
                 walkin.DONE: _l("済み"), walkin.NO_SHOW: _l("不在")}


bp.before_request(only_with_policy)  # the staff guard decides first; this blueprint checks again


# --- small helpers ----------------------------------------------------------------------------

def _locale() -> str:
    return lang_of(getattr(g, "locale", "ja"))


def _label(table: Mapping[str, Any], key: str) -> str:
    return str(table[key]) if key in table else key


def _actor() -> str:
    return f"staff:{g.staff.login_id}"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _today() -> dt.date:
    return _now().astimezone(JST).date()


def _jst(moment: dt.datetime | None) -> dt.datetime | None:
    moment = booking.aware(moment)
    return moment.astimezone(JST) if moment is not None else None


WEEKDAYS = (NP_("short weekday", "月"), NP_("short weekday", "火"), NP_("short weekday", "水"), NP_("short weekday", "木"),
            NP_("short weekday", "金"), NP_("short weekday", "土"), NP_("short weekday", "日"))


def _day_text(day: dt.date) -> str:
    weekday = translate(_locale(), WEEKDAYS[day.weekday()])
    return _("%(y)s年%(m)s月%(d)s日（%(w)s）", y=day.year, m=day.month, d=day.day, w=weekday)


def _clean(raw: str | None, limit: int = MAX_TEXT) -> str:
    return " ".join(unicodedata.normalize("NFKC", raw or "").split())[:limit]


def read_day(raw: str | None) -> dt.date | None:
    """「2026-04-01」「２０２６/4/1」 → a date; None when it is not one."""
    match = ISO_DAY.match(unicodedata.normalize("NFKC", raw or "").strip())
    if not match:
        return None
    try:
        return dt.date(*(int(p) for p in match.groups()))
    except ValueError:
        return None


def _catalog() -> Catalog:
    return current_catalog()


def counter_scope(cat: Catalog) -> list[str]:
    """The counters this user works at, in file order."""
    user = g.staff
    if user.role == policy.ADMIN or (user.role == policy.COUNTER and not user.department_ids):
        return list(cat.counters)
    if user.role == policy.AUDITOR:
        return list(cat.counters)  # statistics only (the policy keeps auditors out of the rest)
    return [cid for cid, c in cat.counters.items() if c.department in user.department_ids]


def _stats_scope(cat: Catalog) -> list[str] | None:
    return None if g.staff.role in (policy.ADMIN, policy.AUDITOR) else counter_scope(cat)


def _sites_of(cat: Catalog, counters: list[str]) -> list[str]:
    return list(dict.fromkeys(cat.counters[c].site for c in counters))


def _site_name(cat: Catalog, site_id: str) -> str:
    site = cat.sites.get(site_id)
    return site.name.get(_locale()) if site else site_id


def _counter_name(cat: Catalog, counter_id: str) -> str:
    counter = cat.counters.get(counter_id)
    return counter.name.get(_locale()) if counter else counter_id


def _service_name(cat: Catalog, service_id: str) -> str:
    service = cat.services.get(service_id)
    return service.name.get(_locale()) if service else service_id


def _procedure_names(ids: str) -> list[str]:
    kb = rulebook().kb
    return [kb.procedures[p].name.get(_locale()) if p in kb.procedures else p for p in ids.split(",") if p]


def _error(field_id: str, message: str) -> dict[str, str]:
    return {"field_id": field_id, "message": message}


# --- the day's filters (site, counter, day) ----------------------------------------------------

class DayFilter:
    def __init__(self, cat: Catalog, args) -> None:
        self.scope = counter_scope(cat)
        self.sites = _sites_of(cat, self.scope)
        self.errors: list[dict[str, str]] = []
        self.site = args.get("site") or (self.sites[0] if self.sites else "")
        if self.sites and self.site not in self.sites:
            self.errors.append(_error("site", _("庁舎を選んでください。")))
            self.site = self.sites[0]
        self.counter = args.get("counter", "")
        here = [c for c in self.scope if cat.counters[c].site == self.site]
        if self.counter and self.counter not in here:
            self.errors.append(_error("counter", _("窓口を選んでください。")))
            self.counter = ""
        self.counters = [self.counter] if self.counter else here
        self.day_raw = args.get("day", "")
        self.day = _today()
        if self.day_raw:
            day = read_day(self.day_raw)
            if day is None:
                self.errors.append(_error("day", _("日付は2026-04-01のように入力してください。")))
            else:
                self.day = day
        self.site_choices = [{"value": s, "label": _site_name(cat, s)} for s in self.sites]
        self.counter_choices = [{"value": "", "label": _("すべての窓口")}] + [
            {"value": c, "label": _counter_name(cat, c)} for c in here]

    def args(self, **extra: Any) -> dict[str, Any]:
        out = {"site": self.site, "counter": self.counter or None, "day": self.day.isoformat()}
        out.update(extra)
        return {k: v for k, v in out.items() if v not in (None, "")}


def _visit_text(position: tuple[str, int, int] | None) -> str:
    """「まとめて予約 V… ・2/3番目の窓口」: the visit's number (the one the resident has) and the stop."""
    if position is None:
        return ""
    number, n, of = position
    return _("まとめて予約 %(number)s（%(n)s/%(of)s番目の窓口）", number=number, n=n, of=of)


def _row(cat: Catalog, r: m.Reservation, now: dt.datetime, today: dt.date,
         visits: dict | None = None) -> dict[str, Any]:
    start, end = _jst(r.start), _jst(r.end)
    position = frontdesk.stop_position(r, visits if visits is not None else frontdesk.visits_of([r]))
    return {
        "visit": position[0] if position else None, "visit_text": _visit_text(position),
        "r": r, "number": r.number, "start": start, "end": end, "name": r.name or "", "kana": r.name_kana or "",
        "service": _service_name(cat, r.service_id), "procedures": _procedure_names(r.procedures),
        "counter": _counter_name(cat, r.counter_id), "channel": _label(CHANNEL_LABELS, r.channel),
        "status": r.status, "status_label": _label(STATUS_LABELS, r.status), "checked_in": _jst(r.checked_in_at),
        "may_check_in": r.day == today and r.status in (m.CONFIRMED, m.NO_SHOW),
        "may_no_show": r.status == m.CONFIRMED and booking.aware(r.start) <= now,
        "may_cancel": r.status == m.CONFIRMED,
    }


DONE = {
    "checked_in": _l("受付しました。"),
    "no_show": _l("来庁なしにしました。"),
    "cancelled": _l("予約を取り消しました。"),
    "booked": _l("予約を受け付けました。予約番号をお伝えください。"),
}


def _done_message(cat: Catalog) -> dict[str, Any] | None:
    kind = request.args.get("done", "")
    if kind not in DONE:
        return None
    r = frontdesk.find(request.args.get("number"))
    if r is None or r.counter_id not in counter_scope(cat):  # another department's booking: nothing said
        return None
    start = _jst(r.start)
    return {"kind": kind, "title": str(DONE[kind]), "number": r.number, "name": r.name or "",
            "time": start.strftime("%H:%M"), "day": _day_text(r.day), "counter": _counter_name(cat, r.counter_id),
            "visit": _itinerary(cat, r)}


def _itinerary(cat: Catalog, r: m.Reservation) -> dict[str, Any] | None:
    """The visit this booking is a stop of, as the desk shows it after a check-in: its 受付番号 and
    every counter in order (time, state), this one marked."""
    visits = frontdesk.visits_of([r])
    if r.visit_id not in visits:
        return None
    v, every = visits[r.visit_id]
    return {"number": v.number, "text": _visit_text(frontdesk.stop_position(r, visits)), "stops": [
        {"order": s.stop_order, "time": f"{_jst(s.start):%H:%M}〜{_jst(s.end):%H:%M}",
         "counter": _counter_name(cat, s.counter_id), "status_label": _label(STATUS_LABELS, s.status),
         "done": s.done_at is not None, "current": s.id == r.id} for s in every]}


def _day_page(cat: Catalog, f: DayFilter, *, errors: list[dict[str, str]] | None = None, typed: str = "",
              refused: dict[str, Any] | None = None, status: int = 200):
    errors = list(f.errors) + list(errors or [])
    now, today = _now(), _today()
    reservations = frontdesk.day_list(f.counters, f.day) if not f.errors else []
    visits = frontdesk.visits_of(reservations)
    rows = [_row(cat, r, now, today, visits) for r in reservations]
    counts = {s: sum(1 for r in reservations if r.status == s) for s in frontdesk.LISTED}
    audit.record("reservation.list", target=f"{f.site}:{f.day.isoformat()}", details={
        "counter": f.counter or "*", "count": len(rows), "numbers": [r["number"] for r in rows][:200]})
    return render_template(
        "staff/reservations/day.html", f=f, rows=rows, counts=counts, errors=errors,
        field_errors={e["field_id"]: e["message"] for e in errors}, typed=typed, refused=refused,
        done=_done_message(cat), day_text=_day_text(f.day), is_today=f.day == today,
        status_labels={s: _label(STATUS_LABELS, s) for s in frontdesk.LISTED},
        prev_url=url_for("staff_reservations.day", **f.args(day=(f.day - dt.timedelta(days=1)).isoformat())),
        next_url=url_for("staff_reservations.day", **f.args(day=(f.day + dt.timedelta(days=1)).isoformat())),
        today_url=url_for("staff_reservations.day", **f.args(day=today.isoformat())),
        csv_url=url_for("staff_reservations.export", **f.args()),
        sjis_url=url_for("staff_reservations.export", **f.args(encoding="shift_jis")),
        may_edit_calendar=policy.allowed("staff_reservations.overrides", g.staff.role),
    ), status


@bp.get("/", endpoint="day")
def day_view():
    cat = _catalog()
    f = DayFilter(cat, request.args)
    return _day_page(cat, f, status=400 if f.errors else 200)


# --- check-in, no-show, cancel ----------------------------------------------------------------

def _refusal(cat: Catalog, exc: frontdesk.FrontDeskError) -> str:
    """The service's message, or a fuller one naming the counter, day or time of the booking."""
    r = exc.reservation
    if r is None:
        return exc.text()
    if exc.code == "other_counter":
        return _("この予約は、%(site)sの「%(counter)s」の予約です。そちらの窓口をご案内してください。",
                 site=_site_name(cat, r.site_id), counter=_counter_name(cat, r.counter_id))
    if exc.code == "wrong_day":
        return _("この予約は%(day)s %(time)sの予約です。今日の予約ではありません。",
                 day=_day_text(r.day), time=_jst(r.start).strftime("%H:%M"))
    if exc.code == "already" and r.checked_in_at:
        return _("この予約は%(time)sに受付済みです。", time=_jst(r.checked_in_at).strftime("%H:%M"))
    return exc.text()


@bp.post("/checkin", endpoint="checkin")
def checkin():
    """The number from the scanner or the keyboard; back to the day with the result."""
    cat = _catalog()
    f = DayFilter(cat, request.form)
    typed = _clean(request.form.get("number"), 40)
    try:
        r = actions.check_in(typed, today=_today(), now=_now(), counters=f.scope, at=f.counter or None)
    except frontdesk.FrontDeskError as exc:  # rolled back and audited by the service
        return _day_page(cat, f, errors=[_error("number", _refusal(cat, exc))], typed=typed,
                         refused={"code": exc.code}, status=exc.status)
    return redirect(url_for("staff_reservations.day", **f.args(done="checked_in", number=r.number)))


def _load(number: str) -> m.Reservation:
    r = frontdesk.find(number)
    if r is None or r.counter_id not in counter_scope(_catalog()) or r.status not in frontdesk.LISTED:
        abort(404)
    return r


@bp.post("/<number>/no-show", endpoint="no_show")
def no_show(number: str):
    cat = _catalog()
    r = _load(number)
    f = DayFilter(cat, request.form)
    try:
        actions.mark_no_show(r, _now())
    except frontdesk.FrontDeskError as exc:
        return _day_page(cat, f, errors=[_error("number", exc.text())], status=exc.status)
    return redirect(url_for("staff_reservations.day", **f.args(done="no_show", number=r.number)))


@bp.route("/<number>/cancel", methods=["GET", "POST"], endpoint="cancel")
def cancel(number: str):
    """Cancel on the resident's request (by phone or at the counter): a page to confirm first."""
    cat = _catalog()
    r = _load(number)
    f = DayFilter(cat, request.values)
    errors: list[dict[str, str]] = []
    scope = request.form.get("scope", "")
    itinerary = _itinerary(cat, r)
    if request.method == "POST":
        if itinerary is not None and scope not in (actions.STOP, actions.WHOLE_VISIT):
            errors.append(_error("scope", _("取り消す範囲を選んでください。")))
        else:
            try:  # with the resident's e-mail, if there is one
                actions.cancel(cat, r, rulebook().kb, _now(), scope=scope or actions.STOP)
            except booking.BookingError as exc:
                r = _load(number)
                itinerary = _itinerary(cat, r)
                errors.append(_error("main", exc.text()))
            else:
                return redirect(url_for("staff_reservations.day", **f.args(done="cancelled", number=r.number)))
    else:
        audit.record("reservation.view", target=r.number, details={"page": "cancel"})
    status = 400 if any(e["field_id"] == "scope" for e in errors) else 409
    return render_template("staff/reservations/cancel.html", row=_row(cat, r, _now(), _today()), f=f,
                           errors=errors, field_errors={e["field_id"]: e["message"] for e in errors},
                           itinerary=itinerary, scope=scope, stop_scope=actions.STOP, visit_scope=actions.WHOLE_VISIT,
                           back_url=url_for("staff_reservations.day", **f.args())), (status if errors else 200)


# --- a booking taken on the phone ---------------------------------------------------------------

def _phone_services(cat: Catalog, scope: list[str]) -> list[dict[str, str]]:
    return [{"value": s.id, "label": s.name.get(_locale())} for s in cat.services.values()
            if any(c in scope for c in s.counters)]


def _phone_sites(cat: Catalog, scope: list[str], service_id: str) -> list[dict[str, str]]:
    service = cat.services.get(service_id)
    ids = [cat.counters[c].site for c in service.counters if c in scope] if service else _sites_of(cat, scope)
    return [{"value": s, "label": _site_name(cat, s)} for s in dict.fromkeys(ids)]


def _phone_calendar(cat: Catalog, service_id: str, site_id: str, month_text: str | None, day: dt.date | None) -> dict:
    """The residents' availability calendar (reservations/month.py), counted on the phone seats."""
    now = _now()
    first, last = month.first_open_month(cat, now)
    shown = month.shown_month(month_text or (f"{day.year}-{day.month}" if day else None), first, last)
    base = {"service": service_id, "site": site_id}

    def month_url(d: dt.date | None) -> str | None:
        return url_for("staff_reservations.phone", **base, month=f"{d.year}-{d.month:02d}") if d else None
    return {"weeks": month.month_weeks(cat, service_id, site_id, shown.month.year, shown.month.month, now, _locale(),
                                       (), "phone"),
            "shown": shown.month, "first": first, "last": last,
            "prev_url": month_url(shown.prev), "next_url": month_url(shown.next),
            "day_url": lambda d: url_for("staff_reservations.phone", **base, day=d.isoformat()) + "#times"}


@bp.route("/phone", methods=["GET", "POST"], endpoint="phone")
def phone():
    """Service and site first (GET); then a day on the availability calendar residents see
    (counted on the phone seats), or typed in the date field; then a time and the caller's
    details (POST). Channel 「電話」: the seats kept for phone bookings."""
    cat = _catalog()
    scope = counter_scope(cat)
    values = request.values
    service_id, site_id = values.get("service", ""), values.get("site", "")
    day_raw = values.get("day", "")
    errors: list[dict[str, str]] = []
    services = _phone_services(cat, scope)
    sites = _phone_sites(cat, scope, service_id)
    day = read_day(day_raw) if day_raw else None
    asked = bool(service_id or site_id or day_raw)
    if asked:
        if service_id not in {s["value"] for s in services}:
            errors.append(_error("service", _("手続きを選んでください。")))
        if site_id not in {s["value"] for s in sites}:
            errors.append(_error("site", _("庁舎を選んでください。")))
        if day_raw and day is None:
            errors.append(_error("day", _("日付は2026-04-01のように入力してください。")))
    slots = []
    closed = False
    calendar = None
    ready = asked and not any(e["field_id"] in ("service", "site") for e in errors)
    if ready:
        calendar = _phone_calendar(cat, service_id, site_id, values.get("month"), day)
    if ready and day is not None:
        found = booking.availability(cat, service_id, site_id, day, channel="phone", now=_now())
        slots = [{"value": a.slot.start.isoformat(), "label": a.slot.start.strftime("%H:%M"),
                  "hint": _("残り%(n)s", n=a.remaining)}
                 for a in found if a.bookable and a.remaining > 0]
        closed = not found
    posted = {k: _clean(values.get(k)) for k in ("name", "name_kana", "phone_number", "email", "start")}
    if request.method == "POST" and ready and not day_raw:
        errors.append(_error("day", _("日付を選んでください。")))
    if request.method == "POST" and ready:  # every field is checked, so one answer lists every problem
        if day is not None and posted["start"] not in {s["value"] for s in slots}:
            errors.append(_error("start", _("時間を選んでください。")))
        # the residents' own validator: the same rules and the same messages (the phone required)
        person, problems = check_person(values.get("name"), values.get("name_kana"), values.get("email"),
                                        values.get("phone_number"), _locale(), require_phone=True,
                                        phone_example=example_phone())
        errors += [_error(PHONE_FORM_FIELDS.get(field, field), message) for field, message in problems.items()]
        if person is not None and not errors and day is not None:
            try:
                r = actions.book_by_phone(cat, service_id, site_id, dt.datetime.fromisoformat(posted["start"]),
                                          name=person.name, name_kana=person.name_kana, email=person.email,
                                          phone=person.phone, kb=rulebook().kb, now=_now())
            except booking.BookingError as exc:
                errors.append(_error("start", exc.text()))
            else:
                return redirect(url_for("staff_reservations.day", site=site_id, counter=r.counter_id,
                                        day=r.day.isoformat(), done="booked", number=r.number))
    status = 400 if errors else 200
    return render_template(
        "staff/reservations/phone.html", services=services, sites=sites, service_id=service_id, site_id=site_id,
        day_raw=day_raw, day=day, day_text=_day_text(day) if day else "", calendar=calendar,
        details=ready and (day is not None or request.method == "POST"),
        slots=slots, closed=closed, posted=posted, errors=errors,
        field_errors={e["field_id"]: e["message"] for e in errors},
        back_url=url_for("staff_reservations.day")), status


# --- the day's CSV ----------------------------------------------------------------------------

@bp.get("/export.csv", endpoint="export")
def export():
    """The day's bookings with names and phone numbers (audited): UTF-8 with BOM or Shift_JIS."""
    cat = _catalog()
    f = DayFilter(cat, request.args)
    if f.errors:
        return _day_page(cat, f, status=400)
    sjis = request.args.get("encoding") in ("shift_jis", "sjis", "cp932")
    rows = frontdesk.day_list(f.counters, f.day)
    header = [_("予約番号"), _("日付"), _("開始"), _("終了"), _("庁舎"), _("窓口"), _("手続き"), _("お名前"), _("フリガナ"),
              _("電話番号"), _("予約の方法"), _("状態"), _("受付時刻"), _("まとめて予約")]
    body: list[list[object]] = [header]
    visits = frontdesk.visits_of(rows)
    for r in rows:
        start, end, checked = _jst(r.start), _jst(r.end), _jst(r.checked_in_at)
        body.append([r.number, r.day, start.strftime("%H:%M"), end.strftime("%H:%M"), _site_name(cat, r.site_id),
                     _counter_name(cat, r.counter_id), _service_name(cat, r.service_id), r.name or "",
                     r.name_kana or "", r.phone or "", _label(CHANNEL_LABELS, r.channel), _label(STATUS_LABELS, r.status),
                     checked.strftime("%H:%M") if checked else "", _visit_text(frontdesk.stop_position(r, visits))])
    filename = f"reservations-{f.site}-{f.day:%Y%m%d}{'-sjis' if sjis else ''}.csv"
    data = to_csv_shift_jis(body) if sjis else to_csv(body)  # a refusal (unmappable characters) is audited apart
    audit.record("reservation.export", target=f"{f.site}:{f.day.isoformat()}", details={
        "format": "csv-shift_jis" if sjis else "csv", "file": filename, "count": len(rows),
        "counter": f.counter or "*"})
    return Response(data, content_type=f"text/csv; charset={'shift_jis' if sjis else 'utf-8'}", headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})


# --- the walk-in queue --------------------------------------------------------------------------

def _queue_counter(cat: Catalog, counter_id: str | None) -> str:
    scope = counter_scope(cat)
    if counter_id and counter_id in scope:
        return counter_id
    if counter_id:
        abort(404)
    return scope[0] if scope else ""


def _window(raw: str | None) -> str:
    return _clean(raw, 16)


def _ticket_label(cat: Catalog, t: m.WalkInTicket) -> str:
    return walkin.label(cat.counters[t.counter_id].call_prefix if t.counter_id in cat.counters else "A", t.number)


@bp.get("/queue", endpoint="queue")
def queue_view():
    cat = _catalog()
    scope = counter_scope(cat)
    counter_id = _queue_counter(cat, request.args.get("counter"))
    window = _window(request.args.get("window"))
    today = _today()
    tickets = walkin.tickets([counter_id], today) if counter_id else []
    wait = walkin.estimated_wait(counter_id, today, walkin.fallback_minutes(cat, counter_id), now=_now()) if counter_id else None
    called = request.args.get("called", type=int)
    just_called = next((t for t in tickets if t.id == called), None)
    rows = [{"t": t, "label": _ticket_label(cat, t), "status_label": _label(TICKET_LABELS, t.status),
             "issued": _jst(t.issued_at), "called": _jst(t.called_at)} for t in tickets]
    errors = [_error("window", _("呼び出す窓口の番号を入力してください（例：3）。"))] if request.args.get("need_window") else []
    return render_template(
        "staff/reservations/queue.html", counter_id=counter_id, window=window, rows=rows, wait=wait,
        counters=[{"value": c, "label": f"{_site_name(cat, cat.counters[c].site)} {_counter_name(cat, c)}"} for c in scope],
        counter_name=_counter_name(cat, counter_id) if counter_id else "",
        site_id=cat.counters[counter_id].site if counter_id else "",
        waiting=[r for r in rows if r["t"].status == walkin.WAITING],
        serving=[r for r in rows if r["t"].status == walkin.CALLED],
        finished=[r for r in rows if r["t"].status in (walkin.DONE, walkin.NO_SHOW)],
        just_called=_ticket_label(cat, just_called) if just_called else None,
        nobody=request.args.get("nobody") == "1", errors=errors,
        field_errors={e["field_id"]: e["message"] for e in errors}, day_text=_day_text(today),
    ), 400 if errors else 200


@bp.post("/queue/issue", endpoint="queue_issue")
def queue_issue():
    cat = _catalog()
    counter_id = _queue_counter(cat, request.form.get("counter"))
    if not counter_id:
        abort(404)
    ticket = actions.issue_ticket(cat.counters[counter_id].site, counter_id, _today(), _now())
    return redirect(url_for("staff_reservations.queue_ticket", ticket_id=ticket.id,
                            window=_window(request.form.get("window")) or None))


def _ticket(ticket_id: int) -> m.WalkInTicket:
    t = db.session.get(m.WalkInTicket, ticket_id)
    if t is None or t.counter_id not in counter_scope(_catalog()):
        abort(404)
    return t


@bp.get("/queue/tickets/<int:ticket_id>", endpoint="queue_ticket")
def queue_ticket(ticket_id: int):
    """The ticket to print and hand over (or to read out): number, counter, time, people ahead."""
    cat = _catalog()
    t = _ticket(ticket_id)
    ahead = walkin.waiting_ahead(t) if t.status == walkin.WAITING else 0
    wait = walkin.estimated_wait(t.counter_id, t.day, walkin.fallback_minutes(cat, t.counter_id), ahead=ahead, now=_now())
    return render_template(
        "staff/reservations/ticket.html", t=t, label=_ticket_label(cat, t), wait=wait,
        counter_name=_counter_name(cat, t.counter_id), site_name=_site_name(cat, t.site_id),
        issued=_jst(t.issued_at), day_text=_day_text(t.day),
        back_url=url_for("staff_reservations.queue", counter=t.counter_id,
                         window=_window(request.args.get("window")) or None))


@bp.post("/queue/call", endpoint="queue_call")
def queue_call():
    """The next number to this window (the one served there before is done)."""
    cat = _catalog()
    counter_id = _queue_counter(cat, request.form.get("counter"))
    window = _window(request.form.get("window"))
    if not counter_id:
        abort(404)
    if not window:
        return redirect(url_for("staff_reservations.queue", counter=counter_id, need_window=1))
    ticket = actions.call_next(counter_id, _today(), window, _now())
    if ticket is None:
        return redirect(url_for("staff_reservations.queue", counter=counter_id, window=window, nobody=1))
    return redirect(url_for("staff_reservations.queue", counter=counter_id, window=window, called=ticket.id))


def _finish(ticket_id: int, action) -> Response:
    t = _ticket(ticket_id)
    action(t, _now())  # False: someone acted first, and the page shows where it stands
    return redirect(url_for("staff_reservations.queue", counter=t.counter_id,
                            window=_window(request.form.get("window")) or None))


@bp.post("/queue/tickets/<int:ticket_id>/done", endpoint="queue_done")
def queue_done(ticket_id: int):
    return _finish(ticket_id, actions.finish_ticket)


@bp.post("/queue/tickets/<int:ticket_id>/no-show", endpoint="queue_no_show")
def queue_no_show(ticket_id: int):
    return _finish(ticket_id, actions.ticket_no_show)


# --- windows, hours and closures of a day ----------------------------------------------------------

def _calendar_scope(cat: Catalog) -> tuple[list[str], list[str]]:
    """(counters, sites) this user may change: administrators all; department staff their
    counters' windows, and hours and closures of the sites where those counters stand."""
    counters = list(cat.counters) if g.staff.role == policy.ADMIN else [
        c for c in counter_scope(cat) if cat.counters[c].department in g.staff.department_ids]
    return counters, _sites_of(cat, counters) if g.staff.role != policy.ADMIN else list(cat.sites)


KIND_LABELS = {overrides.WINDOWS: _l("窓口の数"), overrides.HOURS: _l("受付時間"),
               overrides.CLOSURE: lazy_pgettext("calendar change", "臨時休業")}


def _override_row(cat: Catalog, o: m.CalendarOverride) -> dict[str, Any]:
    if o.kind == overrides.WINDOWS:
        counter = cat.counters.get(o.target)
        where = f"{_site_name(cat, counter.site)} {_counter_name(cat, o.target)}" if counter else o.target
        value = _("%(n)s窓口", n=o.windows)
    elif o.kind == overrides.HOURS:
        where = _site_name(cat, o.target)
        value = "、".join(f"{i.start}〜{i.end}" for i in overrides.intervals_of(o))
    else:
        where, value = _site_name(cat, o.target), _("終日休み")
    return {"o": o, "day_text": _day_text(o.day), "kind": _label(KIND_LABELS, o.kind), "where": where,
            "value": value, "reason": o.reason, "by": o.created_by.removeprefix("staff:")}


@bp.route("/overrides", methods=["GET", "POST"], endpoint="overrides")
def overrides_view():
    cat = _catalog()
    counters, sites = _calendar_scope(cat)
    errors: list[dict[str, str]] = []
    form = {k: request.form.get(k, "") for k in ("kind", "site", "counter", "day", "windows", "hours", "reason")}
    if request.method == "POST":
        kind = form["kind"]
        day = read_day(form["day"])
        windows = intervals = None
        if kind not in overrides.KINDS:
            errors.append(_error("kind", _("変更する内容を選んでください。")))
        if day is None:
            errors.append(_error("day", _("日付は2026-04-01のように入力してください。")))
        elif day < _today():
            errors.append(_error("day", _("過ぎた日は変更できません。今日以降の日付を入力してください。")))
        target = form["counter"] if kind == overrides.WINDOWS else form["site"]
        if kind == overrides.WINDOWS and target not in counters:
            errors.append(_error("counter", _("窓口を選んでください。")))
        elif kind in (overrides.HOURS, overrides.CLOSURE) and target not in sites:
            errors.append(_error("site", _("庁舎を選んでください。")))
        try:
            if kind == overrides.WINDOWS:
                windows = overrides.parse_windows(form["windows"])
            elif kind == overrides.HOURS:
                intervals = overrides.parse_intervals(form["hours"])
        except overrides.OverrideError as exc:
            errors.append(_error(exc.field, exc.text()))
        reason = overrides.clean_reason(form["reason"])
        if kind == overrides.CLOSURE and not reason:
            errors.append(_error("reason", _("休業の理由を入力してください。予約の画面に表示されます。")))
        if not errors:
            o = actions.set_override(cat, kind, target, day, windows=windows, intervals=intervals,
                                     reason=reason, actor=_actor(), now=_now())
            site_id = overrides.site_of(cat, o) or target
            kept = overrides.affected(site_id, day, target if kind == overrides.WINDOWS else None)
            return redirect(url_for("staff_reservations.overrides", done="set", kept=kept))
    today = _today()
    scope_targets = set(counters) | set(sites)
    rows = [_override_row(cat, o) for o in overrides.listed(today) if o.target in scope_targets]
    return render_template(
        "staff/reservations/overrides.html", rows=rows, form=form, errors=errors,
        field_errors={e["field_id"]: e["message"] for e in errors},
        kinds=[{"value": k, "label": _label(KIND_LABELS, k)} for k in overrides.KINDS],
        sites=[{"value": s, "label": _site_name(cat, s)} for s in sites],
        counters=[{"value": c, "label": f"{_site_name(cat, cat.counters[c].site)} {_counter_name(cat, c)}"}
                  for c in counters],
        done=request.args.get("done"), kept=request.args.get("kept", type=int),
    ), 400 if errors else 200


@bp.post("/overrides/<int:override_id>/deactivate", endpoint="override_deactivate")
def override_deactivate(override_id: int):
    cat = _catalog()
    counters, sites = _calendar_scope(cat)
    o = db.session.get(m.CalendarOverride, override_id)
    if o is None or not o.active or o.target not in set(counters) | set(sites):
        abort(404)
    actions.remove_override(cat, o)
    return redirect(url_for("staff_reservations.overrides", done="removed"))


# --- statistics ------------------------------------------------------------------------------------

def _stats_report(cat: Catalog, start: dt.date, end: dt.date) -> dict[str, Any]:
    scope = _stats_scope(cat)
    s = rstats.collect(start, end, scope)
    outcomes = list(rstats.OUTCOMES)

    def line(key: str, name: str, counts: dict[str, int]) -> dict[str, Any]:
        rate = rstats.no_show_rate(counts)
        return {"id": key, "name": name, "counts": [counts.get(o, 0) for o in outcomes],
                "total": rstats.bookings(counts), "rate": "" if rate is None else f"{rate:.1f}%"}

    days = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    per_day = [line(d.isoformat(), _day_text(d), s.per_day.get(d, {})) for d in days]
    counter_ids = [c for c in cat.counters if scope is None or c in scope]
    counter_ids += sorted(c for c in s.per_counter if c not in counter_ids)
    per_counter = [line(c, f"{_site_name(cat, cat.counters[c].site)} {_counter_name(cat, c)}" if c in cat.counters else c,
                        s.per_counter.get(c, {})) for c in counter_ids]
    per_channel = [line(ch, _label(CHANNEL_LABELS, ch), s.per_channel.get(ch, {})) for ch in rstats.CHANNELS]
    walk = []
    for c in counter_ids:
        w = s.walk_ins.get(c)
        if w is None:
            continue
        walk.append({"name": per_counter[counter_ids.index(c)]["name"], "issued": w.issued, "called": w.called,
                     "no_show": w.no_show, "wait": w.average_wait, "service": w.average_service})
    totals = s.totals()
    all_walk = s.all_walk_ins()
    counter_total = line("all", _("合計"), s.counter_totals())
    chart_title = _("日別の予約件数")
    return {
        "outcomes": [_label(STATUS_LABELS, o) for o in outcomes], "per_day": per_day, "per_counter": per_counter,
        "per_channel": per_channel, "walk_ins": walk, "total": line("all", _("合計"), totals),
        "counter_total": counter_total, "visits": rstats.bookings(s.visits),
        "cancelled": totals.get(m.CANCELLED, 0), "no_show_rate": rstats.no_show_rate(totals),
        "walk_in_wait": all_walk.average_wait, "walk_in_issued": all_walk.issued,
        "chart": bar_chart([(f"{d.month}/{d.day}", r["total"]) for d, r in zip(days, per_day, strict=True)],
                           chart_title, horizontal=False, chart_id="reservations-per-day"),
        "chart_title": chart_title, "scoped": scope is not None,
    }


@bp.get("/stats", endpoint="stats")
def stats():
    cat = _catalog()
    query = read_query(request.args)
    report = None if query.errors else _stats_report(cat, query.start, query.end)
    args = {"from": query.start.isoformat(), "to": query.end.isoformat()}
    return render_template(
        "staff/reservations/stats.html", query=query, report=report, errors=query.errors,
        field_errors={e["field_id"]: e["message"] for e in query.errors},
        period=_("%(start)s〜%(end)s", start=_date_label(query.start), end=_date_label(query.end)),
        export_url=url_for("staff_reservations.stats_export", **args),
        sjis_url=url_for("staff_reservations.stats_export", encoding="shift_jis", **args),
    ), 400 if query.errors else 200


@bp.get("/stats.csv", endpoint="stats_export")
def stats_export():
    """Long format: one line per number (no names)."""
    cat = _catalog()
    query = read_query(request.args)
    if query.errors:
        return stats()
    sjis = request.args.get("encoding") in ("shift_jis", "sjis", "cp932")
    report = _stats_report(cat, query.start, query.end)
    header = [_("開始日"), _("終了日"), _("区分"), _("項目"), _("項目名"), *report["outcomes"], _("予約件数"), _("来庁なしの割合")]
    body: list[list[object]] = [header]
    sections = {"per_day": _("日別"), "per_counter": _("窓口別"), "per_channel": _("受付の経路別")}
    for kind, section in sections.items():
        for r in report[kind]:
            body.append([query.start, query.end, section, r["id"], r["name"], *r["counts"], r["total"], r["rate"]])
    body.append([_("開始日"), _("終了日"), _("区分"), _("窓口"), _("発行"), _("呼び出し"), _("不在"),
                 _("平均待ち時間（分）"), _("平均対応時間（分）")])
    for w in report["walk_ins"]:
        body.append([query.start, query.end, _("順番待ち（予約なし）"), w["name"], w["issued"], w["called"], w["no_show"],
                     w["wait"], w["service"]])
    filename = f"reservations-stats-{query.start:%Y%m%d}-{query.end:%Y%m%d}{'-sjis' if sjis else ''}.csv"
    data = to_csv_shift_jis(body) if sjis else to_csv(body)  # a refusal (unmappable characters) is audited apart
    audit.record("staff.export", target="reservation_stats", details={
        "file": filename, "from": query.start.isoformat(), "to": query.end.isoformat()})
    return Response(data, content_type=f"text/csv; charset={'shift_jis' if sjis else 'utf-8'}",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})



@bp.context_processor
def _helpers() -> dict[str, Any]:
    staff = getattr(g, "staff", None)
    return {"staff_may": lambda endpoint: staff is not None and policy.allowed(endpoint, staff.role)}
