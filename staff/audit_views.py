"""The auditors' console (/staff/audit): search the audit log, totals per day and per action
(charts with their tables), CSV export (audited as staff.export) and a print view.

Filters (GET, the same on every page): ``from`` / ``to`` (days, Japan time, YYYY-MM-DD), ``actor``
(login id), ``action`` (exact, or a prefix ending in ``*`` such as ``login.*``), ``target``
(contains), ``ip`` (exact, or a prefix ending in ``*``), ``result`` (ok / denied / failed).
Access: auditor and admin (core/policy.py), decided by the staff guard; this blueprint checks the
policy again so that it never answers without it.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import math
import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from flask import Blueprint, Response, g, render_template, request, stream_with_context, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, or_, select

from core import audit, policy
from core.audit import AuditRecord
from core.csv_export import ShiftJisUnmappable, shift_jis_unmappable
from core.db import db, sql_day
from core.japan_time import JST, in_japan
from core.staff_models import StaffUser
from core.words import lang_of
from core.words import text as translate
from staff import audit_details
from staff.guard import only_with_policy
from staff.svg_chart import bar_chart

bp = Blueprint("staff_audit", __name__, url_prefix="/staff/audit", template_folder="templates")

PER_PAGE = 50
PRINT_LIMIT = 2000
TOTALS_DEFAULT_DAYS = 30
FILL_DAYS_UP_TO = 400  # per-day totals list every day (zeros too) for periods up to this long
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
FILTERS = ("from", "to", "actor", "action", "target", "ip", "result")
_DATE = re.compile(r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})$")

ACTION_NAMES = {
    "login.success": _l("ログイン成功"),
    "login.failure": _l("ログイン失敗"),
    "logout": _l("ログアウト"),
    "permission.denied": _l("権限のない操作"),
    "staff.view": _l("個人情報の閲覧"),
    "staff.edit": _l("職員アカウントの変更"),
    "staff.account_created": _l("職員アカウントの作成"),
    "staff.password_reset": _l("パスワードの再発行"),
    "staff.account_unlocked": _l("職員アカウントのロック解除"),
    "staff.account_updated": _l("職員アカウントの変更"),
    "staff.account_suspended": _l("職員アカウントの利用停止"),
    "staff.account_reactivated": _l("職員アカウントの利用再開"),
    "staff.export": _l("データの出力"),
    "config.change": _l("設定の変更"),
    "rules.reload": _l("ルールの再読み込み"),
    "content.publish": _l("パックの版の公開"),
    "content.rollback": _l("パックの版を戻す"),
    "content.withdraw": _l("予約した版の取り下げ"),
    "knowledge.change": _l("コンテンツの変更"),
    "audit.purge": _l("監査ログの削除（保存期間の経過）"),
    "backup.create": _l("バックアップの作成"),
    "backup.keys": _l("鍵のバックアップの作成"),
    "backup.drill": _l("復元訓練"),
    "data.export_all": _l("全データの引き渡し用出力"),
    "data.erase_all": _l("全データの消去"),
    "alert.acknowledge": _l("警告の確認"),
    "incident.open": _l("障害の記録"),
    "incident.update": _l("障害の記録の変更"),
    "incident.list": _l("障害対応履歴の閲覧"),
    "staff.password_changed": _l("パスワードの変更"),
    "application.list": _l("申請一覧の閲覧"),
    "application.view": _l("申請の閲覧"),
    "application.print": _l("申請の印刷"),
    "application.export": _l("申請データの出力"),
    "application.download": _l("添付ファイルのダウンロード"),
    "application.status": _l("申請の状態変更"),
    "application.assign": _l("申請の担当者変更"),
    "application.first_approval": _l("申請の一次承認"),
    "application.fee": _l("手数料の確定"),
    "application.refund": _l("返金の操作"),
    "application.signature_check": _l("電子署名の再確認"),
    "application.note": _l("職員メモの記入"),
    "application.bulk": _l("申請の一括操作"),
    "application.dispatch": _l("郵送済みの記録"),
    "correction_phrase.view": _l("補正の定型文の閲覧"),
    "correction_phrase.add": _l("補正の定型文の追加"),
    "correction_phrase.edit": _l("補正の定型文の変更"),
    "correction_phrase.delete": _l("補正の定型文の削除"),
    "payment.refund": _l("返金"),
    "backoffice.token": _l("連携システムのトークン発行"),
    "backoffice.list": _l("連携システム：申請一覧"),
    "backoffice.view": _l("連携システム：申請の取得"),
    "backoffice.download": _l("連携システム：添付ファイルの取得"),
    "backoffice.status_change": _l("連携システム：状態変更"),
    "backoffice.statuses": _l("連携システム：状態一覧"),
    "backoffice.call": _l("連携システムの呼び出し"),
    "backoffice.client_create": _l("連携システムの登録"),
    "backoffice.client_disable": _l("連携システムの停止"),
    "backoffice.export": _l("連携システム：ファイル連携の出力"),
    "backoffice.ack": _l("連携システム：取込済の記録"),
    "backoffice.client_status_map": _l("連携システムの状態対応表の設定"),
    "backoffice.client_webhook": _l("連携システムの通知先の設定"),
    "reservation.list": _l("予約一覧の閲覧"),
    "reservation.view": _l("予約の閲覧"),
    "reservation.create": _l("予約の登録（電話・窓口）"),
    "reservation.cancel": _l("予約の取り消し"),
    "reservation.checkin": _l("来庁の受付"),
    "reservation.no_show": _l("来庁なしの記録"),
    "reservation.calendar": _l("予約の日程の変更"),
    "reservation.export": _l("予約データの出力"),
    "visit.view": _l("まとめて予約の閲覧（事前入力）"),
    "visit.correct": _l("事前入力の訂正"),
    "visit.member": _l("事前入力の世帯の人の追加・変更"),
    "visit.print": _l("窓口の書類の印刷"),
    "visit.stop_done": _l("窓口の手続きの完了"),
    "prefill.purge": _l("事前入力の削除（期限）"),
    "application.issue_list": _l("交付一覧の出力"),
    "application.postal": _l("郵送の宛名ラベル・発送一覧の出力"),
}
RESULT_NAMES = {"ok": _l("成功"), "denied": _l("拒否"), "failed": _l("失敗")}


bp.before_request(only_with_policy)  # the staff guard decides first; this blueprint checks again


# --- the filters --------------------------------------------------------------------------

@dataclass
class Filters:
    values: dict[str, str] = field(default_factory=dict)  # as typed (back into the form)
    start: dt.datetime | None = None  # UTC, inclusive
    end: dt.datetime | None = None  # UTC, exclusive
    start_day: dt.date | None = None
    end_day: dt.date | None = None
    errors: list[dict[str, str]] = field(default_factory=list)

    def args(self, **extra: object) -> dict[str, object]:
        """The filters as query arguments (for links to the other pages)."""
        return {**{k: v for k, v in self.values.items() if v}, **extra}


def _clean(raw: str | None, limit: int = 255) -> str:
    return unicodedata.normalize("NFKC", raw or "").strip()[:limit]


def _day(raw: str) -> dt.date | None:
    match = _DATE.match(raw)
    if not match:
        return None
    try:
        return dt.date(*(int(p) for p in match.groups()))
    except ValueError:
        return None


def _utc_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), JST).astimezone(dt.UTC)


def read_filters(args: Mapping[str, str]) -> Filters:
    f = Filters(values={name: _clean(args.get(name)) for name in FILTERS})
    for name, label in (("from", _("開始日")), ("to", _("終了日"))):
        raw = f.values[name]
        if not raw:
            continue
        day = _day(raw)
        if day is None or not 2000 <= day.year <= 2100:
            f.errors.append({"field_id": name, "message": _(
                "%(label)sは2026-04-01のように、年-月-日で入力してください。", label=label)})
        elif name == "from":
            f.start_day, f.start = day, _utc_midnight(day)
        else:
            f.end_day, f.end = day, _utc_midnight(day + dt.timedelta(days=1))
    if f.start and f.end and f.end <= f.start:
        f.errors.append({"field_id": "to", "message": _("終了日は開始日と同じ日か、それより後の日にしてください。")})
    if f.values["result"] and f.values["result"] not in RESULT_NAMES:
        f.errors.append({"field_id": "result", "message": _("結果を選んでください。")})
    return f


def _like_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _exact_or_prefix(column, value: str):
    if value.endswith("*"):
        return column.like(_like_escape(value.rstrip("*")) + "%", escape="\\")
    return column == value


def actor_spellings(typed: str) -> list[str]:
    """The stored spellings that match ``typed`` whatever its case: the typed text, its lower
    case, the accounts' login ids equal to it ignoring case (or starting with it, for a prefix
    ending in ``*``), and anonymous/system. Compared with ``actor IN (…)`` so that the search
    keeps using the index on actor (an index on lower(actor) is not portable to SQLite)."""
    prefix = typed.endswith("*")
    wanted = typed.rstrip("*").lower()
    logins = list(db.session.scalars(select(StaffUser.login_id)))
    found = [x for x in [*logins, "anonymous", "system"]
             if (x.lower().startswith(wanted) if prefix else x.lower() == wanted)]
    return sorted(set(found) | ({wanted} if not prefix else set()))


def _actor_condition(column, typed: str):
    names = actor_spellings(typed)
    if typed.endswith("*"):  # unknown spellings (a mistyped login id of a failed login) by case as typed
        return or_(column.in_(names), _exact_or_prefix(column, typed), _exact_or_prefix(column, typed.lower()))
    return or_(column.in_(names), column == typed)


def filtered(f: Filters, stmt: Select) -> Select:
    t = AuditRecord.__table__.c
    if f.start is not None:
        stmt = stmt.where(t.at >= f.start)
    if f.end is not None:
        stmt = stmt.where(t.at < f.end)
    if f.values["actor"]:
        stmt = stmt.where(_actor_condition(t.actor, f.values["actor"]))
    if f.values["action"]:
        stmt = stmt.where(_exact_or_prefix(t.action, f.values["action"]))
    if f.values["target"]:
        stmt = stmt.where(t.target.like("%" + _like_escape(f.values["target"]) + "%", escape="\\"))
    if f.values["ip"]:
        stmt = stmt.where(_exact_or_prefix(t.ip, f.values["ip"]))
    if f.values["result"] in RESULT_NAMES:
        stmt = stmt.where(t.result == f.values["result"])
    return stmt


# --- presentation -------------------------------------------------------------------------

def jst(moment: dt.datetime) -> dt.datetime:
    return in_japan(moment)  # the one conversion (core/japan_time.py)


def action_name(action: str) -> str:
    name = ACTION_NAMES.get(action)
    return str(name) if name is not None else ""


def _ui_locale() -> str:
    return lang_of(getattr(g, "locale", "ja"))


def role_name(role: str) -> str:
    msgid = policy.ROLE_NAMES.get(role) or audit_details.VALUE_WORDS.get(role)
    return translate(_ui_locale(), msgid) if msgid else role


def result_name(result: str) -> str:
    name = RESULT_NAMES.get(result)
    return str(name) if name is not None else result


def target_name(target: str) -> str:
    return audit_details.target_name(target, _ui_locale())


def detail_lines(details: str | None, action: str | None = None) -> list[tuple[str, str]]:
    return audit_details.detail_lines(details, _ui_locale(), action=action)


def _known_actions() -> list[str]:
    seen = db.session.scalars(select(AuditRecord.action).distinct().order_by(AuditRecord.action).limit(200)).all()
    return sorted(set(ACTION_NAMES) | set(seen))


def _context(f: Filters, **extra: object) -> dict[str, object]:
    return {
        "filters": f, "errors": f.errors, "field_errors": {e["field_id"]: e["message"] for e in f.errors},
        "actions": _known_actions(), "result_names": RESULT_NAMES, "action_name": action_name,
        "role_name": role_name, "to_jst": jst, "detail_lines": detail_lines,
        "target_name": target_name, **extra,
    }


def _columns():
    t = AuditRecord.__table__.c
    return (t.id, t.at, t.actor, t.role, t.action, t.target, t.result, t.ip, t.request_id, t.details, t.hash)


# --- pages --------------------------------------------------------------------------------

@bp.get("/", endpoint="search")
def search():
    f = read_filters(request.args)
    if f.errors:
        return render_template("staff/audit/search.html", **_context(f, rows=[], total=0, page=1, pages=1)), 400
    total = db.session.scalar(filtered(f, select(func.count()).select_from(AuditRecord))) or 0
    pages = max(1, math.ceil(total / PER_PAGE))
    try:
        page = min(max(int(request.args.get("page", "1")), 1), pages)
    except ValueError:
        page = 1
    rows = db.session.execute(filtered(f, select(*_columns())).order_by(AuditRecord.id.desc())
                              .limit(PER_PAGE).offset((page - 1) * PER_PAGE)).all()
    first = (page - 1) * PER_PAGE + 1 if rows else 0
    # looking at the log is itself looked at: who searched what (after the query, so not in it)
    audit.record("staff.view", target="audit_log", details={"filters": sorted(f.args())})
    return render_template("staff/audit/search.html", **_context(
        f, rows=rows, total=total, page=page, pages=pages, first=first, last=first + len(rows) - 1 if rows else 0,
        prev_url=url_for("staff_audit.search", **f.args(page=page - 1)) if page > 1 else None,
        next_url=url_for("staff_audit.search", **f.args(page=page + 1)) if page < pages else None,
        export_url=url_for("staff_audit.export", **f.args()), print_url=url_for("staff_audit.print", **f.args()),
        sjis_url=url_for("staff_audit.export", **f.args(encoding="shift_jis")),
        totals_url=url_for("staff_audit.totals", **f.args())))


def _day_expression():
    """The day in Japan time of each record, in SQL (Japan has no daylight saving time)."""
    return sql_day(AuditRecord.__table__.c.at, db.engine.dialect.name)


@bp.get("/totals", endpoint="totals")
def totals():
    f = read_filters(request.args)
    if f.errors:
        return render_template("staff/audit/totals.html", **_context(f, report=None)), 400
    today = dt.datetime.now(JST).date()
    if f.start is None and f.end is None:  # the last 30 days by default
        f.start_day = today - dt.timedelta(days=TOTALS_DEFAULT_DAYS - 1)
        f.start, f.values["from"] = _utc_midnight(f.start_day), f.start_day.isoformat()
    day = _day_expression().label("day")
    per_day = dict(db.session.execute(filtered(f, select(day, func.count()).group_by(day))).all())
    per_action = db.session.execute(filtered(f, select(AuditRecord.action, func.count().label("n"))
                                             .group_by(AuditRecord.action).order_by(func.count().desc(),
                                                                                   AuditRecord.action))).all()
    per_result = dict(db.session.execute(filtered(f, select(AuditRecord.result, func.count())
                                                  .group_by(AuditRecord.result))).all())
    first_day = f.start_day or (min(map(dt.date.fromisoformat, per_day)) if per_day else today)
    last_day = f.end_day or today
    if per_day and max(per_day) > last_day.isoformat():
        last_day = dt.date.fromisoformat(max(per_day))
    span = (last_day - first_day).days + 1
    if 0 < span <= FILL_DAYS_UP_TO:
        days = [(first_day + dt.timedelta(days=i)).isoformat() for i in range(span)]
    else:
        days = sorted(per_day)
    day_rows = [(d, per_day.get(d, 0)) for d in days]
    action_rows = [(a, n) for a, n in per_action]
    day_title = _("日別の件数")
    action_title = _("操作別の件数")
    report = {
        "total": sum(per_day.values()),
        "period": (first_day, last_day),
        "days": day_rows,
        "actions": action_rows,
        "results": [(r, per_result.get(r, 0)) for r in RESULT_NAMES],
        "day_chart": bar_chart([(d[5:].replace("-", "/"), n) for d, n in day_rows], day_title,
                               chart_id="audit-per-day", horizontal=False),
        "action_chart": bar_chart([(action_name(a) or a, n) for a, n in action_rows], action_title,
                                  chart_id="audit-per-action"),
        "day_title": day_title, "action_title": action_title,
    }
    return render_template("staff/audit/totals.html", **_context(
        f, report=report, search_url=url_for("staff_audit.search", **f.args()),
        export_url=url_for("staff_audit.export", **f.args())))


def neutralise(value: object) -> str:
    """A CSV cell that a spreadsheet shows as text and never runs as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def export_filename(today: dt.date | None = None, *, sjis: bool = False) -> str:
    return f"audit-{(today or dt.datetime.now(JST).date()):%Y%m%d}{'-sjis' if sjis else ''}.csv"


