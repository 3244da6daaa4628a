"""The point layers bounded by the viewport (issue 19): bbox/zoom validated, clusters
made by the server when a view holds more than a response may carry, points capped, the
same number of SQL statements whatever the data size, and ETags still answering 304."""

from __future__ import annotations

import itertools
import json

import pytest
import sqlalchemy as sa

from app.models import Topic
from app.services import maps
from app.services.topics import sync_topics
from app.services.versioned import EXTENSION
from evangelists.gazetteer import lg_code
from tests.factories import make_community, make_evangelist, make_municipality, make_request

POINT_LAYERS = ["/api/v1/evangelists", "/api/v1/requests", "/api/v1/communities"]
CAP = 5  # MAX_FEATURES for these tests (500 in the app)
HOKKAIDO = "139,41,146,46"  # west,south,east,north
JAPAN = "122,24,154,46"
KYUSHU = "129.5,33,131,34.5"


@pytest.fixture
def small_cap(monkeypatch):
    monkeypatch.setattr(maps, "MAX_FEATURES", CAP)


@pytest.fixture
def gis(db):
    sync_topics()
    return db.session.scalar(sa.select(Topic).where(Topic.slug == "gis"))


_codes = itertools.count(1)


def spread(db, gis, in_hokkaido: int, in_kyushu: int) -> None:
    """An evangelist, a community and an open request per point: some around Sapporo
    (43.0-43.7 N, 141-142 E), some around Fukuoka (33.5-33.8 N, 130.3-130.6 E). Requests
    sit at their town: one town per point."""
    for i in range(in_hokkaido + in_kyushu):
        lat, lon = (43.0 + (i % 7) * 0.11, 141.0 + (i // 7) * 0.13) if i < in_hokkaido else \
                   (33.5 + (i % 5) * 0.07, 130.3 + (i // 5) * 0.05)
        town = make_municipality(code=lg_code(f"{(i % 40) + 1:02d}{next(_codes):03d}"), lat=lat, lon=lon)
        make_evangelist(home_municipality=town, lat=lat, lon=lon, skills=[gis])
        make_community(municipality=town, lat=lat, lon=lon)
        make_request(municipality=town, status="new", topics=[gis])
    db.session.commit()


def geojson(response) -> dict:
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/geo+json"
    return json.loads(response.get_data(as_text=True))


@pytest.mark.parametrize("url", POINT_LAYERS)
@pytest.mark.parametrize(("query", "parameter"), [
    ("bbox=1,2,3", "bbox"),
    ("bbox=west,2,3,4", "bbox"),
    ("bbox=3,2,1,4", "bbox"),
    ("bbox=1,2,3,95", "bbox"),
    ("zoom=21", "zoom"),
    ("zoom=far", "zoom"),
    ("bbox=139,41,146,46&zoom=5.5", "zoom"),
])
def test_a_bad_viewport_is_refused_naming_the_parameter(coordinator_client, url, query, parameter):
    response = coordinator_client.get(f"{url}?{query}")
    assert response.status_code == 400
    body = response.get_json()
    assert list(body["parameters"]) == [parameter] and body["parameters"][parameter]


def test_layers_without_a_viewport_refuse_one(client):
    response = client.get("/api/v1/municipalities?bbox=139,41,146,46")
    assert response.status_code == 400
    assert "unknown parameter" in response.get_json()["parameters"]["bbox"]


def test_access_is_unchanged_with_a_viewport(client, evangelist_client, coordinator_client, db, gis):
    spread(db, gis, 2, 1)
    for url in ("/api/v1/evangelists", "/api/v1/requests"):
        assert client.get(f"{url}?bbox={HOKKAIDO}&zoom=8").status_code == 401
        assert evangelist_client.get(f"{url}?bbox={HOKKAIDO}&zoom=8").status_code == 403
    assert geojson(client.get(f"/api/v1/communities?bbox={HOKKAIDO}&zoom=8"))["features"]


@pytest.mark.parametrize("url", POINT_LAYERS)
def test_a_few_points_come_as_points_with_the_layers_totals(coordinator_client, db, gis, url):
    spread(db, gis, 3, 2)
    everything = geojson(coordinator_client.get(url))
    assert len(everything["features"]) == 5 and not everything["clustered"] and not everything["capped"]
    assert everything["total"] == everything["in_view"] == 5 and everything["bbox"] is None
    north = geojson(coordinator_client.get(f"{url}?bbox={HOKKAIDO}&zoom=8"))
    assert len(north["features"]) == 3 and north["total"] == 5 and north["in_view"] == 3
    assert north["bbox"] == [139.0, 41.0, 146.0, 46.0] and north["zoom"] == 8
    assert all(41 <= f["geometry"]["coordinates"][1] <= 46 for f in north["features"])
    assert all("cluster" not in f["properties"] for f in north["features"])


@pytest.mark.parametrize("url", POINT_LAYERS)
def test_many_points_at_low_zoom_are_clustered_and_the_counts_add_up(coordinator_client, db, gis, small_cap, url):
    spread(db, gis, 14, 4)
    north = geojson(coordinator_client.get(f"{url}?bbox={HOKKAIDO}&zoom=6"))
    assert north["clustered"] and north["in_view"] == 14 and north["total"] == 18
    assert 0 < len(north["features"]) <= CAP
    assert sum(f["properties"]["count"] for f in north["features"]) == 14
    for f in north["features"]:
        west, south, east, north_edge = f["properties"]["bbox"]
        lon, lat = f["geometry"]["coordinates"]
        assert f["properties"]["cluster"] is True and west <= lon <= east and south <= lat <= north_edge
    # No box: the whole layer, clustered over the map.
    whole = geojson(coordinator_client.get(f"{url}?zoom=5"))
    assert whole["clustered"] and sum(f["properties"]["count"] for f in whole["features"]) == 18


@pytest.mark.parametrize("url", POINT_LAYERS)
def test_at_street_zoom_points_are_capped_and_say_so(coordinator_client, db, gis, small_cap, url):
    spread(db, gis, 14, 0)
    capped = geojson(coordinator_client.get(f"{url}?bbox={HOKKAIDO}&zoom=14"))
    assert not capped["clustered"] and capped["capped"] and len(capped["features"]) == CAP
    assert capped["in_view"] == 14


def test_a_viewport_answer_is_revalidated_with_its_etag(coordinator_client, client, db, gis, small_cap):
    spread(db, gis, 14, 0)
    for who, url in ((coordinator_client, f"/api/v1/evangelists?bbox={HOKKAIDO}&zoom=6"),
                     (client, f"/api/v1/communities?bbox={HOKKAIDO}&zoom=14")):
        first = who.get(url)
        etag = first.headers["ETag"]
        assert who.get(url, headers={"If-None-Match": etag}).status_code == 304
    town = make_municipality(lat=43.2, lon=141.2)
    make_community(municipality=town, lat=43.2, lon=141.2)
    db.session.commit()
    changed = client.get(f"/api/v1/communities?bbox={HOKKAIDO}&zoom=6", headers={"If-None-Match": etag})
    assert changed.status_code == 200


@pytest.mark.parametrize("url", POINT_LAYERS)
@pytest.mark.parametrize(("view", "mode"), [
    (f"bbox={HOKKAIDO}&zoom=6", "clusters"),
    (f"bbox={HOKKAIDO}&zoom=14", "capped points"),
    (f"bbox={KYUSHU}&zoom=8", "points"),
    ("", "clusters"),
    (f"bbox={JAPAN}&zoom=5", "clusters"),
])
def test_each_view_issues_the_same_number_of_statements_at_two_data_sizes(
        app, coordinator_client, db, gis, small_cap, count_queries, url, view, mode):
    """Clustered, capped or as points, fresh (nothing kept) or kept: the count does not
    grow with the table (the larger data set grows outside the Kyushu view)."""
    def statements() -> tuple[int, int, str]:
        for name in ("evn_encoded_layers", EXTENSION):
            app.extensions.get(name) and app.extensions[name].clear()
        with count_queries() as fresh:
            body = geojson(coordinator_client.get(f"{url}?{view}"))
        with count_queries() as kept:
            assert coordinator_client.get(f"{url}?{view}").status_code == 200
        shown = "clusters" if body["clustered"] else "capped points" if body["capped"] else "points"
        return fresh.count, kept.count, shown

    spread(db, gis, 6, 1)
    small = statements()
    spread(db, gis, 30, 2)
    large = statements()
    assert small[2] == large[2] == mode
    assert large == small


def test_the_coverage_gap_is_kept_until_the_data_changes(coordinator_client, db, gis, count_queries):
    spread(db, gis, 1, 0)
    far = make_municipality(lat=44.72, lon=141.79, open_data_status="non_active")
    db.session.commit()
    first = geojson(coordinator_client.get("/api/v1/coverage-gap?km=50"))
    assert [f["id"] for f in first["features"]] == [far.code]
    make_evangelist(home_municipality=far, lat=far.lat, lon=far.lon)
    db.session.commit()
    assert geojson(coordinator_client.get("/api/v1/coverage-gap?km=50"))["features"] == []


def test_the_open_data_and_prefecture_figures_follow_each_write(client, db, count_queries):
    """Kept per data version: a repeat costs one statement, a commit shows at once."""
    town = make_municipality(lat=43.06, lon=141.35)
    db.session.commit()

    def communities() -> tuple[int, int]:
        rows = client.get("/api/v1/open-data/prefectures.json").get_json()["rows"]
        layer = geojson(client.get("/api/v1/prefectures"))["features"]
        code = town.prefecture.code
        return (next(r["communities_active"] for r in rows if r["prefecture_code"] == code),
                next(f["properties"]["communities"] for f in layer if f["properties"]["code"] == code))

    assert communities() == (0, 0)
    with count_queries() as repeat:
        client.get("/api/v1/open-data/prefectures.csv")
    assert repeat.count == 1  # the data version
    make_community(municipality=town, status="active")
    db.session.commit()
    assert communities() == (1, 1)
