"""Visits and outcomes: what logging does to the request and the municipality, the
14-day edit window, corrections and completion."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.models import AuditEvent
from app.models.base import utcnow
from app.services import visits as visit_service
from app.services.topics import sync_topics
from app.services.visits import (
    OutcomeInput,
    VisitInput,
    VisitRefused,
    can_edit,
    complete_assignment,
    log_visit,
    municipality_timeline,
    update_visit,
)
from evangelists.calendar import today_in_japan
from tests.factories import (
    make_assignment,
    make_evangelist,
    make_municipality,
    make_outcome,
    make_request,
    make_user,
    make_visit,
)


@pytest.fixture
def accepted(db):
    """An accepted assignment: a non-active town, its open request, an evangelist."""
    sync_topics()
    town = make_municipality(name="小さな村", open_data_status="non_active", engagement_stage="assigned")
    request = make_request(municipality=town, status="assigned")
    evangelist = make_evangelist()
    assignment = make_assignment(request=request, evangelist=evangelist, status="accepted", distance_km=10)
    db.session.commit()
    return assignment


def visit_input(*outcomes: OutcomeInput, **overrides) -> VisitInput:
    fields = dict(visited_on=today_in_japan(), mode="onsite", duration_minutes=90, summary="方針づくりを相談",
                  attendee_count=4, attendee_departments="企画課", topics=("policy_guidelines",),
                  outcomes=outcomes)
    fields.update(overrides)
    return VisitInput(**fields)


def actions(db) -> list[str]:
    return [a for a in db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)) if a != "topics.synced"]


def test_a_visit_moves_the_request_to_scheduled_and_the_town_to_visited(db, accepted):
    user = accepted.evangelist.user
    visit = log_visit(user, accepted, visit_input())
    assert visit.author_id == user.id and [t.slug for t in visit.topics] == ["policy_guidelines"]
    assert accepted.request.status == "scheduled"
    town = accepted.request.municipality
    assert (town.engagement_stage, town.open_data_status) == ("visited", "non_active")
    assert actions(db) == ["request.scheduled", "visit.logged"]


@pytest.mark.parametrize("outcome", ["open_data_published", "catalog_launched"])
def test_an_activating_outcome_makes_the_town_active_at_once(db, accepted, outcome):
    log_visit(accepted.evangelist.user, accepted, visit_input(OutcomeInput(outcome, evidence_url="https://example.jp/od")))
    town = accepted.request.municipality
    assert (town.open_data_status, town.engagement_stage) == ("active", "active")
    assert "municipality.activated" in actions(db)
    assert accepted.request.status == "scheduled"  # the work itself is not finished by it


@pytest.mark.parametrize("outcome", ["datasets_published", "policy_adopted", "event_held", "community_formed", "no_change"])
def test_other_outcomes_leave_the_open_data_status_alone(db, accepted, outcome):
    count = 5 if outcome == "datasets_published" else None
    visit = log_visit(accepted.evangelist.user, accepted, visit_input(OutcomeInput(outcome, count=count)))
    town = accepted.request.municipality
    assert (town.open_data_status, town.engagement_stage) == ("non_active", "visited")
    assert visit.outcomes[0].count == count


def test_follow_up_needed_hands_the_request_back_to_the_coordinators(db, accepted):
    log_visit(accepted.evangelist.user, accepted, visit_input(OutcomeInput("follow_up_needed", note="条例の確認")))
    assert accepted.status == "completed"
    assert accepted.request.status == "triaged"  # back in the queue


def test_only_the_assigned_evangelist_may_log_and_only_once_accepted(db, accepted):
    stranger = make_evangelist().user
    with pytest.raises(VisitRefused) as refused:
        log_visit(stranger, accepted, visit_input())
    assert refused.value.reason == "not_yours"
    accepted.status = "proposed"
    with pytest.raises(VisitRefused) as refused:
        log_visit(accepted.evangelist.user, accepted, visit_input())
    assert refused.value.reason == "not_accepted"
    db.session.rollback()


def test_a_visit_in_the_future_is_refused(db, accepted):
    with pytest.raises(VisitRefused, match="future_date"):
        log_visit(accepted.evangelist.user, accepted, visit_input(visited_on=today_in_japan() + timedelta(days=5)))


def test_the_author_may_edit_for_14_days_and_then_not(db, accepted, monkeypatch):
    user = accepted.evangelist.user
    visit = log_visit(user, accepted, visit_input())
    logged = visit.created_at
    monkeypatch.setattr(visit_service, "utcnow", lambda: logged + timedelta(days=13, hours=23))
    assert can_edit(user, visit)
    update_visit(user, visit, visit_input(summary="修正後の要約"))
    assert visit.summary == "修正後の要約"
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "visit.updated")).one()
    assert event.before == {"summary": "方針づくりを相談"} and event.after == {"summary": "修正後の要約"}
    monkeypatch.setattr(visit_service, "utcnow", lambda: logged + timedelta(days=14, seconds=1))
    assert not can_edit(user, visit)
    with pytest.raises(VisitRefused, match="window_closed"):
        update_visit(user, visit, visit_input(summary="遅すぎた"))
    db.session.refresh(visit)
    assert visit.summary == "修正後の要約"


def test_a_coordinator_corrects_at_any_time_with_an_audit_trail(db, accepted, monkeypatch):
    visit = log_visit(accepted.evangelist.user, accepted, visit_input())
    monkeypatch.setattr(visit_service, "utcnow", lambda: visit.created_at + timedelta(days=90))
    coordinator = make_user(role="coordinator")
    update_visit(coordinator, visit, visit_input(OutcomeInput("catalog_launched"), duration_minutes=120))
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "visit.corrected")).one()
    assert event.actor_id == coordinator.id
    assert event.before["duration_minutes"] == 90 and event.after["duration_minutes"] == 120
    assert event.after["outcomes"] == [{"type": "catalog_launched"}]
    assert accepted.request.municipality.open_data_status == "active"  # the new outcome took effect


def test_another_evangelist_cannot_edit_a_visit(db, accepted):
    visit = log_visit(accepted.evangelist.user, accepted, visit_input())
    with pytest.raises(VisitRefused, match="not_yours"):
        update_visit(make_evangelist().user, visit, visit_input(summary="他人"))


def test_an_unchanged_edit_records_nothing(db, accepted):
    visit = log_visit(accepted.evangelist.user, accepted, visit_input())
    before = actions(db)
    update_visit(accepted.evangelist.user, visit, visit_input())
    assert actions(db) == before


def test_completing_needs_a_visit_and_closes_the_request_when_nothing_else_is_open(db, accepted):
    user = accepted.evangelist.user
    with pytest.raises(VisitRefused, match="no_visit"):
        complete_assignment(user, accepted)
    log_visit(user, accepted, visit_input())
    complete_assignment(user, accepted)
    assert accepted.status == "completed" and accepted.completed_at is not None
    assert accepted.request.status == "completed" and accepted.request.closed_at is not None


def test_completing_leaves_the_request_open_while_another_assignment_is(db, accepted):
    user = accepted.evangelist.user
    log_visit(user, accepted, visit_input())
    make_assignment(request=accepted.request, evangelist=make_evangelist(), status="accepted", score=0.4, distance_km=20)
    db.session.commit()
    complete_assignment(user, accepted)
    assert accepted.request.status == "scheduled"


def test_the_timeline_lists_everything_newest_first_and_an_evangelist_sees_only_their_part(db, accepted):
    user = accepted.evangelist.user
    log_visit(user, accepted, visit_input(OutcomeInput("datasets_published", count=12)))
    make_assignment(request=accepted.request, evangelist=make_evangelist(family_name="別人"), status="declined",
                    score=0.4, distance_km=20, responded_at=utcnow())
    db.session.commit()
    town_id = accepted.request.municipality_id
    everything = municipality_timeline(town_id)
    kinds = [(e.kind, e.code) for e in everything]
    assert ("outcome", "datasets_published") in kinds and ("visit", "onsite") in kinds
    assert ("request", "received") in kinds
    assert any(e.who and e.who.startswith("別人") for e in everything)
    mine = municipality_timeline(town_id, only_for=user)
    assert not any(e.who and e.who.startswith("別人") for e in mine)
    assert [e.on for e in everything] == sorted((e.on for e in everything), reverse=True)


def test_the_timeline_dates_each_step_by_japans_calendar(db):
    """A step at 05:00 in Japan is 20:00 UTC the day before: the timeline says Japan's day,
    as the request's history does."""
    from datetime import UTC, date, datetime

    town = make_municipality(name="早起き町")
    early = datetime(2026, 12, 2, 20, 0, tzinfo=UTC)  # 2026-12-03 05:00 in Japan
    request = make_request(municipality=town, status="assigned", created_at=early)
    make_assignment(request=request, evangelist=make_evangelist(), status="accepted", distance_km=5,
                    created_at=early, responded_at=early)
    db.session.commit()
    days = {(e.kind, e.code): e.on for e in municipality_timeline(town.id)}
    assert days[("request", "received")] == date(2026, 12, 3)
    assert days[("assignment", "proposed")] == date(2026, 12, 3)
    assert days[("assignment", "accepted")] == date(2026, 12, 3)


