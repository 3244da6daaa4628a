"""Visits and their outcomes: logging, editing within the window, completing an assignment,
and what outcomes do to the request and the municipality (PRODUCT.md §3, §4 step 4).

What an outcome changes, by itself, so that progress typed by hand is never needed:

* ``open_data_published`` / ``catalog_launched``: the municipality becomes open-data
  active and its engagement stage ``active``.
* ``follow_up_needed``: this evangelist's part is done (the assignment is completed) and the
  request goes back to the coordinators' queue (``triaged``) for the next step.
* Any visit moves the request from ``assigned`` to ``scheduled`` (work under way) and the
  municipality's stage to ``visited``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from app.extensions import db
from app.models import (
    Assignment,
    Evangelist,
    Municipality,
    Outcome,
    SupportRequest,
    Topic,
    User,
    Visit,
)
from app.models.base import utcnow
from app.services.audit import record_event
from app.services.pages import Page
from app.services.status import set_status
from app.services.workflow_notices import tell_request_completed, tell_visit_logged
from evangelists import lifecycle
from evangelists.calendar import day_in_japan, today_in_japan
from evangelists.errors import Refused
from evangelists.vocabulary import ACTIVATING_OUTCOMES, ACTIVE_ASSIGNMENT_STATUSES

EDIT_WINDOW = timedelta(days=14)
STAFF_ROLES = ("coordinator", "admin")
TIMELINE_PAGE = 50  # steps per page of a municipality's timeline


class VisitRefused(Refused):
    """A visit change that is not allowed as a whole (no ``field``); ``reason`` is one of
    ``not_yours``, ``not_accepted``, ``future_date``, ``window_closed``, ``no_visit``."""

    scope = "visit"

    def __init__(self, reason: str):
        super().__init__(None, reason)


@dataclass(frozen=True)
class OutcomeInput:
    type: str
    count: int | None = None
    evidence_url: str | None = None
    note: str = ""


@dataclass(frozen=True)
class VisitInput:
    visited_on: date
    mode: str
    duration_minutes: int
    summary: str
    attendee_count: int = 0
    attendee_departments: str = ""
    topics: tuple[str, ...] = ()
    next_steps: str = ""
    outcomes: tuple[OutcomeInput, ...] = field(default_factory=tuple)


def _is_staff(user: User) -> bool:
    return user.role in STAFF_ROLES


def _owns(user: User, assignment: Assignment) -> bool:
    return assignment.evangelist.user_id == user.id


def edit_deadline(visit: Visit) -> datetime:
    return visit.created_at + EDIT_WINDOW


def can_edit(user: User, visit: Visit, now: datetime | None = None) -> bool:
    """Its author for 14 days after logging it; coordinators and admins always (audited)."""
    if _is_staff(user):
        return True
    now = now or utcnow()
    return visit.author_id == user.id and _owns(user, visit.assignment) and now < edit_deadline(visit)


def _topics(slugs: tuple[str, ...]) -> list[Topic]:
    if not slugs:
        return []
    return list(db.session.scalars(sa.select(Topic).where(Topic.slug.in_(slugs)).order_by(Topic.position)))


def _snapshot(visit: Visit) -> dict:
    return {
        "visited_on": visit.visited_on.isoformat(),
        "mode": visit.mode,
        "duration_minutes": visit.duration_minutes,
        "attendee_count": visit.attendee_count,
        "attendee_departments": visit.attendee_departments,
        "topics": [t.slug for t in visit.topics],
        "summary": visit.summary,
        "next_steps": visit.next_steps,
        "outcomes": [
            {"type": o.type, **({"count": o.count} if o.count else {}),
             **({"evidence_url": o.evidence_url} if o.evidence_url else {}),
             **({"note": o.note} if o.note else {})}
            for o in visit.outcomes
        ],
    }


def _fill(visit: Visit, data: VisitInput) -> None:
    visit.visited_on = data.visited_on
    visit.mode = data.mode
    visit.duration_minutes = data.duration_minutes
    visit.attendee_count = data.attendee_count
    visit.attendee_departments = data.attendee_departments.strip()
    visit.summary = data.summary.strip()
    visit.next_steps = data.next_steps.strip()
    visit.topics = _topics(data.topics)


def _replace_outcomes(visit: Visit, outcomes: tuple[OutcomeInput, ...]) -> list[str]:
    """Set the visit's outcomes; returns the types that are new to this visit."""
    before = {o.type for o in visit.outcomes}
    for old in list(visit.outcomes):
        visit.outcomes.remove(old)
        db.session.delete(old)
    for item in outcomes:
        visit.outcomes.append(Outcome(
            type=item.type,
            count=item.count if item.type == "datasets_published" else None,
            achieved_on=visit.visited_on,
            evidence_url=(item.evidence_url or None),
            note=item.note.strip(),
        ))
    return [o.type for o in outcomes if o.type not in before]


