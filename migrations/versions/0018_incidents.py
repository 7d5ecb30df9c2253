"""the incident register (staff/incidents.py): 障害対応履歴

Revision ID: 0018
Revises: 0017

"""
from alembic import op
import sqlalchemy as sa

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'incident',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('severity', sa.String(length=16), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('cause_category', sa.String(length=32), nullable=False),
        sa.Column('services', sa.Text(), nullable=False),
        sa.Column('detected_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('recovered_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('impact', sa.Text(), nullable=False),
        sa.Column('cause', sa.Text(), nullable=False),
        sa.Column('actions', sa.Text(), nullable=False),
        sa.Column('prevention', sa.Text(), nullable=False),
        sa.Column('alert_id', sa.Integer(), nullable=True),
        sa.Column('opened_by', sa.String(length=64), nullable=False),
        sa.Column('updated_by', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
        sa.ForeignKeyConstraint(['alert_id'], ['security_alert.id'], name=op.f('fk_incident_alert_id_security_alert')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_incident')),
    )
    with op.batch_alter_table('incident') as batch_op:
        batch_op.create_index(batch_op.f('ix_incident_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_incident_cause_category'), ['cause_category'], unique=False)
        batch_op.create_index(batch_op.f('ix_incident_detected_at'), ['detected_at'], unique=False)


def downgrade():
    with op.batch_alter_table('incident') as batch_op:
        batch_op.drop_index(batch_op.f('ix_incident_detected_at'))
        batch_op.drop_index(batch_op.f('ix_incident_cause_category'))
        batch_op.drop_index(batch_op.f('ix_incident_status'))
    op.drop_table('incident')
