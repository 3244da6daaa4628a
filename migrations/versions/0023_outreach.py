"""Outreach to towns that have not asked (issue 20, point 7): outreach cases and their
contact log; a town's engagement stage gains "outreach" (an open case) and a request's
source gains "outreach" (a case turned into a request with the town's consent).

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None

STATUSES = ('planned', 'contacted', 'interested', 'declined', 'request', 'closed')
CHANNELS = ('phone', 'email', 'post', 'visit', 'event', 'online')
OPEN_WHERE = "status IN ('planned', 'contacted', 'interested')"
OLD_STAGES = ('none', 'requested', 'assigned', 'visited', 'active')
NEW_STAGES = ('none', 'outreach', 'requested', 'assigned', 'visited', 'active')
OLD_SOURCES = ('form', 'phone', 'email', 'post', 'in_person')
NEW_SOURCES = OLD_SOURCES + ('outreach',)


def _check(column, values):
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def _enum(values, name):
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True,
                   length=max(len(v) for v in values))


def _recheck(table, name, column, values):
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.drop_constraint(op.f(f'ck_{table}_{name}'), type_='check')
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.create_check_constraint(op.f(f'ck_{table}_{name}'), _check(column, values))


def upgrade():
    op.create_table(
        'outreach_cases',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('municipality_id', sa.Integer(), nullable=False),
        sa.Column('status', _enum(STATUSES, 'outreach_status'), nullable=False),
        sa.Column('opened_by_id', sa.Integer(), nullable=True),
        sa.Column('owner_id', sa.Integer(), nullable=True),
        sa.Column('evangelist_id', sa.Integer(), nullable=True),
        sa.Column('community_id', sa.Integer(), nullable=True),
        sa.Column('ask', sa.Text(), server_default='', nullable=False),
        sa.Column('next_step', sa.Text(), server_default='', nullable=False),
        sa.Column('next_on', sa.Date(), nullable=True),
        sa.Column('contacted_on', sa.Date(), nullable=True),
        sa.Column('interested_on', sa.Date(), nullable=True),
        sa.Column('request_id', sa.Integer(), nullable=True),
        sa.Column('consent_by', sa.String(length=100), nullable=True),
        sa.Column('consent_how', _enum(CHANNELS, 'outreach_consent_channel'), nullable=True),
        sa.Column('consented_on', sa.Date(), nullable=True),
        sa.Column('closed_reason', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status <> 'request' OR request_id IS NOT NULL",
                           name=op.f('ck_outreach_cases_request_has_request')),
        sa.ForeignKeyConstraint(['community_id'], ['communities.id'],
                                name=op.f('fk_outreach_cases_community_id_communities'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['evangelist_id'], ['evangelists.id'],
                                name=op.f('fk_outreach_cases_evangelist_id_evangelists'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'],
                                name=op.f('fk_outreach_cases_municipality_id_municipalities'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['opened_by_id'], ['users.id'],
                                name=op.f('fk_outreach_cases_opened_by_id_users'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['owner_id'], ['users.id'],
                                name=op.f('fk_outreach_cases_owner_id_users'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['request_id'], ['support_requests.id'],
                                name=op.f('fk_outreach_cases_request_id_support_requests'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_outreach_cases')),
        sa.UniqueConstraint('request_id', name=op.f('uq_outreach_cases_request_id')),
    )
    with op.batch_alter_table('outreach_cases', schema=None) as batch_op:
        for column in ('community_id', 'evangelist_id', 'municipality_id', 'next_on', 'opened_by_id',
                       'owner_id', 'status'):
            batch_op.create_index(batch_op.f(f'ix_outreach_cases_{column}'), [column], unique=False)
        batch_op.create_index('uq_outreach_cases_open_municipality', ['municipality_id'], unique=True,
                              sqlite_where=sa.text(OPEN_WHERE), postgresql_where=sa.text(OPEN_WHERE))

    op.create_table(
        'outreach_contacts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('contacted_on', sa.Date(), nullable=False),
        sa.Column('channel', _enum(CHANNELS, 'outreach_channel'), nullable=False),
        sa.Column('person_name', sa.String(length=100), server_default='', nullable=False),
        sa.Column('department', sa.String(length=100), server_default='', nullable=False),
        sa.Column('phone', sa.String(length=30), nullable=True),
        sa.Column('email', sa.String(length=254), nullable=True),
        sa.Column('answer', sa.Text(), server_default='', nullable=False),
        sa.Column('next_step', sa.Text(), server_default='', nullable=False),
        sa.Column('next_on', sa.Date(), nullable=True),
        sa.Column('recorded_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['outreach_cases.id'],
                                name=op.f('fk_outreach_contacts_case_id_outreach_cases'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'],
                                name=op.f('fk_outreach_contacts_recorded_by_id_users'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_outreach_contacts')),
    )
    with op.batch_alter_table('outreach_contacts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outreach_contacts_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outreach_contacts_recorded_by_id'), ['recorded_by_id'], unique=False)

    _recheck('municipalities', 'engagement_stage', 'engagement_stage', NEW_STAGES)
    _recheck('support_requests', 'request_source', 'source', NEW_SOURCES)


def downgrade():
    # A town under outreach had no request: back to "none"; a request from outreach was
    # recorded by staff with the town's consent: "phone" is the nearest old source.
    op.execute("UPDATE municipalities SET engagement_stage = 'none' WHERE engagement_stage = 'outreach'")
    op.execute("UPDATE support_requests SET source = 'phone' WHERE source = 'outreach'")
    _recheck('support_requests', 'request_source', 'source', OLD_SOURCES)
    _recheck('municipalities', 'engagement_stage', 'engagement_stage', OLD_STAGES)
    with op.batch_alter_table('outreach_contacts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outreach_contacts_recorded_by_id'))
        batch_op.drop_index(batch_op.f('ix_outreach_contacts_case_id'))
    op.drop_table('outreach_contacts')
    with op.batch_alter_table('outreach_cases', schema=None) as batch_op:
        batch_op.drop_index('uq_outreach_cases_open_municipality', sqlite_where=sa.text(OPEN_WHERE),
                            postgresql_where=sa.text(OPEN_WHERE))
        for column in ('status', 'owner_id', 'opened_by_id', 'next_on', 'municipality_id', 'evangelist_id',
                       'community_id'):
            batch_op.drop_index(batch_op.f(f'ix_outreach_cases_{column}'))
    op.drop_table('outreach_cases')
