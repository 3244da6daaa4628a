"""The coordinator's work queue (issue 20, point 2): what needs someone today, grouped.

Six groups, each oldest first, each row with its age and whether it is past its target:

* ``untriaged``: new requests past the triage target (working days since arrival);
* ``unanswered``: proposals the evangelist has not answered (days since the proposal);
* ``unbooked``: accepted, with no visit booked yet (working days since the answer);
* ``follow_up``: back in the queue after a visit that asked for a follow-up (working days
  since that visit);
* ``booked``: visits booked this week, Monday to Sunday in Japan (no age: the day);
* ``waiting``: the towns waiting longest for an evangelist (new or triaged; working days).

The targets are the reminders' (config ``REMINDER_TRIAGE_WORKING_DAYS``,
``REMINDER_PROPOSAL_DAYS``, ``REMINDER_BOOKING_WORKING_DAYS``), so the page and the
reminders agree on what is late. ``mine`` narrows every group to the viewer's requests and
those nobody owns yet (so nothing falls between two chairs). Each group reads a count and
its first ``limit`` rows: a fixed number of statements whatever the size of the network.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import Assignment, Booking, Municipality, Outcome, SupportRequest, User, Visit
from app.services.regions import requests_visible, scope_of
from evangelists.calendar import day_in_japan, start_of_day_in_japan
from evangelists.workdays import working_days_between, working_deadline

GROUPS = ("untriaged", "unanswered", "unbooked", "follow_up", "booked", "waiting")
WORK_QUEUE_ROWS = 8  # rows shown per group; the rest through the group's link


@dataclass(frozen=True)
class WorkItem:
    request: SupportRequest
    age: int | None  # in the group's unit (working days, or days for proposals); None: booked
    overdue: bool
    assignment: Assignment | None = None
    booking: Booking | None = None


@dataclass(frozen=True)
class WorkGroup:
    key: str
    items: list[WorkItem]
    total: int
    target: int | None  # the group's target in its unit, if it has one


def work_queue(viewer: User, *, mine: bool, today: date, limit: int | None = None) -> list[WorkGroup]:
    """The six groups for ``viewer`` on the Japanese date ``today``, in ``GROUPS`` order,
    each with its first ``limit`` rows (default WORK_QUEUE_ROWS)."""
    config = current_app.config
    limit = limit or WORK_QUEUE_ROWS
    scope = sa.and_(
        sa.or_(SupportRequest.owner_id == viewer.id, SupportRequest.owner_id.is_(None)) if mine else sa.true(),
        requests_visible(scope_of(viewer)),
    )
    return [
        _untriaged(scope, today, config["REMINDER_TRIAGE_WORKING_DAYS"], limit),
        _unanswered(scope, today, config["REMINDER_PROPOSAL_DAYS"], limit),
        _unbooked(scope, today, config["REMINDER_BOOKING_WORKING_DAYS"], limit),
        _follow_up(scope, today, limit),
        _booked(scope, today, limit),
        _waiting(scope, today, limit),
    ]


def _requests(ids: list[int]) -> dict[int, SupportRequest]:
    """The requests ``ids`` with their town, prefecture and owner (three statements)."""
    if not ids:
        return {}
    rows = db.session.scalars(
        sa.select(SupportRequest).where(SupportRequest.id.in_(ids)).options(
            selectinload(SupportRequest.municipality).selectinload(Municipality.prefecture),
            selectinload(SupportRequest.owner))
    )
    return {r.id: r for r in rows}


def _working_age(moment: datetime, today: date) -> int:
    return working_days_between(day_in_japan(moment), today)


def _past(moment: datetime, working_days: int, today: date) -> bool:
    """Whether the target of ``working_days`` from ``moment`` falls on ``today`` or before:
    the reminders' own deadline (``working_deadline``: the clock runs on working days
    only), by the day, as the page is kept per Japanese date."""
    return day_in_japan(working_deadline(moment, working_days)) <= today


def _untriaged(scope, today: date, target: int, limit: int) -> WorkGroup:
    # n working days are at least n calendar days: the database drops the recent ones, the
    # reminders' deadline decides the rest.
    candidates = db.session.execute(
        sa.select(SupportRequest.id, SupportRequest.created_at)
        .where(SupportRequest.status == "new",
               SupportRequest.created_at < start_of_day_in_japan(today - timedelta(days=target - 1)), scope)
        .order_by(SupportRequest.created_at, SupportRequest.id)
    ).all()
    late = [(rid, at) for rid, at in candidates if _past(at, target, today)]
    shown = late[:limit]
    requests = _requests([rid for rid, _at in shown])
    items = [WorkItem(requests[rid], _working_age(at, today), True) for rid, at in shown]
    return WorkGroup("untriaged", items, len(late), target)


def _assignments(where, order, limit: int) -> tuple[list[Assignment], int]:
    base = sa.select(Assignment).join(Assignment.request).where(*where)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(base.subquery()))
    rows = list(db.session.scalars(
        base.order_by(*order).limit(limit).options(
            selectinload(Assignment.evangelist),
            selectinload(Assignment.request).selectinload(SupportRequest.municipality)
            .selectinload(Municipality.prefecture),
            selectinload(Assignment.request).selectinload(SupportRequest.owner))
    ))
    return rows, total


def _unanswered(scope, today: date, target: int, limit: int) -> WorkGroup:
    rows, total = _assignments((Assignment.status == "proposed", scope), (Assignment.created_at, Assignment.id), limit)
    items = []
    for a in rows:
        age = (today - day_in_japan(a.created_at)).days
        items.append(WorkItem(a.request, age, age >= target, assignment=a))
    return WorkGroup("unanswered", items, total, target)


def _unbooked(scope, today: date, target: int, limit: int) -> WorkGroup:
    rows, total = _assignments(
        (Assignment.status == "accepted", SupportRequest.status.in_(("assigned", "scheduling")),
         Assignment.responded_at.is_not(None), scope),
        (Assignment.responded_at, Assignment.id), limit)
    items = []
    for a in rows:
        items.append(WorkItem(a.request, _working_age(a.responded_at, today), _past(a.responded_at, target, today),
                              assignment=a))
    return WorkGroup("unbooked", items, total, target)


def _follow_up(scope, today: date, limit: int) -> WorkGroup:
    asked = (
        sa.select(Assignment.request_id.label("request_id"), sa.func.max(Visit.visited_on).label("visited_on"))
        .join(Visit, Visit.assignment_id == Assignment.id)
        .join(Outcome, Outcome.visit_id == Visit.id)
        .where(Outcome.type == "follow_up_needed")
        .group_by(Assignment.request_id)
        .subquery()
    )
    base = (sa.select(SupportRequest.id, asked.c.visited_on)
            .join(asked, asked.c.request_id == SupportRequest.id)
            .where(SupportRequest.status == "triaged", scope))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(base.subquery()))
    shown = db.session.execute(base.order_by(asked.c.visited_on, SupportRequest.id).limit(limit)).all()
    requests = _requests([rid for rid, _day in shown])
    items = [WorkItem(requests[rid], working_days_between(day, today), False) for rid, day in shown]
    return WorkGroup("follow_up", items, total, None)


def _booked(scope, today: date, limit: int) -> WorkGroup:
    monday = today - timedelta(days=today.weekday())
    start, end = start_of_day_in_japan(monday), start_of_day_in_japan(monday + timedelta(days=7))
    base = (sa.select(Booking).join(Booking.request)
            .where(Booking.status == "booked", Booking.starts_at >= start, Booking.starts_at < end, scope))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(base.subquery()))
    rows = list(db.session.scalars(
        base.order_by(Booking.starts_at, Booking.id).limit(limit).options(
            selectinload(Booking.assignment).selectinload(Assignment.evangelist),
            selectinload(Booking.request).selectinload(SupportRequest.municipality)
            .selectinload(Municipality.prefecture),
            selectinload(Booking.request).selectinload(SupportRequest.owner))
    ))
    items = [WorkItem(b.request, None, False, assignment=b.assignment, booking=b) for b in rows]
    return WorkGroup("booked", items, total, None)


def _waiting(scope, today: date, limit: int) -> WorkGroup:
    base = sa.select(SupportRequest.id, SupportRequest.created_at).where(
        SupportRequest.status.in_(("new", "triaged")), scope)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(base.subquery()))
    shown = db.session.execute(base.order_by(SupportRequest.created_at, SupportRequest.id).limit(limit)).all()
    requests = _requests([rid for rid, _at in shown])
    items = [WorkItem(requests[rid], _working_age(at, today), False) for rid, at in shown]
    return WorkGroup("waiting", items, total, None)


__all__ = ["GROUPS", "WORK_QUEUE_ROWS", "WorkGroup", "WorkItem", "work_queue"]
