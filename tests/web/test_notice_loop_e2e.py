"""The programme runs by itself (issue 18), end to end in Debian's Chromium with a real SMTP
server on loopback capturing every mail: a town asks → the coordinators are told →
a coordinator proposes → the evangelist is told (mail and bell) → accepts → offers two
times → the town opens the link *from the captured mail* and books one → the town, the
evangelist and the coordinator each get the .ics invitation → the day before (a frozen
clock) the reminder goes out → the visit is logged → the request is closed → the town gets
the closing mail and answers the feedback question, which the coordinators read.

The queue runs in this process (``deliver``), as the worker would run it."""

from __future__ import annotations

import os
import re
from datetime import datetime, time, timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from app.models import Notice, SupportRequest
from app.services import reminders
from evangelists.calendar import PROGRAMME_ZONE, today_in_japan
from tests.mailbox import body_of
from tests.web.conftest import CHROMIUM, DESKTOP, PHONE
from tests.web.test_browser_bookings import fill_offer
from tests.web.test_browser_overflow import Walk, sign_in
from tests.web.test_journeys_e2e import TOWN, TOWN_CODE, world  # noqa: F401 - the fixture

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed"),
]

TOWN_EMAIL = "yamada@town.tobetsu.example.lg.jp"


def link_in(message, path: str) -> str:
    """The first link in ``message``'s body whose path starts with ``path``."""
    found = re.search(r"https?://[^\s]+" + re.escape(path) + r"[^\s]*", body_of(message))
    assert found, f"no link to {path} in:\n{body_of(message)}"
    return found.group(0)


def kinds_to(db, address: str) -> list[str]:
    rows = db.session.execute(sa.text(
        "SELECT n.kind FROM notices n LEFT JOIN users u ON u.id = n.user_id"
        " WHERE lower(coalesce(u.email, n.email)) = :address ORDER BY n.id"), {"address": address.lower()})
    return [kind for (kind,) in rows]


def calendar_part(message) -> str | None:
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            return part.get_content() if isinstance(part.get_content(), str) else part.get_content().decode()
    return None


