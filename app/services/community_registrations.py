"""Communities that register themselves (issue 22, point 5): the public form's
registration, the confirmation of its contact address, the coordinators' review queue,
accepting and declining.

- ``submit_registration``: an ``unconfirmed`` ``CommunityRegistration`` (not a community:
  nothing is public until a coordinator accepts), audited, and the only mail it sends: a
  confirmation link to the contact address (a random token, stored as its SHA-256 and
  sealed for the mail, as an application's: the notice row holds no secret, the
  ``community_registration_confirm`` mail makes the link when it is written). Its subject
  is fixed: nothing the sender typed is in it. The same form sent twice (its one-time
  ``nonce``) registers once.
- ``confirm_registration``: the link (within ``CONFIRM_HOURS``, once) confirms the address;
  the registration becomes ``pending`` and only then enters the coordinators' queue (the
  page that follows says it was received; no second mail).
- ``remove_expired``: unconfirmed registrations whose link expired are deleted (by the
  queue's nightly sweep and ``flask directory remove-expired``).
- ``possible_duplicates``: for each registration, the known communities and other pending
  registrations of its prefecture whose names may be the same (the rule of
  ``evangelists.community_names``), in two queries whatever the number of registrations.
- ``accept_registration``: creates a public, active community placed at its
  municipality's office, or merges into a known one (its public fields updated from the
  registration, and listed); ``decline_registration`` records the reason. Either way the
  registrant is mailed the outcome (notices ``community_registration_accepted`` /
  ``_declined``, to the contact address: the registrant has no account).

Every write commits once and is audited; refusals raise :class:`RegistrationRefused` with
a field and a reason, nothing written. Unconfirmed registrations are nobody's business
but their sender's: the queue, the counts, the duplicate check and the coordinators'
pages ignore them.
"""

from __future__ import annotations

import hashlib
import secrets
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, joinedload

from app.extensions import db
from app.mail import DELIVERY_CONTEXT
from app.models import (
    Community,
    CommunityRegistration,
    CommunityStatusChange,
    Municipality,
    Notice,
    Prefecture,
    User,
)
from app.models.base import utcnow
from app.secrets_at_rest import seal, unseal
from app.services.audit import record_event
from app.services.communities import MEMBER_COUNT_RANGE, municipality_by_code, valid_website
from app.services.notices import notify
from app.services.pages import Page, page_of
from app.services.regions import RegionScope, municipality_visible
from evangelists.calendar import today_in_japan
from evangelists.community_names import Match, Named, matches
from evangelists.errors import Refused
from evangelists.limits import (
    COMMUNITY_DESCRIPTION_MAX,
    COMMUNITY_NAME_MAX,
    DECLINE_REASON_MAX,
    EMAIL_MAX,
    HOW_TO_JOIN_MAX,
    WEBSITE_MAX,
)
from evangelists.vocabulary import REVIEWED_REGISTRATION_STATUSES

# Who sent a registration, in the audit log (app/events.py ACTORS): nobody signed in.
REGISTRANT = "registrant"
ENTITY = "community_registration"
# How long the confirmation link works.
CONFIRM_HOURS = 48
# The fields a merge copies from the registration into the known community when given.
MERGED_FIELDS = ("website", "description", "how_to_join", "member_count")


class RegistrationRefused(Refused):
    """``field`` names the form field; ``reason``: ``required``, ``too_long``,
    ``bad_website``, ``bad_email``, ``unknown`` (municipality, or the community to merge
    into), ``out_of_range`` (member count), ``consent_required``, ``not_pending`` (already
    decided), ``name_taken`` (accepting as new a name a community has: merge instead);
    ``token``: ``link_invalid`` (no such link, or already used) or ``link_expired``."""

    scope = "community_registration"


@dataclass(frozen=True)
class RegistrationInput:
    name: str
    municipality_code: str
    contact_email: str
    consent: bool
    website: str | None = None
    description: str = ""
    how_to_join: str = ""
    member_count: int = 0
    nonce: str | None = None


def _text(value: str | None, field: str, limit: int, *, required: bool = False) -> str:
    text = (value or "").strip()
    if required and not text:
        raise RegistrationRefused(field, "required")
    if len(text) > limit:
        raise RegistrationRefused(field, "too_long")
    return text


