"""The request workflow: support requests, assignments, visits and their outcomes."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import TimestampMixin, UTCDateTime, choice, utcnow
from app.models.network import Topic
from evangelists.calendar import day_in_japan, today_in_japan
from evangelists.limits import (
    CONTACT_NAME_MAX,
    DEPARTMENT_MAX,
    EMAIL_MAX,
    MAX_VISIT_MINUTES,
    PREFERRED_PERIOD_MAX,
)
from evangelists.vocabulary import (
    ADDITION_STATUSES,
    ASSIGNMENT_STATUSES,
    MESSAGE_SENDERS,
    OUTCOME_TYPES,
    REQUEST_MODES,
    REQUEST_SOURCES,
    REQUEST_STATUSES,
    VISIT_MODES,
)

if TYPE_CHECKING:
    from app.models.accounts import User
    from app.models.geography import Municipality
    from app.models.network import Evangelist

request_topics = sa.Table(
    "request_topics",
    db.metadata,
    sa.Column(
        "request_id", sa.ForeignKey("support_requests.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("topic_id", sa.ForeignKey("topics.id"), primary_key=True, index=True),
)

# The topics another person of the town chose when adding to an open request.
request_addition_topics = sa.Table(
    "request_addition_topics",
    db.metadata,
    sa.Column(
        "addition_id", sa.ForeignKey("request_additions.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("topic_id", sa.ForeignKey("topics.id"), primary_key=True, index=True),
)

visit_topics = sa.Table(
    "visit_topics",
    db.metadata,
    sa.Column("visit_id", sa.ForeignKey("visits.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("topic_id", sa.ForeignKey("topics.id"), primary_key=True, index=True),
)


def _day_created(context) -> date:
    """The day in Japan of the row's ``created_at`` when it is given (the demo's past
    requests), else today: a request's ``received_on`` unless a coordinator dates it."""
    created = context.get_current_parameters().get("created_at") if context is not None else None
    return day_in_japan(created) if isinstance(created, datetime) and created.tzinfo else today_in_japan()


class SupportRequest(TimestampMixin, db.Model):
    """A municipality's request for help, sent through the public form or recorded by a
    coordinator from a phone call, a mail, a letter or a visit (``source``).

    The private status token is stored as a SHA-256 hash (to find the request) and sealed
    with TOTP_ENCRYPTION_KEYS (to put the link in later notices); never in plain text.
    """

    __tablename__ = "support_requests"
    __table_args__ = (
        sa.CheckConstraint(
            "status <> 'declined' OR decline_reason IS NOT NULL", name="declined_has_reason"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(sa.ForeignKey("municipalities.id"), index=True)
    contact_name: Mapped[str] = mapped_column(sa.String(CONTACT_NAME_MAX))
    department: Mapped[str] = mapped_column(sa.String(DEPARTMENT_MAX))
    # NULL only on a request a coordinator recorded without one (the town gave a phone
    # number): nothing is mailed to the town then.
    email: Mapped[str | None] = mapped_column(sa.String(EMAIL_MAX))
    phone: Mapped[str | None] = mapped_column(sa.String(20))  # E.164
    preferred_mode: Mapped[str] = mapped_column(choice(REQUEST_MODES, "request_mode"))
    preferred_period: Mapped[str] = mapped_column(sa.String(PREFERRED_PERIOD_MAX), default="")
    message: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[str] = mapped_column(
        choice(REQUEST_STATUSES, "request_status"), default="new", index=True
    )
    decline_reason: Mapped[str | None] = mapped_column(sa.Text)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    # The same token sealed with TOTP_ENCRYPTION_KEYS (app/secrets_at_rest.py), so a notice
    # to the town can carry its status link; NULL on requests sent before 0010.
    token_sealed: Mapped[str | None] = mapped_column(sa.String(255))
    # The one-time token of the form that created it: a resubmission finds this row.
    form_nonce: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The coordinator who owns the request: set when it is triaged, changeable (audited).
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    # How it reached us; "form" unless a coordinator recorded it (revision 0017).
    source: Mapped[str] = mapped_column(
        choice(REQUEST_SOURCES, "request_source"), default="form", server_default="form"
    )
    # The day the town asked, in Japan: the day it was sent through the form, or the day
    # of the call or letter a coordinator recorded (never after the day it was recorded).
    received_on: Mapped[date] = mapped_column(sa.Date, default=lambda context: _day_created(context))
    # The coordinator who recorded it; NULL for the form (and if the account is deleted).
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)

    municipality: Mapped[Municipality] = relationship()
    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])
    recorded_by: Mapped[User | None] = relationship(foreign_keys=[recorded_by_id])
    topics: Mapped[list[Topic]] = relationship(secondary=request_topics, order_by=Topic.position)
    assignments: Mapped[list[Assignment]] = relationship(
        back_populates="request", order_by="Assignment.created_at"
    )
    messages: Mapped[list[RequestMessage]] = relationship(
        back_populates="request", order_by="RequestMessage.created_at",
        cascade="all, delete-orphan",
    )
    # What other people of the same town sent to it through the public form, for the
    # coordinators to accept or reject; the municipality never sees these rows.
    additions: Mapped[list[RequestAddition]] = relationship(
        back_populates="request", order_by="RequestAddition.created_at",
        cascade="all, delete-orphan",
    )

    def __repr__(self) -> str:
        return f"<SupportRequest {self.id} {self.status}>"


