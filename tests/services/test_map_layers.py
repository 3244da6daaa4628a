"""The map layers: what each shows, how filters narrow it, and that queries stay fixed."""

from __future__ import annotations

import pytest

from app.models import Topic
from app.services import maps
from app.services.maps import MapFilters
from app.services.topics import sync_topics
from tests.factories import (
    make_assignment,
    make_community,
    make_evangelist,
    make_municipality,
    make_prefecture,
    make_request,
)


@pytest.fixture
def topics(db):
    sync_topics()
    db.session.flush()
    return {t.slug: t for t in db.session.scalars(__import__("sqlalchemy").select(Topic))}


@pytest.fixture
def two_prefectures(db):
    hokkaido = make_prefecture(code="01")
    aomori = make_prefecture(code="02")
    return hokkaido, aomori


def test_municipality_layer_has_status_and_stage_and_filters_by_prefecture_and_stage(db, two_prefectures):
    hokkaido, aomori = two_prefectures
    make_municipality(prefecture=hokkaido, name="札幌市", open_data_status="active", engagement_stage="active")
    make_municipality(prefecture=aomori, name="三戸町", lat=40.38, lon=141.26,
                      open_data_status="non_active", engagement_stage="requested")
    everything = maps.municipality_layer(MapFilters())
    assert [f["properties"]["name"] for f in everything.features] == ["札幌市", "三戸町"]
    sannohe = everything.features[1]
    assert sannohe["geometry"] == {"type": "Point", "coordinates": [141.26, 40.38]}
    assert sannohe["properties"]["od"] == "non_active" and sannohe["properties"]["stage"] == "requested"
    assert everything.updated_at is not None
    assert [f["properties"]["name"] for f in maps.municipality_layer(MapFilters(prefecture="02")).features] == ["三戸町"]
    assert [f["properties"]["name"] for f in maps.municipality_layer(MapFilters(stage="active")).features] == ["札幌市"]
    assert maps.municipality_layer(MapFilters(status="non_active")).features[0]["properties"]["name"] == "三戸町"


def test_community_layer_leaves_out_the_contact_address(db):
    make_community(name="Code for Test", contact_email="leader@example.jp", status="active")
    layer = maps.community_layer(MapFilters())
    assert layer.features[0]["properties"]["name"] == "Code for Test"
    assert "leader@example.jp" not in repr(layer.as_geojson())
    assert maps.community_layer(MapFilters(status="dormant")).features == []


def test_evangelist_layer_shows_active_people_with_skills_and_load_and_filters_by_topic(db, topics):
    busy = make_evangelist(family_name="多忙", capacity=3, skills=[topics["gis"]])
    make_evangelist(family_name="休止", status="paused", skills=[topics["gis"]])
    idle = make_evangelist(family_name="暇", skills=[topics["hackathons"]])
    make_assignment(evangelist=busy, distance_km=1)
    layer = maps.evangelist_layer(MapFilters())
    by_name = {f["properties"]["name"].split()[0]: f["properties"] for f in layer.features}
    assert set(by_name) == {"多忙", "暇"}  # the paused one is not "active"
    assert by_name["多忙"]["load"] == 1 and by_name["多忙"]["capacity"] == 3
    assert by_name["多忙"]["skills"] == ["gis"]
    assert by_name["暇"]["load"] == 0
    only_gis = maps.evangelist_layer(MapFilters(topic="gis"))
    assert [f["id"] for f in only_gis.features] == [busy.id]
    assert [f["id"] for f in maps.evangelist_layer(MapFilters(status="paused")).features] != [idle.id]


def test_request_layer_shows_open_requests_unless_a_status_is_named(db, topics):
    town = make_municipality(name="三戸町", lat=40.38, lon=141.26)
    open_one = make_request(municipality=town, status="new", topics=[topics["open_data_publication"]])
    make_request(municipality=town, status="completed")
    layer = maps.request_layer(MapFilters())
    assert [f["id"] for f in layer.features] == [open_one.id]
    assert layer.features[0]["properties"]["topics"] == ["open_data_publication"]
    assert layer.features[0]["geometry"]["coordinates"] == [141.26, 40.38]
    assert len(maps.request_layer(MapFilters(status="completed")).features) == 1
    assert maps.request_layer(MapFilters(topic="hackathons")).features == []


def test_coverage_gap_layer_lists_far_non_active_towns_farthest_first(db, topics):
    sapporo = make_municipality(name="札幌市", lat=43.06, lon=141.35, open_data_status="active")
    make_evangelist(home_municipality=sapporo, skills=[topics["hackathons"]])
    make_municipality(name="近町", lat=43.10, lon=141.40, open_data_status="non_active")  # ~6 km
    make_municipality(name="遠町", lat=44.0, lon=142.0, open_data_status="non_active")  # ~110 km
    make_municipality(name="もっと遠村", lat=45.3, lon=141.0, open_data_status="non_active")  # ~250 km
    make_municipality(name="遠いが公開済町", lat=45.0, lon=142.0, open_data_status="active")
    layer = maps.coverage_gap_layer(MapFilters(gap_km=50))
    assert [f["properties"]["name"] for f in layer.features] == ["もっと遠村", "遠町"]
    assert 100 < layer.features[1]["properties"]["km"] < 120
    assert layer.as_geojson()["radius_km"] == 50
    assert [f["properties"]["name"] for f in maps.coverage_gap_layer(MapFilters(gap_km=200)).features] == ["もっと遠村"]
    # Nobody with the GIS skill: every non-active town is out of reach, with no distance.
    no_gis = maps.coverage_gap_layer(MapFilters(topic="gis"))
    assert len(no_gis.features) == 3 and all(f["properties"]["km"] is None for f in no_gis.features)


