"""Shared fixtures. One app per engine for the session (its database upgraded once by Alembic),
and for each test a fresh copy of that database, an empty rate limiter and the same clock: no test
sees what another left, and none depends on the day it runs. Every HTML page a test renders is
checked as HTML (tests/html_check.py)."""
from __future__ import annotations

import contextlib
import datetime as dt
import os
import uuid
from pathlib import Path

import pytest
import time_machine
import yaml
from sqlalchemy import create_engine, text

from core.config import normalise_database_url
from knowledge.loader import load_pack
from rules.ruleset import build_rulebook
from tests.database_reset import DatabaseSnapshot
from tests.html_check import CheckedClient

REFERENCE = Path(__file__).resolve().parent / "reference"  # copies, with their source: reference/README.md

# The instant every test starts at (a Wednesday, 10:00 in Japan, counters open): dates in tests,
# the reservation horizon and "today" in pages are the same whatever day the suite runs.
TEST_NOW = dt.datetime(2026, 12, 2, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=9)))


def redis_url_for_tests() -> str:
    """The Redis database the tests may write to and empty (TEST_REDIS_URL; db 15 by default).

    Under pytest-xdist each worker gets its own database below that one (gw1: 14, …), so one
    worker emptying its database never empties another's counts.
    """
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
    if not worker:
        return url
    base, _, number = url.rpartition("/")
    return f"{base}/{(int(number or 0) - worker) % 16}"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """Each test, its fixtures included, runs on a clock started at TEST_NOW (ticking, so time
    still passes within the test). Browser tests keep the real clock (Chromium reads it too), and
    so do tests marked ``real_clock`` (they start servers in other processes)."""
    if "browser" in item.keywords or item.get_closest_marker("real_clock"):
        return (yield)
    with time_machine.travel(TEST_NOW, tick=True) as clock:
        item.clock = clock
        return (yield)


