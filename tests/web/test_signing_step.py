"""The signing step on a phone: the link and QR code that open the signer app
(SIGNER_APP_URL_TEMPLATE, named by SIGNER_APP_NAME), the values to copy, the return to the
application; the development signer page (/dev/signer) that plays the app — only with
JPKI_DEV_SIGNER and never in production — and its refusals of hostile links."""
from __future__ import annotations

import datetime as dt
import html as htmllib
import re
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
import time_machine

from intake import devca
from tests.conftest import csrf_from
from tests.web.apply_helpers import app_id_of, forms_of, page_csrf, path_of, start, walk


@pytest.fixture(scope="module")
def ca(tmp_path_factory):
    return devca.make_dev_ca(tmp_path_factory.mktemp("signing-devca"))


@pytest.fixture
def settings(app, ca):
    """Settings changed for one test only; the development CA is trusted."""
    keys = ("JPKI_TRUST_ANCHORS", "JPKI_CRL_SOURCES", "JPKI_DEV_SIGNER", "SIGNER_APP_URL_TEMPLATE",
            "SIGNER_APP_NAME", "IS_PRODUCTION")
    old = {k: app.config.get(k) for k in keys}
    app.config.update({
        "JPKI_TRUST_ANCHORS": str(ca.directory / "trust-anchors.pem"),
        "JPKI_CRL_SOURCES": f"{ca.directory / 'root-crl.pem'},{ca.directory / 'intermediate-crl.pem'}",
    })
    yield app.config
    app.config.update(old)


def _signing_page(client) -> tuple[str, str]:
    form = forms_of()["honnin_tsuchi"]
    first = start(client, "honnin_tsuchi")
    app_id = app_id_of(first)
    review = walk(client, form, first)
    _html, token = page_csrf(client, review)
    r = client.post(review, data={"csrf_token": token})
    assert r.status_code == 302 and r.location.endswith("/sign")
    return app_id, path_of(r.location)


def _app_link(html: str) -> str:
    match = re.search(r'<a class="button button--solid" href="([^"]+)">([^<]+)を開く</a>', html)
    assert match, "no link that opens the signer app"
    return htmllib.unescape(match.group(1))


def test_a_configured_signer_app_opens_by_link_and_qr_with_the_fetch_url_key_and_return_url(app, client, settings):
    settings["SIGNER_APP_URL_TEMPLATE"] = "vendor-signer://sign?fetch={fetch_url}&key={key}&return={return_url}"
    settings["SIGNER_APP_NAME"] = "まちの署名アプリ"
    app_id, sign_path = _signing_page(client)
    html = client.get(sign_path).get_data(as_text=True)
    link = _app_link(html)
    assert link.startswith("vendor-signer://sign?")
    query = parse_qs(urlsplit(link).query)
    fetch, key, back = query["fetch"][0], query["key"][0], query["return"][0]
    assert fetch.endswith(f"/api/v1/applications/{app_id}/signing") and back.endswith(f"/apply/d/{app_id}/sign")
    assert "「まちの署名アプリ」で" in html and "まちの署名アプリを開く" in html  # named from the settings
    assert 'aria-label="まちの署名アプリを開くQRコード"' in html and "<svg" in html
    # the fallback: both values as text, copy buttons that only JavaScript with the Clipboard API shows
    assert f'id="signing-fetch-url">{fetch}</code>' in html and f'id="signing-key">{key}</code>' in html
    assert html.count('data-copy="signing-') == 2 and html.count(" hidden>") >= 2
    assert 'src="/static/js/signing.js' in html
    # the key in the link opens the application for the app, and nothing else does
    r = client.get(urlsplit(fetch).path, headers={"X-Application-Key": key})
    assert r.status_code == 200 and r.get_json()["id"] == app_id
    assert "開発用" not in html


def test_without_a_signer_app_setting_only_the_values_to_copy_are_shown(app, client, settings):
    _app_id, sign_path = _signing_page(client)
    html = client.get(sign_path).get_data(as_text=True)
    assert "を開く</a>" not in html and "<svg" not in html.split("<main", 1)[1]
    assert "「署名アプリ」で" in html and 'id="signing-key"' in html and "確認する" in html


def test_the_page_asks_whether_the_signature_arrived(app, client, settings):
    app_id, _sign_path = _signing_page(client)
    state = client.get(f"/apply/d/{app_id}/sign/state")
    assert state.status_code == 200 and state.get_json() == {"signed": False, "error": None, "next_url": None}
    assert client.application.test_client().get(f"/apply/d/{app_id}/sign/state").status_code == 404  # not this browser's


def _dev_link(client, settings) -> tuple[str, str, str]:
    settings["JPKI_DEV_SIGNER"] = str(settings["JPKI_TRUST_ANCHORS"]).rsplit("/", 1)[0]
    app_id, sign_path = _signing_page(client)
    html = client.get(sign_path).get_data(as_text=True)
    assert "開発用の署名アプリを開く" in html
    link = _app_link(html)
    assert link.startswith("/dev/signer?")  # the documented default: this site, whatever its host
    return app_id, sign_path, link


