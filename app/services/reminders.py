"""Reminders, escalation and the coordinators' morning summary, run by the queue worker.

``run_reminders`` (every 15 minutes) writes the notices whose threshold has passed, for
things still in the state the reminder is about at the moment it runs: a request still
"new", a proposal still "proposed", an accepted assignment whose request is still
"assigned" (no visit booked). Each notice carries a dedupe key naming the object and the
threshold, so a reminder goes once per threshold and person however often this runs,
and a run after a stopped worker catches up with what it missed. ``morning_summary``
(each working-day morning) writes each coordinator one summary, once per Japanese date.

An unanswered proposal is escalated to its coordinator, not withdrawn: the evangelist may
answer on day six, and withdrawing (the request back in the queue, the evangelist told)
is the coordinator's decision, one click on the request's page.

Thresholds are in config (REMINDER_*, ESCALATE_PROPOSAL_DAYS); working days are Japan's
(``evangelists.workdays``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from typing import TypeVar

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import Assignment, Evangelist, Municipality, Prefecture, SupportRequest, User
from app.services.bookings import booked_between, booking_words, bookings_on
from app.services.notices import notify
from app.services.regions import can_see, scope_of
from app.services.requests import coordinators
from evangelists.calendar import day_in_japan, now_in_japan, today_in_japan
from evangelists.workdays import is_working_day, working_days_between, working_deadline

# How many items of each list the summary names (the counts are always complete).
SUMMARY_LIST_MAX = 20

T = TypeVar("T")

REMINDER_KINDS = ("request_untriaged", "proposal_reminder", "proposal_unanswered", "booking_overdue",
                  "visit_tomorrow")


# --- Reminders -------------------------------------------------------------------------------

def run_reminders(now: datetime | None = None) -> dict[str, int]:
    """Write (and commit) every reminder due at ``now`` (aware; default: this moment) that
    was not written before. Returns how many notices of each kind were written."""
    now = now or now_in_japan()  # the one clock (tests freeze evangelists.calendar.utc_now)
    return _committed(lambda: _write_reminders(now))


def _write_reminders(now: datetime) -> dict[str, int]:
    config = current_app.config
    written = dict.fromkeys(REMINDER_KINDS, 0)
    staff = coordinators()
    written["request_untriaged"] = _untriaged_requests(now, config["REMINDER_TRIAGE_WORKING_DAYS"], staff)
    reminded, escalated = _unanswered_proposals(
        now, config["REMINDER_PROPOSAL_DAYS"], config["ESCALATE_PROPOSAL_DAYS"], staff)
    written["proposal_reminder"], written["proposal_unanswered"] = reminded, escalated
    written["booking_overdue"] = _unbooked_assignments(now, config["REMINDER_BOOKING_WORKING_DAYS"], staff)
    written["visit_tomorrow"] = _visits_tomorrow(now, config["REMINDER_VISIT_FROM_HOUR"])
    return written


def _committed(write: Callable[[], T]) -> T:
    """``write()``, committed. Two runs at once (the worker and `flask reminders run`, or
    two workers each running the schedule) may write the same reminder: the unique dedupe
    key lets the first commit win and the other fails (IntegrityError, at a flush or the
    commit); it rolls back and writes once more, now seeing those rows, so only what is
    still missing."""
    try:
        result = write()
        db.session.commit()
        return result
    except sa.exc.IntegrityError:
        db.session.rollback()
    result = write()
    db.session.commit()
    return result


def triage_deadline(request: SupportRequest, working_days: int) -> datetime:
    """The moment ``request`` is overdue for triage: ``working_days`` Japanese working
    days after it arrived."""
    return working_deadline(request.created_at, working_days)


def _untriaged_requests(now: datetime, working_days: int, staff: list[User]) -> int:
    if not staff:
        return 0
    written = 0
    # n working days are at least n calendar days: the database drops the recent ones.
    for request in db.session.scalars(
        _with_town(sa.select(SupportRequest))
        .where(SupportRequest.status == "new", SupportRequest.created_at <= now - timedelta(days=working_days))
        .order_by(SupportRequest.id)
    ).all():
        if triage_deadline(request, working_days) > now:
            continue
        written += len(notify(
            "request_untriaged", users=[user for user in staff if can_see(user, request)], request=request,
            params={**_town(request), "days": working_days, "received": day_in_japan(request.created_at).isoformat()},
            dedupe=f"triage:{request.id}:{working_days}",
        ))
    return written


def _unanswered_proposals(now: datetime, remind_days: int, escalate_days: int, staff: list[User]) -> tuple[int, int]:
    reminded = escalated = 0
    for assignment in db.session.scalars(
        _assignments()
        .where(Assignment.status == "proposed",
               Assignment.created_at <= now - timedelta(days=min(remind_days, escalate_days)))
        .order_by(Assignment.id)
    ).all():
        waited = now - assignment.created_at
        request = assignment.request
        params = {**_town(request), "evangelist": _name(assignment.evangelist),
                  "proposed": day_in_japan(assignment.created_at).isoformat()}
        if waited >= timedelta(days=remind_days):
            reminded += len(notify(
                "proposal_reminder", users=[assignment.evangelist.user], request=request,
                target=("assignment", assignment.id), params={**params, "days": remind_days},
                dedupe=f"proposal:{assignment.id}:{remind_days}",
            ))
        if waited >= timedelta(days=escalate_days):
            escalated += len(notify(
                "proposal_unanswered", users=_coordinators_of(assignment, staff), request=request,
                target=("assignment", assignment.id), params={**params, "days": escalate_days},
                dedupe=f"proposal:{assignment.id}:{escalate_days}",
            ))
    return reminded, escalated


def _unbooked_assignments(now: datetime, working_days: int, staff: list[User]) -> int:
    written = 0
    for assignment in db.session.scalars(
        _assignments()
        .join(Assignment.request)
        .where(Assignment.status == "accepted", SupportRequest.status.in_(("assigned", "scheduling")),
               Assignment.responded_at.is_not(None),
               Assignment.responded_at <= now - timedelta(days=working_days))
        .order_by(Assignment.id)
    ).all():
        if working_deadline(assignment.responded_at, working_days) > now:
            continue
        request = assignment.request
        written += len(notify(
            "booking_overdue", users=[assignment.evangelist.user, *_coordinators_of(assignment, staff)],
            request=request, target=("assignment", assignment.id),
            params={**_town(request), "evangelist": _name(assignment.evangelist), "days": working_days,
                    "accepted": day_in_japan(assignment.responded_at).isoformat()},
            dedupe=f"booking:{assignment.id}:{working_days}",
        ))
    return written


def _visits_tomorrow(now: datetime, from_hour: int) -> int:
    """The day before a booked visit, from ``from_hour`` in Japan: the evangelist and the
    town. Once per booking and time: a visit moved to another day is reminded again."""
    if now_in_japan(now).hour < from_hour:
        return 0
    written = 0
    for booking in bookings_on(today_in_japan(now) + timedelta(days=1)):
        request = booking.request
        evangelist = booking.assignment.evangelist.user
        written += len(notify(
            "visit_tomorrow", users=[evangelist] if evangelist else [], emails=[request.email], request=request,
            target=("booking", booking.id), params=booking_words(booking),
            dedupe=f"visit:{booking.id}:{booking.starts_at.isoformat()}",
        ))
    return written


def _coordinators_of(assignment: Assignment, staff: list[User]) -> list[User]:
    """The coordinator who proposed ``assignment``; every coordinator when that account
    is gone or disabled (someone must hear of it)."""
    proposer = assignment.proposed_by
    if proposer is not None and proposer.is_active:
        return [proposer]
    return [user for user in staff if can_see(user, assignment.request)]


# --- The morning summary ---------------------------------------------------------------------

BookedThisWeek = Callable[[date, date], Sequence[dict]]


def bookings_this_week(week_start: date, week_end: date) -> list[dict]:
    """Summary items for the visits booked from ``week_start`` to ``week_end`` (Monday to
    Sunday, Japanese dates), earliest first, each with its start and end (ISO)."""
    return [{**_town(booking.request), "starts": booking.starts_at.isoformat(), "ends": booking.ends_at.isoformat()}
            for booking in booked_between(week_start, week_end)]


def morning_summary(now: datetime | None = None, *, booked_this_week: BookedThisWeek | None = None) -> int:
    """On a Japanese working day, write (and commit) each coordinator's summary notice
    ("coordinator_summary"): new requests, the stale ones (past the triage target),
    unanswered proposals and the visits booked this week, with counts and the first
    ``SUMMARY_LIST_MAX`` of each. Once per coordinator and Japanese date; nothing on a day
    off or when all four lists are empty. Returns how many notices were written."""
    now = now or now_in_japan()  # the one clock (tests freeze evangelists.calendar.utc_now)
    return _committed(lambda: _write_summaries(now, booked_this_week or bookings_this_week))


def _write_summaries(now: datetime, booked_this_week: BookedThisWeek) -> int:
    today = today_in_japan(now)
    if not is_working_day(today):
        return 0
    staff = coordinators()
    if not staff:
        return 0
    triage_days = current_app.config["REMINDER_TRIAGE_WORKING_DAYS"]
    new = list(db.session.scalars(
        _with_town(sa.select(SupportRequest)).where(SupportRequest.status == "new").order_by(SupportRequest.created_at)
    ))
    stale = [request for request in new if triage_deadline(request, triage_days) <= now]
    proposals = list(db.session.scalars(
        _assignments().where(Assignment.status == "proposed").order_by(Assignment.created_at)
    ))
    week_start = today - timedelta(days=today.weekday())
    booked = list(booked_this_week(week_start, week_start + timedelta(days=6)))
    if not (new or proposals or booked):
        return 0

    def received(request: SupportRequest) -> dict:
        return {**_town(request), "working_days": working_days_between(day_in_japan(request.created_at), today)}

    def summary(new, stale, proposals, booked) -> dict:
        return {
            "date": today.isoformat(),
            "triage_days": triage_days,
            "new_count": len(new), "new": [received(r) for r in new[:SUMMARY_LIST_MAX]],
            "stale_count": len(stale), "stale": [received(r) for r in stale[:SUMMARY_LIST_MAX]],
            "proposals_count": len(proposals),
            "proposals": [{**_town(a.request), "evangelist": _name(a.evangelist),
                           "days": (today - day_in_japan(a.created_at)).days} for a in proposals[:SUMMARY_LIST_MAX]],
            "booked_count": len(booked), "booked": booked[:SUMMARY_LIST_MAX],
        }

    national = summary(new, stale, proposals, booked)
    region_of_number = _regions_of_requests({item.get("number") for item in booked})
    written = 0
    for user in staff:
        scope = scope_of(user)
        if scope.national:
            params = national
        else:  # a regional coordinator's summary counts their regions only
            params = summary([r for r in new if can_see(user, r)], [r for r in stale if can_see(user, r)],
                             [a for a in proposals if can_see(user, a.request)],
                             [b for b in booked if scope.covers(region_of_number.get(b.get("number")))])
            if not (params["new_count"] or params["proposals_count"] or params["booked_count"]):
                continue
        written += len(notify("coordinator_summary", users=[user], params=params,
                              dedupe=f"summary:{today.isoformat()}"))
    return written


def _regions_of_requests(numbers: set) -> dict[int, str]:
    """Request number -> its town's region, for ``numbers`` (one query)."""
    ids = [n for n in numbers if isinstance(n, int)]
    if not ids:
        return {}
    return dict(db.session.execute(
        sa.select(SupportRequest.id, Prefecture.region).join(SupportRequest.municipality)
        .join(Municipality.prefecture).where(SupportRequest.id.in_(ids))
    ).all())


# --- Helpers -----------------------------------------------------------------------------------

def _with_town(query: sa.Select) -> sa.Select:
    return query.options(selectinload(SupportRequest.municipality).selectinload(Municipality.prefecture))


def _assignments() -> sa.Select:
    return sa.select(Assignment).options(
        selectinload(Assignment.request).selectinload(SupportRequest.municipality)
        .selectinload(Municipality.prefecture),
        selectinload(Assignment.evangelist).selectinload(Evangelist.user),
        selectinload(Assignment.proposed_by),
    )


def _town(request: SupportRequest) -> dict:
    town = request.municipality
    return {"number": request.id, "town": town.name, "prefecture": town.prefecture.name_ja}


def _name(evangelist: Evangelist) -> str:
    return f"{evangelist.family_name} {evangelist.given_name}"
