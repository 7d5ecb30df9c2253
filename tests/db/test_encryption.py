"""Personal data at rest on SQLite and PostgreSQL: raw rows hold no plaintext, values are bound to
their column, `flask keys rotate` moves everything to the newest key (and reports 0 the second time),
blind indexes find rows. The model is a throwaway on its own MetaData (not in the app's migrations)."""
import base64
import datetime as dt

import pytest
from sqlalchemy import DateTime, Integer, MetaData, String, Text, create_engine, select, text
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from core import encrypted
from core.config import normalise_database_url
from core.encrypted import (
    BLIND_INDEX_LENGTH,
    EncryptedBytes,
    EncryptedText,
    blind_index,
    encrypted_columns,
    rotate,
    stored_kids,
    use_keyring,
)
from core.keyring import DecryptError, Keyring, UnknownKeyError, token_kid
from tests.conftest import scratch_database

K1, K2, BLIND = b"\x11" * 32, b"\x22" * 32, b"\x33" * 32
RING1 = Keyring([("k1", K1)], BLIND)
RING2 = Keyring([("k1", K1), ("k2", K2)], BLIND)
FIXED = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)

NAME, EMAIL, PHONE, ADDRESS = "山田太郎", "taro.yamada@example.jp", "079-421-2000", "兵庫県加古川市加古川町北在家2000"
ATTACHMENT = b"%PDF-1.7 \x00\xff resident certificate"
PEOPLE = [
    {"name": NAME, "email": EMAIL, "phone": PHONE, "address": ADDRESS, "attachment": ATTACHMENT},
    {"name": "加古川花子", "email": "hanako@example.jp", "phone": "０７９－４２４－２１１１", "address": None,
     "attachment": None},
    {"name": "鈴木一郎", "email": None, "phone": None, "address": "加古川市野口町", "attachment": b"scanned health insurance card"},
    {"name": "佐藤次郎", "email": "jiro@example.jp", "phone": "0794-00-0000", "address": "東京都", "attachment": b"\x89PNG seal registration"},
    {"name": "高橋三郎", "email": "saburo@example.jp", "phone": "09000000000", "address": "大阪府", "attachment": b"scanned my number card, back side"},
]


class Base(DeclarativeBase):
    metadata = MetaData()


class Resident(Base):
    __tablename__ = "enc_test_resident"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(EncryptedText())
    email: Mapped[str | None] = mapped_column(EncryptedText())
    email_index: Mapped[str | None] = mapped_column(String(BLIND_INDEX_LENGTH), index=True)
    phone: Mapped[str | None] = mapped_column(EncryptedText())
    address: Mapped[str | None] = mapped_column(EncryptedText(aad="enc_test_resident.old_address"))
    attachment: Mapped[bytes | None] = mapped_column(EncryptedBytes())
    kind: Mapped[str] = mapped_column(String(20), default="resident")  # not encrypted
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=FIXED,
                                                    onupdate=lambda: dt.datetime.now(dt.UTC))


class Note(Base):
    """A second table whose two columns share one type instance (each still gets its own AAD)."""

    __tablename__ = "enc_test_note"
    shared = EncryptedText()

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(shared)
    body: Mapped[str | None] = mapped_column(shared)
    plain: Mapped[str | None] = mapped_column(Text)


ENCRYPTED = {"enc_test_resident": ["name", "email", "phone", "address", "attachment"],
             "enc_test_note": ["title", "body"]}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def database_url(request, tmp_path_factory):
    with scratch_database(request.param, tmp_path_factory.mktemp(f"enc-{request.param}")) as url:
        yield url


@pytest.fixture
def engine(database_url):
    engine = create_engine(normalise_database_url(database_url))
    Base.metadata.create_all(engine)
    yield engine
    Base.metadata.drop_all(engine)
    engine.dispose()


def add_people(engine, ring=RING1):
    with use_keyring(ring), Session(engine) as session:
        for person in PEOPLE:
            session.add(Resident(**person, email_index=blind_index(person["email"], "email")))
        session.add(Note(title="相談メモ", body="山田太郎さんの転入相談", plain="public"))
        session.commit()


def raw_rows(engine, table):
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(text(f"SELECT * FROM {table}"))]


def raw_blob(engine) -> bytes:
    """Every stored value of both tables as bytes (PostgreSQL: the whole row as text, too)."""
    parts = []
    for table in ENCRYPTED:
        for row in raw_rows(engine, table):
            for value in row.values():
                parts.append(value if isinstance(value, bytes) else str(value).encode("utf-8"))
        if engine.dialect.name == "postgresql":
            with engine.connect() as conn:
                parts += [r[0].encode() for r in conn.execute(text(f"SELECT t::text FROM {table} t"))]
    return b"\n".join(parts)


