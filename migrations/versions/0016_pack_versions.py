"""versions of the city's pack kept in the database (core/pack_versions.py): blobs, versions, files;
a sample of the guide's answers (re-run against a curator's draft)

Revision ID: 0016
Revises: 0015

"""
from alembic import op
import sqlalchemy as sa

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'pack_blob',
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('content', sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint('sha256', name=op.f('pk_pack_blob')),
    )
    op.create_table(
        'pack_version',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('municipality', sa.String(length=64), nullable=False),
        sa.Column('number', sa.Integer(), nullable=True),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('author', sa.String(length=64), nullable=False),
        sa.Column('base_number', sa.Integer(), nullable=True),
        sa.Column('restores_number', sa.Integer(), nullable=True),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('digest', sa.String(length=64), nullable=False),
        sa.Column('ruleset_version', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('published_by', sa.String(length=64), nullable=True),
        sa.Column('effective_from', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_pack_version')),
        sa.UniqueConstraint('municipality', 'number', name=op.f('uq_pack_version_municipality')),
    )
    with op.batch_alter_table('pack_version') as batch:
        batch.create_index(batch.f('ix_pack_version_municipality'), ['municipality'])
        batch.create_index(batch.f('ix_pack_version_state'), ['state'])
        batch.create_index(batch.f('ix_pack_version_ruleset_version'), ['ruleset_version'])
        batch.create_index(batch.f('ix_pack_version_effective_from'), ['effective_from'])
    op.create_table(
        'pack_version_file',
        sa.Column('version_id', sa.Integer(), nullable=False),
        sa.Column('path', sa.String(length=255), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(['version_id'], ['pack_version.id'], name=op.f('fk_pack_version_file_version_id_pack_version'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['sha256'], ['pack_blob.sha256'], name=op.f('fk_pack_version_file_sha256_pack_blob')),
        sa.PrimaryKeyConstraint('version_id', 'path', name=op.f('pk_pack_version_file')),
    )
    op.create_table(
        'guide_answer_sample',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('event', sa.String(length=64), nullable=False),
        sa.Column('request_json', sa.Text(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_guide_answer_sample')),
    )
    with op.batch_alter_table('guide_answer_sample') as batch:
        batch.create_index(batch.f('ix_guide_answer_sample_event'), ['event'])
        batch.create_index(batch.f('ix_guide_answer_sample_day'), ['day'])


def downgrade():
    op.drop_table('guide_answer_sample')
    op.drop_table('pack_version_file')
    op.drop_table('pack_version')
    op.drop_table('pack_blob')
