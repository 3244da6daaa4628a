"""Distances on the Earth's surface.

Haversine on a sphere of mean radius is within 0.4 % of the geodesic across Japan and
about 1,500 times faster than geopy's ``geodesic`` (FIELD-NOTES "Distances"), which is
plenty for "who is within 50 km".
"""

from __future__ import annotations

import math

import numpy as np

EARTH_RADIUS_KM = 6371.0088  # IUGG mean radius


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance between two points given in degrees, in kilometres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def haversine_matrix_km(
    lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray
) -> np.ndarray:
    """Distances from every point of the first set (rows) to every point of the second
    (columns), in kilometres. Inputs are 1-D arrays of degrees."""
    return haversine_km_of(haversine_terms(lat1, lon1, lat2, lon2))


def haversine_terms(
    lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray
) -> np.ndarray:
    """The haversine of the central angle between every pair (rows × columns), from 0 to 1.
    Distance grows with it, so the nearest point is the one with the smallest term:
    finding it needs no arcsine over the whole matrix (half the time of the distances)."""
    p1 = np.radians(np.asarray(lat1, dtype=float))[:, None]
    p2 = np.radians(np.asarray(lat2, dtype=float))[None, :]
    dl = np.radians(np.asarray(lon2, dtype=float))[None, :] - np.radians(
        np.asarray(lon1, dtype=float)
    )[:, None]
    return np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2


def haversine_km_of(terms: np.ndarray) -> np.ndarray:
    """Kilometres from :func:`haversine_terms`."""
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(terms)))
