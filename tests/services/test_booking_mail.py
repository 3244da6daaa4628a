"""The booking mails over real SMTP: the town's offer with its status link, and the
booked / moved / cancelled mails to all three with a text/calendar invitation."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from icalendar import Calendar

from app.services import bookings
from app.services.bookings import OfferInput
from evangelists.bookings import SlotInput
from evangelists.calendar import today_in_japan
from tests.factories import make_assignment, make_evangelist, make_request, make_user
from tests.mailbox import body_of

HOSTILE = "<script>alert(1)</script> {{7*7}} {{"


@pytest.fixture
def accepted(db):
    coordinator = make_user(role="coordinator", email="coord@example.jp", locale="en")
    evangelist = make_evangelist(family_name="山田", user=make_user(role="evangelist", email="ev@example.jp"))
    request = make_request(status="assigned", email="town@example.jp", token="mail-tok")
    assignment = make_assignment(request=request, evangelist=evangelist, status="accepted", proposed_by=coordinator)
    db.session.commit()
    return assignment


def _offer(accepted):
    day = today_in_japan() + timedelta(days=10)
    data = OfferInput(slots=(SlotInput(day, time(10), time(11)), SlotInput(day, time(14), time(15, 30))),
                      mode="onsite", place=f"会議室 {HOSTILE}", attendees=f"企画課 {HOSTILE}")
    return bookings.offer_times(accepted.evangelist.user, accepted, data)


def invitation_of(message):
    parts = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1, "one text/calendar part"
    part = parts[0]
    return part, Calendar.from_ical(part.get_payload(decode=True))


def test_the_offer_mails_the_town_its_status_link_and_the_times(db, accepted, mailbox, deliver):
    _offer(accepted)
    deliver()
    (mail,) = mailbox.messages
    assert mail["To"] == "town@example.jp"
    body = body_of(mail)
    assert "/request/status/mail-tok" in body
    assert "10:00〜11:00" in body and "14:00–15:30" in body  # Japanese, then English
    assert not [p for p in mail.walk() if p.get_content_type() == "text/calendar"]


def test_the_booking_mail_reaches_all_three_with_the_invitation(db, accepted, mailbox, deliver):
    offered = _offer(accepted)
    deliver()
    mailbox.clear()
    booking = bookings.pick_slot(accepted.request, offered.slots[1].id)
    deliver()
    assert sorted(m["To"] for m in mailbox.messages) == ["coord@example.jp", "ev@example.jp", "town@example.jp"]
    for mail in mailbox.messages:
        part, cal = invitation_of(mail)
        assert part.get_param("method") == "REQUEST" and part.get_filename() == "invite.ics"
        (event,) = cal.walk("VEVENT")
        assert str(event["UID"]) == f"booking-{booking.id}@{bookings._host()}"
        assert HOSTILE in str(event["LOCATION"])  # plain text in a calendar, as typed
        body = body_of(mail)
        assert "14:00" in body and HOSTILE in body  # a text mail: no markup to escape
    town = mailbox.to("town@example.jp")[0]
    assert "/request/status/mail-tok" in body_of(town)
    assert "/request/status/" not in body_of(mailbox.to("ev@example.jp")[0])
    assert f"/bookings/{booking.id}" in body_of(mailbox.to("coord@example.jp")[0])


def test_moving_and_cancelling_mail_updates_and_a_cancellation(db, accepted, mailbox, deliver):
    offered = _offer(accepted)
    booking = bookings.pick_slot(accepted.request, offered.slots[0].id)
    deliver()
    mailbox.clear()
    later = today_in_japan() + timedelta(days=12)
    bookings.move_booking(accepted.proposed_by, booking, SlotInput(later, time(9), time(10)))
    deliver()
    assert sorted(m["To"] for m in mailbox.messages) == ["ev@example.jp", "town@example.jp"]  # not the mover
    _part, cal = invitation_of(mailbox.to("town@example.jp")[0])
    (event,) = cal.walk("VEVENT")
    assert int(event["SEQUENCE"]) == 1 and event.decoded("DTSTART").hour == 9
    mailbox.clear()
    bookings.cancel_booking(accepted.evangelist.user, booking, f"台風 {HOSTILE}")
    deliver()
    assert sorted(m["To"] for m in mailbox.messages) == ["coord@example.jp", "town@example.jp"]
    for mail in mailbox.messages:
        part, cal = invitation_of(mail)
        assert part.get_param("method") == "CANCEL" and str(cal["METHOD"]) == "CANCEL"
        (event,) = cal.walk("VEVENT")
        assert str(event["STATUS"]) == "CANCELLED" and int(event["SEQUENCE"]) == 2
        assert f"台風 {HOSTILE}" in body_of(mail)


def test_a_withdrawn_request_cancels_its_booking_in_everyone_elses_calendar(db, accepted, mailbox, deliver):
    from app.services.requests import change_status

    offered = _offer(accepted)
    booking = bookings.pick_slot(accepted.request, offered.slots[0].id)
    deliver()
    mailbox.clear()
    change_status("municipality", accepted.request, "withdrawn")
    deliver()
    assert booking.status == "cancelled" and accepted.request.status == "withdrawn"
    assert sorted(m["To"] for m in mailbox.messages) == ["coord@example.jp", "ev@example.jp"]
    for mail in mailbox.messages:
        part, cal = invitation_of(mail)
        assert part.get_param("method") == "CANCEL"
        assert "Withdrawn" in body_of(mail) or "取り下げ" in body_of(mail)
    assert bookings.bookings_on(today_in_japan() + timedelta(days=10)) == []


def test_a_completed_request_keeps_its_booking(db, accepted, mailbox, deliver):
    from app.services.requests import change_status

    offered = _offer(accepted)
    booking = bookings.pick_slot(accepted.request, offered.slots[0].id)
    change_status(accepted.proposed_by, accepted.request, "completed")
    assert booking.status == "booked"
