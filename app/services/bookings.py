"""Booked visits: the evangelist offers times, the town picks one, anyone involved moves or
cancels it; each step audited and told to the others (notices with an .ics invitation).

The request follows (``evangelists.lifecycle``): offering times makes it ``scheduling``,
the town's pick ``scheduled``; a cancelled offer or booking returns it to ``assigned``
(``lifecycle.status_before_scheduling``) unless a visit was already logged. Every function
here is one transaction; the notices ride in it (an outbox: app/services/notices.py).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import Assignment, Booking, CalendarFeed, Evangelist, Notice, SupportRequest, User, VisitSlot
from app.models.base import utcnow
from app.services.audit import record_event
from app.services.notices import notify
from app.services.regions import can_see, requests_visible, scope_of
from app.services.requests import MUNICIPALITY, coordinators
from app.services.status import set_status, write_while
from evangelists import lifecycle
from evangelists.bookings import (
    ATTENDEES_MAX,
    BookingRefused,
    SlotInput,
    check_reason,
    check_slot,
    check_slots,
    check_where,
)
from evangelists.calendar import start_of_day_in_japan
from evangelists.ical import VisitEvent, booking_uid, calendar_of, invitation

STAFF_ROLES = ("coordinator", "admin")


@dataclass(frozen=True)
class OfferInput:
    """What the evangelist typed: the slots, how and where, who attends."""

    slots: tuple[SlotInput, ...]
    mode: str
    place: str = ""
    meeting_url: str = ""
    attendees: str = ""


# --- Who may do what ------------------------------------------------------------------------------

def _owns(user: User, assignment: Assignment) -> bool:
    return assignment.evangelist.user_id is not None and assignment.evangelist.user_id == user.id


def can_manage(user: User, booking: Booking) -> bool:
    """The booking's evangelist or staff (of the town's region) may move or cancel it."""
    return (user.role in STAFF_ROLES and can_see(user, booking.request)) or _owns(user, booking.assignment)


# --- Reading ----------------------------------------------------------------------------------------

def live_booking(assignment: Assignment) -> Booking | None:
    """The assignment's offer waiting for the town, or its booking (at most one)."""
    return db.session.scalar(
        sa.select(Booking)
        .where(Booking.assignment_id == assignment.id, Booking.status.in_(("offered", "booked")))
        .options(selectinload(Booking.slots))
    )


def live_bookings_of(assignment_ids: list[int]) -> dict[int, Booking]:
    """``{assignment id: its live offer or booking}`` for a page of assignments (one query)."""
    if not assignment_ids:
        return {}
    rows = db.session.scalars(
        sa.select(Booking)
        .where(Booking.assignment_id.in_(assignment_ids), Booking.status.in_(("offered", "booked")))
        .options(selectinload(Booking.slots))
    )
    return {row.assignment_id: row for row in rows}


def request_booking(request: SupportRequest) -> Booking | None:
    """What the town's status page shows: the live offer or booking of the evangelist the
    town is told about (an accepted assignment)."""
    return db.session.scalar(
        sa.select(Booking)
        .join(Booking.assignment)
        .where(Booking.request_id == request.id, Booking.status.in_(("offered", "booked")),
               Assignment.status == "accepted")
        .options(selectinload(Booking.slots))
        .order_by(Booking.id.desc())
        .limit(1)
    )


def get_booking(booking_id: int) -> Booking | None:
    return db.session.get(Booking, booking_id)


def _confirmed(*, done_too: bool = False) -> sa.Select:
    """Booked visits whose assignment is still accepted and whose request is scheduled;
    with ``done_too`` also those of completed work (a calendar keeps past visits)."""
    assignment_statuses = ("accepted", "completed") if done_too else ("accepted",)
    request_statuses = ("scheduled", "completed") if done_too else ("scheduled",)
    return (
        sa.select(Booking)
        .join(Booking.assignment)
        .join(Booking.request)
        .where(Booking.status == "booked", Assignment.status.in_(assignment_statuses),
               SupportRequest.status.in_(request_statuses))
        .options(
            selectinload(Booking.request).selectinload(SupportRequest.municipality),
            selectinload(Booking.assignment).selectinload(Assignment.evangelist).selectinload(Evangelist.user),
            selectinload(Booking.assignment).selectinload(Assignment.proposed_by),
        )
        .order_by(Booking.starts_at, Booking.id)
    )