def _clean(data: RegistrationInput) -> dict:
    name = " ".join((data.name or "").split())
    if not name:
        raise RegistrationRefused("name", "required")
    if len(name) > COMMUNITY_NAME_MAX:
        raise RegistrationRefused("name", "too_long")
    municipality = municipality_by_code(data.municipality_code)
    if municipality is None:
        raise RegistrationRefused("municipality", "unknown")
    website = (data.website or "").strip() or None
    if website is not None and (len(website) > WEBSITE_MAX or not valid_website(website)):
        raise RegistrationRefused("website", "bad_website")
    email = (data.contact_email or "").strip()
    if not email:
        raise RegistrationRefused("contact_email", "required")
    local, at, domain = email.rpartition("@")
    if len(email) > EMAIL_MAX or not at or not local or "." not in domain or any(ch.isspace() for ch in email):
        raise RegistrationRefused("contact_email", "bad_email")
    count = data.member_count
    if isinstance(count, bool) or not isinstance(count, int) or not MEMBER_COUNT_RANGE[0] <= count <= MEMBER_COUNT_RANGE[1]:
        raise RegistrationRefused("member_count", "out_of_range")
    if data.consent is not True:
        raise RegistrationRefused("consent", "consent_required")
    return {
        "name": name, "municipality": municipality, "website": website, "contact_email": email,
        "member_count": count, "consent": True,
        "description": _text(data.description, "description", COMMUNITY_DESCRIPTION_MAX),
        "how_to_join": _text(data.how_to_join, "how_to_join", HOW_TO_JOIN_MAX),
    }


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Submitted:
    registration: CommunityRegistration
    # For the caller's tests only: the page never shows it, the mail carries it. None when
    # the same form came again (no new link is made, no new mail sent).
    token: str | None


def _by_nonce(nonce: str | None) -> CommunityRegistration | None:
    if not nonce:
        return None
    return db.session.scalar(sa.select(CommunityRegistration).where(CommunityRegistration.form_nonce == nonce))


def submit_registration(data: RegistrationInput, *, address: str | None = None) -> Submitted:
    """Store a community's registration unconfirmed and mail the confirmation link to its
    contact address; commits. The same form again (its ``nonce``) returns the first
    registration and writes and sends nothing."""
    values = _clean(data)
    nonce = (data.nonce or "")[:64] or None
    earlier = _by_nonce(nonce)
    if earlier is not None:
        return Submitted(earlier, None)
    now = utcnow()
    token = secrets.token_urlsafe(32)
    registration = CommunityRegistration(
        **values, status="unconfirmed", form_nonce=nonce, token_hash=hash_token(token), token_sealed=seal(token),
        confirm_by=now + timedelta(hours=CONFIRM_HOURS))
    db.session.add(registration)
    try:
        db.session.flush()
    except IntegrityError:  # the same form, sent twice at the same moment
        db.session.rollback()
        earlier = _by_nonce(nonce)
        if earlier is None:
            raise
        return Submitted(earlier, None)
    record_event(REGISTRANT, "community_registration.submitted", ENTITY, registration.id,
                 after={"name": registration.name, "municipality": registration.municipality.code,
                        "website": registration.website, "member_count": registration.member_count},
                 client_address=address)
    # The mail's subject is fixed; the name is quoted in its body only.
    notify("community_registration_confirm", emails=[registration.contact_email], target=(ENTITY, registration.id),
           params={"name": registration.name})
    db.session.commit()
    return Submitted(registration, token)


def _confirm_context(notice: Notice) -> dict:
    """The link of a ``community_registration_confirm`` mail, made when it is written
    (never stored); None once the registration is confirmed or its link expired."""
    extra = {"hours": CONFIRM_HOURS, "confirm_link": None}
    registration = db.session.get(CommunityRegistration, notice.target_id) if notice.target_id else None
    if registration is None or registration.status != "unconfirmed" or not registration.token_sealed:
        return extra
    if registration.confirm_by is None or registration.confirm_by <= utcnow():
        return extra
    token = unseal(registration.token_sealed)
    if token is not None:
        from app.links import external_url

        extra["confirm_link"] = external_url("directory.confirm", token=token)
    return extra


DELIVERY_CONTEXT["community_registration_confirm"] = _confirm_context


def unconfirmed(token: str) -> CommunityRegistration:
    """The unconfirmed registration a link was made for. Raises RegistrationRefused
    ``token``/``link_invalid`` (no such link, or already used) or ``link_expired``."""
    if not token or len(token) > 100:
        raise RegistrationRefused("token", "link_invalid")
    registration = db.session.scalar(
        sa.select(CommunityRegistration).where(CommunityRegistration.token_hash == hash_token(token)))
    if registration is None or registration.status != "unconfirmed":
        raise RegistrationRefused("token", "link_invalid")
    if registration.confirm_by is None or registration.confirm_by <= utcnow():
        raise RegistrationRefused("token", "link_expired")
    return registration


