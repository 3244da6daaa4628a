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

Pools
    :class:`CandidatePool` holds the candidates' columns as numpy arrays, built once; the
    web layer keeps one per data version and ranks every request over it
    (:func:`rank_in_pool`) without rebuilding anything. :func:`rank` builds a pool and ranks
    in it, so both give the same matches, bit for bit.

Large plans
    The dense table of :func:`assign` costs needs × candidates cells (13.5 M at 1,500 × 9,000,
    a second and a half of sines alone). Above ``DENSE_CELLS`` cells :func:`assign` prunes
    instead, and stays exact: each need keeps its ``k`` best candidates by a cheap score
    (distances from unit vectors through one matrix product, within ``_MARGIN_KM`` of the
    haversine's), the exact score (the same formulas as the dense table) is computed for
    the kept pairs only, and the sparse problem is solved with
    ``min_weight_full_bipartite_matching``. The solution is then *proved* optimal for the
    whole problem: a need whose list was cut must have a kept candidate with a slot left
    over and an exact score at least the best cut pair's bound. Then, by LP duality, the
    slot's dual is 0, the need's dual is at least that score, and every cut pair satisfies
    its dual constraint, so no cut pair could improve the plan. Needs that fail the check
    get a longer list (``k`` doubles) until it holds or nothing is cut. The plan serves as
    many needs, with the same total score, as the dense solution (ties may pick another
    pair of equal score).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable
from dataclasses import dataclass, fields

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.sparse import csr_array
from scipy.sparse.csgraph import min_weight_full_bipartite_matching

from evangelists.geo import EARTH_RADIUS_KM, haversine_km_of, haversine_matrix_km
from evangelists.vocabulary import REQUEST_MODES

__all__ = [
    "Candidate",
    "CandidatePool",
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
    "rank_in_pool",
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

# Above this many needs × candidates cells, assign() prunes (see "Large plans").
DENSE_CELLS = 2_000_000
_FIRST_SHORTLIST = 12  # candidates kept per need at first; doubled for a need that fails the check
_MARGIN_KM = 0.01  # the unit-vector distance is within a few metres of the haversine's: 10 m is safe
_ROW_CHUNK = 256  # needs scored at once when pruning (bounds the memory to chunk × candidates)


def _unique_by_id(items: Iterable, what: str) -> list:
    ordered = sorted(items, key=lambda item: item.id)
    for a, b in itertools.pairwise(ordered):
        if a.id == b.id:
            raise ValueError(f"duplicate {what} id {a.id!r}")
    for item in ordered:
        if what == "need" and item.mode not in REQUEST_MODES:
            raise ValueError(f"need {item.id!r}: unknown mode {item.mode!r}")
    return ordered


class CandidatePool:
    """The candidates' columns as arrays, in id order, built once (see "Pools"). Read-only
    once built: a pool may be shared by threads."""

    def __init__(self, candidates: Iterable[Candidate]) -> None:
        cands = list(candidates)
        self._build(
            [c.id for c in cands], [c.lat for c in cands], [c.lon for c in cands],
            [c.capacity for c in cands], [c.active_load for c in cands], [c.travel_radius_km for c in cands],
            [c.online_ok for c in cands], [c.prefecture_code for c in cands],
            [(c.id, s) for c in cands for s in c.skills], [(c.id, v) for c in cands for v in c.visited],
        )

    @classmethod
    def from_columns(cls, ids, lat, lon, capacity, active_load, travel_radius_km, online_ok, prefecture_code,
                     skills: Iterable[tuple[int, str]] = (), visited: Iterable[tuple[int, str]] = ()) -> CandidatePool:
        """A pool straight from columns (one value per candidate, in any order) and
        (candidate id, topic) and (candidate id, municipality code) pairs, without a
        :class:`Candidate` per person: the same pool as from the Candidates."""
        pool = cls.__new__(cls)
        pool._build(ids, lat, lon, capacity, active_load, travel_radius_km, online_ok, prefecture_code,
                    skills, visited)
        return pool

    def _build(self, ids, lat, lon, capacity, active_load, travel_radius_km, online_ok, prefecture_code,
               skills, visited) -> None:
        raw_ids = np.asarray(ids, dtype=np.int64).reshape(-1)
        order = np.argsort(raw_ids, kind="stable")
        self.ids = raw_ids[order]
        repeated = np.flatnonzero(self.ids[1:] == self.ids[:-1])
        if len(repeated):
            raise ValueError(f"duplicate candidate id {int(self.ids[repeated[0]])!r}")
        n = len(self.ids)
        self.index = dict(zip(self.ids.tolist(), range(n), strict=True))

        def column(values, dtype) -> np.ndarray:
            return np.asarray(values, dtype=dtype).reshape(-1)[order] if n else np.empty(0, dtype)

        self.lat = column(lat, float)
        self.lon = column(lon, float)
        self.capacity = column(capacity, np.int64)
        self.load = column(active_load, np.int64)
        self.radius = column(travel_radius_km, float)
        self.online_ok = np.array([bool(v) for v in online_ok], dtype=bool)[order] if n else np.empty(0, bool)
        self.free = np.maximum(self.capacity - self.load, 0)
        safe_capacity = np.where(self.capacity > 0, self.capacity, 1)
        self.free_share = np.where(self.capacity > 0, np.minimum(self.free / safe_capacity, 1.0), 0.0)
        prefs = list(prefecture_code)
        self.pref_index: dict[str, int] = {}
        self.pref = np.fromiter((self.pref_index.setdefault(prefs[k], len(self.pref_index)) for k in order.tolist()),
                                np.int64, n)
        skill_pairs = [(self.index[c], t) for c, t in skills if c in self.index]
        self.topic_index: dict[str, int] = {slug: k for k, slug in enumerate(sorted({t for _c, t in skill_pairs}))}
        self.skills = np.zeros((n, len(self.topic_index)), dtype=float)
        if skill_pairs:
            self.skills[[j for j, _t in skill_pairs], [self.topic_index[t] for _j, t in skill_pairs]] = 1.0
        visit_pairs = sorted({(self.index[c], code) for c, code in visited if c in self.index})
        self._visit_cand = np.array([j for j, _code in visit_pairs], dtype=np.int64)
        self._visit_code = [code for _j, code in visit_pairs]
        visitors: dict[str, list[int]] = {}
        for j, code in visit_pairs:
            visitors.setdefault(code, []).append(j)
        self.visitors = {code: np.array(js, dtype=np.int64) for code, js in visitors.items()}
        phi, lam = np.radians(self.lat), np.radians(self.lon)
        self.xyz = np.column_stack((np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)))
        self._prefs = [prefs[k] for k in order.tolist()]
        self._topics = sorted(self.topic_index, key=self.topic_index.get)

    def __len__(self) -> int:
        return len(self.ids)

    def within(self, prefecture_codes: Iterable[str]) -> CandidatePool:
        """The pool of the candidates whose prefecture is one of ``prefecture_codes`` (a
        regional coordinator's evangelists), their columns unchanged."""
        wanted = set(prefecture_codes)
        keep = np.array([p in wanted for p in self._prefs], dtype=bool)
        kept_ids = set(self.ids[keep].tolist())
        skills = [(int(self.ids[j]), self._topics[k]) for j, k in zip(*np.nonzero(self.skills), strict=True)
                  if keep[j]]
        visited = [(int(self.ids[j]), code) for j, code in zip(self._visit_cand.tolist(), self._visit_code, strict=True)
                   if keep[j]]
        return CandidatePool.from_columns(
            self.ids[keep], self.lat[keep], self.lon[keep], self.capacity[keep], self.load[keep], self.radius[keep],
            self.online_ok[keep], [p for p, k in zip(self._prefs, keep.tolist(), strict=True) if k],
            skills=[s for s in skills if s[0] in kept_ids], visited=visited,
        )

    def candidate(self, candidate_id: int) -> Candidate:
        """The pool's candidate ``candidate_id`` (KeyError when not in the pool)."""
        j = self.index[candidate_id]
        return Candidate(
            id=candidate_id, lat=float(self.lat[j]), lon=float(self.lon[j]),
            skills=frozenset(self._topics[k] for k in np.flatnonzero(self.skills[j]).tolist()),
            capacity=int(self.capacity[j]), active_load=int(self.load[j]),
            travel_radius_km=float(self.radius[j]), online_ok=bool(self.online_ok[j]),
            prefecture_code=self._prefs[j],
            visited=frozenset(self._visit_code[k] for k in np.flatnonzero(self._visit_cand == j).tolist()),
        )


def _incidence(per_row: Iterable[Iterable[int]]) -> tuple[list[int], list[int]]:
    """(row indices, column indices) of the ones of a 0/1 matrix given row by row."""
    rows: list[int] = []
    cols: list[int] = []
    for i, row_cols in enumerate(per_row):
        before = len(cols)
        cols.extend(row_cols)
        rows.extend([i] * (len(cols) - before))
    return rows, cols


class _Needs:
    """The needs' columns as arrays, against one pool's topic and prefecture codes."""

    def __init__(self, needs: list[Need], pool: CandidatePool) -> None:
        n = len(needs)
        self.needs = needs
        self.ids = np.fromiter((nd.id for nd in needs), np.int64, n)
        self.lat = np.fromiter((nd.lat for nd in needs), float, n)
        self.lon = np.fromiter((nd.lon for nd in needs), float, n)
        self.wants_onsite = np.fromiter((nd.mode in _ONSITE_MODES for nd in needs), bool, n)
        self.wants_online = np.fromiter((nd.mode in _ONLINE_MODES for nd in needs), bool, n)
        # Topics no candidate has still count in the total: their columns stay empty.
        topics = dict(pool.topic_index)
        for nd in needs:
            for t in sorted(nd.topics):
                topics.setdefault(t, len(topics))
        self.topics = np.zeros((n, len(topics)), dtype=float)
        rows, cols = _incidence((topics[t] for t in nd.topics) for nd in needs)
        self.topics[rows, cols] = 1.0
        self.topic_total = self.topics.sum(axis=1).astype(np.int64)
        if len(topics) == pool.skills.shape[1]:
            self.skills = pool.skills  # only read
        else:
            self.skills = np.zeros((len(pool), len(topics)), dtype=float)
            self.skills[:, : pool.skills.shape[1]] = pool.skills
        self.pref = np.fromiter((pool.pref_index.get(nd.prefecture_code, -1) for nd in needs), np.int64, n)
        self.visitors = [pool.visitors.get(nd.municipality_code) for nd in needs]
        towns: dict[str, int] = {}
        self.town = np.fromiter((towns.setdefault(nd.municipality_code, len(towns)) for nd in needs), np.int64, n)
        self._town_visitors = [pool.visitors.get(code) for code in towns]
        phi, lam = np.radians(self.lat), np.radians(self.lon)
        self.xyz = np.column_stack((np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)))

    def matched(self, rows) -> np.ndarray:
        """Need topics each candidate has, for ``rows`` × every candidate (small exact ints)."""
        return np.rint(self.topics[rows] @ self.skills.T).astype(np.int64)

    def visit_keys(self, n_c: int) -> np.ndarray:
        """``town * n_c + candidate`` for every candidate who visited a need's town, sorted."""
        keys = [t * n_c + v for t, v in enumerate(self._town_visitors) if v is not None]
        return np.sort(np.concatenate(keys)) if keys else np.empty(0, np.int64)

    def visited(self, rows: np.ndarray, n_c: int) -> np.ndarray:
        out = np.zeros((len(rows), n_c), dtype=bool)
        for k, i in enumerate(rows.tolist()):
            if self.visitors[i] is not None:
                out[k, self.visitors[i]] = True
        return out


