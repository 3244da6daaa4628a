"""The staff search box in Chromium, in Japanese: a coordinator types a reading in
hiragana, then romaji, into the navbar's box (on a phone, in the opened menu; on a laptop,
where the bar has no room, in the search page's box its link opens), gets the
evangelist grouped under its kind with what matched, follows the link to their page; the
results page fits a 360 px screen."""

from __future__ import annotations

import os
import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from app.models import Municipality
from tests.factories import make_evangelist, make_request

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists("/usr/bin/chromium"), reason="needs Chromium"),
]


@pytest.mark.parametrize("width", [1600, 1366, 360])
def test_a_coordinator_finds_an_evangelist_by_reading_and_romaji(live_server, browser, db, make_account,
                                                                  sign_in_page, width):
    sapporo = db.session.scalar(sa.select(Municipality).where(Municipality.code == "011002"))
    coordinator = make_account("coordinator", display_name="調整 太郎")
    person = make_evangelist(family_name="井上", given_name="陽菜", family_name_kana="イノウエ",
                             given_name_kana="ヒナ", home_municipality=sapporo)
    make_request(municipality=sapporo, contact_name="井上 次郎")
    db.session.commit()
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="ja-JP")
    page = context.new_page()
    try:
        sign_in_page(page, coordinator)
        for query in ("いのうえ", "inoue hina"):
            if width < 992:  # the box is in the menu
                page.get_by_role("button", name="メニューを表示").click()
                box = page.locator("#nav-search-q")
            elif width < 1400:  # a laptop: the bar has a link to the search page and its box
                page.get_by_role("link", name="検索", exact=True).click()
                box = page.locator("#q")
            else:
                box = page.locator("#nav-search-q")
            box.fill(query)
            box.press("Enter")
            page.wait_for_url(re.compile(r"/coordinator/search\?q="))
            group = page.locator("#search-evangelist")
            expect(group.get_by_role("heading")).to_contain_text("伝道師・候補")
            expect(group.get_by_role("link", name="井上 陽菜")).to_be_visible()
            expect(group).to_contain_text("一致:")
            expect(page.locator("#q")).to_have_value(query)
            assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.locator("#search-evangelist").get_by_role("link", name="井上 陽菜").click()
        page.wait_for_url(re.compile(rf"/coordinator/recruitment/{person.id}$"))
    finally:
        context.close()
