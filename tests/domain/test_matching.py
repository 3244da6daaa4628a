"""Matching: feasibility, scoring, ranking, and the optimality of ``assign``."""

from __future__ import annotations

import dataclasses
import random

import numpy as np
import pytest

from evangelists.geo import haversine_matrix_km
from evangelists.matching import (
    DEFAULT_WEIGHTS,
    REASON_CODES,
    Candidate,
    Match,
    Need,
    Weights,
    assign,
    greedy_assign,
    rank,
    why_not,
)

TOKYO = (35.6812, 139.7671)
TOPICS = ("gis", "licensing", "dashboards", "hackathons", "data_catalog")


def need(**kw) -> Need:
    base = dict(
        id=1,
        municipality_code="131016",
        prefecture_code="13",
        lat=TOKYO[0],
        lon=TOKYO[1],
        topics=frozenset({"gis", "licensing"}),
        mode="either",
    )
    base.update(kw)
    return Need(**base)


def cand(**kw) -> Candidate:
    base = dict(
        id=1,
        lat=TOKYO[0] + 0.1,  # ~11 km north
        lon=TOKYO[1],
        skills=frozenset({"gis"}),
        capacity=3,
        active_load=1,
        travel_radius_km=100.0,
        online_ok=True,
        prefecture_code="13",
        visited=frozenset(),
    )
    base.update(kw)
    return Candidate(**base)


def km_north(km: float) -> float:
    """Latitude offset of a point ``km`` north of Tokyo (great circle along a meridian)."""
    return km / 111.195


def only(matches: list[Match]) -> Match:
    assert len(matches) == 1
    return matches[0]


# --- Feasibility -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "within_radius", "online_ok", "capacity", "load", "feasible", "online_only"),
    [
        ("onsite", True, False, 2, 0, True, False),
        ("onsite", True, True, 2, 0, True, False),
        ("onsite", False, True, 2, 0, False, None),  # out of radius: online_ok does not help
        ("onsite", False, False, 2, 0, False, None),
        ("onsite", True, True, 2, 2, False, None),  # capacity full
        ("onsite", True, True, 2, 5, False, None),  # over capacity
        ("onsite", True, True, 0, 0, False, None),  # no capacity at all
        ("either", True, False, 1, 0, True, False),
        ("either", True, True, 1, 0, True, False),
        ("either", False, True, 1, 0, True, True),  # out of radius, served online
        ("either", False, False, 1, 0, False, None),
        ("either", False, True, 1, 1, False, None),  # capacity full
        ("online", False, True, 1, 0, True, True),
        ("online", True, True, 1, 0, True, True),  # within radius, still an online match
        ("online", True, False, 1, 0, False, None),  # online need, candidate only onsite
        ("online", False, True, 3, 3, False, None),  # capacity full
    ],
)
def test_feasibility_rules(mode, within_radius, online_ok, capacity, load, feasible, online_only):
    c = cand(
        lat=TOKYO[0] + km_north(40),
        travel_radius_km=60.0 if within_radius else 20.0,
        online_ok=online_ok,
        capacity=capacity,
        active_load=load,
    )
    n = need(mode=mode)
    for result in (rank(n, [c]), assign([n], [c]), greedy_assign([n], [c])):
        assert bool(result) is feasible
        if feasible:
            assert (("online",) in only(result).reasons) is online_only


def test_distance_equal_to_the_radius_is_within_it():
    n = need(mode="onsite")
    c = cand(lat=TOKYO[0] + 0.5, online_ok=False)
    d = float(haversine_matrix_km([n.lat], [n.lon], [c.lat], [c.lon])[0, 0])
    assert only(rank(n, [dataclasses.replace(c, travel_radius_km=d)])).distance_km == d
    assert rank(n, [dataclasses.replace(c, travel_radius_km=d * (1 - 1e-9))]) == []


