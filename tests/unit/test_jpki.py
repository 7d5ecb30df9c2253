"""intake.jpki: My Number Card (JPKI) signature verification against a development CA made here.

No network: CRLs and OCSP responses are handed to the validator, never fetched.
"""
import datetime as dt
import hashlib
import itertools

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from intake import devca, jpki

NAME = "加古川 太郎"
ADDRESS = "兵庫県加古川市加古川町北在家２０００番地"
BIRTH = dt.date(1985, 4, 1)
PAYLOAD = jpki.canonical_payload(
    "app-0001", "juminhyo", {"copies": 2, "delivery": "mail", "purpose": "年金の手続"},
    {"inkan.pdf": hashlib.sha256(b"attachment").hexdigest()},
    dt.datetime(2025, 4, 1, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=9))),
)


@pytest.fixture(scope="module")
def keys():
    """Key pairs made once for the module (2048-bit RSA); certificates may share them."""
    return {"signer": devca.new_key(), "other": devca.new_key()}


@pytest.fixture(scope="module")
def ca(tmp_path_factory):
    return devca.make_dev_ca(tmp_path_factory.mktemp("devca"))


@pytest.fixture(scope="module")
def foreign_ca(tmp_path_factory):
    return devca.make_dev_ca(tmp_path_factory.mktemp("foreign"))


@pytest.fixture(scope="module")
def certs(ca, foreign_ca, keys):
    key = keys["signer"]
    issue = ca.issue_signing_cert
    return {
        "valid": issue(NAME, ADDRESS, BIRTH, "1", key=key),
        "no_crldp": issue(NAME, ADDRESS, BIRTH, "1", key=key, with_crldp=False),
        "expired": issue(NAME, ADDRESS, BIRTH, "1", key=key, expired=True),
        "revoked": issue(NAME, ADDRESS, BIRTH, "1", key=key, revoked=True),
        "revoked_no_crldp": issue(NAME, ADDRESS, BIRTH, "1", key=key, revoked=True, with_crldp=False),
        "ocsp": issue(NAME, ADDRESS, BIRTH, "1", key=key, with_ocsp=True, with_crldp=False),
        "ocsp_revoked": issue(NAME, ADDRESS, BIRTH, "1", key=key, with_ocsp=True, with_crldp=False, revoked=True),
        "auth_usage": issue(NAME, ADDRESS, BIRTH, "1", key=key, key_usage=("digital_signature",)),
        "nr_only": issue(NAME, ADDRESS, BIRTH, "1", key=key, key_usage=("content_commitment",)),
        "future": issue(NAME, ADDRESS, BIRTH, "1", key=key, valid_from=dt.datetime.now(dt.UTC) + dt.timedelta(days=1)),
        "foreign": foreign_ca.issue_signing_cert(NAME, ADDRESS, BIRTH, "1", key=key),
    }


def verify(ca, cert, *, payload=PAYLOAD, signature=None, chain=None, crls=None, **kw):
    kw.setdefault("moment", dt.datetime.now(dt.UTC))
    kw.setdefault("trust_roots", ca.trust_roots)
    return jpki.verify_signature(
        payload, signature if signature is not None else cert.sign(PAYLOAD), cert.pem,
        ca.chain_pems if chain is None else chain,
        crls=ca.crls() if crls is None else crls, **kw)


# ---- the payload and what the card signs ----------------------------------------------------

def test_canonical_payload_is_rfc8785_json_of_exactly_the_five_items():
    payload = jpki.canonical_payload("a-1", "koseki", {"b": "戸籍", "a": [1, True, None]}, {},
                                     dt.datetime(2025, 4, 1, 0, 30, 15, 999, tzinfo=dt.UTC))
    assert payload == (
        '{"application_id":"a-1","attachments_sha256":{},"created_at":"2025-04-01T00:30:15Z",'
        '"fields":{"a":[1,true,null],"b":"戸籍"},"procedure_id":"koseki"}'
    ).encode()


def test_canonical_payload_carries_the_form_version_and_without_one_stays_byte_for_byte_as_before():
    created = dt.datetime(2025, 4, 1, 0, 30, 15, tzinfo=dt.UTC)
    before = (b'{"application_id":"a-1","attachments_sha256":{},"created_at":"2025-04-01T00:30:15Z",'
              b'"fields":{"a":1},"procedure_id":"koseki"}')
    assert jpki.canonical_payload("a-1", "koseki", {"a": 1}, {}, created) == before
    assert jpki.canonical_payload("a-1", "koseki", {"a": 1}, {}, created, None) == before
    version = "sha256:" + "ab" * 32
    assert jpki.canonical_payload("a-1", "koseki", {"a": 1}, {}, created, version) == (
        '{"application_id":"a-1","attachments_sha256":{},"created_at":"2025-04-01T00:30:15Z",'
        '"fields":{"a":1},"form_version":"sha256:' + "ab" * 32 + '","procedure_id":"koseki"}').encode()
    assert jpki.canonical_payload("a-1", "koseki", {"a": 1}, {}, created, "sha256:" + "cd" * 32) != \
        jpki.canonical_payload("a-1", "koseki", {"a": 1}, {}, created, version)


