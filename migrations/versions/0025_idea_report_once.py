"""One report per person per idea (issue 21, point 4): the unique constraint of
idea_reports over (reporter, idea, comment) does not hold for a report of the idea itself,
whose comment_id is NULL (NULLs are distinct in a unique constraint, on SQLite and on
PostgreSQL alike); a partial unique index over (reporter, idea) where comment_id IS NULL does.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None

IDEA_ITSELF = "comment_id IS NULL"


def upgrade():
    with op.batch_alter_table('idea_reports', schema=None) as batch_op:
        batch_op.create_index('uq_idea_reports_idea_once', ['reporter_id', 'idea_id'], unique=True,
                              sqlite_where=sa.text(IDEA_ITSELF), postgresql_where=sa.text(IDEA_ITSELF))


def downgrade():
    with op.batch_alter_table('idea_reports', schema=None) as batch_op:
        batch_op.drop_index('uq_idea_reports_idea_once', sqlite_where=sa.text(IDEA_ITSELF),
                            postgresql_where=sa.text(IDEA_ITSELF))
