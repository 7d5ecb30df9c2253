"""The staff inbox of online applications: filters (read from the query string), the department
scope, and the query. Messages go through flask_babel (called within a request).

Filters (GET): ``status`` (``open`` by default: 受付〜発行済; ``all``; or one status), ``procedure``,
``assignee`` (``anyone`` / ``me`` / ``unassigned``), ``q`` (receipt number, or part of it),
``from`` / ``to`` (submission days, Japan time, YYYY-MM-DD). Drafts and signed-but-unsent
applications are never listed: only what has a receipt number (受付番号).
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import Select, false, or_

from intake import workflow
from intake.models import Application

JST = dt.timezone(dt.timedelta(hours=9))
PER_PAGE = 50
OPEN, ALL = "open", "all"
LISTED_STATUSES = tuple(s for s in workflow.STATUSES if s not in workflow.BEFORE_SUBMISSION)
ASSIGNEE_CHOICES = ("anyone", "me", "unassigned")
FILTERS = ("status", "procedure", "assignee", "q", "from", "to")
_DATE = re.compile(r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})$")
_RECEIPT_CHARS = re.compile(r"[^0-9-]")


@dataclass
class InboxFilters:
    values: dict[str, str] = field(default_factory=dict)  # as typed (back into the form)
    start: dt.datetime | None = None  # UTC, inclusive
    end: dt.datetime | None = None  # UTC, exclusive
    errors: list[dict[str, str]] = field(default_factory=list)

    def args(self, **extra: object) -> dict[str, object]:
        """The filters as query arguments (links to the other pages, the exports)."""
        return {**{k: v for k, v in self.values.items() if v}, **extra}

    @property
    def status(self) -> str:
        return self.values.get("status") or OPEN


def _clean(raw: str | None, limit: int = 64) -> str:
    return unicodedata.normalize("NFKC", raw or "").strip()[:limit]


def _day(raw: str) -> dt.date | None:
    match = _DATE.match(raw)
    if not match:
        return None
    try:
        day = dt.date(*(int(p) for p in match.groups()))
    except ValueError:
        return None
    return day if 2000 <= day.year <= 2100 else None


def _utc_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), JST).astimezone(dt.UTC)


def read_filters(args: Mapping[str, str], procedures: Mapping[str, str]) -> InboxFilters:
    """``procedures``: the ids (→ names) the user may choose from."""
    f = InboxFilters(values={name: _clean(args.get(name)) for name in FILTERS})
    f.values["q"] = _RECEIPT_CHARS.sub("", f.values["q"].replace("ー", "-").replace("−", "-"))
    if f.values["status"] not in ("", OPEN, ALL, *LISTED_STATUSES):
        f.errors.append({"field_id": "status", "message": _("状態を選んでください。")})
    if f.values["procedure"] and f.values["procedure"] not in procedures:
        f.errors.append({"field_id": "procedure", "message": _("手続きを選んでください。")})
    if f.values["assignee"] not in ("", *ASSIGNEE_CHOICES):
        f.errors.append({"field_id": "assignee", "message": _("担当者を選んでください。")})
    for name, label in (("from", _("受付日（から）")), ("to", _("受付日（まで）"))):
        raw = f.values[name]
        if not raw:
            continue
        day = _day(raw)
        if day is None:
            f.errors.append({"field_id": name, "message": _(
                "%(label)sは2026-04-01のように、年-月-日で入力してください。", label=label)})
        elif name == "from":
            f.start = _utc_midnight(day)
        else:
            f.end = _utc_midnight(day + dt.timedelta(days=1))
    if f.start and f.end and f.end <= f.start:
        f.errors.append({"field_id": "to", "message": _(
            "受付日（まで）は、受付日（から）と同じ日か、それより後の日にしてください。")})
    return f


def scoped(stmt: Select, departments: list[str] | None) -> Select:
    """Only submitted applications, and only those of the user's departments (None: all, admin)."""
    stmt = stmt.where(Application.receipt_number.is_not(None),
                      Application.status.in_(LISTED_STATUSES))
    if departments is not None:
        stmt = stmt.where(Application.department_id.in_(departments) if departments else false())
    return stmt


def filtered(stmt: Select, f: InboxFilters, me: int) -> Select:
    status = f.status
    if status == OPEN:
        stmt = stmt.where(Application.status.in_(sorted(workflow.OPEN_FOR_STAFF)))
    elif status != ALL:
        stmt = stmt.where(Application.status == status)
    if f.values["procedure"]:
        stmt = stmt.where(Application.procedure_id == f.values["procedure"])
    if f.values["assignee"] == "me":
        stmt = stmt.where(Application.assignee_id == me)
    elif f.values["assignee"] == "unassigned":
        stmt = stmt.where(Application.assignee_id.is_(None))
    if f.values["q"]:
        q = f.values["q"].replace("%", "").replace("_", "")
        stmt = stmt.where(or_(Application.receipt_number == q, Application.receipt_number.like(f"%{q}%")))
    if f.start is not None:
        stmt = stmt.where(Application.submitted_at >= f.start)
    if f.end is not None:
        stmt = stmt.where(Application.submitted_at < f.end)
    return stmt


def ordered(stmt: Select) -> Select:
    """Oldest first: the application waiting longest is at the top."""
    return stmt.order_by(Application.submitted_at.asc(), Application.receipt_number.asc())
