"""Part 2 of 2 of every staff page of every role under axe-core at 375 and 1280 px
(tests/browser/every_staff_page.py says how the pages are found and why they are dealt into parts)."""
from __future__ import annotations

import pytest

from tests.browser.every_staff_page import check_shard, console  # noqa: F401 - console: this module's fixture

pytestmark = pytest.mark.browser


def test_part_2_of_every_staff_page_of_every_role_has_no_axe_violation_at_375_and_1280_px(console, browser, axe):  # noqa: F811
    check_shard(*console, browser, axe, shard=1)
