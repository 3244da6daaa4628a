"""Which status changes are allowed, as data, and one function that says why not.

Nine machines: a support request's status, an assignment's status, a municipality's
engagement stage, an evangelist's place in the recruitment pipeline, the coordinator's
decision on another person's addition to an open request, a community's activity, an
offer of visit times (a booking), an outreach case and a public application to become an
evangelist. Services call ``check`` before
every change; an illegal change is refused with the reason and nothing is written.
"""

from __future__ import annotations

from evangelists.errors import Refused
from evangelists.vocabulary import (
    ADDITION_STATUSES,
    APPLICATION_STATUSES,
    ASSIGNMENT_STATUSES,
    BOOKING_STATUSES,
    COMMUNITY_STATUSES,
    ENGAGEMENT_STAGES,
    EVANGELIST_STATUSES,
    OUTREACH_STATUSES,
    REQUEST_STATUSES,
)

# status -> statuses it may move to. Terminal statuses map to an empty set.
REQUEST_TRANSITIONS: dict[str, frozenset[str]] = {
    # A coordinator may assign straight from "new" (triage is implied).
    "new": frozenset({"triaged", "assigned", "declined", "withdrawn"}),
    "triaged": frozenset({"assigned", "declined", "withdrawn"}),
    # An evangelist who declines puts the request back to "triaged". Offering visit times
    # makes it "scheduling"; a logged visit makes it "scheduled" straight away.
    "assigned": frozenset({"triaged", "scheduling", "scheduled", "withdrawn"}),
    # The town picks a time ("scheduled"), or the offer is cancelled ("assigned").
    "scheduling": frozenset({"triaged", "assigned", "scheduled", "withdrawn"}),
    # A cancelled booking returns the request to "assigned" (BOOKING_UNDO).
    "scheduled": frozenset({"triaged", "assigned", "completed", "withdrawn"}),
    "completed": frozenset(),
    "declined": frozenset(),
    "withdrawn": frozenset(),
}

ASSIGNMENT_TRANSITIONS: dict[str, frozenset[str]] = {
    "proposed": frozenset({"accepted", "declined", "cancelled"}),
    "accepted": frozenset({"completed", "cancelled"}),
    "completed": frozenset(),
    "declined": frozenset(),
    "cancelled": frozenset(),
}

# A municipality's engagement stage follows the workflow: a request (requested), an
# evangelist who accepts (assigned), a logged visit (visited), an outcome that starts open
# data (active). It falls back when the thing that moved it goes away (the request is
# withdrawn or declined, the evangelist declines). "active" can also come straight from
# the national survey (an import), from any stage; once active, it stays active.
#
# An open outreach case moves a town at "none" to "outreach"; the town falls back to "none"
# when the case ends without a request (declined, closed), and goes on to "requested" when
# the case turns into a request.
ENGAGEMENT_TRANSITIONS: dict[str, frozenset[str]] = {
    "none": frozenset({"outreach", "requested", "active"}),
    "outreach": frozenset({"none", "requested", "active"}),
    "requested": frozenset({"none", "assigned", "active"}),
    "assigned": frozenset({"none", "requested", "visited", "active"}),
    "visited": frozenset({"active"}),
    "active": frozenset(),
}

# An outreach case (app/services/outreach.py): "planned" until the first contact is logged;
# the town's answer moves it on. "request" (turned into a support request, with the
# town's consent), "declined" and "closed" end it; a later approach is a new case.
OUTREACH_TRANSITIONS: dict[str, frozenset[str]] = {
    "planned": frozenset({"contacted", "interested", "declined", "request", "closed"}),
    "contacted": frozenset({"interested", "declined", "request", "closed"}),
    "interested": frozenset({"contacted", "declined", "request", "closed"}),
    "declined": frozenset(),
    "request": frozenset(),
    "closed": frozenset(),
}

# An evangelist's place in the recruitment pipeline. Retired people can be appointed again.
EVANGELIST_TRANSITIONS: dict[str, frozenset[str]] = {
    # A candidate who is not appointed leaves the pipeline as "retired" ("declined").
    "candidate": frozenset({"active", "retired"}),
    "active": frozenset({"paused", "retired"}),
    "paused": frozenset({"active", "retired"}),
    "retired": frozenset({"active"}),
}

# A community is active or dormant, and can go either way (its history keeps the dates).
COMMUNITY_TRANSITIONS: dict[str, frozenset[str]] = {
    "active": frozenset({"dormant"}),
    "dormant": frozenset({"active"}),
}

# An addition waits until a coordinator decides, once.
ADDITION_TRANSITIONS: dict[str, frozenset[str]] = {
    "pending": frozenset({"accepted", "rejected"}),
    "accepted": frozenset(),
    "rejected": frozenset(),
}

# An offer of visit times and the booking it becomes (app/services/bookings.py).
BOOKING_TRANSITIONS: dict[str, frozenset[str]] = {
    "offered": frozenset({"booked", "cancelled", "replaced"}),
    "booked": frozenset({"cancelled"}),
    "cancelled": frozenset(),
    "replaced": frozenset(),
}

# Back moves that only the bookings make: a cancelled offer or booking returns the request
# to "assigned" (the evangelist stays; they offer other times). A coordinator's "send
# back" never offers them: it goes to the queue and ends the assignment.
BOOKING_UNDO: frozenset[tuple[str, str]] = frozenset({("scheduling", "assigned"), ("scheduled", "assigned")})

