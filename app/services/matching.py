"""From the database to the matcher and back: suggestions for one request, the batch
plan, and proposing an assignment without ever overbooking an evangelist.

What the matcher reads is kept per data version (``app.models.system.data_version``, which
every committed write counts up) in a small LRU cache of the app: the candidate pool (every
available evangelist's columns, about 9,000 at 30x, read in four queries) and the batch plan
(about a second at 1,500 requests x 9,000 evangelists). A request page then ranks over the
kept pool, and the plan's pages and a reload read the kept plan, until the data changes.
Inside a transaction that has written, nothing kept is used: it may not show the writes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import (
    Assignment,
    AuditEvent,
    Evangelist,
    Municipality,
    Prefecture,
    SupportRequest,
    Topic,
    User,
    evangelist_skills,
    request_topics,
)
from app.models.base import utcnow
from app.services.audit import record_event
from app.services.ownership import claim_if_unowned
from app.services.pages import Page
from app.services.regions import RegionScope, can_see, evangelists_visible
from app.services.status import set_status, write_while
from app.services.versioned import until_data_changes, while_unchanged
from app.services.workflow_notices import (
    has_booking,
    tell_answered,
    tell_called_off,
    tell_proposed,
    tell_withdrawn,
)
from evangelists import lifecycle
from evangelists.calendar import today_in_japan, utc_now
from evangelists.collector import collector_paused
from evangelists.limits import PERSON_SEARCH_LIMIT, WITHDRAWN_NOTICE_DAYS
from evangelists.matching import Candidate, CandidatePool, Match, Need, assign, rank, rank_in_pool, why_not
from evangelists.names import query_forms
from evangelists.vocabulary import ACTIVE_ASSIGNMENT_STATUSES

PLANNABLE_STATUSES = ("triaged",)


class CapacityFull(Exception):
    """The evangelist has no free slot left (someone else may have just taken it)."""


@dataclass(frozen=True)
class _Columns:
    """What the matcher reads of the evangelists who can take work: one row per person
    (id, lat, lon, capacity, travel radius, online, prefecture code), their active loads,
    and (id, topic slug) and (id, municipality code visited) pairs."""

    rows: list
    load: dict[int, int]
    skills: list
    visited: list


def _candidate_columns(today: date | None = None, *, only: int | None = None) -> _Columns:
    """Every evangelist who can take work ``today`` (Japan's; default
    ``today_in_japan()``), or only evangelist ``only`` (if they can): 4 queries of columns.
    Columns, not ORM objects: the matcher needs eight values of each of thousands of
    people, and loading them as objects (with every column, and their skills as Topic
    objects) took most of a request page's time."""
    today = today or today_in_japan()
    # On the connection: plain rows, without the ORM's per-row work (a third of the time).
    execute = db.session.connection().execute

    def one(column):
        return sa.true() if only is None else column == only

    load = dict(
        execute(
            sa.select(Assignment.evangelist_id, sa.func.count())
            .where(Assignment.status.in_(ACTIVE_ASSIGNMENT_STATUSES), one(Assignment.evangelist_id))
            .group_by(Assignment.evangelist_id)
        ).all()
    )
    visited = execute(
        sa.select(Assignment.evangelist_id, Municipality.code)
        .join(Assignment.request)
        .join(SupportRequest.municipality)
        .where(Assignment.status.in_(("accepted", "completed")), one(Assignment.evangelist_id))
    ).all()
    available = sa.and_(
        # Active, or paused with a pause that has ended (it covers its last day): a
        # pause ends by itself, nobody has to remember to lift it.
        sa.or_(Evangelist.status == "active", Evangelist.status == "paused"),
        sa.or_(
            sa.and_(Evangelist.status == "active", Evangelist.paused_until.is_(None)),
            Evangelist.paused_until < today,
        ),
    )
    skills = execute(
        sa.select(evangelist_skills.c.evangelist_id, Topic.slug)
        .join(Topic, Topic.id == evangelist_skills.c.topic_id)
        .join(Evangelist, Evangelist.id == evangelist_skills.c.evangelist_id)
        .where(available, one(evangelist_skills.c.evangelist_id))
    ).all()
    rows = execute(
        sa.select(Evangelist.id, Evangelist.lat, Evangelist.lon, Evangelist.capacity,
                  Evangelist.travel_radius_km, Evangelist.online_ok, Prefecture.code)
        .join(Evangelist.home_municipality)
        .join(Municipality.prefecture)
        .where(available, one(Evangelist.id))
        .order_by(Evangelist.id)
    ).all()
    return _Columns(rows=rows, load=load, skills=skills, visited=visited)


