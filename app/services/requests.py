"""Support requests: submission through the public form, the private status page, and
the coordinator's triage. Every status change goes through ``evangelists.lifecycle``."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from app.extensions import db
from app.models import (
    Assignment,
    AuditEvent,
    Municipality,
    Prefecture,
    RequestAddition,
    RequestMessage,
    SupportRequest,
    Topic,
    User,
)
from app.models.base import utcnow
from app.secrets_at_rest import seal, unseal
from app.services.audit import record_event
from app.services.matching import cancel_open_assignments
from app.services.notices import notify
from app.services.ownership import claim_if_unowned
from app.services.pages import Page, page_of
from app.services.regions import can_see
from app.services.status import set_status, write_while
from app.services.workflow_notices import has_booking, tell_called_off, tell_request_completed
from evangelists import lifecycle
from evangelists.errors import Refused
from evangelists.limits import received_on_refusal
from evangelists.vocabulary import OPEN_REQUEST_STATUSES, STAFF_REQUEST_SOURCES

# What a coordinator's recording may give as the source: how the town asked, or an
# outreach case the town agreed to turn into a request (app/services/outreach.py).
RECORDED_SOURCES = (*STAFF_REQUEST_SOURCES, "outreach")

MUNICIPALITY = "municipality"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Submission:
    """What the request form collected, already validated. ``email`` is None only when a
    coordinator recorded a request the town made by phone without giving one."""

    municipality_code: str
    contact_name: str
    department: str
    email: str | None
    phone: str | None
    topics: tuple[str, ...]
    mode: str
    period: str
    message: str
    nonce: str


@dataclass(frozen=True)
class Intake:
    """A request a coordinator records for a town that asked by phone, e-mail, post or in
    person: what the town said (``submission``), how (``source``, one of
    STAFF_REQUEST_SOURCES) and on which day in Japan (``received_on``)."""

    submission: Submission
    source: str
    received_on: date


class IntakeRefused(Refused):
    """A request a coordinator cannot record as given: ``field`` ``source`` (reason
    ``unknown``), ``received_on`` (``future_date``, ``too_old``) or ``email`` (reason
    ``contact_required``: neither an e-mail address nor a phone number)."""

    scope = "intake"


@dataclass(frozen=True)
class Submitted:
    request: SupportRequest
    token: str | None  # None when the same form was sent twice: the first one stands


def submit_request(submission: Submission, *, address: str | None) -> Submitted:
    """Create a request with a fresh private status token (256 bits; kept hashed, and
    sealed for the links in later notices). A second submission of the same form (double click, back button) returns the
    first request instead of making another."""
    existing = _request_by_nonce(submission.nonce)
    if existing is not None:
        return Submitted(existing, None)
    request, token = _new_request(submission)
    record_event(MUNICIPALITY, "request.submitted", "support_request", request.id,
                 after={"municipality": request.municipality.code}, client_address=address)
    _tell_received(request)
    return _committed(request, token, submission.nonce)


def record_request(actor: User, intake: Intake, *, today: date, address: str | None = None,
                   then: Callable[[SupportRequest], None] | None = None) -> Submitted:
    """Create the request a coordinator took down for a town (``Intake``), as the public
    form would, with its source, the day the town asked and who recorded it; audited as
    ``request.recorded`` by ``actor``. When the town gave an e-mail address it gets the
    same receipt with its status link as from the form; without one nothing is mailed and
    the caller shows the link (``Submitted.token``) once. The other coordinators hear of
    it as of any new request. ``today`` is the day in Japan. A second submission of the
    same form returns the first request, without a token. Raises ``IntakeRefused``,
    changing nothing. The duplicate rule of the form (a town with an open request) is the
    caller's, as on ``/request``: ``open_request_for``, then this or
    ``add_to_open_request``. ``then`` does the caller's part of the same transaction with
    the new request (an outreach case links it: app/services/outreach.py)."""
    sub = intake.submission
    if intake.source not in RECORDED_SOURCES:
        raise IntakeRefused("source", "unknown")
    reason = received_on_refusal(intake.received_on, today)
    if reason is not None:
        raise IntakeRefused("received_on", reason)
    if not sub.email and not sub.phone:
        raise IntakeRefused("email", "contact_required")
    existing = _request_by_nonce(sub.nonce)
    if existing is not None:
        return Submitted(existing, None)
    request, token = _new_request(sub, source=intake.source, received_on=intake.received_on, recorded_by=actor)
    record_event(actor, "request.recorded", "support_request", request.id,
                 after={"municipality": request.municipality.code, "source": intake.source,
                        "received_on": intake.received_on.isoformat()},
                 client_address=address)
    if then is not None:
        then(request)
    _tell_received(request, exclude=actor)
    return _committed(request, token, sub.nonce)


def _new_request(submission: Submission, **recorded) -> tuple[SupportRequest, str]:
    """The request (added and flushed) and its status token; ``recorded``: the source,
    day received and coordinator of a request taken down by staff."""
    municipality = _municipality(submission.municipality_code)
    token = secrets.token_urlsafe(32)
    request = SupportRequest(
        municipality=municipality,
        contact_name=submission.contact_name,
        department=submission.department,
        email=submission.email or None,
        phone=submission.phone,
        preferred_mode=submission.mode,
        preferred_period=submission.period,
        message=submission.message,
        token_hash=hash_token(token),
        token_sealed=seal(token),
        form_nonce=submission.nonce,
        topics=_topics(submission.topics),
        **recorded,
    )
    db.session.add(request)
    municipality.engagement_stage = lifecycle.advance_engagement(municipality.engagement_stage, "requested")
    db.session.flush()
    return request, token


def _tell_received(request: SupportRequest, *, exclude: User | None = None) -> None:
    """The town's receipt with its status link (if it gave an address: ``notify`` skips a
    missing one) and the coordinators' "new request" (not ``exclude``, who recorded it)."""
    municipality = request.municipality
    town = {"town": municipality.name, "prefecture": municipality.prefecture.name_ja}
    notify("request_received", emails=[request.email] if request.email else [], request=request,
           params={**town, "contact": request.contact_name})
    notify("request_new", users=coordinators(request), request=request, params=town, exclude=exclude)


