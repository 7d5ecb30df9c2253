"""flask payments …: settle payments whose webhook never came, count them, re-send sandbox webhooks.

    flask --app app payments reconcile [--older-than 15]     # cron, every few minutes
    flask --app app payments status
    flask --app app payments sandbox-deliver cs_… [--url https://…/api/v1/payments/webhooks/sandbox]
"""
from __future__ import annotations

import urllib.error
import urllib.request

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from core.db import db
from core.links import external_url
from intake.payments import service
from intake.payments.models import Payment

payments_cli = AppGroup("payments", help="Payments of application fees: reconciliation and the sandbox provider.")


def _request_context():
    """Links in the e-mails sent meanwhile point at PUBLIC_BASE_URL (there is no request here)."""
    base = current_app.config.get("PUBLIC_BASE_URL") or "http://localhost"
    return current_app.test_request_context("/", base_url=base)


@payments_cli.command("reconcile")
@click.option("--older-than", "older_than", type=click.IntRange(min=0), default=None,
              help="Only payments started at least this many minutes ago (PAYMENT_RECONCILE_MINUTES).")
def reconcile_command(older_than: int | None) -> None:
    """Ask the provider about payments still open and apply what it says."""
    minutes = older_than if older_than is not None else int(current_app.config.get("PAYMENT_RECONCILE_MINUTES", 15))
    with _request_context():
        counts = service.reconcile(older_than_minutes=minutes)
    click.echo(f"checked {counts['checked']}, settled {counts['settled']}, still open {counts['still_open']}, "
               f"errors {counts['errors']}")
    if counts["errors"]:
        raise SystemExit(1)


@payments_cli.command("status")
def status_command() -> None:
    """Payments per status."""
    rows = db.session.execute(select(Payment.status, func.count()).group_by(Payment.status).order_by(Payment.status))
    for status, n in rows:
        click.echo(f"{status}\t{n}")


@payments_cli.command("sandbox-deliver")
@click.argument("charge_id")
@click.option("--url", default="", help="Webhook address (default: PUBLIC_BASE_URL + the webhook path).")
def sandbox_deliver(charge_id: str, url: str) -> None:
    """POST the sandbox's signed webhook for a charge's current state over HTTP (as the company would)."""
    with _request_context():
        try:
            sandbox = service.provider("sandbox")
        except service.UnknownProvider:
            raise click.ClickException("PAYMENT_PROVIDER is not the sandbox") from None
        charge = sandbox.charge(charge_id)
        if charge is None:
            raise click.ClickException(f"no sandbox charge {charge_id}")
        db.session.commit()
        headers, body = sandbox.event_for(charge)
        target = url or external_url("payments_api.webhook", provider_name="sandbox")
    if not target.startswith(("http://", "https://")):  # urlopen below: no file:// or other schemes
        raise click.ClickException("the webhook address must be http:// or https://")
    request = urllib.request.Request(target, data=body, headers=headers, method="POST")  # noqa: S310 (checked above)
    try:
        with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310  # nosec B310
            click.echo(f"{response.status} {response.read().decode('utf-8', 'replace')[:200]}")
    except urllib.error.HTTPError as exc:
        click.echo(f"{exc.code} {exc.read().decode('utf-8', 'replace')[:200]}")
        raise SystemExit(1) from None
    except OSError as exc:
        raise click.ClickException(f"could not deliver: {exc}") from None
