"""A request a coordinator records for a town that asked by phone, e-mail, post or in
person (app.services.requests.record_request): kept with its source, day and recorder,
audited as its own event, the receipt with the status link mailed only when there is an
address, and refused (nothing written) when the day or the contact cannot be."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from app.events import describe_event
from app.models import AuditEvent, Notice, RequestAddition, SupportRequest
from app.services.requests import (
    Intake,
    IntakeRefused,
    Submission,
    add_to_open_request,
    open_request_for,
    record_request,
    request_by_token,
    submit_request,
)
from app.services.topics import sync_topics
from tests.factories import make_municipality, make_request, make_user
from tests.mailbox import body_of

TODAY = date(2026, 4, 10)


@pytest.fixture
def town(db):
    sync_topics()
    municipality = make_municipality(name="当別町")
    db.session.commit()
    return municipality


def submission(town, **overrides) -> Submission:
    fields = dict(municipality_code=town.code, contact_name="電話 太郎", department="企画課",
                  email="taro@town.example.lg.jp", phone="+81312345678", topics=("licensing",), mode="either",
                  period="", message="電話での相談", nonce="intake-nonce")
    fields.update(overrides)
    return Submission(**fields)


def intake(town, source="phone", received_on=date(2026, 4, 8), **overrides) -> Intake:
    return Intake(submission(town, **overrides), source, received_on)


def count(db, model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def request_events(db) -> list[AuditEvent]:
    """The events about requests (sync_topics writes one of its own)."""
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.entity_type == "support_request")))


def town_notices(db) -> list[tuple[str, str]]:
    return [(n.kind, n.email) for n in db.session.scalars(sa.select(Notice).where(Notice.email.is_not(None)))]


def test_a_recorded_request_keeps_its_source_day_and_recorder_and_is_audited(app, db, town):
    coordinator = make_user(role="coordinator", display_name="山田 花子")
    db.session.commit()
    result = record_request(coordinator, intake(town), today=TODAY, address="192.0.2.1")
    req = result.request
    assert (req.source, req.received_on, req.recorded_by_id, req.status) == ("phone", date(2026, 4, 8),
                                                                              coordinator.id, "new")
    assert request_by_token(result.token).id == req.id
    assert town.engagement_stage == "requested"
    (event,) = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.entity_id == req.id)).all()
    assert (event.action, event.actor_id, event.client_address) == ("request.recorded", coordinator.id, "192.0.2.1")
    assert event.after == {"municipality": town.code, "source": "phone", "received_on": "2026-04-08"}
    with app.test_request_context(), force_locale("ja"):
        view = describe_event(event)
        assert view.sentence == "山田 花子 が電話で受けた依頼を登録しました"
        assert {row.field: row.after for row in view.changes}["受付方法"] == "電話"
    with app.test_request_context(), force_locale("en"):
        assert describe_event(event).sentence == "山田 花子 recorded a request received by phone"


def test_with_an_email_the_town_gets_the_receipt_with_its_status_link(app, db, town, mailbox, deliver):
    coordinator = make_user(role="coordinator")
    other = make_user(role="coordinator")
    db.session.commit()
    result = record_request(coordinator, intake(town, source="email"), today=TODAY)
    assert town_notices(db) == [("request_received", "taro@town.example.lg.jp")]
    staff = db.session.scalars(sa.select(Notice.user_id).where(Notice.kind == "request_new")).all()
    assert staff == [other.id]  # not the coordinator who recorded it
    deliver()
    (receipt,) = mailbox.to("taro@town.example.lg.jp")
    assert f"/request/status/{result.token}" in body_of(receipt)


def test_without_an_email_nothing_goes_to_the_town(db, town):
    coordinator = make_user(role="coordinator")
    db.session.commit()
    result = record_request(coordinator, intake(town, email=None), today=TODAY)
    assert result.request.email is None and result.token is not None
    assert town_notices(db) == []


@pytest.mark.parametrize(("changes", "field", "reason"), [
    ({"received_on": TODAY + timedelta(days=1)}, "received_on", "future_date"),
    ({"received_on": TODAY - timedelta(days=367)}, "received_on", "too_old"),
    ({"source": "form"}, "source", "unknown"),
    ({"source": "fax"}, "source", "unknown"),
    ({"email": None, "phone": None}, "email", "contact_required"),
])
def test_what_cannot_be_recorded_is_refused_and_nothing_is_written(db, town, changes, field, reason):
    coordinator = make_user(role="coordinator")
    db.session.commit()
    with pytest.raises(IntakeRefused) as refused:
        record_request(coordinator, intake(town, **changes), today=TODAY)
    assert (refused.value.field, refused.value.reason) == (field, reason)
    db.session.rollback()
    assert count(db, SupportRequest) == count(db, Notice) == 0
    assert request_events(db) == []


def test_today_and_a_year_back_can_be_recorded(db, town):
    coordinator = make_user(role="coordinator")
    db.session.commit()
    record_request(coordinator, intake(town, received_on=TODAY, nonce="a"), today=TODAY)
    record_request(coordinator, intake(town, received_on=TODAY - timedelta(days=366), nonce="b"), today=TODAY)
    assert count(db, SupportRequest) == 2


def test_the_same_form_twice_records_one_request(db, town):
    coordinator = make_user(role="coordinator")
    db.session.commit()
    first = record_request(coordinator, intake(town), today=TODAY)
    again = record_request(coordinator, intake(town), today=TODAY)
    assert again.request.id == first.request.id and again.token is None
    assert count(db, SupportRequest) == 1


def test_the_duplicate_rule_is_the_forms_an_addition_recorded_by_staff_waits_too(db, town):
    coordinator = make_user(role="coordinator", display_name="山田 花子")
    existing = make_request(municipality=town)
    db.session.commit()
    assert open_request_for(town.code).id == existing.id
    added = add_to_open_request(existing, submission(town, email=None), address=None, recorded_by=coordinator,
                                source="post")
    assert (added.addition.status, added.addition.email, added.token is not None) == ("pending", None, True)
    (event,) = request_events(db)
    assert (event.action, event.actor_id, event.after) == (
        "request.addition_recorded", coordinator.id, {"addition": added.addition.id, "status": "pending",
                                                      "source": "post"})
    assert count(db, RequestAddition) == 1 and count(db, SupportRequest) == 1


def test_a_request_from_the_form_reads_as_from_the_form(db, town):
    result = submit_request(submission(town), address=None)
    assert (result.request.source, result.request.recorded_by_id) == ("form", None)
    assert result.request.received_on is not None


def test_a_request_made_with_a_past_timestamp_was_received_on_that_day_in_japan(db, town):
    """The demo's requests (and any made with their ``created_at``): 23:30 UTC is the next
    day in Japan."""
    from datetime import UTC, datetime

    req = make_request(municipality=town, created_at=datetime(2025, 3, 31, 23, 30, tzinfo=UTC))
    db.session.commit()
    assert req.received_on == date(2025, 4, 1)
