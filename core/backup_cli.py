"""``flask backup``: the data backup, the keys apart, the list, the check and the restore drill
(core/backup.py, core/backup_drill.py; the runbook is docs/ops/backup.md).

    flask backup                         a backup into BACKUP_DIR (daily from cron / a systemd timer)
    flask backup keys --out FILE         the keys, to a file of their own (store it apart)
    flask backup list                    the backups in BACKUP_DIR
    flask backup verify [DIR]            the files of a backup against its manifest
    flask backup drill [DIR] --keys FILE restore into a fresh database and prove it (timed steps)

The drill boots the app on the restored database: the factory is ``app.extensions["app_factory"]``,
put there by app.py (core never imports the app).
"""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from core import audit, backup, backup_drill, crypto
from core.db import db
from core.keyring import KeyConfigError


@click.group("backup", cls=AppGroup, invoke_without_command=True)
@click.pass_context
@with_appcontext
def backup_cli(ctx: click.Context) -> None:
    """Backups of the data (with a manifest) and, apart, of the keys; the restore drill.
    Without a subcommand: make a backup (as `flask backup create`)."""
    if ctx.invoked_subcommand is None:
        _create_backup()


def _latest(root: Path) -> Path:
    backups = backup.list_backups(root)
    if not backups:
        raise click.ClickException(f"no backup in {root}: run `flask backup` first")
    return backups[-1]


def _create_backup() -> None:
    keyring = current_app.extensions["keyring"]
    try:
        result = backup.create_backup(db.engine, current_app.config, keyring.kids)
    except backup.BackupError as exc:
        audit.record("backup.create", target="backup", result="failed", actor="system", role="cli",
                     details={"reason": str(exc)[:200]})
        raise click.ClickException(str(exc)) from None
    m = result.manifest
    audit.record("backup.create", target=f"backup:{result.path.name}", actor="system", role="cli",
                 details={"file": result.path.name, "count": sum(m["row_counts"].values()),
                          "sha256": backup.sha256_file(result.path / backup.MANIFEST)})
    click.echo(f"backup {result.path} ({m['database']['method']}, revision {m['alembic_revision']}): "
               f"{len(m['row_counts'])} tables, {sum(m['row_counts'].values())} rows, {m['uploads']} uploaded file(s)")
    click.echo("The keys are NOT in it: keep a keys backup (`flask backup keys --out FILE`) in another place.")
    if result.pruned:
        click.echo(f"deleted older backup(s) beyond BACKUP_KEEP={current_app.config['BACKUP_KEEP']}: "
                   + ", ".join(result.pruned))


@backup_cli.command("create")
def create_command() -> None:
    """A backup into BACKUP_DIR (also what `flask backup` alone does)."""
    _create_backup()


@backup_cli.command("keys")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="A new file, outside BACKUP_DIR (removable media, another host, a safe).")
def keys_command(out: Path) -> None:
    """Write the keys (data keys, blind-index key, audit key) to a file of their own, 0600."""
    try:
        material = crypto.key_material(current_app.config)
        written = backup.write_keys_backup(out, material, audit.audit_key(), current_app.config)
    except (backup.BackupError, KeyConfigError) as exc:
        raise click.ClickException(str(exc)) from None
    audit.record("backup.keys", target="data_keys", actor="system", role="cli",
                 details={"file": str(out.resolve()), "kid": ", ".join(written.key_ids)})
    click.echo(f"keys backup {out} (key ids {', '.join(written.key_ids)}; from {material['source']}), mode 0600.")
    click.echo("Store it apart from the data backups: another place, in other hands (docs/ops/backup.md).")


@backup_cli.command("list")
def list_command() -> None:
    """The complete backups in BACKUP_DIR, oldest first."""
    root = Path(current_app.config["BACKUP_DIR"])
    for path in backup.list_backups(root):
        m = backup.read_manifest(path)
        click.echo(f"{path.name}  {m['created_at_jst']}  {m['database']['dialect']}  "
                   f"{sum(m['row_counts'].values())} rows  {m['uploads']} uploads")


@backup_cli.command("verify")
@click.argument("path", required=False, type=click.Path(file_okay=False, exists=True, path_type=Path))
def verify_command(path: Path | None) -> None:
    """Check every file of a backup (default: the latest) against its manifest."""
    path = path or _latest(Path(current_app.config["BACKUP_DIR"]))
    try:
        problems = backup.verify_backup(path)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    if problems:
        for problem in problems:
            click.echo(f"FAILED: {problem}")
        sys.exit(1)
    click.echo(f"OK: {path} matches its manifest")


@backup_cli.command("drill")
@click.argument("path", required=False, type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--keys", "keys_path", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="The keys backup (`flask backup keys`). Without it the decryption step fails, as it must.")
@click.option("--sample", default=20, show_default=True, type=click.IntRange(min=1),
              help="Values decrypted per encrypted column (and uploaded files).")
@click.option("--keep", is_flag=True, help="Keep the drill's database and scratch folder (to look at them).")
def drill_command(path: Path | None, keys_path: Path | None, sample: int, keep: bool) -> None:
    """Restore a backup (default: the latest) into a FRESH database and prove it: counts, audit
    chain, decryption, the app's pages; each step timed. Exit 1 when a step fails."""
    path = path or _latest(Path(current_app.config["BACKUP_DIR"]))
    report = backup_drill.run_drill(path, keys_path=keys_path, source_config=current_app.config,
                                    factory=current_app.extensions["app_factory"], echo=click.echo,
                                    sample=sample, keep=keep)
    audit.record("backup.drill", target=f"backup:{path.name}", result="ok" if report.ok else "failed",
                 actor="system", role="cli",
                 details={"file": path.name, "count": sum(s.ok for s in report.steps),
                          "problems": sum(not s.ok for s in report.steps),
                          "first": next((s.name for s in report.steps if not s.ok), None)})
    if not report.ok:
        sys.exit(1)
