"""A town hall asks for help in Chromium: in Japanese, on a phone, by keyboard, and the
form passes an axe-core scan."""

from __future__ import annotations

import os
import re

import pytest

from app.services.topics import sync_topics
from tests.web.conftest import CHROMIUM, DESKTOP, PHONE

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed"),
]


@pytest.fixture
def site(live_server, db):
    sync_topics()
    return live_server


def serious_violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']}: {v['help']}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_a_town_hall_asks_for_help_in_japanese_then_withdraws(site, page_at):
    page = page_at(PHONE)
    page.goto(site + "/request")
    page.get_by_label("都道府県").select_option(label="北海道")
    with page.expect_navigation():  # leaving the prefecture reloads the list
        page.get_by_label("都道府県").press("Tab")
    page.get_by_label(re.compile(r"^市区町村")).select_option(label="当別町")
    page.get_by_label("お名前").fill("山田 花子")
    page.get_by_label("所属部署").fill("企画課")
    page.get_by_label("メールアドレス").fill("yamada@town.example.lg.jp")
    page.get_by_label("電話番号（任意）").fill("03-1234-5678")
    page.get_by_label("推奨データセット").check()
    page.get_by_label("オンライン").check()
    page.get_by_label("メッセージ（任意）").fill("何から始めればよいか相談したいです。")
    with page.expect_navigation():
        page.get_by_role("button", name="依頼を送信する").click()

    assert page.get_by_role("heading", name=re.compile("受け付けました")).is_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.get_by_role("link", name="状況確認ページを開く").click()
    assert "/request/status/" in page.url
    assert page.get_by_text("当別町").first.is_visible()

    page.get_by_label(re.compile("支援は不要になりました")).check()
    page.get_by_role("button", name="依頼を取り下げる").click()
    assert page.get_by_text(re.compile("取り下げ")).first.is_visible()
    assert page.get_by_role("button", name="依頼を取り下げる").count() == 0
    assert page.external_requests == []


def test_choosing_the_prefecture_keeps_what_was_typed(site, page_at):
    page = page_at(DESKTOP)
    page.goto(site + "/request")
    page.get_by_label("お名前").fill("佐藤 一郎")
    page.get_by_label("都道府県").select_option(label="青森県")
    with page.expect_navigation():
        page.get_by_label("都道府県").press("Enter")
    assert page.get_by_label("お名前").input_value() == "佐藤 一郎"
    assert "青森市" in page.get_by_label(re.compile(r"^市区町村")).inner_text()


def test_the_form_can_be_completed_with_the_keyboard_alone(site, page_at):
    page = page_at(DESKTOP)
    page.goto(site + "/request?prefecture=01")
    page.get_by_label("都道府県").focus()
    page.keyboard.press("Tab")  # the municipality list (the reload button is hidden with JS on)
    assert page.evaluate("document.activeElement.id") == "municipality"
    page.keyboard.press("ArrowDown")  # from "Choose…" to the first municipality
    assert page.evaluate("document.getElementById('municipality').value") == "011002"
    for value in ("山田 花子", "企画課", "yamada@town.example.lg.jp", "03-1234-5678"):
        page.keyboard.press("Tab")
        page.keyboard.type(value)
    page.keyboard.press("Tab")
    page.keyboard.press("Space")  # the first topic
    page.get_by_label("お名前").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")  # Enter sends the form
    assert "/request/sent" in page.url


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
@pytest.mark.parametrize("path", ["/request", "/request?prefecture=01"])
def test_the_form_has_no_serious_accessibility_violations(site, page_at, viewport, path):
    page = page_at(viewport)
    page.goto(site + path)
    assert serious_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_the_form_with_errors_has_no_serious_accessibility_violations(site, page_at):
    page = page_at(PHONE)
    page.goto(site + "/request")
    with page.expect_navigation():
        page.get_by_role("button", name="依頼を送信する").click()
    assert page.locator(".invalid-feedback").count() >= 4
    assert serious_violations(page) == []


# --- Stepping through the prefectures with the keyboard (issue 17, WCAG 3.2.2) -------------


def mark_the_page(page) -> None:
    """A flag that a reload would wipe out."""
    page.evaluate("window.notReloaded = true")


def still_the_same_page(page) -> bool:
    return page.evaluate("window.notReloaded === true")


def test_the_arrow_keys_step_through_the_prefectures_without_reloading(site, page_at):
    page = page_at(DESKTOP)
    page.goto(site + "/request")
    page.get_by_label("お名前").fill("佐藤 一郎")
    page.get_by_label("都道府県").focus()
    mark_the_page(page)
    for _ in range(5):  # 北海道, 青森県, 岩手県, 宮城県, 秋田県
        page.keyboard.press("ArrowDown")
    page.wait_for_timeout(300)  # a reload started by the keys would be under way by now
    assert still_the_same_page(page)
    assert page.evaluate("document.activeElement.id") == "prefecture"
    assert page.evaluate("document.getElementById('prefecture').value") == "05"
    page.keyboard.press("ArrowUp")  # and back
    page.wait_for_timeout(300)
    assert still_the_same_page(page)
    assert page.evaluate("document.getElementById('prefecture').value") == "04"

    with page.expect_navigation():  # leaving the list with a new value loads its towns
        page.keyboard.press("Tab")
    assert "仙台市" in page.get_by_label(re.compile(r"^市区町村")).inner_text()
    assert page.evaluate("document.activeElement.id") == "municipality"
    assert page.get_by_label("お名前").input_value() == "佐藤 一郎"


def test_enter_on_the_prefecture_loads_its_towns(site, page_at):
    page = page_at(PHONE)
    page.goto(site + "/request?prefecture=01")
    page.get_by_label("都道府県").focus()
    mark_the_page(page)
    page.keyboard.press("Enter")  # nothing changed yet: nothing to load
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.wait_for_timeout(300)
    assert still_the_same_page(page)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.evaluate("document.getElementById('prefecture').value") == "03"
    assert "盛岡市" in page.get_by_label(re.compile(r"^市区町村")).inner_text()


def test_tabbing_past_an_unchanged_prefecture_does_not_reload(site, page_at):
    page = page_at(DESKTOP)
    page.goto(site + "/request?prefecture=01")
    page.get_by_label("都道府県").focus()
    mark_the_page(page)
    page.keyboard.press("Tab")
    page.wait_for_timeout(300)
    assert still_the_same_page(page) and page.evaluate("document.activeElement.id") == "municipality"


def test_without_javascript_the_button_loads_the_towns(site, browser):
    context = browser.new_context(viewport=DESKTOP, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(site + "/request")
        button = page.get_by_role("button", name="市区町村の一覧を表示する")
        assert button.is_visible()
        page.get_by_label("都道府県").select_option(label="秋田県")
        with page.expect_navigation():
            button.click()
        assert "秋田市" in page.get_by_label(re.compile(r"^市区町村")).inner_text()
    finally:
        context.close()


def test_a_pick_with_the_mouse_loads_the_towns_at_once(site, page_at):
    page = page_at(DESKTOP)
    page.goto(site + "/request")
    prefecture = page.get_by_label("都道府県")
    prefecture.dispatch_event("pointerdown")  # the opened list is the browser's own: not clickable here
    with page.expect_navigation():
        prefecture.select_option(label="青森県")
    assert "青森市" in page.get_by_label(re.compile(r"^市区町村")).inner_text()
