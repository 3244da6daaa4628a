"""A crash in the middle of a service call leaves no partial rows.

Each use case is run once to count the flushes it makes (each flush writes rows inside
the transaction), then again with a crash right after the 1st, 2nd, ... flush. After
every crash the whole database must be exactly as it was before the call: nothing that
was written before the crash survives, because one use case is one transaction.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date

import pytest
import sqlalchemy as sa

from app.models import Assignment, Evangelist, Municipality, SupportRequest, User
from app.services import dialogue, imports, matching, recruitment, requests, visits
from app.services.demo import seed_demo
from app.services.topics import sync_topics


class Crash(RuntimeError):
    """The process 'dies' here."""


def everything(db) -> dict[str, list[tuple]]:
    db.session.expire_all()
    with db.engine.connect() as conn:
        return {
            table.name: [tuple(r) for r in conn.execute(sa.select(table).order_by(*table.primary_key.columns))]
            for table in db.metadata.sorted_tables
        }


@contextmanager
def crash_after_flush(db, number: int | None):
    """Raise Crash after the ``number``-th flush (None: count them, never crash)."""
    flushes = []

    def after_flush(session, _context):
        flushes.append(1)
        if number is not None and len(flushes) == number:
            raise Crash(f"crash after flush {number}")

    sa.event.listen(db.session, "after_flush", after_flush)
    try:
        yield flushes
    finally:
        sa.event.remove(db.session, "after_flush", after_flush)


@pytest.fixture
def network(db, gazetteer):
    sync_topics()
    seed_demo(evangelists=25, communities=5, requests=60, seed=9, today=date(2026, 11, 1))
    db.session.commit()


def _coordinator(db):
    return db.session.scalar(sa.select(User).where(User.email == "coordinator@example.jp"))


def submit(db):
    town = db.session.scalar(
        sa.select(Municipality)
        .where(Municipality.id.not_in(sa.select(SupportRequest.municipality_id)))
        .order_by(Municipality.id)
    )
    requests.submit_request(
        requests.Submission(
            municipality_code=town.code, contact_name="山田 花子", department="企画課",
            email="hanako@example.jp", phone=None, topics=("licensing",), mode="onsite",
            period="", message="", nonce="crash-test-nonce",
        ),
        address="127.0.0.1",
    )


def log_visit(db):
    assignment = db.session.scalar(
        sa.select(Assignment).where(Assignment.status == "accepted").order_by(Assignment.id)
    )
    visits.log_visit(
        assignment.evangelist.user, assignment,
        visits.VisitInput(
            visited_on=date(2026, 11, 2), mode="onsite", duration_minutes=90, summary="話し合い",
            attendee_count=4, outcomes=(
                visits.OutcomeInput("open_data_published", count=3),
                visits.OutcomeInput("follow_up_needed"),
            ),
        ),
    )


def appoint(db):
    candidate = db.session.scalar(
        sa.select(Evangelist).where(Evangelist.status == "candidate", Evangelist.user_id.is_(None))
        .order_by(Evangelist.id)
    )
    recruitment.move_evangelist(
        _coordinator(db), candidate, "active", appointed_on=date(2026, 11, 1),
        email="new.evangelist@example.jp", today=date(2026, 11, 2),
    )


def apply_plan(db):
    plan = matching.batch_plan()
    pairs = [(row.request.id, row.match.candidate_id) for row in plan.rows if row.match][:3]
    assert len(pairs) >= 2, "the plan should propose several assignments"
    matching.apply_plan(_coordinator(db), pairs, address=None)


def import_survey(db):
    codes = db.session.scalars(
        sa.select(Municipality.code).where(Municipality.open_data_status != "active").limit(5)
    ).all()
    data = "code,status,as_of\n" + "".join(f"{c},取組済,2026-10-01\n" for c in codes)
    report = imports.apply(_coordinator(db), "municipality_status", data.encode())
    assert report.applied, report.problems


def evangelist_message(db):
    """The message, its audit event and its notices (the outbox) are one transaction."""
    assignment = db.session.scalar(
        sa.select(Assignment).join(Assignment.request)
        .where(Assignment.status == "accepted", SupportRequest.status.in_(("assigned", "scheduled")))
        .order_by(Assignment.id)
    )
    dialogue.write_to_town(assignment.evangelist.user, assignment, "伺う日を決めましょう")


def resend_renewed_link(db):
    """A request from before 0010: the new token, the notice and the audit event together."""
    request = db.session.scalar(sa.select(SupportRequest).where(SupportRequest.closed_at.is_(None))
                                .order_by(SupportRequest.id))
    request.token_sealed = None
    assert dialogue.resend_status_link(request.id, request.email)


USE_CASES = [submit, log_visit, appoint, apply_plan, import_survey, evangelist_message, resend_renewed_link]


@pytest.mark.parametrize("use_case", USE_CASES, ids=lambda f: f.__name__)
def test_a_crash_after_any_flush_leaves_nothing_behind(db, network, use_case):
    assert_atomic(db, use_case)


def test_the_check_catches_a_use_case_that_commits_half_way(db, network):
    def two_transactions(db):
        coordinator = _coordinator(db)
        coordinator.display_name = "first half"
        db.session.commit()
        coordinator.locale = "en"
        db.session.flush()
        db.session.commit()

    with pytest.raises(AssertionError, match="partial rows left after a crash at flush 2 of 2"):
        assert_atomic(db, two_transactions)


def assert_atomic(db, use_case) -> None:
    before = everything(db)
    # First, how many flushes does the whole use case make? (run, measure, undo)
    with crash_after_flush(db, None) as flushes:
        use_case(db)
    total = len(flushes)
    assert total >= 1
    after = everything(db)
    assert after != before, "the use case should change something"
    _restore(db, before)
    assert everything(db) == before

    for number in range(1, total + 1):
        with crash_after_flush(db, number), pytest.raises(Crash):
            use_case(db)
        db.session.rollback()  # what the end of the request does
        assert everything(db) == before, f"partial rows left after a crash at flush {number} of {total}"


def _restore(db, rows: dict[str, list[tuple]]) -> None:
    """Put the database back as it was (the successful run committed)."""
    db.session.rollback()
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())
        for table in db.metadata.sorted_tables:
            if rows[table.name]:
                conn.execute(table.insert(), [dict(zip(table.columns.keys(), r, strict=True)) for r in rows[table.name]])
        if conn.dialect.name == "postgresql":
            from app.services.datamove import _reset_sequences

            _reset_sequences(conn)
    db.session.expire_all()
