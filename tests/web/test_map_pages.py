"""The map pages and their GeoJSON endpoints, as a browser and a script see them."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import folium
import pytest
import sqlalchemy as sa
from folium.plugins import MarkerCluster

from app.models import Municipality, Topic
from app.services.topics import sync_topics
from tests.factories import (
    make_community,
    make_evangelist,
    make_municipality,
    make_request,
)

PUBLIC_LAYERS = ["/api/v1/municipalities", "/api/v1/communities", "/api/v1/prefectures"]
STAFF_LAYERS = ["/api/v1/evangelists", "/api/v1/requests", "/api/v1/coverage-gap"]


@pytest.fixture
def network(db):
    """A small network: two towns, a community, an evangelist with a skill, an open request."""
    sync_topics()
    gis = db.session.scalar(sa.select(Topic).where(Topic.slug == "gis"))
    sapporo = make_municipality(code="011002", name="札幌市", lat=43.06, lon=141.35, open_data_status="active")
    far = make_municipality(name="遠別町", lat=44.72, lon=141.79, open_data_status="non_active")
    make_community(name="Code for Sapporo", municipality=sapporo, contact_email="leader@example.jp")
    person = make_evangelist(family_name="地図", given_name="好子", home_municipality=sapporo, skills=[gis])
    request = make_request(municipality=far, status="triaged", topics=[gis])
    db.session.commit()
    return {"sapporo": sapporo, "far": far, "evangelist": person, "request": request}


def geojson(response) -> dict:
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/geo+json"
    return json.loads(response.get_data(as_text=True))


@pytest.mark.parametrize("url", PUBLIC_LAYERS)
def test_public_layers_answer_anyone_and_carry_no_personal_data(client, network, url):
    body = geojson(client.get(url))
    assert body["type"] == "FeatureCollection" and body["features"]
    text = json.dumps(body, ensure_ascii=False)
    assert "地図" not in text and "leader@example.jp" not in text and "example.jp" not in text


@pytest.mark.parametrize("url", STAFF_LAYERS)
def test_personal_layers_are_for_staff_only(app, client, signed_in_client, network, url):
    assert client.get(url).status_code == 401  # a status a script can act on, no redirect
    evangelist, _user = signed_in_client("evangelist")
    assert evangelist.get(url).status_code == 403
    for role in ("coordinator", "admin"):
        staff, _user = signed_in_client(role)
        assert geojson(staff.get(url))["type"] == "FeatureCollection"


def test_the_evangelist_layer_shows_name_skills_and_home(coordinator_client, network):
    (feature,) = geojson(coordinator_client.get("/api/v1/evangelists"))["features"]
    assert feature["properties"]["name"] == "地図 好子"
    assert feature["properties"]["skills"] == ["gis"]
    assert feature["geometry"]["coordinates"] == [141.35, 43.06]


def test_the_coverage_gap_follows_the_km_parameter(coordinator_client, network):
    far = geojson(coordinator_client.get("/api/v1/coverage-gap?km=50"))
    assert [f["properties"]["name"] for f in far["features"]] == ["遠別町"]
    assert 180 < far["features"][0]["properties"]["km"] < 200
    assert geojson(coordinator_client.get("/api/v1/coverage-gap?km=300"))["features"] == []


def test_a_repeat_with_the_etag_gets_304_until_the_data_changes(client, db, network):
    first = client.get("/api/v1/municipalities")
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert "no-cache" in first.headers["Cache-Control"] and "public" in first.headers["Cache-Control"]
    again = client.get("/api/v1/municipalities", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert client.get("/api/v1/municipalities", headers={"If-Modified-Since": modified}).status_code == 304
    db.session.execute(sa.update(Municipality).where(Municipality.code == "011002").values(engagement_stage="visited"))
    db.session.commit()
    changed = client.get("/api/v1/municipalities", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_personal_layers_are_kept_by_no_cache_not_even_the_browsers(coordinator_client, network):
    """Issue 15.1: what a signed-in user sees is no-store (a shared office PC keeps no copy)."""
    response = coordinator_client.get("/api/v1/evangelists")
    assert response.headers["Cache-Control"] == "no-store"
    assert "Cookie" in response.headers["Vary"]


def test_gzip_when_accepted_with_its_own_etag(client, network):
    plain = client.get("/api/v1/municipalities")
    packed = client.get("/api/v1/municipalities", headers={"Accept-Encoding": "gzip, deflate"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert gzip.decompress(packed.data) == plain.data
    assert packed.headers["ETag"] != plain.headers["ETag"]
    repeat = client.get("/api/v1/municipalities", headers={"Accept-Encoding": "gzip", "If-None-Match": packed.headers["ETag"]})
    assert repeat.status_code == 304


@pytest.mark.parametrize(("query", "parameter", "says"), [
    ("prefecture=99", "prefecture", "not one of: 01"),
    ("stage=sleeping", "stage", "not one of: none, outreach, requested"),
    ("colour=red", "colour", "unknown parameter; this endpoint accepts: prefecture, region, stage, status"),
    ("status=retired", "status", "not one of: active, non_active"),
])
def test_bad_parameters_are_refused_with_400_naming_each(client, network, query, parameter, says):
    response = client.get(f"/api/v1/municipalities?{query}")
    assert response.status_code == 400
    assert says in response.get_json()["parameters"][parameter]


@pytest.mark.parametrize("query", ["km=0", "km=501", "km=far", "topic=cooking"])
def test_bad_gap_parameters_are_refused(coordinator_client, network, query):
    response = coordinator_client.get(f"/api/v1/coverage-gap?{query}")
    assert response.status_code == 400
    assert query.split("=")[0] in response.get_json()["parameters"]


def test_prefecture_figures_take_no_parameters(client, network):
    assert client.get("/api/v1/prefectures?x=1").status_code == 400


# --- pages ------------------------------------------------------------------------------


def inline_scripts(html: str) -> list[str]:
    return re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html)


def map_pages(network) -> list[str]:
    return ["/map", "/network", "/municipalities/011002", f"/coordinator/requests/{network['request'].id}"]


def test_every_map_page_loads_nothing_from_outside_but_the_tiles(app, signed_in_client, network):
    """The closed-network rule: only the configured tile URL (and the attribution's link,
    which is not loaded) may point off the site; every asset comes from /static."""
    client, _user = signed_in_client("coordinator")
    allowed = {app.config["MAP_TILE_URL"], *re.findall(r'href="([^"]+)"', app.config["MAP_TILE_ATTRIBUTION"])}
    for page in map_pages(network):
        response = client.get(page)
        html = response.get_data(as_text=True)
        assert response.status_code == 200, page
        assert "folium-map" in html, page
        external = set(re.findall(r"""(?:https?:)?//[^\s"'<>)\\]+""", html)) - allowed
        # Protocol-relative matches of our own paths ("//") would show up here too.
        assert external == set(), f"{page} points off the site: {sorted(external)}"
        for asset in set(re.findall(r'(?:src|href)="(/static/[^"?]+)', html)):
            served = client.get(asset)
            served.close()  # static files are streamed from an open file
            assert served.status_code == 200, f"{page}: {asset} is missing"


