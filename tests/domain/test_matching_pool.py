"""The candidate pool and the pruned plan: the same matches as the list-based matcher and
the dense plan (issue 19 §4)."""

from __future__ import annotations

import random

import numpy as np
import pytest

from evangelists import matching
from evangelists.matching import Candidate, CandidatePool, Need, assign, rank, rank_in_pool

TOPICS = ("gis", "licensing", "dashboards", "hackathons", "data_catalog", "api")
TOWNS = [(f"01{k:04d}", "01" if k < 6 else "02", 42.0 + k * 0.37, 140.0 + (k % 5) * 0.41) for k in range(12)]


def instance(seed: int, n_needs: int, n_cands: int, *, capacity=(1, 3)):
    rng = random.Random(seed)
    cands = []
    for i in range(n_cands):
        code, pref, lat, lon = rng.choice(TOWNS)
        cap = rng.randint(*capacity)
        cands.append(Candidate(
            id=1000 + i, lat=lat + rng.uniform(-0.3, 0.3), lon=lon + rng.uniform(-0.3, 0.3),
            skills=frozenset(rng.sample(TOPICS, rng.randint(0, 3))), capacity=cap,
            active_load=rng.randint(0, cap), travel_radius_km=rng.choice((30.0, 80.0, 150.0)),
            online_ok=rng.random() < 0.5, prefecture_code=pref,
            visited=frozenset(t[0] for t in rng.sample(TOWNS, rng.randint(0, 2))),
        ))
    needs = []
    for i in range(n_needs):
        code, pref, lat, lon = rng.choice(TOWNS)
        needs.append(Need(id=1 + i, municipality_code=code, prefecture_code=pref, lat=lat, lon=lon,
                          topics=frozenset(rng.sample(TOPICS + ("unknown_topic",), rng.randint(0, 3))),
                          mode=rng.choice(("onsite", "online", "either"))))
    rng.shuffle(cands)
    return needs, cands


def same(a, b) -> bool:
    return [(m.need_id, m.candidate_id, m.score, m.distance_km, m.reasons) for m in a] == \
           [(m.need_id, m.candidate_id, m.score, m.distance_km, m.reasons) for m in b]


@pytest.mark.parametrize("seed", range(5))
def test_ranking_in_a_pool_is_ranking_the_list(seed):
    needs, cands = instance(seed, 20, 150)
    pool = CandidatePool(cands)
    rng = random.Random(seed)
    for need in needs:
        excluded = set(rng.sample([c.id for c in cands], 20))
        assert same(rank_in_pool(need, pool, limit=None), rank(need, cands, limit=None))
        assert same(rank_in_pool(need, pool, exclude=excluded, limit=10),
                    rank(need, [c for c in cands if c.id not in excluded], limit=10))


def test_a_pool_refuses_duplicate_ids_and_can_be_empty():
    needs, cands = instance(1, 1, 3)
    with pytest.raises(ValueError):
        CandidatePool(cands + cands[:1])
    assert rank_in_pool(needs[0], CandidatePool([])) == []
    assert assign(needs, CandidatePool([])) == []


def check_plan(plan, needs, cands, forbidden=()):
    by_id = {c.id: c for c in cands}
    used: dict[int, int] = {}
    for m in plan:
        used[m.candidate_id] = used.get(m.candidate_id, 0) + 1
        assert (m.need_id, m.candidate_id) not in set(forbidden)
    for cid, n in used.items():
        assert n <= by_id[cid].capacity - by_id[cid].active_load
    assert len({m.need_id for m in plan}) == len(plan)


@pytest.mark.parametrize("seed", range(6))
def test_the_pruned_plan_is_as_good_as_the_dense_one(seed, monkeypatch):
    """Short lists of 1 or 2 at first, so that needs compete for the same candidates and the
    check must send some of them back for longer lists."""
    monkeypatch.setattr(matching, "_FIRST_SHORTLIST", 1 + seed % 2)
    needs, cands = instance(seed, 60, 90, capacity=(1, 2))
    rng = random.Random(seed)
    forbidden = [(n.id, c.id) for n in needs for c in rng.sample(cands, 3)]
    dense = assign(needs, cands, forbidden=forbidden, method="dense")
    pruned = assign(needs, cands, forbidden=forbidden, method="pruned")
    check_plan(pruned, needs, cands, forbidden)
    assert len(pruned) == len(dense)
    assert sum(m.score for m in pruned) == pytest.approx(sum(m.score for m in dense), abs=1e-9)
    assert [m.need_id for m in pruned] == sorted(m.need_id for m in pruned)
    # Each pair of the pruned plan has the values the dense table gives it.
    for m in pruned:
        need = next(n for n in needs if n.id == m.need_id)
        exact = [r for r in rank(need, cands, limit=None) if r.candidate_id == m.candidate_id]
        assert same([m], exact)


def test_a_large_plan_is_pruned_and_still_optimal(monkeypatch):
    calls = []
    original = matching._assign_pruned
    monkeypatch.setattr(matching, "_assign_pruned", lambda *a: calls.append(1) or original(*a))
    monkeypatch.setattr(matching, "DENSE_CELLS", 100)
    needs, cands = instance(11, 40, 60)
    auto = assign(needs, cands)
    assert calls == [1]
    dense = assign(needs, cands, method="dense")
    assert len(auto) == len(dense)
    assert sum(m.score for m in auto) == pytest.approx(sum(m.score for m in dense), abs=1e-9)
    with pytest.raises(ValueError):
        assign(needs, cands, method="fast")


def test_needs_nobody_can_serve_stay_unserved_in_a_pruned_plan():
    needs, cands = instance(3, 30, 5, capacity=(1, 1))
    plan = assign(needs, cands, method="pruned")
    check_plan(plan, needs, cands)
    assert len(plan) == len(assign(needs, cands, method="dense")) <= 5


def test_the_quick_distance_is_within_the_margin():
    needs, cands = instance(4, 30, 200)
    pool = CandidatePool(cands)
    nd = matching._Needs(needs, pool)
    exact = matching.haversine_matrix_km(nd.lat, nd.lon, pool.lat, pool.lon)
    h = np.clip((1.0 - nd.xyz @ pool.xyz.T) / 2.0, 0.0, 1.0).astype(np.float32)
    quick = 2 * matching.EARTH_RADIUS_KM * np.arcsin(np.sqrt(h))
    assert np.abs(quick - exact).max() < matching._MARGIN_KM / 5


def test_a_pool_from_columns_is_the_pool_of_the_candidates():
    needs, cands = instance(7, 15, 80)
    columns = CandidatePool.from_columns(
        [c.id for c in cands], [c.lat for c in cands], [c.lon for c in cands], [c.capacity for c in cands],
        [c.active_load for c in cands], [c.travel_radius_km for c in cands], [c.online_ok for c in cands],
        [c.prefecture_code for c in cands], skills=[(c.id, s) for c in cands for s in c.skills],
        visited=[(c.id, v) for c in cands for v in c.visited] + [(99999, "010000")],  # not in the pool: ignored
    )
    for need in needs:
        assert same(rank_in_pool(need, columns, limit=None), rank(need, cands, limit=None))
    for c in cands:
        assert columns.candidate(c.id) == c
    with pytest.raises(ValueError):
        CandidatePool.from_columns([1, 1], [0, 0], [0, 0], [1, 1], [0, 0], [1, 1], [True, True], ["01", "01"])
