"""Public applications to become an evangelist (issue 22, point 6): the table of
applications (``app/models/applications.py``).

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

from evangelists.limits import MAX_TRAVEL_RADIUS_KM
from evangelists.vocabulary import AGE_BANDS, APPLICATION_STATUSES, GENDERS

# revision identifiers, used by Alembic.
revision = '0029'
down_revision = '0028'
branch_labels = None
depends_on = None


def _choice(values, name):
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=max(map(len, values)))


def upgrade():
    op.create_table(
        'evangelist_applications',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('status', _choice(APPLICATION_STATUSES, 'application_status'), nullable=False),
        sa.Column('family_name', sa.String(length=60), nullable=False),
        sa.Column('given_name', sa.String(length=60), nullable=False),
        sa.Column('family_name_kana', sa.String(length=60), nullable=False),
        sa.Column('given_name_kana', sa.String(length=60), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('municipality_id', sa.Integer(), nullable=False),
        sa.Column('community_id', sa.Integer(), nullable=True),
        sa.Column('community_other', sa.String(length=120), server_default='', nullable=False),
        sa.Column('skills', sa.JSON(), nullable=False),
        sa.Column('languages', sa.JSON(), nullable=False),
        sa.Column('capacity', sa.Integer(), nullable=False),
        sa.Column('travel_radius_km', sa.Float(), nullable=False),
        sa.Column('online_ok', sa.Boolean(), nullable=False),
        sa.Column('availability', sa.String(length=500), server_default='', nullable=False),
        sa.Column('motivation', sa.Text(), server_default='', nullable=False),
        sa.Column('age_band', _choice(AGE_BANDS, 'application_age_band'), nullable=True),
        sa.Column('gender', _choice(GENDERS, 'application_gender'), nullable=True),
        sa.Column('consented_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('locale', sa.String(length=8), nullable=True),
        sa.Column('token_hash', sa.String(length=64), nullable=True),
        sa.Column('token_sealed', sa.String(length=255), nullable=True),
        sa.Column('confirm_by', sa.DateTime(timezone=True), nullable=False),
        sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('evangelist_id', sa.Integer(), nullable=True),
        sa.Column('matches', sa.JSON(), nullable=False),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('capacity BETWEEN 0 AND 20', name=op.f('ck_evangelist_applications_capacity_range')),
        sa.CheckConstraint(f'travel_radius_km > 0 AND travel_radius_km <= {MAX_TRAVEL_RADIUS_KM}',
                           name=op.f('ck_evangelist_applications_travel_radius_range')),
        sa.CheckConstraint("status = 'unconfirmed' OR (token_hash IS NULL AND token_sealed IS NULL)",
                           name=op.f('ck_evangelist_applications_confirmed_has_no_token')),
        sa.CheckConstraint("status = 'unconfirmed' OR confirmed_at IS NOT NULL",
                           name=op.f('ck_evangelist_applications_confirmed_has_date')),
        sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'],
                                name=op.f('fk_evangelist_applications_municipality_id_municipalities')),
        sa.ForeignKeyConstraint(['community_id'], ['communities.id'],
                                name=op.f('fk_evangelist_applications_community_id_communities'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['evangelist_id'], ['evangelists.id'],
                                name=op.f('fk_evangelist_applications_evangelist_id_evangelists'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_evangelist_applications')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_evangelist_applications_token_hash')),
    )
    for column in ('email', 'municipality_id', 'community_id', 'evangelist_id'):
        op.create_index(op.f(f'ix_evangelist_applications_{column}'), 'evangelist_applications', [column])
    op.create_index('ix_evangelist_applications_status_created', 'evangelist_applications', ['status', 'created_at'])


def downgrade():
    op.drop_index('ix_evangelist_applications_status_created', table_name='evangelist_applications')
    for column in ('email', 'municipality_id', 'community_id', 'evangelist_id'):
        op.drop_index(op.f(f'ix_evangelist_applications_{column}'), table_name='evangelist_applications')
    op.drop_table('evangelist_applications')
