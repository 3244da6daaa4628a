"""Issue 20's acceptance in Chromium, in Japanese, under the strict CSP: a coordinator of 東北
signs in, sees only their region in the lists and on the map, triages five requests at
once, finds an evangelist by the reading in hiragana and by romaji, opens an outreach case
from the coverage gap and turns it into a request. At 1366 and 360 px.
Set REGIONAL_SCREENSHOTS to a folder to keep screenshots of each step."""

from __future__ import annotations

import os
import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from app.models import Municipality, OutreachCase, SupportRequest
from app.services.regions import set_regions
from app.services.topics import sync_topics
from tests.factories import make_community, make_evangelist, make_request
from tests.web.browser_steps import fits, shooter

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists("/usr/bin/chromium"), reason="needs Chromium"),
]

shot = shooter("REGIONAL_SCREENSHOTS")
# Five towns of Aomori (東北) that ask for help, and one of Hokkaido that the 東北
# coordinator never sees.
AOMORI = ("022012", "022021", "022039", "022047", "022055")




def town(db, code: str) -> Municipality:
    return db.session.scalar(sa.select(Municipality).where(Municipality.code == code))


@pytest.mark.parametrize("width", [1366, 360])
def test_a_regional_coordinator_works_their_region(live_server, browser, db, make_account, sign_in_page, width):
    sync_topics()
    national = make_account("coordinator", display_name="全国 調整")
    regional = make_account("coordinator", display_name="東北 調整")
    set_regions(national, regional, ["tohoku"])
    aomori = [town(db, code) for code in AOMORI]
    sapporo = town(db, "011002")
    asked = [make_request(municipality=t, contact_name=f"依頼 {n}", status="new") for n, t in enumerate(aomori)]
    elsewhere = make_request(municipality=sapporo, contact_name="北海 太郎", status="new")
    make_evangelist(family_name="佐々木", given_name="陽菜", family_name_kana="ササキ", given_name_kana="ヒナ",
                    home_municipality=aomori[0], status="candidate", user=None)
    make_evangelist(family_name="北原", given_name="花子", family_name_kana="キタハラ", given_name_kana="ハナコ",
                    home_municipality=sapporo)
    make_community(name="札幌の会", municipality=sapporo)
    db.session.commit()

    context = browser.new_context(viewport={"width": width, "height": 900}, locale="ja-JP")
    page = context.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        sign_in_page(page, regional)
        expect(page.locator("#my-regions")).to_contain_text("東北")

        # Only their region, in every list.
        page.goto(live_server + "/coordinator/requests")
        queue = page.locator(".request-queue")
        for place in aomori:
            expect(queue).to_contain_text(place.name)
        expect(queue).not_to_contain_text("札幌市")
        shot(page, f"queue-{width}")
        assert fits(page)
        for path, hidden in (("/coordinator/recruitment", "北原"), ("/coordinator/communities", "札幌の会")):
            page.goto(live_server + path)
            expect(page.locator("main")).not_to_contain_text(hidden)
        page.goto(f"{live_server}/coordinator/requests/{elsewhere.id}")
        expect(page.locator("main h1")).not_to_contain_text("札幌市")
        # And on the map: every layer asks for 東北, and the staff layers hold nothing else.
        page.goto(live_server + "/map")
        expect(page.locator(".folium-map")).to_be_visible()
        assert page.content().count("region=tohoku") >= 5
        requests_layer = page.request.get(live_server + "/api/v1/requests?status=new").json()
        assert sorted(int(f["id"]) for f in requests_layer["features"]) == sorted(r.id for r in asked)
        shot(page, f"map-{width}")
        # The 404 above and the map's tiles (no network here) were said in the console.
        errors.clear()

        # Five requests triaged at once: review, then all of them.
        page.goto(live_server + "/coordinator/requests?status=new")
        page.locator("summary", has_text="複数の依頼をまとめて操作する").click()
        for request in asked:
            page.locator(f"#pick-{request.id}").check()
        page.get_by_label("確認済みにする").check()
        with page.expect_navigation():
            page.locator("#bulk-form").get_by_role("button", name="次へ").click()
        shot(page, f"bulk-review-{width}")
        assert fits(page)
        with page.expect_navigation():
            page.get_by_role("button", name="はい、5 件に実行する").click()
        shot(page, f"bulk-done-{width}")
        db.session.expire_all()
        assert {r.status for r in db.session.scalars(
            sa.select(SupportRequest).where(SupportRequest.id.in_([r.id for r in asked])))} == {"triaged"}
        assert db.session.get(SupportRequest, elsewhere.id).status == "new"

        # The evangelist, by the reading in hiragana and by romaji.
        for query in ("ささき", "sasaki hina"):
            page.goto(live_server + "/coordinator/search")
            page.locator("#q").fill(query)
            page.locator("#q").press("Enter")
            page.wait_for_url(re.compile(r"/coordinator/search\?q="))
            group = page.locator("#search-evangelist")
            expect(group.get_by_role("link", name="佐々木 陽菜")).to_be_visible()
            assert fits(page)
        page.goto(live_server + "/coordinator/search?q=きたはら")
        expect(page.locator("main")).not_to_contain_text("北原")
        shot(page, f"search-{width}")

        # An outreach case from the coverage gap, turned into a request.
        page.goto(live_server + "/coordinator/reports")
        row = page.locator("#gap tbody tr", has=page.get_by_role("link", name="案件を開く")).first
        gap_town = row.locator("th").inner_text().split("（")[0].strip()
        with page.expect_navigation():
            row.get_by_role("link", name="案件を開く").click()
        with page.expect_navigation():
            page.locator("main").get_by_role("button", name="働きかけ案件を開く").click()
        expect(page.get_by_text(re.compile("への働きかけ案件を開きました"))).to_be_visible()
        page.get_by_label(re.compile("^連絡方法")).select_option(label="電話")
        page.get_by_label(re.compile("^接触した人")).fill("佐藤 一郎")
        page.get_by_label(re.compile("^電話番号")).fill("017-734-1111")
        page.get_by_label(re.compile("^自治体の回答")).fill("オープンデータに関心あり。")
        page.get_by_label(re.compile("^案件の現在の状況")).select_option(label="関心あり")
        with page.expect_navigation():
            page.get_by_role("button", name="接触を記録する").click()
        page.get_by_label("自治体は支援依頼として記録することに同意した").check()
        page.get_by_label(re.compile("^同意の方法")).select_option(label="電話")
        with page.expect_navigation():
            page.get_by_role("button", name="支援依頼にする").click()
        expect(page.get_by_text(re.compile("の同意を得て、支援依頼.*を記録しました"))).to_be_visible()
        shot(page, f"outreach-request-{width}")
        assert fits(page)
        db.session.expire_all()
        case = db.session.scalar(sa.select(OutreachCase).order_by(OutreachCase.id.desc()))
        assert case.status == "request" and case.request is not None
        assert case.request.source == "outreach" and case.municipality.prefecture.region == "tohoku"
        assert gap_town.startswith(case.municipality.name) or case.municipality.name in gap_town
        assert errors == []
    finally:
        context.close()