def _coverage(matched: np.ndarray, total: np.ndarray) -> np.ndarray:
    """Share of the need's topics covered, 1.0 for a need naming none (``total`` broadcasts
    against ``matched``)."""
    total = np.broadcast_to(total, matched.shape)
    return np.divide(matched, total, out=np.ones(matched.shape), where=total > 0)


def _score(weights: tuple, distance, coverage, free_share, same_prefecture, visited) -> np.ndarray:
    """The weighted score, element by element (the same operations, in the same order, for
    a whole table and for a list of pairs, so both give the same bits)."""
    w_dist, w_cov, w_cap, w_pref, w_cont = weights
    with np.errstate(invalid="ignore"):
        dist_term = 1.0 / (1.0 + distance / DISTANCE_HALF_SCORE_KM)
    dist_term = np.nan_to_num(dist_term, nan=0.0)  # non-finite coordinates: no credit
    score = w_dist * dist_term + w_cov * coverage
    score += w_cap * free_share
    score += w_pref * same_prefecture
    score += w_cont * visited
    np.clip(score, 0.0, 1.0, out=score)
    return score


def _haversine_pairs_km(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Kilometres between ``(lat1[k], lon1[k])`` and ``(lat2[k], lon2[k])``: the operations
    of ``evangelists.geo.haversine_matrix_km``, pair by pair."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dl = np.radians(lon2) - np.radians(lon1)
    terms = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return haversine_km_of(terms)


@dataclass
class _Pairs:
    """Exact values of some (need, candidate) pairs, as arrays over the pairs."""

    need: np.ndarray  # row index into the needs
    cand: np.ndarray  # column index into the pool
    distance: np.ndarray
    feasible: np.ndarray
    online_only: np.ndarray
    matched: np.ndarray
    same_prefecture: np.ndarray
    visited: np.ndarray
    score: np.ndarray


def _match(nd: _Needs, pool: CandidatePool, pairs: _Pairs, k: int) -> Match:
    i, j = int(pairs.need[k]), int(pairs.cand[k])
    distance = float(pairs.distance[k])
    reasons: list[tuple] = [
        ("distance_km", round(distance, 1)),
        ("coverage", int(pairs.matched[k]), int(nd.topic_total[i])),
        ("load", int(pool.load[j]), int(pool.capacity[j])),
    ]
    if pairs.same_prefecture[k]:
        reasons.append(("same_prefecture",))
    if pairs.visited[k]:
        reasons.append(("visited_before",))
    if pairs.online_only[k]:
        reasons.append(("online",))
    return Match(
        need_id=int(nd.ids[i]),
        candidate_id=int(pool.ids[j]),
        score=float(pairs.score[k]),
        distance_km=distance,
        reasons=tuple(reasons),
    )


def _table(nd: _Needs, pool: CandidatePool, weights: tuple, rows: np.ndarray | None = None) -> _Pairs:
    """Every pair of ``rows`` (default: all needs) × every candidate, as flattened arrays
    of shape (rows, candidates)."""
    rows = np.arange(len(nd.needs)) if rows is None else rows
    distance = haversine_matrix_km(nd.lat[rows], nd.lon[rows], pool.lat, pool.lon)
    onsite_ok = nd.wants_onsite[rows, None] & (distance <= pool.radius[None, :])
    feasible = (onsite_ok | (nd.wants_online[rows, None] & pool.online_ok[None, :])) & (pool.free > 0)[None, :]
    matched = nd.matched(rows)
    coverage = _coverage(matched, nd.topic_total[rows, None])
    same_prefecture = nd.pref[rows, None] == pool.pref[None, :]
    visited = nd.visited(rows, len(pool))
    score = _score(weights, distance, coverage, pool.free_share[None, :], same_prefecture, visited)
    shape = distance.shape
    return _Pairs(
        need=np.broadcast_to(rows[:, None], shape), cand=np.broadcast_to(np.arange(len(pool))[None, :], shape),
        distance=distance, feasible=feasible, online_only=feasible & ~onsite_ok, matched=matched,
        same_prefecture=same_prefecture, visited=visited, score=score,
    )


def _pairs(nd: _Needs, pool: CandidatePool, weights: tuple, i: np.ndarray, j: np.ndarray) -> _Pairs:
    """The pairs ``(i[k], j[k])`` only, with exactly the values :func:`_table` gives them."""
    distance = _haversine_pairs_km(nd.lat[i], nd.lon[i], pool.lat[j], pool.lon[j])
    onsite_ok = nd.wants_onsite[i] & (distance <= pool.radius[j])
    feasible = (onsite_ok | (nd.wants_online[i] & pool.online_ok[j])) & (pool.free[j] > 0)
    matched = np.rint(np.einsum("kt,kt->k", nd.topics[i], nd.skills[j])).astype(np.int64)
    coverage = _coverage(matched, nd.topic_total[i])
    same_prefecture = nd.pref[i] == pool.pref[j]
    visited = np.isin(nd.town[i] * len(pool) + j, nd.visit_keys(len(pool)))
    score = _score(weights, distance, coverage, pool.free_share[j], same_prefecture, visited)
    return _Pairs(need=i, cand=j, distance=distance, feasible=feasible, online_only=feasible & ~onsite_ok,
                  matched=matched, same_prefecture=same_prefecture, visited=visited, score=score)


def _pool_of(candidates: Iterable[Candidate] | CandidatePool) -> CandidatePool:
    return candidates if isinstance(candidates, CandidatePool) else CandidatePool(candidates)


# --- Public API --------------------------------------------------------------------------


def rank(
    need: Need,
    candidates: Iterable[Candidate] | CandidatePool,
    *,
    weights: Weights | None = None,
    limit: int | None = 10,
) -> list[Match]:
    """Feasible candidates for ``need``, best first (score desc, distance asc, id asc), at
    most ``limit`` of them (``None``: all)."""
    return rank_in_pool(need, _pool_of(candidates), weights=weights, limit=limit)


def rank_in_pool(
    need: Need,
    pool: CandidatePool,
    *,
    exclude: Iterable[int] = (),
    weights: Weights | None = None,
    limit: int | None = 10,
) -> list[Match]:
    """As :func:`rank` over ``pool``'s candidates but those whose id is in ``exclude``."""
    if limit is not None and limit < 0:
        raise ValueError("limit must be >= 0 or None")
    needs = _unique_by_id([need], "need")
    if not len(pool) or limit == 0:
        return []
    nd = _Needs(needs, pool)
    table = _table(nd, pool, (weights or DEFAULT_WEIGHTS).normalised())
    feasible = table.feasible[0].copy()
    skip = [pool.index[e] for e in exclude if e in pool.index]
    feasible[skip] = False
    cols = np.flatnonzero(feasible)
    order = np.lexsort((pool.ids[cols], table.distance[0, cols], -table.score[0, cols]))
    if limit is not None:
        order = order[:limit]
    flat = _Pairs(**{f.name: getattr(table, f.name)[0] for f in fields(_Pairs)})
    return [_match(nd, pool, flat, int(cols[k])) for k in order]


def assign(
    needs: Iterable[Need],
    candidates: Iterable[Candidate] | CandidatePool,
    *,
    weights: Weights | None = None,
    forbidden: Iterable[tuple[int, int]] = (),
    method: str = "auto",
) -> list[Match]:
    """An optimal plan: each need gets at most one candidate, each candidate at most
    ``capacity - active_load`` needs; as many needs as possible are served and, among such
    plans, the total score is maximal. Matches sorted by need id. ``forbidden`` holds
    ``(need_id, candidate_id)`` pairs treated as infeasible (e.g. an evangelist who
    already declined that request).

    ``method`` "dense" solves exactly with ``linear_sum_assignment`` on a needs × free-slots
    matrix (a candidate's column repeated once per free slot). Every feasible entry gets a
    bonus larger than any possible total score, so a plan serving more needs always wins;
    infeasible entries are 0, i.e. no better than leaving the need unserved, and are
    dropped from the result. "pruned" solves the same problem on short lists and proves
    the result optimal (see "Large plans"); "auto" (default) is "dense" up to
    ``DENSE_CELLS`` needs × candidates, else "pruned"."""
    if method not in ("auto", "dense", "pruned"):
        raise ValueError(f"unknown method {method!r}")
    need_list = _unique_by_id(needs, "need")
    pool = _pool_of(candidates)
    if not need_list or not len(pool):
        return []
    nd = _Needs(need_list, pool)
    need_index = {n.id: i for i, n in enumerate(need_list)}
    banned = [(need_index[n], pool.index[c]) for n, c in forbidden if n in need_index and c in pool.index]
    w = (weights or DEFAULT_WEIGHTS).normalised()
    if method == "pruned" or (method == "auto" and len(need_list) * len(pool) > DENSE_CELLS):
        return _assign_pruned(nd, pool, w, banned)
    table = _table(nd, pool, w)
    feasible_all = table.feasible
    for i, j in banned:
        feasible_all[i, j] = False
    rows = np.flatnonzero(feasible_all.any(axis=1))
    cols = np.flatnonzero(feasible_all.any(axis=0))
    if len(rows) == 0:
        return []
    feasible = feasible_all[np.ix_(rows, cols)]
    bonus = float(len(rows) + 1)
    value = np.where(feasible, table.score[np.ix_(rows, cols)] + bonus, 0.0)
    slot_cols = np.repeat(np.arange(len(cols)), pool.free[cols])
    r, s = linear_sum_assignment(value[:, slot_cols], maximize=True)
    c = slot_cols[s]
    keep = feasible[r, c]
    pairs = sorted(zip(rows[r[keep]].tolist(), cols[c[keep]].tolist(), strict=True))
    n_c = len(pool)
    flat = _Pairs(**{f.name: np.asarray(getattr(table, f.name)).reshape(-1) for f in fields(_Pairs)})
    return [_match(nd, pool, flat, i * n_c + j) for i, j in pairs]


class _Quick:
    """Quick scores of every need × candidate pair, to pick short lists (see "Large
    plans"): within ``slack`` of the exact score, and "maybe feasible" wherever the pair is
    feasible. A score is the sum of a part that depends on the need's town (distance,
    prefecture, visited before, plus the candidate's free share), a part that depends on
    its topics (coverage), so both are computed once per distinct town and topic set, in
    float32 (a score's rounding there is below 1e-6)."""

    def __init__(self, nd: _Needs, pool: CandidatePool, weights: tuple) -> None:
        w_dist, w_cov, w_cap, w_pref, w_cont = weights
        self.slack = w_dist * _MARGIN_KM / DISTANCE_HALF_SCORE_KM + 1e-5
        n_c = len(pool)
        places = {}
        self.place = np.fromiter(
            (places.setdefault((nd_.lat, nd_.lon, nd_.prefecture_code, nd_.municipality_code), len(places))
             for nd_ in nd.needs), np.int64, len(nd.needs))
        first = np.unique(self.place, return_index=True)[1]  # a need of each town, in town order
        self.town = np.empty((len(first), n_c), dtype=np.float32)
        self.reach = np.empty((len(first), n_c), dtype=bool)
        cap = (w_cap * pool.free_share).astype(np.float32)
        reach_km = pool.radius + _MARGIN_KM
        finite = bool(np.isfinite(pool.xyz).all() and np.isfinite(nd.xyz).all())
        for start in range(0, len(first), _ROW_CHUNK):
            rows = first[start:start + _ROW_CHUNK]
            h = nd.xyz[rows] @ pool.xyz.T
            np.subtract(1.0, h, out=h)
            h *= 0.5
            np.clip(h, 0.0, 1.0, out=h)
            h32 = h.astype(np.float32)
            np.sqrt(h32, out=h32)
            np.arcsin(h32, out=h32)
            h32 *= np.float32(2 * EARTH_RADIUS_KM)  # km now
            block = self.town[start:start + len(rows)]
            self.reach[start:start + len(rows)] = h32 <= reach_km[None, :]
            with np.errstate(invalid="ignore"):
                np.divide(h32, np.float32(DISTANCE_HALF_SCORE_KM), out=block)
                block += np.float32(1.0)
                np.divide(np.float32(w_dist), block, out=block)
            if not finite:
                np.nan_to_num(block, copy=False, nan=0.0)
            block += cap[None, :]
            np.add(block, np.float32(w_pref), out=block, where=nd.pref[rows, None] == pool.pref[None, :])
            for r, i in enumerate(rows.tolist()):
                if nd.visitors[i] is not None:
                    block[r, nd.visitors[i]] += np.float32(w_cont)
        topic_sets, self.topic_set = np.unique(nd.topics, axis=0, return_inverse=True)
        self.topic_set = self.topic_set.reshape(-1)
        total = topic_sets.sum(axis=1)
        matched = topic_sets @ nd.skills.T
        self.cover = np.ones(matched.shape, dtype=np.float32)
        has = total > 0
        self.cover[has] = (w_cov * (matched[has] / total[has, None])).astype(np.float32)
        self.cover[~has] = np.float32(w_cov)
        self.online = pool.online_ok & (pool.free > 0)
        self.free = pool.free > 0

    def shortlists(self, nd: _Needs, rows: np.ndarray, k: np.ndarray,
                   banned: dict[int, list[int]]) -> tuple[list[np.ndarray], np.ndarray]:
        """For each need of ``rows``: its ``k`` best maybe-feasible candidates by the quick
        score (all of them when it has no more), and an upper bound of the exact score of
        every feasible pair left out (-inf when none was)."""
        kept: list[np.ndarray] = []
        bound = np.full(len(rows), -np.inf)
        for r, i in enumerate(rows.tolist()):
            onsite, online = bool(nd.wants_onsite[i]), bool(nd.wants_online[i])
            if onsite:
                maybe = self.reach[self.place[i]] & self.free
                if online:
                    maybe |= self.online
            else:
                maybe = self.online.copy()
            if i in banned:
                maybe[banned[i]] = False
            found = np.flatnonzero(maybe)
            want = int(k[r])
            if len(found) <= want:
                kept.append(found)
                continue
            score = self.town[self.place[i], found] + self.cover[self.topic_set[i], found]
            top = np.argpartition(-score, want)[: want + 1]
            top = top[np.argsort(-score[top], kind="stable")]
            kept.append(found[top[:want]])
            bound[r] = float(score[top[want]]) + self.slack
        return kept, bound


def _assign_pruned(nd: _Needs, pool: CandidatePool, weights: tuple, banned: list[tuple[int, int]]) -> list[Match]:
    n = len(nd.needs)
    banned_by: dict[int, list[int]] = {}
    for i, j in banned:
        banned_by.setdefault(i, []).append(j)
    banned_keys = np.array(sorted(i * len(pool) + j for i, j in banned), dtype=np.int64)
    k = np.full(n, _FIRST_SHORTLIST)
    kept: list[np.ndarray] = [np.empty(0, np.int64)] * n
    bound = np.full(n, -np.inf)
    redo = np.arange(n)
    bonus = float(n + 1)
    quick = _Quick(nd, pool, weights)
    while True:
        lists, bounds = quick.shortlists(nd, redo, k[redo], banned_by)
        for r, i in enumerate(redo.tolist()):
            kept[i], bound[i] = lists[r], bounds[r]
        i_all = np.repeat(np.arange(n), [len(x) for x in kept])
        j_all = np.concatenate(kept).astype(np.int64) if n else np.empty(0, np.int64)
        pairs = _pairs(nd, pool, weights, i_all, j_all)
        ok = pairs.feasible & ~np.isin(i_all * len(pool) + j_all, banned_keys)
        used = _solve_sparse(n, pool, pairs, ok, bonus)
        # The check of "Large plans": a cut list needs a kept candidate with a slot left
        # over whose exact score reaches the bound of everything cut.
        chosen = used >= 0
        load = np.bincount(pairs.cand[used[chosen]], minlength=len(pool))
        spare = ok & (load[pairs.cand] < pool.free[pairs.cand]) & (pairs.score >= bound[pairs.need])
        proved = np.isinf(bound) | (np.bincount(pairs.need[spare], minlength=n) > 0)
        redo = np.flatnonzero(~proved)
        if len(redo) == 0:
            break
        k[redo] *= 2
    order = sorted((int(pairs.need[p]), p) for p in used[chosen].tolist())
    return [_match(nd, pool, pairs, p) for _, p in order]


def _solve_sparse(n: int, pool: CandidatePool, pairs: _Pairs, ok: np.ndarray, bonus: float) -> np.ndarray:
    """For each need, the index into ``pairs`` of its match in an optimal plan over the
    ``ok`` pairs, -1 when it goes unserved."""
    idx = np.flatnonzero(ok)
    need, cand = pairs.need[idx], pairs.cand[idx]
    # A candidate's slots are columns of their own; never more than the needs listing them.
    listed = np.bincount(cand, minlength=len(pool))
    slots = np.minimum(pool.free, listed)
    offset = np.concatenate(([0], np.cumsum(slots)))
    per_edge = slots[cand]
    e_row = np.repeat(need, per_edge)
    e_pair = np.repeat(idx, per_edge)
    starts = np.repeat(offset[cand], per_edge)
    within = np.arange(len(e_row)) - np.repeat(np.cumsum(per_edge) - per_edge, per_edge)
    e_col = starts + within
    n_slots = int(offset[-1])
    # One "unserved" column per need, worth 1; every real pair is worth score + bonus + 1,
    # so every need is matched (a full matching exists) and the optimum is unchanged.
    rows = np.concatenate((e_row, np.arange(n)))
    cols = np.concatenate((e_col, n_slots + np.arange(n)))
    values = np.concatenate((pairs.score[e_pair] + bonus + 1.0, np.ones(n)))
    graph = csr_array((values, (rows, cols)), shape=(n, n_slots + n))
    r, c = min_weight_full_bipartite_matching(graph, maximize=True)
    used = np.full(n, -1, dtype=np.int64)
    real = c < n_slots
    # Which pair sits at (row, slot column): look it up among the edges.
    edge_key = e_row.astype(np.int64) * (n_slots + n) + e_col
    order = np.argsort(edge_key)
    hit = order[np.searchsorted(edge_key[order], r[real].astype(np.int64) * (n_slots + n) + c[real])]
    used[r[real]] = e_pair[hit]
    return used


def greedy_assign(
    needs: Iterable[Need],
    candidates: Iterable[Candidate] | CandidatePool,
    *,
    weights: Weights | None = None,
) -> list[Match]:
    """Baseline for benchmarks and tests: repeatedly take the best remaining feasible pair
    (score desc, distance asc, need id asc, candidate id asc) whose need is unserved and
    whose candidate has a free slot. Matches sorted by need id. Not optimal."""
    need_list = _unique_by_id(needs, "need")
    pool = _pool_of(candidates)
    if not need_list or not len(pool):
        return []
    nd = _Needs(need_list, pool)
    table = _table(nd, pool, (weights or DEFAULT_WEIGHTS).normalised())
    i_idx, j_idx = np.nonzero(table.feasible)  # row-major: need id asc, then candidate id asc
    order = np.lexsort(
        (j_idx, i_idx, table.distance[i_idx, j_idx], -table.score[i_idx, j_idx])
    )
    slots = pool.free.tolist()
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
    n_c = len(pool)
    flat = _Pairs(**{f.name: np.asarray(getattr(table, f.name)).reshape(-1) for f in fields(_Pairs)})
    return [_match(nd, pool, flat, i * n_c + j) for i, j in pairs]


def why_not(need: Need, candidate: Candidate) -> tuple:
    """Why ``candidate`` cannot take ``need`` (see "Why not" above); empty when the pair is
    feasible, i.e. exactly when :func:`rank` would return it."""
    need, = _unique_by_id([need], "need")
    pool = CandidatePool([candidate])
    table = _table(_Needs([need], pool), pool, DEFAULT_WEIGHTS.normalised())
    if table.feasible[0, 0]:
        return ()
    reasons: list[tuple] = []
    if pool.free[0] <= 0:
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
