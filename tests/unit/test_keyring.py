"""core.keyring (AES-256-GCM under key ids, blind indexes) and core.crypto.load_keyring (where keys come from)."""
import base64
import logging
import stat

import pytest

from core.config import ROOT
from core.crypto import load_keyring
from core.keyring import (
    BLIND_INDEX_LENGTH,
    DecryptError,
    KeyConfigError,
    Keyring,
    KeyringError,
    UnknownKeyError,
    generate_key,
    new_key_line,
    new_kid,
    normalise_for_index,
    parse_key_spec,
    token_kid,
)

K1, K2, BLIND = b"\x01" * 32, b"\x02" * 32, b"\x03" * 32
AAD = "applicant.name"


def b64(key: bytes) -> str:
    return base64.b64encode(key).decode()


@pytest.fixture
def ring():
    return Keyring([("k1", K1)], BLIND)


def test_round_trip_text_and_bytes(ring):
    token = ring.encrypt_text("山田太郎", AAD)
    assert token.startswith("v1.k1.")
    assert ring.decrypt_text(token, AAD) == "山田太郎"
    assert ring.decrypt(ring.encrypt(b"\x00%PDF\xff", "applicant.attachment"), "applicant.attachment") == b"\x00%PDF\xff"
    assert ring.decrypt_text(ring.encrypt_text("", AAD), AAD) == ""
    assert token_kid(token) == "k1"


def test_random_nonce_and_no_plaintext_in_token(ring):
    one, two = ring.encrypt_text("山田太郎", AAD), ring.encrypt_text("山田太郎", AAD)
    assert one != two
    raw = base64.b64decode(one.split(".", 2)[2])
    assert len(raw) == 12 + len("山田太郎".encode()) + 16  # nonce + ciphertext + tag
    assert "山田太郎".encode() not in raw and "山田太郎" not in one


def test_wrong_associated_data_fails(ring):
    token = ring.encrypt_text("山田太郎", "applicant.name")
    with pytest.raises(DecryptError, match=r"applicant\.email"):
        ring.decrypt_text(token, "applicant.email")
    with pytest.raises(DecryptError):
        ring.decrypt_text(token, "staff.name")


def test_tampering_fails(ring):
    token = ring.encrypt_text("山田太郎", AAD)
    head, body = token.rsplit(".", 1)
    raw = bytearray(base64.b64decode(body))
    for position in (0, 12, len(raw) - 1):  # nonce, ciphertext, tag
        altered = bytearray(raw)
        altered[position] ^= 0x01
        with pytest.raises(DecryptError):
            ring.decrypt(f"{head}.{b64(bytes(altered))}", AAD)
    with pytest.raises(DecryptError):
        ring.decrypt(f"{head}.{b64(bytes(raw[:20]))}", AAD)  # truncated
    for bad in ("v1.k1.!!!notbase64", "v2.k1." + body, "plain text", "v1.k1", "v1.k 1." + body):
        with pytest.raises(DecryptError):
            ring.decrypt(bad, AAD)
    # another configured key id in the header: the other key does not open it
    both = Keyring([("k1", K1), ("k2", K2)], BLIND)
    with pytest.raises(DecryptError):
        both.decrypt(token.replace("v1.k1.", "v1.k2.", 1), AAD)


def test_unknown_kid_is_a_clear_error(ring):
    token = Keyring([("k9", K2)]).encrypt_text("山田太郎", AAD)
    with pytest.raises(UnknownKeyError) as caught:
        ring.decrypt(token, AAD)
    message = str(caught.value)
    assert "'k9'" in message and "k1" in message
    assert b64(K1) not in message and b64(K2) not in message


def test_rotation_keeps_old_values_readable():
    old = Keyring([("k1", K1)], BLIND)
    token = old.encrypt_text("山田太郎", AAD)
    new = Keyring([("k1", K1), ("k2", K2)], BLIND)
    assert new.current_kid == "k2" and new.kids == ("k1", "k2")
    assert new.decrypt_text(token, AAD) == "山田太郎"
    assert not new.is_current(token)
    moved = new.reencrypt(token, AAD)
    assert moved is not None and token_kid(moved) == "k2"
    assert new.decrypt_text(moved, AAD) == "山田太郎"
    assert new.reencrypt(moved, AAD) is None  # already under the newest key: nothing to do
    with pytest.raises(UnknownKeyError):
        old.decrypt(moved, AAD)
    with pytest.raises(UnknownKeyError):
        Keyring([("k2", K2)]).decrypt(token, AAD)  # k1 removed before rotating: unreadable


