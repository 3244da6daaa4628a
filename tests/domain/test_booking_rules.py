"""The rules of an offer of visit times (evangelists/bookings.py) and the calendar text
(evangelists/ical.py), in Japan's time, without the app."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from icalendar import Calendar

from evangelists.bookings import (
    MAX_SLOTS,
    BookingRefused,
    SlotInput,
    check_meeting_url,
    check_reason,
    check_slot,
    check_slots,
    check_where,
)
from evangelists.ical import VisitEvent, booking_uid, calendar_of, invitation

NOW = datetime(2026, 12, 3, 0, 30, tzinfo=UTC)  # 09:30 in Japan
TODAY = date(2026, 12, 3)


def test_a_slot_is_kept_in_utc_from_japans_clock():
    slot = check_slot(SlotInput(TODAY, time(10), time(11, 30)), now=NOW)
    assert slot.starts_at == datetime(2026, 12, 3, 1, 0, tzinfo=UTC)
    assert slot.ends_at - slot.starts_at == timedelta(minutes=90)


@pytest.mark.parametrize(("slot", "reason"), [
    (SlotInput(TODAY, time(11), time(11)), "end_not_after_start"),
    (SlotInput(TODAY, time(11), time(10)), "end_not_after_start"),
    (SlotInput(TODAY, time(9), time(10)), "in_the_past"),  # 09:00 JST is before 09:30 JST
    (SlotInput(TODAY - timedelta(days=1), time(15), time(16)), "in_the_past"),
])
def test_bad_slots_are_refused(slot, reason):
    with pytest.raises(BookingRefused) as refused:
        check_slot(slot, now=NOW, field="slot-3")
    assert (refused.value.field, refused.value.reason) == ("slot-3", reason)


def test_japans_clock_decides_the_past_not_the_servers():
    # 00:30 UTC is still 2 December in London but already 09:30 on 3 December in Japan.
    with pytest.raises(BookingRefused):
        check_slot(SlotInput(TODAY, time(9, 0), time(9, 15)), now=NOW)
    assert check_slot(SlotInput(TODAY, time(9, 45), time(10)), now=NOW)


def test_an_offer_has_one_to_max_slots_none_twice_in_time_order():
    later, sooner = SlotInput(TODAY, time(15), time(16)), SlotInput(TODAY, time(10), time(11))
    assert [s.starts_at.hour for s in check_slots([later, sooner], now=NOW)] == [1, 6]
    for slots, reason in (([], "no_slots"), ([later] * 2, "same_slot_twice"),
                          ([SlotInput(TODAY + timedelta(days=n), time(10), time(11)) for n in range(MAX_SLOTS + 1)],
                           "too_many_slots")):
        with pytest.raises(BookingRefused) as refused:
            check_slots(slots, now=NOW)
        assert refused.value.reason == reason


@pytest.mark.parametrize("url", ["https://meet.example.jp/abc", "http://例え.jp/会議", "HTTPS://Meet.Example.jp"])
def test_web_addresses_are_accepted(url):
    assert check_meeting_url(f"  {url} ") == url


@pytest.mark.parametrize("url", ["javascript:alert(1)", "ftp://example.jp", "https://", "//example.jp/x",
                                 "https://exa mple.jp", "data:text/html,x", "https://example.jp/\nx", ""])
def test_other_addresses_are_refused(url):
    with pytest.raises(BookingRefused) as refused:
        check_meeting_url(url)
    assert refused.value.reason == "bad_meeting_url"


def test_where_keeps_only_what_the_mode_needs():
    assert check_where("onsite", " 会議室 ", "https://x.example").meeting_url == ""
    assert check_where("online", "会議室", "https://x.example").place == ""
    with pytest.raises(BookingRefused):
        check_where("either", "会議室", "")
    with pytest.raises(BookingRefused):
        check_reason("   ")
    assert check_reason(" 台風 ") == "台風"


def test_the_invitation_round_trips_through_icalendar():
    visit = VisitEvent(uid=booking_uid(7, "example.jp"), sequence=3, starts_at=datetime(2026, 12, 10, 1, tzinfo=UTC),
                       ends_at=datetime(2026, 12, 10, 2, tzinfo=UTC), summary="訪問 <b>", location="会議室 {{7*7}}")
    data, method = invitation(visit)
    cal = Calendar.from_ical(data)
    (event,) = cal.walk("VEVENT")
    assert method == "REQUEST" and str(cal["METHOD"]) == "REQUEST"
    assert str(event["UID"]) == "booking-7@example.jp" and int(event["SEQUENCE"]) == 3
    assert event.decoded("DTSTART").hour == 10 and str(event["LOCATION"]) == "会議室 {{7*7}}"
    assert [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")] == [str(event["DTSTART"].params["TZID"])]
    cancelled = VisitEvent(**{**visit.__dict__, "cancelled": True})
    data, method = invitation(cancelled)
    assert method == "CANCEL" and "STATUS:CANCELLED" in data.decode()


def test_a_feed_has_no_method_and_a_name():
    feed = Calendar.from_ical(calendar_of([], name="訪問"))
    assert "METHOD" not in feed and str(feed["X-WR-CALNAME"]) == "訪問"
