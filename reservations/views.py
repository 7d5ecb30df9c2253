"""/reserve: the resident books a counter visit, one thing per page —

    service (or straight from the guide: /reserve?procedures=a,b) → site → day (a month calendar)
    → time (the place is held here) → name, カナ, phone/e-mail → 確認 → 予約番号 and QR code

and, behind the signed link of the e-mail, views, cancels or moves it. Views stay thin: the rules
are in ``reservations.booking``; the bookings this browser holds are listed in the Flask session
(nothing personal is kept there: what is typed goes on the held booking, encrypted).

Several services from the guide (転入 at 市民課 and 国民健康保険 at its own counter) are separate
visits: each counter has its own windows and queue, so each is booked on its own, one after the
other; the done page offers the next one.
"""
from __future__ import annotations

import datetime as dt
import secrets
from urllib.parse import urlencode

from flask import Blueprint, abort, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from core import usage
from core.city import example_phone
from core.db import db
from core.japan_time import JST
from core.pack import rulebook
from core.qr import labelled_qr
from core.security import limiter
from reservations import booking, links, month, notify, overrides, resident_actions
from reservations import models as m
from reservations.booking import BookingError, aware
from reservations.browser_bookings import BrowserBookings
from reservations.current import catalog as current_catalog
from reservations.person import check_person
from reservations.slots import find_slot, to_jst, visit_services
from rules.wareki import format_date

bp = Blueprint("reservations", __name__, template_folder="templates", static_folder="static",
               static_url_path="/reserve/static")
# the bookings this browser started (held or done), listed in its session
this_browser = BrowserBookings("reserve_numbers", 10, booking.by_number, links.read_manage_token)
HOLD_KEY_LENGTH = 22


# --- helpers -------------------------------------------------------------------------------------

@bp.app_template_filter("reserve_date")
def _reserve_date(day: dt.date) -> str:
    return format_date(day, _locale())


def _locale() -> str:
    return getattr(g, "locale", "ja")  # the page's language: pack texts and words fall back themselves


def _procedures() -> list[str]:
    kb = rulebook().kb
    return [p for p in dict.fromkeys(request.args.get("procedures", "").split(",")) if p in kb.procedures][:20]


def _back() -> str | None:
    """The guide result the pages lead back to (a same-site /guide/ path; anything else is dropped)."""
    return links.safe_back(request.args.get("back"))


@bp.context_processor
def _result_link() -> dict[str, str | None]:
    """Every page of the single booking leads back to the guide result it came from (``back``)."""
    return {"result_path": _back()}


def _carry(**values: object) -> dict[str, object]:
    """URL values plus the guide's procedures and result (``back``), carried from page to page."""
    procedures, back = _procedures(), _back()
    return {**values, **({"procedures": ",".join(procedures)} if procedures else {}),
            **({"back": back} if back else {})}


def _manage_link(number: str) -> str:
    """The manage page, carrying the guide result to lead back to when there is one."""
    url = links.manage_url(number)
    back = _back()
    return f"{url}?{urlencode({'back': back})}" if back else url


def _service_or_404(service_id: str):
    service = current_catalog().services.get(service_id)
    if service is None:
        abort(404)
    return service


def _site_or_404(service_id: str, site_id: str):
    catalog = current_catalog()
    if catalog.counter_for(service_id, site_id) is None:
        abort(404)
    return catalog.sites[site_id]