def test_prefecture_figures_count_adoption_and_active_communities(db, two_prefectures):
    hokkaido, aomori = two_prefectures
    sapporo = make_municipality(prefecture=hokkaido, open_data_status="active")
    make_municipality(prefecture=hokkaido, open_data_status="non_active")
    make_municipality(prefecture=aomori, open_data_status="non_active", lat=40.8, lon=140.7)
    make_community(municipality=sapporo, status="active")
    make_community(municipality=sapporo, status="dormant")
    figures, _updated = maps.prefecture_figures()
    by_code = {f.code: f for f in figures}
    assert (by_code["01"].municipalities, by_code["01"].open_data_active, by_code["01"].communities_active) == (2, 1, 1)
    assert by_code["01"].adoption_rate == 0.5 and by_code["02"].adoption_rate == 0.0
    layer = maps.prefecture_layer()
    assert layer.features[1]["geometry"] == {"type": "Point", "coordinates": [140.7, 40.8]}
    assert layer.features[0]["properties"]["rate"] == 0.5


def test_things_near_a_place_are_within_the_radius_nearest_first(db):
    here = make_municipality(lat=43.06, lon=141.35)
    near = make_community(name="近い会", lat=43.10, lon=141.40)
    make_community(name="遠い会", lat=44.5, lon=142.5)
    make_community(name="休眠会", lat=43.07, lon=141.36, status="dormant")
    assert [c.name for c in maps.communities_near(here.lat, here.lon, 50)] == [near.name]
    person = make_evangelist(lat=43.2, lon=141.3)
    make_evangelist(lat=42.0, lon=140.0)
    found = maps.evangelists_near(here.lat, here.lon, 50)
    assert [e.id for e in found] == [person.id] and 10 < found[0].distance_km < 20


@pytest.mark.parametrize("layer", ["municipality_layer", "community_layer", "evangelist_layer",
                                   "request_layer", "coverage_gap_layer"])
def test_each_layer_issues_the_same_number_of_queries_whatever_the_data_size(db, topics, count_queries, layer):
    def grow(n):
        for _ in range(n):
            town = make_municipality(open_data_status="non_active", lat=35.0, lon=135.0)
            make_evangelist(home_municipality=town, lat=36.0, skills=[topics["hackathons"], topics["gis"]])
            make_community(municipality=town)
            make_request(municipality=town, topics=[topics["hackathons"]])
        db.session.flush()

    grow(1)
    with count_queries() as small:
        getattr(maps, layer)(MapFilters())
    grow(15)
    with count_queries() as large:
        result = getattr(maps, layer)(MapFilters(gap_km=1))
    assert large.count == small.count
    assert result.features


def test_only_the_nearest_few_are_shown_and_the_rest_counted(db):
    """A small map in a city stays small: the nearest ``limit``, and how many more are in reach."""
    here = make_municipality(lat=35.69, lon=139.70)
    names = [make_community(name=f"会{i}", lat=35.69 + i * 0.01, lon=139.70).name for i in range(5)]
    make_community(name="遠い会", lat=37.5, lon=139.70)
    nearest = maps.communities_near(here.lat, here.lon, 50, limit=2)
    assert [c.name for c in nearest] == names[:2] and nearest.beyond == 3
    everyone = [make_evangelist(lat=35.69 + i * 0.02, lon=139.70).id for i in range(4)]
    found = maps.evangelists_near(here.lat, here.lon, 50, limit=3)
    assert [e.id for e in found] == everyone[:3] and found.beyond == 1
    assert [e.id for e in maps.evangelists_near(here.lat, here.lon, 50)] == everyone


def test_things_near_a_place_take_the_same_statements_however_many_are_in_reach(db, count_queries):
    here = make_municipality(lat=35.69, lon=139.70)

    def grow(n):
        for i in range(n):
            make_community(lat=35.69 + i * 0.001, lon=139.70)
            make_evangelist(lat=35.69 + i * 0.001, lon=139.70)
        db.session.flush()

    grow(2)
    with count_queries() as small:
        maps.communities_near(here.lat, here.lon, 50, limit=3)
        maps.evangelists_near(here.lat, here.lon, 50, limit=3)
    grow(20)
    with count_queries() as large:
        found = maps.evangelists_near(here.lat, here.lon, 50, limit=3)
        maps.communities_near(here.lat, here.lon, 50, limit=3)
    assert large.count == small.count and len(found) == 3 and found.beyond == 19
