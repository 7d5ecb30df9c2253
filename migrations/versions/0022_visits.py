"""one visit for a whole life event (issue 14): the visit, and each counter stop's link to it

Revision ID: 0022
Revises: 0021

"""
import sqlalchemy as sa
from alembic import op

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'visit',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('number', sa.String(12), nullable=False),
        sa.Column('site_id', sa.String(64), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('start', sa.DateTime(timezone=True), nullable=False),
        sa.Column('end', sa.DateTime(timezone=True), nullable=False),
        sa.Column('status', sa.String(12), nullable=False),
        sa.Column('locale', sa.String(8), nullable=False),
        sa.Column('procedures', sa.String(1024), nullable=False),
        sa.Column('result_path', sa.String(2000), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_visit')),
        sa.UniqueConstraint('number', name=op.f('uq_visit_number')),
    )
    with op.batch_alter_table('visit') as batch:
        batch.create_index(batch.f('ix_visit_day'), ['day'], unique=False)
        batch.create_index(batch.f('ix_visit_status'), ['status'], unique=False)
    with op.batch_alter_table('reservation') as batch:
        batch.add_column(sa.Column('visit_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('stop_order', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('done_at', sa.DateTime(timezone=True), nullable=True))
        batch.create_index(batch.f('ix_reservation_visit_id'), ['visit_id'], unique=False)
        batch.create_foreign_key(batch.f('fk_reservation_visit_id_visit'), 'visit', ['visit_id'], ['id'], ondelete='CASCADE')


def downgrade():
    with op.batch_alter_table('reservation') as batch:
        batch.drop_constraint(batch.f('fk_reservation_visit_id_visit'), type_='foreignkey')
        batch.drop_index(batch.f('ix_reservation_visit_id'))
        batch.drop_column('done_at')
        batch.drop_column('stop_order')
        batch.drop_column('visit_id')
    op.drop_table('visit')
