"""The request's dialogue: the assigned evangelist may write in the thread the town sees
(sender "evangelist"), and coordinators keep internal notes in a table of their own.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

OLD_SENDERS = ('municipality', 'coordinator')
NEW_SENDERS = OLD_SENDERS + ('evangelist',)
SENDER_CHECK = 'ck_request_messages_message_sender'


def _senders(values):
    return "sender IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def upgrade():
    op.create_table(
        'request_notes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('request_id', sa.Integer(), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=True),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_request_notes_author_id_users'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['request_id'], ['support_requests.id'], name=op.f('fk_request_notes_request_id_support_requests'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_request_notes')),
    )
    with op.batch_alter_table('request_notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_request_notes_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_request_notes_request_id'), ['request_id'], unique=False)

    with op.batch_alter_table('request_messages', schema=None) as batch_op:
        batch_op.drop_constraint(op.f(SENDER_CHECK), type_='check')
        batch_op.create_check_constraint(op.f(SENDER_CHECK), _senders(NEW_SENDERS))


def downgrade():
    # The evangelists' messages cannot be told apart once the value is gone: they are
    # kept as the coordinators' (the town saw them; the author stays on the row).
    op.execute("UPDATE request_messages SET sender = 'coordinator' WHERE sender = 'evangelist'")
    with op.batch_alter_table('request_messages', schema=None) as batch_op:
        batch_op.drop_constraint(op.f(SENDER_CHECK), type_='check')
        batch_op.create_check_constraint(op.f(SENDER_CHECK), _senders(OLD_SENDERS))

    with op.batch_alter_table('request_notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_request_notes_request_id'))
        batch_op.drop_index(batch_op.f('ix_request_notes_author_id'))
    op.drop_table('request_notes')
