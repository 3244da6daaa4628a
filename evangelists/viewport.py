"""What part of the map a layer is asked for, and how its points are grouped there.

A map layer's response is bounded by the view, not by the table: the client names its
viewport (``bbox=west,south,east,north`` in degrees, ``zoom=N`` as Leaflet counts it).
When more points fall in the view than a response may carry (:data:`MAX_FEATURES`), and
the map is not zoomed in far enough for them to be told apart (:data:`POINTS_ZOOM`),
they are grouped on a grid fixed to the globe (:func:`grid_clusters`): each cell with
points becomes one cluster with its count, mean position and the box around its points,
so the counts add up to the points in the view and a cluster keeps its place while the
map is panned.

Pure functions over numpy arrays; no framework.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

MIN_ZOOM, MAX_ZOOM = 0, 20
DEFAULT_ZOOM = 5  # all of Japan in a desktop browser window
MAX_FEATURES = 500  # points or clusters in one response
POINTS_ZOOM = 13  # from here on, points (capped) even when there are more than MAX_FEATURES
CELL_PIXELS = 96  # a cluster cell is about this many screen pixels wide
DIGITS = 5  # coordinates in a response: about a metre


class ViewportError(ValueError):
    """A bad ``bbox`` or ``zoom``: ``parameter`` names it, the message says what is wrong."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(message)
        self.parameter = parameter
        self.message = message


@dataclass(frozen=True)
class Viewport:
    """A box in degrees (``None`` sides: the whole world) and a zoom level."""

    west: float = -180.0
    south: float = -90.0
    east: float = 180.0
    north: float = 90.0
    zoom: int = DEFAULT_ZOOM
    given: bool = False  # whether the client named a box (else: every point of the layer)

    @property
    def bbox(self) -> list[float]:
        return [self.west, self.south, self.east, self.north]

    def cell_degrees(self) -> float:
        """The side of a cluster cell at this zoom: a 256-pixel tile spans 360 / 2**zoom degrees
        of longitude, so a CELL_PIXELS cell spans that much times CELL_PIXELS / 256."""
        return 360.0 / (2 ** self.zoom) * CELL_PIXELS / 256

    def contains(self, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
        """A boolean mask of the points inside the box (edges included)."""
        if not self.given:
            return np.ones(len(lats), dtype=bool)
        return (lats >= self.south) & (lats <= self.north) & (lons >= self.west) & (lons <= self.east)


def _number(parameter: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ViewportError(parameter, f"{text.strip()[:40]!r} is not a number") from None
    if not math.isfinite(value):
        raise ViewportError(parameter, f"{text.strip()[:40]!r} is not a finite number")
    return value


def parse_zoom(text: str | None, bbox: tuple[float, float, float, float] | None = None) -> int:
    """``zoom``: a whole number from MIN_ZOOM to MAX_ZOOM. Absent or empty: guessed from the
    box's width (a window about a thousand pixels wide), else DEFAULT_ZOOM."""
    if text is None or not text.strip():
        if bbox is None:
            return DEFAULT_ZOOM
        width = max(bbox[2] - bbox[0], 1e-6)
        return max(MIN_ZOOM, min(MAX_ZOOM, int(math.log2(360 / width * 4))))
    text = text.strip()
    if not text.lstrip("-").isdigit() or not text.isascii():
        raise ViewportError("zoom", f"{text[:40]!r} is not a whole number from {MIN_ZOOM} to {MAX_ZOOM}")
    zoom = int(text[:4]) if len(text) <= 4 else MAX_ZOOM + 1
    if not MIN_ZOOM <= zoom <= MAX_ZOOM:
        raise ViewportError("zoom", f"{text[:40]!r} is not a whole number from {MIN_ZOOM} to {MAX_ZOOM}")
    return zoom


def parse_bbox(text: str | None) -> tuple[float, float, float, float] | None:
    """``bbox``: ``west,south,east,north`` in degrees (longitudes -180..180, latitudes
    -90..90, west < east, south < north). Absent or empty: None."""
    if text is None or not text.strip():
        return None
    parts = text.split(",")
    if len(parts) != 4:
        raise ViewportError("bbox", "expected four numbers: west,south,east,north (degrees)")
    west, south, east, north = (_number("bbox", part) for part in parts)
    if not (-180 <= west <= 180 and -180 <= east <= 180):
        raise ViewportError("bbox", "west and east must be longitudes from -180 to 180")
    if not (-90 <= south <= 90 and -90 <= north <= 90):
        raise ViewportError("bbox", "south and north must be latitudes from -90 to 90")
    if west >= east:
        raise ViewportError("bbox", "west must be less than east")
    if south >= north:
        raise ViewportError("bbox", "south must be less than north")
    return west, south, east, north


def parse_viewport(bbox: str | None, zoom: str | None) -> Viewport:
    """The viewport from the two query parameters (raises :class:`ViewportError`). NUL
    characters are dropped first, as the app's forms drop them from every field."""
    box = parse_bbox(None if bbox is None else bbox.replace("\x00", ""))
    level = parse_zoom(None if zoom is None else zoom.replace("\x00", ""), box)
    if box is None:
        return Viewport(zoom=level)
    return Viewport(*box, zoom=level, given=True)


@dataclass(frozen=True)
class Cluster:
    key: str  # stable while the map is panned at one zoom: the zoom, the cell and the count
    count: int
    lat: float
    lon: float
    bbox: tuple[float, float, float, float]  # west, south, east north around its points


def grid_clusters(lats: np.ndarray, lons: np.ndarray, viewport: Viewport,
                  limit: int = MAX_FEATURES) -> list[Cluster]:
    """The points (already inside the view) grouped on a grid of cells anchored at
    (-180, -90): at most ``limit`` clusters (the cells double in size until they fit),
    ordered by cell. Their counts add up to ``len(lats)``."""
    if len(lats) == 0:
        return []
    cell = viewport.cell_degrees()
    while True:
        rows = np.floor((lats + 90.0) / cell).astype(np.int64)
        cols = np.floor((lons + 180.0) / cell).astype(np.int64)
        keys = rows * (int(360 / cell) + 2) + cols
        unique, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
        if len(unique) <= limit:
            break
        cell *= 2
    n = len(unique)
    mean_lat = np.bincount(inverse, weights=lats, minlength=n) / counts
    mean_lon = np.bincount(inverse, weights=lons, minlength=n) / counts
    low_lat, high_lat = np.full(n, np.inf), np.full(n, -np.inf)
    low_lon, high_lon = np.full(n, np.inf), np.full(n, -np.inf)
    np.minimum.at(low_lat, inverse, lats)
    np.maximum.at(high_lat, inverse, lats)
    np.minimum.at(low_lon, inverse, lons)
    np.maximum.at(high_lon, inverse, lons)
    level = round(math.log2(360 / cell * CELL_PIXELS / 256))
    return [
        Cluster(
            key=f"c{level}:{int(unique[i])}:{int(counts[i])}",
            count=int(counts[i]),
            lat=round(float(mean_lat[i]), DIGITS),
            lon=round(float(mean_lon[i]), DIGITS),
            bbox=(round(float(low_lon[i]), DIGITS), round(float(low_lat[i]), DIGITS),
                  round(float(high_lon[i]), DIGITS), round(float(high_lat[i]), DIGITS)),
        )
        for i in range(n)
    ]
