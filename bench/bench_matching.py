"""Figures for matching: ``rank`` for one need, ``assign`` for one need per municipality,
the greedy baseline beside it, and what a per-pair geopy ``geodesic`` loop would cost.

Pure domain code, no app or database. Seeded, so the instance is the same on every run.
Usage: ``.venv/bin/python bench/bench_matching.py``.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from geopy.distance import geodesic  # noqa: E402

from evangelists.gazetteer import load_municipalities  # noqa: E402
from evangelists.geo import haversine_matrix_km  # noqa: E402
from evangelists.matching import Candidate, Need, assign, greedy_assign, rank  # noqa: E402
from evangelists.vocabulary import TOPIC_SLUGS  # noqa: E402

SEED = 20240601
N_CANDIDATES = 1_000
CAPACITY = 3
RANK_REPEAT = 200
ASSIGN_REPEAT = 3
GEODESIC_SAMPLE = 20_000


def make_candidates(rng: random.Random, munis, n: int) -> list[Candidate]:
    """Evangelists living within ~10 km of a random municipality's office."""
    out = []
    for i in range(n):
        home = rng.choice(munis)
        visited = frozenset(m.code for m in rng.sample(munis, rng.randint(0, 3)))
        out.append(
            Candidate(
                id=i + 1,
                lat=home.lat + rng.uniform(-0.09, 0.09),
                lon=home.lon + rng.uniform(-0.11, 0.11),
                skills=frozenset(rng.sample(TOPIC_SLUGS, rng.randint(1, 5))),
                capacity=CAPACITY,
                active_load=0,
                travel_radius_km=rng.choice((30.0, 50.0, 100.0, 200.0)),
                online_ok=rng.random() < 0.5,
                prefecture_code=home.prefecture_code,
                visited=visited | {home.code},
            )
        )
    return out


def make_needs(rng: random.Random, munis) -> list[Need]:
    return [
        Need(
            id=i + 1,
            municipality_code=m.code,
            prefecture_code=m.prefecture_code,
            lat=m.lat,
            lon=m.lon,
            topics=frozenset(rng.sample(TOPIC_SLUGS, rng.randint(0, 3))),
            mode=rng.choice(("onsite", "onsite", "either", "online")),
        )
        for i, m in enumerate(munis)
    ]


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def summary(plan) -> tuple[int, float, float]:
    served = len(plan)
    total = sum(m.score for m in plan)
    mean_km = statistics.fmean(m.distance_km for m in plan) if plan else 0.0
    return served, total, mean_km


def main() -> None:
    rng = random.Random(SEED)
    munis = load_municipalities()
    candidates = make_candidates(rng, munis, N_CANDIDATES)
    needs = make_needs(rng, munis)
    print(f"instance: {len(needs):,} needs (one per municipality), {len(candidates):,} candidates "
          f"x capacity {CAPACITY} = {len(candidates) * CAPACITY:,} slots, seed {SEED}")

    # rank: one need over all candidates.
    sample_needs = [rng.choice(needs) for _ in range(RANK_REPEAT)]
    rank(sample_needs[0], candidates)  # warm-up
    times = [timed(lambda n=n: rank(n, candidates))[0] for n in sample_needs]
    print(f"rank    : median {statistics.median(times) * 1e3:7.2f} ms, p95 "
          f"{sorted(times)[int(0.95 * len(times))] * 1e3:.2f} ms  (1 need x {N_CANDIDATES:,} "
          f"candidates, limit 10, {RANK_REPEAT} runs; target <= 10 ms)")

    # assign vs greedy.
    assign_times = []
    for _ in range(ASSIGN_REPEAT):
        t, plan = timed(lambda: assign(needs, candidates))
        assign_times.append(t)
    t_greedy, greedy = timed(lambda: greedy_assign(needs, candidates))
    a_served, a_total, a_km = summary(plan)
    g_served, g_total, g_km = summary(greedy)
    print(f"assign  : median {statistics.median(assign_times):7.3f} s  ({ASSIGN_REPEAT} runs; "
          f"target <= 1.0 s)  served {a_served:,}/{len(needs):,}, total score {a_total:.2f}, "
          f"mean distance {a_km:.1f} km")
    print(f"greedy  : {t_greedy:7.3f} s           served {g_served:,}/{len(needs):,}, total score "
          f"{g_total:.2f}, mean distance {g_km:.1f} km  "
          f"(assign: {a_served - g_served:+d} served, {a_total - g_total:+.2f} score)")

    # Distance matrix: numpy haversine vs a per-pair geopy geodesic loop (sampled).
    n_lat = [n.lat for n in needs]
    n_lon = [n.lon for n in needs]
    c_lat = [c.lat for c in candidates]
    c_lon = [c.lon for c in candidates]
    pairs = len(needs) * len(candidates)
    t_hav, _ = timed(lambda: haversine_matrix_km(n_lat, n_lon, c_lat, c_lon))
    sample = [(rng.choice(needs), rng.choice(candidates)) for _ in range(GEODESIC_SAMPLE)]
    t_geo, _ = timed(
        lambda: [geodesic((n.lat, n.lon), (c.lat, c.lon)).km for n, c in sample]
    )
    per_pair = t_geo / GEODESIC_SAMPLE
    print(f"distance: numpy haversine matrix {pairs:,} pairs in {t_hav * 1e3:.1f} ms; "
          f"geopy geodesic {per_pair * 1e6:.0f} us/pair measured on {GEODESIC_SAMPLE:,} sampled "
          f"pairs, extrapolated to {pairs:,} pairs: ~{per_pair * pairs:.0f} s "
          f"(~{per_pair * pairs / t_hav:,.0f}x slower)")


if __name__ == "__main__":
    main()
