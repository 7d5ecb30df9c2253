"""flask staff create-admin / reset-password: the first administrator, and recovery."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from core import audit, auth, policy
from core.db import db
from core.japan_time import console_moment
from core.pack_versions import VersionError
from core.staff_models import StaffUser
from staff import content

staff_cli = AppGroup("staff", help="Staff accounts.")
content_cli = AppGroup("content", help="Versions of the city's pack (the curators' console does the same).")


@staff_cli.command("create-admin")
@click.option("--login-id", required=True, help="e.g. admin.yamada")
@click.option("--name", "display_name", required=True, help="氏名")
@click.password_option(help="12 characters or more, letters and digits")
def create_admin(login_id: str, display_name: str, password: str) -> None:
    """Create a system administrator and print the TOTP secret to enrol in an authenticator app."""
    problem = auth.password_problem(password)
    if problem:
        raise click.ClickException(problem)
    if db.session.scalar(select(StaffUser).where(StaffUser.login_id == login_id)):
        raise click.ClickException(f"the login id '{login_id}' exists already")
    user = StaffUser(login_id=login_id, display_name=display_name, role=policy.ADMIN, departments="",
                     password_hash=auth.hash_password(password), totp_secret=auth.new_totp_secret(),
                     totp_last_step=0, active=True, must_change_password=False, failed_logins=0)
    db.session.add(user)
    db.session.commit()
    audit.record("staff.account_created", target=f"staff_user:{login_id}", details={"role": "admin"},
                 actor="system", role="cli")
    click.echo(f"Administrator '{login_id}' created.")
    click.echo("Add this account to an authenticator app (TOTP) before the first login:")
    click.echo(f"  secret: {user.totp_secret}")
    click.echo(f"  URI:    {auth.provisioning_uri(user)}")


@content_cli.command("import")
@click.option("--reason", required=True, help="Why, as curators will read it in the history (e.g. the release)")
def import_files(reason: str) -> None:
    """Publish the repository's pack files as the next version, if they pass every check."""
    try:
        version = content.import_repository("system", "cli", reason)
    except VersionError as exc:
        for problem in exc.problems:  # nothing is kept: the problems come with the refusal
            click.echo(problem, err=True)
        raise click.ClickException(exc.text()) from None
    if version is None:
        click.echo("The version in force holds these files already: nothing published.")
        return
    click.echo(f"v{version.number} published (ruleset {version.ruleset_version}).")


@content_cli.command("init")
def init_versions() -> None:
    """Record the repository's files as v1 if the city has no version yet (the app does it at start)."""
    content.record_first_version(current_app)
    with current_app.app_context():
        first = content.store.first_version(current_app.config["MUNICIPALITY"])
    if first is None:
        raise click.ClickException("no version recorded: is the database upgraded (flask db upgrade)?")
    click.echo(f"v1 recorded at {console_moment(first.effective_from)} JST.")


@content_cli.command("history")
def history() -> None:
    """The versions, newest first."""
    for v in content.history():
        click.echo(f"v{v.number}\t{v.state}\t{console_moment(v.effective_from)} JST\t{v.published_by}\t{v.reason}")