def _committed(request: SupportRequest, token: str, nonce: str) -> Submitted:
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        # Two copies of the same form raced; the other one was saved first.
        db.session.rollback()
        return Submitted(_request_by_nonce(nonce), None)
    return Submitted(request, token)


def _request_by_nonce(nonce: str) -> SupportRequest | None:
    return db.session.scalar(sa.select(SupportRequest).where(SupportRequest.form_nonce == nonce))


def open_request_for(municipality_code: str) -> SupportRequest | None:
    """The municipality's oldest request that is still open, if any."""
    return db.session.scalar(
        sa.select(SupportRequest)
        .join(SupportRequest.municipality)
        .where(Municipality.code == municipality_code, SupportRequest.status.in_(OPEN_REQUEST_STATUSES))
        .order_by(SupportRequest.created_at)
        .limit(1)
    )


@dataclass(frozen=True)
class Added:
    addition: RequestAddition
    token: str | None  # None when the same form was sent twice: the first one stands


def add_to_open_request(request: SupportRequest, submission: Submission, *,
                        address: str | None, recorded_by: User | None = None, source: str | None = None) -> Added:
    """Keep what a second person from the same town sent as a *pending* addition to the
    request already open, everything they typed (contact, topics, mode, period,
    message), with a private status token of their own (only its hash is kept). Anyone
    can send it, so the municipality sees nothing of it until a coordinator accepts it,
    and the sender's link shows nothing of the request until then either. A second
    submission of the same form (double click, back button) returns the first addition
    instead of making another, without a token.

    A coordinator who took it down by phone, mail or in person is ``recorded_by`` (the
    addition still waits for a decision, as from the form): audited
    ``request.addition_recorded`` by them, with the ``source``."""
    existing = _addition_by_nonce(submission.nonce)
    if existing is not None:
        return Added(existing, None)
    token = secrets.token_urlsafe(32)
    addition = RequestAddition(
        request=request,
        contact_name=submission.contact_name,
        department=submission.department,
        email=submission.email or None,
        phone=submission.phone,
        topics=_topics(submission.topics),
        preferred_mode=submission.mode,
        preferred_period=submission.period,
        message=submission.message,
        token_hash=hash_token(token),
        form_nonce=submission.nonce,
    )
    db.session.add(addition)
    db.session.flush()
    if recorded_by is None:
        record_event(MUNICIPALITY, "request.addition_received", "support_request", request.id,
                     after={"addition": addition.id, "status": "pending"}, client_address=address)
    else:
        record_event(recorded_by, "request.addition_recorded", "support_request", request.id,
                     after={"addition": addition.id, "status": "pending", "source": source},
                     client_address=address)
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        # Two copies of the same form raced; the other one was saved first.
        db.session.rollback()
        return Added(_addition_by_nonce(submission.nonce), None)
    return Added(addition, token)


