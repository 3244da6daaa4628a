"""Indexes for the recruitment board at scale: each column's page of people by name
(status, family name, given name, id), and the people per community and status.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('evangelists', schema=None) as batch_op:
        batch_op.create_index('ix_evangelists_status_name', ['status', 'family_name', 'given_name', 'id'],
                              unique=False)
        batch_op.create_index('ix_evangelists_home_community_id_status', ['home_community_id', 'status'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('evangelists', schema=None) as batch_op:
        batch_op.drop_index('ix_evangelists_home_community_id_status')
        batch_op.drop_index('ix_evangelists_status_name')
