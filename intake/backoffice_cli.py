"""flask backoffice create-client / list / disable: clients of the back-office API.

    flask --app app backoffice create-client --name "申請管理システム" --department shimin --department zeimu
    flask --app app backoffice list
    flask --app app backoffice disable bo-0123456789abcdef
    flask --app app backoffice webhook bo-0123456789abcdef --url https://shinsei.example.lg.jp/hooks   # or --clear
    flask --app app backoffice status-map bo-0123456789abcdef --file status-map.json   # or --json '{…}', --clear

The secret is printed once and stored only as an argon2id hash: keep it in the client's vault.
"""
from __future__ import annotations

import click
from flask.cli import AppGroup

from core import audit
from core.db import db
from core.pack import rulebook
from intake import backoffice_auth, backoffice_status_map, backoffice_webhooks

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


@backoffice_cli.command("status-map")
@click.argument("client_id")
@click.option("--file", "path", type=click.Path(exists=True, dir_okay=False), help="A JSON file {external code: our status}.")
@click.option("--json", "text", help="The map as JSON text instead of a file.")
@click.option("--clear", is_flag=True, help="Remove the map: the client reads and writes our status codes.")
def status_map(client_id: str, path: str | None, text: str | None, clear: bool) -> None:
    """Show, set or clear the client's status map (its codes <-> ours: GET /api/v1/backoffice/statuses)."""
    client = backoffice_auth.client(client_id)
    if client is None:
        raise click.ClickException(f"no client {client_id}")
    if path is None and text is None and not clear:
        click.echo(client.status_map or "no status map (the client uses our codes)")
        return
    if sum(x is not None and x is not False for x in (path, text, clear or None)) != 1:
        raise click.UsageError("give one of --file, --json, --clear")
    if path is not None:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    try:
        parsed = None if clear else backoffice_status_map.parse(text or "")
    except backoffice_status_map.StatusMapError as exc:
        raise click.ClickException(f"status map refused: {exc}") from None
    if parsed is None and not clear:
        raise click.ClickException("status map refused: empty")
    client.status_map = parsed.as_json() if parsed is not None else None
    db.session.commit()
    audit.record("backoffice.client_status_map", target=client_id,
                 details={"map": parsed.to_ours if parsed is not None else None})
    click.echo(f"{client_id}: {'status map set' if parsed is not None else 'status map cleared'}.")


@backoffice_cli.command("webhook")
@click.argument("client_id")
@click.option("--url", help="Where to POST the signed notices (http or https).")
@click.option("--clear", is_flag=True, help="Stop sending notices to this client.")
def webhook(client_id: str, url: str | None, clear: bool) -> None:
    """Register (a new signing secret, shown once) or clear the client's webhook URL."""
    client = backoffice_auth.client(client_id)
    if client is None:
        raise click.ClickException(f"no client {client_id}")
    if (url is None) == (not clear):
        raise click.UsageError("give --url URL or --clear")
    if url is not None:
        problem = backoffice_webhooks.url_problem(url)
        if problem:
            raise click.BadParameter(problem, param_hint="--url")
    secret = backoffice_webhooks.register(client, url)
    db.session.commit()
    audit.record("backoffice.client_webhook", target=client_id, details={"url": url})
    if secret is None:
        click.echo(f"{client_id}: webhook cleared.")
        return
    click.echo(f"webhook_url:    {url}")
    click.echo(f"webhook_secret: {secret}")
    click.echo("Check X-Backoffice-Signature (sha256=HMAC-SHA256 of the body with this secret); shown only now.")


from intake.export import cli as _export_cli  # noqa: E402,F401  (adds `flask backoffice export`: issue 15, G2)