def test_folium_and_its_plugins_point_at_the_vendored_files(app):
    for cls in (folium.Map, MarkerCluster):
        for _name, url in [*cls.default_js, *cls.default_css]:
            assert url.startswith("/static/vendor/"), (cls.__name__, url)
            assert (Path(app.static_folder) / url.removeprefix("/static/")).is_file(), url


def test_the_map_script_is_the_only_inline_script_and_carries_the_request_nonce(coordinator_client, network):
    response = coordinator_client.get("/map")
    html = response.get_data(as_text=True)
    (attributes,) = inline_scripts(html)
    nonce = re.search(r'nonce="([^"]+)"', attributes).group(1)
    policy = response.headers["Content-Security-Policy"]
    assert f"'nonce-{nonce}'" in policy and "unsafe-inline" not in policy
    assert "<style" not in html and ' style="' not in html
    assert coordinator_client.get("/map").get_data(as_text=True).count(nonce) == 0  # fresh per request


def layer_specs(html: str) -> dict[str, tuple[str, dict]]:
    """{layer key: (JavaScript variable, spec)} of every DataLayer folium wrote."""
    return {
        spec["key"]: (var, spec)
        for var, spec in ((m.group(1), json.loads(m.group(2)))
                          for m in re.finditer(r"var (\w+) = EvnMaps\.layer\((\{.*?\})\);", html))
    }


def layer_data(html: str, key: str) -> dict:
    """A small map's GeoJSON for layer ``key``: the JSON block its spec names, never
    the script itself (tests/web/test_template_injection.py says why)."""
    _var, spec = layer_specs(html)[key]
    block = re.search(rf'<script type="application/json" id="{spec["data"]}">(.*?)</script>', html, re.S)
    return json.loads(block.group(1))


def test_the_map_page_passes_its_filters_to_the_data_urls(coordinator_client, network):
    html = coordinator_client.get("/map?prefecture=01&topic=gis&km=80&status=triaged").get_data(as_text=True)
    urls = {key: spec["url"] for key, (_var, spec) in layer_specs(html).items()}
    assert urls["evangelists"] == "/api/v1/evangelists?prefecture=01&topic=gis"
    assert urls["gap"] == "/api/v1/coverage-gap?prefecture=01&topic=gis&km=80"
    assert urls["requests"] == "/api/v1/requests?prefecture=01&topic=gis&status=triaged"
    assert urls["communities"] == "/api/v1/communities?prefecture=01&status=active"


