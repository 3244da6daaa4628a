"""A town's feedback on a closed request: "was the help useful?" (1 to 5) and a comment.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'request_feedback',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('request_id', sa.Integer(), nullable=False),
        sa.Column('rating', sa.SmallInteger(), nullable=False),
        sa.Column('comment', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('rating BETWEEN 1 AND 5', name=op.f('ck_request_feedback_rating_in_range')),
        sa.ForeignKeyConstraint(['request_id'], ['support_requests.id'],
                                name=op.f('fk_request_feedback_request_id_support_requests'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_request_feedback')),
        sa.UniqueConstraint('request_id', name=op.f('uq_request_feedback_request_id')),
    )
    with op.batch_alter_table('request_feedback', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_request_feedback_created_at'), ['created_at'], unique=False)


def downgrade():
    op.drop_table('request_feedback')
