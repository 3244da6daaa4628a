"""The bell and the notice list in Chromium: on a 360 px phone the bell shows without
opening the menu and says its count; opening a notice leads to what it is about and the
count goes down; on a desktop the bell comes last in the bar."""

from __future__ import annotations

import os

import pytest

from app.services.notices import notify
from tests.conftest import PASSWORD, totp_code
from tests.factories import make_request
from tests.web.conftest import CHROMIUM, DESKTOP, PHONE

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed"),
]


@pytest.fixture
def gazetteer(db):
    """No national gazetteer: the factories make the towns these notices name."""


@pytest.fixture
def told(live_server, db, make_account):
    coordinator = make_account("coordinator")
    first = notify("request_new", users=[coordinator], request=make_request(),
                   params={"town": "<script>alert(1)</script>", "prefecture": "北海道"})[0]
    notify("request_new", users=[coordinator], request=make_request(), params={"town": "当別町", "prefecture": "北海道"})
    db.session.commit()
    return {"base": live_server, "user": coordinator, "first": first}


def signed_in(page, told):
    page.goto(told["base"] + "/auth/login")
    page.fill("input[name=email]", told["user"].email)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("main button[type=submit]")
    page.fill("input[name=code]", totp_code(told["user"]))
    with page.expect_navigation():
        page.click("main button[type=submit]")
    return page


def test_on_a_phone_the_bell_shows_its_count_and_reading_a_notice_counts_it_down(told, page_at):
    page = signed_in(page_at(PHONE), told)
    page.goto(told["base"] + "/coordinator/")
    bell = page.get_by_role("link", name="お知らせ: 未読 2 件")
    assert bell.is_visible()  # without opening the menu
    assert not page.locator("#nav-main").is_visible()
    box = bell.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert bell.locator(".notice-count").inner_text() == "2"
    with page.expect_navigation():
        bell.click()
    assert page.url.endswith("/notices/")
    title = page.locator(f"#notice-{told['first'].id} button.notice-title")
    assert "<script>alert(1)</script>" in title.inner_text()  # shown as text, not run
    with page.expect_navigation():
        title.click()
    assert page.url.endswith(f"/coordinator/requests/{told['first'].request_id}")
    assert page.get_by_role("link", name="お知らせ: 未読 1 件").is_visible()


def test_on_a_desktop_the_bell_comes_last_in_the_bar(told, page_at):
    page = signed_in(page_at(DESKTOP), told)
    page.goto(told["base"] + "/coordinator/")
    bell = page.locator("header .app-bell").bounding_box()
    language = page.locator("header [lang=en]").bounding_box()
    assert bell["x"] > language["x"] and abs((bell["y"] + bell["height"] / 2) - (language["y"] + language["height"] / 2)) < 8
    page.locator("header form button[lang=en]").click()
    page.wait_for_load_state()
    assert page.get_by_role("link", name="Notifications: 2 unread").is_visible()
