"""Becoming an evangelist (issue 22, point 6): the public application, its confirmation by
mail, its way into the recruitment pipeline and the outcome the applicant is told.

- ``submit``: the form's answers, checked as a nomination's are (the same name, reading,
  e-mail and community rules of ``app.services.recruitment``), stored as an
  ``unconfirmed`` application with a confirmation link (a random token, stored as its
  SHA-256 and sealed for the mail, as a request's status link is: the notice row holds no
  secret, the ``application_confirm`` mail makes the link when it is written). Nothing
  reaches the pipeline before the address is confirmed.
- ``confirm``: the link (within ``CONFIRM_HOURS``) confirms the address. The application
  then goes through the nomination's duplicate check (``possible_duplicates``): without
  a match it becomes a candidate through ``recruitment.add_candidate``, the code path of a
  nomination (its ``evangelist.nominated`` event names the source and keeps the address,
  so the appointment form offers it and later duplicate checks find it); with a match no
  second record is made: the application waits as ``possible_duplicate`` with the people
  it may be, shown on the board and on their records, for a coordinator to decide
  (``resolve``: someone else → a new candidate; the same person → joined to that record;
  or declined). Coordinators of the applicant's region are told either way.
- The outcome: when the person of an application is appointed or declined
  (``recruitment.move_evangelist``, through ``MOVE_LISTENERS``) the application is closed
  and the applicant mailed (``application_appointed``, ``application_declined`` with the
  coordinator's optional message). The appointment's own invitation mail still goes to
  the new account.
- ``remove_expired``: unconfirmed applications whose link has expired are deleted (by the
  queue's daily sweep and ``flask apply remove-expired``): their answers were never
  confirmed by their owner.

Every write commits once and is audited; refusals raise ``ApplicationRefused`` (or
``RecruitmentRefused`` for the fields shared with a nomination) with nothing written.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from app.extensions import db
from app.mail import DELIVERY_CONTEXT
from app.models import Evangelist, EvangelistApplication, Municipality, Notice, Topic, User
from app.models.applications import (
    AVAILABILITY_MAX,
    COMMUNITY_OTHER_MAX,
    DECISION_MESSAGE_MAX,
    MOTIVATION_MAX,
)
from app.models.base import utcnow
from app.secrets_at_rest import seal, unseal
from app.services import recruitment
from app.services.audit import record_event
from app.services.communities import municipality_by_code
from app.services.notices import notify
from app.services.pages import Page
from app.services.regions import RegionScope, municipality_visible
from app.services.requests import coordinators
from app.services.status import set_status
from evangelists.errors import Refused
from evangelists.limits import CAPACITY_RANGE, TRAVEL_RADIUS_RANGE
from evangelists.vocabulary import AGE_BANDS, GENDERS, LANGUAGES, OPEN_APPLICATION_STATUSES

MACHINE = "application"
ENTITY = "evangelist_application"
APPLICANT = "applicant"  # the audit actor of what the applicant does (no account)

# How long the confirmation link works.
CONFIRM_HOURS = 48

# What a coordinator may decide for a possible duplicate.
RESOLUTIONS = ("someone_else", "same_person", "declined")


class ApplicationRefused(Refused, ValueError):
    """``field`` and ``reason``: ``required``, ``too_long``, ``unknown``, ``out_of_range``,
    ``consent_required``; ``token``: ``link_invalid`` or ``link_expired``; ``resolution``:
    ``unknown`` or ``not_allowed``."""

    scope = "application"


@dataclass(frozen=True)
class ApplicationInput:
    family_name: str
    given_name: str
    family_name_kana: str
    given_name_kana: str
    email: str
    municipality_code: str
    community_id: int | None = None
    community_other: str = ""
    skills: tuple[str, ...] = ()
    languages: tuple[str, ...] = ("ja",)
    capacity: int = 2
    travel_radius_km: float = 50.0
    online_ok: bool = True
    availability: str = ""
    motivation: str = ""
    age_band: str | None = None
    gender: str | None = None
    consent: bool = False
    locale: str | None = None


@dataclass(frozen=True)
class Submitted:
    application: EvangelistApplication
    token: str  # for the caller's tests only: the page never shows it, the mail carries it


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _text(value: str | None, field: str, limit: int) -> str:
    text = (value or "").strip()
    if len(text) > limit:
        raise ApplicationRefused(field, "too_long")
    return text


def _nomination(data: ApplicationInput | EvangelistApplication, code: str, email: str | None
                ) -> recruitment.NominationInput:
    """An application's person as a nomination sees them (one duplicate rule, one path)."""
    return recruitment.NominationInput(
        family_name=data.family_name, given_name=data.given_name, family_name_kana=data.family_name_kana,
        given_name_kana=data.given_name_kana, municipality_code=code, community_id=data.community_id,
        email=email, skills=tuple(data.skills or ()),
    )


