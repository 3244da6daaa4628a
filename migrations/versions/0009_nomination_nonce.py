"""A nomination form's one-time value on the candidate it made (evangelists.form_nonce,
unique): the same form sent twice, by a double click, makes one candidate, not two.
Existing rows keep NULL (many NULLs do not clash in a unique constraint).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('evangelists', schema=None) as batch_op:
        batch_op.add_column(sa.Column('form_nonce', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_evangelists_form_nonce'), ['form_nonce'])


def downgrade():
    with op.batch_alter_table('evangelists', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_evangelists_form_nonce'), type_='unique')
        batch_op.drop_column('form_nonce')
