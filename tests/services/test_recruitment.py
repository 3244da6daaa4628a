"""The recruitment pipeline: nominating candidates, every allowed and refused move,
appointments that create the account and its invitation, the board, and a coordinator's
edit of an evangelist."""

from __future__ import annotations

from datetime import timedelta
from itertools import product

import pytest
import sqlalchemy as sa

from app.models import AuditEvent, Evangelist, Topic, User
from app.services.accounts import read_password_token
from app.services.communities import LocationInput, LocationRefused
from app.services.recruitment import (
    EVANGELIST_TRANSITIONS,
    BoardFilters,
    BoardPages,
    EvangelistInput,
    NominationInput,
    RecruitmentRefused,
    allowed_moves,
    move_evangelist,
    nominate,
    nomination_of,
    recruitment_board,
    transition_refusal,
    update_evangelist,
)
from app.services.topics import sync_topics
from evangelists.calendar import today_in_japan as today
from evangelists.lifecycle import TransitionRefused
from evangelists.vocabulary import EVANGELIST_STATUSES
from tests.factories import (
    make_assignment,
    make_community,
    make_evangelist,
    make_places,
    make_request,
    make_user,
)


@pytest.fixture
def world(db):
    sync_topics()
    places = make_places("sapporo", "hirosaki")
    sapporo, hirosaki = places["sapporo"], places["hirosaki"]
    c4s = make_community(name="Code for Sapporo", municipality=sapporo)
    c4a = make_community(name="Code for Aomori", municipality=hirosaki)
    coordinator = make_user(role="coordinator", email="coord@example.jp")
    db.session.commit()
    return {"sapporo": sapporo, "hirosaki": hirosaki, "c4s": c4s, "c4a": c4a, "coordinator": coordinator}


def nomination(**overrides) -> NominationInput:
    fields = dict(family_name="候補", given_name="一郎", municipality_code="011002", email="Ichiro@Example.JP",
                  skills=("gis", "licensing"), note="ハッカソンで活躍", family_name_kana="コウホ",
                  given_name_kana="イチロウ")
    fields.update(overrides)
    return NominationInput(**fields)


def events(db, action=None, entity_id=None):
    query = sa.select(AuditEvent).order_by(AuditEvent.id)
    if action:
        query = query.where(AuditEvent.action == action)
    if entity_id:
        query = query.where(AuditEvent.entity_id == entity_id)
    return list(db.session.scalars(query))


def person_in(db, world, status: str) -> Evangelist:
    """Someone with ``status``: candidates without an account, everyone else with one."""
    user = None if status == "candidate" else make_user(role="evangelist")
    person = make_evangelist(home_municipality=world["sapporo"], status=status, user=user, family_name_kana="シケン",
                             appointed_on=None if status == "candidate" else today() - timedelta(days=100))
    db.session.commit()
    return person


# --- nominating -------------------------------------------------------------------------------


def test_a_nominee_is_a_candidate_without_account_at_their_municipality(db, world):
    coordinator = world["coordinator"]
    person = nominate(coordinator, nomination(community_id=world["c4s"].id), address="192.0.2.9")
    db.session.expire_all()
    stored = db.session.get(Evangelist, person.id)
    assert (stored.status, stored.user_id, stored.appointed_on) == ("candidate", None, None)
    assert (stored.lat, stored.lon, stored.location_source) == (43.0642, 141.3469, "municipality")
    assert stored.home_community.name == "Code for Sapporo"
    assert [t.slug for t in stored.skills] == ["licensing", "gis"]  # in vocabulary order
    [event] = events(db, "evangelist.nominated")
    assert event.actor_id == coordinator.id and event.client_address == "192.0.2.9"
    found = nomination_of(stored)
    assert (found.email, found.note) == ("ichiro@example.jp", "ハッカソンで活躍")


def test_a_nominee_needs_no_email_nor_community(db, world):
    person = nominate(world["coordinator"], nomination(email=None, skills=(), note=""))
    assert person.home_community is None and nomination_of(person).email is None