def test_blind_index_is_stable_across_rotation_and_separated_by_purpose():
    old = Keyring([("k1", K1)], BLIND)
    new = Keyring([("k1", K1), ("k2", K2)], BLIND)
    index = old.blind_index("yamada@example.jp", "email")
    assert len(index) == BLIND_INDEX_LENGTH and int(index, 16) >= 0
    assert new.blind_index("yamada@example.jp", "email") == index
    assert old.blind_index("yamada@example.jp", "name") != index
    assert Keyring([("k1", K1)], b"\x04" * 32).blind_index("yamada@example.jp", "email") != index
    # without a dedicated key: derived from the OLDEST data key, so adding newer keys changes nothing
    derived = Keyring([("k1", K1)]).blind_index("yamada@example.jp", "email")
    assert Keyring([("k1", K1), ("k2", K2)]).blind_index("yamada@example.jp", "email") == derived
    assert "oldest" in Keyring([("k1", K1)]).blind_index_source
    with pytest.raises(KeyringError):
        old.blind_index("x", "Bad Purpose")


def test_blind_index_normalisation():
    ring = Keyring([("k1", K1)], BLIND)
    email = ring.blind_index("yamada@example.jp", "email")
    assert ring.blind_index(" Yamada@Example.JP ", "email") == email
    assert ring.blind_index("ｙａｍａｄａ＠ｅｘａｍｐｌｅ．ｊｐ", "email") == email  # full width (NFKC)
    phone = ring.blind_index("0794212000", "phone")
    assert ring.blind_index("０７９－４２１－２０００", "phone") == phone
    assert ring.blind_index("079 (421) 2000", "phone") == phone
    # names: the caller normalises; nothing is changed here
    assert ring.blind_index("ﾔﾏﾀﾞ", "name") != ring.blind_index("ヤマダ", "name")
    assert ring.blind_index("山田 太郎", "name") != ring.blind_index("山田太郎", "name")
    assert normalise_for_index("ﾔﾏﾀﾞ", "name") == "ﾔﾏﾀﾞ"
    assert normalise_for_index("Ａ@B.jp", "email") == "a@b.jp"


def test_parse_key_spec():
    spec = f"k1:{b64(K1)}, k2:{b64(K2)}"
    assert parse_key_spec(spec) == ([("k1", K1), ("k2", K2)], None)
    text = f"# comment\n\nk1:{b64(K1)}\nblind:{b64(BLIND)}\nk2:{b64(K2)}\n"
    assert parse_key_spec(text) == ([("k1", K1), ("k2", K2)], BLIND)
    assert Keyring.from_spec(text).current_kid == "k2"


@pytest.mark.parametrize("spec", [
    "k1",  # no key
    "k1:",  # empty
    f"k1:{b64(b'short')}",  # not 32 bytes
    f"k1:{b64(K1 + b'x')}",  # 33 bytes
    "k1:not*base64",
    f"k1:{b64(K1)},k1:{b64(K2)}",  # duplicate kid
    f"k.1:{b64(K1)}",  # dot in kid
    f"blind:{b64(b'short')}",
])
def test_bad_key_specs_are_refused_without_showing_keys(spec):
    with pytest.raises(KeyConfigError) as caught:
        Keyring.from_spec(spec)
    assert b64(K1) not in str(caught.value) and b64(K2) not in str(caught.value)


def test_no_key_is_refused():
    with pytest.raises(KeyConfigError):
        Keyring([])
    with pytest.raises(KeyConfigError):
        Keyring.from_spec("# nothing\n")


def test_new_key_line_and_repr():
    kid, _, key = new_key_line().partition(":")
    assert kid == new_kid() and len(base64.b64decode(key)) == 32
    assert new_kid([kid]) != kid
    assert new_key_line("k7").startswith("k7:")
    with pytest.raises(KeyConfigError):
        new_key_line("k7", ["k7"])
    assert generate_key() != generate_key()
    ring = Keyring([("k1", K1)], BLIND)
    assert b64(K1) not in repr(ring) and "k1" in repr(ring)


# --- where the keys come from (core.crypto.load_keyring) ------------------------------------

