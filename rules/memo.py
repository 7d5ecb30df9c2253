"""Bounded memos for the pure functions of an evaluation (issue 10, "Speed of a first answer").

Each memo maps a key (what the function reads: the condition or rule, the locale, the answers
it looks at) to its result. Keys hold objects by identity (conditions, rules and procedures
live as long as their rulebook); an entry checks its anchor (the object whose id the key holds)
through a weak reference, so an entry never answers for a new object that took a dropped one's
id, and a new rulebook (a new ruleset version) never meets an old entry. The reference is weak
because a strong one kept every dropped rulebook, its native rulesets included (~30 MB each),
alive until the memo filled: each published pack version, each draft a curator checked. A memo
is emptied when it is full.

``off()`` turns every memo off (tests compare answers with and without them, so a function
that starts reading something its key leaves out is caught).
"""
from __future__ import annotations

import contextlib
import weakref
from collections.abc import Callable, Hashable, Iterator
from typing import Any, Generic, TypeVar

V = TypeVar("V")
_ON = [True]
_ALL: list[Memo[Any]] = []


class _Kept:
    """The anchor held strongly, for objects a weak reference cannot point at (tuples, None)."""
    __slots__ = ("anchor",)

    def __init__(self, anchor: Any):
        self.anchor = anchor

    def __call__(self) -> Any:
        return self.anchor


def _reference(anchor: Any) -> Callable[[], Any]:
    try:
        return weakref.ref(anchor)
    except TypeError:
        return _Kept(anchor)


class Memo(Generic[V]):
    def __init__(self, size: int = 16384):
        self.size = size
        self._items: dict[Hashable, tuple[Callable[[], Any], V]] = {}
        _ALL.append(self)

    def get(self, key: Hashable, anchor: Any, build: Callable[[], V]) -> V:
        """``build()`` once per ``key`` (``anchor``: the object whose id the key holds)."""
        if not _ON[0]:
            return build()
        hit = self._items.get(key)
        if hit is not None and hit[0]() is anchor:
            return hit[1]
        value = build()
        if len(self._items) >= self.size:
            self._items.clear()
        self._items[key] = (_reference(anchor), value)
        return value

    def clear(self) -> None:
        self._items.clear()


def enabled() -> bool:
    return _ON[0]


@contextlib.contextmanager
def off() -> Iterator[None]:
    """Every memo off (and emptied) inside the block: the reference answers, computed afresh."""
    was = _ON[0]
    _ON[0] = False
    for m in _ALL:
        m.clear()
    try:
        yield
    finally:
        _ON[0] = was
