"""The idea box's acceptance scenario (issue 21) in Debian's Chromium, in Japanese: a
coordinator opens a theme through its form (desktop); two participants sign up on a 360 px
phone, confirm their address from the mail the loopback SMTP server caught and choose a
password; A posts an idea naming a town through the prefecture → municipality picker, B
comments 賛成, A replies 反対, both vote (B changes its vote), B reports A's reply; the
coordinator hides the reply under an article of the terms from the moderation queue, and
answers the idea 採用; B finds the notice and the highlighted answer; the theme's results
count what is shown and keep small groups hidden, then draw the chart once a group is big
enough. Every phone page fits 360 px, and the public pages pass an axe-core scan."""

from __future__ import annotations

import os
import re
from datetime import timedelta

import pytest

from app.services.ideas import vote
from app.services.topics import sync_topics
from evangelists.calendar import PROGRAMME_ZONE, utc_now
from tests.conftest import PASSWORD
from tests.factories import make_profile
from tests.mailbox import body_of
from tests.web.browser_steps import fits, shooter
from tests.web.conftest import CHROMIUM, DESKTOP, PHONE

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed"),
]

shot = shooter("IDEAS_SCREENSHOTS")

THEME = "行政手続のオープンデータ化"
IDEA = "バス停の位置情報を公開してほしい"
ANSWER = "来年度の公開データセットに加えます。ご提案ありがとうございました。"
HIDDEN_ARTICLE = 3


def serious_violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']}: {v['help']} ({[n['target'] for n in v['nodes']]})"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def field(text: str):
    """A control's label as the page shows it (a required one ends in an unspoken " *")."""
    return re.compile("^" + re.escape(text) + r"(\s*\*)?$")


def jst(moment) -> str:
    return moment.astimezone(PROGRAMME_ZONE).strftime("%Y-%m-%dT%H:%M")


