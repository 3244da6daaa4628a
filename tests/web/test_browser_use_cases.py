"""Use cases (issue 22) in Chromium on a 360 px phone: the evangelist drafts one from a
completed request (filled in from its visits), the coordinator edits it and sends it to
the town, the town reads it on its status page, asks for a change, then agrees, and it is
published. Nothing is wider than the screen (the checks of test_browser_overflow).

The public library, the feed and the suggestion on a new request form are added to this
journey with that part of issue 22."""

from __future__ import annotations

import os

import pytest

from app.models import UseCase
from tests.factories import make_completed_request, make_evangelist
from tests.web.conftest import CHROMIUM, PHONE
from tests.web.test_browser_overflow import Walk, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed"),
]

TOKEN = "use-case-town-" + "u" * 30
HOSTILE = "<script>alert(1)</script>{{7*7}}"


@pytest.fixture
def gazetteer(db):
    """No national gazetteer: the ``towns`` fixture brings the towns."""


@pytest.fixture
def scene(live_server, db, towns, make_account):
    author = make_account("evangelist", email="evangelist@example.jp")
    make_evangelist(user=author, home_municipality=towns["sapporo"])
    coordinator = make_account("coordinator", email="coordinator@example.jp")
    request = make_completed_request(municipality=towns["tobetsu"], evangelist=author.evangelist, token=TOKEN)
    db.session.commit()
    return {"author": author, "coordinator": coordinator, "request": request}


def submit(page, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)


def test_drafted_edited_changed_at_the_towns_request_and_agreed_on_a_phone(scene, live_server, page_at, browser, db):
    walk = Walk(base=live_server)
    page = page_at(PHONE)
    # The evangelist: "Write a use case" from the completed request on their page.
    sign_in(page, walk, scene["author"])
    walk.visit(page, "/me/", "the evangelist's page")
    submit(page, ".write-use-case-link")
    walk.check(page, "what the draft starts with")
    submit(page, "button.write-use-case")
    walk.check(page, "the draft, filled in")
    assert "避難所データをCSVで公開した。" in page.input_value("#what_was_done")
    assert page.input_value("#datasets") == "8" and page.input_value("#catalogue_url") == "https://example.jp/catalog"
    page.fill("#time_taken", "3か月、勉強会2回")
    page.fill("#advice", "小さく始めること。" + HOSTILE)
    page.set_input_files("#files", files=[{"name": "手引き.pdf", "mimeType": "application/pdf",
                                             "buffer": b"%PDF-1.7\n%%EOF\n"}])
    submit(page, "button.save-use-case")
    walk.check(page, "the use case, saved")
    assert "手引き.pdf" in page.inner_text(".use-case-files")
    assert HOSTILE in page.inner_text(".use-case-advice")
    submit(page, ".move-submit button")
    walk.check(page, "submitted")
    use_case = db.session.query(UseCase).one()
    db.session.expire_all()
    assert use_case.status == "with_coordinator"

    # The coordinator edits the title and sends it to the town.
    coordinator = browser.new_context(viewport=PHONE).new_page()
    sign_in(coordinator, walk, scene["coordinator"])
    walk.visit(coordinator, "/use-cases/", "the coordinators' queue")
    submit(coordinator, f".use-case-list a[href='/use-cases/{use_case.id}']")
    submit(coordinator, ".edit-link")
    walk.check(coordinator, "the coordinator edits")
    coordinator.fill("#title", "当別町: 避難所データを3か月で公開")
    submit(coordinator, "button.save-use-case")
    submit(coordinator, ".move-send button")
    walk.check(coordinator, "sent to the town")

    # The town: reads it on its status page, asks for a change (a message is required).
    town = browser.new_context(viewport=PHONE).new_page()
    walk.visit(town, f"/request/status/{TOKEN}", "the status page with the use case")
    review = town.inner_text("#use-case")
    assert "当別町: 避難所データを3か月で公開" in review and "手引き.pdf" in review and HOSTILE in review
    assert town.locator("#use-case a[href*='/files/']").count() == 0  # names only until published
    submit(town, ".use-case-changes button")
    walk.check(town, "a change asked without words")
    assert town.locator("#use-case-message-error").is_visible()
    town.fill("#use-case-message", "参加人数を「2名」に直してください。")
    submit(town, ".use-case-changes button")
    walk.check(town, "the change asked")
    db.session.expire_all()
    assert use_case.status == "changes_asked" and use_case.published_at is None

    # The coordinator sees what the town asked, changes it and sends it again.
    walk.visit(coordinator, "/use-cases/", "the queue with the town's request")
    assert "参加人数を「2名」に直してください。" in coordinator.inner_text(".use-case-list")
    walk.visit(coordinator, f"/use-cases/{use_case.id}/edit", "editing after the town's request")
    coordinator.fill("#people", "防災課2名")
    submit(coordinator, "button.save-use-case")
    submit(coordinator, ".move-send button")

    # The town agrees: the box first, then the button; the use case is published.
    walk.visit(town, f"/request/status/{TOKEN}", "the status page again")
    assert "防災課2名" in town.inner_text("#use-case")
    submit(town, ".use-case-agree button")
    assert town.locator("#use-case-agree-error").is_visible()
    db.session.expire_all()
    assert use_case.status == "with_town"
    town.check("#use-case-agree")
    submit(town, ".use-case-agree button")
    walk.check(town, "agreed")
    assert town.locator("#use-case").count() == 0
    db.session.expire_all()
    assert use_case.status == "published" and use_case.published_at is not None
    walk.visit(coordinator, f"/use-cases/{use_case.id}", "the published use case")
    assert coordinator.locator(".use-case-status").inner_text().strip() != ""
    assert walk.problems == [], "\n".join(walk.problems)