def _as_nomination(application: EvangelistApplication) -> recruitment.NominationInput:
    return _nomination(application, application.municipality.code, application.email)


def _checked(data: ApplicationInput) -> dict:
    """The row's values, or a refusal naming the field."""
    # The person: a nomination's rules (names, readings, e-mail, town, community, skills).
    nomination = _nomination(data, data.municipality_code, data.email)
    person = recruitment.check_person(nomination)
    family, given = person.family_name, person.given_name
    family_kana, given_kana, email = person.family_name_kana, person.given_name_kana, person.email
    if email is None:
        raise ApplicationRefused("email", "required")
    municipality = municipality_by_code(data.municipality_code)
    if municipality is None:
        raise ApplicationRefused("municipality", "unknown")
    community = person.community
    skills = [t.slug for t in person.skills]
    languages = [code for code in LANGUAGES if code in set(data.languages or ())]
    if not languages:
        raise ApplicationRefused("languages", "required")
    if set(data.languages) - set(LANGUAGES):
        raise ApplicationRefused("languages", "unknown")
    if data.capacity is None or not CAPACITY_RANGE[0] <= data.capacity <= CAPACITY_RANGE[1]:
        raise ApplicationRefused("capacity", "out_of_range")
    if data.travel_radius_km is None or not TRAVEL_RADIUS_RANGE[0] <= data.travel_radius_km <= TRAVEL_RADIUS_RANGE[1]:
        raise ApplicationRefused("travel_radius_km", "out_of_range")
    if data.age_band is not None and data.age_band not in AGE_BANDS:
        raise ApplicationRefused("age_band", "unknown")
    if data.gender is not None and data.gender not in GENDERS:
        raise ApplicationRefused("gender", "unknown")
    if not data.consent:
        raise ApplicationRefused("consent", "consent_required")
    return {
        "family_name": family, "given_name": given, "family_name_kana": family_kana, "given_name_kana": given_kana,
        "email": email, "municipality": municipality, "community": community,
        "community_other": "" if community else _text(data.community_other, "community_other", COMMUNITY_OTHER_MAX),
        "skills": skills, "languages": languages, "capacity": int(data.capacity),
        "travel_radius_km": float(data.travel_radius_km), "online_ok": bool(data.online_ok),
        "availability": _text(data.availability, "availability", AVAILABILITY_MAX),
        "motivation": _text(data.motivation, "motivation", MOTIVATION_MAX),
        "age_band": data.age_band, "gender": data.gender,
    }


# --- applying and confirming ---------------------------------------------------------------------


def submit(data: ApplicationInput, *, address: str | None = None) -> Submitted:
    """Store the application unconfirmed and mail its confirmation link; commits."""
    values = _checked(data)
    now = utcnow()
    token = secrets.token_urlsafe(32)
    application = EvangelistApplication(
        status="unconfirmed", consented_at=now, locale=data.locale, token_hash=hash_token(token),
        token_sealed=seal(token), confirm_by=now + timedelta(hours=CONFIRM_HOURS), matches=[], **values,
    )
    db.session.add(application)
    db.session.flush()
    # The audit trail keeps what happened, not the answers (they are on the row).
    record_event(APPLICANT, "application.submitted", ENTITY, application.id,
                 after={"municipality": application.municipality.code}, client_address=address)
    notify("application_confirm", emails=[application.email], target=(ENTITY, application.id),
           params={"name": application.display_name})
    db.session.commit()
    return Submitted(application, token)


