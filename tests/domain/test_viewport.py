"""The viewport of a map layer: parsing bbox/zoom, and grouping points on a fixed grid."""

from __future__ import annotations

import numpy as np
import pytest

from evangelists.viewport import (
    DEFAULT_ZOOM,
    Viewport,
    ViewportError,
    grid_clusters,
    parse_viewport,
)


def test_no_parameters_mean_every_point_at_the_default_zoom():
    view = parse_viewport(None, None)
    assert not view.given and view.zoom == DEFAULT_ZOOM
    assert parse_viewport("", " ") == view


def test_a_box_and_a_zoom_are_read():
    view = parse_viewport("139.5,35.5,140,35.9", "11")
    assert view.given and view.bbox == [139.5, 35.5, 140.0, 35.9] and view.zoom == 11


def test_without_a_zoom_it_is_guessed_from_the_box_width():
    assert parse_viewport("122,24,146,46", None).zoom < parse_viewport("139.5,35.5,140,35.9", None).zoom


@pytest.mark.parametrize(("bbox", "zoom", "parameter", "says"), [
    ("1,2,3", None, "bbox", "four numbers"),
    ("a,b,c,d", None, "bbox", "is not a number"),
    ("1,2,nan,4", None, "bbox", "finite"),
    ("1,2,inf,4", None, "bbox", "finite"),
    ("-200,2,3,4", None, "bbox", "longitudes"),
    ("1,-95,3,4", None, "bbox", "latitudes"),
    ("3,2,1,4", None, "bbox", "west must be less than east"),
    ("1,4,3,2", None, "bbox", "south must be less than north"),
    (None, "21", "zoom", "whole number from 0 to 20"),
    (None, "-1", "zoom", "whole number"),
    (None, "5.5", "zoom", "whole number"),
    (None, "99999999999999999999", "zoom", "whole number"),
    (None, "٥", "zoom", "whole number"),
])
def test_bad_values_name_their_parameter(bbox, zoom, parameter, says):
    with pytest.raises(ViewportError) as raised:
        parse_viewport(bbox, zoom)
    assert raised.value.parameter == parameter and says in raised.value.message


def test_the_box_keeps_its_edges():
    view = Viewport(139.0, 35.0, 140.0, 36.0, zoom=10, given=True)
    lats = np.array([35.0, 36.0, 35.5, 34.99, 35.5])
    lons = np.array([139.0, 140.0, 139.5, 139.5, 140.01])
    assert view.contains(lats, lons).tolist() == [True, True, True, False, False]


def random_points(n: int, seed: int = 7):
    rng = np.random.default_rng(seed)
    return rng.uniform(31, 45, n), rng.uniform(129, 145, n)


@pytest.mark.parametrize("zoom", [0, 4, 5, 8, 11, 14, 20])
def test_cluster_counts_add_up_to_the_points(zoom):
    lats, lons = random_points(2_000)
    clusters = grid_clusters(lats, lons, Viewport(zoom=zoom))
    assert sum(c.count for c in clusters) == 2_000
    assert len({c.key for c in clusters}) == len(clusters)
    for c in clusters:  # each cluster's position lies within the box of its points
        west, south, east, north = c.bbox
        assert west <= c.lon <= east and south <= c.lat <= north


def test_clusters_are_at_most_the_limit_and_cells_grow_to_fit():
    lats, lons = random_points(5_000)
    clusters = grid_clusters(lats, lons, Viewport(zoom=20), limit=50)
    assert len(clusters) <= 50 and sum(c.count for c in clusters) == 5_000


def test_a_cluster_keeps_its_key_when_the_map_is_panned():
    """The grid is fixed to the globe, not to the box: a cell wholly inside two views is
    the same cluster in both."""
    lats, lons = random_points(3_000)
    left = Viewport(130, 31, 140, 45, zoom=7, given=True)
    right = Viewport(134, 31, 145, 45, zoom=7, given=True)
    first = {c.key: c for c in grid_clusters(lats[left.contains(lats, lons)], lons[left.contains(lats, lons)], left)}
    second = {c.key: c for c in grid_clusters(lats[right.contains(lats, lons)], lons[right.contains(lats, lons)], right)}
    shared = [key for key in first if key in second]
    assert shared and all(first[k].lat == second[k].lat and first[k].count == second[k].count for k in shared)


def test_no_points_no_clusters():
    assert grid_clusters(np.array([]), np.array([]), Viewport()) == []
