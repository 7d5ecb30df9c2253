"""/reserve/visit: one booking for the whole visit (まとめて予約), from a guide result —

    itinerary (stops, counters, minutes) → day (a month calendar: the due date marked, the busiest
    days shown) → time (午前 / 午後, non-overlapping starts; every stop is held here) → name, カナ,
    e-mail / phone → 確認 → 受付番号 and QR code

and, behind the signed link, views, cancels or moves the whole visit. Every page after the visit
is booked leads back to the guide's result (``back``: a same-site path under /guide/, checked here;
anything else is refused with 400, never followed). Views stay thin: the rules are in ``reservations.visit``.
"""
from __future__ import annotations

import calendar as cal
import datetime as dt
import secrets

from flask import Blueprint, abort, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from core import usage
from core.city import example_phone
from core.db import aware
from core.japan_time import JST
from core.pack import rulebook
from core.qr import labelled_qr
from core.security import limiter
from reservations import booking, counter_forms_current, links, month, overrides, visit, visit_actions
from reservations import models as m
from reservations.booking import BookingError
from reservations.browser_bookings import BrowserBookings
from reservations.current import catalog as current_catalog
from reservations.links import safe_back
from reservations.person import check_person
from reservations.wording import closed_text
from rules.wareki import format_date

bp = Blueprint("reservations_visit", __name__, template_folder="templates")
# the visits this browser started, listed in its session
this_browser = BrowserBookings("reserve_visits", 10, visit.by_number, links.read_visit_manage_token)
BUSY_SHARE = 0.6  # a day whose busiest counter is at least this full is shown as 混雑
FEW_LEFT = 2  # 残りわずか: this many starts or fewer
HOLD_KEY_LENGTH = 22  # the time form's one-off key (a double submit holds one visit)


# --- helpers -------------------------------------------------------------------------------------

def _locale() -> str:
    return getattr(g, "locale", "ja")


def _procedures() -> list[str]:
    raw = request.args.get("procedures", "")
    if len(raw) > 2000:
        abort(400)
    ids = visit.clean_procedures(raw.split(","))
    kb = rulebook().kb
    if any(p not in kb.procedures for p in ids):
        abort(400)  # an id the guide never gives: a hostile or broken link
    return ids


def _others() -> list[str]:
    """``others``: the result's city-hall procedures no booking covers (listed, never booked);
    ids the guide does not know are left out."""
    raw = request.args.get("others", "")[:2000]
    kb = rulebook().kb
    return [p for p in visit.clean_procedures(raw.split(",")) if p in kb.procedures]


def _back() -> str | None:
    """The guide result to lead back to; any other ``back`` (another site, a staff page) is refused."""
    raw = request.args.get("back")
    back = safe_back(raw)
    if raw and back is None:
        abort(400)
    return back


def _due() -> dt.date | None:
    raw = request.args.get("due")
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw) if len(raw) == 10 else abort(400)
    except ValueError:
        abort(400)


def _carry(**values: object) -> dict[str, object]:
    out: dict[str, object] = {**values, "procedures": ",".join(_procedures())}
    if (back := _back()) is not None:
        out["back"] = back
    if (due := _due()) is not None:
        out["due"] = due.isoformat()
    if request.args.get("site"):
        out["site"] = request.args["site"]
    return out


def _itinerary_or_404(procedures: list[str] | None = None, site_id: str | None = None) -> visit.Itinerary:
    catalog = current_catalog()
    procedures = _procedures() if procedures is None else procedures
    site_id = site_id if site_id is not None else request.args.get("site") or None
    itin = visit.itinerary(catalog, procedures, site_id)
    if itin is None or len(itin.stops) < 1:
        abort(404)
    return itin


def _day_or_404(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text) if len(text) == 10 else abort(404)
    except ValueError:
        abort(404)


def _hm(moment: dt.datetime) -> str:
    moment = moment.astimezone(JST)
    return f"{moment.hour}:{moment.minute:02d}"


def _stop_rows(itin: visit.Itinerary) -> list[dict]:
    catalog, kb, lang = current_catalog(), rulebook().kb, _locale()
    return [{"order": s.order, "counter": catalog.counters[s.counter_id].name.get(lang), "minutes": s.minutes,
             "procedures": [kb.procedures[p].name.get(lang) for p in s.procedures if p in kb.procedures]}
            for s in itin.stops]


