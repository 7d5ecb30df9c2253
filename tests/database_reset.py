"""A database as Alembic left it, put back before each test (cheaply: no new database).

SQLite: the upgraded file is copied aside once; before a test the connections are closed and the
copy is put back (a file copy of a few hundred kilobytes).

PostgreSQL: the rows the migrations wrote are read once; before a test every table is emptied and
those rows are written back, in one transaction with ``session_replication_role = replica`` so
that neither the append-only triggers of the audit tables nor foreign-key order stand in the way
(the tests connect as the owner, as CI does). Sequences go on counting: no test relies on ids.

Files that go with the database (the audit chain's anchor file, which names its newest records)
are put back too: as they were, or gone.

A transaction rolled back after each test would be cheaper still, but the code under test commits,
opens connections of its own (outbox leases, row locks, threads) and some tests start processes.
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import MetaData, insert, select

KEPT = {"alembic_version"}  # written by the upgrade, never by the app


@dataclass
class DatabaseSnapshot:
    dialect: str
    sqlite_copy: Path | None = None
    metadata: MetaData | None = None
    rows: dict[str, list[dict]] = field(default_factory=dict)
    files: dict[Path, bytes | None] = field(default_factory=dict)

    @classmethod
    def take(cls, db, files: tuple[Path, ...] = ()) -> DatabaseSnapshot:
        """The database of ``db`` (in the app context) as it is now, and ``files`` beside it."""
        contents = {path: path.read_bytes() if path.exists() else None for path in files}
        engine = db.engine
        if engine.dialect.name == "sqlite":
            db.session.remove()
            engine.dispose()
            path = Path(engine.url.database)
            copy = path.with_name(path.stem + ".upgraded" + path.suffix)
            shutil.copyfile(path, copy)
            return cls("sqlite", sqlite_copy=copy, files=contents)
        metadata = MetaData()
        metadata.reflect(engine)
        with engine.connect() as conn:
            rows = {t.name: [dict(r._mapping) for r in conn.execute(select(t))]
                    for t in metadata.sorted_tables if t.name not in KEPT}
        return cls(engine.dialect.name, metadata=metadata, rows={k: v for k, v in rows.items() if v}, files=contents)

    def restore(self, db) -> None:
        """Puts the database of ``db`` (in the app context) back as it was when taken."""
        for path, content in self.files.items():
            if content is None:
                path.unlink(missing_ok=True)
            else:
                path.write_bytes(content)
        db.session.remove()
        engine = db.engine
        if self.sqlite_copy is not None:
            engine.dispose()  # no connection may hold the old file open
            path = Path(engine.url.database)
            for leftover in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm"),
                             path.with_name(path.name + "-journal")):
                leftover.unlink(missing_ok=True)
            shutil.copyfile(self.sqlite_copy, path)
            return
        tables = [t for t in self.metadata.sorted_tables if t.name not in KEPT]
        emptying = "; ".join(["SET LOCAL session_replication_role = replica",
                              *(f'DELETE FROM "{t.name}"' for t in reversed(tables))])
        with engine.begin() as conn:
            conn.exec_driver_sql(emptying)  # one round trip: most tables are empty already
            for table in tables:
                if table.name in self.rows:
                    conn.execute(insert(table), self.rows[table.name])
