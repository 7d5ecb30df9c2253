"""「自分が担当する」 sent as Chromium sends it. It once shared a form with the assignee select, so
the browser sent both values, the select's won, and the page said 「担当者を変更しました」 while
the history showed 「担当者 -」. Posting a hand-picked dict hid that; these tests post whole forms."""
from __future__ import annotations

from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from core import policy
from core.db import db
from core.staff_models import StaffUser
from intake.models import Application
from tests.browserlike import forms_of
from tests.web.test_staff_applications import ADDRESS, NAME, submitted


def _assignee(app, number: str) -> str | None:
    with app.app_context():
        application = db.session.scalar(select(Application).where(Application.receipt_number == number))
        user = db.session.get(StaffUser, application.assignee_id) if application.assignee_id else None
        return user.login_id if user else None


def _take_it_form(html: str, url: str):
    """The form (and button) that means 「自分が担当する」, whatever the layout around it."""
    for form in forms_of(html, url):
        if not form.action.endswith("/assign"):
            continue
        for button in form.buttons() or [None]:
            if ("assignee", "me") in form.data(button):
                return form, button
    raise AssertionError("no 「自分が担当する」 form on the page")


def test_take_it_myself_assigns_me_with_everything_the_browser_sends(app, forms, trusted, card_key, staff_client):
    cert = trusted.issue_signing_cert(NAME, ADDRESS, "1985-04-01", "2", key=card_key, write=False)
    number = submitted(app, forms, trusted, cert)
    client = staff_client(policy.DEPARTMENT, "shimin")
    url = f"/staff/applications/{number}"
    html = client.get(url).get_data(as_text=True)
    form, button = _take_it_form(html, url)
    data = form.data(button)
    assert [v for k, v in data if k == "assignee"] == ["me"], data  # nothing else competes with it
    r = client.post(form.action, data=MultiDict(data))
    assert r.status_code == 302
    assert _assignee(app, number) == client.login_id
    page = client.get(r.location).get_data(as_text=True)
    assert client.login_id in page

    # The select's own form still changes or clears the assignee (all its fields, as sent).
    html = client.get(url).get_data(as_text=True)
    select_form = next(f for f in forms_of(html, url) if f.action.endswith("/assign")
                       and any(c.tag == "select" and c.name == "assignee" for c in f.controls))
    for control in select_form.controls:
        if control.tag == "select" and control.name == "assignee":
            control.options = [(v, v == "none") for v, _ in control.options]
    buttons = select_form.buttons()
    r = client.post(select_form.action, data=MultiDict(select_form.data(buttons[0] if buttons else None)))
    assert r.status_code == 302
    assert _assignee(app, number) is None
