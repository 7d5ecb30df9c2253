"""flask jpki dev-ca / dev-sign: play the My Number Card signer app locally (development only).

    flask --app app jpki dev-ca                     # makes instance/dev-ca and prints the settings
    JPKI_TRUST_ANCHORS=… JPKI_CRL_SOURCES=… flask --app app jpki dev-sign <application id>

The development CA is trusted only when JPKI_TRUST_ANCHORS points at it; production sets the
J-LIS trust anchors and CRL sources instead (README)."""
from __future__ import annotations

import base64
import datetime as dt
import json
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from core.city import city
from core.db import db
from intake import devca
from intake.models import Application
from intake.purge import purge
from intake.search_keys import reindex_all

jpki_cli = AppGroup("jpki", help="Development signer for online applications (never in production).")
applications_cli = AppGroup("applications", help="Online applications: housekeeping.")


@applications_cli.command("purge")
@click.option("--dry-run", is_flag=True, help="Only count what would be deleted.")
def purge_command(dry_run: bool) -> None:
    """Delete uploads no application claimed (UPLOAD_RETENTION_HOURS) and drafts never sent whose
    resume link expired (DRAFT_LINK_DAYS). Run hourly from cron (docs/deployment.md)."""

    now = dt.datetime.now(dt.UTC)
    uploads, drafts = purge(uploads_before=now - dt.timedelta(hours=current_app.config["UPLOAD_RETENTION_HOURS"]),
                            drafts_before=now - dt.timedelta(days=current_app.config["DRAFT_LINK_DAYS"]),
                            dry_run=dry_run)
    verb = "would delete" if dry_run else "deleted"
    click.echo(f"{verb}: {uploads} unclaimed upload(s), {drafts} abandoned draft(s)")


@applications_cli.command("reindex-search")
def reindex_search_command() -> None:
    """Rewrite the name search keys (blind indexes) of every sent application. Run once after
    migration 0011; safe to run again (each application's keys are replaced, not added)."""

    click.echo(f"indexed: {reindex_all()} application(s)")


def _ca_dir() -> Path:
    return Path(current_app.instance_path) / "dev-ca"


@jpki_cli.command("dev-ca")
def dev_ca() -> None:
    """Create the development CA (once) and print the settings that would trust it."""
    directory = _ca_dir()
    if not (directory / "root.pem").exists():
        devca.make_dev_ca(directory)
    click.echo("DEVELOPMENT ONLY. To let this server accept signatures of the development CA, set:")
    click.echo(f"  JPKI_TRUST_ANCHORS={directory / 'trust-anchors.pem'}")
    click.echo(f"  JPKI_CRL_SOURCES={directory / 'root-crl.pem'},{directory / 'intermediate-crl.pem'}")
    click.echo(f"  JPKI_INTERMEDIATES={directory / 'intermediate.pem'}")


@jpki_cli.command("dev-sign")
@click.argument("application_id")
@click.option("--name", default=None, help="default: the pack's sample resident")
@click.option("--address", default=None, help="default: the pack's sample resident")
@click.option("--birth-date", default="1980-04-01")
@click.option("--sex", type=click.Choice(["1", "2", "3"]), default="1")
def dev_sign(application_id: str, name: str | None, address: str | None, birth_date: str, sex: str) -> None:
    """Sign a draft's payload with a development certificate; print the JSON the signer app would
    POST to /api/v1/applications/<id>/signature."""
    application = db.session.get(Application, application_id)
    if application is None:
        raise click.ClickException(f"no application {application_id}")
    if not (_ca_dir() / "root.pem").exists():
        raise click.ClickException("run `flask jpki dev-ca` first")
    ca = devca.load_dev_ca(_ca_dir())
    resident = city().sample_resident
    cert = ca.issue_signing_cert(name or resident.name, address or resident.address, birth_date, sex)
    ca.write_crls()
    signature = devca.sign(application.payload.encode("utf-8"), cert.key)
    click.echo(json.dumps({"certificate": cert.pem, "signature": base64.b64encode(signature).decode(),
                           "chain": ca.chain_pems}, ensure_ascii=False))
