"""Reload by generation (ENGINEERING.md §1.8): build, validate and test a new rulebook, then swap
it in with one assignment. Requests hold the rulebook they started with."""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from rules.ruleset import Rulebook

log = logging.getLogger(__name__)


class ScenarioFailure(RuntimeError):
    pass


class RulebookHolder:
    def __init__(self, build: Callable[[], Rulebook], verify: Callable[[Rulebook], list[str]] | None = None):
        self._build = build
        self._verify = verify
        self._reload_lock = threading.Lock()
        self.generation = 0
        self.current: Rulebook = self._prepare()
        self.generation = 1

    def _prepare(self) -> Rulebook:
        book = self._build()
        failures = self._verify(book) if self._verify else []
        if failures:
            raise ScenarioFailure("scenarios fail on the new rules:\n" + "\n".join(failures))
        return book

    def reload(self) -> Rulebook:
        """Swap in a freshly built rulebook; on any error the current one stays."""
        with self._reload_lock:
            book = self._prepare()
            self.current = book  # the one assignment readers see
            self.generation += 1
            log.info("rules reloaded", extra={"ruleset_version": book.version, "generation": self.generation})
            return book
