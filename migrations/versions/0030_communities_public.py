"""Communities in public (issue 22, point 5): a community opts in to the public directory
(``communities.public``, off for every community already stored: nobody agreed yet) and
says how to join (``communities.how_to_join``); communities that register themselves
through the public form wait in ``community_registrations`` for a coordinator.

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

from evangelists.vocabulary import COMMUNITY_REGISTRATION_STATUSES

# revision identifiers, used by Alembic.
revision = '0030'
down_revision = '0029'
branch_labels = None
depends_on = None


def _choice(values, name):
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=max(map(len, values)))


def upgrade():
    with op.batch_alter_table('communities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('public', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('how_to_join', sa.Text(), server_default='', nullable=False))
        batch_op.create_index(batch_op.f('ix_communities_public'), ['public'], unique=False)

    op.create_table(
        'community_registrations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('municipality_id', sa.Integer(), nullable=False),
        sa.Column('website', sa.String(length=300), nullable=True),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('how_to_join', sa.Text(), nullable=False),
        sa.Column('member_count', sa.Integer(), nullable=False),
        sa.Column('contact_email', sa.String(length=254), nullable=False),
        sa.Column('consent', sa.Boolean(), nullable=False),
        sa.Column('status', _choice(COMMUNITY_REGISTRATION_STATUSES, 'community_registration_status'), nullable=False),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('decline_reason', sa.Text(), nullable=False),
        sa.Column('community_id', sa.Integer(), nullable=True),
        sa.Column('form_nonce', sa.String(length=64), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status = 'pending' OR decided_at IS NOT NULL",
                           name=op.f('ck_community_registrations_registration_decided_at')),
        sa.CheckConstraint('consent', name=op.f('ck_community_registrations_registration_consented')),
        sa.CheckConstraint('member_count >= 0',
                           name=op.f('ck_community_registrations_registration_member_count_not_negative')),
        sa.ForeignKeyConstraint(['community_id'], ['communities.id'],
                                name=op.f('fk_community_registrations_community_id_communities'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'],
                                name=op.f('fk_community_registrations_decided_by_id_users'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'],
                                name=op.f('fk_community_registrations_municipality_id_municipalities')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_community_registrations')),
        sa.UniqueConstraint('form_nonce', name=op.f('uq_community_registrations_form_nonce')),
    )
    with op.batch_alter_table('community_registrations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_community_registrations_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_community_registrations_decided_by_id'), ['decided_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_community_registrations_municipality_id'), ['municipality_id'],
                              unique=False)
        batch_op.create_index('ix_community_registrations_status_created', ['status', 'created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('community_registrations', schema=None) as batch_op:
        batch_op.drop_index('ix_community_registrations_status_created')
        batch_op.drop_index(batch_op.f('ix_community_registrations_municipality_id'))
        batch_op.drop_index(batch_op.f('ix_community_registrations_decided_by_id'))
        batch_op.drop_index(batch_op.f('ix_community_registrations_community_id'))
    op.drop_table('community_registrations')

    with op.batch_alter_table('communities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_communities_public'))
        batch_op.drop_column('how_to_join')
        batch_op.drop_column('public')
