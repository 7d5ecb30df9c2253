"""The security monitor: counts security events in a sliding window and raises alerts.

Hook points (call them where the event happens)::

    from core import alerts
    alerts.note("login_failure")        # a failed staff login (any account)
    alerts.note("permission_denied")    # a staff request refused by the policy table
    alerts.note("server_error")         # a 5xx answer (core.monitoring does this one)
    alerts.raise_alert("audit_chain", Message(N_("…%(n)s…"), n=5))  # raise one directly

Thresholds (``THRESHOLDS``): 10 failed logins, 20 permission denials or 10 server errors within
5 minutes. Counting works across workers and hosts through Redis when ``REDIS_URL`` is set
(``INCR`` on one key per 10-second bucket, with an expiry; the window is the sum of the last 30
buckets), and in the process otherwise (a deque of times). If Redis is unreachable the process
counts alone (and logs it) rather than failing the request.

An alert's words are a msgid and its variables (``core.words.Message``), stored as they are and
translated when read: the console shows them in its reader's language, the mail in Japanese.

An alert is one ``SecurityAlert`` row (the console shows the unacknowledged ones as a banner:
:func:`active_alerts`) and one e-mail per address in ``ADMIN_EMAILS`` through the outbox, both in
one transaction of their own. ``dedupe_key`` (default: kind + 5-minute window) makes one burst one
alert and one mail, across workers. Inside a request the alert is written after the request has
finished (its own transaction must not wait on the request's, nor commit it); elsewhere at once.
"""
from __future__ import annotations

import collections
import datetime as dt
import hashlib
import json
import logging
import threading
import time
from typing import Any

import redis
from flask import Flask, current_app, g, has_app_context, has_request_context
from sqlalchemy import DateTime, Integer, String, Text, func, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, Session, mapped_column

from core import audit
from core.db import db
from core.japan_time import japanese_moment
from core.mail_templates import Mail, render_mail
from core.words import N_, Message
from core.words import text as translate

log = logging.getLogger(__name__)

WINDOW_SECONDS = 300
BUCKET_SECONDS = 10
THRESHOLDS = {"login_failure": 10, "permission_denied": 20, "server_error": 10}
TITLES = {  # kind → short title: a msgid (Japanese in the mail subject, the console's language on screen)
    "login_failure": N_("ログイン失敗の急増"),
    "permission_denied": N_("権限のない操作の急増"),
    "server_error": N_("サーバーエラーの急増"),
    "audit_chain": N_("監査ログの改ざん検知"),
    "mail_failed": N_("メール送信の失敗"),
    "webhook_failed": N_("連携システムへの通知の失敗"),
    "payment_mismatch": N_("決済通知の不一致"),
}
_MESSAGES = {  # the alerts of the thresholds (kind → msgid with %(minutes)d and %(count)d)
    "login_failure": N_("職員ログインの失敗が%(minutes)d分間に%(count)d回ありました（全アカウントの合計）。"
                        "パスワードの総当たりなど不正なログインの試みの可能性があります。監査ログを確認してください。"),
    "permission_denied": N_("権限のない操作の拒否が%(minutes)d分間に%(count)d回ありました。"
                            "職員アカウントの不正利用の可能性があります。監査ログを確認してください。"),
    "server_error": N_("サーバーエラー（5xx）が%(minutes)d分間に%(count)d回発生しました。システムの状態を確認してください。"),
}
REDIS_PREFIX = "guide:alerts:"  # app.config["ALERTS_REDIS_PREFIX"] overrides (tests)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class SecurityAlert(db.Model):
    """One raised alert; shown in the console until an administrator acknowledges it."""

    __tablename__ = "security_alert"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    # what happened, for administrators, never personal data: a msgid and its variables (JSON,
    # core.words.Message.variables_data), translated when read; ``message`` is the Japanese text
    # of the alerts raised before they were (migration 0014), shown as it is
    message: Mapped[str | None] = mapped_column(Text, nullable=True)
    message_id: Mapped[str | None] = mapped_column(Text, nullable=True)
    message_vars: Mapped[str | None] = mapped_column(Text, nullable=True)
    raised_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    acknowledged_by: Mapped[str | None] = mapped_column(String(64), nullable=True)  # staff login id
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True, nullable=True)

    @property
    def title(self) -> str:
        return TITLES.get(self.kind, self.kind)

    def title_in(self, locale: str) -> str:
        """The title in the console's language (an unknown kind as it is)."""
        return translate(locale, TITLES[self.kind]) if self.kind in TITLES else self.kind

    def message_in(self, locale: str) -> str:
        """What happened, in ``locale`` (the console's language; the mail's Japanese). An older
        row reads its stored text; a row whose variables no longer fit its msgid reads the msgid
        or that text rather than failing the page."""
        if self.message_id:
            try:
                return Message.from_data(self.message_id, json.loads(self.message_vars or "{}")).text(locale)
            except (ValueError, KeyError, TypeError, AttributeError):
                log.warning("security alert: message variables do not fit", extra={"alert_id": self.id})
        return self.message or self.message_id or ""

    def __repr__(self) -> str:
        return f"<SecurityAlert {self.id} {self.kind}>"


