"""Data keys for personal data at rest: AES-256-GCM under key ids, and HMAC-SHA256 blind indexes.

Plain Python (no Flask, no SQLAlchemy). One :class:`Keyring` holds every configured data key,
oldest first and newest last; new values are always encrypted under the newest key, old values
stay readable as long as their key is configured (``flask keys rotate`` moves them forward).

Stored form of one value (ASCII, no dots inside the parts)::

    v1.<kid>.<base64(nonce 12 bytes + ciphertext + GCM tag 16 bytes)>

The associated data is the ``"table.column"`` the value belongs to, so a value copied into
another column (or another table) does not decrypt.

Key configuration (``parse_key_spec``): entries ``kid:base64key`` separated by commas or new
lines (``#`` starts a comment line); every key is 32 random bytes; kids are 1-32 characters of
``A-Z a-z 0-9 _ -``. The kid ``blind`` is reserved: ``blind:base64`` is the blind-index key.

Blind indexes: ``HMAC-SHA256(K, purpose || 0x00 || normalised value)`` as 64 hex characters,
where ``K = HKDF-SHA256(ikm, info=b"blind-index")``. ``ikm`` is the dedicated blind-index key
(``BLIND_INDEX_KEY`` / the ``blind:`` line) and never a rotating data key; only when none is
configured is it the FIRST (oldest) data key, so adding keys and rotating never changes an index
(removing that oldest key would: configure a dedicated blind-index key before you ever do).

``python -m core.keyring new [kid]`` prints a new ``kid:base64key`` line (nothing is written).
"""
from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import os
import re
import sys
import unicodedata
from collections.abc import Iterable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

TOKEN_VERSION = "v1"  # noqa: S105 (the stored format's version, not a secret)
KEY_BYTES = 32
NONCE_BYTES = 12
BLIND_KID = "blind"  # reserved entry name for the blind-index key in a key file
BLIND_INDEX_LENGTH = 64  # hex characters of one blind index (size a String column for it)
KID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
PURPOSE_PATTERN = re.compile(r"^[a-z][a-z0-9_.-]{0,63}$")

__all__ = [
    "BLIND_INDEX_LENGTH", "KEY_BYTES", "TOKEN_VERSION", "DecryptError", "KeyConfigError", "Keyring",
    "KeyringError", "UnknownKeyError", "generate_key", "new_key_line", "new_kid", "normalise_for_index",
    "parse_key_spec", "token_kid",
]


class KeyringError(Exception):
    """Base class: every message names kids, columns and positions, never key material or data."""


class KeyConfigError(KeyringError):
    """DATA_KEYS / the key file / BLIND_INDEX_KEY is malformed."""


class UnknownKeyError(KeyringError):
    """A stored value names a key id that is not configured."""


class DecryptError(KeyringError):
    """A stored value is malformed, was tampered with, or belongs to another column."""


def generate_key() -> bytes:
    """32 random bytes for a new data key or blind-index key."""
    return os.urandom(KEY_BYTES)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def new_kid(existing: Iterable[str] = ()) -> str:
    """A key id from today's date (``k20250401``), with a suffix if that one is taken."""
    taken = set(existing)
    base = dt.datetime.now(dt.UTC).strftime("k%Y%m%d")
    kid, n = base, 1
    while kid in taken:
        n += 1
        kid = f"{base}-{n}"
    return kid


def new_key_line(kid: str | None = None, existing: Iterable[str] = ()) -> str:
    """``kid:base64key`` for a fresh random key: append it (last) to DATA_KEYS or the key file."""
    kid = kid or new_kid(existing)
    _check_kid(kid)
    if kid in set(existing):
        raise KeyConfigError(f"key id {kid!r} is already configured")
    return f"{kid}:{_b64(generate_key())}"


def _check_kid(kid: str) -> None:
    if not KID_PATTERN.match(kid) or kid == BLIND_KID:
        raise KeyConfigError(f"bad key id {kid!r}: 1-32 characters of A-Z a-z 0-9 _ - (and not {BLIND_KID!r})")


