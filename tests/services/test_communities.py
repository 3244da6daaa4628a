"""Communities: creating, editing, their active/dormant history, where they are placed
(municipality, geocoded address, typed coordinates), and what their page shows."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.geocoding import CachingGeocoder, GeocodingFailed, get_geocoder, make_geocoder
from app.models import AuditEvent, Community, CommunityStatusChange
from app.services.communities import (
    LAT_RANGE,
    LON_RANGE,
    CommunityFilters,
    CommunityInput,
    CommunityRefused,
    LocationInput,
    LocationRefused,
    change_community_status,
    community_search,
    create_community,
    members_of,
    non_active_near,
    programme_counts,
    status_history,
    update_community,
    visits_by_members,
)
from evangelists.calendar import today_in_japan as today
from tests.factories import (
    make_assignment,
    make_community,
    make_evangelist,
    make_municipality,
    make_outcome,
    make_places,
    make_request,
    make_user,
    make_visit,
)


class FakeGeocoder:
    """Answers from a dict; counts calls; ``fail`` makes every call raise."""

    def __init__(self, answers=None, fail=False):
        self.answers = answers or {}
        self.fail = fail
        self.calls: list[str] = []

    def __call__(self, address):
        self.calls.append(address)
        if self.fail:
            raise GeocodingFailed("service unavailable")
        return self.answers.get(address)


@pytest.fixture
def towns(db):
    towns = make_places("sapporo", "tobetsu", "ishikari", "otaru", "aomori")
    db.session.commit()
    return towns


@pytest.fixture
def coordinator(db):
    user = make_user(role="coordinator", email="coord@example.jp", display_name="調整 太郎")
    db.session.commit()
    return user


def data(**overrides) -> CommunityInput:
    fields = dict(name="Code for Sapporo", municipality_code="011002", website="https://code4sapporo.example.org",
                  member_count=40, contact_email="hello@code4sapporo.example.org", description="毎月もくもく会",
                  address="札幌市中央区北1条西2丁目")
    fields.update(overrides)
    return CommunityInput(**fields)


def events(db, action):
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


# --- creating ---------------------------------------------------------------------------


def test_a_new_community_sits_at_its_municipality_and_starts_its_history(db, towns, coordinator):
    community = create_community(coordinator, data(), address="192.0.2.1")
    db.session.expire_all()
    stored = db.session.get(Community, community.id)
    assert (stored.lat, stored.lon, stored.location_source) == (43.0642, 141.3469, "municipality")
    assert (stored.status, stored.status_since) == ("active", today())
    assert [(h.status, h.since, h.changed_by_id) for h in stored.status_history] == [("active", today(), coordinator.id)]
    [event] = events(db, "community.created")
    assert event.actor_id == coordinator.id and event.entity_id == community.id
    assert event.after["name"] == "Code for Sapporo" and event.after["municipality"] == "011002"
    assert event.client_address == "192.0.2.1"


@pytest.mark.parametrize("name", ["Code for Sapporo", "code for sapporo", "  Code   for Sapporo "])
def test_a_name_already_taken_is_refused_whatever_its_case_or_spacing(db, towns, coordinator, name):
    create_community(coordinator, data())
    with pytest.raises(CommunityRefused) as refused:
        create_community(coordinator, data(name=name))
    assert (refused.value.field, refused.value.reason) == ("name", "name_taken")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Community)) == 1


@pytest.mark.parametrize("website", ["ftp://example.org", "javascript:alert(1)", "example.org", "https://", "https://exa mple.org"])
def test_a_website_must_be_an_http_or_https_address(db, towns, coordinator, website):
    with pytest.raises(CommunityRefused) as refused:
        create_community(coordinator, data(website=website))
    assert (refused.value.field, refused.value.reason) == ("website", "bad_website")


@pytest.mark.parametrize("field, value, reason", [
    ("municipality_code", "999999", "unknown"),
    ("member_count", -1, "out_of_range"),
    ("name", "   ", "required"),
    ("name", "x" * 121, "too_long"),
])
def test_other_bad_values_are_refused_with_their_field(db, towns, coordinator, field, value, reason):
    with pytest.raises(CommunityRefused) as refused:
        create_community(coordinator, data(**{field: value}))
    assert refused.value.reason == reason
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Community)) == 0


# --- editing ------------------------------------------------------------------------------


def test_an_edit_is_audited_with_only_what_changed(db, towns, coordinator):
    community = create_community(coordinator, data())
    changed = update_community(coordinator, community, data(member_count=55, municipality_code="013030"))
    assert set(changed) == {"member_count", "municipality", "lat", "lon"}
    db.session.expire_all()
    stored = db.session.get(Community, community.id)
    assert (stored.member_count, stored.municipality.code) == (55, "013030")
    assert (stored.lat, stored.lon) == (43.2237, 141.5170)  # it moved with its municipality
    [event] = events(db, "community.updated")
    assert event.before == {"member_count": 40, "municipality": "011002", "lat": 43.0642, "lon": 141.3469}
    assert event.after["member_count"] == 55


def test_an_edit_that_changes_nothing_writes_nothing(db, towns, coordinator):
    community = create_community(coordinator, data())
    assert update_community(coordinator, community, data()) == ()
    assert events(db, "community.updated") == []


def test_an_edit_may_keep_its_own_name_but_not_take_another(db, towns, coordinator):
    first = create_community(coordinator, data())
    second = create_community(coordinator, data(name="Code for Aomori", municipality_code="022012"))
    assert update_community(coordinator, first, data(name="CODE FOR SAPPORO")) == ("name",)
    with pytest.raises(CommunityRefused):
        update_community(coordinator, second, data(name="code for sapporo"))


# --- locations ------------------------------------------------------------------------------


def test_the_japan_range_is_the_one_of_the_database_check():
    assert LAT_RANGE == (20.0, 46.0) and LON_RANGE == (122.0, 154.0)


def test_coordinates_typed_by_hand_are_kept_as_manual(db, towns, coordinator):
    manual = LocationInput("manual", lat=43.0687, lon=141.3508)
    community = create_community(coordinator, data(location=manual))
    assert (community.lat, community.lon, community.location_source) == (43.0687, 141.3508, "manual")


@pytest.mark.parametrize("lat, lon, field, reason", [
    (None, None, "lat", "required"),
    (43.0, None, "lon", "required"),
    (None, 141.0, "lat", "required"),
    (141.35, 43.06, "lat", "outside_japan"),  # swapped
    (0.0, 0.0, "lat", "outside_japan"),
    (35.0, 121.9, "lon", "outside_japan"),
    (float("nan"), 141.0, "lat", "required"),
])
def test_typed_coordinates_need_both_and_must_lie_in_japan(db, towns, coordinator, lat, lon, field, reason):
    with pytest.raises(LocationRefused) as refused:
        create_community(coordinator, data(location=LocationInput("manual", lat=lat, lon=lon)))
    assert (refused.value.field, refused.value.reason) == (field, reason)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Community)) == 0


def test_a_geocoded_address_places_the_community_there(db, towns, coordinator):
    geocoder = FakeGeocoder({"札幌市中央区北1条西2丁目": (43.0621, 141.3544)})
    located = LocationInput("geocoded", address="札幌市中央区北1条西2丁目")
    community = create_community(coordinator, data(location=located), geocoder=geocoder)
    assert (community.lat, community.lon, community.location_source) == (43.0621, 141.3544, "geocoded")
    assert geocoder.calls == ["札幌市中央区北1条西2丁目"]


@pytest.mark.parametrize("geocoder, address, reason", [
    (FakeGeocoder(fail=True), "札幌市中央区", "geocoder_failed"),
    (FakeGeocoder({}), "どこにもない町", "not_found"),
    (FakeGeocoder({"Paris": (48.85, 2.35)}), "Paris", "not_found"),  # found, but not in Japan
    (None, "札幌市中央区", "geocoder_off"),
    (FakeGeocoder({}), "  ", "address_required"),
])
def test_a_geocoding_failure_refuses_and_writes_nothing(db, towns, coordinator, geocoder, address, reason):
    with pytest.raises(LocationRefused) as refused:
        create_community(coordinator, data(address=address, location=LocationInput("geocoded", address=address)),
                         geocoder=geocoder)
    assert (refused.value.field, refused.value.reason) == ("address", reason)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Community)) == 0
    assert events(db, "community.created") == []


def test_an_unchanged_address_keeps_its_geocoded_position_without_asking_again(db, towns, coordinator):
    geocoder = FakeGeocoder({"札幌市中央区北1条西2丁目": (43.0621, 141.3544), "当別町白樺": (43.22, 141.51)})
    located = LocationInput("geocoded", address="札幌市中央区北1条西2丁目")
    community = create_community(coordinator, data(location=located), geocoder=geocoder)
    # Even with the geocoder switched off, an edit of other fields keeps the position.
    update_community(coordinator, community, data(member_count=41, location=located), geocoder=None)
    assert (community.lat, community.lon, community.location_source) == (43.0621, 141.3544, "geocoded")
    assert len(geocoder.calls) == 1
    moved = LocationInput("geocoded", address="当別町白樺")
    update_community(coordinator, community, data(address="当別町白樺", location=moved), geocoder=geocoder)
    assert (community.lat, community.lon) == (43.22, 141.51)
    assert geocoder.calls[-1] == "当別町白樺"


def test_back_to_the_municipality_drops_a_typed_position(db, towns, coordinator):
    community = create_community(coordinator, data(location=LocationInput("manual", lat=43.1, lon=141.4)))
    update_community(coordinator, community, data())
    assert (community.lat, community.lon, community.location_source) == (43.0642, 141.3469, "municipality")


# --- the geocoder itself ----------------------------------------------------------------------


def test_the_cache_asks_once_per_address_and_normalises_it():
    calls = []

    def lookup(address):
        calls.append(address)
        return (35.68, 139.76) if "千代田" in address else None

    geocoder = CachingGeocoder(lookup)
    assert geocoder("東京都千代田区霞が関２丁目") == (35.68, 139.76)
    assert geocoder("  東京都千代田区霞が関2丁目 ") == (35.68, 139.76)  # full-width digit, spaces
    assert geocoder("どこか") is None
    assert geocoder("どこか") is None  # "nothing found" is remembered too
    assert calls == ["東京都千代田区霞が関2丁目", "どこか"]
    assert geocoder.cached("東京都千代田区霞が関2丁目")


def test_failures_are_not_cached_and_the_cache_is_bounded():
    answers = iter([GeocodingFailed("timeout"), (35.0, 135.0)])

    def lookup(address):
        answer = next(answers, (36.0, 136.0))
        if isinstance(answer, Exception):
            raise answer
        return answer

    geocoder = CachingGeocoder(lookup, size=2)
    with pytest.raises(GeocodingFailed):
        geocoder("京都市")
    assert geocoder("京都市") == (35.0, 135.0)  # asked again after the failure
    geocoder("大阪市")
    geocoder("神戸市")
    assert not geocoder.cached("京都市") and geocoder.cached("神戸市")


def test_geocoding_is_off_by_default_and_nominatim_is_rate_limited_to_one_call_per_second(app):
    assert app.config["GEOCODER"] == "" and make_geocoder(app.config) is None
    config = {**app.config, "GEOCODER": "nominatim", "GEOCODER_MIN_DELAY_SECONDS": 0.1}
    geocoder = make_geocoder(config)  # built without touching the network
    limiter = geocoder._lookup.rate_limiter
    assert limiter.min_delay_seconds == 1.0  # never below Nominatim's policy
    assert limiter.max_retries == 0 and limiter.swallow_exceptions is False
    assert geocoder._lookup.gate._item.get_expiry() == 1  # the shared pace, also 1 s
    with pytest.raises(RuntimeError, match="GEOCODER"):
        make_geocoder({**app.config, "GEOCODER": "somewhere"})


@pytest.mark.parametrize("storage_uri", ["memory://", "redis://127.0.0.1:6379/15"])
def test_the_geocoding_pace_is_shared_by_every_worker(storage_uri):
    """Two gates on one storage are two gunicorn workers sharing Redis: the second lookup
    in the same second waits, and gives up as "busy" rather than hang."""
    import uuid

    from limits.storage import storage_from_string

    from app.geocoding import SharedGate

    storage = storage_from_string(storage_uri)
    if storage_uri.startswith("redis") and not storage.check():
        pytest.skip("no Redis on 127.0.0.1:6379")
    key = f"geocoder-test-{uuid.uuid4().hex}"
    naps = []
    worker_a = SharedGate(storage, 1, max_wait=0.3, sleep=naps.append, key=key)
    worker_b = SharedGate(storage, 1, max_wait=0.3, sleep=naps.append, key=key)
    worker_a.wait()
    with pytest.raises(GeocodingFailed, match="busy"):
        worker_b.wait()
    assert len(naps) >= 3  # it waited (without a real clock) before giving up
    other = SharedGate(storage, 1, max_wait=0.3, sleep=naps.append, key=key + "-other")
    other.wait()  # another key is not held up


def test_the_app_uses_an_injected_geocoder(app):
    fake = FakeGeocoder()
    app.extensions["geocoder"] = fake
    assert get_geocoder(app) is fake


# --- status history -----------------------------------------------------------------------------


def test_marking_dormant_appends_to_the_history_and_is_audited(db, towns, coordinator):
    community = make_community(name="Code for Tobetsu", municipality=towns["tobetsu"],
                               status_since=today() - timedelta(days=400))
    db.session.commit()
    since = today() - timedelta(days=30)
    change_community_status(coordinator, community, "dormant", since, "  春から集まりなし ")
    db.session.expire_all()
    stored = db.session.get(Community, community.id)
    assert (stored.status, stored.status_since) == ("dormant", since)
    [entry] = stored.status_history
    assert (entry.status, entry.since, entry.note, entry.changed_by_id) == ("dormant", since, "春から集まりなし", coordinator.id)
    [event] = events(db, "community.status_changed")
    assert event.before == {"status": "active", "status_since": (today() - timedelta(days=400)).isoformat()}
    assert event.after["status"] == "dormant"
    change_community_status(coordinator, stored, "active")  # back, from today by default
    assert [(h.status, h.since) for h in status_history(stored)] == [("active", today()), ("dormant", since)]
    assert status_history(stored)[0].changed_by == "調整 太郎"


@pytest.mark.parametrize("status, since, field, reason", [
    ("active", None, "status", "unchanged"),
    ("sleeping", None, "status", "unknown"),
    ("dormant", timedelta(days=5), "since", "future_date"),
    ("dormant", timedelta(days=-11), "since", "before_current"),
])
def test_refused_status_changes_write_nothing(db, towns, coordinator, status, since, field, reason):
    since = None if since is None else today() + since  # given as days from today
    community = make_community(municipality=towns["tobetsu"], status_since=today() - timedelta(days=10))
    db.session.commit()
    with pytest.raises(CommunityRefused) as refused:
        change_community_status(coordinator, community, status, since)
    assert (refused.value.field, refused.value.reason) == (field, reason)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CommunityStatusChange)) == 0
    assert community.status == "active"


# --- the list and the page ------------------------------------------------------------------------


def test_the_list_filters_by_prefecture_status_and_name(db, towns, coordinator):
    sapporo = make_community(name="Code for Sapporo", municipality=towns["sapporo"])
    aomori = make_community(name="Code for Aomori", municipality=towns["aomori"], status="dormant")
    db.session.commit()

    def names(**filters):
        return [c.name for c in db.session.scalars(community_search(CommunityFilters(**filters)))]

    assert names() == ["Code for Aomori", "Code for Sapporo"]
    assert names(prefecture="02") == ["Code for Aomori"]
    assert names(status="active") == ["Code for Sapporo"]
    assert names(q="sapporo") == ["Code for Sapporo"]
    assert names(q="青森") == ["Code for Aomori"]  # by its municipality's name
    assert names(q="100%") == []
    assert sapporo.id != aomori.id


def test_programme_counts_count_members_by_status_in_one_query(db, towns, count_queries):
    community = make_community(municipality=towns["sapporo"])
    other = make_community(municipality=towns["aomori"])
    for status in ("active", "active", "candidate", "retired"):
        make_evangelist(home_municipality=towns["sapporo"], home_community=community, status=status,
                        user=None if status in ("candidate", "retired") else make_user(role="evangelist"))
    db.session.commit()
    ids = [community.id, other.id]
    with count_queries() as queries:
        counts = programme_counts(ids)
    assert queries.count == 1
    assert counts[community.id] == {"active": 2, "candidate": 1, "retired": 1}
    assert other.id not in counts


def test_nearby_non_active_municipalities_are_within_50_km_nearest_first(db, towns):
    # In the corner of the bounding box, yet about 63 km away: not nearby.
    make_municipality(code="016101", lat=43.0642 + 0.4, lon=141.3469 + 0.55)
    db.session.commit()
    near = non_active_near(towns["sapporo"].lat, towns["sapporo"].lon)
    # Sapporo and Otaru publish open data; Aomori is 250 km away.
    assert [(p.code, round(p.distance_km)) for p in near] == [("012351", 12), ("013030", 22)]


def test_nearby_issues_one_query_whatever_the_number_of_municipalities(db, towns, count_queries):
    for n in range(20):
        make_municipality(lat=43.0 + n / 100, lon=141.3)
    db.session.commit()
    with count_queries() as queries:
        near = non_active_near(43.06, 141.35, 50)
    assert queries.count == 1 and len(near) == 22
    assert [p.distance_km for p in near] == sorted(p.distance_km for p in near)


def test_members_and_their_visits_come_with_one_query_each(db, towns, count_queries):
    community = make_community(municipality=towns["sapporo"])
    other = make_community(municipality=towns["aomori"])
    for n in range(3):
        member = make_evangelist(home_municipality=towns["sapporo"], home_community=community, family_name=f"会員{n}")
        assignment = make_assignment(request=make_request(municipality=towns["tobetsu"]), evangelist=member,
                                     distance_km=20, status="accepted")
        visit = make_visit(assignment=assignment, visited_on=today() - timedelta(days=n), mode="onsite",
                           summary="説明会")
        make_outcome(visit=visit, type="event_held")
    outsider = make_evangelist(home_municipality=towns["aomori"], home_community=other)
    make_visit(assignment=make_assignment(request=make_request(municipality=towns["aomori"]), evangelist=outsider,
                                          distance_km=1),
               duration_minutes=30, summary="x")
    db.session.commit()
    db.session.expire_all()
    db.session.refresh(community)
    with count_queries() as queries:
        visits = visits_by_members(community)
        rows = [(v.visited_on, v.assignment.request.municipality.name, v.assignment.evangelist.family_name,
                 [o.type for o in v.outcomes]) for v in visits]
    assert queries.count == 1
    assert rows == [(today() - timedelta(days=n), "当別町", f"会員{n}", ["event_held"]) for n in range(3)]
    with count_queries() as queries:
        members = [(e.family_name, e.home_municipality.name) for e in members_of(community)]
    assert queries.count == 1 and len(members) == 3