def _confirm_context(notice: Notice) -> dict:
    """The link of an ``application_confirm`` mail, made when it is written (never stored);
    None once the application is confirmed or its link expired."""
    extra = {"hours": CONFIRM_HOURS, "confirm_link": None}
    application = db.session.get(EvangelistApplication, notice.target_id) if notice.target_id else None
    if application is None or application.status != "unconfirmed" or not application.token_sealed:
        return extra
    if application.confirm_by <= utcnow():
        return extra
    token = unseal(application.token_sealed)
    if token is not None:
        from app.links import external_url

        extra["confirm_link"] = external_url("apply.confirm", token=token)
    return extra


DELIVERY_CONTEXT["application_confirm"] = _confirm_context


def pending(token: str) -> EvangelistApplication:
    """The unconfirmed application a link was made for. Raises ApplicationRefused
    ``token``/``link_invalid`` (no such link, or already used) or ``link_expired``."""
    if not token or len(token) > 100:
        raise ApplicationRefused("token", "link_invalid")
    application = db.session.scalar(
        sa.select(EvangelistApplication).where(EvangelistApplication.token_hash == hash_token(token)))
    if application is None or application.status != "unconfirmed":
        raise ApplicationRefused("token", "link_invalid")
    if application.confirm_by <= utcnow():
        raise ApplicationRefused("token", "link_expired")
    return application


def _move(actor: User | str, application: EvangelistApplication, target: str, *, after: dict | None = None,
          address: str | None = None) -> None:
    set_status(actor, application, MACHINE, target, action=f"application.{target}", entity_type=ENTITY,
               before={"status": application.status}, after={"status": target, **(after or {})}, address=address)


def _new_candidate(actor: User | str, application: EvangelistApplication, address: str | None) -> Evangelist:
    candidate = recruitment.add_candidate(
        actor, _as_nomination(application), address=address,
        source={"application": application.id})
    # What only an application asks: the applicant's own answers about their availability.
    candidate.languages = list(application.languages)
    candidate.capacity = application.capacity
    candidate.travel_radius_km = application.travel_radius_km
    candidate.online_ok = application.online_ok
    candidate.age_band, candidate.gender = application.age_band, application.gender
    application.evangelist = candidate
    return candidate


def confirm(token: str, *, address: str | None = None) -> EvangelistApplication:
    """Confirm the address: the application enters the pipeline as a candidate, or waits
    as a possible duplicate (see the module's docstring); commits. The link is spent."""
    application = pending(token)
    # One confirmation per link, also when the link is opened twice at once: the first
    # to clear the token goes on, the other finds no link.
    claimed = db.session.execute(
        sa.update(EvangelistApplication)
        .where(EvangelistApplication.id == application.id, EvangelistApplication.token_hash == hash_token(token))
        .values(token_hash=None, token_sealed=None, confirmed_at=utcnow())
        .execution_options(synchronize_session="fetch"))
    if claimed.rowcount != 1:
        db.session.rollback()
        raise ApplicationRefused("token", "link_invalid")
    matches = recruitment.possible_duplicates(_as_nomination(application))
    if matches:
        application.matches = [person.id for person in matches]
        _move(APPLICANT, application, "possible_duplicate", after={"matches": application.matches},
              address=address)
    else:
        candidate = _new_candidate(APPLICANT, application, address)
        _move(APPLICANT, application, "in_pipeline", after={"evangelist": candidate.id}, address=address)
    notify("application_received", users=coordinators(application.municipality), target=(ENTITY, application.id),
           params={"name": application.display_name, "duplicate": bool(matches)})
    # The confirmation mail has done its work.
    db.session.execute(sa.update(Notice).where(Notice.kind == "application_confirm",
                                               Notice.target_id == application.id,
                                               Notice.read_at.is_(None)).values(read_at=utcnow()))
    db.session.commit()
    return application