def decode_key(text: str, name: str, *, exact: bool = True) -> bytes:
    """Base64 → bytes; 32 bytes (``exact``) or at least 32. ``name`` is used in errors only."""
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise KeyConfigError(f"key {name!r} is not valid base64") from None
    if (exact and len(key) != KEY_BYTES) or len(key) < KEY_BYTES:
        want = f"{KEY_BYTES}" if exact else f"at least {KEY_BYTES}"
        raise KeyConfigError(f"key {name!r} is {len(key)} bytes; {want} are needed")
    return key


def parse_key_spec(text: str) -> tuple[list[tuple[str, bytes]], bytes | None]:
    """Parse DATA_KEYS or a key file: ``([(kid, key), ...] oldest first, blind-index key or None)``."""
    keys: list[tuple[str, bytes]] = []
    blind: bytes | None = None
    lines = (line for line in text.splitlines() if not line.strip().startswith("#"))
    for number, raw in enumerate(",".join(lines).split(","), start=1):
        entry = raw.strip()
        if not entry:
            continue
        kid, sep, value = entry.partition(":")
        kid = kid.strip()
        if not sep or not value.strip():
            raise KeyConfigError(f"entry {number} is not kid:base64key")
        if kid == BLIND_KID:
            if blind is not None:
                raise KeyConfigError(f"{BLIND_KID!r} is given twice")
            blind = decode_key(value, kid, exact=False)
            continue
        _check_kid(kid)
        if any(kid == seen for seen, _ in keys):
            raise KeyConfigError(f"key id {kid!r} is given twice")
        keys.append((kid, decode_key(value, kid)))
    return keys, blind


def token_kid(token: str) -> str:
    """The key id a stored value names (raises DecryptError when it is not a ``v1`` value)."""
    return _split(token)[1]


def _split(token: str) -> tuple[str, str, str]:
    if not isinstance(token, str):
        raise DecryptError(f"stored value is {type(token).__name__}, not an encrypted text value")
    parts = token.split(".", 2)
    if len(parts) != 3 or parts[0] != TOKEN_VERSION or not KID_PATTERN.match(parts[1]):
        raise DecryptError(f"stored value is not a {TOKEN_VERSION}.<kid>.<data> encrypted value")
    return parts[0], parts[1], parts[2]


def _aad(aad: str | bytes) -> bytes:
    data = aad.encode("utf-8") if isinstance(aad, str) else bytes(aad)
    if not data:
        raise KeyringError("associated data (table.column) must not be empty")
    return data


def normalise_for_index(value: str, purpose: str) -> str:
    """Normalisation before a blind index, by purpose.

    - ``email``: NFKC, surrounding white space removed, lower-cased (whole address).
    - ``phone``: NFKC, then only digits and ``+`` kept (``０７９-４２１-２０００`` → ``0794212000``).
    - anything else (names, addresses, birth dates, …): used exactly as given; the caller passes
      the value already normalised the way it wants matches to work.
    """
    if purpose == "email":
        return unicodedata.normalize("NFKC", value).strip().lower()
    if purpose == "phone":
        return re.sub(r"[^0-9+]", "", unicodedata.normalize("NFKC", value))
    return value


def _hkdf(ikm: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=info).derive(ikm)


