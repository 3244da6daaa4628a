"""Rebuild static/geo/prefectures.geojson, the 47 prefecture outlines, islands included.

Usage, from the repository root (numpy only; the app's own venv has it):

    python scripts/build_prefecture_outlines.py --source PATH          # rewrite the file
    python scripts/build_prefecture_outlines.py --source PATH --check  # exit 1 if it differs

Source: the national land numerical information, administrative areas (国土数値情報
行政区域データ N03, Ministry of Land, Infrastructure, Transport and Tourism), 2021-01-01
edition, dissolved to prefectures and simplified to 1 % by SmartNews Media Research
Institute: ``data/municipality/geojson/s0010/prefectures.json`` in the public GitHub
repository smartnews-smri/japan-topography, commit 955608ab585a (47 features, property
``N03_001`` = the prefecture's name, 736 rings, 61,033 positions, 2,384,869 bytes). See
static/geo/README.md for the terms and the credit line.

What the script does:

- maps each feature to its JIS X 0401 code through its name in
  ``evangelists/data/prefectures.csv`` (refuses an unknown or missing prefecture);
- simplifies every ring with Douglas-Peucker at SIMPLIFY_TOLERANCE_DEGREES, but first pins
  every position where the set of prefectures sharing it changes (the ends of each border
  shared by two prefectures, and triple points), so a shared border is simplified the same
  way on both sides and neighbours meet without gaps or overlaps;
- rounds to 3 decimals (about 100 m) and drops repeated positions; a ring left with fewer
  than 4 positions (an islet smaller than the tolerance) is dropped, unless a town hall of
  ``evangelists/data/municipalities.csv`` lies in it;
- keeps a simplified ring only if it does not cross or touch itself (after removing the small
  loops that simplifying next to a pinned position can fold) and, for an outer ring, every
  town hall that lies inside the source ring still lies inside it, and no other prefecture's
  town hall near it has come inside; otherwise that ring is
  simplified again at 1/2, 1/4 and 1/10 of the tolerance, then kept as the source has it
  (rounded). Town halls sit on the coast, and coastal ones are what simplifying loses first;
- orients outer rings counter-clockwise and holes clockwise (RFC 7946) and writes one
  feature per line in code order, properties ``{"code", "name_ja", "name_en"}``; refuses a
  file over MAX_BYTES.

Exit status: 0 done; 1 ``--check`` found a difference; 2 the source could not be converted.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from pathlib import Path

import numpy as np

# Run as a plain script, Python puts scripts/ on the path, not the repository root; add the
# root so the domain package imports without an install.
REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from evangelists.gazetteer import (  # noqa: E402
    MunicipalityRecord,
    PrefectureRecord,
    load_municipalities,
    load_prefectures,
)

OUTPUT = REPO_ROOT / "static" / "geo" / "prefectures.geojson"

# 0.015° is about 1.5 km: about one screen pixel at zoom 6, the national view, where the
# outlines matter most (the choropleth). Rings near a town hall are simplified less (see
# build_features), so all 1,741 town halls stay inside their own outline. Measured with the
# 2021 source: 0.004° gives 333,733 bytes, 0.01° 187,188 bytes, 0.015° 153,089 bytes.
SIMPLIFY_TOLERANCE_DEGREES = 0.015
MAX_BYTES = 290_000
DECIMALS = 3
MIN_RING_POSITIONS = 4
NAME_PROPERTY = "N03_001"


class Unconvertible(Exception):
    """The source is not what this script expects; ``args[0]`` lists the problems."""


def douglas_peucker(points: np.ndarray, tolerance: float) -> np.ndarray:
    """The Douglas-Peucker simplification of the polyline ``points`` ((n, 2) array): both end
    points are kept, and so is every point needed to keep the line within ``tolerance`` of
    the original. A closed line (first point equal to the last) works too: the distance to a
    zero-length chord is the distance to its point."""
    keep = np.zeros(len(points), dtype=bool)
    keep[[0, -1]] = True
    stack = [(0, len(points) - 1)]
    while stack:
        start, end = stack.pop()
        if end - start < 2:
            continue
        a, b = points[start], points[end]
        between = points[start + 1 : end]
        chord = b - a
        length2 = float(chord @ chord)
        if length2 == 0.0:
            nearest = np.broadcast_to(a, between.shape)
        else:
            t = np.clip((between - a) @ chord / length2, 0.0, 1.0)
            nearest = a + t[:, None] * chord
        distances = np.hypot(*(between - nearest).T)
        farthest = int(np.argmax(distances))
        if distances[farthest] > tolerance:
            split = start + 1 + farthest
            keep[split] = True
            stack.extend([(start, split), (split, end)])
    return points[keep]


def signed_area(ring: list[list[float]]) -> float:
    """Shoelace area of a closed ring, positive when it runs counter-clockwise."""
    xy = np.array(ring)
    return float(np.sum(xy[:-1, 0] * xy[1:, 1] - xy[1:, 0] * xy[:-1, 1]) / 2)


def _orientation(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """-1, 0 or 1: which side of the line a→b the point c is on (rows broadcast)."""
    cross = (b[..., 0] - a[..., 0]) * (c[..., 1] - a[..., 1]) - (b[..., 1] - a[..., 1]) * (
        c[..., 0] - a[..., 0]
    )
    return np.sign(cross)


def _on_segment(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Whether c, known to be collinear with a→b, lies within the segment's box."""
    low, high = np.minimum(a, b), np.maximum(a, b)
    return np.all((low <= c) & (c <= high), axis=-1)


