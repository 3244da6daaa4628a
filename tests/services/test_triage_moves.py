"""Issue 17: sending a request back, withdrawing a proposal (points 2 and 8)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.models import AuditEvent
from app.services.matching import recent_withdrawals, respond, withdraw_proposal
from app.services.requests import send_back
from evangelists.calendar import utc_now
from evangelists.lifecycle import TransitionRefused
from evangelists.limits import WITHDRAWN_NOTICE_DAYS
from tests.factories import make_assignment, make_request, make_user


def events(db, action: str) -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)))


def test_withdrawing_a_proposal_cancels_it_and_returns_the_request_to_the_queue(db):
    coordinator = make_user(role="coordinator")
    request = make_request(status="assigned")
    assignment = make_assignment(request=request)
    assert withdraw_proposal(coordinator, assignment, address="192.0.2.9") == "triaged"
    assert assignment.status == "cancelled" and request.status == "triaged"
    (withdrawn,) = events(db, "assignment.withdrawn")
    assert (withdrawn.entity_type, withdrawn.entity_id, withdrawn.before, withdrawn.after["status"]) == (
        "assignment", assignment.id, {"status": "proposed"}, "cancelled")
    (moved,) = events(db, "request.triaged")
    assert moved.entity_id == request.id and moved.after == {"status": "triaged", "withdrawn_assignment": assignment.id}
    # The evangelist's page says so.
    assert [(w.assignment, w.reason) for w in recent_withdrawals(assignment.evangelist_id)] == [(assignment, None)]


@pytest.mark.parametrize("status", ["accepted", "declined", "cancelled", "completed"])
def test_only_an_unanswered_proposal_can_be_withdrawn(db, status):
    request = make_request(status="assigned")
    assignment = make_assignment(request=request, status=status)
    with pytest.raises(TransitionRefused):
        withdraw_proposal(make_user(role="coordinator"), assignment)
    assert assignment.status == status and request.status == "assigned"
    assert events(db, "assignment.withdrawn") == []


def test_a_proposal_answered_first_is_not_withdrawn(db):
    """The evangelist accepted a moment before: the stale withdrawal changes nothing."""
    request = make_request(status="assigned")
    assignment = make_assignment(request=request)
    db.session.commit()
    db.session.execute(sa.text("UPDATE assignments SET status = 'accepted' WHERE id = :id"), {"id": assignment.id})
    db.session.commit()  # by the evangelist, in another transaction
    with pytest.raises(TransitionRefused):
        withdraw_proposal(make_user(role="coordinator"), assignment)
    db.session.expire_all()
    assert assignment.status == "accepted" and request.status == "assigned"


def test_a_withdrawal_notice_lasts_a_while(db):
    assignment = make_assignment(request=make_request(status="assigned"))
    withdraw_proposal(make_user(role="coordinator"), assignment)
    later = utc_now() + timedelta(days=WITHDRAWN_NOTICE_DAYS + 1)
    assert recent_withdrawals(assignment.evangelist_id, now=later) == []


def test_a_declined_proposal_is_not_a_withdrawal(db):
    assignment = make_assignment(request=make_request(status="assigned"))
    respond(assignment.evangelist.user, assignment, accept=False, reason="busy")
    assert recent_withdrawals(assignment.evangelist_id) == []


@pytest.mark.parametrize("status", ["assigned", "scheduled"])
def test_sending_back_cancels_the_assignment_with_the_reason(db, status):
    coordinator = make_user(role="coordinator")
    request = make_request(status=status)
    assignment = make_assignment(request=request, status="accepted")
    request.municipality.engagement_stage = "assigned"
    cancelled = send_back(coordinator, request, "triaged", reason="町の体制が変わった <script>")
    assert cancelled == [assignment]
    assert request.status == "triaged" and assignment.status == "cancelled"
    assert request.municipality.engagement_stage == "requested"
    (event,) = events(db, "request.sent_back")
    assert event.before == {"status": status}
    assert event.after == {"status": "triaged", "reason": "町の体制が変わった <script>",
                           "cancelled_assignments": [assignment.id]}
    assert events(db, "assignment.cancelled")[0].after["reason"] == "町の体制が変わった <script>"
    (told,) = recent_withdrawals(assignment.evangelist_id)
    assert (told.assignment, told.reason) == (assignment, "町の体制が変わった <script>")


@pytest.mark.parametrize(("status", "target"), [
    ("new", "triaged"), ("triaged", "new"), ("assigned", "scheduled"), ("completed", "triaged"),
    ("withdrawn", "triaged"), ("triaged", "declined"),
])
def test_only_back_moves_are_sent_back(db, status, target):
    request = make_request(status=status)
    with pytest.raises(TransitionRefused):
        send_back(make_user(role="coordinator"), request, target, reason="x")
    assert request.status == status and events(db, "request.sent_back") == []
