"""The curators' console (/staff/content, staff/content_views.py): drafts, the editor and the fees
form, the checks and the impact, publishing now or from a day, withdrawing, the history with its
diffs, rollback, and who may do what (core/policy.py)."""
from __future__ import annotations

import io
import re

import yaml

from core import policy
from tests.conftest import csrf_from

FEE_FILE = "procedures/juminhyo_utsushi.yaml"
LISTED_FILE = "procedures/tenshutsu_todoke.yaml"  # listed by the 転出 scenarios, with a fee of 0 yen


def _post(client, url: str, data: dict | None = None, page: str = "/staff/content/", **kw):
    token = csrf_from(client.get(page).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **(data or {})}, **kw)


def _new_draft(client) -> tuple[int, str]:
    r = _post(client, "/staff/content/drafts")
    assert r.status_code == 302, r.status_code
    draft_id = int(re.search(r"/drafts/(\d+)$", r.location)[1])
    return draft_id, f"/staff/content/drafts/{draft_id}"


def _file(client, draft_url: str, path: str) -> str:
    html = client.get(f"{draft_url}/file/{path}").get_data(as_text=True)
    found = re.search(r'<textarea[^>]*id="content"[^>]*>(.*?)</textarea>', html, re.S)
    assert found, html[:500]
    import html as htmlmod
    return htmlmod.unescape(found[1])


def _save(client, draft_url: str, path: str, text: str):
    return _post(client, f"{draft_url}/file/{path}", {"content": text}, page=f"{draft_url}/file/{path}")


def _publish(client, draft_url: str, reason: str, **extra):
    """The two steps: the confirmation page, then 「公開する」 on it (with the digest it shows)."""
    form = {"reason": reason, "when": "now", **extra}
    r = _post(client, f"{draft_url}/publish/confirm", form, page=draft_url)
    if r.status_code != 200:
        return r
    digest = re.search(r'name="confirmed" value="([0-9a-f]+)"', r.get_data(as_text=True))[1]
    return _post(client, f"{draft_url}/publish", {**form, "confirmed": digest}, page=draft_url)


def test_overview_shows_the_version_in_force_and_makes_a_draft(app, staff_client):
    client = staff_client(policy.CURATOR)
    html = client.get("/staff/content/").get_data(as_text=True)
    assert "公開中の版" in html and "v1" in html and "リポジトリのファイル" in html
    assert "新しい下書きを作る" in html
    assert 'href="/staff/content/"' in client.get("/staff/").get_data(as_text=True)  # on the console home
    _draft_id, url = _new_draft(client)
    page = client.get(url)
    assert page.status_code == 200
    assert "v1 をもとにした下書き" in page.get_data(as_text=True)
    assert "変更したファイルはありません" in page.get_data(as_text=True)
    assert f'href="{url}"' in client.get("/staff/content/").get_data(as_text=True)  # my drafts


def test_browse_search_and_read_a_file(app, staff_client):
    client = staff_client(policy.CURATOR)
    html = client.get("/staff/content/files").get_data(as_text=True)
    assert "procedures/" in html and FEE_FILE in html
    html = client.get("/staff/content/files?q=amount_yen").get_data(as_text=True)
    assert FEE_FILE in html and "amount_yen: 300" in html
    page = client.get(f"/staff/content/v/1/file/{FEE_FILE}")
    assert page.status_code == 200
    assert '<pre class="code code--numbered"' in page.get_data(as_text=True)
    assert 'id="L28"' in page.get_data(as_text=True)