def confirm_registration(token: str, *, address: str | None = None) -> CommunityRegistration:
    """Confirm the contact address: the registration becomes ``pending`` and enters the
    coordinators' queue; commits. The link is spent."""
    registration = unconfirmed(token)
    # One confirmation per link, also when the link is opened twice at once: the first
    # to clear the token goes on, the other finds no link.
    claimed = db.session.execute(
        sa.update(CommunityRegistration)
        .where(CommunityRegistration.id == registration.id, CommunityRegistration.token_hash == hash_token(token),
               CommunityRegistration.status == "unconfirmed")
        .values(status="pending", token_hash=None, token_sealed=None, confirmed_at=utcnow())
        .execution_options(synchronize_session="fetch"))
    if claimed.rowcount != 1:
        db.session.rollback()
        raise RegistrationRefused("token", "link_invalid")
    record_event(REGISTRANT, "community_registration.confirmed", ENTITY, registration.id,
                 before={"status": "unconfirmed"}, after={"status": "pending"}, client_address=address)
    # The confirmation mail has done its work.
    db.session.execute(sa.update(Notice).where(Notice.kind == "community_registration_confirm",
                                               Notice.target_type == ENTITY, Notice.target_id == registration.id,
                                               Notice.read_at.is_(None)).values(read_at=utcnow()))
    db.session.commit()
    return registration


def remove_expired(*, now: datetime | None = None) -> int:
    """Delete the unconfirmed registrations whose link has expired, and their mails
    already sent (or never to be); commits; how many."""
    now = now or utcnow()
    ids = list(db.session.scalars(sa.select(CommunityRegistration.id).where(
        CommunityRegistration.status == "unconfirmed", CommunityRegistration.confirm_by < now)))
    if not ids:
        return 0
    db.session.execute(sa.delete(Notice).where(
        Notice.kind == "community_registration_confirm", Notice.target_type == ENTITY, Notice.target_id.in_(ids),
        Notice.mail.in_(("sent", "failed", "none"))))
    db.session.execute(sa.delete(CommunityRegistration).where(CommunityRegistration.id.in_(ids)))
    record_event("system", "community_registration.expired_removed", ENTITY, None, after={"count": len(ids)})
    db.session.commit()
    return len(ids)


# --- the review queue ----------------------------------------------------------------------


def _visible(scope: RegionScope):
    return municipality_visible(scope, CommunityRegistration.municipality_id)


def registration_page(scope: RegionScope, *, status: str = "pending", page: int, per_page: int) -> Page:
    """The registrations of ``status`` in ``scope``'s regions, oldest first (waiting the
    longest on top), with their municipality and prefecture. Never the unconfirmed ones
    (``status`` must be one of ``REVIEWED_REGISTRATION_STATUSES``)."""
    if status not in REVIEWED_REGISTRATION_STATUSES:
        raise ValueError(f"not a status coordinators see: {status!r}")
    stmt = (
        sa.select(CommunityRegistration)
        .join(CommunityRegistration.municipality)
        .join(Municipality.prefecture)
        .options(contains_eager(CommunityRegistration.municipality).contains_eager(Municipality.prefecture))
        .where(CommunityRegistration.status == status, _visible(scope))
    )
    order = (CommunityRegistration.created_at, CommunityRegistration.id)
    if status != "pending":
        order = (CommunityRegistration.decided_at.desc(), CommunityRegistration.id.desc())
    return page_of(stmt.order_by(*order), page, per_page)


def pending_count(scope: RegionScope) -> int:
    """How many registrations wait for review in ``scope``'s regions (one query)."""
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(CommunityRegistration)
        .where(CommunityRegistration.status == "pending", _visible(scope))
    ) or 0


def get_registration(registration_id: int) -> CommunityRegistration | None:
    """A registration coordinators may see (None for an unconfirmed one)."""
    return db.session.scalar(
        sa.select(CommunityRegistration).where(CommunityRegistration.id == registration_id,
                                               CommunityRegistration.status.in_(REVIEWED_REGISTRATION_STATUSES))
        .options(joinedload(CommunityRegistration.municipality).joinedload(Municipality.prefecture),
                 joinedload(CommunityRegistration.community), joinedload(CommunityRegistration.decided_by))
    )


def possible_duplicates(registrations: Iterable[CommunityRegistration]) -> dict[int, list[Match]]:
    """For each registration (by id), the communities and other pending registrations of
    its prefecture that may be the same community; two queries in all. Only registrations
    with a possible duplicate are keys."""
    wanted = list(registrations)
    prefectures = {r.municipality.prefecture.code for r in wanted}
    if not prefectures:
        return {}
    others: dict[str, list[Named]] = defaultdict(list)
    for cid, name, code in db.session.execute(
        sa.select(Community.id, Community.name, Prefecture.code)
        .join(Municipality, Community.municipality_id == Municipality.id)
        .join(Prefecture, Municipality.prefecture_id == Prefecture.id)
        .where(Prefecture.code.in_(sorted(prefectures)))
    ):
        others[code].append(Named("community", cid, name, code))
    for rid, name, code in db.session.execute(
        sa.select(CommunityRegistration.id, CommunityRegistration.name, Prefecture.code)
        .join(Municipality, CommunityRegistration.municipality_id == Municipality.id)
        .join(Prefecture, Municipality.prefecture_id == Prefecture.id)
        .where(Prefecture.code.in_(sorted(prefectures)), CommunityRegistration.status == "pending")
    ):
        others[code].append(Named("registration", rid, name, code))
    found = {}
    for r in wanted:
        code = r.municipality.prefecture.code
        hits = matches(Named("registration", r.id, r.name, code), others[code])
        if hits:
            found[r.id] = hits
    return found


