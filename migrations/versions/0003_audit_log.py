"""audit log

Revision ID: 0003
Revises: 0002

The audit log (core/audit.py) and the guards that make it append-only in the database.

PostgreSQL: a trigger raises on UPDATE, DELETE and TRUNCATE of audit_record (and of
audit_chain_start) unless, for DELETE of audit_record only, the transaction has set
``app.audit_purge = 'on'`` (``set_config(..., true)``: only `flask audit purge` does that, inside its
own transaction). UPDATE, DELETE and TRUNCATE are also revoked from PUBLIC. The REVOKE alone would
not stop the application: a table's owner keeps every privilege, and the app connects as the owner
(it runs these migrations; the tests do the same), so the trigger is the guard that holds for every
role. In production run the app as a role that does not own the tables and grant it only SELECT and
INSERT on audit_record; then an attacker inside the app cannot disable the trigger either. The HMAC
chain (`flask audit verify`) catches whatever gets past both.

SQLite: BEFORE UPDATE / BEFORE DELETE triggers with RAISE(ABORT). `flask audit purge` drops and
recreates audit_record_no_delete inside its transaction (the text must stay identical to
core.audit.SQLITE_DELETE_GUARD). A later batch migration that recreates audit_record on SQLite
must recreate these triggers.
"""
from alembic import op
import sqlalchemy as sa

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

PG_GUARD_FUNCTION = """
CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND TG_TABLE_NAME = 'audit_record'
       AND coalesce(current_setting('app.audit_purge', true), '') = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit records are append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$
"""

SQLITE_GUARDS = (
    "CREATE TRIGGER audit_record_no_update BEFORE UPDATE ON audit_record "
    "BEGIN SELECT RAISE(ABORT, 'audit records cannot be altered'); END",
    # identical to core.audit.SQLITE_DELETE_GUARD (purge drops and recreates it)
    "CREATE TRIGGER audit_record_no_delete BEFORE DELETE ON audit_record "
    "BEGIN SELECT RAISE(ABORT, 'audit records cannot be deleted'); END",
    "CREATE TRIGGER audit_chain_start_no_update BEFORE UPDATE ON audit_chain_start "
    "BEGIN SELECT RAISE(ABORT, 'audit purge points cannot be altered'); END",
    "CREATE TRIGGER audit_chain_start_no_delete BEFORE DELETE ON audit_chain_start "
    "BEGIN SELECT RAISE(ABORT, 'audit purge points cannot be deleted'); END",
)
SQLITE_TRIGGER_NAMES = ("audit_record_no_update", "audit_record_no_delete",
                        "audit_chain_start_no_update", "audit_chain_start_no_delete")


def upgrade():
    op.create_table(
        'audit_record',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('actor', sa.String(length=64), nullable=False),
        sa.Column('role', sa.String(length=32), nullable=False),
        sa.Column('action', sa.String(length=64), nullable=False),
        sa.Column('target', sa.String(length=255), nullable=False),
        sa.Column('result', sa.String(length=16), nullable=False),
        sa.Column('ip', sa.String(length=45), nullable=False),
        sa.Column('request_id', sa.String(length=64), nullable=False),
        sa.Column('details', sa.Text(), nullable=False),
        sa.Column('prev_hash', sa.String(length=64), nullable=False),
        sa.Column('hash', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_record')),
    )
    for column in ('at', 'actor', 'action', 'target', 'ip'):
        op.create_index(op.f(f'ix_audit_record_{column}'), 'audit_record', [column], unique=False)
    op.create_table(
        'audit_chain_start',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_id', sa.Integer(), nullable=False),
        sa.Column('last_hash', sa.String(length=64), nullable=False),
        sa.Column('purged', sa.Integer(), nullable=False),
        sa.Column('mac', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_chain_start')),
    )

    dialect = op.get_bind().dialect.name
    if dialect == 'postgresql':
        op.execute(PG_GUARD_FUNCTION)
        for table in ('audit_record', 'audit_chain_start'):
            op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                       "FOR EACH ROW EXECUTE FUNCTION audit_append_only()")
            op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                       "FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()")
            op.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON {table} FROM PUBLIC")
    elif dialect == 'sqlite':
        for statement in SQLITE_GUARDS:
            op.execute(statement)


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == 'postgresql':
        for table in ('audit_record', 'audit_chain_start'):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        op.execute("DROP FUNCTION IF EXISTS audit_append_only()")
    elif dialect == 'sqlite':
        for name in SQLITE_TRIGGER_NAMES:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table('audit_chain_start')
    for column in ('at', 'actor', 'action', 'target', 'ip'):
        op.drop_index(op.f(f'ix_audit_record_{column}'), table_name='audit_record')
    op.drop_table('audit_record')
