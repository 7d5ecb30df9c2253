"""The staff inbox of online applications: filters (read from the query string), the department
scope, and the query. Messages go through flask_babel (called within a request).

Filters (GET): ``status`` (``open`` by default: 受付〜発行済; ``all``; or one status), ``procedure``,
``assignee`` (``anyone`` / ``me`` / ``unassigned`` / a colleague's id), ``q`` (receipt number, or part
of it), ``name`` (氏名 or フリガナ: looked up through the blind indexes of intake.search_keys, never
by decrypting rows), ``timing`` (``overdue`` / ``due_soon``), ``from`` / ``to`` (submission days,
Japan time, YYYY-MM-DD). Sort (``sort`` = received / due / procedure / status / assignee, ``dir`` =
asc / desc). Drafts and signed-but-unsent applications are never listed: only what has a receipt
number (受付番号).
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import Select, case, false, or_, select

from core.japan_time import JST
from intake import processing_time, search_keys, workflow
from intake.models import Application

PER_PAGE = 50
OPEN, ALL = "open", "all"
LISTED_STATUSES = tuple(s for s in workflow.STATUSES if s not in workflow.BEFORE_SUBMISSION)
ASSIGNEE_CHOICES = ("anyone", "me", "unassigned")
TIMING_CHOICES = (processing_time.OVERDUE, processing_time.DUE_SOON_MARK)
SORTS = ("received", "due", "procedure", "status", "assignee")
FILTERS = ("status", "procedure", "assignee", "q", "name", "timing", "from", "to", "sort", "dir")
_DATE = re.compile(r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})$")
_RECEIPT_CHARS = re.compile(r"[^0-9-]")
RECEIPT = re.compile(r"^\d{6}-\d{6}$")


@dataclass
class InboxFilters:
    values: dict[str, str] = field(default_factory=dict)  # as typed (back into the form)
    start: dt.datetime | None = None  # UTC, inclusive
    end: dt.datetime | None = None  # UTC, exclusive
    errors: list[dict[str, str]] = field(default_factory=list)

    def args(self, **extra: object) -> dict[str, object]:
        """The filters as query arguments (links to the other pages, the exports)."""
        return {**{k: v for k, v in self.values.items() if v}, **extra}

    def audit_args(self) -> dict[str, object]:
        """The filters for the audit log: a searched name only as its blind index (the log holds
        no resident's name; the same index in intake.search_keys shows which name it was)."""
        out = self.args()
        if out.pop("name", None):
            out["search_key"] = search_keys.matching(self.values["name"])  # ("name…" keys are dropped by core.audit)
        return out

    @property
    def status(self) -> str:
        return self.values.get("status") or OPEN

    @property
    def sort(self) -> str:
        return self.values.get("sort") or "received"

    @property
    def descending(self) -> bool:
        return self.values.get("dir") == "desc"


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


def read_filters(args: Mapping[str, str], procedures: Mapping[str, str],
                 colleagues: Mapping[str, str] | None = None) -> InboxFilters:
    """``procedures``: the ids (→ names) the user may choose from; ``colleagues``: the staff ids
    (as text → names) the assignee filter may name."""
    f = InboxFilters(values={name: _clean(args.get(name)) for name in FILTERS})
    f.values["q"] = _RECEIPT_CHARS.sub("", f.values["q"].replace("ー", "-").replace("−", "-"))
    f.values["name"] = " ".join((args.get("name") or "").split())[:64]  # as typed: kanji are never NFKC'd
    if f.values["sort"] not in ("", *SORTS):
        f.values["sort"] = ""  # an unknown sort falls back to the default (a link, not a form field)
    if f.values["dir"] not in ("", "asc", "desc"):
        f.values["dir"] = ""
    if f.values["timing"] not in ("", *TIMING_CHOICES):
        f.errors.append({"field_id": "timing", "message": _("期限を選んでください。")})
    if f.values["status"] not in ("", OPEN, ALL, *LISTED_STATUSES):
        f.errors.append({"field_id": "status", "message": _("状態を選んでください。")})
    if f.values["procedure"] and f.values["procedure"] not in procedures:
        f.errors.append({"field_id": "procedure", "message": _("手続きを選んでください。")})
    if f.values["assignee"] not in ("", *ASSIGNEE_CHOICES, *(colleagues or {})):
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
    elif f.values["assignee"].isdigit():
        stmt = stmt.where(Application.assignee_id == int(f.values["assignee"]))
    if f.values["name"]:
        digest = search_keys.matching(f.values["name"])
        keys = select(search_keys.ApplicationSearchKey.application_id).where(
            search_keys.ApplicationSearchKey.digest == digest)
        stmt = stmt.where(Application.id.in_(keys))
    if f.values["q"]:
        q = f.values["q"].replace("%", "").replace("_", "")
        stmt = stmt.where(or_(Application.receipt_number == q, Application.receipt_number.like(f"%{q}%")))
    if f.start is not None:
        stmt = stmt.where(Application.submitted_at >= f.start)
    if f.end is not None:
        stmt = stmt.where(Application.submitted_at < f.end)
    return stmt


def ordered(stmt: Select, f: InboxFilters | None = None, procedures: Mapping[str, str] | None = None,
            assignee_rank: Mapping[int, int] | None = None) -> Select:
    """By default oldest first: the application waiting longest is at the top. ``due`` is sorted
    in Python (:func:`by_due`), since the deadline depends on each procedure and the calendar.
    ``assignee_rank``: staff id → place in name order (names are encrypted: they are sorted in
    Python and the order is handed to SQL as a CASE)."""
    sort, desc = (f.sort, f.descending) if f is not None else ("received", False)

    def direction(column):
        return column.desc() if desc else column.asc()

    tail = (Application.submitted_at.asc(), Application.receipt_number.asc())
    if sort == "procedure":
        names = procedures or {}
        rank = {pid: i for i, pid in enumerate(sorted(names, key=lambda p: names[p]))}
        key = case(rank, value=Application.procedure_id, else_=len(rank)) if rank else Application.procedure_id
        return stmt.order_by(direction(key), *tail)
    if sort == "status":
        key = case({s: i for i, s in enumerate(workflow.STATUSES)}, value=Application.status, else_=99)
        return stmt.order_by(direction(key), *tail)
    if sort == "assignee":
        rank = dict(assignee_rank or {})
        # the unassigned last when ascending (first when descending): they need someone
        key = case(rank, value=Application.assignee_id, else_=len(rank)) if rank else \
            case((Application.assignee_id.is_(None), 1), else_=0)
        unassigned = case((Application.assignee_id.is_(None), 1), else_=0)
        return stmt.order_by(direction(unassigned), direction(key), *tail)
    return stmt.order_by(direction(Application.submitted_at), direction(Application.receipt_number))


def timing_of(status: str, procedure_id: str, submitted_at, standard: Mapping[str, int | None],
              today: dt.date) -> processing_time.Timing:
    return processing_time.timing(status, submitted_at, standard.get(procedure_id), today)


def by_due(rows: list[tuple], standard: Mapping[str, int | None], today: dt.date, desc: bool) -> list[str]:
    """Application ids of ``rows`` (id, status, procedure_id, submitted_at, receipt_number) by the
    open days left before the standard processing time runs out: the most overdue first (asc).
    Procedures without a figure come last."""
    def key(row):
        t = timing_of(row[1], row[2], row[3], standard, today)
        return (t.remaining is None, t.remaining if t.remaining is not None else 0, row[4] or "")
    ordered_rows = sorted(rows, key=key)
    if desc:
        known = [r for r in ordered_rows if key(r)[0] is False][::-1]
        ordered_rows = known + [r for r in ordered_rows if key(r)[0]]
    return [r[0] for r in ordered_rows]


def with_timing(rows: list[tuple], standard: Mapping[str, int | None], today: dt.date, wanted: str) -> list[str]:
    """Ids of ``rows`` (as for :func:`by_due`) whose marker is ``wanted`` (overdue / due_soon)."""
    return [r[0] for r in rows if timing_of(r[1], r[2], r[3], standard, today).marker == wanted]