def test_unknown_mode_and_duplicate_ids_are_refused():
    with pytest.raises(ValueError, match="mode"):
        rank(need(mode="hybrid"), [cand()])
    with pytest.raises(ValueError, match="duplicate candidate"):
        rank(need(), [cand(id=7), cand(id=7, lat=34.0)])
    with pytest.raises(ValueError, match="duplicate need"):
        assign([need(id=3), need(id=3)], [cand()])


def test_empty_inputs_give_empty_results():
    assert rank(need(), []) == []
    assert assign([], [cand()]) == []
    assert assign([need()], []) == []
    assert greedy_assign([], []) == []


# --- Score and reasons ---------------------------------------------------------------------


def test_weights_are_validated_and_normalised():
    assert sum(DEFAULT_WEIGHTS.normalised()) == pytest.approx(1.0)
    assert Weights(2, 2, 0, 0, 0).normalised() == (0.5, 0.5, 0.0, 0.0, 0.0)
    with pytest.raises(ValueError):
        Weights(-0.1)
    with pytest.raises(ValueError):
        Weights(0, 0, 0, 0, 0)
    with pytest.raises(ValueError):
        Weights(float("nan"))


def test_a_perfect_pair_scores_one_and_reasons_say_why():
    n = need(topics=frozenset({"gis"}))
    c = cand(lat=n.lat, lon=n.lon, active_load=0, visited=frozenset({n.municipality_code}))
    m = only(rank(n, [c]))
    assert m.score == pytest.approx(1.0)
    assert m.distance_km == 0.0
    assert m.reasons == (
        ("distance_km", 0.0),
        ("coverage", 1, 1),
        ("load", 0, 3),
        ("same_prefecture",),
        ("visited_before",),
    )


def test_reasons_for_a_far_online_match():
    n = need(topics=frozenset({"gis", "licensing", "dashboards"}), prefecture_code="13")
    c = cand(lat=43.06, lon=141.35, prefecture_code="01", travel_radius_km=50, active_load=2)
    m = only(rank(n, [c]))
    code, km = m.reasons[0]
    assert code == "distance_km" and km == round(m.distance_km, 1) and 800 < km < 900
    assert m.reasons[1:] == (("coverage", 1, 3), ("load", 2, 3), ("online",))


def test_a_need_without_topics_is_fully_covered():
    m = only(rank(need(topics=frozenset()), [cand(skills=frozenset())]))
    assert ("coverage", 0, 0) in m.reasons
    full = only(rank(need(topics=frozenset({"gis"})), [cand(skills=frozenset({"gis"}))]))
    assert m.score == pytest.approx(full.score)


def random_instance(rng: random.Random, n_needs: int, n_cands: int, spread: float = 1.0):
    """Needs and candidates scattered around Tokyo; ``spread`` in degrees."""

    def point():
        return TOKYO[0] + rng.uniform(-spread, spread), TOKYO[1] + rng.uniform(-spread, spread)

    munis = [f"13{k:03d}0" for k in range(6)]
    needs = []
    for i in range(n_needs):
        lat, lon = point()
        needs.append(
            Need(
                id=100 + i,
                municipality_code=rng.choice(munis),
                prefecture_code=rng.choice(("13", "14")),
                lat=lat,
                lon=lon,
                topics=frozenset(rng.sample(TOPICS, rng.randint(0, 3))),
                mode=rng.choice(("onsite", "online", "either")),
            )
        )
    cands = []
    for j in range(n_cands):
        lat, lon = point()
        capacity = rng.randint(1, 2)
        cands.append(
            Candidate(
                id=1 + j,
                lat=lat,
                lon=lon,
                skills=frozenset(rng.sample(TOPICS, rng.randint(0, 4))),
                capacity=capacity,
                active_load=rng.choice((0, 0, 0, capacity - 1, capacity)),
                travel_radius_km=rng.uniform(10, 120),
                online_ok=rng.random() < 0.4,
                prefecture_code=rng.choice(("13", "14")),
                visited=frozenset(rng.sample(munis, rng.randint(0, 2))),
            )
        )
    return needs, cands


