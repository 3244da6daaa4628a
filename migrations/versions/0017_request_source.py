"""Requests a coordinator records from a phone call, a mail, a letter or a visit: how each
request reached the programme (``source``; existing rows came through the web form), the
day the town asked (``received_on``; existing rows: the day they were sent, in Japan),
who recorded it, and the town's e-mail becomes optional on requests and additions (a
town that called may give only a phone number).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

SOURCES = ('form', 'phone', 'email', 'post', 'in_person')


def upgrade():
    with op.batch_alter_table('support_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column(
            'source', sa.Enum(*SOURCES, name='request_source', native_enum=False, create_constraint=True,
                              length=9),
            server_default='form', nullable=False))
        batch_op.add_column(sa.Column('received_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('recorded_by_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_support_requests_recorded_by_id'), ['recorded_by_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_support_requests_recorded_by_id_users'), 'users',
                                    ['recorded_by_id'], ['id'], ondelete='SET NULL')
        batch_op.alter_column('email', existing_type=sa.String(length=254), nullable=True)
    # The day each request was sent, in Japan (created_at is UTC).
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("UPDATE support_requests SET received_on = (created_at AT TIME ZONE 'Asia/Tokyo')::date")
    else:
        op.execute("UPDATE support_requests SET received_on = date(created_at, '+9 hours')")
    with op.batch_alter_table('support_requests', schema=None) as batch_op:
        batch_op.alter_column('received_on', existing_type=sa.Date(), nullable=False)
    with op.batch_alter_table('request_additions', schema=None) as batch_op:
        batch_op.alter_column('email', existing_type=sa.String(length=254), nullable=True)


def downgrade():
    # Requests and additions recorded without an address get an empty one back.
    op.execute("UPDATE request_additions SET email = '' WHERE email IS NULL")
    op.execute("UPDATE support_requests SET email = '' WHERE email IS NULL")
    with op.batch_alter_table('request_additions', schema=None) as batch_op:
        batch_op.alter_column('email', existing_type=sa.String(length=254), nullable=False)
    with op.batch_alter_table('support_requests', schema=None) as batch_op:
        batch_op.alter_column('email', existing_type=sa.String(length=254), nullable=False)
        batch_op.drop_constraint(batch_op.f('fk_support_requests_recorded_by_id_users'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_support_requests_recorded_by_id'))
        batch_op.drop_column('recorded_by_id')
        batch_op.drop_column('received_on')
        batch_op.drop_constraint(op.f('ck_support_requests_request_source'), type_='check')
        batch_op.drop_column('source')
