"""The idea box's own accounts (issue 21, point 2): a person signs up with an e-mail address
and a display name, confirms the address through a mailed link that also sets their
password, takes part, downloads what the site holds about them, and leaves.

- ``register``: a ``User`` of role ``participant`` without a password (it cannot sign in:
  nothing verifies against no hash) and its ``IdeaProfile``, checked by
  ``app.services.ideas.apply_profile``; the ``idea_verify`` security notice mails the link.
  An address that already has an account is never revealed: the same answer, and the
  owner gets the ``idea_registration_existing`` notice instead.
- ``verify``: the link's token is a password token of purpose ``verify``
  (``app.services.accounts``): signed, timed (``IDEAS_VERIFY_MAX_AGE``), spent once the
  password is set. Setting the password is what makes the account usable.
- ``remove_unverified``: registrations never confirmed within ``IDEAS_UNVERIFIED_DAYS``
  are deleted, with their profile (they could not have posted): by the queue's daily
  ``sweep_unverified_participants`` and by ``flask ideas remove-unverified``.
- ``export_of``: everything about the person in the dialogue, as a dict for JSON.
- ``withdraw``: a participant's account is deleted; a work account leaves the idea box and
  is kept. Either way the profile keeps its id (votes stay counted, posts stay and show
  「退会したユーザー」) with the user, handle and optional answers cleared.

Every write commits once and is audited; refusals raise ``AccountError`` or
``IdeaRefused`` with nothing written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.mail import DELIVERY_CONTEXT, link_hours
from app.models import (
    AuditEvent,
    Idea,
    IdeaComment,
    IdeaProfile,
    IdeaReport,
    IdeaTheme,
    IdeaVote,
    Notice,
    User,
)
from app.models.base import utcnow
from app.services.accounts import (
    AccountError,
    add_user,
    find_user_by_email,
    make_password_token,
    max_age,
    normalize_email,
    read_password_token,
    set_password_with_token,
    usable,
    verify_password,
)
from app.services.audit import record_event
from app.services.ideas import IdeaRefused, ProfileInput, apply_profile, profile_of, refresh_participation
from app.services.notices import notify
from evangelists.limits import EMAIL_MAX

PURPOSE = "verify"
PARTICIPANT = "participant"


@dataclass(frozen=True)
class Registration:
    email: str
    profile: ProfileInput
    locale: str | None = None


@dataclass(frozen=True)
class Registered:
    """What ``register`` did, for the caller's log and tests; the page says the same for
    both (``new`` False: the address already had an account)."""

    new: bool
    user_id: int | None


def _verify_link(user: User) -> str:
    from app.links import external_url

    return external_url("ideas.verify", token=make_password_token(user, PURPOSE))


def _verify_context(notice: Notice) -> dict:
    """The link of an ``idea_verify`` mail, made when it is written (never stored). None
    once the account is confirmed or closed, or when the notice waited past the link's age."""
    user = notice.user
    extra = {"hours": link_hours(PURPOSE), "verify_link": None}
    if user is None or not user.is_active or usable(user.password_hash) or user.role != PARTICIPANT:
        return extra
    if notice.created_at is not None and utcnow() - notice.created_at > max_age(PURPOSE):
        return extra
    extra["verify_link"] = _verify_link(user)
    return extra


DELIVERY_CONTEXT["idea_verify"] = _verify_context


def can_mail() -> bool:
    """Registration needs mail: without MAIL_SERVER nobody could confirm an address."""
    return bool(current_app.config.get("MAIL_SERVER"))


def register(data: Registration, *, address: str | None) -> Registered:
    """Sign a person up; commits. Raises ``IdeaRefused`` for the profile's fields (a
    handle taken, a reserved one...) and ``AccountError("bad_email")`` for an address the
    users table cannot hold; an address already in use is not refused (see module doc)."""
    email = normalize_email(data.email)
    if not email or len(email) > EMAIL_MAX or "@" not in email:
        raise AccountError("bad_email")
    existing = find_user_by_email(email)
    if existing is not None:
        return _already_registered(existing, address=address)
    profile = IdeaProfile()
    try:
        apply_profile(profile, data.profile)
        user = add_user(email, profile.handle, PARTICIPANT)
        user.locale = data.locale
        db.session.flush()
        profile.user_id = user.id
        db.session.add(profile)
        db.session.flush()
    except IdeaRefused:
        db.session.rollback()
        raise
    except sa.exc.IntegrityError:
        # Someone took the address or the handle at the same moment.
        db.session.rollback()
        existing = find_user_by_email(email)
        if existing is not None:
            return _already_registered(existing, address=address)
        raise IdeaRefused("handle", "taken") from None
    record_event(user, "idea_account.registered", "user", user.id,
                 after={"role": PARTICIPANT, "profile_id": profile.id, "voice": profile.voice,
                        "terms_accepted_at": utcnow().isoformat()},
                 client_address=address)
    notify("idea_verify", users=[user])
    db.session.commit()
    return Registered(True, user.id)


