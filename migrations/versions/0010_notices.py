"""Notices (the outbox the queue worker mails from) and each person's notice preferences;
the request's status token sealed, so later notices can carry the town's status link.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

MAIL_STATES = ('pending', 'sending', 'sent', 'failed', 'digest', 'none')
MODES = ('now', 'digest', 'off')


def upgrade():
    op.create_table(
        'notices',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('email', sa.String(length=254), nullable=True),
        sa.Column('request_id', sa.Integer(), nullable=True),
        sa.Column('target_type', sa.String(length=30), nullable=True),
        sa.Column('target_id', sa.Integer(), nullable=True),
        sa.Column('params', sa.JSON(), nullable=False),
        sa.Column('mail', sa.Enum(*MAIL_STATES, name='notice_mail', native_enum=False,
                                  create_constraint=True, length=7), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('next_try_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('message_id', sa.String(length=200), nullable=False),
        sa.Column('dedupe_key', sa.String(length=200), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('user_id IS NOT NULL OR email IS NOT NULL', name=op.f('ck_notices_has_recipient')),
        sa.CheckConstraint('attempts >= 0', name=op.f('ck_notices_attempts_not_negative')),
        sa.ForeignKeyConstraint(['request_id'], ['support_requests.id'], name=op.f('fk_notices_request_id_support_requests'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notices_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_notices')),
        sa.UniqueConstraint('dedupe_key', name=op.f('uq_notices_dedupe_key')),
        sa.UniqueConstraint('message_id', name=op.f('uq_notices_message_id')),
    )
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notices_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_notices_request_id'), ['request_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_notices_created_at'), ['created_at'], unique=False)
        batch_op.create_index('ix_notices_unread', ['user_id', 'read_at'], unique=False)
        batch_op.create_index('ix_notices_mail_due', ['mail', 'next_try_at'], unique=False)

    op.create_table(
        'notice_preferences',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('mode', sa.Enum(*MODES, name='notice_mode', native_enum=False,
                                  create_constraint=True, length=6), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notice_preferences_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_notice_preferences')),
        sa.UniqueConstraint('user_id', 'kind', name=op.f('uq_notice_preferences_user_id_kind')),
    )
    with op.batch_alter_table('notice_preferences', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notice_preferences_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('support_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('token_sealed', sa.String(length=255), nullable=True))


def downgrade():
    with op.batch_alter_table('support_requests', schema=None) as batch_op:
        batch_op.drop_column('token_sealed')
    op.drop_table('notice_preferences')
    op.drop_table('notices')
