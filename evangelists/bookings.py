"""Booked visits: the rules an offer of visit times must keep, in Japan's time.

An evangelist who accepted a request offers one or more slots (a Japanese date, a start
and an end time); the town picks one. Each slot must end after it starts, last at most a
day's visit (``MAX_VISIT_MINUTES``) and not start in the past; an offer has one to
``MAX_SLOTS`` slots, none twice. An on-site visit names its place; an online one gives a
meeting address (http or https only). Plain Python: the services call these before
writing anything, the forms show the refusals next to the field.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from urllib.parse import urlsplit

from evangelists.calendar import PROGRAMME_ZONE, utc_now
from evangelists.errors import Refused
from evangelists.limits import MAX_VISIT_MINUTES

MAX_SLOTS = 5
PLACE_MAX = 300
ATTENDEES_MAX = 500
MEETING_URL_MAX = 500
REASON_MAX = 500


class BookingRefused(Refused):
    """An offer, pick, move or cancellation that is refused; ``field`` is the input
    (``slots``, ``slot-<n>``, ``place``, ``meeting_url``...) or None for the whole."""

    scope = "booking"


@dataclass(frozen=True)
class SlotInput:
    """One time as typed: a day and two clock times, in Japan."""

    day: date
    start: time
    end: time


@dataclass(frozen=True)
class Slot:
    """One time as kept: aware moments in UTC."""

    starts_at: datetime
    ends_at: datetime


def slot_in_japan(slot: SlotInput) -> Slot:
    """The UTC moments of a Japanese date and clock times."""
    start = datetime.combine(slot.day, slot.start, tzinfo=PROGRAMME_ZONE)
    end = datetime.combine(slot.day, slot.end, tzinfo=PROGRAMME_ZONE)
    return Slot(start.astimezone(UTC), end.astimezone(UTC))


def check_slot(slot: SlotInput, *, now: datetime | None = None, field: str = "slot") -> Slot:
    """The slot in UTC, or ``BookingRefused(field, reason)``: ``end_not_after_start``,
    ``too_long`` (over a day's visit), ``in_the_past`` (starts before ``now``)."""
    kept = slot_in_japan(slot)
    if kept.ends_at <= kept.starts_at:
        raise BookingRefused(field, "end_not_after_start")
    if (kept.ends_at - kept.starts_at).total_seconds() > MAX_VISIT_MINUTES * 60:
        raise BookingRefused(field, "too_long")
    if kept.starts_at < (now or utc_now()):
        raise BookingRefused(field, "in_the_past")
    return kept


def check_slots(slots: list[SlotInput] | tuple[SlotInput, ...], *, now: datetime | None = None) -> tuple[Slot, ...]:
    """Every slot checked (``check_slot``, field ``slot-<n>`` from 0), in time order:
    ``BookingRefused("slots", "no_slots" | "too_many_slots" | "same_slot_twice")``."""
    if not slots:
        raise BookingRefused("slots", "no_slots")
    if len(slots) > MAX_SLOTS:
        raise BookingRefused("slots", "too_many_slots", most=MAX_SLOTS)
    kept = [check_slot(slot, now=now, field=f"slot-{n}") for n, slot in enumerate(slots)]
    if len(set(kept)) != len(kept):
        raise BookingRefused("slots", "same_slot_twice")
    return tuple(sorted(kept, key=lambda s: (s.starts_at, s.ends_at)))


def check_meeting_url(url: str) -> str:
    """``url`` stripped if it is an http or https address with a host, else
    ``BookingRefused("meeting_url", "bad_meeting_url")``."""
    url = (url or "").strip()
    parts = urlsplit(url)
    if (parts.scheme.lower() not in ("http", "https") or not parts.hostname or len(url) > MEETING_URL_MAX
            or any(c.isspace() or ord(c) < 32 for c in url)):
        raise BookingRefused("meeting_url", "bad_meeting_url")
    return url


@dataclass(frozen=True)
class Where:
    """How the visit happens: ``mode`` onsite (``place``) or online (``meeting_url``)."""

    mode: str
    place: str = ""
    meeting_url: str = ""


def check_where(mode: str, place: str, meeting_url: str) -> Where:
    """An on-site visit needs its place (``place_required``); an online one a meeting
    address (``meeting_url_required`` / ``bad_meeting_url``). The other one is dropped."""
    place, meeting_url = (place or "").strip(), (meeting_url or "").strip()
    if mode == "onsite":
        if not place:
            raise BookingRefused("place", "place_required")
        if len(place) > PLACE_MAX:
            raise BookingRefused("place", "too_long")
        return Where("onsite", place=place)
    if mode == "online":
        if not meeting_url:
            raise BookingRefused("meeting_url", "meeting_url_required")
        return Where("online", meeting_url=check_meeting_url(meeting_url))
    raise BookingRefused("mode", "unknown")


def check_reason(reason: str) -> str:
    """A cancellation's reason: required, at most ``REASON_MAX`` characters."""
    reason = (reason or "").strip()
    if not reason:
        raise BookingRefused("reason", "reason_required")
    if len(reason) > REASON_MAX:
        raise BookingRefused("reason", "too_long")
    return reason
