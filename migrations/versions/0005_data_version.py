"""The data version: one row, counted up by every transaction that writes, so rendered
pages can be kept until the data they show changes (app/page_cache.py).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    table = op.create_table('data_version',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('number', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('id = 1', name=op.f('ck_data_version_single_row')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_data_version'))
    )
    op.bulk_insert(table, [{'id': 1, 'number': 0}])


def downgrade():
    op.drop_table('data_version')
