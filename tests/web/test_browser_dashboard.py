"""The dashboard in Chromium: every chart drawn under the strict CSP with no console
error, on a desktop and on a phone, still when the reader asks for reduced motion, and
no serious accessibility problem."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from app.models import Municipality
from app.services.topics import sync_topics
from tests.factories import make_evangelist, make_request
from tests.services.test_reports import assign, visit
from tests.web.conftest import CHROMIUM, DESKTOP, PHONE
from tests.web.test_browser_map import sign_in, watch_console

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed"),
]

CHARTS = 12


@pytest.fixture
def site(live_server, db, make_account):
    """The national gazetteer (from live_server) with some towns active since a date,
    evangelists in Sapporo, and requests that were assigned, visited and had outcomes."""
    sync_topics()
    by_code = {m.code: m for m in db.session.scalars(
        sa.select(Municipality).where(Municipality.code.in_(["011002", "012025", "022012", "013676"])))}
    sapporo, hakodate, aomori, far_town = (by_code[c] for c in ("011002", "012025", "022012", "013676"))
    db.session.execute(
        sa.update(Municipality).where(Municipality.code.in_(["011002", "012025"]))
        .values(open_data_status="active", open_data_since=date(2023, 4, 1))
    )
    helpers = [
        make_evangelist(family_name=f"図表{i}", home_municipality=sapporo, lat=sapporo.lat, lon=sapporo.lon,
                        capacity=2, age_band="40s", gender="female" if i % 2 else "male")
        for i in range(7)
    ]
    now = datetime.now(UTC)
    today = now.date()
    for i, town in enumerate((aomori, far_town, hakodate)):
        request = make_request(municipality=town, status="scheduled", created_at=now - timedelta(days=40 + i))
        assignment = assign(request, helpers[i], "accepted", now - timedelta(days=35 + i))
        visit(assignment, today - timedelta(days=20 + 31 * i), "onsite" if i % 2 else "online",
              ("datasets_published", 3 + i))
    make_request(municipality=far_town, status="new")
    coordinator = make_account("coordinator")
    db.session.commit()
    return live_server, coordinator


def serious_violations_in_main(page) -> list[str]:
    """axe-core's serious and critical findings inside <main> (the page's own content;
    the shared header and footer are checked by the tests of the pages that own them)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, context="#main")
    return [
        f"{v['id']}: {v['help']} {[n['target'] for n in v['nodes']]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def wait_until_every_chart_is_drawn(page):
    """Each chart's element gets data-drawn="true" from dashboard.js once Chart.js has
    rendered it. (Polled from Python: the CSP rightly forbids the eval that
    ``wait_for_function`` would need.)"""
    charts = page.locator("[data-chart]")
    expect(charts).to_have_count(CHARTS)
    for i in range(CHARTS):
        expect(charts.nth(i)).to_have_attribute("data-drawn", "true", timeout=15_000)


def test_every_chart_is_drawn_on_a_desktop_without_console_errors(site, page_at):
    base, coordinator = site
    page = page_at(DESKTOP)
    problems = watch_console(page)
    sign_in(page, base, coordinator)
    page.goto(base + "/coordinator/reports")
    wait_until_every_chart_is_drawn(page)
    # Each canvas has pixels: Chart.js sized it to its box.
    sizes = page.evaluate(
        "Array.from(document.querySelectorAll('[data-chart] canvas'), c => [c.width, c.height])")
    assert len(sizes) == CHARTS and all(w > 100 and h > 100 for w, h in sizes)
    assert page.get_by_role("heading", name="ダッシュボード").or_(
        page.get_by_role("heading", name="Dashboard")).is_visible()
    assert serious_violations_in_main(page) == []
    assert problems == []
    assert page.external_requests == []


def test_on_a_phone_with_reduced_motion_charts_fit_and_stand_still(site, page_at):
    base, coordinator = site
    page = page_at(PHONE)
    page.emulate_media(reduced_motion="reduce")
    problems = watch_console(page)
    sign_in(page, base, coordinator)
    page.goto(base + "/coordinator/reports")
    page.get_by_role("button", name="メニューを表示").click()
    page.locator("#nav-main.show").wait_for()
    with page.expect_navigation():
        page.get_by_role("button", name="English").click()
    assert page.url.endswith("/coordinator/reports")
    wait_until_every_chart_is_drawn(page)
    assert page.evaluate(
        "Array.from(document.querySelectorAll('[data-chart] canvas'))"
        ".every(c => Chart.getChart(c).options.animation === false)")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    # The coverage gap list links each municipality to its page.
    gap_link = page.locator("#gap a[href^='/municipalities/']").first
    expect(gap_link).to_be_visible()
    assert problems == []
    assert page.external_requests == []


def test_charts_animate_when_motion_is_welcome(site, page_at):
    base, coordinator = site
    page = page_at(DESKTOP)
    page.emulate_media(reduced_motion="no-preference")
    sign_in(page, base, coordinator)
    page.goto(base + "/coordinator/reports")
    wait_until_every_chart_is_drawn(page)
    assert page.evaluate(
        "Array.from(document.querySelectorAll('[data-chart] canvas'))"
        ".every(c => Chart.getChart(c).options.animation !== false)")
