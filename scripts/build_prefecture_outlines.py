"""Rebuild static/geo/prefectures.geojson, the 47 prefecture outlines, from japanmap.

Usage, from the repository root, with japanmap installed in any environment that can also
import this repository's ``evangelists`` package (the ``gazetteer`` extra lists it; a
throwaway venv with ``pip install numpy 'japanmap>=0.6,<0.7'`` does too):

    python scripts/build_prefecture_outlines.py          # (re)write static/geo/prefectures.geojson
    python scripts/build_prefecture_outlines.py --check  # rebuild in memory; exit 1 if it differs

Source: the PyPI package japanmap (Saito Tsutomu, Apache License 2.0; the committed file was
built with 0.6.0, and the version in use is printed on every run). Its ``japan.json`` holds
4,124 boundary points in longitude/latitude and, for each prefecture in JIS X 0401 order, the
arcs of its outline, each arc shared with one neighbour or with the sea (neighbour 0). The
package does not say where the coordinates come from; see static/geo/README.md.

japanmap draws ONE ring per prefecture: the area that contains the prefectural office (its
docs: 県庁所在地を含むエリア). Islands are not in it at all: no Sado, Awaji, Shodoshima, Oki,
Tsushima, Iki, Goto, Amakusa, Amami, Izu or Ogasawara islands, no Okinawa outside the main
island. Every geometry is therefore a one-ring Polygon, and town halls on islands fall outside
their prefecture's outline (tests/domain/test_prefecture_outlines.py counts them).

What the script does:

- checks that japanmap's prefecture names, in its order, are those of
  ``evangelists/data/prefectures.csv`` in code order (so japanmap's number N is code N);
- simplifies every arc once with Douglas-Peucker (SIMPLIFY_TOLERANCE_DEGREES), keeping its two
  end points, so a border shared by two prefectures stays identical on both sides: no gaps or
  overlaps appear between neighbours;
- chains the arcs into a ring, rounds to 3 decimals (about 100 m), drops repeated positions,
  closes the ring and orients it counter-clockwise (RFC 7946);
- untangles the places where japanmap's coastlines cross themselves (reorders positions,
  drops none; shared borders are never touched);
- refuses (exit 2) a ring that has fewer than 4 positions, still crosses or touches itself,
  or is not closed by its own arcs within MAX_ARC_GAP_DEGREES, and a file over MAX_BYTES.

Output: a GeoJSON FeatureCollection, one feature per line in code order, properties
``{"code": "01".."47", "name_ja", "name_en"}`` from prefectures.csv, UTF-8, "\\n" line
endings, so the same japanmap version always gives byte-identical output.

Exit status: 0 done; 1 ``--check`` found a difference; 2 the source could not be converted
(every problem is printed first).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from importlib import metadata
from pathlib import Path

import numpy as np

# Run as a plain script, Python puts scripts/ on the path, not the repository root; add the
# root so the domain package imports without an install.
REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from evangelists.gazetteer import PrefectureRecord, load_prefectures  # noqa: E402

OUTPUT = REPO_ROOT / "static" / "geo" / "prefectures.geojson"

# japanmap's outlines are coarse already, points a median 0.04° (about 4 km) apart, and look
# simplified upstream: Douglas-Peucker drops none of 0.6.0's 4,293 arc points at 0.005°, 9 at
# 0.01° and half at 0.02°. So this tolerance changes nothing today; it bounds what a later,
# finer japanmap may lose: 0.005° is about one screen pixel at zoom 8, the closest the app's
# maps look at these outlines.
SIMPLIFY_TOLERANCE_DEGREES = 0.005
# The app ships this file to every map page; a finer source must be simplified harder rather
# than grow it. tests/domain/test_prefecture_outlines.py holds the committed file to 300 KB.
MAX_BYTES = 250_000
DECIMALS = 3  # about 100 m; finer than the source's own detail
MIN_RING_POSITIONS = 4  # RFC 7946: first and last equal, and at least a triangle
# Arcs follow one another end to start, except that Shimane's coast ends 0.007° (about 700 m)
# from the start of its border with Tottori; the ring is closed across that gap. Anything
# wider would mean the arcs are not what this script expects.
MAX_ARC_GAP_DEGREES = 0.01

SOURCE_PACKAGE = "japanmap"


class Unconvertible(Exception):
    """japanmap's data is not what this script expects; ``args[0]`` lists the problems."""