def addition_by_token(token: str) -> RequestAddition | None:
    """The addition whose sender's private status token this is, or None."""
    if not token or len(token) > 100:
        return None
    return db.session.scalar(
        sa.select(RequestAddition)
        .where(RequestAddition.token_hash == hash_token(token))
        .options(selectinload(RequestAddition.topics))
    )


def _addition_by_nonce(nonce: str) -> RequestAddition | None:
    return db.session.scalar(sa.select(RequestAddition).where(RequestAddition.form_nonce == nonce))


def accept_addition(actor: User, addition: RequestAddition, *, address: str | None = None) -> RequestMessage:
    """Accept a pending addition: its message joins the request's thread, where the
    municipality sees it as coming from another person of the town (without their contact
    details). Audited. Raises ``lifecycle.TransitionRefused`` if it was already decided,
    also by another coordinator at the same moment, or (machine ``request``) if the
    request is closed and its thread takes no more messages; either changes nothing."""
    if not lifecycle.is_open(addition.request.status):
        raise lifecycle.TransitionRefused("request", addition.request.status, addition.request.status, "closed")
    _decide(actor, addition, "accepted", reason=None, address=address,
            after={"addition": addition.id, "status": "accepted"})
    message = RequestMessage(sender=MUNICIPALITY, body=addition.message, addition_id=addition.id)
    addition.request.messages.append(message)
    db.session.commit()
    return message


def reject_addition(actor: User, addition: RequestAddition, *, reason: str | None = None,
                    address: str | None = None) -> None:
    """Reject a pending addition: the municipality never sees it. The reason, if given,
    is for coordinators only. Audited; refused like ``accept_addition``."""
    _decide(actor, addition, "rejected", reason=reason or None, address=address,
            after={"addition": addition.id, "status": "rejected", **({"reason": reason} if reason else {})})
    db.session.commit()


def _decide(actor: User, addition: RequestAddition, target: str, *, reason: str | None, address: str | None,
            after: dict) -> None:
    """Decide a pending addition and audit it on its request (``request.addition_<target>``)."""

    def write(row: RequestAddition, status: str) -> None:
        # Only one decision wins, also when two coordinators press at the same moment.
        decided_at = utcnow()
        write_while(row, "addition", "pending", "closed", status=status, decided_by_id=actor.id,
                    decided_at=decided_at, decision_reason=reason, updated_at=decided_at)

    set_status(actor, addition, "addition", target, write=write, action=f"request.addition_{target}",
               entity_type="support_request", entity_id=addition.request_id,
               before={"addition": addition.id, "status": "pending"}, after=after, address=address)


def addition_of(request: SupportRequest, addition_id: int) -> RequestAddition | None:
    """The addition ``addition_id`` if it belongs to ``request``."""
    return db.session.scalar(
        sa.select(RequestAddition).where(RequestAddition.id == addition_id,
                                         RequestAddition.request_id == request.id)
    )


def additions_of(request: SupportRequest) -> list[RequestAddition]:
    """The request's additions, pending first, each group oldest first, with who decided
    (a fixed number of queries)."""
    return list(db.session.scalars(
        sa.select(RequestAddition)
        .where(RequestAddition.request_id == request.id)
        .options(selectinload(RequestAddition.decided_by), selectinload(RequestAddition.topics))
        .order_by(sa.case((RequestAddition.status == "pending", 0), else_=1), RequestAddition.created_at)
    ))