class RequestMessage(TimestampMixin, db.Model):
    """A message on a request, from the municipality (status page), a coordinator or the
    assigned evangelist, or another person's addition once a coordinator accepted it
    (``addition_id``). Everything here is visible to the municipality through its status
    link (coordinators' internal notes are ``RequestNote`` rows, never these)."""

    __tablename__ = "request_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        sa.ForeignKey("support_requests.id", ondelete="CASCADE"), index=True
    )
    sender: Mapped[str] = mapped_column(choice(MESSAGE_SENDERS, "message_sender"))
    # The coordinator or evangelist who wrote it; NULL for the municipality.
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    body: Mapped[str] = mapped_column(sa.Text)
    # The accepted addition this message shows, if it is one.
    addition_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("request_additions.id", ondelete="SET NULL"), unique=True
    )

    request: Mapped[SupportRequest] = relationship(back_populates="messages")
    author: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<RequestMessage {self.id} on {self.request_id}>"


class RequestNote(TimestampMixin, db.Model):
    """A coordinator's internal note on a request. A table of its own, with no
    relationship from ``SupportRequest``, so nothing that shows a request to its town
    (status page, mails) can reach it by accident: only coordinators and admins read
    these (``app.services.dialogue.notes_of``)."""

    __tablename__ = "request_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        sa.ForeignKey("support_requests.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    body: Mapped[str] = mapped_column(sa.Text)

    author: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<RequestNote {self.id} on {self.request_id}>"


