"""Calendar invitations and feeds (RFC 5545) for booked visits, built with ``icalendar``.

One function makes a visit's VEVENT and one wraps events in a VCALENDAR, so the mail's
``invite.ics`` and a person's subscribed feed say the same thing. A booking's UID never
changes (``booking-<id>@<host>``); every move raises its SEQUENCE, so calendar programs
replace the old time instead of adding a second event; a cancellation is METHOD:CANCEL
with STATUS:CANCELLED. Times are written in Japan's zone (TZID Asia/Tokyo) with the
zone's definition added (``add_missing_timezones``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from icalendar import Calendar, Event, vCalAddress, vText

from evangelists.calendar import PROGRAMME_ZONE

PRODID = "-//Evangelist Network//Booked visits//JA"


@dataclass(frozen=True)
class VisitEvent:
    """What a calendar needs to know about one booked visit."""

    uid: str
    sequence: int
    starts_at: datetime  # aware
    ends_at: datetime  # aware
    summary: str
    description: str = ""
    location: str = ""  # the on-site place
    url: str = ""  # the online meeting address
    cancelled: bool = False
    stamp: datetime | None = None  # DTSTAMP: when this version was written (aware)
    organizer_email: str = ""


def booking_uid(booking_id: int, host: str) -> str:
    """The stable UID of a booking's event, the same in every mail and feed."""
    return f"booking-{booking_id}@{host}"


def visit_event(visit: VisitEvent) -> Event:
    event = Event()
    event.add("uid", visit.uid)
    event.add("sequence", visit.sequence)
    event.add("dtstamp", visit.stamp or visit.starts_at)
    event.add("dtstart", visit.starts_at.astimezone(PROGRAMME_ZONE))
    event.add("dtend", visit.ends_at.astimezone(PROGRAMME_ZONE))
    event.add("summary", visit.summary)
    if visit.description:
        event.add("description", visit.description)
    if visit.location:
        event.add("location", visit.location)
    elif visit.url:
        event.add("location", visit.url)
    if visit.url:
        event.add("url", visit.url)
    if visit.organizer_email:
        organizer = vCalAddress(f"mailto:{visit.organizer_email}")
        organizer.params["cn"] = vText("Evangelist Network")
        event.add("organizer", organizer)
    event.add("status", "CANCELLED" if visit.cancelled else "CONFIRMED")
    return event


def calendar_of(events: Iterable[VisitEvent], *, method: str | None = None, name: str = "") -> bytes:
    """A VCALENDAR of ``events``: an invitation (``method`` REQUEST or CANCEL) or, with no
    method, a feed to subscribe to (``name`` shown as the calendar's name)."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if method:
        cal.add("method", method)
    if name:
        cal.add("x-wr-calname", name)
        cal.add("x-wr-timezone", PROGRAMME_ZONE.key)
    for visit in events:
        cal.add_component(visit_event(visit))
    cal.add_missing_timezones()
    return cal.to_ical()


def invitation(visit: VisitEvent) -> tuple[bytes, str]:
    """``(ics bytes, method)`` for the mail about ``visit``: REQUEST for a new or moved
    booking, CANCEL for a cancelled one."""
    method = "CANCEL" if visit.cancelled else "REQUEST"
    return calendar_of([visit], method=method), method
