"""The console reads only the files it needs (staff/content.py file_list, read_file, search):
the listing reads no file's bytes, reading a file reads that one, a search reads a page of files
at a time and stops at its limit; the answers are those of reading every file."""
from __future__ import annotations

import contextlib
import re

from sqlalchemy import event

from core import pack_versions as store
from core.db import db
from staff import content


def _search_everything(files: dict[str, bytes], words: str) -> list[tuple[str, int, str]]:
    """The answer of reading every file at once (how the console searched before)."""
    needle = words.strip().casefold()
    if not needle:
        return []
    found = []
    for path, data in sorted(files.items()):
        if needle in path.casefold():
            found.append((path, 1, path))
        for n, line in enumerate(data.decode("utf-8", "replace").splitlines(), 1):
            if needle in line.casefold():
                found.append((path, n, line.strip()[:200]))
        if len(found) > 500:
            break
    return found


@contextlib.contextmanager
def _statements():
    seen: list[tuple[str, object]] = []

    def note(_conn, _cursor, statement, parameters, _context, _many):
        seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", note)


def _reads_bytes(statement: str) -> bool:
    return "pack_blob.content" in statement


def test_the_answers_are_those_of_reading_every_file(app):
    with app.test_request_context():
        version = content.in_force()
        files = store.files_of(version)
        assert content.file_list(version) == sorted(files)
        for path, data in files.items():
            assert content.read_file(version, path) == data.decode("utf-8")
        assert content.read_file(version, "procedures/no_such_file.yaml") is None
        for words in ("手数料", "TENSHUTSU", "procedures/", "id:", "a", "  ", "zzz-nowhere"):
            assert content.search(version, words) == _search_everything(files, words), words


def test_the_listing_reads_no_files_bytes(app):
    with app.test_request_context():
        version = content.in_force()
        with _statements() as seen:
            paths = content.file_list(version)
        assert paths and seen and not any(_reads_bytes(s) for s, _p in seen)


def test_reading_a_file_reads_that_one(app):
    with app.test_request_context():
        version = content.in_force()
        with _statements() as seen:
            content.read_file(version, "procedures/tenshutsu_todoke.yaml")
        reads = [(s, p) for s, p in seen if _reads_bytes(s)]
        assert len(reads) == 1 and "pack_version_file.path" in reads[0][0]
        assert "procedures/tenshutsu_todoke.yaml" in str(reads[0][1])


def test_a_search_that_reaches_its_limit_stops_reading(app):
    with app.test_request_context():
        version = content.in_force()
        total = len(content.file_list(version))
        with _statements() as seen:
            found = content.search(version, "a")  # on most lines: the limit is reached early
        assert len(found) > content.SEARCH_LIMIT
        pages = [p for s, p in seen if _reads_bytes(s)]
        shas_read = [v for p in pages for v in _values(p) if isinstance(v, str) and re.fullmatch("[0-9a-f]{64}", v)]
        assert pages and len(pages) == len([p for p in pages if _values(p)])  # every read names its blobs
        assert 0 < len(shas_read) < total  # not every file's bytes


def _values(parameters) -> list:
    return list(parameters.values()) if isinstance(parameters, dict) else list(parameters or ())
