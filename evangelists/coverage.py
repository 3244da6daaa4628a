"""Coverage analysis: which places are out of reach of every helper.

The coverage gap (PRODUCT.md §4, step 5) is the set of non-active municipalities farther
than a given distance from the nearest active evangelist. It is computed in one
vectorised pass: a haversine matrix of places × helpers, taken in row blocks so memory
stays bounded (1,741 × 1,000 distances are about 14 MB of float64 in one go; blocks of
512 rows keep it under 4 MB whatever the number of helpers).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from evangelists.geo import haversine_km_of, haversine_terms

DEFAULT_GAP_KM = 50.0
MIN_GAP_KM = 1.0
MAX_GAP_KM = 500.0
_BLOCK_ROWS = 512


@dataclass(frozen=True, slots=True)
class Point:
    """Something on the map: an identifier and its coordinates in degrees."""

    key: str
    lat: float
    lon: float


@dataclass(frozen=True, slots=True)
class Reach:
    """How far a place is from its nearest helper; ``nearest`` is None when there is none."""

    place: Point
    distance_km: float
    nearest: str | None


def nearest_distances_km(places: Sequence[Point], helpers: Sequence[Point]) -> tuple[np.ndarray, np.ndarray]:
    """For every place, the distance to the nearest helper and that helper's index.

    With no helpers every distance is ``inf`` and every index is -1.
    """
    n = len(places)
    if not helpers:
        return np.full(n, np.inf), np.full(n, -1, dtype=np.int64)
    lat1 = np.fromiter((p.lat for p in places), dtype=float, count=n)
    lon1 = np.fromiter((p.lon for p in places), dtype=float, count=n)
    lat2 = np.fromiter((h.lat for h in helpers), dtype=float, count=len(helpers))
    lon2 = np.fromiter((h.lon for h in helpers), dtype=float, count=len(helpers))
    distances = np.empty(n)
    indices = np.empty(n, dtype=np.int64)
    for start in range(0, n, _BLOCK_ROWS):
        # The nearest by the haversine term, then the distance of that one only.
        block = haversine_terms(
            lat1[start : start + _BLOCK_ROWS], lon1[start : start + _BLOCK_ROWS], lat2, lon2
        )
        best = block.argmin(axis=1)
        indices[start : start + len(best)] = best
        distances[start : start + len(best)] = haversine_km_of(block[np.arange(len(best)), best])
    return distances, indices


def coverage_gap(
    places: Sequence[Point], helpers: Sequence[Point], radius_km: float = DEFAULT_GAP_KM
) -> list[Reach]:
    """The places whose nearest helper is farther than ``radius_km``, farthest first
    (ties by key, so the order is stable). A place exactly at the radius is covered.
    """
    if not MIN_GAP_KM <= radius_km <= MAX_GAP_KM:
        raise ValueError(f"radius_km must be between {MIN_GAP_KM:g} and {MAX_GAP_KM:g}, not {radius_km!r}")
    distances, indices = nearest_distances_km(places, helpers)
    outside = np.flatnonzero(distances > radius_km)
    gap = [
        Reach(
            place=places[i],
            distance_km=float(distances[i]),
            nearest=helpers[indices[i]].key if indices[i] >= 0 else None,
        )
        for i in outside
    ]
    gap.sort(key=lambda r: (-r.distance_km, r.place.key))
    return gap
