"""The console's forms for the common fields (staff/content_forms.py, knowledge/yaml_edit.py): a
procedure's deadline and things to bring, a counter of departments.yaml. Each rewrites only its
block of the draft's file (the rest, comments included, stays as written), re-shows what was typed
when it is refused, and goes through the same check as the YAML editor."""
from __future__ import annotations

import difflib
import re
from html.parser import HTMLParser

import yaml

from core import policy
from tests.web.test_content_console import _file, _new_draft, _post

PROC = "procedures/juminhyo_utsushi.yaml"


def _rest(text: str, key: str) -> list[str]:
    """The file's lines outside the top-level block ``key``."""
    out, inside = [], False
    for line in text.splitlines():
        if re.match(r"^[a-z_]+:", line):
            inside = line.startswith(f"{key}:")
        if not inside:
            out.append(line)
    return out


def test_the_deadline_form_rewrites_only_the_deadline_and_refuses_bad_input_keeping_it(app, staff_client):
    client = staff_client(policy.CURATOR)
    _id, url = _new_draft(client)
    before = _file(client, url, PROC)
    page = client.get(f"{url}/file/{PROC}").get_data(as_text=True)
    assert 'id="deadline-title"' in page and 'list="deadline-starts"' in page and "event_date" in page

    r = _post(client, f"{url}/deadline/{PROC}", {"kind": "days", "amount": "０", "start": "event_date",
                                                 "text-ja": "14日以内", "text-en": ""}, page=url)
    body = r.get_data(as_text=True)
    assert r.status_code == 400
    assert "1 から 3650 までの整数" in body and "日本語と英語の両方" in body
    assert 'value="14日以内"' in body  # nothing typed is lost

    r = _post(client, f"{url}/deadline/{PROC}", {"kind": "days", "amount": "14", "start": "event_date",
                                                 "start_offset_days": "0", "text-ja": "14日以内",
                                                 "text-en": "Within 14 days"}, page=url)
    assert r.status_code == 302, r.get_data(as_text=True)[:300]
    after = _file(client, url, PROC)
    assert yaml.safe_load(after)["deadline"] == {"kind": "days", "amount": 14,
                                                 "text": {"ja": "14日以内", "en": "Within 14 days"}}
    assert _rest(after, "deadline") == _rest(before, "deadline")  # the comment line and the rest as written
    assert after.startswith("# 住民票の写し")


def test_things_to_bring_add_reorder_remove_keep_their_conditions(app, staff_client):
    client = staff_client(policy.CURATOR)
    _id, url = _new_draft(client)
    before = _file(client, url, PROC)
    page = client.get(f"{url}/file/{PROC}").get_data(as_text=True)
    assert '<datalist id="bring-items">' in page and '<option value="id_document">' in page
    assert "facts.by_proxy" in page  # the condition is shown
    assert re.search(r'id="item-0-hint"[^>]*>\s*本人確認書類', page)  # the item's name beside its id

    rows = {"rows": "2", "orig-0": "0", "item-0": "id_document", "per-0": "procedure",
            "note-0-ja": "窓口に来る人の分", "note-0-en": "For the person who comes to the counter",
            "orig-1": "1", "item-1": "proxy_letter", "per-1": "procedure",
            "note-1-ja": "代理人が届け出る場合", "note-1-en": "If a proxy files it for you"}
    r = _post(client, f"{url}/bring/{PROC}", {**rows, "item-new": "no_such_thing", "action": "save"}, page=url)
    assert r.status_code == 400 and "no_such_thing" in r.get_data(as_text=True)
    assert "bring.yaml）にありません" in r.get_data(as_text=True)

    r = _post(client, f"{url}/bring/{PROC}", {**rows, "action": "up:1"}, page=url)
    assert r.status_code == 302
    bring = yaml.safe_load(_file(client, url, PROC))["bring"]
    assert [b["item"] for b in bring] == ["proxy_letter", "id_document"]
    assert bring[0]["when"] == {"facts.by_proxy": True}  # its condition moved with it
    assert _rest(_file(client, url, PROC), "bring") == _rest(before, "bring")

    rows2 = {"rows": "2", "orig-0": "0", "item-0": "proxy_letter", "per-0": "procedure",
             "note-0-ja": "代理人が届け出る場合", "note-0-en": "If a proxy files it for you",
             "orig-1": "1", "item-1": "id_document", "per-1": "procedure", "note-1-ja": "", "note-1-en": ""}
    r = _post(client, f"{url}/bring/{PROC}", {**rows2, "action": "remove:0", "item-new": "proxy_letter",
                                              "per-new": "procedure"}, page=url)
    assert r.status_code == 302
    bring = yaml.safe_load(_file(client, url, PROC))["bring"]
    assert bring == [{"item": "id_document"}, {"item": "proxy_letter"}]  # a new one has no condition

    html = client.get(f"{url}/check").get_data(as_text=True)
    assert "確認の結果" in html


