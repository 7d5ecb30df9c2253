"""staff/content_forms.py with knowledge/yaml_edit.update: the deadline form with its conditional
variants and the things-to-bring form with their conditions, read from what the page posts,
checked, and written back so that what the curator did not change stays as written, byte for byte.

The posted forms are built here exactly as staff/templates/staff/content/editor.html names its
fields (the web test in tests/web/test_content_forms.py posts the rendered page itself)."""
from __future__ import annotations

import difflib
from pathlib import Path

import pytest
import yaml

from knowledge.yaml_edit import update
from staff import content_forms as forms

PACK = Path(__file__).resolve().parents[2] / "knowledge" / "packs" / "kakogawa" / "procedures"
KOKUHO = PACK / "kokuho_kanyu.yaml"  # two variants (one with comments inside), conditional bring entries
FLOW = forms.CONDITION_KEYS


def _text_fields(name: str, words: dict[str, str]) -> dict[str, str]:
    return {f"{name}-{code}": value for code, value in words.items()}


def deadline_form(values: dict, **changes: str) -> dict[str, str]:
    """The deadline form as the page posts it, with ``changes`` typed over it."""
    form = {k: values[k] for k in forms.TIMING} | _text_fields("text", values["text"])
    form["variants"] = str(len(values["variants"]))
    for n, row in enumerate(values["variants"]):
        form |= row.form(f"v{n}-")
        if row.orig is not None:
            form[f"v{n}-orig"] = str(row.orig)
    form |= {"vnew-start": "event_date", "vnew-start_offset_days": "0", "action": "save"}
    return form | changes


def save_deadline(text: str, form: dict[str, str]) -> tuple[str, list]:
    old = yaml.safe_load(text)["deadline"]
    values = forms.posted_deadline(form, old)
    new, errors = forms.read_deadline(values, old)
    if errors:
        return text, errors
    origins = {("deadline", "variants"): [row.orig for row in values["variants"]]}
    return update(text, ("deadline",), new, flow=FLOW, origins=origins), errors


def bring_form(rows: list[forms.BringRow], **changes: str) -> dict[str, str]:
    form = {"rows": str(len(rows)), "action": "save"}
    for n, row in enumerate(rows):
        form |= {f"item-{n}": row.item, f"per-{n}": row.per, f"when-{n}": row.when, f"member-{n}": row.member}
        form |= _text_fields(f"note-{n}", row.note)
        if row.orig is not None:
            form[f"orig-{n}"] = str(row.orig)
    return form | changes


def save_bring(text: str, form: dict[str, str]) -> tuple[str, list]:
    old = yaml.safe_load(text)["bring"]
    rows = forms.move(forms.posted_bring_rows(form, old), form.get("action", "save"))
    known = {entry["item"] for entry in old} | {"proxy_letter"}
    new, errors = forms.read_bring(rows, old, known)
    if errors:
        return text, errors
    return update(text, ("bring",), new, flow=FLOW, origins={("bring",): [row.orig for row in rows]}), errors