def remove_expired(*, now: datetime | None = None) -> int:
    """Delete the unconfirmed applications whose link has expired; commits; how many."""
    now = now or utcnow()
    ids = list(db.session.scalars(sa.select(EvangelistApplication.id).where(
        EvangelistApplication.status == "unconfirmed", EvangelistApplication.confirm_by < now)))
    if not ids:
        return 0
    db.session.execute(sa.delete(Notice).where(Notice.kind == "application_confirm", Notice.target_type == ENTITY,
                                               Notice.target_id.in_(ids), Notice.mail.in_(("sent", "failed", "none"))))
    db.session.execute(sa.delete(EvangelistApplication).where(EvangelistApplication.id.in_(ids)))
    record_event("system", "application.expired_removed", ENTITY, None, after={"count": len(ids)})
    db.session.commit()
    return len(ids)


# --- what coordinators see ---------------------------------------------------------------------------


def _loaded():
    return (
        joinedload(EvangelistApplication.municipality).joinedload(Municipality.prefecture),
        joinedload(EvangelistApplication.community),
        joinedload(EvangelistApplication.evangelist),
    )


def get_application(application_id: int) -> EvangelistApplication | None:
    return db.session.scalar(sa.select(EvangelistApplication).where(EvangelistApplication.id == application_id)
                             .options(*_loaded()))


def applications_to_check(scope: RegionScope, *, page: int = 1, per_page: int = 20) -> Page:
    """The confirmed applications that may be someone the network has, oldest first: a
    coordinator decides each (``resolve``)."""
    where = sa.and_(EvangelistApplication.status == "possible_duplicate",
                    municipality_visible(scope, EvangelistApplication.municipality_id))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(EvangelistApplication).where(where)) or 0
    items = db.session.scalars(
        sa.select(EvangelistApplication).where(where).options(*_loaded())
        .order_by(EvangelistApplication.confirmed_at, EvangelistApplication.id)
        .limit(per_page).offset((page - 1) * per_page)).all()
    return Page(items=tuple(items), total=int(total), page=page, per_page=per_page)


def applied_ids(people: Sequence[Evangelist]) -> set[int]:
    """Which of ``people`` came to the pipeline through (or were joined to) a public
    application (one query)."""
    ids = [p.id for p in people]
    if not ids:
        return set()
    return set(db.session.scalars(sa.select(EvangelistApplication.evangelist_id).where(
        EvangelistApplication.evangelist_id.in_(ids))))


def applications_of(person: Evangelist) -> list[EvangelistApplication]:
    """The applications whose person is ``person``, newest first."""
    return list(db.session.scalars(
        sa.select(EvangelistApplication).where(EvangelistApplication.evangelist_id == person.id)
        .options(*_loaded()).order_by(EvangelistApplication.created_at.desc(), EvangelistApplication.id.desc())))


def applications_matching(person: Evangelist) -> list[EvangelistApplication]:
    """Confirmed applications waiting for a decision that may be ``person``."""
    waiting = db.session.scalars(
        sa.select(EvangelistApplication).where(EvangelistApplication.status == "possible_duplicate")
        .options(*_loaded()).order_by(EvangelistApplication.confirmed_at, EvangelistApplication.id)).all()
    return [a for a in waiting if person.id in (a.matches or [])]


def matched_people(application: EvangelistApplication) -> list[Evangelist]:
    """The people the application may be (still in the network), oldest first."""
    ids = [int(i) for i in application.matches or []]
    if not ids:
        return []
    return list(db.session.scalars(
        sa.select(Evangelist).where(Evangelist.id.in_(ids))
        .options(joinedload(Evangelist.home_municipality).joinedload(Municipality.prefecture),
                 joinedload(Evangelist.home_community), selectinload(Evangelist.skills))
        .order_by(Evangelist.id)))


