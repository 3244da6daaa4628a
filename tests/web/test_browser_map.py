"""The network map in Chromium: layers drawn from the GeoJSON endpoints, a layer toggled,
a popup opened, on a closed network (tiles answered locally), with no console errors."""

from __future__ import annotations

import os
import re
from urllib.parse import parse_qs, urlparse

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from app.models import Topic
from app.services.topics import sync_topics
from tests.conftest import PASSWORD, totp_code
from tests.factories import (
    make_community,
    make_evangelist,
    make_municipality,
    make_request,
)
from tests.web.conftest import CHROMIUM, DESKTOP, PHONE

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed"),
]

OVERLAY_COUNTS = ("municipalities", "gap", "communities", "evangelists", "requests")


@pytest.fixture
def site(live_server, db, make_account):
    """The national gazetteer (from live_server) plus a few people and requests."""
    sync_topics()
    gis = db.session.scalar(sa.select(Topic).where(Topic.slug == "gis"))
    sapporo = db.session.scalar(sa.select(make_municipality.__globals__["Municipality"]).where(
        make_municipality.__globals__["Municipality"].code == "011002"))
    make_community(name="Code for Sapporo", municipality=sapporo, lat=sapporo.lat, lon=sapporo.lon)
    for i in range(3):
        make_evangelist(family_name=f"地図{i}", home_municipality=sapporo, lat=sapporo.lat + i * 0.05,
                        lon=sapporo.lon, skills=[gis])
    make_request(municipality=sapporo, status="new", topics=[gis])
    coordinator = make_account("coordinator")
    db.session.commit()
    return live_server, coordinator


def sign_in(page, base, user):
    page.goto(base + "/auth/login")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("main button[type=submit]")
    if "/auth/two-factor" in page.url:
        page.fill("input[name=code]", totp_code(user))
        with page.expect_navigation():
            page.click("main button[type=submit]")


def watch_console(page) -> list[str]:
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    return problems


def wait_until_drawn(page, keys=OVERLAY_COUNTS):
    """Each legend count leaves "–" once its layer is drawn. (Polled from Python: the
    page's CSP rightly forbids the eval that ``wait_for_function`` would need.)"""
    for key in keys:
        expect(page.locator(f'[data-layer-count="{key}"]')).not_to_have_text("–", timeout=15_000)


def test_the_map_draws_every_layer_toggles_one_and_opens_a_popup(site, page_at):
    base, coordinator = site
    page = page_at(DESKTOP)
    problems = watch_console(page)
    sign_in(page, base, coordinator)
    page.goto(base + "/map")
    wait_until_drawn(page)
    counts = {k: page.inner_text(f'[data-layer-count="{k}"]') for k in OVERLAY_COUNTS}
    assert counts["municipalities"] == "1,741"
    assert counts["communities"] == "1" and counts["evangelists"] == "3" and counts["requests"] == "1"
    assert int(counts["gap"].replace(",", "")) > 0  # three evangelists in Sapporo leave most of Japan out
    assert page.locator("#gap-list tr").count() == int(counts["gap"].replace(",", ""))
    assert page.locator(".map-pin-evangelist, .marker-cluster").count() > 0

    # Toggle: switch the evangelists off in the layer control, and the address follows.
    page.locator(".leaflet-control-layers").hover()  # Leaflet opens the list on hover
    evangelists = page.get_by_role("checkbox", name=re.compile("Active evangelists|稼働中の伝道師"))
    evangelists.uncheck()
    assert page.locator(".map-pin-evangelist").count() == 0
    shown = parse_qs(urlparse(page.url).query)["layers"][0].split(",")
    assert "evangelists" not in shown and "communities" in shown
    assert page.locator("input[name=layers]").input_value() == ",".join(shown)

    # Popup, by keyboard (markers are focusable buttons; the open layer list covers
    # Sapporo for the mouse): the community's card links to its municipality.
    page.locator(".map-pin-community").first.focus()
    page.keyboard.press("Enter")
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert "Code for Sapporo" in popup.inner_text()
    assert popup.locator("a[href='/municipalities/011002']").count() == 1

    assert problems == []
    assert page.external_requests == []
    assert page.tile_requests  # the configured tile server is the only outside address asked


