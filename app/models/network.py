"""The network: topic tags, civic-tech communities and evangelists."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import TimestampMixin, UTCDateTime, choice, located_in_japan
from evangelists.calendar import today_in_japan
from evangelists.limits import (
    ADDRESS_MAX,
    CAPACITY_RANGE,
    COMMUNITY_NAME_MAX,
    EMAIL_MAX,
    MAX_TRAVEL_RADIUS_KM,
    PERSON_NAME_MAX,
    WEBSITE_MAX,
    between_check,
)
from evangelists.names import READING_MAX, SORT_KEY_MAX, search_key, sort_key
from evangelists.vocabulary import (
    AGE_BANDS,
    COMMUNITY_REGISTRATION_STATUSES,
    COMMUNITY_STATUSES,
    EVANGELIST_STATUSES,
    GENDERS,
    LOCATION_SOURCES,
)

if TYPE_CHECKING:
    from app.models.accounts import User
    from app.models.geography import Municipality


class Topic(db.Model):
    """A topic tag of the shared vocabulary (``evangelists.vocabulary.TOPICS``)."""

    __tablename__ = "topics"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name_ja: Mapped[str] = mapped_column(sa.String(80))
    name_en: Mapped[str] = mapped_column(sa.String(80))
    position: Mapped[int] = mapped_column(default=0)

    def __repr__(self) -> str:
        return f"<Topic {self.slug}>"


evangelist_skills = sa.Table(
    "evangelist_skills",
    db.metadata,
    sa.Column("evangelist_id", sa.ForeignKey("evangelists.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("topic_id", sa.ForeignKey("topics.id"), primary_key=True, index=True),
)


class Community(TimestampMixin, db.Model):
    """A civic-tech community (a Code for X brigade or similar)."""

    __tablename__ = "communities"
    __table_args__ = (
        sa.CheckConstraint("member_count >= 0", name="member_count_not_negative"),
        *located_in_japan(),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(COMMUNITY_NAME_MAX), unique=True)
    website: Mapped[str | None] = mapped_column(sa.String(WEBSITE_MAX))
    municipality_id: Mapped[int] = mapped_column(sa.ForeignKey("municipalities.id"), index=True)
    lat: Mapped[float] = mapped_column(sa.Float)
    lon: Mapped[float] = mapped_column(sa.Float)
    status: Mapped[str] = mapped_column(
        choice(COMMUNITY_STATUSES, "community_status"), default="active", index=True
    )
    # Communities go dormant and come back; the date tells how fresh the status is.
    status_since: Mapped[date] = mapped_column(default=today_in_japan)  # Japan's day
    member_count: Mapped[int] = mapped_column(default=0)
    contact_email: Mapped[str | None] = mapped_column(sa.String(EMAIL_MAX))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    address: Mapped[str] = mapped_column(sa.String(ADDRESS_MAX), default="")
    location_source: Mapped[str] = mapped_column(
        choice(LOCATION_SOURCES, "community_location_source"), default="municipality"
    )
    # Listed in the public directory (/communities, issue 22.5): name, area, website,
    # description, how to join and activity (status since when, a band of the member
    # count). Never the contact e-mail, the address or the members.
    public: Mapped[bool] = mapped_column(default=False, server_default=sa.false(), index=True)
    how_to_join: Mapped[str] = mapped_column(sa.Text, default="", server_default="")

    municipality: Mapped[Municipality] = relationship(back_populates="communities")
    evangelists: Mapped[list[Evangelist]] = relationship(back_populates="home_community")
    status_history: Mapped[list[CommunityStatusChange]] = relationship(
        back_populates="community", order_by="CommunityStatusChange.since.desc()",
        cascade="all, delete-orphan",
    )

    def __repr__(self) -> str:
        return f"<Community {self.id} {self.name}>"


class CommunityStatusChange(TimestampMixin, db.Model):
    """One entry of a community's active/dormant history (the newest is its status)."""

    __tablename__ = "community_status_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(choice(COMMUNITY_STATUSES, "community_change_status"))
    since: Mapped[date]
    note: Mapped[str] = mapped_column(sa.Text, default="")
    changed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)

    community: Mapped[Community] = relationship(back_populates="status_history")

    def __repr__(self) -> str:
        return f"<CommunityStatusChange {self.community_id} {self.status} {self.since}>"


