"""Credentials of the back-office API (OAuth2 client credentials): clients with an argon2id
secret, and bearer tokens of one hour of which only the SHA-256 is stored.

    client, secret = new_client("申請管理システム", ["shimin"])   # the secret is shown once
    client = check_credentials(client_id, secret)                 # None when wrong (same work either way)
    token = issue_token(client)                                   # the caller commits
    client = client_for_token(token)                              # None: unknown, expired or disabled
"""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select

from core import auth
from core.db import aware, db
from intake.backoffice_models import BackofficeClient, BackofficeToken

TOKEN_SECONDS = 3600
MAX_SECRET = 512  # longer input is refused without hashing it (still after the same dummy work)
_hasher = PasswordHasher()  # verifies what core.auth.hash_password made (argon2id)
_dummy_hash: str | None = None


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_client(name: str, departments: Iterable[str] = ()) -> tuple[BackofficeClient, str]:
    """A client (added to the session) and its secret, which is never stored in clear."""
    secret = secrets.token_urlsafe(32)
    client = BackofficeClient(client_id=f"bo-{secrets.token_hex(8)}", secret_hash=auth.hash_password(secret),
                              name=name, departments=",".join(d for d in departments if d), active=True,
                              created_at=utcnow())
    db.session.add(client)
    db.session.flush()
    return client, secret


def _dummy() -> str:
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = auth.hash_password("not-a-real-secret-only-for-timing")
    return _dummy_hash


def check_credentials(client_id: str, secret: str) -> BackofficeClient | None:
    """The active client whose secret this is; an unknown id costs the same argon2 work, so the
    answer time does not tell which client ids exist."""
    client = None
    if client_id and len(client_id) <= 64:
        client = db.session.scalar(select(BackofficeClient).where(BackofficeClient.client_id == client_id))
    try:
        ok = _hasher.verify(client.secret_hash if client is not None else _dummy(), secret[:MAX_SECRET])
    except (VerificationError, InvalidHashError):
        ok = False
    if client is None or not ok or not client.active or len(secret) > MAX_SECRET:
        return None
    if _hasher.check_needs_rehash(client.secret_hash):
        client.secret_hash = auth.hash_password(secret)
    return client


def issue_token(client: BackofficeClient) -> str:
    """A new bearer token (its hash stored); the client's expired tokens are cleared away."""
    now = utcnow()
    db.session.execute(delete(BackofficeToken).where(BackofficeToken.client_pk == client.id,
                                                     BackofficeToken.expires_at <= now))
    token = secrets.token_urlsafe(32)
    db.session.add(BackofficeToken(token_hash=token_hash(token), client_pk=client.id, issued_at=now,
                                   expires_at=now + dt.timedelta(seconds=TOKEN_SECONDS)))
    client.last_used_at = now
    return token


def client_for_token(token: str) -> BackofficeClient | None:
    if not token or len(token) > 256:
        return None
    row = db.session.execute(
        select(BackofficeToken, BackofficeClient).join(BackofficeClient, BackofficeClient.id == BackofficeToken.client_pk)
        .where(BackofficeToken.token_hash == token_hash(token))).first()
    if row is None:
        return None
    stored, client = row
    if aware(stored.expires_at) <= utcnow() or not client.active:
        return None
    return client


def client(client_id: str) -> BackofficeClient | None:
    return db.session.scalar(select(BackofficeClient).where(BackofficeClient.client_id == client_id))


def disable(client_id: str) -> bool:
    """Stop a client: its tokens end now. False when there is no such client."""
    client = db.session.scalar(select(BackofficeClient).where(BackofficeClient.client_id == client_id))
    if client is None:
        return False
    client.active = False
    db.session.execute(delete(BackofficeToken).where(BackofficeToken.client_pk == client.id))
    return True


def clients() -> list[BackofficeClient]:
    return list(db.session.scalars(select(BackofficeClient).order_by(BackofficeClient.id)))