# --- counting -----------------------------------------------------------------------------------

class LocalCounter:
    """Events per kind in this process: a deque of times, pruned to the window."""

    def __init__(self) -> None:
        self._events: dict[str, collections.deque[float]] = collections.defaultdict(collections.deque)
        self._lock = threading.Lock()

    def add(self, kind: str, now: float, window: int = WINDOW_SECONDS) -> int:
        with self._lock:
            events = self._events[kind]
            events.append(now)
            while events and events[0] <= now - window:
                events.popleft()
            return len(events)

    def reset(self) -> None:
        with self._lock:
            self._events.clear()


class RedisCounter:
    """Events per kind shared by every worker: one INCR'd key per bucket, expiring after the window."""

    def __init__(self, client: Any, prefix: str) -> None:
        self.client, self.prefix = client, prefix

    def add(self, kind: str, now: float, window: int = WINDOW_SECONDS) -> int:
        bucket = int(now // BUCKET_SECONDS)
        buckets = range(bucket - window // BUCKET_SECONDS + 1, bucket + 1)
        key = f"{self.prefix}{kind}:{bucket}"
        pipe = self.client.pipeline(transaction=False)
        pipe.incr(key)
        pipe.expire(key, window + 2 * BUCKET_SECONDS)
        pipe.mget([f"{self.prefix}{kind}:{b}" for b in buckets])
        _, _, values = pipe.execute()
        return sum(int(v) for v in values if v is not None)

    def reset(self) -> None:
        for key in self.client.scan_iter(match=f"{self.prefix}*", count=500):
            self.client.delete(key)


_local = LocalCounter()
_redis_clients: dict[str, Any] = {}
_raised: set[tuple[str, str]] = set()  # (database, dedupe key) this process has written already
_raised_lock = threading.Lock()


def _config(name: str, default: Any = None) -> Any:
    return current_app.config.get(name, default) if has_app_context() else default


def _database() -> str:
    return str(_config("SQLALCHEMY_DATABASE_URI", ""))


def _redis_counter() -> RedisCounter | None:
    url = _config("REDIS_URL", "")
    if not url:
        return None
    client = _redis_clients.get(url)
    if client is None:
        client = redis.Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0)
        _redis_clients[url] = client
    return RedisCounter(client, _config("ALERTS_REDIS_PREFIX", REDIS_PREFIX))


def count(kind: str, now: float | None = None) -> int:
    """Record one event of ``kind`` and return how many there were in the window (this one too)."""
    now = time.time() if now is None else now
    counter = _redis_counter()
    if counter is not None:
        try:
            return counter.add(kind, now)
        except Exception as exc:  # redis.RedisError, OSError: count here rather than fail the request
            log.warning("alert counter: Redis unavailable, counting in this process",
                        extra={"error": type(exc).__name__})
    return _local.add(kind, now)


def reset_counters() -> None:
    """Forget every count (this process, and the Redis keys under the prefix). For tests."""
    _local.reset()
    with _raised_lock:
        _raised.clear()
    counter = _redis_counter()
    if counter is not None:
        try:
            counter.reset()
        except Exception as exc:
            log.warning("alert counter: Redis unavailable, its keys were not reset", extra={"error": type(exc).__name__})


def window_key(kind: str, now: dt.datetime | None = None) -> str:
    """``kind:<window number>``: one alert of a kind per 5-minute window."""
    moment = now or utcnow()
    return f"{kind}:{int(moment.timestamp() // WINDOW_SECONDS)}"


def note(kind: str) -> int:
    """A security event happened. Raises the alert of ``kind`` when its threshold is reached.

    Returns the number of such events in the window. Never raises for a counting or database
    problem (it is logged); an unknown ``kind`` is a programming error (ValueError)."""
    if kind not in THRESHOLDS:
        raise ValueError(f"unknown security event {kind!r}; one of {sorted(THRESHOLDS)}")
    n = count(kind)
    if n >= THRESHOLDS[kind]:
        key = window_key(kind)
        if (_database(), key) not in _raised:
            message = Message(_MESSAGES[kind], minutes=WINDOW_SECONDS // 60, count=n)
            raise_soon(kind, message, dedupe_key=key)
    return n


# --- raising ------------------------------------------------------------------------------------

def _admin_emails() -> list[str]:
    return [a.strip() for a in str(_config("ADMIN_EMAILS", "") or "").split(",") if a.strip()]


MAIL_LOCALE = "ja"  # the administrators' mail: the city's language, whoever reads the console in English


def alert_mail(kind: str, message: Message, raised: dt.datetime) -> Mail:
    """The administrators' mail (templates/mail/security_alert.*), in Japanese."""
    title = translate(MAIL_LOCALE, TITLES[kind]) if kind in TITLES else kind
    return render_mail("security_alert", MAIL_LOCALE, title=title, message=message.text(MAIL_LOCALE),
                       moment=japanese_moment(raised))


def _stored(message: Message) -> dict[str, str]:
    """The row's ``message_id`` and ``message_vars`` of ``message`` (refused at once when it could
    not be read back: a (context, msgid) pair, variables that are not JSON)."""
    if not isinstance(message, Message) or not isinstance(message.msgid, str):
        raise TypeError(f"an alert's message is a core.words.Message with a plain msgid, not {message!r}")
    return {"message_id": message.msgid,
            "message_vars": json.dumps(message.variables_data(), ensure_ascii=False, sort_keys=True)}


def raise_alert(kind: str, message: Message, *, dedupe_key: str | None = None) -> int | None:
    """Raise an alert now: a ``SecurityAlert`` row and a mail to every ``ADMIN_EMAILS`` address,
    committed together in a transaction of their own. Needs an app context.

    ``dedupe_key`` (default: kind and 5-minute window) keeps one alert per key: returns the new
    alert's id, or None when that alert exists already. ``message`` is a msgid (marked with
    ``N_``) and its variables, translated when read; it must not contain personal data. Inside a request prefer :func:`raise_soon` (SQLite would wait for the
    request's own uncommitted writes)."""
    from core.outbox import enqueue_mail, insert_once  # cycle: core.outbox imports this module

    stored = _stored(message)
    now = utcnow()
    key = dedupe_key or window_key(kind, now)
    with Session(db.engine) as session:
        alert_id = insert_once(session, SecurityAlert, {"kind": kind, **stored, "raised_at": now,
                                                        "dedupe_key": key})
        addresses = _admin_emails() if alert_id is not None else []
        mail = None
        if addresses:
            try:
                mail = alert_mail(kind, message, now)
            except Exception:  # a broken template must not hide the banner
                log.exception("could not render the alert mail", extra={"alert_kind": kind})
        if mail is not None:
            for address in addresses:
                digest = hashlib.sha256(address.lower().encode()).hexdigest()[:16]
                try:
                    enqueue_mail(address, mail.subject, mail.text, dedupe_key=f"alert:{key}:{digest}"[:200],
                                 session=session)
                except SQLAlchemyError:
                    raise
                except Exception:  # no data key, a bad address: the banner must still appear
                    log.exception("could not queue the alert mail", extra={"alert_kind": kind})
        session.commit()
    with _raised_lock:
        if len(_raised) > 10_000:
            _raised.clear()
        _raised.add((_database(), key))
    if alert_id is not None:
        log.warning("security alert raised", extra={"alert_kind": kind, "alert_id": alert_id})
        from core.monitoring import SECURITY_ALERTS  # here: core.monitoring imports this module
        SECURITY_ALERTS.labels(kind=kind).inc()
    return alert_id


def raise_soon(kind: str, message: Message, *, dedupe_key: str | None = None) -> None:
    """:func:`raise_alert`, after the current request has ended (at once outside a request)."""
    _stored(message)  # a wrong message fails its caller, not the teardown
    key = dedupe_key or window_key(kind)
    if has_request_context() and current_app.extensions.get("security_alerts"):
        pending = g.setdefault("_pending_alerts", {})
        pending.setdefault(key, (kind, message))
        return
    try:
        raise_alert(kind, message, dedupe_key=key)
    except Exception:
        log.exception("could not raise the security alert", extra={"alert_kind": kind})


def _raise_pending(_exc: BaseException | None = None) -> None:
    """Teardown: write the alerts noted during the request, after its session is gone."""
    pending = g.pop("_pending_alerts", None) if has_app_context() else None
    for key, (kind, message) in (pending or {}).items():
        try:
            raise_alert(kind, message, dedupe_key=key)
        except Exception:
            log.exception("could not raise the security alert", extra={"alert_kind": kind})


# --- the console ------------------------------------------------------------------------------

def active_alerts(limit: int = 20) -> list[SecurityAlert]:
    """Unacknowledged alerts, newest first (the console banner). Never fails the page."""
    try:
        return list(db.session.scalars(select(SecurityAlert).where(SecurityAlert.acknowledged_at.is_(None))
                                       .order_by(SecurityAlert.raised_at.desc(), SecurityAlert.id.desc())
                                       .limit(limit)))
    except SQLAlchemyError:
        log.exception("could not read the security alerts")
        db.session.rollback()
        return []


def recent_acknowledged(limit: int = 50) -> list[SecurityAlert]:
    return list(db.session.scalars(select(SecurityAlert).where(SecurityAlert.acknowledged_at.is_not(None))
                                   .order_by(SecurityAlert.acknowledged_at.desc(), SecurityAlert.id.desc())
                                   .limit(limit)))


def acknowledge(alert_id: int, by: str) -> bool:
    """Mark an alert acknowledged by staff ``by`` (login id), in ``db.session`` (the caller commits).
    False when there is no such unacknowledged alert."""
    changed = db.session.execute(
        update(SecurityAlert).where(SecurityAlert.id == alert_id, SecurityAlert.acknowledged_at.is_(None))
        .values(acknowledged_at=utcnow(), acknowledged_by=by[:64])
        .execution_options(synchronize_session=False)).rowcount
    return changed == 1


def acknowledge_by_staff(alert: SecurityAlert, by: str) -> bool:
    """:func:`acknowledge`, audited and committed (what the console's button does): False, and
    nothing recorded, when it had been acknowledged already."""
    if not acknowledge(alert.id, by):
        return False
    audit.record("alert.acknowledge", target=f"security_alert:{alert.id}", details={"kind": alert.kind})
    db.session.commit()
    return True


def init_alerts(app: Flask) -> None:
    """Alerts noted in a request are written at app-context teardown, after Flask-SQLAlchemy has
    removed the request's session (teardown functions run last-registered first, so this one is
    put at the front of the list)."""
    app.extensions["security_alerts"] = True
    app.teardown_appcontext_funcs.insert(0, _raise_pending)
    app.jinja_env.globals["active_alerts"] = active_alerts
