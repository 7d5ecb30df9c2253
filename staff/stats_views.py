"""Usage statistics for staff (/staff/stats): counts per service and period, each chart with its
table, CSV export. Counts only (core/usage.py): nothing here can name a resident.

The period comes from the form's 年/月/日 boxes (``from-year`` …) or, in links, ISO dates
(``?from=2026-04-01&to=2026-04-30``); by default the last 30 days (Japan time) up to today.
Access is decided by the staff guard and core/policy.py (auditor, admin, department).
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from flask import Blueprint, Response, g, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core import audit, policy, usage
from core.csv_export import to_csv, to_csv_shift_jis
from core.i18n import current_locale
from core.japanese_text import nfkc_text
from core.pack import rulebook
from core.words import lang_of
from intake import workflow
from reservations.current import catalog
from rules.wareki import format_date
from staff import application_stats as astats
from staff import csv_refusal
from staff.svg_chart import bar_chart

bp = Blueprint("staff_stats", __name__, url_prefix="/staff/stats", template_folder="templates")
csv_refusal.register(bp)  # every staff Shift_JIS CSV: unmappable characters answer 422, never 〓

DEFAULT_DAYS = 30
MAX_DAYS = 366
MIN_YEAR, MAX_YEAR = 2000, 2100
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DEFAULT_SERVICE = "guide"

SERVICE_NAMES = {"guide": _l("手続きガイド"), "apply": _l("オンライン申請"), "reserve": _l("窓口の予約"),
                 "payments": _l("手数料の支払い")}
# the metrics of each service in display order, with their names (later services add theirs)
METRICS = {
    "guide": [
        ("session_started", _l("案内の開始")),
        ("session_finished", _l("結果の表示")),
        ("api_evaluate", _l("APIでの判定")),
        ("procedures_listed", _l("表示された手続き")),
        ("search", _l("検索")),
        ("feedback", _l("結果への評価")),
    ],
    "apply": [
        ("started", _l("申請の開始")),
        ("submitted", _l("申請の送信")),
        ("withdrawn", _l("申請の取り下げ")),
    ],
    "reserve": [
        ("booked", _l("予約")),
        ("moved", _l("予約の変更")),
        ("cancelled", _l("予約の取り消し")),
    ],
    "payments": [
        ("paid", _l("支払い")),
        ("refunded", _l("返金")),
    ],
}



def _locale() -> str:
    return lang_of(getattr(g, "locale", "ja"))  # the pack's ja/en field the page reads


def _event_names() -> dict[str, str]:
    return {eid: e.name.get(_locale()) for eid, e in rulebook().kb.events.items()}


def _procedure_names() -> dict[str, str]:
    return {pid: p.name.get(_locale()) for pid, p in rulebook().kb.procedures.items()}


def _reservation_service_names() -> dict[str, str]:
    return {sid: s.name.get(_locale()) for sid, s in catalog().services.items()}


@dataclass(frozen=True)
class Breakdown:
    """One table (and chart) of totals per dimension for some metrics of a service."""

    key: str
    title: str  # section heading and table caption
    column: str  # heading of the first column
    metrics: tuple[str, ...]
    chart_metric: str
    chart_title: str
    names: Callable[[], dict[str, str]] | None  # id → name, in display order
    all_names: bool  # list every known id (with 0) rather than only those counted
    chart_top: int | None = None  # chart only the largest n (the table lists all)


BREAKDOWNS: dict[str, list[Breakdown]] = {
    "guide": [
        Breakdown("event", _l("ライフイベント別"), _l("ライフイベント"),
                  ("session_started", "session_finished", "api_evaluate", "feedback"), "session_started",
                  _l("ライフイベント別の案内の開始数"), _event_names, all_names=True),
        Breakdown("procedure", _l("手続き別"), _l("手続き"), ("procedures_listed",), "procedures_listed",
                  _l("手続き別の表示回数（上位15件）"), _procedure_names, all_names=False, chart_top=15),
    ],
    "apply": [
        Breakdown("procedure", _l("手続き別"), _l("手続き"), ("started", "submitted", "withdrawn"), "submitted",
                  _l("手続き別の申請の送信数（上位15件）"), _procedure_names, all_names=False, chart_top=15),
    ],
    "reserve": [
        Breakdown("service", _l("予約の種類別"), _l("予約の種類"), ("booked", "moved", "cancelled"), "booked",
                  _l("予約の種類別の予約数"), _reservation_service_names, all_names=False, chart_top=15),
    ],
    "payments": [
        Breakdown("procedure", _l("手続き別"), _l("手続き"), ("paid", "refunded"), "paid",
                  _l("手続き別の支払い数（上位15件）"), _procedure_names, all_names=False, chart_top=15),
    ],
}


def service_name(service: str) -> str:
    return str(SERVICE_NAMES.get(service, service))


def metric_names(service: str, seen: set[str] | None = None) -> list[tuple[str, str]]:
    """(metric, name) of a service: the known ones in order, then any other counted ones."""
    known = [(m, str(name)) for m, name in METRICS.get(service, [])]
    return known + [(m, _("その他の指標（%(code)s）", code=m)) for m in sorted((seen or set()) - {m for m, _n in known})]


def _breakdowns(service: str, counted: Mapping[tuple[str, str], int]) -> list[Breakdown]:
    if service in BREAKDOWNS:
        return BREAKDOWNS[service]
    out = []  # a service without its own definitions: one table per metric that has dimensions
    for metric, name in metric_names(service, {m for m, _d in counted}):
        if any(m == metric and d for m, d in counted):
            out.append(Breakdown(metric, _("%(metric)s（区分別）", metric=name), _("区分"), (metric,), metric,
                                 _("%(metric)s（区分別）", metric=name), None, all_names=False, chart_top=15))
    return out


# --- the period and the service -----------------------------------------------------------

@dataclass
class Query:
    start: dt.date
    end: dt.date
    service: str
    values: dict[str, str]  # what goes back into the form boxes
    errors: list[dict[str, str]]


def _read_day(args: Mapping[str, str], name: str, label: str, default: dt.date,
              values: dict[str, str], errors: list[dict[str, str]]) -> dt.date | None:
    parts = [nfkc_text(args.get(f"{name}-{p}")) for p in ("year", "month", "day")]
    field = f"{name}-year"
    if any(parts):
        values.update({f"{name}-year": parts[0], f"{name}-month": parts[1], f"{name}-day": parts[2]})
        if not all(p.isdigit() for p in parts):
            errors.append({"field_id": field, "message": _(
                "%(label)sは年・月・日をすべて数字で入力してください（例：2026年4月1日）。", label=label)})
            return None
        y, m, d = (int(p) for p in parts)
    elif args.get(name):
        raw = nfkc_text(args.get(name))
        if not ISO_DATE.match(raw):
            errors.append({"field_id": field, "message": _(
                "%(label)sの日付が正しくありません。2026年4月1日のように入力してください。", label=label)})
            return None
        y, m, d = (int(p) for p in raw.split("-"))
    else:
        y, m, d = default.year, default.month, default.day
    try:
        day = dt.date(y, m, d)
    except (ValueError, OverflowError):
        day = None
    if day is None or not MIN_YEAR <= y <= MAX_YEAR:
        values.update({f"{name}-year": str(y), f"{name}-month": str(m), f"{name}-day": str(d)})
        errors.append({"field_id": field, "message": _(
            "%(label)sの日付が正しくありません。2026年4月1日のように、ある日付を入力してください。", label=label)})
        return None
    values.update({f"{name}-year": str(day.year), f"{name}-month": str(day.month), f"{name}-day": str(day.day)})
    return day


def read_query(args: Mapping[str, str]) -> Query:
    today = usage.today()
    values: dict[str, str] = {}
    errors: list[dict[str, str]] = []
    start = _read_day(args, "from", _("開始日"), today - dt.timedelta(days=DEFAULT_DAYS - 1), values, errors)
    end = _read_day(args, "to", _("終了日"), today, values, errors)
    if start and end and end < start:
        errors.append({"field_id": "to-year", "message": _("終了日は開始日と同じ日か、それより後の日にしてください。")})
    elif start and end and (end - start).days + 1 > MAX_DAYS:
        errors.append({"field_id": "from-year", "message": _("期間は%(n)s日以内にしてください。", n=MAX_DAYS)})
    service = args.get("service") or DEFAULT_SERVICE
    if service not in service_choices():
        errors.append({"field_id": "service", "message": _("サービスを選んでください。")})
        service = DEFAULT_SERVICE
    return Query(start or today, end or today, service, values, errors)


def service_choices() -> list[str]:
    return list(dict.fromkeys([*SERVICE_NAMES, *usage.services()]))


# --- the report ---------------------------------------------------------------------------

def _date_label(day: dt.date) -> str:
    """The day in the console's language (rules/wareki.py: 「2026年4月1日」, "1 April 2026")."""
    return format_date(day, current_locale(), with_weekday=False)


