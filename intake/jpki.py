"""My Number Card signatures (公的個人認証サービス, JPKI 署名用電子証明書): the verification core.

Plain Python: no Flask, no database. The web layer builds the payload with
:func:`canonical_payload`, hands the signer app :func:`digest_info` (or the payload), and checks
what comes back with :func:`verify_signature`, passing the configured trust anchors
(``JPKI_TRUST_ANCHORS``) and CRLs (``JPKI_CRL_SOURCES``).

Verification, in this order:

1. the RSA PKCS#1 v1.5 / SHA-256 signature over the payload, with the certificate's public key
   (``cryptography``);
2. the certificate path to the trust anchors, validity period and revocation, by
   pyhanko-certvalidator with ``revocation_mode="require"`` — every certificate below the anchor
   must be covered by a CRL or an OCSP response, whether or not it names a distribution point
   (the "soft-fail"/"hard-fail" modes silently accept a revoked certificate that names none:
   ENGINEERING.md §2);
3. the key usage: nonRepudiation (:data:`REQUIRED_KEY_USAGE`). A card's signing certificate
   carries digitalSignature + nonRepudiation; its user-authentication certificate
   (利用者証明用電子証明書) digitalSignature alone and carries no 基本4情報, so requiring
   digitalSignature would not tell the two apart, while requiring nonRepudiation does and also
   accepts a signing certificate that carries nonRepudiation only.
"""
from __future__ import annotations

import asyncio
import base64
import binascii
import concurrent.futures
import datetime as dt
import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import rfc8785
from asn1crypto import algos as asn1_algos
from asn1crypto import core as asn1_core
from asn1crypto import crl as asn1_crl
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import pem as asn1_pem
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator.errors import (
    ExpiredError,
    InsufficientRevinfoError,
    NotYetValidError,
    PathBuildingError,
    RevokedError,
    ValidationError,
)

from core.words import N_, Message

OID_NAME = "1.2.392.200149.8.5.5.1"
OID_SEX = "1.2.392.200149.8.5.5.3"
OID_BIRTH_DATE = "1.2.392.200149.8.5.5.4"
OID_ADDRESS = "1.2.392.200149.8.5.5.5"
SIGNER_OIDS = {OID_NAME: "name", OID_ADDRESS: "address", OID_BIRTH_DATE: "birth_date", OID_SEX: "sex"}
SEX_LABELS = {"1": "男", "2": "女", "3": "不明"}

REQUIRED_KEY_USAGE = frozenset({"non_repudiation"})
REVOCATION_MODE = "require"  # never "soft-fail" / "hard-fail": ENGINEERING.md §2

SIGNATURE_INVALID = "signature_invalid"
CERTIFICATE_UNTRUSTED = "certificate_untrusted"
CERTIFICATE_EXPIRED = "certificate_expired"
CERTIFICATE_REVOKED = "certificate_revoked"
REVOCATION_UNAVAILABLE = "revocation_unavailable"
CODES = (SIGNATURE_INVALID, CERTIFICATE_UNTRUSTED, CERTIFICATE_EXPIRED, CERTIFICATE_REVOKED, REVOCATION_UNAVAILABLE)

MESSAGES = {  # code → msgid: what the resident reads, in their language (core.words)
    SIGNATURE_INVALID: N_(
        "電子署名を確認できませんでした。署名したあとに申請内容が変わったか、別の電子証明書で署名された"
        "可能性があります。申請内容を確認し、もう一度マイナンバーカードで署名してください。"
    ),
    CERTIFICATE_UNTRUSTED: N_(
        "この電子証明書は、マイナンバーカードの署名用電子証明書として確認できませんでした。"
        "マイナンバーカードの「署名用電子証明書」（英数字6〜16桁のパスワードを使うもの）で、"
        "もう一度署名してください。"
    ),
    CERTIFICATE_EXPIRED: N_(
        "署名用電子証明書の有効期間が過ぎています（または、まだ始まっていません）。"
        "署名用電子証明書の有効期限は、通常、発行から5回目の誕生日までです。"
        "市役所の窓口で電子証明書を更新してから、もう一度署名してください。"
    ),
    CERTIFICATE_REVOKED: N_(
        "署名用電子証明書が失効しています。引っ越しで住所が変わったときや、結婚などで氏名が変わったときは、"
        "署名用電子証明書は自動的に失効します。市役所の窓口で署名用電子証明書を新しく発行（更新）してもらい、"
        "もう一度署名してください。"
    ),
    REVOCATION_UNAVAILABLE: N_(
        "電子証明書が失効していないかを確認できなかったため、署名を受け付けられませんでした。"
        "お手数ですが、しばらく時間をおいてから、もう一度お試しください。"
        "続く場合は市役所にお問い合わせください。"
    ),
}
# A revoked or expired certificate above the resident's own one is not theirs to fix.
MESSAGE_CA_PROBLEM = N_(
    "電子証明書の発行元（認証局）の証明書に問題があるため、署名を確認できませんでした。"
    "お手数ですが、市役所にお問い合わせください。"
)