def test_a_fee_from_a_future_day_ends_the_open_fee_and_the_change_is_published(app, staff_client):
    client = staff_client(policy.CURATOR)
    _id, url = _new_draft(client)
    editor = client.get(f"{url}/file/{FEE_FILE}").get_data(as_text=True)
    assert "手数料を追加" in editor and "ほかの行とコメントはそのまま" in editor and 'spellcheck="false"' in editor

    r = _post(client, f"{url}/fees/{FEE_FILE}", {"amount_yen": "３５０円", "unit_ja": "1通", "unit_en": "per copy",
                                                 "channel": "any", "valid_from": "2027-04-01"}, page=url)
    assert r.status_code == 400 and "0 以上の整数" in r.get_data(as_text=True)
    r = _post(client, f"{url}/fees/{FEE_FILE}", {"amount_yen": "350", "unit_ja": "1通", "unit_en": "per copy",
                                                 "channel": "any", "valid_from": "2026-01-01"}, page=url)
    assert r.status_code == 400 and "明日以降" in r.get_data(as_text=True)
    r = _post(client, f"{url}/fees/{FEE_FILE}", {"amount_yen": "350", "unit_ja": "1通", "unit_en": "per copy",
                                                 "channel": "any", "valid_from": "2027-04-01"}, page=url)
    assert r.status_code == 302
    fees = yaml.safe_load(_file(client, url, FEE_FILE))["fees"]
    assert _file(client, url, FEE_FILE).startswith("# 住民票の写し")  # only the fees were rewritten
    assert [(f["amount_yen"], str(f["valid_from"]), str(f.get("valid_to"))) for f in fees] == [
        (300, "2000-04-01", "2027-03-31"), (350, "2027-04-01", "None")]
    assert "2027-03-31" in client.get(url).get_data(as_text=True)  # the diff

    html = client.get(f"{url}/check").get_data(as_text=True)
    assert "問題は見つかりませんでした" in html
    assert "この変更で結果が変わるシナリオ" in html

    r = _publish(client, url, "")
    assert r.status_code == 400 and "公開の理由を書いてください" in r.get_data(as_text=True)
    r = _publish(client, url, "住民票の写しの手数料を2027年4月1日から350円に改定")
    assert r.status_code == 302
    assert "v2 を公開しました" in client.get(r.location).get_data(as_text=True)

    from core import pack_versions
    with app.app_context():
        assert pack_versions.current("kakogawa").number == 2
    app.extensions["rulebook"].refresh()  # what every worker does within RULES_RELOAD_SECONDS
    assert app.extensions["pack_source"].number == 2
    fees = app.extensions["rulebook"].current.kb.procedures["juminhyo_utsushi"].fees
    assert [f.amount_yen for f in fees] == [300, 350]

    history = client.get("/staff/content/history").get_data(as_text=True)
    assert "住民票の写しの手数料" in history and "公開中" in history
    changes = client.get("/staff/content/v/2/changes").get_data(as_text=True)
    assert "+  valid_to: 2027-03-31" in changes or "valid_to: 2027-03-31" in changes


def test_the_impact_lists_the_scenarios_a_change_alters(app, staff_client):
    client = staff_client(policy.CURATOR)
    _id, url = _new_draft(client)
    text = _file(client, url, LISTED_FILE)
    assert _save(client, url, LISTED_FILE, text.replace("amount_yen: 0", "amount_yen: 100", 1)).status_code == 302
    saved = client.get(f"{url}/file/{LISTED_FILE}?done=saved").get_data(as_text=True)
    assert "保存しました。「確認する」で問題がないか調べてください。" in saved
    html = client.get(f"{url}/check").get_data(as_text=True)
    found = re.search(r"この変更で結果が変わるシナリオ：(\d+)件", html)
    assert found and int(found[1]) > 0, html[html.find("impact-title"):][:800]
    assert "tenshutsu_todoke（転出届） 手数料 0円" in html and "100円" in html  # the name beside the id


def test_a_broken_file_shows_file_line_problems_and_cannot_be_published(app, staff_client):
    client = staff_client(policy.CURATOR)
    _id, url = _new_draft(client)
    text = _file(client, url, FEE_FILE)
    assert _save(client, url, FEE_FILE, text.replace("amount_yen: 300", "amount_yen: -300", 1)).status_code == 302
    html = client.get(f"{url}/check").get_data(as_text=True)
    assert "次の問題を直すと公開できます" in html
    row = re.search(r"<tr>\s*<td><a[^>]*>(procedures/juminhyo_utsushi\.yaml)</a></td>\s*<td[^>]*>(\d+)</td>\s*"
                    r"<td[^>]*>([^<]*)</td>", html)
    assert row, html[html.find("problems-caption"):][:1000]
    assert row[2] == "28" and row[3] == "fees › 1番目 › amount_yen"  # items counted from 1
    assert "0 以上にしてください。" in html and "Input should be" not in html  # in Japanese
    assert "pack-versions" not in html

    r = _publish(client, url, "手数料の改定（壊れた版）")
    assert r.status_code == 409
    body = r.get_data(as_text=True)
    assert "公開できません" in body and "手数料の改定（壊れた版）" in body  # the reason is kept
    from core import pack_versions
    with app.app_context():
        assert pack_versions.current("kakogawa").number == 1