def test_japan_is_drawn_even_when_no_tile_loads(site, page_at):
    base, coordinator = site
    page = page_at(PHONE)
    page.route("**/xyz/**", lambda route: route.abort())  # a closed network: tiles fail
    sign_in(page, base, coordinator)
    page.goto(base + "/map?layers=")
    page.locator(".leaflet-evn-outlines-pane canvas, .leaflet-evn-outlines-pane svg").first.wait_for(timeout=15_000)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_the_public_map_draws_prefectures_without_signing_in(site, page_at):
    base, _coordinator = site
    page = page_at(PHONE)
    problems = watch_console(page)
    page.goto(base + "/network")
    page.locator(".leaflet-overlay-pane path, .leaflet-overlay-pane canvas").first.wait_for(timeout=15_000)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert problems == [] and page.external_requests == []


def test_a_small_map_draws_its_points_from_the_page_and_shows_names_as_text(site, db, page_at):
    """The municipality page's map takes its points from the page's JSON block (not from
    its script), and a hostile name reaches the popup as text, not markup or template."""
    base, _coordinator = site
    sapporo = db.session.scalar(sa.select(make_municipality.__globals__["Municipality"]).where(
        make_municipality.__globals__["Municipality"].code == "011002"))
    hostile = "{{7*7}} <img src=x onerror=alert(1)> {{"
    make_community(name=hostile, municipality=sapporo, lat=sapporo.lat + 0.02, lon=sapporo.lon + 0.02)
    db.session.commit()
    page = page_at(PHONE)
    problems = watch_console(page)
    page.goto(base + "/municipalities/011002")
    pins = page.locator(".map-pin-community")
    pins.first.wait_for(timeout=15_000)
    assert pins.count() == 2
    texts = []
    for i in range(2):
        pins.nth(i).focus()
        page.keyboard.press("Enter")
        popup = page.locator(".leaflet-popup-content").last
        popup.wait_for()
        texts.append(popup.inner_text())
    assert any(hostile in text for text in texts), texts
    assert page.locator(".leaflet-popup-content img, main img[src=x]").count() == 0
    assert problems == [] and page.external_requests == []


def test_the_map_controls_speak_japanese_and_the_scale_shows_km_only(site, page_at):
    """Issue 17 (14): Leaflet's own controls carry the UI language's words, and the scale
    bar has no miles. Issue 17 (8): an evangelist's popup links to the record."""
    base, coordinator = site
    page = page_at(DESKTOP)
    problems = watch_console(page)
    sign_in(page, base, coordinator)
    # Japanese is the default language (PRODUCT.md §2): no cookie needed.
    page.goto(base + "/map?layers=evangelists&prefecture=01")
    wait_until_drawn(page, ("evangelists",))
    zoom_in, zoom_out = page.locator(".leaflet-control-zoom-in"), page.locator(".leaflet-control-zoom-out")
    assert zoom_in.get_attribute("title") == "拡大" and zoom_out.get_attribute("title") == "縮小"
    assert zoom_in.get_attribute("aria-label") == "拡大"
    assert page.locator(".leaflet-control-layers-toggle").get_attribute("title") == "レイヤー"
    assert page.locator("[title='Zoom in'], [title='Zoom out'], [title='Layers']").count() == 0
    scales = page.locator(".leaflet-control-scale-line")
    assert scales.count() == 1 and re.search(r"\d+ k?m$", scales.inner_text())
    credit = page.locator(".leaflet-control-attribution")
    assert "国土数値情報" in credit.inner_text()
    assert credit.locator("a[title='A JavaScript library for interactive maps']").count() == 0

    # Zoom into the cluster until the evangelists' own pins show, then open one by keyboard.
    for _ in range(6):
        if page.locator(".map-pin-evangelist").count():
            break
        page.locator(".marker-cluster").first.click()
        page.wait_for_timeout(400)
    page.locator(".map-pin-evangelist").first.focus()
    page.keyboard.press("Enter")
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    link = popup.locator("a[href^='/coordinator/recruitment/']")
    assert link.count() == 1 and link.inner_text() == "伝道師の記録を開く"
    assert page.locator(".leaflet-popup-close-button").get_attribute("aria-label") == "ポップアップを閉じる"
    assert problems == []