def _candidates(exclude: set[int] = frozenset(), today: date | None = None, *,
                only: int | None = None) -> list[Candidate]:
    """As :func:`_candidate_columns`, one :class:`Candidate` per person not in ``exclude``."""
    found = _candidate_columns(today, only=only)
    skills: dict[int, set[str]] = {}
    for evangelist_id, slug in found.skills:
        skills.setdefault(evangelist_id, set()).add(slug)
    visited: dict[int, set[str]] = {}
    for evangelist_id, code in found.visited:
        visited.setdefault(evangelist_id, set()).add(code)
    return [
        Candidate(
            id=eid, lat=lat, lon=lon,
            skills=frozenset(skills.get(eid, ())),
            capacity=capacity, active_load=found.load.get(eid, 0),
            travel_radius_km=radius, online_ok=online_ok,
            prefecture_code=prefecture_code,
            visited=frozenset(visited.get(eid, ())),
        )
        for eid, lat, lon, capacity, radius, online_ok, prefecture_code in found.rows
        if eid not in exclude
    ]


def _read_pool(today: date) -> CandidatePool:
    """The pool of :func:`_candidate_columns`, built from the columns (no object per
    person: at 9,000 people those objects and their sets were most of the time)."""
    with collector_paused():
        found = _candidate_columns(today)
        columns = list(zip(*found.rows, strict=True)) or [()] * 7
        ids, lat, lon, capacity, radius, online_ok, prefecture = columns
        return CandidatePool.from_columns(ids, lat, lon, capacity, [found.load.get(e, 0) for e in ids], radius,
                                          online_ok, prefecture, skills=found.skills, visited=found.visited)


def _need(request: SupportRequest) -> Need:
    m = request.municipality
    return Need(
        id=request.id, municipality_code=m.code, prefecture_code=m.prefecture.code,
        lat=m.lat, lon=m.lon, topics=frozenset(t.slug for t in request.topics),
        mode=request.preferred_mode,
    )


def _already_tried(request_ids: list[int]) -> dict[int, set[int]]:
    """Evangelists who declined, or already hold, each request: never suggested again."""
    tried: dict[int, set[int]] = {}
    for request_id, evangelist_id in db.session.execute(
        sa.select(Assignment.request_id, Assignment.evangelist_id).where(
            Assignment.request_id.in_(request_ids),
            Assignment.status.in_(("proposed", "accepted", "declined")),
        )
    ):
        tried.setdefault(request_id, set()).add(evangelist_id)
    return tried


def _kept(key: tuple, make):
    """``make()``, kept until the data changes (app/services/versioned.py)."""
    return until_data_changes(("matching", *key), make)


def _pool_fingerprint() -> tuple:
    """What the pool is made of, in one query: the rows and the newest change of the
    evangelists and of the assignments (every ORM or Core update sets ``updated_at``), and
    the evangelists' skills (a link added or removed changes their count or their sum). A
    write elsewhere (a message, a visit, a notice read, a sign-in) leaves it as it was, so
    the pool outlives it, where the data version would not: with a write every second a
    request page would read 9,000 people again after each one."""
    e, a, s = Evangelist, Assignment, evangelist_skills
    return tuple(db.session.execute(sa.select(
        sa.select(sa.func.count()).select_from(e).scalar_subquery(),
        sa.select(sa.func.max(e.updated_at)).scalar_subquery(),
        sa.select(sa.func.count()).select_from(a).scalar_subquery(),
        sa.select(sa.func.max(a.updated_at)).scalar_subquery(),
        sa.select(sa.func.count()).select_from(s).scalar_subquery(),
        sa.select(sa.func.sum(s.c.evangelist_id * 4099 + s.c.topic_id)).scalar_subquery(),
    )).one())


def candidate_pool(today: date | None = None, regions: frozenset[str] | None = None) -> CandidatePool:
    """Every evangelist who can take work ``today``, as the matcher's arrays: read once
    (4 queries) and kept while the tables it is made of are unchanged, then 1 query (their
    fingerprint) per view. ``regions`` (a regional coordinator's) keeps the evangelists
    whose home prefecture lies in them."""
    today = today or today_in_japan()
    pool = while_unchanged(("matching pool", today), _pool_fingerprint, lambda: _read_pool(today))
    return pool if regions is None else pool.within(_prefectures_in(regions))