def test_a_counter_is_changed_and_added_with_pick_lists(app, staff_client):
    client = staff_client(policy.CURATOR)
    _id, url = _new_draft(client)
    before = _file(client, url, "departments.yaml")
    page = client.get(f"{url}/counters").get_data(as_text=True)
    assert 'value="shimin_madoguchi"' in page and "窓口を加える" in page

    page = client.get(f"{url}/counters?counter=shimin_madoguchi").get_data(as_text=True)
    assert 'name="name-ja"' in page and "市民課 窓口" in page
    assert client.get(f"{url}/counters?counter=nowhere").status_code == 404

    form = {"counter": "shimin_madoguchi", "name-ja": "市民課 窓口", "name-en": "Citizens Division counter",
            "building-ja": "市役所", "building-en": "City Hall", "phone": "電話して"}
    r = _post(client, f"{url}/counters", form, page=f"{url}/counters")
    assert r.status_code == 400 and 'value="電話して"' in r.get_data(as_text=True)
    r = _post(client, f"{url}/counters", {**form, "phone": "012-345-6789", "floor": "1F"}, page=f"{url}/counters")
    assert r.status_code == 302
    after = _file(client, url, "departments.yaml")
    counters = yaml.safe_load(after)["departments"][0]["counters"]
    assert counters[0]["phone"] == "012-345-6789" and counters[0]["floor"] == "1F"
    assert after.splitlines()[:10] == before.splitlines()[:10]  # the comments at the top stay
    assert len(after.splitlines()) == len(before.splitlines()) + 2

    new = {"department": "shimin", "id": "shimin_new", "name-ja": "新しい窓口", "name-en": "New counter"}
    r = _post(client, f"{url}/counters", {**new, "id": "shimin_madoguchi"}, page=f"{url}/counters")
    assert r.status_code == 400 and "すでにあります" in r.get_data(as_text=True)
    r = _post(client, f"{url}/counters", new, page=f"{url}/counters")
    assert r.status_code == 302
    ids = [c["id"] for c in yaml.safe_load(_file(client, url, "departments.yaml"))["departments"][0]["counters"]]
    assert ids[-1] == "shimin_new"