def _already_registered(user: User, *, address: str | None) -> Registered:
    record_event(None, "idea_account.registration_for_existing", "user", user.id, client_address=address)
    notify("idea_registration_existing", users=[user])
    db.session.commit()
    return Registered(False, None)


def mail_verification_again(user: User, *, address: str | None) -> None:
    """A participant who never confirmed asks for a password link ("Forgot your
    password?"): they get a fresh confirmation link instead of an invitation; commits."""
    record_event(None, "idea_account.verification_mailed_again", "user", user.id, client_address=address)
    notify("idea_verify", users=[user])
    db.session.commit()


def needs_verification(user: User | None) -> bool:
    return user is not None and user.role == PARTICIPANT and not usable(user.password_hash)


def pending_user(token: str) -> User:
    """The participant a confirmation link was made for. Raises AccountError
    ``link_expired``, ``link_used`` (already confirmed) or ``link_invalid``."""
    user = read_password_token(token, PURPOSE)
    if user.role != PARTICIPANT:
        raise AccountError("link_invalid")
    return user


def verify(token: str, password: str, *, address: str | None) -> User:
    """Confirm the address and set the first password (the link is then spent); commits
    and records the sign-in that follows. Raises AccountError (``weak_password`` with the
    policy's problems, or the link's problems)."""
    user = pending_user(token)
    set_password_with_token(token, PURPOSE, password, address=address)
    record_event(user, "idea_account.verified", "user", user.id, client_address=address)
    # The confirmation mails have done their work: not left unread under the bell.
    db.session.execute(sa.update(Notice).where(Notice.user_id == user.id, Notice.kind == "idea_verify",
                                               Notice.read_at.is_(None)).values(read_at=utcnow()))
    db.session.commit()
    return user


def remove_unverified(*, now: datetime | None = None, days: int | None = None) -> int:
    """Delete the participants who signed up more than ``days`` (IDEAS_UNVERIFIED_DAYS) ago
    and never confirmed their address, and their profiles; commits; returns how many."""
    now = now or utcnow()
    days = current_app.config["IDEAS_UNVERIFIED_DAYS"] if days is None else days
    cutoff = now - timedelta(days=days)
    users = db.session.scalars(sa.select(User).where(
        User.role == PARTICIPANT, User.password_hash.is_(None), User.created_at < cutoff)).all()
    if not users:
        return 0
    ids = [u.id for u in users]
    # An unconfirmed account cannot sign in, so it has no posts, votes or reports.
    db.session.execute(sa.delete(IdeaProfile).where(IdeaProfile.user_id.in_(ids)))
    for user in users:
        db.session.delete(user)
    record_event("system", "idea_account.unverified_removed", "user", None,
                 after={"count": len(ids), "older_than_days": days})
    db.session.commit()
    return len(ids)


