"""The city's loaded pack (knowledge + rules) for the running app: every service reads it here, none through
another service. The holder is put in ``app.extensions["rulebook"]`` by the app factory (app.py)."""
from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from flask import Flask, current_app, g
from sqlalchemy.exc import SQLAlchemyError

from core.db import db
from core.models import PackVersion
from core.pack_versions import current_query, files_of, materialise, now_utc

if TYPE_CHECKING:  # type only: at run time core stays below rules
    from rules.ruleset import Rulebook

T = TypeVar("T")


def rulebook() -> Rulebook:
    """The current generation; take it once per request and use that one throughout. A curator
    previewing a draft (staff/content_preview.py) gets the draft's rulebook instead."""
    preview = g.get("pack_preview")
    if preview is not None:
        return preview
    return current_app.extensions["rulebook"].maybe_reload()


class PerGeneration(Generic[T]):
    """What a service reads from the pack (its catalogue, its forms), read once per generation of
    the current pack and kept until the next one: ``load(kb)`` runs when the generation (or the
    previewed draft) changes, or when ``stamp(kb.directory)`` does (a file the service wants
    noticed at once, before the holder's next look at the files). Only the newest is kept."""

    def __init__(self, load: Callable[[Any], T], stamp: Callable[[Path], object] | None = None):
        self._load = load
        self._stamp = stamp
        self._lock = threading.Lock()
        self._kept: tuple[tuple, Any, T] | None = None  # (key, the kb it was read from, the value)

    def get(self) -> T:
        kb = rulebook().kb
        # the kb is kept with its value, so its id() is not another generation's while it is cached
        key = (current_app.config["MUNICIPALITY"], str(kb.directory), kb.version, id(kb),
               self._stamp(kb.directory) if self._stamp else None)
        kept = self._kept
        if kept is not None and kept[0] == key:
            return kept[2]
        with self._lock:
            kept = self._kept
            if kept is None or kept[0] != key:
                kept = self._kept = (key, kb, self._load(kb))
        return kept[2]


class PackSource:
    """Where the served pack comes from: the version in force in the database, else (no version
    published yet, or no database) the repository's files, as before versions existed.

    ``fingerprint`` is the holder's change detector: one indexed query per check, so every
    worker on every host switches within ``RULES_RELOAD_SECONDS`` of a publish, a rollback or a
    scheduled version's start. ``packs_dir`` is where the loader then reads it from."""

    def __init__(self, app: Flask, municipality: str, repository: Path, files_fingerprint: Callable[[], tuple]):
        self._app = app
        self._municipality = municipality
        self._repository = repository  # the packs folder of the repository (knowledge/packs)
        self._files_fingerprint = files_fingerprint
        self._target: tuple[int, int, str] | None = None  # (id, number, digest) of the version to load
        self.number: int | None = None  # the version served now (None: the repository's files)

    @property
    def repository(self) -> Path:
        """The packs folder of the repository (the files the first version came from)."""
        return self._repository

    def fingerprint(self) -> tuple:
        self._target = self._in_force()
        if self._target is not None:
            return ("db", *self._target)
        return ("files", self._files_fingerprint())

    def packs_dir(self) -> Path:
        target = self._target
        self.number = target[1] if target else None
        if target is None:
            return self._repository
        with self._app.app_context():
            version = db.session.get(PackVersion, target[0])
            files = files_of(version) if version is not None else {}
            db.session.remove()
        if not files:
            return self._repository
        return materialise(Path(self._app.instance_path) / "pack-versions", self._municipality, files)

    def _in_force(self) -> tuple[int, int, str] | None:
        try:
            with self._app.app_context(), db.engine.connect() as conn:
                query = current_query(self._municipality, now_utc()).with_only_columns(
                    PackVersion.id, PackVersion.number, PackVersion.digest)
                row = conn.execute(query).first()
        except SQLAlchemyError:  # no database yet (before `flask db upgrade`): the files serve
            return None
        return (row.id, row.number, row.digest) if row else None
