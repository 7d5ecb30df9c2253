"""Reload by generation (ENGINEERING.md §1.8): build, validate and test a new rulebook, then swap
it in with one assignment. Requests hold the rulebook they started with; a rulebook that fails
to load or fails its scenarios never replaces a working one."""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from knowledge.yamlfile import KnowledgeError
from rules.ruleset import Rulebook

log = logging.getLogger(__name__)


class ScenarioFailure(RuntimeError):
    pass


def files_fingerprint(*roots: Path) -> tuple:
    """Cheap change detection: names, sizes and modification times of the knowledge files."""
    return tuple(sorted((str(p), p.stat().st_size, p.stat().st_mtime_ns)
                        for root in roots for p in root.rglob("*.yaml")))


class RulebookHolder:
    def __init__(self, build: Callable[[], Rulebook], verify: Callable[[Rulebook], list[str]] | None = None,
                 fingerprint: Callable[[], tuple] | None = None, interval: float = 0.0,
                 on_change: Callable[[str, Rulebook | None, str | None], None] | None = None):
        self._build = build
        self._verify = verify
        self._fingerprint = fingerprint
        self._interval = interval
        self._on_change = on_change  # (outcome, new rulebook, problem): e.g. an audit record
        self._reload_lock = threading.Lock()
        self._seen = fingerprint() if fingerprint else ()
        self._checked_at = time.monotonic()
        self.current: Rulebook = self._prepare()
        self.generation = 1
        self.last_error: str | None = None

    def _prepare(self) -> Rulebook:
        book = self._build()
        failures = self._verify(book) if self._verify else []
        if failures:
            raise ScenarioFailure("scenarios fail on the new rules:\n" + "\n".join(failures))
        return book

    def reload(self) -> Rulebook:
        """Swap in a freshly built rulebook; on any error the current one stays and it raises."""
        with self._reload_lock:
            book = self._prepare()
            self.current = book  # the one assignment readers see
            self.generation += 1
            log.info("rules reloaded", extra={"ruleset_version": book.version, "generation": self.generation})
            return book

    def maybe_reload(self) -> Rulebook:
        """At most every ``interval`` seconds, reload if the files changed (curators' edits)."""
        if not self._fingerprint or self._interval <= 0 or time.monotonic() - self._checked_at < self._interval:
            return self.current
        return self.refresh()

    def refresh(self) -> Rulebook:
        """Look for a change now, whatever the interval (the process that published a version
        serves it at once; tests put a database back and the pack with it)."""
        if not self._fingerprint:
            return self.current
        self._checked_at = time.monotonic()
        seen = self._fingerprint()
        if seen != self._seen:
            self._seen = seen
            try:
                book = self.reload()
                self.last_error = None
                if self._on_change:
                    self._on_change("ok", book, None)
            except (KnowledgeError, ScenarioFailure) as exc:
                self.last_error = str(exc)
                log.error("new rules refused; the previous generation stays", extra={"problems": str(exc)[:2000]})
                if self._on_change:
                    self._on_change("failed", None, str(exc))
        return self.current
