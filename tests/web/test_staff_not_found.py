"""The console's own 404 (issue #9): an unknown /staff path and another department's record
answer 404 inside the console layout for a signed-in member of staff; signed-out visitors and
other networks keep the behaviour they had (nothing of the console shown)."""
from core import policy
from tests.web.staff_reservations_helpers import add_booking


def _console_404(r) -> None:
    html = r.get_data(as_text=True)
    assert r.status_code == 404
    assert "ページが見つかりません" in html and 'class="staff-nav"' in html and 'href="/staff/"' in html
    assert "手続きガイドのトップへ" not in html  # not the residents' error page


def test_unknown_staff_path_is_the_consoles_404(staff_client):
    counter = staff_client(policy.COUNTER, departments="shimin")
    _console_404(counter.get("/staff/no-such-page"))
    _console_404(counter.get("/staff/reservations/no/such/thing"))


def test_another_departments_booking_is_the_consoles_404(app, staff_client):
    number, _name = add_booking(app, counter_id="kokuho")
    shimin = staff_client(policy.COUNTER, departments="shimin")
    _console_404(shimin.get(f"/staff/reservations/{number}/cancel"))
    kokuho = staff_client(policy.COUNTER, departments="kokuho")
    assert kokuho.get(f"/staff/reservations/{number}/cancel").status_code == 200


def test_unknown_account_is_the_consoles_404(staff_client):
    _console_404(staff_client(policy.ADMIN).get("/staff/users/nobody-here/edit"))


def test_signed_out_and_residents_keep_their_pages(client):
    r = client.get("/staff/no-such-page")
    assert r.status_code == 401 and 'class="staff-nav"' not in r.get_data(as_text=True)
    r = client.get("/no-such-page")
    assert r.status_code == 404 and "手続きガイドのトップへ" in r.get_data(as_text=True)
