"""A town's answer to "was the help useful?" (1 to 5, and a comment), given once per
request closed as done, through the request's own status page; and what the
coordinators see of the answers."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import RequestFeedback, SupportRequest
from app.services.audit import record_event
from app.services.regions import NATIONAL, RegionScope, requests_visible
from evangelists.errors import Refused
from evangelists.limits import FEEDBACK_COMMENT_MAX, FEEDBACK_RATING

MUNICIPALITY = "municipality"
LATEST_COMMENTS = 5


class FeedbackRefused(Refused):
    """``not_completed`` (the request is not closed as done) or ``already_answered``
    (one answer per request: the first is kept)."""

    scope = "feedback"

    def __init__(self, reason: str):
        super().__init__(None, reason)


def feedback_of(request: SupportRequest) -> RequestFeedback | None:
    return db.session.scalar(sa.select(RequestFeedback).where(RequestFeedback.request_id == request.id))


def can_answer(request: SupportRequest) -> bool:
    return request.status == "completed" and feedback_of(request) is None


def give_feedback(request: SupportRequest, rating: int, comment: str, *,
                  address: str | None = None) -> RequestFeedback:
    """Save the town's answer; audited ``request.feedback_given`` (the rating only: the
    comment is on the request's page). Raises ``FeedbackRefused``; a second answer is
    refused, also when two arrive at once (the unique request keeps one)."""
    low, high = FEEDBACK_RATING
    if not low <= rating <= high:
        raise ValueError(f"rating {rating} out of {FEEDBACK_RATING}")
    if request.status != "completed":
        raise FeedbackRefused("not_completed")
    if feedback_of(request) is not None:
        raise FeedbackRefused("already_answered")
    feedback = RequestFeedback(request_id=request.id, rating=rating, comment=comment.strip()[:FEEDBACK_COMMENT_MAX])
    db.session.add(feedback)
    try:
        db.session.flush()
    except sa.exc.IntegrityError:
        db.session.rollback()
        raise FeedbackRefused("already_answered") from None
    record_event(MUNICIPALITY, "request.feedback_given", "support_request", request.id,
                 after={"rating": rating}, client_address=address)
    db.session.commit()
    return feedback


@dataclass(frozen=True)
class FeedbackSummary:
    count: int
    average: float | None  # None when nobody answered yet
    latest: list[RequestFeedback]  # the newest answers with a comment, their request and town loaded


def feedback_summary(limit: int = LATEST_COMMENTS, *, scope: RegionScope = NATIONAL) -> FeedbackSummary:
    """For the coordinators' dashboard: how many towns answered, the average rating and
    the latest comments (two queries)."""
    count, average = db.session.execute(
        sa.select(sa.func.count(RequestFeedback.id), sa.func.avg(RequestFeedback.rating))
        .join(RequestFeedback.request).where(requests_visible(scope))
    ).one()
    latest = list(db.session.scalars(
        sa.select(RequestFeedback).join(RequestFeedback.request)
        .where(RequestFeedback.comment != "", requests_visible(scope))
        .options(selectinload(RequestFeedback.request).selectinload(SupportRequest.municipality))
        .order_by(RequestFeedback.created_at.desc(), RequestFeedback.id.desc()).limit(limit)
    ))
    return FeedbackSummary(count or 0, float(average) if average is not None else None, latest)
