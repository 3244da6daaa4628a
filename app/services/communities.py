"""Civic-tech communities: creating and editing them, their active/dormant history, and
what their page shows (members in the programme, non-active municipalities nearby, the
visits their members made). Also where communities and evangelists are placed on the map
(:func:`resolve_location`), since both follow the same rules.

Every function that changes something commits once and writes an audit event. Refusals
raise :class:`CommunityRefused` or :class:`LocationRefused` with a field and a reason code
that the web layer turns into a translated message next to that field; nothing is written.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from urllib.parse import urlsplit

import numpy as np
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, joinedload

from app.extensions import db
from app.geocoding import Geocoder, GeocodingFailed
from app.models import (
    Assignment,
    Community,
    CommunityStatusChange,
    Evangelist,
    Municipality,
    Prefecture,
    SupportRequest,
    User,
    Visit,
)
from app.services.audit import record_event
from app.services.geography import folded
from app.services.pages import Page, page_of
from app.services.status import set_status
from evangelists.calendar import today_in_japan
from evangelists.coverage import DEFAULT_GAP_KM
from evangelists.errors import Refused
from evangelists.gazetteer import is_prefecture_code
from evangelists.geo import haversine_matrix_km
from evangelists.limits import (
    ADDRESS_MAX,
    COMMUNITY_DESCRIPTION_MAX,
    COMMUNITY_NAME_MAX,
    EMAIL_MAX,
    HOW_TO_JOIN_MAX,
    LAT_RANGE,
    LON_RANGE,
    WEBSITE_MAX,
)
from evangelists.text import fold_variants
from evangelists.vocabulary import (
    COMMUNITY_STATUSES,
    EVANGELIST_STATUSES,
    LOCATION_SOURCES,
)

NAME_MAX = COMMUNITY_NAME_MAX
MEMBER_COUNT_RANGE = (0, 1_000_000)
NEARBY_KM = DEFAULT_GAP_KM  # "nearby" on a community's page: the coverage radius, 50 km
VISITS_SHOWN = 100
# Statuses of people counted as "in the programme" of a community.
IN_PROGRAMME = ("candidate", "active", "paused")


# --- Locations (communities and evangelists) -------------------------------------------------
# LAT_RANGE and LON_RANGE (evangelists/limits.py) are the ranges of the models'
# located_in_japan CHECKs too, so the form can never accept what the database refuses.


class LocationRefused(Refused, ValueError):
    """Coordinates that cannot be used. ``field`` is ``location``, ``lat``, ``lon`` or
    ``address``; ``reason`` one of ``unknown_source``, ``required`` (a coordinate is
    missing), ``outside_japan``, ``address_required``, ``geocoder_off``, ``not_found``,
    ``geocoder_failed``."""

    scope = "location"


@dataclass(frozen=True)
class LocationInput:
    """Where to place a community or an evangelist.

    ``source`` (``LOCATION_SOURCES``): the municipality's office, the geocoded ``address``,
    or ``lat``/``lon`` typed by hand (then both are needed)."""

    source: str = "municipality"
    lat: float | None = None
    lon: float | None = None
    address: str = ""


@dataclass(frozen=True)
class Placed:
    lat: float
    lon: float
    source: str


def in_japan(lat: float, lon: float) -> bool:
    return LAT_RANGE[0] <= lat <= LAT_RANGE[1] and LON_RANGE[0] <= lon <= LON_RANGE[1]


def _number(value) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def resolve_location(
    wanted: LocationInput,
    municipality: Municipality,
    *,
    geocoder: Geocoder | None,
    current: Placed | None = None,
    current_address: str | None = None,
) -> Placed:
    """The coordinates ``wanted`` asks for.

    ``current`` is what the row has now (None for a new one): a geocoded position is kept
    without asking the geocoder again when the address did not change (``current_address``)
    or, for rows that keep no address (evangelists), when no new address is given.
    Raises LocationRefused; the geocoder is called only for a new address.
    """
    if wanted.source not in LOCATION_SOURCES:
        raise LocationRefused("location", "unknown_source")
    if wanted.source == "municipality":
        return Placed(municipality.lat, municipality.lon, "municipality")
    if wanted.source == "manual":
        lat, lon = _number(wanted.lat), _number(wanted.lon)
        if lat is None:
            raise LocationRefused("lat", "required")
        if lon is None:
            raise LocationRefused("lon", "required")
        if not LAT_RANGE[0] <= lat <= LAT_RANGE[1]:
            raise LocationRefused("lat", "outside_japan")
        if not LON_RANGE[0] <= lon <= LON_RANGE[1]:
            raise LocationRefused("lon", "outside_japan")
        return Placed(lat, lon, "manual")
    # geocoded
    text = " ".join(wanted.address.split())
    if current is not None and current.source == "geocoded":
        unchanged = (not text) if current_address is None else text == " ".join(current_address.split())
        if unchanged:
            return current
    if not text:
        raise LocationRefused("address", "address_required")
    if geocoder is None:
        raise LocationRefused("address", "geocoder_off")
    try:
        found = geocoder(text)
    except GeocodingFailed:
        raise LocationRefused("address", "geocoder_failed") from None
    if found is None:
        raise LocationRefused("address", "not_found")
    lat, lon = found
    if not in_japan(lat, lon):
        raise LocationRefused("address", "not_found")
    return Placed(float(lat), float(lon), "geocoded")


def municipality_by_code(code: str | None) -> Municipality | None:
    if not code:
        return None
    return db.session.scalar(sa.select(Municipality).where(Municipality.code == code))


# --- Creating and editing ---------------------------------------------------------------------


class CommunityRefused(Refused, ValueError):
    """A community change that is refused. ``field`` names the form field, ``reason`` is
    one of ``required``, ``name_taken``, ``too_long``, ``bad_website``, ``unknown``
    (municipality), ``out_of_range`` (member count), ``unchanged`` (status),
    ``future_date``, ``before_current`` (a status change dated before the current one)."""

    scope = "community"


@dataclass(frozen=True)
class CommunityInput:
    name: str
    municipality_code: str
    website: str | None = None
    member_count: int = 0
    contact_email: str | None = None
    description: str = ""
    address: str = ""
    location: LocationInput = field(default_factory=LocationInput)
    # Listed in the public directory (with the community's agreement), and what its
    # public page says about joining.
    public: bool = False
    how_to_join: str = ""


def valid_website(url: str) -> bool:
    """An absolute http(s) URL with a host and no spaces."""
    if not url or any(ch.isspace() for ch in url) or len(url) > WEBSITE_MAX:
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and "." in parts.hostname


def _name_taken(name: str, except_id: int | None) -> bool:
    query = sa.select(sa.func.count()).select_from(Community).where(
        sa.func.lower(Community.name) == name.lower()
    )
    if except_id is not None:
        query = query.where(Community.id != except_id)
    return db.session.scalar(query) > 0


def _clean(data: CommunityInput, except_id: int | None) -> dict:
    name = " ".join(data.name.split())
    if not name:
        raise CommunityRefused("name", "required")
    if len(name) > NAME_MAX:
        raise CommunityRefused("name", "too_long")
    if _name_taken(name, except_id):
        raise CommunityRefused("name", "name_taken")
    website = (data.website or "").strip() or None
    if website is not None and not valid_website(website):
        raise CommunityRefused("website", "bad_website")
    count = data.member_count
    if isinstance(count, bool) or not isinstance(count, int) or not MEMBER_COUNT_RANGE[0] <= count <= MEMBER_COUNT_RANGE[1]:
        raise CommunityRefused("member_count", "out_of_range")
    address = " ".join((data.address or "").split())
    if len(address) > ADDRESS_MAX:
        raise CommunityRefused("address", "too_long")
    municipality = municipality_by_code(data.municipality_code)
    if municipality is None:
        raise CommunityRefused("municipality", "unknown")
    email = (data.contact_email or "").strip() or None
    if email is not None and len(email) > EMAIL_MAX:
        raise CommunityRefused("contact_email", "too_long")
    description = (data.description or "").strip()
    if len(description) > COMMUNITY_DESCRIPTION_MAX:
        raise CommunityRefused("description", "too_long")
    how_to_join = (data.how_to_join or "").strip()
    if len(how_to_join) > HOW_TO_JOIN_MAX:
        raise CommunityRefused("how_to_join", "too_long")
    return {
        "name": name,
        "website": website,
        "member_count": count,
        "contact_email": email,
        "description": description,
        "address": address,
        "municipality": municipality,
        "public": data.public is True,
        "how_to_join": how_to_join,
    }


def _snapshot(community: Community) -> dict:
    return {
        "name": community.name,
        "website": community.website,
        "municipality": community.municipality.code,
        "member_count": community.member_count,
        "contact_email": community.contact_email,
        "description": community.description,
        "address": community.address,
        "lat": community.lat,
        "lon": community.lon,
        "location_source": community.location_source,
        "public": community.public,
        "how_to_join": community.how_to_join,
    }


def _commit_or_name_taken() -> None:
    """Commit; two coordinators saving the same name at once meet the UNIQUE constraint."""
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise CommunityRefused("name", "name_taken") from None


def create_community(
    actor: User, data: CommunityInput, *, geocoder: Geocoder | None = None, today: date | None = None,
    address: str | None = None,
) -> Community:
    """Register an active community (its history starts with "active since today")."""
    values = _clean(data, None)
    placed = resolve_location(data.location, values["municipality"], geocoder=geocoder)
    today = today or today_in_japan()
    with db.session.no_autoflush:  # the row is complete only once its history is attached
        community = Community(
            **values, lat=placed.lat, lon=placed.lon, location_source=placed.source,
            status="active", status_since=today,
        )
        community.status_history.append(
            CommunityStatusChange(status="active", since=today, note="", changed_by_id=actor.id)
        )
        db.session.add(community)
    db.session.flush()
    record_event(actor, "community.created", "community", community.id, after=_snapshot(community),
                 client_address=address)
    _commit_or_name_taken()
    return community


def update_community(
    actor: User, community: Community, data: CommunityInput, *, geocoder: Geocoder | None = None,
    address: str | None = None,
) -> tuple[str, ...]:
    """Save the edit form; returns the names of the fields that changed (empty: nothing
    written). The audit event holds their values before and after."""
    values = _clean(data, community.id)
    placed = resolve_location(
        data.location, values["municipality"], geocoder=geocoder,
        current=Placed(community.lat, community.lon, community.location_source),
        current_address=community.address,
    )
    before = _snapshot(community)
    with db.session.no_autoflush:
        for name, value in values.items():
            setattr(community, name, value)
        community.lat, community.lon, community.location_source = placed.lat, placed.lon, placed.source
        after = _snapshot(community)
    changed = tuple(k for k in after if before[k] != after[k])
    if not changed:
        db.session.rollback()
        return ()
    record_event(actor, "community.updated", "community", community.id,
                 before={k: before[k] for k in changed}, after={k: after[k] for k in changed},
                 client_address=address)
    _commit_or_name_taken()
    return changed


def change_community_status(
    actor: User, community: Community, status: str, since: date | None = None, note: str = "", *,
    today: date | None = None, address: str | None = None,
) -> CommunityStatusChange:
    """Mark a community dormant or active again from ``since`` (default today): the change
    is added to its history and becomes its status. ``since`` may not lie in the future
    nor before the date of its current status (the newest entry is the status)."""
    today = today or today_in_japan()
    since = since or today
    if status not in COMMUNITY_STATUSES:
        raise CommunityRefused("status", "unknown")
    if status == community.status:
        raise CommunityRefused("status", "unchanged")
    if since > today + timedelta(days=1):  # a day's slack for time zones
        raise CommunityRefused("since", "future_date")
    if since < community.status_since:
        raise CommunityRefused("since", "before_current")
    before = {"status": community.status, "status_since": community.status_since.isoformat()}
    change = CommunityStatusChange(status=status, since=since, note=(note or "").strip(), changed_by_id=actor.id)
    community.status_history.append(change)
    community.status_since = since
    set_status(actor, community, "community", status, action="community.status_changed", entity_type="community",
               before=before, after={"status": status, "status_since": since.isoformat(), "note": change.note},
               address=address)
    db.session.commit()
    return change


# --- The list ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CommunityFilters:
    """What the list is narrowed to; empty strings mean "any"."""

    q: str = ""
    prefecture: str = ""
    status: str = ""
    regions: frozenset[str] | None = None  # a regional coordinator's; None: the country


def community_search(filters: CommunityFilters) -> sa.Select:
    """A SELECT of communities (municipality and prefecture loaded with them) by name."""
    stmt = (
        sa.select(Community)
        .join(Community.municipality)
        .join(Municipality.prefecture)
        .options(contains_eager(Community.municipality).contains_eager(Municipality.prefecture))
        .order_by(Community.name, Community.id)
    )
    q = " ".join(filters.q.split())
    if q:
        stmt = stmt.where(sa.or_(Community.name.icontains(q, autoescape=True),
                                 folded(Municipality.name).contains(fold_variants(q), autoescape=True)))
    if filters.prefecture:
        stmt = stmt.where(Prefecture.code == filters.prefecture)
    if filters.status:
        stmt = stmt.where(Community.status == filters.status)
    if filters.regions is not None:
        stmt = stmt.where(Prefecture.region.in_(sorted(filters.regions)))
    return stmt


def community_page(filters: CommunityFilters, *, page: int, per_page: int) -> Page:
    """Page ``page`` of ``community_search``."""
    return page_of(community_search(filters), page, per_page)


def programme_counts(community_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """For each community, how many of its members are in the programme, by status
    (one query; communities without any are left out)."""
    ids = list(community_ids)
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    if not ids:
        return counts
    for community_id, status, n in db.session.execute(
        sa.select(Evangelist.home_community_id, Evangelist.status, sa.func.count())
        .where(Evangelist.home_community_id.in_(ids))
        .group_by(Evangelist.home_community_id, Evangelist.status)
    ):
        counts[community_id][status] = n
    return counts


def in_programme(counts: dict[str, int]) -> int:
    return sum(counts.get(status, 0) for status in IN_PROGRAMME)


# --- A community's page --------------------------------------------------------------------------


def get_community(community_id: int) -> Community | None:
    return db.session.scalar(
        sa.select(Community)
        .where(Community.id == community_id)
        .options(joinedload(Community.municipality).joinedload(Municipality.prefecture))
    )


@dataclass(frozen=True)
class HistoryEntry:
    status: str
    since: date
    note: str
    changed_by: str | None


def status_history(community: Community) -> list[HistoryEntry]:
    """The community's active/dormant history, newest first, with who recorded each change."""
    rows = db.session.execute(
        sa.select(CommunityStatusChange, User.display_name)
        .outerjoin(User, CommunityStatusChange.changed_by_id == User.id)
        .where(CommunityStatusChange.community_id == community.id)
        .order_by(CommunityStatusChange.since.desc(), CommunityStatusChange.id.desc())
    ).all()
    return [HistoryEntry(c.status, c.since, c.note, who) for c, who in rows]


