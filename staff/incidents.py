"""The incident register (障害対応履歴): each incident with when it was detected and recovered, its
impact, cause, what was done and what prevents it recurring, so incidents are collected and
analysed (totals by cause, time to recover), as the specification asks. An alert of the console
(core/alerts.py) can open one.

Plain Python with SQLAlchemy (no Flask): the views parse the form and hand in who acts; each
change commits and writes its audit record here, so no caller can skip either. Times are stored
in UTC and entered and shown in Japan time.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, func, select
from sqlalchemy.orm import Mapped, mapped_column

from core import alerts, audit
from core.db import db
from core.japan_time import JST
from core.words import N_, NP_, Message

# what the register sorts incidents by (msgids: translated where shown)
SEVERITIES = {
    "critical": N_("重大（サービス全体が使えない）"),
    "high": N_("高（主な機能が使えない）"),
    "medium": N_("中（一部の機能に影響）"),
    "low": N_("低（影響はわずか）"),
}
CAUSES = {
    "hardware": N_("機器・基盤の障害"),
    "software": N_("ソフトウェアの不具合"),
    "configuration": N_("設定の誤り"),
    "network": N_("ネットワーク"),
    "external": N_("外部サービス（決済・メールなど）"),
    "operation": N_("操作・作業の誤り"),
    "security": N_("セキュリティ事案"),
    "capacity": N_("負荷・容量"),
    "unknown": N_("不明・調査中"),
}
STATUSES = {
    "open": N_("対応中"),
    "recovered": N_("復旧済み（再発防止策を検討中）"),
    "closed": NP_("incident status", "完了"),
}
SERVICES = {
    "guide": N_("手続き案内"),
    "applications": N_("オンライン申請"),
    "reservations": N_("窓口予約"),
    "console": N_("職員の管理画面"),
    "integration": N_("申請管理システムとの連携"),
}
TEXT_LIMIT = 4000
TITLE_LIMIT = 200
_MOMENT = re.compile(r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})[ T]+(\d{1,2}):(\d{2})$")


class Incident(db.Model):
    """One incident: what happened, its impact, cause, response and prevention."""

    __tablename__ = "incident"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(TITLE_LIMIT))
    severity: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), index=True)
    cause_category: Mapped[str] = mapped_column(String(32), index=True)
    services: Mapped[str] = mapped_column(Text, default="")  # space-separated SERVICES keys
    detected_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    recovered_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    impact: Mapped[str] = mapped_column(Text)
    cause: Mapped[str] = mapped_column(Text, default="")
    actions: Mapped[str] = mapped_column(Text, default="")
    prevention: Mapped[str] = mapped_column(Text, default="")
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("security_alert.id"), nullable=True)
    opened_by: Mapped[str] = mapped_column(String(64))
    updated_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    @property
    def service_keys(self) -> list[str]:
        return self.services.split() if self.services else []

    def minutes_to_recover(self) -> int | None:
        if self.recovered_at is None:
            return None
        return int((_aware(self.recovered_at) - _aware(self.detected_at)).total_seconds() // 60)

    def __repr__(self) -> str:
        return f"<Incident {self.id} {self.status}>"


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)  # SQLite keeps UTC naive


def local_text(moment: dt.datetime | None) -> str:
    """「2026-04-01 10:30」 in Japan time, as the form takes it ("" for none)."""
    return _aware(moment).astimezone(JST).strftime("%Y-%m-%d %H:%M") if moment is not None else ""


def parse_moment(raw: str) -> dt.datetime | None:
    """「2026-04-01 10:30」 (or 2026/4/1 10:30, full-width digits too), Japan time → UTC; None
    when it is not such a moment."""
    match = _MOMENT.match(unicodedata.normalize("NFKC", raw or "").strip())
    if not match:
        return None
    try:
        local = dt.datetime(*(int(p) for p in match.groups()), tzinfo=JST)
    except (ValueError, OverflowError):
        return None
    return local.astimezone(dt.UTC)


class IncidentInvalid(ValueError):
    """What the form got wrong: {field: Message}."""

    def __init__(self, messages: dict[str, Message]):
        super().__init__(", ".join(messages))
        self.messages = messages


@dataclass
class IncidentInput:
    """What a form posts, read and checked (``read_form``)."""

    title: str
    severity: str
    status: str
    cause_category: str
    services: list[str]
    detected_at: dt.datetime
    recovered_at: dt.datetime | None
    impact: str
    cause: str
    actions: str
    prevention: str
    alert_id: int | None = None


def _text(raw: Any, limit: int) -> str:
    """A text field as kept: NUL and other control characters but line breaks and tabs dropped,
    line ends unified, surrounding blanks trimmed."""
    value = str(raw or "").replace("\r\n", "\n").replace("\r", "\n")
    value = "".join(ch for ch in value if ch in "\n\t" or unicodedata.category(ch) != "Cc")
    value = value.encode("utf-8", "replace").decode("utf-8")  # lone surrogates become "?"
    return value.strip()[:limit + 1]


def read_form(form: Any, now: dt.datetime) -> IncidentInput:
    """The posted fields checked (IncidentInvalid names each problem, in the console's words)."""
    problems: dict[str, Message] = {}
    title = _text(form.get("title"), TITLE_LIMIT)
    if not title:
        problems["title"] = Message(N_("件名を入力してください。"))
    elif len(title) > TITLE_LIMIT:
        problems["title"] = Message(N_("%(n)d文字以内で入力してください。"), n=TITLE_LIMIT)
    choices = {"severity": SEVERITIES, "status": STATUSES, "cause_category": CAUSES}
    picked = {}
    for name, table in choices.items():
        picked[name] = str(form.get(name) or "")
        if picked[name] not in table:
            problems[name] = Message(N_("選択してください。"))
    services = form.getlist("services") if hasattr(form, "getlist") else list(form.get("services") or [])
    if any(s not in SERVICES for s in services):
        problems["services"] = Message(N_("選択肢から選んでください。"))
    detected = parse_moment(str(form.get("detected_at") or ""))
    if detected is None:
        problems["detected_at"] = Message(N_("日時を「2026-04-01 10:30」の形で入力してください。"))
    elif detected > now + dt.timedelta(minutes=5):
        problems["detected_at"] = Message(N_("未来の日時は入力できません。"))
    raw_recovered = str(form.get("recovered_at") or "").strip()
    recovered = parse_moment(raw_recovered) if raw_recovered else None
    if raw_recovered and recovered is None:
        problems["recovered_at"] = Message(N_("日時を「2026-04-01 10:30」の形で入力してください。"))
    elif recovered is not None and detected is not None and recovered < detected:
        problems["recovered_at"] = Message(N_("復旧日時は検知日時より後にしてください。"))
    elif recovered is not None and recovered > now + dt.timedelta(minutes=5):
        problems["recovered_at"] = Message(N_("未来の日時は入力できません。"))
    if picked["status"] in ("recovered", "closed") and recovered is None and "recovered_at" not in problems:
        problems["recovered_at"] = Message(N_("復旧済み・完了のときは、復旧日時を入力してください。"))
    texts = {name: _text(form.get(name), TEXT_LIMIT) for name in ("impact", "cause", "actions", "prevention")}
    if not texts["impact"]:
        problems["impact"] = Message(N_("影響（内容と範囲）を入力してください。"))
    if picked["status"] == "closed" and not texts["prevention"] and "prevention" not in problems:
        problems["prevention"] = Message(N_("完了にするときは、再発防止策を入力してください。"))
    for name, value in texts.items():
        if len(value) > TEXT_LIMIT:
            problems[name] = Message(N_("%(n)d文字以内で入力してください。"), n=TEXT_LIMIT)
    raw_alert = str(form.get("alert_id") or "")
    alert_id = int(raw_alert) if raw_alert.isdigit() and len(raw_alert) < 10 else None
    if problems:
        raise IncidentInvalid(problems)
    return IncidentInput(title=title, severity=picked["severity"], status=picked["status"],
                         cause_category=picked["cause_category"], services=[s for s in SERVICES if s in services],
                         detected_at=detected, recovered_at=recovered, alert_id=alert_id, **texts)


def status_code(status: str) -> str:
    """A status as the audit record keeps it (``incident.open`` …: its own words in the auditors'
    console, apart from an application's 対応中)."""
    return f"incident.{status}"


def _details(incident: Incident) -> dict[str, Any]:
    """What the audit record keeps: the status, no free text (the register holds the rest)."""
    return {"incident_status": status_code(incident.status)}


def open_incident(data: IncidentInput, by: str, now: dt.datetime) -> Incident:
    """A new incident, committed and audited (``incident.open``); an alert it comes from (one
    that exists) is linked and acknowledged by the same person."""
    alert = db.session.get(alerts.SecurityAlert, data.alert_id) if data.alert_id is not None else None
    incident = Incident(title=data.title, severity=data.severity, status=data.status,
                        cause_category=data.cause_category, services=" ".join(data.services),
                        detected_at=data.detected_at, recovered_at=data.recovered_at, impact=data.impact,
                        cause=data.cause, actions=data.actions, prevention=data.prevention,
                        alert_id=alert.id if alert is not None else None, opened_by=by, updated_by=by,
                        created_at=now, updated_at=now)
    db.session.add(incident)
    db.session.commit()
    audit.record("incident.open", target=f"incident:{incident.id}",
                 details={**_details(incident), **({"alert": alert.id} if alert is not None else {})})
    if alert is not None and alert.acknowledged_at is None:
        alerts.acknowledge_by_staff(alert, by)
    return incident


def update_incident(incident: Incident, data: IncidentInput, by: str, now: dt.datetime) -> Incident:
    """The incident as the form now says, committed and audited (``incident.update``, with the
    status it had)."""
    before = incident.status
    for name in ("title", "severity", "status", "cause_category", "detected_at", "recovered_at",
                 "impact", "cause", "actions", "prevention"):
        setattr(incident, name, getattr(data, name))
    incident.services = " ".join(data.services)
    incident.updated_by = by
    incident.updated_at = now
    db.session.commit()
    audit.record("incident.update", target=f"incident:{incident.id}", details={**_details(incident), "was": status_code(before)})
    return incident


def get(incident_id: int) -> Incident | None:
    return db.session.get(Incident, incident_id)


def incidents(status: str | None = None, year: int | None = None) -> list[Incident]:
    """Newest first; ``year`` is a fiscal year (年度: April to March, by the day detected in Japan)."""
    query = select(Incident).order_by(Incident.detected_at.desc(), Incident.id.desc())
    if status in STATUSES:
        query = query.where(Incident.status == status)
    if year is not None:
        start, end = fiscal_year_bounds(year)
        query = query.where(Incident.detected_at >= start, Incident.detected_at < end)
    return list(db.session.scalars(query))


def fiscal_year_bounds(year: int) -> tuple[dt.datetime, dt.datetime]:
    """年度 ``year``: 4月1日 00:00 JST to the next 4月1日, in UTC."""
    return (dt.datetime(year, 4, 1, tzinfo=JST).astimezone(dt.UTC),
            dt.datetime(year + 1, 4, 1, tzinfo=JST).astimezone(dt.UTC))


def fiscal_year_of(moment: dt.datetime) -> int:
    local = _aware(moment).astimezone(JST)
    return local.year if local.month >= 4 else local.year - 1


def fiscal_years() -> list[int]:
    """The fiscal years that have incidents, newest first."""
    return sorted({fiscal_year_of(m) for m in db.session.scalars(select(Incident.detected_at))}, reverse=True)


@dataclass
class CauseTotal:
    cause: str
    count: int = 0
    recovered: int = 0
    minutes: int = 0  # time to recover, summed over the recovered ones

    @property
    def mean_minutes(self) -> int | None:
        return round(self.minutes / self.recovered) if self.recovered else None


@dataclass
class Totals:
    by_cause: list[CauseTotal] = field(default_factory=list)
    by_status: dict[str, int] = field(default_factory=dict)
    by_severity: dict[str, int] = field(default_factory=dict)
    count: int = 0
    recovered: int = 0
    minutes: int = 0

    @property
    def mean_minutes(self) -> int | None:
        return round(self.minutes / self.recovered) if self.recovered else None


def totals(rows: list[Incident]) -> Totals:
    """Counts by cause (with the time to recover), by status and by severity, in the register's
    order; causes without incidents are left out."""
    out = Totals(by_status={k: 0 for k in STATUSES}, by_severity={k: 0 for k in SEVERITIES})
    per = {k: CauseTotal(k) for k in CAUSES}
    for row in rows:
        total = per.setdefault(row.cause_category, CauseTotal(row.cause_category))
        total.count += 1
        out.count += 1
        out.by_status[row.status] = out.by_status.get(row.status, 0) + 1
        out.by_severity[row.severity] = out.by_severity.get(row.severity, 0) + 1
        minutes = row.minutes_to_recover()
        if minutes is not None:
            total.recovered += 1
            total.minutes += minutes
            out.recovered += 1
            out.minutes += minutes
    out.by_cause = [t for t in per.values() if t.count]
    return out
