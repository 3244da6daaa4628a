"""The programme's public figures per fiscal year (年度, issue 22 point 4): the arithmetic.

Four figures, each counted in the fiscal year of a day in Japan (``evangelists.fiscal``)
and only up to "today" (a record dated later is not counted yet):

* **towns activated**: municipalities that became open-data active through the
  programme: counted once, in the fiscal year of their first activating outcome
  (``ACTIVATING_OUTCOMES``, by the day it was achieved), unless they were already open-data
  active before the programme's first such outcome or visit there (active on their own,
  as the national survey records: their ``open_data_since`` is earlier);
* **visits**, and the **towns visited** (each town once a year; its cumulative total
  counts each town once, in the year of its first visit);
* **datasets published**: the counts of ``datasets_published`` outcomes, by the day
  achieved;
* **use cases published**: by the day in Japan they were published.

The database groups rows by (year, month) or by town; this module folds those groups into
fiscal years, keeps each town's first, and lays out every year from the programme's first
to the current one with running totals. Plain Python, no framework.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from evangelists import fiscal
from evangelists.town_results import PROGRAMME, open_data_origin

# The figures, in the order the page, the table and the files give them.
FIGURES = ("towns_activated", "visits", "towns_visited", "datasets", "use_cases")


@dataclass(frozen=True)
class Activation:
    """One town's activating outcomes, as the database groups them: the first day one was
    achieved, the first day of a visit that recorded one, and the town's
    ``open_data_since`` (None when unknown)."""

    town: int
    first_achieved: date
    first_visited: date
    open_data_since: date | None

    @property
    def through_programme(self) -> bool:
        """False for a town already open-data active before the programme's first
        activating outcome or visit there: it became active on its own."""
        # One rule with the town's page and the per-municipality open data.
        return open_data_origin("active", self.open_data_since, self.first_achieved,
                                self.first_visited) == PROGRAMME


def towns_activated(activations: Iterable[Activation], today: date) -> dict[int, int]:
    """How many towns became open-data active through the programme, per fiscal year of
    their first activating outcome (one per town, whatever the order of ``activations``:
    a town given twice counts at its earliest); none achieved after ``today``."""
    first: dict[int, Activation] = {}
    for a in activations:
        had = first.get(a.town)
        if had is None:
            first[a.town] = a
        else:
            first[a.town] = Activation(
                a.town, min(had.first_achieved, a.first_achieved), min(had.first_visited, a.first_visited),
                min((d for d in (had.open_data_since, a.open_data_since) if d is not None), default=None))
    out: dict[int, int] = {}
    for a in first.values():
        if a.first_achieved > today or not a.through_programme:
            continue
        year = fiscal.fiscal_year(a.first_achieved)
        out[year] = out.get(year, 0) + 1
    return out


@dataclass(frozen=True)
class Visits:
    """Visits per fiscal year, towns visited per fiscal year, and towns visited for the
    first time per fiscal year (whose running total is the towns visited so far)."""

    visits: dict[int, int]
    towns: dict[int, int]
    first_towns: dict[int, int]


def visits_by_year(by_town_month: Iterable[tuple[int, int, int, int]]) -> Visits:
    """Rows of (town, year, month, visits) — a GROUP BY of the visits by town and by the
    year and month of their day — folded into fiscal years."""
    visits: dict[int, int] = {}
    towns: dict[int, set[int]] = {}
    first_year: dict[int, int] = {}
    for town, y, m, n in by_town_month:
        if n <= 0:
            continue
        year = fiscal.fiscal_year(date(y, m, 1))
        visits[year] = visits.get(year, 0) + n
        towns.setdefault(year, set()).add(town)
        first_year[town] = min(first_year.get(town, year), year)
    firsts: dict[int, int] = {}
    for year in first_year.values():
        firsts[year] = firsts.get(year, 0) + 1
    return Visits(visits, {year: len(ids) for year, ids in towns.items()}, firsts)


@dataclass(frozen=True)
class Year:
    """One fiscal year's row: each figure in the year and its running total since the
    programme's first year. ``in_progress`` for the current fiscal year."""

    year: int
    in_progress: bool
    towns_activated: int
    visits: int
    towns_visited: int
    datasets: int
    use_cases: int
    towns_activated_total: int
    visits_total: int
    towns_visited_total: int  # distinct towns visited up to the end of this year
    datasets_total: int
    use_cases_total: int

    def value(self, figure: str, *, cumulative: bool = False) -> int:
        return getattr(self, f"{figure}_total" if cumulative else figure)


def table(today: date, *, first_year: int | None, towns: Mapping[int, int], visits: Visits,
          datasets: Mapping[int, int], use_cases: Mapping[int, int]) -> tuple[Year, ...]:
    """Every fiscal year from the programme's first (``first_year``, or the earliest year
    with a figure if earlier; the current year when there is nothing at all) to the current
    one, oldest first, with running totals. A figure dated after the current year is left
    out (the queries count nothing after ``today``)."""
    current = fiscal.fiscal_year(today)
    present = {y for figure in (towns, visits.visits, datasets, use_cases) for y, n in figure.items() if n}
    if first_year is not None:
        present.add(first_year)
    years = fiscal.span({y for y in present if y <= current}, current)
    totals = dict.fromkeys(("towns", "visits", "towns_visited", "datasets", "use_cases"), 0)
    rows = []
    for year in years:
        totals["towns"] += towns.get(year, 0)
        totals["visits"] += visits.visits.get(year, 0)
        totals["towns_visited"] += visits.first_towns.get(year, 0)
        totals["datasets"] += datasets.get(year, 0)
        totals["use_cases"] += use_cases.get(year, 0)
        rows.append(Year(
            year, year == current,
            towns.get(year, 0), visits.visits.get(year, 0), visits.towns.get(year, 0),
            datasets.get(year, 0), use_cases.get(year, 0),
            totals["towns"], totals["visits"], totals["towns_visited"], totals["datasets"], totals["use_cases"],
        ))
    return tuple(rows)
