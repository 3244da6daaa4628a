"""A request's owning coordinator (issue 20, point 2): set when it is triaged, changeable
and audited. Requests already past "new" take the first active staff member who triaged
them, as the audit log records it (or proposed an evangelist for them, straight from
"new"), as the app itself would have made them the owner.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('support_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('owner_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_support_requests_owner_id'), ['owner_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_support_requests_owner_id_users'), 'users', ['owner_id'], ['id'],
                                    ondelete='SET NULL')
    op.execute(
        """
        UPDATE support_requests SET owner_id = (
            SELECT e.actor_id FROM audit_events e JOIN users u ON u.id = e.actor_id
            WHERE e.entity_type = 'support_request' AND e.entity_id = support_requests.id
              AND e.action IN ('request.triaged', 'request.assigned') AND u.role IN ('coordinator', 'admin')
              AND u.is_active
            ORDER BY e.id LIMIT 1)
        WHERE status <> 'new'
        """
    )


def downgrade():
    with op.batch_alter_table('support_requests', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_support_requests_owner_id_users'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_support_requests_owner_id'))
        batch_op.drop_column('owner_id')
