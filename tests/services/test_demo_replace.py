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


def test_replacing_the_demo_clears_the_use_cases_and_their_files(app, db, gazetteer, tmp_path):
    from app.models import UseCase, UseCaseAttachment
    from app.services.use_cases import file_path

    app.instance_path = str(tmp_path)
    sync_topics()
    db.session.commit()
    seed_demo(evangelists=60, communities=10, requests=60, seed=3)
    use_case = db.session.scalars(sa.select(UseCase).order_by(UseCase.id)).first()
    assert use_case is not None
    attachment = UseCaseAttachment(use_case=use_case, filename="資料.pdf", stored_name="a" * 32,
                                   content_type="application/pdf", size=5, sha256="0" * 64)
    db.session.add(attachment)
    db.session.commit()
    stored = file_path(attachment)
    stored.parent.mkdir(parents=True)
    stored.write_bytes(b"%PDF-")
    seed_demo(evangelists=40, communities=8, requests=24, seed=4, replace=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(UseCaseAttachment)) == 0
    assert not stored.exists()
    assert all(u.request is not None for u in db.session.scalars(sa.select(UseCase)))
