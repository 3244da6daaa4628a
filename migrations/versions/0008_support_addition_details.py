"""An addition to an open request keeps what its sender chose (topics, preferred mode and
period) and gets a private status link of its own (only the token's hash is stored).

Existing rows: additions sent before this revision have no topics, no mode (NULL), an
empty period and no status link (NULL token hash); nothing of theirs was kept to fill in.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('request_addition_topics',
    sa.Column('addition_id', sa.Integer(), nullable=False),
    sa.Column('topic_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['addition_id'], ['request_additions.id'], name=op.f('fk_request_addition_topics_addition_id_request_additions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['topic_id'], ['topics.id'], name=op.f('fk_request_addition_topics_topic_id_topics')),
    sa.PrimaryKeyConstraint('addition_id', 'topic_id', name=op.f('pk_request_addition_topics'))
    )
    with op.batch_alter_table('request_addition_topics', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_request_addition_topics_topic_id'), ['topic_id'], unique=False)

    with op.batch_alter_table('request_additions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('preferred_mode', sa.Enum('onsite', 'online', 'either', name='addition_mode', native_enum=False, create_constraint=True), nullable=True))
        batch_op.add_column(sa.Column('preferred_period', sa.String(length=100), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('token_hash', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_request_additions_token_hash'), ['token_hash'])
    # The server default only filled the existing rows; the model sets the value.
    with op.batch_alter_table('request_additions', schema=None) as batch_op:
        batch_op.alter_column('preferred_period', server_default=None)


def downgrade():
    with op.batch_alter_table('request_additions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_request_additions_token_hash'), type_='unique')
        batch_op.drop_column('token_hash')
        batch_op.drop_column('preferred_period')
        batch_op.drop_constraint(op.f('ck_request_additions_addition_mode'), type_='check')
        batch_op.drop_column('preferred_mode')

    with op.batch_alter_table('request_addition_topics', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_request_addition_topics_topic_id'))

    op.drop_table('request_addition_topics')