def test_a_scheduled_version_waits_for_its_day_and_can_be_withdrawn(app, staff_client):
    client = staff_client(policy.CURATOR)
    _id, url = _new_draft(client)
    text = _file(client, url, FEE_FILE)
    _save(client, url, FEE_FILE, text.replace("ja: 1通", "ja: １通", 1))
    r = _publish(client, url, "4月1日から", when="date", effective_on="2026-12-01")
    assert r.status_code == 400 and "明日以降" in r.get_data(as_text=True)
    r = _publish(client, url, "4月1日から", when="date", effective_on="2027-04-01")
    assert r.status_code == 302
    assert "2027-04-01 00:00（日本時間） から使われます" in client.get(r.location).get_data(as_text=True)
    from core import pack_versions
    with app.app_context():
        version = pack_versions.by_number("kakogawa", 2)
        assert pack_versions.aware(version.effective_from).isoformat() == "2027-03-31T15:00:00+00:00"
        assert pack_versions.current("kakogawa").number == 1
    overview = client.get("/staff/content/").get_data(as_text=True)
    assert "v2 を取り下げる" in overview
    assert "予約" in client.get("/staff/content/history").get_data(as_text=True)
    r = _post(client, "/staff/content/v/2/withdraw")
    assert r.status_code == 302
    history = client.get(r.location).get_data(as_text=True)
    assert "v2 の予約を取り下げました" in history and "取り下げ" in history
    assert _post(client, "/staff/content/v/2/withdraw").status_code == 409


def test_rollback_is_a_new_version_with_the_old_files(app, staff_client):
    client = staff_client(policy.CURATOR)
    _id, url = _new_draft(client)
    text = _file(client, url, FEE_FILE)
    _save(client, url, FEE_FILE, text.replace("ja: 1通", "ja: １通", 1))
    assert _publish(client, url, "単位の表記").status_code == 302
    history = client.get("/staff/content/history").get_data(as_text=True)
    assert "v1 に戻す" in history
    confirm = client.get("/staff/content/v/1/rollback")
    assert confirm.status_code == 200 and "v1 に戻す" in confirm.get_data(as_text=True)
    r = _post(client, "/staff/content/v/1/rollback", {"reason": ""}, page="/staff/content/v/1/rollback")
    assert r.status_code == 302
    html = client.get(r.location).get_data(as_text=True)
    assert "v3 として戻しました" in html
    from core import pack_versions
    with app.app_context():
        v3 = pack_versions.current("kakogawa")
        assert (v3.number, v3.restores_number, v3.reason) == (3, 1, "v1 に戻す")
        assert v3.digest == pack_versions.by_number("kakogawa", 1).digest
    changes = client.get("/staff/content/v/3/changes").get_data(as_text=True)
    assert "-    ja: １通" in changes and "+    ja: 1通" in changes


def test_the_auditor_reads_the_history_and_diffs_only(app, staff_client):
    curator = staff_client(policy.CURATOR)
    curator.get("/staff/content/")  # v1
    auditor = staff_client(policy.AUDITOR)
    history = auditor.get("/staff/content/history")
    assert history.status_code == 200
    assert "に戻す" not in history.get_data(as_text=True)
    assert auditor.get("/staff/content/v/1/changes").status_code == 200
    assert auditor.get("/staff/content/").status_code == 403
    assert auditor.get("/staff/content/v/1/rollback").status_code == 403
    token = csrf_from(history.get_data(as_text=True))
    for url in ("/staff/content/drafts", "/staff/content/v/1/rollback", "/staff/content/v/1/withdraw"):
        assert auditor.post(url, data={"csrf_token": token}).status_code == 403, url
    home = auditor.get("/staff/").get_data(as_text=True)
    assert 'href="/staff/content/history"' in home and 'href="/staff/content/"' not in home


def test_counter_staff_get_403_everywhere(app, staff_client):
    client = staff_client(policy.COUNTER)
    for url in ("/staff/content/", "/staff/content/history", "/staff/content/files", "/staff/content/v/1/changes",
                f"/staff/content/v/1/file/{FEE_FILE}", "/staff/content/drafts/1"):
        assert client.get(url).status_code == 403, url
    token = csrf_from(client.get("/staff/").get_data(as_text=True))
    assert client.post("/staff/content/drafts", data={"csrf_token": token}).status_code == 403
    assert "/staff/content" not in client.get("/staff/").get_data(as_text=True)


