"""A community's registration confirms its contact address first (security review of
issue 22.5): a new status ``unconfirmed`` before ``pending``, and the confirmation link's
columns (``token_hash``, ``token_sealed``, ``confirm_by``, ``confirmed_at``), as an
application to become an evangelist has them (0029).

Registrations already stored keep their status (``confirmed_at`` stays empty: their
address was never confirmed). The downgrade deletes the unconfirmed registrations and
their confirmation notices: the old schema has no state for them.

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-05
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0031'
down_revision = '0030'
branch_labels = None
depends_on = None

TABLE = 'community_registrations'
OLD_STATUSES = ('pending', 'accepted', 'declined')
NEW_STATUSES = ('unconfirmed', 'pending', 'accepted', 'declined')
OLD_DECIDED = "status = 'pending' OR decided_at IS NOT NULL"
NEW_DECIDED = "status IN ('unconfirmed', 'pending') OR decided_at IS NOT NULL"


def _in(values):
    return "status IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def _length(values):
    return max(len(v) for v in values)


def upgrade():
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_community_registrations_community_registration_status'), type_='check')
        batch_op.drop_constraint(op.f('ck_community_registrations_registration_decided_at'), type_='check')
        batch_op.alter_column('status', existing_type=sa.VARCHAR(length=_length(OLD_STATUSES)),
                              type_=sa.String(length=_length(NEW_STATUSES)), existing_nullable=False)
        batch_op.add_column(sa.Column('token_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('token_sealed', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('confirm_by', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint(op.f('uq_community_registrations_token_hash'), ['token_hash'])
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.create_check_constraint(op.f('ck_community_registrations_community_registration_status'),
                                         _in(NEW_STATUSES))
        batch_op.create_check_constraint(op.f('ck_community_registrations_registration_decided_at'), NEW_DECIDED)
        batch_op.create_check_constraint(
            op.f('ck_community_registrations_registration_confirmed_has_no_token'),
            "status = 'unconfirmed' OR (token_hash IS NULL AND token_sealed IS NULL)")
        batch_op.create_check_constraint(op.f('ck_community_registrations_registration_confirm_by'),
                                         "status <> 'unconfirmed' OR confirm_by IS NOT NULL")


def downgrade():
    op.execute("DELETE FROM notices WHERE kind = 'community_registration_confirm'")
    op.execute(f"DELETE FROM {TABLE} WHERE status = 'unconfirmed'")
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_community_registrations_registration_confirm_by'), type_='check')
        batch_op.drop_constraint(op.f('ck_community_registrations_registration_confirmed_has_no_token'),
                                 type_='check')
        batch_op.drop_constraint(op.f('ck_community_registrations_registration_decided_at'), type_='check')
        batch_op.drop_constraint(op.f('ck_community_registrations_community_registration_status'), type_='check')
        batch_op.drop_constraint(op.f('uq_community_registrations_token_hash'), type_='unique')
        batch_op.drop_column('confirmed_at')
        batch_op.drop_column('confirm_by')
        batch_op.drop_column('token_sealed')
        batch_op.drop_column('token_hash')
        batch_op.alter_column('status', existing_type=sa.String(length=_length(NEW_STATUSES)),
                              type_=sa.VARCHAR(length=_length(OLD_STATUSES)), existing_nullable=False)
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.create_check_constraint(op.f('ck_community_registrations_community_registration_status'),
                                         _in(OLD_STATUSES))
        batch_op.create_check_constraint(op.f('ck_community_registrations_registration_decided_at'), OLD_DECIDED)
