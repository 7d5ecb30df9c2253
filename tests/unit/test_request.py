"""Reading a guidance request: every field checked, messages per field in Japanese and English."""
import pytest

from core.languages import CODES
from rules.request import InvalidRequest, read_request
from rules.vocabulary import load_vocabulary

V = load_vocabulary()
EVENTS = {"moving_in", "moving_within", "moving_out", "birth", "death", "marriage", "divorce"}


def read(body):
    return read_request(body, V, EVENTS)


def errors_of(body):
    with pytest.raises(InvalidRequest) as info:
        read(body)
    return info.value.errors


def test_a_full_request_is_read():
    s = read({"event": "moving_in", "event_date": "2026-04-01", "facts": {"dog": True, "from_abroad": "unknown"},
              "members": [{"relation": "self", "age": 35, "insurance": "unknown"}], "locale": "en"})
    assert s.values == {"event": "moving_in", "facts.dog": True}  # unknown = unanswered
    assert s.members[0]["age"] == 35 and "insurance" not in s.members[0]
    assert s.members[0]["public_school"] is True  # the documented default
    assert s.locale == "en"


def test_members_absent_is_not_the_same_as_no_members():
    assert read({"event": "death"}).members is None
    assert read({"event": "death", "members": []}).members == ()


@pytest.mark.parametrize("body, field", [
    ({"event": "moving_on"}, "event"),
    ({"event": "moving_in", "event_date": "2026-13-01"}, "event_date"),
    ({"event": "moving_in", "event_date": "01/04/2026"}, "event_date"),
    ({"event": "moving_in", "facts": {"dog": "yes"}}, "facts.dog"),
    ({"event": "moving_in", "facts": {"cat": True}}, "facts.cat"),
    ({"event": "moving_in", "facts": []}, "facts"),
    ({"event": "moving_in", "members": [{"age": -1}]}, "members[0].age"),
    ({"event": "moving_in", "members": [{"age": 200}]}, "members[0].age"),
    ({"event": "moving_in", "members": [{"age": "35"}]}, "members[0].age"),
    ({"event": "moving_in", "members": [{"age": True}]}, "members[0].age"),
    ({"event": "moving_in", "members": [{"insurance": "nhi"}]}, "members[0].insurance"),
    ({"event": "moving_in", "members": "two"}, "members"),
    ({"event": "moving_in", "members": [{}] * 21}, "members"),
    ({"event": "death", "deceased": {"age": 1.5}}, "deceased.age"),
    ({"event": "moving_in", "facts": {"moveout_planned_date": "tomorrow"}}, "facts.moveout_planned_date"),
    ({"event": "moving_in", "locale": "fr"}, "locale"),
    ({"event": "moving_in", "explain": "yes"}, "explain"),
    ({"event": "moving_in", "extra": 1}, "extra"),
])
def test_bad_input_gets_a_message_for_that_field(body, field):
    errors = errors_of(body)
    assert field in errors
    assert all(errors[field].text(locale) for locale in CODES)


def test_several_problems_are_reported_together():
    errors = errors_of({"event": "x", "members": [{"age": -3, "relation": "cousin"}]})
    assert {"event", "members[0].age", "members[0].relation"} <= set(errors)


def test_non_object_body():
    assert "(body)" in errors_of([1, 2])