def activate_town(town: Municipality, on: date) -> tuple[dict, dict] | None:
    """The town publishes open data, as a visit's activating outcome says: open-data
    active (since ``on``, if it was not before) and at the engagement stage "active".
    Returns the audit's (before, after) when anything changed, else None. The live visit
    log and the demo's replayed history both go through here."""
    def facts() -> dict:
        return {"open_data_status": town.open_data_status, "engagement_stage": town.engagement_stage}

    before = facts()
    if town.open_data_status != "active":
        town.open_data_since = on
    town.open_data_status = "active"
    town.engagement_stage = lifecycle.advance_engagement(town.engagement_stage, "active")
    after = facts()
    return (before, after) if before != after else None


def _apply_effects(actor: User, visit: Visit, new_types: list[str], address: str | None) -> None:
    assignment = visit.assignment
    request = assignment.request
    municipality = request.municipality
    if any(t in ACTIVATING_OUTCOMES for t in new_types):
        changed = activate_town(municipality, visit.visited_on)
        if changed is not None:
            before, after = changed
            record_event(actor, "municipality.activated", "municipality", municipality.id,
                         before=before, after={**after, "visit": visit.id}, client_address=address)
    if "follow_up_needed" in new_types:
        if set_status(actor, assignment, "assignment", "completed", action="assignment.completed",
                      entity_type="assignment", before=None, after={"request": request.id, "follow_up": True},
                      address=address, only_if_allowed=True):
            assignment.completed_at = utcnow()
        set_status(actor, request, "request", "triaged", action="request.triaged", entity_type="support_request",
                   after={"status": "triaged", "follow_up": visit.id}, address=address, only_if_allowed=True)


def log_visit(actor: User, assignment: Assignment, data: VisitInput, *, address: str | None = None,
              today: date | None = None) -> Visit:
    """Record a visit made within ``assignment`` by its own evangelist; the assignment must
    be accepted and the visit not after ``today`` (Japan's; default ``today_in_japan()``)
    and a day. Moves the request to ``scheduled`` and the town to ``visited``, then lets
    the outcomes do their part. One transaction."""
    if not _owns(actor, assignment):
        raise VisitRefused("not_yours")
    if assignment.status != "accepted":
        raise VisitRefused("not_accepted")
    if data.visited_on > (today or today_in_japan()) + timedelta(days=1):  # a day's slack, as the form's
        raise VisitRefused("future_date")
    visit = Visit(author_id=actor.id)
    with db.session.no_autoflush:  # _fill looks topics up; the visit is not complete yet
        _fill(visit, data)
        visit.assignment = assignment
        db.session.add(visit)
        new_types = _replace_outcomes(visit, data.outcomes)
    request = assignment.request
    set_status(actor, request, "request", "scheduled", action="request.scheduled", entity_type="support_request",
               address=address, only_if_allowed=True)
    municipality = request.municipality
    municipality.engagement_stage = lifecycle.advance_engagement(municipality.engagement_stage, "visited")
    db.session.flush()
    _apply_effects(actor, visit, new_types, address)
    record_event(actor, "visit.logged", "visit", visit.id,
                 after={"assignment": assignment.id, "outcomes": [o.type for o in data.outcomes]},
                 client_address=address)
    tell_visit_logged(actor, visit)
    db.session.commit()
    return visit


