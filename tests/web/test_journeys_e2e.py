"""The three journeys of PRODUCT.md §4, end to end in Debian's Chromium, in Japanese,
through the pages alone: a town hall asks for help; a coordinator matches and assigns;
the evangelist accepts, visits and records an outcome on a 360 px phone, and the town
shows as active. Every page the journeys touch (each state of it, at each width used)
passes an axe-core scan with no serious or critical violation, loads nothing from off
the site and logs no console error.

Only the world is set up directly: the gazetteer, the topics and the accounts."""

from __future__ import annotations

import os
import re

import pyotp
import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from app.models import Municipality, SupportRequest, Topic
from app.secrets_at_rest import decrypt_totp_secret
from app.services.topics import sync_topics
from tests.conftest import PASSWORD
from tests.factories import make_evangelist
from tests.web.browser_steps import fits
from tests.web.conftest import CHROMIUM, DESKTOP, PHONE

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed"),
]

TOWN = "当別町"  # Tobetsu, Hokkaido: about 20 km north of Sapporo
TOWN_CODE = "013030"


@pytest.fixture
def world(live_server, db, make_account):
    """Two evangelists who could help Tobetsu (one in Sapporo close by, one in Hakodate
    far off with fewer of the wanted skills) and a coordinator with a second factor."""
    sync_topics()
    topics = {t.slug: t for t in db.session.scalars(sa.select(Topic))}
    town = db.session.scalar(sa.select(Municipality).where(Municipality.code == TOWN_CODE))
    assert town is not None and town.name == TOWN
    places = {m.code: m for m in db.session.scalars(
        sa.select(Municipality).where(Municipality.code.in_(["011002", "012025"])))}
    near = make_evangelist(
        user=make_account("evangelist", display_name="北野 葵", email="aoi@example.jp"),
        family_name="北野", given_name="葵", home_municipality=places["011002"],
        lat=places["011002"].lat, lon=places["011002"].lon, capacity=2, travel_radius_km=80,
        skills=[topics["recommended_datasets"], topics["licensing"]],
    )
    far = make_evangelist(
        user=make_account("evangelist", display_name="南 陸", email="riku@example.jp"),
        family_name="南", given_name="陸", home_municipality=places["012025"],
        lat=places["012025"].lat, lon=places["012025"].lon, capacity=3, travel_radius_km=300,
        skills=[topics["licensing"]],
    )
    coordinator = make_account("coordinator", display_name="調整 太郎", email="coordinator@example.jp")
    db.session.commit()
    return {"base": live_server, "near": near, "far": far, "coordinator": coordinator}


class Checks:
    """One axe-core scan per page state, plus the closed-network and console checks.
    Findings are gathered so that one run lists every page's problems."""

    def __init__(self):
        self.scanned: list[str] = []
        self.findings: list[str] = []

    def watch(self, page):
        page.console_errors = []
        page.on("console", lambda m: page.console_errors.append((m.text, m.location.get("url")))
                if m.type == "error" else None)
        page.on("pageerror", lambda e: page.console_errors.append((str(e), None)))
        return page

    def scan(self, page, name: str, status: int = 200) -> None:
        """``status``: what the page itself was answered with. Chromium logs a form
        answered 422 (its errors shown) as a failed resource; that line alone is expected."""
        from axe_playwright_python.sync_playwright import Axe

        expect(page.locator("html")).to_have_attribute("lang", "ja")
        self.scanned.append(name)
        results = Axe().run(page)
        for v in results.response["violations"]:
            if v["impact"] in ("serious", "critical"):
                targets = ", ".join(" ".join(n["target"]) for n in v["nodes"][:5])
                self.findings.append(f"{name} ({page.url}): {v['impact']} {v['id']}: {v['help']} -> {targets}")
        for url in page.external_requests:
            self.findings.append(f"{name}: off-site request {url}")
        page.external_requests.clear()
        expected = f"Failed to load resource: the server responded with a status of {status} "
        for text, url in page.console_errors:
            if status >= 400 and text.startswith(expected) and url == page.url:
                continue
            self.findings.append(f"{name}: console error {text} ({url})")
        page.console_errors.clear()

    def report(self) -> str:
        return "\n".join(self.findings)



