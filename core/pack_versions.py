"""Versions of a city's pack kept in the database, so every app process on every host serves the
same one and curators change content from the console instead of the server's files.

- The files in the repository are the first version (``ensure_first_version``).
- A curator works on a draft: a copy of a published version whose files they replace, add or
  remove. Publishing (``staff/content.py``, which runs the checks first) gives it the next
  number; a published version never changes again.
- The version served at a moment is the published one with the latest ``effective_from`` not
  after it: a version can be scheduled (fees from 4月1日) and a rollback is a new version that
  copies an older one, so the history only grows.
- A worker reads a version by writing its files once into a folder named after their digest
  (``materialise``), then loads it as it loads the repository's pack.

Storage only, over the shared SQLAlchemy session: the checks a version must pass before it is
published (they need the loader and the rules) live in ``staff/content.py``.
"""
from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, delete, or_, select
from sqlalchemy.exc import IntegrityError, OperationalError

from core.db import db
from core.errors import AppError
from core.models import PackBlob, PackVersion, PackVersionFile

DRAFT, PUBLISHED, WITHDRAWN = "draft", "published", "withdrawn"
# what a pack holds: its files at the top and in these folders (the loaders' own layout)
FOLDERS = ("procedures", "rules", "scenarios", "forms", "counter_forms", "translations")
SUFFIXES = (".yaml", ".md")
MAX_FILE_BYTES = 2_000_000
_PART = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")  # ids and file names: no spaces, no "..", nothing hidden


class VersionError(AppError):
    """A version operation refused (409 unless said otherwise): the message says why."""

    status = 409
    problems: tuple[str, ...] = ()  # a refused import: the checks' problems (nothing of it is kept)


def _refuse(message, status: int | None = None) -> VersionError:
    return VersionError("pack_version", message, status)


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def aware(moment: dt.datetime | None) -> dt.datetime | None:
    """A stored time as UTC (SQLite gives back naive datetimes, PostgreSQL aware ones)."""
    return moment.replace(tzinfo=dt.UTC) if moment is not None and moment.tzinfo is None else moment


@dataclass(frozen=True)
class FileChange:
    path: str
    kind: str  # added | changed | removed
    diff: list[str]  # unified diff lines (empty for a binary or an unreadable file)


def check_path(path: str) -> str:
    """A file's place in a pack, normalised; anything else (``..``, absolute, other folders or
    kinds of file) is refused."""
    pure = PurePosixPath(path.strip().replace("\\", "/"))
    parts = pure.parts
    bad = (not parts or pure.is_absolute() or not all(_PART.fullmatch(p) for p in parts)
           or len(parts) > 2 or (len(parts) == 2 and parts[0] not in FOLDERS) or pure.suffix not in SUFFIXES
           or len(str(pure)) > 200)
    if bad:
        raise _refuse(_l("このファイル名は使えません。%(folders)s のフォルダーか最上位に、.yaml のファイルを置けます。", folders="、".join(FOLDERS)), 400)
    return str(pure)


def repository_files(directory: Path) -> dict[str, bytes]:
    """The pack's files as the repository holds them (the first version)."""
    out: dict[str, bytes] = {}
    for path in sorted(directory.rglob("*")):
        if path.is_file():
            rel = path.relative_to(directory).as_posix()
            try:
                out[check_path(rel)] = path.read_bytes()
            except VersionError:
                continue  # not a pack file (an editor's backup, a stray file)
    return out


def digest_of(files: dict[str, bytes]) -> str:
    h = hashlib.sha256()
    for path in sorted(files):
        h.update(path.encode() + b"\0" + hashlib.sha256(files[path]).digest())
    return h.hexdigest()


def _blob(content: bytes) -> str:
    sha = hashlib.sha256(content).hexdigest()
    if db.session.get(PackBlob, sha) is None:
        db.session.add(PackBlob(sha256=sha, content=content))
        db.session.flush()
    return sha


