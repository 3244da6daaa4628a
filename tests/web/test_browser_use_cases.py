"""Use cases (issue 22) in Chromium on a 360 px phone: the evangelist drafts one from a
completed request (filled in from its visits), the coordinator edits it and sends it to
the town, the town reads it on its status page, asks for a change, then agrees, and it is
published. Then, as anyone: it is in the library (found by a word of its text, in
Japanese and in English), on its own page with its town on the map, in the Results of the
town's public page and in the Atom feed; and another town of the same kind and population
band choosing itself on the request form is shown it among "towns like yours". Nothing is
wider than the screen (the checks of test_browser_overflow) and the public pages pass an
axe-core scan with no serious or critical violation (issue 22's acceptance)."""

from __future__ import annotations

import os
import re
from xml.etree import ElementTree as ET

import pytest

from app.models import UseCase
from tests.factories import make_completed_request, make_evangelist, make_municipality
from tests.web.conftest import CHROMIUM, PHONE
from tests.web.test_browser_library import serious_violations
from tests.web.test_browser_overflow import Walk, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed"),
]

TOKEN = "use-case-town-" + "u" * 30
HOSTILE = "<script>alert(1)</script>{{7*7}}"
ATOM = "{http://www.w3.org/2005/Atom}"
TITLE = "当別町: 避難所データを3か月で公開"


@pytest.fixture
def gazetteer(db):
    """No national gazetteer: the ``towns`` fixture brings the towns."""


@pytest.fixture
def scene(live_server, db, towns, make_account):
    author = make_account("evangelist", email="evangelist@example.jp")
    make_evangelist(user=author, home_municipality=towns["sapporo"])
    coordinator = make_account("coordinator", email="coordinator@example.jp")
    # Two towns (町) of 10,000 to 50,000 people: the use case of the one is the other's "town
    # like yours". The draft takes its population band from its town.
    towns["tobetsu"].population = 15_500
    naganuma = make_municipality(code="014290", name="長沼町", name_kana="ナガヌマチョウ", name_romaji="Naganuma-cho",
                                 kind="town", population=10_300, prefecture=towns["tobetsu"].prefecture,
                                 lat=43.01, lon=141.69)
    request = make_completed_request(municipality=towns["tobetsu"], evangelist=author.evangelist, token=TOKEN)
    db.session.commit()
    return {"author": author, "coordinator": coordinator, "request": request, "alike": naganuma}


def submit(page, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)


def test_drafted_edited_changed_agreed_then_public_everywhere_on_a_phone(app, scene, live_server, page_at, browser, db):
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
    coordinator.fill("#title", TITLE)
    submit(coordinator, "button.save-use-case")
    submit(coordinator, ".move-send button")
    walk.check(coordinator, "sent to the town")

    # The town: reads it on its status page, asks for a change (a message is required).
    town = browser.new_context(viewport=PHONE).new_page()
    walk.visit(town, f"/request/status/{TOKEN}", "the status page with the use case")
    review = town.inner_text("#use-case")
    assert TITLE in review and "手引き.pdf" in review and HOSTILE in review
    # Its files open through its own link, so that it agrees to what it has read.
    assert town.locator(f"#use-case a[href^='/request/status/{TOKEN}/use-case/']").count() == 1
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

    # Anyone, signed in nowhere, finds it in the public places.
    visitor = page_at(PHONE)
    seen_in_public(visitor, walk, use_case.id, towns_code=scene["request"].municipality.code)
    in_the_feed(visitor, live_server, use_case.id)
    in_english(app, page_at(PHONE), walk, use_case.id)
    suggested_to_a_town_alike(visitor, walk, use_case.id, scene["alike"].name)
    assert visitor.external_requests == []
    assert walk.problems == [], "\n".join(walk.problems)