def test_paths_outside_the_pack_are_refused(app, staff_client):
    client = staff_client(policy.CURATOR)
    _id, url = _new_draft(client)
    assert client.get("/staff/content/v/1/file/../app.py").status_code == 400
    assert client.get("/staff/content/v/1/file/%2Fetc%2Fpasswd", follow_redirects=True).status_code == 400
    assert client.get(f"{url}/file/../app.py").status_code == 400
    for bad in ("../app.py", "/etc/passwd", "procedures/../../app.py", "static/x.yaml"):
        r = _post(client, f"{url}/files", {"path": bad, "content": "a: 1\n"}, page=url)
        assert r.status_code == 400, bad
        assert "このファイル名は使えません" in r.get_data(as_text=True)
    r = _post(client, f"{url}/files", {"path": "procedures/new_one.yaml", "content": "id: new_one\n"}, page=url)
    assert r.status_code == 302 and r.location.endswith(f"{url}/file/procedures/new_one.yaml?done=saved")
    # adding never replaces a file (a curator's walk lost 転居届 that way): editing does
    r = _post(client, f"{url}/files", {"path": "procedures/tenkyo_todoke.yaml", "content": "id: x\n"}, page=url)
    assert r.status_code == 409 and "同じ名前のファイルがあります" in r.get_data(as_text=True)
    assert "id: x" in r.get_data(as_text=True)  # what was typed is kept
    assert _file(client, url, "procedures/tenkyo_todoke.yaml").startswith("id: tenkyo_todoke") or \
        "id: tenkyo_todoke" in _file(client, url, "procedures/tenkyo_todoke.yaml")


def test_another_curators_draft_is_not_found(app, staff_client):
    mine = staff_client(policy.CURATOR)
    _id, url = _new_draft(mine)
    other = staff_client(policy.CURATOR)
    assert other.get(url).status_code == 404
    assert other.get(f"{url}/file/{FEE_FILE}").status_code == 404
    assert other.get(f"/staff/content/files?draft={_id}").status_code == 404
    assert _post(other, f"{url}/publish", {"reason": "x", "when": "now"}).status_code == 404
    assert _post(other, f"{url}/discard").status_code == 404
    assert mine.get(url).status_code == 200


BOUNDARY = "content-console-test"


def _multipart(token: str, name: str, data: bytes) -> bytes:
    """The body as bytes (the test client spools a large one it builds to a file it never closes)."""
    parts = [f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'.encode(),
             f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="folder"\r\n\r\nprocedures\r\n'.encode(),
             f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
             f'Content-Type: application/yaml\r\n\r\n'.encode() + data + b"\r\n", f"--{BOUNDARY}--\r\n".encode()]
    return b"".join(parts)


def test_upload_replaces_a_file_and_refuses_oversized_ones(app, staff_client):
    client = staff_client(policy.CURATOR)
    _id, url = _new_draft(client)
    token = csrf_from(client.get(url).get_data(as_text=True))
    text = _file(client, url, FEE_FILE).replace("ja: 1通", "ja: １通", 1)
    r = client.post(f"{url}/upload", data={"csrf_token": token, "folder": "procedures",
                                           "file": (io.BytesIO(text.encode()), "juminhyo_utsushi.yaml")},
                    content_type="multipart/form-data")
    assert r.status_code == 302 and r.location.endswith(f"/file/{FEE_FILE}?done=saved")
    assert "１通" in _file(client, url, FEE_FILE)
    big = b"a: " + b"x" * 2_100_000 + b"\n"
    r = client.post(f"{url}/upload", data=_multipart(token, "big.yaml", big),
                    content_type=f"multipart/form-data; boundary={BOUNDARY}")
    assert r.status_code == 413
    assert "ファイルが大きすぎます（2 MB まで）" in r.get_data(as_text=True)
    r = client.post(f"{url}/upload", data={"csrf_token": token, "folder": "",
                                           "file": (io.BytesIO(b"x"), "notes.txt")}, content_type="multipart/form-data")
    assert r.status_code == 400 and ".yaml" in r.get_data(as_text=True)


def test_discard_and_remove(app, staff_client):
    client = staff_client(policy.CURATOR)
    _draft_id, url = _new_draft(client)
    r = _post(client, f"{url}/remove", {"remove-path": "procedures/gentsuki_haisha.yaml"}, page=url)
    assert r.status_code == 302
    assert "procedures/gentsuki_haisha.yaml（削除）" in client.get(url).get_data(as_text=True)
    assert _post(client, f"{url}/remove", {"remove-path": ""}, page=url).status_code == 400
    r = _post(client, f"{url}/discard", page=url)
    assert r.status_code == 302 and "下書きを削除しました" in client.get(r.location).get_data(as_text=True)
    assert client.get(url).status_code == 404


