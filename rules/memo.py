"""Bounded memos for the pure functions of an evaluation (issue 10, "Speed of a first answer").

Each memo maps a key (what the function reads: the condition or rule, the locale, the answers
it looks at) to its result. Keys hold objects by identity (conditions, rules and procedures
live as long as their rulebook); an entry keeps its anchor, so an id is never reused while it
is cached, and a new rulebook (a new ruleset version) never meets an old entry. A memo is
emptied when it is full.

``off()`` turns every memo off (tests compare answers with and without them, so a function
that starts reading something its key leaves out is caught).
"""
from __future__ import annotations

import contextlib
from collections.abc import Callable, Hashable, Iterator
from typing import Any, Generic, TypeVar

V = TypeVar("V")
_ON = [True]
_ALL: list[Memo[Any]] = []


class Memo(Generic[V]):
    def __init__(self, size: int = 16384):
        self.size = size
        self._items: dict[Hashable, tuple[Any, V]] = {}
        _ALL.append(self)

    def get(self, key: Hashable, anchor: Any, build: Callable[[], V]) -> V:
        """``build()`` once per ``key`` (``anchor``: the object whose id the key holds)."""
        if not _ON[0]:
            return build()
        hit = self._items.get(key)
        if hit is not None and hit[0] is anchor:
            return hit[1]
        value = build()
        if len(self._items) >= self.size:
            self._items.clear()
        self._items[key] = (anchor, value)
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