def bookings_on(day: date) -> list[Booking]:
    """The confirmed bookings starting on the Japanese date ``day``, earliest first, with
    ``booking.request`` (its ``email``, ``contact_name``, ``municipality``),
    ``booking.assignment.evangelist`` (and ``.user``) and ``assignment.proposed_by``
    loaded. For the "visit tomorrow" reminder."""
    return booked_between(day, day)


def booked_between(first_day: date, last_day: date) -> list[Booking]:
    """The confirmed bookings starting from the Japanese date ``first_day`` to
    ``last_day`` (both included), earliest first, loaded as ``bookings_on`` says."""
    start = start_of_day_in_japan(first_day)
    end = start_of_day_in_japan(last_day + timedelta(days=1))
    return list(db.session.scalars(_confirmed().where(Booking.starts_at >= start, Booking.starts_at < end)))


# --- Offering times ---------------------------------------------------------------------------------

def offer_times(actor: User, assignment: Assignment, data: OfferInput, *, now: datetime | None = None,
                address: str | None = None) -> Booking:
    """The assignment's evangelist offers visit times to the town. The assignment must be
    accepted and the request ``assigned`` or already ``scheduling`` (a new offer then
    replaces the one the town has not picked from). Raises ``BookingRefused`` (bad input,
    ``not_yours``, ``not_accepted``, ``already_booked``) or ``TransitionRefused``; nothing
    is written then. The town is mailed a notice with its status link."""
    if not _owns(actor, assignment):
        raise BookingRefused(None, "not_yours")
    if assignment.status != "accepted":
        raise BookingRefused(None, "not_accepted")
    slots = check_slots(data.slots, now=now or utcnow())
    where = check_where(data.mode, data.place, data.meeting_url)
    attendees = (data.attendees or "").strip()
    if len(attendees) > ATTENDEES_MAX:
        raise BookingRefused("attendees", "too_long")
    request = assignment.request
    current = live_booking(assignment)
    if current is not None and current.status == "booked":
        raise BookingRefused(None, "already_booked")
    if current is not None:
        set_status(actor, current, "booking", "replaced", action="booking.replaced", entity_type="booking",
                   address=address)
        db.session.flush()  # the live-offer index must see the old one gone first
    elif request.status != "scheduling":
        set_status(actor, request, "request", "scheduling", action="request.scheduling",
                   entity_type="support_request", address=address)
    booking = Booking(
        request=request, assignment=assignment, status="offered", mode=where.mode, place=where.place,
        meeting_url=where.meeting_url or None, attendees=attendees, offered_by_id=actor.id, sequence=0,
        slots=[VisitSlot(starts_at=s.starts_at, ends_at=s.ends_at) for s in slots],
    )
    db.session.add(booking)
    try:
        db.session.flush()
    except sa.exc.IntegrityError:  # another offer for this assignment was saved meanwhile
        db.session.rollback()
        raise BookingRefused(None, "not_offered") from None
    record_event(actor, "booking.offered", "booking", booking.id,
                 after={"request": request.id, "slots": [s.starts_at.isoformat() for s in slots],
                        "mode": where.mode},
                 client_address=address)
    notify("booking_offered", emails=[request.email], request=request, target=("booking", booking.id),
           params={**_words(request, assignment), "count": len(slots),
                   "slots": [[s.starts_at.isoformat(), s.ends_at.isoformat()] for s in slots]})
    db.session.commit()
    return booking


# --- The town picks ---------------------------------------------------------------------------------

