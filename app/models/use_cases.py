"""Use cases (事例, issue 22): a town's story of what worked, its links, attachments, the
visits and outcomes it came from, and the town's answers on its status page.

The vocabulary and the moves between statuses are in ``evangelists.use_cases``. Only a
``published`` use case is public. ``search_text`` is the use case's words in one column
(title, texts, town, tags), written by ``app.services.use_cases`` whenever they change;
the Japanese text index over it is each database's own and is made by migration 0028, not
declared here: on SQLite an FTS5 table ``use_cases_fts`` (trigram tokenizer, external
content over ``use_cases``, kept by triggers); on PostgreSQL a GIN ``pg_trgm`` index.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import TimestampMixin, UTCDateTime, choice, utcnow
from evangelists.use_cases import (
    LINK_LABEL_MAX,
    POPULATION_BANDS,
    TOWN_DECISIONS,
    URL_MAX,
    USE_CASE_KINDS,
    USE_CASE_SHORT_MAX,
    USE_CASE_STATUSES,
    USE_CASE_TITLE_MAX,
)

if TYPE_CHECKING:
    from app.models.accounts import User
    from app.models.geography import Municipality
    from app.models.network import Community, Topic
    from app.models.workflow import Outcome, SupportRequest, Visit

# The structures migration 0028 makes beside the tables, per database (the schema
# comparison in tests/test_migrations.py leaves them out).
USE_CASE_TEXT_INDEX_OBJECTS = frozenset({
    "use_cases_fts", "use_cases_fts_data", "use_cases_fts_idx", "use_cases_fts_docsize",
    "use_cases_fts_config", "ix_use_cases_search_text_trgm",
})

use_case_topics = sa.Table(
    "use_case_topics",
    db.metadata,
    sa.Column("use_case_id", sa.ForeignKey("use_cases.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("topic_id", sa.ForeignKey("topics.id"), primary_key=True, index=True),
)
use_case_visits = sa.Table(
    "use_case_visits",
    db.metadata,
    sa.Column("use_case_id", sa.ForeignKey("use_cases.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("visit_id", sa.ForeignKey("visits.id", ondelete="CASCADE"), primary_key=True, index=True),
)
use_case_outcomes = sa.Table(
    "use_case_outcomes",
    db.metadata,
    sa.Column("use_case_id", sa.ForeignKey("use_cases.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("outcome_id", sa.ForeignKey("outcomes.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class UseCase(TimestampMixin, db.Model):
    """One town's story (``kind`` "story") or how a town or community widened who takes
    part ("participation"). ``request`` is the completed request it was drafted from (none
    for one a coordinator writes about a community). ``population_band`` is the town's at
    the time of writing (it may be set by hand where the town's population is unknown)."""

    __tablename__ = "use_cases"
    __table_args__ = (
        # The library: published use cases, newest first.
        sa.Index("ix_use_cases_status_published_at", "status", "published_at"),
        sa.CheckConstraint("status <> 'published' OR published_at IS NOT NULL", name="published_has_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(choice(USE_CASE_KINDS, "use_case_kind"), default="story")
    status: Mapped[str] = mapped_column(choice(USE_CASE_STATUSES, "use_case_status"), default="draft")
    municipality_id: Mapped[int] = mapped_column(sa.ForeignKey("municipalities.id"), index=True)
    request_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("support_requests.id", ondelete="SET NULL"), index=True)
    community_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("communities.id", ondelete="SET NULL"), index=True)
    title: Mapped[str] = mapped_column(sa.String(USE_CASE_TITLE_MAX))
    # The story, in the order a reader asks: where the town started, what was done, what
    # resulted (datasets, the catalogue), who took part and how long it took, and what the
    # town would tell others.
    starting_point: Mapped[str] = mapped_column(sa.Text, default="")
    what_was_done: Mapped[str] = mapped_column(sa.Text, default="")
    results: Mapped[str] = mapped_column(sa.Text, default="")
    catalogue_url: Mapped[str | None] = mapped_column(sa.String(URL_MAX))
    datasets: Mapped[int | None] = mapped_column()
    people: Mapped[str] = mapped_column(sa.String(USE_CASE_SHORT_MAX), default="")
    time_taken: Mapped[str] = mapped_column(sa.String(USE_CASE_SHORT_MAX), default="")
    advice: Mapped[str] = mapped_column(sa.Text, default="")
    population_band: Mapped[str | None] = mapped_column(choice(POPULATION_BANDS, "use_case_population_band"))
    search_text: Mapped[str] = mapped_column(sa.Text, default="")
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    sent_to_town_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    town_agreed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The drafting form's one-time value: the same form sent twice makes one use case.
    form_nonce: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    version: Mapped[int] = mapped_column(default=1)

    municipality: Mapped[Municipality] = relationship()
    request: Mapped[SupportRequest | None] = relationship()
    community: Mapped[Community | None] = relationship()
    author: Mapped[User | None] = relationship()
    topics: Mapped[list[Topic]] = relationship(secondary=use_case_topics, order_by="Topic.position")
    visits: Mapped[list[Visit]] = relationship(secondary=use_case_visits, order_by="Visit.visited_on")
    outcomes: Mapped[list[Outcome]] = relationship(secondary=use_case_outcomes, order_by="Outcome.achieved_on")
    links: Mapped[list[UseCaseLink]] = relationship(
        back_populates="use_case", order_by="UseCaseLink.position", cascade="all, delete-orphan")
    attachments: Mapped[list[UseCaseAttachment]] = relationship(
        back_populates="use_case", order_by="UseCaseAttachment.id", cascade="all, delete-orphan")
    town_answers: Mapped[list[UseCaseTownAnswer]] = relationship(
        back_populates="use_case", order_by="UseCaseTownAnswer.id", cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return f"<UseCase {self.id} {self.status}>"


class UseCaseLink(db.Model):
    """A link of a use case: a dataset or the catalogue that resulted, or material."""

    __tablename__ = "use_case_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    use_case_id: Mapped[int] = mapped_column(sa.ForeignKey("use_cases.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    label: Mapped[str] = mapped_column(sa.String(LINK_LABEL_MAX))
    url: Mapped[str] = mapped_column(sa.String(URL_MAX))

    use_case: Mapped[UseCase] = relationship(back_populates="links")

    def __repr__(self) -> str:
        return f"<UseCaseLink {self.id}>"


class UseCaseAttachment(db.Model):
    """A file of a use case (slides, a template), stored in the instance folder under
    ``stored_name`` (random, never the uploader's name); ``filename`` is the checked name
    it is downloaded as."""

    __tablename__ = "use_case_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    use_case_id: Mapped[int] = mapped_column(sa.ForeignKey("use_cases.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(sa.String(200))
    stored_name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    use_case: Mapped[UseCase] = relationship(back_populates="attachments")

    def __repr__(self) -> str:
        return f"<UseCaseAttachment {self.id} {self.filename}>"


class UseCaseTownAnswer(db.Model):
    """The town's answer to a use case sent to it: changes asked (with what to change) or
    agreed, as said on its status page."""

    __tablename__ = "use_case_town_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    use_case_id: Mapped[int] = mapped_column(sa.ForeignKey("use_cases.id", ondelete="CASCADE"), index=True)
    decision: Mapped[str] = mapped_column(choice(TOWN_DECISIONS, "use_case_town_decision"))
    message: Mapped[str] = mapped_column(sa.Text, default="")
    # The version of the text the town answered about.
    version: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    use_case: Mapped[UseCase] = relationship(back_populates="town_answers")

    def __repr__(self) -> str:
        return f"<UseCaseTownAnswer {self.id} {self.decision}>"