def _visit_stop_rows(v: m.Visit) -> list[dict]:
    catalog, kb, lang = current_catalog(), rulebook().kb, _locale()
    return [{"order": r.stop_order, "counter": catalog.counters[r.counter_id].name.get(lang),
             "time": f"{_hm(aware(r.start))}〜{_hm(aware(r.end))}",
             "minutes": int((aware(r.end) - aware(r.start)).total_seconds() // 60),
             "procedures": [kb.procedures[p].name.get(lang) for p in r.procedures.split(",") if p in kb.procedures],
             "done": r.done_at is not None}
            for r in visit.shown_stops(v)]  # a stop the counter cancelled is no longer on the way


def _when(v: m.Visit) -> str:
    return f"{format_date(v.day, _locale())} {_hm(aware(v.start))}〜{_hm(aware(v.end))}"


def _site_name(site_id: str) -> str:
    site = current_catalog().sites[site_id]
    return site.name.get(_locale())


def _error_list(errors: dict[str, str]) -> list[dict]:
    return [{"field_id": k, "message": v} for k, v in errors.items()]


def manage_token(number: str) -> str:
    return links.visit_manage_token(number)


# --- itinerary, days, times ---------------------------------------------------------------------

@bp.get("/reserve/visit")
def start():
    catalog = current_catalog()
    procedures = _procedures()
    possible = visit.sites_for(catalog, procedures)
    site_id = request.args.get("site") or None
    if site_id is not None and site_id not in possible:
        abort(404)
    itin = _itinerary_or_404(procedures, site_id)
    kb, lang = rulebook().kb, _locale()
    left_out = visit.unbookable(kb, [*procedures, *_others()], itin, lang)
    sites = [{"id": s, "name": catalog.sites[s].name.get(lang), "current": s == itin.site_id,
              "href": url_for(".start", **{**_carry(), "site": s})} for s in possible]
    return render_template("visit/start.html", itin=itin, stops=_stop_rows(itin), sites=sites,
                           site_name=_site_name(itin.site_id), left_out=left_out, due=_due(),
                           days_url=url_for(".days", **_carry(site=itin.site_id)), back=_back())


def _day_state(itin: visit.Itinerary, day: dt.date, now: dt.datetime) -> dict:
    catalog = current_catalog()
    today = now.astimezone(JST).date()
    out = {"day": day, "state": month.OUT, "closed_reason": None, "busy": False, "starts": 0}
    if day < today:
        return out
    reason = closed_text(overrides.for_day(catalog, itin.site_id, day), itin.site_id, day, _locale())
    if reason is not None:
        return {**out, "state": month.CLOSED, "closed_reason": reason}
    if day > today + dt.timedelta(days=catalog.rules.horizon_days):
        return out
    offers = visit.offered(catalog, itin, day, now=now)
    if not offers:
        return {**out, "state": month.OUT if day == today else month.FULL}
    return {**out, "state": month.FEW if len(offers) <= FEW_LEFT else month.OPEN, "starts": len(offers),
            "busy": visit.day_load(catalog, itin, day, now) >= BUSY_SHARE}


@bp.get("/reserve/visit/days")
def days():
    itin = _itinerary_or_404()
    return _days_page(itin, request.args.get("month"), due=_due(),
                      day_url=lambda d: url_for(".times", day=d.isoformat(), **_carry(site=itin.site_id)),
                      month_url=lambda d: url_for(".days", **_carry(site=itin.site_id, month=f"{d.year}-{d.month:02d}")),
                      back=url_for(".start", **_carry()))


def _days_page(itin: visit.Itinerary, month_text: str | None, *, due: dt.date | None, day_url, month_url, back,
               moving: m.Visit | None = None):
    catalog, now = current_catalog(), booking.now_utc()
    first, last = month.first_open_month(catalog, now)
    shown = month.shown_month(month_text, first, last)
    weeks = [[_day_state(itin, d, now) if d.month == shown.month.month else None for d in week]
             for week in cal.Calendar(firstweekday=0).monthdatescalendar(shown.month.year, shown.month.month)]
    return render_template(
        "visit/days.html", itin=itin, site_name=_site_name(itin.site_id), weeks=weeks, shown=shown.month,
        first=first, last=last, due=due, prev_month=shown.prev, next_month=shown.next, day_url=day_url,
        month_url=month_url,
        back=back, moving=moving, moving_when=_when(moving) if moving else None)


def _time_groups(offers: list[visit.Offer]) -> list[dict]:
    morning, afternoon = visit.split_day(offers)
    groups = []
    for key, label, rows in (("am", _("午前"), morning), ("pm", _("午後"), afternoon)):
        if rows:
            groups.append({"key": key, "legend": label,
                           "choices": [{"value": o.start.isoformat(), "label": f"{_hm(o.start)}〜{_hm(o.end)}"}
                                       for o in rows]})
    return groups


def _start_of(text: str) -> dt.datetime | None:
    try:
        start = dt.datetime.fromisoformat(text) if text and len(text) <= 40 else None
    except (ValueError, OverflowError):
        return None
    if start is None or not 2000 <= start.year <= 2199:
        return None
    return start.replace(tzinfo=JST) if start.tzinfo is None else start.astimezone(JST)


@bp.route("/reserve/visit/day/<day>", methods=["GET", "POST"])
@limiter.limit("30 per minute", methods=["POST"])
def times(day: str):
    catalog = current_catalog()
    itin = _itinerary_or_404()
    date = _day_or_404(day)
    errors: dict[str, str] = {}
    offers = visit.offered(catalog, itin, date)
    already = visit.active_on(this_browser.numbers(), date)  # this browser's visit of that day
    if request.method == "POST" and already is not None:
        errors["start"] = _("この日には、まとめて予約がすでにあります。予約の変更は、予約確認のページからできます。")
    elif request.method == "POST":
        start = _start_of(request.form.get("start", ""))
        hold_key = request.form.get("hold_key") or None
        if hold_key is not None and len(hold_key) != HOLD_KEY_LENGTH:
            abort(400)
        if (same := visit.by_hold_key(hold_key)) is not None:  # the form sent twice: the visit it held
            this_browser.remember(same.number)
            return redirect(url_for(".details", number=same.number, **_carry()))
        if start is None or start.date() != date or start not in {o.start for o in offers}:
            errors["start"] = _("時間を選んでください。")
        else:
            try:
                v = visit_actions.hold(catalog, itin, start, locale=_locale(), result_path=_back(), hold_key=hold_key,
                                       earlier=this_browser.numbers())
            except (BookingError, IntegrityError) as exc:
                if (same := visit.by_hold_key(hold_key)) is not None:  # two at once: the other one held it
                    this_browser.remember(same.number)
                    return redirect(url_for(".details", number=same.number, **_carry()))
                errors["start"] = exc.text() if isinstance(exc, BookingError) else _("もう一度、時間を選んでください。")
                offers = visit.offered(catalog, itin, date)
            else:
                this_browser.remember(v.number)
                return redirect(url_for(".details", number=v.number, **_carry()))
    return render_template(
        "visit/times.html", itin=itin, site_name=_site_name(itin.site_id), date=date, groups=_time_groups(offers),
        hold_key=secrets.token_urlsafe(16)[:HOLD_KEY_LENGTH],
        total=itin.total_minutes, hold_minutes=catalog.rules.hold_minutes, selected=request.form.get("start"),
        errors=errors, error_list=_error_list(errors), moving=None,
        already_href=url_for(".manage", token=manage_token(already.number)) if already is not None else None,
        already_when=_when(already) if already is not None else None,
        back=url_for(".days", **_carry(month=f"{date.year}-{date.month:02d}"))), (400 if errors else 200)


# --- the person, 確認, done ----------------------------------------------------------------------

def _gone(v: m.Visit):
    if v.status == m.CONFIRMED:
        return redirect(url_for(".done", number=v.number, **_carry()))
    return render_template("visit/expired.html", v=v, again=url_for(".days", **_carry())), 410


PERSON_FIELDS = ("name", "name_kana", "email", "phone")


@bp.route("/reserve/visit/<number>/details", methods=["GET", "POST"])
def details(number: str):
    v = this_browser.own(number)
    if visit_actions.settle(v) != m.HELD:
        return _gone(v)
    first = visit.stops(v)[0]
    values = {"name": first.name or "", "name_kana": first.name_kana or "", "email": first.email or "",
              "phone": first.phone or ""}
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = {k: request.form.get(k, "")[:300] for k in PERSON_FIELDS}
        person, errors = check_person(values["name"], values["name_kana"], values["email"], values["phone"],
                                      locale=_locale(), phone_example=example_phone())
        if person is not None:
            visit_actions.give_details(v, person)
            return redirect(url_for(".confirm", number=number, **_carry()))
    return _details_page(v, values, errors, status=400 if errors else 200)


def _details_page(v: m.Visit, values: dict[str, str], errors: dict[str, str], *, extended: bool = False,
                  problem: str | None = None, status: int = 200):
    rules = current_catalog().rules
    held = visit.stops(v)
    expires = min(aware(r.hold_expires_at) for r in held if r.hold_expires_at)
    extensions_left = max(rules.hold_extensions - max(r.hold_extensions for r in held), 0)
    return render_template("visit/details.html", v=v, values=values, errors=errors, error_list=_error_list(errors),
                           when=_when(v), stops=_visit_stop_rows(v), expires=_hm(expires), extended=extended,
                           problem=problem, hold_minutes=rules.hold_minutes, extensions_left=extensions_left,
                           extend_url=url_for(".extend", number=v.number, **_carry()),
                           back=url_for(".times", day=v.day.isoformat(), **_carry())), status


@bp.post("/reserve/visit/<number>/extend")
@limiter.limit("30 per minute")
def extend(number: str):
    """仮押さえを延ばす (WCAG 2.2.1): the details form's second button; what was typed comes back."""
    v = this_browser.own(number)
    typed = {k: request.form.get(k, "")[:300] for k in PERSON_FIELDS}
    if visit_actions.settle(v) != m.HELD:
        return _gone(v)
    try:
        visit_actions.extend_hold(current_catalog(), v)
    except BookingError as exc:
        if exc.code == "hold_expired":
            return _gone(visit.by_number(number))
        return _details_page(visit.by_number(number), typed, {}, problem=exc.text(), status=exc.status)
    return _details_page(v, typed, {}, extended=True)


@bp.route("/reserve/visit/<number>/confirm", methods=["GET", "POST"])
@limiter.limit("30 per minute", methods=["POST"])
def confirm(number: str):
    v = this_browser.own(number)
    if visit_actions.settle(v) != m.HELD:
        return _gone(v)
    first = visit.stops(v)[0]
    if check_person(first.name, first.name_kana, first.email, first.phone, locale=_locale(),
                    phone_example=example_phone())[0] is None:
        return redirect(url_for(".details", number=number, **_carry()))
    problem, problem_href = None, None
    if request.method == "POST":
        try:
            visit_actions.confirm(current_catalog(), v, rulebook().kb)
        except BookingError as exc:
            if exc.code == "hold_expired":  # given up, unless a double submit confirmed it meanwhile
                return _gone(visit.by_number(number))
            problem = exc.text()
            other = getattr(exc, "other_number", None)
            if other is not None and other in this_browser.numbers():
                problem_href = url_for(".manage", token=manage_token(other))
        else:
            usage.record("reserve", "visit_booked", str(len(visit.stops(v))))
            return redirect(url_for(".done", number=number, **_carry()))
    person_rows = [{"key": _("お名前"), "value": first.name}, {"key": _("フリガナ"), "value": first.name_kana},
                   {"key": _("メールアドレス"), "value": first.email or _("なし")},
                   {"key": _("電話番号"), "value": first.phone or _("なし")}]
    for row in person_rows:
        row["change_href"] = url_for(".details", number=number, **_carry())
    return render_template("visit/confirm.html", v=v, when=_when(v), site_name=_site_name(v.site_id),
                           stops=_visit_stop_rows(v), person_rows=person_rows, problem=problem,
                           problem_href=problem_href,
                           back=url_for(".details", number=number, **_carry())), (409 if problem else 200)


@bp.get("/reserve/visit/<number>/done")
def done(number: str):
    v = this_browser.own(number)
    if v.status != m.CONFIRMED:
        return _gone(v) if v.status in (m.HELD, m.EXPIRED) else redirect(url_for(".manage", token=manage_token(number)))
    first = visit.stops(v)[0]
    return render_template("visit/done.html", v=v, when=_when(v), site_name=_site_name(v.site_id),
                           stops=_visit_stop_rows(v), email=first.email,
                           qr=labelled_qr(links.visit_counter_url(v.number), _("受付番号 %(number)s のQRコード", number=v.number), "reserve-qr__image"),
                           manage_url=url_for(".manage", token=manage_token(v.number)), result_path=v.result_path,
                           token=manage_token(v.number), prefill=_has_forms(v))


def _has_forms(v: m.Visit) -> bool:
    """Whether some counter of the visit prints a form the household can fill in at home (事前入力)."""
    return bool(counter_forms_current.forms_for([p for p in v.procedures.split(",") if p]))


# --- the signed manage link ----------------------------------------------------------------------

@bp.get("/reserve/visit/manage/<token>")
def manage(token: str):
    v = this_browser.managed(token)
    changeable = v.status == m.CONFIRMED
    return render_template("visit/manage.html", v=v, when=_when(v), site_name=_site_name(v.site_id),
                           stops=_visit_stop_rows(v), token=token, changeable=changeable,
                           changed=request.args.get("changed") == "1", result_path=v.result_path,
                           prefill=changeable and _has_forms(v), progress=v.status in (m.CONFIRMED, m.CHECKED_IN, m.VISIT_DONE),
                           qr=labelled_qr(links.visit_counter_url(v.number), _("受付番号 %(number)s のQRコード", number=v.number), "reserve-qr__image")
                           if changeable else None)


@bp.route("/reserve/visit/manage/<token>/cancel", methods=["GET", "POST"])
@limiter.limit("30 per minute", methods=["POST"])
def cancel(token: str):
    v = this_browser.managed(token)
    if v.status != m.CONFIRMED:
        return redirect(url_for(".manage", token=token))
    problem = None
    if request.method == "POST":
        try:
            visit_actions.cancel(current_catalog(), v, rulebook().kb)
        except BookingError as exc:
            problem = exc.text()
        else:
            usage.record("reserve", "visit_cancelled", "")
            return render_template("visit/cancelled.html", v=v, when=_when(v), site_name=_site_name(v.site_id),
                                   stops=_visit_stop_rows(v), result_path=v.result_path)
    return render_template("visit/cancel.html", v=v, when=_when(v), site_name=_site_name(v.site_id),
                           stops=_visit_stop_rows(v), problem=problem,
                           back=url_for(".manage", token=token)), (422 if problem else 200)


def _visit_itinerary(v: m.Visit) -> visit.Itinerary:
    itin = visit.itinerary(current_catalog(), [p for p in v.procedures.split(",") if p], v.site_id)
    if itin is None:
        abort(404)
    return itin


@bp.get("/reserve/visit/manage/<token>/move")
def move_days(token: str):
    v = this_browser.managed(token)
    if v.status != m.CONFIRMED:
        return redirect(url_for(".manage", token=token))
    itin = _visit_itinerary(v)
    return _days_page(itin, request.args.get("month"), due=None, moving=v,
                      day_url=lambda d: url_for(".move_times", token=token, day=d.isoformat()),
                      month_url=lambda d: url_for(".move_days", token=token, month=f"{d.year}-{d.month:02d}"),
                      back=url_for(".manage", token=token))


@bp.route("/reserve/visit/manage/<token>/move/<day>", methods=["GET", "POST"])
@limiter.limit("30 per minute", methods=["POST"])
def move_times(token: str, day: str):
    v = this_browser.managed(token)
    if v.status != m.CONFIRMED:
        return redirect(url_for(".manage", token=token))
    catalog = current_catalog()
    itin = _visit_itinerary(v)
    date = _day_or_404(day)
    errors: dict[str, str] = {}
    offers = [o for o in visit.offered(catalog, itin, date) if o.start != aware(v.start)]
    if request.method == "POST":
        start = _start_of(request.form.get("start", ""))
        if start is not None and start == aware(v.start):  # the form sent twice: the first one moved it
            return redirect(url_for(".manage", token=token, changed=1))
        if start is None or start.date() != date or start not in {o.start for o in offers}:
            errors["start"] = _("時間を選んでください。")
        else:
            try:
                visit_actions.move(catalog, v, start, rulebook().kb)
            except (BookingError, IntegrityError) as exc:
                errors["start"] = exc.text() if isinstance(exc, BookingError) else _("もう一度、時間を選んでください。")
            else:
                usage.record("reserve", "visit_moved", "")
                return redirect(url_for(".manage", token=token, changed=1))
    return render_template(
        "visit/times.html", itin=itin, site_name=_site_name(itin.site_id), date=date, groups=_time_groups(offers),
        total=itin.total_minutes, hold_minutes=None, selected=request.form.get("start"), errors=errors,
        error_list=_error_list(errors), moving=v,
        back=url_for(".move_days", token=token, month=f"{date.year}-{date.month:02d}")), (400 if errors else 200)
