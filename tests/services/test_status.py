"""set_status: the one way a service changes a status (lifecycle check, set, audit)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.models import AuditEvent
from app.services.status import set_status
from evangelists.errors import Refused
from evangelists.lifecycle import TransitionRefused
from tests.factories import make_community, make_request, make_user


def audit(db) -> list[tuple]:
    return [(e.action, e.entity_type, e.entity_id, e.before, e.after)
            for e in db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id))]


def test_an_allowed_move_is_set_and_audited_with_before_and_after(db):
    actor, request = make_user(), make_request()
    assert set_status(actor, request, "request", "triaged", action="request.triaged", entity_type="support_request",
                      address="192.0.2.1")
    assert request.status == "triaged"
    assert audit(db) == [("request.triaged", "support_request", request.id, {"status": "new"}, {"status": "triaged"})]
    assert db.session.scalar(sa.select(AuditEvent.client_address)) == "192.0.2.1"


def test_the_payloads_can_say_more_or_nothing(db):
    actor, request = make_user(), make_request()
    set_status(actor, request, "request", "triaged", action="request.triaged", entity_type="support_request",
               before=None, after={"status": "triaged", "follow_up": 3}, entity_id=7)
    assert audit(db) == [("request.triaged", "support_request", 7, None, {"status": "triaged", "follow_up": 3})]


def test_a_refused_move_changes_nothing_and_says_why(db):
    actor, request = make_user(), make_request(status="completed")
    with pytest.raises(TransitionRefused) as refused:
        set_status(actor, request, "request", "triaged", action="request.triaged", entity_type="support_request")
    assert isinstance(refused.value, Refused)
    assert (refused.value.field, refused.value.reason, refused.value.params) == (
        "status", "closed", {"machine": "request", "current": "completed", "target": "triaged"})
    assert request.status == "completed" and audit(db) == []


def test_a_side_effect_happens_only_where_it_can(db):
    actor, request = make_user(), make_request(status="completed")
    assert not set_status(actor, request, "request", "triaged", action="request.triaged",
                          entity_type="support_request", only_if_allowed=True)
    assert request.status == "completed" and audit(db) == []


def test_without_an_action_the_caller_audits(db):
    community = make_community(status="active")
    assert set_status(None, community, "community", "dormant", action=None)
    assert community.status == "dormant" and audit(db) == []
    with pytest.raises(TransitionRefused):
        set_status(None, community, "community", "dormant", action=None)


def test_a_custom_write_sets_the_value(db):
    community, written = make_community(status="dormant"), []
    set_status(None, community, "community", "active", action=None,
               write=lambda row, status: written.append((row.id, status)))
    assert written == [(community.id, "active")] and community.status == "dormant"
