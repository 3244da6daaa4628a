"""Merging two records of one person (issue 20, point 6): an admin keeps one evangelist
or candidate and folds the duplicate into it, in one transaction.

What moves from the duplicate to the person kept:

- every row that points at the duplicate: its assignments, and with them their visits,
  outcomes and bookings (they hang on the assignment), its skills (the kept person gets
  the union), and the rows of any table that references ``evangelists.id``, found in the
  metadata (``references``) so that a table added later is moved too;
- the audit events about the duplicate (``entity_type`` ``evangelist``: its nomination,
  with the e-mail it recorded, its moves and edits), so the kept person's history is whole;
  the ``person.merged`` event lists their numbers, so one can still tell where they came
  from. Events that only name the duplicate in their payload (``assignment.proposed``) are
  left as they were: ``person.merged`` maps the old number to the new;
- the home community and the readings, when the kept person has none;
- the account: the duplicate's account moves to the kept person when only the duplicate
  has one. When both have one, the duplicate's account is deactivated (every session of
  it ends) and stays, without a person, in the list of users: notices and audit events
  that name it keep their meaning. (Refused if that account is the admin's own.)

Then the duplicate's row is deleted, and a ``person.merged`` event records both numbers,
the duplicate as it was and what moved. The kept person keeps their own status, name,
place and profile.

Refused (``MergeRefused``, nothing written): the same person twice (``same_person``), a
number nobody has (``unknown``), both holding an open (proposed or accepted) assignment to
the same request (``same_request``), the duplicate holding open assignments while the
person kept is not working (``kept_not_working``: keep the other record, or close them
first), or the admin's own account to deactivate (``own_account``).

The review form carries a one-time value (``nonce``): the same confirmation sent again (a
double click, the back button) finds the merge it already made and does nothing more.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import (
    Assignment,
    AuditEvent,
    Booking,
    Evangelist,
    Outcome,
    SupportRequest,
    User,
    Visit,
)
from app.models.network import name_keys
from app.services.audit import record_event
from app.services.recruitment import name_search_clause
from app.services.search import reindex_in
from evangelists.errors import Refused
from evangelists.limits import read_id
from evangelists.vocabulary import ACTIVE_ASSIGNMENT_STATUSES

# Open assignments: at most one per person and request (uq_assignments_live_pair).
OPEN = ACTIVE_ASSIGNMENT_STATUSES
WORKING = ("active", "paused")
FOUND_MAX = 20


class MergeRefused(Refused):
    """See the module's docstring for the reasons."""

    scope = "merge"


def references() -> list[sa.Column]:
    """Every column of the schema that references ``evangelists.id``."""
    table = Evangelist.__table__
    return sorted(
        (fk.parent for t in db.metadata.sorted_tables for fk in t.foreign_keys if fk.column is table.c.id),
        key=lambda c: (c.table.name, c.name),
    )


_SHOWN_WITH = (selectinload(Evangelist.home_municipality), selectinload(Evangelist.home_community),
               selectinload(Evangelist.user), selectinload(Evangelist.skills))


# --- Finding the two people --------------------------------------------------------------


def find_people(query: str, *, exclude: int | None = None) -> list[Evangelist]:
    """People whose name or reading (kanji, kana, romaji, part of one), account e-mail or
    number matches ``query``; at most FOUND_MAX, in 五十音 order."""
    query = (query or "").strip()
    if not query:
        return []
    found = [name_search_clause(query),
             Evangelist.user_id.in_(sa.select(User.id).where(User.email.contains(query.lower(), autoescape=True)))]
    number = read_id(query.lstrip("#"))
    if number is not None:
        found.append(Evangelist.id == number)
    stmt = sa.select(Evangelist).where(sa.or_(*found))
    if exclude is not None:
        stmt = stmt.where(Evangelist.id != exclude)
    return list(db.session.scalars(
        stmt.options(*_SHOWN_WITH)
        .order_by(Evangelist.name_sort, Evangelist.id).limit(FOUND_MAX)))


def get_person(person_id: int | None) -> Evangelist | None:
    if person_id is None:
        return None
    return db.session.scalar(sa.select(Evangelist).where(Evangelist.id == person_id).options(*_SHOWN_WITH))


def people_by_id(ids: list[int]) -> list[Evangelist]:
    """The people ``ids``, in that order."""
    if not ids:
        return []
    found = {p.id: p for p in db.session.scalars(sa.select(Evangelist).where(Evangelist.id.in_(ids))
                                                 .options(*_SHOWN_WITH))}
    return [found[i] for i in ids if i in found]


# --- The review ----------------------------------------------------------------------------


