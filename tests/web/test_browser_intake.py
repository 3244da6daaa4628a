"""A coordinator records a phone request in Chromium, in Japanese, under the strict CSP: the
prefecture reloads the municipalities (with JavaScript and without), the status link is
shown once when the town gave no address, and the form passes an axe-core scan. Set
INTAKE_SCREENSHOTS to a folder to keep screenshots of each step."""

from __future__ import annotations

import os
import re

import pytest
from playwright.sync_api import expect

from app.services.topics import sync_topics
from tests.web.browser_steps import shooter
from tests.web.test_browser_request import serious_violations

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists("/usr/bin/chromium"), reason="needs Chromium"),
]

shot = shooter("INTAKE_SCREENSHOTS")



@pytest.mark.parametrize(("width", "javascript"), [(1366, True), (360, False)])
def test_a_coordinator_records_a_phone_request_without_an_email(live_server, browser, db, make_account,
                                                                width, javascript, sign_in_page):
    sync_topics()
    coordinator = make_account("coordinator", display_name="山田 花子")
    db.session.commit()
    context = browser.new_context(viewport={"width": width, "height": 900}, java_script_enabled=javascript,
                                  locale="ja-JP")
    page = context.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        sign_in_page(page, coordinator)

        page.goto(live_server + "/coordinator/requests")
        page.get_by_role("link", name="電話・メールで受けた依頼を登録").click()
        page.get_by_label(re.compile("^受付方法")).select_option(label="電話")
        page.get_by_label(re.compile("^都道府県")).select_option(label="北海道")
        with page.expect_navigation():
            if javascript:
                page.get_by_label(re.compile("^都道府県")).press("Tab")
            else:
                page.get_by_role("button", name="市区町村の一覧を表示する").click()
        page.get_by_label(re.compile(r"^市区町村")).select_option(label="当別町")
        page.get_by_label(re.compile("^担当者")).fill("電話 太郎")
        page.get_by_label(re.compile("^所属部署")).fill("企画課")
        page.get_by_label(re.compile("^電話番号")).fill("0133-23-2111")
        page.get_by_label("推奨データセット").check()
        shot(page, f"form-{width}")
        if javascript:
            assert serious_violations(page) == []
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        with page.expect_navigation():
            page.get_by_role("button", name="依頼を登録する").click()

        expect(page.get_by_role("heading", name="依頼を登録しました")).to_be_visible()
        expect(page.get_by_text("メールアドレスがないため、メールは送信していません").first).to_be_visible()
        shot(page, f"recorded-{width}")
        link = page.locator("#status-link").input_value()
        assert "/request/status/" in link and "?" not in link
        page.get_by_role("link", name=re.compile("^依頼 .* を開く")).click()
        expect(page.get_by_text("電話で受付 · 記録: 山田 花子")).to_be_visible()
        expect(page.get_by_text("山田 花子 が電話で受けた依頼を登録しました")).to_be_visible()
        shot(page, f"request-{width}")
        assert errors == []
    finally:
        context.close()
