"""Booked visits: offering times, the town's pick, moving and cancelling; the request's
status follows; each step is audited and told to the others, with an .ics invitation."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
import sqlalchemy as sa
from icalendar import Calendar

from app.models import AuditEvent, Booking, Notice
from app.services import bookings
from app.services.bookings import OfferInput
from app.services.requests import send_back
from evangelists.bookings import BookingRefused, SlotInput
from evangelists.calendar import PROGRAMME_ZONE_KEY, today_in_japan
from evangelists.lifecycle import TransitionRefused
from tests.factories import make_assignment, make_evangelist, make_request, make_user, make_visit

HOSTILE = "<script>alert(1)</script> {{7*7}} {{"


@pytest.fixture
def accepted(db):
    """An accepted assignment: its coordinator, evangelist and town."""
    coordinator = make_user(role="coordinator", email="coord@example.jp")
    make_user(role="coordinator", email="other-coord@example.jp")
    evangelist = make_evangelist(family_name="山田", user=make_user(role="evangelist", email="ev@example.jp"))
    request = make_request(status="assigned", email="town@example.jp", token="tok-1")
    assignment = make_assignment(request=request, evangelist=evangelist, status="accepted",
                                 proposed_by=coordinator)
    db.session.commit()
    return assignment


def day(n: int):
    return today_in_japan() + timedelta(days=n)


def offer(n_slots=2, **overrides) -> OfferInput:
    fields = dict(
        slots=tuple(SlotInput(day(7 + i), time(10), time(11, 30)) for i in range(n_slots)),
        mode="onsite", place="市役所 3階 会議室A", attendees="情報政策課 2名",
    )
    fields.update(overrides)
    return OfferInput(**fields)


def notices(db, kind=None):
    query = sa.select(Notice).order_by(Notice.id)
    if kind:
        query = query.where(Notice.kind == kind)
    return db.session.scalars(query).all()


def events(db, action):
    return db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)).all()


def booked(accepted):
    booking = bookings.offer_times(accepted.evangelist.user, accepted, offer())
    return bookings.pick_slot(accepted.request, booking.slots[1].id)


def parsed(data: bytes) -> tuple[Calendar, object]:
    cal = Calendar.from_ical(data)
    (event,) = [c for c in cal.walk("VEVENT")]
    return cal, event


# --- Offering -----------------------------------------------------------------------------------

def test_offering_times_makes_the_request_scheduling_and_mails_only_the_town(db, accepted):
    booking = bookings.offer_times(accepted.evangelist.user, accepted, offer(3))
    assert booking.status == "offered" and len(booking.slots) == 3
    assert accepted.request.status == "scheduling"
    assert [(n.kind, n.email, n.user_id) for n in notices(db)] == [("booking_offered", "town@example.jp", None)]
    assert events(db, "booking.offered") and events(db, "request.scheduling")


def test_a_new_offer_replaces_the_one_not_picked_from(db, accepted):
    first = bookings.offer_times(accepted.evangelist.user, accepted, offer(1))
    second = bookings.offer_times(accepted.evangelist.user, accepted, offer(2))
    assert first.status == "replaced" and second.status == "offered"
    assert accepted.request.status == "scheduling"
    assert bookings.live_booking(accepted) == second


@pytest.mark.parametrize(("data", "field", "reason"), [
    (offer(0), "slots", "no_slots"),
    (offer(6), "slots", "too_many_slots"),
    (offer(slots=(SlotInput(day(3), time(11), time(10)),)), "slot-0", "end_not_after_start"),
    (offer(slots=(SlotInput(day(-1), time(10), time(11)),)), "slot-0", "in_the_past"),
    (offer(slots=(SlotInput(day(3), time(10), time(11)),) * 2), "slots", "same_slot_twice"),
    (offer(place="  "), "place", "place_required"),
    (offer(mode="online", meeting_url="javascript:alert(1)"), "meeting_url", "bad_meeting_url"),
    (offer(mode="online", meeting_url="ftp://example.jp/x"), "meeting_url", "bad_meeting_url"),
    (offer(mode="online", meeting_url=""), "meeting_url", "meeting_url_required"),
])
def test_bad_offers_are_refused_and_nothing_is_written(db, accepted, data, field, reason):
    with pytest.raises(BookingRefused) as refused:
        bookings.offer_times(accepted.evangelist.user, accepted, data)
    assert (refused.value.field, refused.value.reason) == (field, reason)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Booking)) == 0
    assert accepted.request.status == "assigned" and notices(db) == []


def test_only_the_assignments_own_evangelist_offers_and_only_once_accepted(db, accepted):
    stranger = make_evangelist().user
    with pytest.raises(BookingRefused) as refused:
        bookings.offer_times(stranger, accepted, offer())
    assert refused.value.reason == "not_yours"
    proposed = make_assignment(status="proposed")
    db.session.commit()
    with pytest.raises(BookingRefused) as refused:
        bookings.offer_times(proposed.evangelist.user, proposed, offer())
    assert refused.value.reason == "not_accepted"


def test_an_online_offer_keeps_its_https_address(db, accepted):
    booking = bookings.offer_times(accepted.evangelist.user, accepted,
                                   offer(mode="online", place="", meeting_url=" https://meet.example.jp/abc "))
    assert (booking.mode, booking.meeting_url, booking.place) == ("online", "https://meet.example.jp/abc", "")


# --- Picking --------------------------------------------------------------------------------------

def test_the_towns_pick_books_the_visit_and_tells_all_three(db, accepted):
    booking = booked(accepted)
    assert booking.status == "booked" and accepted.request.status == "scheduled"
    assert booking.starts_at == datetime(day(8).year, day(8).month, day(8).day, 1, 0, tzinfo=UTC)  # 10:00 JST
    told = {(n.email, n.user_id) for n in notices(db, "booking_booked")}
    assert told == {("town@example.jp", None), (None, accepted.evangelist.user_id),
                    (None, accepted.proposed_by_id)}  # the proposing coordinator only
    (event,) = events(db, "booking.booked")
    assert event.actor_id is None and event.entity_id == booking.id


def test_a_second_pick_is_refused_and_changes_nothing(db, accepted):
    booking = booked(accepted)
    starts = booking.starts_at
    with pytest.raises(BookingRefused) as refused:
        bookings.pick_slot(accepted.request, booking.slots[0].id)
    assert refused.value.reason in ("not_offered", "no_such_slot")
    assert booking.starts_at == starts


def test_a_slot_of_another_request_cannot_be_picked(db, accepted):
    offered = bookings.offer_times(accepted.evangelist.user, accepted, offer())
    other = make_request(status="assigned")
    db.session.commit()
    with pytest.raises(BookingRefused):
        bookings.pick_slot(other, offered.slots[0].id)
    assert offered.status == "offered"


def test_a_passed_slot_cannot_be_picked(db, accepted):
    offered = bookings.offer_times(accepted.evangelist.user, accepted, offer())
    later = offered.slots[0].starts_at + timedelta(minutes=1)
    with pytest.raises(BookingRefused) as refused:
        bookings.pick_slot(accepted.request, offered.slots[0].id, now=later)
    assert refused.value.reason == "slot_passed"


def test_the_coordinators_are_all_told_when_the_proposer_is_gone(db, accepted):
    accepted.proposed_by.is_active = False
    db.session.commit()
    booked(accepted)
    emails = {n.user.email for n in notices(db, "booking_booked") if n.user}
    assert emails == {"ev@example.jp", "other-coord@example.jp"}


# --- Moving and cancelling ---------------------------------------------------------------------------

def test_moving_raises_the_sequence_and_tells_everyone_but_the_mover(db, accepted):
    booking = booked(accepted)
    mover = accepted.proposed_by
    bookings.move_booking(mover, booking, SlotInput(day(20), time(14), time(15)))
    assert booking.sequence == 1 and booking.status == "booked"
    told = {(n.email, n.user_id) for n in notices(db, "booking_moved")}
    assert told == {("town@example.jp", None), (None, accepted.evangelist.user_id)}
    (moved,) = events(db, "booking.moved")
    assert moved.before["starts_at"] != moved.after["starts_at"]
    bookings.move_booking(accepted.evangelist.user, booking, SlotInput(day(21), time(14), time(15)))
    assert booking.sequence == 2


def test_moving_to_the_same_time_or_the_past_is_refused(db, accepted):
    booking = booked(accepted)
    with pytest.raises(BookingRefused) as refused:
        bookings.move_booking(accepted.evangelist.user, booking, SlotInput(day(8), time(10), time(11, 30)))
    assert refused.value.reason == "unchanged"
    with pytest.raises(BookingRefused) as refused:
        bookings.move_booking(accepted.evangelist.user, booking, SlotInput(day(-2), time(10), time(11)))
    assert refused.value.reason == "in_the_past"
    stranger = make_evangelist().user
    with pytest.raises(BookingRefused) as refused:
        bookings.move_booking(stranger, booking, SlotInput(day(9), time(10), time(11)))
    assert refused.value.reason == "not_yours"


def test_cancelling_returns_the_request_to_before_scheduling_and_tells_everyone(db, accepted):
    booking = booked(accepted)
    bookings.cancel_booking(accepted.evangelist.user, booking, HOSTILE)
    assert booking.status == "cancelled" and booking.cancel_reason == HOSTILE and booking.sequence == 1
    assert accepted.request.status == "assigned"
    told = {(n.email, n.user_id) for n in notices(db, "booking_cancelled")}
    assert told == {("town@example.jp", None), (None, accepted.proposed_by_id)}
    # The evangelist can offer again.
    again = bookings.offer_times(accepted.evangelist.user, accepted, offer(1))
    assert again.status == "offered" and accepted.request.status == "scheduling"


def test_withdrawing_an_offer_returns_the_request_to_assigned(db, accepted):
    booking = bookings.offer_times(accepted.evangelist.user, accepted, offer())
    bookings.cancel_booking(accepted.evangelist.user, booking, "都合が悪くなった")
    assert accepted.request.status == "assigned"


def test_cancelling_needs_a_reason(db, accepted):
    booking = booked(accepted)
    with pytest.raises(BookingRefused) as refused:
        bookings.cancel_booking(accepted.evangelist.user, booking, "  ")
    assert refused.value.reason == "reason_required" and booking.status == "booked"


def test_a_cancelled_booking_after_a_logged_visit_leaves_the_request_scheduled(db, accepted):
    booking = booked(accepted)
    make_visit(assignment=accepted)
    db.session.commit()
    bookings.cancel_booking(accepted.proposed_by, booking, "重複")
    assert accepted.request.status == "scheduled"


def test_sending_the_request_back_cancels_its_booking(db, accepted):
    booking = booked(accepted)
    send_back(accepted.proposed_by, accepted.request, "triaged", reason="担当変更")
    assert booking.status == "cancelled" and accepted.request.status == "triaged"
    assert accepted.status == "cancelled"


def test_a_coordinator_cannot_send_back_to_assigned(db, accepted):
    booked(accepted)
    with pytest.raises(TransitionRefused):
        send_back(accepted.proposed_by, accepted.request, "assigned", reason="x")


# --- Invitations --------------------------------------------------------------------------------------

def test_the_invitation_has_a_stable_uid_a_growing_sequence_and_a_cancel(db, accepted):
    booking = booked(accepted)
    cal, event = parsed(bookings.invitation_for(booking)[0])
    uid = str(event["UID"])
    assert uid.startswith(f"booking-{booking.id}@")
    assert str(cal["METHOD"]) == "REQUEST" and int(event["SEQUENCE"]) == 0
    assert event["DTSTART"].params["TZID"] == PROGRAMME_ZONE_KEY
    assert event.decoded("DTSTART").utcoffset() == timedelta(hours=9)
    assert event.decoded("DTSTART").hour == 10
    assert str(event["LOCATION"]) == "市役所 3階 会議室A"
    assert cal.walk("VTIMEZONE")

    bookings.move_booking(accepted.evangelist.user, booking, SlotInput(day(30), time(13), time(14)))
    cal, event = parsed(bookings.invitation_for(booking)[0])
    assert str(event["UID"]) == uid and int(event["SEQUENCE"]) == 1 and event.decoded("DTSTART").hour == 13

    bookings.cancel_booking(accepted.evangelist.user, booking, "台風")
    data, method = bookings.invitation_for(booking)
    cal, event = parsed(data)
    assert method == "CANCEL" and str(cal["METHOD"]) == "CANCEL"
    assert str(event["STATUS"]) == "CANCELLED" and str(event["UID"]) == uid and int(event["SEQUENCE"]) == 2


def test_an_online_invitation_carries_the_meeting_address(db, accepted):
    offered = bookings.offer_times(accepted.evangelist.user, accepted,
                                   offer(mode="online", place="", meeting_url="https://meet.example.jp/x"))
    booking = bookings.pick_slot(accepted.request, offered.slots[0].id)
    _cal, event = parsed(bookings.invitation_for(booking)[0])
    assert str(event["URL"]) == "https://meet.example.jp/x"


def test_an_offer_nobody_picked_has_no_invitation(db, accepted):
    offered = bookings.offer_times(accepted.evangelist.user, accepted, offer())
    assert bookings.invitation_for(offered) is None


# --- For the reminders ---------------------------------------------------------------------------------

def test_bookings_on_lists_the_confirmed_visits_of_a_japanese_day(db, accepted):
    booking = booked(accepted)  # day(8), 10:00 JST
    assert bookings.bookings_on(day(8)) == [booking]
    assert bookings.bookings_on(day(7)) == [] and bookings.bookings_on(day(9)) == []
    (found,) = bookings.bookings_on(day(8))
    assert found.request.email == "town@example.jp"
    assert found.assignment.evangelist.user.email == "ev@example.jp"
    bookings.cancel_booking(accepted.evangelist.user, booking, "中止")
    assert bookings.bookings_on(day(8)) == []


def test_a_visit_just_after_midnight_in_japan_is_on_that_japanese_day(db, accepted):
    offered = bookings.offer_times(accepted.evangelist.user, accepted,
                                   offer(slots=(SlotInput(day(10), time(0, 30), time(1, 30)),)))
    bookings.pick_slot(accepted.request, offered.slots[0].id)
    assert len(bookings.bookings_on(day(10))) == 1 and bookings.bookings_on(day(9)) == []


# --- Calendar feeds ---------------------------------------------------------------------------------------

def test_a_feed_token_is_kept_only_as_its_hash_and_a_new_one_revokes_the_old(db, accepted):
    user = accepted.evangelist.user
    first = bookings.make_feed(user)
    assert bookings.feed_owner(first) == user
    assert first not in repr(bookings.feed_of(user).token_hash)
    second = bookings.make_feed(user)
    assert bookings.feed_owner(first) is None and bookings.feed_owner(second) == user
    assert bookings.turn_off_feed(user) and bookings.feed_owner(second) is None


def test_an_evangelists_feed_lists_their_visits_and_staff_see_all(db, accepted):
    booking = booked(accepted)
    other = make_assignment(status="accepted", request=make_request(status="assigned"))
    db.session.commit()
    theirs = bookings.pick_slot(other.request, bookings.offer_times(other.evangelist.user, other, offer(1)).slots[0].id)
    assert bookings.feed_bookings(accepted.evangelist.user) == [booking]
    assert set(bookings.feed_bookings(accepted.proposed_by)) == {booking, theirs}
    cal = Calendar.from_ical(bookings.feed_calendar(accepted.evangelist.user))
    assert [str(e["UID"]) for e in cal.walk("VEVENT")] == [bookings.visit_event(booking).uid]
    assert "METHOD" not in cal


def test_a_completed_visit_stays_in_the_feed_but_gets_no_reminder(db, accepted):
    from app.services.visits import complete_assignment

    booking = booked(accepted)
    make_visit(assignment=accepted)
    db.session.commit()
    complete_assignment(accepted.evangelist.user, accepted)
    assert accepted.request.status == "completed"
    assert bookings.feed_bookings(accepted.evangelist.user) == [booking]
    assert bookings.bookings_on(day(8)) == []
