"""Issue 17, the geo points: one official name per town (found by its variant too), the
prefecture said once, the maps' controls in Japanese with kilometres only, evangelists'
popups linking to their record for staff only, and the community page's small map."""

from __future__ import annotations

import json
import re

import sqlalchemy as sa

from app.models import Municipality
from tests.factories import make_community, make_evangelist, make_municipality


def japanese(client, app):
    client.set_cookie(app.config["LANGUAGE_COOKIE"], "ja")
    return client


def map_config_of(html: str) -> dict:
    raw = re.search(r"data-map-config='([^']*)'", html).group(1)
    return json.loads(raw.replace("&#39;", "'").replace("&#34;", '"').replace("&amp;", "&")
                      .replace("&lt;", "<").replace("&gt;", ">"))


# --- point 5 ------------------------------------------------------------------------------


def test_geo_load_writes_the_official_name_and_repairs_an_old_database(runner, db):
    runner.invoke(args=["geo", "load"])
    town = db.session.scalar(sa.select(Municipality).where(Municipality.code == "394050"))
    assert town.name == "檮原町"
    # A database loaded before the fix holds the variant; the next load repairs it.
    db.session.execute(sa.update(Municipality).where(Municipality.code == "394050").values(name="梼原町"))
    db.session.commit()
    result = runner.invoke(args=["geo", "load"])
    assert "Municipalities: 0 added, 1 updated" in result.output
    db.session.refresh(town)
    assert town.name == "檮原町"


def test_search_finds_the_official_name_by_its_common_variant_and_by_itself(app, client, gazetteer):
    japanese(client, app)
    for query in ("梼原", "檮原", "ゆすはら"):
        html = client.get("/municipalities", query_string={"q": query}).get_data(as_text=True)
        assert "/municipalities/394050" in html, query
        assert "梼原町" not in html, query  # shown in the official form only
    html = client.get("/municipalities", query_string={"q": "桧原"}).get_data(as_text=True)
    assert "檜原村" in html


def test_the_community_list_finds_a_town_by_its_common_variant(app, coordinator_client, db, gazetteer):
    town = db.session.scalar(sa.select(Municipality).where(Municipality.code == "394050"))
    make_community(name="Code for 四万十", municipality=town)
    make_community(name="Code for 札幌")
    db.session.commit()
    for query in ("梼原", "檮原町"):
        html = coordinator_client.get("/coordinator/communities", query_string={"q": query}).get_data(as_text=True)
        assert "Code for 四万十" in html, query
        assert "Code for 札幌" not in html, query


def test_hokkaidos_page_names_the_prefecture_once(app, client, gazetteer):
    html = japanese(client, app).get("/municipalities/011002").get_data(as_text=True)
    dd = re.search(r'<dd class="col-7 col-sm-8 prefecture">(.*?)</dd>', html, re.S).group(1)
    assert "北海道" in dd and "(北海道)" not in dd
    # Elsewhere the region is still said: 千代田区 is in 東京都, region 関東.
    html = client.get("/municipalities/131016").get_data(as_text=True)
    dd = re.search(r'<dd class="col-7 col-sm-8 prefecture">(.*?)</dd>', html, re.S).group(1)
    assert "東京都" in dd and "(関東" in dd


# --- point 14 -----------------------------------------------------------------------------


def test_the_map_page_in_japanese_carries_japanese_control_titles_and_metric_scale_only(
    app, coordinator_client
):
    html = japanese(coordinator_client, app).get("/map").get_data(as_text=True)
    controls = map_config_of(html)["controls"]
    assert controls["zoom_in"] == "拡大" and controls["zoom_out"] == "縮小"
    assert controls["layers"] == "レイヤー"
    assert "国土数値情報" in controls["outlines_credit"]
    assert "Zoom in" not in html and "Zoom out" not in html
    assert "L.control.scale()" not in html  # folium's scale shows miles; maps.js adds a metric one
    assert "EvnMaps.localize(" in html


# --- point 8 (the map part) ---------------------------------------------------------------


def test_evangelist_popups_link_to_the_record_on_the_staff_map_only(app, client, coordinator_client, db):
    home = make_municipality(code="011002", name="札幌市", lat=43.06, lon=141.35)
    make_evangelist(family_name="地図", given_name="好子", home_municipality=home)
    make_community(name="Code for Sapporo", municipality=home)
    db.session.commit()
    staff_config = map_config_of(coordinator_client.get("/map").get_data(as_text=True))
    assert staff_config["urls"]["evangelist"] == "/coordinator/recruitment/__ID__"
    public_config = map_config_of(client.get("/municipalities/011002").get_data(as_text=True))
    assert "evangelist" not in public_config["urls"]
    public_network = map_config_of(client.get("/network").get_data(as_text=True))
    assert "evangelist" not in public_network["urls"]
    # The municipality page's small map shows nearby evangelists to staff: linked there too.
    staff_page = map_config_of(coordinator_client.get("/municipalities/011002").get_data(as_text=True))
    assert staff_page["urls"]["evangelist"] == "/coordinator/recruitment/__ID__"


def test_the_community_page_has_its_small_map_with_the_name_as_data_only(coordinator_client, db):
    town = make_municipality(name="梼原町", lat=33.39, lon=132.93)
    hostile = "{{7*7}}<script>alert(1)</script>"
    community = make_community(name=hostile, municipality=town, lat=33.40, lon=132.94)
    db.session.commit()
    response = coordinator_client.get(f"/coordinator/communities/{community.id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'class="folium-map"' in html and "map-data-place" in html
    assert "<script>alert(1)</script>" not in html
    script = re.search(r'<script nonce="[^"]+">(.*?)</script>', html, re.S).group(1)
    assert "7*7" not in script and "alert" not in script
    block = re.search(r'<script type="application/json" id="map-data-place">(.*?)</script>', html, re.S).group(1)
    (feature,) = json.loads(block)["features"]
    assert feature["properties"]["name"] == hostile
    assert feature["geometry"]["coordinates"] == [132.94, 33.4]