def files_of(version: PackVersion) -> dict[str, bytes]:
    rows = db.session.execute(
        select(PackVersionFile.path, PackBlob.content)
        .join(PackBlob, PackBlob.sha256 == PackVersionFile.sha256)
        .where(PackVersionFile.version_id == version.id)).all()
    return {path: bytes(content) for path, content in rows}


def shas_of(version: PackVersion) -> dict[str, str]:
    rows = db.session.execute(select(PackVersionFile.path, PackVersionFile.sha256)
                              .where(PackVersionFile.version_id == version.id)).all()
    return dict(rows)


def file_content(version: PackVersion, path: str) -> bytes | None:
    """One file's bytes (one row: the other files' stay in the database)."""
    return db.session.scalar(
        select(PackBlob.content).join(PackVersionFile, PackBlob.sha256 == PackVersionFile.sha256)
        .where(PackVersionFile.version_id == version.id, PackVersionFile.path == path))


def blobs(shas: list[str]) -> dict[str, bytes]:
    """The bytes of these blobs only (a page of a search)."""
    if not shas:
        return {}
    return dict(db.session.execute(select(PackBlob.sha256, PackBlob.content).where(PackBlob.sha256.in_(shas))).all())


def published(municipality: str) -> list[PackVersion]:
    """Every published (or withdrawn) version, newest number first: the history."""
    return list(db.session.scalars(
        select(PackVersion).where(PackVersion.municipality == municipality, PackVersion.number.is_not(None))
        .order_by(PackVersion.number.desc())))


def by_number(municipality: str, number: int) -> PackVersion:
    found = db.session.scalar(select(PackVersion).where(PackVersion.municipality == municipality,
                                                       PackVersion.number == number))
    if found is None:
        raise _refuse(_l("その版はありません。"), 404)
    return found


def current_query(municipality: str, at: dt.datetime):
    """The version in force at ``at``: published, the latest ``effective_from`` not after it.
    v1 starts when it was recorded but stands for everything before it too (the repository's
    files served until then), so a moment before it, or a host whose clock is a little behind,
    still finds v1."""
    return (select(PackVersion)
            .where(PackVersion.municipality == municipality, PackVersion.state == PUBLISHED,
                   or_(PackVersion.effective_from <= at, PackVersion.number == 1))
            # v1 as if from the beginning of time: any other version that has started comes first
            .order_by(case((PackVersion.number == 1, 1), else_=0), PackVersion.effective_from.desc(),
                      PackVersion.number.desc()).limit(1))


def current(municipality: str, at: dt.datetime | None = None) -> PackVersion | None:
    return db.session.scalar(current_query(municipality, at or now_utc()))


def scheduled(municipality: str, at: dt.datetime | None = None) -> list[PackVersion]:
    """Published versions still waiting for their day, soonest first."""
    return list(db.session.scalars(
        select(PackVersion).where(PackVersion.municipality == municipality, PackVersion.state == PUBLISHED,
                                  PackVersion.number != 1, PackVersion.effective_from > (at or now_utc()))
        .order_by(PackVersion.effective_from)))


def _new_version(municipality: str, author: str, files: dict[str, bytes], **fields) -> PackVersion:
    now = now_utc()
    version = PackVersion(municipality=municipality, author=author, digest=digest_of(files), created_at=now,
                          updated_at=now, reason=fields.pop("reason", ""), ruleset_version="", **fields)
    db.session.add(version)
    db.session.flush()
    for path, content in files.items():
        db.session.add(PackVersionFile(version_id=version.id, path=path, sha256=_blob(content)))
    db.session.flush()
    return version


def next_number(municipality: str) -> int:
    numbers = [v.number for v in published(municipality)]
    return (max(numbers) if numbers else 0) + 1


def first_version(municipality: str) -> PackVersion | None:
    return db.session.scalar(select(PackVersion).where(PackVersion.municipality == municipality,
                                                       PackVersion.number == 1))