def pick_slot(request: SupportRequest, slot_id: int, *, now: datetime | None = None,
              address: str | None = None) -> Booking:
    """The town picks one offered slot on its status page: the offer becomes the booking
    and the request ``scheduled``. Raises ``BookingRefused`` (``no_such_slot``,
    ``slot_passed``, ``not_offered``: someone moved first) with nothing changed. The town,
    the evangelist and the coordinators get the booking with its invitation."""
    booking = request_booking(request)
    slot = next((s for s in booking.slots if s.id == slot_id), None) if booking is not None else None
    if booking is None or slot is None:
        raise BookingRefused(None, "no_such_slot")
    if booking.status != "offered":
        raise BookingRefused(None, "not_offered")
    if slot.starts_at < (now or utcnow()):
        raise BookingRefused(None, "slot_passed")
    picked_at = utcnow()

    def write(row: Booking, status: str) -> None:
        try:
            write_while(row, "booking", "offered", "not_offered", status=status, starts_at=slot.starts_at,
                        ends_at=slot.ends_at, booked_at=picked_at)
        except lifecycle.TransitionRefused:
            raise BookingRefused(None, "not_offered") from None

    set_status(MUNICIPALITY, booking, "booking", "booked", write=write, action="booking.booked",
               entity_type="booking", after={"status": "booked", "starts_at": slot.starts_at.isoformat()},
               address=address)
    set_status(MUNICIPALITY, request, "request", "scheduled", action="request.scheduled",
               entity_type="support_request", address=address, only_if_allowed=True)
    _tell_everyone("booking_booked", booking, actor=None)
    db.session.commit()
    return booking


# --- Moving and cancelling --------------------------------------------------------------------------

def move_booking(actor: User, booking: Booking, slot: SlotInput, *, now: datetime | None = None,
                 address: str | None = None) -> Booking:
    """The evangelist or a coordinator moves a booked visit to a new time (Japan's); its
    SEQUENCE goes up so calendars replace the old time. Raises ``BookingRefused``
    (``not_yours``, ``not_booked``, ``unchanged`` or the slot's own refusals)."""
    if not can_manage(actor, booking):
        raise BookingRefused(None, "not_yours")
    if booking.status != "booked":
        raise BookingRefused(None, "not_booked")
    kept = check_slot(slot, now=now or utcnow(), field="slot")
    if (kept.starts_at, kept.ends_at) == (booking.starts_at, booking.ends_at):
        raise BookingRefused("slot", "unchanged")
    before = {"starts_at": booking.starts_at.isoformat(), "ends_at": booking.ends_at.isoformat()}
    booking.starts_at, booking.ends_at = kept.starts_at, kept.ends_at
    booking.sequence += 1
    record_event(actor, "booking.moved", "booking", booking.id, before=before,
                 after={"starts_at": kept.starts_at.isoformat(), "ends_at": kept.ends_at.isoformat()},
                 client_address=address)
    _tell_everyone("booking_moved", booking, actor=actor,
                   extra={"was_starts": before["starts_at"], "was_ends": before["ends_at"]})
    db.session.commit()
    return booking


def cancel_booking(actor: User, booking: Booking, reason: str, *, address: str | None = None,
                   commit: bool = True) -> Booking:
    """The evangelist or a coordinator cancels an offer or a booking, with a reason. The
    request goes back to ``assigned`` (the evangelist offers other times) unless a visit
    was already logged. Everyone else involved is told (a booking's invitation becomes a
    METHOD:CANCEL). ``commit=False`` leaves the commit to the caller (a send-back)."""
    if not can_manage(actor, booking):
        raise BookingRefused(None, "not_yours")
    reason = check_reason(reason)
    was = booking.status
    set_status(actor, booking, "booking", "cancelled", action="booking.cancelled", entity_type="booking",
               after={"status": "cancelled", "reason": reason}, address=address)
    booking.cancel_reason, booking.cancelled_at = reason, utcnow()
    if was == "booked":
        booking.sequence += 1
    request = booking.request
    if request.status in ("scheduling", "scheduled") and not booking.assignment.visits:
        target = lifecycle.status_before_scheduling()
        set_status(actor, request, "request", target, action="request.unscheduled", entity_type="support_request",
                   after={"status": target, "reason": reason}, address=address, only_if_allowed=True)
    _tell_everyone("booking_cancelled", booking, actor=actor, extra={"reason": reason, "was": was})
    if commit:
        db.session.commit()
    return booking


