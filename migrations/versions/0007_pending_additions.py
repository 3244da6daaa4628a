"""Additions to an open request wait for a coordinator: another person's message from the
public form is kept apart (request_additions, pending until accepted or rejected), and an
accepted one is copied into the thread with a link to it (request_messages.addition_id).

Existing rows: messages stay as they are, visible to the municipality (additions sent
before this revision were added straight to the thread; nothing tells them apart
reliably, so none is hidden after the fact). No addition is pending after upgrading.

Independent of 0006 (users table); it is chained after 0005 here and after 0006 on merge.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('request_additions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'accepted', 'rejected', name='addition_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('contact_name', sa.String(length=100), nullable=False),
    sa.Column('department', sa.String(length=100), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('form_nonce', sa.String(length=64), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decision_reason', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(status = 'pending' AND decided_at IS NULL) OR (status <> 'pending' AND decided_at IS NOT NULL)", name=op.f('ck_request_additions_decided_unless_pending')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_request_additions_decided_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['request_id'], ['support_requests.id'], name=op.f('fk_request_additions_request_id_support_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_request_additions')),
    sa.UniqueConstraint('form_nonce', name=op.f('uq_request_additions_form_nonce'))
    )
    with op.batch_alter_table('request_additions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_request_additions_decided_by_id'), ['decided_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_request_additions_request_id'), ['request_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_request_additions_status'), ['status'], unique=False)

    with op.batch_alter_table('request_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('addition_id', sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_request_messages_addition_id'), ['addition_id'])
        batch_op.create_foreign_key(batch_op.f('fk_request_messages_addition_id_request_additions'), 'request_additions', ['addition_id'], ['id'], ondelete='SET NULL')



def downgrade():
    with op.batch_alter_table('request_messages', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_request_messages_addition_id_request_additions'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_request_messages_addition_id'), type_='unique')
        batch_op.drop_column('addition_id')

    with op.batch_alter_table('request_additions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_request_additions_status'))
        batch_op.drop_index(batch_op.f('ix_request_additions_request_id'))
        batch_op.drop_index(batch_op.f('ix_request_additions_decided_by_id'))

    op.drop_table('request_additions')
