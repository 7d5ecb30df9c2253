"""Keys for personal data at rest, and the ``flask keys`` commands.

Where the keys come from (first that is set):

1. ``DATA_KEYS="kid1:base64key,kid2:base64key"`` — newest LAST; every key 32 random bytes.
2. ``DATA_KEY_FILE`` — a file outside the repository, one ``kid:base64key`` per line (newest
   last), optionally a ``blind:base64`` line; mode 0600.
3. Development only: with neither, a key file is generated once at ``instance/data-keys``
   (mode 0600, one data key and a ``blind:`` line) and a warning says production must set
   DATA_KEYS (and BLIND_INDEX_KEY).

The blind-index key: ``BLIND_INDEX_KEY`` (base64, >= 32 bytes; from the app's config, which the one
settings object ``core/settings.py`` fills from the environment — never read here directly),
else the ``blind:`` entry of DATA_KEYS / the key file, else — with a warning — it is derived from
the FIRST (oldest) data key. It never follows the newest key, so rotation never changes an index.
See ``core/keyring.py`` for the formats and ``core/encrypted.py`` for the column types.

``flask keys new``     print a new ``kid:base64key`` line to append to DATA_KEYS (writes nothing)
``flask keys rotate``  re-encrypt every encrypted column under the newest key (safe to run twice)
``flask keys status``  configured key ids, blind-index source, values per key id per column
"""
from __future__ import annotations

import base64
import logging
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app, has_app_context
from flask.cli import AppGroup

from core import audit
from core.config import ROOT
from core.db import db
from core.encrypted import encrypted_columns, rotate, set_keyring, set_keyring_lookup, stored_kids
from core.keyring import KeyConfigError, Keyring, decode_key, generate_key, new_key_line, parse_key_spec

log = logging.getLogger(__name__)

DEV_KEY_FILE_NAME = "data-keys"


def _blind_index_key(config: Mapping[str, Any]) -> bytes | None:
    text = str(config.get("BLIND_INDEX_KEY") or "").strip()  # the settings read the environment, not this module
    return decode_key(text, "BLIND_INDEX_KEY", exact=False) if text else None


