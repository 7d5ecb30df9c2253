"""usage statistics

Revision ID: 0005
Revises: 0004

One table of counts (core/usage.py): no personal data, no IP addresses, no answers. The unique
key (day, service, metric, dimension) is what the UPSERT (ON CONFLICT … DO UPDATE) targets.
"""
from alembic import op
import sqlalchemy as sa

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'usage_count',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('service', sa.Text(), nullable=False),
        sa.Column('metric', sa.Text(), nullable=False),
        sa.Column('dimension', sa.Text(), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_usage_count')),
        sa.UniqueConstraint('day', 'service', 'metric', 'dimension', name=op.f('uq_usage_count_day')),
    )


def downgrade():
    op.drop_table('usage_count')
