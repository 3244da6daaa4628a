"""The dashboard's figures for a region, a prefecture and a fiscal year (年度), on the
small network of tests/services/test_reports.py: Hokkaido (01) holds towns A–E, Aomori
(02, Tohoku) F and G, Iwate (03, Tohoku) none. Runs on SQLite and, with
TEST_DATABASE_URL, on PostgreSQL (the fiscal year is counted by the day in Japan)."""

from __future__ import annotations

from datetime import date

import pytest

from app.services import reports
from app.services.reports import EVERYTHING, OutOfScope, Scope, scope_for
from tests.factories import make_request
from tests.services.test_reports import TODAY, build_network, utc

HOKKAIDO = Scope(regions=frozenset({"hokkaido"}))
TOHOKU = Scope(regions=frozenset({"tohoku"}))


@pytest.fixture
def network(db):
    return build_network(db)


def in_year(scope: Scope, year: int | None) -> Scope:
    return Scope(scope.regions, scope.prefecture, year)


# --- the scope asked for, within what one may see ----------------------------------------


def test_a_scope_is_the_region_asked_for_within_the_regions_allowed():
    assert scope_for() == EVERYTHING
    assert scope_for(region="kanto") == Scope(frozenset({"kanto"}))
    assert scope_for(prefecture="13", fiscal_year=2026) == Scope(None, "13", 2026)
    # Held to some regions: no region asked for means all of those.
    allowed = frozenset({"kanto", "chubu"})
    assert scope_for(regions=allowed) == Scope(allowed)
    assert scope_for(region="chubu", regions=allowed) == Scope(frozenset({"chubu"}))
    with pytest.raises(OutOfScope) as refused:
        scope_for(region="kinki", regions=allowed)
    assert refused.value.region == "kinki" and refused.value.allowed == allowed
    with pytest.raises(ValueError, match="unknown region"):
        scope_for(region="atlantis")
    # Codes that are not regions are dropped from what is allowed; none left sees nothing.
    assert scope_for(regions=frozenset({"kanto", "atlantis"})) == Scope(frozenset({"kanto"}))
    assert scope_for(regions=frozenset()) == Scope(frozenset())


# --- a region or a prefecture ------------------------------------------------------------


def test_open_data_for_a_region_or_prefecture(network):
    hokkaido = reports.open_data_figures(TODAY, HOKKAIDO)
    assert (hokkaido.municipalities, hokkaido.active) == (5, 3)
    assert [p.code for p in hokkaido.prefectures] == ["01"]
    assert hokkaido.before_records == 1 and hokkaido.timeline[-1].cumulative == 3
    tohoku = reports.open_data_figures(TODAY, TOHOKU)
    assert [(p.code, p.municipalities, p.active) for p in tohoku.prefectures] == [("02", 2, 1), ("03", 0, 0)]
    assert tohoku.before_records == 0 and tohoku.by_fiscal_year == ((2025, 1),)
    aomori = reports.open_data_figures(TODAY, Scope(prefecture="02"))
    assert [p.code for p in aomori.prefectures] == ["02"]


def test_requests_for_a_region(network):
    hokkaido = reports.request_figures(HOKKAIDO)
    assert dict(hokkaido.open_by_status) == {"new": 1, "triaged": 1, "assigned": 0, "scheduling": 0, "scheduled": 1}
    assert hokkaido.to_assignment == reports.Median(4.0, 2)  # r1 1 day, r6 7
    assert hokkaido.to_visit == reports.Median(10.0, 1)
    tohoku = reports.request_figures(TOHOKU)
    assert tohoku.open_total == 1 and tohoku.to_assignment == reports.Median(2.0, 2)  # r2 0, r3 4


def test_visits_outcomes_funnel_load_gap_and_diversity_for_a_region(network):
    visits = reports.visit_figures(TODAY, 24, TOHOKU)
    assert visits.by_mode == (("onsite", 2), ("online", 0))
    assert reports.visit_figures(TODAY, 24, HOKKAIDO).by_mode == (("onsite", 1), ("online", 2))
    outcomes = {o.type: o.outcomes for o in reports.outcome_figures(TOHOKU).by_type}
    assert outcomes["open_data_published"] == 1 and outcomes["event_held"] == 0
    assert reports.outcome_figures(TOHOKU).datasets == 12
    assert reports.funnel_figures(HOKKAIDO) == reports.Funnel(4, 1, 0)
    assert reports.funnel_figures(TOHOKU) == reports.Funnel(2, 1, 1)
    # Every active evangelist lives in Hokkaido.
    assert reports.load_figures(HOKKAIDO).evangelists == 6
    assert reports.load_figures(TOHOKU).evangelists == 0
    # The gap's places are the region's; the helpers who could reach them are everyone.
    gap = reports.gap_figures(scope=TOHOKU)
    assert [p.code for p in gap.places] == [network["G"].code] and gap.evangelists == 6
    assert [p.code for p in reports.gap_figures(scope=HOKKAIDO).places] == [network["E"].code]
    dv = reports.diversity_figures(TOHOKU)
    assert (dv.prefectures, dv.prefectures_covered, dv.not_said) == (2, 0, None)
    assert all(n is None for _a, _g, n in dv.cells)


