"""The open dialogue (アイデアボックス, issue 21): themes, participants' dialogue profiles,
ideas, comments with a stance, votes, reports, the public moderation log, and the
counters of viewers and page views (no personal data: see ``IdeaVisitor``).

The vocabulary and the arithmetic are in ``evangelists.ideas``. The Japanese text index
over ideas is each database's own and is made by migration 0024, not declared here: on
SQLite an FTS5 table ``ideas_fts`` (trigram tokenizer, external content over ``ideas``,
kept by triggers); on PostgreSQL GIN ``pg_trgm`` indexes on the title and the body.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import TimestampMixin, UTCDateTime, choice, utcnow
from evangelists.ideas import (
    HANDLE_COLUMN_MAX,
    IDEA_STATUSES,
    IDEA_TITLE_MAX,
    MODERATION_ACTIONS,
    REPORT_REASONS,
    REPORT_RESOLUTIONS,
    STANCES,
    THEME_READING_MAX,
    THEME_SCOPES,
    THEME_TITLE_MAX,
    VISIBILITIES,
    VOICES,
)
from evangelists.vocabulary import AGE_BANDS, GENDERS, REGIONS

if TYPE_CHECKING:
    from app.models.accounts import User
    from app.models.geography import Municipality, Prefecture
    from app.models.network import Topic

# The structures migration 0024 makes beside the tables, per database (the schema
# comparison in tests/test_migrations.py leaves them out).
IDEA_TEXT_INDEX_OBJECTS = frozenset({
    "ideas_fts", "ideas_fts_data", "ideas_fts_idx", "ideas_fts_docsize", "ideas_fts_config",
    "ix_ideas_title_trgm", "ix_ideas_body_trgm",
})


class IdeaTheme(TimestampMixin, db.Model):
    """A call for ideas (募集企画): open from ``opens_at`` to ``closes_at`` (UTC, entered
    in Japan time), read-only before and after. ``scope`` says whom it addresses: the
    whole country, one regional block (``region``), one prefecture or one municipality.
    ``materials`` is a list of ``{"label": ..., "url": ...}``. With ``hold_first_posts``
    a participant's first post in the theme waits for a coordinator."""

    __tablename__ = "idea_themes"
    __table_args__ = (
        sa.CheckConstraint("closes_at > opens_at", name="period_order"),
        sa.CheckConstraint("scope <> 'region' OR region IS NOT NULL", name="region_scope_has_region"),
        sa.CheckConstraint("scope <> 'prefecture' OR prefecture_id IS NOT NULL",
                           name="prefecture_scope_has_prefecture"),
        sa.CheckConstraint("scope <> 'municipality' OR municipality_id IS NOT NULL",
                           name="municipality_scope_has_municipality"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(THEME_TITLE_MAX))
    # Optional readings (furigana) of the title, shown as ruby.
    title_reading: Mapped[str | None] = mapped_column(sa.String(THEME_READING_MAX))
    description: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    materials: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    scope: Mapped[str] = mapped_column(choice(THEME_SCOPES, "idea_theme_scope"), default="national")
    region: Mapped[str | None] = mapped_column(choice(REGIONS, "idea_theme_region"))
    prefecture_id: Mapped[int | None] = mapped_column(sa.ForeignKey("prefectures.id"), index=True)
    municipality_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("municipalities.id", ondelete="SET NULL"), index=True)
    hold_first_posts: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)

    prefecture: Mapped[Prefecture | None] = relationship()
    municipality: Mapped[Municipality | None] = relationship()
    created_by: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<IdeaTheme {self.id}>"