def _prefectures_in(regions: frozenset[str]) -> frozenset[str]:
    """The prefecture codes of ``regions`` (reference data: kept per data version)."""
    return _kept(("prefectures in", tuple(sorted(regions))), lambda: frozenset(db.session.scalars(
        sa.select(Prefecture.code).where(Prefecture.region.in_(sorted(regions))))))


@dataclass(frozen=True)
class Suggestion:
    match: Match
    evangelist: Evangelist


def suggestions(request: SupportRequest, limit: int = 10, *, today: date | None = None,
                regions: frozenset[str] | None = None) -> list[Suggestion]:
    """The best evangelists for ``request`` on ``today`` (among those of ``regions``, for a
    regional coordinator), best first, with the matcher's reasons."""
    exclude = _already_tried([request.id]).get(request.id, set())
    matches = rank_in_pool(_need(request), candidate_pool(today, regions), exclude=exclude, limit=limit)
    people = _evangelists([m.candidate_id for m in matches])
    return [Suggestion(m, people[m.candidate_id]) for m in matches]


def _evangelists(ids: list[int]) -> dict[int, Evangelist]:
    if not ids:
        return {}
    rows = db.session.scalars(
        sa.select(Evangelist).where(Evangelist.id.in_(ids))
        .options(selectinload(Evangelist.home_community), selectinload(Evangelist.home_municipality))
    )
    return {e.id: e for e in rows}


@dataclass(frozen=True)
class Considered:
    """One person considered for a request: the match (score and reasons) if they can take
    it, else why not — ``evangelists.matching.why_not`` codes, or ``("status", status)``,
    ``("paused_until", date)``, ``("declined_before",)``, ``("already_holds",)``."""

    evangelist: Evangelist
    match: Match | None
    obstacles: tuple = ()


def _obstacle_of_status(status: str, paused_until: date | None, today: date) -> tuple | None:
    """Why someone cannot take work ``today``, by the rule ``_candidates`` applies in SQL."""
    if status == "active" and paused_until is None:
        return None
    if status in ("active", "paused") and paused_until is not None and paused_until < today:
        return None
    if status in ("active", "paused") and paused_until is not None:
        return ("paused_until", paused_until)
    return ("status", status)


def consider(request: SupportRequest, evangelist_ids: list[int], *, today: date | None = None) -> list[Considered]:
    """Each of ``evangelist_ids`` (that exists) for ``request``, in the given order: score
    and reasons as the suggestions show them, or why they cannot take it."""
    today = today or today_in_japan()
    people = _evangelists(evangelist_ids)
    if not people:
        return []
    states = {}
    for evangelist_id, status in db.session.execute(
        sa.select(Assignment.evangelist_id, Assignment.status).where(
            Assignment.request_id == request.id, Assignment.evangelist_id.in_(list(people)),
            Assignment.status.in_(("proposed", "accepted", "declined")),
        )
    ):
        states[evangelist_id] = "declined_before" if status == "declined" else "already_holds"
    pool = candidate_pool(today)
    available = {e: pool.candidate(e) for e in people if e in pool.index}
    need = _need(request)
    found = []
    for evangelist_id in evangelist_ids:
        person = people.get(evangelist_id)
        if person is None:
            continue
        obstacle = _obstacle_of_status(person.status, person.paused_until, today)
        if obstacle is not None:
            found.append(Considered(person, None, (obstacle,)))
        elif evangelist_id in states:
            found.append(Considered(person, None, ((states[evangelist_id],),)))
        elif evangelist_id not in available:  # a status rule this function does not know
            found.append(Considered(person, None, (("status", person.status),)))
        else:
            candidate = available[evangelist_id]
            reasons = why_not(need, candidate)
            match = None if reasons else rank(need, [candidate], limit=None)[0]
            found.append(Considered(person, match, reasons))
    return found


def _names() -> tuple[tuple[str, tuple[int, ...]], ...]:
    """Every evangelist's name search key (``Evangelist.name_search``: the name, its
    stored reading and the reading's romaji) once, in 五十音 order of the reading, with
    the ids of the people who bear it (in that order): one narrow query per data version
    (9,000 rows at 30x, fewer distinct keys)."""
    def read():
        groups: dict[str, list[int]] = {}
        for eid, key in db.session.execute(
            sa.select(Evangelist.id, Evangelist.name_search).order_by(Evangelist.name_sort, Evangelist.id)
        ):
            groups.setdefault(key, []).append(eid)
        return tuple((key, tuple(ids)) for key, ids in groups.items())

    return _kept(("names",), read)


