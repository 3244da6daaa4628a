"""The coordinators' dashboard: what the programme has reached, as figures (read-only).

Each ``*_figures`` function runs one to three queries whatever the data size (its
docstring says which), aggregating in SQL (GROUP BY, COUNT ... FILTER) so that a few
rows per figure come back, not one per request or evangelist (the coverage gap, which
needs every active evangelist's position, is the exception); the arithmetic on those
rows is in ``evangelists.reports`` and ``evangelists.coverage``. The page reads
:func:`kept_dashboard`: the figures made once per data version. Results are frozen dataclasses
holding vocabulary codes and names in both languages: the page picks labels and formats
numbers for the reader's language.

Days are Japanese days: a request's date is its ``created_at`` in Japan's zone, and the
caller passes ``today`` (``today_in_japan()`` in the web layer, a fixed date in tests).

Every figure takes a :class:`Scope`: the regions and prefecture it covers (by the
prefecture of the municipality a request, visit or outcome is for, or of an evangelist's
home base) and the fiscal year (年度, ``evangelists.fiscal``) of the flows: requests
received, visits and outcomes. Stocks (open data now, open requests, load, the coverage
gap, diversity) are as of today whatever the fiscal year. ``Scope.regions`` is also how a
caller holds someone to the regions they may see: :func:`scope_for` intersects it with
the regions and prefecture asked for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

from app.extensions import db
from app.models import (
    Assignment,
    Evangelist,
    Municipality,
    Outcome,
    Prefecture,
    SupportRequest,
    Visit,
)
from app.services.versioned import until_data_changes
from evangelists import fiscal
from evangelists.calendar import PROGRAMME_ZONE, PROGRAMME_ZONE_KEY
from evangelists.coverage import DEFAULT_GAP_KM, Point, coverage_gap
from evangelists.reports import (
    LOAD_BUCKETS,
    Median,
    TimelinePoint,
    cumulative_by_quarter,
    last_months,
    load_buckets,
    median_of_counts,
    suppress_small,
)
from evangelists.vocabulary import (
    ACTIVE_ASSIGNMENT_STATUSES,
    AGE_BANDS,
    GENDERS,
    OPEN_REQUEST_STATUSES,
    OUTCOME_TYPES,
    REGIONS,
    VISIT_MODES,
)

VISIT_MONTHS = (12, 24)


def _int(value) -> int:
    """SQL counts and EXTRACT results as int (PostgreSQL's EXTRACT gives a Decimal)."""
    return int(value or 0)


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


# --- what the figures cover -----------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """What the figures cover. ``regions``: region codes (``vocabulary.REGIONS``), None
    for every one; ``prefecture``: one prefecture's code, None for every prefecture of
    ``regions``; ``fiscal_year``: the 年度 of requests received, visits and outcomes, None
    for all years. A prefecture outside ``regions`` covers nothing."""

    regions: frozenset[str] | None = None
    prefecture: str | None = None
    fiscal_year: int | None = None

    @property
    def everywhere(self) -> bool:
        return self.regions is None and self.prefecture is None


EVERYTHING = Scope()


class OutOfScope(ValueError):
    """A region asked for that the caller's ``allowed`` regions leave out."""

    def __init__(self, region: str, allowed: frozenset[str]) -> None:
        super().__init__(f"region {region!r} is not one of {sorted(allowed)}")
        self.region, self.allowed = region, allowed


def scope_for(*, region: str | None = None, prefecture: str | None = None, fiscal_year: int | None = None,
              regions: frozenset[str] | None = None) -> Scope:
    """The scope of a dashboard asked for ``region`` and ``prefecture`` (or neither) by
    someone who may see ``regions`` only (None: every region). Raises ``OutOfScope`` for
    a region they may not see, ``ValueError`` for a region that does not exist. A
    prefecture is checked by the figures themselves: one outside the regions gives
    nothing."""
    if region is not None and region not in REGIONS:
        raise ValueError(f"unknown region {region!r}")
    if regions is not None:
        regions = frozenset(regions) & frozenset(REGIONS)
    if region is None:
        chosen = regions
    elif regions is not None and region not in regions:
        raise OutOfScope(region, regions)
    else:
        chosen = frozenset({region})
    return Scope(chosen, prefecture or None, fiscal_year)


def _prefecture_condition(scope: Scope):
    """The condition on ``Prefecture`` that keeps the scope's prefectures; None for all."""
    conditions = []
    if scope.regions is not None:
        conditions.append(Prefecture.region.in_(sorted(scope.regions)))
    if scope.prefecture is not None:
        conditions.append(Prefecture.code == scope.prefecture)
    return sa.and_(*conditions) if conditions else None


def _in_scope(municipality_id, scope: Scope):
    """``municipality_id`` (a column) is a municipality of the scope's prefectures: an IN
    over a subquery, so no extra round trip; None when the scope is everywhere."""
    condition = _prefecture_condition(scope)
    if condition is None:
        return None
    return municipality_id.in_(
        sa.select(Municipality.id).join(Prefecture, Municipality.prefecture_id == Prefecture.id).where(condition)
    )


def _where(stmt, *conditions):
    """``stmt`` with the conditions that are not None."""
    kept = [c for c in conditions if c is not None]
    return stmt.where(*kept) if kept else stmt


def _received_in(scope: Scope):
    """Requests received (``created_at``, a Japanese day) in the scope's fiscal year."""
    if scope.fiscal_year is None:
        return None
    start, end = fiscal.moment_bounds(scope.fiscal_year)
    return sa.and_(SupportRequest.created_at >= start, SupportRequest.created_at < end)


# --- 1. open data ---------------------------------------------------------------------


@dataclass(frozen=True)
class PrefectureAdoption:
    code: str
    name_ja: str
    name_en: str
    municipalities: int
    active: int

    @property
    def share(self) -> float | None:
        return _share(self.active, self.municipalities)


@dataclass(frozen=True)
class OpenDataFigures:
    """Municipalities publishing open data now, nationally and per prefecture, and when
    they started: ``timeline`` is the cumulative count by quarter of those active now,
    starting from ``before_records`` (active, with no start date recorded)."""

    municipalities: int
    active: int
    prefectures: tuple[PrefectureAdoption, ...]
    before_records: int
    timeline: tuple[TimelinePoint, ...]
    by_fiscal_year: tuple[tuple[int, int], ...] = ()  # (年度, how many of them started in it)

    @property
    def share(self) -> float | None:
        return _share(self.active, self.municipalities)


def open_data_figures(today: date, scope: Scope = EVERYTHING) -> OpenDataFigures:
    """Two queries: counts per prefecture, and starts per month (NULL = no date). As of
    today: the fiscal year of the scope does not apply (``by_fiscal_year`` gives the
    starts of every year)."""
    m = Municipality
    per_prefecture = tuple(
        PrefectureAdoption(code, name_ja, name_en, _int(total), _int(active))
        for code, name_ja, name_en, total, active in db.session.execute(
            _where(sa.select(Prefecture.code, Prefecture.name_ja, Prefecture.name_en, sa.func.count(m.id),
                             sa.func.count(m.id).filter(m.open_data_status == "active"))
                   .outerjoin(m, m.prefecture_id == Prefecture.id), _prefecture_condition(scope))
            .group_by(Prefecture.code, Prefecture.name_ja, Prefecture.name_en)
            .order_by(Prefecture.code)
        )
    )
    year, month = sa.extract("year", m.open_data_since), sa.extract("month", m.open_data_since)
    by_month, before = {}, 0
    for y, mo, n in db.session.execute(
        _where(sa.select(year, month, sa.func.count()).where(m.open_data_status == "active"), _in_scope(m.id, scope))
        .group_by(year, month)
    ):
        if y is None:
            before += _int(n)
        else:
            by_month[(_int(y), _int(mo))] = _int(n)
    return OpenDataFigures(
        municipalities=sum(p.municipalities for p in per_prefecture),
        active=sum(p.active for p in per_prefecture),
        prefectures=per_prefecture,
        before_records=before,
        timeline=cumulative_by_quarter(by_month, before, today),
        by_fiscal_year=tuple(sorted(fiscal.per_fiscal_year(by_month).items())),
    )


# --- 2. requests ----------------------------------------------------------------------


@dataclass(frozen=True)
class RequestFigures:
    """Open requests by status (every open status, in workflow order), and the median
    calendar days from a request to its first assignment (the first proposal, whatever
    became of it) and to its first visit, over every request that got one."""

    open_by_status: tuple[tuple[str, int], ...]
    to_assignment: Median
    to_visit: Median

    @property
    def open_total(self) -> int:
        return sum(n for _, n in self.open_by_status)


def _japan_day(column, *, timestamp: bool):
    """An expression numbering the Japanese calendar day of ``column`` (a UTC timestamp,
    or a date when ``timestamp`` is False) so that subtracting two gives the days between
    them: a Julian day on SQLite, a date on PostgreSQL (where date - date is a number of
    days). Japan keeps no summer time, so on SQLite its day is the UTC time plus the
    zone's fixed offset."""
    if db.session.get_bind().dialect.name == "postgresql":
        return sa.cast(sa.func.timezone(PROGRAMME_ZONE_KEY, column), sa.Date) if timestamp else column
    if timestamp:
        hours = int(PROGRAMME_ZONE.utcoffset(datetime(2000, 1, 1)).total_seconds() // 3600)
        column = sa.func.date(column, f"{hours:+d} hours")
    return sa.func.julianday(column)


def _days_between(start, end):
    """``end - start`` in whole days, for two :func:`_japan_day` expressions."""
    return sa.cast(end - start, sa.Integer)


def _day_counts(days: sa.ColumnElement, conditions, *joins) -> dict[int, int]:
    """How many requests took each number of days (NULL ones left out): ``days`` computed
    per request over ``support_requests`` joined with ``joins`` (target, on) pairs, then
    counted per value (GROUP BY), so a few hundred rows come back rather than one per
    request. The outer GROUP BY names a column, which PostgreSQL accepts whatever
    parameters the expression holds."""
    per_request = _where(sa.select(days.label("days")).select_from(SupportRequest), *conditions)
    for target, on in joins:
        per_request = per_request.join(target, on)
    inner = per_request.subquery()
    return {
        _int(d): _int(n)
        for d, n in db.session.execute(
            sa.select(inner.c.days, sa.func.count()).where(inner.c.days.is_not(None)).group_by(inner.c.days)
        )
    }


def request_figures(scope: Scope = EVERYTHING) -> RequestFigures:
    """Three queries: open requests by status (as of today, whatever the fiscal year);
    how many requests received in the scope's fiscal year took each number of days to
    their first assignment; and to their first visit (GROUP BY the days, which the
    database computes in Japan's calendar)."""
    place = _in_scope(SupportRequest.municipality_id, scope)
    counts = dict(
        db.session.execute(
            _where(sa.select(SupportRequest.status, sa.func.count())
                   .where(SupportRequest.status.in_(OPEN_REQUEST_STATUSES)), place)
            .group_by(SupportRequest.status)
        ).all()
    )
    first_assignment = (
        sa.select(Assignment.request_id.label("request_id"), sa.func.min(Assignment.created_at).label("at"))
        .group_by(Assignment.request_id)
        .subquery()
    )
    first_visit = (
        sa.select(Assignment.request_id.label("request_id"), sa.func.min(Visit.visited_on).label("on"))
        .join(Visit, Visit.assignment_id == Assignment.id)
        .group_by(Assignment.request_id)
        .subquery()
    )
    created = _japan_day(SupportRequest.created_at, timestamp=True)
    conditions = (place, _received_in(scope))
    to_assignment = _day_counts(
        _days_between(created, _japan_day(first_assignment.c.at, timestamp=True)), conditions,
        (first_assignment, first_assignment.c.request_id == SupportRequest.id),
    )
    # Every visit belongs to an assignment: the requests with a visit had one.
    to_visit = _day_counts(
        _days_between(created, _japan_day(first_visit.c.on, timestamp=False)), conditions,
        (first_visit, first_visit.c.request_id == SupportRequest.id),
    )
    return RequestFigures(
        open_by_status=tuple((status, _int(counts.get(status))) for status in OPEN_REQUEST_STATUSES),
        to_assignment=median_of_counts(to_assignment),
        to_visit=median_of_counts(to_visit),
    )


# --- 3. visits ------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthVisits:
    month: date  # its first day
    by_mode: tuple[tuple[str, int], ...]  # every visit mode, in vocabulary order

    @property
    def total(self) -> int:
        return sum(n for _, n in self.by_mode)


@dataclass(frozen=True)
class VisitFigures:
    months: tuple[MonthVisits, ...]  # oldest first: the last months, or a fiscal year's twelve
    # Every fiscal year with a visit: (年度, every visit mode with its count), oldest first.
    by_fiscal_year: tuple[tuple[int, tuple[tuple[str, int], ...]], ...] = ()

    @property
    def by_mode(self) -> tuple[tuple[str, int], ...]:
        """Every visit mode with its total over the months."""
        return tuple((mode, sum(dict(m.by_mode)[mode] for m in self.months)) for mode in VISIT_MODES)

    @property
    def total(self) -> int:
        return sum(m.total for m in self.months)


def _visit_scope(stmt, scope: Scope):
    """``stmt`` (over visits) kept to the visits for the scope's municipalities."""
    place = _in_scope(SupportRequest.municipality_id, scope)
    if place is None:
        return stmt
    return (stmt.join(Assignment, Visit.assignment_id == Assignment.id)
            .join(SupportRequest, Assignment.request_id == SupportRequest.id).where(place))


def visit_figures(today: date, months: int = 12, scope: Scope = EVERYTHING) -> VisitFigures:
    """Visits per calendar month and mode over the last ``months`` months (today's
    included, even when a visit was logged a day ahead), or over the twelve months of the
    scope's fiscal year; and per fiscal year. One query (every month with a visit: a few
    rows a month)."""
    firsts = last_months(today, months) if scope.fiscal_year is None else fiscal.months(scope.fiscal_year)
    v = Visit
    year, month = sa.extract("year", v.visited_on), sa.extract("month", v.visited_on)
    counts = {
        (_int(y), _int(mo), mode): _int(n)
        for y, mo, mode, n in db.session.execute(
            _visit_scope(sa.select(year, month, v.mode, sa.func.count()), scope).group_by(year, month, v.mode)
        )
    }
    per_year: dict[int, dict[str, int]] = {}
    for (y, mo, mode), n in counts.items():
        modes = per_year.setdefault(fiscal.fiscal_year(date(y, mo, 1)), dict.fromkeys(VISIT_MODES, 0))
        modes[mode] = modes.get(mode, 0) + n
    return VisitFigures(
        tuple(
            MonthVisits(first, tuple((mode, counts.get((first.year, first.month, mode), 0)) for mode in VISIT_MODES))
            for first in firsts
        ),
        tuple((fy, tuple((mode, per_year[fy][mode]) for mode in VISIT_MODES)) for fy in sorted(per_year)),
    )


# --- 4. outcomes ----------------------------------------------------------------------


@dataclass(frozen=True)
class OutcomeCount:
    type: str
    outcomes: int
    datasets: int | None  # the datasets they published (datasets_published only)


@dataclass(frozen=True)
class OutcomeFigures:
    by_type: tuple[OutcomeCount, ...]  # every outcome type, in vocabulary order
    # Every fiscal year with an outcome: (年度, outcomes, datasets published), oldest first.
    by_fiscal_year: tuple[tuple[int, int, int], ...] = ()

    @property
    def total(self) -> int:
        return sum(o.outcomes for o in self.by_type)

    @property
    def datasets(self) -> int:
        return sum(o.datasets or 0 for o in self.by_type)


def outcome_figures(scope: Scope = EVERYTHING) -> OutcomeFigures:
    """The outcomes recorded on visits in the scope's fiscal year (every one without), by
    type, and per fiscal year of their visit. One query, by type and month."""
    year, month = sa.extract("year", Visit.visited_on), sa.extract("month", Visit.visited_on)
    rows: dict[str, tuple[int, int]] = {}
    per_year: dict[int, tuple[int, int]] = {}
    for kind, y, mo, n, datasets in db.session.execute(
        _visit_scope(sa.select(Outcome.type, year, month, sa.func.count(), sa.func.sum(Outcome.count))
                     .select_from(Outcome).join(Visit, Outcome.visit_id == Visit.id), scope)
        .group_by(Outcome.type, year, month)
    ):
        fy = fiscal.fiscal_year(date(_int(y), _int(mo), 1))
        published = _int(datasets) if kind == "datasets_published" else 0
        was = per_year.get(fy, (0, 0))
        per_year[fy] = (was[0] + _int(n), was[1] + published)
        if scope.fiscal_year is None or fy == scope.fiscal_year:
            had = rows.get(kind, (0, 0))
            rows[kind] = (had[0] + _int(n), had[1] + _int(datasets))
    return OutcomeFigures(tuple(
        OutcomeCount(kind, rows.get(kind, (0, 0))[0],
                     rows.get(kind, (0, 0))[1] if kind == "datasets_published" else None)
        for kind in OUTCOME_TYPES
    ), tuple((fy, n, d) for fy, (n, d) in sorted(per_year.items())))


# --- 5. funnel ------------------------------------------------------------------------


@dataclass(frozen=True)
class Funnel:
    """``requests``: every request received, whatever its status now. ``visited``: those
    with at least one logged visit. ``active``: those visited whose municipality
    publishes open data now. Each step is part of the one before."""

    requests: int
    visited: int
    active: int

    @property
    def steps(self) -> tuple[tuple[str, int], ...]:
        return (("requests", self.requests), ("visited", self.visited), ("active", self.active))


def funnel_figures(scope: Scope = EVERYTHING) -> Funnel:
    """One query: every request (received in the scope's fiscal year), joined with the set of requests that have a visit
    (DISTINCT over visits and their assignments, read once rather than probed per
    request)."""
    r = SupportRequest
    visited = (
        sa.select(Assignment.request_id.label("request_id"))
        .join(Visit, Visit.assignment_id == Assignment.id)
        .distinct()
        .subquery()
    )
    requests, with_visit, active = db.session.execute(
        _where(sa.select(sa.func.count(r.id), sa.func.count(visited.c.request_id),
                         sa.func.count(visited.c.request_id).filter(Municipality.open_data_status == "active"))
               .select_from(r)
               .join(Municipality, r.municipality_id == Municipality.id)
               .outerjoin(visited, visited.c.request_id == r.id),
               _in_scope(r.municipality_id, scope), _received_in(scope))
    ).one()
    return Funnel(_int(requests), _int(with_visit), _int(active))


# --- 6. evangelist load ---------------------------------------------------------------


@dataclass(frozen=True)
class LoadFigures:
    """Active evangelists by how much of their capacity their active assignments
    (proposed or accepted) take up (``evangelists.reports.LOAD_BUCKETS``)."""

    buckets: tuple[tuple[str, int], ...]
    assignments: int  # active assignments held by active evangelists
    capacity: int  # the sum of their capacities

    @property
    def evangelists(self) -> int:
        return sum(n for _, n in self.buckets)


def load_figures(scope: Scope = EVERYTHING) -> LoadFigures:
    """One query: active evangelists (based in the scope, as of today) counted per
    (capacity, active assignments)."""
    load = (
        sa.select(Assignment.evangelist_id.label("evangelist_id"), sa.func.count().label("n"))
        .where(Assignment.status.in_(ACTIVE_ASSIGNMENT_STATUSES))
        .group_by(Assignment.evangelist_id)
        .subquery()
    )
    each = _where(
        sa.select(Evangelist.capacity.label("capacity"), sa.func.coalesce(load.c.n, 0).label("n"))
        .outerjoin(load, load.c.evangelist_id == Evangelist.id)
        .where(Evangelist.status == "active"),
        _in_scope(Evangelist.home_municipality_id, scope),
    ).subquery()
    rows = db.session.execute(
        sa.select(each.c.capacity, each.c.n, sa.func.count()).group_by(each.c.capacity, each.c.n)
    ).all()
    capacities, loads, people = [_int(r[0]) for r in rows], [_int(r[1]) for r in rows], [_int(r[2]) for r in rows]
    buckets = load_buckets(loads, capacities, people)
    return LoadFigures(
        tuple((key, buckets[key]) for key in LOAD_BUCKETS),
        sum(n * k for n, k in zip(loads, people, strict=True)),
        sum(c * k for c, k in zip(capacities, people, strict=True)),
    )


# --- 7. coverage gap ------------------------------------------------------------------


@dataclass(frozen=True)
class GapPlace:
    code: str
    name: str
    name_romaji: str | None
    prefecture_code: str
    prefecture_ja: str
    prefecture_en: str
    distance_km: float | None  # to the nearest active evangelist; None when there is none


@dataclass(frozen=True)
class GapPrefecture:
    code: str
    name_ja: str
    name_en: str
    non_active: int
    gap: int


@dataclass(frozen=True)
class GapFigures:
    """Non-active municipalities with no active evangelist within ``radius_km``:
    ``places`` farthest first, and counts per prefecture (those with any non-active
    municipality)."""

    radius_km: float
    non_active: int
    evangelists: int
    places: tuple[GapPlace, ...]
    prefectures: tuple[GapPrefecture, ...]

    @property
    def share(self) -> float | None:
        return _share(len(self.places), self.non_active)


def gap_figures(radius_km: float = DEFAULT_GAP_KM, scope: Scope = EVERYTHING) -> GapFigures:
    """Two queries (the places, the helpers' positions, or only their number when there
    is no place to measure) and one vectorised distance computation. The places are the
    scope's; the helpers are every active evangelist, wherever they live (one across a
    prefecture's border is as near)."""
    m = Municipality
    places = db.session.execute(
        _where(sa.select(m.code, m.name, m.name_romaji, m.lat, m.lon,
                         Prefecture.code.label("pref"), Prefecture.name_ja, Prefecture.name_en)
               .join(Prefecture, m.prefecture_id == Prefecture.id)
               .where(m.open_data_status == "non_active"), _prefecture_condition(scope))
        .order_by(m.code)
    ).all()
    active = Evangelist.status == "active"
    if places:
        helpers = db.session.execute(sa.select(Evangelist.id, Evangelist.lat, Evangelist.lon).where(active)).all()
        helper_count = len(helpers)
    else:  # nothing to measure: only how many there are
        helpers, helper_count = [], _int(db.session.scalar(sa.select(sa.func.count()).select_from(Evangelist).where(active)))
    reach = coverage_gap(
        [Point(row.code, row.lat, row.lon) for row in places],
        [Point(str(row.id), row.lat, row.lon) for row in helpers],
        radius_km,
    )
    by_code = {row.code: row for row in places}
    gap = tuple(
        GapPlace(row.code, row.name, row.name_romaji, row.pref, row.name_ja, row.name_en,
                 None if r.nearest is None else r.distance_km)
        for r in reach
        for row in (by_code[r.place.key],)
    )
    gap_codes = {p.code for p in gap}
    per_prefecture: dict[str, list] = {}
    for row in places:
        entry = per_prefecture.setdefault(row.pref, [row.name_ja, row.name_en, 0, 0])
        entry[2] += 1
        entry[3] += row.code in gap_codes
    return GapFigures(
        radius_km=radius_km,
        non_active=len(places),
        evangelists=helper_count,
        places=gap,
        prefectures=tuple(GapPrefecture(code, *values) for code, values in sorted(per_prefecture.items())),
    )


# --- 8. diversity ---------------------------------------------------------------------


@dataclass(frozen=True)
class DiversityFigures:
    """Active evangelists who gave both their age band and gender, per combination, with
    every count under three hidden (``None``; see ``evangelists.reports.suppress_small``);
    how many gave neither or only one (``not_said``, hidden likewise); and the
    prefectures with at least one active evangelist living there."""

    cells: tuple[tuple[str, str, int | None], ...]  # (age band, gender, count), vocabulary order
    not_said: int | None
    prefectures: int
    prefectures_covered: int
    prefectures_without: tuple[tuple[str, str, str], ...]  # (code, name_ja, name_en)

    @property
    def prefecture_share(self) -> float | None:
        return _share(self.prefectures_covered, self.prefectures)

    def count(self, age_band: str, gender: str) -> int | None:
        return next(n for a, g, n in self.cells if (a, g) == (age_band, gender))


NOT_SAID = ("", "")


def diversity_figures(scope: Scope = EVERYTHING) -> DiversityFigures:
    """Two queries: active evangelists (based in the scope) per (age band, gender);
    active evangelists per prefecture of the scope."""
    raw: dict[tuple[str, str], int] = {(a, g): 0 for a in AGE_BANDS for g in GENDERS}
    raw[NOT_SAID] = 0
    for age_band, gender, n in db.session.execute(
        _where(sa.select(Evangelist.age_band, Evangelist.gender, sa.func.count())
               .where(Evangelist.status == "active"), _in_scope(Evangelist.home_municipality_id, scope))
        .group_by(Evangelist.age_band, Evangelist.gender)
    ):
        key = (age_band, gender) if age_band and gender else NOT_SAID
        raw[key] += _int(n)
    shown = suppress_small(raw)
    m = Municipality
    per_prefecture = db.session.execute(
        _where(sa.select(Prefecture.code, Prefecture.name_ja, Prefecture.name_en, sa.func.count(Evangelist.id))
               .outerjoin(m, m.prefecture_id == Prefecture.id)
               .outerjoin(Evangelist, sa.and_(Evangelist.home_municipality_id == m.id, Evangelist.status == "active")),
               _prefecture_condition(scope))
        .group_by(Prefecture.code, Prefecture.name_ja, Prefecture.name_en)
        .order_by(Prefecture.code)
    ).all()
    return DiversityFigures(
        cells=tuple((a, g, shown[(a, g)]) for a in AGE_BANDS for g in GENDERS),
        not_said=shown[NOT_SAID],
        prefectures=len(per_prefecture),
        prefectures_covered=sum(1 for row in per_prefecture if row[3]),
        prefectures_without=tuple((code, ja, en) for code, ja, en, n in per_prefecture if not n),
    )


# --- 9. per fiscal year --------------------------------------------------------------


def _japan_date(column):
    """The Japanese calendar day of ``column`` (a UTC timestamp), as a date the database
    can take the year and month of."""
    if db.session.get_bind().dialect.name == "postgresql":
        return sa.cast(sa.func.timezone(PROGRAMME_ZONE_KEY, column), sa.Date)
    hours = int(PROGRAMME_ZONE.utcoffset(datetime(2000, 1, 1)).total_seconds() // 3600)
    return sa.func.date(column, f"{hours:+d} hours")


def received_by_fiscal_year(scope: Scope = EVERYTHING) -> tuple[tuple[int, int], ...]:
    """Requests received per fiscal year (by their Japanese day), oldest first: one
    query, GROUP BY the year and month."""
    day = _japan_date(SupportRequest.created_at)
    year, month = sa.extract("year", day), sa.extract("month", day)
    by_month = {
        (_int(y), _int(mo)): _int(n)
        for y, mo, n in db.session.execute(
            _where(sa.select(year, month, sa.func.count()), _in_scope(SupportRequest.municipality_id, scope))
            .group_by(year, month)
        )
    }
    return tuple(sorted(fiscal.per_fiscal_year(by_month).items()))


@dataclass(frozen=True)
class FiscalYearRow:
    """One fiscal year (年度) of the flows: requests received, visits by mode, outcomes
    recorded on its visits and the datasets they published, and municipalities that
    started publishing open data (of those active now)."""

    year: int
    requests: int
    visits_by_mode: tuple[tuple[str, int], ...]
    outcomes: int
    datasets: int
    open_data_started: int

    @property
    def visits(self) -> int:
        return sum(n for _, n in self.visits_by_mode)


# --- all of it ------------------------------------------------------------------------


@dataclass(frozen=True)
class Dashboard:
    today: date
    open_data: OpenDataFigures
    requests: RequestFigures
    visits: VisitFigures
    outcomes: OutcomeFigures
    funnel: Funnel
    load: LoadFigures
    gap: GapFigures
    diversity: DiversityFigures
    scope: Scope = EVERYTHING
    received: tuple[tuple[int, int], ...] = ()  # (年度, requests received), oldest first

    @property
    def fiscal_years(self) -> tuple[FiscalYearRow, ...]:
        """Every fiscal year from the first with a request, visit, outcome or open-data
        start (in the scope's places) to today's, none skipped, oldest first."""
        received = dict(self.received)
        visits = dict(self.visits.by_fiscal_year)
        outcomes = {fy: (n, d) for fy, n, d in self.outcomes.by_fiscal_year}
        started = dict(self.open_data.by_fiscal_year)
        years = fiscal.span({*received, *visits, *outcomes, *started}, fiscal.fiscal_year(self.today))
        none = tuple((mode, 0) for mode in VISIT_MODES)
        return tuple(
            FiscalYearRow(fy, received.get(fy, 0), visits.get(fy, none), *outcomes.get(fy, (0, 0)), started.get(fy, 0))
            for fy in years
        )


def dashboard_figures(today: date, *, months: int = 12, gap_km: float = DEFAULT_GAP_KM,
                      scope: Scope = EVERYTHING) -> Dashboard:
    """Every figure of the dashboard for ``scope``: fourteen queries, whatever the data
    size (a scope adds conditions, not queries)."""
    return Dashboard(
        today=today,
        open_data=open_data_figures(today, scope),
        requests=request_figures(scope),
        visits=visit_figures(today, months, scope),
        outcomes=outcome_figures(scope),
        funnel=funnel_figures(scope),
        load=load_figures(scope),
        gap=gap_figures(gap_km, scope),
        diversity=diversity_figures(scope),
        scope=scope,
        received=received_by_fiscal_year(scope),
    )


def kept_dashboard(today: date, *, months: int = 12, gap_km: float = DEFAULT_GAP_KM,
                   scope: Scope = EVERYTHING) -> Dashboard:
    """:func:`dashboard_figures`, kept until the data changes (app/services/versioned.py:
    one query, the data version, while nothing is written)."""
    return until_data_changes(("dashboard", today, months, gap_km, scope),
                              lambda: dashboard_figures(today, months=months, gap_km=gap_km, scope=scope))