class IdeaProfile(db.Model):
    """A person's presence in the dialogue: their public ``handle`` and ``voice``, and,
    optional and never shown to anyone, the prefecture, age band and gender counted in the
    participation statistics.

    A self-registered participant's account is a ``User`` of role ``participant``;
    evangelists and staff take part with their own accounts and get a profile the first
    time. When a participant deletes their account, ``user_id``, ``handle`` and the
    optional answers are cleared and ``withdrawn_at`` set: their posts stay, shown as
    「退会したユーザー」."""

    __tablename__ = "idea_profiles"
    # The participation statistics grouped in index order (0025).
    __table_args__ = (sa.Index("ix_idea_profiles_groups", "withdrawn_at", "age_band", "gender", "voice",
                               "prefecture_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), unique=True)
    handle: Mapped[str | None] = mapped_column(sa.String(HANDLE_COLUMN_MAX), unique=True)
    voice: Mapped[str] = mapped_column(choice(VOICES, "idea_voice"))
    prefecture_id: Mapped[int | None] = mapped_column(sa.ForeignKey("prefectures.id"), index=True)
    age_band: Mapped[str | None] = mapped_column(choice(AGE_BANDS, "idea_profile_age_band"))
    gender: Mapped[str | None] = mapped_column(choice(GENDERS, "idea_profile_gender"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User | None] = relationship()
    prefecture: Mapped[Prefecture | None] = relationship()

    def __repr__(self) -> str:
        return f"<IdeaProfile {self.id}>"


idea_topics = sa.Table(
    "idea_topics",
    db.metadata,
    sa.Column("idea_id", sa.ForeignKey("ideas.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("topic_id", sa.ForeignKey("topics.id"), primary_key=True, index=True),
)


class Idea(TimestampMixin, db.Model):
    """An idea posted to a theme. ``voice`` is the author's voice when they posted it (the
    lists filter by it). The counters and ``trend`` (evangelists.ideas: trending) are kept
    by the services in the transaction that votes or comments, under a lock on the idea.
    ``status`` and ``answer`` are the programme's official answer."""

    __tablename__ = "ideas"
    __table_args__ = (
        sa.Index("ix_ideas_theme_new", "theme_id", "visibility", "created_at"),
        # The "most agreed" order, and a theme's counts read from the index alone (0025).
        sa.Index("ix_ideas_theme_counts", "theme_id", "visibility", "agree_count", "disagree_count",
                 "comment_count"),
        sa.Index("ix_ideas_theme_discussed", "theme_id", "visibility", "comment_count"),
        sa.Index("ix_ideas_theme_trend", "theme_id", "visibility", "trend"),
        sa.CheckConstraint("agree_count >= 0 AND disagree_count >= 0 AND comment_count >= 0",
                           name="counts_not_negative"),
        sa.CheckConstraint("visibility <> 'hidden' OR hidden_article IS NOT NULL", name="hidden_has_article"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    theme_id: Mapped[int] = mapped_column(sa.ForeignKey("idea_themes.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("idea_profiles.id"), index=True)
    voice: Mapped[str] = mapped_column(choice(VOICES, "idea_author_voice"), index=True)
    title: Mapped[str] = mapped_column(sa.String(IDEA_TITLE_MAX))
    body: Mapped[str] = mapped_column(sa.Text)
    municipality_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("municipalities.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(choice(IDEA_STATUSES, "idea_status"), default="received", index=True)
    answer: Mapped[str | None] = mapped_column(sa.Text)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    visibility: Mapped[str] = mapped_column(choice(VISIBILITIES, "idea_visibility"), default="shown")
    # The article of the terms of use a hidden idea broke (shown publicly).
    hidden_article: Mapped[int | None] = mapped_column()
    agree_count: Mapped[int] = mapped_column(default=0)
    disagree_count: Mapped[int] = mapped_column(default=0)
    comment_count: Mapped[int] = mapped_column(default=0)
    trend: Mapped[float] = mapped_column(sa.Float, default=0.0)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    theme: Mapped[IdeaTheme] = relationship()
    author: Mapped[IdeaProfile] = relationship()
    municipality: Mapped[Municipality | None] = relationship()
    answered_by: Mapped[User | None] = relationship()
    topics: Mapped[list[Topic]] = relationship(secondary=idea_topics, order_by="Topic.position")

    def __repr__(self) -> str:
        return f"<Idea {self.id} theme={self.theme_id}>"


class IdeaComment(TimestampMixin, db.Model):
    """A comment on an idea with a stance (賛成 / 反対 / 中立), or a reply to one
    (``parent_id``; one level: a reply's parent is never itself a reply)."""

    __tablename__ = "idea_comments"
    __table_args__ = (
        sa.Index("ix_idea_comments_idea_created", "idea_id", "created_at"),
        # An idea's stance counts and a theme's commenters from the index alone (0025).
        sa.Index("ix_idea_comments_idea_stance", "idea_id", "visibility", "stance", "author_id"),
        sa.CheckConstraint("visibility <> 'hidden' OR hidden_article IS NOT NULL", name="hidden_has_article"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    idea_id: Mapped[int] = mapped_column(sa.ForeignKey("ideas.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("idea_comments.id", ondelete="CASCADE"),
                                                  index=True)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("idea_profiles.id"), index=True)
    stance: Mapped[str] = mapped_column(choice(STANCES, "idea_comment_stance"))
    body: Mapped[str] = mapped_column(sa.Text)
    visibility: Mapped[str] = mapped_column(choice(VISIBILITIES, "idea_comment_visibility"), default="shown")
    hidden_article: Mapped[int | None] = mapped_column()

    idea: Mapped[Idea] = relationship()
    author: Mapped[IdeaProfile] = relationship()
    parent: Mapped[IdeaComment | None] = relationship(remote_side=[id])

    def __repr__(self) -> str:
        return f"<IdeaComment {self.id} idea={self.idea_id}>"


class IdeaVote(db.Model):
    """One person's vote on one idea: +1 agree, −1 disagree; changeable, never two."""

    __tablename__ = "idea_votes"
    __table_args__ = (sa.CheckConstraint("value IN (-1, 1)", name="value_is_agree_or_disagree"),)

    idea_id: Mapped[int] = mapped_column(sa.ForeignKey("ideas.id", ondelete="CASCADE"), primary_key=True)
    profile_id: Mapped[int] = mapped_column(sa.ForeignKey("idea_profiles.id", ondelete="CASCADE"),
                                            primary_key=True, index=True)
    value: Mapped[int] = mapped_column(sa.SmallInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    idea: Mapped[Idea] = relationship()
    profile: Mapped[IdeaProfile] = relationship()

    def __repr__(self) -> str:
        return f"<IdeaVote idea={self.idea_id} profile={self.profile_id} {self.value:+d}>"


class IdeaReport(db.Model):
    """A signed-in person's report of an idea or a comment, with a reason; one per person
    per post. Open until a coordinator hides the post or keeps it."""

    __tablename__ = "idea_reports"
    __table_args__ = (
        sa.UniqueConstraint("reporter_id", "idea_id", "comment_id", name="uq_idea_reports_once"),
        sa.Index("ix_idea_reports_open", "resolved_at", "created_at"),
        # The constraint above does not hold for a report of the idea itself (comment_id
        # NULL: NULLs are distinct); this does (migration 0025).
        sa.Index("uq_idea_reports_idea_once", "reporter_id", "idea_id", unique=True,
                 sqlite_where=sa.text("comment_id IS NULL"), postgresql_where=sa.text("comment_id IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    idea_id: Mapped[int] = mapped_column(sa.ForeignKey("ideas.id", ondelete="CASCADE"), index=True)
    # Set when the report is about a comment of the idea, NULL when about the idea itself.
    comment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("idea_comments.id", ondelete="CASCADE"),
                                                   index=True)
    reporter_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    reason: Mapped[str] = mapped_column(choice(REPORT_REASONS, "idea_report_reason"))
    note: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolution: Mapped[str | None] = mapped_column(choice(REPORT_RESOLUTIONS, "idea_report_resolution"))
    resolved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    idea: Mapped[Idea] = relationship()
    comment: Mapped[IdeaComment | None] = relationship()

    def __repr__(self) -> str:
        return f"<IdeaReport {self.id}>"


class ModerationEvent(db.Model):
    """One line of the public moderation log: what was done to which post, when, and the
    public reason (the article of the terms; ``note`` is public too). ``actor_id`` is kept
    for the staff's audit, never shown publicly."""

    __tablename__ = "idea_moderation_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    idea_id: Mapped[int] = mapped_column(sa.ForeignKey("ideas.id", ondelete="CASCADE"), index=True)
    comment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("idea_comments.id", ondelete="CASCADE"),
                                                   index=True)
    action: Mapped[str] = mapped_column(choice(MODERATION_ACTIONS, "idea_moderation_action"))
    article: Mapped[int | None] = mapped_column()
    note: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)

    idea: Mapped[Idea] = relationship()
    comment: Mapped[IdeaComment | None] = relationship()

    def __repr__(self) -> str:
        return f"<ModerationEvent {self.id} {self.action}>"


class IdeaThemeParticipant(db.Model):
    """Someone who took part in a theme: posted an idea, commented or replied, or voted
    (whatever became of the post later), once. Written in the transaction that adds the
    activity (``app.services.ideas``); the profile's groups are copied here and kept in step
    when the profile changes or is withdrawn, so that a theme's participation by age band,
    gender, voice and prefecture is read from one index however many took part."""

    __tablename__ = "idea_theme_participants"
    __table_args__ = (
        sa.Index("ix_idea_theme_participants_groups", "theme_id", "age_band", "gender", "voice", "prefecture_id"),
    )

    theme_id: Mapped[int] = mapped_column(sa.ForeignKey("idea_themes.id", ondelete="CASCADE"), primary_key=True)
    profile_id: Mapped[int] = mapped_column(sa.ForeignKey("idea_profiles.id", ondelete="CASCADE"), primary_key=True,
                                            index=True)
    voice: Mapped[str] = mapped_column(choice(VOICES, "idea_participant_voice"))
    age_band: Mapped[str | None] = mapped_column(choice(AGE_BANDS, "idea_participant_age_band"))
    gender: Mapped[str | None] = mapped_column(choice(GENDERS, "idea_participant_gender"))
    prefecture_id: Mapped[int | None] = mapped_column(sa.ForeignKey("prefectures.id"))


class IdeaVisitor(db.Model):
    """A distinct visitor of the dialogue on one day (Japan), per theme (``theme_id`` 0:
    the dialogue's own pages). ``visitor`` is a hash of the address and browser with that
    day's random salt (``IdeaViewSalt``), which is deleted when the day is over: the hash
    can be counted, never traced back or linked to another day."""

    __tablename__ = "idea_visitors"

    day: Mapped[date] = mapped_column(primary_key=True)
    theme_id: Mapped[int] = mapped_column(primary_key=True)
    visitor: Mapped[str] = mapped_column(sa.String(32), primary_key=True)


class IdeaPageViews(db.Model):
    """Page views of the dialogue per day (Japan) and theme (0: the dialogue's own pages)."""

    __tablename__ = "idea_page_views"

    day: Mapped[date] = mapped_column(primary_key=True)
    theme_id: Mapped[int] = mapped_column(primary_key=True)
    views: Mapped[int] = mapped_column(default=0)


class IdeaViewSalt(db.Model):
    """Today's random salt for ``IdeaVisitor`` hashes; earlier days' salts are deleted."""

    __tablename__ = "idea_view_salts"

    day: Mapped[date] = mapped_column(primary_key=True)
    salt: Mapped[str] = mapped_column(sa.String(64))