@pytest.fixture
def no_key_env(monkeypatch):
    for name in ("DATA_KEYS", "DATA_KEY_FILE", "BLIND_INDEX_KEY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def logger(monkeypatch):
    """A logger caplog sees (Alembic's fileConfig disables loggers that existed before an upgrade)."""
    logger = logging.getLogger("tests.keyring")
    monkeypatch.setattr(logger, "disabled", False)
    return logger


def test_development_key_file_is_generated_once_with_mode_0600(tmp_path, caplog, no_key_env, logger):
    config = {"INSTANCE_PATH": str(tmp_path), "DATA_KEYS": "", "DATA_KEY_FILE": str(tmp_path / "data-keys")}
    with caplog.at_level(logging.WARNING):
        first = load_keyring(config, logger)
    path = tmp_path / "data-keys"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "production must set DATA_KEYS" in caplog.text
    keys, blind = parse_key_spec(path.read_text())
    assert len(keys) == 1 and blind is not None
    assert "dedicated" in first.blind_index_source
    second = load_keyring(config)
    assert second.decrypt_text(first.encrypt_text("山田太郎", AAD), AAD) == "山田太郎"
    assert second.blind_index("a@b.jp", "email") == first.blind_index("a@b.jp", "email")
    assert [p.name for p in tmp_path.iterdir()] == ["data-keys"]  # no temporary file left


def test_data_keys_win_and_newest_is_last(tmp_path, caplog, no_key_env, logger):
    config = {"INSTANCE_PATH": str(tmp_path), "DATA_KEYS": f"old:{b64(K1)},new:{b64(K2)}",
              "DATA_KEY_FILE": str(tmp_path / "data-keys")}
    with caplog.at_level(logging.WARNING):
        ring = load_keyring(config, logger)
    assert ring.kids == ("old", "new") and ring.current_kid == "new"
    assert not (tmp_path / "data-keys").exists()
    assert "BLIND_INDEX_KEY" in caplog.text and "'old'" in caplog.text  # derived from the oldest: warned
    with_blind = load_keyring({**config, "BLIND_INDEX_KEY": b64(BLIND)})
    assert with_blind.blind_index("a@b.jp", "email") == Keyring([("x", K2)], BLIND).blind_index("a@b.jp", "email")


def test_blind_index_key_comes_from_the_settings_not_from_the_environment(tmp_path, monkeypatch, no_key_env):
    """One settings object (core/settings.py) reads the environment; the keyring reads only the
    config it is given, so a BLIND_INDEX_KEY the settings did not carry is never used."""
    from core.config import load_config
    monkeypatch.setenv("BLIND_INDEX_KEY", b64(BLIND))
    ring = load_keyring({"INSTANCE_PATH": str(tmp_path), "DATA_KEYS": f"k1:{b64(K1)}"})
    assert ring.blind_index("x", "name") == Keyring([("k1", K1)]).blind_index("x", "name")  # derived, not BLIND
    assert ring.blind_index("x", "name") != Keyring([("k2", K2)], BLIND).blind_index("x", "name")
    config = load_config({"INSTANCE_PATH": str(tmp_path), "DATA_KEYS": f"k1:{b64(K1)}"})
    assert config["BLIND_INDEX_KEY"] == b64(BLIND)  # the settings declare it and read it
    ring = load_keyring(config)
    assert ring.blind_index("x", "name") == Keyring([("k2", K2)], BLIND).blind_index("x", "name")
    with pytest.raises(KeyConfigError):
        load_keyring({"INSTANCE_PATH": str(tmp_path), "DATA_KEYS": f"k1:{b64(K1)}", "BLIND_INDEX_KEY": "short"})
    from core.settings import Settings
    assert "BLIND_INDEX_KEY" in Settings.model_fields


def test_configured_key_file(tmp_path, caplog, no_key_env, logger):
    instance = tmp_path / "instance"
    path = tmp_path / "secrets" / "keys"
    config = {"INSTANCE_PATH": str(instance), "DATA_KEYS": "", "DATA_KEY_FILE": str(path)}
    with pytest.raises(KeyConfigError, match="does not exist"):
        load_keyring(config)  # an explicit file is never generated
    path.parent.mkdir()
    path.write_text(f"k1:{b64(K1)}\nk2:{b64(K2)}\nblind:{b64(BLIND)}\n")
    path.chmod(0o644)
    with caplog.at_level(logging.WARNING):
        ring = load_keyring(config, logger)
    assert ring.current_kid == "k2" and "chmod 600" in caplog.text
    assert not instance.exists()


def test_key_file_inside_the_repository_is_refused(tmp_path, no_key_env):
    config = {"INSTANCE_PATH": str(tmp_path), "DATA_KEYS": "", "DATA_KEY_FILE": str(ROOT / "core" / "data-keys")}
    with pytest.raises(KeyConfigError, match="inside the repository"):
        load_keyring(config)
    assert not (ROOT / "core" / "data-keys").exists()
