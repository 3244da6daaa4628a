"""Communities in public, in Chromium (issue 22, point 5): a community registers itself in
Japanese on a phone and confirms its address by the mailed link, a coordinator accepts it, and it shows in the directory and on its
own page with its marker on the map. Every new page fits 360 px and passes an axe-core
scan (no serious or critical violation); nothing is loaded from off the site."""

from __future__ import annotations

import os
import re

import pytest
import sqlalchemy as sa

from app.models import Municipality
from app.services.topics import sync_topics
from tests.factories import make_community
from tests.mailbox import body_of
from tests.web.conftest import CHROMIUM, DESKTOP, PHONE
from tests.web.test_browser_map import sign_in, watch_console

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed"),
]


def serious_violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [f"{v['id']}: {v['help']} {[n['html'] for n in v['nodes']][:3]}"
            for v in results.response["violations"] if v["impact"] in ("serious", "critical")]


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.fixture
def site(live_server, db):
    sync_topics()
    sapporo = db.session.scalar(sa.select(Municipality).where(Municipality.code == "011002"))
    make_community(municipality=sapporo, name="Code for Sapporo", public=True, website="https://c4s.example.jp/",
                   how_to_join="毎月第2土曜の勉強会にどうぞ。", member_count=25, contact_email="secret@example.jp")
    db.session.commit()
    return live_server


def test_a_community_registers_on_a_phone_and_a_coordinator_lists_it(site, page_at, make_account, db, mailbox,
                                                                      deliver):
    phone = page_at(PHONE)
    problems = watch_console(phone)
    checked: dict[str, list[str]] = {}

    phone.goto(site + "/communities")
    assert fits(phone)
    checked["directory"] = serious_violations(phone)
    assert phone.get_by_role("link", name="Code for Sapporo").is_visible()
    assert "secret@example.jp" not in phone.content()
    phone.wait_for_selector(".leaflet-marker-icon, .marker-cluster")

    phone.get_by_role("link", name="Code for Sapporo").click()
    assert phone.get_by_text("毎月第2土曜の勉強会にどうぞ。").is_visible()
    assert fits(phone)
    checked["community"] = serious_violations(phone)

    phone.goto(site + "/communities/register")
    checked["form"] = serious_violations(phone)
    phone.get_by_role("textbox", name=re.compile("^コミュニティの名前")).fill("Code for Tobetsu")
    phone.get_by_label("都道府県").select_option(label="北海道")
    with phone.expect_navigation():  # leaving the prefecture reloads the list of its towns
        phone.get_by_label("都道府県").press("Tab")
    assert phone.get_by_role("textbox", name=re.compile("^コミュニティの名前")).input_value() == "Code for Tobetsu"
    phone.get_by_label(re.compile("^市区町村")).select_option(label="当別町")
    phone.get_by_label("参加方法（任意）").fill("オンラインのチャットへどうぞ。")
    phone.get_by_label("連絡先メールアドレス").fill("tobetsu@example.jp")
    # Sent without the consent first: said next to the box, and what was typed stays.
    with phone.expect_navigation():
        phone.get_by_role("button", name="登録を送信する").click()
    assert phone.get_by_text(re.compile("公開への同意欄にチェック")).first.is_visible()
    assert phone.get_by_label("参加方法（任意）").input_value() == "オンラインのチャットへどうぞ。"
    assert fits(phone)
    checked["form with errors"] = serious_violations(phone)
    phone.get_by_label(re.compile("公開ディレクトリに掲載することに同意します")).check()
    with phone.expect_navigation():
        phone.get_by_role("button", name="登録を送信する").click()
    assert phone.url.endswith("/communities/register/check-mail")
    assert "tobetsu@example.jp" in phone.content()
    assert fits(phone)
    checked["check mail"] = serious_violations(phone)

    deliver()
    (mail,) = mailbox.to("tobetsu@example.jp")
    link = re.search(r"(http://127\.0\.0\.1:\d+/communities/register/confirm/\S+)", body_of(mail)).group(1)
    phone.goto(link)
    assert fits(phone)
    checked["confirm"] = serious_violations(phone)
    with phone.expect_navigation():
        phone.get_by_role("button", name="確認して登録を送る").click()
    assert phone.url.endswith("/communities/register/confirmed")
    assert phone.get_by_role("heading", name="コミュニティのご登録ありがとうございます").is_visible()
    assert "Code for Tobetsu" in phone.content()
    assert fits(phone)
    checked["confirmed"] = serious_violations(phone)

    desk = page_at(DESKTOP)
    sign_in(desk, site, make_account("coordinator"))
    desk.goto(site + "/coordinator/communities/registrations")
    checked["queue"] = serious_violations(desk)
    desk.get_by_role("link", name="Code for Tobetsu").click()
    assert fits(desk)
    checked["registration"] = serious_violations(desk)
    with desk.expect_navigation():
        desk.get_by_role("button", name="登録を承認する").click()
    assert desk.get_by_text(re.compile("公開ディレクトリに掲載されました")).first.is_visible()

    phone.goto(site + "/communities?prefecture=01")
    assert phone.get_by_role("link", name="Code for Tobetsu").is_visible()

    assert {name: found for name, found in checked.items() if found} == {}
    assert phone.external_requests == [] and desk.external_requests == []
    # The form sent without consent answers 422 on purpose; nothing else may fail.
    assert [p for p in problems if "422" not in p] == []