# A public application (app/services/applications.py): confirmed by mail, it becomes a
# candidate or waits as a possible duplicate; a coordinator's decision on a duplicate, and
# the appointment or decline of its person, end it.
APPLICATION_TRANSITIONS: dict[str, frozenset[str]] = {
    "unconfirmed": frozenset({"in_pipeline", "possible_duplicate"}),
    "possible_duplicate": frozenset({"in_pipeline", "same_person", "declined"}),
    "in_pipeline": frozenset({"appointed", "declined"}),
    "same_person": frozenset({"appointed", "declined"}),
    "appointed": frozenset(),
    "declined": frozenset(),
}

MACHINES = {
    "request": (REQUEST_STATUSES, REQUEST_TRANSITIONS),
    "evangelist": (EVANGELIST_STATUSES, EVANGELIST_TRANSITIONS),
    "assignment": (ASSIGNMENT_STATUSES, ASSIGNMENT_TRANSITIONS),
    "engagement": (ENGAGEMENT_STAGES, ENGAGEMENT_TRANSITIONS),
    "addition": (ADDITION_STATUSES, ADDITION_TRANSITIONS),
    "community": (COMMUNITY_STATUSES, COMMUNITY_TRANSITIONS),
    "booking": (BOOKING_STATUSES, BOOKING_TRANSITIONS),
    "outreach": (OUTREACH_STATUSES, OUTREACH_TRANSITIONS),
    "application": (APPLICATION_STATUSES, APPLICATION_TRANSITIONS),
}


# How far along each request status is. A move to a later step is *forward*, a move to an
# earlier one is *back* (it undoes work and needs a reason and a confirmation). The closing
# statuses (declined, withdrawn) end the request, so they count as forward from anywhere.
REQUEST_PROGRESS: dict[str, int] = {
    "new": 0,
    "triaged": 1,
    "assigned": 2,
    "scheduling": 3,
    "scheduled": 4,
    "completed": 5,
    "declined": 5,
    "withdrawn": 5,
}

ASSIGNMENT_PROGRESS: dict[str, int] = {
    "proposed": 0,
    "accepted": 1,
    "completed": 2,
    "declined": 2,
    "cancelled": 2,
}

PROGRESS = {"request": REQUEST_PROGRESS, "assignment": ASSIGNMENT_PROGRESS}


def forward_moves(machine: str, current: str) -> tuple[str, ...]:
    """The statuses ``current`` may move to that lie further along (``PROGRESS``), in the
    vocabulary's order."""
    statuses, transitions = MACHINES[machine]
    step = PROGRESS[machine]
    return tuple(s for s in statuses if s in transitions[current] and step[s] > step[current])


def back_moves(machine: str, current: str) -> tuple[str, ...]:
    """The statuses ``current`` may move back to (earlier in ``PROGRESS``), in the
    vocabulary's order: undoing work, so a person gives a reason and confirms."""
    statuses, transitions = MACHINES[machine]
    step = PROGRESS[machine]
    return tuple(s for s in statuses if s in transitions[current] and step[s] < step[current])


def send_back_moves(current: str) -> tuple[str, ...]:
    """The back moves a coordinator may make with "send back" from ``current``: every back
    move except those only a cancelled booking makes (``BOOKING_UNDO``)."""
    return tuple(s for s in back_moves("request", current) if (current, s) not in BOOKING_UNDO)


def status_before_scheduling() -> str:
    """Where a request goes when its offer of times or its booking is cancelled: the one
    back move of ``BOOKING_UNDO`` (the evangelist stays assigned)."""
    (target,) = {target for _current, target in BOOKING_UNDO}
    return target


def queue_status_after_withdrawal() -> str:
    """Where a request goes when its proposal is withdrawn or its assignment cancelled by a
    coordinator: the one step back from ``assigned`` (the coordinators' queue)."""
    (target,) = back_moves("request", "assigned")
    return target


class TransitionRefused(Refused):
    """An illegal status change; ``reason`` is ``refusal``'s code (field ``status``)."""

    scope = "transition"

    def __init__(self, machine: str, current: str, target: str, reason: str):
        super().__init__("status", reason, machine=machine, current=current, target=target)
        self.args = (f"{machine}: {current} -> {target} refused ({reason})",)
        self.machine, self.current, self.target = machine, current, target


def refusal(machine: str, current: str, target: str) -> str | None:
    """None if ``current -> target`` is allowed, else the reason: ``unknown_status``,
    ``unchanged``, ``closed`` (current is terminal) or ``not_allowed``."""
    statuses, transitions = MACHINES[machine]
    if current not in statuses or target not in statuses:
        return "unknown_status"
    if current == target:
        return "unchanged"
    if not transitions[current]:
        return "closed"
    if target not in transitions[current]:
        return "not_allowed"
    return None


def check(machine: str, current: str, target: str) -> None:
    """Raise TransitionRefused unless ``current -> target`` is allowed."""
    reason = refusal(machine, current, target)
    if reason is not None:
        raise TransitionRefused(machine, current, target, reason)


def is_open(status: str) -> bool:
    """True while a request can still change (not completed, declined or withdrawn)."""
    return bool(REQUEST_TRANSITIONS[status])


def advance_engagement(current: str, target: str) -> str:
    """The stage after an event that moves a town forward to ``target``: ``target`` if it
    lies ahead and can be reached by legal forward steps (a visit proves the request and
    the assignment happened, even if they were recorded elsewhere), else ``current`` (a
    second visit leaves "visited" as it is; nothing moves an "active" town back)."""
    order = ENGAGEMENT_STAGES.index
    if order(target) <= order(current):
        return current
    reachable, frontier = set(), [current]
    while frontier:
        stage = frontier.pop()
        for step in ENGAGEMENT_TRANSITIONS[stage]:
            if order(step) > order(stage) and step not in reachable:
                reachable.add(step)
                frontier.append(step)
    return target if target in reachable else current
