"""Booked visits in the browser's terms (test client): the evangelist offers times on /me,
the town picks on its status page, the evangelist or a coordinator moves or cancels, the
visit form starts from the booking, and each person's private calendar feed. Both
languages; hostile text shown escaped on every page that shows it."""

from __future__ import annotations

import re
from datetime import time, timedelta

import pytest
import sqlalchemy as sa

from app.models import Booking
from app.services import bookings
from app.services.bookings import OfferInput
from evangelists.bookings import SlotInput
from evangelists.calendar import today_in_japan
from tests.conftest import sign_in
from tests.factories import make_assignment, make_evangelist, make_municipality, make_request

HOSTILE = "<script>alert(1)</script> {{7*7}} {{"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt; {{7*7}} {{"


@pytest.fixture
def world(db, app, make_account):
    evangelist_user = make_account("evangelist")
    coordinator = make_account("coordinator")
    town = make_municipality(name="梼原町")
    request = make_request(municipality=town, status="assigned", token="web-tok", preferred_period="12月の平日")
    assignment = make_assignment(request=request, evangelist=make_evangelist(user=evangelist_user, family_name="山田"),
                                 status="accepted", proposed_by=coordinator, distance_km=3)
    db.session.commit()
    client = app.test_client()
    sign_in(client, evangelist_user)
    return {"client": client, "assignment": assignment, "request": request, "coordinator": coordinator,
            "evangelist": evangelist_user}


def day(n: int):
    return today_in_japan() + timedelta(days=n)


def offer_form(**overrides) -> dict:
    form = {"slots-0-day": day(7).isoformat(), "slots-0-start": "10:00", "slots-0-end": "11:30",
            "slots-1-day": day(8).isoformat(), "slots-1-start": "14:00", "slots-1-end": "15:00",
            "slots-2-day": "", "slots-2-start": "", "slots-2-end": "",
            "mode": "onsite", "place": f"会議室 {HOSTILE}", "meeting_url": "", "attendees": f"企画課 {HOSTILE}"}
    form.update(overrides)
    return form


def offered(world) -> Booking:
    return bookings.offer_times(world["evangelist"], world["assignment"], OfferInput(
        slots=(SlotInput(day(7), time(10), time(11, 30)), SlotInput(day(8), time(14), time(15))),
        mode="onsite", place=f"会議室 {HOSTILE}", attendees=f"企画課 {HOSTILE}"))


def html(response) -> str:
    return response.get_data(as_text=True)


@pytest.mark.parametrize(("lang", "words"), [("ja", ("訪問日時を提案する", "12月の平日")),
                                             ("en", ("Offer visit times", "12月の平日"))])
def test_the_evangelist_offers_times_from_my_page(world, lang, words):
    client = world["client"]
    client.set_cookie("lang", lang)
    page = html(client.get("/me/"))
    assert words[0] in page and f"/me/assignments/{world['assignment'].id}/times" in page
    form_page = client.get(f"/me/assignments/{world['assignment'].id}/times")
    assert form_page.status_code == 200 and words[1] in html(form_page)
    response = client.post(f"/me/assignments/{world['assignment'].id}/times", data=offer_form())
    assert response.status_code == 302
    booking = bookings.live_booking(world["assignment"])
    assert booking.status == "offered" and len(booking.slots) == 2
    assert world["request"].status == "scheduling"
    page = html(client.get("/me/"))
    assert ESCAPED in page and HOSTILE not in page


@pytest.mark.parametrize(("lang", "field", "value", "message"), [
    ("en", "slots-0-end", "09:00", "The end must be after the start."),
    ("ja", "slots-0-end", "09:00", "終了は開始より後にしてください。"),
    ("en", "meeting_url", "javascript:alert(1)", "Enter a web address starting with https:// or http://"),
    ("ja", "meeting_url", "javascript:alert(1)", "https:// または http:// で始まるウェブアドレスを入力してください。"),
])
def test_a_bad_offer_says_why_and_keeps_what_was_typed(world, lang, field, value, message):
    client = world["client"]
    client.set_cookie("lang", lang)
    data = offer_form(**{field: value})
    if field == "meeting_url":
        data.update(mode="online")
    response = client.post(f"/me/assignments/{world['assignment'].id}/times", data=data)
    page = html(response)
    assert response.status_code == 422 and message in page
    assert ESCAPED in page and day(8).isoformat() in page  # nothing typed is lost
    assert bookings.live_booking(world["assignment"]) is None


def test_a_slot_in_the_past_is_refused_by_the_service_next_to_its_row(world):
    client = world["client"]
    client.set_cookie("lang", "en")
    response = client.post(f"/me/assignments/{world['assignment'].id}/times",
                           data=offer_form(**{"slots-1-day": day(-3).isoformat()}))
    assert response.status_code == 422 and "This time has already passed (Japan time)" in html(response)


def test_another_evangelist_cannot_offer_times_on_my_assignment(world, app, make_account):
    other = make_account("evangelist")
    make_evangelist(user=other)
    client = app.test_client()
    sign_in(client, other)
    assert client.get(f"/me/assignments/{world['assignment'].id}/times").status_code == 404
    assert client.post(f"/me/assignments/{world['assignment'].id}/times", data=offer_form()).status_code == 404


@pytest.mark.parametrize(("lang", "heading", "button"), [("ja", "訪問日時を選んでください", "この日時で予約する"),
                                                         ("en", "Pick a time for the visit", "Book this time")])
def test_the_town_picks_a_time_on_its_status_page(world, app, lang, heading, button):
    booking = offered(world)
    town = app.test_client()
    town.set_cookie("lang", lang)
    page = html(town.get("/request/status/web-tok"))
    assert heading in page and page.count(button) == 2
    assert ESCAPED in page and HOSTILE not in page
    assert 'id="other-times"' in page and 'href="#other-times"' in page
    response = town.post("/request/status/web-tok/pick", data={"slot": str(booking.slots[1].id)})
    assert response.status_code == 302
    assert booking.status == "booked" and world["request"].status == "scheduled"
    page = html(town.get("/request/status/web-tok"))
    assert button not in page and ESCAPED in page
    assert ("訪問の予定" if lang == "ja" else "Your visit") in page


def test_the_status_page_is_no_store_and_a_bad_pick_changes_nothing(world, app):
    booking = offered(world)
    town = app.test_client()
    assert "no-store" in town.get("/request/status/web-tok").headers["Cache-Control"]
    town.post("/request/status/web-tok/pick", data={"slot": "999999"})
    town.post("/request/status/web-tok/pick", data={"slot": "²"})
    assert booking.status == "offered"
    assert town.post("/request/status/nope/pick", data={"slot": str(booking.slots[0].id)}).status_code == 404


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_the_evangelist_and_a_coordinator_move_and_cancel_a_booking(world, app, lang):
    booking = bookings.pick_slot(world["request"], offered(world).slots[0].id)
    client = world["client"]
    client.set_cookie("lang", lang)
    page = html(client.get(f"/bookings/{booking.id}"))
    assert ESCAPED in page and HOSTILE not in page
    bad = client.post(f"/bookings/{booking.id}/move", data={"day": day(9).isoformat(), "start": "12:00", "end": "11:00"})
    assert bad.status_code == 422 and booking.sequence == 0
    moved = client.post(f"/bookings/{booking.id}/move", data={"day": day(9).isoformat(), "start": "13:00", "end": "14:00"})
    assert moved.status_code == 302 and booking.sequence == 1
    coordinator = app.test_client()
    sign_in(coordinator, world["coordinator"])
    coordinator.set_cookie("lang", lang)
    request_page = html(coordinator.get(f"/coordinator/requests/{world['request'].id}"))
    assert f"/bookings/{booking.id}" in request_page
    empty = coordinator.post(f"/bookings/{booking.id}/cancel", data={"reason": ""})
    assert empty.status_code == 422 and booking.status == "booked"
    done = coordinator.post(f"/bookings/{booking.id}/cancel", data={"reason": f"台風 {HOSTILE}"})
    assert done.status_code == 302 and booking.status == "cancelled"
    assert world["request"].status == "assigned"
    page = html(coordinator.get(f"/bookings/{booking.id}"))
    assert f"台風 {ESCAPED}" in page and HOSTILE not in page


def test_another_evangelist_cannot_see_or_change_a_booking(world, app, make_account):
    booking = bookings.pick_slot(world["request"], offered(world).slots[0].id)
    other = make_account("evangelist")
    client = app.test_client()
    sign_in(client, other)
    assert client.get(f"/bookings/{booking.id}").status_code == 404
    assert client.post(f"/bookings/{booking.id}/cancel", data={"reason": "x"}).status_code == 404
    assert booking.status == "booked"


def test_logging_the_visit_starts_from_the_booking(world):
    booking = bookings.pick_slot(world["request"], offered(world).slots[1].id)  # day(8) 14:00-15:00
    page = html(world["client"].get(f"/me/assignments/{world['assignment'].id}/visits/new"))
    assert f'value="{day(8).isoformat()}"' in page
    assert re.search(r'id="duration_minutes"[^>]*value="60"', page)
    assert re.search(r'value="onsite"[^>]*checked|checked[^>]*value="onsite"', page)
    assert f"企画課 {ESCAPED}" in page
    assert booking.status == "booked"


# --- The private calendar feed --------------------------------------------------------------------

@pytest.mark.parametrize(("lang", "shown_once"), [("ja", "表示は一度だけ"), ("en", "it is shown only once")])
def test_the_feed_address_is_shown_once_and_serves_only_my_visits(world, app, lang, shown_once):
    booking = bookings.pick_slot(world["request"], offered(world).slots[0].id)
    client = world["client"]
    client.set_cookie("lang", lang)
    page = html(client.post("/bookings/calendar", data={}))
    assert shown_once in page
    (link,) = re.findall(r'value="(http[^"]+\.ics)"', page)
    path = link.split("localhost", 1)[1]
    assert "?" not in link and "/bookings/calendar/" in path
    assert shown_once not in html(client.get("/bookings/calendar"))  # not shown again
    feed = app.test_client().get(path)
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"
    assert "no-store" in feed.headers["Cache-Control"]
    assert "Set-Cookie" not in feed.headers
    assert f"UID:booking-{booking.id}@" in html(feed)
    # A new address: the old one stops working; turned off: none works.
    newer = re.findall(r'value="(http[^"]+\.ics)"', html(client.post("/bookings/calendar", data={})))[0]
    assert app.test_client().get(path).status_code == 404
    new_path = newer.split("localhost", 1)[1]
    assert app.test_client().get(new_path).status_code == 200
    client.post("/bookings/calendar/off", data={})
    assert app.test_client().get(new_path).status_code == 404


def test_the_account_page_and_my_page_lead_to_the_feed(world, app):
    assert "/bookings/calendar" in html(world["client"].get("/me/"))
    coordinator = app.test_client()
    sign_in(coordinator, world["coordinator"])
    assert "/bookings/calendar" in html(coordinator.get("/auth/account"))
    assert coordinator.get("/bookings/calendar").status_code == 200


def test_the_feed_only_ever_lists_live_bookings(world, app, db):
    booking = bookings.pick_slot(world["request"], offered(world).slots[0].id)
    token = bookings.make_feed(world["coordinator"])
    assert "BEGIN:VEVENT" in html(app.test_client().get(f"/bookings/calendar/{token}.ics"))
    bookings.cancel_booking(world["coordinator"], booking, "中止")
    assert "BEGIN:VEVENT" not in html(app.test_client().get(f"/bookings/calendar/{token}.ics"))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Booking)) == 1
