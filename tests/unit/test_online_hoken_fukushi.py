"""The 国保・後期高齢・介護・障害 procedures put online for issue 15: the guide offers their forms
where the form fits the household, and not where another notification ends the insurance
(国保 ends with the 転出届 or the 死亡届: kokuho_soshitsu's ``online_unless``)."""
import pytest

from rules.evaluate import evaluate
from rules.request import read_request


def run(book, event, facts, members):
    body = {"event": event, "event_date": "2026-04-01", "facts": facts, "locale": "ja", "members": members}
    return evaluate(book, read_request(body, book.vocab, set(book.events)))


def listed(result, pid):
    return next((p for p in result["procedures"] if p["id"] == pid), None)


KOKUHO_ADULT = [{"relation": "self", "age": 27, "insurance": "kokuho", "pension": "first", "mynumber_card": True}]


def test_leaving_kokuho_for_a_workplace_insurance_is_offered_online(rulebook):
    r = run(rulebook, "marriage", {"move": "within", "surname_change": False, "insurance_after": "shaho"},
            KOKUHO_ADULT)
    assert listed(r, "kokuho_soshitsu")["online"]["available"] is True


@pytest.mark.parametrize(("event", "facts"), [
    ("moving_out", {}),
    ("divorce", {"divorce_type": "agreement", "surname_change": False, "move": "out_of_city", "to_hyogo": True,
                 "insurance_after": "kokuho"}),
])
def test_leaving_kokuho_by_a_move_out_is_not_offered_online(rulebook, event, facts):
    r = run(rulebook, event, facts, KOKUHO_ADULT)
    assert listed(r, "kokuho_soshitsu")["online"]["available"] is False


@pytest.mark.parametrize("pid", [
    "kokuho_henko", "kokuho_soshitsu", "kokuho_sosaihi", "kokuho_shussan_ichijikin", "kouki_sosaihi",
    "kaigo_henko", "kaigo_shikaku_shomei", "kaigo_jukyu_shikaku", "shogai_iryo_henko", "shogaisha_techo_henko",
])
def test_the_procedure_is_online_and_says_the_city_confirms_its_processing_time(rulebook, pid):
    from intake.forms import load_forms
    assert rulebook.kb.procedures[pid].online
    form = load_forms("kakogawa")[pid]
    assert form.definition.review.standard_processing_days is None
    assert "確認が必要" in form.definition.review.standard_processing_source
