"""The whole app on a second city's pack (knowledge/packs/minato, MUNICIPALITY=minato): every
public page, the JSON APIs and a booking's confirmation mail, on SQLite and PostgreSQL. Nothing of
the first city may show: its name is in its own pack, never in code or templates."""
from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

import pytest
from sqlalchemy import select

from tests.conftest import app_on, fresh_client
from tests.web.site_links import SERVICES, internal_links, status_of

pytestmark = pytest.mark.second_pack
FIRST_CITY = re.compile(r"加古川|かこがわ|カコガワ|kakogawa|079-421|675-8501", re.IGNORECASE)  # its name, its phone, its postcode


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def minato(request, tmp_path_factory):
    with app_on(request.param, tmp_path_factory.mktemp(f"minato-{request.param}"), "minato") as application:
        yield application


def no_first_city(text: str, where: str) -> None:
    found = FIRST_CITY.search(text)
    assert found is None, f"{where}: {text[max(0, found.start() - 120):found.end() + 120]!r}"


def page(client, url: str, status: int = 200, **kw) -> str:
    r = client.get(url, **kw)
    assert r.status_code == status, (url, r.status_code)
    html = r.get_data(as_text=True)
    no_first_city(html, url)
    return html


def _answers(html: str) -> dict[str, str]:
    """A browser's answers to one questionnaire page: the first choice of every radio group, a
    date in 2026, two people, adults of 40 (the first) and children of 8."""
    fields: dict[str, str] = {}
    for name, value in re.findall(r'type="radio"[^>]*name="([^"]+)" value="([^"]*)"', html):
        fields.setdefault(name, value)
    for name in re.findall(r'<input[^>]*name="([^"]+)"', html):
        if name.endswith("-year"):
            fields[name] = "2026"
        elif name.endswith("-month"):
            fields[name] = "4"
        elif name.endswith("-day"):
            fields[name] = "1"
        elif name == "n":
            fields[name] = "2"
        elif name.endswith(".age"):
            fields[name] = "40" if name.startswith("m0.") else "8"
    if "m1.relation" in fields:
        fields["m1.relation"] = "child"
    return fields


def walk_guide(client, event: str) -> str:
    """From the event's start through every question to the result page; the result's HTML."""
    html = page(client, f"/guide/{event}")
    url = re.search(rf'href="(/guide/{event}/[^"?]+)"', html).group(1)
    for _ in range(60):
        html = page(client, url)
        query = dict(parse_qsl(urlsplit(url).query)) | _answers(html) | {"submit": "1"}
        r = client.get(urlsplit(url).path, query_string=query)
        assert r.status_code == 302, (url, re.findall(r"＊[^<]*", r.get_data(as_text=True)))
        url = r.location
        if "/check" in urlsplit(url).path:
            break
    check = page(client, url)
    result = re.search(rf'href="(/guide/{event}/result\?[^"]+)"', check).group(1).replace("&amp;", "&")
    html = page(client, result)
    page(fresh_client(client.application), result + "&lang=en")  # its own client: the choice is kept in a cookie
    ics = client.get(result.replace("/result?", "/result.ics?"))
    assert ics.status_code == 200
    no_first_city(ics.get_data(as_text=True), "result.ics")
    return html


def test_the_guide_names_the_second_city_and_walks_both_events_to_the_result(minato):
    client = fresh_client(minato)
    assert client.get("/").status_code == 200
    start = page(client, "/guide/")
    assert "<title>" in start and "みなと市 手続きガイド" in start and "https://www.city.minato.example/" in start
    assert 'href="/guide/moving_in"' in start and 'href="/guide/moving_out"' in start
    assert 'href="/guide/birth"' not in start  # the second pack has only two events
    assert "Minato City procedure guide" in page(fresh_client(minato), "/guide/?lang=en")
    moving_in = walk_guide(client, "moving_in")
    assert "転入届" in moving_in and "みなと市役所" in moving_in and "2026年4月15日" in moving_in
    moving_out = walk_guide(client, "moving_out")
    assert "転出届" in moving_out


