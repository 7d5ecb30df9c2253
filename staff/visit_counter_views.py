"""The counter side of a visit (/staff/visits, issue 14): scan the resident's QR code (or type the
受付番号), see the household they entered at home (事前入力) and the itinerary, correct what the
documents show, print the city's forms filled in for this counter's procedures, mark this
counter's stop done, and see who is coming next.

Who: the counter roles of check-in (core/policy.py), at the counters of their departments
(staff/reservations_views.counter_scope). A household is shown only once the resident chose
「窓口に送る」. Every page showing it, every correction, print-out and done mark is audited.
In the walk the staff type nothing: the scanner types the number; printing and 済み are buttons.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any

from flask import Blueprint, Response, abort, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from core import audit, policy
from core.city import example_phone, example_postcode
from core.db import aware
from core.japan_time import JST
from core.pack import rulebook
from core.words import N_
from reservations import counter_forms_current, prefill
from reservations import models as m
from reservations import visit as visits
from reservations.booking import BookingError
from reservations.current import catalog as current_catalog
from rules.wareki import ymd_with_wareki
from staff.guard import only_with_policy
from staff.reservations_views import counter_scope

bp = Blueprint("staff_visits", __name__, url_prefix="/staff/visits", template_folder="templates")
bp.before_request(only_with_policy)

NUMBER_IN_TEXT = re.compile(r"(?:^|/)(V[0-9A-Z]{4,11})/?$")
FIELD_LABELS = {
    "family_name": N_("姓"), "given_name": N_("名"), "family_kana": N_("姓のフリガナ"), "given_kana": N_("名のフリガナ"),
    "birth_date": N_("生年月日"), "sex": N_("性別"), "relationship": N_("続柄"),
    "relationship_text": N_("続柄が「その他」のとき"), "postcode": N_("郵便番号"), "address": N_("住所"),
    "building": N_("建物名・部屋番号"), "head_name": N_("世帯主"),
}


def _locale() -> str:
    return getattr(g, "locale", "ja")


def _actor() -> str:
    return f"staff:{g.staff.login_id}"


def _today() -> dt.date:
    return dt.datetime.now(JST).date()


def read_number(raw: str | None) -> str:
    """The 受付番号 from what the scanner or a person typed: the number itself (lower case,
    full-width, hyphens and spaces allowed) or the URL of the QR code."""
    text = unicodedata.normalize("NFKC", raw or "").strip()
    found = NUMBER_IN_TEXT.search(text.split("?")[0].upper())
    if found:
        return found.group(1)
    return re.sub(r"[\s\-‐ー−]", "", text).upper()[:12]


def _time(moment: dt.datetime) -> str:
    return aware(moment).astimezone(JST).strftime("%H:%M")


def _counter_name(counter_id: str) -> str:
    counter = current_catalog().counters.get(counter_id)
    return counter.name.get(_locale()) if counter else counter_id


def _visit_in_scope(number: str) -> tuple[m.Visit, list[m.Reservation], list[str]]:
    """The visit, its stops, and the counters of this user among them; 404 when none is theirs."""
    visit = visits.by_number(number)
    if visit is None:
        abort(404)
    stops = visits.stops(visit)
    scope = set(counter_scope(current_catalog()))
    mine = [s.counter_id for s in stops if s.counter_id in scope]
    if not mine:
        abort(404)
    return visit, stops, mine


def _shared(visit: m.Visit):
    record = prefill.of_visit(visit)
    return record if record is not None and record.status == prefill.SHARED else None


def _field_id(path: str) -> str:
    return "f-" + re.sub(r"[^a-z0-9]+", "-", path)


def _field_rows(record, typed: dict[str, str] | None = None,
                errors: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """Each field of the household: the resident's value and the staff's correction beside it
    (members added at the counter too); ``typed``/``errors`` by path keep a refused correction."""
    doc, changes = prefill.household(record), prefill.corrections(record)
    typed, errors = typed or {}, errors or {}
    paths: list[tuple[str, str, dict[str, Any] | None]] = []
    for i, member in enumerate(prefill.counter_members(record)):
        if member["removed"]:
            continue
        keys = ["family_name", "given_name", "family_kana", "given_kana", "birth_date", "sex", "relationship"]
        if member.get("relationship") == "other":
            keys.append("relationship_text")
        for key in keys:
            paths.append((f"members[{i}].{key}", _("%(n)s人目", n=i + 1) + "・" + _(FIELD_LABELS[key]), member))
    for part, label in (("previous_address", _("前の住所")), ("new_address", _("新しい住所"))):
        for key in ("postcode", "address", "building", "head_name"):
            paths.append((f"{part}.{key}", label + "・" + _(FIELD_LABELS[key]), None))
    paths += [("move_date", _("引っ越しの日"), None), ("phone", _("電話番号"), None)]
    rows = []
    for path, label, member in paths:
        value = prefill.get_path(doc, path)
        change = changes.get(path)
        kind = "sex" if path.endswith(".sex") else "relationship" if path.endswith(".relationship") else "text"
        sex = str((member or {}).get("sex", ""))
        rows.append({"path": path, "label": label, "value": _shown(path, value, sex),
                     "corrected": _shown(path, change["value"], sex) if change else None,
                     "by": change["by"] if change else None, "field_id": _field_id(path), "kind": kind,
                     "typed": typed.get(path, change["value"] if change and kind != "text" else
                                        value if kind != "text" else ""), "error": errors.get(path),
                     "added": bool(member and member.get("added"))})
    return rows


def _member_rows(record) -> list[dict[str, Any]]:
    """One line per member for 引っ越さない / 外す (kept beside the resident's entry)."""
    rows = []
    for i, member in enumerate(prefill.counter_members(record)):
        rows.append({"index": i, "label": _("%(n)s人目", n=i + 1),
                     "name": f"{member.get('family_name', '')} {member.get('given_name', '')}".strip(),
                     "moving": member["moving"], "removed": member["removed"], "added": bool(member.get("added"))})
    return rows


SEX_CHOICES = (("", N_("書かない")), ("male", N_("男")), ("female", N_("女")))
RELATIONSHIP_CHOICES = (("head", N_("世帯主")), ("spouse", N_("妻・夫")), ("child", N_("子")),
                        ("parent", N_("父・母")), ("other", N_("その他")))
ADD_FIELDS = ("family_name", "given_name", "family_kana", "given_kana", "birth-year", "birth-month", "birth-day",
              "sex", "relationship", "relationship_text")


def _shown(path: str, value: str, sex: str = "") -> str:
    if path.endswith(("birth_date", "move_date")) and value:
        try:
            return ymd_with_wareki(dt.date.fromisoformat(value))
        except ValueError:
            return value
    if path.endswith(".sex"):
        return {"male": _("男"), "female": _("女")}.get(value, "")
    if path.endswith(".relationship"):
        word = prefill.relationship_word(value, sex)  # 妻 or 夫 from the (corrected) sex
        return _(word) if word else value
    return value


def _stop_rows(stops: list[m.Reservation], mine: list[str]) -> list[dict[str, Any]]:
    kb = rulebook().kb
    rows, seen_next = [], False
    for stop in stops:
        state = "done" if stop.done_at else ("later" if seen_next else "next")
        seen_next = seen_next or state == "next"
        names = [kb.procedures[p].name.get(_locale()) for p in stop.procedures.split(",") if p in kb.procedures]
        rows.append({"stop": stop, "state": state, "counter": _counter_name(stop.counter_id),
                     "mine": stop.counter_id in mine, "procedures": names,
                     "time": _time(stop.start)})
    return rows


# --- scan / type the number, and who is coming next -----------------------------------------------

@bp.get("/", endpoint="index")
def index():
    typed = request.args.get("number", "")
    error = None
    if typed:
        number = read_number(typed)
        visit = visits.by_number(number)
        if visit is not None:
            return redirect(url_for("staff_visits.visit", number=visit.number))
        error = _("受付番号 %(number)s のまとめて予約は見つかりません。番号を確かめてください。", number=number[:12])
    cat = current_catalog()
    scope = counter_scope(cat)
    coming = []
    for counter_id in scope:
        rows = [{"visit": v, "stop": s, "time": _time(s.start), "name": prefill.household_name(v, s),
                 "shared": _shared(v) is not None} for v, s in prefill.coming_next([counter_id], _today())]
        arriving = [{"visit": v, "stop": s, "time": _time(s.start), "name": prefill.household_name(v, s),
                     "shared": _shared(v) is not None} for v, s in prefill.expected([counter_id], _today())]
        coming.append({"id": counter_id, "counter": _counter_name(counter_id), "rows": rows, "expected": arriving})
    return render_template("staff/visits/index.html", typed=typed[:200], error=error, coming=coming), \
        (404 if error else 200)


# --- one visit ------------------------------------------------------------------------------------

def _visit_page(the_visit: m.Visit, stops: list[m.Reservation], mine: list[str], record, *,
                typed: dict[str, str] | None = None, errors: dict[str, str] | None = None,
                added_typed: dict[str, str] | None = None, added_errors: dict[str, str] | None = None,
                status: int = 200):
    error_list = [{"field_id": _field_id(path), "message": text} for path, text in (errors or {}).items()]
    error_list += [{"field_id": f"add-{field}", "message": text} for field, text in (added_errors or {}).items()]
    return render_template("staff/visits/visit.html", visit=the_visit, stops=_stop_rows(stops, mine),
                           record=record, rows=_field_rows(record, typed, errors) if record else [],
                           members=_member_rows(record) if record else [],
                           added=added_typed or {}, added_errors=added_errors or {}, error_list=error_list,
                           sexes=[(k, _(v)) for k, v in SEX_CHOICES],
                           relationships=[(k, _(v)) for k, v in RELATIONSHIP_CHOICES],
                           corrected=request.args.get("corrected"), done=request.args.get("done"),
                           member_changed=request.args.get("member")), status


@bp.get("/<number>", endpoint="visit")
def visit(number: str):
    the_visit, stops, mine = _visit_in_scope(read_number(number))
    record = _shared(the_visit)
    audit.record("visit.view", target=the_visit.number, details={"household": record is not None})
    return _visit_page(the_visit, stops, mine, record)


def _shared_or_404(number: str):
    the_visit, stops, mine = _visit_in_scope(read_number(number))
    record = _shared(the_visit)
    if record is None:
        abort(404)
    return the_visit, stops, mine, record


@bp.post("/<number>/correct", endpoint="correct")
def correct(number: str):
    the_visit, stops, mine, record = _shared_or_404(number)
    path = request.form.get("path", "")
    value = request.form.get("value", "")
    if len(value) > 200:
        abort(400)
    try:
        prefill.correct(record, path, value, g.staff.login_id, locale=_locale(), today=_today(),
                        example_postcode=example_postcode(), example_phone=example_phone())
    except prefill.CorrectionError as exc:
        return _visit_page(the_visit, stops, mine, record, typed={path: value},
                           errors={path: exc.errors[0][1]}, status=422)
    except prefill.PrefillError:
        abort(400)
    return redirect(url_for("staff_visits.visit", number=the_visit.number, corrected=path))


@bp.post("/<number>/members", endpoint="members")
def members(number: str):
    """Add a member the documents show, or mark one as not moving / moving / not of this household."""
    the_visit, stops, mine, record = _shared_or_404(number)
    action = request.form.get("action", "")
    if action == "add":
        typed = {f: str(request.form.get(f"add-{f}", ""))[:200] for f in ADD_FIELDS}
        try:
            prefill.add_member(record, typed, g.staff.login_id, locale=_locale(), today=_today())
        except prefill.CorrectionError as exc:
            errors: dict[str, str] = {}
            for field, text in exc.errors:
                box = field.split("-", 1)[1] if "-" in field else field
                errors.setdefault(box if box in ADD_FIELDS else "family_name", text)
            return _visit_page(the_visit, stops, mine, record, added_typed=typed, added_errors=errors, status=422)
    else:
        found = re.fullmatch(r"(not_moving|moving|remove)-(\d{1,2})", action)
        if not found:
            abort(400)
        try:
            prefill.mark_member(record, int(found.group(2)), found.group(1), g.staff.login_id)
        except prefill.PrefillError:
            abort(400)
    return redirect(url_for("staff_visits.visit", number=the_visit.number, member=action.split("-")[0]))


def _stop_of(stops: list[m.Reservation], stop_id: int, mine: list[str]) -> m.Reservation:
    stop = next((s for s in stops if s.id == stop_id), None)
    if stop is None:
        abort(404)
    if stop.counter_id not in mine:
        abort(403)
    return stop


@bp.get("/<number>/stops/<int:stop_id>/forms.pdf", endpoint="print_forms")
def print_forms(number: str, stop_id: int):
    the_visit, stops, mine = _visit_in_scope(read_number(number))
    stop = _stop_of(stops, stop_id, mine)
    record = _shared(the_visit)
    household = prefill.effective(record) if record else prefill.empty_household()
    procedures = [p for p in stop.procedures.split(",") if p]  # this counter's (the form ticks them)
    forms = counter_forms_current.forms_for(procedures)
    if not forms:
        abort(404)
    body = counter_forms_current.print_pdf(household, procedures, lang=_locale())
    audit.record("visit.print", target=the_visit.number,
                 details={"counter": stop.counter_id, "forms": [f.id for f in forms], "household": record is not None})
    return Response(body, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{the_visit.number}-{stop.counter_id}.pdf"',
        "Cache-Control": "no-store"})


@bp.post("/<number>/stops/<int:stop_id>/done", endpoint="stop_done")
def stop_done(number: str, stop_id: int):
    the_visit, stops, mine = _visit_in_scope(read_number(number))
    stop = _stop_of(stops, stop_id, mine)
    try:
        prefill.finish_stop(the_visit, stop)
    except BookingError:
        abort(409)
    return redirect(url_for("staff_visits.visit", number=the_visit.number, done=stop.counter_id))


@bp.context_processor
def _helpers() -> dict[str, Any]:
    staff = getattr(g, "staff", None)  # the reservations menu (staff/templates/staff/reservations/_nav.html)
    return {"staff_may": lambda endpoint: staff is not None and policy.allowed(endpoint, staff.role)}
