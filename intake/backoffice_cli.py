"""flask backoffice create-client / list / disable: clients of the back-office API.

    flask --app app backoffice create-client --name "申請管理システム" --department shimin --department zeimu
    flask --app app backoffice list
    flask --app app backoffice disable bo-0123456789abcdef

The secret is printed once and stored only as an argon2id hash: keep it in the client's vault.
"""
from __future__ import annotations

import click
from flask.cli import AppGroup

from core import audit
from core.db import db
from core.pack import rulebook
from intake import backoffice_auth

backoffice_cli = AppGroup("backoffice", help="Clients of the back-office API (申請管理システム).")


@backoffice_cli.command("create-client")
@click.option("--name", required=True, help="What the client is, e.g. 申請管理システム（市民課）.")
@click.option("--department", "departments", multiple=True,
              help="Limit the client to this department id (repeatable); none: every department.")
def create_client(name: str, departments: tuple[str, ...]) -> None:
    """Create a client and print its id and secret (shown once)."""
    known = rulebook().kb.departments
    unknown = [d for d in departments if d not in known]
    if unknown:
        raise click.BadParameter(f"unknown department(s): {', '.join(unknown)} (known: {', '.join(sorted(known))})",
                                 param_hint="--department")
    if not name.strip():
        raise click.BadParameter("give the client a name", param_hint="--name")
    client, secret = backoffice_auth.new_client(name.strip()[:200], departments)
    db.session.commit()
    audit.record("backoffice.client_create", target=client.client_id,
                 details={"departments": list(departments) or "all"})
    click.echo(f"client_id:     {client.client_id}")
    click.echo(f"client_secret: {secret}")
    click.echo("The secret is shown only now; it is stored as a hash and cannot be shown again.")


@backoffice_cli.command("list")
def list_clients() -> None:
    """Every client: id, state, departments, last use."""
    rows = backoffice_auth.clients()
    if not rows:
        click.echo("No back-office clients.")
    for c in rows:
        state = "active" if c.active else "disabled"
        used = c.last_used_at.isoformat(timespec="seconds") if c.last_used_at else "never used"
        click.echo(f"{c.client_id}\t{state}\t{c.departments or '(all departments)'}\t{used}\t{c.name}")


@backoffice_cli.command("disable")
@click.argument("client_id")
def disable_client(client_id: str) -> None:
    """Disable a client; its tokens stop working at once."""
    if not backoffice_auth.disable(client_id):
        raise click.ClickException(f"no client {client_id}")
    db.session.commit()
    audit.record("backoffice.client_disable", target=client_id)
    click.echo(f"{client_id} disabled.")
from intake.export import cli as _export_cli  # noqa: E402,F401  (adds `flask backoffice export`: issue 15, G2)