def ensure_first_version(municipality: str, directory: Path, ruleset_version: str = "") -> PackVersion:
    """The repository's files as version 1, unless the city already has versions (idempotent).

    Safe when several workers start at once: the loser of the race meets the unique
    (municipality, number) constraint, or on SQLite a stale snapshot, inside a savepoint, and
    takes the winner's row instead."""
    for _attempt in range(3):
        first = first_version(municipality)
        if first is not None:
            return first
        now = now_utc()
        try:
            with db.session.begin_nested():
                version = _new_version(municipality, "system", repository_files(directory), state=PUBLISHED,
                                       number=1, reason="リポジトリのファイル（最初の版）", published_at=now,
                                       published_by="system", effective_from=now)  # when it was recorded
                version.ruleset_version = ruleset_version
            return version
        except (IntegrityError, OperationalError):
            db.session.rollback()  # another worker recorded it: read theirs (a new transaction sees it)
            time.sleep(0.05)
    raise _refuse(_l("最初の版を記録できませんでした。もう一度試してください。"), 503)


def start_draft(municipality: str, author: str, base: PackVersion) -> PackVersion:
    """A curator's draft: a copy of ``base`` (rows only: the bytes are shared)."""
    now = now_utc()
    draft = PackVersion(municipality=municipality, author=author, state=DRAFT, base_number=base.number,
                        digest=base.digest, reason="", ruleset_version="", created_at=now, updated_at=now)
    db.session.add(draft)
    db.session.flush()
    for path, sha in shas_of(base).items():
        db.session.add(PackVersionFile(version_id=draft.id, path=path, sha256=sha))
    db.session.flush()
    return draft


def drafts(municipality: str, author: str | None = None) -> list[PackVersion]:
    query = select(PackVersion).where(PackVersion.municipality == municipality, PackVersion.state == DRAFT)
    if author is not None:
        query = query.where(PackVersion.author == author)
    return list(db.session.scalars(query.order_by(PackVersion.updated_at.desc())))


def draft_of(municipality: str, draft_id: int, author: str) -> PackVersion:
    """A curator's own draft (drafts are per curator: another's is not found)."""
    draft = db.session.get(PackVersion, draft_id)
    if draft is None or draft.municipality != municipality or draft.state != DRAFT or draft.author != author:
        raise _refuse(_l("その下書きはありません。"), 404)
    return draft


def _touch(draft: PackVersion) -> None:
    if draft.state != DRAFT:
        raise _refuse(_l("公開した版は変更できません。新しい下書きを作ってください。"))
    draft.updated_at = now_utc()
    draft.ruleset_version = ""  # the checks must run again
    db.session.flush()
    draft.digest = digest_of(files_of(draft))
    db.session.flush()


def put_file(draft: PackVersion, path: str, content: bytes) -> str:
    """Add or replace one file of a draft; returns its normalised path."""
    path = check_path(path)
    if len(content) > MAX_FILE_BYTES:
        raise _refuse(_l("ファイルが大きすぎます（2 MB まで）。"), 413)
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        raise _refuse(_l("ファイルは UTF-8 の文字で保存してください。"), 400) from None
    row = db.session.get(PackVersionFile, (draft.id, path))
    sha = _blob(content)
    if row is None:
        db.session.add(PackVersionFile(version_id=draft.id, path=path, sha256=sha))
    else:
        row.sha256 = sha
    _touch(draft)
    return path


def remove_file(draft: PackVersion, path: str) -> None:
    row = db.session.get(PackVersionFile, (draft.id, check_path(path)))
    if row is None:
        raise _refuse(_l("そのファイルはありません。"), 404)
    db.session.delete(row)
    _touch(draft)


