"""The pages as a person sees them, in Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import threading

import pytest
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed"),
]
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def live_server(app, gazetteer):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page_at(browser):
    contexts = []

    def open_page(viewport):
        context = browser.new_context(viewport=viewport)
        contexts.append(context)
        page = context.new_page()
        page.external_requests = []
        page.on(
            "request",
            lambda r: page.external_requests.append(r.url)
            if not r.url.startswith(("http://127.0.0.1", "data:"))
            else None,
        )
        return page

    yield open_page
    for context in contexts:
        context.close()


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
    page.get_by_role("link", name="English").click()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.url.endswith("/municipalities/011002")
    assert page.get_by_text("Local government code").is_visible()


def test_keyboard_users_can_skip_to_the_content(live_server, page_at):
    page = page_at(DESKTOP)
    page.goto(live_server + "/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.getAttribute('href')")
    assert focused == "#main"
