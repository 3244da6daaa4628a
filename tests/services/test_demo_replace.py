"""`flask demo seed --replace` clears everything the workflow made since, the rows of issue
18 too (notices, bookings, notes, feedback, calendar feeds), in the same transaction."""

from __future__ import annotations

import sqlalchemy as sa

from app.models import (
    Booking,
    CalendarFeed,
    CommunityRegistration,
    Notice,
    RequestFeedback,
    RequestNote,
    SupportRequest,
    User,
)
from app.services.bookings import make_feed
from app.services.demo import seed_demo
from app.services.topics import sync_topics
from tests.factories import make_assignment, make_booking


def test_replacing_the_demo_clears_notices_bookings_notes_feedback_and_feeds(db, gazetteer):
    sync_topics()
    db.session.commit()
    seed_demo(evangelists=40, communities=8, requests=24, seed=3)
    request = db.session.scalars(sa.select(SupportRequest).order_by(SupportRequest.id)).first()
    coordinator = db.session.scalar(sa.select(User).where(User.email == "coordinator@example.jp"))
    make_booking(assignment=make_assignment(request=request, status="accepted"))
    db.session.add(RequestNote(request_id=request.id, author_id=coordinator.id, body="内部メモ"))
    db.session.commit()
    make_feed(coordinator)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notice))

    # A registration a coordinator accepted (it points at its community and the coordinator).
    from app.services.community_registrations import accept_registration

    waiting = db.session.scalars(sa.select(CommunityRegistration).order_by(CommunityRegistration.id)).all()
    accept_registration(coordinator, waiting[-1])
    assert waiting[-1].community_id is not None

    seed_demo(evangelists=40, communities=8, requests=24, seed=4, replace=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CommunityRegistration)) == 2
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Booking)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RequestNote)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CalendarFeed)) == 0
    feedback = db.session.scalars(sa.select(RequestFeedback)).all()
    assert all(db.session.get(SupportRequest, f.request_id) is not None for f in feedback)
