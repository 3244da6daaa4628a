"""The recruitment pipeline: nominating community members as candidates, moving people
through ``candidate → active → paused / retired`` (PRODUCT.md §1 step 2), the board that
shows every stage, and what a coordinator sees and edits of one evangelist.

The allowed moves are data (``EVANGELIST_TRANSITIONS`` in ``evangelists.lifecycle``).
An illegal move raises ``evangelists.lifecycle.TransitionRefused`` (machine
``"evangelist"``); other refusals raise :class:`RecruitmentRefused` with a field and a
reason code. Nothing is written when a move is refused; every move is audited.

Appointing someone who has no account yet (``candidate → active``, or ``retired → active``
for someone who never had one) creates their evangelist account and an invitation link
with the accounts service (``app.services.accounts``), in the same transaction as the move:
the database never holds an active evangelist without an account
(``working_evangelist_has_account``) nor an account for an appointment that failed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from app.extensions import db
from app.geocoding import Geocoder
from app.models import (
    Assignment,
    AuditEvent,
    Community,
    Evangelist,
    Municipality,
    Prefecture,
    SupportRequest,
    Topic,
    User,
    Visit,
)
from app.services.accounts import (
    add_user,
    find_user_by_email,
    mail_password_link,
    make_password_token,
    normalize_email,
    usable,
)
from app.services.audit import record_event
from app.services.communities import (
    LocationInput,
    Placed,
    municipality_by_code,
    resolve_location,
)
from app.services.duplicates import similar_people
from app.services.pages import Page
from app.services.regions import RegionScope, evangelists_visible
from app.services.status import set_status
from evangelists.calendar import today_in_japan
from evangelists.duplicates import SHOWN, Someone
from evangelists.errors import Refused
from evangelists.lifecycle import EVANGELIST_TRANSITIONS, TransitionRefused, refusal
from evangelists.limits import EMAIL_MAX, PERSON_NAME_MAX
from evangelists.names import ReadingRefused, normalize_reading, query_forms
from evangelists.vocabulary import ACTIVE_ASSIGNMENT_STATUSES, EVANGELIST_STATUSES

MACHINE = "evangelist"


# Moves that are an appointment: they need its date, and an account (made here if missing).
APPOINTMENTS = frozenset({("candidate", "active"), ("retired", "active")})

# The audit action of each move: ``evangelist.<verb>``.
MOVE_VERBS = {
    ("candidate", "active"): "appointed",
    ("candidate", "retired"): "declined",
    ("retired", "active"): "reappointed",
    ("active", "paused"): "paused",
    ("paused", "active"): "resumed",
    ("active", "retired"): "retired",
    ("paused", "retired"): "retired",
}

NAME_MAX = PERSON_NAME_MAX
NOTE_MAX = 2000


def transition_refusal(current: str, target: str) -> str | None:
    """None if an evangelist may move ``current -> target``, else the reason
    (``evangelists.lifecycle.refusal``, machine ``"evangelist"``)."""
    return refusal(MACHINE, current, target)


def allowed_moves(status: str) -> tuple[str, ...]:
    """The statuses someone with ``status`` may be moved to, in vocabulary order."""
    return tuple(s for s in EVANGELIST_STATUSES if s in EVANGELIST_TRANSITIONS.get(status, ()))


def is_appointment(current: str, target: str) -> bool:
    return (current, target) in APPOINTMENTS


class RecruitmentRefused(Refused, ValueError):
    """A nomination, edit or move that is refused. ``field`` names the form field,
    ``reason`` is one of ``required``, ``too_long``, ``unknown``, ``bad_email``, ``date_required``,
    ``future_date``, ``email_required``, ``email_taken``, ``account_deactivated``,
    ``appointment_needed`` (a move to active that must go through the appointment form),
    ``decision_required`` (a pause or retirement of someone holding open assignments, with
    no decision about them)."""

    scope = "recruitment"


# --- Nominating ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class NominationInput:
    family_name: str
    given_name: str
    municipality_code: str
    community_id: int | None = None
    email: str | None = None
    skills: tuple[str, ...] = ()
    note: str = ""
    nonce: str | None = None  # the form's one-time value (see nominate)
    family_name_kana: str = ""  # the readings, required (hiragana, katakana, half-width)
    given_name_kana: str = ""


def _name(value: str, field_name: str) -> str:
    text = " ".join((value or "").split())
    if not text:
        raise RecruitmentRefused(field_name, "required")
    if len(text) > NAME_MAX:
        raise RecruitmentRefused(field_name, "too_long")
    return text


def _reading(value: str | None, field_name: str) -> str:
    """A required reading, stored as full-width katakana (``evangelists.names``)."""
    try:
        kana = normalize_reading(value, field_name)
    except ReadingRefused as refused:
        raise RecruitmentRefused(refused.field, refused.reason) from None
    if not kana:
        raise RecruitmentRefused(field_name, "required")
    return kana


def _readings(data) -> tuple[str, str]:
    return (_reading(data.family_name_kana, "family_name_kana"),
            _reading(data.given_name_kana, "given_name_kana"))


def _community(community_id: int | None) -> Community | None:
    if community_id is None:
        return None
    community = db.session.get(Community, community_id)
    if community is None:
        raise RecruitmentRefused("community", "unknown")
    return community


def _topics(slugs) -> list[Topic]:
    wanted = set(slugs or ())
    if not wanted:
        return []
    topics = list(db.session.scalars(sa.select(Topic).where(Topic.slug.in_(wanted)).order_by(Topic.position)))
    if len(topics) != len(wanted):
        raise RecruitmentRefused("skills", "unknown")
    return topics


def _email(value: str | None) -> str | None:
    if not value or not value.strip():
        return None
    email = normalize_email(value)
    local, at, domain = email.partition("@")
    if not (local and at and "." in domain) or any(ch.isspace() for ch in email):
        raise RecruitmentRefused("email", "bad_email")
    if len(email) > EMAIL_MAX:
        raise RecruitmentRefused("email", "too_long")
    return email


@dataclass(frozen=True)
class CheckedPerson:
    """A person as a nomination accepts them: names without runs of spaces, readings in
    katakana, the address normalised (None: none given), the community and topics found."""

    family_name: str
    given_name: str
    family_name_kana: str
    given_name_kana: str
    email: str | None
    community: Community | None
    skills: tuple[Topic, ...]


def check_person(data: NominationInput) -> CheckedPerson:
    """The nomination's checks of the person (not the town), for the public application
    form (app/services/applications.py), which takes people as a nomination does. Raises
    ``RecruitmentRefused`` with the field and the reason."""
    family, given = _name(data.family_name, "family_name"), _name(data.given_name, "given_name")
    family_kana, given_kana = _readings(data)
    return CheckedPerson(family, given, family_kana, given_kana, _email(data.email), _community(data.community_id),
                         tuple(_topics(data.skills)))


DUPLICATES_SHOWN = SHOWN


def possible_duplicates(data: NominationInput) -> list[Evangelist]:
    """People already in the network who may be the person being nominated (issue 20,
    point 6): the same e-mail address (their account's, or the one their own nomination
    recorded), or the same family and given name with the same readings and the same
    community (or both without one): the rule of ``evangelists.duplicates``, which
    imports use too. At most DUPLICATES_SHOWN, oldest first. Nothing for a
    form that was already saved (a second copy of it returns that candidate). Raises
    ``RecruitmentRefused`` on bad input, as ``nominate`` does."""
    if data.nonce and _nominated_with(data.nonce) is not None:
        return []
    family, given = _name(data.family_name, "family_name"), _name(data.given_name, "given_name")
    family_kana, given_kana = _readings(data)
    community = _community(data.community_id)
    email = _email(data.email)
    someone = Someone(family, given, family_kana, given_kana, community.id if community else None,
                      frozenset({email} if email else ()))
    ids = [m.person_id for m in similar_people([someone], limit=DUPLICATES_SHOWN)[0]]
    if not ids:
        return []
    return list(db.session.scalars(
        sa.select(Evangelist).where(Evangelist.id.in_(ids))
        .options(selectinload(Evangelist.home_community), selectinload(Evangelist.home_municipality).selectinload(Municipality.prefecture))
        .order_by(Evangelist.id)
    ))


def nominate(actor: User, data: NominationInput, *, address: str | None = None) -> Evangelist:
    """Add a candidate (no account yet) placed at their home municipality; commits.

    The e-mail address and the note have no column of their own on a candidate: they are
    kept in the ``evangelist.nominated`` audit event (see :func:`nomination_of`), from which
    the appointment form takes the address.

    ``data.nonce`` is the form's one-time value: the same form sent again (a double click,
    the back button) returns the candidate the first one made instead of another, also
    when both arrive at once (the column is unique; the loser finds the winner's row)."""
    if data.nonce:
        existing = _nominated_with(data.nonce)
        if existing is not None:
            return existing
    try:
        evangelist = add_candidate(actor, data, address=address)
        db.session.commit()
    except sa.exc.IntegrityError:
        # The same form's other copy was saved first (at the flush or, racing, at the commit).
        db.session.rollback()
        existing = _nominated_with(data.nonce) if data.nonce else None
        if existing is None:
            raise
        return existing
    return evangelist


def add_candidate(actor: User | str, data: NominationInput, *, address: str | None = None,
                  source: dict | None = None) -> Evangelist:
    """The one way a candidate enters the pipeline, for a coordinator's nomination and a
    confirmed public application (``app.services.applications``): checked, added and
    flushed with its ``evangelist.nominated`` event (``source`` adds to its payload, e.g.
    ``{"application": 3}``: it came from public application 3). Not committed: the caller commits.
    Raises ``RecruitmentRefused`` on bad input, with nothing added."""
    family, given = _name(data.family_name, "family_name"), _name(data.given_name, "given_name")
    family_kana, given_kana = _readings(data)
    municipality = municipality_by_code(data.municipality_code)
    if municipality is None:
        raise RecruitmentRefused("municipality", "unknown")
    community = _community(data.community_id)
    email = _email(data.email)
    note = (data.note or "").strip()
    if len(note) > NOTE_MAX:
        raise RecruitmentRefused("note", "too_long")
    with db.session.no_autoflush:
        skills = _topics(data.skills)
        evangelist = Evangelist(
            family_name=family, given_name=given, family_name_kana=family_kana, given_name_kana=given_kana,
            status="candidate", user=None,
            home_municipality=municipality, lat=municipality.lat, lon=municipality.lon,
            location_source="municipality", home_community=community, skills=skills,
            form_nonce=data.nonce or None,
        )
        db.session.add(evangelist)
    db.session.flush()
    record_event(actor, "evangelist.nominated", "evangelist", evangelist.id, after={
        "family_name": family, "given_name": given, "family_name_kana": family_kana,
        "given_name_kana": given_kana, "home_municipality": municipality.code,
        "community": community.id if community else None, "skills": [t.slug for t in skills],
        "email": email, "note": note, **(source or {}),
    }, client_address=address)
    return evangelist


def _nominated_with(nonce: str) -> Evangelist | None:
    return db.session.scalar(sa.select(Evangelist).where(Evangelist.form_nonce == nonce))


@dataclass(frozen=True)
class Nomination:
    """What was recorded when someone was nominated."""

    email: str | None
    note: str
    by: str
    on: date


def nomination_of(evangelist: Evangelist) -> Nomination | None:
    event = db.session.scalar(
        sa.select(AuditEvent)
        .where(AuditEvent.entity_type == "evangelist", AuditEvent.entity_id == evangelist.id,
               AuditEvent.action == "evangelist.nominated")
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
        .limit(1)
    )
    if event is None:
        return None
    after = event.after or {}
    return Nomination(after.get("email"), after.get("note") or "", event.actor_label, event.created_at.date())


# --- Moving through the pipeline -----------------------------------------------------------------


@dataclass(frozen=True)
class MoveResult:
    """What a move did. After an appointment that made or linked an account without a
    password, ``token`` is its invitation (``purpose`` "invitation"), to send or show."""

    evangelist: Evangelist
    previous: str
    account: str | None = None  # "created", "linked" (an existing evangelist account), "existing"
    token: str | None = None
    purpose: str | None = None
    handed_back: tuple[int, ...] = ()  # the assignments cancelled and returned to the queue
    kept: int = 0  # open assignments a paused evangelist keeps

    @property
    def user(self) -> User | None:
        return self.evangelist.user


# Moves after which an evangelist should not hold open work without a decision about it.
HAND_BACK_TARGETS = ("paused", "retired")
# What a coordinator may decide for the open assignments on each such move: a paused
# evangelist may keep what they hold (no new proposals reach them); a retired one may not.
OPEN_WORK_CHOICES = {"paused": ("hand_back", "keep"), "retired": ("hand_back",)}


def open_assignment_list(evangelist: Evangelist) -> list[Assignment]:
    """Their open assignments (proposed or accepted), oldest first, with the request and
    its municipality and prefecture (one query)."""
    return list(db.session.scalars(
        sa.select(Assignment)
        .where(Assignment.evangelist_id == evangelist.id, Assignment.status.in_(ACTIVE_ASSIGNMENT_STATUSES))
        .options(joinedload(Assignment.request).joinedload(SupportRequest.municipality)
                 .joinedload(Municipality.prefecture))
        .order_by(Assignment.created_at, Assignment.id)
    ))


def _hand_back(actor: User, assignment: Assignment, why: str, address: str | None) -> None:
    """Cancel ``assignment`` and put its request back in the coordinators' queue
    (``triaged``, as when an evangelist declines), each step audited. A town whose
    evangelist had accepted goes back from "evangelist in charge" to "requested" unless
    another accepted assignment still covers it."""
    request = assignment.request
    was = assignment.status
    set_status(actor, assignment, "assignment", "cancelled", action="assignment.cancelled",
               entity_type="assignment", after={"status": "cancelled", "request": request.id, "reason": why},
               address=address)
    others = db.session.scalar(
        sa.select(sa.func.count()).select_from(Assignment)
        .where(Assignment.request_id == request.id, Assignment.id != assignment.id,
               Assignment.status.in_(ACTIVE_ASSIGNMENT_STATUSES))
    )
    if not others:
        set_status(actor, request, "request", "triaged", action="request.triaged",
                   entity_type="support_request", before={"status": request.status},
                   after={"status": "triaged", "reason": why}, address=address, only_if_allowed=True)
    town = request.municipality
    if was == "accepted" and town.engagement_stage == "assigned":
        covered = db.session.scalar(
            sa.select(sa.func.count()).select_from(Assignment).join(Assignment.request)
            .where(SupportRequest.municipality_id == town.id, Assignment.id != assignment.id,
                   Assignment.status == "accepted")
        )
        if not covered:
            set_status(actor, town, "engagement", "requested", attribute="engagement_stage",
                       action=None, only_if_allowed=True)


def _account_for(actor: User, evangelist: Evangelist, email: str | None, address: str | None):
    """The account an appointment uses: the evangelist's own, an evangelist account with
    this e-mail that has no profile yet, or a new one (invited). Returns
    ``(user, how, token)``."""
    user = evangelist.user
    if user is not None:
        if not user.is_active:
            raise RecruitmentRefused("email", "account_deactivated")
        return user, "existing", None
    email = _email(email)
    if email is None:
        raise RecruitmentRefused("email", "email_required")
    existing = find_user_by_email(email)
    if existing is not None:
        if existing.role != "evangelist" or existing.evangelist is not None:
            raise RecruitmentRefused("email", "email_taken")
        if not existing.is_active:
            raise RecruitmentRefused("email", "account_deactivated")
        token = None if usable(existing.password_hash) else make_password_token(existing, "invitation")
        if token is not None:
            mail_password_link(existing, "invitation")
        return existing, "linked", token
    user = add_user(email, evangelist.display_name, "evangelist")
    db.session.flush()
    record_event(actor, "user.invited", "user", user.id, after={"email": user.email, "role": "evangelist"},
                 client_address=address)
    mail_password_link(user, "invitation")
    return user, "created", make_password_token(user, "invitation")


# Called with every move before its commit, in its transaction:
# ``listener(actor, evangelist, previous, target, message)``. The public applications
# (app/services/applications.py) tell their applicant the outcome this way; ``message``
# is the coordinator's optional words to them (a decline).
MOVE_LISTENERS: list[Callable[[User, Evangelist, str, str, str | None], None]] = []


def move_evangelist(
    actor: User, evangelist: Evangelist, target: str, *, appointed_on: date | None = None,
    email: str | None = None, today: date | None = None, address: str | None = None,
    open_work: str | None = None, message: str | None = None,
) -> MoveResult:
    """Move an evangelist to ``target`` if :data:`EVANGELIST_TRANSITIONS` allows it.

    An appointment (``candidate``/``retired`` → ``active``) needs ``appointed_on`` (not in
    the future) and, for someone without an account, ``email``: the account is created (or
    an evangelist account with that address and no profile yet is linked) and an invitation
    token made. A coordinator's pause has no end date (``paused_until`` is cleared; the
    evangelist or a coordinator resumes). One transaction, one audit event per move.

    Pausing or retiring someone who holds open assignments needs ``open_work``: ``hand_back``
    cancels them and puts their requests back in the queue (see ``_hand_back``); ``keep``
    (a pause only) leaves them with the person. Without a decision the move is refused
    (``RecruitmentRefused`` ``open_assignments`` / ``decision_required``) and nothing changes."""
    previous = evangelist.status
    reason = transition_refusal(previous, target)
    if reason is not None:
        raise TransitionRefused(MACHINE, previous, target, reason)
    waiting = open_assignment_list(evangelist) if target in HAND_BACK_TARGETS else []
    if waiting and open_work not in OPEN_WORK_CHOICES[target]:
        raise RecruitmentRefused("open_assignments", "decision_required")
    before = {"status": previous}
    after: dict = {"status": target}
    account = token = None
    if is_appointment(previous, target):
        today = today or today_in_japan()
        if appointed_on is None:
            raise RecruitmentRefused("appointed_on", "date_required")
        if appointed_on > today + timedelta(days=1):  # a day's slack for time zones
            raise RecruitmentRefused("appointed_on", "future_date")
        user, account, token = _account_for(actor, evangelist, email, address)
        evangelist.user = user
        before["appointed_on"] = evangelist.appointed_on.isoformat() if evangelist.appointed_on else None
        evangelist.appointed_on = appointed_on
        after.update(appointed_on=appointed_on.isoformat(), user=user.id, account=account)
    elif appointed_on is not None or email is not None:
        raise ValueError("only an appointment takes a date and an e-mail address")
    if waiting and open_work == "hand_back":
        for assignment in waiting:
            _hand_back(actor, assignment, f"evangelist_{target}", address)
        after["handed_back"] = [a.id for a in waiting]
    elif waiting:
        after["open_assignments"] = len(waiting)
    if evangelist.paused_until is not None:
        before["paused_until"] = evangelist.paused_until.isoformat()
        after["paused_until"] = None
    evangelist.paused_until = None
    set_status(actor, evangelist, MACHINE, target, action=f"evangelist.{MOVE_VERBS[(previous, target)]}",
               entity_type="evangelist", before=before, after=after, address=address)
    for listener in MOVE_LISTENERS:
        listener(actor, evangelist, previous, target, message)
    db.session.commit()
    return MoveResult(evangelist, previous, account, token, "invitation" if token else None,
                      handed_back=tuple(after.get("handed_back", ())), kept=after.get("open_assignments", 0))


# --- The board -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BoardFilters:
    prefecture: str = ""  # JIS code
    community: int | None = None
    q: str = ""  # a name, reading or romaji, or part of one (evangelists.names.query_forms)
    regions: frozenset[str] | None = None  # a regional coordinator's; None: the country


@dataclass(frozen=True)
class BoardPages:
    """Which page of each column (by status) and of the per-community table to show
    (from 1; a page past the end is empty)."""

    columns: tuple[tuple[str, int], ...] = ()
    communities: int = 1

    def column(self, status: str) -> int:
        return dict(self.columns).get(status, 1)


@dataclass(frozen=True)
class CommunityCounts:
    community_id: int | None  # None: people without a home community
    name: str | None
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


# Cards per column and rows of the per-community table on one page of the board.
BOARD_COLUMN_SIZE = 20
BOARD_COMMUNITY_ROWS = 30


@dataclass(frozen=True)
class Board:
    """The board's page: for each status, one page of its people by name (``columns``, a
    :class:`~app.services.pages.Page` whose ``total`` is everyone at that stage), and one
    page of the counts per community (``per_community``, ``total`` = communities)."""

    columns: dict[str, Page]
    per_community: Page

    @property
    def counts(self) -> dict[str, int]:
        """How many people are at each stage (shown or not)."""
        return {status: page.total for status, page in self.columns.items()}

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def _matching(stmt: sa.Select, filters: BoardFilters) -> sa.Select:
    """``stmt`` (selecting from evangelists) narrowed to the people matching ``filters``."""
    if filters.prefecture:
        stmt = (stmt.join(Municipality, Evangelist.home_municipality_id == Municipality.id)
                .join(Prefecture, Municipality.prefecture_id == Prefecture.id)
                .where(Prefecture.code == filters.prefecture))
    if filters.community is not None:
        stmt = stmt.where(Evangelist.home_community_id == filters.community)
    if filters.q:
        stmt = stmt.where(name_search_clause(filters.q))
    if filters.regions is not None:
        stmt = stmt.where(evangelists_visible(RegionScope(filters.regions)))
    return stmt


def name_search_clause(query: str) -> sa.ColumnElement[bool]:
    """People whose name or reading ``query`` is part of: a LIKE per folded form of the
    query over the stored search key (``Evangelist.name_search``); nobody for a query with
    nothing to look for."""
    forms = query_forms(query)
    if not forms:
        return sa.false()
    return sa.or_(*(Evangelist.name_search.contains(form, autoescape=True) for form in forms))


def recruitment_board(filters: BoardFilters, pages: BoardPages = BoardPages(), *,
                      per_column: int = BOARD_COLUMN_SIZE, community_rows: int = BOARD_COMMUNITY_ROWS) -> Board:
    """One page of the board for ``filters``: four queries whatever the data size.

    1. everyone matching, counted per status (GROUP BY);
    2. the people of each column's page (one UNION ALL of a LIMIT/OFFSET per status, in
       五十音 order of the reading, the index ``ix_evangelists_status_name_sort`` serving each), loaded with
       their town, prefecture and community;
    3. how many communities (with "no community" as one) the table has;
    4. one page of that table: per community, the people at each stage (GROUP BY)."""
    counts = dict(db.session.execute(
        _matching(sa.select(Evangelist.status, sa.func.count()), filters).group_by(Evangelist.status)
    ).all())
    order = (Evangelist.name_sort, Evangelist.id)
    column_pages = [
        _matching(sa.select(sa.literal(index).label("col"), Evangelist.id.label("id")), filters)
        .where(Evangelist.status == status)
        .order_by(*order)
        .limit(per_column).offset((pages.column(status) - 1) * per_column)
        .subquery()
        for index, status in enumerate(EVANGELIST_STATUSES)
    ]
    shown = sa.union_all(*(sa.select(page.c.col, page.c.id) for page in column_pages)).subquery()
    people = db.session.scalars(
        sa.select(Evangelist)
        .join(shown, shown.c.id == Evangelist.id)
        .options(
            joinedload(Evangelist.home_municipality).joinedload(Municipality.prefecture),
            joinedload(Evangelist.home_community),
        )
        .order_by(*order)
    ).all()
    columns = {status: [] for status in EVANGELIST_STATUSES}
    for person in people:
        columns[person.status].append(person)
    board_columns = {
        status: Page(items=tuple(columns[status]), total=int(counts.get(status, 0)),
                     page=pages.column(status), per_page=per_column)
        for status in EVANGELIST_STATUSES
    }
    return Board(board_columns, _per_community(filters, pages.communities, community_rows))


def _per_community(filters: BoardFilters, page: int, rows: int) -> Page:
    groups = (
        _matching(sa.select(Evangelist.home_community_id), filters)
        .group_by(Evangelist.home_community_id)
        .subquery()
    )
    total = db.session.scalar(sa.select(sa.func.count()).select_from(groups)) or 0
    tallies = [sa.func.count().filter(Evangelist.status == status) for status in EVANGELIST_STATUSES]
    found = db.session.execute(
        _matching(sa.select(Evangelist.home_community_id, Community.name, *tallies), filters)
        .outerjoin(Community, Community.id == Evangelist.home_community_id)
        .group_by(Evangelist.home_community_id, Community.name)
        .order_by(Community.name.is_(None), Community.name, Evangelist.home_community_id)
        .limit(rows).offset((page - 1) * rows)
    ).all()
    items = tuple(
        CommunityCounts(row[0], row[1], {status: int(n or 0) for status, n in zip(EVANGELIST_STATUSES, row[2:],
                                                                                   strict=True)})
        for row in found
    )
    return Page(items=items, total=int(total), page=page, per_page=rows)


# --- One evangelist, as a coordinator sees them ------------------------------------------------------


def get_evangelist(evangelist_id: int) -> Evangelist | None:
    return db.session.scalar(
        sa.select(Evangelist)
        .where(Evangelist.id == evangelist_id)
        .options(
            joinedload(Evangelist.user),
            joinedload(Evangelist.home_municipality).joinedload(Municipality.prefecture),
            joinedload(Evangelist.home_community),
            selectinload(Evangelist.skills),
        )
    )


def assignments_of(evangelist: Evangelist) -> list[Assignment]:
    """Their assignments, newest first, with the request's municipality (one query)."""
    return list(db.session.scalars(
        sa.select(Assignment)
        .where(Assignment.evangelist_id == evangelist.id)
        .options(joinedload(Assignment.request).joinedload(SupportRequest.municipality))
        .order_by(Assignment.created_at.desc(), Assignment.id.desc())
    ))


def visits_of_evangelist(evangelist: Evangelist) -> list[Visit]:
    """Their visits, newest first, with the town and the outcomes (one query)."""
    return list(db.session.scalars(
        sa.select(Visit)
        .join(Visit.assignment)
        .where(Assignment.evangelist_id == evangelist.id)
        .options(
            joinedload(Visit.outcomes),
            joinedload(Visit.assignment).joinedload(Assignment.request).joinedload(SupportRequest.municipality),
        )
        .order_by(Visit.visited_on.desc(), Visit.id.desc())
    ).unique())


def evangelist_history(evangelist: Evangelist) -> list[AuditEvent]:
    """The audit events about this evangelist (nomination, moves, edits), newest first."""
    return list(db.session.scalars(
        sa.select(AuditEvent)
        .options(joinedload(AuditEvent.actor))
        .where(AuditEvent.entity_type == "evangelist", AuditEvent.entity_id == evangelist.id)
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
    ))


@dataclass(frozen=True)
class EvangelistInput:
    """What a coordinator edits of an evangelist (at any stage)."""

    family_name: str
    given_name: str
    municipality_code: str
    community_id: int | None = None
    skills: tuple[str, ...] = ()
    location: LocationInput = field(default_factory=LocationInput)
    family_name_kana: str = ""
    given_name_kana: str = ""


def _evangelist_snapshot(evangelist: Evangelist) -> dict:
    return {
        "family_name": evangelist.family_name,
        "given_name": evangelist.given_name,
        "family_name_kana": evangelist.family_name_kana,
        "given_name_kana": evangelist.given_name_kana,
        "home_municipality": evangelist.home_municipality.code,
        "community": evangelist.home_community.id if evangelist.home_community else None,
        "skills": [t.slug for t in evangelist.skills],
        "lat": evangelist.lat,
        "lon": evangelist.lon,
        "location_source": evangelist.location_source,
    }


def update_evangelist(
    actor: User, evangelist: Evangelist, data: EvangelistInput, *, geocoder: Geocoder | None = None,
    address: str | None = None,
) -> tuple[str, ...]:
    """Save a coordinator's edit; returns the names of the changed fields (empty: nothing
    written). Their home coordinates follow the location rules of
    ``app.services.communities.resolve_location`` (an address to geocode is not stored)."""
    family, given = _name(data.family_name, "family_name"), _name(data.given_name, "given_name")
    family_kana, given_kana = _readings(data)
    municipality = municipality_by_code(data.municipality_code)
    if municipality is None:
        raise RecruitmentRefused("municipality", "unknown")
    community = _community(data.community_id)
    skills = _topics(data.skills)
    placed = resolve_location(
        data.location, municipality, geocoder=geocoder,
        current=Placed(evangelist.lat, evangelist.lon, evangelist.location_source),
    )
    before = _evangelist_snapshot(evangelist)
    with db.session.no_autoflush:
        evangelist.family_name, evangelist.given_name = family, given
        evangelist.family_name_kana, evangelist.given_name_kana = family_kana, given_kana
        evangelist.home_municipality = municipality
        evangelist.home_community = community
        evangelist.skills = skills
        evangelist.lat, evangelist.lon, evangelist.location_source = placed.lat, placed.lon, placed.source
        after = _evangelist_snapshot(evangelist)
    changed = tuple(k for k in after if before[k] != after[k])
    if not changed:
        db.session.rollback()
        return ()
    record_event(actor, "evangelist.updated", "evangelist", evangelist.id,
                 before={k: before[k] for k in changed}, after={k: after[k] for k in changed},
                 client_address=address)
    db.session.commit()
    return changed