def test_scores_are_within_zero_and_one_and_reasons_use_known_codes():
    rng = random.Random(7)
    needs, cands = random_instance(rng, 40, 60, spread=6.0)
    weights = [
        DEFAULT_WEIGHTS,
        Weights(1, 0, 0, 0, 0),
        Weights(0, 0, 0, 0, 1),
        Weights(5, 1, 1, 1, 9),
    ]
    for w in weights:
        for n in needs:
            for m in rank(n, cands, weights=w, limit=None):
                assert 0.0 <= m.score <= 1.0
                assert m.reasons[0][0] == "distance_km"
                assert {r[0] for r in m.reasons} <= set(REASON_CODES)


# Monotonicity: each pair differs in one respect only, and the first is strictly better.
MONOTONE_CASES = {
    "nearer": (dict(lat=TOKYO[0] + km_north(10)), dict(lat=TOKYO[0] + km_north(11))),
    "nearer, far away online": (
        dict(lat=TOKYO[0] + km_north(900), travel_radius_km=5),
        dict(lat=TOKYO[0] + km_north(901), travel_radius_km=5),
    ),
    "more coverage": (
        dict(skills=frozenset({"gis", "licensing"})),
        dict(skills=frozenset({"gis"})),
    ),
    "some coverage": (dict(skills=frozenset({"gis"})), dict(skills=frozenset({"hackathons"}))),
    "less load": (dict(active_load=0), dict(active_load=1)),
    "continuity": (dict(visited=frozenset({"131016"})), dict(visited=frozenset({"011002"}))),
    "same prefecture": (dict(prefecture_code="13"), dict(prefecture_code="14")),
}


@pytest.mark.parametrize("better, worse", MONOTONE_CASES.values(), ids=MONOTONE_CASES.keys())
def test_score_is_strictly_monotone_in_each_term(better, worse):
    n = need()
    good = only(rank(n, [cand(**better)]))
    bad = only(rank(n, [cand(**worse)]))
    assert good.score > bad.score
    # ...and rank puts it first whatever the ids.
    ranked = rank(n, [cand(id=1, **worse), cand(id=2, **better)])
    assert [m.candidate_id for m in ranked] == [2, 1]


# --- rank ----------------------------------------------------------------------------------


def test_rank_sorts_by_score_and_honours_limit():
    rng = random.Random(11)
    needs, cands = random_instance(rng, 10, 80, spread=2.0)
    for n in needs:
        everything = rank(n, cands, limit=None)
        keys = [(-m.score, m.distance_km, m.candidate_id) for m in everything]
        assert keys == sorted(keys)
        assert rank(n, cands) == everything[:10]
        assert rank(n, cands, limit=3) == everything[:3]
        assert rank(n, cands, limit=0) == []
        assert all(m.need_id == n.id for m in everything)
        assert len({m.candidate_id for m in everything}) == len(everything)


def test_rank_breaks_score_ties_by_distance_then_id():
    # Distance weighs nothing here, so the scores tie and distance decides.
    w = Weights(distance=0, coverage=1, capacity=0, same_prefecture=0, continuity=0)
    n = need()
    far = cand(id=1, lat=TOKYO[0] + km_north(30))
    near = cand(id=2, lat=TOKYO[0] + km_north(20))
    twin = cand(id=3, lat=TOKYO[0] + km_north(20))
    ranked = rank(n, [twin, far, near], weights=w)
    assert ranked[0].score == ranked[1].score == ranked[2].score
    assert [m.candidate_id for m in ranked] == [2, 3, 1]
    # Same score and same distance: candidate id decides.
    assert [m.candidate_id for m in rank(n, [cand(id=9), cand(id=4), cand(id=6)])] == [4, 6, 9]


