"""security alerts keep a msgid and its variables (translated when read); the Japanese text of
older alerts stays in ``message`` and is shown as it is

Revision ID: 0014
Revises: 0013

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('security_alert', schema=None) as batch_op:
        batch_op.add_column(sa.Column('message_id', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('message_vars', sa.Text(), nullable=True))
        batch_op.alter_column('message', existing_type=sa.Text(), nullable=True)


def downgrade():
    # the newer alerts get their Japanese msgid as text (its variables are not filled in here)
    op.execute("UPDATE security_alert SET message = message_id WHERE message IS NULL")
    op.execute("UPDATE security_alert SET message = '' WHERE message IS NULL")
    with op.batch_alter_table('security_alert', schema=None) as batch_op:
        batch_op.alter_column('message', existing_type=sa.Text(), nullable=False)
        batch_op.drop_column('message_vars')
        batch_op.drop_column('message_id')
