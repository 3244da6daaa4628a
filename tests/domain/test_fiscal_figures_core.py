"""The arithmetic of the public figures by fiscal year (evangelists/fiscal_figures.py):
days folded into 年度 (April to March), each town counted once at its first activating
outcome, running totals from the programme's first year to the current one."""

from datetime import date

from evangelists import fiscal_figures as core
from evangelists.fiscal_figures import Activation, Visits

TODAY = date(2026, 12, 4)  # FY2026


def test_a_town_counts_once_in_the_year_of_its_first_activating_outcome():
    rows = [
        Activation(1, date(2025, 5, 1), date(2025, 5, 1), date(2025, 5, 1)),
        Activation(1, date(2024, 6, 1), date(2024, 6, 1), date(2025, 5, 1)),  # the same town, earlier
        Activation(2, date(2025, 7, 1), date(2025, 7, 1), None),
    ]
    assert core.towns_activated(rows, TODAY) == {2024: 1, 2025: 1}


def test_the_year_turns_on_the_first_of_april():
    rows = [Activation(1, date(2026, 3, 31), date(2026, 3, 31), None),
            Activation(2, date(2026, 4, 1), date(2026, 4, 1), None)]
    assert core.towns_activated(rows, TODAY) == {2025: 1, 2026: 1}


def test_a_town_active_on_its_own_before_the_programme_is_not_counted():
    survey = Activation(1, date(2025, 4, 10), date(2025, 4, 10), date(2019, 3, 31))
    assert not survey.through_programme
    assert core.towns_activated([survey], TODAY) == {}
    # Active since the day of the visit that recorded it (what the visit log writes): counted.
    assert Activation(2, date(2025, 4, 10), date(2025, 4, 10), date(2025, 4, 10)).through_programme
    # The survey saw it active after the programme's outcome: the programme's.
    assert Activation(3, date(2025, 4, 10), date(2025, 4, 10), date(2026, 3, 31)).through_programme
    # Since an earlier visit of the programme that recorded it, not on its own.
    assert Activation(4, date(2025, 6, 1), date(2025, 4, 10), date(2025, 4, 10)).through_programme


def test_an_outcome_after_today_is_not_counted_yet():
    assert core.towns_activated([Activation(1, date(2026, 12, 5), date(2026, 12, 5), None)], TODAY) == {}
    assert core.towns_activated([Activation(1, TODAY, TODAY, None)], TODAY) == {2026: 1}


def test_visits_fold_into_years_and_count_each_town_once_a_year():
    rows = [
        (10, 2025, 3, 2),  # FY2024
        (10, 2025, 4, 1),  # FY2025
        (10, 2025, 12, 3),
        (11, 2026, 3, 1),  # FY2025
        (12, 2026, 4, 4),  # FY2026
        (13, 2026, 5, 0),  # nothing
    ]
    folded = core.visits_by_year(rows)
    assert folded.visits == {2024: 2, 2025: 5, 2026: 4}
    assert folded.towns == {2024: 1, 2025: 2, 2026: 1}
    assert folded.first_towns == {2024: 1, 2025: 1, 2026: 1}


def test_the_table_runs_from_the_first_year_to_the_current_one_with_running_totals():
    visits = core.visits_by_year([(1, 2024, 5, 2), (2, 2024, 6, 1), (1, 2026, 5, 3)])
    rows = core.table(TODAY, first_year=2023, towns={2024: 2}, visits=visits, datasets={2024: 5, 2026: 1},
                      use_cases={2025: 1})
    assert [r.year for r in rows] == [2023, 2024, 2025, 2026]
    assert [r.in_progress for r in rows] == [False, False, False, True]
    assert [(r.towns_activated, r.towns_activated_total) for r in rows] == [(0, 0), (2, 2), (0, 2), (0, 2)]
    assert [(r.visits, r.visits_total) for r in rows] == [(0, 0), (3, 3), (0, 3), (3, 6)]
    # Towns visited: 2 in FY2024, 1 in FY2026, but only two different towns in all.
    assert [(r.towns_visited, r.towns_visited_total) for r in rows] == [(0, 0), (2, 2), (0, 2), (1, 2)]
    assert [(r.datasets, r.datasets_total) for r in rows] == [(0, 0), (5, 5), (0, 5), (1, 6)]
    assert [(r.use_cases, r.use_cases_total) for r in rows] == [(0, 0), (0, 0), (1, 1), (0, 1)]
    assert rows[-1].value("visits", cumulative=True) == 6 and rows[-1].value("visits") == 3


def test_a_figure_before_the_first_request_extends_the_table_back():
    rows = core.table(TODAY, first_year=2025, towns={}, visits=Visits({}, {}, {}), datasets={2022: 1},
                      use_cases={})
    assert [r.year for r in rows] == [2022, 2023, 2024, 2025, 2026]


def test_with_nothing_at_all_the_table_is_the_current_year_in_progress():
    rows = core.table(TODAY, first_year=None, towns={}, visits=Visits({}, {}, {}), datasets={}, use_cases={})
    assert len(rows) == 1 and rows[0].year == 2026 and rows[0].in_progress
    assert all(rows[0].value(f) == 0 and rows[0].value(f, cumulative=True) == 0 for f in core.FIGURES)


def test_the_current_year_turns_with_the_day_in_japan():
    empty = Visits({}, {}, {})
    assert core.table(date(2026, 3, 31), first_year=None, towns={}, visits=empty, datasets={},
                      use_cases={})[-1].year == 2025
    assert core.table(date(2026, 4, 1), first_year=2025, towns={}, visits=empty, datasets={},
                      use_cases={})[-1].year == 2026


def test_a_year_after_the_current_one_is_not_shown():
    rows = core.table(TODAY, first_year=2026, towns={2027: 1}, visits=Visits({}, {}, {}), datasets={},
                      use_cases={})
    assert [r.year for r in rows] == [2026]
