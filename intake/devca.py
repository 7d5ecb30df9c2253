"""A development certificate authority that imitates JPKI (公的個人認証サービス) signing certificates.

FOR TESTS AND THE LOCAL DEMO ONLY. Nothing in the product trusts this CA on its own: a signature
made with one of its certificates verifies only when the deployment explicitly lists the dev
root in ``JPKI_TRUST_ANCHORS`` and the dev CRLs in ``JPKI_CRL_SOURCES`` (only a development
configuration such as the ``make run`` demo should; production points those settings at J-LIS's
published 署名用認証局 certificates and CRLs). Its private keys are written to disk unencrypted.

Layout written by :func:`make_dev_ca` into its directory::

    root.pem, root.key.pem                   self-signed root (the trust anchor)
    intermediate.pem, intermediate.key.pem   the issuing CA (supply it in ``chain_pems``)
    trust-anchors.pem                        the root alone: a ``JPKI_TRUST_ANCHORS`` bundle
    root-crl.pem                             CRL by the root (covers the intermediate)
    intermediate-crl.pem                     CRL by the intermediate (lists revoked signers)
    signers/<serial>.pem, <serial>.key.pem   each issued signing certificate and its key

Revocation needs both CRLs: verification runs pyhanko-certvalidator with
``revocation_mode="require"`` (ENGINEERING.md §2), which wants revocation information for
every certificate below the anchor, the intermediate included.

Signing certificates imitate the card's 署名用電子証明書:

- subjectAltName otherName values (UTF8String) 1.2.392.200149.8.5.5.1 氏名, .3 性別 (1 男,
  2 女, 3 不明), .4 生年月日 (JPKI form ``EYYYYMMDD``: era digit 1 明治 … 5 令和, then the
  Western date), .5 住所, plus .2 / .6 (代替文字の使用位置: all zeros here);
- keyUsage (critical) digitalSignature + nonRepudiation. Real cards' signing certificates carry
  both bits; the card's user-authentication certificate (利用者証明用電子証明書) carries
  digitalSignature alone. Verification requires nonRepudiation (``intake.jpki.REQUIRED_KEY_USAGE``),
  which is what tells the two apart; ``key_usage=`` lets tests issue the wrong kind.
"""
from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from asn1crypto import core as asn1_core
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import AuthorityInformationAccessOID, NameOID

OID_NAME = "1.2.392.200149.8.5.5.1"
OID_NAME_SUBSTITUTE = "1.2.392.200149.8.5.5.2"
OID_SEX = "1.2.392.200149.8.5.5.3"
OID_BIRTH_DATE = "1.2.392.200149.8.5.5.4"
OID_ADDRESS = "1.2.392.200149.8.5.5.5"
OID_ADDRESS_SUBSTITUTE = "1.2.392.200149.8.5.5.6"

DEFAULT_BASE_URL = "http://dev-jpki.invalid"  # .invalid: never resolves, so never fetched by accident
KEY_SIZE = 2048
CRL_LIFETIME = dt.timedelta(days=30)
SIGNER_LIFETIME = dt.timedelta(days=5 * 365)

# Start dates of the eras as JPKI numbers them in the birth-date value.
_ERAS = ((dt.date(2019, 5, 1), 5), (dt.date(1989, 1, 8), 4), (dt.date(1926, 12, 25), 3),
         (dt.date(1912, 7, 30), 2), (dt.date(1868, 1, 25), 1))


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def new_key(key_size: int = KEY_SIZE) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=key_size)


def jpki_birth_date(value: dt.date | str) -> str:
    """A date as the card's birth-date value (``EYYYYMMDD``); a string is taken as given."""
    if isinstance(value, str):
        return value
    era = next((code for start, code in _ERAS if value >= start), 0)
    return f"{era}{value:%Y%m%d}"


def sign(payload: bytes, key: rsa.RSAPrivateKey) -> bytes:
    """RSA PKCS#1 v1.5 with SHA-256 over ``payload``: what the card's signing key computes."""
    return key.sign(payload, padding.PKCS1v15(), hashes.SHA256())


def _pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