# --- Reading the source ----------------------------------------------------------------------


def read_japanmap() -> tuple[list[str], np.ndarray, list[list[tuple[int, list[int]]]]]:
    """japanmap's prefecture names (index 0 = number 1), its points as an (n, 2) array of
    (lon, lat), and for each prefecture its arcs as (neighbour number or 0, point indices)."""
    import japanmap  # imported here: only the build needs it

    # With its defaults get_data() keeps real coordinates; pref_points() without an argument
    # would move Hokkaido and Okinawa for drawing.
    points, outlines = japanmap.get_data()
    lonlat = np.array([point for point, _ in points], dtype=float)
    arcs = [[(int(neighbour), list(indices)) for neighbour, indices in arcs] for arcs in outlines]
    return list(japanmap.pref_names[1:]), lonlat, arcs


# --- Geometry ----------------------------------------------------------------------------------


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


def untangle(line: list[list[float]]) -> tuple[list[list[float]], int]:
    """The polyline with every crossing of two of its segments undone by reversing the
    positions between them (a "2-opt" move: i→i+1 and j→j+1 become i→j and i+1→j+1), and the
    number of moves made. The end positions stay put and no position is dropped; each move
    shortens the line, so the loop ends."""
    line = [list(position) for position in line]
    moves = 0
    while found := crossings(line, touching=False):
        i, j = found[0]
        line[i + 1 : j + 1] = line[i + 1 : j + 1][::-1]
        moves += 1
    return line, moves


def arc_line(
    lonlat: np.ndarray, indices: tuple[int, ...], *, untangled: bool
) -> tuple[list[list[float]], int]:
    """One arc of japanmap's outlines as rounded [lon, lat] positions (simplified, without
    repeated positions, and, when ``untangled``, without self-crossings), and the number of
    untangling moves it took."""
    simplified = douglas_peucker(lonlat[list(indices)], SIMPLIFY_TOLERANCE_DEGREES)
    line: list[list[float]] = []
    for lon, lat in simplified:
        # float() first: round() of a numpy float stays a numpy float, which json refuses.
        position = [round(float(lon), DECIMALS), round(float(lat), DECIMALS)]
        if not line or line[-1] != position:
            line.append(position)
    return untangle(line) if untangled else (line, 0)


def prefecture_ring(
    lonlat: np.ndarray,
    arcs: list[tuple[int, list[int]]],
    lines: dict[tuple[int, ...], tuple[list[list[float]], int]],
) -> tuple[list[list[float]], list[str]]:
    """One prefecture's outline as a closed, counter-clockwise ring of [lon, lat], and the
    problems found building it. ``lines`` caches each arc under its point indices in one
    canonical direction, with its untangling count, so a border shared by two prefectures is
    built once and both get the same positions.

    japanmap's coastlines cross themselves in a few places (small zigzags, and the Hario
    strait into Omura Bay); they are untangled. Shared borders are left as they are, and
    any crossing left in the finished ring is reported."""
    problems = []
    ring: list[list[float]] = []
    for (neighbour, indices), (_, following) in zip(arcs, arcs[1:] + arcs[:1], strict=True):
        key = tuple(indices)
        canonical = min(key, key[::-1])
        if canonical not in lines:
            lines[canonical] = arc_line(lonlat, canonical, untangled=neighbour == 0)
        line = lines[canonical][0] if canonical == key else lines[canonical][0][::-1]
        ring.extend(line[1:] if ring and ring[-1] == line[0] else line)
        gap = float(np.hypot(*(lonlat[indices[-1]] - lonlat[following[0]])))
        if gap > MAX_ARC_GAP_DEGREES:
            problems.append(
                f"arc ending at point {indices[-1]} is {gap:.4f}° from the next one's start"
            )
    if len(ring) > 1 and ring[-1] == ring[0]:
        ring.pop()
    ring.append(list(ring[0]))

    if len(ring) < MIN_RING_POSITIONS:
        problems.append(f"the ring collapsed to {len(ring)} positions")
        return ring, problems
    area = signed_area(ring)
    if area == 0.0:
        problems.append("the ring has no area")
    elif area < 0:
        ring.reverse()
    left = crossings(ring)
    if left:
        problems.append(f"the ring crosses or touches itself at segment pairs {left[:5]}")
    return ring, problems