def test_a_bad_filter_on_the_map_page_is_named_and_ignored(app, coordinator_client, network):
    coordinator_client.set_cookie(app.config["LANGUAGE_COOKIE"], "en")
    response = coordinator_client.get("/map?prefecture=99&km=9999&layers=gap,bogus")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "“99” is not one of the choices" in html
    assert "Number must be between 1 and 500" in html
    assert "Unknown layer “bogus”" in html
    assert layer_specs(html)["gap"][1]["url"] == "/api/v1/coverage-gap?km=50"  # the default, no prefecture


def test_the_layers_parameter_chooses_the_overlays_shown(coordinator_client, network):
    html = coordinator_client.get("/map?layers=gap").get_data(as_text=True)
    specs = layer_specs(html)
    assert set(specs) == {"outlines", "choropleth", "municipalities", "gap", "communities", "evangelists", "requests",
                          "outreach"}
    # Shown layers are added to the map by folium; hidden ones are only in the layer control.
    added = set(re.findall(r"(\w+)\.addTo\(map_", html))
    assert {key for key, (var, _spec) in specs.items() if var in added} == {"outlines", "gap"}


def test_the_municipality_page_shows_nearby_evangelists_to_staff_only(client, signed_in_client, network):
    public_html = client.get("/municipalities/011002").get_data(as_text=True)
    assert "Code for Sapporo" in public_html and "地図 好子" not in public_html
    staff, _user = signed_in_client("coordinator")
    assert "地図 好子" in staff.get("/municipalities/011002").get_data(as_text=True)


def test_the_request_page_maps_its_top_suggestions(coordinator_client, db, network):
    html = coordinator_client.get(f"/coordinator/requests/{network['request'].id}").get_data(as_text=True)
    (feature,) = layer_data(html, "suggestions")["features"]
    assert feature["properties"]["rank"] == 1 and feature["properties"]["name"] == "地図 好子"


def test_the_small_maps_keep_their_points_out_of_the_script(client, network):
    html = client.get("/municipalities/011002").get_data(as_text=True)
    script = re.search(r'<script nonce="[^"]+">(.*?)</script>', html, re.S).group(1)
    assert "Code for Sapporo" in html and "Code for Sapporo" not in script
    assert layer_specs(html)["communities"][1]["data"] == "map-data-communities"


def test_the_public_network_page_lists_every_prefecture_in_the_table(client, gazetteer):
    html = client.get("/network").get_data(as_text=True)
    assert html.count('class="fw-normal"><a href="/municipalities?prefecture=') == 47
    assert "folium-map" in html


def test_the_municipality_layer_shows_each_change_at_once_though_each_worker_keeps_it_encoded(client, db, network):
    def stages() -> dict[str, str]:
        return {f["id"]: f["properties"]["stage"] for f in geojson(client.get("/api/v1/municipalities"))["features"]}

    assert stages()["011002"] == "none"
    network["sapporo"].engagement_stage = "visited"  # through the ORM
    db.session.commit()
    assert stages()["011002"] == "visited"
    db.session.execute(sa.update(Municipality).where(Municipality.code == "011002").values(engagement_stage="active"))
    db.session.commit()  # through Core
    assert stages()["011002"] == "active"
    added = make_municipality(name="新町", lat=43.5, lon=142.0)
    db.session.commit()
    assert added.code in stages()
    assert stages() == stages()  # and a repeat, from the worker's copy, says the same


def test_a_rendered_map_is_kept_per_filters_and_data_while_each_page_gets_its_own_nonce(client, coordinator_client,
                                                                                     db, network):
    def map_id(html: str) -> str:
        return re.search(r'class="folium-map" id="(\w+)"', html).group(1)

    first, second = (coordinator_client.get("/map").get_data(as_text=True) for _ in range(2))
    assert map_id(first) == map_id(second)  # the same map, built once
    nonces = {re.search(r'<script nonce="([^"]+)"', html).group(1) for html in (first, second)}
    assert len(nonces) == 2
    assert map_id(coordinator_client.get("/map?prefecture=01").get_data(as_text=True)) != map_id(first)

    before = client.get("/municipalities/011002").get_data(as_text=True)
    make_community(name="Civic Tech 札幌北", municipality=network["sapporo"], lat=43.08, lon=141.34)
    db.session.commit()
    after = client.get("/municipalities/011002").get_data(as_text=True)
    assert "Civic Tech 札幌北" not in before and map_id(after) != map_id(before)
    nearby = layer_data(after, "communities")["features"]
    assert "Civic Tech 札幌北" in {f["properties"]["name"] for f in nearby}
