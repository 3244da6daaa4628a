"""The dashboard's figures against values worked out by hand on a small network, the
arithmetic of ``evangelists.reports``, and a query count that does not grow with the data."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from app.models import Assignment, Visit
from app.services import reports
from evangelists.geo import haversine_km
from evangelists.reports import (
    LOAD_BUCKETS,
    Median,
    TimelinePoint,
    cumulative_by_quarter,
    last_months,
    load_buckets,
    median_days,
    quarter_start,
    suppress_small,
)
from tests.factories import (
    make_assignment,
    make_evangelist,
    make_municipality,
    make_outcome,
    make_prefecture,
    make_request,
    make_visit,
)

TODAY = date(2026, 5, 20)
SAPPORO = (43.06, 141.35)
WAKKANAI = (45.41, 141.67)
AOMORI = (40.82, 140.74)


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=UTC)


# --- the core's arithmetic --------------------------------------------------------------


def test_median_days_counts_calendar_days_and_leaves_out_missing_ends():
    day = date(2026, 1, 10)
    assert median_days([]) == Median(None, 0)
    assert median_days([(day, None)]) == Median(None, 0)
    assert median_days([(day, day), (day, date(2026, 1, 13)), (day, None)]) == Median(1.5, 2)
    assert median_days([(day, date(2026, 1, 9)), (day, day), (day, date(2026, 2, 9))]) == Median(0.0, 3)


def test_last_months_cross_the_new_year():
    assert last_months(date(2026, 2, 28), 4) == [date(2025, 11, 1), date(2025, 12, 1), date(2026, 1, 1), date(2026, 2, 1)]
    assert len(last_months(TODAY, 24)) == 24 and last_months(TODAY, 24)[0] == date(2024, 6, 1)
    with pytest.raises(ValueError):
        last_months(TODAY, 0)


def test_quarters_are_cumulative_with_none_skipped_and_start_from_the_undated():
    points = cumulative_by_quarter({(2025, 2): 2, (2025, 3): 1, (2025, 11): 4}, before_records=5, until=date(2026, 1, 2))
    assert points == (
        TimelinePoint(date(2025, 1, 1), 3, 8),
        TimelinePoint(date(2025, 4, 1), 0, 8),
        TimelinePoint(date(2025, 7, 1), 0, 8),
        TimelinePoint(date(2025, 10, 1), 4, 12),
        TimelinePoint(date(2026, 1, 1), 0, 12),
    )
    assert cumulative_by_quarter({}, before_records=5, until=TODAY) == ()
    # A start recorded after ``until`` still ends up in the total.
    assert cumulative_by_quarter({(2027, 1): 1}, 0, until=date(2026, 12, 31))[-1] == TimelinePoint(date(2027, 1, 1), 1, 1)
    assert quarter_start(date(2026, 12, 31)) == date(2026, 10, 1)


@pytest.mark.parametrize(
    ("load", "capacity", "bucket"),
    [
        (0, 3, "none"), (0, 0, "none"),
        (1, 3, "under_half"), (1, 20, "under_half"),
        (1, 2, "half_or_more"), (2, 3, "half_or_more"),
        (2, 2, "full"), (1, 1, "full"),
        (3, 2, "over"), (1, 0, "over"),
    ],
)
def test_each_load_falls_in_one_bucket(load, capacity, bucket):
    counts = load_buckets([load], [capacity])
    assert counts == {key: int(key == bucket) for key in LOAD_BUCKETS}


def test_load_buckets_refuse_mismatched_lists():
    assert load_buckets([], []) == dict.fromkeys(LOAD_BUCKETS, 0)
    with pytest.raises(ValueError):
        load_buckets([1, 2], [3])


def test_small_cells_are_hidden_zero_included():
    assert suppress_small({"a": 0, "b": 1, "c": 2, "d": 3, "e": 40}) == {"a": None, "b": None, "c": None, "d": 3, "e": 40}


def test_a_lone_hidden_group_takes_the_smallest_shown_one_with_it():
    # With "b" alone hidden, a total shown elsewhere (12) minus 3 + 8 would give it away.
    assert suppress_small({"a": 3, "b": 1, "c": 8}) == {"a": None, "b": None, "c": 8}
    # Ties go to the first in order.
    assert suppress_small({"a": 5, "b": 2, "c": 5}) == {"a": None, "b": None, "c": 5}
    # A lone empty cell gives nothing away about anyone.
    assert suppress_small({"a": 3, "b": 0, "c": 8}) == {"a": 3, "b": None, "c": 8}
    # Nothing else to hide.
    assert suppress_small({"a": 1}) == {"a": None}


# --- the figures on a small network -----------------------------------------------------


def assign(request, evangelist, status, created_at) -> Assignment:
    return make_assignment(request=request, evangelist=evangelist, status=status, distance_km=5.0,
                           created_at=created_at, updated_at=created_at)


def visit(assignment, on: date, mode: str, *outcomes: tuple[str, int | None]) -> Visit:
    row = make_visit(assignment=assignment, visited_on=on, mode=mode)
    for kind, count in outcomes:
        make_outcome(visit=row, type=kind, count=count)
    return row


@pytest.fixture
def network(db):
    return build_network(db)


def build_network(db):
    """Three prefectures (Iwate with no municipality), seven municipalities, six active
    evangelists and a paused one, six requests with assignments, visits and outcomes.
    The comments give the figures each row contributes to."""
    hokkaido = make_prefecture(code="01")
    aomori = make_prefecture(code="02")
    make_prefecture(code="03", name_ja="岩手県", name_kana="イワテケン", name_en="Iwate", region="tohoku")
    town = {}
    # Open data: active A (Feb 2024), B (Mar 2024), C (no date: before records), F (Nov 2025).
    town["A"] = make_municipality(prefecture=hokkaido, name="甲町", lat=SAPPORO[0], lon=SAPPORO[1],
                                  open_data_status="active", open_data_since=date(2024, 2, 10))
    town["B"] = make_municipality(prefecture=hokkaido, name="乙町", open_data_status="active", open_data_since=date(2024, 3, 5))
    town["C"] = make_municipality(prefecture=hokkaido, name="丙町", open_data_status="active", open_data_since=None)
    # Non-active: D near Sapporo (covered), E at Wakkanai and G at Aomori (the gap).
    town["D"] = make_municipality(prefecture=hokkaido, name="丁町", lat=43.0, lon=141.3)
    town["E"] = make_municipality(prefecture=hokkaido, name="戊町", name_romaji="Bo-cho", lat=WAKKANAI[0], lon=WAKKANAI[1])
    town["F"] = make_municipality(prefecture=aomori, name="己町", lat=40.5, lon=141.4,
                                  open_data_status="active", open_data_since=date(2025, 11, 1))
    # G once had a start date but is not active now: not counted anywhere.
    town["G"] = make_municipality(prefecture=aomori, name="庚村", lat=AOMORI[0], lon=AOMORI[1],
                                  open_data_since=date(2023, 1, 1))

    def person(name, capacity, age_band=None, gender=None, status="active", home=town["A"], at=SAPPORO):
        return make_evangelist(family_name=name, capacity=capacity, age_band=age_band, gender=gender,
                               status=status, home_municipality=home, lat=at[0], lon=at[1])

    ev1 = person("一", 2, "30s", "female")
    ev2 = person("二", 3, "30s", "female")
    ev3 = person("三", 2, "30s", "female")
    ev4 = person("四", 4, "40s", "male")
    ev5 = person("五", 1, None, "male")
    ev6 = person("六", 0)
    # Paused: counted nowhere, though they live in Aomori next to E's coordinates.
    ev7 = person("七", 5, "30s", "female", status="paused", home=town["G"], at=WAKKANAI)

    # r1: JST 2026-01-10; first assignment 01-11 (declined, still the first): 1 day;
    # first visit 01-20: 10 days.
    r1 = make_request(municipality=town["D"], status="scheduled", created_at=utc(2026, 1, 10, 1))
    assign(r1, ev1, "declined", utc(2026, 1, 11, 3))
    a2 = assign(r1, ev2, "accepted", utc(2026, 1, 13, 3))
    assign(r1, ev6, "proposed", utc(2026, 1, 14, 3))
    visit(a2, date(2026, 1, 20), "onsite", ("event_held", None))
    visit(a2, date(2026, 2, 3), "online", ("datasets_published", 5))
    visit(a2, TODAY, "online")
    # r2: 15:30 UTC on 1 March is 00:30 on 2 March in Japan, the day it was assigned: 0 days.
    r2 = make_request(municipality=town["G"], status="assigned", created_at=utc(2026, 3, 1, 15, 30))
    assign(r2, ev2, "proposed", utc(2026, 3, 2, 1))
    assign(r2, ev5, "accepted", utc(2026, 3, 3, 1))
    # r3: JST 2025-04-28; assigned 05-02 (4 days); visited 05-15 (17 days), before the
    # 12-month window, and 2025-10-20 with two outcomes. F is active now.
    r3 = make_request(municipality=town["F"], status="completed", created_at=utc(2025, 4, 28))
    a4 = assign(r3, ev3, "completed", utc(2025, 5, 2))
    visit(a4, date(2025, 5, 15), "onsite")
    visit(a4, date(2025, 10, 20), "onsite", ("open_data_published", None), ("datasets_published", 12))
    # r4, r5: never assigned.
    make_request(municipality=town["E"], status="new", created_at=utc(2026, 5, 1))
    make_request(municipality=town["D"], status="withdrawn", created_at=utc(2025, 12, 1))
    # r6: assigned after 7 days; a second, later proposal does not change that.
    r6 = make_request(municipality=town["A"], status="triaged", created_at=utc(2026, 4, 1))
    assign(r6, ev3, "proposed", utc(2026, 4, 8))
    assign(r6, ev4, "proposed", utc(2026, 4, 9))
    assign(r6, ev7, "proposed", utc(2026, 4, 9))
    db.session.commit()
    return town


def test_open_data_nationally_per_prefecture_and_over_time(network):
    od = reports.open_data_figures(TODAY)
    assert (od.municipalities, od.active, od.share) == (7, 4, 4 / 7)
    assert [(p.code, p.municipalities, p.active, p.share) for p in od.prefectures] == [
        ("01", 5, 3, 0.6), ("02", 2, 1, 0.5), ("03", 0, 0, None),
    ]
    assert od.before_records == 1
    assert od.timeline[0] == TimelinePoint(date(2024, 1, 1), 2, 3)
    assert od.timeline[-1] == TimelinePoint(date(2026, 4, 1), 0, 4)
    assert [p.cumulative for p in od.timeline] == [3, 3, 3, 3, 3, 3, 3, 4, 4, 4]
    assert [p.start for p in od.timeline if p.added] == [date(2024, 1, 1), date(2025, 10, 1)]


def test_open_requests_and_median_days_to_assignment_and_visit(network):
    rq = reports.request_figures()
    assert rq.open_by_status == (("new", 1), ("triaged", 1), ("assigned", 1), ("scheduling", 0),
                                ("scheduled", 1))
    assert rq.open_total == 4
    assert rq.to_assignment == Median(2.5, 4)  # 0, 1, 4, 7
    assert rq.to_visit == Median(13.5, 2)  # 10, 17


@pytest.mark.parametrize(
    ("months", "expected"),
    [
        (12, {date(2025, 10, 1): (1, 0), date(2026, 1, 1): (1, 0), date(2026, 2, 1): (0, 1), date(2026, 5, 1): (0, 1)}),
        (24, {date(2025, 5, 1): (1, 0), date(2025, 10, 1): (1, 0), date(2026, 1, 1): (1, 0),
              date(2026, 2, 1): (0, 1), date(2026, 5, 1): (0, 1)}),
    ],
)
def test_visits_per_month_and_mode(network, months, expected):
    visits = reports.visit_figures(TODAY, months)
    assert len(visits.months) == months
    assert visits.months[-1].month == date(2026, 5, 1)
    assert {m.month: (dict(m.by_mode)["onsite"], dict(m.by_mode)["online"]) for m in visits.months if m.total} == expected
    assert visits.total == len(expected)
    assert visits.by_mode == (("onsite", sum(v[0] for v in expected.values())), ("online", 2))


def test_outcomes_by_type_with_the_datasets_they_published(network):
    outcomes = reports.outcome_figures()
    by_type = {o.type: (o.outcomes, o.datasets) for o in outcomes.by_type}
    assert by_type["open_data_published"] == (1, None)
    assert by_type["datasets_published"] == (2, 17)
    assert by_type["event_held"] == (1, None)
    assert by_type["no_change"] == (0, None)
    assert len(by_type) == 8 and (outcomes.total, outcomes.datasets) == (4, 17)


def test_the_funnel_from_request_to_visit_to_active(network):
    # Six requests; r1 and r3 were visited; of those only r3's municipality (F) is active.
    # r6 comes from an active municipality but was never visited: not in the last step.
    assert reports.funnel_figures() == reports.Funnel(requests=6, visited=2, active=1)


def test_evangelist_load_against_capacity(network):
    load = reports.load_figures()
    assert dict(load.buckets) == {"none": 1, "under_half": 1, "half_or_more": 2, "full": 1, "over": 1}
    assert [key for key, _ in load.buckets] == list(LOAD_BUCKETS)
    # ev2 2, ev3 1, ev4 1, ev5 1, ev6 1; capacities 2 + 3 + 2 + 4 + 1 + 0. ev7 is paused.
    assert (load.evangelists, load.assignments, load.capacity) == (6, 6, 12)


def test_the_coverage_gap_lists_non_active_places_far_from_every_active_evangelist(network):
    gap = reports.gap_figures()
    assert (gap.radius_km, gap.non_active, gap.evangelists) == (50.0, 3, 6)
    # Farthest first: Wakkanai is about 262 km from Sapporo, Aomori about 254 km.
    assert [p.code for p in gap.places] == [network["E"].code, network["G"].code]
    e, g = gap.places
    assert g.distance_km == pytest.approx(haversine_km(*AOMORI, *SAPPORO))
    assert e.distance_km == pytest.approx(haversine_km(*WAKKANAI, *SAPPORO))
    assert (e.name, e.name_romaji, e.prefecture_code, e.prefecture_en) == ("戊町", "Bo-cho", "01", "Hokkaido")
    assert [(p.code, p.non_active, p.gap) for p in gap.prefectures] == [("01", 2, 1), ("02", 1, 1)]
    assert gap.share == 2 / 3
    assert len(reports.gap_figures(radius_km=500).places) == 0


def test_no_active_evangelist_leaves_every_non_active_place_in_the_gap(db):
    make_municipality(name="遠い村")
    gap = reports.gap_figures()
    assert [(p.name, p.distance_km) for p in gap.places] == [("遠い村", None)]


def test_diversity_hides_small_groups_and_counts_prefectures_with_an_evangelist(network):
    dv = reports.diversity_figures()
    # 30s × female: ev1, ev2, ev3 (ev7 is paused). 40s × male: ev4 alone, hidden. ev5 gave
    # only a gender and ev6 nothing: two who did not give both, hidden too.
    assert dv.count("30s", "female") == 3
    assert dv.count("40s", "male") is None
    assert [n for _a, _g, n in dv.cells if n is not None] == [3]
    assert len(dv.cells) == 7 * 4
    assert dv.not_said is None
    assert (dv.prefectures, dv.prefectures_covered) == (3, 1)
    assert dv.prefecture_share == 1 / 3
    assert [code for code, _ja, _en in dv.prefectures_without] == ["02", "03"]


def test_the_dashboard_gathers_every_figure(network):
    dashboard = reports.dashboard_figures(TODAY, months=24)
    assert dashboard.today == TODAY
    assert len(dashboard.visits.months) == 24
    assert dashboard.funnel.requests == 6 and dashboard.open_data.active == 4


def test_an_empty_network_gives_zeros_not_errors(db):
    dashboard = reports.dashboard_figures(TODAY)
    assert dashboard.open_data.share is None and dashboard.open_data.timeline == ()
    assert dashboard.requests.to_assignment == Median(None, 0)
    assert dashboard.visits.total == 0 and dashboard.outcomes.total == 0
    assert dashboard.funnel == reports.Funnel(0, 0, 0)
    assert dashboard.load.evangelists == 0 and dashboard.gap.places == ()
    assert dashboard.diversity.prefecture_share is None


def test_the_dashboard_issues_the_same_fourteen_queries_whatever_the_data_size(db, network, count_queries):
    with count_queries() as small:
        reports.dashboard_figures(TODAY)
    # Grow every table: more towns, people, requests, assignments, visits and outcomes.
    aomori = make_prefecture(code="02")
    for i in range(15):
        place = make_municipality(prefecture=aomori, lat=40.0 + i * 0.1, lon=140.5,
                                  open_data_status="active" if i % 2 else "non_active",
                                  open_data_since=date(2020 + i % 5, 1 + i % 12, 1) if i % 2 else None)
        helper = make_evangelist(home_municipality=place, lat=place.lat, lon=place.lon,
                                 age_band="50s", gender="male", capacity=1 + i % 3)
        request = make_request(municipality=place, created_at=utc(2026, 1, 1 + i))
        assignment = assign(request, helper, "accepted", utc(2026, 2, 1 + i))
        visit(assignment, date(2026, 3, 1 + i), "onsite", ("datasets_published", i + 1))
    db.session.commit()
    with count_queries() as large:
        reports.dashboard_figures(TODAY)
    assert small.count == large.count == 14


# --- the SQL aggregates against the same figures worked out in Python --------------------


def test_median_of_counts_is_the_median_of_the_values_counted():
    import random

    from evangelists.reports import median_of_counts

    rng = random.Random(19)
    assert median_of_counts({}) == Median(None, 0) and median_of_counts({3: 0}) == Median(None, 0)
    for _ in range(200):
        values = [rng.randint(-3, 40) for _ in range(rng.randint(1, 30))]
        counts: dict[int, int] = {}
        for v in values:
            counts[v] = counts.get(v, 0) + 1
        start = date(2026, 1, 1)
        assert median_of_counts(counts) == median_days((start, start + timedelta(days=v)) for v in values)


def test_the_grouped_figures_equal_those_worked_out_row_by_row(db):
    """Requests, assignments and visits at awkward times (around midnight in Japan, a visit
    logged before its request), and evangelists of every capacity: the medians from days
    grouped in SQL and the load buckets from (capacity, load) groups are those computed in
    Python from every row, on SQLite and PostgreSQL alike."""
    import random

    from evangelists.calendar import day_in_japan

    rng = random.Random(7)
    town = make_municipality(prefecture=make_prefecture(code="01"))
    people = [make_evangelist(home_municipality=town, capacity=rng.randint(0, 4),
                              status=rng.choice(("active", "active", "paused"))) for _ in range(25)]
    expected_days = ([], [])
    held = {p.id: 0 for p in people}
    for _ in range(60):
        created = utc(2025, rng.randint(1, 12), rng.randint(1, 28), rng.choice((0, 14, 15, 23)), rng.choice((0, 59)))
        request = make_request(municipality=town, created_at=created)
        firsts = []
        visits = []
        for helper in rng.sample(people, rng.randint(0, 3)):
            at = created + timedelta(hours=rng.randint(0, 24 * 40))
            firsts.append(at)
            status = rng.choice(("proposed", "accepted", "declined"))
            assignment = assign(request, helper, status, at)
            held[helper.id] += status in ("proposed", "accepted")
            for _ in range(rng.randint(0, 2)):
                on = day_in_japan(at) + timedelta(days=rng.randint(-2, 30))
                visits.append(on)
                visit(assignment, on, "online")
        if firsts:
            expected_days[0].append((day_in_japan(created), day_in_japan(min(firsts))))
        if visits:
            expected_days[1].append((day_in_japan(created), min(visits)))
    db.session.commit()
    figures = reports.request_figures()
    assert figures.to_assignment == median_days(expected_days[0])
    assert figures.to_visit == median_days(expected_days[1])
    assert figures.to_assignment.n > 10 and figures.to_visit.n > 10

    active = [p for p in people if p.status == "active"]
    loads = [held[p.id] for p in active]
    capacities = [p.capacity for p in active]
    load = reports.load_figures()
    assert dict(load.buckets) == load_buckets(loads, capacities)
    assert (load.evangelists, load.assignments, load.capacity) == (len(active), sum(loads), sum(capacities))


def test_the_dashboard_is_kept_until_the_data_changes(app, db, network, count_queries):
    first = reports.kept_dashboard(TODAY)
    with count_queries() as again:
        assert reports.kept_dashboard(TODAY) is first
    assert again.count == 1  # the data version
    assert reports.kept_dashboard(TODAY, months=24) is not first  # another key
    make_request(municipality=make_municipality(prefecture=make_prefecture(code="04")), created_at=utc(2026, 5, 1))
    db.session.commit()
    fresh = reports.kept_dashboard(TODAY)
    assert fresh is not first and fresh.funnel.requests == first.funnel.requests + 1


def test_with_every_municipality_publishing_the_gap_is_empty_and_still_counts_the_helpers(db):
    town = make_municipality(prefecture=make_prefecture(code="01"), open_data_status="active")
    for status in ("active", "active", "paused"):
        make_evangelist(home_municipality=town, status=status)
    db.session.commit()
    gap = reports.gap_figures()
    assert (gap.non_active, gap.evangelists, gap.places, gap.share) == (0, 2, (), None)