@pytest.mark.parametrize("overrides, field, reason", [
    ({"family_name": " "}, "family_name", "required"),
    ({"given_name": "x" * 61}, "given_name", "too_long"),
    ({"municipality_code": "999999"}, "municipality", "unknown"),
    ({"community_id": 99999}, "community", "unknown"),
    ({"skills": ("gis", "astrology")}, "skills", "unknown"),
    ({"email": "not an address"}, "email", "bad_email"),
])
def test_a_bad_nomination_is_refused_and_writes_nothing(db, world, overrides, field, reason):
    with pytest.raises(RecruitmentRefused) as refused:
        nominate(world["coordinator"], nomination(**overrides))
    assert (refused.value.field, refused.value.reason) == (field, reason)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Evangelist)) == 0


# --- the moves, as data ---------------------------------------------------------------------------


ALLOWED = sorted((a, b) for a, targets in EVANGELIST_TRANSITIONS.items() for b in targets)
REFUSED = sorted(set(product(EVANGELIST_STATUSES, repeat=2)) - set(ALLOWED))


def test_the_moves_are_the_ones_of_the_brief():
    assert set(ALLOWED) == {
        ("candidate", "active"), ("active", "paused"), ("paused", "active"),
        ("active", "retired"), ("paused", "retired"), ("retired", "active"),
        # A candidate who is not appointed leaves the pipeline (issue 22, point 6).
        ("candidate", "retired"),
    }
    assert set(EVANGELIST_TRANSITIONS) == set(EVANGELIST_STATUSES)
    assert allowed_moves("active") == ("paused", "retired")


@pytest.mark.parametrize("current, target", ALLOWED)
def test_every_allowed_move_happens_and_is_audited(db, world, current, target):
    person = person_in(db, world, current)
    person.paused_until = today() + timedelta(days=3) if current == "paused" else None
    db.session.commit()
    appointing = target == "active" and current in ("candidate", "retired")
    extra = {"appointed_on": today(), "email": "new.person@example.jp"} if appointing else {}
    result = move_evangelist(world["coordinator"], person, target, address="192.0.2.1", **extra)
    db.session.expire_all()
    stored = db.session.get(Evangelist, person.id)
    assert stored.status == target and stored.paused_until is None
    assert stored.user_id is not None or target == "retired"
    verb = {("candidate", "active"): "appointed", ("retired", "active"): "reappointed",
            ("paused", "active"): "resumed", ("candidate", "retired"): "declined"}.get((current, target), target)
    [event] = events(db, f"evangelist.{verb}", person.id)
    assert event.before["status"] == current and event.after["status"] == target
    assert event.actor_id == world["coordinator"].id and event.client_address == "192.0.2.1"
    assert result.previous == current


@pytest.mark.parametrize("current, target", REFUSED)
def test_every_other_move_is_refused_and_changes_nothing(db, world, current, target):
    person = person_in(db, world, current)
    before = len(events(db))
    with pytest.raises(TransitionRefused) as refused:
        move_evangelist(world["coordinator"], person, target, appointed_on=today(), email="x@example.jp")
    assert refused.value.machine == "evangelist"
    assert refused.value.reason == ("unchanged" if current == target else "not_allowed")
    assert refused.value.reason == transition_refusal(current, target)
    db.session.rollback()
    assert db.session.get(Evangelist, person.id).status == current
    assert len(events(db)) == before
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User).where(User.email == "x@example.jp")) == 0


def test_an_unknown_status_is_refused():
    assert transition_refusal("active", "sleeping") == "unknown_status"


# --- appointments -----------------------------------------------------------------------------------