def _daily(query: Query, metrics: list[tuple[str, str]], totals: Mapping[tuple[dt.date, str], int]) -> dict:
    days = [query.start + dt.timedelta(days=i) for i in range((query.end - query.start).days + 1)]
    rows = [{"day": d, "label": _date_label(d), "counts": [totals.get((d, m), 0) for m, _n in metrics]}
            for d in days]
    chart_metric, chart_name = metrics[0]
    series = [(f"{d.month}/{d.day}", totals.get((d, chart_metric), 0)) for d in days]
    title = _("日別の%(metric)s", metric=chart_name)
    return {"rows": rows, "sums": [sum(r["counts"][i] for r in rows) for i in range(len(metrics))],
            "chart": bar_chart(series, title, horizontal=False), "chart_title": title}


def _breakdown(b: Breakdown, service: str, counted: Mapping[tuple[str, str], int]) -> dict:
    names = b.names() if b.names else {}
    ids = [d for m, d in counted if m in b.metrics and d]
    order = list(names) if b.all_names else []
    order += sorted({i for i in ids if i not in order})
    rows = [{"id": i, "name": names.get(i, i), "counts": [counted.get((m, i), 0) for m in b.metrics]}
            for i in order]
    if not b.all_names:  # the most frequent first
        rows.sort(key=lambda r: (-r["counts"][b.metrics.index(b.chart_metric)], r["name"]))
    chart_rows = rows if b.chart_top is None else rows[: b.chart_top]
    k = b.metrics.index(b.chart_metric)
    names_by_metric = dict(metric_names(service, set(b.metrics)))
    return {
        "key": b.key, "title": str(b.title), "column": str(b.column), "rows": rows,
        "metrics": [names_by_metric.get(m, m) for m in b.metrics],
        "sums": [sum(r["counts"][i] for r in rows) for i in range(len(b.metrics))],
        "chart": bar_chart([(r["name"], r["counts"][k]) for r in chart_rows], str(b.chart_title)),
        "chart_title": str(b.chart_title),
    }


