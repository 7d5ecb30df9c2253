"""the 申請管理システム connects by configuration (issue 15): the form version of each application,
a status map and a webhook per back-office client, acknowledgements (取込済), idempotent writes

Revision ID: 0025
Revises: 0024 (renumbered on merge: 0024)

"""
import sqlalchemy as sa
from alembic import op

revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('application') as batch:
        batch.add_column(sa.Column('form_version', sa.String(80), nullable=True))
    with op.batch_alter_table('backoffice_client') as batch:
        batch.add_column(sa.Column('status_map', sa.Text(), nullable=True))
        batch.add_column(sa.Column('webhook_url', sa.Text(), nullable=True))
        batch.add_column(sa.Column('webhook_secret', sa.Text(), nullable=True))
    op.create_table(
        'backoffice_ack',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('application_id', sa.String(36), nullable=False),
        sa.Column('client_pk', sa.Integer(), nullable=False),
        sa.Column('revision', sa.Integer(), nullable=False),
        sa.Column('acked_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['application_id'], ['application.id'], ondelete='CASCADE',
                                name=op.f('fk_backoffice_ack_application_id_application')),
        sa.ForeignKeyConstraint(['client_pk'], ['backoffice_client.id'], ondelete='CASCADE',
                                name=op.f('fk_backoffice_ack_client_pk_backoffice_client')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_backoffice_ack')),
        sa.UniqueConstraint('application_id', 'client_pk', name=op.f('uq_backoffice_ack_application_id')),
    )
    with op.batch_alter_table('backoffice_ack') as batch:
        batch.create_index(batch.f('ix_backoffice_ack_application_id'), ['application_id'], unique=False)
    op.create_table(
        'backoffice_idempotency',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('client_pk', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(64), nullable=False),
        sa.Column('request_hash', sa.String(64), nullable=False),
        sa.Column('status_code', sa.Integer(), nullable=False),
        sa.Column('response_json', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['client_pk'], ['backoffice_client.id'], ondelete='CASCADE',
                                name=op.f('fk_backoffice_idempotency_client_pk_backoffice_client')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_backoffice_idempotency')),
        sa.UniqueConstraint('client_pk', 'key', name=op.f('uq_backoffice_idempotency_client_pk')),
    )
    with op.batch_alter_table('backoffice_idempotency') as batch:
        batch.create_index(batch.f('ix_backoffice_idempotency_expires_at'), ['expires_at'], unique=False)


def downgrade():
    op.drop_table('backoffice_idempotency')
    op.drop_table('backoffice_ack')
    with op.batch_alter_table('backoffice_client') as batch:
        batch.drop_column('webhook_secret')
        batch.drop_column('webhook_url')
        batch.drop_column('status_map')
    with op.batch_alter_table('application') as batch:
        batch.drop_column('form_version')
