"""An evangelist's own profile: reading it and saving what they changed on ``/me/profile``."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import (
    Assignment,
    Evangelist,
    Municipality,
    SupportRequest,
    Topic,
    User,
    Visit,
)
from app.services.audit import record_event
from app.services.status import set_status
from evangelists.calendar import today_in_japan
from evangelists.errors import Refused
from evangelists.lifecycle import TransitionRefused
from evangelists.limits import CAPACITY_RANGE, TRAVEL_RADIUS_RANGE
from evangelists.names import ReadingRefused, normalize_reading
from evangelists.vocabulary import AGE_BANDS, GENDERS, LANGUAGES

EDITABLE = frozenset(
    {
        "home_municipality",  # a municipality code
        "skills",  # topic slugs
        "capacity",
        "travel_radius_km",
        "online_ok",
        "languages",
        "age_band",
        "gender",
        "paused_until",  # a date, or None for "available"
        "family_name_kana",  # the reading, as typed (hiragana, katakana, half-width)
        "given_name_kana",
    }
)
# Self-reported for diversity statistics only: the audit log says that they changed, never
# what they are.
PRIVATE = ("age_band", "gender")
# The only statuses an evangelist moves between themselves; candidates and retired
# evangelists are moved by a coordinator.
SELF_SERVICE_STATUSES = ("active", "paused")


class ProfileRefused(Refused, ValueError):
    """A change the profile cannot take. ``field`` names the change, ``reason`` is a code
    for a translated message: ``unknown`` (not a known value), ``out_of_range``,
    ``required``, ``past_date``, ``status_locked`` (candidate or retired, or a move the
    lifecycle does not allow), ``not_kana``, ``too_long`` and ``reading_required`` (a
    reading)."""

    scope = "profile"


def profile_of(user: User) -> Evangelist | None:
    """The user's own evangelist row, with what the profile page shows loaded, or None
    if a coordinator has not set one up yet."""
    return db.session.scalar(
        sa.select(Evangelist)
        .where(Evangelist.user_id == user.id)
        .options(
            selectinload(Evangelist.skills),
            selectinload(Evangelist.home_municipality).selectinload(Municipality.prefecture),
            selectinload(Evangelist.home_community),
        )
    )


@dataclass(frozen=True)
class Home:
    """What an evangelist's home page shows: their profile (None until a coordinator
    sets one up) and their assignments, newest first."""

    profile: Evangelist | None
    assignments: tuple[Assignment, ...] = ()


def home_of(user: User) -> Home:
    """The user's profile and assignments, each assignment with its request (town,
    prefecture and topics) and visits (and outcomes) loaded: a fixed number of queries."""
    profile = profile_of(user)
    if profile is None:
        return Home(None)
    assignments = db.session.scalars(
        sa.select(Assignment)
        .where(Assignment.evangelist_id == profile.id)
        .options(
            selectinload(Assignment.request).selectinload(SupportRequest.municipality)
            .selectinload(Municipality.prefecture),
            selectinload(Assignment.request).selectinload(SupportRequest.topics),
            selectinload(Assignment.request).selectinload(SupportRequest.messages),  # counted on the page
            selectinload(Assignment.visits).selectinload(Visit.outcomes),
        )
        .order_by(Assignment.created_at.desc())
    )
    return Home(profile, tuple(assignments))


def current_pause(evangelist: Evangelist, today: date | None = None) -> date | None:
    """The stored pause date while it lies ahead (today, Japan's, included), else None: a
    pause that has ended reads as "available" on the profile form."""
    today = today or today_in_japan()
    if evangelist.paused_until is not None and evangelist.paused_until >= today:
        return evangelist.paused_until
    return None


def update_profile(
    actor: User, evangelist: Evangelist, changes: Mapping[str, Any], *, address: str | None = None,
    today: date | None = None,
) -> tuple[str, ...]:
    """Apply ``changes`` (keys from ``EDITABLE``) to the actor's own evangelist row and
    commit, with one ``evangelist.profile_updated`` audit event holding the before and
    after of the fields that really changed (age band and gender: only their names).

    A new home municipality moves the home coordinates to its coordinates. ``paused_until``
    states the availability: a date (today or later) pauses, None makes the evangelist
    active again; only active and paused evangelists change it, and only as the lifecycle
    allows (``evangelists.lifecycle``, machine ``evangelist``). ``today`` is Japan's
    (default ``today_in_japan()``; the web layer passes it).

    Returns the names of the changed fields (empty: nothing written). Raises
    PermissionError if ``actor`` is not the evangelist's own user, ProfileRefused (nothing
    written) for a value the profile cannot take.
    """
    if actor is None or evangelist.user_id is None or actor.id != evangelist.user_id:
        raise PermissionError("evangelists update only their own profile")
    unknown = set(changes) - EDITABLE
    if unknown:
        raise ValueError(f"not editable here: {sorted(unknown)}")

    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    updates: dict[str, Any] = {}

    def note(name: str, old: Any, new: Any) -> None:
        before[name], after[name] = old, new

    for name in ("family_name_kana", "given_name_kana"):
        if name in changes:
            try:
                kana = normalize_reading(changes[name], name)
            except ReadingRefused as refused:
                raise ProfileRefused(name, refused.reason) from None
            if not kana:
                raise ProfileRefused(name, "reading_required")
            if kana != getattr(evangelist, name):
                note(name, getattr(evangelist, name), kana)
                updates[name] = kana

    if "home_municipality" in changes:
        code = changes["home_municipality"]
        if code != evangelist.home_municipality.code:
            town = db.session.scalar(sa.select(Municipality).where(Municipality.code == code)) if code else None
            if town is None:
                raise ProfileRefused("home_municipality", "unknown")
            note("home_municipality", evangelist.home_municipality.code, town.code)
            note("lat", evangelist.lat, town.lat)
            note("lon", evangelist.lon, town.lon)
            updates.update(home_municipality=town, lat=town.lat, lon=town.lon)

    if "skills" in changes:
        wanted = set(changes["skills"] or ())
        current = {t.slug for t in evangelist.skills}
        if wanted != current:
            topics = list(
                db.session.scalars(sa.select(Topic).where(Topic.slug.in_(wanted)).order_by(Topic.position))
            ) if wanted else []
            if len(topics) != len(wanted):
                raise ProfileRefused("skills", "unknown")
            note("skills", [t.slug for t in evangelist.skills], [t.slug for t in topics])
            updates["skills"] = topics

    if "capacity" in changes:
        capacity = changes["capacity"]
        low, high = CAPACITY_RANGE
        if isinstance(capacity, bool) or not isinstance(capacity, int) or not low <= capacity <= high:
            raise ProfileRefused("capacity", "out_of_range")
        if capacity != evangelist.capacity:
            note("capacity", evangelist.capacity, capacity)
            updates["capacity"] = capacity

    if "travel_radius_km" in changes:
        radius = changes["travel_radius_km"]
        low, high = TRAVEL_RADIUS_RANGE
        if (
            isinstance(radius, bool)
            or not isinstance(radius, int | float)
            or not math.isfinite(radius)
            or not low <= radius <= high
        ):
            raise ProfileRefused("travel_radius_km", "out_of_range")
        if float(radius) != evangelist.travel_radius_km:
            note("travel_radius_km", evangelist.travel_radius_km, float(radius))
            updates["travel_radius_km"] = float(radius)

    if "online_ok" in changes:
        online_ok = bool(changes["online_ok"])
        if online_ok != evangelist.online_ok:
            note("online_ok", evangelist.online_ok, online_ok)
            updates["online_ok"] = online_ok

    if "languages" in changes:
        wanted = set(changes["languages"] or ())
        if not wanted:
            raise ProfileRefused("languages", "required")
        if not wanted <= set(LANGUAGES):
            raise ProfileRefused("languages", "unknown")
        if wanted != set(evangelist.languages or ()):
            ordered = [code for code in LANGUAGES if code in wanted]
            note("languages", list(evangelist.languages or ()), ordered)
            updates["languages"] = ordered

    private_changed = []
    for name, allowed in (("age_band", AGE_BANDS), ("gender", GENDERS)):
        if name in changes:
            value = changes[name] or None
            if value is not None and value not in allowed:
                raise ProfileRefused(name, "unknown")
            if value != getattr(evangelist, name):
                private_changed.append(name)
                updates[name] = value

    if "paused_until" in changes:
        updates.update(_availability(evangelist, changes["paused_until"], note, today or today_in_japan()))

    if not updates:
        return ()
    if "status" in updates:  # first, so that a refused move writes nothing
        try:
            # Audited below, within the profile's own event.
            set_status(actor, evangelist, "evangelist", updates["status"], action=None)
        except TransitionRefused as refused:
            raise ProfileRefused("paused_until", "status_locked") from refused
    for name, value in updates.items():
        if name != "status":
            setattr(evangelist, name, value)
    if private_changed:
        after["private_fields_changed"] = private_changed
    record_event(
        actor, "evangelist.profile_updated", "evangelist", evangelist.id,
        before=before or None, after=after, client_address=address,
    )
    db.session.commit()
    return tuple(name for name in updates if name not in ("lat", "lon"))


def _availability(evangelist: Evangelist, until: date | None, note, today: date) -> dict[str, Any]:
    """The status and pause date that ``until`` asks for, as updates (empty: as it is)."""
    if until is not None and not isinstance(until, date):
        raise ProfileRefused("paused_until", "unknown")
    if evangelist.status not in SELF_SERVICE_STATUSES:
        if until != evangelist.paused_until:
            raise ProfileRefused("paused_until", "status_locked")
        return {}
    status = "paused" if until is not None else "active"
    if (status, until) == (evangelist.status, evangelist.paused_until):
        return {}
    if until is not None and until < today:
        raise ProfileRefused("paused_until", "past_date")
    updates = {}
    if status != evangelist.status:
        note("status", evangelist.status, status)
        updates["status"] = status
    if until != evangelist.paused_until:
        note(
            "paused_until",
            evangelist.paused_until.isoformat() if evangelist.paused_until else None,
            until.isoformat() if until else None,
        )
        updates["paused_until"] = until
    return updates
