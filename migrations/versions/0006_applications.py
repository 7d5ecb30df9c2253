"""applications

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'application',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('procedure_id', sa.String(length=64), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('fields_json', sa.Text(), nullable=False),
        sa.Column('email', sa.Text(), nullable=False),
        sa.Column('email_index', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('payload', sa.Text(), nullable=False),
        sa.Column('signature_b64', sa.Text(), nullable=True),
        sa.Column('certificate_pem', sa.Text(), nullable=True),
        sa.Column('signer_json', sa.Text(), nullable=True),
        sa.Column('cert_serial', sa.String(length=64), nullable=True),
        sa.Column('cert_issuer', sa.Text(), nullable=True),
        sa.Column('revocation_evidence', sa.Text(), nullable=True),
        sa.Column('signature_checked_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_signature_error', sa.String(length=32), nullable=True),
        sa.Column('identity_json', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_application')),
    )
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_application_procedure_id'), ['procedure_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_application_email_index'), ['email_index'], unique=False)


def downgrade():
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_application_email_index'))
        batch_op.drop_index(batch_op.f('ix_application_procedure_id'))
    op.drop_table('application')
