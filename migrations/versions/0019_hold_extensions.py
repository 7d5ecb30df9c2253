"""reservation.hold_extensions: how many times a resident extended a hold (WCAG 2.2.1)

Revision ID: 0019
Revises: 0018

"""
from alembic import op
import sqlalchemy as sa

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('reservation') as batch_op:
        batch_op.add_column(sa.Column('hold_extensions', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('reservation') as batch_op:
        batch_op.drop_column('hold_extensions')