def test_the_editor_is_enhanced_by_a_local_script_and_an_expired_session_returns_to_it(app, staff_client):
    """Line numbers, highlighting and the kept unsaved text are static/js/content-editor.js (served
    by the app, over a plain textarea); a save sent after the session ended goes to the login and
    from there back to the editor (where the script puts the unsaved text back)."""
    import datetime as dt
    from urllib.parse import parse_qs, urlsplit

    from sqlalchemy import select

    from core.db import db
    from core.staff_models import StaffSession

    client = staff_client(policy.CURATOR)
    _id, url = _new_draft(client)
    editor_url = f"{url}/file/{FEE_FILE}"
    page = client.get(editor_url).get_data(as_text=True)
    assert re.search(r'<textarea[^>]*id="content"[^>]*data-editor data-storage-key="\d+:procedures/juminhyo_utsushi.yaml"'
                     r' data-saved-digest="[0-9a-f]{16}"', page)
    assert '/static/js/content-editor.js' in page and "https://" not in page.split("content-editor.js")[0][-200:]
    served = client.get("/static/js/content-editor.js")
    assert served.status_code == 200 and b"sessionStorage" in served.data
    served.close()
    token = csrf_from(page)
    with app.app_context():
        for s in db.session.scalars(select(StaffSession)):
            s.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
        db.session.commit()
    r = client.post(editor_url, data={"csrf_token": token, "content": "id: x\n"},
                    headers={"Referer": f"http://localhost{editor_url}"})
    assert r.status_code == 303
    target = urlsplit(r.location)
    assert target.path == "/staff/login" and parse_qs(target.query)["next"] == [editor_url]
    r = client.post(editor_url, data={"csrf_token": token, "content": "id: x\n"},
                    headers={"Referer": f"http://localhost{editor_url}", "Accept": "application/json"})
    assert r.status_code == 401  # a script's call is told, not redirected
    r = client.post(editor_url, data={"csrf_token": token, "content": "id: x\n"},
                    headers={"Referer": "http://elsewhere.example/staff/content/"})
    assert r.status_code == 401  # never back to another host


def test_publishing_shows_a_confirmation_first_and_refuses_a_draft_changed_since(app, staff_client):
    client = staff_client(policy.CURATOR)
    _id, url = _new_draft(client)
    text = _file(client, url, LISTED_FILE)
    assert _save(client, url, LISTED_FILE, text.replace("amount_yen: 0", "amount_yen: 100", 1)).status_code == 302
    assert f'action="{url}/publish/confirm"' in client.get(url).get_data(as_text=True)

    form = {"reason": "転出届の手数料を試しに変える", "when": "date", "effective_on": "2030-04-01"}
    r = _post(client, f"{url}/publish", form, page=url)  # one click on an old form: only the summary
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "公開の確認" in html
    for words in ("変更したファイル", "1件", LISTED_FILE, "問題なし", "結果が変わるシナリオ",
                  "2030-04-01 00:00（日本時間）", "転出届の手数料を試しに変える"):
        assert words in html, words
    from core import pack_versions
    with app.app_context():
        assert pack_versions.current("kakogawa").number == 1  # nothing published yet
    digest = re.search(r'name="confirmed" value="([0-9a-f]+)"', html)[1]

    assert _save(client, url, LISTED_FILE, text.replace("amount_yen: 0", "amount_yen: 200", 1)).status_code == 302
    r = _post(client, f"{url}/publish", {**form, "confirmed": digest}, page=url)
    assert r.status_code == 409 and "下書きが変わりました" in r.get_data(as_text=True)
    with app.app_context():
        assert pack_versions.current("kakogawa").number == 1
    new_digest = re.search(r'name="confirmed" value="([0-9a-f]+)"', r.get_data(as_text=True))[1]
    r = _post(client, f"{url}/publish", {**form, "confirmed": new_digest}, page=url)
    assert r.status_code == 302 and "done=scheduled" in r.location


