"""事前入力: the household a resident fills in before a visit, encrypted, one row per visit (issue 14)

Revision ID: 0023
Revises: 0022

"""
import sqlalchemy as sa
from alembic import op

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'visit_prefill',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('visit_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(12), nullable=False),
        sa.Column('household', sa.Text(), nullable=False),
        sa.Column('corrections', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('shared_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['visit_id'], ['visit.id'], name=op.f('fk_visit_prefill_visit_id_visit'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_visit_prefill')),
        sa.UniqueConstraint('visit_id', name=op.f('uq_visit_prefill_visit_id')),
    )
    with op.batch_alter_table('visit_prefill') as batch:
        batch.create_index(batch.f('ix_visit_prefill_status'), ['status'], unique=False)
        batch.create_index(batch.f('ix_visit_prefill_created_at'), ['created_at'], unique=False)


def downgrade():
    op.drop_table('visit_prefill')
