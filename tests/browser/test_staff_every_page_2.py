"""Part 2 of 2 of every staff page of every role under axe-core at 375 and 1280 px
(tests/browser/every_staff_page.py says how the pages are found and why they are dealt into parts)."""
from __future__ import annotations

import pytest

from core.db import db
from tests.browser.every_staff_page import check_shard, serve_console

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def console(tmp_path_factory, forms, ca, card_key):
    app, base, server = serve_console(tmp_path_factory.mktemp("every-page-2"), forms, ca, card_key)
    yield app, base
    server.shutdown()
    with app.app_context():
        db.engine.dispose()


def test_part_2_of_every_staff_page_of_every_role_has_no_axe_violation_at_375_and_1280_px(console, browser, axe):
    check_shard(*console, browser, axe, shard=1)