def search_people(request: SupportRequest, query: str, *, today: date | None = None,
                  limit: int = PERSON_SEARCH_LIMIT, regions: frozenset[str] | None = None,
                  ) -> tuple[list[Considered], int]:
    """Everyone in the network (not only the suggested ten) whose name or its stored
    reading (kana or romaji) matches ``query`` (``evangelists.names.query_forms``), at most
    ``limit`` in 五十音 order, each ``consider``-ed for ``request``; and how many matched in
    all. Each distinct key is matched once, over the keys kept per data version."""
    forms = query_forms(query)
    ids = [eid for key, bearers in _names() if any(form in key for form in forms) for eid in bearers]
    if regions is not None:
        inside = _evangelists_in(regions)
        ids = [eid for eid in ids if eid in inside]
    return consider(request, ids[:limit], today=today), len(ids)


def _evangelists_in(regions: frozenset[str]) -> frozenset[int]:
    """The ids of the evangelists whose home lies in ``regions`` (kept per data version)."""
    return _kept(("evangelists in", tuple(sorted(regions))), lambda: frozenset(db.session.scalars(
        sa.select(Evangelist.id).where(evangelists_visible(RegionScope(frozenset(regions)))))))


@dataclass(frozen=True)
class PlanRow:
    request: SupportRequest
    match: Match | None
    evangelist: Evangelist | None


@dataclass(frozen=True)
class PlanResult:
    """The batch plan as plain values (kept across requests, per data version): each
    plannable request's id in the plan's order with its match or None."""

    entries: tuple[tuple[int, Match | None], ...]
    served: int
    total_score: float
    total_km: float
    digest: str  # names the plan's pairs: a form carries it to tell whether the plan changed

    @property
    def mean_km(self) -> float:
        return self.total_km / self.served if self.served else 0.0

    @property
    def pairs(self) -> dict[int, int]:
        """request id -> evangelist id, for every served request."""
        return {request_id: m.candidate_id for request_id, m in self.entries if m}


@dataclass(frozen=True)
class Plan:
    rows: list[PlanRow]

    @property
    def served(self) -> int:
        return sum(1 for r in self.rows if r.match)

    @property
    def total_score(self) -> float:
        return sum(r.match.score for r in self.rows if r.match)

    @property
    def total_km(self) -> float:
        return sum(r.match.distance_km for r in self.rows if r.match)


@dataclass(frozen=True)
class PlanPage:
    """One page of the kept plan (``page.items`` are PlanRows) and the plan's totals."""

    page: Page
    result: PlanResult


def _plannable_needs(regions: frozenset[str] | None = None) -> list[Need]:
    """Every plannable request (of ``regions``; None: all) as the matcher sees it, in the
    plan's order (oldest first): 2 queries of columns."""
    rows = db.session.execute(
        sa.select(SupportRequest.id, SupportRequest.preferred_mode, Municipality.code, Municipality.lat,
                  Municipality.lon, Prefecture.code)
        .join(SupportRequest.municipality)
        .join(Municipality.prefecture)
        .where(SupportRequest.status.in_(PLANNABLE_STATUSES),
               Prefecture.region.in_(sorted(regions)) if regions is not None else sa.true())
        .order_by(SupportRequest.created_at, SupportRequest.id)
    ).all()
    topics: dict[int, set[str]] = {}
    for request_id, slug in db.session.execute(
        sa.select(request_topics.c.request_id, Topic.slug)
        .join(Topic, Topic.id == request_topics.c.topic_id)
        .join(SupportRequest, SupportRequest.id == request_topics.c.request_id)
        .where(SupportRequest.status.in_(PLANNABLE_STATUSES))
    ):
        topics.setdefault(request_id, set()).add(slug)
    return [
        Need(id=rid, municipality_code=code, prefecture_code=prefecture, lat=lat, lon=lon,
             topics=frozenset(topics.get(rid, ())), mode=mode)
        for rid, mode, code, lat, lon, prefecture in rows
    ]