def test_canonical_payload_is_byte_identical_for_any_key_order():
    fields = {"name": "加古川 太郎", "copies": 2, "address": {"pref": "兵庫県", "city": "加古川市"},
              "purposes": ["年金", "相続"]}
    attachments = {"a.pdf": "ab" * 32, "b.jpg": "CD" * 32}
    created = dt.datetime(2025, 4, 1, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=9)))
    variants = set()
    for order in itertools.permutations(fields):
        shuffled = {k: (dict(reversed(list(fields[k].items()))) if isinstance(fields[k], dict) else fields[k])
                    for k in order}
        variants.add(jpki.canonical_payload("x", "p", shuffled, dict(reversed(attachments.items())), created))
    variants.add(jpki.canonical_payload("x", "p", fields, attachments, created.astimezone(dt.UTC)))
    assert len(variants) == 1
    assert b'"b.jpg":"' + b"cd" * 32 + b'"' in variants.pop()  # digests normalised to lower case


def test_canonical_payload_refuses_naive_times_and_bad_digests():
    with pytest.raises(ValueError):
        jpki.canonical_payload("x", "p", {}, {}, dt.datetime(2025, 4, 1))
    with pytest.raises(ValueError):
        jpki.canonical_payload("x", "p", {}, {"a.pdf": "not-a-digest"}, dt.datetime.now(dt.UTC))


def test_digest_info_is_what_pkcs1v15_sha256_signs(keys):
    key = keys["signer"]
    signature = key.sign(PAYLOAD, padding.PKCS1v15(), hashes.SHA256())
    recovered = key.public_key().recover_data_from_signature(signature, padding.PKCS1v15(), None)
    assert jpki.digest_info(PAYLOAD) == recovered
    assert jpki.digest_info(PAYLOAD)[:19].hex() == "3031300d060960864801650304020105000420"


def test_a_card_signing_the_digest_info_verifies(ca, certs, keys):
    """Play the card: PKCS#1 v1.5 type-1 padding around the DigestInfo, then the raw RSA private operation."""
    numbers = keys["signer"].private_numbers()
    n, d = numbers.public_numbers.n, numbers.d
    k = (n.bit_length() + 7) // 8
    t = jpki.digest_info(PAYLOAD)
    encoded = b"\x00\x01" + b"\xff" * (k - len(t) - 3) + b"\x00" + t
    card_signature = pow(int.from_bytes(encoded, "big"), d, n).to_bytes(k, "big")
    assert card_signature == devca.sign(PAYLOAD, keys["signer"])
    assert verify(ca, certs["valid"], signature=card_signature).ok


# ---- verification outcomes ------------------------------------------------------------------

def test_valid_signature_returns_the_signer_and_evidence(ca, certs):
    result = verify(ca, certs["valid"])
    assert result.ok and result.code is None and result.message is None
    assert result.signer == {"name": NAME, "address": ADDRESS, "birth_date": "319850401", "sex": "1"}
    assert jpki.parse_birth_date(result.signer["birth_date"]) == BIRTH
    assert result.serial == format(certs["valid"].serial, "X")
    assert "DEVELOPMENT ONLY JPKI Signing CA" in result.issuer
    crl_issuers = {e["issuer"] for e in result.revocation_evidence if e["type"] == "crl"}
    assert crl_issuers == {ca.root.subject.rfc4514_string(), ca.intermediate.subject.rfc4514_string()}
    for evidence in result.revocation_evidence:
        assert evidence["this_update"] and evidence["next_update"] and len(evidence["sha256"]) == 64
    assert result.checked_at is not None


def test_tampered_payload_is_signature_invalid(ca, certs):
    tampered = PAYLOAD.replace(b'"copies":2', b'"copies":9')
    assert tampered != PAYLOAD
    result = verify(ca, certs["valid"], payload=tampered)
    assert not result.ok and result.code == "signature_invalid" and result.signer is None
    assert "もう一度" in result.message.text("ja")


def test_signature_by_another_key_is_signature_invalid(ca, certs, keys):
    result = verify(ca, certs["valid"], signature=devca.sign(PAYLOAD, keys["other"]))
    assert result.code == "signature_invalid"


def test_unknown_root_is_certificate_untrusted(ca, foreign_ca, certs):
    result = verify(ca, certs["foreign"], chain=foreign_ca.chain_pems, crls=ca.crls() + foreign_ca.crls())
    assert result.code == "certificate_untrusted"
    assert verify(foreign_ca, certs["foreign"]).ok  # the same certificate, with its own root configured


