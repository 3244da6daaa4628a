"""The coverage gap against a brute-force check."""

from __future__ import annotations

import math
import random

import pytest

from evangelists.coverage import Point, coverage_gap, nearest_distances_km
from evangelists.geo import haversine_km


def random_points(rng: random.Random, n: int, prefix: str) -> list[Point]:
    # Japan's bounding box, roughly: enough spread for distances from 0 to 3,000 km.
    return [Point(f"{prefix}{i}", rng.uniform(24.0, 45.5), rng.uniform(123.0, 146.0)) for i in range(n)]


def brute_force_gap(places, helpers, radius_km):
    gap = []
    for place in places:
        best, best_key = math.inf, None
        for helper in helpers:
            d = haversine_km(place.lat, place.lon, helper.lat, helper.lon)
            if d < best:
                best, best_key = d, helper.key
        if best > radius_km:
            gap.append((place.key, best, best_key))
    gap.sort(key=lambda g: (-g[1], g[0]))
    return gap


@pytest.mark.parametrize(("seed", "n_places", "n_helpers", "radius"), [
    (1, 50, 10, 50.0),
    (2, 300, 40, 120.0),
    (3, 1300, 25, 80.0),  # more places than one row block
    (4, 200, 1, 500.0),
    (5, 600, 300, 1.0),
])
def test_gap_matches_brute_force(seed, n_places, n_helpers, radius):
    rng = random.Random(seed)
    places, helpers = random_points(rng, n_places, "m"), random_points(rng, n_helpers, "e")
    got = coverage_gap(places, helpers, radius)
    expected = brute_force_gap(places, helpers, radius)
    assert [r.place.key for r in got] == [g[0] for g in expected]
    assert [r.nearest for r in got] == [g[2] for g in expected]
    for reach, (_, distance, _) in zip(got, expected, strict=True):
        assert reach.distance_km == pytest.approx(distance, rel=1e-9)


def test_a_place_exactly_at_the_radius_is_covered():
    helper = Point("e", 35.0, 135.0)
    place = Point("m", 35.5, 135.0)
    d = haversine_km(35.0, 135.0, 35.5, 135.0)
    assert coverage_gap([place], [helper], d) == []
    assert [r.place for r in coverage_gap([place], [helper], d - 0.001)] == [place]


def test_a_helper_in_the_same_place_covers_it():
    assert coverage_gap([Point("m", 43.06, 141.35)], [Point("e", 43.06, 141.35)], 1.0) == []


def test_with_no_helpers_every_place_is_in_the_gap_with_no_nearest():
    places = [Point("a", 35.0, 135.0), Point("b", 36.0, 139.0)]
    gap = coverage_gap(places, [], 50.0)
    assert {r.place.key for r in gap} == {"a", "b"}
    assert all(r.nearest is None and math.isinf(r.distance_km) for r in gap)


def test_no_places_give_an_empty_gap():
    assert coverage_gap([], [Point("e", 35.0, 135.0)]) == []
    distances, indices = nearest_distances_km([], [Point("e", 35.0, 135.0)])
    assert distances.shape == indices.shape == (0,)


def test_the_gap_is_ordered_farthest_first():
    helpers = [Point("tokyo", 35.68, 139.69)]
    places = [Point("osaka", 34.69, 135.50), Point("naha", 26.21, 127.68), Point("sendai", 38.27, 140.87)]
    assert [r.place.key for r in coverage_gap(places, helpers, 50.0)] == ["naha", "osaka", "sendai"]


@pytest.mark.parametrize("radius", [0.0, 0.5, 500.1, -3.0, float("nan")])
def test_radius_out_of_range_is_refused(radius):
    with pytest.raises(ValueError, match="radius_km"):
        coverage_gap([Point("m", 35.0, 135.0)], [], radius)
