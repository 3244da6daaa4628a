"""Issue 20, point 7, in Chromium, in Japanese, under the strict CSP: a coordinator opens an
outreach case from the dashboard's coverage gap, logs a contact, and turns the case into a
request with the town's consent; the case, the list and the map layer at 360 and 1366 px.
Set OUTREACH_SCREENSHOTS to a folder to keep screenshots of each step."""

from __future__ import annotations

import os
import re

import pytest
from playwright.sync_api import expect

from app.services.topics import sync_topics
from tests.web.browser_steps import fits, shooter
from tests.web.test_browser_request import serious_violations

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists("/usr/bin/chromium"), reason="needs Chromium"),
]

shot = shooter("OUTREACH_SCREENSHOTS")




@pytest.mark.parametrize("width", [1366, 360])
def test_a_coordinator_opens_a_case_from_the_gap_logs_a_contact_and_turns_it_into_a_request(
        live_server, browser, db, make_account, width, sign_in_page):
    sync_topics()
    coordinator = make_account("coordinator", display_name="山田 花子")
    db.session.commit()
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="ja-JP")
    page = context.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        sign_in_page(page, coordinator)

        page.goto(live_server + "/coordinator/reports")
        row = page.locator("#gap tr", has_text="当別町")
        with page.expect_navigation():
            row.get_by_role("link", name="案件を開く").click()
        expect(page.get_by_role("heading", name="働きかけ案件を開く")).to_be_visible()
        shot(page, f"new-{width}")
        assert fits(page)
        with page.expect_navigation():
            page.locator("main").get_by_role("button", name="働きかけ案件を開く").click()
        expect(page.get_by_text("当別町への働きかけ案件を開きました")).to_be_visible()

        # The first contact: the form is open while the case has none.
        page.get_by_label(re.compile("^連絡方法")).select_option(label="電話")
        page.get_by_label(re.compile("^接触した人")).fill("佐藤 一郎")
        page.get_by_label(re.compile("^部署")).fill("企画課")
        page.get_by_label(re.compile("^電話番号")).fill("0133-23-2111")
        page.get_by_label(re.compile("^自治体の回答")).fill("オープンデータに関心あり。課内で相談する。")
        page.get_by_label(re.compile("^案件の現在の状況")).select_option(label="関心あり")
        page.get_by_label(re.compile("^次の対応")).fill("資料を送る")
        assert serious_violations(page) == []
        assert fits(page)
        shot(page, f"case-form-{width}")
        with page.expect_navigation():
            page.get_by_role("button", name="接触を記録する").click()
        expect(page.get_by_text("接触を記録しました。")).to_be_visible()
        expect(page.locator(".outreach-log")).to_contain_text("佐藤 一郎")

        # Interested: the request form is open; the person is filled in as who agreed.
        expect(page.get_by_label(re.compile("^同意した人"))).to_have_value("佐藤 一郎")
        page.get_by_label("自治体は支援依頼として記録することに同意した").check()
        page.get_by_label(re.compile("^同意の方法")).select_option(label="電話")
        shot(page, f"case-{width}")
        with page.expect_navigation():
            page.get_by_role("button", name="支援依頼にする").click()
        expect(page.get_by_text(re.compile("当別町の同意を得て、支援依頼.*を記録しました"))).to_be_visible()
        expect(page.get_by_text("働きかけ（自治体の同意あり）").first).to_be_visible()
        shot(page, f"request-{width}")
        assert fits(page)

        page.goto(live_server + "/coordinator/outreach?status=")
        expect(page.locator(".outreach-cases")).to_contain_text("支援依頼になった")
        assert fits(page)
        shot(page, f"list-{width}")
        assert errors == []
    finally:
        context.close()
