"""The dialogue's pages on a 360 px phone in Debian's Chromium, in Japanese and English:
the lost-link form and its answer, the evangelist's thread, the town's status page with an
evangelist's message, and the coordinator's notes. Nothing wider than the screen, no
short word broken; and the town gets its link back from a real mail and opens it."""

from __future__ import annotations

import os
import re

import pytest

from tests.factories import make_assignment, make_evangelist, make_municipality, make_request
from tests.mailbox import body_of
from tests.web.conftest import CHROMIUM, PHONE
from tests.web.test_browser_overflow import Walk, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed"),
]

LONG_MESSAGE = (
    "当町のオープンデータカタログ（https://www.town.tobetsu.example.lg.jp/soshiki/somu/digital/opendata/"
    "catalog/index.html）について、来週の打合せの前に資料をお送りします。<script>alert(1)</script> {{7*7}}"
)
TOKEN = "browser-dialogue-status-token-0123456789abcdefghij"


@pytest.fixture
def gazetteer(db):
    """No national gazetteer: the scene brings its own town."""


@pytest.fixture
def scene(live_server, db, make_account):
    coordinator = make_account("coordinator", display_name="調整担当 長谷川 ひとみ", email="coordinator@example.jp")
    user = make_account("evangelist", display_name="藤田 花子", email="fujita@example.jp")
    person = make_evangelist(user=user, family_name="藤田", given_name="花子")
    town = make_municipality(name="新冠郡新ひだか町")
    request = make_request(municipality=town, status="assigned", token=TOKEN,
                           email="opendata.suishin.tantousha.digital@town.example.lg.jp")
    assignment = make_assignment(request=request, evangelist=person, status="accepted")
    db.session.commit()
    return {"base": live_server, "coordinator": coordinator, "user": user, "request": request,
            "assignment": assignment}


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_dialogue_pages_fit_a_phone(app, scene, page_at, language, mailbox):
    base = scene["base"]
    app_cookie = app.config["LANGUAGE_COOKIE"]
    walk = Walk(base)

    # The evangelist writes in the thread, long text included.
    page = page_at(PHONE)
    if language == "en":
        page.context.add_cookies([{"name": app_cookie, "value": "en", "url": base}])
    sign_in(page, walk, scene["user"])
    walk.visit(page, "/me/")
    thread = f"/me/assignments/{scene['assignment'].id}/messages"
    walk.visit(page, thread)
    page.fill("textarea[name=body]", LONG_MESSAGE)
    with page.expect_navigation():
        page.click("main button[type=submit]")
    assert page.url.endswith("#latest")
    walk.check(page, thread + " (sent)")
    assert page.locator(".message").count() == 1
    assert "<script>alert(1)</script>" in page.locator(".message").inner_text()

    # The coordinator's request page with an internal note, on the phone too.
    staff = page_at(PHONE)
    if language == "en":
        staff.context.add_cookies([{"name": app_cookie, "value": "en", "url": base}])
    sign_in(staff, walk, scene["coordinator"])
    request_page = f"/coordinator/requests/{scene['request'].id}"
    walk.visit(staff, request_page)
    staff.fill("#notes textarea[name=body]", LONG_MESSAGE)
    with staff.expect_navigation():
        staff.locator("#notes button[type=submit]").click()
    walk.check(staff, request_page + " (note)")
    assert staff.locator("#notes .note").count() == 1

    # The town: its status page with the evangelist's message, then the lost-link form.
    town = page_at(PHONE)
    if language == "en":
        town.context.add_cookies([{"name": app_cookie, "value": "en", "url": base}])
    walk.visit(town, f"/request/status/{TOKEN}", "/request/status/<token>")
    signed = town.locator(".from-evangelist").inner_text()
    assert signed == ("藤田 伝道師" if language == "ja" else "Evangelist 藤田")
    assert "長谷川" not in town.content()  # nor the note's author, nor the note
    walk.visit(town, "/request/status")
    town.fill("input[name=number]", "abc")
    town.fill("input[name=email]", "opendata.suishin.tantousha.digital@town.example.lg.jp")
    with town.expect_navigation():
        town.click("main button[type=submit]")
    walk.check(town, "/request/status (errors)")
    assert town.locator("input[name=email]").input_value().startswith("opendata.suishin")
    town.fill("input[name=number]", str(scene["request"].id))
    with town.expect_navigation():
        town.click("main button[type=submit]")
    assert town.url.endswith("/request/status/asked")
    walk.check(town)
    assert walk.problems == []


def test_the_town_gets_its_link_back_by_mail_and_opens_it_on_the_phone(scene, page_at, mailbox, deliver):
    base = scene["base"]
    town = page_at(PHONE)
    town.goto(base + "/request")
    with town.expect_navigation():
        town.get_by_role("link", name=re.compile("状況確認用リンクが分からなく")).click()
    town.fill("input[name=number]", str(scene["request"].id))
    town.fill("input[name=email]", scene["request"].email.upper())
    with town.expect_navigation():
        town.click("main button[type=submit]")
    assert "メールをご確認ください" in town.content()
    deliver()
    (mail,) = mailbox.to(scene["request"].email)
    link = re.search(r"(http://127\.0\.0\.1:\d+/request/status/\S+)", body_of(mail)).group(1)
    town.goto(link)
    assert town.locator("h1").inner_text().startswith(f"受付番号 {scene['request'].id}")