def update_visit(actor: User, visit: Visit, data: VisitInput, *, address: str | None = None) -> None:
    """Change a visit: its author within the edit window, or staff at any time (a
    correction). Audited with before and after; new activating outcomes take effect."""
    if not can_edit(actor, visit):
        raise VisitRefused("window_closed" if visit.author_id == actor.id else "not_yours")
    before = _snapshot(visit)
    with db.session.no_autoflush:
        _fill(visit, data)
        new_types = _replace_outcomes(visit, data.outcomes)
    db.session.flush()
    after = _snapshot(visit)
    if before == after:
        db.session.rollback()
        return
    _apply_effects(actor, visit, new_types, address)
    changed = {k for k in after if before[k] != after[k]}
    record_event(actor, "visit.corrected" if _is_staff(actor) else "visit.updated", "visit", visit.id,
                 before={k: before[k] for k in changed}, after={k: after[k] for k in changed},
                 client_address=address)
    db.session.commit()


def complete_assignment(actor: User, assignment: Assignment, *, address: str | None = None) -> None:
    """The evangelist (or staff) marks an accepted assignment done; it needs at least one
    visit. The request is completed too when no other assignment of it is still open."""
    if not (_owns(actor, assignment) or _is_staff(actor)):
        raise VisitRefused("not_yours")
    if not assignment.visits:
        raise VisitRefused("no_visit")
    set_status(actor, assignment, "assignment", "completed", action="assignment.completed", entity_type="assignment",
               before=None, after={"request": assignment.request_id}, address=address)
    assignment.completed_at = utcnow()
    request: SupportRequest = assignment.request
    others_open = any(
        a.id != assignment.id and a.status in ACTIVE_ASSIGNMENT_STATUSES for a in request.assignments
    )
    if not others_open and set_status(actor, request, "request", "completed", action="request.completed",
                                      entity_type="support_request", address=address, only_if_allowed=True):
        request.closed_at = utcnow()
        tell_request_completed(request)
    db.session.commit()


def visits_of(assignment: Assignment) -> list[Visit]:
    return sorted(assignment.visits, key=lambda v: (v.visited_on, v.id))


# --- a municipality's timeline ----------------------------------------------------------


@dataclass(frozen=True)
class TimelineEntry:
    on: date
    kind: str  # request / assignment / visit / outcome
    code: str  # what happened: a status, a mode, an outcome type
    request_id: int
    who: str | None = None
    text: str = ""
    visit_id: int | None = None
    count: int | None = None
    outcome_id: int | None = None


def get_visit(visit_id: int) -> Visit | None:
    return db.session.get(Visit, visit_id)


def get_assignment(assignment_id: int) -> Assignment | None:
    return db.session.get(Assignment, assignment_id)


def timeline_for(viewer: User | None, municipality_id: int, page: int = 1,
                 per_page: int = TIMELINE_PAGE) -> Page | None:
    """Page ``page`` of a municipality's timeline as ``viewer`` (None: not signed in) may see
    it: staff all of it; an evangelist only their own part, and only for a town they are
    assigned to; anyone else none (None: the public sees the stage badge alone)."""
    if viewer is None:
        return None
    if viewer.role in STAFF_ROLES:
        return municipality_timeline(municipality_id, page=page, per_page=per_page)
    if viewer.role == "evangelist" and involved_evangelist(viewer, municipality_id):
        return municipality_timeline(municipality_id, only_for=viewer, page=page, per_page=per_page)
    return None


def involved_evangelist(user: User, municipality_id: int) -> bool:
    """True if ``user`` is an evangelist with an assignment on a request of this town."""
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(Assignment)
        .join(SupportRequest, Assignment.request_id == SupportRequest.id)
        .join(Evangelist, Assignment.evangelist_id == Evangelist.id)
        .where(SupportRequest.municipality_id == municipality_id, Evangelist.user_id == user.id)
    ) > 0


def _step_order(entry: TimelineEntry) -> int:
    """Where a step falls in a request's life, for steps on the same day: received,
    proposed, answered, visited, outcome, assignment completed, request closed."""
    if entry.kind == "request":
        return 0 if entry.code == "received" else 6
    if entry.kind == "assignment":
        return {"proposed": 1, "completed": 5}.get(entry.code, 2)
    return 3 if entry.kind == "visit" else 4