@dataclass
class MergePlan:
    """What merging ``duplicate`` into ``keep`` moves (the review page shows it)."""

    keep: Evangelist
    duplicate: Evangelist
    assignments: list[Assignment] = field(default_factory=list)  # the duplicate's, all statuses
    visits: int = 0
    outcomes: int = 0
    bookings: int = 0
    events: list[int] = field(default_factory=list)  # audit events about the duplicate
    skills: list[str] = field(default_factory=list)  # topic slugs the kept person gains
    community: bool = False  # the kept person takes the duplicate's home community
    duplicate_community: int | None = None
    readings: bool = False  # the kept person takes the duplicate's readings
    account: str | None = None  # "move", "deactivate" or None (the duplicate has none)
    other_rows: dict[str, int] = field(default_factory=dict)  # "table.column" -> rows, other tables


def _person(person_id: int | None, field_name: str, *, lock: bool = False) -> Evangelist:
    person = None
    if person_id is not None:
        stmt = (sa.select(Evangelist).where(Evangelist.id == person_id)
                .options(selectinload(Evangelist.user), selectinload(Evangelist.skills),
                         selectinload(Evangelist.home_municipality), selectinload(Evangelist.home_community)))
        if lock:
            stmt = stmt.with_for_update(of=Evangelist).execution_options(populate_existing=True)
        person = db.session.scalar(stmt)
    if person is None:
        raise MergeRefused(field_name, "unknown", number=person_id or "")
    return person


def plan_merge(keep_id: int | None, duplicate_id: int | None, *, actor: User | None = None,
               lock: bool = False) -> MergePlan:
    """What merging ``duplicate_id`` into ``keep_id`` would do; raises ``MergeRefused``.
    Writes nothing. ``lock`` (the merge itself) locks both rows on PostgreSQL, the lower
    number first, so that two merges of the same people run one after the other."""
    if keep_id is not None and keep_id == duplicate_id:
        raise MergeRefused("duplicate", "same_person")
    order = sorted(((keep_id or 0, "keep"), (duplicate_id or 0, "duplicate")))
    people = {name: _person(number or None, name, lock=lock) for number, name in order}
    keep, duplicate = people["keep"], people["duplicate"]
    assignments = list(db.session.scalars(
        sa.select(Assignment).where(Assignment.evangelist_id == duplicate.id)
        .options(selectinload(Assignment.request).selectinload(SupportRequest.municipality))
        .order_by(Assignment.id)))
    open_ids = [a.request_id for a in assignments if a.status in OPEN]
    if open_ids:
        both = sorted(db.session.scalars(
            sa.select(Assignment.request_id).where(Assignment.evangelist_id == keep.id,
                                                   Assignment.status.in_(OPEN),
                                                   Assignment.request_id.in_(open_ids))))
        if both:
            raise MergeRefused(None, "same_request", requests=", ".join(f"#{n}" for n in both))
        if keep.status not in WORKING and open_ids:
            raise MergeRefused(None, "kept_not_working")
    account = None
    if duplicate.user_id is not None:
        account = "deactivate" if keep.user_id is not None else "move"
        if account == "deactivate" and actor is not None and duplicate.user_id == actor.id:
            raise MergeRefused(None, "own_account")
    ids = [a.id for a in assignments]
    plan = MergePlan(keep, duplicate, assignments, account=account)
    if ids:
        plan.visits = _count(Visit, Visit.assignment_id.in_(ids))
        plan.outcomes = _count(Outcome, Outcome.visit_id.in_(sa.select(Visit.id).where(Visit.assignment_id.in_(ids))))
        plan.bookings = _count(Booking, Booking.assignment_id.in_(ids))
    plan.events = list(db.session.scalars(
        sa.select(AuditEvent.id).where(AuditEvent.entity_type == "evangelist", AuditEvent.entity_id == duplicate.id)
        .order_by(AuditEvent.id)))
    have = {t.slug for t in keep.skills}
    plan.skills = [t.slug for t in duplicate.skills if t.slug not in have]
    plan.community = keep.home_community_id is None and duplicate.home_community_id is not None
    plan.duplicate_community = duplicate.home_community_id
    plan.readings = (not (keep.family_name_kana and keep.given_name_kana)
                     and bool(duplicate.family_name_kana and duplicate.given_name_kana))
    for column in references():
        if column.table.name in ("assignments", "evangelist_skills"):
            continue
        rows = db.session.scalar(sa.select(sa.func.count()).select_from(column.table).where(column == duplicate.id))
        if rows:
            plan.other_rows[f"{column.table.name}.{column.name}"] = rows
    return plan


def _count(model, where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(where))


# --- The merge -----------------------------------------------------------------------------


@dataclass(frozen=True)
class MergeResult:
    keep_id: int
    duplicate_id: int
    repeated: bool = False  # this confirmation had already been carried out
    account: str | None = None


def merged_with(nonce: str) -> AuditEvent | None:
    """The ``person.merged`` event of the confirmation ``nonce``, if it was carried out."""
    if not nonce:
        return None
    return db.session.scalar(sa.select(AuditEvent).where(
        AuditEvent.action == "person.merged", AuditEvent.after["nonce"].as_string() == nonce))