def _plannable_tried() -> list[tuple[int, int]]:
    """(request, evangelist) pairs never planned: they declined it, or already hold it."""
    return [tuple(row) for row in db.session.execute(
        sa.select(Assignment.request_id, Assignment.evangelist_id)
        .join(SupportRequest, SupportRequest.id == Assignment.request_id)
        .where(SupportRequest.status.in_(PLANNABLE_STATUSES),
               Assignment.status.in_(("proposed", "accepted", "declined")))
    )]


def _make_plan(today: date, regions: frozenset[str] | None = None) -> PlanResult:
    pool = candidate_pool(today, regions)
    with collector_paused():
        needs = _plannable_needs(regions)
        matches = {m.need_id: m for m in assign(needs, pool, forbidden=_plannable_tried())}
    entries = tuple((n.id, matches.get(n.id)) for n in needs)
    served = [m for m in matches.values()]
    digest = hashlib.sha256(
        ",".join(f"{rid}-{m.candidate_id}" if m else str(rid) for rid, m in entries).encode()
    ).hexdigest()[:20]
    return PlanResult(entries=entries, served=len(served), total_score=sum(m.score for m in served),
                      total_km=sum(m.distance_km for m in served), digest=digest)


def plan_result(*, today: date | None = None, regions: frozenset[str] | None = None) -> PlanResult:
    """The optimal plan over every triaged request: most requests served, then the
    highest total score, capacities respected. Nothing is saved. Kept per data version
    and day: a reload, another page or the apply step does not compute it again. A
    regional coordinator's plan (``regions``) pairs their regions' requests with their
    regions' evangelists."""
    today = today or today_in_japan()
    key = tuple(sorted(regions)) if regions is not None else None
    return _kept(("plan", today, key), lambda: _make_plan(today, regions))


def _plan_rows(entries) -> list[PlanRow]:
    """PlanRows of ``entries`` with their requests (and towns) and evangelists: 5 queries."""
    ids = [request_id for request_id, _m in entries]
    requests = {r.id: r for r in db.session.scalars(
        sa.select(SupportRequest).where(SupportRequest.id.in_(ids))
        .options(selectinload(SupportRequest.municipality))
    )} if ids else {}
    people = _evangelists([m.candidate_id for _r, m in entries if m])
    return [PlanRow(requests[rid], m, people.get(m.candidate_id) if m else None)
            for rid, m in entries if rid in requests]


def plan_page(page: int, per_page: int, *, today: date | None = None,
              regions: frozenset[str] | None = None) -> PlanPage:
    """Page ``page`` (from 1) of the kept plan, and its totals."""
    result = plan_result(today=today, regions=regions)
    entries = result.entries[(page - 1) * per_page: page * per_page]
    return PlanPage(Page(items=tuple(_plan_rows(entries)), total=len(result.entries), page=page,
                         per_page=per_page), result)


def plan_rows_for(result: PlanResult, request_ids: set[int] | None, *, limit: int | None = None) -> list[PlanRow]:
    """The served rows of ``result`` for ``request_ids`` (None: all), in the plan's order,
    at most ``limit`` of them."""
    entries = [(rid, m) for rid, m in result.entries if m and (request_ids is None or rid in request_ids)]
    return _plan_rows(entries[:limit] if limit is not None else entries)


def batch_plan(*, today: date | None = None) -> Plan:
    """The whole plan with its requests and evangelists (see :func:`plan_result`)."""
    return Plan(_plan_rows(plan_result(today=today).entries))


def propose(actor: User, request: SupportRequest, evangelist_id: int, *, address: str | None,
            today: date | None = None) -> Assignment:
    """Propose ``evangelist_id`` for ``request`` with the score and reasons frozen now.

    Never overbooks: the evangelist's row is written first, which takes PostgreSQL's row
    lock and SQLite's write lock, so concurrent proposals queue up and each counts the
    others' committed assignments. Raises CapacityFull, ValueError (not a feasible match)
    or ``lifecycle.TransitionRefused`` (the request cannot be assigned now).
    """
    db.session.commit()  # end any read transaction: the lock must come first
    try:
        assignment = _propose_locked(actor, request.id, evangelist_id, address=address, today=today)
    except Exception:
        db.session.rollback()
        raise
    db.session.commit()
    return assignment


