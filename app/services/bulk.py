"""One action on many requests (issue 20, point 4): triage, decline with one reason, send
one message, or set the owner, for the rows a coordinator ticked or every row matching the
queue's filters.

All or nothing: every row is tried in one transaction; if any row is refused, everything is
rolled back and the outcome says which rows were refused and why, so the coordinator can
untick them and try again. Each row is audited by its own event, exactly as the single
action writes it (``request.triaged``, ``request.declined``, ``request.message_added``,
``request.owner_changed``), and its notices go out with the same commit.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import BulkRun, Municipality, SupportRequest, User
from app.services.ownership import OwnerRefused, may_own, set_owner
from app.services.regions import NATIONAL, RegionScope, requests_visible, scope_of
from app.services.requests import QueueFilters, move_request, post_message, request_queue
from evangelists.errors import Refused
from evangelists.limits import BULK_ROWS_MAX

BULK_ACTIONS = ("triage", "decline", "message", "owner")


class BulkRefused(Refused):
    """The bulk action as a whole: ``nothing_chosen`` (no row), ``too_many`` (more than
    ``limit`` rows), ``unknown_request`` (a number no request has: ``number``)."""

    scope = "bulk"


@dataclass(frozen=True)
class RowOutcome:
    request_id: int
    town: str
    done: bool
    refused: Refused | None = None
    unchanged: bool = False  # the owner was already that person: nothing to do, not a refusal


@dataclass(frozen=True)
class BulkResult:
    rows: list[RowOutcome]
    applied: bool  # committed; False: rolled back because a row was refused
    run: BulkRun | None = None  # the recorded run, when applied

    @property
    def refused(self) -> list[RowOutcome]:
        return [row for row in self.rows if row.refused is not None]


def matching_ids(filters: QueueFilters) -> list[int]:
    """The numbers of every request the queue shows for ``filters`` (the "all N matching"
    selection), in the queue's order. Raises ``BulkRefused`` (``too_many``, with the real
    count) beyond BULK_ROWS_MAX."""
    query = request_queue(filters)
    ids = list(db.session.scalars(query.with_only_columns(SupportRequest.id).limit(BULK_ROWS_MAX + 1)))
    if len(ids) > BULK_ROWS_MAX:
        count = db.session.scalar(sa.select(sa.func.count()).select_from(
            query.with_only_columns(SupportRequest.id).order_by(None).subquery()))
        raise BulkRefused(None, "too_many", limit=BULK_ROWS_MAX, count=count)
    return ids


def run_visible_to(user: User, run: BulkRun) -> bool:
    """Whether ``user`` may read ``run``'s outcome: every row's request lies in their
    regions (a regional coordinator does not see another region's towns in it)."""
    scope = scope_of(user)
    if scope.national:
        return True
    ids = {row["request"] for row in run.rows}
    return not ids or db.session.scalar(
        sa.select(sa.func.count()).select_from(SupportRequest)
        .where(SupportRequest.id.in_(ids), requests_visible(scope))) == len(ids)


def chosen_requests(ids: list[int], scope: RegionScope = NATIONAL) -> list[SupportRequest]:
    """The requests ``ids`` in the order given, with their towns; raises ``BulkRefused``
    when there are none, too many, or a number no request has in ``scope`` (a regional
    coordinator is told the same of a request outside their regions)."""
    ids = list(dict.fromkeys(ids))
    if not ids:
        raise BulkRefused(None, "nothing_chosen")
    if len(ids) > BULK_ROWS_MAX:
        raise BulkRefused(None, "too_many", limit=BULK_ROWS_MAX, count=len(ids))
    rows = {r.id: r for r in db.session.scalars(
        sa.select(SupportRequest).where(SupportRequest.id.in_(ids), requests_visible(scope))
        .options(selectinload(SupportRequest.municipality).selectinload(Municipality.prefecture),
                 selectinload(SupportRequest.owner)))}
    missing = [i for i in ids if i not in rows]
    if missing:
        raise BulkRefused(None, "unknown_request", number=missing[0])
    return [rows[i] for i in ids]


def bulk_apply(actor: User, ids: list[int], action: str, *, nonce: str, reason: str | None = None,
               body: str | None = None, owner_id: int | None = None, address: str | None = None) -> BulkResult:
    """Apply ``action`` (``BULK_ACTIONS``) to the requests ``ids`` in one transaction:
    committed if every row could take it, else rolled back (``applied`` False) with each
    refused row's reason. ``nonce`` is the review page's one-time value: a confirmation
    already carried out is not done again, its recorded run is returned (``run``). Raises
    ``BulkRefused`` for the selection as a whole."""
    if action not in BULK_ACTIONS:
        raise BulkRefused("action", "unknown")
    done = run_with(nonce)
    if done is not None:
        return BulkResult(_rows_of(done), applied=True, run=done)
    requests = chosen_requests(ids, scope_of(actor))
    owner = None
    if action == "owner" and owner_id is not None:
        owner = db.session.get(User, owner_id)
        if not may_own(owner):
            raise OwnerRefused("not_staff")
    run = BulkRun(nonce=nonce, user_id=actor.id, action=action, rows=[])
    db.session.add(run)
    try:
        # First, so that a second copy of the same confirmation waits here for this one
        # (PostgreSQL) or fails at once (SQLite: one writer), then finds its run.
        db.session.flush()
    except sa.exc.IntegrityError:
        db.session.rollback()
        return BulkResult(_rows_of(run_with(nonce)), applied=True, run=run_with(nonce))
    rows = []
    for request in requests:
        town = request.municipality.name
        try:
            if action == "triage":
                move_request(actor, request, "triaged", address=address)
            elif action == "decline":
                move_request(actor, request, "declined", reason=reason, address=address)
            elif action == "message":
                post_message(request, body, sender="coordinator", author=actor, address=address)
            else:
                try:
                    set_owner(actor, request, owner, address=address)
                except OwnerRefused as refused:
                    if refused.reason != "unchanged":
                        raise
                    rows.append(RowOutcome(request.id, town, True, unchanged=True))
                    continue
        except Refused as refused:
            rows.append(RowOutcome(request.id, town, False, refused))
        else:
            rows.append(RowOutcome(request.id, town, True))
    if any(row.refused is not None for row in rows):
        db.session.rollback()
        return BulkResult(rows, applied=False)
    run.rows = [{"request": row.request_id, "town": row.town, "unchanged": row.unchanged} for row in rows]
    db.session.commit()
    return BulkResult(rows, applied=True, run=run)


def run_with(nonce: str) -> BulkRun | None:
    return db.session.scalar(sa.select(BulkRun).where(BulkRun.nonce == nonce))


def get_run(run_id: int) -> BulkRun | None:
    """A bulk action on requests carried out (not another kind of run, e.g. outreach's)."""
    run = db.session.get(BulkRun, run_id)
    return run if run is not None and run.action in BULK_ACTIONS else None


def _rows_of(run: BulkRun) -> list[RowOutcome]:
    return [RowOutcome(row["request"], row["town"], True, unchanged=row.get("unchanged", False))
            for row in run.rows or ()]


def outcome_of(run: BulkRun) -> BulkResult:
    """A run carried out, as its result page shows it."""
    return BulkResult(_rows_of(run), applied=True, run=run)