@pytest.mark.parametrize(("status", "paused_for_days", "available"), [
    ("active", None, True),
    ("paused", None, False),  # paused with no end date: until they say otherwise
    ("paused", 0, False),  # the pause covers its last day
    ("paused", -1, True),  # ended: available again by itself
    ("active", 3, False),
    ("candidate", None, False),
])
def test_a_pause_ends_by_itself_for_the_matcher(db, status, paused_for_days, available):
    from app.services.matching import _candidates

    paused_until = None if paused_for_days is None else today_in_japan() + timedelta(days=paused_for_days)
    person = make_evangelist(status=status, paused_until=paused_until,
                             **({"user": None} if status == "candidate" else {}))
    db.session.flush()
    assert (person.id in {c.id for c in _candidates()}) is available


def test_steps_on_the_same_day_read_newest_first_in_the_order_they_happen(db, accepted):
    """One busy day: received, proposed, accepted, visited with an outcome, completed."""
    user = accepted.evangelist.user
    log_visit(user, accepted, visit_input(OutcomeInput("datasets_published", count=2)))
    visit_service.complete_assignment(user, accepted)
    request = accepted.request
    now = utcnow()
    for row in (request, accepted):
        row.created_at = now
    accepted.responded_at = now
    db.session.commit()
    steps = [(e.kind, e.code) for e in municipality_timeline(request.municipality_id)]
    assert steps == [("request", "completed"), ("assignment", "completed"), ("outcome", "datasets_published"),
                     ("visit", "onsite"), ("assignment", "accepted"), ("assignment", "proposed"),
                     ("request", "received")]


