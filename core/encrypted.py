"""Encrypted columns for personal data at rest, blind indexes for lookups, and key rotation.

Example (staff accounts, applications: names, addresses, birth dates, phone, e-mail, free text,
attachments)::

    from sqlalchemy import String, select
    from sqlalchemy.orm import Mapped, mapped_column

    from core.db import db
    from core.encrypted import BLIND_INDEX_LENGTH, EncryptedBytes, EncryptedText, blind_index

    class Applicant(db.Model):
        __tablename__ = "applicant"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(EncryptedText())                 # 山田太郎
        address: Mapped[str | None] = mapped_column(EncryptedText())
        birth_date: Mapped[str | None] = mapped_column(EncryptedText())    # ISO "1980-04-01"
        email: Mapped[str | None] = mapped_column(EncryptedText())
        email_index: Mapped[str | None] = mapped_column(String(BLIND_INDEX_LENGTH), index=True)
        attachment: Mapped[bytes | None] = mapped_column(EncryptedBytes())

    applicant = Applicant(name="山田太郎", email=email, email_index=blind_index(email, "email"))
    found = db.session.scalars(
        select(Applicant).where(Applicant.email_index == blind_index(typed_email, "email"))).first()

Rules of use:

- The database holds ``v1.<kid>.<base64>`` text (the migration column type is ``sa.Text()``);
  Python sees ``str`` (EncryptedText) or ``bytes`` (EncryptedBytes); None stays NULL.
- The associated data is ``"<table name>.<column name>"``, taken when the column joins its
  table. Renaming a table or column therefore needs the old name pinned:
  ``EncryptedText(aad="applicant.name")``.
- Encrypted columns cannot be compared in SQL (``==``, ``like``, ``in_``… raise TypeError:
  ciphertexts are random); only ``IS NULL`` / ``IS NOT NULL`` work. Look rows up through a blind
  index column filled with :func:`blind_index` (``"email"`` and ``"phone"`` are normalised here;
  for other purposes pass the value already normalised).
- The keyring is module state (no Flask at type level): ``core.crypto.init_crypto(app)`` sets it,
  and inside an app context the app's own keyring is used; tests use :func:`use_keyring`.
- ``flask keys rotate`` (:func:`rotate`) re-encrypts every such column under the newest key.
"""
from __future__ import annotations

import contextlib
import contextvars
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Column, Table, Text, and_, not_, or_, select, tuple_, type_coerce, update
from sqlalchemy.engine import Engine
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.types import TypeDecorator

from core.keyring import (
    BLIND_INDEX_LENGTH,
    TOKEN_VERSION,
    DecryptError,
    Keyring,
    KeyringError,
    UnknownKeyError,
    token_kid,
)

__all__ = [
    "BLIND_INDEX_LENGTH", "EncryptedBytes", "EncryptedText", "EncryptedType", "RotationResult",
    "blind_index", "current_keyring", "encrypted_columns", "process_keyring", "rotate", "set_keyring",
    "set_keyring_lookup",
    "stored_kids", "use_keyring",
]

log = logging.getLogger(__name__)

# ---------------------------------------------------------------------------------------------
# the current keyring

_default: Keyring | None = None
_lookup: Callable[[], Keyring | None] | None = None
_override: contextvars.ContextVar[Keyring | None] = contextvars.ContextVar("keyring_override", default=None)


def set_keyring(keyring: Keyring | None) -> None:
    """The process-wide keyring (init_crypto sets it; scripts and tests may too)."""
    global _default
    _default = keyring


def process_keyring() -> Keyring | None:
    """The process-wide keyring (to put back after a second app was created, e.g. the restore drill)."""
    return _default


def set_keyring_lookup(lookup: Callable[[], Keyring | None] | None) -> None:
    """A function returning the keyring of the current context, or None (init_crypto: the app's)."""
    global _lookup
    _lookup = lookup


@contextlib.contextmanager
def use_keyring(keyring: Keyring) -> Iterator[Keyring]:
    """Use ``keyring`` in this block, ahead of the app's and the process-wide one (tests)."""
    token = _override.set(keyring)
    try:
        yield keyring
    finally:
        _override.reset(token)


def current_keyring() -> Keyring:
    """use_keyring() block → the current app's keyring → the process-wide keyring."""
    keyring = _override.get()
    if keyring is None and _lookup is not None:
        keyring = _lookup()
    if keyring is None:
        keyring = _default
    if keyring is None:
        raise KeyringError("no keyring: call core.crypto.init_crypto(app) or core.encrypted.set_keyring()")
    return keyring


def blind_index(value: str | None, purpose: str) -> str | None:
    """HMAC-SHA256 blind index (64 hex) of ``value`` for ``purpose`` ("email", "phone", "name", …).

    None gives None. E-mail and phone are normalised (NFKC; e-mail lower-cased; phone digits and +);
    any other purpose takes the value as given. Stable across key rotation."""
    if value is None:
        return None
    return current_keyring().blind_index(value, purpose)


# ---------------------------------------------------------------------------------------------
# the column types