def crossings(line: list[list[float]], *, touching: bool = True) -> list[tuple[int, int]]:
    """Pairs (i, j), i < j, of non-adjacent segments of a polyline that cross; with
    ``touching``, also those that merely touch or overlap. Segment i runs from position i to
    i + 1. When the line is closed (first position equal to the last), its first and last
    segments are adjacent too."""
    xy = np.array(line, dtype=float)
    p, q = xy[:-1], xy[1:]
    n = len(p)
    closed = len(line) > 2 and line[0] == line[-1]
    found = []
    for i in range(n - 2):
        j = np.arange(i + 2, n - 1 if closed and i == 0 else n)
        if not len(j):
            continue
        a, b, c, d = p[i], q[i], p[j], q[j]
        o1, o2 = _orientation(a, b, c), _orientation(a, b, d)
        o3, o4 = _orientation(c, d, a), _orientation(c, d, b)
        hits = (o1 * o2 < 0) & (o3 * o4 < 0)
        if touching:
            hits |= (o1 == 0) & _on_segment(a, b, c)
            hits |= (o2 == 0) & _on_segment(a, b, d)
            hits |= (o3 == 0) & _on_segment(c, d, a)
            hits |= (o4 == 0) & _on_segment(c, d, b)
        found.extend((i, int(k)) for k in j[hits])
    return found