def test_appointing_a_candidate_creates_the_account_and_its_invitation(db, world):
    person = nominate(world["coordinator"], nomination())
    result = move_evangelist(world["coordinator"], person, "active", appointed_on=today() - timedelta(days=1),
                             email=nomination_of(person).email)
    db.session.expire_all()
    stored = db.session.get(Evangelist, person.id)
    user = stored.user
    assert (stored.status, stored.appointed_on) == ("active", today() - timedelta(days=1))
    assert (user.email, user.role, user.display_name, user.password_hash) == (
        "ichiro@example.jp", "evangelist", "候補 一郎", None)
    assert (result.account, result.purpose) == ("created", "invitation")
    assert read_password_token(result.token, "invitation").id == user.id  # the link works
    [invited] = events(db, "user.invited")
    assert invited.entity_id == user.id and invited.after == {"email": "ichiro@example.jp", "role": "evangelist"}
    [appointed] = events(db, "evangelist.appointed")
    assert appointed.after["account"] == "created" and appointed.after["user"] == user.id


@pytest.mark.parametrize("kwargs, field, reason", [
    ({"appointed_on": None, "email": "a@example.jp"}, "appointed_on", "date_required"),
    ({"appointed_on": timedelta(days=10), "email": "a@example.jp"}, "appointed_on", "future_date"),
    ({"appointed_on": timedelta(0), "email": None}, "email", "email_required"),
    ({"appointed_on": timedelta(0), "email": "coord@example.jp"}, "email", "email_taken"),
])
def test_an_incomplete_appointment_is_refused_and_creates_no_account(db, world, kwargs, field, reason):
    if kwargs["appointed_on"] is not None:  # given as days from today, known only when the test runs
        kwargs = {**kwargs, "appointed_on": today() + kwargs["appointed_on"]}
    person = person_in(db, world, "candidate")
    users = db.session.scalar(sa.select(sa.func.count()).select_from(User))
    with pytest.raises(RecruitmentRefused) as refused:
        move_evangelist(world["coordinator"], person, "active", **kwargs)
    assert (refused.value.field, refused.value.reason) == (field, reason)
    db.session.rollback()
    assert db.session.get(Evangelist, person.id).status == "candidate"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == users
    assert events(db, "evangelist.appointed") == []


def test_an_evangelist_account_without_a_profile_is_linked_not_duplicated(db, world):
    invited_earlier = make_user(role="evangelist", email="hanako@example.jp", password_hash=None)
    person = person_in(db, world, "candidate")
    result = move_evangelist(world["coordinator"], person, "active", appointed_on=today(), email="HANAKO@example.jp")
    assert result.account == "linked" and person.user_id == invited_earlier.id
    assert read_password_token(result.token, "invitation").id == invited_earlier.id
    assert events(db, "user.invited") == []


def test_reappointing_someone_with_an_account_sends_no_new_invitation(db, world):
    person = person_in(db, world, "retired")
    account = person.user_id
    result = move_evangelist(world["coordinator"], person, "active", appointed_on=today())
    assert (result.account, result.token) == ("existing", None)
    assert person.user_id == account and person.appointed_on == today()
    [event] = events(db, "evangelist.reappointed")
    assert event.before["appointed_on"] == (today() - timedelta(days=100)).isoformat()


def test_reappointing_someone_whose_account_is_deactivated_is_refused(db, world):
    person = person_in(db, world, "retired")
    person.user.is_active = False
    db.session.commit()
    with pytest.raises(RecruitmentRefused) as refused:
        move_evangelist(world["coordinator"], person, "active", appointed_on=today())
    assert refused.value.reason == "account_deactivated"


def held_work(db, world, person):
    """An accepted assignment (its request scheduled, its town "evangelist in charge"), a
    proposed one, and a finished one that must stay as it is."""
    hirosaki = world["hirosaki"]
    hirosaki.engagement_stage = "assigned"
    accepted = make_assignment(request=make_request(municipality=hirosaki, status="scheduled"), evangelist=person,
                               status="accepted")
    proposed = make_assignment(request=make_request(municipality=world["sapporo"], status="assigned"),
                               evangelist=person, status="proposed")
    done = make_assignment(request=make_request(municipality=hirosaki, status="completed"), evangelist=person,
                           status="completed")
    db.session.commit()
    return accepted, proposed, done