def discard(draft: PackVersion) -> None:
    if draft.state != DRAFT:
        raise _refuse(_l("公開した版は削除できません。"))
    # its files first: SQLite does not enforce ON DELETE CASCADE, and it may give the draft's id
    # to the next version, which would then find these rows
    db.session.execute(delete(PackVersionFile).where(PackVersionFile.version_id == draft.id))
    db.session.delete(draft)
    db.session.flush()


def changes(old: dict[str, bytes], new: dict[str, bytes]) -> list[FileChange]:
    """What ``new`` changes against ``old``, file by file, with a unified diff of each."""
    out: list[FileChange] = []
    for path in sorted(set(old) | set(new)):
        a, b = old.get(path), new.get(path)
        if a == b:
            continue
        kind = "added" if a is None else "removed" if b is None else "changed"
        lines_a = (a or b"").decode("utf-8", "replace").splitlines()
        lines_b = (b or b"").decode("utf-8", "replace").splitlines()
        diff = list(difflib.unified_diff(lines_a, lines_b, f"a/{path}", f"b/{path}", n=2, lineterm=""))
        out.append(FileChange(path, kind, diff))
    return out


def mark_published(draft: PackVersion, actor: str, reason: str, effective_from: dt.datetime | None,
                   ruleset_version: str) -> PackVersion:
    """The draft becomes the next published version. Call through staff.content.publish,
    which refuses a draft that fails the checks."""
    if draft.state != DRAFT:
        raise _refuse(_l("この下書きはもう公開されています。"))
    if not reason.strip():
        raise _refuse(_l("公開の理由を書いてください。"), 400)
    now = now_utc()
    draft.number = next_number(draft.municipality)
    draft.state = PUBLISHED
    draft.reason = reason.strip()[:2000]
    draft.published_at = now
    draft.published_by = actor
    # stored in UTC: SQLite keeps the wall time only, so every stored moment is UTC
    draft.effective_from = max(effective_from.astimezone(dt.UTC) if effective_from else now, now)
    draft.ruleset_version = ruleset_version
    draft.updated_at = now
    db.session.flush()
    return draft


def copy_as_rollback(target: PackVersion, actor: str, reason: str) -> PackVersion:
    """A new published version holding ``target``'s files, in force now (the history only grows)."""
    if target.state == DRAFT or target.number is None:
        raise _refuse(_l("戻せるのは公開した版だけです。"))
    now = now_utc()
    version = _new_version(target.municipality, actor, files_of(target), state=PUBLISHED,
                           number=next_number(target.municipality), restores_number=target.number,
                           reason=(reason.strip() or f"v{target.number} に戻す")[:2000], published_at=now,
                           published_by=actor, effective_from=now)
    version.ruleset_version = target.ruleset_version
    db.session.flush()
    return version


def withdraw(version: PackVersion, actor: str) -> PackVersion:
    """A scheduled version that has not taken effect is withdrawn (kept in the history)."""
    if (version.state != PUBLISHED or version.number == 1 or version.effective_from is None
            or aware(version.effective_from) <= now_utc()):
        raise _refuse(_l("取り下げられるのは、まだ始まっていない予約の版だけです。"))
    version.state = WITHDRAWN
    version.updated_at = now_utc()
    version.published_by = version.published_by or actor
    db.session.flush()
    return version


def materialise(root: Path, municipality: str, files: dict[str, bytes]) -> Path:
    """The files written once into ``root/<digest>/<municipality>/``; returns the packs folder to
    load from (``root/<digest>``). Written to a temporary folder and renamed, so a reader never
    sees half a pack, and two workers writing the same version both end with the same folder."""
    digest = digest_of(files)[:24]
    packs_dir = root / digest
    if (packs_dir / municipality / "pack.yaml").is_file():
        return packs_dir
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{digest}-", dir=root))
    try:
        for path, content in files.items():
            target = tmp / municipality / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        try:
            os.rename(tmp, packs_dir)
        except OSError:  # another worker was quicker: theirs holds the same bytes
            if not (packs_dir / municipality / "pack.yaml").is_file():
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return packs_dir