def test_every_other_public_page_of_the_second_city(minato):
    client = fresh_client(minato)
    accessibility = page(client, "/accessibility")
    assert "「みなと市 手続きガイド」" in accessibility and "問い合わせ先：みなと市 市民課" in accessibility
    assert "Contact: Minato City Citizens Division" in page(fresh_client(minato), "/accessibility?lang=en")
    apply = page(client, "/apply")
    assert "/apply/tenshutsu_todoke" in apply
    form = page(client, "/apply/tenshutsu_todoke")
    assert "転出届" in form
    reserve = page(client, "/reserve")
    assert "転入の手続き" in reserve and "転出の手続き" in reserve
    site = page(client, "/reserve/tenshutsu/shiyakusho")
    assert "みなと市役所" in site
    page(client, "/display/")
    page(client, "/display/shiyakusho")
    crowding = page(client, "/crowding/shiyakusho")  # the pack's own levels and counters
    assert "みなと市役所 の混雑状況" in crowding and "市民課 住民異動（転入・転出）" in crowding and "空いている" in crowding
    assert "みなと市役所" in page(client, "/embed/crowding/shiyakusho?lang=ja")
    # search reads this city's pack only (it has no readings or aliases: names and keywords)
    found = page(client, "/search?q=%E8%BB%A2%E5%85%A5")  # 転入
    assert 'href="/procedures/tennyu_todoke"' in found
    results = client.get("/api/v1/search?q=moving").get_json()["results"]
    assert "tennyu_todoke" in {r["id"] for r in results}
    no_first_city(str(results), "/api/v1/search")
    page(client, "/no-such-page", status=404)


def test_the_home_page_and_every_procedure_page_of_the_second_city(minato):
    """/, /procedures/ and /procedures/<id> for every procedure of the second pack, in both
    languages: nothing of the first city, and every link of them leads somewhere."""
    client = fresh_client(minato)
    links: set[str] = set()
    home = page(client, "/")
    assert "みなと市 手続きガイド" in home and all(f'href="{s}"' in home for s in SERVICES)
    links |= internal_links(home)
    for lang in ("ja", "en"):
        index = page(fresh_client(minato), f"/procedures/?lang={lang}")
        links |= internal_links(index)
        with minato.app_context():
            from core.pack import rulebook
            ids = list(rulebook().kb.procedures)
        assert len(ids) == 8
        for pid in ids:
            assert f'href="/procedures/{pid}"' in index
            links |= internal_links(page(fresh_client(minato), f"/procedures/{pid}?lang={lang}"))
    page(client, "/procedures/juminhyo_utsushi", status=404)  # the first city's procedure is not here
    for link in sorted(links):
        assert status_of(client, link) not in (404, 405), link


def test_the_apis_of_the_second_city(minato):
    client = fresh_client(minato)
    events = client.get("/api/v1/events").get_json()
    assert {e["id"] for e in events["events"]} == {"moving_in", "moving_out"}
    no_first_city(str(events), "/api/v1/events")
    procedures = client.get("/api/v1/procedures").get_json()
    ids = {p["id"] for p in procedures["procedures"]}
    assert {"tennyu_todoke", "tenshutsu_todoke", "kokuho_kanyu", "jido_teate_nintei", "inkan_toroku"} <= ids
    no_first_city(str(procedures), "/api/v1/procedures")
    for pid in ids:
        for lang in ("ja", "en"):
            r = client.get(f"/api/v1/procedures/{pid}?lang={lang}")
            assert r.status_code == 200
            no_first_city(r.get_data(as_text=True), f"/api/v1/procedures/{pid}")
    for lang in ("ja", "en"):
        r = client.post(f"/api/v1/guide/evaluate?lang={lang}", json={
            "event": "moving_in", "event_date": "2026-04-10",
            "facts": {"from_abroad": False, "seal_registration_wanted": True},
            "members": [{"relation": "self", "age": 42, "insurance": "kokuho"},
                        {"relation": "child", "age": 6, "insurance": "kokuho"}]})
        assert r.status_code == 200, r.get_data(as_text=True)
        body = r.get_json()
        assert {"tennyu_todoke", "kokuho_kanyu", "jido_teate_nintei", "inkan_toroku"} <= {p["id"] for p in body["procedures"]}
        no_first_city(r.get_data(as_text=True), f"evaluate ({lang})")
    # the facts' words name this city: 「みなと市で国民健康保険に入る方がいる場合」
    kokuho = next(p for p in client.post("/api/v1/guide/evaluate", json={
        "event": "moving_in", "event_date": "2026-04-10", "members": [{"relation": "self", "age": 42}]}
    ).get_json()["procedures"] if p["id"] == "kokuho_kanyu")
    assert any("みなと市" in why for why in kokuho["why"])
    openapi = client.get("/api/v1/openapi.json")
    assert openapi.get_json()["info"]["title"] == "みなと市 手続きガイド API"
    no_first_city(openapi.get_data(as_text=True), "openapi.json")
    services = client.get("/api/v1/reservations/services")
    assert services.status_code == 200
    no_first_city(services.get_data(as_text=True), "/api/v1/reservations/services")