def test_the_development_signer_plays_the_app_and_returns_to_the_application(app, client, settings):
    app_id, sign_path, link = _dev_link(client, settings)
    parts = urlsplit(link)
    assert parts.path == "/dev/signer" and set(parse_qs(parts.query)) == {"fetch_url", "key", "return_url"}
    phone = client  # the same phone: the same browser opens the app's page
    page = phone.get(path_of(link))
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "署名する内容" in html and "本人通知" in html
    assert re.search(r"[0-9a-f]{64}", html)  # the SHA-256 of what is signed
    r = phone.post("/dev/signer", data={**{k: v[0] for k, v in parse_qs(parts.query).items()},
                                        "csrf_token": csrf_from(html)})
    assert r.status_code == 303 and path_of(r.location) == sign_path  # the return URL
    back = phone.get(sign_path)
    assert back.status_code == 302 and back.location.endswith(f"/apply/d/{app_id}/submit")
    assert "署名を確認しました" in phone.get(path_of(back.location)).get_data(as_text=True)
    state = phone.get(f"/apply/d/{app_id}/sign/state").get_json()
    assert state["signed"] is True and state["next_url"].endswith("/submit")
    # the same link again, or the same form sent again: a replay, refused clearly
    again = phone.get(path_of(link))
    assert again.status_code == 409 and "すでに署名があります" in again.get_data(as_text=True)
    resent = phone.post("/dev/signer", data={**{k: v[0] for k, v in parse_qs(parts.query).items()},
                                             "csrf_token": csrf_from(html)})
    assert resent.status_code == 409 and "すでに署名があります" in resent.get_data(as_text=True)


def test_the_development_signer_refuses_hostile_links(app, client, settings):
    _app_id, _sign_path, link = _dev_link(client, settings)
    query = {k: v[0] for k, v in parse_qs(urlsplit(link).query).items()}

    def opened(**changes):
        return client.get("/dev/signer", query_string={**query, **changes})

    assert opened().status_code == 200
    r = opened(fetch_url="https://evil.example/api/v1/applications/x/signing")
    assert r.status_code == 400 and "開けません" in r.get_data(as_text=True)
    assert opened(return_url="https://evil.example/").status_code == 400  # no open redirect
    assert opened(fetch_url=query["fetch_url"].replace("/signing", "/status")).status_code == 400
    r = opened(key="bad-key")
    assert r.status_code == 404 and "申請が見つかりません" in r.get_data(as_text=True)
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=settings["SIGNING_KEY_MINUTES"] + 1)):
        r = opened()
    assert r.status_code == 410 and "有効期限が切れました" in r.get_data(as_text=True)
    assert opened().status_code == 200  # nothing was spent by the refusals
    assert unquote(query["return_url"]).startswith(settings["PUBLIC_BASE_URL"] or "http")


def test_the_development_signer_is_404_unless_on_and_never_in_production(app, client, settings):
    _app_id, _sign_path, link = _dev_link(client, settings)
    assert client.get(path_of(link)).status_code == 200
    settings["IS_PRODUCTION"] = True
    assert client.get(path_of(link)).status_code == 404
    assert client.post("/dev/signer", data={}).status_code in (400, 404)  # CSRF or the guard: never signs
    settings["IS_PRODUCTION"] = False
    settings["JPKI_DEV_SIGNER"] = "0"
    assert client.get(path_of(link)).status_code == 404


def test_a_production_start_refuses_the_development_signer():
    from core.settings import production_problems, read_settings
    problems = production_problems(read_settings({"ENV": "production", "JPKI_DEV_SIGNER": "1"}))
    assert any("JPKI_DEV_SIGNER" in p for p in problems)
    assert not any("JPKI_DEV_SIGNER" in p for p in production_problems(read_settings({"ENV": "production"})))


@pytest.mark.parametrize("template, ok", [
    ("vendor-signer://sign?f={fetch_url}&k={key}&r={return_url}", True),
    ("https://signer.example.jp/open?u={fetch_url}&s={signature_url}", True),
    ("javascript:alert(1)//{fetch_url}", False),
    ("data:text/html,{fetch_url}", False),
    ("vendor-signer://sign?k={key}", False),  # no fetch_url
    ("vendor-signer://sign?f={fetch_url}&x={secret_key}", False),  # unknown placeholder
    ("{fetch_url}", False),  # no scheme
])
def test_the_signer_app_template_is_checked_at_start(template, ok):
    from core.settings import SettingsError, read_settings
    if ok:
        assert read_settings({"SIGNER_APP_URL_TEMPLATE": template}).SIGNER_APP_URL_TEMPLATE == template
    else:
        with pytest.raises(SettingsError, match="SIGNER_APP_URL_TEMPLATE"):
            read_settings({"SIGNER_APP_URL_TEMPLATE": template})