def pending_additions_by_request(request_ids: list[int]) -> dict[int, int]:
    """How many pending additions each of these requests has (one query; absent: none)."""
    if not request_ids:
        return {}
    rows = db.session.execute(
        sa.select(RequestAddition.request_id, sa.func.count())
        .where(RequestAddition.request_id.in_(request_ids), RequestAddition.status == "pending")
        .group_by(RequestAddition.request_id)
    ).all()
    return dict(rows)


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
    """Add a message to the thread the town sees, audited, and tell the others in the
    same transaction (``tell_about_message``). Raises ``lifecycle.TransitionRefused`` on a
    closed request."""
    message = post_message(request, body, sender=sender, author=author, address=address)
    db.session.commit()
    return message


def post_message(request: SupportRequest, body: str, *, sender: str, author: User | None = None,
                 address: str | None = None) -> RequestMessage:
    """``add_message`` without the commit (app/services/bulk.py sends one message to many)."""
    if not lifecycle.is_open(request.status):
        raise lifecycle.TransitionRefused("request", request.status, request.status, "closed")
    message = RequestMessage(sender=sender, body=body, author=author)
    request.messages.append(message)
    db.session.flush()
    record_event(author or MUNICIPALITY, "request.message_added", "support_request", request.id,
                 after={"sender": sender}, client_address=address)
    tell_about_message(message)
    return message


