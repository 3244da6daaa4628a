"""The programme's public figures per fiscal year (年度, issue 22 point 4): the queries.

Five grouped queries over the whole programme (none per year): the activating outcomes per
town, the visits per town and month, the datasets per month, the published use cases per
month of their day in Japan, and the first request. ``evangelists.fiscal_figures`` folds
them into fiscal years. Aggregates only, never anything about a person. Kept until the
data changes (and per day: what is counted stops at ``today``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from app.extensions import db
from app.models import Assignment, Outcome, SupportRequest, UseCase, Visit
from app.models.geography import Municipality
from app.services.network import PROGRAMME_DATA_LICENCE
from app.services.versioned import until_data_changes
from evangelists import fiscal
from evangelists import fiscal_figures as core
from evangelists.calendar import PROGRAMME_ZONE, PROGRAMME_ZONE_KEY, start_of_day_in_japan
from evangelists.use_cases import PUBLIC_STATUSES
from evangelists.vocabulary import ACTIVATING_OUTCOMES

# The columns of the files (CSV and JSON), in order: no personal field, aggregates only.
COLUMNS = (
    "fiscal_year", "fiscal_year_ja", "fiscal_year_en", "in_progress",
    "towns_activated", "towns_activated_cumulative",
    "visits", "visits_cumulative",
    "towns_visited", "towns_visited_cumulative",
    "datasets_published", "datasets_published_cumulative",
    "use_cases_published", "use_cases_published_cumulative",
)
LICENCE = PROGRAMME_DATA_LICENCE


@dataclass(frozen=True)
class FiscalFigures:
    """Every fiscal year from the programme's first to the current one (``years``, oldest
    first), counted up to and including ``today`` (a day in Japan)."""

    today: date
    years: tuple[core.Year, ...]

    @property
    def current(self) -> core.Year:
        return self.years[-1]

    @property
    def first_year(self) -> int:
        return self.years[0].year


def fiscal_figures(today: date) -> FiscalFigures:
    """The figures as of ``today`` (Japan's; the caller passes it), kept until the next
    committed write."""
    return until_data_changes(("fiscal_figures", today), lambda: _fiscal_figures(today))


def _int(value) -> int:
    return int(value or 0)


def _japan_day(column):
    """The Japanese calendar day of ``column`` (a UTC timestamp) as a date the database
    can take the year and month of. Japan keeps no summer time, so on SQLite its day is the
    UTC time plus the zone's fixed offset."""
    if db.session.get_bind().dialect.name == "postgresql":
        return sa.cast(sa.func.timezone(PROGRAMME_ZONE_KEY, column), sa.Date)
    hours = int(PROGRAMME_ZONE.utcoffset(datetime(2000, 1, 1)).total_seconds() // 3600)
    return sa.func.date(column, f"{hours:+d} hours")


def _by_month(day, *select, where) -> dict[tuple[int, int], int]:
    year, month = sa.extract("year", day), sa.extract("month", day)
    return {
        (_int(y), _int(m)): _int(n)
        for y, m, n in db.session.execute(
            sa.select(year, month, *select).where(*where).group_by(year, month))
    }


def _visits_joined(stmt):
    """``stmt`` over visits joined to their request (whose municipality they were made in)."""
    return (stmt.join(Assignment, Visit.assignment_id == Assignment.id)
            .join(SupportRequest, Assignment.request_id == SupportRequest.id))


def activations(today: date) -> list[core.Activation]:
    """One row per town with an activating outcome achieved by ``today``: the first day
    one was achieved, the first day of a visit recording one, and its ``open_data_since``."""
    town = SupportRequest.municipality_id
    rows = db.session.execute(
        _visits_joined(
            sa.select(town, sa.func.min(Outcome.achieved_on), sa.func.min(Visit.visited_on),
                      Municipality.open_data_since)
            .select_from(Outcome).join(Visit, Outcome.visit_id == Visit.id))
        .join(Municipality, Municipality.id == town)
        .where(Outcome.type.in_(ACTIVATING_OUTCOMES), Outcome.achieved_on <= today)
        .group_by(town, Municipality.open_data_since)
    )
    return [core.Activation(t, achieved, visited, since) for t, achieved, visited, since in rows]


def visits_by_town_month(today: date) -> list[tuple[int, int, int, int]]:
    """(town, year, month, visits) of every visit made by ``today``."""
    year, month = sa.extract("year", Visit.visited_on), sa.extract("month", Visit.visited_on)
    town = SupportRequest.municipality_id
    return [
        (t, _int(y), _int(m), _int(n))
        for t, y, m, n in db.session.execute(
            _visits_joined(sa.select(town, year, month, sa.func.count(Visit.id)).select_from(Visit))
            .where(Visit.visited_on <= today)
            .group_by(town, year, month))
    ]


def datasets_by_month(today: date) -> dict[tuple[int, int], int]:
    """The datasets that ``datasets_published`` outcomes achieved by ``today`` give, per
    month of the day achieved."""
    return _by_month(Outcome.achieved_on, sa.func.coalesce(sa.func.sum(Outcome.count), 0),
                     where=[Outcome.type == "datasets_published", Outcome.achieved_on <= today])


def use_cases_by_month(today: date) -> dict[tuple[int, int], int]:
    """Use cases public now, per month of the day in Japan they were published (by the
    end of ``today``)."""
    return _by_month(_japan_day(UseCase.published_at), sa.func.count(UseCase.id),
                     where=[UseCase.status.in_(PUBLIC_STATUSES), UseCase.published_at.is_not(None),
                            UseCase.published_at < start_of_day_in_japan(today + timedelta(days=1))])


def first_year(today: date) -> int | None:
    """The fiscal year the programme began: of its first request received or first
    visit (by ``today``); None before either."""
    first = db.session.execute(sa.select(
        sa.select(sa.func.min(SupportRequest.received_on))
        .where(SupportRequest.received_on <= today).scalar_subquery(),
        sa.select(sa.func.min(Visit.visited_on)).where(Visit.visited_on <= today).scalar_subquery(),
    )).one()
    days = [d for d in first if d is not None]
    return fiscal.fiscal_year(min(days)) if days else None


def _fiscal_figures(today: date) -> FiscalFigures:
    return FiscalFigures(today, core.table(
        today,
        first_year=first_year(today),
        towns=core.towns_activated(activations(today), today),
        visits=core.visits_by_year(visits_by_town_month(today)),
        datasets=fiscal.per_fiscal_year(datasets_by_month(today)),
        use_cases=fiscal.per_fiscal_year(use_cases_by_month(today)),
    ))


def rows(figures: FiscalFigures, labels) -> list[dict]:
    """The published rows, oldest year first, in COLUMNS order (the same for CSV and JSON).
    ``labels(year)`` gives a year's (Japanese, English) label."""
    out = []
    for y in figures.years:
        ja, en = labels(y.year)
        out.append({
            "fiscal_year": y.year, "fiscal_year_ja": ja, "fiscal_year_en": en, "in_progress": y.in_progress,
            "towns_activated": y.towns_activated, "towns_activated_cumulative": y.towns_activated_total,
            "visits": y.visits, "visits_cumulative": y.visits_total,
            "towns_visited": y.towns_visited, "towns_visited_cumulative": y.towns_visited_total,
            "datasets_published": y.datasets, "datasets_published_cumulative": y.datasets_total,
            "use_cases_published": y.use_cases, "use_cases_published_cumulative": y.use_cases_total,
        })
    return out