def test_hostile_or_broken_input_to_the_forms_is_a_clear_4xx(app, staff_client):
    client = staff_client(policy.CURATOR)
    _id, url = _new_draft(client)
    r = _post(client, f"{url}/deadline/bring.yaml", {"kind": "days"}, page=url)
    assert r.status_code == 404  # not a procedure
    r = _post(client, f"{url}/bring/../../etc/passwd", {"rows": "1"}, page=url)
    assert r.status_code in (400, 404)
    for form in ({"rows": "999999999999", "action": "save"}, {"rows": "x", "action": "down:99"},
                 {"rows": "1", "orig-0": "99", "item-0": "id_document", "per-0": "everyone", "action": "up:-1"}):
        r = _post(client, f"{url}/bring/{PROC}", form, page=url)
        assert r.status_code in (302, 400), (form, r.status_code)
    r = _post(client, f"{url}/deadline/{PROC}", {"kind": "weeks", "amount": "1e9", "start": "../x",
                                                 "start_offset_days": "-1", "text-ja": "<script>", "text-en": "x"}, page=url)
    body = r.get_data(as_text=True)
    assert r.status_code == 400 and "期限の種類を選んでください" in body and "&lt;script&gt;" in body

    # a file the forms cannot read: 400 with the words, nothing lost
    assert client.post(f"{url}/file/{PROC}", data={"csrf_token": _token(client, url), "content": "id: [broken\n"}).status_code == 302
    r = _post(client, f"{url}/deadline/{PROC}", {"kind": "none", "text-ja": "なし", "text-en": "None"}, page=url)
    assert r.status_code == 400 and "フォームでは変更できません" in r.get_data(as_text=True)
    assert _file(client, url, PROC) == "id: [broken\n"
    r = _post(client, f"{url}/counters", {"counter": "nowhere", "name-ja": "x", "name-en": "x"}, page=f"{url}/counters")
    assert r.status_code == 404
    r = _post(client, f"{url}/counters", {"name-ja": "x", "name-en": "x", "id": "new_one"}, page=f"{url}/counters")
    assert r.status_code == 400 and "窓口を置く課を選んでください" in r.get_data(as_text=True)


def _token(client, url):
    from tests.conftest import csrf_from
    return csrf_from(client.get(url).get_data(as_text=True))


def test_the_counter_of_a_procedure_is_picked_from_the_list_and_brings_its_department(app, staff_client):
    client = staff_client(policy.CURATOR)
    _id, url = _new_draft(client)
    page = client.get(f"{url}/file/{PROC}").get_data(as_text=True)
    assert re.search(r'<option value="shimin_madoguchi" selected>', page)
    deps = yaml.safe_load(_file(client, url, "departments.yaml"))["departments"]
    other = next((c["id"], d["id"]) for d in deps if d["id"] != "shimin" for c in d["counters"])
    r = _post(client, f"{url}/place/{PROC}", {"counter": "no_such_counter"}, page=url)
    assert r.status_code == 400 and "窓口を一覧から選んでください" in r.get_data(as_text=True)
    r = _post(client, f"{url}/place/{PROC}", {"counter": other[0]}, page=url)
    assert r.status_code == 302
    data = yaml.safe_load(_file(client, url, PROC))
    assert (data["counter"], data["department"]) == other


