"""the draft an anonymous upload belongs to (who may claim it; per-draft caps)

Revision ID: 0013
Revises: 0012

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('application_attachment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('draft', sa.String(length=48), nullable=True))
        batch_op.create_index(batch_op.f('ix_application_attachment_draft'), ['draft'], unique=False)


def downgrade():
    with op.batch_alter_table('application_attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_application_attachment_draft'))
        batch_op.drop_column('draft')