def end_with_request(actor: User | str, request: SupportRequest, *, address: str | None = None) -> None:
    """The request is withdrawn (by the town) or declined: its live offers and bookings
    are cancelled with it, inside the caller's transaction, and
    everyone else involved gets the cancellation (a booking's invitation as METHOD:CANCEL,
    so it leaves their calendars). The town is told too unless it closed it itself."""
    for booking in db.session.scalars(
        sa.select(Booking).where(Booking.request_id == request.id, Booking.status.in_(("offered", "booked")))
    ):
        was = booking.status
        set_status(actor, booking, "booking", "cancelled", action="booking.cancelled", entity_type="booking",
                   after={"status": "cancelled", "request": request.status}, address=address)
        booking.cancel_reason, booking.cancelled_at = "", utcnow()
        if was == "booked":
            booking.sequence += 1
        if was == "booked" or actor != MUNICIPALITY:
            _tell_everyone("booking_cancelled", booking, actor=actor if isinstance(actor, User) else None,
                           extra={"reason": "", "was": was, "closed": request.status},
                           town=actor != MUNICIPALITY)


def cancel_with_request(actor: User, request: SupportRequest, reason: str, *, address: str | None = None) -> None:
    """A coordinator sends the request back: its live offers and bookings end with it
    (inside the caller's transaction)."""
    for booking in db.session.scalars(
        sa.select(Booking).where(Booking.request_id == request.id, Booking.status.in_(("offered", "booked")))
    ):
        cancel_booking(actor, booking, reason, address=address, commit=False)


# --- Notices ------------------------------------------------------------------------------------

def _words(request: SupportRequest, assignment: Assignment) -> dict:
    return {"town": request.municipality.name, "evangelist": assignment.evangelist.family_name,
            "contact": request.contact_name}


def booking_words(booking: Booking) -> dict:
    """A booking's words for a notice (mail/_booking_facts.txt): town, evangelist's family
    name, contact, mode, place, attendees and, once booked, start and end (ISO). Never the
    meeting address: it travels in the invitation only."""
    params = {**_words(booking.request, booking.assignment), "mode": booking.mode, "place": booking.place,
              "attendees": booking.attendees}
    if booking.starts_at is not None:
        params["starts"], params["ends"] = booking.starts_at.isoformat(), booking.ends_at.isoformat()
    return params


def _coordinators_of(assignment: Assignment) -> list[User]:
    """The coordinator who proposed the evangelist, or every coordinator if that one is gone."""
    proposer = assignment.proposed_by
    if proposer is not None and proposer.is_active and proposer.role in STAFF_ROLES:
        return [proposer]
    return coordinators(assignment.request)


def _tell_everyone(kind: str, booking: Booking, *, actor: User | None, extra: dict | None = None,
                   town: bool = True) -> None:
    """Town (mail), evangelist and coordinators, except ``actor`` (the town is never the
    actor of these when a person acts; it picks itself and is told as confirmation)."""
    request, assignment = booking.request, booking.assignment
    params = {**booking_words(booking), **(extra or {})}
    users = [assignment.evangelist.user, *_coordinators_of(assignment)]
    notify(kind, users=[u for u in users if u is not None], emails=[request.email] if town else [], request=request,
           target=("booking", booking.id), params=params, exclude=actor)


# --- Calendar invitations -----------------------------------------------------------------------

def _host() -> str:
    return urlsplit(current_app.config.get("PUBLIC_BASE_URL") or "").hostname or "evangelist-network.invalid"