def test_a_new_curator_adds_a_procedure_its_rule_and_a_scenario_from_the_browser(app, staff_client):
    """The walk of the issue: a new procedure from the starter, a rule that lists it, a scenario
    that expects it; the check names what is still empty, then passes."""
    import html as htmlmod
    client = staff_client(policy.CURATOR)
    _id, url = _new_draft(client)
    page = client.get(f"{url}?starter=procedure").get_data(as_text=True)
    starter = htmlmod.unescape(re.search(r'<textarea[^>]*id="content"[^>]*>(.*?)</textarea>', page, re.S)[1])
    assert 'value="procedures/"' in page and "department:" in starter and "verified: false" in starter
    path = "procedures/shiken_todoke.yaml"
    r = _post(client, f"{url}/files", {"path": path, "content": starter}, page=url)
    assert r.status_code == 302
    html = client.get(f"{url}/check").get_data(as_text=True)
    assert "空にはできません" in html and "name › ja" in html  # what to write, where

    data = yaml.safe_load(starter)
    data.update(id="shiken_todoke", name={"ja": "試験の届出", "en": "Test notification"},
                description={"ja": "試験のための届出です。", "en": "A notification for the test."},
                source_url="https://example.org/shiken")
    data["deadline"]["text"] = {"ja": "期限はありません", "en": "No deadline"}
    from tests.web.test_content_console import _save
    assert _save(client, url, path, yaml.safe_dump(data, allow_unicode=True, sort_keys=False)).status_code == 302

    rules = "rules/moving_in.yaml"
    editor = client.get(f"{url}/file/{rules}").get_data(as_text=True)
    assert '<datalist id="procedure-ids">' in editor and '<option value="shiken_todoke">試験の届出</option>' in editor
    r = _post(client, f"{url}/rules/{rules}", {"rule_id": "tennyu", "procedure": "nothing", "when": "dog"}, page=url)
    body = r.get_data(as_text=True)
    assert r.status_code == 400 and "すでにあります" in body and "一覧から選んで" in body and "「名前: 値」の組" in body
    r = _post(client, f"{url}/rules/{rules}", {"rule_id": "shiken_dog", "procedure": "shiken_todoke",
                                               "when": "{facts.dog: true}"}, page=url)
    assert r.status_code == 302
    assert yaml.safe_load(_file(client, url, rules))["rules"][-1] == {
        "id": "shiken_dog", "procedure": "shiken_todoke", "when": {"facts.dog": True}}

    scenarios = "scenarios/moving_in.yaml"
    names = [s["name"] for s in yaml.safe_load(_file(client, url, scenarios))]
    dog = next(n for n, s in enumerate(yaml.safe_load(_file(client, url, scenarios)))
               if s["request"]["facts"].get("dog") is True)
    r = _post(client, f"{url}/scenarios/{scenarios}", {"copy": str(dog), "name": names[0], "include": "shiken_todoke"},
              page=url)
    assert r.status_code == 400 and "同じ名前のシナリオ" in r.get_data(as_text=True)
    r = _post(client, f"{url}/scenarios/{scenarios}", {"copy": str(dog), "name": "犬のいる世帯は試験の届出も",
                                                       "include": "shiken_todoke"}, page=url)
    assert r.status_code == 302
    added = yaml.safe_load(_file(client, url, scenarios))[-1]
    assert added["name"] == "犬のいる世帯は試験の届出も" and "shiken_todoke" in added["expect"]["include"]

    html = client.get(f"{url}/check").get_data(as_text=True)
    assert "問題は見つかりませんでした" in html, re.sub(r"<[^>]+>", " ", html[html.find("check-title"):])[:1200]
    found = re.search(r"(\d+) / (\d+) 件が期待どおり", html)
    assert found and found[1] == found[2]


# --- the deadline's conditional variants and conditional things to bring, through the page ----------

VARIANTS = "procedures/kokuho_kanyu.yaml"  # two variants (comments inside one), conditional bring entries


