"""The public figures by fiscal year (app/services/fiscal_figures.py), each in a known
world: which rows count, in which 年度, by the day in Japan, and up to which day."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from app.models import UseCase
from app.services.fiscal_figures import fiscal_figures
from app.services.versioned import kept_values
from tests.factories import (
    make_assignment,
    make_municipality,
    make_outcome,
    make_request,
    make_use_case,
    make_visit,
)

NOW = datetime(2026, 12, 4, 3, 0, tzinfo=UTC)  # 12:00 on 4 December 2026 in Japan: FY2026
TODAY = date(2026, 12, 4)


def visit_in(town, day, *outcomes):
    """A visit to ``town`` on ``day`` with ``outcomes`` ((type, count) pairs)."""
    assignment = make_assignment(request=make_request(municipality=town), status="accepted")
    visit = make_visit(assignment=assignment, visited_on=day)
    for kind, count in outcomes:
        make_outcome(visit=visit, type=kind, count=count)
    return visit


@pytest.fixture
def world(db, clock):
    clock(NOW)
    a = make_municipality(name="甲町", open_data_status="active", open_data_since=date(2024, 6, 1))
    b = make_municipality(name="乙市", open_data_status="active", open_data_since=date(2015, 1, 1))
    c = make_municipality(name="丙村", open_data_status="active", open_data_since=date(2026, 3, 31))
    d = make_municipality(name="丁町")
    e = make_municipality(name="戊町", open_data_status="active", open_data_since=date(2020, 1, 1))
    # The programme's first request, before any visit: FY2023.
    make_request(municipality=d, received_on=date(2023, 7, 1))
    # A: active through the programme in FY2024, said again in FY2025 (counted once).
    visit_in(a, date(2024, 6, 1), ("open_data_published", None), ("datasets_published", 3))
    visit_in(a, date(2025, 5, 1), ("catalog_launched", None))
    # B: active on its own since 2015 (the survey): its outcome in FY2025 does not count.
    visit_in(b, date(2025, 4, 1), ("open_data_published", None), ("datasets_published", 5))
    # C: activated on 31 March 2026, the last day of FY2025.
    visit_in(c, date(2026, 3, 31), ("catalog_launched", None), ("policy_adopted", None))
    # D: visited twice in FY2026, an activating outcome dated tomorrow (not counted yet).
    visit_in(d, date(2026, 4, 1), ("datasets_published", 2), ("event_held", None))
    visit_in(d, date(2026, 12, 5), ("open_data_published", None), ("datasets_published", 100))
    # E: active on its own, a visit with no activating outcome.
    visit_in(e, date(2026, 4, 2))
    # Use cases: published either side of midnight on 1 April in Japan; not public ones.
    make_use_case(municipality=a, published_at=datetime(2026, 3, 31, 14, 59, 59, tzinfo=UTC))  # FY2025
    make_use_case(municipality=c, published_at=datetime(2026, 3, 31, 15, 0, tzinfo=UTC))  # FY2026
    make_use_case(municipality=b, status="withdrawn", published_at=datetime(2025, 5, 1, tzinfo=UTC))
    make_use_case(municipality=d, status="with_town")
    make_use_case(municipality=e, published_at=datetime(2026, 12, 4, 15, 0, tzinfo=UTC))  # 5 Dec in Japan
    db.session.commit()
    return {"a": a, "b": b, "c": c, "d": d, "e": e}


def by_year(figure: str, *, cumulative: bool = False) -> dict[int, int]:
    return {y.year: y.value(figure, cumulative=cumulative) for y in fiscal_figures(TODAY).years}


def test_the_years_run_from_the_first_request_to_the_current_one(world):
    figures = fiscal_figures(TODAY)
    assert [y.year for y in figures.years] == [2023, 2024, 2025, 2026]
    assert figures.first_year == 2023 and figures.current.year == 2026 and figures.current.in_progress
    assert not any(y.in_progress for y in figures.years[:-1])


def test_towns_count_once_at_their_first_activating_outcome_and_not_when_active_on_their_own(world):
    assert by_year("towns_activated") == {2023: 0, 2024: 1, 2025: 1, 2026: 0}
    assert by_year("towns_activated", cumulative=True) == {2023: 0, 2024: 1, 2025: 2, 2026: 2}


def test_visits_and_towns_visited(world):
    # FY2024: A; FY2025: A, B, C; FY2026: D, E (D's visit of tomorrow is not counted yet).
    assert by_year("visits") == {2023: 0, 2024: 1, 2025: 3, 2026: 2}
    assert by_year("towns_visited") == {2023: 0, 2024: 1, 2025: 3, 2026: 2}
    assert by_year("visits", cumulative=True) == {2023: 0, 2024: 1, 2025: 4, 2026: 6}
    # Five different towns in all, not 1 + 3 + 2.
    assert by_year("towns_visited", cumulative=True) == {2023: 0, 2024: 1, 2025: 3, 2026: 5}


def test_datasets_are_the_sum_of_the_counts_by_the_day_achieved(world):
    assert by_year("datasets") == {2023: 0, 2024: 3, 2025: 5, 2026: 2}
    assert by_year("datasets", cumulative=True)[2026] == 10


def test_use_cases_count_by_their_day_in_japan_when_public(world):
    # 14:59:59 UTC on 31 March is still 31 March in Japan; 15:00 UTC is 1 April.
    assert by_year("use_cases") == {2023: 0, 2024: 0, 2025: 1, 2026: 1}


def test_the_current_year_counts_up_to_the_end_of_today_in_japan(world, clock, db):
    clock(datetime(2026, 12, 4, 15, 0, tzinfo=UTC))  # 00:00 on 5 December in Japan
    figures = fiscal_figures(date(2026, 12, 5))
    assert figures.current.use_cases == 2 and figures.current.visits == 3
    assert figures.current.datasets == 102 and figures.current.towns_activated == 1


def test_withdrawing_a_use_case_takes_it_out_of_its_year(world, db):
    case = db.session.scalars(sa.select(UseCase).where(UseCase.municipality_id == world["c"].id)).one()
    case.status = "withdrawn"
    db.session.commit()
    assert by_year("use_cases") == {2023: 0, 2024: 0, 2025: 1, 2026: 0}


def test_with_nothing_recorded_there_is_the_current_year_with_zeros(db, clock):
    clock(NOW)
    figures = fiscal_figures(TODAY)
    assert [y.year for y in figures.years] == [2026]
    assert figures.current.visits_total == 0


def test_a_few_grouped_queries_whatever_the_years_and_kept_until_the_data_changes(world, count_queries, app):
    kept_values(app).clear()
    with count_queries() as q:
        fiscal_figures(TODAY)
    assert q.count <= 6  # the data version, then five grouped queries
    with count_queries() as q:
        fiscal_figures(TODAY)
    assert q.count <= 1  # the data version only
