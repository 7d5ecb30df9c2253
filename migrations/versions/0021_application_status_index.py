"""the staff inbox over 100,000 applications (bench/load.py, docs/performance.md): its count, its
page and the clerks' workload all filter on the open statuses; without an index each read the
whole table (0.44 s a query with 100k rows); (status, submitted_at) also orders a status's page

Revision ID: 0021
Revises: 0020

"""
from alembic import op

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_application_status_submitted_at', 'application', ['status', 'submitted_at'])


def downgrade():
    op.drop_index('ix_application_status_submitted_at', table_name='application')