@pytest.mark.parametrize("target", ["paused", "retired"])
def test_pausing_or_retiring_someone_with_open_work_needs_a_decision(db, world, target):
    person = person_in(db, world, "active")
    accepted, proposed, _done = held_work(db, world, person)
    before = len(events(db))
    with pytest.raises(RecruitmentRefused) as refused:
        move_evangelist(world["coordinator"], person, target)
    assert (refused.value.field, refused.value.reason) == ("open_assignments", "decision_required")
    db.session.expire_all()
    assert db.session.get(Evangelist, person.id).status == "active"
    assert (accepted.status, proposed.status) == ("accepted", "proposed")
    assert len(events(db)) == before


def test_a_retired_evangelist_cannot_keep_open_work(db, world):
    person = person_in(db, world, "active")
    held_work(db, world, person)
    with pytest.raises(RecruitmentRefused):
        move_evangelist(world["coordinator"], person, "retired", open_work="keep")


@pytest.mark.parametrize("target", ["paused", "retired"])
def test_handing_back_cancels_the_open_assignments_and_requeues_their_requests(db, world, target):
    person = person_in(db, world, "active")
    accepted, proposed, done = held_work(db, world, person)
    result = move_evangelist(world["coordinator"], person, target, open_work="hand_back", address="192.0.2.1")
    db.session.expire_all()
    assert db.session.get(Evangelist, person.id).status == target
    assert (accepted.status, proposed.status, done.status) == ("cancelled", "cancelled", "completed")
    # Back in the coordinators' queue, as when an evangelist declines.
    assert (accepted.request.status, proposed.request.status, done.request.status) == (
        "triaged", "triaged", "completed")
    assert world["hirosaki"].engagement_stage == "requested"
    assert set(result.handed_back) == {accepted.id, proposed.id}
    [move] = events(db, f"evangelist.{target}", person.id)
    assert sorted(move.after["handed_back"]) == sorted([accepted.id, proposed.id])
    cancelled = events(db, "assignment.cancelled")
    assert {e.entity_id for e in cancelled} == {accepted.id, proposed.id}
    assert all(e.after["reason"] == f"evangelist_{target}" and e.client_address == "192.0.2.1" for e in cancelled)
    requeued = events(db, "request.triaged")
    assert {(e.entity_id, e.before["status"]) for e in requeued} == {
        (accepted.request_id, "scheduled"), (proposed.request_id, "assigned")}


def test_a_paused_evangelist_may_keep_their_open_work(db, world):
    person = person_in(db, world, "active")
    accepted, proposed, _done = held_work(db, world, person)
    result = move_evangelist(world["coordinator"], person, "paused", open_work="keep")
    db.session.expire_all()
    assert (accepted.status, proposed.status) == ("accepted", "proposed")
    assert result.kept == 2 and result.handed_back == ()
    [event] = events(db, "evangelist.paused")
    assert event.after["open_assignments"] == 2


def test_someone_without_open_work_is_retired_without_a_question(db, world):
    person = person_in(db, world, "active")
    move_evangelist(world["coordinator"], person, "retired")
    assert person.status == "retired"


def test_the_same_nomination_form_sent_twice_makes_one_candidate(db, world):
    first = nominate(world["coordinator"], nomination(nonce="form-1"))
    second = nominate(world["coordinator"], nomination(nonce="form-1"))
    assert first.id == second.id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Evangelist)) == 1
    assert len(events(db, "evangelist.nominated")) == 1
    # Another form (another nonce) is another nomination, even of the same name.
    third = nominate(world["coordinator"], nomination(nonce="form-2"))
    assert third.id != first.id


def test_only_an_appointment_takes_a_date(db, world):
    person = person_in(db, world, "active")
    with pytest.raises(ValueError):
        move_evangelist(world["coordinator"], person, "paused", appointed_on=today())


# --- the board ----------------------------------------------------------------------------------------