class CommunityRegistration(TimestampMixin, db.Model):
    """A community that registered itself through the public form (/communities/register).
    First ``unconfirmed``: only a confirmation link is mailed to the contact address, and
    nobody sees the registration until that link is used (within ``confirm_by``; expired
    ones are deleted). Then ``pending``, waiting for a coordinator: accepted, it becomes a
    public ``Community`` (or updates the known one it duplicates, ``community``); declined,
    with a reason. The contact e-mail is for the coordinators and the outcome mail only."""

    __tablename__ = "community_registrations"
    __table_args__ = (
        sa.CheckConstraint("member_count >= 0", name="registration_member_count_not_negative"),
        sa.CheckConstraint("consent", name="registration_consented"),
        sa.CheckConstraint("status IN ('unconfirmed', 'pending') OR decided_at IS NOT NULL",
                           name="registration_decided_at"),
        # A confirmed registration has no live link; an unconfirmed one has a deadline.
        sa.CheckConstraint("status = 'unconfirmed' OR (token_hash IS NULL AND token_sealed IS NULL)",
                           name="registration_confirmed_has_no_token"),
        sa.CheckConstraint("status <> 'unconfirmed' OR confirm_by IS NOT NULL", name="registration_confirm_by"),
        sa.Index("ix_community_registrations_status_created", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(COMMUNITY_NAME_MAX))
    municipality_id: Mapped[int] = mapped_column(sa.ForeignKey("municipalities.id"), index=True)
    website: Mapped[str | None] = mapped_column(sa.String(WEBSITE_MAX))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    how_to_join: Mapped[str] = mapped_column(sa.Text, default="")
    member_count: Mapped[int] = mapped_column(default=0)
    contact_email: Mapped[str] = mapped_column(sa.String(EMAIL_MAX))
    # The public listing was agreed to on the form (a registration without it is refused).
    consent: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(
        choice(COMMUNITY_REGISTRATION_STATUSES, "community_registration_status"), default="unconfirmed"
    )
    # The confirmation link mailed to the contact address (as an application's,
    # app/services/community_registrations.py): its SHA-256, and the token sealed for the
    # mail, which makes the link when it is written; both cleared once it is used.
    token_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    token_sealed: Mapped[str | None] = mapped_column(sa.String(255))
    confirm_by: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When the address was confirmed (None for registrations made before links existed,
    # migration 0031).
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    decline_reason: Mapped[str] = mapped_column(sa.Text, default="")
    # The community it became or updated (accepted ones).
    community_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("communities.id", ondelete="SET NULL"), index=True
    )
    # The form's one-time value: the same form sent twice (a double click) registers once.
    form_nonce: Mapped[str | None] = mapped_column(sa.String(64), unique=True)

    municipality: Mapped[Municipality] = relationship()
    community: Mapped[Community | None] = relationship()
    decided_by: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<CommunityRegistration {self.id} {self.status}>"


class Evangelist(TimestampMixin, db.Model):
    """A person in the network. Candidates may exist before they have an account;
    anyone active or paused must be linked to exactly one user account."""

    __tablename__ = "evangelists"
    __table_args__ = (
        sa.CheckConstraint(between_check("capacity", CAPACITY_RANGE), name="capacity_range"),
        sa.CheckConstraint(
            f"travel_radius_km > 0 AND travel_radius_km <= {MAX_TRAVEL_RADIUS_KM}", name="travel_radius_range"
        ),
        *located_in_japan(),
        sa.CheckConstraint(
            "user_id IS NOT NULL OR status IN ('candidate', 'retired')",
            name="working_evangelist_has_account",
        ),
        # The recruitment board: each column's page in 五十音 order of the reading, and the
        # counts per community.
        sa.Index("ix_evangelists_status_name_sort", "status", "name_sort", "id"),
        sa.Index("ix_evangelists_home_community_id_status", "home_community_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), unique=True
    )
    family_name: Mapped[str] = mapped_column(sa.String(PERSON_NAME_MAX))
    given_name: Mapped[str] = mapped_column(sa.String(PERSON_NAME_MAX))
    # The reading (フリガナ) in full-width katakana (evangelists.names.normalize_reading);
    # "" where it is unknown (people stored before readings were, whose name the tables of
    # migration 0018 did not know). New people must have one.
    family_name_kana: Mapped[str] = mapped_column(sa.String(READING_MAX), default="", server_default="")
    given_name_kana: Mapped[str] = mapped_column(sa.String(READING_MAX), default="", server_default="")
    # Derived from the four above on every flush (see _derive_name_keys below), never set by
    # hand: the 五十音 order (compared by code point, hence the "C" collation on
    # PostgreSQL) and the folded forms a name search looks in (evangelists.names).
    name_sort: Mapped[str] = mapped_column(
        sa.String(SORT_KEY_MAX).with_variant(sa.String(SORT_KEY_MAX, collation="C"), "postgresql"),
        default="", server_default="",
    )
    name_search: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    status: Mapped[str] = mapped_column(
        choice(EVANGELIST_STATUSES, "evangelist_status"), default="candidate", index=True
    )
    home_municipality_id: Mapped[int] = mapped_column(
        sa.ForeignKey("municipalities.id"), index=True
    )
    lat: Mapped[float] = mapped_column(sa.Float)
    lon: Mapped[float] = mapped_column(sa.Float)
    location_source: Mapped[str] = mapped_column(
        choice(LOCATION_SOURCES, "evangelist_location_source"), default="municipality"
    )
    home_community_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("communities.id", ondelete="SET NULL"), index=True
    )
    languages: Mapped[list[str]] = mapped_column(sa.JSON, default=lambda: ["ja"])
    capacity: Mapped[int] = mapped_column(default=2)
    travel_radius_km: Mapped[float] = mapped_column(sa.Float, default=50.0)
    online_ok: Mapped[bool] = mapped_column(default=True)
    appointed_on: Mapped[date | None]
    paused_until: Mapped[date | None]
    # Self-reported, optional, used only for diversity statistics (PRODUCT.md §3).
    age_band: Mapped[str | None] = mapped_column(choice(AGE_BANDS, "age_band"))
    gender: Mapped[str | None] = mapped_column(choice(GENDERS, "gender"))
    # The nomination form's one-time value: the same form sent twice (a double click)
    # makes one candidate.
    form_nonce: Mapped[str | None] = mapped_column(sa.String(64), unique=True)

    user: Mapped[User | None] = relationship(back_populates="evangelist")
    home_municipality: Mapped[Municipality] = relationship()
    home_community: Mapped[Community | None] = relationship(back_populates="evangelists")
    skills: Mapped[list[Topic]] = relationship(
        secondary=evangelist_skills, order_by=Topic.position
    )

    @property
    def display_name(self) -> str:
        return f"{self.family_name} {self.given_name}"

    @property
    def display_reading(self) -> str:
        """The reading as shown above the name ("ヤマダ ハナコ"); "" when unknown."""
        return " ".join(part for part in (self.family_name_kana, self.given_name_kana) if part)

    def __repr__(self) -> str:
        return f"<Evangelist {self.id} {self.status}>"


def name_keys(family: str, given: str, family_kana: str, given_kana: str) -> dict[str, str]:
    """The derived columns of a person's name: ``name_sort`` and ``name_search``. Writers
    that insert rows without the ORM (imports) add these to each row."""
    family_kana, given_kana = family_kana or "", given_kana or ""
    return {"name_sort": sort_key(family, given, family_kana, given_kana),
            "name_search": search_key(family, given, family_kana, given_kana)}


@sa.event.listens_for(Evangelist, "before_insert")
@sa.event.listens_for(Evangelist, "before_update")
def _derive_name_keys(_mapper, _connection, target: Evangelist) -> None:
    for column, value in name_keys(target.family_name, target.given_name, target.family_name_kana,
                                   target.given_name_kana).items():
        if getattr(target, column) != value:
            setattr(target, column, value)
