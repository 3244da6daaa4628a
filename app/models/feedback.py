"""A town's answer to "was the help useful?", asked once its request is closed as done."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow
from app.models.workflow import SupportRequest
from evangelists.limits import FEEDBACK_RATING, between_check


class RequestFeedback(db.Model):
    """One answer per request (the request's own status link gives it): a rating from 1
    (not useful) to 5 (very useful) and an optional comment."""

    __tablename__ = "request_feedback"
    __table_args__ = (sa.CheckConstraint(between_check("rating", FEEDBACK_RATING), name="rating_in_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        sa.ForeignKey("support_requests.id", ondelete="CASCADE"), unique=True
    )
    rating: Mapped[int] = mapped_column(sa.SmallInteger)
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)

    request: Mapped[SupportRequest] = relationship()

    def __repr__(self) -> str:
        return f"<RequestFeedback request={self.request_id} rating={self.rating}>"