def _busy_town(town, requests: int) -> None:
    """``requests`` completed requests in ``town``, each with an accepted assignment, one
    visit and one outcome: five steps each, plus the closing."""
    for n in range(requests):
        request = make_request(municipality=town, status="completed", closed_at=utcnow())
        assignment = make_assignment(request=request, evangelist=make_evangelist(), status="completed",
                                     distance_km=5, responded_at=utcnow(), completed_at=utcnow())
        visit = make_visit(assignment=assignment, summary=f"訪問 {n}", visited_on=today_in_japan() - timedelta(days=n))
        make_outcome(visit=visit, type="event_held", note=f"成果 {n}",
                     achieved_on=today_in_japan() - timedelta(days=n))


def test_the_timeline_is_paged_newest_first_with_the_texts_of_its_page(db):
    town = make_municipality(name="忙しい町")
    _busy_town(town, 12)  # 12 x 7 = 84 steps
    db.session.commit()
    first, second = municipality_timeline(town.id, page=1), municipality_timeline(town.id, page=2)
    assert (first.total, first.pages, len(first.items), len(second.items)) == (84, 2, 50, 34)
    steps = list(first) + list(second)
    assert [e.on for e in steps] == sorted((e.on for e in steps), reverse=True)
    assert len({(e.kind, e.code, e.request_id, e.visit_id, e.outcome_id) for e in steps}) == 84
    assert all(e.text.startswith("訪問") for e in steps if e.kind == "visit")
    assert all(e.text.startswith("成果") for e in steps if e.kind == "outcome")
    assert municipality_timeline(town.id, page=3).items == ()


def test_the_timeline_reads_the_same_number_of_statements_for_a_small_and_a_busy_town(db, count_queries):
    quiet, busy = make_municipality(name="静かな村"), make_municipality(name="賑やかな市")
    _busy_town(quiet, 1)
    _busy_town(busy, 30)
    db.session.commit()
    counts = []
    for town in (quiet, busy):
        with count_queries() as q:
            municipality_timeline(town.id)
        counts.append(q.count)
    assert counts[0] == counts[1] == 7
