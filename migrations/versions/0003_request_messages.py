"""Support requests: messages with the municipality, and the form's one-time token.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('request_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('sender', sa.Enum('municipality', 'coordinator', name='message_sender', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_request_messages_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['request_id'], ['support_requests.id'], name=op.f('fk_request_messages_request_id_support_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_request_messages'))
    )
    with op.batch_alter_table('request_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_request_messages_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_request_messages_request_id'), ['request_id'], unique=False)

    with op.batch_alter_table('support_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('form_nonce', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_support_requests_form_nonce'), ['form_nonce'])



def downgrade():
    with op.batch_alter_table('support_requests', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_support_requests_form_nonce'), type_='unique')
        batch_op.drop_column('form_nonce')

    with op.batch_alter_table('request_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_request_messages_request_id'))
        batch_op.drop_index(batch_op.f('ix_request_messages_author_id'))

    op.drop_table('request_messages')