class _Fields(HTMLParser):
    """What a browser sends for one form of a page (its inputs, selected options; no buttons)."""

    def __init__(self, action: str):
        super().__init__()
        self.action, self.inside, self.select, self.fields = action, False, None, {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = (a.get("action") or "").endswith(self.action)
        elif not self.inside:
            return
        elif tag == "input" and a.get("name") and a.get("type") != "submit":
            self.fields[a["name"]] = a.get("value") or ""
        elif tag == "select":
            self.select = a["name"]
            self.fields.setdefault(self.select, None)
        elif tag == "option" and self.select:
            if self.fields[self.select] is None or "selected" in a:
                self.fields[self.select] = (a.get("value") or "", "selected" in a)

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select" and self.select:
            value = self.fields[self.select]
            self.fields[self.select] = value[0] if value else ""
            self.select = None


def _form_of(page: str, action: str) -> dict[str, str]:
    parser = _Fields(action)
    parser.feed(page)
    assert parser.fields, f"no form ending {action}"
    return parser.fields


def _diff(before: str, after: str) -> list[str]:
    return [line for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def test_the_deadline_form_edits_each_variant_and_a_save_unchanged_keeps_the_file(app, staff_client):
    client = staff_client(policy.CURATOR)
    _id, url = _new_draft(client)
    before = _file(client, url, VARIANTS)
    page = client.get(f"{url}/file/{VARIANTS}").get_data(as_text=True)
    assert "条件つきの期限（variants）" in page and "2番目の条件つきの期限" in page
    form = _form_of(page, f"/deadline/{VARIANTS}")
    assert form["v0-when"] == "{event: {in: [marriage, divorce]}, facts.move: into_city}"
    assert (form["v1-when"], form["v1-start"], form["v1-start_offset_days"], form["v1-kind"]) == (
        "{event: death}", "deceased.death_date", "1", "days")

    r = _post(client, f"{url}/deadline/{VARIANTS}", {**form, "action": "save"}, page=url)
    assert r.status_code == 302
    assert _file(client, url, VARIANTS) == before  # the same bytes, comments inside the variant included

    r = _post(client, f"{url}/deadline/{VARIANTS}", {**form, "v1-amount": "30", "action": "save"}, page=url)
    assert r.status_code == 302
    after = _file(client, url, VARIANTS)
    assert _diff(before, after) == ["-    amount: 14", "+    amount: 30"]

    bad = {**form, "v1-amount": "30", "v0-when": "", "vnew-when": "{facts.to_abroad: true}", "vnew-kind": "on_day",
           "vnew-text-ja": "出国する日まで", "vnew-text-en": "", "action": "save"}
    r = _post(client, f"{url}/deadline/{VARIANTS}", bad, page=url)
    body = r.get_data(as_text=True)
    assert r.status_code == 400
    assert re.search(r'id="v0-when-error"[^>]*>.*?条件を入れてください', body, re.S)
    assert re.search(r'id="v2-text-en-error"[^>]*>.*?日本語と英語の両方', body, re.S)
    assert 'value="{facts.to_abroad: true}"' in body and 'value="出国する日まで"' in body  # nothing typed is lost
    assert _file(client, url, VARIANTS) == after

    shown = _form_of(body, f"/deadline/{VARIANTS}")
    fixed = {**shown, "v0-when": form["v0-when"], "v2-text-en": "By the day you leave", "action": "remove:1"}
    r = _post(client, f"{url}/deadline/{VARIANTS}", fixed, page=url)
    assert r.status_code == 302
    variants = yaml.safe_load(_file(client, url, VARIANTS))["deadline"]["variants"]
    assert [v["when"] for v in variants] == [{"event": {"in": ["marriage", "divorce"]}, "facts.move": "into_city"},
                                             {"facts.to_abroad": True}]
    assert _rest(_file(client, url, VARIANTS), "deadline") == _rest(before, "deadline")


def test_things_to_bring_show_and_keep_their_conditions_through_saves_and_moves(app, staff_client):
    client = staff_client(policy.CURATOR)
    _id, url = _new_draft(client)
    before = _file(client, url, VARIANTS)
    page = client.get(f"{url}/file/{VARIANTS}").get_data(as_text=True)
    assert "3番目の持ち物（条件つき）" in page and "1番目の持ち物（条件つき）" not in page
    form = _form_of(page, f"/bring/{VARIANTS}")
    assert form["member-2"] == "{nationality: foreign}"

    r = _post(client, f"{url}/bring/{VARIANTS}", {**form, "action": "save"}, page=url)
    assert r.status_code == 302 and _file(client, url, VARIANTS) == before

    r = _post(client, f"{url}/bring/{VARIANTS}", {**form, "action": "down:2"}, page=url)
    assert r.status_code == 302
    moved = _file(client, url, VARIANTS)
    assert sorted(moved.splitlines()) == sorted(before.splitlines())  # its comments and conditions moved with it
    assert yaml.safe_load(moved)["bring"][3] == yaml.safe_load(before)["bring"][2]

    form = _form_of(client.get(f"{url}/file/{VARIANTS}").get_data(as_text=True), f"/bring/{VARIANTS}")
    r = _post(client, f"{url}/bring/{VARIANTS}", {**form, "when-2": "{facts.insurance_after: kokuho, event: death}",
                                                  "action": "save"}, page=url)
    assert r.status_code == 302
    assert _diff(moved, _file(client, url, VARIANTS)) == [
        "-  when: {facts.insurance_after: kokuho}", "+  when: {facts.insurance_after: kokuho, event: death}"]

    r = _post(client, f"{url}/bring/{VARIANTS}", {**form, "member-0": "{age: {gte: 65}}", "action": "save"}, page=url)
    assert r.status_code == 400 and "人ごとの条件（member）があるため" in r.get_data(as_text=True)
    assert 'value="{age: {gte: 65}}"' in r.get_data(as_text=True)
