"""A town's public results and the open data's dictionary in Chromium: axe-clean, no
horizontal overflow on a phone, in Japanese and in English, and the catalogue link is
reached by keyboard."""

from __future__ import annotations

import os
from datetime import date

import pytest
import sqlalchemy as sa

from app.models import Municipality
from tests.factories import (
    make_assignment,
    make_evangelist,
    make_outcome,
    make_request,
    make_use_case,
    make_visit,
)
from tests.web.conftest import CHROMIUM, DESKTOP, PHONE
from tests.web.test_browser_request import serious_violations

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed"),
]

CATALOGUE = "https://www.city.sapporo.example.jp/opendata/catalog/datasets/index.html?lang=ja&sort=newest"


@pytest.fixture
def site(live_server, db):
    town = db.session.scalar(sa.select(Municipality).where(Municipality.code == "011002"))
    town.open_data_status, town.open_data_since, town.engagement_stage = "active", date(2025, 5, 10), "active"
    assignment = make_assignment(request=make_request(municipality=town),
                                 evangelist=make_evangelist(home_municipality=town), status="accepted")
    visit = make_visit(assignment=assignment, visited_on=date(2025, 5, 10))
    make_outcome(visit=visit, type="open_data_published")
    make_outcome(visit=visit, type="datasets_published", count=12)
    make_outcome(visit=visit, type="catalog_launched", evidence_url=CATALOGUE)
    make_use_case(municipality=town, title="札幌市が避難所・公衆トイレ・AED設置場所のデータをまとめて公開した事例")
    make_use_case(municipality=town, title="<script>alert(1)</script>{{7*7}}")
    db.session.commit()
    return live_server


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_results_and_the_dictionary_are_accessible(app, site, page_at, viewport, language):
    page = page_at(viewport)
    page.context.add_cookies([{"name": app.config["LANGUAGE_COOKIE"], "value": language, "url": site}])
    page.goto(site + "/municipalities/011002")
    assert page.locator("html").get_attribute("lang") == language
    assert page.locator("#results").is_visible()
    assert page.locator("#results").get_by_text("<script>alert(1)</script>{{7*7}}").count() == 1
    assert _fits(page), "the municipality's page scrolls sideways"
    assert serious_violations(page) == []
    page.goto(site + "/open-data#dictionary-municipalities")
    assert page.locator("#column-municipalities-open_data_through_programme").is_visible()
    assert _fits(page), "/open-data scrolls sideways"
    assert serious_violations(page) == []


def test_the_catalogue_link_is_reached_by_keyboard(site, page_at):
    page = page_at(DESKTOP)
    page.goto(site + "/municipalities/011002")
    link = page.locator(f"#results a[href='{CATALOGUE}']")
    assert set(link.get_attribute("rel").split()) >= {"nofollow", "noopener"}
    for _ in range(200):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.href") == CATALOGUE:
            break
    else:
        pytest.fail("Tab never reached the catalogue link")
