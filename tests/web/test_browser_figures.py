"""/figures in Chromium, as an anonymous visitor: every chart drawn under the strict CSP
with no console error, on a desktop and on a 360 px phone (the page never scrolls
sideways; tables scroll in their own box), and no serious accessibility problem."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta

import pytest
from playwright.sync_api import expect

from evangelists.calendar import today_in_japan
from tests.factories import make_municipality, make_use_case
from tests.services.test_fiscal_figures import visit_in
from tests.web.conftest import CHROMIUM, DESKTOP, PHONE
from tests.web.test_browser_dashboard import serious_violations_in_main
from tests.web.test_browser_map import watch_console

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed"),
]

CHARTS = 4


@pytest.fixture
def site(live_server, db):
    """Three years of the programme: towns activated, visits, datasets, a use case."""
    today = today_in_japan()
    for i in range(3):
        town = make_municipality(name=f"図表町{i}")
        visit_in(town, date(today.year - 2 + i, 5, 10), ("open_data_published", None),
                 ("datasets_published", 3 + i))
        visit_in(town, today - timedelta(days=i))
        make_use_case(municipality=town, published_at=datetime.now(UTC) - timedelta(days=400 * i))
    db.session.commit()
    return live_server


def wait_until_every_chart_is_drawn(page):
    charts = page.locator("[data-chart]")
    expect(charts).to_have_count(CHARTS)
    for i in range(CHARTS):
        expect(charts.nth(i)).to_have_attribute("data-drawn", "true", timeout=15_000)


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_charts_are_drawn_the_page_fits_and_passes_axe(site, page_at, viewport):
    page = page_at(viewport)
    page.emulate_media(reduced_motion="reduce")
    problems = watch_console(page)
    page.goto(site + "/figures")
    wait_until_every_chart_is_drawn(page)
    sizes = page.evaluate(
        "Array.from(document.querySelectorAll('[data-chart] canvas'), c => [c.width, c.height])")
    assert len(sizes) == CHARTS and all(w > 100 and h > 100 for w, h in sizes)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert serious_violations_in_main(page) == []
    assert problems == []
    assert page.external_requests == []
    # The table of visits scrolls with the keyboard: its box takes the focus.
    page.locator("#visits .table-responsive").focus()
    assert page.evaluate("document.activeElement.closest('#visits') !== null")