def test_a_booking_mail_of_the_second_city(minato):
    import datetime as dt

    from core.db import db
    from core.outbox import OutboxMessage, _build
    from reservations import booking
    from reservations.calendar import is_closed
    from reservations.loader import load_catalog
    from reservations.slots import JST
    catalog = load_catalog("minato")
    today = dt.datetime.now(JST).date()
    with minato.app_context():
        slot = next(a.slot for n in range(2, catalog.rules.horizon_days)
                    if is_closed(catalog, "shiyakusho", day := today + dt.timedelta(days=n)) is None
                    for a in booking.availability(catalog, "tennyu", "shiyakusho", day) if a.bookable)
    client = fresh_client(minato)
    r = client.post("/api/v1/reservations", json={
        "service_id": "tennyu", "site_id": "shiyakusho", "start": slot.start.isoformat(),
        "name": "港 花子", "name_kana": "ミナト ハナコ", "email": "hanako@example.jp", "phone": None})
    assert r.status_code == 201, r.get_data(as_text=True)
    number = r.get_json()["number"]
    no_first_city(r.get_data(as_text=True), "booking")
    with minato.app_context():
        row = db.session.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == f"reservation-confirmed:{number}"))
        assert row.subject.startswith("【みなと市】")
        mail = _build(row)
    assert mail["From"] == "みなと市 <noreply@guide.city.minato.example>"
    text = mail.get_body(("plain",)).get_content()
    assert number in text and "みなと市役所" in text
    ics = next(p for p in mail.iter_attachments() if p.get_content_type() == "text/calendar")
    calendar = ics.get_payload(decode=True).decode()
    assert f"{number}@reserve.city.minato.example" in calendar
    for part, words in (("subject", row.subject), ("body", text), ("ics", calendar), ("mail", mail.as_string())):
        no_first_city(words, part)


def test_the_platform_names_the_second_city_too(minato):
    from urllib.parse import unquote

    from core import alerts, auth
    from core.staff_models import StaffUser
    from core.words import N_, Message
    client = fresh_client(minato)
    csp = client.get("/guide/").headers["Content-Security-Policy"]
    assert "frame-ancestors 'self' https://www.city.minato.example" in csp  # the pack's homepage may frame the guide
    with minato.app_context():
        uri = unquote(auth.provisioning_uri(StaffUser(login_id="tanaka", totp_secret=auth.new_totp_secret())))
        assert "みなと市 手続きガイド 職員" in uri
        mail = alerts.alert_mail("login_failure", Message(N_("記録の改ざん")), alerts.utcnow())
        body = mail.subject + "\n" + mail.text
        assert "みなと市" in body
    for words in (csp, uri, body):
        no_first_city(words, "platform")


def test_a_move_in_visit_passes_both_counters_of_the_second_city(minato):
    """The training's exercise at two counters (docs/manual/training.md): a まとめて予約 of a
    move-in with 国保 stops at 市民課 and then at 国保, each with its counter form to print."""
    html = page(fresh_client(minato), "/reserve/visit?procedures=tennyu_todoke,kokuho_kanyu,jido_teate_nintei")
    shimin, kokuho = html.find("市民課 住民異動（転入・転出）"), html.find("保険年金課 国民健康保険の窓口")
    assert 0 <= shimin < kokuho, "市民課 first, then 国保"
    no_first_city(html, "/reserve/visit")