def _report(query: Query) -> dict:
    totals = usage.service_totals(query.start, query.end)
    summary = [{"service": service_name(s), "metric": name, "count": totals.get((s, m), 0)}
               for s in service_choices()
               for m, name in metric_names(s, {m for s2, m in totals if s2 == s})]
    daily = usage.daily_totals(query.start, query.end, query.service)
    counted = usage.dimension_totals(query.start, query.end, query.service)
    metrics = metric_names(query.service, {m for _d, m in daily})
    return {
        "summary": summary,
        "metrics": [name for _m, name in metrics],
        "daily": _daily(query, metrics, daily) if metrics else None,
        "breakdowns": [_breakdown(b, query.service, counted) for b in _breakdowns(query.service, counted)],
    }


def _render(query: Query, status: int = 200):
    report = None if query.errors else _report(query)
    args = {"from": query.start.isoformat(), "to": query.end.isoformat(), "service": query.service}
    return render_template(
        "staff/stats/index.html", query=query, report=report, errors=query.errors,
        field_errors={e["field_id"]: e["message"] for e in query.errors}, service_label=service_name(query.service),
        period=_("%(start)s〜%(end)s", start=_date_label(query.start), end=_date_label(query.end)),
        services=[{"value": s, "label": service_name(s)} for s in service_choices()],
        export_url=url_for("staff_stats.export", **args),
        filename=export_filename(query.start, query.end),
    ), status


@bp.get("/")
def index():
    query = read_query(request.args)
    return _render(query, 400 if query.errors else 200)


def export_filename(start: dt.date, end: dt.date) -> str:
    return f"usage-{start:%Y%m%d}-{end:%Y%m%d}.csv"


