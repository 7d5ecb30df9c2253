"""The evaluation memos (rules/memo.py): an entry never answers for another object, and never
keeps the object it was made for alive (a dropped rulebook must be freed, native rulesets and all)."""
import gc
import weakref

from rules.memo import Memo


class Anchor:
    pass


def test_an_entry_answers_for_its_anchor_only():
    memo: Memo[str] = Memo()
    first, second = Anchor(), Anchor()
    assert memo.get("k", first, lambda: "first") == "first"
    assert memo.get("k", first, lambda: "rebuilt") == "first"
    assert memo.get("k", second, lambda: "second") == "second"  # same key, another object: built afresh


def test_an_entry_does_not_keep_its_anchor_alive():
    memo: Memo[int] = Memo()
    anchor = Anchor()
    ref = weakref.ref(anchor)
    memo.get(id(anchor), anchor, lambda: 1)
    del anchor
    gc.collect()
    assert ref() is None
    # whatever object takes the dropped one's id next never meets its entry
    newcomer = Anchor()
    assert memo.get(id(newcomer), newcomer, lambda: 2) == 2


def test_anchors_a_weak_reference_cannot_point_at_are_kept_and_still_checked():
    memo: Memo[str] = Memo()
    table = (1, 2)
    assert memo.get("t", table, lambda: "a") == "a"
    assert memo.get("t", table, lambda: "b") == "a"
    assert memo.get("t", (1, 2, 3), lambda: "c") == "c"
    assert memo.get("n", None, lambda: "none") == "none" and memo.get("n", None, lambda: "x") == "none"