def municipality_timeline(municipality_id: int, *, only_for: User | None = None, page: int = 1,
                          per_page: int = TIMELINE_PAGE) -> Page:
    """Page ``page`` of the requests, assignments, visits and outcomes of one municipality,
    newest first. ``only_for`` (an evangelist) keeps just their own assignments, visits and
    outcomes. Seven queries whatever the history's length: the steps are read as bare columns
    (a busy town has a few hundred), the texts only for the steps on the page."""
    town_requests = sa.select(SupportRequest.id).where(SupportRequest.municipality_id == municipality_id)
    assignments = (
        sa.select(Assignment.id, Assignment.request_id, Assignment.status, Assignment.created_at,
                  Assignment.responded_at, Assignment.completed_at, Evangelist.family_name, Evangelist.given_name)
        .join(Evangelist, Evangelist.id == Assignment.evangelist_id)
        .where(Assignment.request_id.in_(town_requests))
    )
    if only_for is not None:
        assignments = assignments.where(Evangelist.user_id == only_for.id)
    entries: list[TimelineEntry] = []
    for request_id, created_at, closed_at, status in db.session.execute(
        sa.select(SupportRequest.id, SupportRequest.created_at, SupportRequest.closed_at, SupportRequest.status)
        .where(SupportRequest.municipality_id == municipality_id)
    ):
        entries.append(TimelineEntry(day_in_japan(created_at), "request", "received", request_id))
        if closed_at is not None:
            entries.append(TimelineEntry(day_in_japan(closed_at), "request", status, request_id))
    shown: dict[int, tuple[int, str]] = {}  # assignment id: (request id, evangelist's name)
    for a in db.session.execute(assignments):
        who = f"{a.family_name} {a.given_name}"
        shown[a.id] = (a.request_id, who)
        entries.append(TimelineEntry(day_in_japan(a.created_at), "assignment", "proposed", a.request_id, who))
        if a.responded_at is not None and a.status != "proposed":
            code = "declined" if a.status == "declined" else "accepted"
            entries.append(TimelineEntry(day_in_japan(a.responded_at), "assignment", code, a.request_id, who))
        if a.completed_at is not None:
            entries.append(TimelineEntry(day_in_japan(a.completed_at), "assignment", "completed", a.request_id, who))
    visit_of: dict[int, tuple[int, str]] = {}
    for visit_id, assignment_id, visited_on, mode in db.session.execute(
        sa.select(Visit.id, Visit.assignment_id, Visit.visited_on, Visit.mode)
        .where(Visit.assignment_id.in_(list(shown)))
    ):
        visit_of[visit_id] = shown[assignment_id]
        entries.append(TimelineEntry(visited_on, "visit", mode, *shown[assignment_id], visit_id=visit_id))
    for outcome_id, visit_id, achieved_on, kind, count in db.session.execute(
        sa.select(Outcome.id, Outcome.visit_id, Outcome.achieved_on, Outcome.type, Outcome.count)
        .where(Outcome.visit_id.in_(list(visit_of)))
    ):
        entries.append(TimelineEntry(achieved_on, "outcome", kind, *visit_of[visit_id], visit_id=visit_id,
                                     count=count, outcome_id=outcome_id))
    entries.sort(key=lambda e: (e.on, _step_order(e), e.request_id, e.visit_id or 0, e.outcome_id or 0), reverse=True)
    first = (page - 1) * per_page
    on_page = entries[first:first + per_page]
    summaries = {visit_id: summary for visit_id, summary in db.session.execute(
        sa.select(Visit.id, Visit.summary).where(Visit.id.in_([e.visit_id for e in on_page if e.kind == "visit"])))}
    notes = {outcome_id: note for outcome_id, note in db.session.execute(
        sa.select(Outcome.id, Outcome.note).where(Outcome.id.in_([e.outcome_id for e in on_page if e.outcome_id])))}
    items = tuple(
        replace(e, text=summaries.get(e.visit_id, "")) if e.kind == "visit"
        else replace(e, text=notes.get(e.outcome_id, "")) if e.kind == "outcome" else e
        for e in on_page
    )
    return Page(items=items, total=len(entries), page=page, per_page=per_page)