def test_a_new_procedure_without_the_packs_other_languages_is_a_warning_not_a_blocker(app, staff_client):
    client = staff_client(policy.CURATOR)
    _id, url = _new_draft(client)
    text = _file(client, url, FEE_FILE)
    data = yaml.safe_load(text)
    new = text.replace("id: juminhyo_utsushi", "id: shiken_shomei", 1).replace(
        f"  ja: {data['name']['ja']}\n", "  ja: 試験用の証明書\n", 1).replace(
        f"  ja: {data['description']['ja']}\n", "  ja: 試験のための手続きです。\n", 1)
    new = re.sub(r"(?m)^  easy: .*\n", "", new, count=1)  # the name's やさしい日本語 goes with the old name
    new = new.replace("online: true", "online: false", 1)  # no online form for it
    r = _post(client, f"{url}/files", {"path": "procedures/shiken_shomei.yaml", "content": new}, page=url)
    assert r.status_code == 302
    html = client.get(f"{url}/check").get_data(as_text=True)
    assert "問題は見つかりませんでした" in html, re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html[html.find("check-title"):]))[:1500]  # still publishable
    warning = re.search(r'<li class="content-text"><a href="[^"]*shiken_shomei.yaml">procedures/shiken_shomei.yaml</a>'
                        r"（(\d+)行目）：([^<]*)", html)
    assert warning, html[html.find("warnings-title"):][:1500]
    assert warning[2].startswith("name：easy, zh, ko, vi, pt で書かれていない文が2件あります（name、description）")
    warnings = html[html.find("warnings-title"):html.find("impact-title")]
    assert warnings.count("<li") == 1  # the others are whole


def test_the_preview_of_a_draft_that_fails_the_check_says_so(app, staff_client):
    import html as htmlmod
    client = staff_client(policy.CURATOR)
    _id, url = _new_draft(client)

    def preview_link() -> str:
        found = re.search(r'href="(/preview/start\?token=[^"]+)"', client.get(url).get_data(as_text=True))
        assert found
        return htmlmod.unescape(found[1])

    r = client.get(preview_link())
    assert r.status_code == 302 and r.location.endswith("/")  # a good draft: the guide, with the draft
    client.post("/preview/end")
    text = _file(client, url, FEE_FILE)
    assert _save(client, url, FEE_FILE, text.replace("amount_yen: 300", "amount_yen: -300", 1)).status_code == 302
    r = client.get(preview_link())
    assert r.status_code == 302 and "why=failing" in r.location
    page = client.get(r.location).get_data(as_text=True)
    assert "この下書きはプレビューできません" in page and "確認で問題が見つかった" in page and "期限" not in page
    assert "why=expired" in client.get("/preview/start?token=forged").location
    ended = client.get("/preview/ended?why=expired").get_data(as_text=True)
    assert "期限（1時間）が過ぎました" in ended


def test_a_failing_scenario_reads_in_japanese_at_its_file_line_and_expectation(app, staff_client):
    client = staff_client(policy.CURATOR)
    _id, url = _new_draft(client)
    path = "scenarios/moving_in.yaml"
    text = _file(client, url, path)
    wrong = text.replace("    include: [tennyu_todoke, mynumber_card_address]\n",
                         "    include: [tennyu_todoke, kokuho_kanyu]\n", 1).replace("tennyu_todoke: 2026-04-15", "tennyu_todoke: 2026-04-16", 1)
    assert wrong != text and _save(client, url, path, wrong).status_code == 302
    html = client.get(f"{url}/check").get_data(as_text=True)
    assert "次の問題を直すと公開できます" in html
    line = wrong.splitlines().index("    include: [tennyu_todoke, kokuho_kanyu]") + 1
    row = re.search(r"<tr>\s*<td><a[^>]*>(scenarios/moving_in\.yaml)</a></td>\s*<td[^>]*>(\d+)</td>\s*"
                    r"<td[^>]*>([^<]*)</td>\s*<td[^>]*>「kokuho_kanyu」が結果にありません。</td>", html)
    assert row, html[html.find("problems-caption"):][:1500]
    assert row[2] == str(line) and row[3] == "単身・会社の健康保険・カードありで転入 › expect › include › 2番目"
    assert "「tennyu_todoke」の期限が 2026-04-15 です（期待は 2026-04-16）。" in html
    assert "missing kokuho_kanyu" not in html and "expected" not in html  # no English left

    english = client.get(f"{url}/check?lang=en").get_data(as_text=True)  # the console in English: the same, in English
    assert "&#39;kokuho_kanyu&#39; is missing from the result." in english or "'kokuho_kanyu' is missing from the result." in english