class RequestAddition(TimestampMixin, db.Model):
    """What another person sent through the public form when their municipality already
    had a request open and they chose to add to it.

    Anyone can send one, naming any town and any contact details, so it is *pending*
    until a coordinator decides: accepting copies ``message`` into the request's thread
    (a ``RequestMessage`` the municipality sees, marked as an addition); rejecting keeps
    it from the municipality for good. The contact details, topics, mode and period are
    for coordinators only.

    The sender gets a private status link of their own (only its hash is kept): it shows
    what they sent and whether it waits, and, once a coordinator accepted the addition,
    the request's status page. Before that it reveals nothing of the request.
    """

    __tablename__ = "request_additions"
    __table_args__ = (
        sa.CheckConstraint(
            "(status = 'pending' AND decided_at IS NULL) OR (status <> 'pending' AND decided_at IS NOT NULL)",
            name="decided_unless_pending",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        sa.ForeignKey("support_requests.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(
        choice(ADDITION_STATUSES, "addition_status"), default="pending", index=True
    )
    contact_name: Mapped[str] = mapped_column(sa.String(CONTACT_NAME_MAX))
    department: Mapped[str] = mapped_column(sa.String(DEPARTMENT_MAX))
    # NULL only when a coordinator recorded it from a phone call without an address.
    email: Mapped[str | None] = mapped_column(sa.String(EMAIL_MAX))
    phone: Mapped[str | None] = mapped_column(sa.String(20))  # E.164
    message: Mapped[str] = mapped_column(sa.Text, default="")
    # What they chose on the form; NULL mode on additions sent before revision 0008.
    preferred_mode: Mapped[str | None] = mapped_column(choice(REQUEST_MODES, "addition_mode"))
    preferred_period: Mapped[str] = mapped_column(sa.String(PREFERRED_PERIOD_MAX), default="")
    # The hash of the sender's private status token; NULL on additions sent before 0008.
    token_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    # The one-time token of the form that sent it: a resubmission finds this row.
    form_nonce: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    decided_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decision_reason: Mapped[str | None] = mapped_column(sa.Text)  # for coordinators only

    request: Mapped[SupportRequest] = relationship(back_populates="additions")
    decided_by: Mapped[User | None] = relationship()
    topics: Mapped[list[Topic]] = relationship(secondary=request_addition_topics, order_by=Topic.position)

    def __repr__(self) -> str:
        return f"<RequestAddition {self.id} on {self.request_id} {self.status}>"


class Assignment(TimestampMixin, db.Model):
    """An evangelist proposed for a request, with the match score and reasons frozen
    at the moment of proposal."""

    __tablename__ = "assignments"
    __table_args__ = (
        sa.CheckConstraint("score >= 0 AND score <= 1", name="score_range"),
        sa.CheckConstraint("distance_km >= 0", name="distance_not_negative"),
        # An evangelist holds at most one live assignment per request.
        sa.Index(
            "uq_assignments_live_pair",
            "request_id",
            "evangelist_id",
            unique=True,
            sqlite_where=sa.text("status IN ('proposed', 'accepted')"),
            postgresql_where=sa.text("status IN ('proposed', 'accepted')"),
        ),
        # The dashboard's days to a first assignment: the earliest per request, from the index.
        sa.Index("ix_assignments_request_id_created_at", "request_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        sa.ForeignKey("support_requests.id", ondelete="CASCADE"), index=True
    )
    evangelist_id: Mapped[int] = mapped_column(sa.ForeignKey("evangelists.id"), index=True)
    status: Mapped[str] = mapped_column(
        choice(ASSIGNMENT_STATUSES, "assignment_status"), default="proposed", index=True
    )
    score: Mapped[float] = mapped_column(sa.Float)
    distance_km: Mapped[float] = mapped_column(sa.Float)
    reasons: Mapped[list[Any]] = mapped_column(sa.JSON, default=list)
    proposed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    decline_reason: Mapped[str | None] = mapped_column(sa.Text)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    request: Mapped[SupportRequest] = relationship(back_populates="assignments")
    evangelist: Mapped[Evangelist] = relationship()
    proposed_by: Mapped[User | None] = relationship()
    visits: Mapped[list[Visit]] = relationship(
        back_populates="assignment", order_by="Visit.visited_on"
    )

    def __repr__(self) -> str:
        return f"<Assignment {self.id} {self.status}>"


class Visit(TimestampMixin, db.Model):
    """An advisory visit (on site or online) made within an assignment."""

    __tablename__ = "visits"
    __table_args__ = (
        sa.CheckConstraint(
            f"duration_minutes > 0 AND duration_minutes <= {MAX_VISIT_MINUTES}", name="duration_range"
        ),
        sa.CheckConstraint("attendee_count >= 0", name="attendees_not_negative"),
        # The dashboard reads visits from these alone: the first visit per assignment, and
        # the visits per month and mode.
        sa.Index("ix_visits_assignment_id_visited_on", "assignment_id", "visited_on"),
        sa.Index("ix_visits_visited_on_mode", "visited_on", "mode"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("assignments.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    visited_on: Mapped[date] = mapped_column(index=True)
    mode: Mapped[str] = mapped_column(choice(VISIT_MODES, "visit_mode"))
    duration_minutes: Mapped[int]
    attendee_count: Mapped[int] = mapped_column(default=0)
    attendee_departments: Mapped[str] = mapped_column(sa.Text, default="")
    summary: Mapped[str] = mapped_column(sa.Text)
    next_steps: Mapped[str] = mapped_column(sa.Text, default="")

    assignment: Mapped[Assignment] = relationship(back_populates="visits")
    author: Mapped[User | None] = relationship()
    topics: Mapped[list[Topic]] = relationship(secondary=visit_topics, order_by=Topic.position)
    outcomes: Mapped[list[Outcome]] = relationship(
        back_populates="visit", order_by="Outcome.achieved_on"
    )

    def __repr__(self) -> str:
        return f"<Visit {self.id} {self.visited_on}>"


class Outcome(TimestampMixin, db.Model):
    """What a visit changed. ``datasets_published`` carries how many datasets."""

    __tablename__ = "outcomes"
    __table_args__ = (
        sa.CheckConstraint(
            "(type = 'datasets_published' AND count IS NOT NULL AND count > 0)"
            " OR (type <> 'datasets_published' AND count IS NULL)",
            name="count_only_for_datasets",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(sa.ForeignKey("visits.id", ondelete="CASCADE"), index=True)
    type: Mapped[str] = mapped_column(choice(OUTCOME_TYPES, "outcome_type"), index=True)
    count: Mapped[int | None]
    achieved_on: Mapped[date]
    evidence_url: Mapped[str | None] = mapped_column(sa.String(500))
    note: Mapped[str] = mapped_column(sa.Text, default="")

    visit: Mapped[Visit] = relationship(back_populates="outcomes")

    def __repr__(self) -> str:
        return f"<Outcome {self.id} {self.type}>"


class BulkRun(db.Model):
    """One bulk action on the request queue that was carried out (app/services/bulk.py):
    its one-time ``nonce`` (from the review page; unique, so the same confirmation sent
    twice, by a double click or a reload, runs once) and each row's outcome, which the
    result page shows. A bulk action refused by one of its rows leaves no row here."""

    __tablename__ = "bulk_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    nonce: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(sa.String(20))
    # [{"request": id, "town": name, "unchanged": bool}, ...] in the order they were done.
    rows: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def __repr__(self) -> str:
        return f"<BulkRun {self.id} {self.action} {len(self.rows or ())}>"