def changed_lines(before: str, after: str) -> list[str]:
    return [line for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def _files_with(key: str) -> list[Path]:
    return sorted(p for p in PACK.glob("*.yaml") if key in p.read_text(encoding="utf-8"))


# --- saved unchanged: the same bytes ---------------------------------------------------------


@pytest.mark.parametrize("path", _files_with("  variants:"), ids=lambda p: p.stem)
def test_every_deadline_with_variants_saved_unchanged_is_the_same_file(path):
    text = path.read_text(encoding="utf-8")
    values = forms.deadline_values(yaml.safe_load(text)["deadline"])
    assert values["variants"], "the file has variants"
    out, errors = save_deadline(text, deadline_form(values))
    assert errors == [] and out == text


@pytest.mark.parametrize("path", _files_with("  when:"), ids=lambda p: p.stem)
def test_every_conditional_bring_list_saved_unchanged_is_the_same_file(path):
    text = path.read_text(encoding="utf-8")
    rows = forms.bring_rows(yaml.safe_load(text).get("bring"))
    if not any(row.conditional for row in rows):
        pytest.skip("no conditional thing to bring")
    out, errors = save_bring(text, bring_form(rows))
    assert errors == [] and out == text


# --- the deadline's variants -------------------------------------------------------------------


def test_the_form_shows_each_variant_with_its_condition():
    values = forms.deadline_values(yaml.safe_load(KOKUHO.read_text(encoding="utf-8"))["deadline"])
    first, second = values["variants"]
    assert first.when == "{event: {in: [marriage, divorce]}, facts.move: into_city}"
    assert (first.kind, first.amount, first.start, first.start_offset_days) == ("days", "14", "facts.move_date", "0")
    assert first.text["ja"] == "加古川市に住み始めた日から14日以内" and first.orig == 0
    assert (second.when, second.start, second.start_offset_days, second.orig) == (
        "{event: death}", "deceased.death_date", "1", 1)


def test_one_changed_field_of_a_variant_changes_only_its_line():
    text = KOKUHO.read_text(encoding="utf-8")
    values = forms.deadline_values(yaml.safe_load(text)["deadline"])
    out, errors = save_deadline(text, deadline_form(values, **{"v1-amount": "30"}))
    assert errors == []
    assert changed_lines(text, out) == ["-    amount: 14", "+    amount: 30"]
    assert yaml.safe_load(out)["deadline"]["variants"][1]["amount"] == 30

    out, _errors = save_deadline(text, deadline_form(values, **{"v0-when": "{event: marriage, facts.move: into_city}"}))
    assert changed_lines(text, out) == [
        "-  - when: {event: {in: [marriage, divorce]}, facts.move: into_city}",
        "+  - when: {event: marriage, facts.move: into_city}"]  # still in braces, on its line

    out, _errors = save_deadline(text, deadline_form(values, **{"v1-text-en": "Within 14 days of the day after"}))
    assert changed_lines(text, out) == [
        "-      en: Within 14 days from the day after the death (the day the cover as a dependant ended)",
        "+      en: Within 14 days of the day after"]


def test_variants_are_added_moved_and_removed_with_their_comments():
    text = KOKUHO.read_text(encoding="utf-8")
    values = forms.deadline_values(yaml.safe_load(text)["deadline"])
    new = {"vnew-when": "{facts.to_abroad: true}", "vnew-kind": "on_day", "vnew-text-ja": "出国する日まで",
           "vnew-text-en": "By the day you leave"}
    out, errors = save_deadline(text, deadline_form(values, **new))
    assert errors == []
    assert yaml.safe_load(out)["deadline"]["variants"][2] == {
        "when": {"facts.to_abroad": True}, "kind": "on_day", "text": {"ja": "出国する日まで", "en": "By the day you leave"}}
    assert "  - when: {facts.to_abroad: true}\n    kind: on_day\n" in out
    assert changed_lines(text, out)[0] == "+  - when: {facts.to_abroad: true}" and all(
        line.startswith("+") for line in changed_lines(text, out))

    moved, errors = save_deadline(text, deadline_form(values, action="up:1"))
    assert errors == []
    variants = yaml.safe_load(moved)["deadline"]["variants"]
    assert [v["when"] for v in variants] == [{"event": "death"}, {"event": {"in": ["marriage", "divorce"]}, "facts.move": "into_city"}]
    death = moved.index("  - when: {event: death}")
    assert moved.index("    # the dependants' cover ends on the day AFTER the death") > death  # its comment went with it
    assert sorted(moved.splitlines()) == sorted(text.splitlines())  # only the order of lines changed

    removed, errors = save_deadline(text, deadline_form(values, action="remove:0"))
    assert errors == []
    assert [v["when"] for v in yaml.safe_load(removed)["deadline"]["variants"]] == [{"event": "death"}]
    assert all(line.startswith("-") for line in changed_lines(text, removed))

    removed, errors = save_deadline(removed, deadline_form(
        forms.deadline_values(yaml.safe_load(removed)["deadline"]), action="remove:0"))
    assert errors == [] and "variants" not in yaml.safe_load(removed)["deadline"]
    assert yaml.safe_load(removed)["bring"] == yaml.safe_load(text)["bring"]


def test_what_the_form_does_not_show_of_a_variant_stays():
    text = ("id: p\ndeadline:\n  kind: days\n  amount: 14\n  start: event_date\n  text: {ja: 十四日, en: 14 days}\n"
            "  variants:\n  - when: {event: death}\n    kind: days\n    amount: 7\n    start_offset_days: 0\n"
            "    text:\n      ja: 七日\n      en: 7 days\n      easy: なのか\n    extra: kept\nbring: []\n")
    values = forms.deadline_values(yaml.safe_load(text)["deadline"])
    assert save_deadline(text, deadline_form(values)) == (text, [])  # the written defaults stay written
    out, errors = save_deadline(text, deadline_form(values, **{"v0-amount": "10"}))
    assert errors == [] and changed_lines(text, out) == ["-    amount: 7", "+    amount: 10"]
    out, errors = save_deadline(text, deadline_form(values, **{"v0-text-ja": "十日"}))
    variant = yaml.safe_load(out)["deadline"]["variants"][0]
    assert variant["text"] == {"ja": "十日", "en": "7 days", "easy": "なのか"} and variant["extra"] == "kept"


@pytest.mark.parametrize("changes, field_id, msgid_part", [
    ({"v0-when": ""}, "v0-when", "条件を入れてください"),
    ({"v0-when": "died abroad"}, "v0-when", "「名前: 値」の組"),
    ({"v0-when": "{a: [1"}, "v0-when", "「名前: 値」の組"),
    ({"v1-kind": "weeks"}, "v1-kind", "期限の種類を選んで"),
    ({"v1-kind": "none"}, "v1-amount", "日数・月数は入れません"),
    ({"v0-amount": "0"}, "v0-amount", "1 から 3650"),
    ({"v1-start": "../x"}, "v1-start", "数え始める日は"),
    ({"v1-start_offset_days": "-1"}, "v1-start_offset_days", "0 から 31"),
    ({"v0-text-en": ""}, "v0-text-en", "日本語と英語の両方"),
    ({"vnew-when": "{event: birth}"}, "v2-kind", "期限の種類を選んで"),  # a new variant half filled in
])
def test_a_wrong_variant_is_an_error_at_its_field_in_japanese(changes, field_id, msgid_part):
    text = KOKUHO.read_text(encoding="utf-8")
    values = forms.deadline_values(yaml.safe_load(text)["deadline"])
    out, errors = save_deadline(text, deadline_form(values, **changes))
    assert out == text
    assert any(e["field_id"] == field_id and msgid_part in e["message"].msgid for e in errors), errors


def test_a_refused_form_shows_what_was_typed_in_the_moved_rows():
    text = KOKUHO.read_text(encoding="utf-8")
    values = forms.deadline_values(yaml.safe_load(text)["deadline"])
    posted = forms.posted_deadline(deadline_form(values, **{"v0-amount": "x", "action": "down:0"}),
                                   yaml.safe_load(text)["deadline"])
    assert [(r.orig, r.amount) for r in posted["variants"]] == [(1, "14"), (0, "x")]
    _new, errors = forms.read_deadline(posted, yaml.safe_load(text)["deadline"])
    assert [e["field_id"] for e in errors] == ["v1-amount"]  # where the row now stands


# --- things to bring with their conditions ------------------------------------------------------


def test_bring_rows_show_their_conditions_and_say_they_have_them():
    rows = forms.bring_rows(yaml.safe_load(KOKUHO.read_text(encoding="utf-8"))["bring"])
    card = rows[2]
    assert card.item == "residence_card" and card.conditional
    assert card.when == "{event: {in: [moving_in, moving_within, marriage, divorce]}}"
    assert card.member == "{nationality: foreign}"
    assert not rows[0].conditional


def test_moved_conditional_entries_keep_their_lines_and_a_changed_condition_only_its_own():
    text = KOKUHO.read_text(encoding="utf-8")
    rows = forms.bring_rows(yaml.safe_load(text)["bring"])
    out, errors = save_bring(text, bring_form(rows, action="down:2"))
    assert errors == []
    assert sorted(out.splitlines()) == sorted(text.splitlines())  # the same lines, comments included
    assert [b["item"] for b in yaml.safe_load(out)["bring"]][2:4] == ["kokuho_loss_certificate", "residence_card"]
    assert yaml.safe_load(out)["bring"][3] == yaml.safe_load(text)["bring"][2]

    out, errors = save_bring(text, bring_form(rows, **{"when-3": "{facts.insurance_after: kokuho, event: moving_in}"}))
    assert errors == [] and changed_lines(text, out) == [
        "-  when: {facts.insurance_after: kokuho}", "+  when: {facts.insurance_after: kokuho, event: moving_in}"]

    out, errors = save_bring(text, bring_form(rows, **{"when-3": ""}))
    assert errors == [] and changed_lines(text, out) == ["-  when: {facts.insurance_after: kokuho}"]

    out, errors = save_bring(text, bring_form(rows, **{"when-0": "{facts.by_proxy: false}"}))
    assert errors == [] and changed_lines(text, out) == ["+  when: {facts.by_proxy: false}"]
    assert out.index("- item: id_document\n  when: {facts.by_proxy: false}\n  note:") > 0  # after the item


def test_a_condition_field_not_posted_keeps_the_saved_condition():
    text = KOKUHO.read_text(encoding="utf-8")
    rows = forms.bring_rows(yaml.safe_load(text)["bring"])
    form = {k: v for k, v in bring_form(rows, action="remove:0").items() if not k.startswith(("when-", "member-"))}
    out, errors = save_bring(text, form)
    assert errors == [] and yaml.safe_load(out)["bring"] == yaml.safe_load(text)["bring"][1:]
    assert all(line.startswith("-") for line in changed_lines(text, out))


def test_a_new_entry_may_carry_conditions_and_wrong_ones_are_errors_at_the_field():
    text = KOKUHO.read_text(encoding="utf-8")
    rows = forms.bring_rows(yaml.safe_load(text)["bring"])
    out, errors = save_bring(text, bring_form(rows, **{"item-new": "proxy_letter", "when-new": "{facts.by_proxy: true}"}))
    assert errors == [] and yaml.safe_load(out)["bring"][-1] == {"item": "proxy_letter", "when": {"facts.by_proxy": True}}
    assert out.count("- item: proxy_letter\n  when: {facts.by_proxy: true}\n") == 1

    _out, errors = save_bring(text, bring_form(rows, **{"when-1": "only when raining"}))
    assert [(e["field_id"], "「名前: 値」の組" in e["message"].msgid) for e in errors] == [("when-1", True)]
    _out, errors = save_bring(text, bring_form(rows, **{"member-0": "{age: {gte: 65}}"}))
    assert [e["field_id"] for e in errors] == ["per-0"]  # a person's condition needs 「人ごとに1つ」
