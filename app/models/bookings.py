"""Booked visits: an offer of visit times (its slots), the booking it becomes when the town
picks one, and each person's private calendar feed."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import TimestampMixin, UTCDateTime, choice, utcnow
from evangelists.bookings import MEETING_URL_MAX
from evangelists.vocabulary import BOOKING_STATUSES, VISIT_MODES

if TYPE_CHECKING:
    from app.models.accounts import User
    from app.models.workflow import Assignment, SupportRequest


class Booking(TimestampMixin, db.Model):
    """Visit times an evangelist offered for an accepted assignment (``offered``, its
    ``slots``), then the visit the town booked by picking one (``booked``: ``starts_at``
    and ``ends_at`` hold the time, moved later if need be, each move raising
    ``sequence`` for the calendar invitations). Cancelled with a reason, or replaced by a
    new offer before the town picked. One live (offered or booked) row per assignment."""

    __tablename__ = "bookings"
    __table_args__ = (
        sa.CheckConstraint("status <> 'booked' OR (starts_at IS NOT NULL AND ends_at IS NOT NULL)",
                           name="booked_has_time"),
        sa.CheckConstraint("ends_at IS NULL OR ends_at > starts_at", name="ends_after_start"),
        sa.CheckConstraint("status <> 'cancelled' OR cancel_reason IS NOT NULL", name="cancelled_has_reason"),
        sa.CheckConstraint("sequence >= 0", name="sequence_not_negative"),
        sa.CheckConstraint("mode <> 'online' OR meeting_url IS NOT NULL", name="online_has_url"),
        sa.Index(
            "uq_bookings_live_assignment", "assignment_id", unique=True,
            sqlite_where=sa.text("status IN ('offered', 'booked')"),
            postgresql_where=sa.text("status IN ('offered', 'booked')"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("support_requests.id", ondelete="CASCADE"), index=True)
    assignment_id: Mapped[int] = mapped_column(sa.ForeignKey("assignments.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(choice(BOOKING_STATUSES, "booking_status"), default="offered", index=True)
    mode: Mapped[str] = mapped_column(choice(VISIT_MODES, "booking_mode"))
    place: Mapped[str] = mapped_column(sa.Text, default="")
    meeting_url: Mapped[str | None] = mapped_column(sa.String(MEETING_URL_MAX))
    attendees: Mapped[str] = mapped_column(sa.Text, default="")
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sequence: Mapped[int] = mapped_column(default=0)
    offered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    booked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancel_reason: Mapped[str | None] = mapped_column(sa.Text)

    request: Mapped[SupportRequest] = relationship()
    assignment: Mapped[Assignment] = relationship()
    offered_by: Mapped[User | None] = relationship()
    slots: Mapped[list[VisitSlot]] = relationship(
        back_populates="booking", order_by="VisitSlot.starts_at", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Booking {self.id} {self.status}>"


class VisitSlot(db.Model):
    """One time offered to the town (Japan's date and clock, kept in UTC)."""

    __tablename__ = "visit_slots"
    __table_args__ = (sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(sa.ForeignKey("bookings.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())

    booking: Mapped[Booking] = relationship(back_populates="slots")

    def __repr__(self) -> str:
        return f"<VisitSlot {self.id} of {self.booking_id}>"


class CalendarFeed(db.Model):
    """A person's private calendar feed: only the SHA-256 of its token is kept. Making a
    new one replaces the row (the old address stops working); turning it off deletes it."""

    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<CalendarFeed of {self.user_id}>"