def _day_or_404(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        abort(404)


def _previous_person(other_than: str | None = None) -> m.Reservation | None:
    """The last booking of this browser with details typed in (to fill the form again)."""
    for number in reversed(this_browser.numbers()):
        r = booking.by_number(number) if number != other_than else None
        if r is not None and any((r.name, r.name_kana, r.email, r.phone)):
            return r
    return None


def _calendar_context(service_id: str, site_id: str, month_text: str | None,
                      procedures: tuple[str, ...] | None = None) -> dict:
    catalog, now = current_catalog(), booking.now_utc()
    first, last = month.first_open_month(catalog, now)
    shown = month.shown_month(month_text, first, last)
    procedures = tuple(_procedures()) if procedures is None else procedures
    return {"weeks": month.month_weeks(catalog, service_id, site_id, shown.month.year, shown.month.month, now,
                                       _locale(), procedures),
            "shown": shown.month, "first": first, "last": last, "prev_month": shown.prev, "next_month": shown.next}


def _times(service_id: str, site_id: str, day: dt.date,
           procedures: tuple[str, ...] | None = None) -> list[booking.Availability]:
    """Times with places left for the whole visit (its services at this counter added up)."""
    procedures = tuple(_procedures()) if procedures is None else procedures
    return [a for a in booking.availability(current_catalog(), service_id, site_id, day, channel="web",
                                            procedures=procedures)
            if a.bookable and a.remaining > 0]


def _booked_procedures(r: m.Reservation) -> tuple[str, ...]:
    return tuple(p for p in r.procedures.split(",") if p)


def _start_of(text: str) -> dt.datetime | None:
    """A chosen time from the form (ISO 8601), in JST; None for anything else."""
    try:
        start = to_jst(dt.datetime.fromisoformat(text)) if text and len(text) <= 40 else None
    except (ValueError, OverflowError):
        return None
    return start if start is not None and 2000 <= start.year <= 2199 else None


def _hm(moment: dt.datetime) -> str:
    return f"{moment.hour}:{moment.minute:02d}"


def _time_choices(rows: list[booking.Availability]) -> list[dict]:
    return [{"value": a.slot.start.isoformat(), "label": f"{_hm(a.slot.start)}〜{_hm(a.slot.end)}",
             "hint": _("あと%(n)s人", n=a.remaining)}
            for a in rows]


def _summary_rows(r: m.Reservation, change: bool = False) -> list[dict]:
    d = notify.describe(current_catalog(), r, _locale(), rulebook().kb)
    rows = [{"key": _("手続き"), "value": d.service},
            {"key": _("日時"), "value": f"{d.day} {d.time}"},
            {"key": _("場所"), "value": [d.site, d.address]},
            {"key": _("窓口"), "value": d.counter}]
    if change:
        rows[1]["change_href"] = url_for(".days", service_id=r.service_id, site_id=r.site_id,
                                         month=f"{d.start.year}-{d.start.month:02d}", **_carry())
        rows[1]["change_hidden"] = _("日時")
    return rows


def _person_rows(r: m.Reservation, change: bool = False) -> list[dict]:
    rows = [{"key": _("お名前"), "value": r.name}, {"key": _("フリガナ"), "value": r.name_kana},
            {"key": _("メールアドレス"), "value": r.email or _("なし")},
            {"key": _("電話番号"), "value": r.phone or _("なし")}]
    if change:
        for row in rows:
            row["change_href"] = url_for(".details", number=r.number, **_carry())
    return rows


def _error_list(errors: dict[str, str]) -> list[dict]:
    return [{"field_id": k, "message": v} for k, v in errors.items()]


def _booking_message(exc: BookingError) -> str:
    return exc.text()


# --- choosing what, where, when ------------------------------------------------------------------

def _one_visit(catalog, offered: list, procedures: list[str]) -> bool:
    """Every place offering the first service does all of them at one counter (the minutes add up)."""
    wanted = {s.id for s in offered}
    sites = catalog.sites_for(offered[0].id)
    return bool(sites) and all(wanted <= set(visit_services(catalog, offered[0].id, site.id, procedures))
                               for site in sites)


@bp.get("/reserve")
def reserve():
    catalog = current_catalog()
    procedures = _procedures()
    chosen = request.args.get("service")
    if chosen in catalog.services:
        return redirect(url_for(".site", service_id=chosen, **_carry()))
    offered = catalog.services_for_procedures(procedures) if procedures else []
    if offered and "submit" not in request.args and _one_visit(catalog, offered, procedures):
        return redirect(url_for(".site", service_id=offered[0].id, **_carry()))
    services = offered or list(catalog.services.values())
    not_bookable = [rulebook().kb.procedures[p] for p in procedures
                    if not any(p in s.procedures for s in catalog.services.values())]
    errors = {"service": _("予約する手続きを選んでください。")} if "submit" in request.args else {}
    return render_template("reservations/service.html", services=services, from_guide=bool(offered),
                           not_bookable=not_bookable, procedures=",".join(procedures), errors=errors,
                           error_list=_error_list(errors)), (400 if errors else 200)


@bp.get("/reserve/<service_id>")
def site(service_id: str):
    catalog = current_catalog()
    service = _service_or_404(service_id)
    sites = catalog.sites_for(service_id)
    chosen = request.args.get("site")
    if chosen and catalog.counter_for(service_id, chosen) is not None:
        return redirect(url_for(".days", service_id=service_id, site_id=chosen, **_carry()))
    if len(sites) == 1:
        return redirect(url_for(".days", service_id=service_id, site_id=sites[0].id, **_carry()))
    errors = {"site": _("行く場所を選んでください。")} if "submit" in request.args else {}
    return render_template("reservations/site.html", service=service, sites=sites, errors=errors,
                           error_list=_error_list(errors), procedures=",".join(_procedures()),
                           back=url_for(".reserve", submit=None, **_carry()) if len(catalog.services_for_procedures(
                               _procedures())) != 1 else url_for("guide.start")), (400 if errors else 200)


@bp.get("/reserve/<service_id>/<site_id>")
def days(service_id: str, site_id: str):
    service, place = _service_or_404(service_id), _site_or_404(service_id, site_id)
    ctx = _calendar_context(service_id, site_id, request.args.get("month"))
    return render_template(
        "reservations/days.html", service=service, site=place, **ctx,
        day_url=lambda d: url_for(".times", service_id=service_id, site_id=site_id, day=d.isoformat(), **_carry()),
        month_url=lambda d: url_for(".days", service_id=service_id, site_id=site_id, month=f"{d.year}-{d.month:02d}",
                                    **_carry()),
        back=url_for(".site", service_id=service_id, **_carry()))


@bp.route("/reserve/<service_id>/<site_id>/<day>", methods=["GET", "POST"])
@limiter.limit("30 per minute", methods=["POST"])
def times(service_id: str, site_id: str, day: str):
    catalog = current_catalog()
    service, place = _service_or_404(service_id), _site_or_404(service_id, site_id)
    date = _day_or_404(day)
    errors: dict[str, str] = {}
    if request.method == "POST":
        hold_key = request.form.get("hold_key", "")
        start_text = request.form.get("start", "")
        start = _start_of(start_text)
        length = booking.visit_length(catalog, service_id, site_id, _procedures())
        if start is None or start.date() != date or find_slot(overrides.for_day(catalog, site_id, date), service_id,
                                                              site_id, start, length) is None:
            errors["start"] = _("時間を選んでください。")
        elif len(hold_key) != HOLD_KEY_LENGTH:
            abort(400)
        else:
            try:  # one hold per browser at a time; what was typed for an earlier time is not lost
                r = resident_actions.hold(catalog, service_id, site_id, start, procedures=_procedures(),
                                          locale=_locale(), hold_key=hold_key, earlier=this_browser.numbers(),
                                          previous=_previous_person())
            except BookingError as exc:
                errors["start"] = _booking_message(exc)
            else:
                if r is None:  # the same hold key twice at once, and the first one is gone
                    errors["start"] = _("もう一度、時間を選んでください。")
            if not errors:
                this_browser.remember(r.number)
                # the form starts with what was typed before (for a time given up, or a hold that ran out)
                kept = any((r.name, r.name_kana, r.email, r.phone)) and _previous_person(other_than=r.number) is not None
                return redirect(url_for(".details", number=r.number, **_carry(**({"kept": 1} if kept else {}))))
    rows = _times(service_id, site_id, date)
    return render_template(
        "reservations/times.html", service=service, site=place, date=date, choices=_time_choices(rows),
        hold_minutes=catalog.rules.hold_minutes, hold_key=secrets.token_urlsafe(16)[:HOLD_KEY_LENGTH],
        selected=request.form.get("start"), errors=errors, error_list=_error_list(errors),
        back=url_for(".days", service_id=service_id, site_id=site_id, month=f"{date.year}-{date.month:02d}",
                     **_carry())), (400 if errors else 200)


# --- the person, 確認, done ----------------------------------------------------------------------

def _gone(r: m.Reservation):
    """A hold whose time ran out (or a booking already made): say so, keep the way forward."""
    if r.status == m.CONFIRMED:
        return redirect(url_for(".done", number=r.number, **_carry()))
    return render_template("reservations/expired.html", r=r,
                           again=url_for(".days", service_id=r.service_id, site_id=r.site_id, **_carry())), 410


PERSON_FIELDS = ("name", "name_kana", "email", "phone")


def _typed() -> dict[str, str]:
    return {k: request.form.get(k, "")[:300] for k in PERSON_FIELDS}


def _details_page(r: m.Reservation, values: dict[str, str], errors: dict[str, str], *, extended: bool = False,
                  problem: str | None = None, status: int = 200):
    rules = current_catalog().rules
    expires = aware(r.hold_expires_at) if r.hold_expires_at else booking.now_utc()
    seconds_left = max(int((expires - booking.now_utc()).total_seconds()), 0)
    return render_template(
        "reservations/details.html", r=r, values=values, errors=errors, error_list=_error_list(errors),
        expires=_hm(expires.astimezone(JST)), seconds_left=seconds_left, hold_minutes=rules.hold_minutes,
        extensions_left=max(rules.hold_extensions - r.hold_extensions, 0), extended=extended, problem=problem,
        kept=request.args.get("kept") == "1" and request.method == "GET", rows=_summary_rows(r),
        extend_url=url_for(".extend", number=r.number, **_carry()),
        back=url_for(".times", service_id=r.service_id, site_id=r.site_id, day=r.day.isoformat(), **_carry())), status


def _ran_out(r: m.Reservation, typed: dict[str, str]):
    """The hold ran out while the form was open: what was typed stays (for the next time chosen)."""
    resident_actions.keep_typed(r, typed)
    return _gone(r)


@bp.route("/reserve/booking/<number>/details", methods=["GET", "POST"])
def details(number: str):
    r = this_browser.own(number)
    if r.status != m.HELD:
        return _ran_out(r, _typed()) if request.method == "POST" else _gone(r)
    values = {"name": r.name or "", "name_kana": r.name_kana or "", "email": r.email or "", "phone": r.phone or ""}
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = _typed()
        person, errors = check_person(values["name"], values["name_kana"], values["email"], values["phone"],
                                      locale=_locale(), phone_example=example_phone())
        if person is not None:
            resident_actions.give_details(r, person)
            return redirect(url_for(".confirm", number=number, **_carry()))
    return _details_page(r, values, errors, status=400 if errors else 200)


@bp.post("/reserve/booking/<number>/extend")
@limiter.limit("30 per minute")
def extend(number: str):
    """仮押さえを延ばす (WCAG 2.2.1). The page's script asks for JSON; without a script this is the
    details form's second button, so what was typed comes back on the page as it was."""
    wants_json = request.accept_mimetypes.best == "application/json"
    typed = _typed()
    try:
        r = resident_actions.extend_hold(current_catalog(), number, owned=this_browser.numbers())
    except BookingError as exc:
        if wants_json:
            return jsonify(exc.body()), exc.status
        if exc.code == "not_found":
            abort(404)
        r = booking.by_number(number)
        if exc.code == "hold_expired":
            return _ran_out(r, typed)
        return _details_page(r, typed, {}, problem=_booking_message(exc), status=exc.status)
    if wants_json:
        expires = aware(r.hold_expires_at)
        return jsonify({"hold_expires_at": expires.isoformat(), "until": _hm(expires.astimezone(JST)),
                        "seconds_left": max(int((expires - booking.now_utc()).total_seconds()), 0),
                        "extensions_left": max(current_catalog().rules.hold_extensions - r.hold_extensions, 0)})
    return _details_page(r, typed, {}, extended=True)


@bp.route("/reserve/booking/<number>/confirm", methods=["GET", "POST"])
@limiter.limit("30 per minute", methods=["POST"])
def confirm(number: str):
    r = this_browser.own(number)
    if r.status != m.HELD:
        return _gone(r)
    if check_person(r.name, r.name_kana, r.email, r.phone, locale=_locale(), phone_example=example_phone())[0] is None:
        return redirect(url_for(".details", number=number, **_carry()))  # none yet, or kept unchecked after a hold ran out
    problem = None
    if request.method == "POST":
        catalog = current_catalog()
        try:
            resident_actions.confirm(catalog, r, rulebook().kb)
        except BookingError as exc:
            if exc.code == "hold_expired":
                return _gone(booking.by_number(number))
            problem = _booking_message(exc)
        else:
            usage.record("reserve", "booked", r.service_id)
            return redirect(url_for(".done", number=number, **_carry()))
    return render_template("reservations/confirm.html", r=r, rows=_summary_rows(r, change=True),
                           person_rows=_person_rows(r, change=True), problem=problem,
                           back=url_for(".details", number=number, **_carry())), (409 if problem else 200)


def _next_services(r: m.Reservation) -> list:
    """The other visits the guide's procedures need (booked one after another)."""
    procedures = _procedures()
    if not procedures:
        return []
    catalog = current_catalog()
    done_here = set(visit_services(catalog, r.service_id, r.site_id, _booked_procedures(r)))
    return [s for s in catalog.services_for_procedures(procedures) if s.id not in done_here]


@bp.get("/reserve/booking/<number>/done")
def done(number: str):
    r = this_browser.own(number)
    if r.status != m.CONFIRMED:
        return _gone(r) if r.status in (m.HELD, m.EXPIRED) else redirect(links.manage_url(r.number))
    d = notify.describe(current_catalog(), r, _locale(), rulebook().kb)
    return render_template("reservations/done.html", r=r, d=d, rows=_summary_rows(r),
                           qr=labelled_qr(r.number, _("予約番号 %(number)s のQRコード", number=r.number), "reserve-qr__image"),
                           manage_url=_manage_link(r.number), next_services=_next_services(r),
                           procedures=",".join(_procedures()))


# --- the signed manage link: view, cancel, move ---------------------------------------------------

@bp.get("/reserve/manage/<token>")
def manage(token: str):
    r = this_browser.managed(token)
    moved_to = None
    if r.status == m.CANCELLED:
        moved_to = db.session.scalar(select(m.Reservation).where(m.Reservation.moved_from == r.number))
    d = notify.describe(current_catalog(), r, _locale(), rulebook().kb)
    changeable = r.status == m.CONFIRMED
    return render_template("reservations/manage.html", r=r, d=d, rows=_summary_rows(r), token=token,
                           qr=labelled_qr(r.number, _("予約番号 %(number)s のQRコード", number=r.number), "reserve-qr__image")
                           if changeable else None, changeable=changeable,
                           moved_to_url=_manage_link(moved_to.number) if moved_to else None,
                           moved_to=moved_to, changed=request.args.get("changed") == "1",
                           carry=_carry())


@bp.route("/reserve/manage/<token>/cancel", methods=["GET", "POST"])
@limiter.limit("30 per minute", methods=["POST"])
def cancel(token: str):
    r = this_browser.managed(token)
    if r.status != m.CONFIRMED:
        return redirect(url_for(".manage", token=token, **_carry()))
    problem = None
    if request.method == "POST":
        catalog = current_catalog()
        try:
            resident_actions.cancel(catalog, r, rulebook().kb)
        except BookingError as exc:
            problem = _booking_message(exc)
        else:
            usage.record("reserve", "cancelled", r.service_id)
            return render_template("reservations/cancelled.html", r=r, rows=_summary_rows(r))
    return render_template("reservations/cancel.html", r=r, rows=_summary_rows(r), token=token, problem=problem,
                           back=url_for(".manage", token=token, **_carry())), (422 if problem else 200)


@bp.get("/reserve/manage/<token>/move")
def move_days(token: str):
    r = this_browser.managed(token)
    if r.status != m.CONFIRMED:
        return redirect(url_for(".manage", token=token, **_carry()))
    catalog = current_catalog()
    ctx = _calendar_context(r.service_id, r.site_id, request.args.get("month"), _booked_procedures(r))
    return render_template(
        "reservations/days.html", service=catalog.services[r.service_id], site=catalog.sites[r.site_id], **ctx,
        moving=r, moving_when=_summary_rows(r)[1]["value"],
        day_url=lambda d: url_for(".move_times", token=token, day=d.isoformat(), **_carry()),
        month_url=lambda d: url_for(".move_days", token=token, month=f"{d.year}-{d.month:02d}", **_carry()),
        back=url_for(".manage", token=token, **_carry()))


@bp.route("/reserve/manage/<token>/move/<day>", methods=["GET", "POST"])
@limiter.limit("30 per minute", methods=["POST"])
def move_times(token: str, day: str):
    r = this_browser.managed(token)
    if r.status != m.CONFIRMED:
        return redirect(url_for(".manage", token=token, **_carry()))
    catalog = current_catalog()
    date = _day_or_404(day)
    errors: dict[str, str] = {}
    if request.method == "POST":
        start = _start_of(request.form.get("start", ""))
        if start is None or start.date() != date:
            errors["start"] = _("時間を選んでください。")
        else:
            try:
                new = resident_actions.move(catalog, r, start, rulebook().kb)
            except BookingError as exc:  # the old booking stays as it was
                errors["start"] = _booking_message(exc)
            else:
                usage.record("reserve", "moved", new.service_id)
                return redirect(url_for(".manage", token=links.manage_token(new.number), changed=1, **_carry()))
    rows = [a for a in _times(r.service_id, r.site_id, date, _booked_procedures(r)) if aware(a.slot.start) != aware(r.start)]
    return render_template(
        "reservations/times.html", service=catalog.services[r.service_id], site=catalog.sites[r.site_id],
        date=date, choices=_time_choices(rows), moving=r, hold_minutes=None, hold_key=None,
        selected=request.form.get("start"), errors=errors, error_list=_error_list(errors),
        back=url_for(".move_days", token=token, month=f"{date.year}-{date.month:02d}", **_carry())), (400 if errors else 200)