_REFUSED = {getattr(operators, name) for name in (
    "eq", "ne", "lt", "le", "gt", "ge", "like_op", "not_like_op", "ilike_op", "not_ilike_op", "in_op",
    "not_in_op", "between_op", "not_between_op", "contains_op", "not_contains_op", "icontains_op",
    "not_icontains_op", "startswith_op", "not_startswith_op", "istartswith_op", "not_istartswith_op",
    "endswith_op", "not_endswith_op", "iendswith_op", "not_iendswith_op", "match_op", "not_match_op",
    "regexp_match_op", "not_regexp_match_op", "regexp_replace_op",
) if hasattr(operators, name)}


class _RefusingComparator(TypeDecorator.Comparator):
    """Comparing ciphertexts with a value never matches (random nonces): refuse, except against NULL."""

    def _check(self, op: Any, other: tuple[Any, ...]) -> None:
        if op in (operators.eq, operators.ne) and len(other) == 1 and other[0] is None:
            return
        # against another SQL expression (a join, `column in [columns]` in Python) it is fine;
        # against a Python value it would silently never match
        if op in _REFUSED and not all(isinstance(o, ClauseElement) for o in other):
            raise TypeError(f"{self.expr} is encrypted and cannot be compared in SQL; "
                            "look it up through a blind index column (core.encrypted.blind_index)")

    def operate(self, op: Any, *other: Any, **kwargs: Any) -> Any:
        self._check(op, other)
        return super().operate(op, *other, **kwargs)

    def reverse_operate(self, op: Any, other: Any, **kwargs: Any) -> Any:
        self._check(op, (other,))
        return super().reverse_operate(op, other, **kwargs)


class EncryptedType(TypeDecorator):
    """Base of EncryptedText / EncryptedBytes: ``v1.<kid>.<base64>`` text in the database."""

    impl = Text
    cache_ok = True
    comparator_factory = _RefusingComparator

    def __init__(self, aad: str | None = None) -> None:
        super().__init__()
        self.aad = aad  # pinned associated data; None: "<table>.<column>" when attached
        self._context: str | None = aad

    @property
    def context(self) -> str:
        """The associated data of this column (``table.column``)."""
        if self._context is None:
            raise KeyringError(f"{type(self).__name__} is not attached to a table column yet "
                               "(or pass aad='table.column')")
        return self._context

    # SchemaEventTarget: learn "table.column" when the column joins its table
    def _set_parent(self, parent: Any, outer: bool = False, **kw: Any) -> None:
        super()._set_parent(parent, outer=outer, **kw)
        if isinstance(parent, Column):
            parent._on_table_attach(self._set_table)

    def _set_table(self, column: Column, table: Table) -> None:
        if self.aad is not None:
            return
        context = f"{table.name}.{column.name}"
        if self._context in (None, context):
            self._context = context
            return
        # the same instance serves another column too: this column gets its own copy
        own = self.copy()
        own._context = context
        column.type = own
        column._reset_memoizations()

    def _to_bytes(self, value: Any) -> bytes:
        raise NotImplementedError

    def _from_bytes(self, data: bytes) -> Any:
        raise NotImplementedError

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        if value is None:
            return None
        return current_keyring().encrypt(self._to_bytes(value), self.context)

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        if value is None:
            return None
        try:
            return self._from_bytes(current_keyring().decrypt(value, self.context))
        except (DecryptError, UnknownKeyError) as exc:
            raise type(exc)(f"{self.context}: {exc}") from None

    def process_literal_param(self, value: Any, dialect: Any) -> str:
        raise TypeError("encrypted values are never rendered into SQL text")


class EncryptedText(EncryptedType):
    """A ``str`` stored encrypted (UTF-8 inside)."""

    cache_ok = True

    @property
    def python_type(self) -> type:
        return str

    def _to_bytes(self, value: Any) -> bytes:
        if not isinstance(value, str):
            raise TypeError(f"{self.context} takes str, not {type(value).__name__}")
        return value.encode("utf-8")

    def _from_bytes(self, data: bytes) -> str:
        return data.decode("utf-8")


class EncryptedBytes(EncryptedType):
    """``bytes`` (attachments) stored encrypted."""

    cache_ok = True

    @property
    def python_type(self) -> type:
        return bytes

    def _to_bytes(self, value: Any) -> bytes:
        if not isinstance(value, bytes | bytearray | memoryview):
            raise TypeError(f"{self.context} takes bytes, not {type(value).__name__}")
        return bytes(value)

    def _from_bytes(self, data: bytes) -> bytes:
        return data


# ---------------------------------------------------------------------------------------------
# discovery and rotation

def _tables_of(source: Any) -> list[Table]:
    """Tables of a declarative base / registry (its mapped classes), a MetaData, or Tables."""
    registry = getattr(source, "registry", None)
    if registry is None and hasattr(source, "mappers"):
        registry = source
    if registry is not None:
        found: list[Table] = []
        for mapper in registry.mappers:
            for table in mapper.tables:
                if isinstance(table, Table) and table not in found:
                    found.append(table)
        return sorted(found, key=lambda t: t.fullname)
    if hasattr(source, "sorted_tables"):
        return list(source.sorted_tables)
    if isinstance(source, Table):
        return [source]
    tables: list[Table] = []
    for item in source:
        tables.extend(t for t in _tables_of(item) if t not in tables)
    return tables


