"""The questions added with the procedures of procedures.md "Additions", walked as a browser does:
every page is read, and all of its fields are sent (hidden ones included)."""
import html as htmllib
import re
from urllib.parse import parse_qsl, urlsplit

FIELD = re.compile(r"<input\b[^>]*>")


def _fields(page: str) -> dict[str, list[str]]:
    """Names of the page's inputs with the values offered (radios) or held (hidden, text)."""
    out: dict[str, list[str]] = {}
    for tag in FIELD.findall(page):
        name = re.search(r'name="([^"]+)"', tag)
        if not name:
            continue
        value = re.search(r'value="([^"]*)"', tag)
        out.setdefault(htmllib.unescape(name.group(1)), []).append(htmllib.unescape(value.group(1)) if value else "")
    return out


def walk(client, event: str, answers: dict[str, str]) -> tuple[str, list[str], list[str]]:
    """Answer the questionnaire up to the check page. Radios not in ``answers`` get 「わからない」;
    returns the result page, the page paths visited and the field names seen."""
    url, visited, seen = f"/guide/{event}/date", [], []
    for _ in range(60):
        if "/check" in url:
            break
        page = client.get(url).get_data(as_text=True)
        fields = _fields(page)
        visited.append(urlsplit(url).path)
        seen.extend(fields)
        form = dict(parse_qsl(urlsplit(url).query))
        for name, values in fields.items():
            if name in answers:
                form[name] = answers[name]
            elif len(values) > 1:  # radios
                form[name] = "unknown" if "unknown" in values else values[0]
            else:
                form[name] = values[0]
        r = client.get(urlsplit(url).path, query_string=form)
        assert r.status_code == 302, (url, re.findall(r"＊[^<]*", r.get_data(as_text=True)))
        url = r.location
    else:
        raise AssertionError("the questionnaire did not reach the check page")
    check = client.get(url).get_data(as_text=True)
    assert "まだ答えていない質問" not in check
    result_url = re.search(rf'href="(/guide/{event}/result\?[^"]+)"', check).group(1).replace("&amp;", "&")
    return client.get(result_url).get_data(as_text=True), visited, seen


DATE = {"date-year": "2026", "date-month": "4", "date-day": "1"}


def test_birth_asks_whether_the_parents_are_married_and_lists_the_optional_acknowledgement(client):
    result, visited, _ = walk(client, "birth", {**DATE, "n": "1", "m0.relation": "self", "m0.insurance": "kokuho",
                                                "f.single_parent": "yes", "f.born_abroad": "no"})
    assert "/guide/birth/q-parents_married" in visited
    assert "認知届" in result and "任意の届出です" in result
    married, _, _ = walk(client, "birth", {**DATE, "n": "1", "m0.relation": "self", "m0.insurance": "kokuho",
                                           "f.single_parent": "no", "f.born_abroad": "no"})
    assert "出生届" in married and "認知届" not in married


def test_nursery_question_only_for_young_children_and_kindergarten_alone_is_not_a_nursery(client):
    people = {"n": "3", "m0.relation": "self", "m0.age": "33", "m1.relation": "child", "m1.age": "3",
              "m2.relation": "child", "m2.age": "8", "m1.school": "preschool", "m2.school": "elementary"}
    result, _, seen = walk(client, "moving_within", {**DATE, **people, "m1.daycare": "yes"})
    assert "m1.daycare" in seen and "m2.daycare" not in seen and "m0.daycare" not in seen
    assert "保育所等の利用申込み（入所・転園）" in result and "幼児保育課" in result
    kindergarten, _, _ = walk(client, "moving_within", {**DATE, **people, "m1.daycare": "no"})
    assert "転居届" in kindergarten and "保育所等の利用申込み" not in kindergarten


def test_moving_abroad_asks_and_lists_the_card_for_japanese_cardholders_only(client):
    people = {"n": "2", "m0.relation": "self", "m0.age": "40", "m1.relation": "spouse", "m1.age": "38",
              "m0.nationality": "japanese", "m1.nationality": "foreign", "m0.mynumber_card": "yes",
              "m1.mynumber_card": "yes"}
    result, visited, _ = walk(client, "moving_out", {**DATE, **people, "f.to_abroad": "yes"})
    assert "/guide/moving_out/q-to_abroad" in visited
    assert "マイナンバーカードの国外継続利用" in result and "転出予定日の前日まで" in result
    domestic, _, _ = walk(client, "moving_out", {**DATE, **people, "f.to_abroad": "no"})
    assert "転出届" in domestic and "国外継続利用" not in domestic
    people.update({"m0.nationality": "foreign"})
    foreign, _, _ = walk(client, "moving_out", {**DATE, **people, "f.to_abroad": "yes"})
    assert "転出届" in foreign and "国外継続利用" not in foreign


def test_english_result_names_the_new_procedures(client):
    r = client.get("/guide/birth/result?date=2026-04-01&n=1&m0.relation=self&f.single_parent=yes",
                   headers={"Accept-Language": "en"})
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and "Notification of acknowledgement of paternity" in page
    assert "No time limit (optional)" in page
