#!/usr/bin/env python3
"""An example 申請管理 system taking in the batch export (docs/backoffice-export.md). Python 3.11+,
standard library only; a vendor's importer does the same steps in its own language.

For each ``<name>.zip`` whose ``<name>.zip.done`` marker exists in the folder (a ZIP without its
marker is still being written or was cut short: left alone):

1. the ZIP's SHA-256 must be the one in the ``.done`` marker;
2. every file in the ZIP must have the SHA-256 that ``manifest.json`` lists, and nothing else be in it;
3. ``application.json`` is read (the 受付番号 is what the status write-back names);
4. through the back-office API, with a token from the client credentials: 取込済 is recorded
   (POST …/applications/<受付番号>/ack: staff see it) and the status is written back
   (POST …/applications/<受付番号>/status, with an ``Idempotency-Key`` made from the ZIP's name,
   the status and the note, so a run repeated after a crash changes nothing twice);
5. the ZIP and its marker move to ``imported/`` (a ZIP that fails a check or a call stays where it
   is and is reported; the next run tries it again).

Every request is one the OpenAPI document (/api/v1/openapi.json) defines, with a body valid
against its schema (tests/api/test_backoffice_export.py checks this contract).

    python3 shinsei_kanri_import.py /srv/transfer/in --api https://lgwan.example.lg.jp/api/v1/backoffice \\
        --client-id bo-… --status reviewing --note 申請管理システムに取り込みました
    (the secret is read from the environment variable BACKOFFICE_CLIENT_SECRET)

This script does not check the signature itself (the export did, before writing the ZIP); a
receiver that must, verifies ``signature/payload.json`` with ``signature/signature.b64`` (RSA
PKCS#1 v1.5, SHA-256) under ``signature/certificate.pem`` and ``signature/chain.pem`` with its own
JPKI trust anchors, that each attachment's SHA-256 is in the payload's ``attachments_sha256``, and
that the payload's ``form_version`` (the form the resident answered; absent in applications signed
before versions were recorded) is the ``form_version`` of ``application.json``. The payload is RFC
8785 JSON of ``application_id``, ``procedure_id``, ``fields``, ``attachments_sha256``,
``created_at`` and ``form_version``.
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Callable
from pathlib import Path

Send = Callable[[str, str, dict, bytes | None], tuple[int, bytes]]


def http_send(method: str, url: str, headers: dict, body: bytes | None) -> tuple[int, bytes]:
    if urllib.parse.urlsplit(url).scheme not in ("https", "http"):
        raise ValueError(f"not an HTTP(S) URL: {url}")
    request = urllib.request.Request(url, data=body, headers=headers, method=method)  # noqa: S310 (scheme checked)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


class Rejected(Exception):
    pass


def check(path: Path) -> dict:
    """The application JSON of a complete, intact export ZIP (Rejected otherwise)."""
    marker = path.with_name(path.name + ".done").read_text(encoding="utf-8").split()
    if len(marker) != 2 or marker[1] != path.name or marker[0] != hashlib.sha256(path.read_bytes()).hexdigest():
        raise Rejected("the ZIP is not the one its .done marker names")
    try:
        with zipfile.ZipFile(path) as zf:
            files = {name: zf.read(name) for name in zf.namelist()}
    except (zipfile.BadZipFile, OSError) as exc:
        raise Rejected(f"not a readable ZIP: {exc}") from exc
    manifest = json.loads(files.pop("manifest.json"))
    files.pop("SHA256SUMS", None)
    listed = {f["path"]: f["sha256"] for f in manifest["files"]}
    if set(listed) != set(files):
        raise Rejected("the files in the ZIP are not the ones the manifest lists")
    for name, data in files.items():
        if hashlib.sha256(data).hexdigest() != listed[name]:
            raise Rejected(f"{name}: SHA-256 differs from the manifest")
    return json.loads(files["application.json"])


def token(api: str, client_id: str, client_secret: str, send: Send) -> str:
    basic = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
    status, body = send("POST", f"{api}/token", {"Authorization": f"Basic {basic}",
                                                 "Content-Type": "application/x-www-form-urlencoded"},
                        b"grant_type=client_credentials")
    if status != 200:
        raise RuntimeError(f"token refused ({status}): {body[:200]!r}")
    return json.loads(body)["access_token"]


def run(directory: Path, *, api: str, client_id: str, client_secret: str, status: str, note: str,
        send: Send = http_send) -> list[str]:
    """Take in every complete ZIP of ``directory``; the 受付番号 written back."""
    directory = Path(directory)
    done_dir = directory / "imported"
    bearer = None
    taken = []
    for path in sorted(directory.glob("*.zip")):
        if path.name.startswith(".") or not path.with_name(path.name + ".done").exists():
            continue
        try:
            application = check(path)
        except (Rejected, KeyError, ValueError) as exc:
            print(f"REJECTED {path.name}: {exc}", file=sys.stderr)
            continue
        receipt = application["receipt_number"]
        bearer = bearer or token(api, client_id, client_secret, send)
        url = f"{api}/applications/{urllib.parse.quote(receipt)}"
        code, body = send("POST", f"{url}/ack", {"Authorization": f"Bearer {bearer}"}, None)
        if code != 200:
            print(f"NOT ACKNOWLEDGED {receipt} ({code}): {body[:300]!r}", file=sys.stderr)
            continue
        key = "import-" + hashlib.sha256(f"{path.name}\n{status}\n{note}".encode()).hexdigest()[:40]
        code, body = send("POST", f"{url}/status",
                          {"Authorization": f"Bearer {bearer}", "Content-Type": "application/json",
                           "Idempotency-Key": key},
                          json.dumps({"status": status, "note": note}, ensure_ascii=False).encode())
        if code != 200:
            print(f"STATUS NOT WRITTEN {receipt} ({code}): {body[:300]!r}", file=sys.stderr)
            continue
        done_dir.mkdir(exist_ok=True)
        path.replace(done_dir / path.name)
        path.with_name(path.name + ".done").replace(done_dir / (path.name + ".done"))
        print(f"imported {receipt}")
        taken.append(receipt)
    return taken


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--api", required=True, help="base URL of the back-office API, ending in /api/v1/backoffice")
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--status", default="reviewing")
    parser.add_argument("--note", default="")
    args = parser.parse_args(argv)
    secret = os.environ.get("BACKOFFICE_CLIENT_SECRET", "")
    if not secret:
        parser.error("set BACKOFFICE_CLIENT_SECRET")
    run(args.directory, api=args.api.rstrip("/"), client_id=args.client_id, client_secret=secret,
        status=args.status, note=args.note)
    return 0


if __name__ == "__main__":
    sys.exit(main())