@bp.get("/export.csv", endpoint="export")
def export():
    query = read_query(request.args)
    if query.errors:
        return _render(query, 400)
    service = request.args.get("service") and query.service  # without ?service: every service
    dimension_names: dict[tuple[str, str], dict[str, str]] = {}
    for s in service_choices():
        for b in BREAKDOWNS.get(s, []):
            names = b.names() if b.names else {}
            for m in b.metrics:
                dimension_names[(s, m)] = names
    metric_by = {s: dict(metric_names(s)) for s in service_choices()}
    header = [_("日付"), _("サービス"), _("サービス名"), _("指標"), _("指標名"), _("区分"), _("区分名"), _("件数")]
    body = [header] + [
        [day, s, service_name(s), m, metric_by.get(s, {}).get(m, m), d,
         dimension_names.get((s, m), {}).get(d, d), n]
        for day, s, m, d, n in usage.rows(query.start, query.end, service or None)]
    filename = export_filename(query.start, query.end)
    audit.record("staff.export", target="usage_count", details={  # counts only, audited like every export
        "file": filename, "from": query.start.isoformat(), "to": query.end.isoformat(), "service": service or "*"})
    return Response(to_csv(body), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


# --- online applications (from the application table, not the usage counters) -------------------

def _application_departments() -> list[str] | None:
    """Department staff see their departments' applications; auditors and administrators all."""
    staff = getattr(g, "staff", None)
    if staff is None or staff.role in (policy.ADMIN, policy.AUDITOR):
        return None
    return staff.department_ids


def _application_report(query: Query) -> dict:

    stats = astats.collect(query.start, query.end, _application_departments())
    lang = _locale()
    names = _procedure_names()
    statuses = list(astats.STATUSES)
    rows = [{"id": p, "name": names.get(p, p), "counts": [stats.counts[p].get(s, 0) for s in statuses],
             "total": stats.total(p)} for p in stats.procedures]
    rows.sort(key=lambda r: (-r["total"], r["name"]))
    times = [{"id": r["id"], "name": r["name"],
              "decision": stats.to_decision[r["id"]], "close": stats.to_close[r["id"]],
              "decision_text": (astats.duration_text(stats.to_decision[r["id"]].median_hours, lang),
                                astats.duration_text(stats.to_decision[r["id"]].p90_hours, lang)),
              "close_text": (astats.duration_text(stats.to_close[r["id"]].median_hours, lang),
                             astats.duration_text(stats.to_close[r["id"]].p90_hours, lang))} for r in rows]
    chart_title = _("手続き別の受付件数")
    return {
        "statuses": [workflow.label(s, lang) for s in statuses], "rows": rows, "times": times,
        "sums": [sum(r["counts"][i] for r in rows) for i in range(len(statuses))],
        "total": sum(r["total"] for r in rows),
        "chart": bar_chart([(r["name"], r["total"]) for r in rows[:15]], chart_title, chart_id="applications-per-procedure"),
        "chart_title": chart_title,
    }


@bp.get("/applications", endpoint="applications")
def applications_index():
    query = read_query(request.args)
    report = None if query.errors else _application_report(query)
    args = {"from": query.start.isoformat(), "to": query.end.isoformat()}
    scope = _application_departments()
    return render_template(
        "staff/stats/applications.html", query=query, report=report, errors=query.errors,
        field_errors={e["field_id"]: e["message"] for e in query.errors}, scoped=scope is not None,
        period=_("%(start)s〜%(end)s", start=_date_label(query.start), end=_date_label(query.end)),
        export_url=url_for("staff_stats.applications_export", **args),
        sjis_url=url_for("staff_stats.applications_export", encoding="shift_jis", **args),
    ), 400 if query.errors else 200


@bp.get("/applications.csv", endpoint="applications_export")
def applications_export():
    """Long format, one line per number: counts per procedure and status, then the times."""

    query = read_query(request.args)
    if query.errors:
        return applications_index()
    sjis = request.args.get("encoding") in ("shift_jis", "sjis", "cp932")
    stats = astats.collect(query.start, query.end, _application_departments())
    names = _procedure_names()
    header = [_("開始日"), _("終了日"), _("区分"), _("手続き"), _("手続き名"), _("状態"), _("状態名"), _("件数"),
              _("中央値（時間）"), _("90パーセンタイル（時間）")]
    body: list[list[object]] = [header]
    for p in stats.procedures:
        for s in astats.STATUSES:
            if stats.counts[p].get(s):
                body.append([query.start, query.end, _("件数"), p, names.get(p, p), s, workflow.label(s, _locale()),
                             stats.counts[p][s], None, None])
    for kind, table in ((_("受付から決定までの時間"), stats.to_decision), (_("受付から終了までの時間"), stats.to_close)):
        for p in stats.procedures:
            t = table[p]
            body.append([query.start, query.end, kind, p, names.get(p, p), None, None, t.count, t.median_hours,
                         t.p90_hours])
    filename = f"applications-stats-{query.start:%Y%m%d}-{query.end:%Y%m%d}{'-sjis' if sjis else ''}.csv"
    audit.record("staff.export", target="application_stats", details={
        "file": filename, "from": query.start.isoformat(), "to": query.end.isoformat()})
    data = to_csv_shift_jis(body) if sjis else to_csv(body)
    return Response(data, content_type=f"text/csv; charset={'shift_jis' if sjis else 'utf-8'}",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
