"""The booking catalogue of the running app: read from the current knowledge generation's pack
and read again whenever that generation changes or reservations.yaml is edited."""
from __future__ import annotations

from pathlib import Path

from core.pack import PerGeneration
from reservations.loader import FILENAME, Catalog, load_catalog


def _stamp(directory: Path) -> int:
    try:
        return (directory / FILENAME).stat().st_mtime_ns
    except OSError:
        return 0


_catalog: PerGeneration[Catalog] = PerGeneration(
    lambda kb: load_catalog(kb.directory.name, kb.directory.parent, kb=kb), stamp=_stamp)


def catalog() -> Catalog:
    return _catalog.get()
