"""The map's viewport layers in Chromium (issue 19): clusters made by the server are drawn
with their count, a cluster zooms in by keyboard, the layer asks again for the new view
with its bbox and zoom, and the legend keeps the layer's total. No console errors."""

from __future__ import annotations

import os
from urllib.parse import parse_qs, urlparse

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from app.models import Municipality, Topic
from app.services import maps
from app.services.topics import sync_topics
from tests.factories import make_evangelist
from tests.web.conftest import CHROMIUM, DESKTOP
from tests.web.test_browser_map import sign_in, watch_console

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed"),
]


@pytest.fixture
def crowded(live_server, db, make_account, monkeypatch):
    """Twelve evangelists around Sapporo and four around Fukuoka; a response may carry
    three features, so the whole of Japan comes as clusters."""
    monkeypatch.setattr(maps, "MAX_FEATURES", 3)
    sync_topics()
    gis = db.session.scalar(sa.select(Topic).where(Topic.slug == "gis"))
    sapporo = db.session.scalar(sa.select(Municipality).where(Municipality.code == "011002"))
    fukuoka = db.session.scalar(sa.select(Municipality).where(Municipality.code == "401307"))
    for i in range(12):
        make_evangelist(family_name=f"札幌{i}", home_municipality=sapporo, lat=sapporo.lat + (i % 4) * 0.01,
                        lon=sapporo.lon + (i // 4) * 0.01, skills=[gis])
    for i in range(4):
        make_evangelist(family_name=f"福岡{i}", home_municipality=fukuoka, lat=fukuoka.lat + i * 0.01,
                        lon=fukuoka.lon, skills=[gis])
    coordinator = make_account("coordinator")
    db.session.commit()
    return live_server, coordinator


def test_clusters_are_drawn_and_zoom_in_asking_for_the_new_view(crowded, page_at):
    base, coordinator = crowded
    page = page_at(DESKTOP)
    problems = watch_console(page)
    asked = []
    page.on("request", lambda r: asked.append(r.url) if "/api/v1/evangelists" in r.url else None)
    sign_in(page, base, coordinator)
    page.goto(base + "/map?layers=evangelists")
    expect(page.locator('[data-layer-count="evangelists"]')).to_have_text("16")  # the layer's total
    clusters = page.locator(".map-cluster.map-pin-evangelist")
    expect(clusters).to_have_count(2)
    assert sorted(clusters.nth(i).inner_text() for i in range(2)) == ["12", "4"]
    first = parse_qs(urlparse(asked[0]).query)
    assert "bbox" in first and "zoom" in first

    # Enter on Sapporo's cluster zooms to its points; the layer asks for the new view.
    sapporo = page.locator(".map-cluster.map-pin-evangelist", has_text="12")
    with page.expect_response(lambda r: "/api/v1/evangelists?" in r.url and r.url != asked[0]):
        sapporo.focus()
        page.keyboard.press("Enter")
    later = parse_qs(urlparse(asked[-1]).query)
    assert int(later["zoom"][0]) > int(first["zoom"][0])
    west, south, east, north = (float(v) for v in later["bbox"][0].split(","))
    assert west < 141.36 < east and south < 43.07 < north
    expect(page.locator('[data-layer-count="evangelists"]')).to_have_text("16")
    assert problems == [] and page.external_requests == []
