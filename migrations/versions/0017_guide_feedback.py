"""feedback on result pages (guide/feedback.py): one row per answer, no personal data

Revision ID: 0017
Revises: 0016

"""
from alembic import op
import sqlalchemy as sa

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'guide_feedback',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('event', sa.Text(), nullable=False),
        sa.Column('version', sa.Text(), nullable=False),
        sa.Column('listed', sa.Text(), nullable=False),
        sa.Column('helpful', sa.Boolean(), nullable=True),
        sa.Column('missing', sa.Text(), nullable=True),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('language', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_guide_feedback')),
    )
    with op.batch_alter_table('guide_feedback') as batch_op:
        batch_op.create_index(batch_op.f('ix_guide_feedback_day'), ['day'], unique=False)


def downgrade():
    with op.batch_alter_table('guide_feedback') as batch_op:
        batch_op.drop_index(batch_op.f('ix_guide_feedback_day'))
    op.drop_table('guide_feedback')