EXCERPT_CHARS = 140


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """The start of ``text`` on one line, for a staff notice (``…`` if cut)."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def tell_about_message(message: RequestMessage) -> None:
    """The notices of a new message (not committed; the caller's commit carries them):
    the town hears of the coordinators' and the evangelist's (``message_to_town``, with
    the text and its status link), the coordinators of the town's and the evangelist's,
    the assigned evangelist of the town's and the coordinators' (``request_message``).
    The author is never told of their own message."""
    request = message.request
    assignment = current_assignment(request)
    evangelist = assignment.evangelist.user if assignment is not None and assignment.status == "accepted" else None
    town = request.municipality.name
    if message.sender != MUNICIPALITY:
        family_name = None
        if message.sender == "evangelist" and message.author is not None and message.author.evangelist is not None:
            family_name = message.author.evangelist.family_name
        notify("message_to_town", emails=[request.email], request=request, target=("request_message", message.id),
               params={"town": town, "sender": message.sender, "family_name": family_name,
                       "contact": request.contact_name})
    staff = [] if message.sender == "coordinator" else coordinators(request)
    people = [*staff, *([evangelist] if evangelist is not None and message.sender != "evangelist" else [])]
    if people:
        name = message.author.display_name if message.author is not None else town
        notify("request_message", users=people, request=request, exclude=message.author,
               target=("assignment", assignment.id) if assignment is not None else None,
               params={"town": town, "sender": message.sender, "name": name, "excerpt": excerpt(message.body)})


def change_status(actor: User | str, request: SupportRequest, target: str, *,
                  reason: str | None = None, address: str | None = None) -> None:
    """Move a request *forward* to ``target`` if the lifecycle allows it; audited. Raises
    ``lifecycle.TransitionRefused`` otherwise, changing nothing: reason ``backward`` for a
    move back, which only ``send_back`` makes (with a reason)."""
    move_request(actor, request, target, reason=reason, address=address)
    db.session.commit()


def move_request(actor: User | str, request: SupportRequest, target: str, *,
                 reason: str | None = None, address: str | None = None) -> None:
    """``change_status`` without the commit: for a caller that moves several requests in
    one transaction (app/services/bulk.py)."""
    if target in lifecycle.back_moves("request", request.status):
        raise lifecycle.TransitionRefused("request", request.status, target, "backward")
    allowed = lifecycle.refusal("request", request.status, target) is None
    claimed = claim_if_unowned(actor, request) if allowed and target in ("triaged", "assigned") else {}
    set_status(actor, request, "request", target, action=f"request.{target}", entity_type="support_request",
               after={"status": target, **claimed, **({"reason": reason} if reason else {})}, address=address)
    if target == "declined":
        request.decline_reason = reason
    if not lifecycle.is_open(target):
        request.closed_at = utcnow()
    if target == "completed":
        tell_request_completed(request)
    if target == "withdrawn" and not has_booking(request, ("booked",)):  # else the booking's CANCEL tells
        for assignment in request.assignments:
            if assignment.status in ("proposed", "accepted"):
                tell_called_off(actor, assignment, reason=None, by_town=True)
    if target in ("withdrawn", "declined"):  # a completed request keeps the visit it had
        from app.services.bookings import end_with_request  # it imports this module

        end_with_request(actor, request, address=address)


def send_back(actor: User, request: SupportRequest, target: str, *, reason: str,
              address: str | None = None) -> list[Assignment]:
    """Move a request *back* (``lifecycle.back_moves``: from assigned or scheduled to
    triaged), with the coordinator's reason: its proposed and accepted assignments are
    cancelled (their evangelists see it on their page), audited ``request.sent_back`` with
    the reason. Raises ``lifecycle.TransitionRefused`` for anything but a back move (a
    forward move goes through ``change_status``); nothing changes then. Returns the
    cancelled assignments."""
    if target not in lifecycle.send_back_moves(request.status):
        reason_code = lifecycle.refusal("request", request.status, target) or "not_allowed"
        raise lifecycle.TransitionRefused("request", request.status, target, reason_code)
    from app.services.bookings import cancel_with_request  # it imports this module

    cancel_with_request(actor, request, reason, address=address)
    cancelled = cancel_open_assignments(actor, request, reason=reason, address=address)
    set_status(actor, request, "request", target, action="request.sent_back", entity_type="support_request",
               after={"status": target, "reason": reason,
                      **({"cancelled_assignments": [a.id for a in cancelled]} if cancelled else {})},
               address=address)
    db.session.commit()
    return cancelled


@dataclass(frozen=True)
class QueueFilters:
    status: str = ""
    prefecture: str = ""
    topic: str = ""
    owner: str = ""  # "" anyone, "mine" (the viewer's), "none" (nobody's yet), "mine_or_none"
    statuses: tuple[str, ...] = field(default=OPEN_REQUEST_STATUSES)
    viewer: int | None = None  # whose "mine"
    regions: frozenset[str] | None = None  # a regional coordinator's regions; None: all


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
            selectinload(SupportRequest.owner),
            selectinload(SupportRequest.recorded_by),
        )
        .order_by(sa.case((SupportRequest.status == "new", 0), else_=1), SupportRequest.created_at)
    )
    if filters.status:
        stmt = stmt.where(SupportRequest.status == filters.status)
    else:
        stmt = stmt.where(SupportRequest.status.in_(filters.statuses))
    if filters.regions is not None:
        stmt = stmt.where(Prefecture.region.in_(sorted(filters.regions)))
    if filters.prefecture:
        stmt = stmt.where(Prefecture.code == filters.prefecture)
    if filters.topic:
        stmt = stmt.where(SupportRequest.topics.any(Topic.slug == filters.topic))
    if filters.owner == "mine":
        stmt = stmt.where(SupportRequest.owner_id == filters.viewer)
    elif filters.owner == "none":
        stmt = stmt.where(SupportRequest.owner_id.is_(None))
    elif filters.owner == "mine_or_none":
        stmt = stmt.where(sa.or_(SupportRequest.owner_id == filters.viewer, SupportRequest.owner_id.is_(None)))
    return stmt


def get_request(request_id: int) -> SupportRequest | None:
    return db.session.get(SupportRequest, request_id)


def queue_page(filters: QueueFilters, *, page: int, per_page: int) -> Page:
    """Page ``page`` of the ``request_queue``."""
    return page_of(request_queue(filters), page, per_page)


def count_by_status(regions: frozenset[str] | None = None) -> dict[str, int]:
    """How many requests are in each status (one query), in ``regions`` (None: all)."""
    stmt = sa.select(SupportRequest.status, sa.func.count()).group_by(SupportRequest.status)
    if regions is not None:
        stmt = stmt.join(SupportRequest.municipality).join(Municipality.prefecture).where(
            Prefecture.region.in_(sorted(regions)))
    rows = db.session.execute(stmt).all()
    return dict(rows)


def request_history(request: SupportRequest) -> list[AuditEvent]:
    """The request's events, oldest first, with those of its assignments and their visits
    (proposed, accepted, declined, a visit logged), each with its actor loaded."""
    assignment_ids = [a.id for a in request.assignments]
    visit_ids = [v.id for a in request.assignments for v in a.visits]
    about = [sa.and_(AuditEvent.entity_type == "support_request", AuditEvent.entity_id == request.id)]
    if assignment_ids:
        about.append(sa.and_(AuditEvent.entity_type == "assignment", AuditEvent.entity_id.in_(assignment_ids)))
    if visit_ids:
        about.append(sa.and_(AuditEvent.entity_type == "visit", AuditEvent.entity_id.in_(visit_ids)))
    return list(
        db.session.scalars(
            sa.select(AuditEvent)
            .where(sa.or_(*about))
            .options(joinedload(AuditEvent.actor))
            .order_by(AuditEvent.created_at, AuditEvent.id)
        )
    )


def current_assignment(request: SupportRequest) -> Assignment | None:
    """The evangelist's assignment the municipality is told about: the latest one the
    evangelist accepted (or completed). A mere proposal is never it."""
    taken = [a for a in request.assignments if a.status in ("accepted", "completed")]
    return max(taken, key=lambda a: (a.created_at, a.id)) if taken else None


@dataclass(frozen=True)
class TownView:
    """What the municipality's status page says about where its request stands.

    ``stage`` is a request status as the town should understand it: a request that is
    ``assigned`` only because a coordinator *proposed* someone still reads as
    ``triaged`` (we are finding an evangelist) until that evangelist accepts. The
    evangelist is named by family name only, and only once they have taken the request
    on (assigned, scheduled, completed)."""

    stage: str
    evangelist_family_name: str | None = None
    community_name: str | None = None


def town_view(request: SupportRequest) -> TownView:
    accepted = current_assignment(request)
    if request.status == "assigned" and (accepted is None or accepted.status != "accepted"):
        return TownView("triaged")
    if request.status not in ("assigned", "scheduling", "scheduled", "completed") or accepted is None:
        return TownView(request.status)
    evangelist = accepted.evangelist
    community = evangelist.home_community
    return TownView(request.status, evangelist.family_name, community.name if community else None)


def reseal_status_tokens() -> tuple[int, list[int]]:
    """Seal every request's status token again with the first key of
    TOTP_ENCRYPTION_KEYS (``flask totp rotate-key`` runs it after the authenticator
    secrets). Returns ``(how many, ids that no key opens)``; those keep their value (their
    towns get no link in later mails until they ask for it again on the status page)."""
    count, broken = 0, []
    for request in db.session.scalars(
        sa.select(SupportRequest).where(SupportRequest.token_sealed.is_not(None)).order_by(SupportRequest.id)
    ):
        token = unseal(request.token_sealed)
        if token is None:
            broken.append(request.id)
            continue
        request.token_sealed = seal(token)
        count += 1
    if count:
        record_event("system", "request.status_tokens_resealed", "support_request", None, after={"count": count})
    db.session.commit()
    return count, broken


def coordinator_emails() -> list[str]:
    return [user.email for user in coordinators()]


def coordinators(about: object | None = None) -> list[User]:
    """The coordinators who hear about requests (active accounts); with ``about`` (a
    request, or anything with a region), those whose regions include it: a regional
    coordinator hears of their regions only."""
    staff = list(db.session.scalars(
        sa.select(User).where(User.role == "coordinator", User.is_active.is_(True)).order_by(User.id)
        .options(selectinload(User.region_rows))
    ))
    return staff if about is None else [user for user in staff if can_see(user, about)]


def _municipality(code: str) -> Municipality:
    municipality = db.session.scalar(sa.select(Municipality).where(Municipality.code == code))
    if municipality is None:
        raise ValueError(f"unknown municipality {code}")
    return municipality


def _topics(slugs: tuple[str, ...]) -> list[Topic]:
    return list(db.session.scalars(sa.select(Topic).where(Topic.slug.in_(slugs)).order_by(Topic.position)))