def test_columns_are_discovered_with_their_associated_data():
    found = {t.name: [c.name for c in cols] for t, cols in encrypted_columns(Base)}
    assert found == ENCRYPTED
    assert [t.name for t, _ in encrypted_columns(Base.metadata)] == sorted(ENCRYPTED)
    assert Resident.__table__.c.name.type.context == "enc_test_resident.name"
    assert Resident.__table__.c.address.type.context == "enc_test_resident.old_address"  # pinned
    assert Note.__table__.c.title.type.context == "enc_test_note.title"
    assert Note.__table__.c.body.type.context == "enc_test_note.body"


def test_raw_rows_hold_no_plaintext(engine):
    add_people(engine)
    blob = raw_blob(engine)
    for person in PEOPLE:
        for value in person.values():
            if value is None:
                continue
            needle = value if isinstance(value, bytes) else value.encode("utf-8")
            assert needle not in blob, f"plaintext {value!r} found in the raw rows"
    for needle in ("山田", "太郎", "taro", "yamada", "example.jp", "421-2000", "4212000", "加古川", "scanned",
                   "相談", "転入"):
        assert needle.encode("utf-8") not in blob, needle
    assert base64.b64encode(NAME.encode()) not in blob
    assert b"public" in blob and b"resident" in blob  # the unencrypted columns are there as they are
    rows = raw_rows(engine, "enc_test_resident")
    assert len(rows) == len(PEOPLE)
    for row in rows:
        for column in ENCRYPTED["enc_test_resident"]:
            assert row[column] is None or token_kid(row[column]) == "k1"
    assert rows[1]["address"] is None and rows[1]["attachment"] is None  # NULL stays NULL
    with use_keyring(RING1), Session(engine) as session:
        people = session.scalars(select(Resident).order_by(Resident.id)).all()
        assert [(p.name, p.email, p.phone, p.address, p.attachment) for p in people] == [
            (p["name"], p["email"], p["phone"], p["address"], p["attachment"]) for p in PEOPLE]
        note = session.scalars(select(Note)).one()
        assert (note.title, note.body) == ("相談メモ", "山田太郎さんの転入相談")


def test_value_copied_to_another_column_does_not_decrypt(engine):
    add_people(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE enc_test_resident SET email = name WHERE email IS NOT NULL"))
    with use_keyring(RING1), Session(engine) as session, pytest.raises(DecryptError, match=r"enc_test_resident\.email"):
        session.scalars(select(Resident)).all()


def test_missing_key_is_a_clear_error(engine):
    add_people(engine)
    with use_keyring(Keyring([("k2", K2)], BLIND)), Session(engine) as session:
        with pytest.raises(UnknownKeyError, match="'k1'"):
            session.scalars(select(Resident)).all()


def test_blind_index_finds_the_row_by_email(engine):
    add_people(engine)
    with use_keyring(RING1), Session(engine) as session:
        for typed in (EMAIL, " Taro.Yamada@EXAMPLE.jp", "ｔａｒｏ．ｙａｍａｄａ＠ｅｘａｍｐｌｅ．ｊｐ"):
            found = session.scalars(select(Resident).where(Resident.email_index == blind_index(typed, "email"))).all()
            assert [p.name for p in found] == [NAME]
        assert session.scalars(select(Resident).where(
            Resident.email_index == blind_index("nobody@example.jp", "email"))).all() == []
        assert session.scalars(select(Resident).where(Resident.email_index.is_(None))).one().name == "鈴木一郎"
        assert len(session.scalars(select(Resident).where(Resident.email.is_not(None))).all()) == 4
        with pytest.raises(TypeError, match="blind index"):
            select(Resident).where(Resident.email == EMAIL)
        with pytest.raises(TypeError):
            select(Resident).where(Resident.name.like("山田%"))
        with pytest.raises(TypeError):
            select(Resident).where(Resident.phone.in_([PHONE]))


def test_rotate_moves_every_value_to_the_newest_key(engine):
    add_people(engine)
    before = raw_rows(engine, "enc_test_resident")
    assert stored_kids(engine, Base)["enc_test_resident.name"] == {"k1": 5}
    result = rotate(engine, RING2, Base, batch_size=2)  # 5 rows: three batches
    assert result.kid == "k2" and not result.conflicts
    assert result.rotated == {
        "enc_test_resident.name": 5, "enc_test_resident.email": 4, "enc_test_resident.phone": 4,
        "enc_test_resident.address": 4, "enc_test_resident.attachment": 4,
        "enc_test_note.title": 1, "enc_test_note.body": 1}
    after = raw_rows(engine, "enc_test_resident")
    for old, new in zip(before, after, strict=True):
        for column in ENCRYPTED["enc_test_resident"]:
            if old[column] is None:
                assert new[column] is None
            else:
                assert token_kid(new[column]) == "k2" and new[column] != old[column]
        assert new["email_index"] == old["email_index"]  # blind indexes do not change
        assert new["kind"] == old["kind"] and new["changed_at"] == old["changed_at"]  # onupdate kept
    assert stored_kids(engine, Base)["enc_test_resident.name"] == {"k2": 5}
    assert NAME.encode() not in raw_blob(engine)
    with use_keyring(RING2), Session(engine) as session:
        people = session.scalars(select(Resident).order_by(Resident.id)).all()
        assert [(p.name, p.email, p.phone, p.address, p.attachment) for p in people] == [
            (p["name"], p["email"], p["phone"], p["address"], p["attachment"]) for p in PEOPLE]
        found = session.scalars(select(Resident).where(Resident.email_index == blind_index(EMAIL, "email"))).one()
        assert found.name == NAME
    again = rotate(engine, RING2, Base, batch_size=2)
    assert again.total == 0 and set(again.rotated.values()) == {0} and not again.conflicts
    assert raw_rows(engine, "enc_test_resident") == after
    # only the newest key is needed now
    with use_keyring(Keyring([("k2", K2)], BLIND)), Session(engine) as session:
        assert session.scalars(select(Resident).where(Resident.id == after[0]["id"])).one().name == NAME


def test_rotate_only_touches_stale_values(engine):
    add_people(engine)
    with use_keyring(RING2), Session(engine) as session:  # new rows are written under the newest key
        session.add(Resident(name="新規", email="new@example.jp"))
        session.commit()
    result = rotate(engine, RING2, [Resident.__table__])
    assert result.rotated["enc_test_resident.name"] == 5
    assert "enc_test_note.title" not in result.rotated
    assert rotate(engine, RING2, Base).rotated["enc_test_note.title"] == 1


# --- the CLI -----------------------------------------------------------------------------------

def b64(key: bytes) -> str:
    return base64.b64encode(key).decode()


@pytest.fixture
def make_app(database_url, tmp_path, monkeypatch):
    from app import create_app
    from core import crypto

    monkeypatch.setattr(crypto, "encrypted_models", lambda: [Base])
    monkeypatch.delenv("BLIND_INDEX_KEY", raising=False)
    previous = encrypted._default
    apps = []

    def make(data_keys: str):
        application = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "x", "INSTANCE_PATH": str(tmp_path),
                                  "DATA_KEYS": data_keys, "BLIND_INDEX_KEY": b64(BLIND)})
        apps.append(application)
        return application

    yield make
    encrypted.set_keyring(previous)
    from core.db import db

    for application in apps:
        with application.app_context():
            db.engine.dispose()


