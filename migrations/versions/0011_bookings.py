"""Booked visits: offers of visit times (bookings) and their slots, each person's private
calendar feed, and the request status "scheduling" (times offered, none picked yet).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

OLD_STATUSES = ('new', 'triaged', 'assigned', 'scheduled', 'completed', 'declined', 'withdrawn')
NEW_STATUSES = ('new', 'triaged', 'assigned', 'scheduling', 'scheduled', 'completed', 'declined', 'withdrawn')


def _status_check(statuses):
    return "status IN (" + ", ".join(f"'{s}'" for s in statuses) + ")"


def upgrade():
    op.create_table('calendar_feeds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_calendar_feeds_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_feeds')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_calendar_feeds_token_hash')),
    sa.UniqueConstraint('user_id', name=op.f('uq_calendar_feeds_user_id'))
    )
    op.create_table('bookings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('assignment_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('offered', 'booked', 'cancelled', 'replaced', name='booking_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('mode', sa.Enum('onsite', 'online', name='booking_mode', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('place', sa.Text(), nullable=False),
    sa.Column('meeting_url', sa.String(length=500), nullable=True),
    sa.Column('attendees', sa.Text(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('offered_by_id', sa.Integer(), nullable=True),
    sa.Column('booked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancel_reason', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("mode <> 'online' OR meeting_url IS NOT NULL", name=op.f('ck_bookings_online_has_url')),
    sa.CheckConstraint("status <> 'booked' OR (starts_at IS NOT NULL AND ends_at IS NOT NULL)", name=op.f('ck_bookings_booked_has_time')),
    sa.CheckConstraint("status <> 'cancelled' OR cancel_reason IS NOT NULL", name=op.f('ck_bookings_cancelled_has_reason')),
    sa.CheckConstraint('ends_at IS NULL OR ends_at > starts_at', name=op.f('ck_bookings_ends_after_start')),
    sa.CheckConstraint('sequence >= 0', name=op.f('ck_bookings_sequence_not_negative')),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignments.id'], name=op.f('fk_bookings_assignment_id_assignments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['offered_by_id'], ['users.id'], name=op.f('fk_bookings_offered_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['request_id'], ['support_requests.id'], name=op.f('fk_bookings_request_id_support_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bookings'))
    )
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bookings_assignment_id'), ['assignment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bookings_offered_by_id'), ['offered_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bookings_request_id'), ['request_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bookings_starts_at'), ['starts_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_bookings_status'), ['status'], unique=False)
        batch_op.create_index('uq_bookings_live_assignment', ['assignment_id'], unique=True, sqlite_where=sa.text("status IN ('offered', 'booked')"), postgresql_where=sa.text("status IN ('offered', 'booked')"))

    op.create_table('visit_slots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('booking_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_visit_slots_ends_after_start')),
    sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], name=op.f('fk_visit_slots_booking_id_bookings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit_slots'))
    )
    with op.batch_alter_table('visit_slots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visit_slots_booking_id'), ['booking_id'], unique=False)

    # The status CHECK is recreated with the new value (and the column widened for it).
    with op.batch_alter_table('support_requests', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_support_requests_request_status'), type_='check')
        batch_op.alter_column('status', existing_type=sa.VARCHAR(length=9), type_=sa.String(length=10),
                              existing_nullable=False)
    with op.batch_alter_table('support_requests', schema=None) as batch_op:
        batch_op.create_check_constraint(op.f('ck_support_requests_request_status'), _status_check(NEW_STATUSES))


def downgrade():
    # Requests waiting for the town to pick a time go back to "assigned" (the old states).
    op.execute("UPDATE support_requests SET status = 'assigned' WHERE status = 'scheduling'")
    with op.batch_alter_table('support_requests', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_support_requests_request_status'), type_='check')
        batch_op.alter_column('status', existing_type=sa.String(length=10), type_=sa.VARCHAR(length=9),
                              existing_nullable=False)
    with op.batch_alter_table('support_requests', schema=None) as batch_op:
        batch_op.create_check_constraint(op.f('ck_support_requests_request_status'), _status_check(OLD_STATUSES))

    with op.batch_alter_table('visit_slots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visit_slots_booking_id'))

    op.drop_table('visit_slots')
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_index('uq_bookings_live_assignment', sqlite_where=sa.text("status IN ('offered', 'booked')"), postgresql_where=sa.text("status IN ('offered', 'booked')"))
        batch_op.drop_index(batch_op.f('ix_bookings_status'))
        batch_op.drop_index(batch_op.f('ix_bookings_starts_at'))
        batch_op.drop_index(batch_op.f('ix_bookings_request_id'))
        batch_op.drop_index(batch_op.f('ix_bookings_offered_by_id'))
        batch_op.drop_index(batch_op.f('ix_bookings_assignment_id'))

    op.drop_table('bookings')
    op.drop_table('calendar_feeds')
