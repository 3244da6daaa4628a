"""The content security policy as Chromium enforces it on the public pages."""

from __future__ import annotations

import os

import pytest

from app.services.topics import sync_topics
from tests.web.conftest import CHROMIUM, PHONE


@pytest.mark.browser
@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed")
def test_chromium_reports_no_policy_violation_on_the_public_pages(live_server, page_at, db):
    sync_topics()
    page = page_at(PHONE)
    violations = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    for path in ("/", "/municipalities", "/municipalities/011002", "/request", "/auth/login", "/communities",
                 "/communities/register"):
        page.goto(live_server + path)
        assert page.evaluate("typeof bootstrap") == "object", path  # the bundled JS ran
    page.locator("button.navbar-toggler").click()
    page.locator("#nav-main.show").wait_for()  # Bootstrap's collapse works under the policy
    page.goto(live_server + "/request")
    page.locator("#prefecture").select_option("01")
    with page.expect_navigation():  # request-form.js reloads the form on Enter
        page.locator("#prefecture").press("Enter")
    assert "当別町" in page.locator("#municipality").inner_text()
    assert violations == []