def sign_in(page, base, checks, width, email, totp_secret=None):
    """Sign in through the Japanese forms, the second factor included; both pages scanned."""
    page.goto(base + "/auth/login")
    checks.scan(page, f"sign in ({width})")
    page.get_by_label(re.compile("^メールアドレス")).fill(email)
    page.get_by_label(re.compile("^パスワード")).fill(PASSWORD)
    with page.expect_navigation():
        page.locator("main").get_by_role("button", name="ログイン").click()
    if totp_secret is not None:
        assert "/auth/two-factor" in page.url
        checks.scan(page, f"second factor ({width})")
        page.get_by_label(re.compile("^コード")).fill(pyotp.TOTP(totp_secret).now())
        with page.expect_navigation():
            page.get_by_role("button", name="次へ").click()


def test_a_town_asks_a_coordinator_assigns_and_the_evangelist_makes_it_active(world, page_at, db):
    base = world["base"]
    checks = Checks()

    # --- 1. The town hall asks for help (desktop, no account) ---------------------------
    town = checks.watch(page_at(DESKTOP))
    town.goto(base + "/")
    checks.scan(town, "home")
    with town.expect_navigation():
        town.locator("main").get_by_role("link", name="伝道師の派遣を依頼する").click()
    assert town.url.endswith("/request")
    checks.scan(town, "request form")
    town.get_by_label("都道府県").select_option(label="北海道")
    with town.expect_navigation():  # leaving the prefecture reloads the list
        town.get_by_label("都道府県").press("Tab")
    checks.scan(town, "request form, prefecture chosen")
    town.get_by_label(re.compile("^市区町村")).select_option(label=TOWN)
    town.get_by_label("お名前").fill("山田 花子")
    town.get_by_label("所属部署").fill("企画課")
    town.get_by_label("メールアドレス").fill("yamada.town.example.lg.jp")  # the mistake: no @
    town.get_by_label("推奨データセット").check()
    town.get_by_label("ライセンス（CC BY）").check()
    town.get_by_label("現地（庁舎）").check()
    town.get_by_label("メッセージ（任意）").fill("何から始めればよいか相談したいです。")
    with town.expect_navigation() as answer:
        town.get_by_role("button", name="依頼を送信する").click()
    assert answer.value.status == 422

    # The error sits next to the field, and nothing typed is lost.
    email = town.get_by_label("メールアドレス")
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(town.locator("#email-error")).to_contain_text("メールアドレスの形式が正しくありません")
    expect(town.locator("#error-summary")).to_contain_text("メールアドレス")
    expect(email).to_have_value("yamada.town.example.lg.jp")
    expect(town.get_by_label("お名前")).to_have_value("山田 花子")
    expect(town.get_by_label("所属部署")).to_have_value("企画課")
    expect(town.get_by_label(re.compile("^市区町村"))).to_have_value(TOWN_CODE)
    expect(town.get_by_label("推奨データセット")).to_be_checked()
    expect(town.get_by_label("ライセンス（CC BY）")).to_be_checked()
    expect(town.get_by_label("現地（庁舎）")).to_be_checked()
    expect(town.get_by_label("メッセージ（任意）")).to_have_value("何から始めればよいか相談したいです。")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SupportRequest)) == 0
    checks.scan(town, "request form with an error", status=422)

    email.fill("yamada@town.tobetsu.example.lg.jp")
    with town.expect_navigation():
        town.get_by_role("button", name="依頼を送信する").click()
    assert "/request/sent" in town.url
    expect(town.get_by_role("heading", name=re.compile("受け付けました"))).to_be_visible()
    number = int(re.search(r"受付番号：(\d+)", town.locator("main").inner_text()).group(1))
    assert db.session.scalars(sa.select(SupportRequest.id)).all() == [number]  # one, not two
    checks.scan(town, "request sent")
    with town.expect_navigation():
        town.get_by_role("link", name="状況確認ページを開く").click()
    status_url = town.url
    assert "/request/status/" in status_url
    expect(town.get_by_role("heading", level=1)).to_contain_text(TOWN)
    expect(town.locator(".stage")).to_contain_text("受け付けました")
    expect(town.locator("main")).to_contain_text("推奨データセット")
    checks.scan(town, "status page (new)")

    # --- 2. A coordinator matches and assigns (desktop, second factor) ------------------
    coordinator = world["coordinator"]
    desk = checks.watch(page_at(DESKTOP))
    sign_in(desk, base, checks, "desktop", coordinator.email, decrypt_totp_secret(coordinator.totp_secret_token))
    assert desk.url.endswith("/coordinator/")
    checks.scan(desk, "coordination home")
    with desk.expect_navigation():
        desk.locator("header").get_by_role("link", name="支援依頼").click()
    checks.scan(desk, "request queue")
    with desk.expect_navigation():
        desk.get_by_role("link", name=f"#{number} {TOWN}").click()
    assert desk.url.endswith(f"/coordinator/requests/{number}")

    ranked = desk.locator(".suggestions li")
    expect(ranked).to_have_count(2)
    expect(ranked.nth(0)).to_contain_text("北野 葵")  # close by, both topics
    expect(ranked.nth(1)).to_contain_text("南 陸")
    reasons = ranked.nth(0).locator(".reasons")
    expect(reasons).to_contain_text(re.compile(r"\d+ km"))
    expect(reasons).to_contain_text("相談内容 2 件中 2 件に対応")
    expect(reasons).to_contain_text("受け持ち 0 / 2 件")
    expect(ranked.nth(1).locator(".reasons")).to_contain_text("相談内容 2 件中 1 件に対応")
    checks.scan(desk, "request with ranked suggestions")

    with desk.expect_navigation():
        desk.get_by_role("button", name="確認済みにする").click()
    expect(desk.get_by_role("alert")).to_contain_text("確認済みにしました")
    checks.scan(desk, "request triaged")

    # The batch plan proposes the same person for review, saving nothing.
    desk.locator("header").get_by_role("button", name="その他").click()  # the More menu
    with desk.expect_navigation():
        desk.get_by_role("link", name="一括計画").click()
    row = desk.locator("tbody tr", has_text=TOWN)
    expect(row).to_contain_text("北野 葵")
    expect(row).to_contain_text("相談内容 2 件中 2 件に対応")
    checks.scan(desk, "batch plan")
    with desk.expect_navigation():
        row.get_by_role("link", name=f"#{number} {TOWN}").click()

    with desk.expect_navigation():
        desk.get_by_role("button", name="北野 葵 さんに打診する").click()
    # Asked first: who, the score and reasons, what happens next (issue 17).
    expect(desk.locator("main h1")).to_contain_text("北野 葵 さんに打診しますか")
    expect(desk.locator("main .reasons")).to_contain_text("相談内容 2 件中 2 件に対応")
    checks.scan(desk, "proposal to confirm")
    with desk.expect_navigation():
        desk.get_by_role("button", name="北野 葵 さんに打診する").click()
    expect(desk.get_by_role("alert")).to_contain_text("北野 葵 さんに打診しました")
    expect(desk.locator("main")).to_contain_text("北野 葵 · 打診中")
    expect(desk.locator("main .badge.fs-6")).to_have_text("担当伝道師決定")
    checks.scan(desk, "request assigned")

    town.reload()  # only proposed: the town is not told yet (issue 17)
    expect(town.locator(".stage")).to_contain_text("担当の伝道師を調整しています")
    expect(town.locator("main")).not_to_contain_text("担当の伝道師が決まりました")
    expect(town.locator("main")).not_to_contain_text("北野")  # named once they accept
    checks.scan(town, "status page (proposed)")

    # --- 3. The evangelist accepts, visits and records an outcome (360 px phone) --------
    phone = checks.watch(page_at(PHONE))
    sign_in(phone, base, checks, "phone", world["near"].user.email)
    assert phone.url.endswith("/me/")
    mine = phone.locator(".assignments li").filter(has_text=TOWN)
    expect(mine).to_contain_text("打診中")
    expect(mine).to_contain_text("山田 花子（企画課）")
    assert fits(phone)
    checks.scan(phone, "my page with a proposal")
    with phone.expect_navigation():
        mine.get_by_role("button", name="引き受ける").click()
    expect(phone.get_by_role("alert")).to_contain_text("引き受けました")
    checks.scan(phone, "my page, accepted")
    town.reload()  # accepted: now the town is told, by family name
    expect(town.locator(".stage")).to_contain_text("担当の伝道師が決まりました")
    expect(town.locator("main")).to_contain_text("担当：北野 伝道師")
    expect(town.locator("main")).not_to_contain_text("葵")
    checks.scan(town, "status page (accepted)")

    with phone.expect_navigation():
        mine.get_by_role("link", name="訪問を記録").click()
    assert re.search(r"/me/assignments/\d+/visits/new$", phone.url)
    assert fits(phone)
    checks.scan(phone, "visit form")
    phone.get_by_label(re.compile("^現地")).check()
    phone.locator("select[name='outcomes-0-type']").select_option(label="オープンデータ公開済み")
    phone.locator("input[name='outcomes-0-evidence_url']").fill("https://www.town.tobetsu.example.jp/opendata/")
    with phone.expect_navigation() as answer:  # the summary is forgotten
        phone.get_by_role("button", name="訪問を保存").click()
    assert answer.value.status == 422
    expect(phone.locator("#form-errors")).to_be_visible()
    summary = phone.get_by_label(re.compile("^概要"))
    expect(summary).to_have_attribute("aria-invalid", "true")
    expect(phone.locator("select[name='outcomes-0-type']")).to_have_value("open_data_published")
    expect(phone.locator("input[name='outcomes-0-evidence_url']")).to_have_value(
        "https://www.town.tobetsu.example.jp/opendata/")
    assert fits(phone)
    checks.scan(phone, "visit form with an error", status=422)

    summary.fill("推奨データセットの公開手順と CC BY の付け方を説明し、その場で最初のデータを公開しました。")
    with phone.expect_navigation():
        phone.get_by_role("button", name="訪問を保存").click()
    # Back on my page, at the assignment's card, with the confirmation (issue 17.7).
    assert re.search(r"/me/#assignment-\d+$", phone.url)
    expect(phone.get_by_role("alert")).to_contain_text("訪問を保存しました")
    expect(phone.locator(".assignment:target .saved-note")).to_be_visible()
    assert fits(phone)
    checks.scan(phone, "visit saved, on my page")

    expect(mine.locator(".visits")).to_contain_text("オープンデータ公開済み")
    with phone.expect_navigation():
        mine.get_by_role("button", name="完了にする").click()
    expect(phone.get_by_role("alert")).to_contain_text("完了にしました")
    expect(mine).to_contain_text("完了")
    checks.scan(phone, "my page, completed")

    # --- The town shows as active, for everyone -----------------------------------------
    town.goto(base + f"/municipalities/{TOWN_CODE}")
    facts = town.locator("dl.facts")
    expect(facts).to_contain_text("オープンデータ公開済み")
    expect(facts.locator(".status-active")).to_have_count(2)  # open data, and engagement
    checks.scan(town, "municipality (public)")

    desk.goto(base + f"/municipalities/{TOWN_CODE}")
    expect(desk.locator("dl.facts .status-active")).to_have_count(2)
    timeline = desk.locator(".timeline")
    expect(timeline).to_contain_text("オープンデータ公開済み")
    expect(timeline).to_contain_text("北野 葵")
    checks.scan(desk, "municipality (coordinator)")

    phone.goto(base + f"/municipalities/{TOWN_CODE}")
    expect(phone.locator("dl.facts .status-active")).to_have_count(2)
    assert fits(phone)
    checks.scan(phone, "municipality (evangelist, phone)")

    town.goto(status_url)
    expect(town.locator(".stage")).to_contain_text("完了")
    expect(town.locator(".stages li[aria-current='step']")).to_contain_text("完了")
    expect(town.locator("main")).to_contain_text("担当：北野 伝道師")
    expect(town.locator("main")).not_to_contain_text("葵")
    expect(town.get_by_role("button", name="依頼を取り下げる")).to_have_count(0)
    checks.scan(town, "status page (completed)")

    assert checks.scanned == [
        "home", "request form", "request form, prefecture chosen", "request form with an error",
        "request sent", "status page (new)",
        "sign in (desktop)", "second factor (desktop)", "coordination home", "request queue",
        "request with ranked suggestions", "request triaged", "batch plan", "proposal to confirm",
        "request assigned",
        "status page (proposed)",
        "sign in (phone)", "my page with a proposal", "my page, accepted", "status page (accepted)", "visit form",
        "visit form with an error", "visit saved, on my page", "my page, completed",
        "municipality (public)", "municipality (coordinator)", "municipality (evangelist, phone)",
        "status page (completed)",
    ]
    assert not checks.findings, "\n" + checks.report()
