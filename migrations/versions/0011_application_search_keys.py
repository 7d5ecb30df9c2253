"""application search keys: blind indexes of the names in each sent application (staff inbox search)

Revision ID: 0011
Revises: 0010

After upgrading, fill the keys of applications sent before: ``flask applications reindex-search``.
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('application_search_key',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('application_id', sa.String(length=36), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['application.id'],
                            name=op.f('fk_application_search_key_application_id_application'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_application_search_key'))
    )
    with op.batch_alter_table('application_search_key', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_application_search_key_application_id'), ['application_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_application_search_key_digest'), ['digest'], unique=False)


def downgrade():
    with op.batch_alter_table('application_search_key', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_application_search_key_digest'))
        batch_op.drop_index(batch_op.f('ix_application_search_key_application_id'))
    op.drop_table('application_search_key')
