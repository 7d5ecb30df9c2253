"""correction phrases (補正の定型文) of each department

Revision ID: 0012
Revises: 0011

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('correction_phrase',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('department_id', sa.String(length=64), nullable=False),
    sa.Column('text', sa.String(length=300), nullable=False),
    sa.Column('created_by', sa.String(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_correction_phrase'))
    )
    with op.batch_alter_table('correction_phrase', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_correction_phrase_department_id'), ['department_id'], unique=False)


def downgrade():
    with op.batch_alter_table('correction_phrase', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_correction_phrase_department_id'))
    op.drop_table('correction_phrase')
