"""Who hears of each step of a request's work, and what the notice says.

Each function adds notices (``app.services.notices.notify``) to the caller's session; the
service that makes the change calls it before its commit, so the notices and the change
are saved together or not at all. The person who acted is never told of their own act.

* ``tell_proposed``  — a coordinator proposed an evangelist: that evangelist.
* ``tell_answered``  — the evangelist accepted or declined: the proposing coordinator.
* ``tell_withdrawn`` — a coordinator withdrew an unanswered proposal: the evangelist.
* ``tell_called_off`` — the work stopped: a coordinator sent the request back (the
  evangelist's assignment is cancelled, with the reason) or the town withdrew it: the
  evangelist.
* ``tell_visit_logged`` — a visit and its outcomes: the proposing coordinator.
* ``tell_request_completed`` — the request is closed as done: the town, by e-mail, with
  what was done and the question "was the help useful?" (answered on its status page).

"The proposing coordinator" is the one who made the proposal, or every coordinator when
that is unknown or their account is closed.
"""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import Assignment, Booking, SupportRequest, User, Visit
from app.services.notices import notify


def _town(request: SupportRequest) -> dict:
    town = request.municipality
    return {"town": town.name, "prefecture": town.prefecture.name_ja}


def _proposer(assignment: Assignment) -> list[User]:
    proposer = assignment.proposed_by
    if proposer is not None and proposer.is_active:
        return [proposer]
    from app.services.requests import coordinators  # requests imports matching, which imports this

    return coordinators(assignment.request)


def _evangelist_user(assignment: Assignment) -> list[User]:
    user = assignment.evangelist.user
    return [user] if user is not None else []


def _about(assignment: Assignment) -> dict:
    return {**_town(assignment.request), "evangelist": assignment.evangelist.display_name}


def tell_proposed(actor: User, assignment: Assignment) -> None:
    notify("assignment_proposed", users=_evangelist_user(assignment), request=assignment.request,
           target=("assignment", assignment.id), params=_town(assignment.request), exclude=actor)


def tell_answered(actor: User, assignment: Assignment) -> None:
    """``assignment`` was just accepted or declined (its status says which)."""
    accepted = assignment.status == "accepted"
    params = _about(assignment)
    if not accepted and assignment.decline_reason:
        params["reason"] = assignment.decline_reason
    notify("assignment_accepted" if accepted else "assignment_declined", users=_proposer(assignment),
           request=assignment.request, target=("assignment", assignment.id), params=params, exclude=actor)


def tell_withdrawn(actor: User, assignment: Assignment) -> None:
    notify("proposal_withdrawn", users=_evangelist_user(assignment), request=assignment.request,
           target=("assignment", assignment.id), params=_town(assignment.request), exclude=actor)


def has_booking(request: SupportRequest, statuses: tuple[str, ...]) -> bool:
    """Whether ``request`` has a booking in ``statuses``: its cancellation (mailed with the
    calendar's CANCEL) then tells the evangelist, and a second mail would say it again."""
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(Booking)
        .where(Booking.request_id == request.id, Booking.status.in_(statuses))
    ) > 0


def tell_called_off(actor: User | str, assignment: Assignment, *, reason: str | None, by_town: bool = False) -> None:
    params = {**_town(assignment.request), "by_town": by_town}
    if reason:
        params["reason"] = reason
    notify("work_called_off", users=_evangelist_user(assignment), request=assignment.request,
           target=("assignment", assignment.id), params=params,
           exclude=actor if isinstance(actor, User) else None)


def tell_visit_logged(actor: User, visit: Visit) -> None:
    assignment = visit.assignment
    params = {**_about(assignment), "visited_on": visit.visited_on.isoformat(), "mode": visit.mode,
              "outcomes": [o.type for o in visit.outcomes],
              "datasets": sum(o.count or 0 for o in visit.outcomes if o.type == "datasets_published")}
    notify("visit_logged", users=_proposer(assignment), request=assignment.request,
           target=("visit", visit.id), params=params, exclude=actor)


def what_was_done(request: SupportRequest) -> dict:
    """The visits (date and mode, oldest first), the outcomes (each type once, in the order
    first reached) and the datasets published, over all the request's assignments."""
    visits = sorted((v for a in request.assignments for v in a.visits), key=lambda v: (v.visited_on, v.id))
    outcomes: list[str] = []
    datasets = 0
    for visit in visits:
        for outcome in visit.outcomes:
            if outcome.type not in outcomes:
                outcomes.append(outcome.type)
            if outcome.type == "datasets_published":
                datasets += outcome.count or 0
    return {"visits": [{"on": v.visited_on.isoformat(), "mode": v.mode} for v in visits],
            "outcomes": outcomes, "datasets": datasets}


def tell_request_completed(request: SupportRequest) -> None:
    """The town's closing mail; its status link (made when the mail is written) leads to
    the feedback question."""
    notify("request_completed", emails=[request.email], request=request,
           params={**_town(request), "contact": request.contact_name, **what_was_done(request)})