def seen_in_public(page, walk: Walk, use_case_id: int, towns_code: str) -> None:
    """The library lists it and finds it by a word of its advice (not by an unrelated
    word); its page shows the town on the map and the town's hostile-looking words as text;
    the town's public page lists it under Results. Each page passes axe."""
    violations = {}
    walk.visit(page, "/cases", "the library")
    assert page.locator(f".library-list a[href='/cases/{use_case_id}']").inner_text() == TITLE
    violations["/cases"] = serious_violations(page)
    for word, found in (("図書館", 0), ("小さく始める", 1)):
        page.fill("#q", word)
        submit(page, ".library-filters button[type=submit]")
        walk.check(page, f"the library searched for {word}")
        assert page.locator(f".library-list a[href='/cases/{use_case_id}']").count() == found, word
    submit(page, f".library-list a[href='/cases/{use_case_id}']")
    walk.check(page, "the use case's public page")
    assert page.locator("h1").inner_text() == TITLE
    assert page.locator(".use-case-town").inner_text() == "当別町"
    assert HOSTILE in page.locator("article.use-case blockquote").inner_text()
    # The map drew the town's pin (Leaflet, with the town's name as its title).
    page.locator(".map-frame .leaflet-marker-icon[title='当別町']").wait_for()
    violations["/cases/<id>"] = serious_violations(page)
    submit(page, ".use-case-town")
    assert page.url.endswith(f"/municipalities/{towns_code}")
    walk.check(page, "the town's public page")
    results = page.locator("#results")
    assert results.locator(f".town-use-cases a[href='/cases/{use_case_id}']").inner_text() == TITLE
    violations["/municipalities/<code>"] = serious_violations(page)
    assert {path: found for path, found in violations.items() if found} == {}


def in_the_feed(page, live_server: str, use_case_id: int) -> None:
    """The Atom feed has an entry with its title, linking to its page."""
    response = page.request.get(live_server + "/cases/feed.atom")
    assert response.ok and response.headers["content-type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.body())
    entries = {e.findtext(f"{ATOM}title"): e for e in feed.iter(f"{ATOM}entry")}
    assert TITLE in entries, list(entries)
    link = entries[TITLE].find(f"{ATOM}link[@rel='alternate']")
    assert link.get("href") == f"{live_server}/cases/{use_case_id}"


def in_english(app, page, walk: Walk, use_case_id: int) -> None:
    """The library in English lists it too (its title stays as the town wrote it)."""
    page.context.add_cookies([{"name": app.config["LANGUAGE_COOKIE"], "value": "en", "url": walk.base}])
    walk.visit(page, "/cases", "the library in English")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Use cases"
    assert page.locator(f".library-list a[href='/cases/{use_case_id}']").inner_text() == TITLE


def suggested_to_a_town_alike(page, walk: Walk, use_case_id: int, alike: str) -> None:
    """A new request from another town of the same kind and band: once it picks its
    prefecture and then itself, the form shows the use case among "towns like yours"."""
    walk.visit(page, "/request", "a new request")
    assert page.locator("#towns-like-yours .towns-like-yours").count() == 0
    page.get_by_label("都道府県").select_option(label="北海道")
    with page.expect_navigation():  # leaving the prefecture reloads its municipalities
        page.get_by_label("都道府県").press("Tab")
    with page.expect_response(lambda r: "/cases/like/" in r.url) as fetched:  # static/js/towns-like-yours.js
        page.get_by_label(re.compile(r"^市区町村")).select_option(label=alike)
    assert fetched.value.ok and fetched.value.url.endswith("/cases/like/014290")
    suggestion = page.locator(f"#towns-like-yours .suggestion a[href='/cases/{use_case_id}']")
    suggestion.wait_for()
    assert suggestion.inner_text() == TITLE
    # Suggested for being alike (same kind and size), not merely near.
    assert page.locator("#towns-like-yours .suggestion-alike").count() == 1
    assert "当別町" in page.locator("#towns-like-yours .suggestion-alike").inner_text()
    walk.check(page, "the request form with towns like yours")
    assert serious_violations(page) == []