def test_intermediate_is_taken_from_the_chain(ca, certs):
    assert verify(ca, certs["valid"], chain=[ca.intermediate_pem]).ok
    assert verify(ca, certs["valid"], chain=[]).code == "certificate_untrusted"


def test_expired_certificate(ca, certs):
    result = verify(ca, certs["expired"])
    assert result.code == "certificate_expired"
    assert "更新" in result.message.text("ja")


def test_not_yet_valid_counts_as_outside_the_validity_period(ca, certs):
    assert verify(ca, certs["future"]).code == "certificate_expired"


def test_revoked_certificate_with_a_crl_distribution_point(ca, certs):
    result = verify(ca, certs["revoked"])
    assert result.code == "certificate_revoked"
    assert "引っ越し" in result.message.text("ja") and "氏名" in result.message.text("ja") and "窓口" in result.message.text("ja")
    assert ca.intermediate.subject.rfc4514_string() in {e["issuer"] for e in result.revocation_evidence}


def test_revoked_certificate_without_a_distribution_point_is_still_caught(ca, certs):
    """ENGINEERING.md §2: soft-fail/hard-fail would accept this one; "require" must not."""
    extensions = certs["revoked_no_crldp"].certificate.extensions
    with pytest.raises(x509.ExtensionNotFound):
        extensions.get_extension_for_class(x509.CRLDistributionPoints)
    assert verify(ca, certs["revoked_no_crldp"]).code == "certificate_revoked"


def test_no_crl_at_all_is_revocation_unavailable(ca, certs):
    for name in ("valid", "no_crldp", "revoked"):
        result = verify(ca, certs[name], crls=[])
        assert result.code == "revocation_unavailable", name
        assert result.signer is None


def test_missing_crl_for_the_signing_certificate_is_revocation_unavailable(ca, certs):
    """Only the root's CRL (covering the intermediate): the leaf, with or without a CRL DP, is unchecked."""
    for name in ("valid", "no_crldp"):
        assert verify(ca, certs[name], crls=[ca.root_crl()]).code == "revocation_unavailable", name


def test_ocsp_response_is_accepted_as_revocation_information(ca, certs):
    good = certs["ocsp"]
    result = verify(ca, good, crls=[ca.root_crl()], ocsps=[ca.ocsp_response(good.certificate)])
    assert result.ok
    ocsp = [e for e in result.revocation_evidence if e["type"] == "ocsp"]
    single = ocsp[0]["responses"][0]
    assert single["serial"] == result.serial and single["status"] == "good"
    revoked = certs["ocsp_revoked"]
    result = verify(ca, revoked, crls=[ca.root_crl()], ocsps=[ca.ocsp_response(revoked.certificate)])
    assert result.code == "certificate_revoked"


def test_key_usage_must_include_non_repudiation(ca, certs):
    assert verify(ca, certs["auth_usage"]).code == "certificate_untrusted"  # like the 利用者証明用 certificate
    assert verify(ca, certs["nr_only"]).ok


def test_pem_crl_and_anchor_files_from_the_dev_ca_directory(ca, certs):
    directory = ca.directory
    result = verify(ca, certs["revoked_no_crldp"],
                    trust_roots=[(directory / "trust-anchors.pem").read_bytes()],
                    crls=[(directory / "root-crl.pem").read_bytes(), (directory / "intermediate-crl.pem").read_bytes()])
    assert result.code == "certificate_revoked"
    reopened = devca.load_dev_ca(directory)
    assert certs["revoked"].serial in reopened.revoked
    assert verify(reopened, certs["revoked"]).code == "certificate_revoked"
    signer = devca.load_signer(reopened, certs["valid"].serial)
    assert verify(reopened, signer).ok


def test_unreadable_certificate_and_configuration_errors(ca, certs):
    result = jpki.verify_signature(PAYLOAD, b"sig", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
                                   [], trust_roots=ca.trust_roots, crls=ca.crls(), moment=dt.datetime.now(dt.UTC))
    assert result.code == "certificate_untrusted" and result.serial is None
    with pytest.raises(ValueError):
        verify(ca, certs["valid"], moment=dt.datetime.now())
    with pytest.raises(ValueError):
        verify(ca, certs["valid"], trust_roots=[])


def test_every_code_has_a_japanese_message():
    assert set(jpki.MESSAGES) == set(jpki.CODES)
    assert all(message.endswith("。") for message in jpki.MESSAGES.values())


def test_verify_works_where_an_event_loop_is_already_running(ca, certs):
    """Browser tests (Playwright) or async servers run a loop in the thread: still verifies."""
    import asyncio
    import concurrent.futures

    async def inside_a_loop():
        return verify(ca, certs["valid"])

    # a thread of its own, so this test does not depend on whether pytest's thread has a loop
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        assert pool.submit(asyncio.run, inside_a_loop()).result().ok