@bp.get("/export.csv", endpoint="export")
def export():
    f = read_filters(request.args)
    if f.errors:
        return render_template("staff/audit/search.html", **_context(f, rows=[], total=0, page=1, pages=1)), 400
    upto = db.session.scalar(select(func.max(AuditRecord.id))) or 0  # the export's own record comes after
    stmt = filtered(f, select(*_columns())).where(AuditRecord.id <= upto).order_by(AuditRecord.id)
    count = db.session.scalar(filtered(f, select(func.count()).select_from(AuditRecord))
                              .where(AuditRecord.id <= upto)) or 0
    sjis = request.args.get("encoding") in ("shift_jis", "sjis", "cp932")
    filename = export_filename(sjis=sjis)
    header = [_("番号"), _("日時（日本時間）"), _("操作者"), _("役割"), _("操作"), _("操作の名前"), _("対象"),
              _("対象の名前"), _("結果"), _("IPアドレス"), _("リクエストID"), _("詳細"), _("詳細（JSON）"), _("ハッシュ")]
    locale = _ui_locale()

    def cells() -> Iterator[list[object]]:
        for row in db.session.execute(stmt.execution_options(yield_per=1000)):
            yield [row.id, jst(row.at).strftime("%Y-%m-%d %H:%M:%S"), row.actor, role_name(row.role), row.action,
                   action_name(row.action), row.target, target_name(row.target), result_name(row.result), row.ip,
                   row.request_id, audit_details.details_text(row.details, locale, action=row.action), row.details, row.hash]

    if sjis:  # a first pass finds what Shift_JIS cannot hold: refused with the list (422), never 〓
        problems = shift_jis_unmappable(itertools.chain([header], cells()))
        if problems:
            raise ShiftJisUnmappable(problems)
    audit.record("staff.export", target="audit_log", details={
        "format": "csv-shift_jis" if sjis else "csv", "file": filename, "count": count, "filters": f.args()})

    def generate() -> Iterator[bytes]:
        buffer = io.StringIO(newline="")
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow([neutralise(h) for h in header])
        first = buffer.getvalue()
        yield first.encode("cp932") if sjis else ("\ufeff" + first).encode("utf-8")
        for line in cells():
            buffer.seek(0)
            buffer.truncate()
            writer.writerow([neutralise(v) for v in line])
            yield buffer.getvalue().encode("cp932" if sjis else "utf-8")

    return Response(stream_with_context(generate()), content_type=f"text/csv; charset={'shift_jis' if sjis else 'utf-8'}",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})


@bp.get("/print", endpoint="print")
def print_view():
    f = read_filters(request.args)
    if f.errors:
        return render_template("staff/audit/search.html", **_context(f, rows=[], total=0, page=1, pages=1)), 400
    total = db.session.scalar(filtered(f, select(func.count()).select_from(AuditRecord))) or 0
    rows = db.session.execute(filtered(f, select(*_columns())).order_by(AuditRecord.id).limit(PRINT_LIMIT)).all()
    audit.record("staff.export", target="audit_log", details={
        "format": "print", "count": len(rows), "filters": f.args()})
    staff = getattr(g, "staff", None)
    return render_template("staff/audit/print.html", **_context(
        f, rows=rows, total=total, limit=PRINT_LIMIT, printed_at=dt.datetime.now(JST),
        printed_by=getattr(staff, "login_id", ""), search_url=url_for("staff_audit.search", **f.args())))
