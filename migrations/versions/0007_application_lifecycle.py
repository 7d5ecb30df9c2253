"""application lifecycle: receipt numbers, statuses, payment state, attachments, events

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.add_column(sa.Column('department_id', sa.String(length=64), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('locale', sa.String(length=8), nullable=False, server_default='ja'))
        batch_op.add_column(sa.Column('channel', sa.String(length=8), nullable=False, server_default='web'))
        batch_op.add_column(sa.Column('receipt_number', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('submit_key', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('assignee_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('first_approver_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('fee_amount', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('payment_timing', sa.String(length=16), nullable=False, server_default='none'))
        batch_op.add_column(sa.Column('payment_state', sa.String(length=16), nullable=False, server_default='none'))
        batch_op.add_column(sa.Column('revision', sa.Integer(), nullable=False, server_default='1'))
        batch_op.create_unique_constraint(batch_op.f('uq_application_receipt_number'), ['receipt_number'])
        batch_op.create_unique_constraint(batch_op.f('uq_application_submit_key'), ['submit_key'])
        batch_op.create_index(batch_op.f('ix_application_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_application_updated_at'), ['updated_at'], unique=False)
    op.create_table(
        'application_attachment',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('name', sa.String(length=32), nullable=False),
        sa.Column('application_id', sa.String(length=36), nullable=True),
        sa.Column('field_id', sa.String(length=64), nullable=False),
        sa.Column('filename', sa.Text(), nullable=False),
        sa.Column('kind', sa.String(length=8), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('data', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['application_id'], ['application.id'], ondelete='CASCADE',
                                name=op.f('fk_application_attachment_application_id_application')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_application_attachment')),
        sa.UniqueConstraint('name', name=op.f('uq_application_attachment_name')),
    )
    op.create_index(op.f('ix_application_attachment_application_id'), 'application_attachment', ['application_id'])
    op.create_table(
        'application_event',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('application_id', sa.String(length=36), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('actor', sa.String(length=80), nullable=False),
        sa.Column('from_status', sa.String(length=16), nullable=True),
        sa.Column('to_status', sa.String(length=16), nullable=True),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('field_comments_json', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['application_id'], ['application.id'], ondelete='CASCADE',
                                name=op.f('fk_application_event_application_id_application')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_application_event')),
    )
    op.create_index(op.f('ix_application_event_application_id'), 'application_event', ['application_id'])


def downgrade():
    op.drop_index(op.f('ix_application_event_application_id'), table_name='application_event')
    op.drop_table('application_event')
    op.drop_index(op.f('ix_application_attachment_application_id'), table_name='application_attachment')
    op.drop_table('application_attachment')
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_application_updated_at'))
        batch_op.drop_index(batch_op.f('ix_application_department_id'))
        batch_op.drop_constraint(batch_op.f('uq_application_submit_key'), type_='unique')
        batch_op.drop_constraint(batch_op.f('uq_application_receipt_number'), type_='unique')
        for column in ('revision', 'payment_state', 'payment_timing', 'fee_amount', 'first_approver_id',
                       'assignee_id', 'closed_at', 'decided_at', 'submitted_at', 'updated_at', 'submit_key',
                       'receipt_number', 'channel', 'locale', 'department_id'):
            batch_op.drop_column(column)