def apply_plan(actor: User, pairs: list[tuple[int, int]], *, address: str | None,
               today: date | None = None) -> list[Assignment]:
    """Propose every ``(request_id, evangelist_id)`` pair of a reviewed plan in one
    transaction: all are saved, or none (if someone took a slot meanwhile, the error is
    raised and the coordinator reviews a fresh plan). Returns the proposals made, in the
    order of ``pairs``."""
    db.session.commit()
    try:
        # Lock in a fixed order so two coordinators applying plans cannot deadlock.
        for evangelist_id in sorted({e for _, e in pairs}):
            _lock(evangelist_id)
        made = [_propose_locked(actor, request_id, evangelist_id, address=address, locked=True, today=today)
                for request_id, evangelist_id in pairs]
    except Exception:
        db.session.rollback()
        raise
    db.session.commit()
    return made


def _lock(evangelist_id: int) -> None:
    db.session.execute(
        sa.update(Evangelist).where(Evangelist.id == evangelist_id).values(updated_at=utcnow())
    )


def _propose_locked(actor: User, request_id: int, evangelist_id: int, *, address: str | None,
                    locked: bool = False, today: date | None = None) -> Assignment:
    """The body of a proposal, inside the caller's transaction (not committed)."""
    if not locked:
        _lock(evangelist_id)
    request = db.session.get(SupportRequest, request_id, populate_existing=True)
    lifecycle.check("request", request.status, "assigned")
    exclude = _already_tried([request.id]).get(request.id, set())
    candidate = next((c for c in _candidates(exclude, today, only=evangelist_id) if c.id == evangelist_id), None)
    if candidate is None or not can_see(actor, db.session.get(Evangelist, evangelist_id)):
        raise ValueError("not_available")
    if candidate.active_load >= candidate.capacity:
        raise CapacityFull()
    match = next((m for m in rank(_need(request), [candidate], limit=None)), None)
    if match is None:
        raise ValueError("not_feasible")
    assignment = Assignment(
        request=request, evangelist_id=evangelist_id, status="proposed",
        score=round(match.score, 6), distance_km=round(match.distance_km, 3),
        reasons=[list(reason) for reason in match.reasons], proposed_by=actor,
    )
    db.session.add(assignment)
    db.session.flush()
    record_event(actor, "assignment.proposed", "assignment", assignment.id,
                 after={"request": request.id, "evangelist": evangelist_id, "score": assignment.score},
                 client_address=address)
    before = request.status
    set_status(actor, request, "request", "assigned", action="request.assigned", entity_type="support_request",
               before={"status": before}, after={"status": "assigned", **claim_if_unowned(actor, request)},
               address=address)
    db.session.flush()
    tell_proposed(actor, assignment)
    return assignment


def respond(user: User, assignment: Assignment, accept: bool, *, reason: str | None = None,
            address: str | None = None) -> None:
    """The evangelist accepts or declines a proposal. Declining returns the request to
    the coordinators' queue (triaged) and keeps this evangelist out of its suggestions."""
    target = "accepted" if accept else "declined"
    lifecycle.check("assignment", assignment.status, target)  # before anything changes
    assignment.responded_at = utcnow()
    request = assignment.request
    if accept:
        town = request.municipality
        town.engagement_stage = lifecycle.advance_engagement(town.engagement_stage, "assigned")
    else:
        assignment.decline_reason = reason
        set_status(user, request, "request", "triaged", action="request.triaged", entity_type="support_request",
                   before={"status": "assigned"}, address=address, only_if_allowed=True)
    set_status(user, assignment, "assignment", target, action=f"assignment.{target}", entity_type="assignment",
               before=None, after={"request": request.id, **({"reason": reason} if reason else {})},
               address=address)
    tell_answered(user, assignment)
    db.session.commit()


def _cancel(actor: User, assignment: Assignment, *, action: str, reason: str | None,
            address: str | None, only_from: str | None = None) -> None:
    """Cancel ``assignment`` inside the caller's transaction, audited as ``action``. The
    row changes only while it is still ``only_from`` (default: whatever it is now), so a
    proposal the evangelist accepts at the same moment is either accepted or withdrawn,
    never both: the loser gets ``TransitionRefused`` and nothing is written."""
    expected = only_from or assignment.status

    def write(row: Assignment, status: str) -> None:
        write_while(row, "assignment", expected, "not_allowed", status=status, updated_at=utcnow())

    set_status(actor, assignment, "assignment", "cancelled", write=write, action=action,
               entity_type="assignment",
               before={"status": expected},
               after={"status": "cancelled", "request": assignment.request_id,
                      **({"reason": reason} if reason else {})},
               address=address)


