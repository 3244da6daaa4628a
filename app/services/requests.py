"""Support requests: submission through the public form, the private status page, and
the coordinator's triage. Every status change goes through ``evangelists.lifecycle``."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import (
    Assignment,
    AuditEvent,
    Municipality,
    Prefecture,
    RequestMessage,
    SupportRequest,
    Topic,
    User,
)
from app.models.base import utcnow
from app.services.audit import record_event
from evangelists import lifecycle
from evangelists.vocabulary import OPEN_REQUEST_STATUSES

MUNICIPALITY = "municipality"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Submission:
    """What the public form collected, already validated."""

    municipality_code: str
    contact_name: str
    department: str
    email: str
    phone: str | None
    topics: tuple[str, ...]
    mode: str
    period: str
    message: str
    nonce: str


@dataclass(frozen=True)
class Submitted:
    request: SupportRequest
    token: str | None  # None when the same form was sent twice: the first one stands


def submit_request(submission: Submission, *, address: str | None) -> Submitted:
    """Create a request with a fresh private status token (256 bits; only its hash is
    kept). A second submission of the same form (double click, back button) returns the
    first request instead of making another."""
    existing = db.session.scalar(
        sa.select(SupportRequest).where(SupportRequest.form_nonce == submission.nonce)
    )
    if existing is not None:
        return Submitted(existing, None)
    municipality = _municipality(submission.municipality_code)
    token = secrets.token_urlsafe(32)
    request = SupportRequest(
        municipality=municipality,
        contact_name=submission.contact_name,
        department=submission.department,
        email=submission.email,
        phone=submission.phone,
        preferred_mode=submission.mode,
        preferred_period=submission.period,
        message=submission.message,
        token_hash=hash_token(token),
        form_nonce=submission.nonce,
        topics=_topics(submission.topics),
    )
    db.session.add(request)
    municipality.engagement_stage = lifecycle.advance_engagement(municipality.engagement_stage, "requested")
    db.session.flush()
    record_event(MUNICIPALITY, "request.submitted", "support_request", request.id,
                 after={"municipality": municipality.code}, client_address=address)
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        # Two copies of the same form raced; the other one was saved first.
        db.session.rollback()
        existing = db.session.scalar(
            sa.select(SupportRequest).where(SupportRequest.form_nonce == submission.nonce)
        )
        return Submitted(existing, None)
    return Submitted(request, token)


def open_request_for(municipality_code: str) -> SupportRequest | None:
    """The municipality's oldest request that is still open, if any."""
    return db.session.scalar(
        sa.select(SupportRequest)
        .join(SupportRequest.municipality)
        .where(Municipality.code == municipality_code, SupportRequest.status.in_(OPEN_REQUEST_STATUSES))
        .order_by(SupportRequest.created_at)
        .limit(1)
    )


def add_to_open_request(request: SupportRequest, submission: Submission, *, address: str | None) -> None:
    """Add what a second person from the same town sent to the request already open,
    as a message the coordinator sees with their contact details."""
    lines = [
        f"{submission.contact_name}（{submission.department}）",
        submission.email + (f" / {submission.phone}" if submission.phone else ""),
    ]
    if submission.message:
        lines += ["", submission.message]
    request.messages.append(RequestMessage(sender=MUNICIPALITY, body="\n".join(lines)))
    record_event(MUNICIPALITY, "request.added_to", "support_request", request.id, client_address=address)
    db.session.commit()


def request_by_token(token: str) -> SupportRequest | None:
    """The request whose private status token this is, or None."""
    if not token or len(token) > 100:
        return None
    return db.session.scalar(
        sa.select(SupportRequest)
        .where(SupportRequest.token_hash == hash_token(token))
        .options(selectinload(SupportRequest.messages), selectinload(SupportRequest.topics))
    )


def add_message(request: SupportRequest, body: str, *, sender: str, author: User | None = None,
                address: str | None = None) -> RequestMessage:
    if not lifecycle.is_open(request.status):
        raise lifecycle.TransitionRefused("request", request.status, request.status, "closed")
    message = RequestMessage(sender=sender, body=body, author=author)
    request.messages.append(message)
    record_event(author or MUNICIPALITY, "request.message_added", "support_request", request.id,
                 after={"sender": sender}, client_address=address)
    db.session.commit()
    return message


def change_status(actor: User | str, request: SupportRequest, target: str, *,
                  reason: str | None = None, address: str | None = None) -> None:
    """Move a request to ``target`` if the lifecycle allows it; audited. Raises
    ``lifecycle.TransitionRefused`` otherwise, changing nothing."""
    lifecycle.check("request", request.status, target)
    before = {"status": request.status}
    request.status = target
    if target == "declined":
        request.decline_reason = reason
    if not lifecycle.is_open(target):
        request.closed_at = utcnow()
    record_event(actor, f"request.{target}", "support_request", request.id, before=before,
                 after={"status": target, **({"reason": reason} if reason else {})},
                 client_address=address)
    db.session.commit()


@dataclass(frozen=True)
class QueueFilters:
    status: str = ""
    prefecture: str = ""
    topic: str = ""
    statuses: tuple[str, ...] = field(default=OPEN_REQUEST_STATUSES)


def request_queue(filters: QueueFilters) -> sa.Select:
    """New requests first, then the others; oldest first within each, so nothing waits
    unseen. Municipality, prefecture and topics are loaded with the rows (no N+1)."""
    stmt = (
        sa.select(SupportRequest)
        .join(SupportRequest.municipality)
        .join(Municipality.prefecture)
        .options(
            selectinload(SupportRequest.topics),
            selectinload(SupportRequest.municipality).selectinload(Municipality.prefecture),
        )
        .order_by(sa.case((SupportRequest.status == "new", 0), else_=1), SupportRequest.created_at)
    )
    if filters.status:
        stmt = stmt.where(SupportRequest.status == filters.status)
    else:
        stmt = stmt.where(SupportRequest.status.in_(filters.statuses))
    if filters.prefecture:
        stmt = stmt.where(Prefecture.code == filters.prefecture)
    if filters.topic:
        stmt = stmt.where(SupportRequest.topics.any(Topic.slug == filters.topic))
    return stmt


def count_by_status() -> dict[str, int]:
    """How many requests are in each status (one query)."""
    rows = db.session.execute(
        sa.select(SupportRequest.status, sa.func.count()).group_by(SupportRequest.status)
    ).all()
    return dict(rows)


def request_history(request: SupportRequest) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.entity_type == "support_request", AuditEvent.entity_id == request.id)
            .order_by(AuditEvent.created_at)
        )
    )


def current_assignment(request: SupportRequest) -> Assignment | None:
    """The accepted assignment shown to the municipality (first name and community)."""
    return next((a for a in request.assignments if a.status in ("accepted", "completed")), None)


def coordinator_emails() -> list[str]:
    return list(
        db.session.scalars(
            sa.select(User.email).where(User.role == "coordinator", User.is_active.is_(True))
        )
    )


def _municipality(code: str) -> Municipality:
    municipality = db.session.scalar(sa.select(Municipality).where(Municipality.code == code))
    if municipality is None:
        raise ValueError(f"unknown municipality {code}")
    return municipality


def _topics(slugs: tuple[str, ...]) -> list[Topic]:
    return list(db.session.scalars(sa.select(Topic).where(Topic.slug.in_(slugs)).order_by(Topic.position)))