@dataclass(frozen=True)
class Verification:
    """The outcome of :func:`verify_signature`.

    ``signer`` holds the 基本4情報 exactly as the certificate states them (birth date as
    ``EYYYYMMDD``, sex as "1"/"2"/"3"; see :func:`parse_birth_date`, :data:`SEX_LABELS`) and is
    set only when ``ok``. ``serial`` (upper-case hex) and ``issuer`` (RFC 4514) are set whenever
    the certificate could be read. ``revocation_evidence`` lists the CRLs / OCSP responses the
    validator actually used; ``detail`` is the validator's English reason (for logs, not users).
    """

    ok: bool
    code: str | None
    message: Message | None  # what the resident reads (None when ok)
    signer: dict[str, str] | None
    serial: str | None
    issuer: str | None
    revocation_evidence: list[dict[str, Any]] = field(default_factory=list)
    checked_at: dt.datetime | None = None
    detail: str | None = None


# ---- what gets signed ---------------------------------------------------------------------------

_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


def _utc_timestamp(value: dt.datetime, what: str) -> str:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware")
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def canonical_payload(application_id: str, procedure_id: str, fields: Mapping[str, Any],
                      attachments_sha256: Mapping[str, str], created_at: dt.datetime,
                      form_version: str | None = None) -> bytes:
    """The bytes the resident signs: RFC 8785 (JCS) canonical JSON of exactly these items:
    ``application_id``, ``procedure_id``, ``fields``, ``attachments_sha256``, ``created_at`` and,
    when the application records one, ``form_version``.

    ``fields`` must hold JSON values only (str, int, bool, None, lists, objects; convert dates to
    ISO strings first). ``attachments_sha256`` maps an attachment's name to the lower-case hex
    SHA-256 of its bytes. ``created_at`` (timezone-aware) is written in UTC to the second,
    e.g. ``2025-04-01T00:30:00Z``. ``form_version`` (``sha256:…`` of the form definition the
    answers were entered with, intake.forms.Form.version) is left out when None: the bytes of an
    application made before versions were recorded stay what they were, byte for byte. Key order
    never matters: JCS sorts keys.
    """
    attachments = {}
    for name, digest in attachments_sha256.items():
        normalised = str(digest).lower()
        if not _SHA256_HEX.fullmatch(normalised):
            raise ValueError(f"attachment {name!r}: not a hex SHA-256 digest")
        attachments[str(name)] = normalised
    document = {
        "application_id": str(application_id),
        "procedure_id": str(procedure_id),
        "fields": dict(fields),
        "attachments_sha256": attachments,
        "created_at": _utc_timestamp(created_at, "created_at"),
    }
    if form_version is not None:
        document["form_version"] = str(form_version)
    return rfc8785.dumps(document)


def digest_info(payload: bytes) -> bytes:
    """DER DigestInfo {sha256 (NULL parameters), SHA-256(payload)}: what the card's RSA key pads and signs."""
    return asn1_algos.DigestInfo({
        "digest_algorithm": {"algorithm": "sha256", "parameters": asn1_core.Null()},
        "digest": hashlib.sha256(payload).digest(),
    }).dump()


# ---- reading certificates, CRLs, the 基本4情報 ----------------------------------------------

def _pem_or_der_blocks(data: bytes | str) -> list[bytes]:
    raw = data.encode("ascii") if isinstance(data, str) else bytes(data)
    if asn1_pem.detect(raw):
        return [der for _type, _headers, der in asn1_pem.unarmor(raw, multiple=True)]
    stripped = raw.strip()
    if stripped[:1] != b"\x30":  # not DER: perhaps bare base64 of DER
        try:
            return [base64.b64decode(stripped, validate=True)]
        except (binascii.Error, ValueError):
            pass
    return [raw]


def load_certificate(data: bytes | str | x509.Certificate) -> x509.Certificate:
    """The first certificate in ``data`` (PEM, DER or base64 DER). Raises ValueError."""
    if isinstance(data, x509.Certificate):
        return data
    blocks = _pem_or_der_blocks(data)
    if not blocks:
        raise ValueError("no certificate found")
    return x509.load_der_x509_certificate(blocks[0])


def _asn1_certs(items: Iterable[Any]) -> list[asn1_x509.Certificate]:
    certs: list[asn1_x509.Certificate] = []
    for item in items:
        if isinstance(item, asn1_x509.Certificate):
            certs.append(item)
        elif isinstance(item, x509.Certificate):
            certs.append(asn1_x509.Certificate.load(item.public_bytes(serialization.Encoding.DER)))
        else:
            for der in _pem_or_der_blocks(item):
                x509.load_der_x509_certificate(der)  # strict parse: fail here, not deep in the validator
                certs.append(asn1_x509.Certificate.load(der))
    return certs


