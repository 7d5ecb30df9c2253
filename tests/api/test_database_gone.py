"""The database going away (a PostgreSQL restart, a failover): a booking committed just before
is answered as booked, never as an error (the resident would book again); while it is away,
pages and the API answer 503 with words in the resident's language and Retry-After, not 500.
On SQLite and PostgreSQL; the outage is played by the engine refusing every statement."""
from __future__ import annotations

import contextlib

from sqlalchemy import event, exc, func, select

from core.db import db
from tests.api.reserving import booking_body, free_slot
from tests.conftest import fresh_client


class _Outage:
    """Every statement fails as a dropped server's would, from ``start()`` or from the commit of
    the transaction that wrote ``after_writing`` (SQL text)."""

    def __init__(self, after_writing: str | None = None):
        self.after_writing, self.armed, self.gone = after_writing, False, False

    def before_execute(self, conn, cursor, statement, parameters, context, executemany):
        if self.gone:
            raise exc.OperationalError(statement, parameters, ConnectionResetError("server closed the connection"))
        if self.after_writing and statement.lstrip().upper().startswith(self.after_writing):
            self.armed = True

    def on_commit(self, conn):
        if self.armed:
            self.gone = True


@contextlib.contextmanager
def outage(app, after_writing: str | None = None, now: bool = False):
    with app.app_context():
        engine = db.engine
    played = _Outage(after_writing)
    played.gone = now
    event.listen(engine, "before_cursor_execute", played.before_execute)
    event.listen(engine, "commit", played.on_commit)
    try:
        yield played
    finally:
        event.remove(engine, "before_cursor_execute", played.before_execute)
        event.remove(engine, "commit", played.on_commit)
        with app.app_context():
            engine.dispose()  # the connections the played outage touched: fresh ones afterwards


def test_a_booking_committed_just_before_the_database_goes_is_answered_as_booked(app):
    from core.outbox import OutboxMessage
    from reservations import models as m
    client = fresh_client(app)
    slot = free_slot(app)
    with outage(app, after_writing="UPDATE RESERVATION") as played:
        r = client.post("/api/v1/reservations", json=booking_body(slot))
        assert played.gone, "the outage never started: the test proves nothing"
    assert r.status_code == 201, r.get_data(as_text=True)[:500]
    number = r.get_json()["number"]
    assert r.get_json()["start"] == slot.start.isoformat()
    with app.app_context():
        booked = db.session.scalar(select(m.Reservation).where(m.Reservation.number == number))
        assert booked is not None and booked.status == m.CONFIRMED
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.dedupe_key == f"reservation-confirmed:{number}")) == 1
        db.session.remove()


def test_while_the_database_is_away_a_page_answers_503_in_the_residents_language(app):
    from tests.api.reserving import open_days
    client = fresh_client(app)
    day = open_days("shiyakusho")[0].isoformat()
    with outage(app, now=True):
        page = client.get(f"/reserve/tenshutsu/shiyakusho/{day}?lang=en")
        api = client.get(f"/api/v1/reservations/availability?service_id=tenshutsu&site_id=shiyakusho&date={day}",
                         headers={"Accept-Language": "en"})
    assert page.status_code == 503 and page.headers["Retry-After"] == "30"
    text = page.get_data(as_text=True)
    assert "unavailable right now" in text and "check the e-mail you received" in text
    assert api.status_code == 503 and api.headers["Retry-After"] == "30"
    assert api.get_json()["error"]["code"] == "unavailable"
    # and when it is back, the same page answers
    assert client.get(f"/reserve/tenshutsu/shiyakusho/{day}?lang=en").status_code == 200


def test_staff_in_the_console_get_words_for_staff_while_the_database_is_away(app):
    from core import policy
    from tests.conftest import csrf_from, make_staff, staff_login
    client = fresh_client(app)
    login_id, secret = make_staff(app, policy.DEPARTMENT, departments="shimin")
    assert staff_login(client, login_id, secret).status_code == 302
    with outage(app, now=True):
        page = client.get("/staff/applications/?status=received")
    assert page.status_code == 503 and page.headers["Retry-After"] == "30"
    text = page.get_data(as_text=True)
    assert "職員用の画面をいまは使えません" in text and "障害対応手順" in text
    assert "届いたメール" not in text  # the residents' advice means nothing to a clerk
    assert 'href="/staff/applications/?status=received"' in text  # 「もう一度開く」: the same page
    token = csrf_from(client.get("/staff/password").get_data(as_text=True))
    with outage(app, now=True):
        sent = client.post("/staff/password", data={"csrf_token": token})
    assert sent.status_code == 503 and 'href="/staff/"' in sent.get_data(as_text=True)  # no GET of a POST address
    # a resident's page in the same outage still gets the residents' words
    from tests.api.reserving import open_days
    day = open_days("shiyakusho")[0].isoformat()
    with outage(app, now=True):
        resident = fresh_client(app).get(f"/reserve/tenshutsu/shiyakusho/{day}")
    assert resident.status_code == 503
    assert "職員用" not in resident.get_data(as_text=True) and "届いたメール" in resident.get_data(as_text=True)