class Keyring:
    """Configured data keys (oldest first, newest last) and the blind-index key.

    ``blind_index_key`` is the dedicated blind-index secret (>= 32 bytes); when it is None the
    blind-index key is derived from the FIRST (oldest) data key (see the module docstring).
    """

    def __init__(self, keys: Iterable[tuple[str, bytes]], blind_index_key: bytes | None = None) -> None:
        pairs = list(keys)
        if not pairs:
            raise KeyConfigError("no data key is configured")
        self._ciphers: dict[str, AESGCM] = {}
        for kid, key in pairs:
            _check_kid(kid)
            if kid in self._ciphers:
                raise KeyConfigError(f"key id {kid!r} is given twice")
            if len(key) != KEY_BYTES:
                raise KeyConfigError(f"key {kid!r} is {len(key)} bytes; {KEY_BYTES} are needed")
            self._ciphers[kid] = AESGCM(bytes(key))
        self.kids: tuple[str, ...] = tuple(kid for kid, _ in pairs)
        self.current_kid: str = self.kids[-1]
        if blind_index_key is not None:
            if len(blind_index_key) < KEY_BYTES:
                raise KeyConfigError(f"the blind-index key must be at least {KEY_BYTES} bytes")
            self.blind_index_source = "dedicated blind-index key"
            ikm = bytes(blind_index_key)
        else:
            self.blind_index_source = f"derived from the oldest data key {self.kids[0]!r}"
            ikm = bytes(pairs[0][1])
        self._blind_key = _hkdf(ikm, b"blind-index")

    @classmethod
    def from_spec(cls, text: str, blind_index_key: bytes | None = None) -> Keyring:
        """From DATA_KEYS / key-file text; an explicit ``blind_index_key`` wins over a ``blind:`` entry."""
        keys, blind = parse_key_spec(text)
        return cls(keys, blind_index_key if blind_index_key is not None else blind)

    def __repr__(self) -> str:  # never the key material
        return f"<Keyring kids={list(self.kids)} current={self.current_kid!r}>"

    # encryption -------------------------------------------------------------------------

    def encrypt(self, plaintext: bytes, aad: str | bytes) -> str:
        """``v1.<newest kid>.<base64(nonce + ciphertext + tag)>`` bound to ``aad`` (``table.column``)."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._ciphers[self.current_kid].encrypt(nonce, bytes(plaintext), _aad(aad))
        return f"{TOKEN_VERSION}.{self.current_kid}.{_b64(nonce + sealed)}"

    def decrypt(self, token: str, aad: str | bytes) -> bytes:
        """The plaintext of a stored value; the key is chosen by the value's kid."""
        _, kid, body = _split(token)
        cipher = self._ciphers.get(kid)
        if cipher is None:
            raise UnknownKeyError(
                f"value encrypted under key id {kid!r}, which is not configured "
                f"(configured: {', '.join(self.kids)}); add that key back to DATA_KEYS")
        try:
            raw = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise DecryptError(f"stored value under key {kid!r} is not valid base64") from None
        if len(raw) < NONCE_BYTES + 16:
            raise DecryptError(f"stored value under key {kid!r} is too short")
        try:
            return cipher.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], _aad(aad))
        except InvalidTag:
            raise DecryptError(
                f"value under key {kid!r} does not decrypt for {_aad(aad).decode('utf-8', 'replace')!r}: "
                "altered, or copied from another column") from None

    def encrypt_text(self, text: str, aad: str | bytes) -> str:
        return self.encrypt(text.encode("utf-8"), aad)

    def decrypt_text(self, token: str, aad: str | bytes) -> str:
        return self.decrypt(token, aad).decode("utf-8")

    def is_current(self, token: str) -> bool:
        """True when the value is already under the newest key."""
        return token_kid(token) == self.current_kid

    def reencrypt(self, token: str, aad: str | bytes) -> str | None:
        """The value under the newest key, or None when it already is (nothing to do)."""
        if self.is_current(token):
            return None
        return self.encrypt(self.decrypt(token, aad), aad)

    # blind indexes ----------------------------------------------------------------------

    def blind_index(self, value: str, purpose: str) -> str:
        """64 hex characters; equal for equal (normalised) values of one purpose, stable across rotation.

        ``purpose`` separates indexes (an e-mail and a phone index never match each other) and picks
        the normalisation (:func:`normalise_for_index`)."""
        if not PURPOSE_PATTERN.match(purpose):
            raise KeyringError(f"bad blind-index purpose {purpose!r}: lower-case letters, digits, _ . -")
        if not isinstance(value, str):
            raise TypeError("blind_index takes a str value")
        message = purpose.encode("ascii") + b"\x00" + normalise_for_index(value, purpose).encode("utf-8")
        return hmac.new(self._blind_key, message, hashlib.sha256).hexdigest()


def main(argv: list[str] | None = None) -> int:
    """``python -m core.keyring new [kid]`` / ``python -m core.keyring blind``: print, never write."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["new"] and len(args) <= 2:
        print(new_key_line(args[1] if len(args) == 2 else None))
        return 0
    if args == ["blind"]:
        print(_b64(generate_key()))
        return 0
    print("usage: python -m core.keyring new [kid] | blind", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
