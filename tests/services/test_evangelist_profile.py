"""update_profile: an evangelist changes their own profile in one audited transaction."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.models import AuditEvent, Evangelist
from app.services.evangelists import (
    ProfileRefused,
    current_pause,
    profile_of,
    update_profile,
)
from app.services.topics import sync_topics
from evangelists import lifecycle
from evangelists.calendar import today_in_japan as today
from tests.factories import make_evangelist, make_places, make_user


@pytest.fixture
def scene(db):
    sync_topics()
    places = make_places("sapporo", "aomori")
    sapporo, aomori_city = places["sapporo"], places["aomori"]
    evangelist = make_evangelist(home_municipality=sapporo, capacity=2, travel_radius_km=50.0, online_ok=True,
                                 languages=["ja"])
    db.session.commit()
    return {"evangelist": evangelist, "sapporo": sapporo, "aomori": aomori_city}


def events(db) -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "evangelist.profile_updated")))


def reloaded(db, evangelist: Evangelist) -> Evangelist:
    """The row as the database has it (a rollback drops anything not committed)."""
    db.session.rollback()
    db.session.expire_all()
    return db.session.get(Evangelist, evangelist.id)


def test_changes_are_applied_and_committed_and_the_home_moves_to_the_new_municipality(db, scene):
    e = scene["evangelist"]
    changed = update_profile(e.user, e, {
        "home_municipality": "022012",
        "skills": ["gis", "licensing"],
        "capacity": 5,
        "travel_radius_km": 120,
        "online_ok": False,
        "languages": ["en", "ja"],
    })
    stored = reloaded(db, e)
    assert stored.home_municipality.code == "022012"
    assert (stored.lat, stored.lon) == (40.8246, 140.7406)
    assert [t.slug for t in stored.skills] == ["licensing", "gis"]  # vocabulary order
    assert (stored.capacity, stored.travel_radius_km, stored.online_ok) == (5, 120.0, False)
    assert stored.languages == ["ja", "en"]  # vocabulary order
    assert set(changed) == {"home_municipality", "skills", "capacity", "travel_radius_km", "online_ok", "languages"}


def test_one_audit_event_holds_before_and_after_of_the_changed_fields_only(db, scene):
    e = scene["evangelist"]
    update_profile(e.user, e, {"capacity": 7, "travel_radius_km": 50, "online_ok": True, "languages": ["ja"],
                               "skills": []}, address="192.0.2.1")
    [event] = events(db)
    assert (event.actor_id, event.entity_type, event.entity_id) == (e.user.id, "evangelist", e.id)
    assert event.before == {"capacity": 2} and event.after == {"capacity": 7}
    assert event.client_address == "192.0.2.1"


def test_a_new_home_records_the_municipality_and_the_coordinates_it_moved_from(db, scene):
    e = scene["evangelist"]
    update_profile(e.user, e, {"home_municipality": "022012"})
    [event] = events(db)
    assert event.before == {"home_municipality": "011002", "lat": 43.0642, "lon": 141.3469}
    assert event.after == {"home_municipality": "022012", "lat": 40.8246, "lon": 140.7406}


def test_the_same_home_keeps_coordinates_a_coordinator_set_more_precisely(db, scene):
    e = scene["evangelist"]
    e.lat, e.lon = 43.1, 141.4
    db.session.commit()
    assert update_profile(e.user, e, {"home_municipality": "011002"}) == ()
    assert (reloaded(db, e).lat, reloaded(db, e).lon) == (43.1, 141.4)


def test_age_band_and_gender_are_stored_but_the_audit_log_only_says_they_changed(db, scene):
    e = scene["evangelist"]
    update_profile(e.user, e, {"age_band": "30s", "gender": "nonbinary", "capacity": 3})
    stored = reloaded(db, e)
    assert (stored.age_band, stored.gender) == ("30s", "nonbinary")
    [event] = events(db)
    logged = json.dumps([event.before, event.after])
    assert "30s" not in logged and "nonbinary" not in logged
    assert event.after == {"capacity": 3, "private_fields_changed": ["age_band", "gender"]}
    assert event.before == {"capacity": 2}


def test_withdrawing_age_band_and_gender_is_audited_without_the_old_values(db, scene):
    e = scene["evangelist"]
    e.age_band, e.gender = "40s", "female"
    db.session.commit()
    update_profile(e.user, e, {"age_band": None, "gender": ""})
    stored = reloaded(db, e)
    assert (stored.age_band, stored.gender) == (None, None)
    [event] = events(db)
    assert "40s" not in json.dumps([event.before, event.after]) and "female" not in json.dumps(event.after)
    assert event.before is None and event.after == {"private_fields_changed": ["age_band", "gender"]}


def test_saving_what_is_already_stored_writes_nothing(db, scene):
    e = scene["evangelist"]
    same = {"home_municipality": "011002", "skills": [], "capacity": 2, "travel_radius_km": 50.0,
            "online_ok": True, "languages": ["ja"], "age_band": None, "gender": None, "paused_until": None}
    assert update_profile(e.user, e, same) == ()
    assert events(db) == []


def test_languages_are_compared_as_a_set(db, scene):
    e = scene["evangelist"]
    e.languages = ["en", "ja"]
    db.session.commit()
    assert update_profile(e.user, e, {"languages": ["ja", "en"]}) == ()


# --- Availability -----------------------------------------------------------------------------


@pytest.mark.parametrize("until", [timedelta(0), timedelta(days=30)])
def test_a_pause_date_pauses_the_evangelist_until_then(db, scene, until):
    until = today() + until  # given as days from today, known only when the test runs
    e = scene["evangelist"]
    update_profile(e.user, e, {"paused_until": until})
    stored = reloaded(db, e)
    assert (stored.status, stored.paused_until) == ("paused", until)
    [event] = events(db)
    assert event.before == {"status": "active", "paused_until": None}
    assert event.after == {"status": "paused", "paused_until": until.isoformat()}


def test_clearing_the_pause_date_makes_the_evangelist_active_again(db, scene):
    e = scene["evangelist"]
    e.status, e.paused_until = "paused", today() + timedelta(days=10)
    db.session.commit()
    update_profile(e.user, e, {"paused_until": None})
    stored = reloaded(db, e)
    assert (stored.status, stored.paused_until) == ("active", None)


def test_a_pause_without_a_date_ends_when_the_empty_date_is_saved(db, scene):
    e = scene["evangelist"]
    e.status = "paused"
    db.session.commit()
    assert update_profile(e.user, e, {"paused_until": None}) == ("status",)
    assert reloaded(db, e).status == "active"


def test_moving_the_pause_date_keeps_the_evangelist_paused(db, scene):
    e = scene["evangelist"]
    e.status, e.paused_until = "paused", today() + timedelta(days=10)
    db.session.commit()
    later = today() + timedelta(days=20)
    assert update_profile(e.user, e, {"paused_until": later}) == ("paused_until",)
    assert (reloaded(db, e).status, reloaded(db, e).paused_until) == ("paused", later)


def test_a_pause_date_in_the_past_is_refused(db, scene):
    e = scene["evangelist"]
    with pytest.raises(ProfileRefused) as refused:
        update_profile(e.user, e, {"paused_until": today() - timedelta(days=1)})
    assert (refused.value.field, refused.value.reason) == ("paused_until", "past_date")
    assert reloaded(db, e).status == "active" and events(db) == []


@pytest.mark.parametrize("status", ["candidate", "retired"])
@pytest.mark.parametrize("stored, wanted", [
    (timedelta(days=5), None),  # un-pausing
    (None, timedelta(days=5)),  # pausing
])
def test_candidates_and_retired_evangelists_cannot_pause_or_resume_themselves(db, scene, status, stored, wanted):
    # Dates given as days from today, known only when the test runs.
    stored, wanted = (None if days is None else today() + days for days in (stored, wanted))
    e = scene["evangelist"]
    e.status, e.paused_until = status, stored
    db.session.commit()
    with pytest.raises(ProfileRefused) as refused:
        update_profile(e.user, e, {"capacity": 4, "paused_until": wanted})
    assert refused.value.reason == "status_locked"
    row = reloaded(db, e)
    assert (row.status, row.paused_until, row.capacity) == (status, stored, 2)
    assert events(db) == []


@pytest.mark.parametrize(("status", "stored", "wanted"), [
    ("active", None, timedelta(days=5)),  # pausing
    ("paused", timedelta(days=5), None),  # resuming
])
def test_pausing_and_resuming_oneself_go_through_the_lifecycle(db, scene, monkeypatch, status, stored, wanted):
    """The self-service move is checked like a coordinator's: where the lifecycle forbids
    it, it is refused and nothing is written."""
    # Dates given as days from today, known only when the test runs.
    stored, wanted = (None if days is None else today() + days for days in (stored, wanted))
    e = scene["evangelist"]
    e.status, e.paused_until = status, stored
    db.session.commit()
    monkeypatch.setitem(lifecycle.EVANGELIST_TRANSITIONS, status, frozenset({"retired"}))
    with pytest.raises(ProfileRefused) as refused:
        update_profile(e.user, e, {"capacity": 4, "paused_until": wanted})
    assert (refused.value.field, refused.value.reason) == ("paused_until", "status_locked")
    assert isinstance(refused.value.__cause__, lifecycle.TransitionRefused)
    row = reloaded(db, e)
    assert (row.status, row.paused_until, row.capacity) == (status, stored, 2)
    assert events(db) == []


def test_a_candidate_can_still_change_the_rest_of_the_profile(db, scene):
    e = scene["evangelist"]
    e.status = "candidate"
    db.session.commit()
    update_profile(e.user, e, {"capacity": 4, "paused_until": None})
    assert (reloaded(db, e).status, reloaded(db, e).capacity) == ("candidate", 4)


def test_the_form_starts_from_a_pause_date_only_while_it_lies_ahead(scene):
    e = scene["evangelist"]
    e.paused_until = today()
    assert current_pause(e) == today()
    e.paused_until = today() - timedelta(days=1)
    assert current_pause(e) is None


# --- Who may change it --------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["other_evangelist", "coordinator", "nobody"])
def test_only_the_evangelists_own_user_may_change_the_profile(db, scene, who):
    e = scene["evangelist"]
    actor = {
        "other_evangelist": lambda: make_evangelist(home_municipality=scene["sapporo"]).user,
        "coordinator": lambda: make_user(role="coordinator"),
        "nobody": lambda: None,
    }[who]()
    db.session.commit()
    with pytest.raises(PermissionError):
        update_profile(actor, e, {"capacity": 9})
    assert reloaded(db, e).capacity == 2 and events(db) == []


def test_an_evangelist_without_an_account_cannot_be_changed_by_anyone(db, scene):
    orphan = make_evangelist(user=None, status="candidate", home_municipality=scene["sapporo"])
    someone = make_user(role="evangelist")
    db.session.commit()
    with pytest.raises(PermissionError):
        update_profile(someone, orphan, {"capacity": 9})


def test_profile_of_finds_only_the_users_own_row(db, scene):
    other = make_evangelist(home_municipality=scene["sapporo"], family_name="別人")
    db.session.commit()
    assert profile_of(scene["evangelist"].user).id == scene["evangelist"].id
    assert profile_of(other.user).id == other.id
    assert profile_of(make_user(role="evangelist")) is None


# --- Values the profile cannot take -------------------------------------------------------------


@pytest.mark.parametrize("capacity", [0, 20])
def test_capacity_bounds_are_inclusive(db, scene, capacity):
    e = scene["evangelist"]
    update_profile(e.user, e, {"capacity": capacity})
    assert reloaded(db, e).capacity == capacity


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        ({"capacity": -1}, "capacity", "out_of_range"),
        ({"capacity": 21}, "capacity", "out_of_range"),
        ({"capacity": 2.5}, "capacity", "out_of_range"),
        ({"capacity": True}, "capacity", "out_of_range"),
        ({"capacity": None}, "capacity", "out_of_range"),
        ({"travel_radius_km": 0}, "travel_radius_km", "out_of_range"),
        ({"travel_radius_km": 0.5}, "travel_radius_km", "out_of_range"),
        ({"travel_radius_km": 2001}, "travel_radius_km", "out_of_range"),
        ({"travel_radius_km": float("nan")}, "travel_radius_km", "out_of_range"),
        ({"travel_radius_km": float("inf")}, "travel_radius_km", "out_of_range"),
        ({"travel_radius_km": None}, "travel_radius_km", "out_of_range"),
        ({"languages": []}, "languages", "required"),
        ({"languages": ["ja", "klingon"]}, "languages", "unknown"),
        ({"skills": ["gis", "astrology"]}, "skills", "unknown"),
        ({"home_municipality": "999999"}, "home_municipality", "unknown"),
        ({"home_municipality": ""}, "home_municipality", "unknown"),
        ({"age_band": "teen"}, "age_band", "unknown"),
        ({"gender": "unknown"}, "gender", "unknown"),
        ({"paused_until": "2030-01-01"}, "paused_until", "unknown"),
    ],
)
def test_values_outside_the_rules_are_refused_and_nothing_is_written(db, scene, change, field, reason):
    e = scene["evangelist"]
    with pytest.raises(ProfileRefused) as refused:
        update_profile(e.user, e, {"online_ok": False, **change})  # a valid change goes first
    assert (refused.value.field, refused.value.reason) == (field, reason)
    assert reloaded(db, e).online_ok is True and events(db) == []


@pytest.mark.parametrize("radius", [1, 2000, 12.5])
def test_travel_radius_accepts_one_to_two_thousand_km(db, scene, radius):
    e = scene["evangelist"]
    update_profile(e.user, e, {"travel_radius_km": radius})
    assert reloaded(db, e).travel_radius_km == radius


def test_fields_that_are_not_editable_here_are_a_programming_error(db, scene):
    e = scene["evangelist"]
    with pytest.raises(ValueError, match="status"):
        update_profile(e.user, e, {"status": "active"})
