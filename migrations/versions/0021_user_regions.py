"""Regional coordinators (issue 20, point 1): the regional blocks a coordinator works in.

A coordinator with no row here is national, as every coordinator was before.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

REGIONS = ("hokkaido", "tohoku", "kanto", "chubu", "kinki", "chugoku", "shikoku", "kyushu")


def upgrade():
    op.create_table(
        'user_regions',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('region', sa.Enum(*REGIONS, name='user_region', native_enum=False,
                                    create_constraint=True, length=8), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_regions_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', 'region', name=op.f('pk_user_regions')),
    )


def downgrade():
    op.drop_table('user_regions')
