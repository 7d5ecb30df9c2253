"""Browser tests: PyPI playwright driving Debian's /usr/bin/chromium against a live server."""
from __future__ import annotations

import os
import threading

import pytest
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]


def browser_engine() -> str:
    """The engine browser tests run on: PostgreSQL where the run has one (production's engine), else
    SQLite. Every test under tests/api, tests/web and tests/db runs on both engines; a browser test
    checks what a person sees, which does not depend on the engine, so running each twice doubled
    the slowest part of the suite for nothing. Modules marked ``both_engines`` (the resident journeys
    that write the most) still run on both, so `make run`'s SQLite is driven by a browser too."""
    return "postgresql" if os.environ.get("TEST_DATABASE_URL", "").startswith("postgres") else "sqlite"


def _on_other_engine(item) -> bool:
    if "tests/browser/" not in item.path.as_posix() or item.get_closest_marker("both_engines"):
        return False
    engines = {"sqlite", "postgresql"} & set(getattr(getattr(item, "callspec", None), "params", {}).values())
    return bool(engines) and browser_engine() not in engines


def pytest_collection_modifyitems(config, items):
    other = [item for item in items if _on_other_engine(item)]
    if other:
        config.hook.pytest_deselected(items=other)
        items[:] = [item for item in items if not _on_other_engine(item)]
    if os.path.exists(CHROMIUM):
        return
    if os.environ.get("CI"):
        return  # CI installs Chromium: let the tests fail loudly rather than skip
    skip = pytest.mark.skip(reason=f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    for item in items:
        if "browser" in str(item.fspath):
            item.add_marker(skip)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def app(request, tmp_path_factory):
    """Each browser module has an app and a database of its own (upgraded by Alembic): what a
    module seeds, and what its pages change, no other module sees."""
    from tests.conftest import upgraded_app

    instance = tmp_path_factory.mktemp(f"browser-{request.param}")
    with upgraded_app(request.param, instance) as (application, _snapshot):
        yield application


@pytest.fixture(scope="module")
def live_server(app):
    """The module's app served on a free loopback port, for this module only."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    # links for residents (mails, QR codes, the booking's own page) come from PUBLIC_BASE_URL only,
    # as in production, where it names the site's address: here, this server's
    app.config["PUBLIC_BASE_URL"] = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport={"width": 375, "height": 812}, device_scale_factor=1, locale="ja-JP")
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def desktop(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ja-JP")
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(scope="session")
def axe():
    """axe-core, injected into the pages it checks (see tests/browser/axe_check.py)."""
    from axe_playwright_python.sync_playwright import Axe
    return Axe()