def test_flask_keys_rotate_twice(engine, make_app):
    old_app = make_app(f"k1:{b64(K1)}")
    with old_app.app_context():
        assert encrypted.current_keyring().kids == ("k1",)
        with Session(engine) as session:
            session.add_all([Resident(name=NAME, email=EMAIL, email_index=blind_index(EMAIL, "email")),
                             Resident(name="加古川花子"), Resident(name="鈴木一郎", phone=PHONE)])
            session.commit()
    assert {token_kid(r["name"]) for r in raw_rows(engine, "enc_test_resident")} == {"k1"}

    new_app = make_app(f"k1:{b64(K1)},k2:{b64(K2)}")
    runner = new_app.test_cli_runner()
    first = runner.invoke(args=["keys", "rotate", "--batch-size", "2"])
    assert first.exit_code == 0, first.output
    assert "enc_test_resident.name: 3 re-encrypted" in first.output
    assert "enc_test_resident.email: 1 re-encrypted" in first.output
    assert "enc_test_resident.phone: 1 re-encrypted" in first.output
    assert "5 value(s) re-encrypted under 'k2'" in first.output
    assert {token_kid(r["name"]) for r in raw_rows(engine, "enc_test_resident")} == {"k2"}

    second = runner.invoke(args=["keys", "rotate"])
    assert second.exit_code == 0, second.output
    assert "enc_test_resident.name: 0 re-encrypted" in second.output
    assert "0 value(s) re-encrypted" in second.output

    status = runner.invoke(args=["keys", "status"])
    assert "enc_test_resident.name: k2: 3" in status.output and "dedicated" in status.output
    assert b64(K1) not in status.output + first.output + second.output

    with new_app.app_context(), Session(engine) as session:
        person = session.scalars(select(Resident).where(Resident.email_index == blind_index(EMAIL, "email"))).one()
        assert (person.name, person.email) == (NAME, EMAIL)


def test_flask_keys_new_prints_a_key_and_writes_nothing(make_app, tmp_path):
    application = make_app(f"k1:{b64(K1)}")
    before = sorted(p.name for p in tmp_path.iterdir())
    result = application.test_cli_runner().invoke(args=["keys", "new"])
    assert result.exit_code == 0, result.output
    line = next(x for x in result.output.splitlines() if ":" in x and " " not in x)
    kid, _, key = line.partition(":")
    assert kid != "k1" and len(base64.b64decode(key)) == 32
    assert Keyring.from_spec(f"k1:{b64(K1)},{line}").current_kid == kid
    taken = application.test_cli_runner().invoke(args=["keys", "new", "--kid", "k1"])
    assert taken.exit_code != 0 and "already configured" in taken.output
    blind = application.test_cli_runner().invoke(args=["keys", "new", "--blind"])
    assert len(base64.b64decode(blind.output.splitlines()[0])) == 32
    assert sorted(p.name for p in tmp_path.iterdir()) == before
