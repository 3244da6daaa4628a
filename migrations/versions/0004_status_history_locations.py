"""Communities' active/dormant history, where coordinates come from, and when a
municipality became open-data active.

Existing rows: every community gets one history entry (its current status since its
status_since), coordinates are marked as coming from the municipality, and open_data_since
stays empty (unknown) until an import or an outcome sets it.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('community_status_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('active', 'dormant', name='community_change_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('since', sa.Date(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['changed_by_id'], ['users.id'], name=op.f('fk_community_status_changes_changed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_community_status_changes_community_id_communities'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_community_status_changes'))
    )
    with op.batch_alter_table('community_status_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_community_status_changes_changed_by_id'), ['changed_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_community_status_changes_community_id'), ['community_id'], unique=False)

    with op.batch_alter_table('communities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('address', sa.String(length=200), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('location_source', sa.Enum('municipality', 'geocoded', 'manual', name='community_location_source', native_enum=False, create_constraint=True), nullable=False, server_default='municipality'))

    with op.batch_alter_table('evangelists', schema=None) as batch_op:
        batch_op.add_column(sa.Column('location_source', sa.Enum('municipality', 'geocoded', 'manual', name='evangelist_location_source', native_enum=False, create_constraint=True), nullable=False, server_default='municipality'))

    with op.batch_alter_table('municipalities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('open_data_since', sa.Date(), nullable=True))
        batch_op.create_index(batch_op.f('ix_municipalities_open_data_since'), ['open_data_since'], unique=False)

    # The server defaults only filled existing rows; the models give new rows their values.
    with op.batch_alter_table('communities', schema=None) as batch_op:
        batch_op.alter_column('address', server_default=None)
        batch_op.alter_column('location_source', server_default=None)
    with op.batch_alter_table('evangelists', schema=None) as batch_op:
        batch_op.alter_column('location_source', server_default=None)

    op.execute(
        "INSERT INTO community_status_changes (community_id, status, since, note, created_at, updated_at) "
        "SELECT id, status, status_since, '', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP FROM communities"
    )



def downgrade():
    with op.batch_alter_table('municipalities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_municipalities_open_data_since'))
        batch_op.drop_column('open_data_since')

    # The enum's CHECK goes first: a batch rebuild would otherwise keep it without its column.
    with op.batch_alter_table('evangelists', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_evangelists_evangelist_location_source'), type_='check')
        batch_op.drop_column('location_source')

    with op.batch_alter_table('communities', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_communities_community_location_source'), type_='check')
        batch_op.drop_column('location_source')
        batch_op.drop_column('address')

    with op.batch_alter_table('community_status_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_community_status_changes_community_id'))
        batch_op.drop_index(batch_op.f('ix_community_status_changes_changed_by_id'))

    op.drop_table('community_status_changes')
