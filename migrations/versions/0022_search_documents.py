"""The staff search box (issue 20, point 5): ``search_documents``, one row per thing an
object may be found by (see evangelists.search and app.services.search), and each
database's own text index over its ``term``:

- SQLite: ``search_fts``, an FTS5 table with the trigram tokenizer whose content is
  ``search_documents`` (external content), kept by three triggers on that table. A later
  migration that rebuilds ``search_documents`` in batch mode must make the triggers again.
- PostgreSQL: the ``pg_trgm`` extension and a GIN trigram index on ``term``.

The documents of every municipality, request, evangelist, community and account stored
before this migration are written here (what ``flask search rebuild`` writes).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import context, op

from evangelists.search import (
    KINDS,
    TERM_MAX,
    account_terms,
    community_terms,
    municipality_terms,
    person_terms,
    request_terms,
)

# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None

FIELDS = ("name", "reading", "romaji", "email", "number", "contact", "department", "municipality")
BATCH = 1000

SQLITE_TEXT_INDEX = (
    "CREATE VIRTUAL TABLE search_fts USING fts5("
    "term, content='search_documents', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER search_documents_ai AFTER INSERT ON search_documents BEGIN "
    "INSERT INTO search_fts(rowid, term) VALUES (new.id, new.term); END",
    "CREATE TRIGGER search_documents_ad AFTER DELETE ON search_documents BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, term) VALUES ('delete', old.id, old.term); END",
    "CREATE TRIGGER search_documents_au AFTER UPDATE ON search_documents BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, term) VALUES ('delete', old.id, old.term); "
    "INSERT INTO search_fts(rowid, term) VALUES (new.id, new.term); END",
)


def _term_type():
    return sa.String(TERM_MAX).with_variant(sa.String(TERM_MAX, collation="C"), "postgresql")


def upgrade():
    dialect = op.get_bind().dialect.name
    op.create_table(
        'search_documents',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.Enum(*KINDS, name='search_kind', native_enum=False, create_constraint=True,
                                  length=max(map(len, KINDS))), nullable=False),
        sa.Column('object_id', sa.Integer(), nullable=False),
        sa.Column('field', sa.Enum(*FIELDS, name='search_field', native_enum=False, create_constraint=True,
                                   length=max(map(len, FIELDS))), nullable=False),
        sa.Column('term', _term_type(), nullable=False),
        sa.Column('shown', sa.String(TERM_MAX), nullable=False),
        sa.Column('municipality_id', sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_search_documents')),
    )
    op.create_index('ix_search_documents_kind_object_id', 'search_documents', ['kind', 'object_id'])
    op.create_index('ix_search_documents_term', 'search_documents', ['term'])
    op.create_index(op.f('ix_search_documents_municipality_id'), 'search_documents', ['municipality_id'])
    if dialect == 'sqlite':
        for statement in SQLITE_TEXT_INDEX:
            op.execute(statement)
    elif dialect == 'postgresql':
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute("CREATE INDEX ix_search_documents_term_trgm ON search_documents USING gin (term gin_trgm_ops)")
    if not context.is_offline_mode():
        _backfill(op.get_bind())


def _backfill(conn):
    """The documents of what is already stored (plain SQL: the models may be ahead)."""
    t = sa.table
    c = sa.column
    municipalities = t('municipalities', c('id'), c('name'), c('name_kana'), c('name_romaji'))
    requests = t('support_requests', c('id'), c('municipality_id'), c('contact_name'), c('department'), c('email'))
    people = t('evangelists', c('id'), c('user_id'), c('home_municipality_id'), c('family_name'), c('given_name'),
               c('family_name_kana'), c('given_name_kana'))
    communities = t('communities', c('id'), c('name'), c('contact_email'), c('municipality_id'))
    users = t('users', c('id'), c('email'), c('display_name'))
    documents = t('search_documents', c('kind'), c('object_id'), c('field'), c('term'), c('shown'),
                  c('municipality_id'))

    towns = {row.id: municipality_terms(row.name, row.name_kana, row.name_romaji)
             for row in conn.execute(sa.select(municipalities))}
    emails = {row.id: row.email for row in conn.execute(sa.select(users.c.id, users.c.email))}

    def documents_of():
        for town_id, terms in towns.items():
            yield "municipality", town_id, town_id, terms
        for row in conn.execute(sa.select(requests)):
            yield "request", row.id, row.municipality_id, request_terms(
                row.id, row.contact_name, row.department, row.email, towns.get(row.municipality_id, []))
        for row in conn.execute(sa.select(people)):
            yield "evangelist", row.id, row.home_municipality_id, person_terms(
                row.family_name, row.given_name, row.family_name_kana, row.given_name_kana, emails.get(row.user_id))
        for row in conn.execute(sa.select(communities)):
            yield "community", row.id, row.municipality_id, community_terms(row.name, row.contact_email)
        for row in conn.execute(sa.select(users)):
            yield "account", row.id, None, account_terms(row.email, row.display_name)

    batch = []
    for kind, object_id, municipality_id, terms in documents_of():
        batch += [{"kind": kind, "object_id": object_id, "field": term.field, "term": term.term,
                   "shown": term.shown, "municipality_id": municipality_id} for term in terms]
        if len(batch) >= BATCH:
            conn.execute(sa.insert(documents), batch)
            batch = []
    if batch:
        conn.execute(sa.insert(documents), batch)
    # Written around the ORM session: count the data version (app/models/system.py).
    conn.execute(sa.text('UPDATE data_version SET number = number + 1 WHERE id = 1'))


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == 'sqlite':
        for trigger in ('search_documents_ai', 'search_documents_ad', 'search_documents_au'):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS search_fts")
    elif dialect == 'postgresql':
        op.execute("DROP INDEX IF EXISTS ix_search_documents_term_trgm")
    op.drop_index(op.f('ix_search_documents_municipality_id'), table_name='search_documents')
    op.drop_index('ix_search_documents_term', table_name='search_documents')
    op.drop_index('ix_search_documents_kind_object_id', table_name='search_documents')
    op.drop_table('search_documents')