def _asn1_crls(items: Iterable[bytes | str | asn1_crl.CertificateList]) -> list[asn1_crl.CertificateList]:
    crls: list[asn1_crl.CertificateList] = []
    for item in items:
        if isinstance(item, asn1_crl.CertificateList):
            crls.append(item)
            continue
        for der in _pem_or_der_blocks(item):
            x509.load_der_x509_crl(der)  # raises ValueError on a malformed CRL: a configuration error
            crls.append(asn1_crl.CertificateList.load(der))
    return crls


def read_signer(cert: x509.Certificate) -> dict[str, str]:
    """The 基本4情報 from the subjectAltName otherName values (empty strings where absent)."""
    signer = dict.fromkeys(SIGNER_OIDS.values(), "")
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return signer
    for other in san.get_values_for_type(x509.OtherName):
        key = SIGNER_OIDS.get(other.type_id.dotted_string)
        if key is None:
            continue
        try:
            value = asn1_core.load(other.value).native
        except ValueError:
            continue
        if isinstance(value, str):
            signer[key] = value
    return signer


def parse_birth_date(value: str) -> dt.date | None:
    """A JPKI birth date (``EYYYYMMDD``: era digit + Western date; or ``YYYYMMDD`` / ISO) as a date."""
    digits = value.strip().replace("-", "")
    if len(digits) == 9 and digits.isdigit():
        digits = digits[1:]
    if len(digits) != 8 or not digits.isdigit():
        return None
    try:
        return dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        return None


# ---- revocation evidence --------------------------------------------------------------------

def _iso(value: Any) -> str | None:
    return value.astimezone(dt.UTC).isoformat() if isinstance(value, dt.datetime) else None


def _revocation_evidence(context: ValidationContext) -> list[dict[str, Any]]:
    """The CRLs the validator matched to an issuer, and the OCSP responses it had, as plain data."""
    manager = context.revinfo_manager
    evidence: list[dict[str, Any]] = []
    for certificate_list in manager.crls:
        if manager.check_crl_issuer(certificate_list) is None:
            continue  # not used for any certificate in this path
        der = certificate_list.dump()
        tbs = certificate_list["tbs_cert_list"]
        crl_number = certificate_list.crl_number_value
        evidence.append({
            "type": "crl",
            "issuer": x509.load_der_x509_crl(der).issuer.rfc4514_string(),
            "this_update": _iso(tbs["this_update"].native),
            "next_update": _iso(tbs["next_update"].native),
            "crl_number": crl_number.native if crl_number is not None else None,
            "sha256": hashlib.sha256(der).hexdigest(),
        })
    for response in manager.ocsps:
        basic = response.basic_ocsp_response if response["response_status"].native == "successful" else None
        if basic is None:
            continue
        data = basic["tbs_response_data"]
        responder = data["responder_id"]
        evidence.append({
            "type": "ocsp",
            "responder": (responder.chosen.human_friendly if responder.name == "by_name"
                          else responder.chosen.native.hex()),
            "produced_at": _iso(data["produced_at"].native),
            "responses": [{
                "serial": format(single["cert_id"]["serial_number"].native, "X"),
                "status": single["cert_status"].name,
                "this_update": _iso(single["this_update"].native),
                "next_update": _iso(single["next_update"].native),
            } for single in data["responses"]],
            "sha256": hashlib.sha256(response.dump()).hexdigest(),
        })
    return evidence


# ---- verification ---------------------------------------------------------------------------

def _failure(code: str, *, detail: str, cert: x509.Certificate | None = None, message: str | None = None,
             evidence: list[dict[str, Any]] | None = None, moment: dt.datetime | None = None) -> Verification:
    return Verification(
        ok=False, code=code, message=Message(message or MESSAGES[code]), signer=None,
        serial=format(cert.serial_number, "X") if cert is not None else None,
        issuer=cert.issuer.rfc4514_string() if cert is not None else None,
        revocation_evidence=evidence or [], checked_at=moment, detail=detail,
    )


def _classify(error: Exception) -> tuple[str, str | None]:
    """Map a pyhanko-certvalidator exception to (code, message override)."""
    is_ee = getattr(error, "is_ee_cert", True)
    if isinstance(error, RevokedError):
        return CERTIFICATE_REVOKED, None if is_ee else MESSAGE_CA_PROBLEM
    if isinstance(error, ExpiredError | NotYetValidError):
        return (CERTIFICATE_EXPIRED, None) if is_ee else (CERTIFICATE_UNTRUSTED, MESSAGE_CA_PROBLEM)
    if isinstance(error, InsufficientRevinfoError):  # includes StaleRevinfoError
        return REVOCATION_UNAVAILABLE, None
    return CERTIFICATE_UNTRUSTED, None  # PathBuildingError, other PathValidationError, key usage, …