def _key_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _write(path: Path, data: bytes | str, *, secret: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode("ascii") if isinstance(data, str) else data
    if secret:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
    else:
        path.write_bytes(raw)


def _utf8_other_name(oid: str, value: str) -> x509.OtherName:
    return x509.OtherName(x509.ObjectIdentifier(oid), asn1_core.UTF8String(value).dump())


def _ca_cert(subject: x509.Name, key: rsa.RSAPrivateKey, issuer: x509.Name, issuer_key: rsa.RSAPrivateKey,
             *, path_length: int | None, crl_url: str | None, not_before: dt.datetime,
             not_after: dt.datetime) -> x509.Certificate:
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject).issuer_name(issuer).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before).not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                     crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False)
    )
    if crl_url:
        builder = builder.add_extension(_crl_dp(crl_url), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _crl_dp(url: str) -> x509.CRLDistributionPoints:
    return x509.CRLDistributionPoints([x509.DistributionPoint(
        full_name=[x509.UniformResourceIdentifier(url)], relative_name=None, reasons=None, crl_issuer=None)])


@dataclass
class IssuedCert:
    """A signing certificate issued by the dev CA, with its private key (the card's, in real life)."""

    certificate: x509.Certificate
    key: rsa.RSAPrivateKey

    @property
    def pem(self) -> str:
        return _pem(self.certificate)

    @property
    def serial(self) -> int:
        return self.certificate.serial_number

    def sign(self, payload: bytes) -> bytes:
        return sign(payload, self.key)


@dataclass
class DevCA:
    """Root → intermediate → signing certificates, with CRLs kept up to date in ``directory``."""

    directory: Path
    root: x509.Certificate
    root_key: rsa.RSAPrivateKey
    intermediate: x509.Certificate
    intermediate_key: rsa.RSAPrivateKey
    base_url: str = DEFAULT_BASE_URL
    revoked: dict[int, dt.datetime] = field(default_factory=dict)  # serial → revocation date

    # ---- what a verifier is configured with -------------------------------------------------
    @property
    def root_pem(self) -> str:
        return _pem(self.root)

    @property
    def intermediate_pem(self) -> str:
        return _pem(self.intermediate)

    @property
    def chain_pems(self) -> list[str]:
        """What the signer app sends along with the signing certificate."""
        return [self.intermediate_pem]

    @property
    def trust_roots(self) -> list[bytes]:
        return [self.root_pem.encode("ascii")]

    @property
    def root_crl_url(self) -> str:
        return f"{self.base_url}/root.crl"

    @property
    def intermediate_crl_url(self) -> str:
        return f"{self.base_url}/intermediate.crl"

    @property
    def ocsp_url(self) -> str:
        return f"{self.base_url}/ocsp"

    def root_crl(self) -> bytes:
        """DER CRL signed by the root: no entries (the intermediate is never revoked here)."""
        return self._crl(self.root, self.root_key, {}).public_bytes(serialization.Encoding.DER)

    def intermediate_crl(self) -> bytes:
        """DER CRL signed by the issuing CA, listing every revoked signing certificate."""
        return self._crl(self.intermediate, self.intermediate_key, self.revoked).public_bytes(
            serialization.Encoding.DER)

    def crls(self) -> list[bytes]:
        """Both CRLs (DER): what ``JPKI_CRL_SOURCES`` points at."""
        return [self.root_crl(), self.intermediate_crl()]

    def write_crls(self) -> None:
        """Re-sign both CRLs (fresh thisUpdate/nextUpdate) and write them as PEM."""
        for name, issuer, key, entries in (("root-crl.pem", self.root, self.root_key, {}),
                                           ("intermediate-crl.pem", self.intermediate, self.intermediate_key,
                                            self.revoked)):
            crl = self._crl(issuer, key, entries)
            _write(self.directory / name, crl.public_bytes(serialization.Encoding.PEM))

    def _crl(self, issuer: x509.Certificate, key: rsa.RSAPrivateKey,
             entries: dict[int, dt.datetime]) -> x509.CertificateRevocationList:
        now = _now()
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(issuer.subject)
            .last_update(now - dt.timedelta(minutes=1))
            .next_update(now + CRL_LIFETIME)
            .add_extension(x509.CRLNumber(int(now.timestamp())), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), critical=False)
        )
        for serial, when in sorted(entries.items()):
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(when)
                .add_extension(x509.CRLReason(x509.ReasonFlags.affiliation_changed), critical=False)
                .build())
        return builder.sign(key, hashes.SHA256())

    # ---- issuing ----------------------------------------------------------------------------
    def issue_signing_cert(self, name: str, address: str, birth_date: dt.date | str, sex: str, *,
                           revoked: bool = False, expired: bool = False, with_crldp: bool = True,
                           with_ocsp: bool = False, key: rsa.RSAPrivateKey | None = None,
                           key_usage: Iterable[str] = ("digital_signature", "content_commitment"),
                           valid_from: dt.datetime | None = None, write: bool = True) -> IssuedCert:
        """Issue a 署名用電子証明書 look-alike carrying the 基本4情報.

        ``sex`` is the JPKI code ("1" 男, "2" 女, "3" 不明); ``birth_date`` a date (encoded as
        ``EYYYYMMDD``) or the raw string. ``revoked`` lists it on the intermediate CRL (reason
        affiliationChanged: on a real card, a move or a change of name); ``expired`` makes its
        validity end yesterday; ``with_crldp=False`` leaves out the CRL distribution point, so
        only a CRL supplied to the verifier can reveal a revocation; ``with_ocsp`` names an OCSP
        responder (see :meth:`ocsp_response`). ``key`` reuses a key pair (tests stay fast);
        ``key_usage`` names the keyUsage bits (cryptography's names; nonRepudiation is
        ``content_commitment``); ``valid_from`` overrides the start of validity.
        """
        key = key or new_key()
        now = _now()
        if expired:
            not_before, not_after = now - SIGNER_LIFETIME, now - dt.timedelta(days=1)
        else:
            not_before, not_after = now - dt.timedelta(hours=1), now + SIGNER_LIFETIME
        if valid_from is not None:
            not_before = valid_from
        serial = x509.random_serial_number()
        usage = set(key_usage)
        bits = {b: b in usage for b in ("digital_signature", "content_commitment", "key_encipherment",
                                        "data_encipherment", "key_agreement", "key_cert_sign", "crl_sign")}
        san = x509.SubjectAlternativeName([
            _utf8_other_name(OID_NAME, name),
            _utf8_other_name(OID_BIRTH_DATE, jpki_birth_date(birth_date)),
            _utf8_other_name(OID_SEX, sex),
            _utf8_other_name(OID_ADDRESS, address),
            _utf8_other_name(OID_NAME_SUBSTITUTE, "0" * len(name)),
            _utf8_other_name(OID_ADDRESS_SUBSTITUTE, "0" * len(address)),
        ])
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([
                x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "DEVELOPMENT ONLY - not JPKI"),
                x509.NameAttribute(NameOID.COMMON_NAME, f"dev-signer-{serial:x}"),
            ]))
            .issuer_name(self.intermediate.subject)
            .public_key(key.public_key())
            .serial_number(serial)
            .not_valid_before(not_before).not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(encipher_only=False, decipher_only=False, **bits), critical=True)
            .add_extension(san, critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                self.intermediate_key.public_key()), critical=False)
        )
        if with_crldp:
            builder = builder.add_extension(_crl_dp(self.intermediate_crl_url), critical=False)
        if with_ocsp:
            builder = builder.add_extension(x509.AuthorityInformationAccess([x509.AccessDescription(
                AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(self.ocsp_url))]), critical=False)
        cert = builder.sign(self.intermediate_key, hashes.SHA256())
        issued = IssuedCert(cert, key)
        if revoked:
            self.revoked[serial] = now - dt.timedelta(minutes=2)
        if write:
            _write(self.directory / "signers" / f"{serial:x}.pem", issued.pem)
            _write(self.directory / "signers" / f"{serial:x}.key.pem", _key_pem(key), secret=True)
            if revoked:
                self.write_crls()
        return issued

    def revoke(self, serial: int, when: dt.datetime | None = None) -> None:
        self.revoked[serial] = when or _now() - dt.timedelta(minutes=1)
        self.write_crls()

    def ocsp_response(self, cert: x509.Certificate) -> bytes:
        """A DER OCSP response for ``cert``, signed by the issuing CA itself (good or revoked)."""
        now = _now()
        when = self.revoked.get(cert.serial_number)
        builder = ocsp.OCSPResponseBuilder().add_response(
            cert=cert, issuer=self.intermediate, algorithm=hashes.SHA256(),
            cert_status=ocsp.OCSPCertStatus.REVOKED if when else ocsp.OCSPCertStatus.GOOD,
            this_update=now - dt.timedelta(minutes=1), next_update=now + dt.timedelta(days=1),
            revocation_time=when, revocation_reason=x509.ReasonFlags.affiliation_changed if when else None,
        ).responder_id(ocsp.OCSPResponderEncoding.HASH, self.intermediate)
        return builder.sign(self.intermediate_key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def make_dev_ca(directory: str | os.PathLike[str], *, base_url: str = DEFAULT_BASE_URL,
                key_size: int = KEY_SIZE) -> DevCA:
    """Create a fresh development root and intermediate in ``directory`` (overwriting any there)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    now = _now()
    root_key, intermediate_key = new_key(key_size), new_key(key_size)
    root_name = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "開発用 公的個人認証サービス (本番利用不可)"),
        x509.NameAttribute(NameOID.COMMON_NAME, "DEVELOPMENT ONLY JPKI Root CA"),
    ])
    intermediate_name = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "開発用 公的個人認証サービス (本番利用不可)"),
        x509.NameAttribute(NameOID.COMMON_NAME, "DEVELOPMENT ONLY JPKI Signing CA"),
    ])
    root = _ca_cert(root_name, root_key, root_name, root_key, path_length=1, crl_url=None,
                    not_before=now - dt.timedelta(days=1), not_after=now + dt.timedelta(days=20 * 365))
    intermediate = _ca_cert(intermediate_name, intermediate_key, root_name, root_key, path_length=0,
                            crl_url=f"{base_url}/root.crl", not_before=now - dt.timedelta(days=1),
                            not_after=now + dt.timedelta(days=10 * 365))
    ca = DevCA(directory, root, root_key, intermediate, intermediate_key, base_url=base_url)
    _write(directory / "root.pem", ca.root_pem)
    _write(directory / "root.key.pem", _key_pem(root_key), secret=True)
    _write(directory / "intermediate.pem", ca.intermediate_pem)
    _write(directory / "intermediate.key.pem", _key_pem(intermediate_key), secret=True)
    _write(directory / "trust-anchors.pem", ca.root_pem)
    ca.write_crls()
    return ca


def load_dev_ca(directory: str | os.PathLike[str], *, base_url: str = DEFAULT_BASE_URL) -> DevCA:
    """Reopen a CA made by :func:`make_dev_ca`; revocations come back from its CRL, which is re-signed."""
    directory = Path(directory)

    def key(name: str) -> rsa.RSAPrivateKey:
        loaded = serialization.load_pem_private_key((directory / name).read_bytes(), password=None)
        if not isinstance(loaded, rsa.RSAPrivateKey):
            raise TypeError(f"{name} is not an RSA key")
        return loaded

    ca = DevCA(directory,
               x509.load_pem_x509_certificate((directory / "root.pem").read_bytes()), key("root.key.pem"),
               x509.load_pem_x509_certificate((directory / "intermediate.pem").read_bytes()),
               key("intermediate.key.pem"), base_url=base_url)
    crl_path = directory / "intermediate-crl.pem"
    if crl_path.exists():
        crl = x509.load_pem_x509_crl(crl_path.read_bytes())
        ca.revoked = {entry.serial_number: entry.revocation_date_utc for entry in crl}
    ca.write_crls()
    return ca


def load_signer(ca: DevCA, serial: int) -> IssuedCert:
    """A signing certificate and key that :meth:`DevCA.issue_signing_cert` wrote (for the demo signer)."""
    signers = ca.directory / "signers"
    cert = x509.load_pem_x509_certificate((signers / f"{serial:x}.pem").read_bytes())
    key = serialization.load_pem_private_key((signers / f"{serial:x}.key.pem").read_bytes(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise TypeError("signer key is not RSA")
    return IssuedCert(cert, key)


def demo_card(directory: str | os.PathLike[str], answers: dict, sample_name: str, sample_address: str) -> tuple[DevCA, IssuedCert]:
    """The test card of the development signer: the dev CA in ``directory`` (made on first use)
    issues a signing certificate with the form's 基本4情報 (the sample resident's where the form
    has none), and its CRLs are written fresh."""
    directory = Path(directory)
    ca = load_dev_ca(directory) if (directory / "root.pem").exists() else make_dev_ca(directory)
    address = answers.get("applicant_address") or {}
    name = " ".join(x for x in (answers.get("applicant_family_name"), answers.get("applicant_given_name")) if x)
    born = answers.get("applicant_birth_date") or "1980-04-01"
    card = ca.issue_signing_cert(name or sample_name,
                                 "".join(str(address.get(k) or "") for k in ("prefecture", "city", "street"))
                                 or sample_address,
                                 dt.date.fromisoformat(born), {"female": "2"}.get(answers.get("applicant_sex"), "1"))
    ca.write_crls()
    return ca, card