def _status_order(column):
    return sa.case({status: n for n, status in enumerate(EVANGELIST_STATUSES)}, value=column)


def members_of(community: Community) -> list[Evangelist]:
    """Evangelists whose home community it is, at every stage, working ones first."""
    return list(db.session.scalars(
        sa.select(Evangelist)
        .where(Evangelist.home_community_id == community.id)
        .options(joinedload(Evangelist.home_municipality))
        .order_by(_status_order(Evangelist.status), Evangelist.name_sort, Evangelist.id)
    ))


@dataclass(frozen=True)
class NearbyPlace:
    code: str
    name: str
    name_romaji: str | None
    kind: str
    engagement_stage: str
    distance_km: float


def _bounding_box(lat: float, lon: float, km: float, lat_col, lon_col):
    """An index-friendly pre-filter before the exact distance (1° of latitude ≈ 110.5 km)."""
    dlat = km / 110.5
    dlon = km / (111.3 * max(math.cos(math.radians(lat)), 0.2))
    return sa.and_(lat_col.between(lat - dlat, lat + dlat), lon_col.between(lon - dlon, lon + dlon))


def non_active_near(lat: float, lon: float, km: float = NEARBY_KM) -> list[NearbyPlace]:
    """Municipalities not yet publishing open data within ``km`` of a point, nearest first:
    one bounded query, then the distances in one vectorised pass."""
    m = Municipality
    rows = db.session.execute(
        sa.select(m.code, m.name, m.name_romaji, m.kind, m.engagement_stage, m.lat, m.lon)
        .where(m.open_data_status == "non_active", _bounding_box(lat, lon, km, m.lat, m.lon))
    ).all()
    if not rows:
        return []
    distances = haversine_matrix_km(
        np.array([lat]), np.array([lon]), np.array([r.lat for r in rows]), np.array([r.lon for r in rows])
    )[0]
    found = [
        NearbyPlace(r.code, r.name, r.name_romaji, r.kind, r.engagement_stage, float(d))
        for r, d in zip(rows, distances, strict=True)
        if d <= km
    ]
    return sorted(found, key=lambda p: (p.distance_km, p.code))