@pytest.fixture
def pipeline(db, world):
    people = {}
    for name, status, town, community in [
        ("札幌 候補", "candidate", "sapporo", "c4s"),
        ("札幌 活動", "active", "sapporo", "c4s"),
        ("札幌 休止", "paused", "sapporo", None),
        ("弘前 活動", "active", "hirosaki", "c4a"),
        ("弘前 引退", "retired", "hirosaki", "c4a"),
    ]:
        family, given = name.split()
        people[name] = make_evangelist(
            family_name=family, given_name=given, status=status, home_municipality=world[town],
            home_community=world[community] if community else None,
            user=None if status == "candidate" else make_user(role="evangelist"),
        )
    db.session.commit()
    return people


def test_the_board_has_one_column_per_stage_and_counts_per_community(db, world, pipeline):
    board = recruitment_board(BoardFilters())
    assert list(board.columns) == list(EVANGELIST_STATUSES)
    assert board.counts == {"candidate": 1, "active": 2, "paused": 1, "retired": 1}
    rows = {row.name: row.counts for row in board.per_community.items}
    assert rows == {
        "Code for Aomori": {"candidate": 0, "active": 1, "paused": 0, "retired": 1},
        "Code for Sapporo": {"candidate": 1, "active": 1, "paused": 0, "retired": 0},
        None: {"candidate": 0, "active": 0, "paused": 1, "retired": 0},
    }
    assert [row.name for row in board.per_community.items] == ["Code for Aomori", "Code for Sapporo", None]
    assert board.per_community.total == 3


def test_the_board_filters_by_prefecture_and_community(db, world, pipeline):
    aomori = recruitment_board(BoardFilters(prefecture="02"))
    assert aomori.counts == {"candidate": 0, "active": 1, "paused": 0, "retired": 1}
    assert [row.name for row in aomori.per_community.items] == ["Code for Aomori"]
    sapporo = recruitment_board(BoardFilters(community=world["c4s"].id))
    shown = sapporo.columns["candidate"].items + sapporo.columns["active"].items
    assert [e.display_name for e in shown] == ["札幌 候補", "札幌 活動"]
    assert sapporo.total == 2


def _read(board):
    return [(e.home_municipality.prefecture.code, e.home_community and e.home_community.name)
            for column in board.columns.values() for e in column.items]


def test_the_board_is_four_queries_whatever_its_size(db, world, pipeline, count_queries):
    with count_queries() as few:
        _read(recruitment_board(BoardFilters()))
    for n in range(30):
        community = make_community(name=f"追加 {n}", municipality=world["hirosaki"])
        make_evangelist(family_name=f"追加{n}", home_municipality=world["hirosaki"], home_community=community)
    db.session.commit()
    with count_queries() as many:
        _read(recruitment_board(BoardFilters(), per_column=3, community_rows=5))
    with count_queries() as filtered:
        _read(recruitment_board(BoardFilters(prefecture="02", community=world["c4a"].id)))
    assert few.count == many.count == filtered.count == 4


def test_each_column_and_the_table_are_paged_on_their_own(db, world, pipeline):
    for n in range(6):
        make_evangelist(family_name=f"追加{n}", given_name="活動", status="active", home_municipality=world["hirosaki"],
                        home_community=world["c4a"], user=make_user(role="evangelist"))
    db.session.commit()
    everyone = recruitment_board(BoardFilters(), per_column=100)
    first = recruitment_board(BoardFilters(), per_column=3, community_rows=2)
    assert first.columns["active"].items == everyone.columns["active"].items[:3]  # the first by name
    assert first.columns["retired"].items == everyone.columns["retired"].items
    assert first.counts == everyone.counts == {"candidate": 1, "active": 8, "paused": 1, "retired": 1}
    assert first.columns["active"].pages == 3 and first.per_community.pages == 2
    assert first.per_community.items == everyone.per_community.items[:2]
    later = recruitment_board(BoardFilters(), BoardPages(columns=(("active", 3),), communities=2),
                              per_column=3, community_rows=2)
    assert later.columns["active"].items == everyone.columns["active"].items[6:]
    assert later.columns["candidate"].items == everyone.columns["candidate"].items  # the others stay on page 1
    assert later.per_community.items == everyone.per_community.items[2:]
    beyond = recruitment_board(BoardFilters(), BoardPages(columns=(("active", 99),)), per_column=3)
    assert beyond.columns["active"].items == () and beyond.columns["active"].total == 8


