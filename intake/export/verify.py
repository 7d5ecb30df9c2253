"""Before an application is exported: its signature must verify *now* and every digest must hold.
Plain Python (the trust anchors, CRLs and intermediates are given by the caller).

Refused (:class:`ExportRefused`, with a ``code`` and a ``detail`` in English for the operator):
``not_signed``; ``payload_mismatch`` (the signed bytes name another application, procedure or
form version, or the stored field values are not the ones signed); ``digest`` (an attachment's bytes do not match
its stored SHA-256, or the set of attachments is not the signed one); a jpki code
(``signature_invalid``, ``certificate_revoked``, ``certificate_expired``, ``certificate_untrusted``,
``revocation_unavailable``); ``not_configured`` (no trust anchors).
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from collections.abc import Sequence

from intake import jpki
from intake.export.item import ExportItem


class ExportRefused(Exception):
    def __init__(self, code: str, detail: str, *, problems: Sequence[dict] = ()):
        self.code, self.detail, self.problems = code, detail, list(problems)
        super().__init__(f"{code}: {detail}")


def digests(item: ExportItem) -> dict:
    """Check the stored values and attachments against the signed payload; the payload (parsed)."""
    if not item.payload or not item.signature_b64 or not item.certificate_pem:
        raise ExportRefused("not_signed", "the application has no signature")
    try:
        signed = json.loads(item.payload)
    except ValueError as exc:
        raise ExportRefused("payload_mismatch", "the signed bytes are not JSON") from exc
    body = item.body
    if signed.get("application_id") != body.get("id") or signed.get("procedure_id") != body.get("procedure_id"):
        raise ExportRefused("payload_mismatch", "the signed bytes name another application or procedure")
    # signed since form versions are recorded: the version the application records must be the signed one
    # (an application signed before has none in its bytes; the form changing later changes neither)
    if "form_version" in signed and signed["form_version"] != body.get("form_version"):
        raise ExportRefused("payload_mismatch", "the signed bytes name another form version")
    if signed.get("fields") != item.fields:
        changed = sorted(k for k in {*signed.get("fields", {}), *item.fields}
                         if signed.get("fields", {}).get(k) != item.fields.get(k))
        raise ExportRefused("payload_mismatch", f"stored field values differ from the signed ones: {', '.join(changed)}")
    for att in item.attachments:
        actual = hashlib.sha256(att.data).hexdigest()
        if actual != att.sha256:
            raise ExportRefused("digest", f"attachment {att.name}: bytes do not match the stored SHA-256")
    held = {a.name: a.sha256 for a in item.attachments}
    wanted = signed.get("attachments_sha256") or {}
    if any(held.get(name) != digest for name, digest in wanted.items()):
        raise ExportRefused("digest", "an attachment that was signed is missing or differs")
    return signed


def signature(item: ExportItem, *, trust_roots: list[bytes], crls: list[bytes], intermediates: list[bytes],
              moment: dt.datetime) -> jpki.Verification:
    """Verify the signature over the payload now, with the current CRLs."""
    if not trust_roots:
        raise ExportRefused("not_configured", "no JPKI trust anchors configured (JPKI_TRUST_ANCHORS)")
    try:
        result = jpki.verify_signature(item.payload, base64.b64decode(item.signature_b64), item.certificate_pem,
                                       [*([item.chain_pem] if item.chain_pem else []), *intermediates],
                                       trust_roots=trust_roots, crls=crls, moment=moment)
    except ValueError as exc:
        raise ExportRefused(jpki.REVOCATION_UNAVAILABLE, f"verification could not run: {exc}") from exc
    if not result.ok:
        raise ExportRefused(result.code or jpki.SIGNATURE_INVALID, result.detail or "the signature does not verify")
    return result


def check(item: ExportItem, **config) -> jpki.Verification:
    digests(item)
    return signature(item, **config)