def visit_event(booking: Booking) -> VisitEvent:
    """The calendar's view of a booking (the mail's invitation and the feeds)."""
    request, assignment = booking.request, booking.assignment
    town = request.municipality.name
    summary = f"オープンデータ伝道師 訪問: {town} / Open data evangelist visit: {town}"
    lines = [f"{town} {request.department} {request.contact_name}",
             f"伝道師 / Evangelist: {assignment.evangelist.family_name}"]
    if booking.attendees:
        lines.append(f"参加者 / Attendees: {booking.attendees}")
    lines.append(f"依頼 / Request: {request.id}")
    if booking.status == "cancelled" and booking.cancel_reason:
        lines.append(f"取消の理由 / Reason for cancelling: {booking.cancel_reason}")
    return VisitEvent(
        uid=booking_uid(booking.id, _host()), sequence=booking.sequence,
        starts_at=booking.starts_at, ends_at=booking.ends_at, summary=summary, description="\n".join(lines),
        location=booking.place if booking.mode == "onsite" else "",
        url=(booking.meeting_url or "") if booking.mode == "online" else "",
        cancelled=booking.status == "cancelled", stamp=booking.cancelled_at or booking.updated_at or utcnow(),
        organizer_email=_sender_address(),
    )


def _sender_address() -> str:
    from email.utils import parseaddr

    return parseaddr(current_app.config.get("MAIL_SENDER") or "")[1]


def invitation_for(booking: Booking) -> tuple[bytes, str] | None:
    """``(ics, method)`` of a booking that has a time; None for an offer nobody picked."""
    if booking.starts_at is None or booking.ends_at is None:
        return None
    return invitation(visit_event(booking))


def attach_invitation(notice: Notice) -> list:
    """``app.mail.ATTACHERS`` for the booking kinds: the booking's invitation as it is now
    (a mail sent after a later move carries the later time and SEQUENCE)."""
    from app.mail import Attachment

    booking = db.session.get(Booking, notice.target_id) if notice.target_type == "booking" else None
    made = invitation_for(booking) if booking is not None else None
    if made is None:
        return []
    data, method = made
    return [Attachment("invite.ics", "text/calendar", data, (("method", method), ("charset", "utf-8")))]


# --- Private calendar feeds ---------------------------------------------------------------------

def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def feed_of(user: User) -> CalendarFeed | None:
    return db.session.scalar(sa.select(CalendarFeed).where(CalendarFeed.user_id == user.id))


def make_feed(actor: User, *, address: str | None = None) -> str:
    """A new private feed token for ``actor`` (returned once, only its hash kept); the old
    address stops working. Audited."""
    token = secrets.token_urlsafe(32)
    feed = feed_of(actor)
    if feed is None:
        db.session.add(CalendarFeed(user_id=actor.id, token_hash=_hash(token), created_at=utcnow()))
    else:
        feed.token_hash, feed.created_at = _hash(token), utcnow()
    record_event(actor, "calendar_feed.made", "user", actor.id, client_address=address)
    db.session.commit()
    return token


def turn_off_feed(actor: User, *, address: str | None = None) -> bool:
    """Delete ``actor``'s feed (its address stops working). False if there was none."""
    feed = feed_of(actor)
    if feed is None:
        return False
    db.session.delete(feed)
    record_event(actor, "calendar_feed.turned_off", "user", actor.id, client_address=address)
    db.session.commit()
    return True


def feed_owner(token: str) -> User | None:
    """The active person whose feed token this is, or None."""
    if not token or len(token) > 100:
        return None
    feed = db.session.scalar(sa.select(CalendarFeed).where(CalendarFeed.token_hash == _hash(token)))
    if feed is None or not feed.user.is_active:
        return None
    return feed.user


def feed_bookings(user: User) -> list[Booking]:
    """What ``user``'s feed lists: an evangelist's own booked visits; staff see them all
    (past ones of completed work too; cancelled ones leave the calendar)."""
    query = _confirmed(done_too=True)
    if user.role not in STAFF_ROLES:
        query = query.where(Evangelist.user_id == user.id).join(Assignment.evangelist)
    else:  # a regional coordinator's calendar holds their regions' visits
        query = query.where(requests_visible(scope_of(user)))
    return list(db.session.scalars(query))


def feed_calendar(user: User) -> bytes:
    return calendar_of((visit_event(b) for b in feed_bookings(user)),
                       name="オープンデータ伝道師の訪問 / Evangelist visits")
