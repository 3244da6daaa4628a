"""The staff search box's documents (issue 20, point 5): one row per thing an object may
be found by (see ``evangelists.search``), kept in step with the objects by
``app.services.search`` in the transaction that changes them.

The text indexes are each database's own and are made by migration 0022, not declared
here: on SQLite an FTS5 table ``search_fts`` with the trigram tokenizer over ``term``
(external content, kept by triggers on this table); on PostgreSQL a GIN ``pg_trgm`` index
``ix_search_documents_term_trgm``. The b-tree index on ``term`` (binary order, the "C"
collation on PostgreSQL) serves queries shorter than a trigram, as a prefix range.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import choice
from evangelists.search import FIELDS, KINDS, TERM_MAX

# The structures migration 0022 makes beside the table, per database (the schema
# comparison in tests/test_migrations.py leaves them out).
TEXT_INDEX_OBJECTS = frozenset({
    "search_fts", "search_fts_data", "search_fts_idx", "search_fts_docsize", "search_fts_config",
    "ix_search_documents_term_trgm",
})


class SearchDocument(db.Model):
    __tablename__ = "search_documents"
    __table_args__ = (
        sa.Index("ix_search_documents_kind_object_id", "kind", "object_id"),
        sa.Index("ix_search_documents_term", "term"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(choice(KINDS, "search_kind"))
    object_id: Mapped[int]
    field: Mapped[str] = mapped_column(choice(FIELDS, "search_field"))
    term: Mapped[str] = mapped_column(
        sa.String(TERM_MAX).with_variant(sa.String(TERM_MAX, collation="C"), "postgresql"))
    shown: Mapped[str] = mapped_column(sa.String(TERM_MAX))
    # For the regional scope (app.services.regions): the municipality of a request, an
    # evangelist's home, a community; None for accounts. No foreign key: a document is
    # rewritten with its object, never read without it.
    municipality_id: Mapped[int | None] = mapped_column(index=True)

    def __repr__(self) -> str:
        return f"<SearchDocument {self.kind} {self.object_id} {self.field}>"