# --- a coordinator's edit -------------------------------------------------------------------------------


def person_input(person, **overrides) -> EvangelistInput:
    fields = dict(family_name=person.family_name, given_name=person.given_name,
                  municipality_code=person.home_municipality.code, community_id=person.home_community_id,
                  skills=tuple(t.slug for t in person.skills),
                  family_name_kana=person.family_name_kana or "シケン", given_name_kana=person.given_name_kana or "ハナコ")
    fields.update(overrides)
    return EvangelistInput(**fields)


def test_a_coordinator_sets_an_evangelists_position_by_hand(db, world):
    person = person_in(db, world, "active")
    changed = update_evangelist(world["coordinator"], person,
                                person_input(person, location=LocationInput("manual", lat=43.1, lon=141.4)))
    assert set(changed) == {"lat", "lon", "location_source"}
    assert (person.lat, person.lon, person.location_source) == (43.1, 141.4, "manual")
    [event] = events(db, "evangelist.updated")
    assert event.after == {"lat": 43.1, "lon": 141.4, "location_source": "manual"}
    # A new home municipality with the default position moves them to its office.
    update_evangelist(world["coordinator"], person, person_input(person, municipality_code="022021"))
    assert (person.lat, person.lon, person.location_source) == (40.6031, 140.4640, "municipality")


def test_an_evangelists_position_follows_the_same_rules(db, world):
    person = person_in(db, world, "candidate")
    with pytest.raises(LocationRefused) as refused:
        update_evangelist(world["coordinator"], person,
                          person_input(person, location=LocationInput("manual", lat=50.0, lon=141.0)))
    assert refused.value.reason == "outside_japan"

    def geocoder(address):
        return (43.07, 141.35) if address == "札幌駅" else None

    update_evangelist(world["coordinator"], person,
                      person_input(person, location=LocationInput("geocoded", address="札幌駅")), geocoder=geocoder)
    assert (person.lat, person.lon, person.location_source) == (43.07, 141.35, "geocoded")
    # The address is not stored: saving again without one keeps the position.
    assert update_evangelist(world["coordinator"], person,
                             person_input(person, location=LocationInput("geocoded")), geocoder=None) == ()


def test_an_edit_changes_names_community_and_skills(db, world):
    person = person_in(db, world, "candidate")
    update_evangelist(world["coordinator"], person, person_input(
        person, family_name="新姓", community_id=world["c4a"].id, skills=("hackathons",)))
    db.session.expire_all()
    stored = db.session.get(Evangelist, person.id)
    assert stored.family_name == "新姓" and stored.home_community.name == "Code for Aomori"
    assert [t.slug for t in stored.skills] == ["hackathons"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Topic)) > 1


def test_two_copies_of_a_nomination_racing_make_one_candidate(db, world, monkeypatch):
    """The second copy passed its check before the first was saved: the unique nonce
    stops it, and it returns the first copy's candidate."""
    from app.services import recruitment

    first = nominate(world["coordinator"], nomination(nonce="form-race"))
    looked_up = []
    real = recruitment._nominated_with

    def late(nonce):  # the first look-up happens before the other copy is saved
        looked_up.append(nonce)
        return None if len(looked_up) == 1 else real(nonce)

    monkeypatch.setattr(recruitment, "_nominated_with", late)
    second = nominate(world["coordinator"], nomination(nonce="form-race"))
    assert second.id == first.id and len(looked_up) == 2
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Evangelist)) == 1
