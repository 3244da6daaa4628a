import itertools

import pytest

from evangelists.lifecycle import (
    ENGAGEMENT_TRANSITIONS,
    MACHINES,
    PROGRESS,
    REQUEST_TRANSITIONS,
    TransitionRefused,
    advance_engagement,
    back_moves,
    check,
    forward_moves,
    is_open,
    queue_status_after_withdrawal,
    refusal,
)
from evangelists.vocabulary import (
    ADDITION_STATUSES,
    ASSIGNMENT_STATUSES,
    ENGAGEMENT_STAGES,
    EVANGELIST_STATUSES,
    OPEN_OUTREACH_STATUSES,
    OPEN_REQUEST_STATUSES,
    OUTREACH_STATUSES,
    REQUEST_STATUSES,
)

ALLOWED = {
    ("new", "triaged"), ("new", "assigned"), ("new", "declined"), ("new", "withdrawn"),
    ("triaged", "assigned"), ("triaged", "declined"), ("triaged", "withdrawn"),
    ("assigned", "triaged"), ("assigned", "scheduling"), ("assigned", "scheduled"), ("assigned", "withdrawn"),
    ("scheduling", "triaged"), ("scheduling", "assigned"), ("scheduling", "scheduled"), ("scheduling", "withdrawn"),
    ("scheduled", "triaged"), ("scheduled", "assigned"), ("scheduled", "completed"), ("scheduled", "withdrawn"),
}


@pytest.mark.parametrize(("current", "target"), list(itertools.product(REQUEST_STATUSES, repeat=2)))
def test_every_pair_of_request_statuses(current, target):
    reason = refusal("request", current, target)
    if (current, target) in ALLOWED:
        assert reason is None
        check("request", current, target)
    else:
        expected = "unchanged" if current == target else ("closed" if not REQUEST_TRANSITIONS[current] else "not_allowed")
        assert reason == expected
        with pytest.raises(TransitionRefused) as raised:
            check("request", current, target)
        assert raised.value.reason == expected


def test_unknown_statuses_are_refused():
    assert refusal("request", "new", "lost") == "unknown_status"
    assert refusal("request", "lost", "new") == "unknown_status"


def test_open_statuses_are_exactly_those_that_can_still_change():
    assert {s for s in REQUEST_STATUSES if is_open(s)} == set(OPEN_REQUEST_STATUSES)


ASSIGNMENT_ALLOWED = {
    ("proposed", "accepted"), ("proposed", "declined"), ("proposed", "cancelled"),
    ("accepted", "completed"), ("accepted", "cancelled"),
}


@pytest.mark.parametrize(("current", "target"), list(itertools.product(ASSIGNMENT_STATUSES, repeat=2)))
def test_every_pair_of_assignment_statuses(current, target):
    assert (refusal("assignment", current, target) is None) == ((current, target) in ASSIGNMENT_ALLOWED)


ENGAGEMENT_ALLOWED = {
    ("none", "outreach"), ("none", "requested"), ("none", "active"),
    ("outreach", "none"), ("outreach", "requested"), ("outreach", "active"),
    ("requested", "none"), ("requested", "assigned"), ("requested", "active"),
    ("assigned", "none"), ("assigned", "requested"), ("assigned", "visited"), ("assigned", "active"),
    ("visited", "active"),
}


@pytest.mark.parametrize(("current", "target"), list(itertools.product(ENGAGEMENT_STAGES, repeat=2)))
def test_every_pair_of_engagement_stages(current, target):
    reason = refusal("engagement", current, target)
    if (current, target) in ENGAGEMENT_ALLOWED:
        assert reason is None
    elif current == target:
        assert reason == "unchanged"
    elif current == "active":
        assert reason == "closed"
    else:
        assert reason == "not_allowed"


@pytest.mark.parametrize(("current", "target", "after"), [
    ("none", "requested", "requested"),
    ("requested", "assigned", "assigned"),
    ("assigned", "visited", "visited"),
    ("visited", "visited", "visited"),  # a second visit
    ("visited", "active", "active"),
    ("active", "visited", "active"),  # a visit never takes an active town back
    ("active", "requested", "active"),  # nor does a new request
    ("visited", "requested", "visited"),
    ("none", "assigned", "assigned"),  # an assignment proves the request happened
    ("none", "visited", "visited"),
    ("requested", "none", "requested"),  # backwards is not "advancing"
])
def test_advancing_the_engagement_stage_only_moves_forward_along_legal_steps(current, target, after):
    assert advance_engagement(current, target) == after


def test_every_stage_can_reach_active_and_active_is_final():
    for stage in ENGAGEMENT_STAGES:
        assert stage == "active" or "active" in ENGAGEMENT_TRANSITIONS[stage] or "assigned" in ENGAGEMENT_TRANSITIONS[stage]
    assert ENGAGEMENT_TRANSITIONS["active"] == frozenset()