def encrypted_columns(source: Any) -> list[tuple[Table, list[Column]]]:
    """``[(table, [columns of an Encrypted type]), ...]`` for a declarative base (``db.Model``), a
    registry, a MetaData, a Table, or an iterable of those. Tables without one are left out."""
    result = []
    for table in _tables_of(source):
        columns = [c for c in table.columns if isinstance(c.type, EncryptedType)]
        if columns:
            result.append((table, columns))
    return result


@dataclass
class RotationResult:
    """Counts of one ``rotate`` run, per ``"table.column"``."""

    kid: str
    rotated: dict[str, int] = field(default_factory=dict)
    conflicts: dict[str, int] = field(default_factory=dict)  # rows changed while we worked: run again

    @property
    def total(self) -> int:
        return sum(self.rotated.values())


def _raw(column: Column) -> Any:
    return type_coerce(column, Text())


def rotate(engine: Engine, keyring: Keyring, source: Any, *, batch_size: int = 500,
           progress: Callable[[str, int], None] | None = None) -> RotationResult:
    """Re-encrypt every encrypted column of ``source`` (see :func:`encrypted_columns`) under the newest key.

    Works table by table in batches of ``batch_size`` rows (keyset pagination on the primary key),
    one transaction per batch. Only rows with a value under an older kid are read; values already
    under the newest kid are left alone, so a second run reports 0. Each row is updated only if its
    stored values are still the ones read (a row changed meanwhile is counted in ``conflicts`` and
    left for the next run). Python-side ``onupdate`` columns are kept as they are.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    result = RotationResult(kid=keyring.current_kid)
    current_prefix = f"{TOKEN_VERSION}.{keyring.current_kid}."
    for table, columns in encrypted_columns(source):
        pk = list(table.primary_key.columns)
        if not pk:
            raise KeyringError(f"{table.name} has no primary key: it cannot be rotated in batches")
        names = [f"{table.name}.{c.name}" for c in columns]
        for name in names:
            result.rotated.setdefault(name, 0)
        stale = or_(*(and_(c.is_not(None), not_(_raw(c).startswith(current_prefix, autoescape=True)))
                      for c in columns))
        keep_onupdate = {c.name: c for c in table.columns if c.onupdate is not None and not isinstance(c.type, EncryptedType)}
        last: tuple[Any, ...] | None = None
        while True:
            query = select(*pk, *(_raw(c).label(f"c{i}") for i, c in enumerate(columns))).where(stale)
            if last is not None:
                query = query.where((pk[0] > last[0]) if len(pk) == 1 else (tuple_(*pk) > tuple_(*last)))
            query = query.order_by(*pk).limit(batch_size)
            with engine.begin() as conn:
                rows = conn.execute(query).all()
                for row in rows:
                    key, tokens = tuple(row[:len(pk)]), row[len(pk):]
                    new: dict[int, str] = {}
                    for i, (column, token) in enumerate(zip(columns, tokens, strict=True)):
                        if token is None:
                            continue
                        try:
                            fresh = keyring.reencrypt(token, column.type.context)
                        except KeyringError as exc:
                            raise KeyringError(f"{names[i]} row {key}: {exc}") from None
                        if fresh is not None:
                            new[i] = fresh
                    if not new:
                        continue
                    where = [c == v for c, v in zip(pk, key, strict=True)]
                    where += [_raw(columns[i]) == tokens[i] for i in new]
                    values: dict[Any, Any] = {columns[i].name: type_coerce(fresh, Text()) for i, fresh in new.items()}
                    values.update(keep_onupdate)
                    changed = conn.execute(update(table).where(*where).values(values)).rowcount
                    counts = result.rotated if changed else result.conflicts
                    for i in new:
                        counts[names[i]] = counts.get(names[i], 0) + 1
            if progress is not None and rows:
                progress(table.name, len(rows))
            if len(rows) < batch_size:
                break
            last = tuple(rows[-1][:len(pk)])
    return result


def stored_kids(engine: Engine, source: Any, *, batch_size: int = 1000) -> dict[str, dict[str, int]]:
    """``{"table.column": {kid: number of values}}``: which keys the stored values are under."""
    counts: dict[str, dict[str, int]] = {}
    for table, columns in encrypted_columns(source):
        for column in columns:
            name = f"{table.name}.{column.name}"
            per_kid = counts.setdefault(name, {})
            with engine.connect() as conn:
                result = conn.execution_options(yield_per=batch_size).execute(
                    select(_raw(column)).where(column.is_not(None)))
                for (token,) in result:
                    try:
                        kid = token_kid(token)
                    except DecryptError:
                        kid = "(not encrypted)"
                    per_kid[kid] = per_kid.get(kid, 0) + 1
    return counts