class Visits:
    """Every page a phone shows is checked for sideways scrolling and photographed."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.too_wide: list[str] = []
        self.axe: dict[str, list[str]] = {}

    def check(self, page, name: str) -> None:
        shot(page, name)
        if page.viewport_size["width"] == PHONE["width"] and not fits(page):
            self.too_wide.append(f"{name}: {page.url}")

    def scan(self, page, name: str) -> None:
        self.axe[name] = serious_violations(page)

    def go(self, page, path: str, name: str):
        response = page.goto(self.base + path)
        assert response.ok, f"{path}: {response.status}"
        self.check(page, name)
        return page


@pytest.fixture
def site(live_server, db, app):
    sync_topics()
    db.session.commit()
    return live_server


def sign_up(page, visits: Visits, mailbox, deliver, *, email, handle, age, gender, name):
    visits.go(page, "/ideas/register", f"{name}-01-register")
    page.get_by_label(field("メールアドレス")).fill(email)
    page.get_by_label(field("表示名（ハンドル）")).fill(handle)
    page.get_by_label("生活者・事業者").check()
    page.get_by_label("年代（任意）").select_option(label=age)
    page.get_by_label("性別（任意）").select_option(label=gender)
    page.get_by_label("アイデアボックスの利用規約に同意します").check()
    with page.expect_navigation():
        page.get_by_role("button", name="参加登録").click()
    assert "/ideas/register/check-mail" in page.url
    visits.check(page, f"{name}-02-check-mail")

    deliver()
    (mail,) = mailbox.to(email)
    link = re.search(r"(http://127\.0\.0\.1:\d+/ideas/verify/\S+)", body_of(mail)).group(1)
    page.goto(link)
    visits.check(page, f"{name}-03-verify")
    page.get_by_label(field("パスワードを決める")).fill(PASSWORD)
    page.get_by_label(field("パスワード（確認）")).fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="確認してログインする").click()
    assert page.get_by_text("アドレスを確認し、ログインしました。").is_visible()
    visits.check(page, f"{name}-04-signed-in")


def test_the_idea_box_from_a_theme_to_its_results(db, site, page_at, sign_in_page, make_account, mailbox,
                                                   deliver):
    visits = Visits(site)

    # 1. The coordinator opens a theme through the form, on a desktop.
    coordinator = make_account("coordinator", display_name="調整担当 長谷川")
    staff = page_at(DESKTOP)
    sign_in_page(staff, coordinator)
    visits.go(staff, "/ideas/manage/themes/new", "c-01-new-theme")
    now = utc_now()
    staff.get_by_label(field("題名"), exact=True).fill(THEME)
    staff.get_by_label(field("説明"), exact=True).fill("自治体に公開してほしいデータを教えてください。")
    staff.get_by_label(field("募集開始")).fill(jst(now - timedelta(days=1)))
    staff.get_by_label(field("募集終了")).fill(jst(now + timedelta(days=30)))
    staff.get_by_role("combobox", name="対象").select_option(label="全国")
    with staff.expect_navigation():
        staff.get_by_role("button", name="募集企画を保存する").click()
    theme_path = re.search(r"/ideas/themes/\d+", staff.url).group(0)
    theme_id = int(theme_path.rsplit("/", 1)[1])
    assert staff.get_by_role("heading", name=re.compile(THEME)).first.is_visible()
    visits.check(staff, "c-02-theme")

    # 2. Two participants sign up on their phones.
    a = page_at(PHONE)
    sign_up(a, visits, mailbox, deliver, email="a@example.jp", handle="オープン太郎", age="40代", gender="男性",
            name="a")
    b = page_at(PHONE)
    sign_up(b, visits, mailbox, deliver, email="b@example.jp", handle="データ花子", age="30代", gender="女性",
            name="b")

    # 3. A posts an idea naming Tobetsu through the picker.
    visits.go(a, theme_path, "a-05-theme")
    with a.expect_navigation():
        a.get_by_role("link", name="アイデアを投稿する").click()
    visits.check(a, "a-06-new-idea")
    a.get_by_label(field("題名"), exact=True).fill(IDEA)
    a.get_by_label(field("アイデアの内容")).fill("時刻表と一緒に、バス停の緯度経度を CSV で公開してください。")
    a.get_by_label("都道府県（任意）").select_option(label="北海道")
    with a.expect_navigation():  # leaving the prefecture reloads its municipalities
        a.get_by_label("都道府県（任意）").press("Tab")
    assert a.get_by_label(field("題名"), exact=True).input_value() == IDEA  # nothing typed is lost
    a.get_by_label("市区町村（任意）").select_option(label="当別町")
    with a.expect_navigation():
        a.get_by_role("button", name="アイデアを投稿する").click()
    idea_path = re.search(r"/ideas/\d+", a.url).group(0)
    assert a.get_by_role("heading", name=IDEA).is_visible()
    assert a.get_by_role("link", name="当別町").is_visible()
    visits.check(a, "a-07-idea")

    # B comments 賛成; A replies 反対.
    visits.go(b, idea_path, "b-05-idea")
    comment = b.locator("form", has=b.get_by_role("button", name="コメントを投稿する"))
    comment.get_by_label("賛成").check()
    comment.get_by_label("コメント").fill("観光客にも役立ちます。")
    with b.expect_navigation():
        comment.get_by_role("button", name="コメントを投稿する").click()
    assert b.get_by_text("観光客にも役立ちます。").is_visible()
    visits.check(b, "b-06-commented")

    a.reload()
    first = a.locator(".idea-comments > li").first
    with a.expect_navigation():  # each comment links to the page's one comment form, set to answer it
        first.get_by_role("link", name="返信する").click()
    reply = a.locator("#comment-form")
    assert "観光客にも役立ちます。" in reply.inner_text()
    reply.get_by_label("反対").check()
    reply.get_by_label("コメント").fill("冬期は運休する路線が多いので、まず通年の路線からです。")
    with a.expect_navigation():
        reply.get_by_role("button", name="返信を投稿する").click()
    assert a.get_by_text("冬期は運休する路線が多い").is_visible()
    visits.check(a, "a-08-replied")

    # Votes: A agrees with their own idea; B disagrees, then changes to agree.
    votes = a.locator("#votes")
    with a.expect_navigation():
        votes.get_by_role("button", name="賛成").click()
    b.reload()
    with b.expect_navigation():
        b.locator("#votes").get_by_role("button", name="反対").click()
    assert re.search(r"賛成:\s*1\s*·\s*反対:\s*1", b.locator("#votes").inner_text())
    with b.expect_navigation():
        b.locator("#votes").get_by_role("button", name="賛成").click()
    assert re.search(r"賛成:\s*2\s*·\s*反対:\s*0", b.locator("#votes").inner_text())
    assert b.locator("#votes").get_by_role("button", name="賛成").get_attribute("aria-pressed") == "true"
    visits.check(b, "b-07-voted")

    # B reports A's reply.
    reply_item = b.locator(".idea-comments li li").first
    with b.expect_navigation():  # each comment links to the page's one report form
        reply_item.get_by_role("link", name="このコメントを通報する").click()
    report = b.locator("#report")
    assert "冬期は運休する路線が多い" in report.inner_text()
    report.get_by_label("テーマと関係のない内容").check()
    report.get_by_label("運営者に伝えたいこと（任意）").fill("話がそれています。")
    with b.expect_navigation():
        report.get_by_role("button", name="通報する").click()
    visits.check(b, "b-08-reported")
    b.goto(site + idea_path)
    assert b.get_by_text("このコメントを通報しました。").is_visible()

    # 4. The coordinator hides the reply from the queue ...
    visits.go(staff, "/ideas/manage/reports", "c-03-queue")
    visits.scan(staff, "moderation queue")
    item = staff.locator(".moderation-queue > li").filter(has_text="冬期は運休する路線が多い")
    assert item.get_by_text("テーマと関係のない内容").is_visible()
    item.get_by_label("非表示にする（利用規約の条を示す）").check()
    item.get_by_label("反している利用規約の条").select_option(value=str(HIDDEN_ARTICLE))
    with staff.expect_navigation():
        item.get_by_role("button", name="決定する").click()
    visits.check(staff, "c-04-decided")
    notice = f"この投稿は利用規約第{HIDDEN_ARTICLE}条により非表示にしました。"
    visits.go(b, idea_path, "b-09-hidden")
    assert b.get_by_text(notice).is_visible()
    assert b.get_by_text("冬期は運休する路線が多い").count() == 0
    visits.go(b, "/ideas/moderation", "b-10-moderation-log")
    row = b.locator("table.moderation-log tbody tr").first
    assert IDEA in row.inner_text() and "非表示" in row.inner_text()
    assert row.get_by_role("link", name=f"第{HIDDEN_ARTICLE}条").is_visible()
    visits.scan(b, "moderation log")

    # ... and answers the idea 採用 on its page.
    visits.go(staff, idea_path, "c-05-idea")
    staff.locator("#answer summary").click()
    visits.scan(staff, "idea page with the answer form")
    staff.get_by_label(field("状態")).select_option(label="採用")
    staff.get_by_role("textbox", name="公式回答").fill(ANSWER)
    with staff.expect_navigation():
        staff.get_by_role("button", name="回答を公開する").click()
    visits.check(staff, "c-06-answered")

    # 5. B, who commented and voted, finds the notice leading to the answered idea.
    visits.go(b, "/notices/", "b-11-notices")
    told = b.locator(".notice-list").get_by_role("button", name=re.compile("参加したアイデアに回答がありました"))
    assert told.count() == 1
    with b.expect_navigation():
        told.click()
    assert idea_path in b.url
    answer = b.locator(".idea-answer")
    assert answer.is_visible()
    assert "採用" in answer.inner_text() and ANSWER in answer.inner_text()
    visits.check(b, "b-12-answer")
    visits.scan(b, "idea page")

    # The theme page, the register page and the terms, scanned.
    visits.go(b, theme_path, "b-13-theme")
    assert b.get_by_role("link", name=IDEA).is_visible()
    visits.scan(b, "theme page")
    visits.go(b, "/ideas/terms", "b-14-terms")
    visits.scan(b, "terms page")
    anonymous = page_at(PHONE)
    visits.go(anonymous, "/ideas/register", "x-01-register")
    visits.scan(anonymous, "register page")

    # 6. The results: what is shown is counted; two people are a small group, hidden.
    results_path = f"/ideas/themes/{theme_id}/results"
    visits.go(anonymous, results_path, "x-02-results")

    def figure(page, name):
        return page.locator(f"#figure-{name} td").first.inner_text().strip()

    assert [figure(anonymous, n) for n in ("participants", "ideas", "comments", "votes")] == ["2", "1", "1", "2"]
    grid = anonymous.locator("#table-age-gender")
    assert anonymous.get_by_text("表示できる人数の区分がありません。").is_visible()
    assert anonymous.locator("#chart-age-gender canvas").count() == 0
    genders = grid.locator("thead th").all_inner_texts()[1:]

    def row(age):
        cells = grid.locator("tbody tr").filter(has=anonymous.get_by_role("rowheader", name=age, exact=True))
        return dict(zip(genders, cells.locator("td").all_inner_texts(), strict=True))

    assert row("40代")["男性"] == "<5" and row("30代")["女性"] == "<5"  # A and B, each a group of one
    assert set(grid.locator("tbody td").all_inner_texts()) == {"0", "<5"}  # no 1 or 2 anywhere
    assert grid.locator("abbr", has_text="<5").first.get_attribute("title") == "5人未満"
    assert grid.locator("tfoot td").inner_text().strip() == "2"  # 無回答・非表示
    visits.scan(anonymous, "results page")

    # Four more people in their forties, men, and one who gave no age, vote: the group of
    # five is shown and drawn, A's partner group of one stays hidden with the unanswered.
    from app.models import Idea

    idea = db.session.get(Idea, int(idea_path.rsplit("/", 1)[1]))
    for n in range(5):
        extra = make_profile(age_band="40s" if n < 4 else None, gender="male" if n < 4 else None)
        db.session.commit()
        vote(extra.user, idea, "agree")
    anonymous.reload()
    visits.check(anonymous, "x-03-results-chart")
    assert figure(anonymous, "participants") == "7" and figure(anonymous, "votes") == "7"
    canvas = anonymous.locator("#chart-age-gender canvas")
    canvas.wait_for()
    assert canvas.get_attribute("role") == "img"
    assert canvas.bounding_box()["height"] > 50
    assert row("40代")["男性"] == "5"
    assert row("30代")["女性"] == "<5"
    assert grid.locator("tfoot td").inner_text().strip() == "2"  # B, and the one who gave no age
    visits.scan(anonymous, "results page with its chart")

    assert visits.too_wide == []
    assert {name: found for name, found in visits.axe.items() if found} == {}
    for page in (a, b, anonymous):
        assert page.external_requests == []
