"""/reserve/visit/<token>/prefill: the resident fills the household in at home (事前入力), once
for every counter of the visit, behind the visit's signed manage link (reservations/links.py) —

    overview → 引っ越す人 (rows added and removed) → 住所 (postcode lookup, no script needed)
    → 引っ越しの日・電話番号 → 確認 (変更 links) → 「窓口に送る」 → QR code and number

and /reserve/visit/<token>/progress: each stop of the visit, done or next. Views stay thin: the
checks and the storage are reservations/prefill.py. Nothing is kept in the session.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, abort, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from core.city import example_phone, example_postcode
from core.db import aware
from core.japan_time import JST
from core.pack import rulebook
from core.qr import labelled_qr
from core.security import limiter
from reservations import links, prefill
from reservations import models as m
from reservations import visit as visits
from reservations.current import catalog as current_catalog
from rules.wareki import format_date, ymd_with_wareki

bp = Blueprint("prefill", __name__, template_folder="templates")



def _locale() -> str:
    return getattr(g, "locale", "ja")


def _visit(token: str) -> m.Visit:
    """The visit its signed manage link names (the link of the visit's done and manage pages);
    404 for anything else (a single booking's link, a forged or altered one)."""
    number = links.read_visit_manage_token(token)
    visit = visits.by_number(number) if number else None
    if visit is None or visit.status in (m.HELD, m.EXPIRED):
        abort(404)
    return visit


def _open_visit(token: str) -> m.Visit:
    visit = _visit(token)
    if not prefill.may_fill(visit):
        abort(410)  # done or cancelled: its household is gone (or going)
    return visit


def _error_list(errors: list[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"field_id": field, "message": message} for field, message in errors]


def _sex_choices() -> list[dict[str, str]]:
    return [{"value": "male", "label": _("男")}, {"value": "female", "label": _("女")},
            {"value": prefill.NO_ANSWER, "label": _("回答しない")}]


def _relationship_choices() -> list[dict[str, str]]:
    return [{"value": "head", "label": _("世帯主（本人）")}, {"value": "spouse", "label": _("妻・夫")},
            {"value": "child", "label": _("子")}, {"value": "parent", "label": _("父・母")},
            {"value": "other", "label": _("その他")}]


def _stop_names(visit: m.Visit) -> list[dict[str, Any]]:
    cat, locale = current_catalog(), _locale()
    rows = []
    for row in prefill.progress(visit, _today()):
        stop = row["stop"]
        counter = cat.counters.get(stop.counter_id)
        start = aware(stop.start).astimezone(JST)
        rows.append({"name": counter.name.get(locale) if counter else stop.counter_id,
                     "state": row["state"], "start": stop.start, "order": stop.stop_order,
                     "time": f"{start.hour}:{start.minute:02d}"})
    return rows


def _page(template: str, visit: m.Visit, token: str, **context: Any):
    context.setdefault("resend", False)
    return render_template(f"prefill/{template}", visit=visit, token=token, **context)


# --- overview -------------------------------------------------------------------------------------

@bp.get("/reserve/visit/<token>/prefill")
def start(token: str):
    visit = _open_visit(token)
    record = prefill.of_visit(visit)
    doc = prefill.household(record)
    return _page("start.html", visit, token, record=record, missing=prefill.missing_parts(doc),
                 stops=_stop_names(visit), resend=prefill.needs_resend(record), steps=prefill.steps(record))


# --- 1. the people moving -------------------------------------------------------------------------

@bp.route("/reserve/visit/<token>/prefill/members", methods=["GET", "POST"])
@limiter.limit("60 per minute", methods=["POST"])
def members(token: str):
    visit = _open_visit(token)
    errors: list[tuple[str, str]] = []
    if request.method == "GET":
        rows = prefill.rows_of(prefill.household(prefill.of_visit(visit))["members"])
        return _page("members.html", visit, token, rows=rows, errors={}, error_list=[],
                     sexes=_sex_choices(), relationships=_relationship_choices(), focus=None)
    rows = prefill.typed_members(request.form)
    action = request.form.get("action", "continue")
    focus = None  # the row whose first box takes the focus (the one just added)
    if action == "add":
        if len(rows) < prefill.MAX_MEMBERS:
            rows.append(prefill.blank_row())
            focus = len(rows) - 1
    elif action.startswith("remove-"):
        index = action.removeprefix("remove-")
        if index.isdigit() and int(index) < len(rows) and len(rows) > 1:
            rows.pop(int(index))
    elif action == "continue":
        found, errors = prefill.check_members(rows, _locale(), today=_today())
        if found is not None:
            prefill.save_part(visit, {"members": found})
            return redirect(url_for("prefill.addresses", token=token))
    else:
        abort(400)
    return _page("members.html", visit, token, rows=rows, errors=dict(errors), error_list=_error_list(errors),
                 sexes=_sex_choices(), relationships=_relationship_choices(), focus=focus), 422 if errors else 200


def _today() -> dt.date:
    return prefill.now_utc().astimezone(JST).date()


# --- 2. previous and new address ------------------------------------------------------------------

@bp.route("/reserve/visit/<token>/prefill/addresses", methods=["GET", "POST"])
@limiter.limit("60 per minute", methods=["POST"])
def addresses(token: str):
    visit = _open_visit(token)
    doc = prefill.household(prefill.of_visit(visit))
    if not doc["members"]:
        return redirect(url_for("prefill.members", token=token))
    needs_head = not prefill.head_is_member(doc["members"])
    if request.method == "GET":
        typed = {"previous": {f: doc["previous_address"].get(f, "") for f in prefill.ADDRESS_FIELDS},
                 "new": {f: doc["new_address"].get(f, "") for f in prefill.ADDRESS_FIELDS}}
        return _page("addresses.html", visit, token, typed=typed, errors={}, error_list=[], needs_head=needs_head,
                     found={}, focus=None)
    typed = {"previous": prefill.typed_address(request.form, "previous"),
             "new": prefill.typed_address(request.form, "new")}
    action = request.form.get("action", "continue")
    errors: list[tuple[str, str]] = []
    found: dict[str, bool] = {}
    lookups = prefill.to_look_up(typed) if action == "enter" else []
    if action == "enter" and not lookups:
        action = "continue"
    if action in ("lookup-previous", "lookup-new"):
        lookups = [action.removeprefix("lookup-")]
    for which in lookups:
        found[which], failed = prefill.look_up(typed[which], which, _locale())
        errors += failed
    if not lookups and action != "continue":
        abort(400)
    if not lookups:
        previous, errors_previous = prefill.check_address(typed["previous"], "previous", _locale(),
                                                          needs_head=needs_head, example_postcode=example_postcode())
        new, errors_new = prefill.check_address(typed["new"], "new", _locale(), needs_head=needs_head,
                                                example_postcode=example_postcode())
        errors = errors_previous + errors_new
        if previous is not None and new is not None:
            prefill.save_part(visit, {"previous_address": previous, "new_address": new})
            return redirect(url_for("prefill.details", token=token))
    focus = next((f"{which}-address" for which in lookups if found.get(which)), None)
    return _page("addresses.html", visit, token, typed=typed, errors=dict(errors), error_list=_error_list(errors),
                 needs_head=needs_head, found=found, focus=None if errors else focus), 422 if errors else 200


# --- 3. move date and phone -----------------------------------------------------------------------

@bp.route("/reserve/visit/<token>/prefill/details", methods=["GET", "POST"])
@limiter.limit("60 per minute", methods=["POST"])
def details(token: str):
    visit = _open_visit(token)
    doc = prefill.household(prefill.of_visit(visit))
    if request.method == "GET":
        typed = {**{f"move_date-{k}": v for k, v in prefill.date_parts(doc["move_date"]).items()}, "phone": doc["phone"]}
        return _page("details.html", visit, token, typed=typed, errors={}, error_list=[])
    typed = {key: str(request.form.get(key, "") or "")[:40]
             for key in ("move_date-year", "move_date-month", "move_date-day", "phone")}
    found, errors = prefill.check_details(typed, _locale(), today=_today(), example_phone=example_phone())
    if found is not None:
        prefill.save_part(visit, found)
        return redirect(url_for("prefill.check", token=token))
    return _page("details.html", visit, token, typed=typed, errors=dict(errors), error_list=_error_list(errors)), 422


# --- 4. check, send, delete -----------------------------------------------------------------------

def _date_text(iso: str) -> str:
    try:
        return ymd_with_wareki(dt.date.fromisoformat(iso))
    except ValueError:
        return ""


def _relationship_text(member: dict[str, Any]) -> str:
    code = member.get("relationship", "")
    if code == "other":
        return member.get("relationship_text", "") or _("その他")
    word = prefill.relationship_word(code, member.get("sex", ""))
    return _(word) if word else ""


def summary_rows(doc: dict[str, Any], token: str | None) -> list[dict[str, Any]]:
    """The check page's rows (with 変更 links when ``token`` is given)."""
    def href(endpoint: str) -> str | None:
        return url_for(endpoint, token=token) if token else None

    sexes = {c["value"]: c["label"] for c in _sex_choices()}
    rows: list[dict[str, Any]] = []
    for i, member in enumerate(doc["members"], 1):
        rows.append({"key": _("%(n)s人目", n=i), "change_href": href("prefill.members"),
                     "change_hidden": _("%(n)s人目", n=i),
                     "value": [f"{member['family_name']} {member['given_name']}（{member['family_kana']} {member['given_kana']}）",
                               _date_text(member.get("birth_date", "")),
                               f"{sexes.get(member.get('sex') or prefill.NO_ANSWER, '')}・{_relationship_text(member)}"]})
    for key, label in (("previous_address", _("前の住所")), ("new_address", _("新しい住所"))):
        address = doc.get(key) or {}
        if address:
            lines = [f"〒{address.get('postcode', '')[:3]}-{address.get('postcode', '')[3:]}", address.get("address", ""),
                     address.get("building", "")]
            if address.get("head_name"):
                lines.append(_("世帯主：%(name)s", name=address["head_name"]))
            rows.append({"key": label, "value": [line for line in lines if line], "change_href": href("prefill.addresses")})
    if doc.get("move_date"):
        rows.append({"key": _("引っ越しの日"), "value": _date_text(doc["move_date"]), "change_href": href("prefill.details")})
    if doc.get("phone"):
        rows.append({"key": _("電話番号"), "value": doc["phone"], "change_href": href("prefill.details")})
    return rows


@bp.get("/reserve/visit/<token>/prefill/check")
def check(token: str):
    visit = _open_visit(token)
    record = prefill.of_visit(visit)
    doc = prefill.household(record)
    missing = prefill.missing_parts(doc)
    if missing:
        return redirect(url_for(f"prefill.{missing[0]}", token=token))
    return _page("check.html", visit, token, rows=summary_rows(doc, token), record=record,
                 resend=prefill.needs_resend(record))


@bp.post("/reserve/visit/<token>/prefill/share")
@limiter.limit("30 per minute")
def share(token: str):
    visit = _open_visit(token)
    prefill.share(visit)  # a PrefillError (incomplete) is a 409 page in the reader's language
    return redirect(url_for("prefill.ready", token=token))


@bp.route("/reserve/visit/<token>/prefill/delete", methods=["GET", "POST"])
@limiter.limit("30 per minute", methods=["POST"])
def discard(token: str):
    visit = _open_visit(token)
    if request.method == "POST":
        prefill.discard(visit)
        return redirect(url_for("prefill.start", token=token, deleted=1))
    return _page("delete.html", visit, token)


@bp.get("/reserve/visit/<token>/prefill/ready")
def ready(token: str):
    visit = _open_visit(token)
    record = prefill.of_visit(visit)
    if record is None or record.status != prefill.SHARED:
        return redirect(url_for("prefill.start", token=token))
    qr = labelled_qr(links.visit_counter_url(visit.number), _("受付番号 %(number)s のQRコード", number=visit.number), "reserve-qr__image")
    return _page("ready.html", visit, token, qr=qr, stops=_stop_names(visit))


# --- the visit's progress -------------------------------------------------------------------------

@bp.get("/reserve/visit/<token>/progress")
def progress(token: str):
    visit = _visit(token)
    record = prefill.of_visit(visit)
    kb = rulebook().kb
    names = [kb.procedures[p].name.get(_locale()) for p in visit.procedures.split(",") if p in kb.procedures]
    return _page("progress.html", visit, token, stops=_stop_names(visit), record=record, procedures=names,
                 day=format_date(visit.day, _locale()), before_the_day=_today() < visit.day,
                 done=visit.status == prefill.VISIT_DONE, resend=prefill.needs_resend(record))