def _inside(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


def _write_dev_key_file(path: Path) -> bool:
    """Create the development key file (0600) unless another worker just did; True if we did."""
    path.parent.mkdir(parents=True, exist_ok=True)
    content = (
        "# Development data keys, generated once by core.crypto. NOT for production:\n"
        "# production sets DATA_KEYS (or DATA_KEY_FILE outside the repository) and BLIND_INDEX_KEY.\n"
        f"{new_key_line('dev1')}\n"
        f"blind:{base64.b64encode(generate_key()).decode('ascii')}\n"
    )
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(content)
    try:
        os.link(tmp, path)  # atomic, and fails if a concurrent worker was first
        return True
    except FileExistsError:
        return False
    finally:
        tmp.unlink()


def load_keyring(config: Mapping[str, Any], logger: logging.Logger | logging.LoggerAdapter = log) -> Keyring:
    """The keyring from DATA_KEYS, else DATA_KEY_FILE, else (development) a generated key file."""
    instance = Path(config.get("INSTANCE_PATH") or ROOT / "instance")
    blind_override = _blind_index_key(config)
    spec = str(config.get("DATA_KEYS") or "").strip()
    if spec:
        keys, blind = parse_key_spec(spec)
        source = "DATA_KEYS"
    else:
        default = instance / DEV_KEY_FILE_NAME
        path = Path(config.get("DATA_KEY_FILE") or default)
        is_dev_file = path.resolve() == default.resolve()
        if _inside(path, ROOT) and not _inside(path, instance) and not _inside(path, ROOT / "instance"):
            raise KeyConfigError(f"DATA_KEY_FILE {path} is inside the repository; keep keys outside it")
        if not path.exists():
            if not is_dev_file:
                raise KeyConfigError(f"DATA_KEY_FILE {path} does not exist")
            if _write_dev_key_file(path):
                logger.warning("generated a development key file %s: production must set DATA_KEYS "
                               "(and BLIND_INDEX_KEY)", path)
        elif is_dev_file:
            logger.warning("using the development key file %s: production must set DATA_KEYS", path)
        if path.stat().st_mode & 0o077:
            logger.warning("key file %s is readable by group or others: chmod 600 it", path)
        keys, blind = parse_key_spec(path.read_text(encoding="utf-8"))
        source = f"key file {path}"
    if not keys:
        raise KeyConfigError(f"{source} has no data key")
    keyring = Keyring(keys, blind_override if blind_override is not None else blind)
    if blind_override is None and blind is None:
        logger.warning("no BLIND_INDEX_KEY: blind indexes are derived from the oldest data key %r, which must "
                       "then never be removed; set BLIND_INDEX_KEY", keyring.kids[0])
    logger.info("data keys from %s: %s (newest %r); blind indexes: %s", source, ", ".join(keyring.kids),
                keyring.current_kid, keyring.blind_index_source)
    return keyring


def key_material(config: Mapping[str, Any]) -> dict[str, str]:
    """The configured key text itself, for ``flask backup keys`` only: ``data_keys`` (DATA_KEYS, else
    the key file's lines), ``blind_index_key`` (BLIND_INDEX_KEY, or "" when the spec holds a
    ``blind:`` line) and ``source``. Never logged, never in a data backup."""
    spec = str(config.get("DATA_KEYS") or "").strip()
    source = "DATA_KEYS"
    if not spec:
        instance = Path(config.get("INSTANCE_PATH") or ROOT / "instance")
        path = Path(config.get("DATA_KEY_FILE") or instance / DEV_KEY_FILE_NAME)
        if not path.exists():
            raise KeyConfigError(f"the key file {path} does not exist")
        spec = path.read_text(encoding="utf-8")
        source = f"key file {path}"
    parse_key_spec(spec)  # refuse to back up what would not load
    return {"data_keys": spec.strip(), "blind_index_key": str(config.get("BLIND_INDEX_KEY") or "").strip(),
            "source": source}


def key_files(config: Mapping[str, Any]) -> list[Path]:
    """The key files this service itself keeps (the data-key file when DATA_KEYS is not set); keys
    given in the environment are the operator's to remove (``flask erase-all`` says so)."""
    if str(config.get("DATA_KEYS") or "").strip():
        return []
    instance = Path(config.get("INSTANCE_PATH") or ROOT / "instance")
    return [Path(config.get("DATA_KEY_FILE") or instance / DEV_KEY_FILE_NAME)]


def _app_keyring() -> Keyring | None:
    if has_app_context():
        return current_app.extensions.get("keyring")
    return None


def init_crypto(app: Flask) -> None:
    """Load the keyring (fails fast on a bad key configuration), make it the encrypted columns'
    keyring (``flask keys``, keys_cli, is registered by the app factory in app.py)."""
    keyring = load_keyring(app.config, app.logger)
    app.extensions["keyring"] = keyring
    set_keyring(keyring)  # outside any app context: the last app created
    set_keyring_lookup(_app_keyring)  # inside an app context: that app's keyring


# ---------------------------------------------------------------------------------------------
# flask keys

def encrypted_models() -> list[Any]:
    """Where ``flask keys`` looks for encrypted columns: every model mapped on ``db.Model``."""

    return [db.Model]


def _tables_by_engine() -> list[tuple[Any, list[Any]]]:

    groups: dict[Any, list[Any]] = {}
    for table, _columns in encrypted_columns(encrypted_models()):
        engine = db.engines[table.metadata.info.get("bind_key")]
        groups.setdefault(engine, []).append(table)
    return list(groups.items())


keys_cli = AppGroup("keys", help="Data keys for personal data at rest: new, rotate, status.")


@keys_cli.command("new")
@click.option("--kid", help="Key id (default: k<today's date>).")
@click.option("--blind", is_flag=True, help="Print a BLIND_INDEX_KEY value instead of a data key.")
def keys_new(kid: str | None, blind: bool) -> None:
    """Print a new random key; nothing is written anywhere (also: python -m core.keyring new)."""
    if blind:
        click.echo(base64.b64encode(generate_key()).decode("ascii"))
        click.echo("Set it as BLIND_INDEX_KEY once, before any blind index is stored; changing it later "
                   "invalidates every blind index.", err=True)
        return
    keyring: Keyring | None = current_app.extensions.get("keyring")
    try:
        line = new_key_line(kid, keyring.kids if keyring else ())
    except KeyConfigError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(line)
    click.echo("Append it LAST to DATA_KEYS (comma-separated) or as the last line of DATA_KEY_FILE, outside "
               "the repository; restart every worker, then run `flask keys rotate`.", err=True)


@keys_cli.command("rotate")
@click.option("--batch-size", default=500, show_default=True, type=click.IntRange(min=1),
              help="Rows per transaction.")
def keys_rotate(batch_size: int) -> None:
    """Re-encrypt every encrypted column under the newest key (rows already under it are skipped)."""
    keyring: Keyring = current_app.extensions["keyring"]
    groups = _tables_by_engine()
    if not groups:
        click.echo("No encrypted columns.")
        return
    click.echo(f"Re-encrypting under key {keyring.current_kid!r} in batches of {batch_size} rows.")
    total = conflicts = 0
    for engine, tables in groups:
        try:
            result = rotate(engine, keyring, tables, batch_size=batch_size)
        except Exception as exc:
            raise click.ClickException(f"{exc} (batches done so far are committed; fix and run again)") from exc
        for name, count in result.rotated.items():
            extra = f" ({result.conflicts[name]} changed meanwhile)" if result.conflicts.get(name) else ""
            click.echo(f"{name}: {count} re-encrypted{extra}")
        total += result.total
        conflicts += sum(result.conflicts.values())
    click.echo(f"{total} value(s) re-encrypted under {keyring.current_kid!r}.")
    try:
        audit.record("config.change", target="data_keys", actor="system", role="cli",
                     details={"change": "keys.rotate", "kid": keyring.current_kid, "values": total})
    except audit.AuditError as exc:  # the rotation is done and committed; say loudly it is unaudited
        click.echo(f"warning: the rotation could not be written to the audit log: {exc}", err=True)
    if conflicts:
        click.echo(f"{conflicts} value(s) changed while rotating: run `flask keys rotate` again.")
    elif len(keyring.kids) > 1:
        click.echo("Every stored value is under the newest key. Older keys can leave DATA_KEYS once every "
                   "worker runs with the newest key last" + (
                       "" if keyring.blind_index_source.startswith("dedicated")
                       else f" — except {keyring.kids[0]!r}, which the blind indexes derive from") + ".")


@keys_cli.command("status")
def keys_status() -> None:
    """Configured key ids (no key material), the blind-index source, and values per key id."""
    keyring: Keyring = current_app.extensions["keyring"]
    click.echo(f"keys: {', '.join(keyring.kids)} (newest {keyring.current_kid!r})")
    click.echo(f"blind indexes: {keyring.blind_index_source}")
    for engine, tables in _tables_by_engine():
        for name, per_kid in stored_kids(engine, tables).items():
            counts = ", ".join(f"{kid}: {n}" for kid, n in sorted(per_kid.items())) or "no values"
            click.echo(f"{name}: {counts}")
