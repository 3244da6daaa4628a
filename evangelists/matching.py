"""Matching evangelists to open support requests: rank candidates for one need, and assign
many needs at once.

Plain Python + numpy + scipy. The web layer turns database rows into :class:`Candidate` and
:class:`Need`, calls :func:`rank` or :func:`assign`, and renders each :class:`Match`'s
``reasons`` in Japanese or English.

Feasibility
    A (need, candidate) pair is feasible when the candidate has a free slot
    (``active_load < capacity``) and either

    * ``need.mode`` is ``"onsite"`` or ``"either"`` and the great-circle distance is at most
      ``candidate.travel_radius_km`` (onsite-feasible), or
    * ``need.mode`` is ``"online"`` or ``"either"`` and ``candidate.online_ok``.

    Infeasible pairs are never returned. An unknown mode raises ``ValueError``, as do
    duplicate need ids or duplicate candidate ids.

Score
    ``score`` is in [0, 1]: the weighted mean (weights normalised to sum 1, see
    :class:`Weights`) of five terms, each in [0, 1]:

    ``distance``
        ``1 / (1 + d / DISTANCE_HALF_SCORE_KM)`` with ``DISTANCE_HALF_SCORE_KM = 50``: 1 at
        the same spot, 0.5 at 50 km, 0.2 at 200 km, 0.06 at 800 km. A hyperbola rather than a
        clamp so that nearer is *strictly* better at every distance. It counts for online-only
        matches too (deliberately: a nearer evangelist shares the region's context and can
        later visit), so among online helpers the nearer one ranks first.
    ``coverage``
        share of ``need.topics`` found in ``candidate.skills``; 1.0 when the need names no topic.
    ``capacity``
        free share of the candidate's capacity before this match:
        ``(capacity - active_load) / capacity``.
    ``same_prefecture``
        1 when both are in the same prefecture, else 0.
    ``continuity``
        1 when ``need.municipality_code`` is in ``candidate.visited``, else 0.

    With the default weights (all positive) the score is strictly monotone in each term, all
    else equal. In :func:`assign` a pair's score does not depend on the rest of the plan (the
    capacity term uses the load *before* the plan).

Reasons
    ``Match.reasons`` is a tuple of plain tuples, first element the code, in this order:

    ``("distance_km", float)``       always; great-circle km rounded to 0.1
    ``("coverage", matched, total)`` always; ints, need topics the candidate has / need topics
                                     (``total == 0``: the need named no topic)
    ``("load", in_use, capacity)``   always; ints, active assignments now / capacity
    ``("same_prefecture",)``         when the prefectures are equal
    ``("visited_before",)``          when the candidate visited the municipality before
    ``("online",)``                  when the pair is feasible only online (out of radius or an
                                     online-only need)

    :data:`REASON_CODES` lists the codes.

Why not
    :func:`why_not` says why a pair is infeasible, as tuples like the reasons:

    ``("no_free_slot", in_use, capacity)``       every slot is taken
    ``("too_far", distance_km, radius_km)``      on site is needed (or possible) but the town is
                                                 beyond the travel radius
    ``("no_online",)``                           online would do, but the candidate does not
                                                 advise online

    :data:`REFUSAL_CODES` lists them.

Ordering and determinism
    :func:`rank` sorts by score descending, then distance ascending, then candidate id
    ascending. :func:`assign` and :func:`greedy_assign` return matches sorted by need id.
    Inputs are put in id order before any arithmetic, so the order in which needs and
    candidates are passed never changes the result.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable
from dataclasses import dataclass, fields

import numpy as np
from scipy.optimize import linear_sum_assignment

from evangelists.geo import haversine_matrix_km
from evangelists.vocabulary import REQUEST_MODES

__all__ = [
    "Candidate",
    "DEFAULT_WEIGHTS",
    "DISTANCE_HALF_SCORE_KM",
    "Match",
    "Need",
    "REASON_CODES",
    "Weights",
    "assign",
    "REFUSAL_CODES",
    "greedy_assign",
    "rank",
    "why_not",
]

DISTANCE_HALF_SCORE_KM = 50.0

REASON_CODES = (
    "distance_km",
    "coverage",
    "load",
    "same_prefecture",
    "visited_before",
    "online",
)

REFUSAL_CODES = ("no_free_slot", "too_far", "no_online")

_ONSITE_MODES = ("onsite", "either")
_ONLINE_MODES = ("online", "either")


@dataclass(frozen=True)
class Candidate:
    """An evangelist, as the matcher sees them."""

    id: int
    lat: float
    lon: float
    skills: frozenset[str]  # topic tags
    capacity: int  # max concurrent active assignments
    active_load: int  # active assignments now
    travel_radius_km: float
    online_ok: bool
    prefecture_code: str  # "01".."47"
    visited: frozenset[str] = frozenset()  # municipality codes visited before


@dataclass(frozen=True)
class Need:
    """An open support request."""

    id: int
    municipality_code: str
    prefecture_code: str
    lat: float
    lon: float
    topics: frozenset[str]
    mode: str  # "onsite" | "online" | "either"


@dataclass(frozen=True)
class Match:
    need_id: int
    candidate_id: int
    score: float  # 0.0 .. 1.0, higher is better
    distance_km: float  # great-circle distance
    reasons: tuple  # structured reasons, each renderable in ja and en (see module doc)


@dataclass(frozen=True)
class Weights:
    """Relative weights of the score terms. Non-negative, finite, not all zero; they are
    normalised to sum 1, so ``Weights(2, 2, 0, 0, 0)`` equals ``Weights(1, 1, 0, 0, 0)``."""

    distance: float = 0.35
    coverage: float = 0.35
    capacity: float = 0.15
    same_prefecture: float = 0.05
    continuity: float = 0.10

    def __post_init__(self) -> None:
        values = [getattr(self, f.name) for f in fields(self)]
        if any(not math.isfinite(v) or v < 0 for v in values):
            raise ValueError(f"weights must be finite and non-negative: {self!r}")
        if sum(values) <= 0:
            raise ValueError("at least one weight must be positive")

    def normalised(self) -> tuple[float, float, float, float, float]:
        """(distance, coverage, capacity, same_prefecture, continuity), summing to 1."""
        values = [float(getattr(self, f.name)) for f in fields(self)]
        total = sum(values)
        return tuple(v / total for v in values)  # type: ignore[return-value]


DEFAULT_WEIGHTS = Weights()


# --- Vectorised scoring ------------------------------------------------------------------


def _unique_by_id(items: Iterable, what: str) -> list:
    ordered = sorted(items, key=lambda item: item.id)
    for a, b in itertools.pairwise(ordered):
        if a.id == b.id:
            raise ValueError(f"duplicate {what} id {a.id!r}")
    for item in ordered:
        if what == "need" and item.mode not in REQUEST_MODES:
            raise ValueError(f"need {item.id!r}: unknown mode {item.mode!r}")
    return ordered


def _incidence(per_row: Iterable[Iterable[int]]) -> tuple[list[int], list[int]]:
    """(row indices, column indices) of the ones of a 0/1 matrix given row by row."""
    rows: list[int] = []
    cols: list[int] = []
    for i, row_cols in enumerate(per_row):
        before = len(cols)
        cols.extend(row_cols)
        rows.extend([i] * (len(cols) - before))
    return rows, cols


@dataclass
class _Table:
    """Everything about needs (rows) × candidates (columns), as arrays."""

    needs: list[Need]
    candidates: list[Candidate]
    distance: np.ndarray  # km, float
    feasible: np.ndarray  # bool
    online_only: np.ndarray  # bool: feasible, but not onsite-feasible
    matched: np.ndarray  # int: need topics the candidate has
    topic_total: np.ndarray  # int per need
    same_prefecture: np.ndarray  # bool
    visited: np.ndarray  # bool
    score: np.ndarray  # float in [0, 1]
    free: np.ndarray  # int per candidate: free slots (>= 0)


def _table(needs: list[Need], candidates: list[Candidate], weights: Weights | None) -> _Table:
    w_dist, w_cov, w_cap, w_pref, w_cont = (weights or DEFAULT_WEIGHTS).normalised()
    n_n, n_c = len(needs), len(candidates)

    c_lat = np.fromiter((c.lat for c in candidates), float, n_c)
    c_lon = np.fromiter((c.lon for c in candidates), float, n_c)
    capacity = np.fromiter((c.capacity for c in candidates), np.int64, n_c)
    load = np.fromiter((c.active_load for c in candidates), np.int64, n_c)
    radius = np.fromiter((c.travel_radius_km for c in candidates), float, n_c)
    online_ok = np.fromiter((bool(c.online_ok) for c in candidates), bool, n_c)
    n_lat = np.fromiter((n.lat for n in needs), float, n_n)
    n_lon = np.fromiter((n.lon for n in needs), float, n_n)
    wants_onsite = np.fromiter((n.mode in _ONSITE_MODES for n in needs), bool, n_n)
    wants_online = np.fromiter((n.mode in _ONLINE_MODES for n in needs), bool, n_n)

    distance = haversine_matrix_km(n_lat, n_lon, c_lat, c_lon)
    free = np.maximum(capacity - load, 0)
    onsite_ok = wants_onsite[:, None] & (distance <= radius[None, :])
    feasible = (onsite_ok | (wants_online[:, None] & online_ok[None, :])) & (free > 0)[None, :]
    online_only = feasible & ~onsite_ok

    # Topic coverage: need-topic and skill incidence matrices over the needs' topics.
    topic_index: dict[str, int] = {}
    for need in needs:
        for topic in sorted(need.topics):
            topic_index.setdefault(topic, len(topic_index))
    need_topics = np.zeros((n_n, len(topic_index)), dtype=float)
    rows, cols = _incidence((topic_index[t] for t in need.topics) for need in needs)
    need_topics[rows, cols] = 1.0
    skills = np.zeros((n_c, len(topic_index)), dtype=float)
    rows, cols = _incidence(
        (topic_index[s] for s in cand.skills if s in topic_index) for cand in candidates
    )
    skills[rows, cols] = 1.0
    matched = np.rint(need_topics @ skills.T).astype(np.int64)  # small exact integers
    topic_total = need_topics.sum(axis=1).astype(np.int64)
    coverage = np.ones((n_n, n_c))
    has_topics = topic_total > 0
    coverage[has_topics] = matched[has_topics] / topic_total[has_topics, None]

    # Same prefecture and continuity, through small integer codes.
    pref_index: dict[str, int] = {}
    n_pref = np.fromiter(
        (pref_index.setdefault(n.prefecture_code, len(pref_index)) for n in needs), np.int64, n_n
    )
    c_pref = np.fromiter(
        (pref_index.setdefault(c.prefecture_code, len(pref_index)) for c in candidates),
        np.int64,
        n_c,
    )
    same_prefecture = n_pref[:, None] == c_pref[None, :]

    muni_index: dict[str, int] = {}
    n_muni = np.fromiter(
        (muni_index.setdefault(n.municipality_code, len(muni_index)) for n in needs), np.int64, n_n
    )
    visited_by = np.zeros((n_c, len(muni_index)), dtype=bool)
    rows, cols = _incidence(
        (muni_index[m] for m in cand.visited if m in muni_index)
        if len(cand.visited) <= len(muni_index)
        else (k for m, k in muni_index.items() if m in cand.visited)
        for cand in candidates
    )
    visited_by[rows, cols] = True
    visited = visited_by[:, n_muni].T

    safe_capacity = np.where(capacity > 0, capacity, 1)
    free_share = np.where(capacity > 0, np.minimum(free / safe_capacity, 1.0), 0.0)
    with np.errstate(invalid="ignore"):
        dist_term = 1.0 / (1.0 + distance / DISTANCE_HALF_SCORE_KM)
    dist_term = np.nan_to_num(dist_term, nan=0.0)  # non-finite coordinates: no credit

    score = w_dist * dist_term + w_cov * coverage
    score += w_cap * free_share[None, :]
    score += w_pref * same_prefecture
    score += w_cont * visited
    np.clip(score, 0.0, 1.0, out=score)

    return _Table(
        needs=needs,
        candidates=candidates,
        distance=distance,
        feasible=feasible,
        online_only=online_only,
        matched=matched,
        topic_total=topic_total,
        same_prefecture=same_prefecture,
        visited=visited,
        score=score,
        free=free,
    )


def _match(table: _Table, i: int, j: int) -> Match:
    need, cand = table.needs[i], table.candidates[j]
    distance = float(table.distance[i, j])
    reasons: list[tuple] = [
        ("distance_km", round(distance, 1)),
        ("coverage", int(table.matched[i, j]), int(table.topic_total[i])),
        ("load", int(cand.active_load), int(cand.capacity)),
    ]
    if table.same_prefecture[i, j]:
        reasons.append(("same_prefecture",))
    if table.visited[i, j]:
        reasons.append(("visited_before",))
    if table.online_only[i, j]:
        reasons.append(("online",))
    return Match(
        need_id=need.id,
        candidate_id=cand.id,
        score=float(table.score[i, j]),
        distance_km=distance,
        reasons=tuple(reasons),
    )


# --- Public API --------------------------------------------------------------------------


def rank(
    need: Need,
    candidates: Iterable[Candidate],
    *,
    weights: Weights | None = None,
    limit: int | None = 10,
) -> list[Match]:
    """Feasible candidates for ``need``, best first (score desc, distance asc, id asc), at
    most ``limit`` of them (``None``: all)."""
    if limit is not None and limit < 0:
        raise ValueError("limit must be >= 0 or None")
    needs = _unique_by_id([need], "need")
    cands = _unique_by_id(candidates, "candidate")
    if not cands or limit == 0:
        return []
    table = _table(needs, cands, weights)
    cols = np.flatnonzero(table.feasible[0])
    ids = np.fromiter((cands[j].id for j in cols), np.int64, len(cols))
    order = np.lexsort((ids, table.distance[0, cols], -table.score[0, cols]))
    if limit is not None:
        order = order[:limit]
    return [_match(table, 0, int(cols[k])) for k in order]


def assign(
    needs: Iterable[Need],
    candidates: Iterable[Candidate],
    *,
    weights: Weights | None = None,
    forbidden: Iterable[tuple[int, int]] = (),
) -> list[Match]:
    """An optimal plan: each need gets at most one candidate, each candidate at most
    ``capacity - active_load`` needs; as many needs as possible are served and, among such
    plans, the total score is maximal. Matches sorted by need id. ``forbidden`` holds
    ``(need_id, candidate_id)`` pairs treated as infeasible (e.g. an evangelist who
    already declined that request).

    Solved exactly with ``linear_sum_assignment`` on a needs × free-slots matrix (a candidate's
    column repeated once per free slot). Every feasible entry gets a bonus larger than any
    possible total score, so a plan serving more needs always wins; infeasible entries are 0,
    i.e. no better than leaving the need unserved, and are dropped from the result."""
    need_list = _unique_by_id(needs, "need")
    cand_list = _unique_by_id(candidates, "candidate")
    if not need_list or not cand_list:
        return []
    table = _table(need_list, cand_list, weights)
    need_index = {n.id: i for i, n in enumerate(table.needs)}
    cand_index = {c.id: j for j, c in enumerate(table.candidates)}
    for need_id, candidate_id in forbidden:
        if need_id in need_index and candidate_id in cand_index:
            table.feasible[need_index[need_id], cand_index[candidate_id]] = False

    rows = np.flatnonzero(table.feasible.any(axis=1))
    cols = np.flatnonzero(table.feasible.any(axis=0))
    if len(rows) == 0:
        return []
    feasible = table.feasible[np.ix_(rows, cols)]
    bonus = float(len(rows) + 1)
    value = np.where(feasible, table.score[np.ix_(rows, cols)] + bonus, 0.0)
    slot_cols = np.repeat(np.arange(len(cols)), table.free[cols])
    r, s = linear_sum_assignment(value[:, slot_cols], maximize=True)
    c = slot_cols[s]
    keep = feasible[r, c]
    pairs = sorted(zip(rows[r[keep]].tolist(), cols[c[keep]].tolist(), strict=True))
    return [_match(table, i, j) for i, j in pairs]


def greedy_assign(
    needs: Iterable[Need],
    candidates: Iterable[Candidate],
    *,
    weights: Weights | None = None,
) -> list[Match]:
    """Baseline for benchmarks and tests: repeatedly take the best remaining feasible pair
    (score desc, distance asc, need id asc, candidate id asc) whose need is unserved and
    whose candidate has a free slot. Matches sorted by need id. Not optimal."""
    need_list = _unique_by_id(needs, "need")
    cand_list = _unique_by_id(candidates, "candidate")
    if not need_list or not cand_list:
        return []
    table = _table(need_list, cand_list, weights)
    i_idx, j_idx = np.nonzero(table.feasible)  # row-major: need id asc, then candidate id asc
    order = np.lexsort(
        (j_idx, i_idx, table.distance[i_idx, j_idx], -table.score[i_idx, j_idx])
    )
    slots = table.free.tolist()
    served = [False] * len(need_list)
    left = len(need_list)
    pairs = []
    for i, j in zip(i_idx[order].tolist(), j_idx[order].tolist(), strict=True):
        if served[i] or slots[j] == 0:
            continue
        served[i] = True
        slots[j] -= 1
        pairs.append((i, j))
        left -= 1
        if left == 0:
            break
    pairs.sort()
    return [_match(table, i, j) for i, j in pairs]


def why_not(need: Need, candidate: Candidate) -> tuple:
    """Why ``candidate`` cannot take ``need`` (see "Why not" above); empty when the pair is
    feasible, i.e. exactly when :func:`rank` would return it."""
    need, = _unique_by_id([need], "need")
    table = _table([need], [candidate], None)
    if table.feasible[0, 0]:
        return ()
    reasons: list[tuple] = []
    if table.free[0] <= 0:
        reasons.append(("no_free_slot", int(candidate.active_load), int(candidate.capacity)))
    distance = float(table.distance[0, 0])
    reachable = need.mode in _ONSITE_MODES and distance <= candidate.travel_radius_km
    online = need.mode in _ONLINE_MODES and candidate.online_ok
    if not (reachable or online):
        if need.mode in _ONSITE_MODES:
            reasons.append(("too_far", round(distance, 1), float(candidate.travel_radius_km)))
        if need.mode in _ONLINE_MODES:
            reasons.append(("no_online",))
    return tuple(reasons)
