"""The pages as a person sees them, in Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os

import pytest

from tests.web.conftest import CHROMIUM, DESKTOP, PHONE

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed"),
]


def has_no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("path", ["/", "/municipalities", "/municipalities/011002"])
def test_pages_fit_a_phone_screen_and_load_nothing_from_outside(live_server, page_at, path):
    page = page_at(PHONE)
    page.goto(live_server + path)
    assert has_no_horizontal_scroll(page)
    assert page.external_requests == []


def test_search_on_a_phone_by_reading_then_switch_to_english(live_server, page_at):
    page = page_at(PHONE)
    page.goto(live_server + "/municipalities")
    page.get_by_label("名前・よみ・コード").fill("さっぽろ")
    page.get_by_label("名前・よみ・コード").press("Enter")
    page.get_by_role("link", name="札幌市").click()
    assert page.get_by_role("heading", name="札幌市").is_visible()

    page.get_by_role("button", name="メニューを表示").click()
    page.locator("#nav-main.show").wait_for()  # the menu has finished opening
    with page.expect_navigation():
        page.get_by_role("button", name="English").click()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.url.endswith("/municipalities/011002")
    assert page.get_by_text("Local government code").is_visible()


def test_keyboard_users_can_skip_to_the_content(live_server, page_at):
    page = page_at(DESKTOP)
    page.goto(live_server + "/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.getAttribute('href')")
    assert focused == "#main"