# -- export ------------------------------------------------------------------------------


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def export_of(user: User) -> dict:
    """Everything the idea box holds about ``user``: the account's e-mail and role, the
    profile with its optional answers, their ideas, comments, votes and reports (their own
    rows only: nothing of anyone else, not even the handles of the posts they answered)."""
    profile = profile_of(user)
    data: dict = {
        "exported_at": utcnow().isoformat(),
        "account": {"email": user.email, "display_name": user.display_name, "role": user.role,
                    "created_at": _iso(user.created_at), "last_login_at": _iso(user.last_login_at)},
        "profile": None, "ideas": [], "comments": [], "votes": [], "reports": [],
    }
    if profile is not None:
        data["profile"] = {
            "handle": profile.handle, "voice": profile.voice,
            "prefecture": profile.prefecture.code if profile.prefecture else None,
            "age_band": profile.age_band, "gender": profile.gender, "created_at": _iso(profile.created_at),
        }
        ideas = db.session.execute(
            sa.select(Idea, IdeaTheme.title).join(IdeaTheme, Idea.theme_id == IdeaTheme.id)
            .where(Idea.author_id == profile.id).order_by(Idea.created_at, Idea.id)).all()
        data["ideas"] = [{
            "id": idea.id, "theme_id": idea.theme_id, "theme": theme_title, "title": idea.title, "body": idea.body,
            "voice": idea.voice, "municipality": idea.municipality.code if idea.municipality else None,
            "topics": [t.slug for t in idea.topics], "status": idea.status, "visibility": idea.visibility,
            "created_at": _iso(idea.created_at), "updated_at": _iso(idea.updated_at),
        } for idea, theme_title in ideas]
        comments = db.session.scalars(sa.select(IdeaComment).where(IdeaComment.author_id == profile.id)
                                      .order_by(IdeaComment.created_at, IdeaComment.id)).all()
        data["comments"] = [{
            "id": c.id, "idea_id": c.idea_id, "reply_to": c.parent_id, "stance": c.stance, "body": c.body,
            "visibility": c.visibility, "created_at": _iso(c.created_at), "updated_at": _iso(c.updated_at),
        } for c in comments]
        votes = db.session.scalars(sa.select(IdeaVote).where(IdeaVote.profile_id == profile.id)
                                   .order_by(IdeaVote.created_at, IdeaVote.idea_id)).all()
        data["votes"] = [{"idea_id": v.idea_id, "vote": "agree" if v.value > 0 else "disagree",
                          "created_at": _iso(v.created_at), "updated_at": _iso(v.updated_at)} for v in votes]
    reports = db.session.scalars(sa.select(IdeaReport).where(IdeaReport.reporter_id == user.id)
                                 .order_by(IdeaReport.created_at, IdeaReport.id)).all()
    data["reports"] = [{"idea_id": r.idea_id, "comment_id": r.comment_id, "reason": r.reason, "note": r.note,
                        "created_at": _iso(r.created_at), "resolution": r.resolution,
                        "resolved_at": _iso(r.resolved_at)} for r in reports]
    return data


def record_export(user: User, *, address: str | None) -> None:
    record_event(user, "idea_account.exported", "user", user.id, client_address=address)
    db.session.commit()


# -- leaving -----------------------------------------------------------------------------


def _clear(profile: IdeaProfile, now: datetime) -> None:
    profile.user_id = None
    profile.handle = None
    profile.prefecture_id = None
    profile.age_band = None
    profile.gender = None
    profile.withdrawn_at = now


def _forget_address_in_audit(user: User, name: str) -> None:
    db.session.execute(sa.update(AuditEvent).where(AuditEvent.actor_id == user.id).values(actor_label=name))
    events = db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.entity_type == "user", AuditEvent.entity_id == user.id)).all()
    for event in events:
        for side in ("before", "after"):
            value = getattr(event, side)
            if isinstance(value, dict) and "email" in value:
                setattr(event, side, {k: v for k, v in value.items() if k != "email"})


def withdraw(user: User, password: str, *, address: str | None) -> bool:
    """Leave the idea box after re-entering the password; commits. A participant's account
    is deleted (returns True: the caller signs them out); a work account is kept and only
    its dialogue profile is cleared (False). Raises AccountError
    ``wrong_current_password`` (audited, nothing else written) or ``no_profile`` (a work
    account that never took part)."""
    if not verify_password(user.password_hash, password):
        record_event(user, "auth.current_password_failed", "user", user.id, after={"purpose": "idea_withdraw"},
                     client_address=address)
        db.session.commit()
        raise AccountError("wrong_current_password")
    now = utcnow()
    profile = profile_of(user)
    if profile is None and user.role != PARTICIPANT:
        raise AccountError("no_profile")
    profile_id = profile.id if profile is not None else None
    if profile is not None:
        _clear(profile, now)
        refresh_participation(profile)
    if user.role != PARTICIPANT:
        record_event(user, "idea_account.left", "idea_profile", profile_id, client_address=address)
        db.session.commit()
        return False
    # The audit trail keeps what happened but names the account by its number only: the
    # address goes with the account.
    name = f"participant #{user.id}"
    _forget_address_in_audit(user, name)
    record_event(name, "idea_account.deleted", "user", user.id, after={"profile_id": profile_id},
                 client_address=address)
    db.session.flush()
    db.session.delete(user)
    db.session.commit()
    return True