def _snapshot(person: Evangelist) -> dict:
    return {
        "family_name": person.family_name, "given_name": person.given_name,
        "family_name_kana": person.family_name_kana, "given_name_kana": person.given_name_kana,
        "status": person.status, "home_municipality": person.home_municipality.code,
        "community": person.home_community_id, "user": person.user_id,
        "skills": [t.slug for t in person.skills],
    }


def merge_people(actor: User, keep_id: int | None, duplicate_id: int | None, *, nonce: str,
                 address: str | None = None) -> MergeResult:
    """Merge ``duplicate_id`` into ``keep_id`` in one transaction (see the module's
    docstring); raises ``MergeRefused`` with nothing written."""
    done = merged_with(nonce)
    if done is not None:
        return MergeResult(done.after["kept"], done.after["merged"], repeated=True)
    try:
        plan = plan_merge(keep_id, duplicate_id, actor=actor, lock=True)
    except MergeRefused as refused:
        db.session.rollback()
        # A second copy of a confirmation that waited for the first: the duplicate is gone.
        done = merged_with(nonce) if refused.reason == "unknown" else None
        if done is not None:
            return MergeResult(done.after["kept"], done.after["merged"], repeated=True)
        raise
    keep, duplicate = plan.keep, plan.duplicate
    keep_id, duplicate_id = keep.id, duplicate.id
    before = _snapshot(duplicate)
    moved_assignments = [a.id for a in plan.assignments]
    account_id = duplicate.user_id
    try:
        _move(plan)
        record_event(actor, "person.merged", "evangelist", keep_id, before=before, after={
            "kept": keep_id, "merged": duplicate_id, "nonce": nonce,
            "moved_assignments": moved_assignments, "moved_visits": plan.visits,
            "moved_outcomes": plan.outcomes, "moved_bookings": plan.bookings, "moved_events": plan.events,
            "added_skills": plan.skills, "community": plan.duplicate_community if plan.community else None,
            "readings_taken": plan.readings, "account_action": plan.account, "account_of_merged": account_id,
            **({"moved_rows": plan.other_rows} if plan.other_rows else {}),
        }, client_address=address)
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        done = merged_with(nonce)
        if done is not None:
            return MergeResult(done.after["kept"], done.after["merged"], repeated=True)
        raise MergeRefused(None, "conflict") from None
    except Exception:
        db.session.rollback()
        raise
    return MergeResult(keep_id, duplicate_id, account=plan.account)


def _move(plan: MergePlan) -> None:
    keep, duplicate = plan.keep, plan.duplicate
    keep_id, duplicate_id = keep.id, duplicate.id
    account_id = duplicate.user_id
    values: dict = {}
    if plan.community:
        values["home_community_id"] = duplicate.home_community_id
    if plan.readings:
        values.update(family_name_kana=duplicate.family_name_kana, given_name_kana=duplicate.given_name_kana,
                      **name_keys(keep.family_name, keep.given_name, duplicate.family_name_kana,
                                  duplicate.given_name_kana))
    if keep.form_nonce is None and duplicate.form_nonce is not None:
        values["form_nonce"] = duplicate.form_nonce
    if plan.account == "deactivate":
        db.session.execute(sa.update(User).where(User.id == account_id).values(
            is_active=False, session_version=User.session_version + 1))
    # Every row that points at the duplicate, whatever its table; skills (a set) by union.
    for column in references():
        table = column.table
        if column.primary_key:
            others = [c for c in table.primary_key.columns if c is not column]
            taken = sa.select(*others).where(column == keep_id)
            db.session.execute(sa.update(table).where(
                column == duplicate_id,
                sa.tuple_(*others).not_in(taken) if len(others) > 1 else others[0].not_in(taken))
                .values({column.name: keep_id}))
            db.session.execute(sa.delete(table).where(column == duplicate_id))
        else:
            db.session.execute(sa.update(table).where(column == duplicate_id).values({column.name: keep_id}))
    db.session.execute(sa.update(AuditEvent).where(
        AuditEvent.entity_type == "evangelist", AuditEvent.entity_id == duplicate_id).values(entity_id=keep_id))
    # The duplicate goes, then the kept person takes what they lacked (its account and
    # form's one-time value are unique columns: free once the duplicate is gone).
    db.session.execute(sa.delete(Evangelist).where(Evangelist.id == duplicate_id))
    if plan.account == "move":
        values["user_id"] = account_id
    if values:
        db.session.execute(sa.update(Evangelist).where(Evangelist.id == keep_id).values(**values))
    # These writes went around the session: the search box forgets the duplicate and
    # finds the person kept by what they now hold (readings, e-mail).
    reindex_in(db.session, "evangelist", [keep_id, duplicate_id])
    db.session.expunge(duplicate)
    db.session.expire_all()
