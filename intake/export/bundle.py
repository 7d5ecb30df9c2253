"""One ZIP per application, written atomically, then its ``.done`` marker.

    path = write(directory, "R2026-000123-r1", files)   # files: [(path in the ZIP, bytes)], manifest added

Layout of the ZIP (every file listed with its SHA-256 in ``manifest.json`` and ``SHA256SUMS``)::

    application.json                 the back-office API's get of this application
    fields-<procedure>.csv           the fields (UTF-8 with BOM, or cp932)
    form.pdf                         the paper form
    attachments/<name>/<filename>    each attachment as uploaded
    signature/payload.json           the signed bytes (RFC 8785)
    signature/signature.b64          the signature (base64, as stored)
    signature/certificate.pem        the signing certificate
    signature/chain.pem              the intermediates sent with it ("" if none)
    signature/revocation.json        the CRL / OCSP evidence used when it was checked
    manifest.json, SHA256SUMS

Atomic: the ZIP is written to a hidden temporary name in the same directory, flushed and
fsync'ed, renamed onto its name (rename is atomic within one file system), and the directory
fsync'ed; only then is ``<name>.zip.done`` written the same way, holding the ZIP's SHA-256. A
receiver takes a ZIP only when its ``.done`` exists; a crash leaves at most a hidden temporary
file (removed at the next run) and never a ``.done``. Plain Python.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import zipfile
from collections.abc import Iterable
from pathlib import Path

MANIFEST_VERSION = 1
TMP_PREFIX = ".tmp-"
_UNSAFE = re.compile(r"[^0-9A-Za-z._-]+")


def safe_name(text: str) -> str:
    """A file name made of ASCII letters, digits, ``._-`` (anything else becomes ``_``)."""
    return _UNSAFE.sub("_", text).strip("._") or "file"


def manifest(files: Iterable[tuple[str, bytes]], about: dict) -> list[tuple[str, bytes]]:
    """manifest.json and SHA256SUMS (``sha256sum -c`` reads it) of ``files``."""
    sums = {path: hashlib.sha256(data).hexdigest() for path, data in files}
    body = {"version": MANIFEST_VERSION, **about, "files": [{"path": p, "sha256": d} for p, d in sums.items()]}
    return [("manifest.json", json.dumps(body, ensure_ascii=False, indent=2).encode("utf-8")),
            ("SHA256SUMS", "".join(f"{d}  {p}\n" for p, d in sums.items()).encode("utf-8"))]


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # a platform without directory handles
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _atomic_write(target: Path, write) -> None:
    tmp = target.with_name(f"{TMP_PREFIX}{target.name}.{os.getpid()}")
    try:
        with open(tmp, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(target.parent)


def write(directory: Path, stem: str, files: list[tuple[str, bytes]], *, about: dict,
          moment: dt.datetime | None = None) -> Path:
    """Write ``<stem>.zip`` (``files`` plus the manifest) and then ``<stem>.zip.done``; the ZIP's path."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = [p for p, _ in files]
    if len(set(paths)) != len(paths):
        raise ValueError("two files with the same path in one export")
    everything = [*files, *manifest(files, about)]
    stamp = (moment or dt.datetime(1980, 1, 1)).timetuple()[:6]
    target = directory / f"{stem}.zip"

    def write_zip(fh) -> None:
        with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for path, data in everything:
                info = zipfile.ZipInfo(path, date_time=stamp)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.flag_bits |= 0x800  # UTF-8 names
                zf.writestr(info, data)

    done = target.with_name(target.name + ".done")
    done.unlink(missing_ok=True)  # a re-export: the old marker must not vouch for the new ZIP
    _atomic_write(target, write_zip)
    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    _atomic_write(done, lambda fh: fh.write(f"{digest}  {target.name}\n".encode()))
    return target


def clean_temporaries(directory: Path, older_than_seconds: float = 3600) -> int:
    """Remove what a crashed run left behind (hidden temporary files an hour old); how many."""
    if not directory.is_dir():
        return 0
    limit = dt.datetime.now().timestamp() - older_than_seconds
    found = [p for p in directory.iterdir() if p.name.startswith(TMP_PREFIX) and p.stat().st_mtime < limit]
    for p in found:
        p.unlink(missing_ok=True)
    return len(found)
