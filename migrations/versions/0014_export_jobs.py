"""Export jobs: an export too large to stream while the coordinator waits is prepared by the
queue's worker and downloaded when ready (the file is kept under the instance folder).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

STATUSES = ('queued', 'running', 'ready', 'failed')
STYLES = ('labels', 'codes')


def upgrade():
    op.create_table(
        'export_jobs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('dataset', sa.String(length=40), nullable=False),
        sa.Column('parameters', sa.JSON(), nullable=False),
        sa.Column('style', sa.Enum(*STYLES, name='export_style', native_enum=False,
                                   create_constraint=True, length=6), nullable=False),
        sa.Column('locale', sa.String(length=10), nullable=False),
        sa.Column('status', sa.Enum(*STATUSES, name='export_job_status', native_enum=False,
                                    create_constraint=True, length=7), nullable=False),
        sa.Column('row_count', sa.Integer(), nullable=False),
        sa.Column('size_bytes', sa.BigInteger(), nullable=True),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint('row_count >= 0', name=op.f('ck_export_jobs_row_count_not_negative')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_export_jobs_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_export_jobs')),
    )
    with op.batch_alter_table('export_jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_export_jobs_status'), ['status'], unique=False)
        batch_op.create_index('ix_export_jobs_user_created', ['user_id', 'created_at'], unique=False)


def downgrade():
    op.drop_table('export_jobs')
