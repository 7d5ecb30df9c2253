"""The database: SQLAlchemy 2 with a constraint naming convention (stable Alembic diffs)."""
from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import logging
import time
from collections.abc import Iterator

from flask import Flask
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData, event, exc, func
from sqlalchemy.orm import DeclarativeBase

log = logging.getLogger(__name__)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# pool_pre_ping: a pooled connection is tested (a cheap round trip) before each checkout, so one
# PostgreSQL dropped (a restart, a failover, an idle timeout) costs no request an error
db = SQLAlchemy(model_class=Base, engine_options={"pool_pre_ping": True})
migrate = Migrate()

# While PostgreSQL restarts (refused connections, "the database system is starting up"), a new
# connection is tried again for up to DB_CONNECT_WAIT_SECONDS: the request waits a moment instead
# of failing. SQLSTATE class 08 (connection exception), 57P01–57P03 (shut down, starting up), or
# none at all (refused before the server spoke). A wrong password or database is not waited for.
_WAIT_FOR = ("08", "57P01", "57P02", "57P03")
_no_wait: contextvars.ContextVar[bool] = contextvars.ContextVar("db_no_wait", default=False)


@contextlib.contextmanager
def without_connect_wait() -> Iterator[None]:
    """Connections made inside fail at once (``/readyz`` must say 503 now, not after the wait)."""
    token = _no_wait.set(True)
    try:
        yield
    finally:
        _no_wait.reset(token)


def worth_waiting(exc: BaseException) -> bool:
    sqlstate = getattr(exc, "sqlstate", None)
    return sqlstate is None or sqlstate.startswith(_WAIT_FOR)


def connect_with_wait(connect, seconds: float, sleep=time.sleep, clock=time.monotonic):
    """``connect()``, tried again (0.1 s, doubling to 1 s apart) while the server is away, for up
    to ``seconds``; the last error is raised when the time is up."""
    deadline = clock() + seconds
    delay = 0.1
    while True:
        try:
            return connect()
        except Exception as exc:
            if _no_wait.get() or not worth_waiting(exc) or clock() + delay > deadline:
                raise
            log.warning("database not accepting connections; waiting", extra={"error": type(exc).__name__})
            sleep(delay)
            delay = min(delay * 2, 1.0)


def commit_keeping_values() -> None:
    """Commit, keeping what the session's objects hold (they are not expired): the answer to the
    request is built from what was just written. With the default expiry, the first attribute read
    after the commit goes back to the database; if the database went away in between (a restart),
    a booking that is committed would answer with an error, and the resident would book again."""
    session = db.session()  # the scoped session's own Session
    was = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = was


def database_unreachable(error: BaseException) -> bool:
    """An error that says the database cannot be reached or is going away (a restart, a failover,
    a dropped connection) rather than that the request was wrong: the answer is 503, try again."""
    if not isinstance(error, exc.DBAPIError):
        return False
    return error.connection_invalidated or (isinstance(error, exc.OperationalError) and worth_waiting(error.orig))


def end_session_quietly(_error: BaseException | None = None) -> None:
    """Close the request's session; a connection the server dropped meanwhile (a restart after
    the request committed) is discarded instead of failing the answer: the work is committed, and
    a 500 would make the resident do it again. Registered after Flask-SQLAlchemy's own teardown,
    so it runs first (Flask runs them in reverse) and leaves that one nothing to close."""
    try:
        db.session.remove()
    except exc.DBAPIError as error:
        log.warning("database connection lost at the end of a request; discarded",
                    extra={"error": type(error.orig).__name__})
        db.session().invalidate()  # the scoped session's own Session: its connections dropped, not rolled back
        db.session.remove()


def init_restart_tolerance(app: Flask) -> None:
    """Requests ride out a PostgreSQL restart: new connections wait for the server (SQLite files
    are always there), and a connection lost after the commit does not turn the answer into a 500."""
    app.teardown_appcontext(end_session_quietly)
    seconds = float(app.config.get("DB_CONNECT_WAIT_SECONDS", 0) or 0)
    with app.app_context():
        engine = db.engine
    if seconds <= 0 or engine.dialect.name != "postgresql":
        return

    @event.listens_for(engine, "do_connect")
    def _connect(dialect, _record, cargs, cparams):
        return connect_with_wait(lambda: dialect.connect(*cargs, **cparams), seconds)


def aware(moment: dt.datetime | None) -> dt.datetime | None:
    """A stored time as an aware UTC datetime: SQLite hands back naive ones (stored as UTC)."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment


def sql_day(column, dialect: str):
    """The day in Japan of a stored UTC moment, worked out by the database as 'YYYY-MM-DD' text:
    PostgreSQL keeps the zone, SQLite naive UTC text (Japan has no daylight saving time)."""
    if dialect == "postgresql":
        return func.to_char(func.timezone("Asia/Tokyo", column), "YYYY-MM-DD")
    return func.strftime("%Y-%m-%d", column, "+9 hours")