def test_candidate_order_does_not_change_results():
    rng = random.Random(3)
    needs, cands = random_instance(rng, 30, 40, spread=1.5)
    expected_rank = [rank(n, cands, limit=None) for n in needs]
    expected_assign = assign(needs, cands)
    expected_greedy = greedy_assign(needs, cands)
    for seed in range(5):
        shuffled_c, shuffled_n = cands[:], needs[:]
        random.Random(seed).shuffle(shuffled_c)
        random.Random(seed + 100).shuffle(shuffled_n)
        assert [rank(n, shuffled_c, limit=None) for n in needs] == expected_rank
        assert assign(shuffled_n, shuffled_c) == expected_assign
        assert greedy_assign(shuffled_n, shuffled_c) == expected_greedy


# --- assign --------------------------------------------------------------------------------


def check_plan(plan: list[Match], needs, cands) -> None:
    """Valid plan: feasible pairs with rank's score, one candidate per need, capacities kept,
    sorted by need id."""
    by_id = {c.id: c for c in cands}
    need_by_id = {n.id: n for n in needs}
    assert [m.need_id for m in plan] == sorted(m.need_id for m in plan)
    assert len({m.need_id for m in plan}) == len(plan)
    used: dict[int, int] = {}
    for m in plan:
        used[m.candidate_id] = used.get(m.candidate_id, 0) + 1
        ranked = {r.candidate_id: r for r in rank(need_by_id[m.need_id], cands, limit=None)}
        assert ranked[m.candidate_id] == m
    for cid, count in used.items():
        assert count <= by_id[cid].capacity - by_id[cid].active_load


def test_assign_respects_capacities_on_a_crowded_instance():
    rng = random.Random(5)
    needs, cands = random_instance(rng, 60, 12, spread=1.0)
    plan = assign(needs, cands)
    check_plan(plan, needs, cands)
    free = sum(max(c.capacity - c.active_load, 0) for c in cands)
    assert 0 < len(plan) <= free


def test_assign_serves_more_needs_before_it_scores_higher():
    # Candidate A (one slot) is the best for both needs, but only need 1 can reach B.
    # Serving both beats giving need 1 its best candidate; greedy takes A for need 1.
    n1 = need(id=1, mode="onsite")
    n2 = need(id=2, mode="onsite", lat=TOKYO[0] + km_north(50))
    a = cand(id=10, lat=TOKYO[0] + km_north(25), capacity=1, active_load=0, travel_radius_km=30)
    b = cand(id=11, lat=TOKYO[0] - km_north(10), capacity=1, active_load=0, travel_radius_km=15,
             skills=frozenset())
    assert rank(n1, [a, b])[0].candidate_id == 10
    plan = assign([n1, n2], [a, b])
    assert [(m.need_id, m.candidate_id) for m in plan] == [(1, 11), (2, 10)]
    greedy = greedy_assign([n1, n2], [a, b])
    assert [(m.need_id, m.candidate_id) for m in greedy] == [(1, 10)]


def brute_force_best(needs, cands, weights: Weights | None = None) -> tuple[int, float]:
    """(served, total score) of the best plan, by enumerating every valid plan."""
    options = [
        [(m.candidate_id, m.score) for m in rank(n, cands, weights=weights, limit=None)]
        for n in needs
    ]
    slots = {c.id: max(c.capacity - c.active_load, 0) for c in cands}
    best = (0, 0.0)

    def walk(k: int, served: int, total: float) -> None:
        nonlocal best
        if k == len(options):
            best = max(best, (served, total))
            return
        walk(k + 1, served, total)  # need k unserved
        for cid, score in options[k]:
            if slots[cid]:
                slots[cid] -= 1
                walk(k + 1, served + 1, total + score)
                slots[cid] += 1

    walk(0, 0, 0.0)
    return best


def value(plan: list[Match]) -> tuple[int, float]:
    return len(plan), sum(m.score for m in plan)


def better_or_equal(a: tuple[int, float], b: tuple[int, float], tol: float = 1e-9) -> bool:
    return a[0] > b[0] or (a[0] == b[0] and a[1] >= b[1] - tol)


