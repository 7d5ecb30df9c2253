"""audit search over a million records (bench/load.py, docs/performance.md): on PostgreSQL, the
target's substring search (``LIKE '%…%'``) gets a trigram index (pg_trgm, a trusted extension the
database owner may create), prefix searches of ip and action (``10.1.*``, ``login*``) use
varchar_pattern_ops indexes (which also serve equality), and result gets an index

Revision ID: 0020
Revises: 0019

"""
from alembic import op

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

PREFIX_COLUMNS = ('ip', 'action')


def upgrade():
    postgres = op.get_bind().dialect.name == 'postgresql'
    if postgres:
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
        for column in PREFIX_COLUMNS:  # the same name, now able to serve LIKE 'prefix%' too
            op.drop_index(f'ix_audit_record_{column}', table_name='audit_record')
            op.create_index(f'ix_audit_record_{column}', 'audit_record', [column],
                            postgresql_ops={column: 'varchar_pattern_ops'})
    op.create_index('ix_audit_record_target_trgm', 'audit_record', ['target'], postgresql_using='gin',
                    postgresql_ops={'target': 'gin_trgm_ops'})
    op.create_index('ix_audit_record_result', 'audit_record', ['result'])


def downgrade():
    op.drop_index('ix_audit_record_result', table_name='audit_record')
    op.drop_index('ix_audit_record_target_trgm', table_name='audit_record')
    if op.get_bind().dialect.name == 'postgresql':
        for column in PREFIX_COLUMNS:
            op.drop_index(f'ix_audit_record_{column}', table_name='audit_record')
            op.create_index(f'ix_audit_record_{column}', 'audit_record', [column])
