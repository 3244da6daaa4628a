"""The request's dialogue: the assigned evangelist's messages with the town, the
coordinators' internal notes, and a town's status link mailed again.

Messages the town sees are ``RequestMessage`` rows written by
``app.services.requests.add_message`` (which also writes their notices). Internal notes
are ``RequestNote`` rows: nothing that shows a request to its town reads that table.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import Assignment, RequestMessage, RequestNote, SupportRequest, User
from app.models.base import utcnow
from app.secrets_at_rest import seal, unseal
from app.services.audit import record_event
from app.services.notices import notify
from app.services.requests import MUNICIPALITY, add_message, hash_token
from evangelists import lifecycle
from evangelists.errors import Refused

# A closed request's link is mailed again for this long after it closed (the town may
# still want to read the thread or answer the feedback question).
RECENT_DAYS = 90


class DialogueRefused(Refused):
    scope = "dialogue"


# --- The evangelist's thread with the town ---------------------------------------------------

def _check_evangelist(actor: User, assignment: Assignment, statuses: tuple[str, ...]) -> None:
    if assignment.evangelist.user_id != actor.id:
        raise DialogueRefused(None, "not_yours")
    if assignment.status not in statuses:
        raise DialogueRefused(None, "not_accepted")


def thread_of(actor: User, assignment: Assignment) -> list[RequestMessage]:
    """The messages of the assignment's request, oldest first, for its evangelist while
    the assignment is accepted (or completed: read only). Everything the town sees; never
    the coordinators' notes. Refused (``DialogueRefused``) for anyone else."""
    _check_evangelist(actor, assignment, ("accepted", "completed"))
    return list(db.session.scalars(
        sa.select(RequestMessage)
        .where(RequestMessage.request_id == assignment.request_id)
        .options(selectinload(RequestMessage.author).selectinload(User.evangelist))
        .order_by(RequestMessage.created_at, RequestMessage.id)
    ))


def can_write(assignment: Assignment) -> bool:
    """Whether the assignment's evangelist may write in the thread now."""
    return assignment.status == "accepted" and lifecycle.is_open(assignment.request.status)


def write_to_town(actor: User, assignment: Assignment, body: str, *, address: str | None = None) -> RequestMessage:
    """The evangelist's message in the request's thread: the town sees it signed with the
    evangelist's family name and "伝道師" (never the full name or e-mail); the town and
    the coordinators are told. Audited. Refused unless ``actor`` is the evangelist of this
    accepted assignment (``DialogueRefused``) or while the request is closed
    (``lifecycle.TransitionRefused``)."""
    _check_evangelist(actor, assignment, ("accepted",))
    return add_message(assignment.request, body, sender="evangelist", author=actor, address=address)


def signature_of(message: RequestMessage) -> str | None:
    """The family name the town sees on an evangelist's message (None if unknown)."""
    author = message.author
    if message.sender != "evangelist" or author is None or author.evangelist is None:
        return None
    return author.evangelist.family_name


# --- Internal notes --------------------------------------------------------------------------

def add_note(actor: User, request: SupportRequest, body: str, *, address: str | None = None) -> RequestNote:
    """A coordinator's internal note on ``request``: for coordinators and admins only,
    never shown or mailed to the town or the evangelist. Audited (without its text)."""
    note = RequestNote(request_id=request.id, author=actor, body=body)
    db.session.add(note)
    db.session.flush()
    record_event(actor, "request.note_added", "support_request", request.id, client_address=address)
    db.session.commit()
    return note


def notes_of(request: SupportRequest) -> list[RequestNote]:
    """The request's internal notes, newest first, with their authors (one query)."""
    return list(db.session.scalars(
        sa.select(RequestNote).where(RequestNote.request_id == request.id)
        .options(selectinload(RequestNote.author))
        .order_by(RequestNote.created_at.desc(), RequestNote.id.desc())
    ))


# --- The status link mailed again ------------------------------------------------------------

def _matching_request(number: int, email: str) -> SupportRequest | None:
    """The request ``number`` if ``email`` is its contact's address (any case) and it is
    open or closed within ``RECENT_DAYS``: one query."""
    since = utcnow() - timedelta(days=RECENT_DAYS)
    return db.session.scalar(
        sa.select(SupportRequest).where(
            SupportRequest.id == number,
            sa.func.lower(SupportRequest.email) == email.strip().lower(),
            sa.or_(SupportRequest.closed_at.is_(None), SupportRequest.closed_at >= since),
        )
    )


def resend_status_link(number: int, email: str, *, address: str | None = None) -> bool:
    """Mail the status link of request ``number`` to its contact if ``email`` is the
    contact's address and the request is open or recent (notice ``status_link``, to that
    address only, never to the one typed). A request sent before its token was kept
    sealed (migration 0010), or whose sealed copy no configured key opens, gets a new
    token, so the link can be mailed; its old link stops working and the mail says so. Audited ``request.status_link_sent`` (``_renewed`` with a new token). True if a
    mail was queued; the page must answer the same either way."""
    if not 0 < number < 2**31 or not email:
        return False
    request = _matching_request(number, email)
    if request is None:
        return False
    # No sealed copy (sent before 0010), or none that the configured keys still open.
    renewed = request.token_sealed is None or unseal(request.token_sealed) is None
    if renewed:
        token = secrets.token_urlsafe(32)
        request.token_hash, request.token_sealed = hash_token(token), seal(token)
    notify("status_link", emails=[request.email], request=request,
           params={"town": request.municipality.name, "contact": request.contact_name, "renewed": renewed})
    record_event(MUNICIPALITY, "request.status_link_renewed" if renewed else "request.status_link_sent",
                 "support_request", request.id, client_address=address)
    db.session.commit()
    return True
