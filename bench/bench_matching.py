"""Figures for matching at scale (issue 19 §4): ``rank`` for one need over 9,000 candidates
(list-based, and in a pool built once, as the app keeps it per data version), ``assign``
for 1,500 needs x 9,000 candidates (pruned, proved optimal), the dense solution and the
greedy baseline beside it on a smaller instance, and what a per-pair geopy ``geodesic``
loop would cost.

Pure domain code, seeded, so the instance is the same on every run. With ``--db URL`` it
also measures the service on a database (read only): the candidate pool read fresh and
kept, the suggestions for a request, and the plan of every triaged request, fresh and kept.
Usage: ``.venv/bin/python bench/bench_matching.py [--db sqlite:////path/to/30x.sqlite3]``.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from geopy.distance import geodesic  # noqa: E402

from evangelists.gazetteer import load_municipalities  # noqa: E402
from evangelists.geo import haversine_matrix_km  # noqa: E402
from evangelists.matching import (  # noqa: E402
    Candidate,
    CandidatePool,
    Need,
    assign,
    greedy_assign,
    rank,
    rank_in_pool,
)
from evangelists.vocabulary import TOPIC_SLUGS  # noqa: E402

SEED = 20240601
N_CANDIDATES = 9_000
N_NEEDS = 1_500
SMALL_CANDIDATES = 1_000  # the dense solution and the greedy baseline run on this many
CAPACITY = 3
RANK_REPEAT = 200
ASSIGN_REPEAT = 3
GEODESIC_SAMPLE = 20_000


def make_candidates(rng: random.Random, munis, n: int) -> list[Candidate]:
    """Evangelists living within ~10 km of a random municipality's office, some of their
    slots already taken."""
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
                active_load=rng.choice((0, 0, 1, 2)),
                travel_radius_km=rng.choice((30.0, 50.0, 100.0, 200.0)),
                online_ok=rng.random() < 0.5,
                prefecture_code=home.prefecture_code,
                visited=visited | {home.code},
            )
        )
    return out


def make_needs(rng: random.Random, munis, n: int | None = None) -> list[Need]:
    """One need per municipality (the first ``n`` of a shuffle: every need in a town of its
    own, the worst case for the plan, which shares work between needs of one town)."""
    towns = list(munis)
    if n is not None:
        rng.shuffle(towns)
        towns = towns[:n]
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
        for i, m in enumerate(towns)
    ]


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:8.2f} ms"


def spread(times: list[float]) -> str:
    times = sorted(times)
    return f"median {ms(statistics.median(times))}, p95 {ms(times[int(0.95 * (len(times) - 1))])}"


def summary(plan) -> tuple[int, float, float]:
    served = len(plan)
    total = sum(m.score for m in plan)
    mean_km = statistics.fmean(m.distance_km for m in plan) if plan else 0.0
    return served, total, mean_km


def domain() -> None:
    rng = random.Random(SEED)
    munis = load_municipalities()
    candidates = make_candidates(rng, munis, N_CANDIDATES)
    slots = sum(c.capacity - c.active_load for c in candidates)
    print(f"instance: {N_CANDIDATES:,} candidates ({slots:,} free slots), seed {SEED}")

    # rank: one need over all candidates, from the list and in a kept pool.
    needs = make_needs(rng, munis)
    sample = [rng.choice(needs) for _ in range(RANK_REPEAT)]
    t_pool, pool = timed(lambda: CandidatePool(candidates))
    rank(sample[0], candidates)
    rank_in_pool(sample[0], pool)  # warm-up
    listed = [timed(lambda n=n: rank(n, candidates))[0] for n in sample[: RANK_REPEAT // 4]]
    pooled = [timed(lambda n=n: rank_in_pool(n, pool))[0] for n in sample]
    print(f"pool    : built in {ms(t_pool)} (once per data version in the app)")
    print(f"rank    : in the pool {spread(pooled)}; from the list {spread(listed)}  "
          f"(1 need x {N_CANDIDATES:,} candidates, limit 10; target <= 50 ms for a whole page)")

    # The plan: 1,500 needs in towns of their own x 9,000 candidates.
    big = make_needs(random.Random(SEED + 1), munis, N_NEEDS)
    times = []
    for _ in range(ASSIGN_REPEAT):
        t, plan = timed(lambda: assign(big, pool))
        times.append(t)
    served, total, mean_km = summary(plan)
    print(f"plan    : {N_NEEDS:,} x {N_CANDIDATES:,}: median {statistics.median(times):6.3f} s "
          f"({ASSIGN_REPEAT} runs; target <= 1.0 s) served {served:,}/{N_NEEDS:,}, total score {total:.2f}, "
          f"mean distance {mean_km:.1f} km (pruned, proved optimal)")

    # Dense, pruned and greedy on the smaller instance (one need per municipality).
    small = candidates[:SMALL_CANDIDATES]
    t_dense, dense = timed(lambda: assign(needs, small, method="dense"))
    t_pruned, pruned = timed(lambda: assign(needs, small, method="pruned"))
    t_greedy, greedy = timed(lambda: greedy_assign(needs, small))
    d_served, d_total, d_km = summary(dense)
    p_served, p_total, _ = summary(pruned)
    g_served, g_total, g_km = summary(greedy)
    print(f"small   : {len(needs):,} x {SMALL_CANDIDATES:,}: dense {t_dense:6.3f} s served {d_served:,}, total "
          f"{d_total:.4f}; pruned {t_pruned:6.3f} s served {p_served:,}, total {p_total:.4f} "
          f"(difference {p_total - d_total:+.1e})")
    print(f"greedy  : {t_greedy:6.3f} s served {g_served:,}, total score {g_total:.2f}, mean distance {g_km:.1f} km "
          f"(optimal: {d_served - g_served:+d} served, {d_total - g_total:+.2f} score, mean {d_km:.1f} km)")

    # Distance matrix: numpy haversine vs a per-pair geopy geodesic loop (sampled).
    n_lat = [n.lat for n in needs]
    n_lon = [n.lon for n in needs]
    c_lat = [c.lat for c in small]
    c_lon = [c.lon for c in small]
    pairs = len(needs) * len(small)
    t_hav, _ = timed(lambda: haversine_matrix_km(n_lat, n_lon, c_lat, c_lon))
    sample_pairs = [(rng.choice(needs), rng.choice(small)) for _ in range(GEODESIC_SAMPLE)]
    t_geo, _ = timed(lambda: [geodesic((n.lat, n.lon), (c.lat, c.lon)).km for n, c in sample_pairs])
    per_pair = t_geo / GEODESIC_SAMPLE
    print(f"distance: numpy haversine matrix {pairs:,} pairs in {t_hav * 1e3:.1f} ms; "
          f"geopy geodesic {per_pair * 1e6:.0f} us/pair measured on {GEODESIC_SAMPLE:,} sampled "
          f"pairs, extrapolated to {pairs:,} pairs: ~{per_pair * pairs:.0f} s "
          f"(~{per_pair * pairs / t_hav:,.0f}x slower)")


def service(url: str) -> None:
    """The app's matching service on the database at ``url`` (nothing is written)."""
    import sqlalchemy as sa

    from app import create_app
    from app.extensions import db
    from app.models import SupportRequest
    from app.services import matching
    from app.services.versioned import kept_values

    app = create_app("testing", SQLALCHEMY_DATABASE_URI=url, PAGE_CACHE_BYTES=0)
    with app.app_context():
        statements: list[str] = []
        sa.event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))

        def fresh():
            kept_values(app).clear()

        def measure(what, call, *, kept: bool, repeat: int = 10):
            times = []
            for _ in range(repeat):
                if not kept:
                    fresh()
                db.session.rollback()
                statements.clear()
                times.append(timed(call)[0])
            print(f"  {what:34s} {spread(times)}, {len(statements)} statements")

        request = db.session.scalar(sa.select(SupportRequest).where(SupportRequest.status == "triaged")
                                    .order_by(SupportRequest.id.desc()).limit(1))
        triaged = db.session.scalar(sa.select(sa.func.count()).where(SupportRequest.status == "triaged"))
        pool = matching.candidate_pool()
        print(f"service on {db.engine.dialect.name}: {len(pool):,} available evangelists, {triaged:,} triaged "
              f"requests")
        measure("candidate pool, fresh", matching.candidate_pool, kept=False, repeat=5)
        measure("candidate pool, kept", matching.candidate_pool, kept=True)
        measure("suggestions (pool kept)", lambda: matching.suggestions(request), kept=True, repeat=20)
        measure("plan of every triaged, fresh", matching.plan_result, kept=False, repeat=3)
        measure("plan page 1 (plan kept)", lambda: matching.plan_page(1, 50), kept=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", help="also measure the service on this database (read only)")
    parser.add_argument("--skip-domain", action="store_true", help="only the service figures")
    args = parser.parse_args()
    if not args.skip_domain:
        domain()
    if args.db:
        service(args.db)


if __name__ == "__main__":
    main()