def visits_by_members(community: Community, limit: int = VISITS_SHOWN) -> list[Visit]:
    """The newest visits made by the community's members, with their evangelist, town and
    outcomes: one query (joined eager loading)."""
    return list(db.session.scalars(
        sa.select(Visit)
        .join(Visit.assignment)
        .join(Assignment.evangelist)
        .where(Evangelist.home_community_id == community.id)
        .options(
            joinedload(Visit.outcomes),
            joinedload(Visit.assignment).joinedload(Assignment.evangelist),
            joinedload(Visit.assignment).joinedload(Assignment.request).joinedload(SupportRequest.municipality),
        )
        .order_by(Visit.visited_on.desc(), Visit.id.desc())
        .limit(limit)
    ).unique())


def community_choices(prefecture: str, chosen: int | None = None, *,
                      public: bool = False) -> list[tuple[int, str]]:
    """``(id, name)`` of the communities in the prefecture with JIS code ``prefecture``,
    and of ``chosen`` wherever it is, by name: a filter's choices, a few dozen rather
    than every community in the country. One query (none when there is nothing to list).
    Anything but a prefecture code's two digits lists no prefecture. ``public``: for a
    public form, only the communities whose names are public already (listed in the
    directory, or active: the municipality pages and the map name those), ``chosen``
    included: an id typed into the form names nothing else."""
    prefecture = prefecture if is_prefecture_code(prefecture) else ""
    if not prefecture and chosen is None:
        return []
    wanted = []
    if prefecture:
        wanted.append(Community.municipality_id.in_(
            sa.select(Municipality.id).join(Prefecture, Municipality.prefecture_id == Prefecture.id)
            .where(Prefecture.code == prefecture)
        ))
    if chosen is not None:
        wanted.append(Community.id == chosen)
    shown = sa.or_(Community.public.is_(True), Community.status == "active") if public else sa.true()
    return [tuple(row) for row in db.session.execute(
        sa.select(Community.id, Community.name).where(sa.or_(*wanted), shown).order_by(Community.name, Community.id)
    )]


def list_communities() -> list[tuple[int, str]]:
    """``(id, name)`` of every community, by name, for choice lists."""
    return [tuple(row) for row in db.session.execute(
        sa.select(Community.id, Community.name).order_by(Community.name, Community.id)
    )]