def pytest_collection_modifyitems(config, items):
    """A test marked ``postgres`` runs on PostgreSQL only: its SQLite variant (an app fixture's
    "sqlite" parameter) is deselected rather than skipped, so skips only mean something is missing."""
    kept, dropped = [], []
    for item in items:
        on_sqlite = "sqlite" in getattr(getattr(item, "callspec", None), "params", {}).values()
        (dropped if on_sqlite and item.get_closest_marker("postgres") else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
    # The slowest files first (fault tests start private servers, browser tests drive Chromium):
    # pytest-xdist hands out files in this order, so the two workers share the long ones instead of
    # one of them running them alone at the end while the other waits (a 20-minute tail).
    items.sort(key=lambda item: _SLOW_FIRST.get(item.path.parent.name, len(_SLOW_FIRST)))


_SLOW_FIRST = {"faults": 0, "browser": 1, "db": 2}


@pytest.fixture
def clock(request):
    """The test's clock (time_machine coordinates: ``clock.shift(seconds)``, ``clock.move_to(when)``)."""
    return request.node.clock


@pytest.fixture(scope="session")
def rulebook():
    return build_rulebook(load_pack("kakogawa"))


def postgres_url() -> str:
    """TEST_DATABASE_URL, or a skip (a failure where CI requires PostgreSQL)."""
    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url.startswith("postgres"):
        if os.environ.get("REQUIRE_POSTGRES"):
            pytest.fail("REQUIRE_POSTGRES is set but TEST_DATABASE_URL is not a PostgreSQL URL")
        pytest.skip("TEST_DATABASE_URL (PostgreSQL) is not set")
    return url


@contextlib.contextmanager
def scratch_database(kind: str, directory: Path):
    """A new empty database of ``kind`` for one test session, dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{directory / 'test.db'}"
        return
    base = postgres_url()
    # a database name is the PostgreSQL server's, shared with any other run on it (not a row of a
    # test's own database): a random name keeps concurrent runs apart
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(normalise_database_url(base), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


TEST_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-only-not-secret",
    "GUIDE_CACHE_SIZE": 0,  # every request really evaluates (purity is tested, not the cache)
    "USAGE_FLUSH_SECONDS": 0,  # usage counts written at once, so tests can read them
    "MUNICIPALITY": "kakogawa",  # named, so a MUNICIPALITY in the shell changes no test
}


@contextlib.contextmanager
def upgraded_app(kind: str, instance: Path, **config):
    """An app on a new database of ``kind`` upgraded by Alembic, with the HTML-checking test
    client; yields (app, snapshot of the upgraded database)."""
    from flask_migrate import upgrade

    from app import create_app
    from core.db import db

    with scratch_database(kind, instance) as url:
        settings = {**TEST_CONFIG, "DATABASE_URL": url, "INSTANCE_PATH": str(instance), **config}
        upgrader = create_app(settings)
        with upgrader.app_context():
            upgrade()  # `flask db upgrade`; then the app starts on the upgraded database, as in production
            db.session.remove()
            db.engine.dispose()
        application = create_app(settings)
        application.test_client_class = CheckedClient
        with application.app_context():
            snapshot = DatabaseSnapshot.take(db, files=(Path(application.config["AUDIT_ANCHOR_PATH"]),))
        yield application, snapshot
        with application.app_context():
            db.session.remove()
            db.engine.dispose()


@contextlib.contextmanager
def app_on(kind: str, instance: Path, municipality: str = "kakogawa"):
    """The app serving ``municipality``'s pack on a fresh ``kind`` database upgraded by Alembic."""
    with upgraded_app(kind, instance, MUNICIPALITY=municipality) as (application, _snapshot):
        yield application


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def _session_app(request, tmp_path_factory):
    with upgraded_app(request.param, tmp_path_factory.mktemp(f"instance-{request.param}")) as made:
        yield made


@pytest.fixture(scope="session")
def app(_session_app):
    """The app on a database upgraded by Alembic: every test using it runs on both engines, and
    finds the database as the upgrade left it (``fresh_state``)."""
    return _session_app[0]


def reset_process_state(app) -> None:
    """Empty what the app keeps in this process between requests, as a new worker would start:
    rate-limit counts, alert counts, and the memo of ruleset generations already written (the
    database that holds their rows was just put back)."""
    from core import alerts
    from core.security import limiter
    from guide import generations
    with app.app_context():
        limiter.reset()
    alerts.reset_counters()
    generations._recorded.clear()
    source = app.extensions.get("pack_source")
    if source is not None and source.number is not None:  # a test published a version: back to the files
        with app.app_context():
            app.extensions["rulebook"].refresh()


@pytest.fixture(autouse=True)
def fresh_state(request):
    """Before each test using the session app: its database as Alembic left it, no rate-limit or
    alert counts. (Autouse fixtures run before the test's other function fixtures, so accounts or
    rows those make are kept.)"""
    if "_session_app" not in request.fixturenames:
        yield
        return
    application, snapshot = request.getfixturevalue("_session_app")
    from core.db import db
    with application.app_context():
        snapshot.restore(db)
    reset_process_state(application)
    yield


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def pack(tmp_path):
    """A copy of the Kakogawa knowledge pack to break (under tmp_path/packs/kakogawa)."""
    import shutil

    from knowledge.loader import PACKS_DIR
    target = tmp_path / "packs" / "kakogawa"
    shutil.copytree(PACKS_DIR / "kakogawa", target)
    return target


def edit_file(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line)


def clear_outbox_and_alerts(app) -> None:
    """No queued mail, no stored alerts, no alert counters: a clean slate for mail and alert tests."""
    from sqlalchemy import delete

    from core import alerts
    from core.db import db
    from core.outbox import OutboxMessage
    with app.app_context():
        db.session.execute(delete(OutboxMessage))
        db.session.execute(delete(alerts.SecurityAlert))
        db.session.commit()
    alerts.reset_counters()


def reference_scenarios() -> list[dict]:
    return yaml.safe_load((REFERENCE / "scenarios.yaml").read_text(encoding="utf-8"))


# --- staff accounts -----------------------------------------------------------------------

STAFF_PASSWORD = "correct-horse-42-battery"


def make_staff(app, role: str, login_id: str | None = None, departments: str = "", must_change: bool = False):
    """A staff account straight in the database; returns (login_id, totp_secret). Without a
    ``login_id``: the role and the account's place among the database's accounts (admin.1,
    department.2 …): each test starts on an empty database, so the same ids every run."""
    from sqlalchemy import func, select

    from core import auth
    from core.db import db
    from core.staff_models import StaffUser

    with app.app_context():
        login_id = login_id or f"{role}.{db.session.scalar(select(func.count()).select_from(StaffUser)) + 1}"
        user = StaffUser(login_id=login_id, display_name=f"テスト {role}", role=role, departments=departments,
                         password_hash=auth.hash_password(STAFF_PASSWORD), totp_secret=auth.new_totp_secret(),
                         totp_last_step=0, active=True, must_change_password=must_change, failed_logins=0)
        db.session.add(user)
        db.session.commit()
        return login_id, user.totp_secret


def csrf_from(html: str) -> str:
    import re
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or \
        re.search(r'value="([^"]+)"[^>]*name="csrf_token"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def fresh_client(app):
    """A new test client (no cookies). The rate limits start empty for each test, so every client
    may use the default address 127.0.0.1."""
    return app.test_client()


def staff_login(client, login_id: str, secret: str, password: str = STAFF_PASSWORD):
    """The real login: password page, then the TOTP page. Returns the last response."""
    import pyotp
    page = client.get("/staff/login").get_data(as_text=True)
    r = client.post("/staff/login", data={"login_id": login_id, "password": password, "csrf_token": csrf_from(page)})
    if r.status_code != 302:
        return r
    page = client.get("/staff/login/code").get_data(as_text=True)
    return client.post("/staff/login/code", data={"code": pyotp.TOTP(secret).now(), "csrf_token": csrf_from(page)})


@pytest.fixture
def staff_client(app):
    """staff_client(role, departments="") -> a test client logged in as a new account of that role."""
    def make(role: str, departments: str = ""):
        client = app.test_client()
        login_id, secret = make_staff(app, role, departments=departments)
        r = staff_login(client, login_id, secret)
        assert r.status_code == 302, r.get_data(as_text=True)[:500]
        client.login_id = login_id
        return client
    return make


# --- signed applications (the development CA stands in for J-LIS) -----------------------

@pytest.fixture(scope="module")
def forms():
    from intake.forms import load_forms
    return load_forms("kakogawa")


@pytest.fixture(scope="module")
def ca(tmp_path_factory):
    from intake import devca
    return devca.make_dev_ca(tmp_path_factory.mktemp("devca-staff"))


@pytest.fixture(scope="module")
def card_key():
    from intake import devca
    return devca.new_key()


@pytest.fixture
def trusted(app, ca):
    """The app trusts the development CA (anchors, intermediates, CRLs) for this test only."""
    keys = ("JPKI_TRUST_ANCHORS", "JPKI_CRL_SOURCES", "JPKI_INTERMEDIATES")
    old = {k: app.config.get(k, "") for k in keys}
    app.config["JPKI_TRUST_ANCHORS"] = str(ca.directory / "trust-anchors.pem")
    app.config["JPKI_CRL_SOURCES"] = f"{ca.directory / 'root-crl.pem'},{ca.directory / 'intermediate-crl.pem'}"
    app.config["JPKI_INTERMEDIATES"] = str(ca.directory / "intermediate.pem")
    yield ca
    app.config.update(old)
