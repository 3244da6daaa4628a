"""Duplicates in Chromium under the app's CSP, at 1366 and 360 px (issue 20, point 6): a
coordinator imports a candidates file naming someone already in the network, is asked,
chooses, and imports; an admin merges the two records of one person. Nothing is wider
than the screen. Set DEDUPE_SCREENSHOTS to a folder to keep screenshots of each step."""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from app.models import Assignment, AuditEvent, Evangelist, Municipality
from app.services.topics import sync_topics
from tests.factories import make_assignment, make_community, make_evangelist
from tests.web.browser_steps import fits, shooter

pytestmark = pytest.mark.skipif(not os.path.exists("/usr/bin/chromium"), reason="needs Chromium")

shot = shooter("DEDUPE_SCREENSHOTS")
LONG_EMAIL = "opendata.suishin.tantousha.digital@town.tobetsu.hokkaido.example.lg.jp"




def town(db, code: str) -> Municipality:
    return db.session.scalar(sa.select(Municipality).where(Municipality.code == code))


@pytest.mark.parametrize("width", [1366, 360])
def test_import_asks_then_imports_as_chosen(live_server, browser, db, make_account, width, sign_in_page, tmp_path):
    sync_topics()
    sapporo, tobetsu = town(db, "011002"), town(db, "013030")
    community = make_community(name="一般社団法人北海道石狩地域シビックテック推進コミュニティ", municipality=sapporo)
    existing = make_evangelist(user=make_account("evangelist", email=LONG_EMAIL), family_name="山田",
                               given_name="花子", family_name_kana="ヤマダ", given_name_kana="ハナコ",
                               home_municipality=sapporo, home_community=community)
    coordinator = make_account("coordinator")
    db.session.commit()
    data = ("姓,名,セイ,メイ,市区町村コード,コミュニティ,メールアドレス\n"
            f"山田,花子,やまだ,はなこ,{tobetsu.code},{community.name},\n"
            f"別人,三郎,べつじん,さぶろう,{tobetsu.code},,{LONG_EMAIL}\n"
            f"新人,四郎,しんじん,しろう,{tobetsu.code},,\n")
    path = tmp_path / "people.csv"
    path.write_text(data, encoding="utf-8")

    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        sign_in_page(page, coordinator)
        page.goto(f"{live_server}/coordinator/data/import")
        page.locator("input[name=kind][value=candidates]").check()
        page.set_input_files("input[name=file]", str(path))
        with page.expect_navigation():
            page.click("main form.import-form [type=submit]")
        expect(page.locator(".import-duplicates")).to_be_visible()
        expect(page.locator(f'a[href="/coordinator/recruitment/{existing.id}"]').first).to_be_visible()
        assert fits(page)
        shot(page, f"import-check-{width}")
        # Apply without choosing: asked again, nothing written.
        before = db.session.scalar(sa.select(sa.func.count()).select_from(Evangelist))
        page.get_by_role("button", name="変更を適用する").click()
        expect(page.locator("#duplicates-undecided")).to_be_visible()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Evangelist)) == before
        assert fits(page)
        shot(page, f"import-asked-{width}")
        page.select_option("#duplicate-2", "new")
        page.select_option("#duplicates-all", "skip")
        page.locator("#apply-form [type=submit]").click()
        expect(page.locator(".alert-success")).to_be_visible()
        db.session.expire_all()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Evangelist)) == before + 2
        # The page that asks again answers 409, which Chromium logs; nothing else.
        assert [e for e in errors if "status of 409" not in e] == []
    finally:
        context.close()


@pytest.mark.parametrize("width", [1366, 360])
def test_an_admin_merges_two_records(live_server, browser, db, make_account, width, sign_in_page):
    sync_topics()
    sapporo, tobetsu = town(db, "011002"), town(db, "013030")
    keep = make_evangelist(user=make_account("evangelist", email=LONG_EMAIL), family_name="山田", given_name="花子",
                           family_name_kana="ヤマダ", given_name_kana="ハナコ", home_municipality=sapporo)
    duplicate = make_evangelist(user=None, status="candidate", family_name="山田", given_name="花子",
                                family_name_kana="ヤマダ", given_name_kana="ハナコ", home_municipality=tobetsu)
    assignment = make_assignment(evangelist=duplicate, status="declined")
    admin = make_account("admin")
    db.session.commit()
    keep_id, duplicate_id, assignment_id = keep.id, duplicate.id, assignment.id

    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        sign_in_page(page, admin)
        page.goto(f"{live_server}/coordinator/recruitment/{keep.id}")
        page.locator("a.merge-link").click()
        page.get_by_label("氏名、フリガナ").fill("やまだ")
        page.locator("main").get_by_role("button", name="検索").click()
        page.locator(".merge-found li").filter(has_text=f"#{duplicate.id}").get_by_role("link", name="統合内容を確認").click()
        expect(page.locator(".merge-person")).to_have_count(2)
        assert fits(page)
        shot(page, f"merge-review-{width}")
        page.get_by_role("button", name="2つの記録を統合する").click()
        expect(page.locator(".alert-success")).to_be_visible()
        assert page.url.endswith(f"/coordinator/recruitment/{keep.id}")
        assert fits(page)
        db.session.expire_all()
        assert db.session.get(Evangelist, duplicate_id) is None
        assert db.session.get(Assignment, assignment_id).evangelist_id == keep_id
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.action == "person.merged")) == 1
        assert errors == []
    finally:
        context.close()
