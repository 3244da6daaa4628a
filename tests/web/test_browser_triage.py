"""The request page's send back, search and proposal confirmation in Chromium without
JavaScript, under the app's strict CSP, at 1366 and 360 px (issue 17, points 2, 16, 17).
Set TRIAGE_SCREENSHOTS to a folder to keep screenshots of each step."""

from __future__ import annotations

import os
import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from app.models import Assignment, Municipality, SupportRequest, Topic
from app.services.topics import sync_topics
from tests.factories import make_assignment, make_evangelist, make_request
from tests.web.browser_steps import fits, shooter

pytestmark = pytest.mark.skipif(not os.path.exists("/usr/bin/chromium"), reason="needs Chromium")

shot = shooter("TRIAGE_SCREENSHOTS")




@pytest.mark.parametrize("width", [1366, 360])
def test_send_back_search_and_confirm_work_without_javascript(live_server, browser, db, make_account, width,
                                                             sign_in_page):
    sync_topics()
    gis = db.session.scalar(sa.select(Topic).where(Topic.slug == "gis"))
    tobetsu = db.session.scalar(sa.select(Municipality).where(Municipality.code == "013030"))
    sapporo = db.session.scalar(sa.select(Municipality).where(Municipality.code == "011002"))
    assigned = make_request(municipality=tobetsu, status="assigned", preferred_mode="online", topics=[gis])
    near = make_evangelist(family_name="近藤", given_name="花子", home_municipality=sapporo, lat=sapporo.lat,
                           lon=sapporo.lon, skills=[gis])
    make_assignment(request=assigned, evangelist=near, status="accepted")
    open_request = make_request(municipality=sapporo, status="triaged", preferred_mode="online", topics=[gis])
    make_evangelist(family_name="南", given_name="陸", home_municipality=sapporo, lat=sapporo.lat, lon=sapporo.lon)
    make_evangelist(family_name="南野", given_name="葵", home_municipality=sapporo, lat=sapporo.lat,
                    lon=sapporo.lon, capacity=0)
    coordinator = make_account("coordinator")
    db.session.commit()

    context = browser.new_context(viewport={"width": width, "height": 900}, java_script_enabled=False)
    page = context.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        sign_in_page(page, coordinator)

        # Point 2: an assigned request offers no "確認済みにする", only 差し戻す.
        page.goto(f"{live_server}/coordinator/requests/{assigned.id}")
        panel = page.locator("section.triage")
        expect(panel.get_by_role("button", name="確認済みにする")).to_have_count(0)
        panel.locator("summary", has_text="差し戻す").click()
        panel.get_by_label("差し戻す理由").fill("町の担当者が替わりました")
        shot(page, f"send-back-{width}")
        assert fits(page)
        panel.get_by_role("button", name="差し戻す").click()  # not ticked: asked again
        expect(page.locator("#send-back-confirm-error")).to_be_visible()
        page.locator("section.triage").get_by_label(re.compile("現在の担当が中止され")).check()
        page.locator("section.triage").get_by_role("button", name="差し戻す").click()
        expect(page.get_by_role("alert")).to_contain_text("差し戻しました")
        expect(page.locator("main .badge.fs-6")).to_have_text("確認済み")
        db.session.expire_all()
        assert db.session.get(SupportRequest, assigned.id).status == "triaged"

        # Point 16: anyone, found by reading, with the score or why not.
        page.goto(f"{live_server}/coordinator/requests/{open_request.id}")
        search = page.locator("section.person-search")
        search.get_by_label("名前・読みで伝道師を探す").fill("南")
        search.get_by_role("button", name="検索").click()
        found = page.locator("ul.found > li")
        expect(found).to_have_count(2)
        expect(found.filter(has_text="南 陸")).to_contain_text("オンライン対応可")
        expect(found.filter(has_text="南野 葵")).to_contain_text("受け持ちが上限（0 / 0 件）")
        expect(found.filter(has_text="南野 葵").get_by_role("button")).to_have_count(0)
        shot(page, f"search-{width}")
        assert fits(page)

        # Point 17: the proposal is confirmed on its own page.
        found.filter(has_text="南 陸").get_by_role("button").click()
        expect(page.locator("main h1")).to_contain_text("南 陸 さんに打診しますか")
        shot(page, f"confirm-{width}")
        assert fits(page)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Assignment)
                                 .where(Assignment.request_id == open_request.id)) == 0
        page.get_by_role("button", name="南 陸 さんに打診する").click()
        expect(page.get_by_role("alert")).to_contain_text("南 陸 さんに打診しました")
        shot(page, f"proposed-{width}")
        assert not [e for e in errors if "Content Security Policy" in e]
    finally:
        context.close()