def test_a_prefecture_outside_the_region_gives_nothing(network):
    """A scope held to Hokkaido never shows Aomori, whatever prefecture is asked for."""
    scope = Scope(frozenset({"hokkaido"}), "02")
    figures = reports.dashboard_figures(TODAY, scope=scope)
    assert figures.open_data.municipalities == 0 and figures.open_data.prefectures == ()
    assert figures.requests.open_total == 0 and figures.funnel == reports.Funnel(0, 0, 0)
    assert figures.visits.total == 0 and figures.outcomes.total == 0
    assert figures.gap.places == () and figures.load.evangelists == 0
    assert figures.diversity.prefectures == 0 and figures.received == ()
    nothing = reports.dashboard_figures(TODAY, scope=Scope(frozenset()))
    assert nothing.open_data.municipalities == 0 and nothing.funnel.requests == 0


# --- a fiscal year -----------------------------------------------------------------------


def test_flows_count_in_the_fiscal_year_chosen(network):
    # Received in FY2025: r1, r2 (JST 2 March), r3 (28 April 2025), r5; in FY2026: r4, r6.
    assert reports.funnel_figures(in_year(EVERYTHING, 2025)) == reports.Funnel(4, 2, 1)
    assert reports.funnel_figures(in_year(EVERYTHING, 2026)) == reports.Funnel(2, 0, 0)
    assert reports.funnel_figures(in_year(EVERYTHING, 2024)) == reports.Funnel(0, 0, 0)
    fy2025 = reports.request_figures(in_year(EVERYTHING, 2025))
    assert fy2025.to_assignment == reports.Median(1.0, 3) and fy2025.to_visit == reports.Median(13.5, 2)
    # Open requests are as of today, whatever the year.
    assert fy2025.open_by_status == reports.request_figures().open_by_status
    assert reports.request_figures(in_year(EVERYTHING, 2026)).to_assignment == reports.Median(7.0, 1)
    # Visits: the twelve months of the fiscal year, April first.
    visits = reports.visit_figures(TODAY, 12, in_year(EVERYTHING, 2025))
    assert [m.month for m in visits.months][:2] == [date(2025, 4, 1), date(2025, 5, 1)]
    assert visits.months[-1].month == date(2026, 3, 1)
    assert visits.by_mode == (("onsite", 3), ("online", 1))
    outcomes = reports.outcome_figures(in_year(EVERYTHING, 2025))
    assert (outcomes.total, outcomes.datasets) == (4, 17)
    assert reports.outcome_figures(in_year(EVERYTHING, 2026)).total == 0
    assert reports.outcome_figures(in_year(HOKKAIDO, 2025)).datasets == 5


def test_every_fiscal_year_has_a_row(network):
    rows = reports.dashboard_figures(TODAY).fiscal_years
    # From FY2023 (A and B started publishing in February and March 2024) to today's.
    assert [r.year for r in rows] == [2023, 2024, 2025, 2026]
    by_year = {r.year: r for r in rows}
    assert (by_year[2023].open_data_started, by_year[2023].requests, by_year[2023].visits) == (2, 0, 0)
    assert by_year[2024] == reports.FiscalYearRow(2024, 0, (("onsite", 0), ("online", 0)), 0, 0, 0)
    assert by_year[2025] == reports.FiscalYearRow(2025, 4, (("onsite", 3), ("online", 1)), 4, 17, 1)
    assert by_year[2026] == reports.FiscalYearRow(2026, 2, (("onsite", 0), ("online", 1)), 0, 0, 0)
    # The rows of a region add up with the other regions' to the nation's.
    hokkaido = {r.year: r for r in reports.dashboard_figures(TODAY, scope=HOKKAIDO).fiscal_years}
    tohoku = {r.year: r for r in reports.dashboard_figures(TODAY, scope=TOHOKU).fiscal_years}
    for year, row in by_year.items():
        parts = [x[year] for x in (hokkaido, tohoku) if year in x]
        assert sum(p.requests for p in parts) == row.requests
        assert sum(p.visits for p in parts) == row.visits
        assert sum(p.datasets for p in parts) == row.datasets


def test_the_fiscal_year_turns_at_midnight_in_japan_on_the_first_of_april(db):
    """14:59:59 UTC on 31 March is still March in Japan; 15:00 is 1 April, the next year."""
    make_request(created_at=utc(2026, 3, 31, 14, 59, 59))
    make_request(created_at=utc(2026, 3, 31, 15, 0, 0))
    make_request(created_at=utc(2027, 3, 31, 14, 59, 59))
    make_request(created_at=utc(2027, 3, 31, 15, 0, 0))
    db.session.commit()
    assert reports.received_by_fiscal_year() == ((2025, 1), (2026, 2), (2027, 1))
    assert reports.funnel_figures(Scope(fiscal_year=2026)).requests == 2
    assert reports.funnel_figures(Scope(fiscal_year=2025)).requests == 1
    assert reports.funnel_figures(Scope(fiscal_year=2027)).requests == 1


def test_a_scope_adds_conditions_not_queries(db, network, count_queries):
    with count_queries() as everywhere:
        reports.dashboard_figures(TODAY)
    with count_queries() as scoped:
        reports.dashboard_figures(TODAY, scope=Scope(frozenset({"tohoku", "kanto"}), "02", 2025))
    assert everywhere.count == scoped.count == 14


def test_each_scope_is_kept_apart(app, db, network):
    """The kept dashboard of one scope is never handed to another."""
    national = reports.kept_dashboard(TODAY)
    regional = reports.kept_dashboard(TODAY, scope=TOHOKU)
    assert national.open_data.municipalities == 7 and regional.open_data.municipalities == 2
    assert reports.kept_dashboard(TODAY, scope=TOHOKU) is regional
