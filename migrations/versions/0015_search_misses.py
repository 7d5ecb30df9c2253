"""searches with no good result (guide/search_misses.py): the words only, counted per day

Revision ID: 0015
Revises: 0014

"""
from alembic import op
import sqlalchemy as sa

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'search_miss',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('words', sa.Text(), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_search_miss')),
        sa.UniqueConstraint('day', 'words', name=op.f('uq_search_miss_day')),
    )


def downgrade():
    op.drop_table('search_miss')