def test_the_loop_runs_by_itself_with_every_mail_on_a_real_smtp_server(world, page_at, db, mailbox, deliver, clock):  # noqa: F811
    base = world["base"]
    coordinator, near = world["coordinator"], world["near"]
    walk = Walk(base=base)

    # --- The town asks (desktop, no account) -------------------------------------------------
    town = page_at(DESKTOP)
    town.goto(base + "/request")
    town.get_by_label("都道府県").select_option(label="北海道")
    with town.expect_navigation():
        town.get_by_label("都道府県").press("Tab")
    town.get_by_label(re.compile("^市区町村")).select_option(label=TOWN)
    town.get_by_label("お名前").fill("山田 花子")
    town.get_by_label("所属部署").fill("企画課")
    town.get_by_label("メールアドレス").fill(TOWN_EMAIL)
    town.get_by_label("推奨データセット").check()
    town.get_by_label("現地（庁舎）").check()
    with town.expect_navigation():
        town.get_by_role("button", name="依頼を送信する").click()
    number = db.session.scalar(sa.select(SupportRequest.id))
    deliver()
    (receipt,) = mailbox.to(TOWN_EMAIL)
    assert f"受付番号 {number}" in receipt["Subject"]
    (told,) = mailbox.to(coordinator.email)  # the coordinators are told
    assert TOWN in told["Subject"]

    # --- The coordinator opens the request from the mail, triages and proposes ---------------
    desk = page_at(DESKTOP)
    sign_in(desk, walk, coordinator)
    desk.goto(link_in(told, f"/coordinator/requests/{number}"))
    with desk.expect_navigation():
        desk.get_by_role("button", name="確認済みにする").click()
    with desk.expect_navigation():
        desk.get_by_role("button", name="北野 葵 さんに打診する").click()
    with desk.expect_navigation():  # the confirmation page
        desk.get_by_role("button", name="北野 葵 さんに打診する").click()
    expect(desk.get_by_role("alert")).to_contain_text("北野 葵 さんに打診しました")
    deliver()

    # --- The evangelist is told, by mail and by the bell, and accepts (phone) ----------------
    (proposal,) = mailbox.to(near.user.email)
    assert TOWN in body_of(proposal)
    phone = page_at(PHONE)
    sign_in(phone, walk, near.user)
    expect(phone.locator(".notice-count")).to_have_text("1")
    phone.goto(link_in(proposal, "/me/"))
    mine = phone.locator(".assignments li").filter(has_text=TOWN)
    with phone.expect_navigation():
        mine.get_by_role("button", name="引き受ける").click()
    deliver()
    assert kinds_to(db, coordinator.email)[-1] == "assignment_accepted"

    # --- The evangelist offers two times -----------------------------------------------------
    first_day, second_day = today_in_japan() + timedelta(days=3), today_in_japan() + timedelta(days=4)
    phone.goto(base + "/me/")
    with phone.expect_navigation():
        phone.get_by_role("link", name="訪問日時を提案する").click()
    fill_offer(phone, [(first_day, "10:00", "11:30"), (second_day, "14:00", "15:00")],
               place="当別町役場 2階会議室", attendees="企画課 2名、情報政策担当 1名")
    with phone.expect_navigation():
        phone.get_by_role("button", name="この日時を提案する").click()
    deliver()
    offered = mailbox.to(TOWN_EMAIL)[-1]
    assert kinds_to(db, TOWN_EMAIL)[-1] == "booking_offered"

    # --- The town opens the link from the captured mail and books the first time -------------
    town.goto(link_in(offered, "/request/status/"))
    buttons = town.get_by_role("button", name="この日時で予約する")
    expect(buttons).to_have_count(2)
    with town.expect_navigation():
        buttons.first.click()
    expect(town.locator(".booked-time")).to_contain_text("10:00")
    mailbox.clear()
    deliver()

    # --- All three get the invitation --------------------------------------------------------
    for address in (TOWN_EMAIL, near.user.email, coordinator.email):
        (booked,) = mailbox.to(address)
        invitation = calendar_part(booked)
        assert invitation and "METHOD:REQUEST" in invitation and "TZID=Asia/Tokyo" in invitation, address
        assert f"DTSTART;TZID=Asia/Tokyo:{first_day:%Y%m%d}T100000" in invitation
    mailbox.clear()

    # --- The day before, at 09:00 in Japan, the reminder goes out ----------------------------
    clock(datetime.combine(first_day - timedelta(days=1), time(9, 0), PROGRAMME_ZONE))
    assert reminders.run_reminders()["visit_tomorrow"] == 2
    deliver()
    assert "明日" in mailbox.to(TOWN_EMAIL)[0]["Subject"]
    assert "明日" in mailbox.to(near.user.email)[0]["Subject"]
    assert reminders.run_reminders()["visit_tomorrow"] == 0  # once
    mailbox.clear()

    # --- The visit is logged from the booking, the work completed ----------------------------
    clock(datetime.combine(first_day, time(13, 0), PROGRAMME_ZONE))
    phone.goto(base + "/me/")
    with phone.expect_navigation():
        mine.get_by_role("link", name="訪問を記録").click()
    expect(phone.locator("input[name='visited_on']")).to_have_value(first_day.isoformat())  # from the booking
    phone.get_by_label(re.compile("^概要")).fill("推奨データセットの公開手順を説明し、その場で最初のデータを公開しました。")
    phone.locator("select[name='outcomes-0-type']").select_option(label="オープンデータ公開済み")
    phone.locator("input[name='outcomes-0-evidence_url']").fill("https://www.town.tobetsu.example.jp/opendata/")
    with phone.expect_navigation():
        phone.get_by_role("button", name="訪問を保存").click()
    expect(phone.get_by_role("alert")).to_contain_text("訪問を保存しました")
    deliver()
    assert kinds_to(db, coordinator.email)[-1] == "visit_logged"
    with phone.expect_navigation():
        mine.get_by_role("button", name="完了にする").click()
    expect(phone.get_by_role("alert")).to_contain_text("完了にしました")
    deliver()

    # --- The town gets the closing mail and answers the question -----------------------------
    (closing,) = [m for m in mailbox.to(TOWN_EMAIL)]
    assert kinds_to(db, TOWN_EMAIL)[-1] == "request_completed"
    assert "オープンデータ公開済み" in body_of(closing)
    town.goto(link_in(closing, "/request/status/"))
    town.check("#feedback input[name=rating][value='5']")
    town.fill("#feedback textarea[name=comment]", "庁内の説明まで手伝っていただき助かりました。")
    with town.expect_navigation():
        town.click("#feedback button[type=submit]")
    expect(town.locator("#feedback .feedback-comment")).to_contain_text("助かりました")

    desk.goto(base + "/coordinator/")
    expect(desk.locator("#feedback")).to_contain_text("助かりました")
    # Nothing was left unsent, and nothing failed.
    assert set(db.session.scalars(sa.select(Notice.mail))) <= {"sent", "none"}
    assert walk.problems == [], "\n".join(walk.problems)
