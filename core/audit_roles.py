"""PostgreSQL roles that keep the audit log append-only even for an attacker inside the app.

The tables' owner (the role that runs the migrations) keeps every right, so the application
must not connect as the owner in production. ``flask audit roles`` (run as the owner, after
each ``flask db upgrade``; it is idempotent) makes:

- an *app role*: SELECT, INSERT, UPDATE and DELETE on the application's tables, but on the audit
  tables only SELECT and INSERT — no UPDATE, DELETE or TRUNCATE, and as a non-owner it cannot
  disable the append-only triggers either. Production's DATABASE_URL connects as it.
- a *purge role*: only what ``flask audit purge`` needs (read and delete audit records, append
  the purge's own record and purge point). AUDIT_PURGE_DATABASE_URL connects as it.

Roles are made with LOGIN and no password: give each one (``ALTER ROLE … PASSWORD``) or a
certificate/peer rule in pg_hba.conf, as the site's practice is.
"""
from __future__ import annotations

import re

AUDIT_TABLES = ("audit_record", "audit_chain_start")
_ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class RoleNameError(ValueError):
    pass


def _ident(name: str) -> str:
    """A role name we are willing to put into SQL (lowercase letters, digits, underscores)."""
    if not _ROLE_NAME.match(name):
        raise RoleNameError(f"role name {name!r}: use lowercase letters, digits and underscores")
    return f'"{name}"'


def create_statements(existing: set[str], app_role: str, purge_role: str) -> list[str]:
    """CREATE ROLE for the roles that do not exist yet."""
    return [f"CREATE ROLE {_ident(r)} LOGIN" for r in (app_role, purge_role) if r not in existing]


def grant_statements(database: str, owner: str, app_role: str, purge_role: str) -> list[str]:
    """The privileges of both roles, from scratch (every earlier grant is revoked first)."""
    app, purge = _ident(app_role), _ident(purge_role)
    audit_tables = ", ".join(AUDIT_TABLES)
    db_name = '"' + database.replace('"', '""') + '"'
    owner_name = '"' + owner.replace('"', '""') + '"'
    return [
        f"GRANT CONNECT ON DATABASE {db_name} TO {app}, {purge}",
        f"GRANT USAGE ON SCHEMA public TO {app}, {purge}",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {app}, {purge}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {app}, {purge}",
        # the app: its tables in full, the migrations' bookkeeping read-only, the audit log append-only
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {app}",
        f"REVOKE INSERT, UPDATE, DELETE ON alembic_version FROM {app}",
        f"REVOKE UPDATE, DELETE, TRUNCATE ON {audit_tables} FROM {app}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {app}",
        # tables a later migration creates (as the owner) reach the app too; run this again after
        # each upgrade anyway, so the audit tables' limits are restated
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner_name} IN SCHEMA public "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {app}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner_name} IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {app}",
        # the purge: read and delete audit records, append its record and the purge point
        f"GRANT SELECT, INSERT, DELETE ON audit_record TO {purge}",
        f"GRANT SELECT, INSERT ON audit_chain_start TO {purge}",
        f"GRANT USAGE, SELECT ON SEQUENCE audit_chain_start_id_seq TO {purge}",
    ]