# --- deciding ------------------------------------------------------------------------------


def _pending(registration: CommunityRegistration) -> None:
    if registration.status != "pending":
        raise RegistrationRefused(None, "not_pending")


def _decided(actor: User, registration: CommunityRegistration, status: str) -> None:
    registration.status = status
    registration.decided_at = utcnow()
    registration.decided_by_id = actor.id


def _public_snapshot(community: Community) -> dict:
    return {"name": community.name, "website": community.website, "description": community.description,
            "how_to_join": community.how_to_join, "member_count": community.member_count,
            "contact_email": community.contact_email, "public": community.public}


def _name_taken(name: str) -> bool:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(Community).where(sa.func.lower(Community.name) == name.lower())
    ) > 0


def accept_registration(
    actor: User, registration: CommunityRegistration, *, merge_into: Community | None = None,
    today: date | None = None, address: str | None = None,
) -> Community:
    """Accept: a new public community (active from ``today``, at its municipality's
    office), or, with ``merge_into``, that community updated from the registration and
    listed. Mails the registrant; commits. Returns the community."""
    _pending(registration)
    today = today or today_in_japan()
    merged = merge_into is not None
    if merge_into is not None:
        community = merge_into
        before = _public_snapshot(community)
        for name in MERGED_FIELDS:
            value = getattr(registration, name)
            if value:  # what the registration leaves empty keeps what the community had
                setattr(community, name, value)
        if not community.contact_email:
            community.contact_email = registration.contact_email
        community.public = True
        after = _public_snapshot(community)
        changed = [k for k in after if before[k] != after[k]]
        if changed:
            record_event(actor, "community.updated", "community", community.id,
                         before={k: before[k] for k in changed}, after={k: after[k] for k in changed},
                         client_address=address)
    else:
        if _name_taken(registration.name):
            raise RegistrationRefused("merge_into", "name_taken")
        town = registration.municipality
        with db.session.no_autoflush:
            community = Community(
                name=registration.name, municipality=town, lat=town.lat, lon=town.lon,
                location_source="municipality", status="active", status_since=today,
                website=registration.website, description=registration.description,
                how_to_join=registration.how_to_join, member_count=registration.member_count,
                contact_email=registration.contact_email, address="", public=True,
            )
            community.status_history.append(
                CommunityStatusChange(status="active", since=today, note="", changed_by_id=actor.id))
            db.session.add(community)
        db.session.flush()
        record_event(actor, "community.created", "community", community.id,
                     after={**_public_snapshot(community), "municipality": town.code}, client_address=address)
    _decided(actor, registration, "accepted")
    registration.community = community
    db.session.flush()
    record_event(actor, "community_registration.accepted", "community_registration", registration.id,
                 after={"status": "accepted", "community": community.id, "merge": merged},
                 client_address=address)
    notify("community_registration_accepted", emails=[registration.contact_email],
           target=("community", community.id), params={"name": registration.name, "listed_as": community.name})
    try:
        db.session.commit()
    except IntegrityError:  # a community of this name was saved meanwhile
        db.session.rollback()
        raise RegistrationRefused("merge_into", "name_taken") from None
    return community


def decline_registration(
    actor: User, registration: CommunityRegistration, reason: str, *, address: str | None = None,
) -> None:
    """Decline with ``reason`` (mailed to the registrant, so written for them); commits."""
    _pending(registration)
    reason = _text(reason, "reason", DECLINE_REASON_MAX, required=True)
    _decided(actor, registration, "declined")
    registration.decline_reason = reason
    record_event(actor, "community_registration.declined", "community_registration", registration.id,
                 after={"status": "declined", "reason": reason}, client_address=address)
    notify("community_registration_declined", emails=[registration.contact_email],
           target=("community_registration", registration.id),
           params={"name": registration.name, "reason": reason})
    db.session.commit()


def _accepted_context(notice) -> dict:
    """The accepted mail's link to the community's public page (made when it is written)."""
    from app.links import external_url

    if notice.target_type != "community" or not notice.target_id:
        return {"community_link": None}
    return {"community_link": external_url("directory.community", community_id=notice.target_id)}


DELIVERY_CONTEXT["community_registration_accepted"] = _accepted_context
