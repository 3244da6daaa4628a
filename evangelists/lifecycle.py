"""Which status changes are allowed, as data, and one function that says why not.

Services call ``check`` before every change of a support request's status (and, as later
workflows arrive, of assignments and engagement stages); an illegal change is refused
with the reason and nothing is written.
"""

from __future__ import annotations

from evangelists.vocabulary import ASSIGNMENT_STATUSES, REQUEST_STATUSES

# status -> statuses it may move to. Terminal statuses map to an empty set.
REQUEST_TRANSITIONS: dict[str, frozenset[str]] = {
    # A coordinator may assign straight from "new" (triage is implied).
    "new": frozenset({"triaged", "assigned", "declined", "withdrawn"}),
    "triaged": frozenset({"assigned", "declined", "withdrawn"}),
    # An evangelist who declines puts the request back to "triaged".
    "assigned": frozenset({"triaged", "scheduled", "withdrawn"}),
    "scheduled": frozenset({"triaged", "completed", "withdrawn"}),
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

MACHINES = {
    "request": (REQUEST_STATUSES, REQUEST_TRANSITIONS),
    "assignment": (ASSIGNMENT_STATUSES, ASSIGNMENT_TRANSITIONS),
}


class TransitionRefused(Exception):
    """An illegal status change; ``reason`` is a machine code for a translated message."""

    def __init__(self, machine: str, current: str, target: str, reason: str):
        super().__init__(f"{machine}: {current} -> {target} refused ({reason})")
        self.machine, self.current, self.target, self.reason = machine, current, target, reason


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
