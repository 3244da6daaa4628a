"""Outreach to towns that have not asked (issue 20, point 7; PRODUCT.md §1: evangelists go
to towns that have not started).

A coordinator opens a case for a town that does not publish open data yet, from the
coverage gap, the town's page or a bulk selection of the gap; logs each contact (whom, how,
when, the answer, the next step and date); may ask a nearby evangelist or community to reach
out (the evangelist sees the case on ``/me`` and notes what they did); and, when the town
agrees, turns the case into a support request with one click, the town's consent recorded.
One open case per town (a unique partial index: two coordinators opening the same town at
once get one case). An open case puts the town at engagement stage "outreach"; a case that
ends without a request puts it back at "none", so "none" means no request and no outreach.

Every change is audited (``outreach.*`` events, words in app/events.py) and commits here.
A regional coordinator acts only on towns of their regions (app/services/regions.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from app.extensions import db
from app.models import (
    BulkRun,
    Community,
    Evangelist,
    Municipality,
    OutreachCase,
    OutreachContact,
    Prefecture,
    SupportRequest,
    User,
)
from app.services.audit import record_event
from app.services.ownership import may_own
from app.services.regions import NATIONAL, RegionScope, can_see, municipality_visible, scope_of
from app.services.requests import Intake, Submission, open_request_for, record_request
from app.services.status import set_status
from evangelists import lifecycle
from evangelists.errors import Refused
from evangelists.geo import haversine_matrix_km
from evangelists.limits import BULK_ROWS_MAX, OUTREACH_TEXT_MAX
from evangelists.vocabulary import OPEN_OUTREACH_STATUSES, OUTREACH_CHANNELS, OUTREACH_STATUSES

# The statuses a logged contact may leave the case at (the town's answer).
ANSWER_STATUSES = ("contacted", "interested", "declined")
BULK_ACTION = "outreach_open"
NEARBY_LIMIT = 5


class OutreachRefused(Refused):
    """``municipality``: ``already_active`` (publishes open data), ``has_case`` (an open
    case: ``case``), ``has_request`` (an open request: ``number``), ``out_of_region``;
    ``case``: ``closed``, ``out_of_region``; ``owner``: ``not_staff``; ``evangelist`` /
    ``community``: ``unknown``; ``status``: ``unknown``; ``contact``: ``contact_required``
    (turning into a request needs a contact with a name and a phone or e-mail);
    ``consent``: ``required``; ``channel``: ``unknown``; ``note``: ``not_yours``;
    bulk: ``nothing_chosen``, ``too_many``, ``unknown_municipality``."""

    scope = "outreach"


# -- reading ---------------------------------------------------------------------------


def get_case(case_id: int) -> OutreachCase | None:
    return db.session.get(OutreachCase, case_id, options=[
        joinedload(OutreachCase.municipality).joinedload(Municipality.prefecture),
        selectinload(OutreachCase.contacts).joinedload(OutreachContact.recorded_by),
    ])


def open_case_for(municipality: Municipality) -> OutreachCase | None:
    return db.session.scalar(sa.select(OutreachCase).where(
        OutreachCase.municipality_id == municipality.id, OutreachCase.status.in_(OPEN_OUTREACH_STATUSES)))


@dataclass(frozen=True)
class CaseFilters:
    status: str = ""  # one of OUTREACH_STATUSES, "open" (default list), or "" (all)
    prefecture: str = ""  # a prefecture code
    owner: int | None = None  # a user id; 0: nobody
    due_by: date | None = None  # next date on or before


def case_list(scope: RegionScope, filters: CaseFilters) -> sa.Select:
    """The cases ``scope`` may see that match ``filters``: the nearest next date first, then
    the newest; a statement for the caller to page."""
    stmt = (
        sa.select(OutreachCase)
        .join(Municipality, OutreachCase.municipality_id == Municipality.id)
        .join(Prefecture, Municipality.prefecture_id == Prefecture.id)
        .where(municipality_visible(scope, OutreachCase.municipality_id))
        .options(joinedload(OutreachCase.municipality).joinedload(Municipality.prefecture),
                 joinedload(OutreachCase.owner), joinedload(OutreachCase.evangelist),
                 joinedload(OutreachCase.community))
        .order_by(OutreachCase.next_on.is_(None), OutreachCase.next_on, OutreachCase.id.desc())
    )
    if filters.status == "open":
        stmt = stmt.where(OutreachCase.status.in_(OPEN_OUTREACH_STATUSES))
    elif filters.status in OUTREACH_STATUSES:
        stmt = stmt.where(OutreachCase.status == filters.status)
    if filters.prefecture:
        stmt = stmt.where(Prefecture.code == filters.prefecture)
    if filters.owner == 0:
        stmt = stmt.where(OutreachCase.owner_id.is_(None))
    elif filters.owner is not None:
        stmt = stmt.where(OutreachCase.owner_id == filters.owner)
    if filters.due_by is not None:
        stmt = stmt.where(OutreachCase.next_on <= filters.due_by)
    return stmt


def cases_for_evangelist(evangelist: Evangelist | None) -> list[OutreachCase]:
    """The open cases ``evangelist`` is asked to reach out for (their ``/me``)."""
    if evangelist is None:
        return []
    return list(db.session.scalars(
        sa.select(OutreachCase)
        .where(OutreachCase.evangelist_id == evangelist.id, OutreachCase.status.in_(OPEN_OUTREACH_STATUSES))
        .options(joinedload(OutreachCase.municipality).joinedload(Municipality.prefecture),
                 selectinload(OutreachCase.contacts))
        .order_by(OutreachCase.next_on.is_(None), OutreachCase.next_on, OutreachCase.id)
    ))


@dataclass(frozen=True)
class Nearby:
    kind: str  # "evangelist" or "community"
    id: int
    name: str
    town: str
    distance_km: float


def nearby_helpers(municipality: Municipality, limit: int = NEARBY_LIMIT) -> list[Nearby]:
    """The active evangelists and active communities nearest the town office, each kind
    nearest first (straight-line distance from their home base)."""
    found: list[Nearby] = []
    for kind, model, active, name_of in (
        ("evangelist", Evangelist, Evangelist.status == "active",
         lambda e: f"{e.family_name} {e.given_name}"),
        ("community", Community, Community.status == "active", lambda c: c.name),
    ):
        town_of = model.home_municipality if kind == "evangelist" else model.municipality
        rows = list(db.session.scalars(sa.select(model).where(active).options(joinedload(town_of))))
        if not rows:
            continue
        distances = haversine_matrix_km(
            np.array([municipality.lat]), np.array([municipality.lon]),
            np.array([r.lat for r in rows]), np.array([r.lon for r in rows]))[0]
        ranked = sorted(zip(rows, distances, strict=True), key=lambda pair: (pair[1], pair[0].id))[:limit]
        for row, distance in ranked:
            town = row.home_municipality if kind == "evangelist" else row.municipality
            found.append(Nearby(kind, row.id, name_of(row), town.name if town else "", float(distance)))
    return found


# -- opening ---------------------------------------------------------------------------


def refusal_to_open(actor: User, municipality: Municipality) -> OutreachRefused | None:
    if not can_see(actor, municipality):
        return OutreachRefused("municipality", "out_of_region")
    if municipality.open_data_status == "active":
        return OutreachRefused("municipality", "already_active", town=municipality.name)
    existing = open_case_for(municipality)
    if existing is not None:
        return OutreachRefused("municipality", "has_case", case=existing.id, town=municipality.name)
    open_request = open_request_for(municipality.code)
    if open_request is not None:
        return OutreachRefused("municipality", "has_request", number=open_request.id, town=municipality.name)
    return None


def _new_case(actor: User, municipality: Municipality, *, address: str | None, **details) -> OutreachCase:
    case = OutreachCase(municipality=municipality, status="planned", opened_by=actor,
                        owner=actor if may_own(actor) else None, **details)
    db.session.add(case)
    db.session.flush()
    set_status(actor, municipality, "engagement", "outreach", attribute="engagement_stage", action=None,
               only_if_allowed=True)
    record_event(actor, "outreach.opened", "outreach_case", case.id,
                 after={"municipality": municipality.code, "owner": case.owner_id}, client_address=address)
    return case


@dataclass(frozen=True)
class Opened:
    case: OutreachCase
    created: bool  # False: the town already had an open case (opened at the same moment)


def open_case(actor: User, municipality: Municipality, *, address: str | None = None) -> Opened:
    """Open a case for ``municipality``, owned by ``actor``; audited ``outreach.opened``;
    commits. Raises ``OutreachRefused`` (nothing written). When another coordinator opened
    the town at the same moment, the unique index keeps theirs and it is returned."""
    refused = refusal_to_open(actor, municipality)
    if refused is not None:
        if refused.reason == "has_case":
            return Opened(open_case_for(municipality), False)
        raise refused
    try:
        case = _new_case(actor, municipality, address=address)
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        existing = open_case_for(municipality)
        if existing is None:
            raise
        return Opened(existing, False)
    return Opened(case, True)


# -- many at once (the gap list) -------------------------------------------------------


@dataclass(frozen=True)
class BulkRow:
    code: str
    town: str
    refused: OutreachRefused | None = None
    case_id: int | None = None


@dataclass(frozen=True)
class BulkOpened:
    rows: list[BulkRow]
    applied: bool
    run: BulkRun | None = None

    @property
    def refused(self) -> list[BulkRow]:
        return [row for row in self.rows if row.refused is not None]


def chosen_towns(codes: list[str]) -> list[Municipality]:
    """The municipalities of ``codes`` in the order given; raises ``OutreachRefused`` when
    none, too many, or a code no municipality has."""
    codes = list(dict.fromkeys(codes))
    if not codes:
        raise OutreachRefused(None, "nothing_chosen")
    if len(codes) > BULK_ROWS_MAX:
        raise OutreachRefused(None, "too_many", limit=BULK_ROWS_MAX, count=len(codes))
    towns = {m.code: m for m in db.session.scalars(
        sa.select(Municipality).where(Municipality.code.in_(codes)).options(joinedload(Municipality.prefecture)))}
    for code in codes:
        if code not in towns:
            raise OutreachRefused(None, "unknown_municipality", code=code[:12])
    return [towns[code] for code in codes]


def check_towns(actor: User, towns: list[Municipality]) -> list[BulkRow]:
    """What opening a case for each town would do (the review page): refusals per row."""
    return [BulkRow(t.code, t.name, refusal_to_open(actor, t)) for t in towns]


def bulk_open(actor: User, codes: list[str], *, nonce: str, address: str | None = None) -> BulkOpened:
    """Open one case per town of ``codes``, all or nothing, in one transaction, each
    audited ``outreach.opened``; recorded as a ``BulkRun`` under ``nonce`` (the review
    page's one-time value: the same confirmation sent twice runs once). If any town is
    refused, nothing is written and the outcome says which and why."""
    done = db.session.scalar(sa.select(BulkRun).where(BulkRun.nonce == nonce))
    if done is not None:
        return outcome_of(done)
    towns = chosen_towns(codes)
    rows = check_towns(actor, towns)
    if any(row.refused for row in rows):
        return BulkOpened(rows, applied=False)
    try:
        cases = [_new_case(actor, town, address=address) for town in towns]
        run = BulkRun(nonce=nonce, user_id=actor.id, action=BULK_ACTION,
                      rows=[{"case": c.id, "code": c.municipality.code, "town": c.municipality.name} for c in cases])
        db.session.add(run)
        db.session.commit()
    except sa.exc.IntegrityError:
        # Someone opened one of these towns (or ran this confirmation) meanwhile.
        db.session.rollback()
        done = db.session.scalar(sa.select(BulkRun).where(BulkRun.nonce == nonce))
        if done is not None:
            return outcome_of(done)
        return BulkOpened(check_towns(actor, chosen_towns(codes)), applied=False)
    return BulkOpened([BulkRow(c.municipality.code, c.municipality.name, None, c.id) for c in cases],
                      applied=True, run=run)


def get_run(run_id: int) -> BulkRun | None:
    run = db.session.get(BulkRun, run_id)
    return run if run is not None and run.action == BULK_ACTION else None


def outcome_of(run: BulkRun) -> BulkOpened:
    return BulkOpened([BulkRow(r["code"], r["town"], None, r["case"]) for r in run.rows], applied=True, run=run)


# -- working a case --------------------------------------------------------------------


def _check_open(actor: User, case: OutreachCase) -> None:
    if not can_see(actor, case.municipality):
        raise OutreachRefused("case", "out_of_region")
    if not case.is_open:
        raise OutreachRefused("case", "closed")


def _text(value: str | None, name: str) -> str:
    value = (value or "").strip()
    if len(value) > OUTREACH_TEXT_MAX:
        raise OutreachRefused(name, "too_long")
    return value


def _end_outreach_stage(actor: User, case: OutreachCase) -> None:
    """A case that ends without a request puts an "outreach" town back at "none"."""
    town = case.municipality
    if town.engagement_stage == "outreach":
        set_status(actor, town, "engagement", "none", attribute="engagement_stage", action=None,
                   only_if_allowed=True)


def _move(actor: User, case: OutreachCase, target: str, today: date) -> str | None:
    """Move the case to ``target`` (no event: the caller's event says it); the old status,
    or None when it stays."""
    if target == case.status:
        return None
    lifecycle.check("outreach", case.status, target)
    before, case.status = case.status, target
    if target in ("contacted", "interested", "declined") and case.contacted_on is None:
        case.contacted_on = today
    if target == "interested" and case.interested_on is None:
        case.interested_on = today
    if target in ("declined", "closed"):
        _end_outreach_stage(actor, case)
    return before


@dataclass(frozen=True)
class ContactEntry:
    contacted_on: date
    channel: str
    outcome: str  # the status the answer leaves the case at: one of ANSWER_STATUSES
    person_name: str = ""
    department: str = ""
    phone: str | None = None  # E.164, checked by the form
    email: str | None = None
    answer: str = ""
    next_step: str = ""
    next_on: date | None = None


def log_contact(actor: User, case: OutreachCase, entry: ContactEntry, *, today: date,
                address: str | None = None) -> OutreachContact:
    """Add a contact to an open case; its answer moves the case (``outcome``) and its next
    step and date become the case's. Audited ``outreach.contact_logged`` (with the status
    before and after; not the person's details); commits."""
    _check_open(actor, case)
    if entry.channel not in OUTREACH_CHANNELS:
        raise OutreachRefused("channel", "unknown")
    if entry.outcome not in ANSWER_STATUSES:
        raise OutreachRefused("outcome", "unknown")
    if entry.contacted_on > today:
        raise OutreachRefused("contacted_on", "future_date")
    if entry.next_on is not None and entry.next_on < entry.contacted_on:
        raise OutreachRefused("next_on", "before_contact")
    contact = OutreachContact(
        case=case, contacted_on=entry.contacted_on, channel=entry.channel,
        person_name=entry.person_name.strip(), department=entry.department.strip(),
        phone=entry.phone or None, email=(entry.email or "").strip() or None,
        answer=_text(entry.answer, "answer"), next_step=_text(entry.next_step, "next_step"),
        next_on=entry.next_on, recorded_by=actor)
    db.session.add(contact)
    before = _move(actor, case, entry.outcome, entry.contacted_on)
    if case.contacted_on is None:
        case.contacted_on = entry.contacted_on
    case.next_step, case.next_on = contact.next_step, contact.next_on
    db.session.flush()
    record_event(actor, "outreach.contact_logged", "outreach_case", case.id,
                 before={"status": before} if before else None,
                 after={"contact": contact.id, "channel": entry.channel, "contacted_on": entry.contacted_on.isoformat(),
                        **({"status": case.status} if before else {})},
                 client_address=address)
    db.session.commit()
    return contact


@dataclass(frozen=True)
class CaseDetails:
    owner: User | None
    evangelist: Evangelist | None
    community: Community | None
    ask: str = ""
    next_step: str = ""
    next_on: date | None = None


def update_case(actor: User, case: OutreachCase, details: CaseDetails, *, address: str | None = None) -> bool:
    """Change the owner, the evangelist or community asked to reach out, what they are
    asked, and the next step and date; audited ``outreach.updated`` with what changed;
    commits. False when nothing changed."""
    _check_open(actor, case)
    if details.owner is not None and not may_own(details.owner):
        raise OutreachRefused("owner", "not_staff")
    if details.evangelist is not None and details.evangelist.status != "active":
        raise OutreachRefused("evangelist", "unknown")
    wanted = {"owner": details.owner.id if details.owner else None,
              "evangelist": details.evangelist.id if details.evangelist else None,
              "community": details.community.id if details.community else None,
              "ask": _text(details.ask, "ask"), "next_step": _text(details.next_step, "next_step"),
              "next_on": details.next_on.isoformat() if details.next_on else None}
    current = {"owner": case.owner_id, "evangelist": case.evangelist_id, "community": case.community_id,
               "ask": case.ask, "next_step": case.next_step,
               "next_on": case.next_on.isoformat() if case.next_on else None}
    changed = [key for key in wanted if wanted[key] != current[key]]
    if not changed:
        return False
    case.owner, case.evangelist, case.community = details.owner, details.evangelist, details.community
    case.ask, case.next_step, case.next_on = wanted["ask"], wanted["next_step"], details.next_on
    record_event(actor, "outreach.updated", "outreach_case", case.id,
                 before={k: current[k] for k in changed}, after={k: wanted[k] for k in changed},
                 client_address=address)
    db.session.commit()
    return True


def close_case(actor: User, case: OutreachCase, reason: str, *, today: date, address: str | None = None) -> None:
    """End an open case without a request (the reason is required); the town goes back to
    "none". Audited ``outreach.closed``; commits."""
    _close(actor, case, reason, today=today, address=address)
    db.session.commit()


def _close(actor: User, case: OutreachCase, reason: str, *, today: date, address: str | None) -> None:
    """:func:`close_case` without the commit (a bulk action commits all or nothing)."""
    _check_open(actor, case)
    reason = _text(reason, "reason")
    if not reason:
        raise OutreachRefused("reason", "required")
    before = _move(actor, case, "closed", today)
    case.closed_reason = reason
    record_event(actor, "outreach.closed", "outreach_case", case.id, before={"status": before},
                 after={"status": "closed", "reason": reason}, client_address=address)


# -- one action on many cases (issue 20, point 4, on the outreach list) ----------------

CASE_BULK_ACTIONS = {"owner": "outreach_owner", "close": "outreach_close"}  # action -> BulkRun.action


@dataclass(frozen=True)
class CaseRow:
    case_id: int
    town: str
    refused: Refused | None = None
    unchanged: bool = False  # already that owner: nothing to do, not a refusal


@dataclass(frozen=True)
class CasesDone:
    rows: list[CaseRow]
    applied: bool
    run: BulkRun | None = None

    @property
    def refused(self) -> list[CaseRow]:
        return [row for row in self.rows if row.refused is not None]


def chosen_cases(actor: User, ids: list[int]) -> list[OutreachCase]:
    """The cases ``ids`` in the order given, with their towns; raises ``OutreachRefused``
    when none, too many, or a number no case of the actor's regions has."""
    ids = list(dict.fromkeys(ids))
    if not ids:
        raise OutreachRefused(None, "no_case_chosen")
    if len(ids) > BULK_ROWS_MAX:
        raise OutreachRefused(None, "too_many_cases", limit=BULK_ROWS_MAX, count=len(ids))
    found = {c.id: c for c in db.session.scalars(
        sa.select(OutreachCase).where(OutreachCase.id.in_(ids),
                                      municipality_visible(scope_of(actor), OutreachCase.municipality_id))
        .options(joinedload(OutreachCase.municipality).joinedload(Municipality.prefecture),
                 joinedload(OutreachCase.owner)))}
    for case_id in ids:
        if case_id not in found:
            raise OutreachRefused(None, "unknown_case", number=case_id)
    return [found[i] for i in ids]


def bulk_cases(actor: User, ids: list[int], action: str, *, nonce: str, owner_id: int | None = None,
               reason: str | None = None, today: date, address: str | None = None) -> CasesDone:
    """Give the cases ``ids`` an owner (None: nobody), or close them with one reason, in
    one transaction: every case or none, each audited as the single action is
    (``outreach.updated``, ``outreach.closed``). ``nonce`` is the review page's one-time
    value: the same confirmation sent twice runs once."""
    if action not in CASE_BULK_ACTIONS:
        raise OutreachRefused("action", "unknown_action")
    done = db.session.scalar(sa.select(BulkRun).where(BulkRun.nonce == nonce))
    if done is not None:
        return cases_outcome(done)
    cases = chosen_cases(actor, ids)
    owner = db.session.get(User, owner_id) if action == "owner" and owner_id is not None else None
    if action == "owner" and owner_id is not None and not may_own(owner):
        raise OutreachRefused("owner", "not_staff")
    if action == "close" and not (reason or "").strip():
        raise OutreachRefused("reason", "reason_required")
    rows = []
    for case in cases:
        town = case.municipality.name
        try:
            if action == "close":
                _close(actor, case, reason, today=today, address=address)
            else:
                _check_open(actor, case)
                if owner is not None and not can_see(owner, case.municipality):
                    raise OutreachRefused("owner", "owner_elsewhere")
                new = owner.id if owner is not None else None
                if case.owner_id == new:
                    rows.append(CaseRow(case.id, town, unchanged=True))
                    continue
                record_event(actor, "outreach.updated", "outreach_case", case.id, before={"owner": case.owner_id},
                             after={"owner": new}, client_address=address)
                case.owner = owner
        except Refused as refused:  # the case's own refusals and its lifecycle's
            rows.append(CaseRow(case.id, town, refused))
        else:
            rows.append(CaseRow(case.id, town))
    if any(row.refused is not None for row in rows):
        db.session.rollback()
        return CasesDone(rows, applied=False)
    run = BulkRun(nonce=nonce, user_id=actor.id, action=CASE_BULK_ACTIONS[action],
                  rows=[{"case": r.case_id, "town": r.town, "unchanged": r.unchanged} for r in rows])
    db.session.add(run)
    try:
        db.session.commit()
    except sa.exc.IntegrityError:  # the same confirmation, carried out meanwhile
        db.session.rollback()
        return cases_outcome(db.session.scalar(sa.select(BulkRun).where(BulkRun.nonce == nonce)))
    return CasesDone(rows, applied=True, run=run)


def get_cases_run(run_id: int) -> BulkRun | None:
    run = db.session.get(BulkRun, run_id)
    return run if run is not None and run.action in CASE_BULK_ACTIONS.values() else None


def cases_outcome(run: BulkRun) -> CasesDone:
    return CasesDone([CaseRow(r["case"], r["town"], unchanged=r.get("unchanged", False)) for r in run.rows],
                     applied=True, run=run)


def helper_note(user: User, case: OutreachCase, *, reached_out: bool, channel: str, note: str, today: date,
                address: str | None = None) -> OutreachContact:
    """The evangelist asked to reach out says they did (``reached_out``: a contact on
    ``today`` by ``channel``) or adds a note; it joins the case's log as theirs. Audited
    ``outreach.helper_note``; commits. Only the evangelist the case asks."""
    evangelist = case.evangelist
    if evangelist is None or evangelist.user_id != user.id:
        raise OutreachRefused("note", "not_yours")
    if not case.is_open:
        raise OutreachRefused("case", "closed")
    if channel not in OUTREACH_CHANNELS:
        raise OutreachRefused("channel", "unknown")
    note = _text(note, "note")
    if not note and not reached_out:
        raise OutreachRefused("note", "required")
    contact = OutreachContact(case=case, contacted_on=today, channel=channel, answer=note, recorded_by=user)
    db.session.add(contact)
    before = None
    if reached_out and case.status == "planned":
        before = _move(user, case, "contacted", today)
    db.session.flush()
    record_event(user, "outreach.helper_note", "outreach_case", case.id,
                 before={"status": before} if before else None,
                 after={"contact": contact.id, "reached_out": reached_out,
                        **({"status": case.status} if before else {})},
                 client_address=address)
    db.session.commit()
    return contact


# -- turning into a request ------------------------------------------------------------


@dataclass(frozen=True)
class Consent:
    given: bool  # the town agreed that the programme records a request for it
    by: str  # who at the town agreed
    how: str  # one of OUTREACH_CHANNELS
    on: date  # the day, in Japan


def last_reachable_contact(case: OutreachCase) -> OutreachContact | None:
    for contact in reversed(case.contacts):
        if contact.person_name and (contact.email or contact.phone):
            return contact
    return None


def turn_into_request(actor: User, case: OutreachCase, consent: Consent, *, today: date,
                      address: str | None = None) -> SupportRequest:
    """Record a request for the town from the case, with the town's consent, through the
    staff intake (``record_request``, source ``outreach``, the day of the consent), from
    the case's last contact with a name and a phone or e-mail. The case becomes
    ``request``, linked to it, in the same transaction (audited
    ``outreach.turned_into_request``). The same click twice gives the one request.
    Raises ``OutreachRefused`` (or ``IntakeRefused``), nothing written."""
    if case.status == "request" and case.request is not None:
        return case.request
    _check_open(actor, case)
    if not consent.given:
        raise OutreachRefused("consent", "required")
    by = consent.by.strip()
    if not by:
        raise OutreachRefused("consent_by", "required")
    if consent.how not in OUTREACH_CHANNELS:
        raise OutreachRefused("consent_how", "unknown")
    existing = open_request_for(case.municipality.code)
    if existing is not None:
        raise OutreachRefused("municipality", "has_request", number=existing.id, town=case.municipality.name)
    contact = last_reachable_contact(case)
    if contact is None:
        raise OutreachRefused("contact", "contact_required")
    message = "\n".join(part for part in (contact.answer, case.next_step) if part)
    submission = Submission(
        municipality_code=case.municipality.code, contact_name=contact.person_name, department=contact.department,
        email=contact.email, phone=contact.phone, topics=(), mode="either", period="", message=message,
        nonce=f"outreach-{case.id}")

    def link(request: SupportRequest) -> None:
        before = _move(actor, case, "request", consent.on)
        case.request = request
        case.consent_by, case.consent_how, case.consented_on = by, consent.how, consent.on
        record_event(actor, "outreach.turned_into_request", "outreach_case", case.id, before={"status": before},
                     after={"status": "request", "request": request.id, "consent_by": by, "consent_how": consent.how,
                            "consented_on": consent.on.isoformat()},
                     client_address=address)

    result = record_request(actor, Intake(submission, "outreach", consent.on), today=today, address=address,
                            then=link)
    db.session.refresh(case)
    return result.request


# -- the dashboard's funnel and the map --------------------------------------------------


@dataclass(frozen=True)
class Funnel:
    """Outreach cases that reached each step: a first contact, interest, a request, and
    the town publishing open data since the case was opened."""

    cases: int
    contacted: int
    interested: int
    request: int
    active: int
    steps: tuple[tuple[str, int], ...] = field(default=())


def funnel(scope: RegionScope = NATIONAL, *, prefecture: str | None = None,
           opened: tuple[datetime, datetime] | None = None) -> Funnel:
    """One query: the counts of the cases ``scope`` may see (in ``prefecture``, opened in
    ``[start, end)`` when given: the dashboard's filter and fiscal year)."""
    c, m = OutreachCase, Municipality
    where = [municipality_visible(scope, c.municipality_id)]
    if prefecture is not None:
        where.append(m.prefecture_id.in_(sa.select(Prefecture.id).where(Prefecture.code == prefecture)))
    if opened is not None:
        where += [c.created_at >= opened[0], c.created_at < opened[1]]
    became_active = sa.and_(m.open_data_status == "active",
                            sa.or_(m.open_data_since.is_(None), m.open_data_since >= sa.func.date(c.created_at)))
    row = db.session.execute(
        sa.select(
            sa.func.count(c.id),
            sa.func.count(c.contacted_on),
            sa.func.count(c.interested_on),
            sa.func.count(c.request_id),
            sa.func.coalesce(sa.func.sum(sa.case((became_active, 1), else_=0)), 0),
        ).join(m, c.municipality_id == m.id).where(*where)
    ).one()
    cases, contacted, interested, request, active = (int(v or 0) for v in row)
    return Funnel(cases, contacted, interested, request, active,
                  (("contacted", contacted), ("interested", interested), ("request", request), ("active", active)))


@dataclass(frozen=True)
class MapCase:
    id: int
    code: str
    name: str
    name_romaji: str | None
    status: str
    lat: float
    lon: float


def map_cases(scope: RegionScope) -> list[MapCase]:
    """The open cases ``scope`` may see, for the staff map's outreach layer."""
    m = Municipality
    rows = db.session.execute(
        sa.select(OutreachCase.id, OutreachCase.status, m.code, m.name, m.name_romaji, m.lat, m.lon)
        .join(m, OutreachCase.municipality_id == m.id)
        .where(OutreachCase.status.in_(OPEN_OUTREACH_STATUSES), municipality_visible(scope, OutreachCase.municipality_id))
        .order_by(m.code)
    ).all()
    return [MapCase(r.id, r.code, r.name, r.name_romaji, r.status, r.lat, r.lon) for r in rows]