async def averify_signature(payload: bytes, signature: bytes, certificate_pem: str | bytes,
                            chain_pems: Iterable[str | bytes] = (), *,
                            trust_roots: Iterable[bytes | str | x509.Certificate | asn1_x509.Certificate],
                            crls: Iterable[bytes | str | asn1_crl.CertificateList] = (),
                            ocsps: Iterable[bytes] = (),
                            moment: dt.datetime, fetch: bool = False) -> Verification:
    """:func:`verify_signature` for callers already inside an event loop."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("moment must be timezone-aware")
    roots = _asn1_certs(trust_roots)
    if not roots:
        raise ValueError("no trust anchors configured")
    crl_list = _asn1_crls(crls)
    ocsp_list = [asn1_ocsp.OCSPResponse.load(bytes(item)) for item in ocsps]

    try:
        cert = load_certificate(certificate_pem)
    except ValueError as exc:
        return _failure(CERTIFICATE_UNTRUSTED, detail=f"unreadable certificate: {exc}", moment=moment)

    # (a) the signature itself
    public_key = cert.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey):
        return _failure(SIGNATURE_INVALID, detail="certificate key is not RSA", cert=cert, moment=moment)
    try:
        public_key.verify(bytes(signature), bytes(payload), padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return _failure(SIGNATURE_INVALID, detail="RSA PKCS#1 v1.5 SHA-256 signature does not verify",
                        cert=cert, moment=moment)

    # (b) path, validity, revocation, key usage
    try:
        intermediates = _asn1_certs(chain_pems)
    except ValueError as exc:
        return _failure(CERTIFICATE_UNTRUSTED, detail=f"unreadable chain certificate: {exc}", cert=cert,
                        moment=moment)
    context = ValidationContext(
        trust_roots=roots, other_certs=intermediates, crls=crl_list, ocsps=ocsp_list,
        allow_fetching=fetch, revocation_mode=REVOCATION_MODE, moment=moment,
    )
    validator = CertificateValidator(
        asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)),
        validation_context=context,
    )
    try:
        try:
            await validator.async_validate_usage(set(REQUIRED_KEY_USAGE))
        except (PathBuildingError, ValidationError) as exc:
            code, message = _classify(exc)
            return _failure(code, detail=str(exc), cert=cert, message=message,
                            evidence=_revocation_evidence(context), moment=moment)
        evidence = _revocation_evidence(context)
    finally:
        await context.aclose()  # releases the HTTP session when fetching was allowed

    return Verification(
        ok=True, code=None, message=None, signer=read_signer(cert),
        serial=format(cert.serial_number, "X"), issuer=cert.issuer.rfc4514_string(),
        revocation_evidence=evidence, checked_at=moment,
    )


def verify_signature(payload: bytes, signature: bytes, certificate_pem: str | bytes,
                     chain_pems: Iterable[str | bytes] = (), *,
                     trust_roots: Iterable[bytes | str | x509.Certificate | asn1_x509.Certificate],
                     crls: Iterable[bytes | str | asn1_crl.CertificateList] = (),
                     ocsps: Iterable[bytes] = (),
                     moment: dt.datetime, fetch: bool = False) -> Verification:
    """Verify a card signature over ``payload`` and the signing certificate, at ``moment``.

    ``certificate_pem`` is the signing certificate; ``chain_pems`` any intermediates the signer
    app sent. ``trust_roots`` are the anchors (PEM bundles, DER, or certificate objects);
    ``crls`` DER or PEM CRLs (a PEM file may hold several); ``ocsps`` DER OCSP responses already
    at hand. ``fetch`` lets the validator download CRLs / OCSP responses the certificates name.
    Configuration errors (no anchors, a malformed CRL, a naive ``moment``) raise ValueError;
    everything about the resident's signature comes back as a :class:`Verification`.
    """
    def run():
        return asyncio.run(averify_signature(
            payload, signature, certificate_pem, chain_pems, trust_roots=trust_roots, crls=crls, ocsps=ocsps,
            moment=moment, fetch=fetch))

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return run()  # the usual case: no event loop in this thread
    # called from a thread that already runs an event loop: validate on a thread of its own
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


__all__ = [
    "CODES", "MESSAGES", "REQUIRED_KEY_USAGE", "SEX_LABELS", "Verification", "averify_signature",
    "canonical_payload", "digest_info", "load_certificate", "parse_birth_date", "read_signer",
    "verify_signature",
]
