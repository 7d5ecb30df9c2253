"""The booking catalogue of the running app: read from the current knowledge generation's pack
and read again whenever that generation changes or reservations.yaml is edited."""
from __future__ import annotations

import threading

from flask import current_app

from core.pack import rulebook
from reservations.loader import FILENAME, Catalog, load_catalog

_lock = threading.Lock()
_cache: dict[tuple, Catalog] = {}


def catalog() -> Catalog:
    kb = rulebook().kb
    path = kb.directory / FILENAME
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        stamp = 0
    key = (current_app.config["MUNICIPALITY"], str(kb.directory), kb.version, id(kb), stamp)
    found = _cache.get(key)
    if found is not None:
        return found
    with _lock:
        found = _cache.get(key)
        if found is None:
            found = load_catalog(kb.directory.name, kb.directory.parent, kb=kb)
            _cache.clear()  # only the newest generation is served
            _cache[key] = found
    return found
