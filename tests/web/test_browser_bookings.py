"""Booked visits in Chromium: the evangelist offers two times on /me (a 360 px phone and a
desktop, Japanese and English), the town opens its status link and books one; hostile
text typed into the place and the attendees shows as text, never runs."""

from __future__ import annotations

import os
import re
from datetime import timedelta

import pytest

from app.models import Booking
from evangelists.calendar import today_in_japan
from tests.conftest import PASSWORD
from tests.factories import make_assignment, make_evangelist, make_municipality, make_request
from tests.web.browser_steps import fits
from tests.web.conftest import CHROMIUM

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed"),
]

NARROW_PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}
HOSTILE = "<script>window.__pwned=1</script><img src=x onerror=window.__pwned=2> {{7*7}} {{"

WORDS = {
    "ja": {"offer": "訪問日時を提案する", "send": "この日時を提案する", "book": "この日時で予約する",
           "booked": "訪問の予定", "email": "メールアドレス", "password": "パスワード"},
    "en": {"offer": "Offer visit times", "send": "Offer these times", "book": "Book this time",
           "booked": "Your visit", "email": "E-mail", "password": "Password"},
}


@pytest.fixture
def site(live_server, db, make_account):
    user = make_account("evangelist", email="ev@example.jp")
    request = make_request(municipality=make_municipality(name="梼原町"), status="assigned", token="browser-tok",
                           preferred_mode="onsite")
    assignment = make_assignment(request=request, evangelist=make_evangelist(user=user, family_name="山田"),
                                 status="accepted", distance_km=3)
    db.session.commit()
    return live_server, assignment


def fill_offer(page, times, *, place: str, attendees: str) -> None:
    """Type ``times`` (``(day, "HH:MM", "HH:MM")`` each) into the offer form on /me, on site
    at ``place``."""
    for n, (day, start, end) in enumerate(times):
        page.locator(f"input[name='slots-{n}-day']").fill(day.isoformat())
        page.locator(f"input[name='slots-{n}-start']").fill(start)
        page.locator(f"input[name='slots-{n}-end']").fill(end)
    page.locator("input[name='place']").fill(place)
    page.locator("textarea[name='attendees']").fill(attendees)



@pytest.mark.parametrize(("viewport", "lang"), [(NARROW_PHONE, "ja"), (DESKTOP, "en")])
def test_the_evangelist_offers_times_and_the_town_books_one(site, page_at, db, viewport, lang):
    base, assignment = site
    words = WORDS[lang]
    page = page_at(viewport)
    page.context.add_cookies([{"name": "lang", "value": lang, "url": base}])
    page.goto(base + "/auth/login")
    page.get_by_label(re.compile("^" + words["email"])).fill("ev@example.jp")
    page.get_by_label(re.compile("^" + words["password"])).fill(PASSWORD)
    with page.expect_navigation():
        page.locator("main button[type=submit]").click()
    page.goto(base + "/me/")
    with page.expect_navigation():
        page.get_by_role("link", name=words["offer"]).click()
    assert fits(page)
    first, second = today_in_japan() + timedelta(days=6), today_in_japan() + timedelta(days=9)
    fill_offer(page, [(first, "10:00", "11:30"), (second, "14:00", "15:00")], place=HOSTILE, attendees=HOSTILE)
    with page.expect_navigation():
        page.get_by_role("button", name=words["send"]).click()
    assert f"/me/#booking-{assignment.id}" in page.url and fits(page)
    assert not page.locator(".saved-note").first.is_visible()  # that note is for a saved visit
    assert HOSTILE in page.locator(f"#booking-{assignment.id}").inner_text()
    assert page.evaluate("window.__pwned === undefined")

    town = page_at(viewport)
    town.context.add_cookies([{"name": "lang", "value": lang, "url": base}])
    town.goto(base + "/request/status/browser-tok")
    assert fits(town)
    assert HOSTILE in town.locator("#visit").inner_text()
    buttons = town.get_by_role("button", name=words["book"])
    assert buttons.count() == 2
    with town.expect_navigation():
        buttons.nth(1).click()
    assert town.get_by_role("heading", name=words["booked"]).is_visible()
    assert ("14:00" in town.locator(".booked-time").inner_text())
    assert town.evaluate("window.__pwned === undefined") and fits(town)
    db.session.expire_all()
    booking = db.session.query(Booking).one()
    assert booking.status == "booked" and booking.request.status == "scheduled"
    assert page.external_requests == [] and town.external_requests == []


def test_asking_for_other_times_focuses_a_prefilled_message(site, page_at, db):
    base, assignment = site
    from datetime import time

    from app.services import bookings
    from app.services.bookings import OfferInput
    from evangelists.bookings import SlotInput

    day = today_in_japan() + timedelta(days=5)
    bookings.offer_times(assignment.evangelist.user, assignment, OfferInput(
        slots=(SlotInput(day, time(10), time(11)),), mode="onsite", place="会議室"))
    town = page_at(NARROW_PHONE)
    town.goto(base + "/request/status/browser-tok")
    town.locator("a.ask-other-times").click()
    text = town.locator("#other-times-body").input_value()
    assert "別の日時" in text
    assert town.evaluate("location.hash") == "#other-times"
    town.locator("#other-times-body").fill(text + "火曜の午後")
    with town.expect_navigation():
        town.locator("#other-times button[type=submit]").click()
    assert "火曜の午後" in town.locator("#messages-heading ~ div").first.inner_text()