def build_features(
    names: list[str],
    lonlat: np.ndarray,
    arcs: list[list[tuple[int, list[int]]]],
    prefectures: list[PrefectureRecord],
) -> tuple[list[dict], int]:
    """The 47 GeoJSON features in code order, and how many crossings in japanmap's
    coastlines were untangled. Raises Unconvertible listing every problem."""
    problems = []
    if len(names) != len(prefectures) or len(arcs) != len(prefectures):
        raise Unconvertible(
            [f"japanmap has {len(names)} names and {len(arcs)} outlines, "
             f"prefectures.csv {len(prefectures)} rows"]
        )
    for number, (name, prefecture) in enumerate(zip(names, prefectures, strict=False), start=1):
        if prefecture.code != f"{number:02d}" or prefecture.name_ja != name:
            problems.append(
                f"japanmap's prefecture {number} is {name}, prefectures.csv row {number} is "
                f"{prefecture.code} {prefecture.name_ja}"
            )
    if problems:
        raise Unconvertible(problems)

    features = []
    lines: dict[tuple[int, ...], tuple[list[list[float]], int]] = {}
    for prefecture, prefecture_arcs in zip(prefectures, arcs, strict=False):
        ring, ring_problems = prefecture_ring(lonlat, prefecture_arcs, lines)
        problems.extend(f"{prefecture.code} {prefecture.name_ja}: {p}" for p in ring_problems)
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "code": prefecture.code,
                    "name_ja": prefecture.name_ja,
                    "name_en": prefecture.name_en,
                },
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        )
    if problems:
        raise Unconvertible(problems)
    return features, sum(moves for _, moves in lines.values())


# --- Writing -----------------------------------------------------------------------------------


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
    parser.add_argument(
        "--check",
        action="store_true",
        help="rebuild in memory and exit 1 if the committed file differs",
    )
    parser.add_argument(
        "--output", type=Path, default=OUTPUT, help=f"the GeoJSON file (default {OUTPUT})"
    )
    args = parser.parse_args(argv)

    started = time.perf_counter()
    print(f"source: {SOURCE_PACKAGE} {metadata.version(SOURCE_PACKAGE)}")
    try:
        features, untangled = build_features(*read_japanmap(), load_prefectures())
    except Unconvertible as error:
        for problem in error.args[0]:
            print(f"unconvertible: {problem}", file=sys.stderr)
        print(f"{len(error.args[0])} problem(s); see {__file__}", file=sys.stderr)
        return 2

    text = render_geojson(features)
    rings = [ring for feature in features for ring in feature["geometry"]["coordinates"]]
    positions = sum(len(ring) for ring in rings)
    size = len(text.encode("utf-8"))
    print(f"{len(features)} features, {len(rings)} rings, {positions} positions, {size:,} bytes")
    print(f"{untangled} crossing(s) in japanmap's coastlines untangled")
    if size > MAX_BYTES:
        print(
            f"the file would be {size:,} bytes, over {MAX_BYTES:,}; raise "
            "SIMPLIFY_TOLERANCE_DEGREES",
            file=sys.stderr,
        )
        return 2

    status = 0
    if args.check:
        committed = args.output.read_text("utf-8") if args.output.exists() else ""
        if committed != text:
            difference = first_difference(committed, text)
            print(f"{args.output} is out of date: {difference}", file=sys.stderr)
            script = Path(__file__).relative_to(REPO_ROOT)
            print(f"rebuild it with: python {script}", file=sys.stderr)
            status = 1
        else:
            print(f"{args.output} is up to date")
    else:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        # newline="" so the "\n" endings are written as they are on every platform.
        with args.output.open("w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        print(f"wrote {args.output}")
    print(f"done in {time.perf_counter() - started:.1f} s")
    return status


if __name__ == "__main__":
    sys.exit(main())
