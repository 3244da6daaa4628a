"""The demo tells the truth (issue 17, point 12, and the history of point 3): one seed with
the default counts, and each property a newcomer would notice, checked with numbers."""

from __future__ import annotations

import math
import re
import statistics
from collections import Counter
from datetime import date, timedelta

import flask_migrate
import numpy as np
import pytest
import sqlalchemy as sa

from app import create_app
from app.extensions import db as _db
from app.models import (
    Assignment,
    AuditEvent,
    Community,
    Evangelist,
    Municipality,
    Prefecture,
    SupportRequest,
    User,
    Visit,
)
from app.services import matching, recruitment, requests, visits
from app.services.demo import seed_demo
from app.services.geography import load_gazetteer
from app.services.reports import request_figures
from app.services.topics import sync_topics
from evangelists import demo, lifecycle
from evangelists.calendar import PROGRAMME_ZONE, day_in_japan

TODAY = date(2026, 12, 3)
OPEN_WAITING = ("new", "triaged")


@pytest.fixture(scope="module")
def seeded_app(tmp_path_factory):
    """One demo with the default counts, on its own SQLite file, seeded once for the module."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}")
    with app.app_context():
        flask_migrate.upgrade()
        load_gazetteer()
        sync_topics()
        _db.session.commit()
        seed_demo(evangelists=300, communities=60, requests=200, seed=7, today=TODAY)
    return app


@pytest.fixture
def session(seeded_app):
    with seeded_app.app_context():
        yield _db.session
        _db.session.rollback()


def _japan_day(moment) -> date:
    return day_in_japan(moment)


# --- people ----------------------------------------------------------------------------


def test_nobody_is_appointed_after_their_own_first_visit(session):
    rows = session.execute(
        sa.select(Evangelist.appointed_on, sa.func.min(Visit.visited_on))
        .join(Assignment, Assignment.evangelist_id == Evangelist.id)
        .join(Visit, Visit.assignment_id == Assignment.id)
        .group_by(Evangelist.id, Evangelist.appointed_on)
    ).all()
    assert len(rows) >= 50, "the demo's past work is spread over many evangelists"
    assert [r for r in rows if r[0] is None or r[0] > r[1]] == []
    # Nor proposed before their appointment.
    early = session.scalar(
        sa.select(sa.func.count()).select_from(Assignment).join(Evangelist)
        .where(sa.func.date(Assignment.created_at) < Evangelist.appointed_on)
    )
    assert early == 0


def test_nobody_holds_more_open_assignments_than_their_capacity(session):
    rows = session.execute(
        sa.select(Evangelist.capacity, sa.func.count(Assignment.id))
        .join(Assignment, Assignment.evangelist_id == Evangelist.id)
        .where(Assignment.status.in_(("proposed", "accepted")))
        .group_by(Evangelist.id, Evangelist.capacity)
    ).all()
    assert len(rows) >= 20
    assert all(n <= capacity for capacity, n in rows)


def test_evangelists_spread_with_population(session):
    counts = dict(session.execute(
        sa.select(Prefecture.code, sa.func.count(Evangelist.id))
        .join(Municipality, Municipality.prefecture_id == Prefecture.id)
        .join(Evangelist, Evangelist.home_municipality_id == Municipality.id)
        .group_by(Prefecture.code)
    ).all())
    population = demo.prefecture_population()
    total, people = sum(counts.values()), sum(population.values())
    expected = {code: total * n / people for code, n in population.items()}
    codes = sorted(population)
    observed = np.array([counts.get(c, 0) for c in codes], dtype=float)
    wanted = np.array([expected[c] for c in codes])
    assert np.corrcoef(observed, wanted)[0, 1] > 0.95
    # Each prefecture within chance of its share (about three standard deviations), so no
    # prefecture has 22 while a neighbour of the same size has 8.
    off = {c: (counts.get(c, 0), round(expected[c], 1)) for c in codes
           if abs(counts.get(c, 0) - expected[c]) > 3 * math.sqrt(expected[c]) + 2}
    assert off == {}
    assert min(observed) >= 1, "every prefecture has someone"


def test_ages_and_genders_show_the_programmes_picture(session):
    people = session.execute(sa.select(Evangelist.age_band, Evangelist.gender, Evangelist.given_name)).all()
    bands = Counter(a for a, _, _ in people if a)
    genders = Counter(g for _, g, _ in people if g)
    said_age = sum(bands.values())
    assert said_age / len(people) > 0.7 and sum(genders.values()) / len(people) > 0.7
    working_age = sum(bands[b] for b in ("30s", "40s", "50s")) / said_age
    assert working_age > 0.6, bands
    assert bands["under_20"] + bands["70_plus"] < 0.1 * said_age
    # The diversity challenge is visible: clearly more men than women.
    assert genders["male"] > 2 * genders["female"] > 0, genders
    # Given names fit the stated gender.
    female = {n for (g, _), names in demo.GIVEN_NAMES.items() if g == "female" for n in names}
    male = {n for (g, _), names in demo.GIVEN_NAMES.items() if g == "male" for n in names}
    assert all(name not in male for _, g, name in people if g == "female")
    assert all(name not in female for _, g, name in people if g == "male")


def test_every_evangelist_has_their_way_through_the_pipeline_on_record(session):
    people = session.scalars(sa.select(Evangelist)).all()
    history = _events(session, "evangelist", [e.id for e in people])
    for person in people:
        events = history[person.id]
        assert events[0].action == "evangelist.nominated" and events[0].after["email"].endswith("example.jp")
        if person.status == "candidate":
            assert len(events) == 1
            continue
        appointed = events[1]
        assert appointed.action == "evangelist.appointed"
        assert _japan_day(appointed.created_at) == person.appointed_on
        assert appointed.after["appointed_on"] == person.appointed_on.isoformat()
        assert events[0].created_at < appointed.created_at
        if person.status in ("paused", "retired"):
            assert [e.action for e in events[2:]] == [f"evangelist.{person.status}"]
            assert events[2].created_at > appointed.created_at
        else:
            assert len(events) == 2


# --- communities -----------------------------------------------------------------------


def test_communities_have_varied_names_sizes_by_town_an_area_and_a_website(session):
    rows = session.execute(
        sa.select(Community.name, Community.member_count, Community.website, Community.contact_email,
                  Community.description, Municipality.name, Municipality.kind)
        .join(Community.municipality)
    ).all()
    assert len(rows) == 60
    # The name's frame, once the town is taken out: many of them, none dominant.
    frames = Counter(
        re.sub(r"[A-Z][a-z]+", "X", name.replace(town.removesuffix("市").removesuffix("区"), "X"))
        for name, *_, town, _ in rows
    )
    assert len(frames) >= 8 and max(frames.values()) <= len(rows) // 4, frames
    websites = [r[2] for r in rows]
    assert len(set(websites)) == len(rows)
    assert all(re.fullmatch(r"https://[a-z0-9]+(-[a-z0-9]+)*\.example\.jp/", w) for w in websites), websites
    assert all(re.fullmatch(r"info@[a-z0-9-]+\.example\.jp", r[3]) for r in rows)
    # Each says where it works: its own town first.
    assert all(description.startswith(town) for _, _, _, _, description, town, _ in rows)
    # Members by town size: designated cities' groups are bigger than other cities'.
    by_kind = {k: statistics.median(r[1] for r in rows if r[6] == k) for k in ("designated_city", "city")}
    assert by_kind["designated_city"] > 2 * by_kind["city"], by_kind
    assert min(r[1] for r in rows) >= 3


# --- requests --------------------------------------------------------------------------


def test_waiting_requests_are_as_old_as_the_dashboard_says_requests_wait(session):
    figures = request_figures()
    to_proposal = figures.to_assignment.value
    assert figures.to_assignment.n >= 100 and 3 <= to_proposal <= 14
    ages = [
        (TODAY - _japan_day(created)).days
        for created in session.scalars(sa.select(SupportRequest.created_at).where(SupportRequest.status.in_(OPEN_WAITING)))
    ]
    assert len(ages) >= 3
    assert to_proposal / 3 <= statistics.median(ages) <= 3 * to_proposal, (ages, to_proposal)
    # The longest wait of a request still waiting is within the tail of the waits that ended.
    waits = sorted(
        (_japan_day(a) - _japan_day(c)).days
        for c, a in session.execute(
            sa.select(SupportRequest.created_at, sa.func.min(Assignment.created_at))
            .join(Assignment).group_by(SupportRequest.id, SupportRequest.created_at)
        )
    )
    assert max(ages) <= waits[int(0.99 * len(waits))] + 14
    # Requests under way are no older than visits and their gaps make them.
    to_visit = figures.to_visit.value
    scheduled = [
        (TODAY - _japan_day(created)).days
        for created in session.scalars(sa.select(SupportRequest.created_at).where(SupportRequest.status == "scheduled"))
    ]
    assert scheduled and statistics.median(scheduled) <= 4 * to_visit


def test_submissions_come_at_varied_times_mostly_on_weekdays_in_office_hours_in_japan(session):
    moments = [c.astimezone(PROGRAMME_ZONE) for c in session.scalars(sa.select(SupportRequest.created_at))]
    assert len(moments) == 200
    weekday = sum(m.weekday() < 5 for m in moments) / len(moments)
    office = sum(8 <= m.hour < 18 for m in moments) / len(moments)
    assert weekday >= 0.85 and 0.6 <= office <= 0.95, (weekday, office)
    assert len({m.hour for m in moments}) >= 10
    assert len({(m.hour, m.minute) for m in moments}) >= 0.8 * len(moments)
    assert len({m.date() for m in moments}) >= 0.6 * len(moments)


def test_visit_summaries_vary(session):
    summaries = list(session.scalars(sa.select(Visit.summary)))
    assert len(summaries) >= 100
    assert len(set(summaries)) >= 0.9 * len(summaries)
    assert all(s.endswith("。") and len(s) >= 30 for s in summaries)


def test_towns_helped_to_open_data_became_active_on_the_visits_day(session):
    rows = session.execute(
        sa.select(Municipality.open_data_status, Municipality.open_data_since, Municipality.engagement_stage,
                  sa.func.min(Visit.visited_on))
        .join(SupportRequest, SupportRequest.municipality_id == Municipality.id)
        .join(Assignment).join(Visit)
        .where(Visit.outcomes.any(sa.text("type IN ('open_data_published', 'catalog_launched')")))
        .group_by(Municipality.id)
    ).all()
    assert len(rows) >= 50
    assert all(status == "active" and stage == "active" and since == first for status, since, stage, first in rows)
    active = session.scalar(sa.select(sa.func.count()).where(Municipality.open_data_status == "active"))
    assert 0.86 <= active / 1741 <= 0.93  # the Agency's list counts about 90 %


# --- history ---------------------------------------------------------------------------


def _events(session, entity_type, ids):
    rows = session.scalars(
        sa.select(AuditEvent).where(AuditEvent.entity_type == entity_type, AuditEvent.entity_id.in_(ids))
        .order_by(AuditEvent.created_at, AuditEvent.id)
    ).all()
    grouped: dict[int, list[AuditEvent]] = {}
    for e in rows:
        grouped.setdefault(e.entity_id, []).append(e)
    return grouped


def close(a, b) -> bool:
    return abs(a - b) < timedelta(seconds=1)


def test_every_request_has_its_history_from_submission_to_where_it_is(session):
    all_requests = session.scalars(sa.select(SupportRequest)).all()
    history = _events(session, "support_request", [r.id for r in all_requests])
    completed = 0
    for r in all_requests:
        events = history.get(r.id, [])
        assert events and events[0].action == "request.submitted", r.id
        assert events[0].created_at == r.created_at
        # Replaying the moves gives the request's status, each one allowed by the lifecycle.
        status = "new"
        for e in events[1:]:
            if e.action.startswith("request.") and e.after and "status" in e.after:
                assert e.before == {"status": status} or e.before is None, (r.id, e.action, e.before)
                lifecycle.check("request", status, e.after["status"])
                status = e.after["status"]
        assert status == r.status, r.id
        assert [e.created_at for e in events] == sorted(e.created_at for e in events)
        assert events[-1].created_at <= r.updated_at + timedelta(seconds=1) or r.status in ("assigned", "triaged")
        if r.status == "completed":
            completed += 1
            actions = [e.action for e in events]
            # (events of one step are a few microseconds apart, to keep their order)
            assert actions[-1] == "request.completed" and close(events[-1].created_at, r.closed_at)
            assert "request.assigned" in actions and "request.scheduled" in actions
    assert completed >= 100


def test_a_completed_requests_history_agrees_with_its_towns_timeline(session):
    """The timeline is built from the rows' own moments; the history's events carry the
    same moments, so the two tell the same story step by step."""
    checked = 0
    for request in session.scalars(
        sa.select(SupportRequest).where(SupportRequest.status == "completed").order_by(SupportRequest.id).limit(20)
    ):
        kinds = Counter(e.kind for e in visits.municipality_timeline(request.municipality_id)
                        if e.request_id == request.id)
        history = {e.action: e.created_at for e in requests.request_history(request)}
        assert history["request.submitted"] == request.created_at
        assert close(history["request.completed"], request.closed_at)
        (assignment,) = [a for a in request.assignments if a.status == "completed"]
        events = {e.action: e.created_at for e in _events(session, "assignment", [assignment.id])[assignment.id]}
        assert close(events["assignment.proposed"], assignment.created_at)
        assert close(events["assignment.accepted"], assignment.responded_at)
        assert close(events["assignment.completed"], assignment.completed_at)
        logged = _events(session, "visit", [v.id for v in assignment.visits])
        assert sorted(logged) == sorted(v.id for v in assignment.visits)
        # Every step the timeline shows has its event: received and completed, each
        # assignment's proposal and answer, each visit.
        assert kinds["request"] == 2 and kinds["visit"] == len(logged)
        assert kinds["assignment"] == sum(
            1 + (a.responded_at is not None) + (a.completed_at is not None) for a in request.assignments
        )
        checked += 1
    assert checked == 20


# The same events, with the same payload keys, as the live services write.
LIVE_SHAPES = {
    "request.submitted": ("support_request", None, {"municipality"}),
    "request.triaged": ("support_request", {"status"}, {"status"}),
    "request.assigned": ("support_request", {"status"}, {"status"}),
    "request.scheduled": ("support_request", {"status"}, {"status"}),
    "request.completed": ("support_request", {"status"}, {"status"}),
    "assignment.proposed": ("assignment", None, {"request", "evangelist", "score"}),
    "assignment.accepted": ("assignment", None, {"request"}),
    "assignment.completed": ("assignment", None, {"request"}),
    "visit.logged": ("visit", None, {"assignment", "outcomes"}),
    "municipality.activated": ("municipality", {"open_data_status", "engagement_stage"},
                               {"open_data_status", "engagement_stage", "visit"}),
    "evangelist.nominated": ("evangelist", None,
                             {"family_name", "given_name", "family_name_kana", "given_name_kana", "home_municipality",
                              "community", "skills", "email", "note"}),
    "evangelist.appointed": ("evangelist", {"status", "appointed_on"}, {"status", "appointed_on", "user", "account"}),
    "evangelist.paused": ("evangelist", {"status"}, {"status"}),
    "evangelist.retired": ("evangelist", {"status"}, {"status"}),
}


# Shapes the seed writes besides those: a candidate who applied on the public form is
# nominated through the same path, its event naming the application (issue 22, point 6;
# tests/services/test_applications.py checks the live service writes it).
APPLIED_SHAPES = {
    "evangelist.nominated": ("evangelist", None, {*LIVE_SHAPES["evangelist.nominated"][2], "application"}),
}


def _frozen(shape):
    entity_type, before, after = shape
    return (entity_type, None if before is None else frozenset(before), None if after is None else frozenset(after))


# The status moves that also make their actor the request's owner when it has none
# (app/services/ownership.py): their payload names the owner that once, so "owner" is left
# out of their shape and checked on its own below.
CLAIMING = ("request.triaged", "request.assigned")


def _shape(event: AuditEvent):
    after = event.after
    if after is not None and event.action in CLAIMING:
        after = {key: value for key, value in after.items() if key != "owner"}
    return (event.entity_type, None if event.before is None else frozenset(event.before),
            None if after is None else frozenset(after))


def test_each_request_the_coordinator_moved_out_of_new_is_theirs_named_once_in_its_history(session):
    coordinator = session.scalar(sa.select(User).where(User.email == "coordinator@example.jp"))
    claims = {e.entity_id: e.after["owner"] for e in session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action.in_(CLAIMING))) if "owner" in (e.after or {})}
    owned = dict(session.execute(sa.select(SupportRequest.id, SupportRequest.owner_id)
                                 .where(SupportRequest.owner_id.is_not(None))).all())
    assert claims and claims == owned and set(owned.values()) == {coordinator.id}
    moved = set(session.scalars(sa.select(AuditEvent.entity_id).where(
        AuditEvent.action.in_(CLAIMING), AuditEvent.actor_id == coordinator.id)))
    assert moved == set(owned)


def test_seeded_events_have_the_shapes_the_services_write(session):
    shapes: dict[str, set] = {}
    for e in session.scalars(sa.select(AuditEvent).where(AuditEvent.action.in_(LIVE_SHAPES))):
        shapes.setdefault(e.action, set()).add(_shape(e))
    assert shapes == {action: {_frozen(shape)} | ({_frozen(APPLIED_SHAPES[action])} if action in APPLIED_SHAPES
                                                  else set())
                      for action, shape in LIVE_SHAPES.items()}
    # Actors as the services name them: the town, the coordinator, the evangelist.
    coordinator = session.scalar(sa.select(User).where(User.email == "coordinator@example.jp"))
    labels = Counter(
        (action, label if label == "municipality" else role)
        for action, label, role in session.execute(
            sa.select(AuditEvent.action, AuditEvent.actor_label, User.role)
            .outerjoin(User, User.id == AuditEvent.actor_id)
            .where(AuditEvent.action.in_(("request.submitted", "assignment.proposed", "assignment.accepted",
                                          "visit.logged")))
        )
    )
    assert {key for key in labels} == {
        ("request.submitted", "municipality"), ("assignment.proposed", "coordinator"),
        ("assignment.accepted", "evangelist"), ("visit.logged", "evangelist"),
    }
    assert coordinator is not None


def test_the_live_services_write_those_shapes(db, gazetteer):
    """The reference above, taken from the services themselves: a request submitted,
    triaged, proposed, accepted, visited with a first publication, completed; a person
    nominated, appointed, paused and retired."""
    sync_topics()
    seed_demo(evangelists=25, communities=5, requests=10, seed=9, today=TODAY)
    coordinator = db.session.scalar(sa.select(User).where(User.email == "coordinator@example.jp"))
    person = db.session.scalar(sa.select(User).where(User.email == "evangelist@example.jp")).evangelist
    proposal = db.session.scalar(sa.select(Assignment).where(Assignment.evangelist_id == person.id))
    if proposal is not None:  # the demo's own proposal: answer it, to free the slot
        matching.respond(person.user, proposal, False, reason="test")
    town = db.session.scalar(
        sa.select(Municipality).where(Municipality.engagement_stage == "none",
                                      Municipality.open_data_status == "non_active")
        .order_by(sa.func.abs(Municipality.lat - person.lat) + sa.func.abs(Municipality.lon - person.lon))
    )
    start = db.session.scalar(sa.select(sa.func.max(AuditEvent.id)))
    made = requests.submit_request(requests.Submission(
        municipality_code=town.code, contact_name="山田 花子", department="企画課", email="hanako@example.jp",
        phone=None, topics=("licensing",), mode="either", period="", message="", nonce="demo-shapes",
    ), address=None)
    request = made.request
    requests.change_status(coordinator, request, "triaged")
    assignment = matching.propose(coordinator, request, person.id, address=None, today=TODAY)
    matching.respond(person.user, assignment, True)
    visits.log_visit(person.user, assignment, visits.VisitInput(
        visited_on=TODAY, mode="online", duration_minutes=60, summary="テスト",
        outcomes=(visits.OutcomeInput("open_data_published"),),
    ), today=TODAY)
    visits.complete_assignment(person.user, assignment)
    candidate = recruitment.nominate(coordinator, recruitment.NominationInput(
        family_name="山田", given_name="花子", municipality_code=town.code, email="hanako.y@example.jp",
        family_name_kana="やまだ", given_name_kana="はなこ",
    ))
    recruitment.move_evangelist(coordinator, candidate, "active", appointed_on=TODAY, today=TODAY,
                                email="hanako.y@example.jp")
    recruitment.move_evangelist(coordinator, candidate, "paused")
    recruitment.move_evangelist(coordinator, candidate, "retired")
    live = {e.action: _shape(e) for e in db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.id > start, AuditEvent.action != "user.invited"))}
    assert live == {action: _frozen(shape) for action, shape in LIVE_SHAPES.items()}


def test_the_demo_coordinator_has_the_last_weeks_new_requests_as_notices_none_mailed(session):
    from app.models import Notice
    from evangelists.calendar import start_of_day_in_japan

    coordinator = session.scalar(sa.select(User).where(User.email == "coordinator@example.jp"))
    rows = session.scalars(sa.select(Notice).where(Notice.user_id == coordinator.id)).all()
    recent = session.scalars(sa.select(SupportRequest).where(
        SupportRequest.created_at >= start_of_day_in_japan(TODAY - timedelta(days=7)))).all()
    assert recent and {row.request_id for row in rows if row.kind == "request_new"} == {r.id for r in recent}
    assert {row.mail for row in rows} == {"none"}
    unread = [row for row in rows if row.read_at is None]
    assert len(unread) == min(3, len(rows))


def test_about_two_in_three_completed_requests_answered_the_closing_question_mostly_well(session):
    from app.models import RequestFeedback

    completed = session.scalars(sa.select(SupportRequest).where(SupportRequest.status == "completed")).all()
    answers = session.scalars(sa.select(RequestFeedback)).all()
    assert completed and 0.45 <= len(answers) / len(completed) <= 0.85
    by_request = {r.id: r for r in completed}
    assert all(a.request_id in by_request and a.created_at > by_request[a.request_id].closed_at for a in answers)
    ratings = Counter(a.rating for a in answers)
    assert ratings[5] + ratings[4] > len(answers) / 2 and set(ratings) <= {1, 2, 3, 4, 5}


def test_some_communities_are_listed_in_public_and_two_registrations_wait(session):
    """Communities in public (issue 22.5): about a third of the active communities are
    listed, each saying how to join; two registrations wait, one of them flagged as a
    known community registering again."""
    from app.models import CommunityRegistration
    from app.services.community_registrations import possible_duplicates

    communities = session.scalars(sa.select(Community)).all()
    listed = [c for c in communities if c.public]
    assert 0.15 <= len(listed) / len(communities) <= 0.5
    assert all(c.how_to_join for c in listed)
    assert not any(c.how_to_join for c in communities if not c.public)
    waiting = session.scalars(sa.select(CommunityRegistration).order_by(CommunityRegistration.id)).all()
    assert [r.status for r in waiting] == ["pending", "pending"]
    flagged = possible_duplicates(waiting)
    assert set(flagged) == {waiting[0].id}
    (match,) = flagged[waiting[0].id]
    assert match.how == "same" and match.other.kind == "community"
    assert session.get(Community, match.other.id).municipality_id == waiting[0].municipality_id
# --- use cases (issue 22) ---------------------------------------------------------------


def test_the_demo_use_cases_come_from_completed_requests_and_only_agreed_ones_are_published(session):
    from app.models import AuditEvent, UseCase

    rows = session.scalars(sa.select(UseCase).order_by(UseCase.id)).all()
    assert sorted(u.status for u in rows) == ["changes_asked", "published", "published", "published", "with_town"]
    assert [u.kind for u in rows if u.status == "published"].count("participation") == 1
    for use_case in rows:
        request = use_case.request
        assert request.status == "completed" and use_case.municipality_id == request.municipality_id
        served = {a.evangelist.user_id for a in request.assignments}
        assert use_case.author_id in served and use_case.visits and use_case.what_was_done
        assert use_case.municipality.name in use_case.search_text
        assert use_case.created_at >= request.closed_at
        actions = session.scalars(sa.select(AuditEvent.action).where(
            AuditEvent.entity_type == "use_case", AuditEvent.entity_id == use_case.id)
            .order_by(AuditEvent.created_at)).all()
        assert actions[:3] == ["use_case.drafted", "use_case.submitted", "use_case.sent"]
        if use_case.status == "published":
            assert use_case.published_at is not None and _japan_day(use_case.published_at) <= TODAY
            assert [a.decision for a in use_case.town_answers] == ["agreed"] and actions[-1] == "use_case.agreed"
        else:
            assert use_case.published_at is None
        if use_case.status == "changes_asked":
            assert use_case.town_answers[-1].message and actions[-1] == "use_case.changes_asked"
