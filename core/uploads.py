"""Uploaded files: size limits, type from the content (not the name), random stored names,
encrypted at rest, served only as downloads.

    stored = store(request.files["attachment"], allowed=("pdf", "jpeg", "png"), max_bytes=5 * 2**20)
    ... later: return download(stored.name, "申請書.pdf")
"""
from __future__ import annotations

import hashlib
import math
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from flask import Response, current_app, request
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import NotFound, RequestEntityTooLarge

from core.encrypted import current_keyring
from core.security import limiter

# the first bytes of each accepted type (what the file is, whatever it is called)
SIGNATURES: dict[str, tuple[tuple[int, bytes], ...]] = {
    "pdf": ((0, b"%PDF-"),),
    "jpeg": ((0, b"\xff\xd8\xff"),),
    "png": ((0, b"\x89PNG\r\n\x1a\n"),),
    "heic": ((4, b"ftypheic"), (4, b"ftypheix"), (4, b"ftypmif1")),
}
MEDIA_TYPES = {"pdf": "application/pdf", "jpeg": "image/jpeg", "png": "image/png", "heic": "image/heic"}
_NAME_CHARS = set("0123456789abcdef")
# uploads are anonymous (no account to count on): what one address may send, in MiB, shared by the
# JSON API and the application pages (``upload_limit`` below), so a script cannot fill the disk
# with files no application will claim before the purge deletes them
UPLOAD_MIB_PER_ADDRESS = "200 per hour;1000 per day"  # the default of core.settings' UPLOAD_MIB_PER_ADDRESS


# what one draft (an application on the web, an upload draft of the API) may hold: a script with
# one draft cannot fill the disk either, whatever its address
UPLOAD_FILES_PER_DRAFT = 20  # app.config["UPLOAD_FILES_PER_DRAFT"] overrides
UPLOAD_MIB_PER_DRAFT = 50  # app.config["UPLOAD_MIB_PER_DRAFT"] overrides


@dataclass(frozen=True)
class DraftCaps:
    files: int
    bytes: int


def draft_caps() -> DraftCaps:
    """The per-draft caps of this app (the settings, or the defaults above)."""
    config = current_app.config
    return DraftCaps(files=int(config.get("UPLOAD_FILES_PER_DRAFT") or UPLOAD_FILES_PER_DRAFT),
                     bytes=int(config.get("UPLOAD_MIB_PER_DRAFT") or UPLOAD_MIB_PER_DRAFT) * 2**20)


def _upload_budget() -> str:
    return current_app.config.get("UPLOAD_MIB_PER_ADDRESS") or UPLOAD_MIB_PER_ADDRESS


def upload_cost() -> int:
    """What a request counts against UPLOAD_MIB_PER_ADDRESS: its size in whole MiB (at least 1)."""
    return max(1, math.ceil((request.content_length or 0) / 2**20))


def _sends_no_file() -> bool:
    return request.method != "POST" or not request.mimetype == "multipart/form-data" or not any(
        f.filename for f in request.files.values())


def upload_limit():
    """The per-address upload budget, one for every endpoint that takes files."""
    return limiter.shared_limit(_upload_budget, scope="uploads", cost=upload_cost,
                                exempt_when=_sends_no_file)


class UploadRejected(ValueError):
    """A file we do not take; ``message`` says what to do, in Japanese."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class StoredUpload:
    name: str  # random: never the resident's file name
    kind: str
    size: int
    sha256: str


def sniff(head: bytes) -> str | None:
    for kind, signatures in SIGNATURES.items():
        if any(head[offset:offset + len(magic)] == magic for offset, magic in signatures):
            return kind
    return None


def folder(config) -> Path:
    """Where uploads are stored for these settings (UPLOAD_DIR, else INSTANCE_PATH/uploads); backups
    and the hand-over read it too (core/backup.py, core/handover.py)."""
    return Path(config.get("UPLOAD_DIR") or Path(config["INSTANCE_PATH"]) / "uploads")


def _directory() -> Path:
    path = folder(current_app.config)
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def store(file: FileStorage, allowed: tuple[str, ...], max_bytes: int) -> StoredUpload:
    data = file.stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise RequestEntityTooLarge()  # 413, as for a request over MAX_CONTENT_LENGTH
    if not data:
        raise UploadRejected("ファイルが空です。もう一度選んでください。")
    kind = sniff(data[:16])
    if kind is None or kind not in allowed:
        names = "・".join(k.upper() for k in allowed)
        raise UploadRejected(f"このファイルの形式は受け付けていません。{names}のファイルを選んでください。")
    name = secrets.token_hex(16)
    token = current_keyring().encrypt(data, f"upload.{name}")
    (_directory() / name).write_text(token, encoding="ascii")
    return StoredUpload(name=name, kind=kind, size=len(data), sha256=hashlib.sha256(data).hexdigest())


def read(name: str) -> bytes:
    if len(name) != 32 or not set(name) <= _NAME_CHARS:
        raise NotFound()
    path = _directory() / name
    if not path.exists():
        raise NotFound()
    return current_keyring().decrypt(path.read_text(encoding="ascii"), f"upload.{name}")


def download(name: str, filename: str) -> Response:
    """Always an attachment, never rendered by the browser (no sniffing, sandboxed)."""
    response = Response(read(name), mimetype="application/octet-stream")
    response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response.headers["Cache-Control"] = "no-store"
    return response
