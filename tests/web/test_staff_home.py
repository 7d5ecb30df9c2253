"""The console home (/staff/) per role: the figures each role can act on, scoped to the user's
departments and counters, each linking to the filtered list."""
from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import update

from core import policy
from core.db import db
from core.staff_models import StaffUser
from intake import workflow
from reservations import models as rm
from tests.web.inbox_helpers import JST, open_days_ago, seed, staff_id


def _figures(html: str) -> dict[str, tuple[str, str]]:
    """label → (figure, href) of each count on the page."""
    out = {}
    for href, label, figure in re.findall(
            r'<li class="home-count[^"]*">\s*<a href="([^"]+)"><span class="home-count__label">(.*?)</span>\s*'
            r'<span class="home-count__figure">(.*?)</span>', html, re.S):
        out[label] = (figure, href.replace("&amp;", "&"))
    return out


def test_department_staff_see_their_applications_counts_with_links(app, staff_client):
    client = staff_client(policy.DEPARTMENT, "kenchiku")
    me = staff_id(app, client.login_id)
    before = _figures(client.get("/staff/").get_data(as_text=True))
    seed(app, procedure="kenchiku_shinchiku", status=workflow.SUBMITTED)
    seed(app, procedure="kenchiku_shinchiku", status=workflow.CORRECTION)
    seed(app, procedure="kenchiku_shinchiku", status=workflow.REVIEWING, assignee_id=me,
         submitted_at=open_days_ago(30))
    seed(app, procedure="juminhyo_utsushi", status=workflow.SUBMITTED)  # another department's
    r = client.get("/staff/")
    assert r.status_code == 200
    after = _figures(r.get_data(as_text=True))

    def n(label):
        return int(after[label][0].replace("件", "")) - int(before[label][0].replace("件", ""))

    assert n("未処理（受付のまま）") == 1 and n("補正待ち（申請者が直しています）") == 1
    assert n("期限超過（標準処理期間を過ぎています）") == 1 and n("自分の担当（対応中）") == 1
    assert after["未処理（受付のまま）"][1] == "/staff/applications/?status=submitted"
    assert after["期限超過（標準処理期間を過ぎています）"][1] == "/staff/applications/?timing=overdue"
    assert after["自分の担当（対応中）"][1] == "/staff/applications/?assignee=me"
    for label, (_, href) in after.items():
        assert client.get(href).status_code == 200, label
    assert "ロック中のアカウント" not in after


def test_counter_staff_see_todays_bookings_and_the_queue_of_their_counters(app, staff_client):
    from reservations.current import catalog

    client = staff_client(policy.COUNTER, "")
    today = dt.datetime.now(JST).date()
    with app.app_context():
        counter = next(iter(catalog().counters.values()))
    before = _figures(client.get("/staff/").get_data(as_text=True))
    with app.app_context():
        now = dt.datetime.now(dt.UTC)
        for i, status in enumerate((rm.CONFIRMED, rm.CONFIRMED, rm.CHECKED_IN, rm.CANCELLED)):
            db.session.add(rm.Reservation(number=f"H2{i}{now:%H%M%S%f}"[:12], service_id="x", site_id=counter.site,
                                          counter_id=counter.id, start=now, end=now, day=today, channel="web",
                                          status=status, created_at=now))
        db.session.add(rm.WalkInTicket(site_id=counter.site, counter_id=counter.id, day=today, number=900,
                                       status="waiting", issued_at=now))
        db.session.add(rm.WalkInTicket(site_id=counter.site, counter_id=counter.id, day=today, number=901,
                                       status="done", issued_at=now))
        db.session.commit()
    html = client.get("/staff/").get_data(as_text=True)
    after = _figures(html)

    def n(label, unit="件"):
        return int(after[label][0].replace(unit, "")) - int(before[label][0].replace(unit, ""))

    assert n("本日の予約（来庁待ち）") == 2 and n("本日の予約（受付済み）") == 1
    queue = f"呼び出し待ち：{counter.name.ja}"
    assert n(queue, "人") == 1 and after[queue][1] == f"/staff/reservations/queue?counter={counter.id}"
    assert "未処理（受付のまま）" not in after  # counter staff do not read applications
    for label, (_, href) in after.items():
        assert client.get(href).status_code == 200, label


def test_administrators_see_everything_and_locked_accounts(app, staff_client):
    from tests.conftest import make_staff

    client = staff_client(policy.ADMIN, "")
    before = _figures(client.get("/staff/").get_data(as_text=True))
    login_id, _ = make_staff(app, policy.DEPARTMENT, departments="shimin")
    with app.app_context():
        db.session.execute(update(StaffUser).where(StaffUser.login_id == login_id).values(
            locked_until=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=10)))
        db.session.commit()
    after = _figures(client.get("/staff/").get_data(as_text=True))
    assert int(after["ロック中のアカウント"][0][:-1]) == int(before["ロック中のアカウント"][0][:-1]) + 1
    assert after["ロック中のアカウント"][1] == "/staff/users"
    for label in ("未処理（受付のまま）", "本日の予約（来庁待ち）", "確認していない警告"):
        assert label in after


def test_auditors_and_curators_get_their_links_and_no_figures_they_cannot_open(app, staff_client):
    auditor = staff_client(policy.AUDITOR, "").get("/staff/").get_data(as_text=True)
    assert "確認していない警告" in _figures(auditor)
    assert "未処理（受付のまま）" not in _figures(auditor) and "本日の予約（来庁待ち）" not in _figures(auditor)
    assert 'href="/staff/audit/' in auditor and "/staff/stats" in auditor
    curator = staff_client(policy.CURATOR, "").get("/staff/")
    assert curator.status_code == 200 and _figures(curator.get_data(as_text=True)) == {}
    assert 'href="/staff/password"' in curator.get_data(as_text=True)
