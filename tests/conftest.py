"""Shared fixtures: one app per test session on a fresh SQLite database (upgraded by Alembic)."""
from __future__ import annotations

import contextlib
import os
import uuid
from pathlib import Path

import pytest
import yaml
from sqlalchemy import create_engine, text

from core.config import normalise_database_url
from knowledge.loader import load_pack
from rules.ruleset import build_rulebook

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "domain"


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


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def app(request, tmp_path_factory):
    """The app on a fresh database upgraded by Alembic: every test using it runs on both engines."""
    from flask_migrate import upgrade

    from app import create_app
    from core.db import db

    instance = tmp_path_factory.mktemp(f"instance-{request.param}")
    with scratch_database(request.param, instance) as url:
        application = create_app({
            "TESTING": True,
            "DATABASE_URL": url,
            "SECRET_KEY": "test-only-not-secret",
            "INSTANCE_PATH": str(instance),
            "GUIDE_CACHE_SIZE": 0,  # every request really evaluates (purity is tested, not the cache)
            "USAGE_FLUSH_SECONDS": 0,  # usage counts written at once, so tests can read them
        })
        with application.app_context():
            upgrade()
        yield application
        with application.app_context():
            db.engine.dispose()


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


def shared_scenarios() -> list[dict]:
    path = SHARED / "scenarios.yaml"
    if not path.exists():
        pytest.skip(f"{path} is not here (shared/ sits beside the project root)")
    return yaml.safe_load(path.read_text(encoding="utf-8"))


# --- staff accounts -----------------------------------------------------------------------

STAFF_PASSWORD = "correct-horse-42-battery"


def make_staff(app, role: str, login_id: str | None = None, departments: str = "", must_change: bool = False):
    """A staff account straight in the database; returns (login_id, totp_secret)."""
    from core import auth
    from core.db import db
    from core.staff_models import StaffUser

    login_id = login_id or f"{role}.{uuid.uuid4().hex[:8]}"
    with app.app_context():
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


def loopback_address() -> str:
    """A loopback address of its own, so per-address login limits do not spill between tests
    (the limiter's memory storage is shared by every app of the test session)."""
    import random
    return f"127.{random.randint(1, 254)}.{random.randint(1, 254)}.{random.randint(1, 254)}"


def fresh_client(app):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = loopback_address()
    return client


def staff_login(client, login_id: str, secret: str, password: str = STAFF_PASSWORD):
    """The real login: password page, then the TOTP page. Returns the last response.

    Each client gets its own loopback address, so the per-address login rate limit does not
    spill from one test to the next."""
    import random

    import pyotp
    if client.environ_base.get("REMOTE_ADDR", "127.0.0.1") == "127.0.0.1":
        client.environ_base["REMOTE_ADDR"] = f"127.{random.randint(1, 254)}.{random.randint(1, 254)}.{random.randint(1, 254)}"
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
