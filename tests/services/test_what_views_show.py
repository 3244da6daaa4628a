"""The reads that views used to make themselves: the evangelist's home, the invited
people on the coordinator's home, who sees a municipality's timeline."""

from __future__ import annotations

from app.models import Assignment
from app.services.accounts import get_user
from app.services.admin import invited_users, user_status
from app.services.evangelists import home_of
from app.services.geography import municipality_at
from app.services.health import database_error
from app.services.requests import get_request
from app.services.visits import get_assignment, get_visit, timeline_for
from tests.factories import (
    make_assignment,
    make_evangelist,
    make_municipality,
    make_prefecture,
    make_request,
    make_user,
)


def assign(db, request, evangelist, status="accepted") -> Assignment:
    assignment = make_assignment(request=request, evangelist=evangelist, status=status)
    db.session.commit()
    return assignment


def test_the_home_of_someone_without_a_profile_is_empty(db):
    user = make_user(role="evangelist")
    db.session.commit()
    home = home_of(user)
    assert (home.profile, home.assignments) == (None, ())


def test_the_home_shows_the_profile_and_the_assignments_newest_first(db):
    evangelist = make_evangelist()
    older = assign(db, make_request(), evangelist)
    newer = assign(db, make_request(), evangelist, status="proposed")
    assign(db, make_request(), make_evangelist())  # someone else's
    home = home_of(evangelist.user)
    assert home.profile is evangelist
    assert {a.id for a in home.assignments} == {older.id, newer.id}
    assert home.assignments[0].created_at >= home.assignments[1].created_at


def test_invited_people_are_those_user_status_calls_invited_newest_first(db):
    waiting = [make_user(email="a@example.jp"), make_user(email="b@example.jp")]
    make_user(email="joined@example.jp", password_hash="x")
    make_user(email="gone@example.jp", is_active=False)
    db.session.commit()
    invited = invited_users()
    assert {u.email for u in invited} == {u.email for u in waiting}
    assert all(user_status(u) == "invited" for u in invited)
    assert invited[0].created_at >= invited[1].created_at


def test_who_sees_a_municipalitys_timeline(db):
    town = make_municipality()
    evangelist, stranger = make_evangelist(), make_evangelist()
    assign(db, make_request(municipality=town), evangelist)
    staff = make_user(role="coordinator")
    db.session.commit()
    assert timeline_for(None, town.id) is None  # the public: the stage badge alone
    assert timeline_for(stranger.user, town.id) is None  # not assigned there
    assert timeline_for(make_user(role="admin"), town.id) is not None
    everything = timeline_for(staff, town.id)
    own = timeline_for(evangelist.user, town.id)
    assert {e.kind for e in everything} >= {"request", "assignment"} and own is not None
    assert all(e.kind != "assignment" or e.who for e in everything)


def test_lookups_by_number_and_code(db):
    hokkaido = make_prefecture()
    town = make_municipality(prefecture=hokkaido, code="011002")
    request = make_request(municipality=town)
    user = make_user()
    assignment = assign(db, request, make_evangelist())
    assert get_request(request.id) is request and get_request(request.id + 1000) is None
    assert get_user(user.id) is user and get_assignment(assignment.id) is assignment
    assert get_visit(1) is None
    found = municipality_at("011002")
    assert found is town and found.prefecture.code == hokkaido.code
    assert municipality_at("999999") is None


def test_the_health_check_sees_the_database(db):
    assert database_error() is None
