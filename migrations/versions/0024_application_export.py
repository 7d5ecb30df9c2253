"""the batch export (issue 15): which application revisions have been exported

Revision ID: 0024
Revises: 0023

"""
import sqlalchemy as sa
from alembic import op

revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'application_export',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('application_id', sa.String(36), nullable=False),
        sa.Column('revision', sa.Integer(), nullable=False),
        sa.Column('receipt_number', sa.String(20), nullable=False),
        sa.Column('file_name', sa.String(200), nullable=False),
        sa.Column('sha256', sa.String(64), nullable=False),
        sa.Column('exported_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_application_export')),
        sa.UniqueConstraint('application_id', 'revision', name=op.f('uq_application_export_application_id')),
    )
    with op.batch_alter_table('application_export') as batch:
        batch.create_index(batch.f('ix_application_export_application_id'), ['application_id'], unique=False)


def downgrade():
    op.drop_table('application_export')
