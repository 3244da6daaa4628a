"""The demo evangelist on a 360 px phone: accepts a proposal, logs a visit with
"open data published", and the municipality shows as active afterwards."""

from __future__ import annotations

import os
import re

import pytest
import sqlalchemy as sa

from app.models import Assignment, User
from app.services.demo import DEMO_PASSWORD, seed_demo
from app.services.topics import sync_topics
from tests.web.conftest import CHROMIUM

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed"),
]

NARROW_PHONE = {"width": 360, "height": 740}


@pytest.fixture
def demo_site(live_server, db):
    sync_topics()
    seed_demo(evangelists=40, communities=12, requests=120, seed=7)
    db.session.commit()
    return live_server


def test_the_demo_evangelist_logs_a_visit_on_a_phone_and_the_town_becomes_active(demo_site, page_at, db):
    user = db.session.scalar(sa.select(User).where(User.email == "evangelist@example.jp"))
    proposal = db.session.scalar(
        sa.select(Assignment).where(Assignment.evangelist_id == user.evangelist.id, Assignment.status == "proposed")
    )
    assert proposal is not None, "the demo seed gives the demo evangelist a proposal"
    town = proposal.request.municipality
    page = page_at(NARROW_PHONE)
    page.goto(demo_site + "/auth/login")
    page.get_by_label(re.compile("^メールアドレス")).fill("evangelist@example.jp")
    page.get_by_label(re.compile("^パスワード")).fill(DEMO_PASSWORD)
    with page.expect_navigation():
        page.locator("main button[type=submit]").click()
    if "/me" not in page.url:
        page.goto(demo_site + "/me/")

    with page.expect_navigation():
        page.get_by_role("button", name="引き受ける").first.click()
    with page.expect_navigation():
        page.get_by_role("link", name=re.compile("訪問を記録")).first.click()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.get_by_label(re.compile("^現地")).check()
    page.get_by_label(re.compile("^概要")).fill("公開の手順とライセンスを説明しました。")
    page.locator("select[name='outcomes-0-type']").select_option("open_data_published")
    page.locator("input[name='outcomes-0-evidence_url']").fill("https://example.jp/opendata")
    with page.expect_navigation():
        page.get_by_role("button", name="訪問を保存").click()
    assert f"/me/#assignment-{proposal.id}" in page.url  # back at the assignment's card

    page.goto(demo_site + f"/municipalities/{town.code}")
    facts = page.locator("dl.facts").inner_text()
    assert "オープンデータ公開済み" in facts
    assert "公開開始" in facts
    assert page.external_requests == []
