"""The network's map data, as GeoJSON-ready dicts (read-only).

Each ``*_layer`` function returns a :class:`Layer`: the features and the newest
``updated_at`` among the rows it shows (for Last-Modified). Every function issues a fixed
number of queries whatever the data size, selecting columns rather than loading ORM
objects (bench/bench_map.py: the largest layer, 1,741 municipalities, in about 20 ms).

The layers that grow with the programme (communities, evangelists, requests) are bounded
by a :class:`~evangelists.viewport.Viewport`: at most MAX_FEATURES points, or clusters
when the view holds more (see "what a viewport shows" below). The things near a place
are the nearest NEARBY_LIMIT.

Properties are kept short, because they are sent for every point: names in Japanese and
romaji (the page picks one by language), codes rather than URLs (the page knows the URL
patterns), statuses as vocabulary codes (the page has their labels).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import sqlalchemy as sa

from app.extensions import db
from app.models import (
    Assignment,
    Community,
    Evangelist,
    Municipality,
    OutreachCase,
    Prefecture,
    SupportRequest,
    Topic,
    evangelist_skills,
    request_topics,
)
from app.services.regions import NATIONAL, RegionScope, evangelists_visible, municipality_visible
from app.services.versioned import until_data_changes
from evangelists.coverage import DEFAULT_GAP_KM, Point, coverage_gap
from evangelists.geo import haversine_km_of, haversine_terms
from evangelists.viewport import MAX_FEATURES, POINTS_ZOOM, Viewport, grid_clusters
from evangelists.vocabulary import ACTIVE_ASSIGNMENT_STATUSES, OPEN_OUTREACH_STATUSES, OPEN_REQUEST_STATUSES

COORDINATE_DIGITS = 5  # about a metre: more says nothing, fewer moves town halls


@dataclass(frozen=True)
class MapFilters:
    """What a map view is narrowed to. ``None`` means "all"."""

    prefecture: str | None = None  # JIS code "01".."47"
    topic: str | None = None  # topic slug: evangelists' skills and requests' topics
    stage: str | None = None  # municipalities' engagement stage
    status: str | None = None  # the layer's own status vocabulary
    gap_km: float = DEFAULT_GAP_KM
    # A regional coordinator's regions (None: the country): the staff layers keep to them.
    regions: frozenset[str] | None = None


@dataclass(frozen=True)
class Layer:
    features: list[dict] = field(default_factory=list)
    updated_at: datetime | None = None
    extra: dict = field(default_factory=dict)

    def as_geojson(self) -> dict:
        return {"type": "FeatureCollection", **self.extra, "features": self.features}


def _feature(fid: str | int, lon: float, lat: float, properties: dict) -> dict:
    return {
        "type": "Feature",
        "id": fid,
        "geometry": {
            "type": "Point",
            "coordinates": [round(lon, COORDINATE_DIGITS), round(lat, COORDINATE_DIGITS)],
        },
        "properties": properties,
    }


def _newest(*stamps: datetime | None) -> datetime | None:
    present = [s for s in stamps if s is not None]
    return max(present) if present else None


def _in_place(column, filters: MapFilters):
    """A WHERE clause keeping rows whose municipality (``column``) is in the filters'
    prefecture and regions (each None: anywhere)."""
    where = []
    if filters.prefecture is not None:
        where.append(Prefecture.code == filters.prefecture)
    if filters.regions is not None:
        where.append(Prefecture.region.in_(sorted(filters.regions)))
    if not where:
        return sa.true()
    return column.in_(sa.select(Municipality.id).join(Prefecture).where(*where))


def _with_topic(link_table, link_column, owner_column, slug: str | None):
    if slug is None:
        return sa.true()
    return owner_column.in_(
        sa.select(link_column).join(Topic, Topic.id == link_table.c.topic_id).where(Topic.slug == slug)
    )


# --- municipalities -------------------------------------------------------------------


def _municipalities(filters: MapFilters) -> sa.Select:
    m = Municipality
    query = (
        sa.select(m.code, m.name, m.name_romaji, Prefecture.code, m.kind, m.lat, m.lon,
                  m.open_data_status, m.engagement_stage)
        .join(Prefecture)
        .order_by(m.code)
    )
    if filters.prefecture:
        query = query.where(Prefecture.code == filters.prefecture)
    if filters.regions is not None:
        query = query.where(Prefecture.region.in_(sorted(filters.regions)))
    if filters.stage:
        query = query.where(m.engagement_stage == filters.stage)
    if filters.status:
        query = query.where(m.open_data_status == filters.status)
    return query


def municipality_layer(filters: MapFilters) -> Layer:
    """Every municipality with its open-data status and engagement stage (public data)."""
    query = _municipalities(filters)
    features = [
        _feature(code, lon, lat, {
            "code": code, "name": name, "romaji": romaji, "pref": pref,
            "kind": kind, "od": od, "stage": stage,
        })
        for code, name, romaji, pref, kind, lat, lon, od, stage in db.session.execute(query)
    ]
    # One aggregate instead of converting 1,741 timestamps in Python (a third of the time).
    newest = db.session.scalar(query.with_only_columns(sa.func.max(Municipality.updated_at)).order_by(None))
    return Layer(features, newest)


def municipality_layer_version(filters: MapFilters) -> tuple:
    """What changes whenever :func:`municipality_layer` would show something else: how
    many rows it shows and the newest ``updated_at`` among them (one aggregate query).
    Everything the layer shows is a column of those rows, its prefecture's code aside,
    which never changes for a municipality."""
    query = _municipalities(filters).with_only_columns(
        sa.func.count(), sa.func.max(Municipality.updated_at)).order_by(None)
    return tuple(db.session.execute(query).one())


# --- what a viewport shows ------------------------------------------------------------
#
# The point layers that grow with the programme (communities, evangelists, requests) answer
# for a viewport (evangelists/viewport.py): the positions of every row a layer's filters
# choose are read once per data version (two queries) and kept as numpy columns; a view
# counts its points there, and either groups them into clusters (no further query) or
# reads its points from the database, within the box and at most MAX_FEATURES of them.

WHOLE_LAYER = Viewport()  # no box: every row, clustered over the whole map when there are many


@dataclass(frozen=True)
class _Positions:
    lats: np.ndarray
    lons: np.ndarray
    newest: datetime | None


def _positions(kind: str, filters: MapFilters, chosen: sa.Select, lat, lon, updated) -> _Positions:
    def read() -> _Positions:
        rows = db.session.execute(chosen.with_only_columns(lat, lon).order_by(None)).all()
        lats, lons = zip(*rows, strict=True) if rows else ((), ())  # numpy on a list of Rows is 20x slower
        newest = db.session.scalar(chosen.with_only_columns(sa.func.max(updated)).order_by(None))
        return _Positions(np.array(lats, dtype=np.float64), np.array(lons, dtype=np.float64), newest)

    return until_data_changes(("map positions", kind, filters), read)


@dataclass(frozen=True)
class _View:
    viewport: Viewport
    lat: sa.ColumnElement
    lon: sa.ColumnElement
    total: int  # rows the filters choose, anywhere
    in_view: int  # of those, inside the viewport's box
    clusters: Layer | None  # the answer, when the view is clustered

    def points(self, query: sa.Select) -> sa.Select:
        """``query`` narrowed to the box, with one row more than may be shown (to tell
        whether the points were capped)."""
        v = self.viewport
        if v.given:
            query = query.where(self.lat.between(v.south, v.north), self.lon.between(v.west, v.east))
        return query.limit(MAX_FEATURES + 1)

    def layer(self, features: list[dict], newest: datetime | None, *, capped: bool = False) -> Layer:
        return Layer(features, newest, _view_extra(self.viewport, self.total, self.in_view, False, capped))


def _view_extra(viewport: Viewport, total: int, in_view: int, clustered: bool, capped: bool) -> dict:
    return {"total": total, "in_view": in_view, "clustered": clustered, "capped": capped,
            "zoom": viewport.zoom, "bbox": viewport.bbox if viewport.given else None}


def _in_view(kind: str, filters: MapFilters, viewport: Viewport, chosen: sa.Select, lat, lon, updated) -> _View:
    """Where ``chosen``'s rows (a SELECT with the layer's joins and filters) fall in
    ``viewport``: clustered when more than MAX_FEATURES are inside and the zoom is below
    POINTS_ZOOM, else left to the layer to read as points (:meth:`_View.points`)."""
    positions = _positions(kind, filters, chosen, lat, lon, updated)
    inside = viewport.contains(positions.lats, positions.lons)
    in_view = int(np.count_nonzero(inside))
    total = len(positions.lats)
    clusters = None
    if in_view > MAX_FEATURES and viewport.zoom < POINTS_ZOOM:
        features = [
            {"type": "Feature", "id": c.key,
             "geometry": {"type": "Point", "coordinates": [c.lon, c.lat]},
             "properties": {"cluster": True, "count": c.count, "bbox": list(c.bbox)}}
            for c in grid_clusters(positions.lats[inside], positions.lons[inside], viewport, MAX_FEATURES)
        ]
        clusters = Layer(features, positions.newest, _view_extra(viewport, total, in_view, True, False))
    return _View(viewport, lat, lon, total, in_view, clusters)


# --- communities ----------------------------------------------------------------------


def _community_rows(filters: MapFilters) -> sa.Select:
    c = Community
    query = (
        sa.select(c.id, c.name, c.website, c.status, c.member_count, c.lat, c.lon, c.updated_at,
                  Municipality.code, Municipality.name, Municipality.name_romaji)
        .join(Municipality, c.municipality_id == Municipality.id)
        .where(_in_place(c.municipality_id, filters))
        .order_by(c.id)
    )
    if filters.status:
        query = query.where(c.status == filters.status)
    return query


def community_layer(filters: MapFilters, viewport: Viewport = WHOLE_LAYER) -> Layer:
    """Civic-tech communities: organisations, so public; their contact address is left out.
    Bounded by ``viewport`` (see :func:`_in_view`)."""
    c = Community
    query = _community_rows(filters)
    view = _in_view("communities", filters, viewport, query, c.lat, c.lon, c.updated_at)
    if view.clusters is not None:
        return view.clusters
    features, newest = [], None
    rows = db.session.execute(view.points(query)).all()
    for cid, name, website, status, members, lat, lon, updated, mcode, mname, mromaji in rows[:MAX_FEATURES]:
        features.append(_feature(cid, lon, lat, {
            "name": name, "website": website, "status": status, "members": members,
            "code": mcode, "place": mname, "place_romaji": mromaji,
        }))
        newest = _newest(newest, updated)
    return view.layer(features, newest, capped=len(rows) > MAX_FEATURES)


# --- evangelists ----------------------------------------------------------------------


def _active_assignment_counts() -> sa.Subquery:
    return (
        sa.select(Assignment.evangelist_id.label("evangelist_id"),
                  sa.func.count().label("load"),
                  sa.func.max(Assignment.updated_at).label("updated_at"))
        .where(Assignment.status.in_(ACTIVE_ASSIGNMENT_STATUSES))
        .group_by(Assignment.evangelist_id)
        .subquery()
    )


def _skills_by_evangelist(ids: Iterable[int]) -> dict[int, list[str]]:
    ids = list(ids)
    skills: dict[int, list[str]] = defaultdict(list)
    if not ids:
        return skills
    rows = db.session.execute(
        sa.select(evangelist_skills.c.evangelist_id, Topic.slug)
        .join(Topic, Topic.id == evangelist_skills.c.topic_id)
        .where(evangelist_skills.c.evangelist_id.in_(ids))
        .order_by(evangelist_skills.c.evangelist_id, Topic.position)
    )
    for evangelist_id, slug in rows:
        skills[evangelist_id].append(slug)
    return skills


def evangelist_layer(filters: MapFilters, viewport: Viewport = WHOLE_LAYER) -> Layer:
    """Evangelists (active ones unless ``filters.status`` says otherwise) at their home base,
    with skills and load, bounded by ``viewport`` (see :func:`_in_view`). Personal data:
    coordinators only."""
    e = Evangelist
    chosen = (
        sa.select(e.id)
        .join(Municipality, e.home_municipality_id == Municipality.id)
        .where(e.status == (filters.status or "active"))
        .where(_in_place(e.home_municipality_id, filters))
        .where(_with_topic(evangelist_skills, evangelist_skills.c.evangelist_id, e.id, filters.topic))
    )
    view = _in_view("evangelists", filters, viewport, chosen, e.lat, e.lon, e.updated_at)
    if view.clusters is not None:
        return view.clusters
    load = _active_assignment_counts()
    query = view.points(
        chosen.with_only_columns(
            e.id, e.family_name, e.given_name, e.lat, e.lon, e.capacity, e.travel_radius_km,
            e.online_ok, e.status, e.updated_at, sa.func.coalesce(load.c.load, 0),
            load.c.updated_at, Municipality.code, Municipality.name, Municipality.name_romaji)
        .outerjoin(load, load.c.evangelist_id == e.id)
        .order_by(e.id)
    )
    rows = db.session.execute(query).all()
    capped = len(rows) > MAX_FEATURES
    rows = rows[:MAX_FEATURES]
    skills = _skills_by_evangelist(r[0] for r in rows)
    features, newest = [], None
    for (eid, family, given, lat, lon, capacity, radius, online, status, updated, busy,
         load_updated, mcode, mname, mromaji) in rows:
        features.append(_feature(eid, lon, lat, {
            "name": f"{family} {given}", "status": status, "capacity": capacity, "load": busy,
            "radius": radius, "online": online, "skills": skills.get(eid, []),
            "code": mcode, "place": mname, "place_romaji": mromaji,
        }))
        newest = _newest(newest, updated, load_updated)
    return view.layer(features, newest, capped=capped)


# --- requests -------------------------------------------------------------------------


def request_layer(filters: MapFilters, viewport: Viewport = WHOLE_LAYER) -> Layer:
    """Support requests (open ones unless ``filters.status`` names one status) at their
    municipality, bounded by ``viewport`` (see :func:`_in_view`). Coordinators only."""
    r = SupportRequest
    statuses = (filters.status,) if filters.status else OPEN_REQUEST_STATUSES
    chosen = (
        sa.select(r.id)
        .join(Municipality, r.municipality_id == Municipality.id)
        .where(r.status.in_(statuses))
        .where(_in_place(r.municipality_id, filters))
        .where(_with_topic(request_topics, request_topics.c.request_id, r.id, filters.topic))
    )
    view = _in_view("requests", filters, viewport, chosen, Municipality.lat, Municipality.lon, r.updated_at)
    if view.clusters is not None:
        return view.clusters
    query = view.points(chosen.with_only_columns(
        r.id, r.status, r.preferred_mode, r.created_at, r.updated_at,
        Municipality.code, Municipality.name, Municipality.name_romaji,
        Municipality.lat, Municipality.lon,
    ).order_by(r.id))
    rows = db.session.execute(query).all()
    capped = len(rows) > MAX_FEATURES
    rows = rows[:MAX_FEATURES]
    topics: dict[int, list[str]] = defaultdict(list)
    if rows:
        for rid, slug in db.session.execute(
            sa.select(request_topics.c.request_id, Topic.slug)
            .join(Topic, Topic.id == request_topics.c.topic_id)
            .where(request_topics.c.request_id.in_([row[0] for row in rows]))
            .order_by(request_topics.c.request_id, Topic.position)
        ):
            topics[rid].append(slug)
    features, newest = [], None
    for rid, status, mode, created, updated, mcode, mname, mromaji, lat, lon in rows:
        features.append(_feature(rid, lon, lat, {
            "status": status, "mode": mode, "received": created.date().isoformat(),
            "topics": topics.get(rid, []), "code": mcode, "name": mname, "romaji": mromaji,
        }))
        newest = _newest(newest, updated)
    return view.layer(features, newest, capped=capped)


# --- coverage gap ---------------------------------------------------------------------


def coverage_gap_layer(filters: MapFilters) -> Layer:
    """Non-active municipalities farther than ``filters.gap_km`` from the nearest active
    evangelist (with ``filters.topic`` among their skills, when given). The prefecture and
    stage filters narrow the municipalities, never the evangelists: a helper across a
    prefecture border still covers a town. Derived from evangelists' homes: coordinators only.
    """
    m = Municipality
    places_query = (
        sa.select(m.code, m.name, m.name_romaji, m.kind, m.engagement_stage, m.lat, m.lon)
        .where(m.open_data_status == "non_active")
        .where(_in_place(m.id, filters))
        .order_by(m.code)
    )
    if filters.stage:
        places_query = places_query.where(m.engagement_stage == filters.stage)
    places = db.session.execute(places_query).all()
    places_newest = db.session.scalar(places_query.with_only_columns(sa.func.max(m.updated_at)).order_by(None))
    # The helpers' positions are those of the evangelist layer filtered by topic alone:
    # read once per data version and shared with it.
    e = Evangelist
    helpers = _positions(
        "evangelists", MapFilters(topic=filters.topic),
        sa.select(e.id)
        .join(Municipality, e.home_municipality_id == Municipality.id)
        .where(e.status == "active")
        .where(_with_topic(evangelist_skills, evangelist_skills.c.evangelist_id, e.id, filters.topic)),
        e.lat, e.lon, e.updated_at,
    )
    by_code = {row.code: row for row in places}
    gap = coverage_gap(
        [Point(row.code, row.lat, row.lon) for row in places],
        [Point(str(i), lat, lon) for i, (lat, lon) in enumerate(zip(helpers.lats.tolist(), helpers.lons.tolist(), strict=True))],
        filters.gap_km,
    )
    features = []
    for reach in gap:
        row = by_code[reach.place.key]
        distance = None if reach.nearest is None else round(reach.distance_km, 1)
        features.append(_feature(row.code, row.lon, row.lat, {
            "code": row.code, "name": row.name, "romaji": row.name_romaji, "kind": row.kind,
            "stage": row.engagement_stage,
            "km": distance,
        }))
    newest = _newest(places_newest, helpers.newest)
    # Helpers across a region's border count for the distances, but the number said is
    # of those a regional coordinator may see.
    helpers_seen = len(helpers.lats) if filters.regions is None else db.session.scalar(
        sa.select(sa.func.count()).select_from(e).where(
            e.status == "active", evangelists_visible(RegionScope(filters.regions)),
            _with_topic(evangelist_skills, evangelist_skills.c.evangelist_id, e.id, filters.topic)))
    extra = {"radius_km": filters.gap_km, "non_active": len(places), "evangelists": helpers_seen}
    return Layer(features, newest, extra)


def outreach_layer(filters: MapFilters, scope: RegionScope) -> Layer:
    """The open outreach cases (app/services/outreach.py) of the towns ``scope`` may see,
    at their town office: coordinators only. Filter: prefecture, and ``status`` (one of the
    open case statuses)."""
    m, c = Municipality, OutreachCase
    query = (
        sa.select(c.id, c.status, c.next_on, c.updated_at, m.code, m.name, m.name_romaji, m.lat, m.lon)
        .join(m, c.municipality_id == m.id)
        .where(c.status.in_(OPEN_OUTREACH_STATUSES), municipality_visible(scope, c.municipality_id))
        .where(_in_place(m.id, filters))
        .order_by(m.code)
    )
    if filters.status:
        query = query.where(c.status == filters.status)
    rows = db.session.execute(query).all()
    features = [_feature(r.id, r.lon, r.lat, {
        "code": r.code, "name": r.name, "romaji": r.name_romaji, "status": r.status,
        "next": r.next_on.isoformat() if r.next_on else None,
    }) for r in rows]
    return Layer(features, _newest(*(r.updated_at for r in rows)))


# --- prefecture aggregates (public) ---------------------------------------------------


@dataclass(frozen=True)
class PrefectureFigures:
    code: str
    name_ja: str
    name_en: str
    municipalities: int
    open_data_active: int
    communities_active: int

    @property
    def adoption_rate(self) -> float:
        return self.open_data_active / self.municipalities if self.municipalities else 0.0


def prefecture_figures() -> tuple[list[PrefectureFigures], datetime | None]:
    """Per prefecture: municipalities, how many publish open data, active communities.
    Aggregates only, so public. Two queries."""
    count_active = sa.func.count().filter(Municipality.open_data_status == "active")
    municipality_rows = db.session.execute(
        sa.select(Prefecture.code, Prefecture.name_ja, Prefecture.name_en,
                  sa.func.count(Municipality.id), count_active, sa.func.max(Municipality.updated_at))
        .join(Municipality, Municipality.prefecture_id == Prefecture.id)
        .group_by(Prefecture.code, Prefecture.name_ja, Prefecture.name_en)
        .order_by(Prefecture.code)
    ).all()
    community_rows = dict(
        (code, (n, updated)) for code, n, updated in db.session.execute(
            sa.select(Prefecture.code, sa.func.count(Community.id), sa.func.max(Community.updated_at))
            .join(Municipality, Municipality.prefecture_id == Prefecture.id)
            .join(Community, Community.municipality_id == Municipality.id)
            .where(Community.status == "active")
            .group_by(Prefecture.code)
        )
    )
    figures, newest = [], None
    for code, name_ja, name_en, total, active, updated in municipality_rows:
        communities, c_updated = community_rows.get(code, (0, None))
        figures.append(PrefectureFigures(code, name_ja, name_en, total, active, communities))
        newest = _newest(newest, updated, c_updated)
    return figures, newest


def _prefecture_centres() -> dict[str, dict]:
    """A point per prefecture to hang its figures on: the median of its municipalities'
    coordinates (a mean would be dragged out to sea by Tokyo's islands)."""
    coordinates: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for code, lat, lon in db.session.execute(
        sa.select(Prefecture.code, Municipality.lat, Municipality.lon).join(Municipality.prefecture)
    ):
        coordinates[code].append((lat, lon))
    centres = {}
    for code, points in coordinates.items():
        lats, lons = sorted(p[0] for p in points), sorted(p[1] for p in points)
        mid = len(points) // 2
        centres[code] = {"type": "Point", "coordinates": [round(lons[mid], 4), round(lats[mid], 4)]}
    return centres


def prefecture_layer() -> Layer:
    """The prefecture figures as GeoJSON points (the median municipality), without outlines:
    those are a static file the browser joins by code, so the figures stay a few kilobytes."""
    figures, newest = prefecture_figures()
    centres = _prefecture_centres()
    features = [
        {"type": "Feature", "id": f.code, "geometry": centres.get(f.code), "properties": {
            "code": f.code, "name": f.name_ja, "name_en": f.name_en,
            "municipalities": f.municipalities, "open_data_active": f.open_data_active,
            "rate": round(f.adoption_rate, 4), "communities": f.communities_active,
        }}
        for f in figures
    ]
    return Layer(features, newest)


def prefecture_bounds(code: str) -> tuple[float, float, float, float] | None:
    """(south, west, north, east) around a prefecture's municipalities, or None."""
    return _bounds(Prefecture.code == code)


def region_bounds(regions: frozenset[str]) -> tuple[float, float, float, float] | None:
    """(south, west, north, east) around the municipalities of ``regions``, or None."""
    return _bounds(Prefecture.region.in_(sorted(regions)))


def _bounds(where) -> tuple[float, float, float, float] | None:
    row = db.session.execute(
        sa.select(sa.func.min(Municipality.lat), sa.func.min(Municipality.lon),
                  sa.func.max(Municipality.lat), sa.func.max(Municipality.lon))
        .join(Prefecture).where(where)
    ).one()
    return None if row[0] is None else tuple(row)


# --- what is near a place -------------------------------------------------------------


@dataclass(frozen=True)
class Nearby:
    """Something within reach of a place, as (id, lat, lon, properties) for a small map."""

    id: int
    name: str
    lat: float
    lon: float
    distance_km: float
    properties: dict

    def as_point(self) -> tuple:
        return (self.id, self.lat, self.lon, self.properties)


def _box(lat: float, lon: float, km: float, lat_col, lon_col):
    """A cheap index-friendly pre-filter before the exact distance (1° latitude ≈ 111 km)."""
    dlat = km / 110.5
    dlon = km / (111.3 * max(math.cos(math.radians(lat)), 0.2))
    return sa.and_(lat_col.between(lat - dlat, lat + dlat), lon_col.between(lon - dlon, lon + dlon))


NEARBY_LIMIT = 60  # the nearest this many at most: a small map and its list stay small in a city


class Nearest(list):
    """What is within reach of a place, nearest first, at most NEARBY_LIMIT of it;
    ``beyond`` counts what is within reach too but farther than the last one shown."""

    beyond: int = 0


def _nearest(rows, lat: float, lon: float, km: float, limit: int) -> tuple[list[int], dict[int, float], int]:
    """Of ``rows`` (id, lat, lon) found in the box around a point: the ids within ``km``,
    nearest first (ties by id), at most ``limit``; their distances; how many were within."""
    if not rows:
        return [], {}, 0
    ids, lats, lons = (np.array(column) for column in zip(*rows, strict=True))
    distances = haversine_km_of(haversine_terms(np.array([lat]), np.array([lon]), lats, lons)[0])
    within = np.flatnonzero(distances <= km)
    order = within[np.lexsort((ids[within], distances[within]))][:limit]
    chosen = [int(i) for i in ids[order]]
    return chosen, dict(zip(chosen, (float(d) for d in distances[order]), strict=True)), len(within)


def _active_in_reach(model, lat: float, lon: float, km: float, limit: int,
                     where=None) -> tuple[Nearest, list[int], dict]:
    """The active rows of ``model`` (Community or Evangelist) within ``km``, nearest first
    (and ``where``, when given): an empty Nearest that knows how many more are in reach,
    the chosen ids and their distances (one query over the bounding box)."""
    in_box = db.session.execute(
        sa.select(model.id, model.lat, model.lon)
        .where(model.status == "active", _box(lat, lon, km, model.lat, model.lon),
               where if where is not None else sa.true())
    ).all()
    chosen, distances, within = _nearest(in_box, lat, lon, km, limit)
    found = Nearest()
    found.beyond = within - len(chosen)
    return found, chosen, distances


def communities_near(lat: float, lon: float, km: float, limit: int = NEARBY_LIMIT) -> Nearest:
    """Active communities within ``km`` of a point, nearest first, at most ``limit``
    (three queries at most, whatever the number in reach)."""
    c = Community
    found, chosen, distances = _active_in_reach(c, lat, lon, km, limit)
    if not chosen:
        return found
    rows = db.session.execute(
        sa.select(c.id, c.name, c.website, c.status, c.member_count, c.lat, c.lon,
                  Municipality.code, Municipality.name, Municipality.name_romaji, c.public)
        .join(Municipality, c.municipality_id == Municipality.id)
        .where(c.id.in_(chosen))
    ).all()
    by_id = {row[0]: row for row in rows}
    for cid in chosen:
        _cid, name, website, status, members, clat, clon, mcode, mname, mromaji, listed = by_id[cid]
        # ``public``: listed in the public directory, so its name links to its public page.
        found.append(Nearby(cid, name, clat, clon, distances[cid], {
            "name": name, "website": website, "status": status, "members": members,
            "code": mcode, "place": mname, "place_romaji": mromaji, "public": bool(listed),
        }))
    return found


def evangelists_near(lat: float, lon: float, km: float, limit: int = NEARBY_LIMIT, *,
                     scope: RegionScope = NATIONAL) -> Nearest:
    """Active evangelists whose home is within ``km`` of a point (and in ``scope``: a
    regional coordinator's), nearest first, at most ``limit``. Personal data: for
    coordinators' pages only."""
    e = Evangelist
    found, chosen, distances = _active_in_reach(e, lat, lon, km, limit, evangelists_visible(scope))
    if not chosen:
        return found
    load = _active_assignment_counts()
    rows = db.session.execute(
        sa.select(e.id, e.family_name, e.given_name, e.lat, e.lon, e.capacity, e.travel_radius_km,
                  e.online_ok, e.status, sa.func.coalesce(load.c.load, 0),
                  Municipality.code, Municipality.name, Municipality.name_romaji)
        .join(Municipality, e.home_municipality_id == Municipality.id)
        .outerjoin(load, load.c.evangelist_id == e.id)
        .where(e.id.in_(chosen))
    ).all()
    skills = _skills_by_evangelist(chosen)
    by_id = {row[0]: row for row in rows}
    for eid in chosen:
        _eid, family, given, elat, elon, capacity, radius, online, status, busy, mcode, mname, mromaji = by_id[eid]
        name = f"{family} {given}"
        found.append(Nearby(eid, name, elat, elon, distances[eid], {
            "name": name, "status": status, "capacity": capacity, "load": busy, "radius": radius,
            "online": online, "skills": skills.get(eid, []), "code": mcode, "place": mname,
            "place_romaji": mromaji,
        }))
    return found