def point_in_ring(ring: list[list[float]], lon: float, lat: float) -> bool:
    """Even-odd rule: whether (lon, lat) lies inside the closed ring."""
    inside = False
    for (x1, y1), (x2, y2) in itertools.pairwise(ring):
        if (y1 > lat) != (y2 > lat) and lon < x1 + (lat - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def polygons_of(geometry: dict) -> list[list[list[list[float]]]]:
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"]]
    if geometry["type"] == "MultiPolygon":
        return geometry["coordinates"]
    raise Unconvertible([f"unexpected geometry type {geometry['type']}"])


def _clean(positions: np.ndarray) -> list[list[float]]:
    """Round, drop consecutive repeats, and close the ring."""
    out: list[list[float]] = []
    for lon, lat in np.round(positions, DECIMALS).tolist():
        position = [round(lon, DECIMALS), round(lat, DECIMALS)]
        if not out or out[-1] != position:
            out.append(position)
    if out and out[0] != out[-1]:
        out.append(out[0])
    return out


def simplify_ring(ring: list[list[float]], owners: dict[tuple[float, float], frozenset[int]],
                  tolerance: float) -> list[list[float]]:
    """Douglas-Peucker between pinned positions: those where the set of prefectures sharing
    the position changes, and triple points. A ring with none is pinned at its first
    position and the one farthest from it."""
    xy = np.array(ring[:-1] if ring[0] == ring[-1] else ring, dtype=float)
    n = len(xy)
    keys = [owners[(float(lon), float(lat))] for lon, lat in xy]
    pinned = [
        i for i in range(n)
        if keys[i] != keys[i - 1] or keys[i] != keys[(i + 1) % n] or len(keys[i]) > 2
    ]
    if not pinned:
        far = int(np.argmax(np.hypot(*(xy - xy[0]).T)))
        pinned = sorted({0, far})
    kept: list[np.ndarray] = []
    for a, b in zip(pinned, pinned[1:] + [pinned[0] + n], strict=True):
        run = np.array([xy[k % n] for k in range(a, b + 1)])
        kept.extend(douglas_peucker(run, tolerance)[:-1])
    return _clean(np.array(kept))


def drop_small_loops(ring: list[list[float]], span: int = 4) -> list[list[float]]:
    """Simplifying and rounding can fold a ring over itself within a few positions (a spike
    next to a pinned position). Remove the positions between two segments at most ``span``
    apart that cross or touch, until none is left or nothing more can be removed."""
    ring = [list(position) for position in ring]
    for _ in range(len(ring)):
        small = [(i, j) for i, j in crossings(ring) if j - i <= span]
        if not small or len(ring) <= MIN_RING_POSITIONS:
            break
        i, j = small[0]
        del ring[i + 1 : j + 1]
        if ring[0] != ring[-1]:
            ring.append(list(ring[0]))
    return ring


def build_features(source: dict, prefectures: list[PrefectureRecord],
                   halls: list[MunicipalityRecord], tolerance: float) -> list[dict]:
    by_name = {p.name_ja: p for p in prefectures}
    problems = []
    geometry_by_code: dict[str, list] = {}
    for feature in source["features"]:
        name = feature["properties"].get(NAME_PROPERTY)
        prefecture = by_name.get(name)
        if prefecture is None:
            problems.append(f"unknown prefecture {name!r}")
            continue
        if prefecture.code in geometry_by_code:
            problems.append(f"{name} appears twice")
            continue
        geometry_by_code[prefecture.code] = polygons_of(feature["geometry"])
    missing = sorted(set(by_name[p.name_ja].code for p in prefectures) - set(geometry_by_code))
    if missing:
        problems.append(f"no outline for {missing}")
    if problems:
        raise Unconvertible(problems)

    owners_sets: dict[tuple[float, float], set[int]] = {}
    for code, polygons in geometry_by_code.items():
        for polygon in polygons:
            for ring in polygon:
                for lon, lat in ring:
                    owners_sets.setdefault((float(lon), float(lat)), set()).add(int(code))
    owners = {key: frozenset(value) for key, value in owners_sets.items()}
    halls_by_code: dict[str, list[MunicipalityRecord]] = {}
    for hall in halls:
        halls_by_code.setdefault(hall.prefecture_code, []).append(hall)

    features = []
    for prefecture in prefectures:
        out_polygons = []
        for polygon in geometry_by_code[prefecture.code]:
            out_rings = []
            for index, ring in enumerate(polygon):
                inside = [h for h in halls_by_code.get(prefecture.code, [])
                          if point_in_ring(ring, h.lon, h.lat)]
                lons, lats = [lon for lon, _ in ring], [lat for _, lat in ring]
                neighbours = [
                    h for h in halls
                    if h.prefecture_code != prefecture.code
                    and min(lons) - 0.1 <= h.lon <= max(lons) + 0.1
                    and min(lats) - 0.1 <= h.lat <= max(lats) + 0.1
                    and not point_in_ring(ring, h.lon, h.lat)
                ]
                simplified = None
                for step in (tolerance, tolerance / 2, tolerance / 4, tolerance / 10, 0.0):
                    candidate = simplify_ring(ring, owners, step) if step else _clean(
                        np.array(ring, dtype=float))
                    if step:
                        candidate = drop_small_loops(candidate)
                    if len(candidate) < MIN_RING_POSITIONS:
                        if not inside:
                            break  # an islet smaller than the tolerance, with no town hall
                        continue
                    if crossings(candidate):
                        continue
                    if step and index == 0 and (
                        not all(point_in_ring(candidate, h.lon, h.lat) for h in inside)
                        or any(point_in_ring(candidate, h.lon, h.lat) for h in neighbours)
                    ):
                        continue  # a town hall changed sides: simplify less
                    simplified = candidate
                    break
                if simplified is None:
                    if index == 0:
                        break  # the outer ring vanished: drop the whole polygon
                    continue
                area = signed_area(simplified)
                if (index == 0) != (area > 0):
                    simplified = simplified[::-1]
                out_rings.append(simplified)
            if out_rings:
                out_polygons.append(out_rings)
        geometry = (
            {"type": "Polygon", "coordinates": out_polygons[0]}
            if len(out_polygons) == 1
            else {"type": "MultiPolygon", "coordinates": out_polygons}
        )
        features.append({
            "type": "Feature",
            "properties": {"code": prefecture.code, "name_ja": prefecture.name_ja,
                           "name_en": prefecture.name_en},
            "geometry": geometry,
        })
    return features


def render_geojson(features: list[dict]) -> str:
    """The FeatureCollection text: compact JSON, one feature per line, "\\n" endings."""
    lines = [json.dumps(feature, ensure_ascii=False, separators=(",", ":")) for feature in features]
    return '{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n"


def first_difference(old: str, new: str) -> str:
    """A one-line description of where two texts first differ. A line holds a whole feature,
    so only the stretch around the first differing character is shown."""
    old_lines, new_lines = old.splitlines(), new.splitlines()
    for number, (before, after) in enumerate(zip(old_lines, new_lines, strict=False), start=1):
        if before != after:
            column = next(
                (i for i, (a, b) in enumerate(zip(before, after, strict=False)) if a != b),
                min(len(before), len(after)),
            )
            start = max(column - 40, 0)
            return (
                f"line {number}, column {column + 1}: committed …{before[start:column + 40]!r}…, "
                f"rebuilt …{after[start:column + 40]!r}…"
            )
    return f"committed has {len(old_lines)} lines, rebuilt has {len(new_lines)}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, required=True,
                        help="the N03 prefectures GeoJSON (see the module docstring)")
    parser.add_argument("--check", action="store_true",
                        help="rebuild in memory and exit 1 if the committed file differs")
    parser.add_argument("--output", type=Path, default=OUTPUT,
                        help=f"the GeoJSON file (default {OUTPUT})")
    parser.add_argument("--tolerance", type=float, default=SIMPLIFY_TOLERANCE_DEGREES)
    args = parser.parse_args(argv)

    started = time.perf_counter()
    source_bytes = args.source.stat().st_size
    source = json.loads(args.source.read_text("utf-8"))
    try:
        features = build_features(source, load_prefectures(), load_municipalities(),
                                  args.tolerance)
    except Unconvertible as error:
        for problem in error.args[0]:
            print(f"unconvertible: {problem}", file=sys.stderr)
        return 2

    text = render_geojson(features)
    rings = [ring for f in features for polygon in polygons_of(f["geometry"]) for ring in polygon]
    positions = sum(len(ring) for ring in rings)
    size = len(text.encode("utf-8"))
    print(f"source {args.source.name}: {source_bytes:,} bytes")
    print(f"{len(features)} features, {len(rings)} rings, {positions} positions, {size:,} bytes")
    if size > MAX_BYTES:
        print(f"the file would be {size:,} bytes, over {MAX_BYTES:,}; raise --tolerance",
              file=sys.stderr)
        return 2

    status = 0
    if args.check:
        committed = args.output.read_text("utf-8") if args.output.exists() else ""
        if committed != text:
            print(f"{args.output} is out of date: {first_difference(committed, text)}",
                  file=sys.stderr)
            status = 1
        else:
            print(f"{args.output} is up to date")
    else:
        with args.output.open("w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        print(f"wrote {args.output}")
    print(f"done in {time.perf_counter() - started:.1f} s")
    return status


if __name__ == "__main__":
    sys.exit(main())