def test_assign_is_optimal_against_brute_force_and_greedy_is_not():
    rng = random.Random(20240601)
    greedy_worse = 0
    for _ in range(200):
        needs, cands = random_instance(
            rng, rng.randint(1, 5), rng.randint(1, 4), spread=rng.choice((0.3, 0.6, 1.0))
        )
        best = brute_force_best(needs, cands)
        plan = assign(needs, cands)
        check_plan(plan, needs, cands)
        got = value(plan)
        assert got[0] == best[0]
        assert got[1] == pytest.approx(best[1], abs=1e-9)

        greedy = greedy_assign(needs, cands)
        check_plan(greedy, needs, cands)
        g = value(greedy)
        assert better_or_equal(got, g)
        if not better_or_equal(g, got):
            greedy_worse += 1
    assert greedy_worse >= 1


def test_assign_is_optimal_with_custom_weights():
    rng = random.Random(99)
    w = Weights(distance=0.1, coverage=0.6, capacity=0.0, same_prefecture=0.0, continuity=0.3)
    for _ in range(40):
        needs, cands = random_instance(rng, rng.randint(1, 5), rng.randint(1, 4), spread=0.8)
        plan = assign(needs, cands, weights=w)
        options_best = brute_force_best(needs, cands, w)
        got = value(plan)
        assert got[0] == options_best[0]
        assert got[1] == pytest.approx(options_best[1], abs=1e-9)


def test_assign_on_a_larger_instance_beats_or_ties_greedy():
    rng = random.Random(1)
    needs, cands = random_instance(rng, 300, 120, spread=4.0)
    plan, greedy = assign(needs, cands), greedy_assign(needs, cands)
    check_plan(plan, needs, cands)
    assert better_or_equal(value(plan), value(greedy))
    assert np.isfinite([m.score for m in plan]).all()


def test_assign_never_uses_a_forbidden_pair_and_finds_the_next_best():
    from evangelists.matching import Candidate, Need, assign

    need = Need(1, "011002", "01", 43.06, 141.35, frozenset(), "onsite")
    near = Candidate(1, 43.06, 141.35, frozenset(), 1, 0, 50.0, False, "01")
    far = Candidate(2, 43.2, 141.5, frozenset(), 1, 0, 50.0, False, "01")
    assert [m.candidate_id for m in assign([need], [near, far])] == [1]
    assert [m.candidate_id for m in assign([need], [near, far], forbidden=[(1, 1)])] == [2]
    assert assign([need], [near], forbidden=[(1, 1)]) == []


# --- Why not (issue 17, point 16: propose anyone, and say why someone cannot) -------------


@pytest.mark.parametrize(("need_kw", "cand_kw", "expected"), [
    ({}, {}, ()),
    ({}, {"active_load": 3}, (("no_free_slot", 3, 3),)),
    ({"mode": "onsite"}, {"lat": TOKYO[0] + 3, "travel_radius_km": 50.0}, (("too_far", 333.6, 50.0),)),
    ({"mode": "online"}, {"online_ok": False}, (("no_online",),)),
    ({"mode": "either"}, {"lat": TOKYO[0] + 3, "travel_radius_km": 50.0, "online_ok": False},
     (("too_far", 333.6, 50.0), ("no_online",))),
    ({"mode": "either"}, {"lat": TOKYO[0] + 3, "travel_radius_km": 50.0}, ()),  # online will do
    ({"mode": "online"}, {"active_load": 4, "online_ok": False}, (("no_free_slot", 4, 3), ("no_online",))),
])
def test_why_not_names_every_obstacle(need_kw, cand_kw, expected):
    n, c = need(**need_kw), cand(**cand_kw)
    assert why_not(n, c) == expected
    # Empty exactly when rank offers the pair.
    assert (why_not(n, c) == ()) == bool(rank(n, [c]))
