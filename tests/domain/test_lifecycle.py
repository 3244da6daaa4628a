import itertools

import pytest

from evangelists.lifecycle import REQUEST_TRANSITIONS, TransitionRefused, check, is_open, refusal
from evangelists.vocabulary import ASSIGNMENT_STATUSES, OPEN_REQUEST_STATUSES, REQUEST_STATUSES

ALLOWED = {
    ("new", "triaged"), ("new", "assigned"), ("new", "declined"), ("new", "withdrawn"),
    ("triaged", "assigned"), ("triaged", "declined"), ("triaged", "withdrawn"),
    ("assigned", "triaged"), ("assigned", "scheduled"), ("assigned", "withdrawn"),
    ("scheduled", "triaged"), ("scheduled", "completed"), ("scheduled", "withdrawn"),
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
