"""People's readings (フリガナ): ``family_name_kana`` and ``given_name_kana`` in full-width
katakana ("" where unknown), and the two keys derived from a name and its reading
(``name_sort``: 五十音 order, people without a reading last; ``name_search``: the folded
forms a name search looks in; see evangelists.names). The recruitment board's name-order
index of 0015 (status, family name, given name, id) becomes (status, name_sort, id), so each
column's page is still read in index order.

Existing people get the readings the tables of evangelists.names know for their names (the
first usual reading where a name has two, 中島 ナカジマ) or, for a name written in kana, the
name itself; a name the tables do not know keeps "" (shown and sorted as unknown, last)
until someone types its reading.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

from evangelists.names import SORT_KEY_MAX, readings, search_key, sort_key

# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

READING_MAX = 60
BATCH = 500


def _sort_type():
    return sa.String(SORT_KEY_MAX).with_variant(sa.String(SORT_KEY_MAX, collation="C"), "postgresql")


def upgrade():
    with op.batch_alter_table('evangelists', schema=None) as batch_op:
        batch_op.add_column(sa.Column('family_name_kana', sa.String(READING_MAX), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('given_name_kana', sa.String(READING_MAX), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('name_sort', _sort_type(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('name_search', sa.Text(), nullable=False, server_default=''))

    conn = op.get_bind()
    people = sa.table('evangelists', sa.column('id', sa.Integer), sa.column('family_name', sa.String),
                      sa.column('given_name', sa.String), sa.column('family_name_kana', sa.String),
                      sa.column('given_name_kana', sa.String), sa.column('name_sort', sa.String),
                      sa.column('name_search', sa.Text))
    rows = conn.execute(sa.select(people.c.id, people.c.family_name, people.c.given_name)).all()
    update = (sa.update(people).where(people.c.id == sa.bindparam('row_id'))
              .values(family_name_kana=sa.bindparam('f_kana'), given_name_kana=sa.bindparam('g_kana'),
                      name_sort=sa.bindparam('sort'), name_search=sa.bindparam('search')))
    values = []
    for row_id, family, given in rows:
        family_kana, given_kana = readings(family, given)
        f_kana = family_kana[0] if family_kana else ""
        g_kana = given_kana[0] if given_kana else ""
        values.append({"row_id": row_id, "f_kana": f_kana, "g_kana": g_kana,
                       "sort": sort_key(family, given, f_kana, g_kana),
                       "search": search_key(family, given, f_kana, g_kana)})
    for start in range(0, len(values), BATCH):
        conn.execute(update, values[start:start + BATCH])

    with op.batch_alter_table('evangelists', schema=None) as batch_op:
        batch_op.drop_index('ix_evangelists_status_name')
        batch_op.create_index('ix_evangelists_status_name_sort', ['status', 'name_sort', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('evangelists', schema=None) as batch_op:
        batch_op.drop_index('ix_evangelists_status_name_sort')
        batch_op.create_index('ix_evangelists_status_name', ['status', 'family_name', 'given_name', 'id'],
                              unique=False)
        batch_op.drop_column('name_search')
        batch_op.drop_column('name_sort')
        batch_op.drop_column('given_name_kana')
        batch_op.drop_column('family_name_kana')
