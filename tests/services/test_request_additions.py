"""Deciding on another person's addition to an open request: once, by one coordinator,
and only what the database allows."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value

from app.models import AuditEvent, RequestAddition, RequestMessage
from app.models.base import utcnow
from app.services.requests import (
    Submission,
    accept_addition,
    add_to_open_request,
    addition_by_token,
    hash_token,
    pending_additions_by_request,
    reject_addition,
    request_by_token,
)
from app.services.topics import sync_topics
from evangelists.lifecycle import TransitionRefused
from tests.factories import make_addition, make_request, make_user


def count(db, model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_a_decision_another_coordinator_made_meanwhile_wins(db):
    """Two coordinators press at the same moment: the second finds the row no longer
    pending, even though the addition it loaded still says so."""
    first, second = make_user(role="coordinator"), make_user(role="coordinator")
    addition = make_addition()
    db.session.commit()
    reject_addition(first, addition)
    set_committed_value(addition, "status", "pending")  # what the second coordinator loaded
    with pytest.raises(TransitionRefused):
        accept_addition(second, addition)
    assert addition.status == "rejected" and addition.decided_by_id == first.id
    assert count(db, RequestMessage) == 0
    actions = db.session.scalars(sa.select(AuditEvent.action)).all()
    assert actions == ["request.addition_rejected"]


def test_an_addition_cannot_join_the_thread_of_a_closed_request_but_can_be_rejected(db):
    coordinator = make_user(role="coordinator")
    addition = make_addition()
    addition.request.status = "withdrawn"
    db.session.commit()
    with pytest.raises(TransitionRefused) as refused:
        accept_addition(coordinator, addition)
    assert refused.value.machine == "request" and addition.status == "pending"
    assert count(db, RequestMessage) == 0
    reject_addition(coordinator, addition, reason="取り下げ後")
    assert addition.status == "rejected"


def test_an_addition_keeps_what_its_sender_chose_and_gets_a_status_token_of_its_own(db):
    sync_topics()
    request = make_request(preferred_mode="onsite", preferred_period="")
    db.session.commit()
    submission = Submission(municipality_code=request.municipality.code, contact_name="佐藤", department="総務課",
                            email="sato@example.jp", phone="+81857228112", topics=("licensing", "open_data_publication"),
                            mode="online", period="来年1月", message="", nonce="form-3")
    added = add_to_open_request(request, submission, address=None)
    db.session.expire_all()
    addition = db.session.get(RequestAddition, added.addition.id)
    assert sorted(t.slug for t in addition.topics) == ["licensing", "open_data_publication"]
    assert (addition.preferred_mode, addition.preferred_period, addition.phone) == ("online", "来年1月", "+81857228112")
    assert len(added.token) >= 40 and added.token not in addition.token_hash
    assert addition.token_hash == hash_token(added.token) != request.token_hash
    assert addition_by_token(added.token).id == addition.id
    assert addition_by_token("nope") is None and addition_by_token("") is None
    assert request_by_token(added.token) is None  # the sender's token is not the request's


def test_an_addition_keeps_the_contact_details_apart_from_the_message(db):
    request = make_request()
    db.session.commit()
    submission = Submission(municipality_code=request.municipality.code, contact_name="佐藤", department="総務課",
                            email="sato@example.jp", phone=None, topics=("licensing",), mode="either",
                            period="", message="補足", nonce="form-2")
    added = add_to_open_request(request, submission, address="192.0.2.1")
    addition = added.addition
    assert (addition.status, addition.message, addition.email) == ("pending", "補足", "sato@example.jp")
    again = add_to_open_request(request, submission, address="192.0.2.1")
    assert again.addition.id == addition.id and again.token is None
    event = db.session.scalars(sa.select(AuditEvent)).one()
    assert event.after == {"addition": addition.id, "status": "pending"} and "sato" not in str(event.after)
    assert pending_additions_by_request([request.id, request.id + 1]) == {request.id: 1}
    assert pending_additions_by_request([]) == {}


@pytest.mark.parametrize("overrides", [
    {"status": "maybe"},
    {"status": "accepted"},  # decided, but not when
    {"status": "pending", "decided_at": utcnow()},
])
def test_the_database_refuses_an_addition_whose_decision_does_not_add_up(db, overrides):
    with pytest.raises((sa.exc.IntegrityError, sa.exc.StatementError, LookupError)):
        make_addition(**overrides)
        db.session.flush()
    db.session.rollback()
    assert count(db, RequestAddition) == 0
