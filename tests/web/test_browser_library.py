"""The library in Debian's Chromium, on a 360 px phone and a desktop: the list (also with a
bad filter shown next to its field) and a use case's page with its town on the map fit the
screen, pass an axe-core scan with no serious or critical violation, load nothing from off
the site and work with the keyboard."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from app.models import Municipality, Topic, UseCaseLink
from app.services.topics import sync_topics
from tests.factories import make_use_case
from tests.web.browser_steps import fits
from tests.web.conftest import CHROMIUM, DESKTOP, PHONE

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed"),
]


def serious_violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    return [f"{v['id']}: {v['help']} ({[n['target'] for n in v['nodes']]})"
            for v in Axe().run(page).response["violations"] if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_the_library_fits_passes_axe_and_works_with_the_keyboard(live_server, page_at, db, viewport):
    sync_topics()
    tobetsu = db.session.scalar(sa.select(Municipality).where(Municipality.code == "013030"))
    gis = db.session.scalar(sa.select(Topic).where(Topic.slug == "gis"))
    story = make_use_case(
        municipality=tobetsu, title="当別町の避難所データをオープンデータにした話 — 長いタイトルでも折り返す",
        topics=[gis], population_band="10k_50k", catalogue_url="https://catalog.example.jp/" + "x" * 80,
        people="職員2人", time_taken="3か月", datasets=3, published_at=datetime(2026, 5, 1, tzinfo=UTC))
    story.links = [UseCaseLink(label="避難所一覧", url="https://data.example.jp/shelters.csv")]
    for n in range(3):
        make_use_case(municipality=tobetsu, title=f"事例{n}", kind="participation")
    db.session.commit()
    page = page_at(PHONE if viewport == "phone" else DESKTOP)
    problems = {}
    for path in ("/cases", "/cases?topic=nope&q=避難所", f"/cases/{story.id}"):
        response = page.goto(live_server + path)
        assert response.ok, path
        assert fits(page), path
        problems[path] = serious_violations(page)
    assert {path: found for path, found in problems.items() if found} == {}
    # The map drew the town (Leaflet's container and its marker layer).
    assert page.locator(".map-frame .leaflet-container").count() == 1
    assert page.external_requests == []
    # Keyboard only: from the list, reach the use case's link and follow it.
    page.goto(live_server + "/cases")
    for _ in range(80):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent").startswith("当別町の避難所データ"):
            break
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert re.search(rf"/cases/{story.id}$", page.url)
    # The request form: once a municipality is chosen, what towns like it did shows up.
    page.goto(live_server + "/request?prefecture=01")
    assert page.locator("#towns-like-yours .towns-like-yours-link").count() == 1
    page.select_option("#municipality", "012351")  # 石狩市, a neighbour of 当別町
    page.locator("#towns-like-yours .towns-like-yours").wait_for()
    assert "当別町" in page.locator("#towns-like-yours").inner_text()
    assert page.locator("#towns-like-yours a[href^='/cases/']").count() == 3
    assert fits(page) and serious_violations(page) == []
