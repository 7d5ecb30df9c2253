"""How long the questionnaire takes, worked out from the questions it asks (no Flask here).

The first page used to promise 「2分くらい」; a family of four measured 6–8 minutes on a phone for
転入 (issue 12). The estimate is now the number of answers a household gives for the event times
the time one answer took in that measurement: the walk of a family of four through 転入 asks up
to 57 answers, so one answer took 360/57 ≈ 6.3 to 480/57 ≈ 8.4 seconds; rounded out to 6–9
seconds. The answers are counted as the questionnaire itself counts its pages (guide.flow), with
every answer still open, so a question asked only in some cases is counted (an upper bound).
"""
from __future__ import annotations

from dataclasses import dataclass

from guide import flow
from knowledge.loader import KnowledgeBase
from knowledge.schema import LifeEvent
from rules.vocabulary import Vocabulary

SECONDS_PER_ANSWER = (6, 9)  # measured: 57 answers in 6–8 minutes (a family of four, 転入, on a phone)
HOUSEHOLDS = (1, 4)  # the sizes the first page names


@dataclass(frozen=True)
class Estimate:
    people: int
    answers: int  # at most, for this many people
    low_minutes: int
    high_minutes: int
    seconds_per_answer: tuple[int, int] = SECONDS_PER_ANSWER


def answers_asked(kb: KnowledgeBase, vocab: Vocabulary, event: LifeEvent, people: int) -> int:
    """The answers the questionnaire asks of ``people`` people at most (every condition open)."""
    answers = {"n": str(people)}
    count = 0
    for step in flow.steps(kb, vocab, event, answers):
        if step.kind in ("person", "person_more"):
            count += len(flow.person_questions(kb, vocab, event, answers, step))
        else:
            count += 1
    return count


def _minutes(answers: int, seconds: int) -> int:
    return max(1, round(answers * seconds / 60))


def estimates(kb: KnowledgeBase, vocab: Vocabulary, event: LifeEvent) -> list[Estimate]:
    """The time for a household of one and of four (HOUSEHOLDS), from the answers each gives.
    Kept on the knowledge base object per event (a new generation starts afresh)."""
    kept = kb.__dict__.setdefault("_duration_estimates", {})
    if event.id not in kept:
        out = []
        for people in HOUSEHOLDS:
            n = answers_asked(kb, vocab, event, people)
            low, high = (_minutes(n, s) for s in SECONDS_PER_ANSWER)
            out.append(Estimate(people, n, low, max(high, low + 1)))
        kept[event.id] = out
    return kept[event.id]