EVANGELIST_ALLOWED = {
    ("candidate", "active"), ("candidate", "retired"), ("active", "paused"), ("active", "retired"),
    ("paused", "active"), ("paused", "retired"), ("retired", "active"),
}


@pytest.mark.parametrize(("current", "target"), list(itertools.product(EVANGELIST_STATUSES, repeat=2)))
def test_every_pair_of_evangelist_statuses(current, target):
    reason = refusal("evangelist", current, target)
    if (current, target) in EVANGELIST_ALLOWED:
        assert reason is None
    else:
        assert reason == ("unchanged" if current == target else "not_allowed")


@pytest.mark.parametrize("machine", ["request", "assignment", "engagement", "evangelist", "addition", "community",
                                     "booking", "application"])
def test_every_state_of_every_machine_has_a_row(machine):
    statuses, transitions = MACHINES[machine]
    assert set(transitions) == set(statuses)
    assert all(targets <= set(statuses) for targets in transitions.values())


@pytest.mark.parametrize(("current", "target"), list(itertools.product(ADDITION_STATUSES, repeat=2)))
def test_an_addition_is_decided_once(current, target):
    reason = refusal("addition", current, target)
    if current == "pending" and target != "pending":
        assert reason is None
    else:
        assert reason == ("unchanged" if current == target else "closed")


# --- Forward and back (issue 17, point 2) ------------------------------------------------

EXPECTED_FORWARD = {
    "new": ("triaged", "assigned", "declined", "withdrawn"),
    "triaged": ("assigned", "declined", "withdrawn"),
    "assigned": ("scheduling", "scheduled", "withdrawn"),
    "scheduling": ("scheduled", "withdrawn"),
    "scheduled": ("completed", "withdrawn"),
    "completed": (), "declined": (), "withdrawn": (),
}
EXPECTED_BACK = {
    "new": (), "triaged": (), "assigned": ("triaged",), "scheduling": ("triaged", "assigned"),
    "scheduled": ("triaged", "assigned"), "completed": (), "declined": (), "withdrawn": (),
}


@pytest.mark.parametrize("status", REQUEST_STATUSES)
def test_request_moves_split_into_forward_and_back(status):
    forward, back = forward_moves("request", status), back_moves("request", status)
    assert forward == EXPECTED_FORWARD[status]
    assert back == EXPECTED_BACK[status]
    # Together they are exactly the allowed moves, never both.
    assert set(forward) | set(back) == REQUEST_TRANSITIONS[status]
    assert not set(forward) & set(back)


@pytest.mark.parametrize("status", REQUEST_STATUSES)
def test_triaged_is_never_forward_once_assigned(status):
    """The bug: "mark as triaged" offered on assigned and scheduled requests."""
    if PROGRESS["request"][status] >= PROGRESS["request"]["assigned"]:
        assert "triaged" not in forward_moves("request", status)


@pytest.mark.parametrize("machine", sorted(PROGRESS))
def test_every_status_of_an_ordered_machine_has_a_step(machine):
    statuses, transitions = MACHINES[machine]
    assert set(PROGRESS[machine]) == set(statuses)
    for current in statuses:
        for target in transitions[current]:
            # No allowed move stays on the same step: it is forward or back.
            assert PROGRESS[machine][target] != PROGRESS[machine][current]


@pytest.mark.parametrize("status", ASSIGNMENT_STATUSES)
def test_assignment_moves_are_all_forward(status):
    assert back_moves("assignment", status) == ()
    assert set(forward_moves("assignment", status)) == MACHINES["assignment"][1][status]


def test_a_withdrawn_proposal_returns_the_request_to_the_queue():
    target = queue_status_after_withdrawal()
    assert target == "triaged"
    assert refusal("request", "assigned", target) is None
    assert refusal("assignment", "proposed", "cancelled") is None


# An outreach case: planned until the first contact; contacted and interested go either
# way; declined, request and closed end it (a later approach is a new case).
OUTREACH_ALLOWED = {
    ("planned", "contacted"), ("planned", "interested"), ("planned", "declined"), ("planned", "request"),
    ("planned", "closed"),
    ("contacted", "interested"), ("contacted", "declined"), ("contacted", "request"), ("contacted", "closed"),
    ("interested", "contacted"), ("interested", "declined"), ("interested", "request"), ("interested", "closed"),
}


@pytest.mark.parametrize(("current", "target"), list(itertools.product(OUTREACH_STATUSES, repeat=2)))
def test_every_pair_of_outreach_statuses(current, target):
    reason = refusal("outreach", current, target)
    if (current, target) in OUTREACH_ALLOWED:
        assert reason is None
    elif current == target:
        assert reason == "unchanged"
    elif current not in OPEN_OUTREACH_STATUSES:
        assert reason == "closed"
    else:
        assert reason == "not_allowed"
