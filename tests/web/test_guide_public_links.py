"""The guide's links for residents (the result's own address the checklist keeps, the QR code,
the link inside the .ics file) come only from PUBLIC_BASE_URL through core/links.py, never from
the request's Host header: ``Host: evil.example`` reaches none of them."""
from __future__ import annotations

import pytest

from guide import views as guide_views
from tests.conftest import fresh_client

QUERY = "date=2026-04-27&n=1&m0.relation=self&f.first_child=yes"


@pytest.mark.parametrize("base", ["https://guide.example.jp", "https://city.example.jp/tetsuzuki"])
def test_a_forged_host_never_reaches_the_guides_links(app, monkeypatch, base):
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", base)
    client = fresh_client(app)
    forged = {"Host": "evil.example"}

    page = client.get(f"/guide/birth/result?{QUERY}", headers=forged)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f'data-checklist="{base}/guide/birth/result?' in html
    assert "evil.example" not in html

    ics = client.get(f"/guide/birth/result.ics?{QUERY}", headers=forged)
    text = ics.get_data(as_text=True).replace("\r\n ", "")  # unfold the iCalendar lines
    assert ics.status_code == 200 and f"{base}/guide/birth/result?" in text and "result.ics" not in text
    assert "evil.example" not in text

    seen: list[str] = []
    real = guide_views.qr_svg
    monkeypatch.setattr(guide_views, "qr_svg", lambda target: seen.append(target) or real(target))
    qr = client.get(f"/guide/birth/result-qr.svg?{QUERY}", headers=forged)
    assert qr.status_code == 200 and len(seen) == 1
    assert seen[0].startswith(f"{base}/guide/birth/result?") and "evil.example" not in seen[0]