def cancel_open_assignments(actor: User, request: SupportRequest, *, reason: str, address: str | None) -> list[Assignment]:
    """Cancel the request's proposed and accepted assignments (inside the caller's
    transaction), each audited ``assignment.cancelled`` with the reason; a town that was
    ``assigned`` only through them falls back to ``requested``. Returns them."""
    cancelled, had_accepted = [], False
    booked = has_booking(request, ("offered", "booked"))  # its cancellation tells the evangelist
    for assignment in list(request.assignments):
        if assignment.status in ACTIVE_ASSIGNMENT_STATUSES:
            had_accepted |= assignment.status == "accepted"
            _cancel(actor, assignment, action="assignment.cancelled", reason=reason, address=address,
                    only_from=assignment.status)
            if not booked:
                tell_called_off(actor, assignment, reason=reason)
            cancelled.append(assignment)
    town = request.municipality
    if had_accepted and town.engagement_stage == "assigned":
        set_status(actor, town, "engagement", "requested", attribute="engagement_stage", action=None,
                   only_if_allowed=True)
    return cancelled


def withdraw_proposal(actor: User, assignment: Assignment, *, address: str | None = None) -> str:
    """A coordinator withdraws a proposal the evangelist has not answered yet: the
    assignment is cancelled (audited ``assignment.withdrawn``), the evangelist's page says
    so for ``WITHDRAWN_NOTICE_DAYS`` days, and the request goes back to the queue status
    the lifecycle gives (``queue_status_after_withdrawal``), audited on the request.
    Returns that status. Raises ``lifecycle.TransitionRefused`` (machine ``assignment``)
    when the evangelist answered first; nothing changes then."""
    if assignment.status != "proposed":
        reason = lifecycle.refusal("assignment", assignment.status, "cancelled") or "not_allowed"
        raise lifecycle.TransitionRefused("assignment", assignment.status, "cancelled", reason)
    request = assignment.request
    target = lifecycle.queue_status_after_withdrawal()
    _cancel(actor, assignment, action="assignment.withdrawn", reason=None, address=address, only_from="proposed")
    # Another proposal for the same request may still stand; the request stays assigned then.
    if not any(a.status in ACTIVE_ASSIGNMENT_STATUSES for a in request.assignments if a.id != assignment.id):
        set_status(actor, request, "request", target, action=f"request.{target}", entity_type="support_request",
                   before={"status": request.status},
                   after={"status": target, "withdrawn_assignment": assignment.id},
                   address=address, only_if_allowed=True)
    tell_withdrawn(actor, assignment)
    db.session.commit()
    return request.status


def assignment_of(request: SupportRequest, assignment_id: int) -> Assignment | None:
    """The assignment ``assignment_id`` if it belongs to ``request``."""
    return db.session.scalar(
        sa.select(Assignment).where(Assignment.id == assignment_id, Assignment.request_id == request.id)
    )


@dataclass(frozen=True)
class Withdrawal:
    """A proposal or assignment a coordinator ended, as its evangelist is told of it."""

    assignment: Assignment
    reason: str | None  # the coordinator's reason when they sent the request back


def recent_withdrawals(evangelist_id: int, *, now=None) -> list[Withdrawal]:
    """The evangelist's assignments a coordinator cancelled in the last
    ``WITHDRAWN_NOTICE_DAYS`` days, newest first, with their town and the coordinator's
    reason if one was given (two queries)."""
    since = (now or utc_now()) - timedelta(days=WITHDRAWN_NOTICE_DAYS)
    assignments = list(db.session.scalars(
        sa.select(Assignment)
        .where(Assignment.evangelist_id == evangelist_id, Assignment.status == "cancelled",
               Assignment.updated_at >= since)
        .options(selectinload(Assignment.request).selectinload(SupportRequest.municipality))
        .order_by(Assignment.updated_at.desc())
    ))
    reasons: dict[int, str] = {}
    if assignments:
        for entity_id, after in db.session.execute(
            sa.select(AuditEvent.entity_id, AuditEvent.after).where(
                AuditEvent.entity_type == "assignment",
                AuditEvent.entity_id.in_([a.id for a in assignments]),
                AuditEvent.action.in_(("assignment.cancelled", "assignment.withdrawn")),
            )
        ):
            if isinstance(after, dict) and after.get("reason"):
                reasons[entity_id] = str(after["reason"])
    return [Withdrawal(a, reasons.get(a.id)) for a in assignments]
