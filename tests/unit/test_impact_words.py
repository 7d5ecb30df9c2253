"""rules.impact: a change reads in the console's language (Japanese or English), with the
procedures' ids and Japanese names as the files have them."""
from core.words import N_, Message
from rules.impact import Change


def test_a_change_reads_in_japanese_and_english():
    change = Change("H12", "moving_out", added=["kokuho_kanyu"], names={"kokuho_kanyu": "国民健康保険の加入"},
                    details=[("tenshutsu_todoke", "fees", "0円", "350円"), ("tenshutsu_todoke", "due_date", "2026-04-15", "")])
    assert change.summary() == ("+kokuho_kanyu（国民健康保険の加入）, tenshutsu_todoke 手数料 0円 → 350円, "
                                "tenshutsu_todoke 期限 2026-04-15 → —")
    assert change.summary("en") == ("+kokuho_kanyu（国民健康保険の加入）, tenshutsu_todoke Fee 0円 → 350円, "
                                    "tenshutsu_todoke Deadline 2026-04-15 → —")


def test_answers_the_draft_cannot_read_say_why_in_the_readers_language():
    change = Change("回答例 3", "death", error={"facts.dog": Message(N_("この質問はありません。"))})
    assert change.summary().startswith("この回答は新しい版では読めません：facts.dog: ")
    assert change.summary("en").startswith("The new version cannot read these answers: facts.dog: ")
