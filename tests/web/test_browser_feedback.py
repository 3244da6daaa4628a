"""The feedback question in Chromium on a 360 px phone, in Japanese and English: the town
answers it on its status page, the coordinators read it on their dashboard and on the
request's page; nothing is wider than the screen (the checks of test_browser_overflow)."""

from __future__ import annotations

import os

import pytest

from app.models import RequestFeedback
from tests.factories import make_request
from tests.web.conftest import CHROMIUM, PHONE
from tests.web.test_browser_overflow import (
    LONG_DEPARTMENT,
    LONG_EMAIL,
    LONG_WEBSITE,
    Walk,
    sign_in,
    to_english,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed"),
]

COMMENT = "<b>{{7*7}}</b> 庁内の説明資料まで一緒に作っていただき、とても助かりました。" + LONG_WEBSITE


@pytest.fixture
def gazetteer(db):
    """No national gazetteer: the ``towns`` fixture brings the towns."""


@pytest.fixture
def scene(live_server, db, towns, make_account):
    coordinator = make_account("coordinator", email="coordinator@example.jp")
    answered = make_request(municipality=towns["sapporo"], status="completed", token="answered-" + "a" * 30,
                            department=LONG_DEPARTMENT, email=LONG_EMAIL)
    db.session.add(RequestFeedback(request_id=answered.id, rating=4, comment=COMMENT))
    make_request(municipality=towns["tobetsu"], status="completed", token="ja-town-" + "j" * 30)
    make_request(municipality=towns["aomori"], status="completed", token="en-town-" + "e" * 30)
    db.session.commit()
    return {"coordinator": coordinator, "answered": answered}


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_town_answers_and_the_coordinators_read_it_on_a_phone(scene, live_server, page_at, language):
    walk = Walk(base=live_server)
    page = page_at(PHONE)
    if language == "en":
        page.goto(live_server + "/")
        to_english(page)
    token = ("ja-town-" + "j" * 30) if language == "ja" else ("en-town-" + "e" * 30)
    walk.visit(page, f"/request/status/{token}", "the status page with the question")
    with page.expect_navigation():
        page.click("#feedback button[type=submit]")  # nothing chosen: refused, said in the page's language
    walk.check(page, "the question refused")
    expected = ("1（役に立たなかった）から5（とても役に立った）までの数字を選んでください。" if language == "ja"
                else "Choose a number from 1 (not useful) to 5 (very useful).")
    assert expected in page.inner_text("#feedback")
    page.fill("textarea[name=comment]", COMMENT)
    page.check("input[name=rating][value='5']")
    with page.expect_navigation():
        page.click("#feedback button[type=submit]")
    walk.check(page, "the status page, answered")
    assert COMMENT in page.inner_text("#feedback .feedback-comment")

    sign_in(page, walk, scene["coordinator"])
    walk.visit(page, "/coordinator/", "the dashboard")
    comments = page.inner_text("#feedback .feedback-comments")
    assert comments.count(COMMENT) == 2  # both answers, shown as typed
    walk.visit(page, f"/coordinator/requests/{scene['answered'].id}", "the request's page")
    assert COMMENT in page.inner_text("#feedback")
    assert walk.problems == [], "\n".join(walk.problems)