def people_by_id(ids) -> dict[int, Evangelist]:
    """The people with these ids, with their home town's prefecture (for the regions)."""
    if not ids:
        return {}
    return {p.id: p for p in db.session.scalars(
        sa.select(Evangelist).where(Evangelist.id.in_(sorted(ids)))
        .options(joinedload(Evangelist.home_municipality).joinedload(Municipality.prefecture)))}


def topics_named(slugs: Sequence[str]) -> list[Topic]:
    if not slugs:
        return []
    return list(db.session.scalars(sa.select(Topic).where(Topic.slug.in_(list(slugs))).order_by(Topic.position)))


# --- a coordinator's decision on a possible duplicate ------------------------------------------------


def _message(text: str | None) -> str:
    message = (text or "").strip()
    if len(message) > DECISION_MESSAGE_MAX:
        raise ApplicationRefused("message", "too_long")
    return message


def resolve(actor: User, application: EvangelistApplication, resolution: str, *, person: Evangelist | None = None,
            message: str | None = None, address: str | None = None) -> Evangelist | None:
    """Decide a possible duplicate; commits. ``someone_else``: a new candidate (returned);
    ``same_person``: joined to ``person`` (one of its matches; returned), and the outcome
    follows that person's appointment or decline; ``declined``: closed, the applicant is
    mailed with ``message``."""
    if resolution not in RESOLUTIONS:
        raise ApplicationRefused("resolution", "unknown")
    if application.status != "possible_duplicate":
        raise ApplicationRefused("resolution", "not_allowed")
    text = _message(message)
    if resolution == "someone_else":
        candidate = _new_candidate(actor, application, address)
        _move(actor, application, "in_pipeline", after={"evangelist": candidate.id}, address=address)
        db.session.commit()
        return candidate
    if resolution == "same_person":
        if person is None or person.id not in (application.matches or []):
            raise ApplicationRefused("person", "unknown")
        application.evangelist = person
        _move(actor, application, "same_person", after={"evangelist": person.id}, address=address)
        if person.status in ("active", "paused"):
            # Already in service: nothing to wait for. The applicant learns they are known.
            _close(actor, application, "appointed", None, address, already=True)
        db.session.commit()
        return person
    _close(actor, application, "declined", text, address)
    db.session.commit()
    return None


def _close(actor: User | str, application: EvangelistApplication, outcome: str, message: str | None,
           address: str | None, *, already: bool = False) -> None:
    """The outcome: the application is closed and the applicant mailed (not committed).
    ``already``: the person was in service before they applied."""
    application.decided_at = utcnow()
    _move(actor, application, outcome, address=address)
    params = {"name": application.display_name, "already": already}
    if message:
        params["message"] = message
    notify(f"application_{outcome}", emails=[application.email], target=(ENTITY, application.id), params=params)


def _after_move(actor: User, person: Evangelist, previous: str, target: str, message: str | None) -> None:
    """``recruitment.MOVE_LISTENERS``: an appointment or a candidate's decline closes the
    open applications of the person and tells each applicant."""
    if recruitment.is_appointment(previous, target):
        outcome = "appointed"
    elif (previous, target) == ("candidate", "retired"):
        outcome = "declined"
    else:
        return
    text = _message(message) if outcome == "declined" else None
    for application in db.session.scalars(sa.select(EvangelistApplication).where(
            EvangelistApplication.evangelist_id == person.id,
            EvangelistApplication.status.in_(OPEN_APPLICATION_STATUSES))):
        _close(actor, application, outcome, text, None)


recruitment.MOVE_LISTENERS.append(_after_move)


def has_open_application(person: Evangelist) -> bool:
    return db.session.scalar(sa.select(sa.func.count()).select_from(EvangelistApplication).where(
        EvangelistApplication.evangelist_id == person.id,
        EvangelistApplication.status.in_(OPEN_APPLICATION_STATUSES))) > 0
